package schedule_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/schedule"
	"github.com/tootops/tootops/state"
)

// waitLimit is generous on purpose: it only bounds a test that is already failing.
const waitLimit = 20 * time.Second

// clock is a settable fake for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// at is a UTC time on 2025-03-<day>.
func at(day, hour, min int) time.Time {
	return time.Date(2025, time.March, day, hour, min, 0, 0, time.UTC)
}

func openStore(t *testing.T) *state.Store {
	t.Helper()
	st, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	return st
}

// runs is a RunFunc that counts its calls and answers with do (nil: "done").
type runs struct {
	mu    sync.Mutex
	calls []schedule.Entry
	do    func(ctx context.Context, e schedule.Entry) (string, error)
}

func (r *runs) Run(ctx context.Context, e schedule.Entry) (string, error) {
	r.mu.Lock()
	r.calls = append(r.calls, e)
	r.mu.Unlock()
	if r.do == nil {
		return "done", nil
	}
	return r.do(ctx, e)
}

func (r *runs) Count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.calls)
}

// logSink collects zerolog's JSON lines and lets a test wait for a message.
type logSink struct {
	ch chan map[string]any
}

func newLogSink() *logSink { return &logSink{ch: make(chan map[string]any, 10000)} }

func (l *logSink) Write(p []byte) (int, error) {
	var m map[string]any
	if err := json.Unmarshal(p, &m); err == nil {
		select {
		case l.ch <- m:
		default: // a test that logs this much has failed already
		}
	}
	return len(p), nil
}

func (l *logSink) Logger() zerolog.Logger {
	return zerolog.New(l).Level(zerolog.DebugLevel)
}

// waitFor returns the first line with the message msg.
func (l *logSink) waitFor(t *testing.T, msg string) map[string]any {
	t.Helper()
	timeout := time.After(waitLimit)
	for {
		select {
		case m := <-l.ch:
			if m["message"] == msg {
				return m
			}
		case <-timeout:
			t.Fatalf("no log line %q within %s", msg, waitLimit)
			return nil
		}
	}
}

// start builds a scheduler over st and starts it, stopping it at the end of the test.
func start(t *testing.T, o schedule.Options) *schedule.Scheduler {
	t.Helper()
	if o.Location == nil {
		o.Location = time.UTC
	}
	s, err := schedule.New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { stop(t, s) })
	return s
}

func stop(t *testing.T, s *schedule.Scheduler) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := s.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
}

// timer returns the named timer.
func timer(t *testing.T, s *schedule.Scheduler, name string) schedule.Timer {
	t.Helper()
	timers, err := s.Timers()
	if err != nil {
		t.Fatalf("Timers: %v", err)
	}
	for _, tm := range timers {
		if tm.Name == name {
			return tm
		}
	}
	t.Fatalf("no timer %q in %+v", name, timers)
	return schedule.Timer{}
}
