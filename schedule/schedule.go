package schedule

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/state"
)

// Entry is one named schedule: when it fires and the command line the bot runs then.
type Entry struct {
	Name string // "backup"; also the key of its record in the state file
	Spec string // "0 3 * * *" or "@daily", read by config.CronParser
	Line string // "backup", the same command line an admin would DM
	// Report is how the result of a successful run is posted: "public", "unlisted",
	// "private", "direct" (to the admins); "" or "none" posts nothing.
	Report string
	// AlertFailure sends the admins a direct message when a run fails.
	AlertFailure bool
}

// RunFunc runs one scheduled command line and returns a short result summary. It returns
// an error wrapping ErrSkipped (e.g. its lock was held) when it chose not to run.
type RunFunc func(ctx context.Context, e Entry) (summary string, err error)

// ErrSkipped is wrapped by a RunFunc error to say the run was not attempted, which is
// recorded as "skipped" rather than "failed": a nightly backup that found a manual backup
// already running did nothing wrong.
var ErrSkipped = errors.New("skipped")

// DefaultCatchUp is how late a missed slot may still be run when Options.CatchUp is zero.
const DefaultCatchUp = time.Hour

// Options configures a Scheduler.
type Options struct {
	Store   *state.Store
	Log     zerolog.Logger
	Entries []Entry
	Run     RunFunc
	// CatchUp is how long after a missed slot Start still runs it; older slots are
	// recorded as missed. Zero means DefaultCatchUp.
	CatchUp time.Duration
	// Now is the clock of the catch-up logic and of recorded times; nil means time.Now.
	// Cron itself always fires on the real clock.
	Now func() time.Time
	// Location is the time zone specs are read in; nil means time.Local.
	Location *time.Location
}

// Scheduler runs named schedules on cron and records how each run went.
type Scheduler struct {
	store   *state.Store
	log     zerolog.Logger
	run     RunFunc
	catchUp time.Duration
	now     func() time.Time
	loc     *time.Location
	cron    *cron.Cron
	jobs    []*job // in Options.Entries order

	mu         sync.Mutex
	started    bool
	stopped    bool
	alive      bool
	cancelRuns context.CancelFunc
	// runCtx is the context of cron-started runs. It is set by Start before cron starts
	// and only read by runs, so it needs no lock.
	runCtx context.Context
	// busy counts Start's catch-up phase so that a Stop from another goroutine waits for
	// it the way it waits for cron's runs.
	busy sync.WaitGroup
}

// New checks every entry and prepares their cron jobs; nothing runs before Start. All
// problems are reported at once, each naming its entry.
func New(o Options) (*Scheduler, error) {
	var errs []error
	if o.Store == nil {
		errs = append(errs, errors.New("schedule: no state store"))
	}
	if o.Run == nil {
		errs = append(errs, errors.New("schedule: no run function"))
	}
	if o.CatchUp < 0 {
		errs = append(errs, fmt.Errorf("schedule: negative catch-up window %s", o.CatchUp))
	}
	s := &Scheduler{
		store:   o.Store,
		log:     o.Log.With().Str("component", "schedule").Logger(),
		run:     o.Run,
		catchUp: o.CatchUp,
		now:     o.Now,
		loc:     o.Location,
	}
	if s.catchUp == 0 {
		s.catchUp = DefaultCatchUp
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		s.loc = time.Local
	}
	adapter := cronLogger{log: s.log}
	s.cron = cron.New(
		cron.WithParser(config.CronParser),
		cron.WithLocation(s.loc),
		cron.WithLogger(adapter),
		cron.WithChain(cron.Recover(adapter), cron.SkipIfStillRunning(adapter)),
	)
	seen := make(map[string]bool, len(o.Entries))
	for i, e := range o.Entries {
		if e.Name == "" {
			errs = append(errs, fmt.Errorf("schedule #%d: no name", i+1))
			continue
		}
		if seen[e.Name] {
			errs = append(errs, fmt.Errorf("schedule %q: defined twice", e.Name))
			continue
		}
		seen[e.Name] = true
		sched, err := parse(e.Spec)
		if err != nil {
			errs = append(errs, fmt.Errorf("schedule %q: bad spec %q: %w", e.Name, e.Spec, err))
			continue
		}
		j := &job{s: s, entry: e, sched: sched}
		// Schedule rather than AddJob: the spec is parsed once, here, by the same parser
		// cron was given, so what was validated is exactly what fires.
		j.id = s.cron.Schedule(sched, j)
		s.jobs = append(s.jobs, j)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return s, nil
}

// parse reads spec with the config's parser. robfig/cron v3.0.1 panics on some malformed
// time zone prefixes; that must be a validation error, not a crash at startup.
func parse(spec string) (sched cron.Schedule, err error) {
	defer func() {
		if r := recover(); r != nil {
			sched, err = nil, fmt.Errorf("unreadable spec (%v)", r)
		}
	}()
	return config.CronParser.Parse(spec)
}

// Start first settles slots missed while the bot was down (see the package doc), then
// starts cron. Catch-up runs happen here, one after another, so Start returns only when
// they are done; ctx bounds them. Runs started later by cron are not bound by ctx but by
// Stop, so that a shutdown can let a running backup finish.
func (s *Scheduler) Start(ctx context.Context) error {
	s.mu.Lock()
	switch {
	case s.stopped:
		s.mu.Unlock()
		return errors.New("schedule: start after stop")
	case s.started:
		s.mu.Unlock()
		return errors.New("schedule: already started")
	}
	s.started = true
	s.runCtx, s.cancelRuns = context.WithCancel(context.WithoutCancel(ctx))
	s.busy.Add(1)
	s.mu.Unlock()

	err := s.catchUpAll(ctx)
	s.busy.Done()

	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		return err
	}
	if s.stopped {
		return errors.New("schedule: stopped while starting")
	}
	s.cron.Start()
	s.alive = true
	next := make(map[cron.EntryID]time.Time)
	for _, ce := range s.cron.Entries() {
		next[ce.ID] = ce.Next
	}
	for _, j := range s.jobs {
		s.log.Info().Str("schedule", j.entry.Name).Str("spec", j.entry.Spec).
			Time("next", next[j.id]).Msg("schedule armed")
	}
	return nil
}

// Stop stops cron from starting runs and waits for the running ones (and a catch-up in
// Start) to finish. When ctx ends first, the runs' context is cancelled and Stop returns
// without waiting further. Stopping a scheduler that never started is fine.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	s.alive = false
	cancel := s.cancelRuns
	s.mu.Unlock()
	if cancel == nil {
		cancel = func() {}
	}

	cronDone := s.cron.Stop()
	done := make(chan struct{})
	go func() {
		<-cronDone.Done()
		s.busy.Wait()
		close(done)
	}()
	select {
	case <-done:
		cancel()
		return nil
	case <-ctx.Done():
		cancel()
		return fmt.Errorf("schedule: runs still going at stop: %w", ctx.Err())
	}
}

// Alive reports whether the scheduler has started and not been stopped, for health checks.
func (s *Scheduler) Alive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.alive
}
