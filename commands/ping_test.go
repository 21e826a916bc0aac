package commands_test

import (
	"context"
	"testing"
	"time"

	"github.com/tootops/tootops/commands"
)

func TestPing(t *testing.T) {
	start := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		version string
		up      time.Duration
		want    string
	}{
		{"v0.1.0", 0, "pong — tootops v0.1.0, up 0s"},
		{"v0.1.0", 45*time.Second + 900*time.Millisecond, "pong — tootops v0.1.0, up 45s"},
		{"v0.1.0", 59 * time.Second, "pong — tootops v0.1.0, up 59s"},
		{"v0.1.0", time.Minute, "pong — tootops v0.1.0, up 1m"},
		{"v0.1.0", 12*time.Minute + 30*time.Second, "pong — tootops v0.1.0, up 12m"},
		{"v0.1.0", 3*time.Hour + 12*time.Minute + 59*time.Second, "pong — tootops v0.1.0, up 3h12m"},
		{"v0.1.0", 3 * time.Hour, "pong — tootops v0.1.0, up 3h"},
		{"v0.1.0", 23*time.Hour + 59*time.Minute, "pong — tootops v0.1.0, up 23h59m"},
		{"v0.1.0", 24 * time.Hour, "pong — tootops v0.1.0, up 1d"},
		{"v0.1.0", 2*24*time.Hour + 4*time.Hour + 30*time.Minute, "pong — tootops v0.1.0, up 2d4h"},
		{"v0.1.0", 400 * 24 * time.Hour, "pong — tootops v0.1.0, up 400d"},
		{"v0.1.0", -5 * time.Second, "pong — tootops v0.1.0, up 0s"}, // the clock went back
		{"0.1.0", time.Minute, "pong — tootops v0.1.0, up 1m"},
		{"", time.Minute, "pong — tootops dev, up 1m"},
		{"v0.2.0-rc.1+dirty", time.Minute, "pong — tootops v0.2.0-rc.1+dirty, up 1m"},
	} {
		now := func() time.Time { return start.Add(tt.up) }
		c := commands.Ping(tt.version, start, now)
		got, err := c.Run(context.Background(), &commands.Request{})
		if err != nil {
			t.Fatal(err)
		}
		if got != tt.want {
			t.Errorf("Ping(%q) after %v = %q, want %q", tt.version, tt.up, got, tt.want)
		}
	}
}

func TestPingThroughRegistry(t *testing.T) {
	r := newRegistry(t)
	inv, err := r.Parse("Ping")
	if err != nil {
		t.Fatal(err)
	}
	got, err := inv.Command.Run(context.Background(), &commands.Request{Inv: inv})
	if err != nil {
		t.Fatal(err)
	}
	if want := "pong — tootops v0.1.0, up 3h12m"; got != want {
		t.Errorf("ping = %q, want %q", got, want)
	}
}
