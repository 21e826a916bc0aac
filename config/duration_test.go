package config_test

import (
	"testing"
	"time"

	"github.com/tootops/tootops/config"
)

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		str  string
	}{
		{"10m", 10 * time.Minute, "10m"},
		{"2h30m", 150 * time.Minute, "2h30m"},
		{"90s", 90 * time.Second, "1m30s"},
		{"30d", 30 * 24 * time.Hour, "30d"},
		{"1d12h", 36 * time.Hour, "1d12h"},
		{"720h", 30 * 24 * time.Hour, "30d"},
		{"0d", 0, "0s"},
		{"0", 0, "0s"},
		{"1.5s", 1500 * time.Millisecond, "1.5s"},
		{"-1h", -time.Hour, "-1h"},
		{"-2d", -48 * time.Hour, "-2d"},
	}
	for _, tt := range tests {
		got, err := config.ParseDuration(tt.in)
		if err != nil {
			t.Errorf("ParseDuration(%q): %v", tt.in, err)
			continue
		}
		if got.D() != tt.want {
			t.Errorf("ParseDuration(%q) = %v, want %v", tt.in, got.D(), tt.want)
		}
		if got.String() != tt.str {
			t.Errorf("ParseDuration(%q).String() = %q, want %q", tt.in, got.String(), tt.str)
		}
		if back, err := config.ParseDuration(got.String()); err != nil || back != got {
			t.Errorf("%q does not read back: %v, %v", got.String(), back, err)
		}
	}
	for _, in := range []string{"", "d", "1.5d", "10", "5 m", "1d-5m", "1d+5m", "+1d", "--1h", "10x", "1w", "99999999999d", "106751d24h"} {
		if got, err := config.ParseDuration(in); err == nil {
			t.Errorf("ParseDuration(%q) = %v, want an error", in, got)
		}
	}
}
