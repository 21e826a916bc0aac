package commands

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tootops/tootops/ops/compose"
)

// LogReader is what logs needs.
type LogReader interface {
	Logs(ctx context.Context, service string, o compose.LogOptions) (*compose.Logs, error)
}

// Logs returns the `logs SERVICE [N] [--since DURATION] [--grep TEXT]` command.
func Logs(s LogReader) Command {
	return Command{
		Name:    "logs",
		Aliases: []string{"log"},
		Group:   servicesGroup,
		Summary: "show the last lines a service logged",
		Help: fmt.Sprintf("The last N lines (default %d) of every container of the service, merged in time order; with several containers each line starts with the container's number (#2). "+
			"--grep looks through the last %d lines of each container for lines that contain the text, in any case, and shows the last N of them. Colours and terminal codes are removed, and the reply is cut to about %d characters, newest lines kept.",
			compose.DefaultLogLines, compose.GrepWindow, compose.DefaultLogBytes),
		Args: []Arg{
			{Name: "SERVICE", Help: "a Compose service such as web or sidekiq", Example: "web"},
			{Name: "N", Help: "how many lines", Kind: Int, Optional: true, Min: 1, Max: compose.MaxLogLines, Example: "50"},
		},
		Flags: []Flag{
			{Name: "since", Kind: Duration, Help: "only lines newer than this, e.g. 10m or 2h"},
			{Name: "grep", Kind: String, Placeholder: "TEXT", Help: "only lines that contain this text (any case)"},
		},
		Timeout: time.Minute,
		Run: func(ctx context.Context, req *Request) (string, error) {
			inv := req.Inv
			o := compose.LogOptions{Lines: int(inv.Int("N")), Since: inv.Duration("since"), Grep: inv.Str("grep")}
			logs, err := s.Logs(ctx, inv.Str("SERVICE"), o)
			if err != nil {
				return "", err
			}
			return logsText(logs, o), nil
		},
	}
}

func logsText(l *compose.Logs, o compose.LogOptions) string {
	var b strings.Builder
	what := l.Service
	if o.Grep != "" {
		what += fmt.Sprintf(", lines with %q", o.Grep)
	}
	if o.Since > 0 {
		what += ", since " + o.Since.String()
	}
	if len(l.Lines) == 0 {
		if o.Grep != "" {
			return fmt.Sprintf("%s: no match in the last %d lines of %s", what, compose.GrepWindow, shortList(l.Containers))
		}
		return fmt.Sprintf("%s: nothing logged (%s)", what, shortList(l.Containers))
	}
	fmt.Fprintf(&b, "%s — %d lines from %s:\n", what, len(l.Lines), shortList(l.Containers))
	multi := len(l.Containers) > 1
	for _, line := range l.Lines {
		if multi {
			b.WriteString("#" + strconv.Itoa(line.Number) + " ")
		}
		b.WriteString(line.Text + "\n")
	}
	if l.Dropped > 0 {
		fmt.Fprintf(&b, "(%d older lines cut to fit a reply; ask for fewer, or narrow with --grep or --since)", l.Dropped)
	}
	return strings.TrimRight(b.String(), "\n")
}
