package jobs

import (
	"fmt"
	"strings"
	"time"
)

// State is where a job is in its life.
type State string

// The states. A job is created running: tootops does not queue work behind a busy lock,
// it says who holds it (queued exists for records written by other tools and future use).
const (
	Queued      State = "queued"
	Running     State = "running"
	Succeeded   State = "succeeded"
	Failed      State = "failed"
	Cancelled   State = "cancelled"
	Interrupted State = "interrupted"
)

// Finished reports whether the job has ended.
func (s State) Finished() bool { return s != Queued && s != Running }

// Progress is the last progress a job reported.
type Progress struct {
	Done  int64     `json:"done"`
	Total int64     `json:"total,omitempty"`
	Note  string    `json:"note,omitempty"`
	At    time.Time `json:"at"`
}

// Job is the persisted record of one run of a command.
type Job struct {
	ID      uint64 `json:"id"`
	Command string `json:"command"` // the registry name
	Line    string `json:"line"`    // as typed, secrets masked
	Sender  string `json:"sender"`  // the admin's acct, or "schedule:NAME"
	Via     string `json:"via"`     // the transport
	ReplyTo string `json:"reply_to,omitempty"`

	State       State     `json:"state"`
	Locks       []string  `json:"locks,omitempty"`
	Created     time.Time `json:"created"`
	Started     time.Time `json:"started,omitzero"`
	Ended       time.Time `json:"ended,omitzero"`
	Timeout     Duration  `json:"timeout,omitempty"`
	Progress    Progress  `json:"progress,omitzero"`
	Summary     string    `json:"summary,omitempty"`
	Tail        []string  `json:"tail,omitempty"`
	Error       string    `json:"error,omitempty"` // what the sender was told went wrong
	CancelledBy string    `json:"cancelled_by,omitempty"`
	Notified    bool      `json:"notified,omitempty"` // the sender was told of an interruption
}

// Duration is a time.Duration that reads well in the JSON record.
type Duration time.Duration

// Took is how long the job ran, or has run so far.
func (j *Job) Took(now time.Time) time.Duration {
	if j.Started.IsZero() {
		return 0
	}
	if j.Ended.IsZero() {
		return now.Sub(j.Started)
	}
	return j.Ended.Sub(j.Started)
}

// Line1 is the one-line form used in lists: "#12 running backup (alice@…, 3m12s)".
func (j *Job) Line1(now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s %s — %s, ", j.ID, j.State, j.Line, shortAcct(j.Sender))
	if j.State.Finished() {
		fmt.Fprintf(&b, "took %s, %s ago", Round(j.Took(now)), Round(now.Sub(j.Ended)))
	} else {
		fmt.Fprintf(&b, "for %s", Round(j.Took(now)))
		if p := j.Progress.Percent(); p >= 0 {
			fmt.Fprintf(&b, ", %d%%", p)
		}
		if j.Progress.Note != "" {
			fmt.Fprintf(&b, ", %s", j.Progress.Note)
		}
	}
	return b.String()
}

// Percent is the progress in percent, or -1 when the total is unknown.
func (p Progress) Percent() int {
	if p.Total <= 0 {
		return -1
	}
	pc := p.Done * 100 / p.Total
	return int(min(max(pc, 0), 100))
}

// Details is the multi-line form `job N` answers with.
func (j *Job) Details(now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "job %d: %s — %s\n", j.ID, j.Line, j.State)
	fmt.Fprintf(&b, "by %s via %s, started %s", j.Sender, j.Via, j.Started.UTC().Format("2006-01-02 15:04:05Z"))
	if j.State.Finished() {
		fmt.Fprintf(&b, ", took %s", Round(j.Took(now)))
	} else {
		fmt.Fprintf(&b, ", running for %s", Round(j.Took(now)))
		if j.Timeout > 0 {
			fmt.Fprintf(&b, " (timeout %s)", Round(time.Duration(j.Timeout)))
		}
	}
	b.WriteString("\n")
	if len(j.Locks) > 0 {
		fmt.Fprintf(&b, "locks: %s\n", strings.Join(j.Locks, ", "))
	}
	if !j.State.Finished() && (j.Progress.Done > 0 || j.Progress.Note != "") {
		fmt.Fprintf(&b, "progress: %s\n", j.Progress.String())
	}
	if j.CancelledBy != "" {
		fmt.Fprintf(&b, "cancelled by %s\n", j.CancelledBy)
	}
	if j.Error != "" {
		fmt.Fprintf(&b, "error: %s\n", j.Error)
	}
	if j.Summary != "" {
		fmt.Fprintf(&b, "result: %s\n", j.Summary)
	}
	if len(j.Tail) > 0 {
		b.WriteString("output (last lines):\n")
		for _, l := range j.Tail {
			b.WriteString("  " + l + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// String renders progress as "45% 1.2 GB of 2.6 GB, note" style without units: "45% (450/1000) note".
func (p Progress) String() string {
	var parts []string
	if pc := p.Percent(); pc >= 0 {
		parts = append(parts, fmt.Sprintf("%d%% (%d/%d)", pc, p.Done, p.Total))
	} else if p.Done > 0 {
		parts = append(parts, fmt.Sprintf("%d done", p.Done))
	}
	if p.Note != "" {
		parts = append(parts, p.Note)
	}
	return strings.Join(parts, ", ")
}

// Round shortens a duration for people: 3m12s, 2h5m, 45s, 120ms.
func Round(d time.Duration) time.Duration {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute)
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	default:
		return d.Round(time.Millisecond)
	}
}

func shortAcct(acct string) string {
	if user, _, ok := strings.Cut(acct, "@"); ok {
		return user
	}
	return acct
}
