// Package upgrade is the guided Mastodon upgrade: the runbook's longest page as a state
// machine whose every step is written to the state file before it starts, so that a stop
// of the bot, a failure or an admin's abort leaves a known state and a way on.
//
// The steps (research/mastodon-upgrade.md §7): pull the new images, back up and verify,
// announce, maintenance on when the plan needs downtime, pre-deployment migrations in a
// one-off container of the new image, recreate the services on it and rewrite the image
// lines of the compose file, post-deployment migrations, the release's tootctl tasks,
// static assets for nginx, health, maintenance off, the completion toot and a report.
// A failure before the post-deployment migrations puts the old images back; after them
// maintenance stays on and the admins get the backup key and the restore command.
package upgrade

import (
	"fmt"
	"strings"
	"time"

	"github.com/tootops/tootops/state"
)

// Kind is what a step does.
type Kind string

// The kinds of steps, in the order a run takes them.
const (
	Pull           Kind = "pull"
	Backup         Kind = "backup"
	Announce       Kind = "announce"
	MaintenanceOn  Kind = "maintenance on"
	PreMigrate     Kind = "pre-deployment migrations"
	Recreate       Kind = "recreate"
	ComposeFile    Kind = "compose file"
	PostMigrate    Kind = "post-deployment migrations"
	ReleaseTasks   Kind = "release tasks"
	Assets         Kind = "assets"
	Health         Kind = "health"
	MaintenanceOff Kind = "maintenance off"
	Complete       Kind = "completion toot"
)

// StepStatus is where a step stands.
type StepStatus string

// Step statuses.
const (
	Pending StepStatus = "pending"
	Running StepStatus = "running"
	Done    StepStatus = "done"
	Failed  StepStatus = "failed"
	Skipped StepStatus = "skipped"
)

// Step is one step of a run; Version is the hop it belongs to ("" for run-wide steps).
type Step struct {
	Kind     Kind          `json:"kind"`
	Version  string        `json:"version,omitempty"`
	Status   StepStatus    `json:"status"`
	Started  time.Time     `json:"started,omitzero"`
	Took     time.Duration `json:"took,omitempty"`
	Detail   string        `json:"detail,omitempty"`
	Output   []string      `json:"output,omitempty"` // the last lines of a program's output, on failure
	Attempts int           `json:"attempts,omitempty"`
}

// Name is how a step is shown: "pull v4.5.1", "health".
func (s Step) Name() string {
	if s.Version == "" {
		return string(s.Kind)
	}
	return string(s.Kind) + " " + s.Version
}

// irreversible says whether a step changes the database in a way old images cannot run
// on: from the post-deployment migrations on, going back needs a restore.
func (k Kind) irreversible() bool {
	switch k {
	case PostMigrate, ReleaseTasks, Assets, Health, MaintenanceOff, Complete:
		return true
	}
	return false
}

// RunState is where a run stands.
type RunState string

// Run states.
const (
	InProgress RunState = "running"
	Succeeded  RunState = "succeeded"
	RolledBack RunState = "rolled back" // failed before the point of no return; the old version runs
	HandedOver RunState = "handed over" // failed after it; maintenance on, a person decides
	Aborted    RunState = "aborted"
)

// Run is one upgrade, as persisted.
type Run struct {
	ID       uint64   `json:"id"` // the job that started it
	By       string   `json:"by"`
	From     string   `json:"from"`
	To       string   `json:"to"`
	Hops     []string `json:"hops"`
	Downtime bool     `json:"downtime"`
	Reasons  []string `json:"downtime_reasons,omitempty"`
	NotesURL string   `json:"notes_url,omitempty"`
	// Images are the image refs per service before (Old) and for each hop (New[hop]).
	Old map[string]string            `json:"old_images"`
	New map[string]map[string]string `json:"new_images"`
	// ComposeFile is the file whose image lines are rewritten, with its bytes before.
	ComposeFile     string    `json:"compose_file,omitempty"`
	Tootctl         []string  `json:"tootctl,omitempty"`
	Steps           []Step    `json:"steps"`
	State           RunState  `json:"state"`
	Started         time.Time `json:"started"`
	Ended           time.Time `json:"ended,omitzero"`
	BackupKey       string    `json:"backup_key,omitempty"`
	Announcement    string    `json:"announcement,omitempty"`
	MaintenanceMine bool      `json:"maintenance_mine,omitempty"` // the run turned it on
	Failure         string    `json:"failure,omitempty"`
	Handover        string    `json:"handover,omitempty"`
}

// current finds the step to run next (a running one means the bot stopped during it).
func (r *Run) current() int {
	for i, s := range r.Steps {
		if s.Status != Done && s.Status != Skipped {
			return i
		}
	}
	return len(r.Steps)
}

// pastNoReturn says whether a step that changes the database for good has started.
func (r *Run) pastNoReturn() bool {
	for _, s := range r.Steps {
		if s.Kind.irreversible() && s.Status != Pending {
			return true
		}
	}
	return false
}

// Report is the DM report: each step's outcome and duration.
func (r *Run) Report() string {
	var b strings.Builder
	fmt.Fprintf(&b, "upgrade %s → %s: %s", r.From, r.To, r.State)
	if !r.Ended.IsZero() {
		fmt.Fprintf(&b, " in %s", round(r.Ended.Sub(r.Started)))
	}
	for _, s := range r.Steps {
		mark := map[StepStatus]string{Done: "✓", Failed: "✗", Skipped: "–", Running: "…", Pending: "·"}[s.Status]
		fmt.Fprintf(&b, "\n%s %s", mark, s.Name())
		if s.Took > 0 {
			fmt.Fprintf(&b, " (%s)", round(s.Took))
		}
		if s.Detail != "" {
			fmt.Fprintf(&b, ": %s", s.Detail)
		}
	}
	if r.Failure != "" {
		fmt.Fprintf(&b, "\nfailure: %s", r.Failure)
	}
	if r.Handover != "" {
		fmt.Fprintf(&b, "\n%s", r.Handover)
	}
	return b.String()
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// runKey is where the current (or last) run is kept.
var runKey = []byte("upgrade.run")

// save writes the run.
func save(store *state.Store, r *Run) error {
	return store.Update(func(tx *state.Tx) error { return tx.Put(state.Meta, runKey, r) })
}

// load reads the last run, if any.
func load(store *state.Store) (*Run, bool, error) {
	var r Run
	var ok bool
	err := store.View(func(tx *state.Tx) error {
		var err error
		ok, err = tx.Get(state.Meta, runKey, &r)
		return err
	})
	if err != nil || !ok {
		return nil, false, err
	}
	return &r, true, nil
}
