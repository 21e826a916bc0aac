package bot

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

type edits struct {
	mu       sync.Mutex
	log      []string
	fail     bool
	failEdit bool
}

func (e *edits) Name() string { return "edits" }
func (e *edits) Reply(_ context.Context, _ Message, text string) (Ref, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.fail {
		return "", errors.New("down")
	}
	e.log = append(e.log, "reply "+text)
	return "r1", nil
}
func (e *edits) Edit(_ context.Context, ref Ref, text string) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.failEdit {
		return errors.New("502 Bad Gateway")
	}
	e.log = append(e.log, "edit "+string(ref)+" "+text)
	return nil
}
func (e *edits) Post(context.Context, string, Visibility, Ref) (Ref, error) { return "", nil }

func TestLivingReplyIsThrottledAndEndsOnTheLastState(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := &edits{}
	l := &livingReply{tr: tr, title: "job 3 (backup)", every: 15 * time.Second, now: func() time.Time { return now }, onFail: func(error) {}}
	l.Report(0, 100, "starting")
	now = now.Add(5 * time.Second)
	l.Report(10, 100, "") // held: too soon
	now = now.Add(5 * time.Second)
	l.Report(20, 100, "") // held, replaces the one before
	now = now.Add(10 * time.Second)
	l.Report(50, 100, "statuses") // 20 s after the first: sent
	l.Report(50, 100, "statuses") // the same text again: nothing to send
	now = now.Add(time.Second)
	l.Report(90, 100, "media_attachments") // held
	l.Done()                               // flushes the held report
	want := []string{
		"reply job 3 (backup): 0% (0/100), starting",
		"edit r1 job 3 (backup): 50% (50/100), statuses",
		"edit r1 job 3 (backup): 90% (90/100), media_attachments",
	}
	if len(tr.log) != len(want) {
		t.Fatalf("got %q, want %q", tr.log, want)
	}
	for i := range want {
		if tr.log[i] != want[i] {
			t.Errorf("%d: %q, want %q", i, tr.log[i], want[i])
		}
	}
}

func TestLivingReplySurvivesAFailedPost(t *testing.T) {
	tr := &edits{fail: true}
	var failures int
	l := &livingReply{tr: tr, title: "job 1 (x)", now: time.Now, onFail: func(error) { failures++ }}
	l.Report(1, 2, "")
	tr.fail = false
	l.Report(2, 2, "")
	l.Done()
	if failures != 1 || len(tr.log) != 1 || tr.log[0] != "reply job 1 (x): 100% (2/2)" {
		t.Errorf("failures %d, log %q", failures, tr.log)
	}
}

// While Mastodon is down (its web service recreated during an upgrade) edits fail; the
// progress is kept and written once it answers again, the last state included.
func TestLivingReplyCatchesUpAfterMastodonWasDown(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tr := &edits{}
	var failures int
	l := &livingReply{tr: tr, title: "job 5 (upgrade v4.5.1)", every: 15 * time.Second, now: func() time.Time { return now }, onFail: func(error) { failures++ }}
	l.Report(1, 12, "pull v4.5.1")
	tr.failEdit = true
	now = now.Add(20 * time.Second)
	l.Report(5, 12, "recreate v4.5.1")
	now = now.Add(20 * time.Second)
	l.Report(6, 12, "compose file v4.5.1")
	tr.failEdit = false
	now = now.Add(5 * time.Second)
	l.Report(11, 12, "completion toot") // within the interval: held
	l.Done()
	want := []string{"reply job 5 (upgrade v4.5.1): 8% (1/12), pull v4.5.1", "edit r1 job 5 (upgrade v4.5.1): 91% (11/12), completion toot"}
	if failures != 2 || len(tr.log) != 2 || tr.log[0] != want[0] || tr.log[1] != want[1] {
		t.Errorf("failures %d, log %q", failures, tr.log)
	}
}
