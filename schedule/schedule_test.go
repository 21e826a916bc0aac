package schedule_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/schedule"
)

func TestNewRejectsBadSpecs(t *testing.T) {
	st := openStore(t)
	tests := []struct {
		spec, want string
	}{
		{"61 * * * *", `schedule "backup": bad spec "61 * * * *": `},
		{"* * * *", `schedule "backup": bad spec "* * * *": `},
		{"0 3 * * * *", `schedule "backup": bad spec "0 3 * * * *": `},
		{"@fortnightly", `schedule "backup": bad spec "@fortnightly": `},
		{"", `schedule "backup": bad spec "": `},
		// cron v3.0.1 panics on this one; it must come back as an error.
		{"CRON_TZ=Europe/Berlin", `schedule "backup": bad spec "CRON_TZ=Europe/Berlin": `},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			_, err := schedule.New(schedule.Options{
				Store:   st,
				Entries: []schedule.Entry{{Name: "certs", Spec: "@daily", Line: "certs"}, {Name: "backup", Spec: tt.spec, Line: "backup"}},
				Run:     (&runs{}).Run,
			})
			if err == nil {
				t.Fatal("New accepted the spec")
			}
			if got := err.Error(); !strings.HasPrefix(got, tt.want) {
				t.Errorf("error = %q, want it to start with %q", got, tt.want)
			}
		})
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	st := openStore(t)
	valid := func() schedule.Options {
		return schedule.Options{
			Store:   st,
			Entries: []schedule.Entry{{Name: "backup", Spec: "0 3 * * *", Line: "backup"}},
			Run:     (&runs{}).Run,
		}
	}
	if _, err := schedule.New(valid()); err != nil {
		t.Fatalf("valid options: %v", err)
	}
	tests := []struct {
		name   string
		mutate func(*schedule.Options)
		want   string
	}{
		{"no store", func(o *schedule.Options) { o.Store = nil }, "schedule: no state store"},
		{"no run", func(o *schedule.Options) { o.Run = nil }, "schedule: no run function"},
		{"negative catch-up", func(o *schedule.Options) { o.CatchUp = -time.Minute }, "schedule: negative catch-up window -1m0s"},
		{"no name", func(o *schedule.Options) { o.Entries[0].Name = "" }, "schedule #1: no name"},
		{"twice", func(o *schedule.Options) { o.Entries = append(o.Entries, o.Entries[0]) }, `schedule "backup": defined twice`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid()
			tt.mutate(&o)
			_, err := schedule.New(o)
			if err == nil {
				t.Fatal("New accepted the options")
			}
			if got, want := err.Error(), tt.want; got != want {
				t.Errorf("error = %q, want %q", got, want)
			}
		})
	}
}

// TestCatchUp starts a scheduler at first (recording the baseline), then again at
// restart, then once more at restart+again, and checks what ran and what was recorded.
func TestCatchUp(t *testing.T) {
	tests := []struct {
		name           string
		spec           string
		catchUp        time.Duration
		first, restart time.Time
		again          time.Duration // after restart, for the third start
		wantRuns       int
		wantOutcome    schedule.Outcome
		wantFor        time.Time
		wantSummary    string
	}{
		{
			name: "missed within the window runs once", spec: "0 3 * * *",
			first: at(9, 12, 0), restart: at(10, 3, 40), again: time.Minute,
			wantRuns: 1, wantOutcome: "ok", wantFor: at(10, 3, 0), wantSummary: "done",
		},
		{
			name: "several missed run once for the latest", spec: "*/10 * * * *",
			first: at(10, 2, 5), restart: at(10, 3, 25), again: time.Minute,
			wantRuns: 1, wantOutcome: "ok", wantFor: at(10, 3, 20), wantSummary: "done",
		},
		{
			name: "at the edge of the window", spec: "0 3 * * *",
			first: at(9, 12, 0), restart: at(10, 4, 0), again: time.Minute,
			wantRuns: 1, wantOutcome: "ok", wantFor: at(10, 3, 0), wantSummary: "done",
		},
		{
			name: "older than the window is missed", spec: "0 3 * * *",
			first: at(9, 12, 0), restart: at(10, 5, 30), again: time.Minute,
			wantRuns: 0, wantOutcome: "missed", wantFor: at(10, 3, 0),
			wantSummary: "missed 03:00 while the bot was down (more than 1h ago); not run",
		},
		{
			name: "missed on another day shows the date", spec: "0 3 * * *",
			first: at(1, 12, 0), restart: at(10, 2, 0), again: time.Minute,
			wantRuns: 0, wantOutcome: "missed", wantFor: at(9, 3, 0),
			wantSummary: "missed 2025-03-09 03:00 while the bot was down (more than 1h ago); not run",
		},
		{
			name: "a wider window runs it", spec: "0 3 * * *", catchUp: 3 * time.Hour,
			first: at(9, 12, 0), restart: at(10, 5, 30), again: time.Minute,
			wantRuns: 1, wantOutcome: "ok", wantFor: at(10, 3, 0), wantSummary: "done",
		},
		{
			name: "the summary names a custom window", spec: "0 3 * * *", catchUp: 90 * time.Minute,
			first: at(9, 12, 0), restart: at(10, 5, 30), again: time.Minute,
			wantRuns: 0, wantOutcome: "missed", wantFor: at(10, 3, 0),
			wantSummary: "missed 03:00 while the bot was down (more than 1h30m ago); not run",
		},
		{
			name: "nothing missed", spec: "0 3 * * *",
			first: at(10, 3, 30), restart: at(10, 4, 0), again: time.Minute,
			wantRuns: 0, wantOutcome: "",
		},
		{
			name: "a years-old record of a daily schedule", spec: "0 3 * * *",
			first: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), restart: at(10, 5, 30), again: time.Minute,
			wantRuns: 0, wantOutcome: "missed", wantFor: at(10, 3, 0),
			wantSummary: "missed 03:00 while the bot was down (more than 1h ago); not run",
		},
		{
			name: "a years-old record of a schedule every second", spec: "@every 1s",
			first: time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC), restart: at(10, 5, 30),
			wantRuns: 1, wantOutcome: "ok", wantFor: at(10, 5, 30), wantSummary: "done",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, clk, r := openStore(t), newClock(tt.first), &runs{}
			o := schedule.Options{
				Store:    st,
				Log:      zerolog.Nop(),
				Entries:  []schedule.Entry{{Name: "backup", Spec: tt.spec, Line: "backup --full"}},
				Run:      r.Run,
				CatchUp:  tt.catchUp,
				Now:      clk.Now,
				Location: time.UTC,
			}
			stop(t, start(t, o))
			if got := r.Count(); got != 0 {
				t.Fatalf("first start ran %d times, want 0", got)
			}

			clk.Set(tt.restart)
			s := start(t, o)
			if got, want := r.Count(), tt.wantRuns; got != want {
				t.Errorf("restart ran %d times, want %d", got, want)
			}
			if tt.wantRuns > 0 {
				if got, want := r.calls[0].Line, "backup --full"; got != want {
					t.Errorf("ran line %q, want %q", got, want)
				}
			}
			tm := timer(t, s, "backup")
			if got, want := tm.LastOutcome, tt.wantOutcome; got != want {
				t.Errorf("LastOutcome = %q, want %q", got, want)
			}
			if got, want := tm.LastFor, tt.wantFor; !got.Equal(want) {
				t.Errorf("LastFor = %v, want %v", got, want)
			}
			if got, want := tm.LastSummary, tt.wantSummary; got != want {
				t.Errorf("LastSummary = %q, want %q", got, want)
			}
			wantRun := time.Time{}
			if tt.wantRuns > 0 {
				wantRun = tt.restart
			}
			if got := tm.LastRun; !got.Equal(wantRun) {
				t.Errorf("LastRun = %v, want %v", got, wantRun)
			}
			stop(t, s)

			// Right after: nothing ran and nothing is missed that was not before.
			clk.Set(tt.restart.Add(tt.again))
			s = start(t, o)
			if got, want := r.Count(), tt.wantRuns; got != want {
				t.Errorf("third start: ran %d times in all, want %d", got, want)
			}
			if got := timer(t, s, "backup"); !timersEqual(got, tm) {
				t.Errorf("third start changed the timer:\n got %+v\nwant %+v", got, tm)
			}
		})
	}
}

func TestFirstStartRecordsBaseline(t *testing.T) {
	st, clk, r := openStore(t), newClock(at(10, 3, 10)), &runs{}
	o := schedule.Options{
		Store:    st,
		Entries:  []schedule.Entry{{Name: "backup", Spec: "0 3 * * *", Line: "backup"}},
		Run:      r.Run,
		Now:      clk.Now,
		Location: time.UTC,
	}
	s := start(t, o)
	if got := r.Count(); got != 0 {
		t.Errorf("first start ran %d times, want 0 (03:00 was before the bot existed)", got)
	}
	tm := timer(t, s, "backup")
	if tm.LastOutcome != "" || !tm.LastRun.IsZero() || !tm.LastFor.IsZero() || tm.LastSummary != "" {
		t.Errorf("timer after first start = %+v, want no last run", tm)
	}
	stop(t, s)

	// The baseline is what lets the next start see the slot it missed.
	clk.Set(at(11, 3, 5))
	start(t, o)
	if got, want := r.Count(), 1; got != want {
		t.Errorf("restart ran %d times, want %d", got, want)
	}
}

func TestRunOutcomes(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name        string
		do          func(context.Context, schedule.Entry) (string, error)
		wantOutcome schedule.Outcome
		wantSummary string
		wantLevel   string
	}{
		{
			name:        "ok",
			do:          func(context.Context, schedule.Entry) (string, error) { return "backup 1.2 GB in 3m", nil },
			wantOutcome: "ok", wantSummary: "backup 1.2 GB in 3m", wantLevel: "info",
		},
		{
			name: "skipped",
			do: func(context.Context, schedule.Entry) (string, error) {
				return "", fmt.Errorf("a manual backup holds the lock: %w", schedule.ErrSkipped)
			},
			wantOutcome: "skipped", wantSummary: "a manual backup holds the lock: skipped", wantLevel: "info",
		},
		{
			name: "failed",
			do: func(context.Context, schedule.Entry) (string, error) {
				return "half done", errors.New("pg_dump: exit status 1")
			},
			wantOutcome: "failed", wantSummary: "pg_dump: exit status 1", wantLevel: "error",
		},
		{
			name:        "panic",
			do:          func(context.Context, schedule.Entry) (string, error) { panic("boom") },
			wantOutcome: "failed", wantSummary: "panic: boom", wantLevel: "error",
		},
		{
			name:        "long summary",
			do:          func(context.Context, schedule.Entry) (string, error) { return long, nil },
			wantOutcome: "ok", wantSummary: strings.Repeat("é", 199) + "…", wantLevel: "info",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, clk, sink := openStore(t), newClock(at(9, 12, 0)), newLogSink()
			r := &runs{do: func(ctx context.Context, e schedule.Entry) (string, error) {
				clk.Add(3 * time.Minute)
				return tt.do(ctx, e)
			}}
			o := schedule.Options{
				Store:    st,
				Log:      sink.Logger(),
				Entries:  []schedule.Entry{{Name: "backup", Spec: "0 3 * * *", Line: "backup"}},
				Run:      r.Run,
				Now:      clk.Now,
				Location: time.UTC,
			}
			stop(t, start(t, o))
			clk.Set(at(10, 3, 2))
			s := start(t, o) // catches up 03:00
			tm := timer(t, s, "backup")
			if got, want := tm.LastOutcome, tt.wantOutcome; got != want {
				t.Errorf("LastOutcome = %q, want %q", got, want)
			}
			if got, want := tm.LastSummary, tt.wantSummary; got != want {
				t.Errorf("LastSummary = %q, want %q", got, want)
			}
			if n := utf8.RuneCountInString(tm.LastSummary); n > 200 {
				t.Errorf("summary has %d runes, want at most 200", n)
			}
			if got, want := tm.LastDuration, 3*time.Minute; got != want {
				t.Errorf("LastDuration = %v, want %v", got, want)
			}
			if got, want := tm.LastRun, at(10, 3, 2); !got.Equal(want) {
				t.Errorf("LastRun = %v, want %v", got, want)
			}

			line := sink.waitFor(t, "finished scheduled run")
			if got, want := line["level"], tt.wantLevel; got != want {
				t.Errorf("log level = %v, want %v", got, want)
			}
			if got, want := line["outcome"], string(tt.wantOutcome); got != want {
				t.Errorf("logged outcome = %v, want %v", got, want)
			}
			if got, want := line["schedule"], "backup"; got != want {
				t.Errorf("logged schedule = %v, want %v", got, want)
			}
			if _, ok := line["duration"]; !ok {
				t.Errorf("log line %v has no duration", line)
			}
			if tt.wantOutcome == "skipped" {
				if got, want := line["reason"], tt.wantSummary; got != want {
					t.Errorf("logged reason = %v, want %v", got, want)
				}
			}
		})
	}
}

func TestTimers(t *testing.T) {
	st, clk := openStore(t), newClock(at(9, 1, 0))
	o := schedule.Options{
		Store: st,
		Entries: []schedule.Entry{
			{Name: "certs", Spec: "@weekly", Line: "certs"},
			{Name: "cleanup", Spec: "30 1 * * *", Line: "media cleanup"},
			{Name: "backup", Spec: "0 3 * * *", Line: "backup"},
		},
		Run:      (&runs{}).Run,
		Now:      clk.Now,
		Location: time.UTC,
	}
	stop(t, start(t, o))
	// Down from 03-09 01:00 to 03-10 02:00: cleanup's 01:30 is caught up, backup's
	// 03:00 of the 9th is long missed, and certs had no slot (Sunday 00:00 is the 16th).
	clk.Set(at(10, 2, 0))
	stop(t, start(t, o))

	s, err := schedule.New(o)
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Timers()
	if err != nil {
		t.Fatal(err)
	}
	want := []schedule.Timer{
		{
			Name: "backup", Spec: "0 3 * * *", Line: "backup", Next: at(10, 3, 0),
			LastFor: at(9, 3, 0), LastOutcome: "missed",
			LastSummary: "missed 2025-03-09 03:00 while the bot was down (more than 1h ago); not run",
		},
		{
			Name: "cleanup", Spec: "30 1 * * *", Line: "media cleanup", Next: at(11, 1, 30),
			LastRun: at(10, 2, 0), LastFor: at(10, 1, 30), LastOutcome: "ok", LastSummary: "done",
		},
		{Name: "certs", Spec: "@weekly", Line: "certs", Next: at(16, 0, 0)},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d timers, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if !timersEqual(got[i], want[i]) {
			t.Errorf("timer %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

func timersEqual(a, b schedule.Timer) bool {
	return a.Name == b.Name && a.Spec == b.Spec && a.Line == b.Line && a.Next.Equal(b.Next) &&
		a.LastRun.Equal(b.LastRun) && a.LastFor.Equal(b.LastFor) && a.LastOutcome == b.LastOutcome &&
		a.LastSummary == b.LastSummary && a.LastDuration == b.LastDuration
}

func TestTimersWhileStartedComeFromCron(t *testing.T) {
	before := time.Now()
	s := start(t, schedule.Options{
		Store: openStore(t),
		Entries: []schedule.Entry{
			{Name: "certs", Spec: "@weekly", Line: "certs"},
			{Name: "backup", Spec: "0 3 * * *", Line: "backup"},
			{Name: "often", Spec: "*/5 * * * *", Line: "status"},
		},
		Run: (&runs{}).Run,
		// A fake clock from long ago: cron's real clock must win while started.
		Now: newClock(time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)).Now,
	})
	timers, err := s.Timers()
	if err != nil {
		t.Fatal(err)
	}
	for i, tm := range timers {
		if !tm.Next.After(before) || tm.Next.After(before.Add(8*24*time.Hour)) {
			t.Errorf("%s: Next = %v, want within a week after %v", tm.Name, tm.Next, before)
		}
		if i > 0 && tm.Next.Before(timers[i-1].Next) {
			t.Errorf("timers not sorted by Next: %s (%v) after %s (%v)", tm.Name, tm.Next, timers[i-1].Name, timers[i-1].Next)
		}
		if tm.Name == "backup" && (tm.Next.Hour() != 3 || tm.Next.Minute() != 0) {
			t.Errorf("backup Next = %v, want 03:00 UTC", tm.Next)
		}
	}
}

// The tests below let cron fire "@every 1s" on the real clock. They wait on channels and
// log lines, never on durations; waitLimit only bounds a failing test.

func TestScheduledPanicIsRecovered(t *testing.T) {
	sink := newLogSink()
	again := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex
	calls := 0
	run := func(context.Context, schedule.Entry) (string, error) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n == 1 {
			panic("boom")
		}
		once.Do(func() { close(again) })
		return "fine", nil
	}
	start(t, schedule.Options{
		Store:   openStore(t),
		Log:     sink.Logger(),
		Entries: []schedule.Entry{{Name: "tick", Spec: "@every 1s", Line: "status"}},
		Run:     run,
	})
	line := sink.waitFor(t, "panic in scheduled run")
	if got, want := line["panic"], "boom"; got != want {
		t.Errorf("logged panic = %v, want %v", got, want)
	}
	line = sink.waitFor(t, "finished scheduled run")
	if got, want := line["outcome"], "failed"; got != want {
		t.Errorf("outcome = %v, want %v", got, want)
	}
	if got, want := line["error"], "panic: boom"; got != want {
		t.Errorf("error = %v, want %v", got, want)
	}
	select {
	case <-again: // the process and cron lived on
	case <-time.After(waitLimit):
		t.Fatal("no run after the panicking one")
	}
}

func TestSkipIfStillRunning(t *testing.T) {
	sink := newLogSink()
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	r := &runs{do: func(ctx context.Context, _ schedule.Entry) (string, error) {
		once.Do(func() { close(started) })
		select {
		case <-release:
		case <-ctx.Done():
		}
		return "done", nil
	}}
	s := start(t, schedule.Options{
		Store:   openStore(t),
		Log:     sink.Logger(),
		Entries: []schedule.Entry{{Name: "tick", Spec: "@every 1s", Line: "status"}},
		Run:     r.Run,
	})
	select {
	case <-started:
	case <-time.After(waitLimit):
		t.Fatal("no run started")
	}
	line := sink.waitFor(t, "skip") // cron fired again while the first run was going
	if got, want := line["level"], "debug"; got != want {
		t.Errorf("cron's skip logged at %v, want %v", got, want)
	}
	if got, want := r.Count(), 1; got != want {
		t.Errorf("RunFunc called %d times while the first run was going, want %d", got, want)
	}
	close(release)
	stop(t, s)
}

func TestStopWaitsForRunningEntry(t *testing.T) {
	realStart := time.Now()
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	r := &runs{do: func(context.Context, schedule.Entry) (string, error) {
		once.Do(func() { close(started) })
		<-release
		return "finished", nil
	}}
	s := start(t, schedule.Options{
		Store:   openStore(t),
		Entries: []schedule.Entry{{Name: "tick", Spec: "@every 1s", Line: "status"}},
		Run:     r.Run,
	})
	select {
	case <-started:
	case <-time.After(waitLimit):
		t.Fatal("no run started")
	}
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		stopped <- s.Stop(ctx)
	}()
	close(release)
	if err := <-stopped; err != nil {
		t.Fatalf("Stop: %v", err)
	}
	// Stop returned only after the run was recorded.
	tm := timer(t, s, "tick")
	if got, want := tm.LastOutcome, schedule.Outcome("ok"); got != want {
		t.Errorf("LastOutcome after Stop = %q, want %q", got, want)
	}
	if got, want := tm.LastSummary, "finished"; got != want {
		t.Errorf("LastSummary after Stop = %q, want %q", got, want)
	}
	// The slot is the whole second cron fired at, not the clock read when the run began.
	if tm.LastFor.Before(realStart.Truncate(time.Second)) || tm.LastFor.Nanosecond() != 0 {
		t.Errorf("LastFor = %v, want a whole second after %v", tm.LastFor, realStart)
	}
	if s.Alive() {
		t.Error("Alive after Stop")
	}
}

func TestStopReturnsWhenCtxEnds(t *testing.T) {
	started, ended := make(chan struct{}), make(chan struct{})
	var once sync.Once
	r := &runs{do: func(ctx context.Context, _ schedule.Entry) (string, error) {
		once.Do(func() { close(started) })
		<-ctx.Done() // a run that would go on forever unless cancelled
		defer close(ended)
		return "", ctx.Err()
	}}
	s := start(t, schedule.Options{
		Store:   openStore(t),
		Entries: []schedule.Entry{{Name: "tick", Spec: "@every 1s", Line: "status"}},
		Run:     r.Run,
	})
	select {
	case <-started:
	case <-time.After(waitLimit):
		t.Fatal("no run started")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Stop(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Stop = %v, want context.Canceled", err)
	}
	select {
	case <-ended: // giving up also cancelled the run
	case <-time.After(waitLimit):
		t.Fatal("the run's context was not cancelled when Stop gave up")
	}
}

func TestLifecycle(t *testing.T) {
	s, err := schedule.New(schedule.Options{
		Store:   openStore(t),
		Entries: []schedule.Entry{{Name: "backup", Spec: "0 3 * * *", Line: "backup"}},
		Run:     (&runs{}).Run,
	})
	if err != nil {
		t.Fatal(err)
	}
	if s.Alive() {
		t.Error("Alive before Start")
	}
	ctx := context.Background()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if !s.Alive() {
		t.Error("not Alive after Start")
	}
	if err := s.Start(ctx); err == nil {
		t.Error("second Start succeeded")
	}
	if err := s.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if s.Alive() {
		t.Error("Alive after Stop")
	}
	if err := s.Stop(ctx); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if err := s.Start(ctx); err == nil {
		t.Error("Start after Stop succeeded")
	}
}

func TestStartStopsCatchUpWhenCtxEnds(t *testing.T) {
	st, clk := openStore(t), newClock(at(9, 12, 0))
	entered := make(chan struct{})
	r := &runs{do: func(ctx context.Context, _ schedule.Entry) (string, error) {
		close(entered)
		<-ctx.Done()
		return "", ctx.Err()
	}}
	o := schedule.Options{
		Store:    st,
		Entries:  []schedule.Entry{{Name: "backup", Spec: "0 3 * * *", Line: "backup"}, {Name: "certs", Spec: "0 3 * * *", Line: "certs"}},
		Run:      r.Run,
		Now:      clk.Now,
		Location: time.UTC,
	}
	stop(t, start(t, o))
	clk.Set(at(10, 3, 5))
	s, err := schedule.New(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-entered; cancel() }()
	if err := s.Start(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Start = %v, want context.Canceled", err)
	}
	if s.Alive() {
		t.Error("Alive after a cancelled Start")
	}
	if got, want := r.Count(), 1; got != want {
		t.Errorf("ran %d catch-ups, want %d (the second not begun)", got, want)
	}
	if got, want := timer(t, s, "backup").LastOutcome, schedule.Outcome("failed"); got != want {
		t.Errorf("cancelled catch-up recorded %q, want %q", got, want)
	}
	stop(t, s)
}
