package commands_test

// journal and the host part of timers. No systemd runs where the tests run, so systemctl
// and journalctl are stood in for by samples of their output (ops/host/testdata); the
// last test takes the real path on this machine, where the real detector finds no
// systemd.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/host"
	"github.com/tootops/tootops/schedule"
	"github.com/tootops/tootops/state"
)

// hostNow is when the samples were "taken": Tue 2026-11-24 21:40 UTC.
var hostNow = time.Date(2026, 11, 24, 21, 40, 0, 0, time.UTC)

// samplePrograms answers as systemctl and journalctl would on a Mastodon host (the
// samples of ops/host/testdata), and records the calls. It is the one stand-in here: no
// systemd can run in the tests' container.
type samplePrograms struct {
	t     *testing.T
	mu    sync.Mutex
	calls []string
}

func (p *samplePrograms) Run(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
	p.mu.Lock()
	p.calls = append(p.calls, name+" "+strings.Join(args, " "))
	p.mu.Unlock()
	file := ""
	switch {
	case name == "systemctl" && args[0] == "list-timers":
		file = "list-timers.json"
	case name == "systemctl" && args[0] == "show":
		file = "show.txt"
	case name == "journalctl" && args[0] == "--unit=certbot.service":
		file = "journal-certbot.json"
	case name == "journalctl":
		return nil, nil, nil // no entries
	default:
		return nil, []byte("Unknown command verb " + args[0] + "."), errors.New("exit status 1")
	}
	b, err := os.ReadFile(filepath.Join("..", "ops", "host", "testdata", file))
	if err != nil {
		p.t.Fatal(err)
	}
	return b, nil, nil
}

func (p *samplePrograms) last() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[len(p.calls)-1]
}

var _ host.Runner = (*samplePrograms)(nil)

// sampleHost is a host.Systemd on a root where systemd runs, whose programs answer with
// the samples.
func sampleHost(t *testing.T, units ...string) (*host.Systemd, *samplePrograms) {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "run", "systemd", "system"), 0o755); err != nil {
		t.Fatal(err)
	}
	p := &samplePrograms{t: t}
	return &host.Systemd{Units: units, Runner: p, Root: root, Getenv: func(string) string { return "" },
		Location: time.UTC, Now: func() time.Time { return hostNow }}, p
}

// newHostBot is a bot with journal and the host's timers from s.
func newHostBot(t *testing.T, s *host.Systemd) *labBot {
	t.Helper()
	store, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Admins.Accounts = []string{labAdmin}
	cfg.Host.Units = s.Units
	b, err := bot.New(bot.Options{
		Log: zerolog.Nop(), Store: store, Config: &cfg, LocalDomain: "social.example.coop",
		Info:     bot.Info{Version: "test", Started: hostNow},
		Commands: []commands.Command{commands.Journal(s)},
		Host:     s,
		Now:      func() time.Time { return hostNow },
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

// TestHostThroughTheBot: journal and timers as an admin sends them, on a host whose
// systemd answers with the samples.
func TestHostThroughTheBot(t *testing.T) {
	s, p := sampleHost(t, "certbot.service", "certbot.timer", "pg-dump-to-s3.service")
	l := newHostBot(t, s)

	got := l.say("timers", true)
	if len(got) != 1 {
		t.Fatalf("timers answered %q", got)
	}
	golden(t, "timers-host.golden", got[0]+"\n")

	got = l.say("journal certbot", true)
	if len(got) != 1 {
		t.Fatalf("journal answered %q", got)
	}
	golden(t, "journal-certbot.golden", got[0]+"\n")
	if got, want := p.last(), "journalctl --unit=certbot.service --lines=20 --output=json --output-fields=MESSAGE,PRIORITY,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_COMM --no-pager"; got != want {
		t.Errorf("ran %q\nwant %q", got, want)
	}

	got = l.say("journal pg-dump-to-s3.service 500 --since 2h", true)
	if want := "pg-dump-to-s3.service, since 2h0m0s: nothing logged"; len(got) != 1 || got[0] != want {
		t.Errorf("empty journal answered %q, want %q", got, want)
	}
	if got, want := p.last(), fmt.Sprintf("journalctl --unit=pg-dump-to-s3.service --lines=500 --output=json --output-fields=MESSAGE,PRIORITY,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_COMM --no-pager --since=@%d", hostNow.Add(-2*time.Hour).Unix()); got != want {
		t.Errorf("ran %q\nwant %q", got, want)
	}

	calls := len(p.calls)
	for line, want := range map[string]string{
		"journal nginx":               "journal: UNIT: not in [host] units (allowed: certbot.service, certbot.timer, pg-dump-to-s3.service)",
		"journal cert*":               `journal: UNIT: expected a systemd unit with its type such as certbot.service or certbot.timer, got "cert*"`,
		"journal certbot 501":         "journal: N must be between 1 and 500, got 501",
		"journal certbot --since two": `--since: expected a duration such as 10m or 2h, got "two"`,
	} {
		got := l.say(line, true)
		if len(got) != 1 || !strings.HasPrefix(got[0], want+"\nusage: journal UNIT [N] [--since DURATION]") {
			t.Errorf("%s answered %q, want %q and the usage", line, got, want)
		}
	}
	if len(p.calls) != calls {
		t.Errorf("a refused line ran %q", p.calls[calls:])
	}
}

func TestJournalNoUnits(t *testing.T) {
	s, _ := sampleHost(t)
	got := newHostBot(t, s).say("journal certbot.service", true)
	if want := `journal: UNIT: no journal may be read: list units in [host] units, e.g. units = ["certbot.service"]`; len(got) != 1 || !strings.HasPrefix(got[0], want+"\n") {
		t.Errorf("answered %q, want %q", got, want)
	}
}

// fakeJournal returns a fixed journal.
type fakeJournal struct {
	units []string
	j     *host.Journal
	err   error
}

func (f fakeJournal) Journals() []string { return f.units }
func (f fakeJournal) Journal(_ context.Context, unit string, _ host.JournalOptions) (*host.Journal, error) {
	if f.j != nil {
		f.j.Unit = unit
	}
	return f.j, f.err
}

var _ commands.HostJournal = fakeJournal{}

func runJournal(t *testing.T, j commands.HostJournal, line string) (string, error) {
	t.Helper()
	reg := commands.NewRegistry()
	if err := reg.Add(commands.Journal(j)); err != nil {
		t.Fatal(err)
	}
	inv, err := reg.Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	return inv.Command.Run(context.Background(), &commands.Request{Inv: inv})
}

// TestJournalText: marks, a missing identifier, the reply's size bound and the notes.
func TestJournalText(t *testing.T) {
	at := time.Date(2026, 11, 24, 3, 12, 1, 0, time.UTC)
	var entries []host.Entry
	for i := range 60 {
		entries = append(entries, host.Entry{Time: at.Add(time.Duration(i) * time.Second), Priority: i % 8, Ident: "pg-dump-to-s3", PID: "77",
			Message: fmt.Sprintf("line %02d %s", i, strings.Repeat("x", 80))})
	}
	entries = append(entries, host.Entry{Time: at.Add(time.Hour), Priority: -1, Message: "no identifier\n  and a second line"})
	j := fakeJournal{units: []string{"pg-dump-to-s3.service"}, j: &host.Journal{Entries: entries, Unreadable: 1, Restricted: true}}
	text, err := runJournal(t, j, "journal pg-dump-to-s3 61")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(text, "\n")
	if got, want := lines[0], "pg-dump-to-s3.service — 61 entries:"; got != want {
		t.Errorf("header %q, want %q", got, want)
	}
	if len(text) > 4000+300 {
		t.Errorf("%d bytes", len(text))
	}
	// 61 entries make 62 lines, the last in two; the oldest are cut to keep the reply
	// near 4000 bytes.
	m := regexp.MustCompile(`\n\((\d+) older lines cut to fit a reply; ask for fewer, or narrow with --since\)\n`).FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no cut:\n%s", text)
	}
	kept := lines[1 : len(lines)-3]
	if dropped, _ := strconv.Atoi(m[1]); dropped+len(kept) != 62 || dropped < 10 {
		t.Errorf("%s dropped, %d kept", m[1], len(kept))
	}
	if got, want := strings.Join(lines[len(lines)-6:], "\n"), "11-24 04:12:01 pg-dump-to-s3.service: no identifier\n"+
		"    and a second line\n"+
		"("+m[1]+" older lines cut to fit a reply; ask for fewer, or narrow with --since)\n"+
		"(1 line of journalctl's output could not be read)\n"+
		"(the bot's user sees only its own journal: add it to the systemd-journal group to read the system's)"; !strings.HasSuffix(got, want) {
		t.Errorf("tail:\n%s\nwant:\n%s", got, want)
	}
	// Priorities 0 to 3 are marked ✗, 4 ⚠, 5 to 7 not at all.
	lineRE := regexp.MustCompile(`^(✗ |⚠ |)11-24 03:1\d:\d\d pg-dump-to-s3\[77\]: line (\d\d) x{80}$`)
	for _, l := range kept[:len(kept)-2] {
		m := lineRE.FindStringSubmatch(l)
		if m == nil {
			t.Errorf("line %q", l)
			continue
		}
		n, _ := strconv.Atoi(m[2])
		want := map[int]string{0: "✗ ", 1: "✗ ", 2: "✗ ", 3: "✗ ", 4: "⚠ "}[n%8]
		if m[1] != want {
			t.Errorf("priority %d marked %q, want %q: %s", n%8, m[1], want, l)
		}
	}

	// Other failures are the host package's safe text.
	_, err = runJournal(t, fakeJournal{units: []string{"certbot.service"}, err: &ops.Error{Msg: "journalctl is not installed here (not on PATH)"}}, "journal certbot")
	if got := ops.SafeText(err); got != "journalctl is not installed here (not on PATH)" {
		t.Errorf("got %q", got)
	}
}

// fakeHostTimers fails with err.
type fakeHostTimers struct{ err error }

func (f fakeHostTimers) Timers(context.Context) ([]host.Timer, error) { return nil, f.err }
func (f fakeHostTimers) Journals() []string                           { return nil }

var _ commands.HostTimers = fakeHostTimers{}

func TestTimersHostUnavailable(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{host.ErrContainer, "the bot runs in a container: the host's systemd timers are not visible here"},
		{host.ErrNoSystemd, "this machine does not run systemd"},
		{&ops.Error{Msg: "systemctl list-timers failed: Failed to connect to bus: Permission denied"}, "cannot list them: systemctl list-timers failed: Failed to connect to bus: Permission denied"},
		{nil, "none"},
		{errors.New("exec: secret details"), "cannot list them: internal error (the bot's log has the details)"},
	} {
		reg := commands.NewRegistry()
		if err := reg.Add(commands.Timers(noTimers{}, fakeHostTimers{tt.err}, func() time.Time { return hostNow })); err != nil {
			t.Fatal(err)
		}
		inv, _ := reg.Parse("timers")
		got, err := inv.Command.Run(context.Background(), &commands.Request{Inv: inv})
		if want := "no schedules: set them in the config, e.g. [backup] schedule = \"0 3 * * *\"\n\nhost timers:\n" + tt.want; got != want || err != nil {
			t.Errorf("%v: got %q, %v\nwant %q", tt.err, got, err, want)
		}
	}
}

// TestHostCommandsOnThisMachine takes the real path: the real detector, the real
// programs. No systemd runs here, so both commands must say so plainly.
func TestHostCommandsOnThisMachine(t *testing.T) {
	s := &host.Systemd{Units: []string{"certbot.service"}}
	why := s.Available()
	l := newHostBot(t, s)
	if why == nil {
		// systemd runs here: the real timers are listed, with no excuse in their place.
		got := l.say("timers", true)
		if len(got) != 1 || !strings.Contains(got[0], "\n\nhost timers:\n") || strings.Contains(got[0], "not visible here") || strings.Contains(got[0], "does not run systemd") {
			t.Errorf("timers on a systemd host answered %q", got)
		}
		return
	}
	timersWant, journalWant := "the bot runs in a container: the host's systemd timers are not visible here",
		"journal failed: the bot runs in a container: the host's journal is not visible here — read it on the host: journalctl -u certbot.service\n(job 1)"
	if errors.Is(why, host.ErrNoSystemd) {
		timersWant, journalWant = "this machine does not run systemd",
			"journal failed: this machine does not run systemd: there is no journal to read\n(job 1)"
	}
	if got := l.say("timers", true); len(got) != 1 || !strings.HasSuffix(got[0], "\n\nhost timers:\n"+timersWant) {
		t.Errorf("timers answered %q, want it to end with %q", got, timersWant)
	}
	if got := l.say("journal certbot", true); len(got) != 1 || got[0] != journalWant {
		t.Errorf("journal answered %q\nwant %q", got, journalWant)
	}
	t.Logf("here: %v", why)
}

// noTimers is a bot without schedules.
type noTimers struct{}

func (noTimers) Timers() ([]schedule.Timer, error) { return nil, nil }
