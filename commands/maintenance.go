package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tootops/tootops/ops/maintenance"
)

// Maintenance is what the maintenance commands need; maintenance.Flag is one.
type Maintenance interface {
	On(reason string) (bool, error)
	Off() (bool, error)
	Status() (maintenance.State, error)
}

// MaintenanceCommands returns `maintenance on [REASON…]`, `maintenance off` and
// `maintenance status`.
func MaintenanceCommands(m Maintenance, now func() time.Time) []Command {
	if now == nil {
		now = time.Now
	}
	const help = "Maintenance mode is a flag file ([maintenance] file) that nginx checks on every request: while it exists, visitors get the maintenance page (HTTP 503) and federation retries later. docs/maintenance.md has the nginx snippet."
	return []Command{
		{
			Name:    "maintenance on",
			Group:   servicesGroup,
			Summary: "show the maintenance page to visitors (nginx flag file)",
			Help:    help + " The reason is written into the file for whoever looks.",
			Args:    []Arg{{Name: "REASON", Help: "why, kept in the flag file", Rest: true, Optional: true, Example: "database maintenance"}},
			Changes: true,
			Plan: func(_ context.Context, inv *Invocation) (string, error) {
				st, err := m.Status()
				if err != nil {
					return "", err
				}
				if st.On {
					return "maintenance is already on (" + st.Reason + "); nothing to do", nil
				}
				return "will turn maintenance on: visitors get the maintenance page until `maintenance off`", nil
			},
			Run: func(_ context.Context, req *Request) (string, error) {
				reason := strings.Join(req.Inv.Rest(), " ")
				if reason == "" {
					reason = "turned on by " + req.Sender.Acct
				}
				changed, err := m.On(reason)
				switch {
				case err != nil:
					return "", err
				case !changed:
					return "maintenance was already on", nil
				}
				return "maintenance is ON: visitors get the maintenance page; send `maintenance off` to end it", nil
			},
		},
		{
			Name:    "maintenance off",
			Group:   servicesGroup,
			Summary: "end maintenance mode",
			Help:    help,
			Changes: true,
			Run: func(_ context.Context, _ *Request) (string, error) {
				changed, err := m.Off()
				switch {
				case err != nil:
					return "", err
				case !changed:
					return "maintenance was already off", nil
				}
				return "maintenance is OFF: the site is back for visitors", nil
			},
		},
		{
			Name:    "maintenance status",
			Group:   servicesGroup,
			Summary: "whether the maintenance page is on",
			Help:    help,
			Inline:  true,
			Run: func(_ context.Context, _ *Request) (string, error) {
				st, err := m.Status()
				if err != nil {
					return "", err
				}
				if !st.On {
					return "maintenance is off", nil
				}
				return fmt.Sprintf("maintenance is ON for %s (%s)", roundTook(now().Sub(st.Since)), st.Reason), nil
			},
		},
	}
}
