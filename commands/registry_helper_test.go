package commands_test

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"time"

	"github.com/tootops/tootops/commands"
)

// started and clock give Ping a fixed uptime of 3h12m in the shared test registry.
var (
	started = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	clock   = func() time.Time { return started.Add(3*time.Hour + 12*time.Minute + 5*time.Second) }
)

func noop(context.Context, *commands.Request) (string, error) { return "ok", nil }

var versionRE = regexp.MustCompile(`^v\d+\.\d+\.\d+$`)

// testCommands is a representative set: names of one and two words (some sharing a first
// word, one a prefix of another), aliases, Rest args, KeyValue, Int bounds, a Check, and flags
// of each kind, some with defaults.
func testCommands() []commands.Command {
	service := commands.Arg{Name: "SERVICE", Help: "a Compose service such as web or sidekiq"}
	return []commands.Command{
		{
			Name: "ps", Group: "services", Summary: "list the services and their state",
			Run: noop,
		},
		{
			Name: "restart", Group: "services", Summary: "restart a service",
			Help:    "Restarts every container of the service and waits until they are healthy.",
			Args:    []commands.Arg{service},
			Flags:   []commands.Flag{{Name: "timeout", Help: "seconds to wait for a clean stop", Kind: commands.Int, Placeholder: "N", Default: "30"}},
			Changes: true,
			Locks:   func(inv *commands.Invocation) []string { return []string{"service:" + inv.Str("SERVICE")} },
			Run:     noop,
		},
		{
			Name: "scale", Group: "services", Summary: "set how many containers a service runs",
			Args:    []commands.Arg{{Name: "SERVICE=N", Help: "the service and its number of containers", Kind: commands.KeyValue, Max: 50, Example: "sidekiq=5"}},
			Changes: true,
			Run:     noop,
		},
		{
			Name: "logs", Group: "services", Summary: "show the last lines a service logged",
			Args: []commands.Arg{
				service,
				{Name: "N", Help: "how many lines", Kind: commands.Int, Optional: true, Min: 1, Max: 1000},
			},
			Flags: []commands.Flag{
				{Name: "since", Help: "only lines newer than this", Kind: commands.Duration, Placeholder: "DURATION"},
				{Name: "grep", Help: "only lines that contain this text", Placeholder: "TEXT"},
				{Name: "timestamps", Help: "show the time of each line", Kind: commands.Bool},
			},
			Run: noop,
		},
		{
			Name: "run", Group: "services", Summary: "run a one-off command in a new container",
			Args: []commands.Arg{
				service,
				{Name: "COMMAND", Help: "the command and its arguments", Rest: true},
			},
			Changes: true,
			Run:     noop,
		},
		{
			Name: "backup", Group: "backups", Summary: "start a backup now",
			Changes: true, Run: noop,
		},
		{
			Name: "backup status", Aliases: []string{"backups"}, Group: "backups",
			Summary: "show the last backups", Run: noop,
		},
		{
			Name: "media cleanup", Group: "media", Summary: "remove cached remote media",
			Flags:   []commands.Flag{{Name: "days", Help: "keep media newer than this many days", Kind: commands.Int, Placeholder: "N", Default: "7"}},
			Changes: true, Run: noop,
		},
		{Name: "media stats", Group: "media", Summary: "show how much media is stored", Run: noop},
		{
			Name: "maintenance on", Group: "upgrade", Summary: "put up the maintenance page",
			Args:    []commands.Arg{{Name: "DURATION", Help: "take it down again after this long", Kind: commands.Duration, Optional: true}},
			Changes: true, Run: noop,
		},
		{
			Name: "upgrade", Group: "upgrade", Summary: "upgrade Mastodon to a release",
			Args: []commands.Arg{{Name: "VERSION", Help: "the release tag", Example: "v4.7.6", Check: func(s string) error {
				if !versionRE.MatchString(s) {
					return errors.New("must look like v4.7.6, got " + `"` + s + `"`)
				}
				return nil
			}}},
			Changes: true, Run: noop,
		},
		{Name: "upgrade check", Group: "upgrade", Summary: "tell whether a new release is out", Run: noop},
		{
			Name: "cancel", Group: "jobs", Summary: "cancel a running job",
			Args: []commands.Arg{{Name: "JOB", Help: "the job id, as jobs shows it", Kind: commands.Int, Min: 1}},
			Run:  noop,
		},
	}
}

// newRegistry returns a registry with testCommands and the built-ins.
func newRegistry(t testing.TB) *commands.Registry {
	t.Helper()
	r := commands.NewRegistry()
	if err := r.Add(testCommands()...); err != nil {
		t.Fatalf("Add(testCommands): %v", err)
	}
	if err := r.Add(commands.Help(r), commands.Ping("0.1.0", started, clock), commands.Whoami()); err != nil {
		t.Fatalf("Add(built-ins): %v", err)
	}
	return r
}
