package ops

import (
	"testing"
	"time"
)

func TestBytes(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0 B", 999: "999 B", 1000: "1.0 kB", 12_345_678: "12 MB", 1_900_000_000: "1.9 GB",
		9_990_000: "10.0 MB", 160_400_000: "160 MB", 2_500_000_000_000: "2.5 TB",
	} {
		if got := Bytes(n); got != want {
			t.Errorf("Bytes(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Rate(8_100_000, time.Second); got != "8.1 MB/s" {
		t.Errorf("Rate = %q", got)
	}
	if got := Rate(1, 0); got != "–" {
		t.Errorf("Rate over 0 = %q", got)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		2 * time.Minute:                      "2m",
		time.Hour:                            "1h",
		90 * time.Minute:                     "1h30m",
		time.Hour + 5*time.Second:            "1h0m5s",
		45 * time.Second:                     "45s",
		1500 * time.Millisecond:              "1.5s",
		2*time.Minute + 500*time.Millisecond: "2m0.5s",
	} {
		if got := Duration(d); got != want {
			t.Errorf("Duration(%v) = %q, want %q", d, got, want)
		}
	}
}
