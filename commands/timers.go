package commands

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/host"
	"github.com/tootops/tootops/schedule"
)

// TimerSource lists the schedules.
type TimerSource interface {
	Timers() ([]schedule.Timer, error)
}

// HostTimers is what timers needs to list the host's systemd timers; *host.Systemd is
// one.
type HostTimers interface {
	Timers(ctx context.Context) ([]host.Timer, error)
	// Journals are the units `journal` may read ([host] units), marked in the list.
	Journals() []string
}

var _ HostTimers = (*host.Systemd)(nil)

// Timers returns the `timers` command: the `systemctl list-timers` of the bot, followed by
// the host's own when hostTimers is not nil.
func Timers(src TimerSource, hostTimers HostTimers, now func() time.Time) Command {
	return Command{
		Name:    "timers",
		Aliases: []string{"schedules"},
		Group:   jobsGroup,
		Summary: "list the schedules with their next and last runs, and the host's systemd timers",
		Help: "Every schedule of the config (nightly backup, media cleanup, certificate checks…) with when it runs next, when it last ran and how that went. A run missed while the bot was down shows as missed.\n" +
			"Then the host's systemd timers (certbot, an old backup timer…), as systemctl list-timers --all shows them, each with the unit it starts, its next and last run and how the unit's last run went (ok, ✗ failed, running); " +
			"those whose unit is in [host] units end with the `journal` command that reads its log. In a container, or on a machine without systemd, it says so instead.",
		Inline: true,
		Run: func(ctx context.Context, _ *Request) (string, error) {
			text, err := botTimersText(src, now())
			if err != nil || hostTimers == nil {
				return text, err
			}
			return text + "\n\n" + hostTimersText(ctx, hostTimers, now()), nil
		},
	}
}

// botTimersText is one line per schedule of the bot.
func botTimersText(src TimerSource, t time.Time) (string, error) {
	timers, err := src.Timers()
	if err != nil {
		return "", err
	}
	if len(timers) == 0 {
		return "no schedules: set them in the config, e.g. [backup] schedule = \"0 3 * * *\"", nil
	}
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
}

// hostTimersText is the "host timers:" section: one line per systemd timer,
//
//	certbot.timer → certbot.service: next Wed 03:12 (in 5h32m0s), last Tue 15:12 (ok) — journal certbot.service
//
// or the plain reason they cannot be listed. Listing reveals names and times only, so
// every timer is shown; [host] units limits only what journal reads.
func hostTimersText(ctx context.Context, h HostTimers, now time.Time) string {
	const title = "host timers:\n"
	timers, err := h.Timers(ctx)
	switch {
	case errors.Is(err, host.ErrContainer):
		return title + "the bot runs in a container: the host's systemd timers are not visible here"
	case errors.Is(err, host.ErrNoSystemd):
		return title + "this machine does not run systemd"
	case err != nil:
		return title + "cannot list them: " + ops.SafeText(err)
	case len(timers) == 0:
		return title + "none"
	}
	journals := h.Journals()
	var b strings.Builder
	b.WriteString(title)
	for _, tm := range timers {
		b.WriteString(tm.Unit)
		if tm.Activates != "" {
			b.WriteString(" → " + tm.Activates)
		}
		if tm.Next.IsZero() {
			b.WriteString(": not scheduled")
		} else {
			fmt.Fprintf(&b, ": next %s (%s)", hostTime(tm.Next, now), untilText(tm.Next.Sub(now)))
		}
		if tm.Last.IsZero() {
			b.WriteString(", never ran")
		} else {
			fmt.Fprintf(&b, ", last %s", hostTime(tm.Last, now))
			if r := resultText(tm); r != "" {
				b.WriteString(" (" + r + ")")
			}
		}
		switch {
		case slices.Contains(journals, tm.Activates):
			b.WriteString(" — journal " + tm.Activates)
		case slices.Contains(journals, tm.Unit):
			b.WriteString(" — journal " + tm.Unit)
		}
		b.WriteString("\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

// hostTime is "Wed 03:12" within six days of now, else "2026-11-09 02:00": a host timer
// may have last fired weeks ago.
func hostTime(t, now time.Time) string {
	if d := t.Sub(now); d > -6*24*time.Hour && d < 6*24*time.Hour {
		return t.Format("Mon 15:04")
	}
	return t.Format("2006-01-02 15:04")
}

func untilText(d time.Duration) string {
	if d <= 0 {
		return "due"
	}
	return "in " + roundUp(d).String()
}

// resultText is how the activated unit's last run went: "ok", "running", "✗ failed:
// exit-code, status 1"; "" when unknown.
func resultText(tm host.Timer) string {
	switch {
	case tm.Running():
		return "running"
	case tm.Failed():
		s := "✗ failed"
		if tm.Result != "" && tm.Result != "success" {
			s += ": " + tm.Result
		}
		if tm.ExitStatus != 0 {
			s += fmt.Sprintf(", status %d", tm.ExitStatus)
		}
		return s
	case tm.Result == "success":
		return "ok"
	}
	return ""
}

// roundUp shows a wait to the minute, or in seconds under one.
func roundUp(d time.Duration) time.Duration {
	if d < time.Minute {
		return d.Round(time.Second)
	}
	return d.Round(time.Minute)
}
