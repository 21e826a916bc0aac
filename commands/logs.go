package commands

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tootops/tootops/jobs"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// LogReader is what logs needs.
type LogReader interface {
	Logs(ctx context.Context, service string, o compose.LogOptions) (*compose.Logs, error)
}

// LogFollower is what logs --follow needs besides; a LogReader that lacks it cannot
// follow. *compose.Project and compose.Unconfigured have it.
type LogFollower interface {
	FollowLogs(ctx context.Context, service string, o compose.FollowOptions, p ops.Progress) (*compose.Followed, error)
}

// Time limits of logs: the job's, which --follow runs until unless cancelled first (the
// config's [jobs.timeouts] logs overrides it), and reading the last lines without --follow.
const (
	followTimeout = 10 * time.Minute
	readTimeout   = time.Minute
)

// Logs returns the `logs SERVICE [N] [--since DURATION] [--grep TEXT] [--follow]` command.
func Logs(s LogReader) Command {
	return Command{
		Name:    "logs",
		Aliases: []string{"log"},
		Group:   servicesGroup,
		Summary: "show the last lines a service logged, or follow them",
		Help: fmt.Sprintf("The last N lines (default %d) of every container of the service, merged in time order; with several containers each line starts with the container's number (#2). "+
			"--grep looks through the last %d lines of each container for lines that contain the text, in any case, and shows the last N of them. Colours and terminal codes are removed, and the reply is cut to about %d characters, newest lines kept.\n"+
			"--follow keeps reading, like docker compose logs --follow: the job's progress reply, edited in place, shows the newest lines (those with the --grep text, if given), across restarts and recreations of the containers and new replicas. "+
			"It runs until cancelled (cancel JOB) or for %s, the job's time limit ([jobs.timeouts] logs changes it); the reply then says how long it followed and how many lines it saw and matched, and shows the last N.",
			compose.DefaultLogLines, compose.GrepWindow, compose.DefaultLogBytes, minutes(followTimeout)),
		Args: []Arg{
			{Name: "SERVICE", Help: "a Compose service such as web or sidekiq", Example: "web"},
			{Name: "N", Help: "how many lines", Kind: Int, Optional: true, Min: 1, Max: compose.MaxLogLines, Example: "50"},
		},
		Flags: []Flag{
			{Name: "since", Kind: Duration, Help: "only lines newer than this, e.g. 10m or 2h"},
			{Name: "grep", Kind: String, Placeholder: "TEXT", Help: "only lines that contain this text (any case)"},
			{Name: "follow", Kind: Bool, Help: fmt.Sprintf("keep reading new lines until cancelled, or for %s ([jobs.timeouts] logs)", minutes(followTimeout))},
		},
		Timeout: followTimeout,
		Run: func(ctx context.Context, req *Request) (string, error) {
			inv := req.Inv
			if inv.Bool("follow") {
				return followLogs(ctx, s, req)
			}
			ctx, cancel := context.WithTimeoutCause(ctx, readTimeout, errReadTimeout)
			defer cancel()
			o := compose.LogOptions{Lines: int(inv.Int("N")), Since: inv.Duration("since"), Grep: inv.Str("grep")}
			logs, err := s.Logs(ctx, inv.Str("SERVICE"), o)
			if err != nil {
				if errors.Is(context.Cause(ctx), errReadTimeout) {
					err = &ops.Error{Msg: fmt.Sprintf("reading the logs took more than %s", readTimeout), Hint: "ask for fewer lines, or narrow with --since", Err: err}
				}
				return "", err
			}
			return logsText(logs, o), nil
		},
	}
}

var errReadTimeout = errors.New("logs: read timeout")

// followLogs runs logs --follow until the job is cancelled or times out. Reaching the time
// limit is how following ends, not a failure; a cancel ends the job as cancelled, its
// reply still saying what was followed.
func followLogs(ctx context.Context, s LogReader, req *Request) (string, error) {
	inv := req.Inv
	f, ok := s.(LogFollower)
	if !ok {
		req.Progress.Done()
		return "", &ops.Error{Msg: "this bot cannot follow logs", Hint: "leave out --follow"}
	}
	o := compose.FollowOptions{Lines: int(inv.Int("N")), Since: inv.Duration("since"), Grep: inv.Str("grep")}
	if req.JobID != 0 {
		o.Hint = fmt.Sprintf("cancel %d stops it", req.JobID)
	}
	res, err := f.FollowLogs(ctx, inv.Str("SERVICE"), o, req.Progress)
	if res == nil {
		return "", err
	}
	until := ""
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		until = "until its time limit ([jobs.timeouts] logs)"
		err = nil
	case errors.Is(err, context.Canceled):
		until = "until cancelled"
	}
	return followText(res, o, until), err
}

// followText says what logs --follow saw: for how long, how many lines (and matches), the
// restarts and new containers followed across, and the last lines.
func followText(f *compose.Followed, o compose.FollowOptions, until string) string {
	var b strings.Builder
	b.WriteString(f.Service)
	if o.Grep != "" {
		fmt.Fprintf(&b, ", lines with %q", o.Grep)
	}
	fmt.Fprintf(&b, " — followed %s for %s", shortList(f.Containers), jobs.Round(f.Took))
	if until != "" {
		b.WriteString(" " + until)
	}
	fmt.Fprintf(&b, ": %d new %s", f.Seen, plural(f.Seen, "line"))
	if o.Grep != "" {
		fmt.Fprintf(&b, ", %d matching", f.Matched)
	}
	if f.Restarts > 0 {
		fmt.Fprintf(&b, "; across %d %s", f.Restarts, plural(f.Restarts, "restart"))
	}
	if f.Joined > 0 {
		fmt.Fprintf(&b, "; %d new %s", f.Joined, plural(f.Joined, "container"))
	}
	if len(f.Lines) == 0 {
		if o.Grep != "" {
			b.WriteString(". No line matched.")
		} else {
			b.WriteString(". Nothing was logged.")
		}
		return b.String()
	}
	fmt.Fprintf(&b, ". The last %d:\n", len(f.Lines))
	for _, line := range f.Lines {
		if f.Replicas > 1 {
			b.WriteString("#" + strconv.Itoa(line.Number) + " ")
		}
		b.WriteString(line.Text + "\n")
	}
	if f.Dropped > 0 {
		fmt.Fprintf(&b, "(%d older lines cut to fit a reply)", f.Dropped)
	}
	return strings.TrimRight(b.String(), "\n")
}

func minutes(d time.Duration) string {
	return strconv.Itoa(int(d.Minutes())) + " minutes"
}

func plural[N int | int64](n N, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
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
