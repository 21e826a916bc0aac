package bot_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
)

func TestConsolePipedRunsEachLineInOrder(t *testing.T) {
	b, _, _ := newBot(t, commands.Command{Name: "echo", Summary: "echo", Args: []commands.Arg{{Name: "WORD"}},
		Run: func(_ context.Context, req *commands.Request) (string, error) {
			return "said " + req.Inv.Str("WORD"), nil
		}})
	var out strings.Builder
	in := "echo one\n\n   \necho two\npnig\necho three" // no final newline
	if err := bot.RunConsole(context.Background(), b, bot.NewConsole(&out, false), strings.NewReader(in), bot.Account{Acct: admin}); err != nil {
		t.Fatal(err)
	}
	want := "said one\nsaid two\nunknown command \"pnig\" — did you mean \"ping\"?\nsaid three\n"
	if got := out.String(); got != want {
		t.Errorf("output:\n%q\nwant:\n%q", got, want)
	}
}

func TestConsoleTooLongLine(t *testing.T) {
	b, _, _ := newBot(t)
	var out strings.Builder
	in := strings.Repeat("x", 70<<10) + "\nping\n"
	if err := bot.RunConsole(context.Background(), b, bot.NewConsole(&out, false), strings.NewReader(in), bot.Account{Acct: admin}); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], "line 1 is too long") || !strings.HasPrefix(lines[1], "pong") {
		t.Errorf("output %q: want a too-long notice, then pong", out.String())
	}
}

func TestConsoleEditsInPlaceOnATerminal(t *testing.T) {
	ctx := context.Background()
	var out strings.Builder
	c := bot.NewConsole(&out, true)
	ref, _ := c.Reply(ctx, bot.Message{}, "backup: 10%")
	_ = c.Edit(ctx, ref, "backup: 50%")
	_ = c.Edit(ctx, ref, "backup: done\n2.1 GB in 4m")
	want := "backup: 10%\r\033[Kbackup: 50%\nbackup: done\n2.1 GB in 4m\n"
	if got := out.String(); got != want {
		t.Errorf("tty output %q, want %q", got, want)
	}
	out.Reset()
	p := bot.NewConsole(&out, false)
	ref, _ = p.Reply(ctx, bot.Message{}, "backup: 10%")
	_ = p.Edit(ctx, ref, "backup: 50%")
	if got, want := out.String(), "backup: 10%\nbackup: 50%\n"; got != want {
		t.Errorf("piped output %q, want %q", got, want)
	}
}

// On a terminal, jobs run on while the admin types, so a running job can be listed and
// cancelled; the console still waits for every job before it returns.
func TestConsoleOnATerminalRunsJobsInTheBackground(t *testing.T) {
	l := newLab(t, func(*config.Config) {})
	var out syncBuilder
	c := bot.NewConsole(&out, true)
	c.Every = 0
	in := "wait\njobs\ncancel 1\n"
	if err := bot.RunConsole(context.Background(), l.b, c, strings.NewReader(in), bot.Account{Acct: admin}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{
		"#1 running wait — alice",
		"job 1 (wait) cancelled after",
		"job 1 (wait) cancelled by " + admin,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("console output lacks %q:\n%s", want, got)
		}
	}
}

type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
