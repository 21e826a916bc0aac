package commands_test

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/state"
)

// fakeFollower follows with a function of the test.
type fakeFollower struct {
	fakeServices
	follow func(ctx context.Context, service string, o compose.FollowOptions, p ops.Progress) (*compose.Followed, error)
}

func (f *fakeFollower) FollowLogs(ctx context.Context, service string, o compose.FollowOptions, p ops.Progress) (*compose.Followed, error) {
	defer p.Done()
	return f.follow(ctx, service, o, p)
}

func logsRegistry(t *testing.T, s commands.LogReader) *commands.Registry {
	t.Helper()
	r := commands.NewRegistry()
	if err := r.Add(commands.Logs(s)); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestLogsFollowText(t *testing.T) {
	at := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	followed := &compose.Followed{
		Service: "sidekiq", Containers: []string{"mastodon-sidekiq-1", "mastodon-sidekiq-2"}, Replicas: 2,
		Took: 3*time.Minute + 12*time.Second + 300*time.Millisecond, Backlog: 40, Seen: 1234, Matched: 2, Restarts: 1, Joined: 1, Dropped: 3,
		Lines: []compose.LogLine{{Number: 2, Time: at, Text: "WARN retry one"}, {Number: 1, Time: at, Text: "WARN retry two"}},
	}
	var got compose.FollowOptions
	var reported []string
	f := &fakeFollower{follow: func(ctx context.Context, service string, o compose.FollowOptions, p ops.Progress) (*compose.Followed, error) {
		got = o
		p.Report(0, 0, "following "+service)
		<-ctx.Done()
		return followed, ctx.Err()
	}}
	r := logsRegistry(t, f)
	run := func(line string, ctx context.Context) (string, error) {
		t.Helper()
		inv, err := r.Parse(line)
		if err != nil {
			t.Fatal(err)
		}
		return inv.Command.Run(ctx, &commands.Request{Inv: inv, JobID: 12, Progress: progressFunc(func(note string) { reported = append(reported, note) })})
	}

	// Cancelled: the job ends as cancelled, its text says what was followed.
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	text, err := run("logs sidekiq 2 --since 10m --grep retry --follow", ctx)
	if err != context.Canceled {
		t.Errorf("cancelled: err %v", err)
	}
	if got.Lines != 2 || got.Since != 10*time.Minute || got.Grep != "retry" || got.Hint != "cancel 12 stops it" {
		t.Errorf("options %+v", got)
	}
	want := `sidekiq, lines with "retry" — followed mastodon-sidekiq-1, mastodon-sidekiq-2 for 3m12s until cancelled: 1234 new lines, 2 matching; across 1 restart; 1 new container. The last 2:
#2 WARN retry one
#1 WARN retry two
(3 older lines cut to fit a reply)`
	if text != want {
		t.Errorf("cancelled:\n%s\nwant:\n%s", text, want)
	}
	if len(reported) != 1 || reported[0] != "following sidekiq" {
		t.Errorf("progress %q", reported)
	}

	// The time limit is how following ends: no error.
	followed = &compose.Followed{Service: "web", Containers: []string{"mastodon-web-1"}, Replicas: 1, Took: 10 * time.Minute, Seen: 1,
		Lines: []compose.LogLine{{Number: 1, Time: at, Text: "GET /"}}}
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	text, err = run("logs web --follow", ctx)
	want = "web — followed mastodon-web-1 for 10m0s until its time limit ([jobs.timeouts] logs): 1 new line. The last 1:\nGET /"
	if err != nil || text != want {
		t.Errorf("timed out: %v\n%s\nwant:\n%s", err, text, want)
	}

	// Nothing seen.
	followed = &compose.Followed{Service: "web", Containers: []string{"mastodon-web-1"}, Replicas: 1, Took: time.Second}
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if text, _ = run("logs web --follow --grep boom", ctx); !strings.HasSuffix(text, `: 0 new lines, 0 matching. No line matched.`) {
		t.Errorf("no match: %q", text)
	}

	// Without --follow, logs reads as before.
	f.LogsFunc = func(s string, o compose.LogOptions) (*compose.Logs, error) {
		return &compose.Logs{Service: s, Containers: []string{"mastodon-web-1"}, Lines: []compose.LogLine{{Number: 1, Text: "GET /"}}}, nil
	}
	f.t = t
	if text, err := run("logs web", context.Background()); err != nil || text != "web — 1 lines from mastodon-web-1:\nGET /" {
		t.Errorf("logs web: %q, %v", text, err)
	}
}

// progressFunc records notes.
type progressFunc func(note string)

func (p progressFunc) Report(_, _ int64, note string) { p(note) }
func (p progressFunc) Done()                          {}

func TestLogsFollowNeedsAFollower(t *testing.T) {
	r := logsRegistry(t, &fakeServices{t: t})
	inv, err := r.Parse("logs web --follow")
	if err != nil {
		t.Fatal(err)
	}
	_, err = inv.Command.Run(context.Background(), &commands.Request{Inv: inv, Progress: nopProgress{}})
	if !strings.Contains(ops.SafeText(err), "cannot follow logs") {
		t.Errorf("err %v", err)
	}
	r = logsRegistry(t, compose.Unconfigured{})
	inv, _ = r.Parse("logs web --follow")
	if _, err = inv.Command.Run(context.Background(), &commands.Request{Inv: inv, Progress: nopProgress{}}); !strings.Contains(ops.SafeText(err), "no [compose] section") {
		t.Errorf("unconfigured: %v", err)
	}
}

// newLabBot is a bot with the service commands on a lab project.
func newLabBot(t *testing.T, p *compose.Project, cfg config.Config) *labBot {
	t.Helper()
	store, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg.Admins.Accounts = []string{labAdmin}
	b, err := bot.New(bot.Options{
		Log: zerolog.Nop(), Store: store, Config: &cfg, LocalDomain: "social.example.coop",
		Info:     bot.Info{Version: "test", Started: time.Now()},
		Commands: commands.ServiceCommands(p, commands.ServiceOptions{MediaDays: 7}),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = b.Close(ctx)
		_ = store.Close()
	})
	return &labBot{t: t, b: b, tr: &chat{}}
}

// waitSaid waits until the bot said something that matches re, and returns the match.
func (l *labBot) waitSaid(re string, within time.Duration) []string {
	l.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(within)
	for {
		lines := l.tr.since(0)
		for i := len(lines) - 1; i >= 0; i-- {
			if m := rx.FindStringSubmatch(lines[i]); m != nil {
				return m
			}
		}
		if time.Now().After(deadline) {
			l.t.Fatalf("nothing said matched %q within %s; said:\n%s", re, within, strings.Join(lines, "\n---\n"))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestLogsFollowThroughTheBot follows sidekiq as an admin would: one progress reply edited
// with new lines, then cancel; and until the time limit [jobs.timeouts] sets.
func TestLogsFollowThroughTheBot(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	lp := lab.Up(t, cli, lab.Spec{Services: []lab.Service{{Name: "sidekiq", Replicas: 2, Env: []string{"LAB_TICK=100ms"}}}})
	p, err := compose.New(compose.Options{Project: lp.Name, Client: cli})
	if err != nil {
		t.Fatal(err)
	}
	l := newLabBot(t, p, config.Default())

	l.say("logs sidekiq 5 --follow", false)
	m := l.waitSaid(`^job (\d+) \(logs sidekiq 5 --follow\): following sidekiq \(2 replicas\)[^\n]*: \d+ new lines?\ncancel (\d+) stops it\n(#[12] [^\n]+\n?)+$`, 15*time.Second)
	id := m[1]
	if m[2] != id {
		t.Errorf("the note says cancel %s for job %s", m[2], id)
	}
	// The reply goes on being edited with new lines.
	first := l.tr.len()
	l.waitSaid(`^\(edit\) job `+id+` \(logs sidekiq 5 --follow\): following sidekiq`, 5*time.Second)
	if l.tr.len() == first {
		t.Error("no edit")
	}
	l.say("cancel "+id, true)
	m = l.waitSaid(`^job `+id+` \(logs sidekiq 5 --follow\) cancelled by `+regexp.QuoteMeta(labAdmin)+` after [^:]+: sidekiq — followed `+
		regexp.QuoteMeta(lp.Name)+`-sidekiq-1, `+regexp.QuoteMeta(lp.Name)+`-sidekiq-2 for \S+ until cancelled: (\d+) new lines\. The last 5:\n((#[12] [^\n]+\n?){5})$`, 15*time.Second)
	if m[1] == "0" {
		t.Errorf("no new line seen: %q", m[0])
	}
	said := l.tr.since(0)
	t.Logf("the first progress reply, the last edit and the result:\n%s\n---\n%s\n---\n%s", said[0], said[len(said)-3], said[len(said)-1])

	// Until the time limit the config sets: the job succeeds.
	cfg := config.Default()
	cfg.Jobs.Timeouts = map[string]config.Duration{"logs": config.Duration(3 * time.Second)}
	l = newLabBot(t, p, cfg)
	got := l.say("logs sidekiq 3 --follow --grep RETRY", true)
	want := regexp.MustCompile(`^sidekiq, lines with "RETRY" — followed \S+, \S+ for [23](?:\.\d)?s until its time limit \(\[jobs\.timeouts\] logs\): (\d+) new lines, (\d+) matching\. The last 3:\n(#[12] [^\n]*WARN: [^\n]*retry: job \d+ timed out\n?){3}$`)
	if m := want.FindStringSubmatch(last(got)); m == nil {
		t.Errorf("timed out follow answered:\n%s", strings.Join(got, "\n---\n"))
	} else if m[1] == "0" || m[2] == "0" || m[1] == m[2] {
		t.Errorf("counts: %s new, %s matching", m[1], m[2])
	}
}
