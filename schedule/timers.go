package schedule

import (
	"fmt"
	"sort"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tootops/tootops/state"
)

// Timer is one schedule with its next and last run, for the timers command and the
// startup summary.
type Timer struct {
	Name, Spec, Line string
	// Next is the next time cron will fire it; zero when the spec can never fire.
	Next time.Time
	// LastRun is when the last run started; zero when it never ran or the last slot
	// was missed.
	LastRun time.Time
	// LastFor is the slot the last outcome was for, e.g. 03:00 for a backup that
	// started at 03:00:01 or for a slot that was missed.
	LastFor      time.Time
	LastOutcome  Outcome // "" when it has not run since the bot first started
	LastSummary  string
	LastDuration time.Duration
}

// Timers returns every schedule sorted by next run, soonest first. Next comes from cron
// while the scheduler runs, so it is exactly what will fire; before Start or after Stop
// it is computed from the spec.
func (s *Scheduler) Timers() ([]Timer, error) {
	s.mu.Lock()
	alive := s.alive
	s.mu.Unlock()
	next := make(map[cron.EntryID]time.Time, len(s.jobs))
	if alive {
		for _, ce := range s.cron.Entries() {
			next[ce.ID] = ce.Next
		}
	} else {
		now := s.now().In(s.loc)
		for _, j := range s.jobs {
			next[j.id] = j.sched.Next(now)
		}
	}

	timers := make([]Timer, 0, len(s.jobs))
	err := s.store.View(func(tx *state.Tx) error {
		for _, j := range s.jobs {
			t := Timer{Name: j.entry.Name, Spec: j.entry.Spec, Line: j.entry.Line, Next: next[j.id]}
			var rec record
			if _, err := tx.Get(state.Schedules, []byte(j.entry.Name), &rec); err != nil {
				return fmt.Errorf("schedule %q: read last run: %w", j.entry.Name, err)
			}
			if rec.Outcome != "" { // a baseline is not a run
				t.LastRun, t.LastFor = inLoc(rec.Start, s.loc), inLoc(rec.For, s.loc)
				t.LastOutcome, t.LastSummary, t.LastDuration = rec.Outcome, rec.Summary, rec.Duration
			}
			timers = append(timers, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(timers, func(a, b int) bool {
		na, nb := timers[a].Next, timers[b].Next
		switch {
		case na.IsZero() != nb.IsZero():
			return nb.IsZero() // never-firing schedules last
		case !na.Equal(nb):
			return na.Before(nb)
		default:
			return timers[a].Name < timers[b].Name
		}
	})
	return timers, nil
}

// inLoc shows a stored time in the schedules' zone, leaving a zero time zero.
func inLoc(t time.Time, loc *time.Location) time.Time {
	if t.IsZero() {
		return t
	}
	return t.In(loc)
}
