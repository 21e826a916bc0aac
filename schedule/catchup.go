package schedule

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/state"
)

// catchUpAll settles each entry's missed slot, in entry order. Catch-up runs end early
// when ctx ends or when Stop gives up waiting.
func (s *Scheduler) catchUpAll(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.runCtx, cancel)()
	for _, j := range s.jobs {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("schedule: catch-up: %w", err)
		}
		if err := s.settle(ctx, j); err != nil {
			return err
		}
	}
	return nil
}

// settle compares one entry's record with its schedule. The clock is read per entry,
// not once for all: cron is not running yet, so a slot that falls while an earlier
// entry's catch-up run is going would otherwise be lost.
func (s *Scheduler) settle(ctx context.Context, j *job) error {
	name := j.entry.Name
	var rec record
	var found bool
	err := s.store.View(func(tx *state.Tx) error {
		var err error
		found, err = tx.Get(state.Schedules, []byte(name), &rec)
		return err
	})
	if err != nil {
		return fmt.Errorf("schedule %q: read last run: %w", name, err)
	}
	now := s.now().In(s.loc)
	log := s.log.With().Str("schedule", name).Logger()
	if !found || rec.For.IsZero() {
		// First start ever: nothing can have been missed, but from now on a restart
		// must be able to tell what was.
		if err := s.put(name, record{For: now}); err != nil {
			return fmt.Errorf("schedule %q: record baseline: %w", name, err)
		}
		log.Debug().Time("baseline", now).Msg("schedule baseline recorded")
		return nil
	}
	slot, ok := latestSlot(j.sched, rec.For.In(s.loc), now)
	if !ok {
		return nil
	}
	late := now.Sub(slot)
	if late <= s.catchUp {
		log.Info().Time("for", slot).Dur("late", late).Msg("running missed slot")
		s.runOnce(ctx, j, slot, "catch-up")
		return nil
	}
	missed := record{
		For:     slot,
		Outcome: OutcomeMissed,
		Summary: fmt.Sprintf("missed %s while the bot was down (more than %s ago); not run",
			slotText(slot, now), ops.Duration(s.catchUp)),
	}
	log.Warn().Time("for", slot).Dur("late", late).Dur("catch_up", s.catchUp).
		Msg("missed scheduled run not caught up")
	if err := s.put(name, missed); err != nil {
		return fmt.Errorf("schedule %q: record missed run: %w", name, err)
	}
	return nil
}

// maxSteps bounds the Next calls per look-back window in latestSlot.
const maxSteps = 1000

// latestSlot returns the latest activation of sched that is after `after` and not after
// now. Stepping with Next from `after` itself would take millions of steps for an
// "@every 1s" schedule whose record is a month old, so it steps through windows that
// end at now and double in length (1m, 2m, 4m, …) until one holds an activation or
// reaches back to `after`. Frequent schedules are found in a small window, rare ones in
// a large window with few steps, and each window is capped at maxSteps so no record,
// however old, makes Start loop long.
func latestSlot(sched cron.Schedule, after, now time.Time) (time.Time, bool) {
	gap := now.Sub(after) // saturates instead of overflowing
	if gap <= 0 {
		return time.Time{}, false
	}
	for w := time.Minute; ; {
		whole := w >= gap
		from := now.Add(-w)
		if whole {
			from = after
		}
		var last time.Time
		t := sched.Next(from)
		for n := 0; n < maxSteps && !t.IsZero() && !t.After(now); n++ {
			last = t
			t = sched.Next(t)
		}
		if !last.IsZero() || whole {
			return last, !last.IsZero()
		}
		if w > gap/2 {
			w = gap
		} else {
			w *= 2
		}
	}
}

// slotText shows a slot as the admin thinks of it: "03:00" today, with the date otherwise.
func slotText(slot, now time.Time) string {
	if y, m, d := slot.Date(); now.Year() == y && now.Month() == m && now.Day() == d {
		return slot.Format("15:04")
	}
	return slot.Format("2006-01-02 15:04")
}
