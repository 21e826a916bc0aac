package schedule

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tootops/tootops/state"
)

// Outcome is how the last run of a schedule ended.
type Outcome string

// The outcomes. A record with no outcome is a baseline: the schedule has not run yet.
const (
	OutcomeOK      Outcome = "ok"
	OutcomeFailed  Outcome = "failed"
	OutcomeSkipped Outcome = "skipped"
	OutcomeMissed  Outcome = "missed"
)

// maxSummary bounds the stored summary: the timers list shows it in a toot, and an error
// from a failed backup can carry a whole pg_dump stderr.
const maxSummary = 200

// record is the value stored under a schedule's name in state.Schedules.
type record struct {
	// For is the slot the run was for. Catch-up looks for slots after it; a baseline
	// sets it to the first start so slots before the bot ever ran are not "missed".
	For      time.Time     `json:"for"`
	Start    time.Time     `json:"start,omitzero"` // zero when nothing ran
	Duration time.Duration `json:"duration_ns,omitzero"`
	Outcome  Outcome       `json:"outcome,omitempty"`
	Summary  string        `json:"summary,omitempty"`
}

// job is what cron runs for one entry.
type job struct {
	s     *Scheduler
	entry Entry
	sched cron.Schedule
	id    cron.EntryID // set by New before cron starts
}

var _ cron.Job = (*job)(nil)

// Run is called by cron (through Recover and SkipIfStillRunning). The slot is cron's
// Prev for this entry: cron's loop sets it right after starting the job and answers the
// Entry query only after that, so it is the exact time that fired, not "about now".
func (j *job) Run() {
	slot := j.s.cron.Entry(j.id).Prev
	if slot.IsZero() {
		slot = j.s.now()
	}
	j.s.runOnce(j.s.runCtx, j, slot, "schedule")
}

// runOnce runs the entry for slot, records the result and logs one line. A panic in the
// RunFunc is a failed run: recovering it here, rather than leaving it to cron.Recover,
// keeps catch-up runs (which cron does not wrap) from crashing the bot and lets the
// record say what happened.
func (s *Scheduler) runOnce(ctx context.Context, j *job, slot time.Time, trigger string) {
	start := s.now()
	summary, err := s.call(ctx, j.entry)
	dur := s.now().Sub(start)

	rec := record{For: slot, Start: start, Duration: dur, Outcome: OutcomeOK, Summary: summary}
	log := s.log.With().Str("schedule", j.entry.Name).Str("trigger", trigger).
		Time("for", slot).Dur("duration", dur).Logger()
	ev := log.Info()
	switch {
	case errors.Is(err, ErrSkipped):
		rec.Outcome, rec.Summary = OutcomeSkipped, err.Error()
		ev = ev.Str("reason", err.Error())
	case err != nil:
		rec.Outcome, rec.Summary = OutcomeFailed, err.Error()
		ev = log.Error().Err(err)
	}
	rec.Summary = truncate(strings.TrimSpace(rec.Summary), maxSummary)
	ev.Str("outcome", string(rec.Outcome)).Msg("finished scheduled run")
	if err := s.put(j.entry.Name, rec); err != nil {
		log.Error().Err(err).Msg("cannot record scheduled run")
	}
}

// call runs the RunFunc, turning a panic into an error.
func (s *Scheduler) call(ctx context.Context, e Entry) (summary string, err error) {
	defer func() {
		if r := recover(); r != nil {
			s.log.Error().Str("schedule", e.Name).Str("panic", fmt.Sprint(r)).
				Str("stack", string(debug.Stack())).Msg("panic in scheduled run")
			summary, err = "", fmt.Errorf("panic: %v", r)
		}
	}()
	return s.run(ctx, e)
}

func (s *Scheduler) put(name string, rec record) error {
	return s.store.Update(func(tx *state.Tx) error {
		return tx.Put(state.Schedules, []byte(name), rec)
	})
}

// truncate cuts s to at most n runes, marking the cut with an ellipsis.
func truncate(s string, n int) string {
	if len(s) <= n { // bytes ≥ runes, so this is the common short case
		return s
	}
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
