package bot_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/state"
)

// recorder is a Transport that keeps what the bot said.
type recorder struct {
	mu      sync.Mutex
	replies []string
}

var _ bot.Transport = (*recorder)(nil)

func (r *recorder) Name() string { return "test" }
func (r *recorder) Reply(_ context.Context, _ bot.Message, text string) (bot.Ref, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.replies = append(r.replies, text)
	return bot.Ref("r"), nil
}
func (r *recorder) Edit(context.Context, bot.Ref, string) error { return nil }
func (r *recorder) Post(context.Context, string, bot.Visibility, bot.Ref) (bot.Ref, error) {
	return "", errors.New("no posts in these tests")
}

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.replies...)
}

const admin = "alice@social.example.coop"

func newBot(t *testing.T, extra ...commands.Command) (*bot.Bot, *recorder, *strings.Builder) {
	t.Helper()
	b, logs := newBotWith(t, func(*config.Config) {}, extra...)
	return b, &recorder{}, logs
}

// newBotWith builds a bot over a fresh store, with the config adjusted by edit.
func newBotWith(t *testing.T, edit func(*config.Config), extra ...commands.Command) (*bot.Bot, *strings.Builder) {
	t.Helper()
	store, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Admins.Accounts = []string{admin}
	edit(&cfg)
	var logs strings.Builder
	b, err := bot.New(bot.Options{
		Log: zerolog.New(&syncWriter{w: &logs}), Store: store, Config: &cfg,
		Info: bot.Info{Version: "v0.0.0-test", Started: time.Now()}, LocalDomain: "social.example.coop", Commands: extra,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = b.Close(ctx)
		_ = store.Close()
	})
	return b, &logs
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func send(t *testing.T, b *bot.Bot, tr bot.Transport, from, text string) {
	t.Helper()
	msg := bot.Message{ID: "1", Sender: bot.Account{Acct: from}, Text: text, At: time.Now()}
	done, err := b.Handle(context.Background(), tr, msg)
	if err != nil {
		t.Fatalf("Handle(%q): %v", text, err)
	}
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatalf("Handle(%q): its job never ended", text)
	}
}

func TestAdminGetsAnswers(t *testing.T) {
	tests := []struct {
		text string
		want string // the reply starts with this
	}{
		{"ping", "pong — tootops v0.0.0-test, up "},
		{"Ping", "pong — "},
		{"\n\n   ping  \nsecond line ignored", "pong — "},
		{"pnig", `unknown command "pnig" — did you mean "ping"?`},
		{"whoami", "you are @alice@social.example.coop"},
		{"   ", `empty message — send "help" for the list of commands`},
	}
	for _, tt := range tests {
		b, tr, _ := newBot(t)
		send(t, b, tr, admin, tt.text)
		got := tr.all()
		if len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
			t.Errorf("%q: replies %q, want one starting %q", tt.text, got, tt.want)
		}
	}
}

func TestStrangersGetNoReply(t *testing.T) {
	for _, from := range []string{
		"mallory@social.example.coop",
		"alice@evil.example",             // same user, other server
		"alice@social.example.coop.evil", // suffix trick
		"mallory",                        // no domain: a local account, not listed
		"",                               // no sender
		"alice@social.example.coop@evil", // two @
		"alice@evil.example@social.example.coop",
	} {
		b, tr, logs := newBot(t)
		send(t, b, tr, from, "ping")
		if got := tr.all(); len(got) != 0 {
			t.Errorf("from %q: replies %q, want none", from, got)
		}
		if !strings.Contains(logs.String(), "non-admin") {
			t.Errorf("from %q: refusal not logged: %s", from, logs.String())
		}
	}
}

func TestAllowlistNormalizes(t *testing.T) {
	a := bot.NewAllowlist([]string{"@Alice@Social.Example.Coop", "bob@other.example:8443"}, "social.example.coop")
	for acct, want := range map[string]bool{
		"alice@social.example.coop":  true,
		"ALICE@SOCIAL.EXAMPLE.COOP":  true,
		"@alice@social.example.coop": true,
		"alice":                      true, // a local account: the instance's domain
		"bob@other.example:8443":     true,
		"bob@other.example":          false, // the port is part of the domain
		"bob":                        false,
		"alice@other.example":        false,
		"":                           false,
		"@":                          false,
	} {
		if got := a.Allows(acct); got != want {
			t.Errorf("Allows(%q) = %v, want %v", acct, got, want)
		}
	}
	if got := a.Len(); got != 2 {
		t.Errorf("Len = %d, want 2", got)
	}
}

func TestCommandFailuresAreSafe(t *testing.T) {
	secret := errors.New("dial tcp: password=hunter2 rejected")
	b, tr, logs := newBot(t,
		commands.Command{Name: "boom", Summary: "panics", Run: func(context.Context, *commands.Request) (string, error) {
			panic("kaboom")
		}},
		commands.Command{Name: "leak", Summary: "fails with internals", Run: func(context.Context, *commands.Request) (string, error) {
			return "", secret
		}},
		commands.Command{Name: "slow", Summary: "outlives its timeout", Timeout: 10 * time.Millisecond, Run: func(ctx context.Context, _ *commands.Request) (string, error) {
			<-ctx.Done()
			return "", ctx.Err()
		}},
	)
	send(t, b, tr, admin, "boom")
	send(t, b, tr, admin, "leak")
	send(t, b, tr, admin, "slow")
	want := []string{
		"boom failed: internal error (the bot's log has the details)\n(job 1)",
		"leak failed: internal error (the bot's log has the details)\n(job 2)",
		"slow failed: timed out after 10ms\n(job 3)",
	}
	got := tr.all()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("replies:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !strings.Contains(logs.String(), "kaboom") || !strings.Contains(logs.String(), "hunter2") {
		t.Errorf("the log must keep the details for the operator:\n%s", logs.String())
	}
}

func TestCommandLine(t *testing.T) {
	for in, want := range map[string]string{
		"ping":                  "ping",
		"\n  \n ps \n restart":  "ps",
		"":                      "",
		"\r\n\tlogs web 50\r\n": "logs web 50",
	} {
		if got := bot.CommandLine(in); got != want {
			t.Errorf("CommandLine(%q) = %q, want %q", in, got, want)
		}
	}
}
