package commands_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/commands"
)

const (
	usageRestart = "\nusage: restart SERVICE [--timeout N] [--dry-run] [--yes]"
	usageScale   = "\nusage: scale SERVICE=N [--dry-run] [--yes]"
	usageLogs    = "\nusage: logs SERVICE [N] [--since DURATION] [--grep TEXT] [--timestamps]"
	usageRun     = "\nusage: run SERVICE [--dry-run] [--yes] -- COMMAND…"
	usagePing    = "\nusage: ping"
	usageCancel  = "\nusage: cancel JOB"
)

func TestParseErrors(t *testing.T) {
	r := newRegistry(t)
	long := strings.Repeat("x", 100)
	for _, tt := range []struct {
		line    string
		want    string
		wantCmd string // name of UsageError.Command, "" for nil
	}{
		// Unknown commands.
		{"retsart sidekiq", `unknown command "retsart" — did you mean "restart"?`, ""},
		{"xyzzy", `unknown command "xyzzy" — send "help" for the list of commands`, ""},
		{"ls", `unknown command "ls" — did you mean "ps"?`, ""},
		{"rest web", `unknown command "rest" — did you mean "restart"?`, ""},
		{"backpu status", `unknown command "backpu status" — did you mean "backup status"?`, ""},
		{"bakcups", `unknown command "bakcups" — did you mean "backups"?`, ""},
		{"media", `unknown command "media" — did you mean "media cleanup" or "media stats"?`, ""},
		{"media purge --days 3", `unknown command "media purge" — did you mean "media cleanup" or "media stats"?`, ""},
		{`media "cleanup"`, `unknown command "media" — did you mean "media cleanup" or "media stats"?`, ""},
		{"--help", `unknown command "--help" — send "help" for the list of commands`, ""},
		{"xyzzy" + long, `unknown command "xyzzy` + long[:35] + `…" — send "help" for the list of commands`, ""},
		{"xy\x07z\u202ezy\u200d", `unknown command "xyzzy" — send "help" for the list of commands`, ""},
		// Empty lines and mentions only.
		{"", `empty message — send "help" for the list of commands`, ""},
		{" \t\u00a0\n ", `empty message — send "help" for the list of commands`, ""},
		{"@tootops", `empty message — send "help" for the list of commands`, ""},
		// Syntax.
		{`restart "web`, "unterminated quote starting at column 9", ""},
		// Args.
		{"restart", "restart: missing SERVICE" + usageRestart, "restart"},
		{"restart --yes", "restart: missing SERVICE" + usageRestart, "restart"},
		{"scale sidekiq", `scale: SERVICE=N must look like sidekiq=5, got "sidekiq"` + usageScale, "scale"},
		{"scale =5", `scale: SERVICE=N must look like sidekiq=5, got "=5"` + usageScale, "scale"},
		{"scale sidekiq=", `scale: SERVICE=N must look like sidekiq=5, got "sidekiq="` + usageScale, "scale"},
		{"scale sidekiq=five", `scale: N must be a whole number, got "five"` + usageScale, "scale"},
		{"scale sidekiq=99", "scale: N must be between 0 and 50, got 99" + usageScale, "scale"},
		{"scale sidekiq=-1", "scale: N must be between 0 and 50, got -1" + usageScale, "scale"},
		{"logs web fifty", `logs: N must be a whole number, got "fifty"` + usageLogs, "logs"},
		{"logs web 0", "logs: N must be between 1 and 1000, got 0" + usageLogs, "logs"},
		{"logs web 1.5", `logs: N must be a whole number, got "1.5"` + usageLogs, "logs"},
		{"cancel 0", "cancel: JOB must be at least 1, got 0" + usageCancel, "cancel"},
		{"cancel 99999999999999999999", "cancel: JOB is too large, got 99999999999999999999" + usageCancel, "cancel"},
		{"cancel -99999999999999999999", "cancel: JOB must be at least 1, got -99999999999999999999" + usageCancel, "cancel"},
		{"maintenance on soon", `maintenance on: DURATION must be a duration such as 10m or 2h, got "soon"` +
			"\nusage: maintenance on [DURATION] [--dry-run] [--yes]", "maintenance on"},
		{"upgrade 4.7", `upgrade: VERSION: must look like v4.7.6, got "4.7"` +
			"\nusage: upgrade VERSION [--dry-run] [--yes]", "upgrade"},
		{"upgrade \"4.7\x1b[31m\"", `upgrade: VERSION: must look like v4.7.6, got "4.7[31m"` +
			"\nusage: upgrade VERSION [--dry-run] [--yes]", "upgrade"},
		{"upgrade 'check'", `upgrade: VERSION: must look like v4.7.6, got "check"` +
			"\nusage: upgrade VERSION [--dry-run] [--yes]", "upgrade"},
		{"ping foo", `ping: unexpected argument "foo"` + usagePing, "ping"},
		{"ping " + long, `ping: unexpected argument "` + long[:40] + `…"` + usagePing, "ping"},
		{"ping fo\x07o\u202e", `ping: unexpected argument "foo"` + usagePing, "ping"},
		{"ping \"a\nb\"", `ping: unexpected argument "a b"` + usagePing, "ping"},
		{"restart web sidekiq", `restart: unexpected argument "sidekiq"` + usageRestart, "restart"},
		{"backup stauts", `backup: unexpected argument "stauts" — did you mean "backup status"?` +
			"\nusage: backup [--dry-run] [--yes]", "backup"},
		{`backup "status"`, `backup: unexpected argument "status"` + "\nusage: backup [--dry-run] [--yes]", "backup"},
		// Flags.
		{"restart web --tiemout 5", "restart: unknown flag --tiemout — did you mean --timeout?" + usageRestart, "restart"},
		{"restart web --tiemout=5", "restart: unknown flag --tiemout — did you mean --timeout?" + usageRestart, "restart"},
		{"restart web -y", "restart: unknown flag -y — did you mean --yes?" + usageRestart, "restart"},
		{"restart web --force", "restart: unknown flag --force — accepted: --timeout, --dry-run, --yes" + usageRestart, "restart"},
		{"ping --verbose", "ping: unknown flag --verbose — ping takes no flags" + usagePing, "ping"},
		{"run web tootctl media remove --days 7", `run: unknown flag --days — put "--" before COMMAND to pass flags to it` + usageRun, "run"},
		{"logs web --since ten", `--since: expected a duration such as 10m or 2h, got "ten"` + usageLogs, "logs"},
		{"logs web --since", "--since: missing value, expected a duration such as 10m or 2h" + usageLogs, "logs"},
		{"logs web --grep --since 1h", "--grep: missing value" + usageLogs, "logs"},
		{"logs web --timestamps=maybe", `--timestamps: expected true or false, got "maybe"` + usageLogs, "logs"},
		{"restart web --timeout soon", `--timeout: expected a whole number, got "soon"` + usageRestart, "restart"},
		{"restart web --timeout 5 --timeout=6", "restart: --timeout given twice" + usageRestart, "restart"},
		{"restart web --yes --yes", "restart: --yes given twice" + usageRestart, "restart"},
		// "--".
		{"ping --", `ping: unexpected "--"` + usagePing, "ping"},
		{"restart — web", `restart: unexpected "--"` + usageRestart, "restart"},
		{"run web", "run: missing COMMAND" + usageRun, "run"},
		{"run web --", "run: missing COMMAND" + usageRun, "run"},
		{"run --yes -- ", "run: missing SERVICE" + usageRun, "run"},
	} {
		t.Run(tt.line, func(t *testing.T) {
			inv, err := r.Parse(tt.line)
			if err == nil {
				t.Fatalf("Parse(%q) = %q, want error %q", tt.line, inv, tt.want)
			}
			var ue *commands.UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("Parse(%q) error %T %v, want a *UsageError", tt.line, err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("Parse(%q) error\n got %q\nwant %q", tt.line, got, tt.want)
			}
			gotCmd := ""
			if ue.Command != nil {
				gotCmd = ue.Command.Name
			}
			if gotCmd != tt.wantCmd {
				t.Errorf("Parse(%q) error Command = %q, want %q", tt.line, gotCmd, tt.wantCmd)
			}
		})
	}
}

func TestParseSyntaxErrorUnwraps(t *testing.T) {
	_, err := newRegistry(t).Parse(`logs 'web`)
	var se *commands.SyntaxError
	if !errors.As(err, &se) || se.Pos != 6 {
		t.Errorf("Parse error = %v, want a wrapped *SyntaxError at column 6", err)
	}
}

func TestParse(t *testing.T) {
	r := newRegistry(t)
	for _, tt := range []struct {
		line      string
		wantCmd   string
		wantName  string // as typed
		wantCanon string // inv.String()
		check     func(t *testing.T, inv *commands.Invocation)
	}{
		{"ps", "ps", "ps", "ps", nil},
		{"Ps", "ps", "Ps", "ps", nil},
		{"Ps\u200e", "ps", "Ps", "ps", nil},
		{"restart\u202e web", "restart", "restart", "restart web", nil},
		{`"ps"`, "ps", "ps", "ps", nil},
		{"@tootops@social.example.coop  ps", "ps", "ps", "ps", nil},
		{"Restart sidekiq", "restart", "Restart", "restart sidekiq", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Str("SERVICE"), "sidekiq")
			eq(t, inv.Int("timeout"), int64(30))
			eq(t, inv.Has("timeout"), false)
			eq(t, inv.Str("timeout"), "30")
			eq(t, inv.DryRun(), false)
			eq(t, inv.Yes(), false)
			eq(t, inv.Command.Locks(inv), []string{"service:sidekiq"})
		}},
		{"restart --timeout=60 web --dry-run", "restart", "restart", "restart web --timeout 60 --dry-run", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Int("timeout"), int64(60))
			eq(t, inv.Has("timeout"), true)
			eq(t, inv.DryRun(), true)
		}},
		{"restart web —timeout 5 –yes", "restart", "restart", "restart web --timeout 5 --yes", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Int("timeout"), int64(5))
			eq(t, inv.Yes(), true)
		}},
		{"restart web -timeout 5 --YES=false", "restart", "restart", "restart web --timeout 5 --yes=false", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Yes(), false)
			eq(t, inv.Has("yes"), true)
		}},
		{`restart "--weird"`, "restart", "restart", "restart '--weird'", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Str("SERVICE"), "--weird")
		}},
		{"scale sidekiq=5", "scale", "scale", "scale sidekiq=5", func(t *testing.T, inv *commands.Invocation) {
			k, n := inv.KeyValue("SERVICE=N")
			eq(t, k, "sidekiq")
			eq(t, n, int64(5))
			eq(t, inv.Str("SERVICE=N"), "sidekiq=5")
		}},
		{"scale sidekiq=0", "scale", "scale", "scale sidekiq=0", nil},
		{"logs web 50 --since 10m --grep error", "logs", "logs", "logs web 50 --since 10m --grep error", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Int("N"), int64(50))
			eq(t, inv.Duration("since"), 10*time.Minute)
			eq(t, inv.Str("grep"), "error")
			eq(t, inv.Bool("timestamps"), false)
		}},
		{`logs web --grep="connection refused" --timestamps`, "logs", "logs", "logs web --grep 'connection refused' --timestamps", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Has("N"), false)
			eq(t, inv.Int("N"), int64(0))
			eq(t, inv.Str("grep"), "connection refused")
			eq(t, inv.Bool("timestamps"), true)
		}},
		{"logs web --grep “a b” --since 1d12h", "logs", "logs", "logs web --since 1d12h --grep 'a b'", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Str("grep"), "a b")
			eq(t, inv.Duration("since"), 36*time.Hour)
		}},
		{`logs web --grep '--x'`, "logs", "logs", "logs web --grep '--x'", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Str("grep"), "--x")
		}},
		{"run web -- tootctl media remove --days 7", "run", "run", "run web -- tootctl media remove --days 7", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Str("SERVICE"), "web")
			eq(t, inv.Rest(), []string{"tootctl", "media", "remove", "--days", "7"})
			eq(t, inv.Str("COMMAND"), "tootctl media remove --days 7")
		}},
		{"run web tootctl accounts --yes", "run", "run", "run web --yes tootctl accounts", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Rest(), []string{"tootctl", "accounts"})
			eq(t, inv.Yes(), true)
		}},
		{"run web — tootctl —help", "run", "run", "run web -- tootctl --help", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Rest(), []string{"tootctl", "--help"})
		}},
		{"run -- web echo 'a b'", "run", "run", "run web echo 'a b'", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Str("SERVICE"), "web")
			eq(t, inv.Rest(), []string{"echo", "a b"})
		}},
		{"backup", "backup", "backup", "backup", nil},
		{"Backup Status", "backup status", "Backup Status", "backup status", nil},
		{"BACKUPS", "backup status", "BACKUPS", "backup status", nil},
		{"media cleanup --days 3 --yes", "media cleanup", "media cleanup", "media cleanup --days 3 --yes", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Int("days"), int64(3))
		}},
		{"maintenance on 2h", "maintenance on", "maintenance on", "maintenance on 2h", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Duration("DURATION"), 2*time.Hour)
		}},
		{"maintenance on 90sec", "maintenance on", "maintenance on", "maintenance on 90sec", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Duration("DURATION"), 90*time.Second)
		}},
		{"upgrade v4.7.6", "upgrade", "upgrade", "upgrade v4.7.6", nil},
		{"upgrade check", "upgrade check", "upgrade check", "upgrade check", nil},
		{"cancel 12", "cancel", "cancel", "cancel 12", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Int("JOB"), int64(12))
		}},
		{"help", "help", "help", "help", nil},
		{"help backup status", "help", "help", "help backup status", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Rest(), []string{"backup", "status"})
		}},
		{"restart web --help", "help", "help", "help restart", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Rest(), []string{"restart"})
		}},
		{"backup status --help", "help", "help", "help backup status", func(t *testing.T, inv *commands.Invocation) {
			eq(t, inv.Rest(), []string{"backup", "status"})
		}},
	} {
		t.Run(tt.line, func(t *testing.T) {
			inv, err := r.Parse(tt.line)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.line, err)
			}
			if got := inv.Command.Name; got != tt.wantCmd {
				t.Errorf("Command = %q, want %q", got, tt.wantCmd)
			}
			if inv.Name != tt.wantName {
				t.Errorf("Name = %q, want %q", inv.Name, tt.wantName)
			}
			if inv.Line != tt.line {
				t.Errorf("Line = %q, want %q", inv.Line, tt.line)
			}
			if got := inv.String(); got != tt.wantCanon {
				t.Errorf("String() = %q, want %q", got, tt.wantCanon)
			}
			again, err := r.Parse(inv.String())
			if err != nil {
				t.Fatalf("Parse(String()) = %v", err)
			}
			if again.String() != inv.String() {
				t.Errorf("Parse(String()).String() = %q, want %q", again.String(), inv.String())
			}
			if tt.check != nil {
				tt.check(t, inv)
			}
		})
	}
}

func eq[T any](t *testing.T, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v, want %#v", got, want)
	}
}

func TestAccessorPanics(t *testing.T) {
	inv, err := newRegistry(t).Parse("restart web")
	if err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func(){
		"undeclared": func() { inv.Str("SERVCE") },
		"wrong kind": func() { inv.Int("SERVICE") },
		"no Rest":    func() { inv.Rest() },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

func TestTranspositionIsOneTypo(t *testing.T) {
	r := commands.NewRegistry()
	if err := r.Add(commands.Ping("v", time.Now(), time.Now)); err != nil {
		t.Fatal(err)
	}
	_, err := r.Parse("pnig")
	if got, want := err.Error(), `unknown command "pnig" — did you mean "ping"?`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	_, err = r.Parse("pnga")
	if got, want := err.Error(), `unknown command "pnga" — send "help" for the list of commands`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
