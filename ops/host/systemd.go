package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
)

// ErrNotAllowed: the unit is not in [host] units, so its journal is not read.
var ErrNotAllowed = errors.New("not in [host] units")

// DefaultTimeout bounds each call to systemd: its programs answer in well under a second.
const DefaultTimeout = 15 * time.Second

// Systemd reads the timers and the journal of the machine's systemd. The zero value reads
// the real one with no journal allowed.
type Systemd struct {
	// Units are the units whose journal may be read ([host] units). Logs can hold
	// anything, so only these; the timers, only names and times, are all listed.
	Units []string
	// Runner runs systemctl and journalctl; nil means Exec{}.
	Runner Runner
	// Root is the root directory Detect looks at; "" means "/".
	Root string
	// Getenv reads the environment for Detect; nil means os.Getenv.
	Getenv func(string) string
	// Timeout bounds each call; 0 means DefaultTimeout.
	Timeout time.Duration
	// Location is where times are shown; nil means time.Local.
	Location *time.Location
	// Now is the clock --since counts back from; nil means time.Now.
	Now func() time.Time
}

// Available returns nil when systemd runs the machine, else ErrContainer or
// ErrNoSystemd (see Detect).
func (s *Systemd) Available() error {
	getenv := s.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	return Detect(s.Root, getenv)
}

// Journals returns the units whose journal may be read.
func (s *Systemd) Journals() []string { return s.Units }

// Allows reports whether unit's journal may be read.
func (s *Systemd) Allows(unit string) bool { return slices.Contains(s.Units, unit) }

// run runs a program within the time limit, and turns a failure into an error whose
// Safe text names the program and its first line of stderr.
func (s *Systemd) run(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	timeout := s.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	r := s.Runner
	if r == nil {
		r = Exec{}
	}
	what := name
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		what += " " + args[0]
	}
	stdout, stderr, err := r.Run(ctx, name, args...)
	switch {
	case err == nil:
		return stdout, stderr, nil
	case errors.Is(err, ErrNotInstalled):
		return nil, nil, &ops.Error{Msg: name + " is not installed here (not on PATH)", Hint: "install systemd's tools, or run the bot on the host", Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return nil, nil, &ops.Error{Msg: fmt.Sprintf("%s took more than %s", what, timeout), Err: err}
	case ctx.Err() != nil:
		return nil, nil, err
	}
	msg := what + " failed"
	if line := firstLine(stderr); line != "" {
		msg += ": " + line
	}
	return nil, nil, &ops.Error{Msg: msg, Err: err}
}

func (s *Systemd) loc() *time.Location {
	if s.Location == nil {
		return time.Local
	}
	return s.Location
}

func (s *Systemd) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// firstLine is the first non-empty line of b, cleaned and cut to 200 characters.
func firstLine(b []byte) string {
	for _, line := range strings.Split(string(b), "\n") {
		if line = ops.CleanLine(line, 200); line != "" {
			return line
		}
	}
	return ""
}

// MaxLineRunes is where a line of a message is cut.
const MaxLineRunes = 500
