package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/schedule"
	"github.com/tootops/tootops/state"
)

const bob = "bob@social.example.coop"

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// lab is a bot with test commands that count what they did.
type lab struct {
	t        *testing.T
	b        *bot.Bot
	tr       *recorder
	clock    *clock
	restarts atomic.Int32
	started  chan struct{}
}

func newLab(t *testing.T, edit func(*config.Config)) *lab {
	t.Helper()
	l := &lab{t: t, tr: &recorder{}, clock: &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}, started: make(chan struct{}, 10)}
	store, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Admins.Accounts = []string{admin, bob}
	edit(&cfg)
	l.b, err = bot.New(bot.Options{
		Log: zerolog.Nop(), Store: store, Config: &cfg, Now: l.clock.now,
		Info: bot.Info{Version: "test", Started: l.clock.now()}, LocalDomain: "social.example.coop",
		Commands:  l.commands(),
		Schedules: []schedule.Entry{{Name: "nightly", Spec: "0 3 * * *", Line: "restart web"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = l.b.Close(ctx)
		_ = store.Close()
	})
	return l
}

func (l *lab) commands() []commands.Command {
	return []commands.Command{
		{
			Name: "restart", Summary: "restart a service", Changes: true,
			Args:  []commands.Arg{{Name: "SERVICE"}},
			Locks: func(inv *commands.Invocation) []string { return []string{"service:" + inv.Str("SERVICE")} },
			Plan: func(_ context.Context, inv *commands.Invocation) (string, error) {
				return "will restart " + inv.Str("SERVICE") + " (1 container)", nil
			},
			Run: func(_ context.Context, req *commands.Request) (string, error) {
				l.restarts.Add(1)
				return "restarted " + req.Inv.Str("SERVICE"), nil
			},
		},
		{
			Name: "hold", Summary: "holds a service's lock until cancelled",
			Args:  []commands.Arg{{Name: "SERVICE"}},
			Locks: func(inv *commands.Invocation) []string { return []string{"service:" + inv.Str("SERVICE")} },
			Run: func(ctx context.Context, _ *commands.Request) (string, error) {
				l.started <- struct{}{}
				<-ctx.Done()
				return "", ctx.Err()
			},
		},
		{
			Name: "wait", Summary: "a long job that waits on its context",
			Run: func(ctx context.Context, req *commands.Request) (string, error) {
				req.Progress.Report(1, 4, "waiting for the context")
				l.started <- struct{}{}
				<-ctx.Done()
				return "removed the scratch container", ctx.Err()
			},
		},
	}
}

// say sends text as from and returns the channel of its job.
func (l *lab) say(from, text string) <-chan struct{} {
	l.t.Helper()
	done, err := l.b.Handle(context.Background(), l.tr, bot.Message{ID: "m", Sender: bot.Account{Acct: from}, Text: text})
	if err != nil {
		l.t.Fatal(err)
	}
	return done
}

// ask sends text, waits for everything it started, and returns the replies it caused.
func (l *lab) ask(from, text string) []string {
	l.t.Helper()
	before := len(l.tr.all())
	select {
	case <-l.say(from, text):
	case <-time.After(10 * time.Second):
		l.t.Fatalf("%q: never finished", text)
	}
	return l.tr.all()[before:]
}

var codeRE = regexp.MustCompile(`"yes ([A-Z0-9]{4})"|"approve ([A-Z0-9]{4})"`)

func code(t *testing.T, reply string) string {
	t.Helper()
	m := codeRE.FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("no code in %q", reply)
	}
	return m[1] + m[2]
}

func expect(t *testing.T, got []string, want ...string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("replies %q, want %d starting %q", got, len(want), want)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("reply %d = %q, want it to start %q", i, got[i], want[i])
		}
	}
}

func TestConfirmThenRun(t *testing.T) {
	l := newLab(t, func(*config.Config) {})
	got := l.ask(admin, "restart web")
	expect(t, got, "will restart web (1 container)\nReply \"yes\" (or \"yes ")
	c := code(t, got[0])
	if l.restarts.Load() != 0 {
		t.Fatal("ran before confirmation")
	}
	expect(t, l.ask(admin, "yes"), c+" confirmed — running: restart web", "restarted web")
	expect(t, l.ask(admin, "yes "+c), "yes: no pending command has the code "+c+" — it may have expired or been answered already") // used once only
	if l.restarts.Load() != 1 {
		t.Errorf("restarts = %d, want 1", l.restarts.Load())
	}
	// With the code, in lower case as phones type it.
	c = code(t, l.ask(admin, "restart sidekiq")[0])
	expect(t, l.ask(admin, "yes "+strings.ToLower(c)), c+" confirmed", "restarted sidekiq")
}

func TestConfirmationRefusals(t *testing.T) {
	l := newLab(t, func(*config.Config) {})
	c := code(t, l.ask(admin, "restart web")[0])
	expect(t, l.ask(bob, "yes "+c), "yes: "+c+" was asked for by "+admin+"; only they can confirm it")
	expect(t, l.ask(bob, "yes"), "yes: nothing to confirm: you have no pending command")
	expect(t, l.ask(admin, "yes ZZZZ"), "yes: no pending command has the code ZZZZ — yours is "+c+" (restart web)")
	expect(t, l.ask(bob, "approve "+c), "approve: "+c+" needs no second admin")
	c2 := code(t, l.ask(admin, "restart sidekiq")[0])
	expect(t, l.ask(admin, "yes"), "yes: you have several pending commands: ")
	expect(t, l.ask(admin, "no "+c2), "dropped "+c2+": restart sidekiq")
	l.clock.add(3 * time.Minute)
	expect(t, l.ask(admin, "yes "+c), "yes: "+c+" expired 1m0s ago — send the command again")
	if l.restarts.Load() != 0 {
		t.Errorf("restarts = %d, want 0", l.restarts.Load())
	}
}

func TestSecondAdmin(t *testing.T) {
	l := newLab(t, func(c *config.Config) { c.Confirm.SecondAdmin = []string{"restart"} })
	got := l.ask(admin, "restart web")
	expect(t, got, "will restart web (1 container)\nThis needs a second admin: another admin sends \"approve ")
	c := code(t, got[0])
	expect(t, l.ask(admin, "yes"), "yes: "+c+" needs a second admin — another admin must send approve "+c)
	expect(t, l.ask(admin, "approve "+c), "approve: you asked for "+c+" yourself; a different admin must approve it")
	if l.restarts.Load() != 0 {
		t.Fatal("ran without a second admin")
	}
	expect(t, l.ask(bob, "approve "+c), c+" approved by "+bob+" — running: restart web", "restarted web")
}

func TestDryRunAndInlineYes(t *testing.T) {
	l := newLab(t, func(*config.Config) {})
	expect(t, l.ask(admin, "restart web --dry-run"), "dry run, nothing was changed — will restart web (1 container)")
	got := l.ask(admin, "restart web --yes")
	expect(t, got, "will restart web")
	if !strings.HasSuffix(got[0], "(--yes is off here: [confirm] allow_inline_yes)") {
		t.Errorf("no note on --yes: %q", got[0])
	}
	if l.restarts.Load() != 0 {
		t.Fatal("dry run or refused --yes ran the command")
	}
	l2 := newLab(t, func(c *config.Config) { c.Confirm.AllowInlineYes = true })
	expect(t, l2.ask(admin, "restart web --yes"), "restarted web")
}

func TestCancelAJobInTheMiddle(t *testing.T) {
	l := newLab(t, func(*config.Config) {})
	done := l.say(admin, "wait")
	<-l.started
	expect(t, l.ask(admin, "jobs"), "#1 running wait — alice, for 0s, 25%, waiting for the context")
	expect(t, l.ask(admin, "job 1"), "job 1: wait — running\nby "+admin)
	l.ask(bob, "cancel 1")
	<-done
	all := l.tr.all()
	// The answer to cancel and the job's own end, in whichever order they came.
	for _, want := range []string{
		"job 1 (wait) cancelled after 0s: removed the scratch container",
		"job 1 (wait) cancelled by " + bob + " after 0s: removed the scratch container",
	} {
		if !contains(all, want) {
			t.Errorf("no reply %q in %q", want, all)
		}
	}
	expect(t, l.ask(admin, "cancel 1"), "cancel: job 1 has already ended (cancelled)")
	expect(t, l.ask(admin, "job 7"), "job: no job 7 — send \"jobs\"")
	// The progress reply was posted while it ran.
	if !contains(all, "job 1 (wait): 25% (1/4), waiting for the context") {
		t.Errorf("no progress reply in %q", all)
	}
}

func TestBusyLockNamesTheHolder(t *testing.T) {
	l := newLab(t, func(c *config.Config) { c.Confirm.AllowInlineYes = true })
	done := l.say(bob, "hold web")
	<-l.started
	expect(t, l.ask(admin, "restart web --yes"),
		"restart: busy: service:web is held by job 1 (hold web, by "+bob+", started 12:00Z, 0s ago); try again when it is done, or send \"jobs\"")
	// Another service is free; the project lock is shared between changes.
	expect(t, l.ask(admin, "restart sidekiq --yes"), "restarted sidekiq")
	// A schedule that finds its lock held skips, and says so in timers and the audit.
	_, err := l.b.RunScheduled(context.Background(), schedule.Entry{Name: "nightly", Line: "restart web"})
	if !errors.Is(err, schedule.ErrSkipped) {
		t.Errorf("scheduled run on a busy lock: %v, want ErrSkipped", err)
	}
	l.ask(admin, "cancel 1")
	<-done
	if l.restarts.Load() != 1 {
		t.Errorf("restarts = %d, want 1 (sidekiq only)", l.restarts.Load())
	}
}

func TestScheduledRunSkipsABusyLock(t *testing.T) {
	l := newLab(t, func(*config.Config) {})
	summary, err := l.b.RunScheduled(context.Background(), schedule.Entry{Name: "nightly", Line: "restart web"})
	if err != nil || summary != "restarted web" || l.restarts.Load() != 1 {
		t.Fatalf("scheduled run: %q, %v (restarts %d)", summary, err, l.restarts.Load())
	}
	expect(t, l.ask(admin, "timers"), "nightly (0 3 * * *): \"restart web\" — next Wed 03:00 (in 15h0m0s)")
	audit := strings.Join(l.ask(admin, "audit 3"), "\n")
	if !strings.Contains(audit, `schedule schedule:nightly "restart web" → succeeded (job 1)`) {
		t.Errorf("audit:\n%s", audit)
	}
}

func TestAuditRecordsTheConversation(t *testing.T) {
	l := newLab(t, func(*config.Config) {})
	c := code(t, l.ask(admin, "restart web")[0])
	l.ask(admin, "yes")
	l.ask("mallory@evil.example", "restart web")
	got := l.ask(admin, "audit 5")
	text := strings.Join(got, "\n")
	for _, w := range []string{
		`refusal mallory@evil.example → ignored: not in [admins] accounts`,
		`command alice@social.example.coop "restart web" → succeeded (job 1)`,
		`confirmation alice@social.example.coop "yes" → ok`,
		`confirmation alice@social.example.coop "restart web" → proposed ` + c,
	} {
		if !strings.Contains(text, w) {
			t.Errorf("audit lacks %q:\n%s", w, text)
		}
	}
}

// A restart of the bot with a job running: the record survives as interrupted, the sender
// is told in the thread of the command, and nothing runs again.
func TestRestartWithARunningJob(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	open := func() (*bot.Bot, *state.Store, *lab) {
		store, err := state.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg := config.Default()
		cfg.Admins.Accounts = []string{admin}
		l := &lab{t: t, tr: &recorder{}, clock: &clock{t: time.Now()}, started: make(chan struct{}, 1)}
		b, err := bot.New(bot.Options{Log: zerolog.Nop(), Store: store, Config: &cfg, Info: bot.Info{Version: "t"}, LocalDomain: "social.example.coop", Commands: l.commands()})
		if err != nil {
			t.Fatal(err)
		}
		l.b = b
		return b, store, l
	}
	b1, s1, l1 := open()
	l1.say(admin, "wait")
	<-l1.started
	_ = s1.Close() // the process dies: nothing more reaches the file
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = b1.Close(ctx)

	b2, s2, l2 := open()
	defer s2.Close()
	defer b2.Close(ctx)
	if n := b2.NotifyInterrupted(ctx, l2.tr); n != 1 {
		t.Fatalf("told %d senders, want 1", n)
	}
	expect(t, l2.tr.all(), "job 1 (wait) was interrupted when the bot stopped at ")
	expect(t, l2.ask(admin, "jobs"), "#1 interrupted wait — alice")
	if n := b2.NotifyInterrupted(ctx, l2.tr); n != 0 {
		t.Errorf("told again: %d", n)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestConfiguredTimeoutOverridesTheCommand(t *testing.T) {
	l := newLab(t, func(c *config.Config) {
		c.Jobs.Timeouts = map[string]config.Duration{"wait": config.Duration(30 * time.Millisecond)}
	})
	got := l.ask(admin, "wait")
	expect(t, got, "job 1 (wait): 25% (1/4), waiting for the context", "wait failed: timed out after 30ms\nremoved the scratch container\n(job 1)")
}

func TestUnknownCommandNamesInTheConfig(t *testing.T) {
	store, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	cfg := config.Default()
	cfg.Confirm.SecondAdmin = []string{"upgarde"}
	cfg.Jobs.Timeouts = map[string]config.Duration{"bakup": config.Duration(time.Hour)}
	_, err = bot.New(bot.Options{Log: zerolog.Nop(), Store: store, Config: &cfg,
		Schedules: []schedule.Entry{{Name: "backup", Spec: "@daily", Line: "backup"}}})
	want := `confirm.second_admin: no command "upgarde"; see "bot help"
jobs.timeouts: no command "bakup"; see "bot help"
backup.schedule: runs "backup", which the bot does not understand: unknown command "backup" — send "help" for the list of commands`
	if err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

// A question asked before a restart can be answered after it.
func TestConfirmationSurvivesARestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	var restarts atomic.Int32
	open := func() (*bot.Bot, *state.Store) {
		store, err := state.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg := config.Default()
		cfg.Admins.Accounts = []string{admin}
		b, err := bot.New(bot.Options{Log: zerolog.Nop(), Store: store, Config: &cfg, LocalDomain: "social.example.coop",
			Commands: []commands.Command{{Name: "restart", Summary: "r", Changes: true, Args: []commands.Arg{{Name: "SERVICE"}},
				Run: func(context.Context, *commands.Request) (string, error) { restarts.Add(1); return "restarted", nil }}}})
		if err != nil {
			t.Fatal(err)
		}
		return b, store
	}
	ctx := context.Background()
	tr := &recorder{}
	b, s := open()
	if _, err := b.Handle(ctx, tr, bot.Message{ID: "1", Sender: bot.Account{Acct: admin}, Text: "restart web"}); err != nil {
		t.Fatal(err)
	}
	c := code(t, tr.all()[0])
	_ = b.Close(ctx)
	_ = s.Close()

	b, s = open()
	defer s.Close()
	defer b.Close(ctx)
	done, err := b.Handle(ctx, tr, bot.Message{ID: "2", Sender: bot.Account{Acct: admin}, Text: "yes " + c})
	if err != nil {
		t.Fatal(err)
	}
	<-done
	if restarts.Load() != 1 {
		t.Errorf("restarts = %d, want 1; replies %q", restarts.Load(), tr.all())
	}
}
