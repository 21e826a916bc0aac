package commands

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Ping returns the ping command, which answers "pong — tootops v0.1.0, up 3h12m". version is
// the bot's version ("0.1.0" gets a "v"; empty shows "dev"), started is when the bot started,
// and now is the clock (nil means time.Now).
func Ping(version string, started time.Time, now func() time.Time) Command {
	if now == nil {
		now = time.Now
	}
	switch {
	case version == "":
		version = "dev"
	case version[0] >= '0' && version[0] <= '9':
		version = "v" + version
	}
	return Command{
		Name:    "ping",
		Group:   defaultGroup,
		Summary: "check that the bot is alive",
		Help:    "Answers with the bot's version and how long it has been running. It touches nothing else.",
		Inline:  true,
		Run: func(context.Context, *Request) (string, error) {
			return fmt.Sprintf("pong — tootops %s, up %s", version, uptime(now().Sub(started))), nil
		},
	}
}

// uptime formats a duration for people, to two units at most: 45s, 12m, 3h12m, 2d4h.
func uptime(d time.Duration) string {
	if d < time.Minute {
		return fmt.Sprintf("%ds", max(int64(d/time.Second), 0))
	}
	days := int64(d / (24 * time.Hour))
	hours := int64(d/time.Hour) % 24
	minutes := int64(d/time.Minute) % 60
	var b strings.Builder
	switch {
	case days > 0:
		fmt.Fprintf(&b, "%dd", days)
		if hours > 0 {
			fmt.Fprintf(&b, "%dh", hours)
		}
	case hours > 0:
		fmt.Fprintf(&b, "%dh", hours)
		if minutes > 0 {
			fmt.Fprintf(&b, "%dm", minutes)
		}
	default:
		fmt.Fprintf(&b, "%dm", minutes)
	}
	return b.String()
}
