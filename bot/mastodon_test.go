package bot_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/bot/stream"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/mastodonsim"
	"github.com/tootops/tootops/state"
)

// instance is the imitation with the bot's account and two admins.
type instance struct {
	srv              *mastodonsim.Server
	botAcc, alice    *mastodonsim.Account
	bob, eve, mallor *mastodonsim.Account
	token            string
}

func newInstance(t testing.TB, opts ...mastodonsim.Option) *instance {
	t.Helper()
	opts = append([]mastodonsim.Option{mastodonsim.WithClock(simClock.now), mastodonsim.WithHeartbeat(100 * time.Millisecond), mastodonsim.WithPingInterval(100 * time.Millisecond)}, opts...)
	srv := mastodonsim.New(t, opts...)
	in := &instance{srv: srv}
	in.botAcc = srv.AddLocalAccount("tootops", mastodonsim.Bot())
	in.alice = srv.AddLocalAccount("alice")
	in.bob = srv.AddLocalAccount("bob")
	in.eve = srv.AddRemoteAccount("alice", "evil.example", mastodonsim.DisplayName("alice"))
	in.mallor = srv.AddLocalAccount("mallory")
	in.token = in.botAcc.Token("read", "write", "follow")
	return in
}

// dm posts a direct message from a to the bot.
func (in *instance) dm(a *mastodonsim.Account, text string) mastodonsim.Status {
	return in.srv.Post(a, mastodonsim.PostOpts{Text: "@tootops " + text, Visibility: "direct"})
}

// replies lists the bot's statuses in reply to st.
func (in *instance) replies(st mastodonsim.Status) []mastodonsim.Status {
	return in.srv.Statuses(func(s mastodonsim.Status) bool {
		return s.Account == in.botAcc && s.InReplyToID == st.ID
	})
}

// waitReply waits for the bot's first reply to st.
func (in *instance) waitReply(t testing.TB, st mastodonsim.Status) mastodonsim.Status {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	r, err := in.srv.WaitForStatus(ctx, func(s mastodonsim.Status) bool { return s.Account == in.botAcc && s.InReplyToID == st.ID })
	if err != nil {
		t.Fatalf("no reply to %q: %v", st.Text, err)
	}
	return r
}

// running is a bot serving the instance until stopped.
type running struct {
	cancel context.CancelFunc
	done   chan error
	intake *bot.Intake
	store  *state.Store
}

func (r *running) stop(t testing.TB) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Errorf("intake: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("intake did not stop")
	}
	_ = r.store.Close()
}

var counted atomic.Int32

// senderBurst is the per-sender burst the test bots allow; benchmarks lift it.
var senderBurst = 10

// simClock lets a test date statuses in the past; the zero offset is real time.
var simClock offsetClock

type offsetClock struct{ off atomic.Int64 }

func (c *offsetClock) now() time.Time      { return time.Now().Add(time.Duration(c.off.Load())) }
func (c *offsetClock) set(d time.Duration) { c.off.Store(int64(d)) }

// serve starts a bot on the state file at path (a new one when empty) against in.
func (in *instance) serve(t testing.TB, path string, edit func(*config.Config)) *running {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "s.db")
	}
	store, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Mastodon = &config.Mastodon{Server: in.srv.URL, AccessToken: config.NewSecret(in.token), StaleAfter: config.Duration(10 * time.Minute)}
	cfg.Admins.Accounts = []string{in.alice.FullAcct(), in.bob.FullAcct()}
	if edit != nil {
		edit(&cfg)
	}
	log := zerolog.New(zerolog.NewTestWriter(t)).Level(zerolog.WarnLevel)
	b, err := bot.New(bot.Options{Log: log, Store: store, Config: &cfg, LocalDomain: in.srv.Domain, Info: bot.Info{Version: "test", Started: time.Now()},
		Commands: []commands.Command{{Name: "count", Summary: "counts", Run: func(context.Context, *commands.Request) (string, error) {
			return fmt.Sprintf("counted %d", counted.Add(1)), nil
		}}, {Name: "bump", Summary: "changes something", Changes: true, Run: func(context.Context, *commands.Request) (string, error) {
			return "bumped", nil
		}}, {Name: "long", Summary: "long output", Run: func(context.Context, *commands.Request) (string, error) {
			var sb strings.Builder
			for i := range 60 {
				fmt.Fprintf(&sb, "line %02d of a long output https://example.org/a/very/long/url/that/counts/as/23/%d\n", i, i)
			}
			return sb.String(), nil
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	m, err := bot.DialMastodon(ctx, in.srv.URL, in.token, log)
	if err != nil {
		t.Fatal(err)
	}
	b.SetPublicChannel(m)
	b.SetRoleChecker(m)
	intake, err := bot.NewIntake(bot.IntakeOptions{Mastodon: m, Bot: b, Store: store, Log: log, StaleAfter: cfg.Mastodon.StaleAfter.D(),
		Settle: 150 * time.Millisecond, Sweep: time.Minute, Burst: senderBurst,
		Stream: stream.Options{Idle: 500 * time.Millisecond, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, PollEvery: 100 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	r := &running{cancel: cancel, done: make(chan error, 1), intake: intake, store: store}
	go func() {
		err := intake.Run(ctx)
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		_ = b.Close(cctx)
		r.done <- err
	}()
	t.Cleanup(func() { cancel() })
	in.waitConnected(t, r)
	return r
}

// waitConnected waits until the bot has caught up once (its stream, or a poll).
func (in *instance) waitConnected(t testing.TB, r *running) {
	t.Helper()
	// The request log is not server state WaitFor watches: poll it.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, req := range in.srv.Requests() {
			if req.Path == "/api/v1/notifications" && req.Status == 200 {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the bot never caught up")
}

func TestPingRoundTrip(t *testing.T) {
	for _, mode := range []stream.Mode{stream.WebSocket, stream.SSE, stream.Polling} {
		t.Run(string(mode), func(t *testing.T) {
			in := newInstance(t)
			in.srv.Faults.DisableWebSocket(mode != stream.WebSocket)
			in.srv.Faults.DisableSSE(mode == stream.Polling)
			r := in.serve(t, "", nil)
			defer r.stop(t)
			st := in.dm(in.alice, "ping")
			reply := in.waitReply(t, st)
			if reply.Visibility != "direct" || !reply.MentionsAcct("alice") || len(reply.Mentions) != 1 {
				t.Errorf("reply %+v: want direct, mentioning alice only", reply)
			}
			if !strings.Contains(reply.PlainText(), "pong — tootops test") {
				t.Errorf("reply text %q", reply.PlainText())
			}
			if got := r.intake.Stream().Mode(); got != mode {
				t.Errorf("mode %s, want %s", got, mode)
			}
		})
	}
}

func TestStrangersAndSpoofsGetNothing(t *testing.T) {
	in := newInstance(t)
	r := in.serve(t, "", nil)
	defer r.stop(t)
	in.srv.Follow(in.botAcc, in.eve)
	in.srv.Follow(in.botAcc, in.mallor)
	sent := []mastodonsim.Status{
		in.dm(in.mallor, "ping"),
		in.srv.Post(in.eve, mastodonsim.PostOpts{Text: "@tootops@" + in.srv.Domain + " ping", Visibility: "direct", Mentions: []*mastodonsim.Account{in.botAcc}}),
		in.srv.Post(in.alice, mastodonsim.PostOpts{Text: "@tootops ping", Visibility: "public"}),
		in.srv.Post(in.alice, mastodonsim.PostOpts{Text: "@tootops ping", Visibility: "private"}),
	}
	// An admin's DM after them proves the bot read past them.
	last := in.dm(in.alice, "ping")
	in.waitReply(t, last)
	for _, st := range sent {
		if rs := in.replies(st); len(rs) != 0 {
			t.Errorf("%s %q from %s got replies %q", st.Visibility, st.Text, st.Account.Acct, rs[0].PlainText())
		}
	}
}

func TestDMsWhileTheStreamIsDownArriveOnce(t *testing.T) {
	for _, fault := range []string{"drop", "silence"} {
		t.Run(fault, func(t *testing.T) {
			in := newInstance(t)
			r := in.serve(t, "", nil)
			defer r.stop(t)
			in.waitReply(t, in.dm(in.alice, "ping"))
			in.srv.Faults.DisableWebSocket(true)
			in.srv.Faults.DisableSSE(true)
			if fault == "drop" {
				in.srv.Faults.DropStreams()
			} else {
				in.srv.Faults.StallStreams()
			}
			var sent []mastodonsim.Status
			for range 3 {
				sent = append(sent, in.dm(in.alice, "count"))
			}
			in.srv.Faults.DisableWebSocket(false)
			in.srv.Faults.DisableSSE(false)
			for _, st := range sent {
				in.waitReply(t, st)
			}
			time.Sleep(300 * time.Millisecond) // room for a duplicate to show up
			for _, st := range sent {
				if n := len(in.replies(st)); n != 1 {
					t.Errorf("%d replies to one DM, want 1", n)
				}
			}
		})
	}
}

func TestRestartNeitherRepeatsNorLoses(t *testing.T) {
	in := newInstance(t)
	path := filepath.Join(t.TempDir(), "s.db")
	r := in.serve(t, path, nil)
	first := in.dm(in.alice, "count")
	in.waitReply(t, first)
	r.stop(t)
	whileDown := in.dm(in.alice, "count")
	r = in.serve(t, path, nil)
	defer r.stop(t)
	in.waitReply(t, whileDown)
	time.Sleep(300 * time.Millisecond)
	if n := len(in.replies(first)); n != 1 {
		t.Errorf("the DM before the restart got %d replies, want 1", n)
	}
	if n := len(in.replies(whileDown)); n != 1 {
		t.Errorf("the DM sent while down got %d replies, want 1", n)
	}
}

func TestFirstStartDoesNotReplayOldDMs(t *testing.T) {
	in := newInstance(t)
	old := in.dm(in.alice, "ping")
	r := in.serve(t, "", nil)
	defer r.stop(t)
	in.waitReply(t, in.dm(in.alice, "ping"))
	if n := len(in.replies(old)); n != 0 {
		t.Errorf("a DM from before the first start got %d replies", n)
	}
}

func TestLongOutputIsThreadedWithinTheLimit(t *testing.T) {
	in := newInstance(t, mastodonsim.WithMaxCharacters(500))
	r := in.serve(t, "", nil)
	defer r.stop(t)
	st := in.dm(in.alice, "long")
	in.waitReply(t, st)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// The thread grows reply by reply; wait for its last part.
	var parts []mastodonsim.Status
	_ = in.srv.WaitFor(ctx, func() bool {
		parts = in.srv.Statuses(func(s mastodonsim.Status) bool { return s.Account == in.botAcc })
		return len(parts) > 0 && strings.Contains(parts[len(parts)-1].Text, "line 59")
	})
	if len(parts) < 3 {
		t.Fatalf("%d parts, want a thread", len(parts))
	}
	for i, p := range parts {
		if p.Visibility != "direct" || !p.MentionsAcct("alice") {
			t.Errorf("part %d: %s, mentions %v", i, p.Visibility, p.Mentions)
		}
		if i > 0 && p.InReplyToID != parts[i-1].ID {
			t.Errorf("part %d replies to %s, want the part before (%s)", i, p.InReplyToID, parts[i-1].ID)
		}
		if !strings.HasSuffix(p.Text, fmt.Sprintf("(%d/%d)", i+1, len(parts))) {
			t.Errorf("part %d lacks its counter: %q", i, p.Text[max(0, len(p.Text)-20):])
		}
	}
}

func TestFailedPostsCreateExactlyOneStatus(t *testing.T) {
	for _, status := range []int{429, 500} {
		t.Run(fmt.Sprint(status), func(t *testing.T) {
			// A short window, so the reset the 429 announces comes within the test.
			limits := mastodonsim.DefaultRateLimits()
			limits.PerToken.Period = 2 * time.Second
			in := newInstance(t, mastodonsim.WithRateLimits(limits))
			r := in.serve(t, "", nil)
			defer r.stop(t)
			in.srv.Faults.FailNext(2, status, "/api/v1/statuses")
			st := in.dm(in.alice, "ping")
			in.waitReply(t, st)
			time.Sleep(200 * time.Millisecond)
			if n := len(in.replies(st)); n != 1 {
				t.Errorf("%d replies, want exactly 1", n)
			}
		})
	}
}

// A change sent while the bot was down and found by catch-up after [mastodon] stale_after
// is not run on the strength of an inline --yes: the bot asks again. A late "yes" is
// refused.
func TestStaleCommandsAreAskedAgain(t *testing.T) {
	in := newInstance(t)
	path := filepath.Join(t.TempDir(), "s.db")
	allowYes := func(c *config.Config) { c.Confirm.AllowInlineYes = true }
	r := in.serve(t, path, allowYes)
	in.waitReply(t, in.dm(in.alice, "ping"))
	r.stop(t)
	simClock.set(-time.Hour)
	stale := in.dm(in.alice, "bump --yes")
	staleYes := in.dm(in.alice, "yes")
	simClock.set(0)
	fresh := in.dm(in.alice, "bump --yes")
	r = in.serve(t, path, allowYes)
	defer r.stop(t)
	if got := in.waitReply(t, stale).PlainText(); !strings.Contains(got, "while I was away") || !strings.Contains(got, "Reply \"yes\"") {
		t.Errorf("stale change: %q, want a question", got)
	}
	if got := in.waitReply(t, staleYes).PlainText(); !strings.Contains(got, "too old to act on") {
		t.Errorf("stale yes: %q", got)
	}
	if got := in.waitReply(t, fresh).PlainText(); !strings.Contains(got, "bumped") {
		t.Errorf("fresh change with --yes: %q", got)
	}
}

func TestEditsNeverTriggerCommands(t *testing.T) {
	in := newInstance(t)
	r := in.serve(t, "", nil)
	defer r.stop(t)
	st := in.srv.Post(in.alice, mastodonsim.PostOpts{Text: "@bob ping", Visibility: "direct"})
	edited := in.srv.Edit(st, "@bob @tootops ping")
	in.waitReply(t, in.dm(in.alice, "ping")) // the bot read past the edit
	if n := len(in.replies(edited)); n != 0 {
		t.Errorf("an edit that added the bot's mention got %d replies", n)
	}
}

func TestAFloodFromOneSenderIsCut(t *testing.T) {
	in := newInstance(t)
	r := in.serve(t, "", nil)
	defer r.stop(t)
	var sent []mastodonsim.Status
	for range 14 {
		sent = append(sent, in.dm(in.alice, "count"))
	}
	// One DM from bob proves the bot read the flood; the limit is per sender.
	in.waitReply(t, in.dm(in.bob, "ping"))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	answered := func() (counted, slow int) {
		for _, st := range sent {
			for _, rep := range in.replies(st) {
				switch {
				case strings.Contains(rep.Text, "counted"):
					counted++
				case strings.Contains(rep.Text, "slow down"):
					slow++
				}
			}
		}
		return
	}
	_ = in.srv.WaitFor(ctx, func() bool { c, s := answered(); return c == 10 && s == 1 })
	if c, s := answered(); c != 10 || s != 1 {
		t.Errorf("%d commands run and %d slow-down answers, want 10 and 1", c, s)
	}
}

func TestAnnounceIsBoostedAndFollowedUp(t *testing.T) {
	in := newInstance(t)
	boostFile := filepath.Join(t.TempDir(), "boost")
	if err := os.WriteFile(boostFile, []byte(in.bob.Token("read", "write")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	parsed, err := config.Parse(strings.NewReader(fmt.Sprintf("[announce]\nvisibility = \"unlisted\"\nboost_tokens_file = %q\n", boostFile)), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	r := in.serve(t, "", func(c *config.Config) { c.Announce = parsed.Announce })
	defer r.stop(t)

	ask := func(text string) string {
		t.Helper()
		return in.waitReply(t, in.dm(in.alice, text)).PlainText()
	}
	q := ask("announce Upgrading to v4.5.1 at 20:00 UTC")
	if !strings.Contains(q, "will post (unlisted): “Upgrading to v4.5.1 at 20:00 UTC”, boosted by 1 admin account(s)") {
		t.Fatalf("question %q", q)
	}
	ask("yes")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	post, err := in.srv.WaitForStatus(ctx, func(s mastodonsim.Status) bool {
		return s.Account == in.botAcc && s.Visibility == "unlisted" && s.InReplyToID == ""
	})
	if err != nil {
		t.Fatal(err)
	}
	if post.Text != "Upgrading to v4.5.1 at 20:00 UTC" || len(post.Mentions) != 0 {
		t.Errorf("announcement %q mentioning %v", post.Text, post.Mentions)
	}
	if _, err := in.srv.WaitForStatus(ctx, func(s mastodonsim.Status) bool { return s.Account == in.bob && s.ReblogOf == post.ID }); err != nil {
		t.Errorf("not boosted by bob: %v", err)
	}
	ask("announce --follow-up Done: we run v4.5.1")
	ask("yes")
	follow, err := in.srv.WaitForStatus(ctx, func(s mastodonsim.Status) bool {
		return s.Account == in.botAcc && s.InReplyToID == post.ID
	})
	if err != nil || follow.Text != "Done: we run v4.5.1" || follow.Visibility != "unlisted" {
		t.Errorf("follow-up %+v, %v", follow, err)
	}
}

func TestPoliteRefusalOncePerSender(t *testing.T) {
	in := newInstance(t)
	in.srv.Follow(in.botAcc, in.mallor)
	r := in.serve(t, "", func(c *config.Config) { c.Admins.Refusal = "polite" })
	defer r.stop(t)
	first := in.dm(in.mallor, "ps")
	second := in.dm(in.mallor, "restart web")
	in.waitReply(t, in.dm(in.alice, "ping"))
	if got := in.waitReply(t, first).PlainText(); !strings.Contains(got, "only takes commands from its admins") {
		t.Errorf("refusal %q", got)
	}
	if n := len(in.replies(second)); n != 0 {
		t.Errorf("a second refusal within the hour: %d replies", n)
	}
}

func TestRequireRoleRechecksEveryCommand(t *testing.T) {
	in := newInstance(t)
	in.srv.SetRole(in.botAcc, &mastodonsim.RoleModerator) // may read roles
	in.srv.SetRole(in.alice, &mastodonsim.RoleAdmin)      // DevOps
	in.token = in.botAcc.Token("read", "write", "follow", "admin:read:accounts")
	r := in.serve(t, "", func(c *config.Config) { c.Admins.RequireRole = true })
	defer r.stop(t)
	if got := in.waitReply(t, in.dm(in.alice, "ping")).PlainText(); !strings.Contains(got, "pong") {
		t.Errorf("alice, an Admin: %q", got)
	}
	const refused = "no longer grants Administrator or DevOps"
	if got := in.waitReply(t, in.dm(in.bob, "ping")).PlainText(); !strings.Contains(got, refused) {
		t.Errorf("bob, listed but without a role: %q", got)
	}
	in.srv.SetRole(in.alice, nil) // demoted in Mastodon's admin UI
	if got := in.waitReply(t, in.dm(in.alice, "ping")).PlainText(); !strings.Contains(got, refused) {
		t.Errorf("alice after her demotion: %q", got)
	}
}

// A revoked token ends the stream; the reconnect gets 401, and the intake stops with
// the reason instead of retrying forever.
func TestRevokedTokenStopsTheIntake(t *testing.T) {
	in := newInstance(t)
	r := in.serve(t, "", nil)
	in.waitReply(t, in.dm(in.alice, "ping"))
	in.srv.Revoke(in.token)
	select {
	case err := <-r.done:
		if !errors.Is(err, stream.ErrUnauthorized) {
			t.Errorf("intake ended with %v, want ErrUnauthorized", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the intake kept going with a revoked token")
	}
	_ = r.store.Close()
}
