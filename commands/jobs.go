package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tootops/tootops/jobs"
	"github.com/tootops/tootops/ops"
)

// JobBoard is what the job commands need of the job runner.
type JobBoard interface {
	List(recent int) ([]jobs.Job, error)
	Get(id uint64) (jobs.Job, bool, error)
	Cancel(ctx context.Context, id uint64, by string) (jobs.Job, error)
	HeldLocks() []string
}

const (
	jobsGroup  = "jobs"
	recentJobs = 10
	cancelWait = 30 * time.Second // how long `cancel` waits for the job to clean up
)

var jobArg = Arg{Name: "N", Help: "the job's number, as `jobs` shows it", Kind: Int, Min: 1, Example: "12"}

// Jobs returns the `jobs` command: running and recent jobs, and the locks held.
func Jobs(board JobBoard, now func() time.Time) Command {
	return Command{
		Name:    "jobs",
		Group:   jobsGroup,
		Summary: "list running and recent jobs",
		Help:    "Lists the jobs running now, with their progress, then the last few that ended. Every command that does real work runs as a job with a number: follow it with `job N`, stop it with `cancel N`.",
		Inline:  true,
		Run: func(context.Context, *Request) (string, error) {
			list, err := board.List(recentJobs)
			if err != nil {
				return "", err
			}
			if len(list) == 0 {
				return "no jobs yet", nil
			}
			t := now()
			var b strings.Builder
			for _, j := range list {
				b.WriteString(j.Line1(t) + "\n")
			}
			if held := board.HeldLocks(); len(held) > 0 {
				b.WriteString("locks: " + strings.Join(held, ", ") + "\n")
			}
			return strings.TrimRight(b.String(), "\n"), nil
		},
	}
}

// Job returns the `job N` command: one job in full.
func Job(board JobBoard, now func() time.Time) Command {
	return Command{
		Name:    "job",
		Group:   jobsGroup,
		Summary: "show one job: state, progress, result and the end of its output",
		Args:    []Arg{jobArg},
		Inline:  true,
		Run: func(_ context.Context, req *Request) (string, error) {
			id := uint64(req.Inv.Int("N"))
			j, found, err := board.Get(id)
			if err != nil {
				return "", err
			}
			if !found {
				return "", noJob(id)
			}
			return j.Details(now()), nil
		},
	}
}

// Cancel returns the `cancel N` command. The action's context is cancelled; the reply
// comes once it has cleaned up, and says what it cleaned up.
func Cancel(board JobBoard, now func() time.Time) Command {
	return Command{
		Name:    "cancel",
		Aliases: []string{"kill"},
		Group:   jobsGroup,
		Summary: "stop a running job",
		Help:    "Stops the job and waits up to 30 seconds for it to clean up (abort an upload, remove a one-off container…). The reply says what was cleaned up.",
		Args:    []Arg{jobArg},
		Inline:  true,
		Run: func(ctx context.Context, req *Request) (string, error) {
			id := uint64(req.Inv.Int("N"))
			ctx, cancel := context.WithTimeout(ctx, cancelWait)
			defer cancel()
			j, err := board.Cancel(ctx, id, req.Sender.Acct)
			if err != nil {
				return "", err
			}
			text := fmt.Sprintf("job %d (%s) %s after %s", j.ID, j.Line, j.State, jobs.Round(j.Took(now())))
			if j.Summary != "" {
				text += ": " + j.Summary
			}
			return text, nil
		},
	}
}

func noJob(id uint64) error {
	return &ops.Error{Msg: fmt.Sprintf("no job %d", id), Hint: `send "jobs" to see running and recent jobs`}
}
