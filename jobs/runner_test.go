package jobs_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/jobs"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/state"
)

func openStore(t *testing.T, path string) *state.Store {
	t.Helper()
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newRunner(t *testing.T) (*jobs.Runner, *state.Store) {
	t.Helper()
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	r, untold, err := jobs.New(jobs.Options{Store: s, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	if len(untold) != 0 {
		t.Fatalf("fresh store: %d interrupted jobs", len(untold))
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = r.Close(ctx)
		_ = s.Close()
	})
	return r, s
}

// blocker is an action that waits on its context, reporting that it started.
func blocker(started chan<- struct{}, cleanup string) func(context.Context, uint64, ops.Progress) (string, error) {
	return func(ctx context.Context, _ uint64, p ops.Progress) (string, error) {
		p.Report(1, 4, "waiting")
		close(started)
		<-ctx.Done()
		return cleanup, ctx.Err()
	}
}

func wait(t *testing.T, ch <-chan jobs.Result) jobs.Result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("job did not end")
		return jobs.Result{}
	}
}

func TestSucceedsWithSummaryAndTail(t *testing.T) {
	r, _ := newRunner(t)
	job, ch, err := r.Start(jobs.Spec{Command: "ps", Line: "ps", Sender: "alice@x", Via: "test",
		Run: func(context.Context, uint64, ops.Progress) (string, error) {
			return "3 services\nweb 1/1\nsidekiq 2/2", nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	res := wait(t, ch)
	if res.Job.ID != job.ID || res.Job.State != jobs.Succeeded || res.Job.Summary != "3 services" || len(res.Job.Tail) != 3 {
		t.Fatalf("result %+v", res.Job)
	}
	got, found, err := r.Get(job.ID)
	if err != nil || !found || got.State != jobs.Succeeded || got.Ended.IsZero() {
		t.Fatalf("record %+v found=%v err=%v", got, found, err)
	}
}

func TestFailureIsRecordedSafely(t *testing.T) {
	r, _ := newRunner(t)
	_, ch, _ := r.Start(jobs.Spec{Command: "x", Line: "x", Run: func(context.Context, uint64, ops.Progress) (string, error) {
		return "", errors.New("pq: password=hunter2 authentication failed")
	}})
	res := wait(t, ch)
	if res.Job.State != jobs.Failed || strings.Contains(res.Job.Error, "hunter2") {
		t.Errorf("job %+v: want failed with a safe error", res.Job)
	}
	_, ch, _ = r.Start(jobs.Spec{Command: "y", Line: "y", Run: func(context.Context, uint64, ops.Progress) (string, error) {
		return "", &ops.Error{Msg: "no service \"webb\"", Hint: "services: web, sidekiq"}
	}})
	if res := wait(t, ch); res.Job.Error != `no service "webb" — services: web, sidekiq` {
		t.Errorf("safe error %q", res.Job.Error)
	}
	_, ch, _ = r.Start(jobs.Spec{Command: "p", Line: "p", Run: func(context.Context, uint64, ops.Progress) (string, error) {
		panic("kaboom")
	}})
	if res := wait(t, ch); res.Job.State != jobs.Failed {
		t.Errorf("panicking job: %+v", res.Job)
	}
}

func TestTimeout(t *testing.T) {
	r, _ := newRunner(t)
	started := make(chan struct{})
	_, ch, _ := r.Start(jobs.Spec{Command: "slow", Line: "slow", Timeout: 20 * time.Millisecond, Run: blocker(started, "")})
	res := wait(t, ch)
	if res.Job.State != jobs.Failed || !strings.HasPrefix(res.Job.Error, "timed out after") {
		t.Errorf("job %+v: want failed, timed out", res.Job)
	}
}

func TestCancelInTheMiddle(t *testing.T) {
	r, _ := newRunner(t)
	started := make(chan struct{})
	job, ch, err := r.Start(jobs.Spec{Command: "backup", Line: "backup", Sender: "alice@x",
		Locks: []jobs.Request{{Name: "backup"}}, Run: blocker(started, "multipart upload aborted; no object left")})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	live, _, _ := r.Get(job.ID)
	if live.State != jobs.Running || live.Progress.Note != "waiting" || live.Progress.Percent() != 25 {
		t.Errorf("live job %+v", live)
	}
	ended, err := r.Cancel(context.Background(), job.ID, "bob@x")
	if err != nil {
		t.Fatal(err)
	}
	if ended.State != jobs.Cancelled || ended.CancelledBy != "bob@x" || ended.Summary != "multipart upload aborted; no object left" {
		t.Errorf("cancelled job %+v", ended)
	}
	wait(t, ch)
	// The lock is free again.
	_, ch, err = r.Start(jobs.Spec{Command: "backup", Line: "backup", Locks: []jobs.Request{{Name: "backup"}},
		Run: func(context.Context, uint64, ops.Progress) (string, error) { return "ok", nil }})
	if err != nil {
		t.Fatalf("lock not released: %v", err)
	}
	wait(t, ch)
	if _, err := r.Cancel(context.Background(), job.ID, "bob@x"); err == nil || !strings.Contains(ops.SafeText(err), "already ended (cancelled)") {
		t.Errorf("second cancel: %v", err)
	}
	if _, err := r.Cancel(context.Background(), 999, "bob@x"); err == nil || !strings.Contains(ops.SafeText(err), "no job 999") {
		t.Errorf("cancel of a missing job: %v", err)
	}
}

func TestConcurrentCommandsAgainstOneLock(t *testing.T) {
	r, _ := newRunner(t)
	var running, peak, ran atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	var busy atomic.Int32
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, ch, err := r.Start(jobs.Spec{Command: "scale", Line: "scale sidekiq=5", Sender: "alice@x",
				Locks: jobs.Requests([]string{"service:sidekiq"}, true),
				Run: func(context.Context, uint64, ops.Progress) (string, error) {
					n := running.Add(1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					<-release
					running.Add(-1)
					ran.Add(1)
					return "", nil
				}})
			var be *jobs.BusyError
			if errors.As(err, &be) {
				busy.Add(1)
				if be.Lock != "service:sidekiq" || be.Holder.Line != "scale sidekiq=5" {
					t.Errorf("busy error %+v", be)
				}
				return
			}
			if err != nil {
				t.Error(err)
				return
			}
			<-ch
		}()
	}
	// Let every goroutine try; exactly one can hold the lock.
	deadline := time.Now().Add(10 * time.Second)
	for busy.Load() != 15 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if got := busy.Load(); got != 15 {
		t.Errorf("busy answers = %d, want 15", got)
	}
	if ran.Load() != 1 || peak.Load() != 1 {
		t.Errorf("ran %d, peak concurrency %d; want 1 and 1", ran.Load(), peak.Load())
	}
}

func TestProjectLockExcludesChanges(t *testing.T) {
	l := jobs.NewLocks()
	now := time.Now()
	up := jobs.Holder{JobID: 1, Sender: "alice@x", Line: "upgrade v4.7.6", Since: now.Add(-3 * time.Minute)}
	if err := l.Acquire(up, jobs.Requests([]string{"upgrade", jobs.ProjectLock}, true), now); err != nil {
		t.Fatal(err)
	}
	err := l.Acquire(jobs.Holder{JobID: 2}, jobs.Requests([]string{"service:sidekiq"}, true), now)
	var be *jobs.BusyError
	if !errors.As(err, &be) || be.Holder.JobID != 1 {
		t.Fatalf("scale during upgrade: %v", err)
	}
	if !strings.Contains(be.Error(), "job 1 (upgrade v4.7.6, by alice@x") || !strings.Contains(be.Error(), "3m0s ago") {
		t.Errorf("busy text %q", be.Error())
	}
	// A read-only command takes no project lock and is not in the way.
	if err := l.Acquire(jobs.Holder{JobID: 3}, jobs.Requests(nil, false), now); err != nil {
		t.Errorf("ps during upgrade: %v", err)
	}
	l.Release(1)
	// Two changes to different services share the project.
	if err := l.Acquire(jobs.Holder{JobID: 4}, jobs.Requests([]string{"service:web"}, true), now); err != nil {
		t.Fatal(err)
	}
	if err := l.Acquire(jobs.Holder{JobID: 5}, jobs.Requests([]string{"service:sidekiq"}, true), now); err != nil {
		t.Fatalf("second service: %v", err)
	}
	// …but an upgrade must wait for both.
	if err := l.Acquire(jobs.Holder{JobID: 6}, jobs.Requests([]string{"upgrade", jobs.ProjectLock}, true), now); err == nil {
		t.Fatal("upgrade acquired the project while services change")
	}
	if got := l.Held(); strings.Join(got, "; ") != "project (job 4, 5); service:sidekiq (job 5); service:web (job 4)" {
		t.Errorf("held %q", got)
	}
}

// A restart with a running job: the record survives as interrupted, the sender is to be
// told once, and nothing is re-run.
func TestRestartWithARunningJob(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	s := openStore(t, path)
	r, _, err := jobs.New(jobs.Options{Store: s, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	var runs atomic.Int32
	job, _, err := r.Start(jobs.Spec{Command: "backup", Line: "backup", Sender: "alice@x", Via: "mastodon", ReplyTo: "1234",
		Run: func(ctx context.Context, _ uint64, p ops.Progress) (string, error) {
			runs.Add(1)
			return blocker(started, "")(ctx, 0, p)
		}})
	if err != nil {
		t.Fatal(err)
	}
	<-started
	// A crash: the store is closed under the running job, as a killed process would leave it.
	// (The goroutine's final save fails against the closed store, like a dead process's.)
	_ = s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.Close(ctx)

	s = openStore(t, path)
	defer s.Close()
	r2, untold, err := jobs.New(jobs.Options{Store: s, Log: zerolog.Nop()})
	if err != nil {
		t.Fatal(err)
	}
	defer r2.Close(ctx)
	if len(untold) != 1 || untold[0].ID != job.ID || untold[0].State != jobs.Interrupted || untold[0].ReplyTo != "1234" || untold[0].Via != "mastodon" {
		t.Fatalf("untold = %+v; want job %d interrupted with its reply route", untold, job.ID)
	}
	if err := r2.MarkNotified(job.ID); err != nil {
		t.Fatal(err)
	}
	list, err := r2.List(10)
	if err != nil || len(list) != 1 || list[0].State != jobs.Interrupted {
		t.Fatalf("list %+v %v", list, err)
	}
	if runs.Load() != 1 {
		t.Errorf("runs = %d: a job must never re-run by itself", runs.Load())
	}
	_ = r2.Close(ctx)
	_ = s.Close()
	// Told once: a third start has nothing to tell.
	s = openStore(t, path)
	_, untold, err = jobs.New(jobs.Options{Store: s, Log: zerolog.Nop()})
	if err != nil || len(untold) != 0 {
		t.Fatalf("third start: untold %+v, %v", untold, err)
	}
	_ = s.Close()
}

func TestShutdownInterruptsRunningJobs(t *testing.T) {
	r, _ := newRunner(t)
	started := make(chan struct{})
	_, ch, _ := r.Start(jobs.Spec{Command: "logs", Line: "logs web", Run: blocker(started, "")})
	<-started
	if err := r.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if res := wait(t, ch); res.Job.State != jobs.Interrupted {
		t.Errorf("state %s, want interrupted", res.Job.State)
	}
	if _, _, err := r.Start(jobs.Spec{Command: "ps", Run: func(context.Context, uint64, ops.Progress) (string, error) { return "", nil }}); err == nil {
		t.Error("Start after Close succeeded")
	}
}

func TestListAndPrune(t *testing.T) {
	s := openStore(t, filepath.Join(t.TempDir(), "s.db"))
	defer s.Close()
	r, _, _ := jobs.New(jobs.Options{Store: s, Log: zerolog.Nop(), Keep: 3})
	defer r.Close(context.Background())
	for range 6 {
		_, ch, _ := r.Start(jobs.Spec{Command: "ps", Line: "ps", Run: func(context.Context, uint64, ops.Progress) (string, error) { return "ok", nil }})
		wait(t, ch)
	}
	list, err := r.List(10)
	if err != nil {
		t.Fatal(err)
	}
	var ids []uint64
	for _, j := range list {
		ids = append(ids, j.ID)
	}
	if len(ids) != 3 || ids[0] != 6 || ids[2] != 4 {
		t.Errorf("kept %v, want [6 5 4]", ids)
	}
}
