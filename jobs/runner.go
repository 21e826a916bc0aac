package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/state"
)

// Defaults.
const (
	DefaultTimeout = 10 * time.Minute
	DefaultKeep    = 500 // finished jobs kept in the store
	tailLines      = 20
	summaryRunes   = 200
	// saveEvery bounds how often progress is written to the store: the living reply
	// is what the admin watches; the record only needs to be roughly current.
	saveEvery = 5 * time.Second
)

var (
	errCancelled = errors.New("cancelled by an admin")
	errShutdown  = errors.New("the bot is shutting down")
)

// Options configure a Runner.
type Options struct {
	Store          *state.Store
	Log            zerolog.Logger
	Now            func() time.Time // nil means time.Now
	DefaultTimeout time.Duration    // for specs without one
	Keep           int              // finished jobs kept; 0 means DefaultKeep
}

// Spec is a job to start.
type Spec struct {
	Command string // registry name
	Line    string // as typed, secrets masked
	Sender  string
	Via     string
	ReplyTo string
	Locks   []Request
	Timeout time.Duration
	// Progress makes, for the job's id, what receives the action's reports (the
	// transport's living reply); nil for none.
	Progress func(job uint64) ops.Progress
	// Run is the action. Its text becomes the result; when it fails or is cancelled, its
	// text says what it cleaned up.
	Run func(ctx context.Context, job uint64, p ops.Progress) (string, error)
}

// Result is how a job ended.
type Result struct {
	Job  Job
	Text string // the action's text
	Err  error  // the action's error (full chain; for the log)
}

// Runner starts, tracks, cancels and records jobs.
type Runner struct {
	store    *state.Store
	log      zerolog.Logger
	now      func() time.Time
	timeout  time.Duration
	keep     int
	locks    *Locks
	base     context.Context
	stopBase context.CancelCauseFunc
	wg       sync.WaitGroup

	mu   sync.Mutex
	live map[uint64]*live
}

type live struct {
	mu     sync.Mutex
	job    Job
	saved  time.Time
	cancel context.CancelCauseFunc
	done   chan struct{}
}

// New opens the runner over the store. Jobs found running or queued were cut off by a
// crash or restart: they are marked interrupted, never re-run, and returned with every
// other interrupted job whose sender has not been told yet, so the bot can tell them.
func New(o Options) (*Runner, []Job, error) {
	r := &Runner{
		store:   o.Store,
		log:     o.Log.With().Str("component", "jobs").Logger(),
		now:     o.Now,
		timeout: o.DefaultTimeout,
		keep:    o.Keep,
		locks:   NewLocks(),
		live:    make(map[uint64]*live),
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.timeout <= 0 {
		r.timeout = DefaultTimeout
	}
	if r.keep <= 0 {
		r.keep = DefaultKeep
	}
	r.base, r.stopBase = context.WithCancelCause(context.Background())
	var untold []Job
	err := r.store.Update(func(tx *state.Tx) error {
		var cut []Job
		err := tx.Scan(state.Jobs, false, func(rec state.Record) (bool, error) {
			var j Job
			if err := rec.Decode(&j); err != nil {
				return false, err
			}
			switch {
			case !j.State.Finished():
				j.State, j.Ended = Interrupted, r.now()
				j.Error = "interrupted: the bot stopped while it ran; it was not re-run"
				cut = append(cut, j)
				untold = append(untold, j)
			case j.State == Interrupted && !j.Notified:
				untold = append(untold, j)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, j := range cut {
			if err := tx.Put(state.Jobs, state.IDKey(j.ID), j); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, fmt.Errorf("jobs: recover: %w", err)
	}
	for _, j := range untold {
		r.log.Warn().Uint64("job", j.ID).Str("command", j.Command).Str("sender", j.Sender).Msg("job was interrupted by a restart")
	}
	return r, untold, nil
}

// Start takes the spec's locks and runs it in the background. The returned channel
// yields the result once, when the job has ended and its record is saved.
func (r *Runner) Start(spec Spec) (Job, <-chan Result, error) {
	if r.base.Err() != nil {
		return Job{}, nil, &ops.Error{Msg: "the bot is shutting down; try again when it is back"}
	}
	now := r.now()
	timeout := spec.Timeout
	if timeout <= 0 {
		timeout = r.timeout
	}
	job := Job{
		Command: spec.Command, Line: spec.Line, Sender: spec.Sender, Via: spec.Via, ReplyTo: spec.ReplyTo,
		State: Running, Locks: LockNames(spec.Locks), Created: now, Started: now, Timeout: Duration(timeout),
	}
	// The id comes first, so the lock table can name the holder by it.
	err := r.store.Update(func(tx *state.Tx) error {
		id, err := tx.NextID(state.Jobs)
		job.ID = id
		return err
	})
	if err != nil {
		return Job{}, nil, fmt.Errorf("jobs: new id: %w", err)
	}
	holder := Holder{JobID: job.ID, Sender: job.Sender, Line: job.Line, Since: now}
	if err := r.locks.Acquire(holder, spec.Locks, now); err != nil {
		return Job{}, nil, err
	}
	// Persisted before the action starts: after a crash the record says it was running.
	if err := r.save(job); err != nil {
		r.locks.Release(job.ID)
		return Job{}, nil, err
	}
	ctx, cancel := context.WithCancelCause(r.base)
	l := &live{job: job, saved: now, cancel: cancel, done: make(chan struct{})}
	r.mu.Lock()
	r.live[job.ID] = l
	r.mu.Unlock()

	results := make(chan Result, 1)
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer close(l.done)
		res := r.execute(ctx, l, spec, timeout)
		r.mu.Lock()
		delete(r.live, job.ID)
		r.mu.Unlock()
		r.locks.Release(job.ID)
		cancel(nil)
		results <- res
	}()
	r.log.Info().Uint64("job", job.ID).Str("command", job.Command).Str("sender", job.Sender).Msg("job started")
	return job, results, nil
}

// execute runs the action and records how it ended.
func (r *Runner) execute(ctx context.Context, l *live, spec Spec, timeout time.Duration) Result {
	tctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	p := &recorder{r: r, l: l}
	if spec.Progress != nil {
		p.next = spec.Progress(l.job.ID)
	}
	text, err := r.call(tctx, l, spec, p)
	p.finish()

	l.mu.Lock()
	j := l.job
	l.mu.Unlock()
	j.Ended = r.now()
	j.Summary, j.Tail = summarize(text)
	switch cause := context.Cause(ctx); {
	case err == nil:
		j.State = Succeeded
	case errors.Is(cause, errCancelled):
		j.State, j.Error = Cancelled, "cancelled by "+j.CancelledBy
	case errors.Is(cause, errShutdown):
		j.State, j.Error = Interrupted, "interrupted: the bot shut down while it ran; it was not re-run"
	case errors.Is(tctx.Err(), context.DeadlineExceeded) && errors.Is(err, context.DeadlineExceeded):
		j.State, j.Error = Failed, fmt.Sprintf("timed out after %s", Round(timeout))
	default:
		j.State, j.Error = Failed, ops.SafeText(err)
	}
	if serr := r.save(j); serr != nil {
		r.log.Error().Err(serr).Uint64("job", j.ID).Msg("job record not saved")
	}
	r.prune()
	ev := r.log.Info()
	if err != nil {
		ev = r.log.Warn().Err(err)
	}
	ev.Uint64("job", j.ID).Str("command", j.Command).Str("state", string(j.State)).Dur("took", j.Took(j.Ended)).Msg("job ended")
	return Result{Job: j, Text: text, Err: err}
}

// call runs the action, turning a panic into an error so one bad action cannot take the
// bot down with its locks held.
func (r *Runner) call(ctx context.Context, l *live, spec Spec, p ops.Progress) (text string, err error) {
	defer func() {
		if v := recover(); v != nil {
			r.log.Error().Str("command", spec.Command).Str("panic", fmt.Sprint(v)).Stack().Msg("job panicked")
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return spec.Run(ctx, l.job.ID, p)
}

// Cancel stops a running job and waits (until ctx ends) for it to clean up.
func (r *Runner) Cancel(ctx context.Context, id uint64, by string) (Job, error) {
	r.mu.Lock()
	l, ok := r.live[id]
	r.mu.Unlock()
	if !ok {
		j, found, err := r.Get(id)
		switch {
		case err != nil:
			return Job{}, err
		case !found:
			return Job{}, &ops.Error{Msg: fmt.Sprintf("no job %d", id), Hint: `send "jobs" to see running and recent jobs`}
		default:
			return j, &ops.Error{Msg: fmt.Sprintf("job %d has already ended (%s)", id, j.State)}
		}
	}
	l.mu.Lock()
	if l.job.CancelledBy == "" {
		l.job.CancelledBy = by
	}
	l.mu.Unlock()
	l.cancel(errCancelled)
	select {
	case <-l.done:
	case <-ctx.Done():
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.job, &ops.Error{Msg: fmt.Sprintf("job %d was told to stop and is still cleaning up", id), Hint: fmt.Sprintf(`send "job %d" to follow it`, id)}
	}
	j, _, err := r.Get(id)
	return j, err
}

// Get returns a job by id: the live copy while it runs, else the record.
func (r *Runner) Get(id uint64) (Job, bool, error) {
	r.mu.Lock()
	l, ok := r.live[id]
	r.mu.Unlock()
	if ok {
		l.mu.Lock()
		defer l.mu.Unlock()
		return l.job, true, nil
	}
	var j Job
	var found bool
	err := r.store.View(func(tx *state.Tx) error {
		var err error
		found, err = tx.Get(state.Jobs, state.IDKey(id), &j)
		return err
	})
	return j, found, err
}

// List returns the running jobs, then up to recent finished ones, newest first.
func (r *Runner) List(recent int) ([]Job, error) {
	var running, done []Job
	err := r.store.View(func(tx *state.Tx) error {
		return tx.Scan(state.Jobs, true, func(rec state.Record) (bool, error) {
			var j Job
			if err := rec.Decode(&j); err != nil {
				return false, err
			}
			if !j.State.Finished() {
				running = append(running, j)
			} else if len(done) < recent {
				done = append(done, j)
			}
			return true, nil
		})
	})
	if err != nil {
		return nil, err
	}
	for i, j := range running {
		if live, ok, _ := r.Get(j.ID); ok {
			running[i] = live
		}
	}
	return append(running, done...), nil
}

// MarkNotified records that a job's sender was told it was interrupted.
func (r *Runner) MarkNotified(id uint64) error {
	return r.store.Update(func(tx *state.Tx) error {
		var j Job
		ok, err := tx.Get(state.Jobs, state.IDKey(id), &j)
		if err != nil || !ok {
			return err
		}
		j.Notified = true
		return tx.Put(state.Jobs, state.IDKey(id), j)
	})
}

// Locks is the lock table, for `jobs`.
func (r *Runner) Locks() *Locks { return r.locks }

// Running is the number of jobs running now.
func (r *Runner) Running() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.live)
}

// Close stops taking jobs, tells running ones to stop, and waits for them until ctx ends.
// Jobs stopped this way are recorded as interrupted, never re-run.
func (r *Runner) Close(ctx context.Context) error {
	r.stopBase(errShutdown)
	done := make(chan struct{})
	go func() { r.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("jobs: %d still running at shutdown: %w", r.Running(), ctx.Err())
	}
}

func (r *Runner) save(j Job) error {
	err := r.store.Update(func(tx *state.Tx) error { return tx.Put(state.Jobs, state.IDKey(j.ID), j) })
	if err != nil {
		return fmt.Errorf("jobs: save job %d: %w", j.ID, err)
	}
	return nil
}

// prune deletes the oldest finished jobs beyond the number kept.
func (r *Runner) prune() {
	err := r.store.Update(func(tx *state.Tx) error {
		n, err := tx.Count(state.Jobs)
		if err != nil || n <= r.keep {
			return err
		}
		var drop [][]byte
		err = tx.Scan(state.Jobs, false, func(rec state.Record) (bool, error) {
			var j Job
			if err := rec.Decode(&j); err != nil {
				return false, err
			}
			if j.State.Finished() && (j.State != Interrupted || j.Notified) {
				drop = append(drop, append([]byte(nil), rec.Key...))
			}
			return n-len(drop) > r.keep, nil
		})
		for _, k := range drop {
			if err := tx.Delete(state.Jobs, k); err != nil {
				return err
			}
		}
		return err
	})
	if err != nil {
		r.log.Error().Err(err).Msg("pruning old jobs failed")
	}
}

// summarize splits an action's text into its first line and its last lines.
func summarize(text string) (string, []string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return "", nil
	}
	lines := strings.Split(text, "\n")
	first := lines[0]
	if rs := []rune(first); len(rs) > summaryRunes {
		first = string(rs[:summaryRunes-1]) + "…"
	}
	if len(lines) == 1 {
		return first, nil
	}
	if len(lines) > tailLines {
		lines = lines[len(lines)-tailLines:]
	}
	return first, lines
}

// recorder keeps the job's progress current in memory, saves it now and then, and passes
// every report on to the transport's progress.
type recorder struct {
	r    *Runner
	l    *live
	next ops.Progress
	once sync.Once
}

func (p *recorder) Report(done, total int64, note string) {
	now := p.r.now()
	p.l.mu.Lock()
	p.l.job.Progress = Progress{Done: done, Total: total, Note: note, At: now}
	var snapshot *Job
	if now.Sub(p.l.saved) >= saveEvery {
		p.l.saved = now
		j := p.l.job
		snapshot = &j
	}
	p.l.mu.Unlock()
	if snapshot != nil {
		if err := p.r.save(*snapshot); err != nil {
			p.r.log.Warn().Err(err).Msg("progress not saved")
		}
	}
	if p.next != nil {
		p.next.Report(done, total, note)
	}
}

func (p *recorder) Done() { p.finish() }

func (p *recorder) finish() {
	p.once.Do(func() {
		if p.next != nil {
			p.next.Done()
		}
	})
}
