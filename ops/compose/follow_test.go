package compose_test

// Following logs on the real Docker daemon, with the lab: new lines seen as they are
// written, --grep, TTY and non-TTY replicas, a restart and a new replica followed across,
// and a cancel that leaves nothing behind. Like the other daemon tests they fail, never
// skip, when the daemon or the lab's images are missing.

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// following is a FollowLogs running in the background.
type following struct {
	t      *testing.T
	cancel context.CancelFunc
	notes  *progress
	done   chan struct{}
	res    *compose.Followed
	err    error
}

func follow(t *testing.T, p *compose.Project, service string, o compose.FollowOptions) *following {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	f := &following{t: t, cancel: cancel, notes: &progress{}, done: make(chan struct{})}
	if o.Every == 0 {
		o.Every = 100 * time.Millisecond
	}
	go func() {
		defer close(f.done)
		f.res, f.err = p.FollowLogs(ctx, service, o, f.notes)
	}()
	t.Cleanup(func() { f.stop() })
	return f
}

// waitNote waits until the latest progress note matches re, and returns it.
func (f *following) waitNote(re string, within time.Duration) string {
	f.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(within)
	for {
		last := f.lastNote()
		if rx.MatchString(last) {
			return last
		}
		select {
		case <-f.done:
			f.t.Fatalf("following ended (%v) before a note matched %q; last note:\n%s", f.err, re, last)
		default:
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("no note matched %q within %s; last note:\n%s", re, within, last)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (f *following) lastNote() string {
	f.notes.mu.Lock()
	defer f.notes.mu.Unlock()
	if len(f.notes.notes) == 0 {
		return ""
	}
	return f.notes.notes[len(f.notes.notes)-1]
}

// stop cancels and waits for the result.
func (f *following) stop() (*compose.Followed, error) {
	f.t.Helper()
	f.cancel()
	select {
	case <-f.done:
	case <-time.After(10 * time.Second):
		f.t.Fatal("FollowLogs did not return within 10 s of its cancel")
	}
	return f.res, f.err
}

// ourGoroutines counts the goroutines in methods of package compose (not in its tests) and
// the Engine client's event readers: none may outlive a FollowLogs.
func ourGoroutines() (int, string) {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	var dump []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "tootops/ops/compose.(*") || strings.Contains(g, "moby/moby/client.(*Client).Events") {
			n++
			dump = append(dump, g)
		}
	}
	return n, strings.Join(dump, "\n\n")
}

// waitNoGoroutines fails unless our goroutines are all gone within a few seconds.
func waitNoGoroutines(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		n, dump := ourGoroutines()
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left after FollowLogs returned:\n%s", n, dump)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// get asks web for a path, so that it logs a line with it.
func get(t *testing.T, port int, path string) {
	t.Helper()
	url := fmt.Sprintf("http://127.0.0.1:%d%s", port, path)
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func texts(lines []compose.LogLine) string {
	var b strings.Builder
	for _, l := range lines {
		fmt.Fprintf(&b, "#%d %s\n", l.Number, l.Text)
	}
	return b.String()
}

// TestFollowLogs is not parallel: it counts the package's goroutines, which the parallel
// tests would add to.
func TestFollowLogs(t *testing.T) {
	svcs := []lab.Service{
		{Name: "web", Cmd: []string{"web"}, Publish: 3000, Networks: []string{"external_network"}},
		{Name: "sidekiq", Replicas: 2, Env: []string{"LAB_TICK=100ms"}},
		{Name: "tty", Cmd: []string{"tty"}, Tty: true, Env: []string{"LAB_TICK=100ms"}},
	}
	p, lp := up(t, lab.Spec{Services: svcs})
	port := lp.Ports["web"]
	get(t, port, "/warm-up") // web answers, and has a line to start from
	// The answer can come before its log line reaches the daemon's log: wait for the
	// line, so that following starts after it (it belongs to the backlog, not the news).
	for deadline := time.Now().Add(10 * time.Second); ; {
		logs, err := p.Logs(ctxT(t), "web", compose.LogOptions{Grep: "/warm-up"})
		if err == nil && len(logs.Lines) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the warm-up request was never logged: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if n, dump := ourGoroutines(); n != 0 {
		t.Fatalf("%d goroutines of ours before following:\n%s", n, dump)
	}

	// New lines are seen as they are written; cancel ends it and leaves nothing behind.
	f := follow(t, p, "web", compose.FollowOptions{Lines: 5})
	f.waitNote(`path=/warm-up`, 10*time.Second) // the tail it starts from
	probe := fmt.Sprintf("/probe-%d", time.Now().UnixNano())
	sent := time.Now()
	get(t, port, probe)
	note := f.waitNote(`path=`+probe, 5*time.Second)
	t.Logf("a new line was in a note %s after it was asked for:\n%s", time.Since(sent).Round(time.Millisecond), note)
	if !regexp.MustCompile(`^following web( for \S+)?: 1 new line\n`).MatchString(note) {
		t.Errorf("note %q", note)
	}
	res, err := f.stop()
	if !errors.Is(err, context.Canceled) || res == nil {
		t.Fatalf("FollowLogs after cancel: %+v, %v", res, err)
	}
	if res.Seen != 1 || res.Matched != 1 || res.Backlog < 2 || res.Replicas != 1 || len(res.Lines) < 2 ||
		!strings.Contains(res.Lines[len(res.Lines)-1].Text, "path="+probe) {
		t.Errorf("result %+v:\n%s", res, texts(res.Lines))
	}
	if f.notes.done != 1 {
		t.Errorf("progress Done called %d times", f.notes.done)
	}
	waitNoGoroutines(t)

	// --grep: only matching lines kept and shown; every line counted.
	f = follow(t, p, "web", compose.FollowOptions{Lines: 10, Grep: "PROBE-A"})
	f.waitNote(`^following web( for \S+)?: 0 new lines, 0 with "PROBE-A"\nno line with "PROBE-A" yet$`, 10*time.Second)
	for _, path := range []string{"/probe-a-1", "/probe-b-1", "/probe-a-2"} {
		get(t, port, path)
	}
	f.waitNote(`^following web( for \S+)?: 3 new lines, 2 with "PROBE-A"\n.*path=/probe-a-1 .*\n.*path=/probe-a-2 .*$`, 10*time.Second)
	res, _ = f.stop()
	if res.Seen != 3 || res.Matched != 2 || len(res.Lines) != 2 {
		t.Errorf("grep result %+v:\n%s", res, texts(res.Lines))
	}
	for _, l := range res.Lines {
		if !strings.Contains(l.Text, "path=/probe-a-") {
			t.Errorf("grep kept %q", l.Text)
		}
	}
	waitNoGoroutines(t)

	// Two non-TTY replicas, stdout and stderr: each line carries its replica.
	f = follow(t, p, "sidekiq", compose.FollowOptions{Lines: 50})
	note = f.waitNote(`^following sidekiq \(2 replicas\)(?s:.*)\n(#1 [^\n]*done: job(?s:.*)\n#2|#2 [^\n]*done: job(?s:.*)\n#1) [^\n]*done: job`, 10*time.Second)
	f.waitNote(`retry: job`, 10*time.Second) // stderr, every 5th tick
	f.waitNote(`^following sidekiq \(2 replicas\)[^\n]*: [1-9]\d* new lines?\n`, 10*time.Second)
	res, _ = f.stop()
	if res.Replicas != 2 || len(res.Containers) != 2 || res.Seen == 0 {
		t.Errorf("sidekiq result %+v", res)
	}
	for _, l := range res.Lines {
		if strings.ContainsAny(l.Text, "\x00\x01\x02\x1b") || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT.* (INFO|WARN): `).MatchString(l.Text) {
			t.Errorf("line %q: not a clean log line", l.Text)
		}
	}
	if n := len([]rune(note)); n > compose.FollowNoteChars {
		t.Errorf("a note of %d characters, more than %d:\n%s", n, compose.FollowNoteChars, note)
	}
	waitNoGoroutines(t)

	// A TTY container: raw stream, escapes stripped.
	f = follow(t, p, "tty", compose.FollowOptions{Lines: 5})
	note = f.waitNote(`^following tty[^\n]*: [1-9]\d* new lines?\n(?s:.*)\ntick \d+ red$`, 10*time.Second)
	if strings.ContainsAny(note, "\x1b\r") {
		t.Errorf("tty note keeps control characters: %q", note)
	}
	res, _ = f.stop()
	if res.Seen == 0 || strings.ContainsAny(texts(res.Lines), "\x1b\r") {
		t.Errorf("tty result %+v:\n%q", res, texts(res.Lines))
	}
	waitNoGoroutines(t)

	// An unknown service is refused before following starts.
	_, err = p.FollowLogs(ctxT(t), "nosuch", compose.FollowOptions{}, ops.NoProgress{})
	if err == nil || !strings.Contains(ops.SafeText(err), `no service "nosuch"`) {
		t.Errorf("unknown service: %v", err)
	}
	waitNoGoroutines(t)
}

// TestFollowAcrossRestart follows sidekiq while its container is restarted, a second
// replica is added, removed and made again: every run's lines are read, none twice.
func TestFollowAcrossRestart(t *testing.T) {
	t.Parallel()
	p, lp := up(t, lab.Spec{Services: []lab.Service{{Name: "sidekiq", Env: []string{"LAB_TICK=100ms"}}}})
	time.Sleep(500 * time.Millisecond)
	f := follow(t, p, "sidekiq", compose.FollowOptions{Lines: compose.MaxLogLines, MaxBytes: 1 << 20})
	f.waitNote(`done: job`, 10*time.Second)

	c := lp.Containers(t, "sidekiq")[0]
	before := lp.Inspect(t, c.ID).State.StartedAt
	stopAfter := 5
	if _, err := lp.Client.ContainerRestart(ctxT(t), c.ID, client.ContainerRestartOptions{Timeout: &stopAfter}); err != nil {
		t.Fatal(err)
	}
	if lp.Inspect(t, c.ID).State.StartedAt == before {
		t.Fatal("the container was not restarted")
	}
	f.waitNote(`^following sidekiq for \S+: \d+ new lines; 1 restart\n`, 15*time.Second)
	f.waitNote(`Booted Rails`, 10*time.Second)
	// The new run goes on being read: a note of lines that all came after its boot. (A
	// fixed job number is missed under load: a note shows only the newest lines.)
	f.waitNote(`^following sidekiq[^\n]*1 restart\n(?:[^\n]*done: job [^\n]*\n?|[^\n]*WARN[^\n]*\n?){2,}$`, 10*time.Second)

	// A replica added while following is followed from its first line.
	if _, err := p.Scale(ctxT(t), "sidekiq", 2, ops.NoProgress{}); err != nil {
		t.Fatal(err)
	}
	f.waitNote(`^following sidekiq \(2 replicas\) for \S+: \d+ new lines; 1 restart; 1 new container\n(?s:.*)\n#2 [^\n]*done: job`, 20*time.Second)

	// Replica 2 removed and made again, as a recreation does: the new container is
	// followed from its first line, the old one's end read.
	first := lp.Containers(t, "sidekiq")[1].ID
	if _, err := p.Scale(ctxT(t), "sidekiq", 1, ops.NoProgress{}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Scale(ctxT(t), "sidekiq", 2, ops.NoProgress{}); err != nil {
		t.Fatal(err)
	}
	if lp.Containers(t, "sidekiq")[1].ID == first {
		t.Fatal("replica 2 was not made again")
	}
	f.waitNote(`^following sidekiq \(2 replicas\) for \S+: \d+ new lines; 1 restart; 2 new containers\n(?s:.*)\n#2 [^\n]*done: job`, 20*time.Second)
	res, err := f.stop()
	if !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	all := texts(res.Lines)
	if res.Restarts != 1 || res.Joined != 2 || res.Replicas != 2 || len(res.Containers) != 2 || res.Dropped != 0 {
		t.Errorf("result %+v", res)
	}
	t.Logf("followed for %s: %d lines before, %d new, %d kept:\n%s", res.Took, res.Backlog, res.Seen, len(res.Lines), all)
	// #1: the first run's boot and shutdown, the second run's boot; #2: the first
	// container's boot and shutdown, the second's boot.
	for what, want := range map[string]int{"#1 .*Booted Rails": 2, "#1 .*INFO: Bye!": 1, "#2 .*Booted Rails": 2, "#2 .*INFO: Bye!": 1} {
		if n := len(regexp.MustCompile(what).FindAllString(all, -1)); n != want {
			t.Errorf("%d lines match %q, want %d:\n%s", n, what, want, all)
		}
	}
	seen := map[string]bool{}
	for _, l := range res.Lines {
		key := fmt.Sprint(l.Number, l.Text)
		if seen[key] {
			t.Errorf("line read twice: #%d %s", l.Number, l.Text)
		}
		seen[key] = true
	}
}
