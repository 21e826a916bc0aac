package host_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/host"
)

// now is when the samples in testdata were "taken": Tue 2026-11-24 21:40 UTC.
var now = time.Date(2026, 11, 24, 21, 40, 0, 0, time.UTC)

// booted is a root directory where systemd runs, as Detect sees it.
func booted(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "run/systemd/system"), 0o755); err != nil {
		t.Fatal(err)
	}
	return root
}

func sample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// programs stands in for systemctl and journalctl, which cannot run here (no systemd):
// it answers each program and first argument with a sample, and records the calls.
type programs struct {
	mu    sync.Mutex
	calls []string
	out   map[string]func(args []string) ([]byte, []byte, error) // by "name verb", verb being the first argument that is not a flag
}

func (p *programs) Run(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
	p.mu.Lock()
	p.calls = append(p.calls, name+" "+strings.Join(args, " "))
	p.mu.Unlock()
	key := name
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		key += " " + args[0]
	}
	if f, ok := p.out[key]; ok {
		return f(args)
	}
	return nil, []byte("unexpected call"), fmt.Errorf("%s: exit status 1", key)
}

var _ host.Runner = (*programs)(nil)

func serve(b []byte) func([]string) ([]byte, []byte, error) {
	return func([]string) ([]byte, []byte, error) { return b, nil, nil }
}

func newSystemd(t *testing.T, p *programs) *host.Systemd {
	return &host.Systemd{
		Units:  []string{"certbot.service", "certbot.timer", "pg-dump-to-s3.service"},
		Runner: p, Root: booted(t), Getenv: func(string) string { return "" },
		Location: time.UTC, Now: func() time.Time { return now },
	}
}

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04:05.999999", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestTimers(t *testing.T) {
	p := &programs{out: map[string]func([]string) ([]byte, []byte, error){
		"systemctl list-timers": serve(sample(t, "list-timers.json")),
		"systemctl show":        serve(sample(t, "show.txt")),
	}}
	timers, err := newSystemd(t, p).Timers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.calls, []string{
		"systemctl list-timers --all --no-legend --no-pager --output=json",
		"systemctl show --no-pager --property=Id,ActiveState,Result,ExecMainStatus -- dpkg-db-backup.service logrotate.service man-db.service certbot.service apt-daily-upgrade.service apt-daily.service systemd-tmpfiles-clean.service e2scrub_all.service mastodon-media-remove.service fstrim.service pg-dump-to-s3.service",
	}; !slices.Equal(got, want) {
		t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var units []string
	for _, tm := range timers {
		units = append(units, tm.Unit)
	}
	if got, want := strings.Join(units, " "), "dpkg-db-backup.timer logrotate.timer man-db.timer certbot.timer apt-daily-upgrade.timer apt-daily.timer systemd-tmpfiles-clean.timer e2scrub_all.timer mastodon-media-remove.timer fstrim.timer pg-dump-to-s3.timer"; got != want {
		t.Errorf("order: %s\nwant   %s", got, want)
	}
	certbot := timers[3]
	if want := (host.Timer{Unit: "certbot.timer", Activates: "certbot.service", Next: at("2026-11-25 03:12:00"), Last: at("2026-11-24 15:12:04.512345"), Result: "success", ActiveState: "inactive"}); certbot != want {
		t.Errorf("certbot:\n%+v\nwant\n%+v", certbot, want)
	}
	if certbot.Failed() || certbot.Running() {
		t.Errorf("certbot failed %v, running %v", certbot.Failed(), certbot.Running())
	}
	if m := timers[2]; !m.Running() || m.Failed() {
		t.Errorf("man-db: %+v", m)
	}
	if m := timers[8]; !m.Last.IsZero() || m.Next.IsZero() {
		t.Errorf("never ran (last 0): %+v", m)
	}
	if pg := timers[10]; !pg.Next.IsZero() || !pg.Last.Equal(at("2026-11-09 02:00:01.224455")) || !pg.Failed() || pg.Result != "exit-code" || pg.ExitStatus != 1 {
		t.Errorf("pg-dump-to-s3 (next null, failed): %+v", pg)
	}
}

// TestTimersTable: a systemctl without JSON (systemd 247) prints its table, which gives
// the same timers to the second.
func TestTimersTable(t *testing.T) {
	fromJSON, err := host.ParseTimers(sample(t, "list-timers.json"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	fromTable, err := host.ParseTimers(sample(t, "list-timers-247.txt"), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if len(fromTable) != len(fromJSON) || len(fromJSON) != 11 {
		t.Fatalf("%d timers from the table, %d from JSON", len(fromTable), len(fromJSON))
	}
	for i, j := range fromJSON {
		j.Next, j.Last = j.Next.Truncate(time.Second), j.Last.Truncate(time.Second)
		if got := fromTable[i]; got != j {
			t.Errorf("table row %d:\n%+v\nJSON:\n%+v", i, got, j)
		}
	}
}

func TestTimersFailures(t *testing.T) {
	// systemctl itself fails: its first line of stderr says why.
	p := &programs{out: map[string]func([]string) ([]byte, []byte, error){
		"systemctl list-timers": func([]string) ([]byte, []byte, error) {
			return nil, []byte("Failed to connect to bus: Permission denied\n"), errors.New("exit status 1")
		},
	}}
	_, err := newSystemd(t, p).Timers(context.Background())
	if got, want := ops.SafeText(err), "systemctl list-timers failed: Failed to connect to bus: Permission denied"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// systemctl show fails: the timers are listed, their results unknown.
	p.out = map[string]func([]string) ([]byte, []byte, error){"systemctl list-timers": serve(sample(t, "list-timers.json"))}
	timers, err := newSystemd(t, p).Timers(context.Background())
	if err != nil || len(timers) != 11 || timers[3].Result != "" || timers[3].Failed() {
		t.Errorf("show failing: %v, %+v", err, timers)
	}
	// Not JSON, not a table: no timers rather than nonsense.
	if got, err := host.ParseTimers([]byte("[{\"next\": \"soon\"}]"), time.UTC); err == nil {
		t.Errorf("bad JSON read as %+v", got)
	}
	// Too slow: the time limit says so.
	slow := newSystemd(t, &programs{})
	slow.Timeout = 20 * time.Millisecond
	slow.Runner = host.RunFunc(func(ctx context.Context, _ string, _ ...string) ([]byte, []byte, error) {
		<-ctx.Done()
		return nil, nil, ctx.Err()
	})
	if _, err := slow.Timers(context.Background()); ops.SafeText(err) != "systemctl list-timers took more than 20ms" {
		t.Errorf("slow: %q", ops.SafeText(err))
	}
}

func TestJournal(t *testing.T) {
	p := &programs{out: map[string]func([]string) ([]byte, []byte, error){"journalctl": serve(sample(t, "journal-certbot.json"))}}
	s := newSystemd(t, p)
	j, err := s.Journal(context.Background(), "certbot.service", host.JournalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.calls, []string{"journalctl --unit=certbot.service --lines=20 --output=json --output-fields=MESSAGE,PRIORITY,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_COMM --no-pager"}; !slices.Equal(got, want) {
		t.Errorf("calls %q, want %q", got, want)
	}
	if j.Unit != "certbot.service" || len(j.Entries) != 11 || j.Unreadable != 0 || j.Restricted {
		t.Fatalf("journal: %+v", j)
	}
	for i, want := range []host.Entry{
		{Time: at("2026-11-24 03:12:01.10422"), Priority: 6, Ident: "systemd", PID: "1", Message: "Starting certbot.service - Certbot..."},
		// MESSAGE was an array of bytes, for its colour codes, which are gone.
		{Time: at("2026-11-24 03:12:09.381007"), Priority: 3, Ident: "certbot", PID: "48211", Message: "Failed to renew certificate social.example.coop with error: Some challenges have failed."},
		{Time: at("2026-11-24 03:12:09.382514"), Priority: 3, Ident: "certbot", PID: "48211", Message: "All renewals failed. The following certificates could not be renewed:\n  /etc/letsencrypt/live/social.example.coop/fullchain.pem (failure)\n1 renew failure(s), 0 parse failure(s)"},
	} {
		if got := j.Entries[i]; got != want {
			t.Errorf("entry %d:\n%+v\nwant\n%+v", i, got, want)
		}
	}
	if last := j.Entries[10]; last.Message != "certbot.service: Consumed 2.104s CPU time." || last.Priority != 6 {
		t.Errorf("last entry %+v", last)
	}

	// --since counts back from now, as an absolute time; N is bounded.
	p.calls = nil
	if _, err := s.Journal(context.Background(), "certbot.service", host.JournalOptions{Lines: 900, Since: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if got := p.calls[0]; !strings.Contains(got, " --lines=500 ") || !strings.HasSuffix(got, fmt.Sprintf(" --since=@%d", now.Add(-time.Hour).Unix())) {
		t.Errorf("call %q", got)
	}

	// Another unit is refused before anything runs.
	p.calls = nil
	_, err = s.Journal(context.Background(), "nginx.service", host.JournalOptions{})
	if !errors.Is(err, host.ErrNotAllowed) || len(p.calls) != 0 {
		t.Errorf("nginx.service: %v, calls %q", err, p.calls)
	}
	if got, want := ops.SafeText(err), "nginx.service: not in [host] units — list it in [host] units to read its journal"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}

	// Without the systemd-journal group, journalctl shows only the user's own journal.
	p.out["journalctl"] = func([]string) ([]byte, []byte, error) {
		return nil, []byte("Hint: You are currently not seeing messages from other users and the system.\n      Users in groups 'adm', 'systemd-journal' can see all messages.\n      Pass -q to turn off this notice.\n"), nil
	}
	if j, err := s.Journal(context.Background(), "certbot.service", host.JournalOptions{}); err != nil || !j.Restricted || len(j.Entries) != 0 {
		t.Errorf("restricted: %+v, %v", j, err)
	}
}

// TestParseJournalOddities: the shapes journalctl's JSON takes besides one string.
func TestParseJournalOddities(t *testing.T) {
	long := strings.Repeat("é", 600)
	out := strings.Join([]string{
		`{"__REALTIME_TIMESTAMP":"1795489921104220","PRIORITY":"4","SYSLOG_IDENTIFIER":"pg-dump-to-s3","SYSLOG_PID":"77","_PID":"78","MESSAGE":null}`,
		`{"__REALTIME_TIMESTAMP":"1795489921104221","_COMM":"bash","MESSAGE":["first value","second value"]}`,
		`{"__REALTIME_TIMESTAMP":"1795489921104222","MESSAGE":[[104,105,9,255],[120]],"PRIORITY":"9"}`,
		`{"__REALTIME_TIMESTAMP":"1795489921104223","MESSAGE":"` + long + `\nsecond\tline\u0007\n\n"}`,
		`-- cut --"}`,
		`{"__REALTIME_TIMESTAMP":"1795489921104224","MESSAGE":"progress 10%\r\u001b[Kprogress 100%"}`,
	}, "\n")
	j := host.ParseJournal([]byte(out), time.UTC)
	if j.Unreadable != 1 || len(j.Entries) != 5 {
		t.Fatalf("%+v", j)
	}
	for i, want := range []host.Entry{
		{Priority: 4, Ident: "pg-dump-to-s3", PID: "77", Message: "[blob data]"},
		{Priority: -1, Ident: "bash", Message: "first value"},
		{Priority: -1, Message: "hi \uFFFD"},
		{Priority: -1, Message: strings.Repeat("é", 500) + "…\nsecond line"},
		{Priority: -1, Message: "progress 100%"},
	} {
		got := j.Entries[i]
		got.Time = time.Time{}
		if got != want {
			t.Errorf("entry %d:\n%+v\nwant\n%+v", i, got, want)
		}
	}
}

func TestDetect(t *testing.T) {
	for _, tt := range []struct {
		name  string
		files map[string]string // path → content; a path ending in / is a directory
		env   string
		want  error
	}{
		{"systemd", map[string]string{"run/systemd/system/": ""}, "", nil},
		{"systemd in a container", map[string]string{"run/systemd/system/": "", ".dockerenv": ""}, "", nil},
		{"docker", map[string]string{".dockerenv": ""}, "", host.ErrContainer},
		{"podman", map[string]string{"run/.containerenv": ""}, "", host.ErrContainer},
		{"nspawn or lxc", nil, "lxc", host.ErrContainer},
		{"cgroup v1", map[string]string{"proc/1/cgroup": "12:pids:/docker/3f1c0e\n1:name=systemd:/docker/3f1c0e\n"}, "", host.ErrContainer},
		{"kubernetes", map[string]string{"proc/1/cgroup": "0::/kubepods/besteffort/pod1/abc\n"}, "", host.ErrContainer},
		{"another init", map[string]string{"proc/1/cgroup": "0::/\n", "run/openrc/": ""}, "", host.ErrNoSystemd},
		{"a file, not a directory", map[string]string{"run/systemd/system": ""}, "", host.ErrNoSystemd},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for p, content := range tt.files {
				full := filepath.Join(root, p)
				dir := full
				if !strings.HasSuffix(p, "/") {
					dir = filepath.Dir(full)
				}
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if !strings.HasSuffix(p, "/") {
					if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			getenv := func(k string) string {
				if k == "container" {
					return tt.env
				}
				return ""
			}
			if got := host.Detect(root, getenv); got != tt.want {
				t.Errorf("Detect = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestThisMachine runs the real detector and the real programs where the tests run. With
// no systemd here, both calls must say why, without running a program; where systemd
// runs, the real timers must be listed.
func TestThisMachine(t *testing.T) {
	s := &host.Systemd{Units: []string{"certbot.service"}}
	err := s.Available()
	_, statErr := os.Stat("/run/systemd/system")
	if err == nil {
		if statErr != nil {
			t.Fatalf("Available() = nil without /run/systemd/system")
		}
		timers, err := s.Timers(context.Background())
		if err != nil {
			t.Fatalf("systemd runs here, but: %v", err)
		}
		t.Logf("systemd runs here: %d timers", len(timers))
		return
	}
	if statErr == nil || (!errors.Is(err, host.ErrContainer) && !errors.Is(err, host.ErrNoSystemd)) {
		t.Fatalf("Available() = %v (stat /run/systemd/system: %v)", err, statErr)
	}
	t.Logf("here: %v", err)
	if _, got := s.Timers(context.Background()); got != err {
		t.Errorf("Timers: %v, want %v", got, err)
	}
	if _, got := s.Journal(context.Background(), "certbot.service", host.JournalOptions{}); got != err {
		t.Errorf("Journal: %v, want %v", got, err)
	}
	s.Runner = host.RunFunc(func(context.Context, string, ...string) ([]byte, []byte, error) {
		t.Error("a program ran")
		return nil, nil, nil
	})
	_, _ = s.Timers(context.Background())
	_, _ = s.Journal(context.Background(), "certbot.service", host.JournalOptions{})
}

// TestExec runs real programs: the output bounds, a missing program, a failure, the time
// limit.
func TestExec(t *testing.T) {
	ctx := context.Background()
	out, _, err := host.Exec{MaxOutput: 100}.Run(ctx, "sh", "-c", "seq 1 100000")
	if err != nil || len(out) != 100 || !strings.HasSuffix(string(out), "\n99999\n100000\n") {
		t.Errorf("bounded stdout: %v, %d bytes ending %q", err, len(out), out[max(0, len(out)-20):])
	}
	_, stderr, err := host.Exec{}.Run(ctx, "sh", "-c", "echo first >&2; seq 1 100000 >&2; exit 3")
	if err == nil || !strings.HasPrefix(string(stderr), "first\n1\n") || len(stderr) > 4096 {
		t.Errorf("stderr: %v, %d bytes", err, len(stderr))
	}
	if _, _, err := (host.Exec{}).Run(ctx, "tootops-no-such-program"); !errors.Is(err, host.ErrNotInstalled) {
		t.Errorf("missing program: %v", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, _, err := (host.Exec{}).Run(ctx, "sleep", "30"); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("timeout: %v after %s", err, time.Since(start))
	}
}

func TestUnitNames(t *testing.T) {
	for _, tt := range []struct{ in, unit string }{
		{"certbot.service", "certbot.service"},
		{"certbot.timer", "certbot.timer"},
		{"certbot", "certbot.service"},
		{"pg-dump-to-s3", "pg-dump-to-s3.service"},
		{"getty@tty1.service", "getty@tty1.service"},
		{"systemd-fsck@dev-disk-by\\x2duuid-1234.service", "systemd-fsck@dev-disk-by\\x2duuid-1234.service"},
		{"-.mount", "-.mount"},
		{"php8.2-fpm", "php8.2-fpm.service"},
	} {
		if got, err := host.Unit(tt.in); got != tt.unit || err != nil {
			t.Errorf("Unit(%q) = %q, %v; want %q", tt.in, got, err, tt.unit)
		}
		if err := host.CheckUnit(tt.unit); err != nil {
			t.Errorf("CheckUnit(%q): %v", tt.unit, err)
		}
	}
	for _, bad := range []string{"", "cert*", "cert*.service", "certbot service", "getty@.service", "../certbot.service", "certbot.service;reboot", strings.Repeat("a", 250) + ".service", "ç.service"} {
		if got, err := host.Unit(bad); err == nil {
			t.Errorf("Unit(%q) = %q, want an error", bad, got)
		}
		if host.CheckUnit(bad) == nil {
			t.Errorf("CheckUnit(%q) = nil", bad)
		}
	}
	if err := host.CheckUnit("certbot"); err == nil || err.Error() != `expected a systemd unit with its type such as certbot.service or certbot.timer, got "certbot"` {
		t.Errorf("CheckUnit(certbot) = %v", err)
	}
}

// TestUnitNamesAgreeWithConfig: config checks [host] units with its own copy of the
// grammar; both must accept and refuse the same names.
func TestUnitNamesAgreeWithConfig(t *testing.T) {
	for _, name := range []string{"certbot.service", "certbot.timer", "getty@tty1.service", "-.mount", "a:b_c.d-e.socket",
		"certbot", "", "cert*.service", "getty@.service", "certbot service", "ç.service", strings.Repeat("a", 248) + ".service", strings.Repeat("a", 247) + ".service"} {
		c := config.Default()
		c.Host.Units = []string{name}
		configOK := c.Validate() == nil
		if hostOK := host.CheckUnit(name) == nil; configOK != hostOK {
			t.Errorf("%q: config accepts it: %v, host: %v", name, configOK, hostOK)
		}
	}
}
