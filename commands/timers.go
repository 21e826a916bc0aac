package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tootops/tootops/schedule"
)

// TimerSource lists the schedules.
type TimerSource interface {
	Timers() ([]schedule.Timer, error)
}

// Timers returns the `timers` command: the `systemctl list-timers` of the bot.
func Timers(src TimerSource, now func() time.Time) Command {
	return Command{
		Name:    "timers",
		Aliases: []string{"schedules"},
		Group:   jobsGroup,
		Summary: "list the schedules with their next and last runs",
		Help:    "Every schedule of the config (nightly backup, media cleanup, certificate checks…) with when it runs next, when it last ran and how that went. A run missed while the bot was down shows as missed.",
		Inline:  true,
		Run: func(context.Context, *Request) (string, error) {
			timers, err := src.Timers()
			if err != nil {
				return "", err
			}
			if len(timers) == 0 {
				return "no schedules: set them in the config, e.g. [backup] schedule = \"0 3 * * *\"", nil
			}
			t := now()
			var b strings.Builder
			for _, tm := range timers {
				fmt.Fprintf(&b, "%s (%s): %q", tm.Name, tm.Spec, tm.Line)
				if !tm.Next.IsZero() {
					fmt.Fprintf(&b, " — next %s (in %s)", tm.Next.Format("Mon 15:04"), roundUp(tm.Next.Sub(t)))
				}
				switch {
				case tm.LastOutcome == schedule.OutcomeMissed:
					fmt.Fprintf(&b, " — last: missed %s", tm.LastFor.Format("Mon 15:04"))
				case !tm.LastRun.IsZero():
					fmt.Fprintf(&b, " — last %s, %s", tm.LastRun.Format("Mon 15:04"), tm.LastOutcome)
					if tm.LastSummary != "" {
						fmt.Fprintf(&b, ": %s", tm.LastSummary)
					}
				default:
					b.WriteString(" — not run yet")
				}
				b.WriteString("\n")
			}
			return strings.TrimRight(b.String(), "\n"), nil
		},
	}
}

// roundUp shows a wait to the minute, or in seconds under one.
func roundUp(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}
