// Package audit keeps the record of what was asked of the bot and what came of it:
// every command, refusal, confirmation, cancellation and scheduled run, appended to the
// state store and written as a structured log line.
package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/state"
)

// Kind is what an entry records.
type Kind string

// The kinds of entries.
const (
	Command      Kind = "command"      // a command ran (or was refused by its grammar)
	Refusal      Kind = "refusal"      // a message from someone not allowed
	Confirmation Kind = "confirmation" // proposed, confirmed, approved, withdrawn or expired
	Cancellation Kind = "cancellation" // a job cancelled
	Scheduled    Kind = "schedule"     // a scheduled run
)

// Entry is one audit record. Line has secrets masked before it gets here.
type Entry struct {
	ID       uint64        `json:"id"`
	At       time.Time     `json:"at"`
	Kind     Kind          `json:"kind"`
	Who      string        `json:"who"`
	Via      string        `json:"via,omitempty"`
	Line     string        `json:"line,omitempty"`
	Outcome  string        `json:"outcome"`
	Duration time.Duration `json:"duration,omitempty"`
	JobID    uint64        `json:"job,omitempty"`
	Detail   string        `json:"detail,omitempty"`
}

// Log appends entries to the store and the process log.
type Log struct {
	store *state.Store
	log   zerolog.Logger
	now   func() time.Time
	keep  int
}

// DefaultKeep is how many entries are kept; older ones are dropped as new ones come.
const DefaultKeep = 10000

// New returns an audit log over the store. now may be nil (time.Now).
func New(store *state.Store, log zerolog.Logger, now func() time.Time) *Log {
	if now == nil {
		now = time.Now
	}
	return &Log{store: store, log: log.With().Str("component", "audit").Logger(), now: now, keep: DefaultKeep}
}

// SetKeep changes how many entries are kept (default DefaultKeep).
func (l *Log) SetKeep(n int) {
	if n > 0 {
		l.keep = n
	}
}

// Record appends e (its ID and, when zero, its time are filled in) and logs it. A store
// failure is logged, not returned: the audit trail must never stop the command itself.
func (l *Log) Record(e Entry) Entry {
	if e.At.IsZero() {
		e.At = l.now()
	}
	err := l.store.Update(func(tx *state.Tx) error {
		id, err := tx.NextID(state.Audit)
		if err != nil {
			return err
		}
		e.ID = id
		if err := tx.Put(state.Audit, state.IDKey(id), e); err != nil {
			return err
		}
		// Keep the log bounded: drop the oldest entry once past the limit. IDs are
		// dense, so the entry to drop is known without a scan.
		if id > uint64(l.keep) {
			return tx.Delete(state.Audit, state.IDKey(id-uint64(l.keep)))
		}
		return nil
	})
	ev := l.log.Info()
	if err != nil {
		ev = l.log.Error().AnErr("store_error", err)
	}
	ev.Uint64("audit", e.ID).Str("kind", string(e.Kind)).Str("who", e.Who).Str("via", e.Via).
		Str("line", e.Line).Str("outcome", e.Outcome).Dur("duration", e.Duration).
		Uint64("job", e.JobID).Str("detail", e.Detail).Msg("audit")
	return e
}

// Last returns the last n entries, newest first.
func (l *Log) Last(n int) ([]Entry, error) {
	var out []Entry
	err := l.store.View(func(tx *state.Tx) error {
		return tx.Scan(state.Audit, true, func(r state.Record) (bool, error) {
			var e Entry
			if err := r.Decode(&e); err != nil {
				return false, err
			}
			out = append(out, e)
			return len(out) < n, nil
		})
	})
	return out, err
}

// String renders an entry on one line for the `audit` command.
func (e Entry) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s", e.At.UTC().Format("01-02 15:04Z"), e.Kind, e.Who)
	if e.Line != "" {
		fmt.Fprintf(&b, " %q", e.Line)
	}
	fmt.Fprintf(&b, " → %s", e.Outcome)
	if e.JobID != 0 {
		fmt.Fprintf(&b, " (job %d)", e.JobID)
	}
	if d := e.Duration.Round(time.Millisecond); d > 0 {
		fmt.Fprintf(&b, " in %s", d)
	}
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	return b.String()
}
