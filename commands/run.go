package commands

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// OneOffRunner is what run needs.
type OneOffRunner interface {
	// CheckCommand says whether the one-off policy allows cmd; it touches nothing.
	CheckCommand(cmd []string) error
	// AllowedCommands lists the allowed command prefixes, for help.
	AllowedCommands() []string
	PlanRun(ctx context.Context, service string, cmd []string) (*compose.RunPlan, error)
	Run(ctx context.Context, service string, cmd []string, p ops.Progress) (*compose.RunResult, error)
}

// outputLines and outputBytes bound the output a one-off's reply shows.
const (
	outputLines = 15
	outputBytes = 1500
)

// Run returns the `run SERVICE -- COMMAND…` command.
func Run(s OneOffRunner) Command {
	allowed := "nothing: [compose.oneoff] allowed is empty"
	if a := s.AllowedCommands(); len(a) > 0 {
		allowed = strings.Join(a, "; ")
	}
	return Command{
		Name:    "run",
		Group:   servicesGroup,
		Summary: "run a maintenance command in a one-off container",
		Help: "Starts COMMAND in a new container of SERVICE, like docker compose run --rm -T: same image and settings, no published ports, not known by the service's name on the network, removed when it ends. Its output streams into the progress reply; the result gives the exit code and the last lines. " +
			"Only commands that begin with one of [compose.oneoff] allowed run, followed only by flags the bot knows for them (such as --days N and --dry-run for tootctl media remove). No shell is involved. Cancelling the job kills and removes the container.\n" +
			"Allowed ([compose.oneoff] allowed): " + allowed,
		Args: []Arg{
			{Name: "SERVICE", Help: "the Compose service whose image and settings to use", Example: "web"},
			{Name: "COMMAND", Help: "the command and its arguments", Rest: true, Example: "tootctl media remove --days 7",
				// The policy is checked as the line is parsed, so that a command that may
				// not run is refused before any question is asked; Run checks it again.
				Check: func(text string) error {
					if err := s.CheckCommand(strings.Fields(text)); err != nil {
						// Only the short message: the parser cuts long ones.
						var oe *ops.Error
						if errors.As(err, &oe) {
							return errors.New(oe.Msg + ` (see "help run")`)
						}
						return err
					}
					return nil
				}},
		},
		Changes: true,
		// A one-off does not touch the service's containers, so it takes no service lock:
		// restarting web while tootctl runs is fine, as with compose. It locks its tootctl
		// subcommand instead, so that two media removals never overlap.
		Locks:   func(inv *Invocation) []string { return []string{oneOffLock(inv.Rest())} },
		Timeout: time.Hour,
		Plan: func(ctx context.Context, inv *Invocation) (string, error) {
			pl, err := s.PlanRun(ctx, inv.Str("SERVICE"), inv.Rest())
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("will run `%s` in a one-off %s container made from %s's configuration (no ports, removed after)", Quote(pl.Command...), pl.Service, pl.Template), nil
		},
		Run: func(ctx context.Context, req *Request) (string, error) {
			cmd := req.Inv.Rest()
			res, err := s.Run(ctx, req.Inv.Str("SERVICE"), cmd, req.Progress)
			text := runText(res, err != nil && ctx.Err() != nil)
			if err == nil && res.ExitCode != 0 {
				err = &ops.Error{Msg: fmt.Sprintf("`%s` exited with code %d", Quote(cmd...), res.ExitCode)}
			}
			return text, err
		},
	}
}

// oneOffLock names what a one-off locks: "tootctl:media" for tootctl media remove.
func oneOffLock(cmd []string) string {
	switch {
	case len(cmd) >= 2 && cmd[0] == "tootctl":
		return "tootctl:" + cmd[1]
	case len(cmd) >= 1:
		return "oneoff:" + cmd[0]
	}
	return "oneoff"
}

// runText is the end of a one-off's output and how it ended; killed tells a one-off
// stopped by cancellation or timeout.
func runText(res *compose.RunResult, killed bool) string {
	if res == nil {
		return ""
	}
	var b strings.Builder
	if killed {
		fmt.Fprintf(&b, "%s was killed and removed after %s", res.Container, roundTook(res.Took))
	} else {
		fmt.Fprintf(&b, "exit code %d after %s — %s, removed", res.ExitCode, roundTook(res.Took), res.Container)
	}
	tail := res.Tail
	if len(tail) > outputLines {
		tail = tail[len(tail)-outputLines:]
	}
	size := 0
	first := len(tail)
	for first > 0 && size+len(tail[first-1])+1 <= outputBytes {
		first--
		size += len(tail[first]) + 1
	}
	tail = tail[first:]
	if left := res.Lines - len(tail); left > 0 {
		fmt.Fprintf(&b, "\nlast %d of %d output lines:", len(tail), res.Lines)
	} else if len(tail) > 0 {
		b.WriteString("\noutput:")
	}
	for _, l := range tail {
		b.WriteString("\n" + l)
	}
	return b.String()
}

func roundTook(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(time.Second)
}
