package compose

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/moby/moby/api/types/events"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops"
)

func TestRing(t *testing.T) {
	r := newRing(3, "Err")
	if got := r.last(0); len(got) != 0 {
		t.Fatalf("empty ring: %v", got)
	}
	for i := 1; i <= 7; i++ {
		text := fmt.Sprintf("line %d", i)
		if i%2 == 1 {
			text += " ERROR"
		}
		r.add(LogLine{Number: 1, Text: text})
	}
	r.keep(LogLine{Number: 2, Text: "kept"})
	var got []string
	for _, l := range r.last(0) {
		got = append(got, l.Text)
	}
	if strings.Join(got, "|") != "line 5 ERROR|line 7 ERROR|kept" {
		t.Errorf("ring holds %q", got)
	}
	if l := r.last(2); len(l) != 2 || l[0].Text != "line 7 ERROR" || l[1].Text != "kept" {
		t.Errorf("last(2) = %v", l)
	}
	c := r.counts()
	if c.seen != 7 || c.matched != 4 || c.news != 5 || c.backlog != 0 {
		t.Errorf("counts %+v", c)
	}
	// Its size never changes, however many lines go through.
	for range 10000 {
		r.add(LogLine{Text: "error"})
	}
	if len(r.lines) != 3 || cap(r.lines) != 3 {
		t.Errorf("ring grew to %d/%d", len(r.lines), cap(r.lines))
	}
}

func TestFollowNote(t *testing.T) {
	f := &follower{p: &Project{now: time.Now}, service: "sidekiq", o: FollowOptions{Grep: "ré", Hint: "cancel 7 stops it"},
		began: time.Now().Add(-90 * time.Second), ring: newRing(100, "ré"), numbers: map[int]bool{1: true, 2: true},
		trackers: map[string]*tracker{"x": nil}}
	if note := f.note(f.ring.counts()); note != "following sidekiq (2 replicas) for 1m30s: 0 new lines, 0 with \"ré\"\ncancel 7 stops it\nno line with \"ré\" yet" {
		t.Errorf("empty note %q", note)
	}
	for i := range 50 {
		f.ring.add(LogLine{Number: 1 + i%2, Time: time.Unix(int64(i), 0), Text: fmt.Sprintf("%d ré ", i) + strings.Repeat("é", 300)})
	}
	f.ring.add(LogLine{Number: 1, Time: time.Unix(99, 0), Text: "ré newest"})
	note := f.note(f.ring.counts())
	if n := utf8.RuneCountInString(note); n > FollowNoteChars {
		t.Errorf("note of %d characters", n)
	}
	if !strings.HasPrefix(note, "following sidekiq (2 replicas) for 1m30s: 51 new lines, 51 with \"ré\"\ncancel 7 stops it\n#1 48 ré éé") ||
		!strings.Contains(note, "é…\n#2 49 ré éé") || !strings.HasSuffix(note, "é…\n#1 ré newest") {
		t.Errorf("note:\n%s", note)
	}

	// Nothing new: the same note again, for a reply that held the last one back.
	notes := &allNotes{}
	f.report(notes, true)
	f.report(notes, false)
	f.ring.add(LogLine{Number: 2, Time: time.Unix(100, 0), Text: "ré newer"})
	f.report(notes, false)
	if len(notes.notes) != 3 || notes.notes[1] != notes.notes[0] || !strings.HasSuffix(notes.notes[2], "\n#2 ré newer") {
		t.Errorf("notes %q", notes.notes)
	}

	for _, tt := range []struct {
		s    string
		n    int
		want string
	}{{"abc", 3, "abc"}, {"abcd", 3, "ab…"}, {"éééé", 2, "é…"}, {"abc", 1, "…"}} {
		if got := cutRunes(tt.s, tt.n); got != tt.want {
			t.Errorf("cutRunes(%q, %d) = %q", tt.s, tt.n, got)
		}
	}
}

type allNotes struct{ notes []string }

func (a *allNotes) Report(_, _ int64, note string) { a.notes = append(a.notes, note) }
func (a *allNotes) Done()                          {}

func TestCleanLinePlainASCII(t *testing.T) {
	long := strings.Repeat("x", 450)
	for in, want := range map[string]string{
		"plain line":         "plain line",
		"trailing   ":        "trailing",
		long:                 long[:maxLineRunes] + "…",
		"tab\tand\r":         "tab and",
		"\x1b[31mred\x1b[0m": "red",
		"del\x7f":            "del",
	} {
		if got := CleanLine(in); got != want {
			t.Errorf("CleanLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// noEvents is a daemon whose event stream is refused (a socket proxy without /events)
// the first failures times, and works after.
type noEvents struct {
	*client.Client
	failures int32
	calls    atomic.Int32
}

func (n *noEvents) Events(ctx context.Context, o client.EventsListOptions) client.EventsResult {
	if n.calls.Add(1) > n.failures {
		return n.Client.Events(ctx, o)
	}
	errs := make(chan error, 1)
	errs <- errors.New("Error response from daemon: 403 Forbidden")
	close(errs)
	return client.EventsResult{Messages: make(chan events.Message), Err: errs}
}

// lastNote keeps the last progress note.
type lastNote struct {
	mu   sync.Mutex
	note string
}

func (l *lastNote) Report(_, _ int64, note string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.note = note
}
func (l *lastNote) Done() {}

func (l *lastNote) wait(t *testing.T, re string, within time.Duration) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(within)
	for {
		l.mu.Lock()
		note := l.note
		l.mu.Unlock()
		if rx.MatchString(note) {
			return note
		}
		if time.Now().After(deadline) {
			t.Fatalf("no note matched %q within %s; last note:\n%s", re, within, note)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestFollowWithoutEvents: while the daemon refuses its event stream, following goes on by
// looking at the containers now and then, and finds a restart and a new replica; once the
// stream is back, it is used again.
func TestFollowWithoutEvents(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	lp := lab.Up(t, cli, lab.Spec{Services: []lab.Service{{Name: "sidekiq", Env: []string{"LAB_TICK=100ms"}}}})
	p, err := New(Options{Project: lp.Name, Client: cli})
	if err != nil {
		t.Fatal(err)
	}
	eng := &noEvents{Client: cli, failures: 8}
	p.eng = eng

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	notes := &lastNote{}
	done := make(chan *Followed, 1)
	go func() {
		res, _ := p.FollowLogs(ctx, "sidekiq", FollowOptions{Lines: MaxLogLines, MaxBytes: 1 << 20, Every: 100 * time.Millisecond, poll: time.Second}, notes)
		done <- res
	}()
	notes.wait(t, `\(Docker's events are down: looking every 1s\)\n(?s:.*)done: job`, 10*time.Second)
	c := lp.Containers(t, "sidekiq")[0]
	stopAfter := 5
	if _, err := cli.ContainerRestart(ctx, c.ID, client.ContainerRestartOptions{Timeout: &stopAfter}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Scale(ctx, "sidekiq", 2, ops.NoProgress{}); err != nil {
		t.Fatal(err)
	}
	notes.wait(t, `^following sidekiq \(2 replicas\) for \S+: \d+ new lines; 1 restart; 1 new container\n\(Docker's events are down`, 15*time.Second)
	// The stream is back after the eighth refusal.
	notes.wait(t, `^following sidekiq \(2 replicas\) for \S+: \d+ new lines; 1 restart; 1 new container\n#`, 15*time.Second)
	if eng.calls.Load() <= eng.failures {
		t.Errorf("events asked for %d times", eng.calls.Load())
	}
	cancel()
	res := <-done
	all := ""
	for _, l := range res.Lines {
		all += fmt.Sprintf("#%d %s\n", l.Number, l.Text)
	}
	for what, want := range map[string]int{"#1 .*Booted Rails": 2, "#1 .*INFO: Bye!": 1, "#2 .*Booted Rails": 1} {
		if n := len(regexp.MustCompile(what).FindAllString(all, -1)); n != want {
			t.Errorf("%d lines match %q, want %d:\n%s", n, what, want, all)
		}
	}
}
