package commands_test

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tootops/tootops/commands"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites the file with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output (go test -update rewrites it)\n got:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestUsage(t *testing.T) {
	r := newRegistry(t)
	for _, tt := range []struct{ name, want string }{
		{"ps", "ps"},
		{"restart", "restart SERVICE [--timeout N] [--dry-run] [--yes]"},
		{"scale", "scale SERVICE=N [--dry-run] [--yes]"},
		{"logs", "logs SERVICE [N] [--since DURATION] [--grep TEXT] [--timestamps]"},
		{"run", "run SERVICE [--dry-run] [--yes] -- COMMAND…"},
		{"backup status", "backup status"},
		{"media cleanup", "media cleanup [--days N] [--dry-run] [--yes]"},
		{"maintenance on", "maintenance on [DURATION] [--dry-run] [--yes]"},
		{"help", "help [COMMAND…]"},
	} {
		c, ok := r.Lookup(tt.name)
		if !ok {
			t.Fatalf("Lookup(%q) found nothing", tt.name)
		}
		if got := c.Usage(); got != tt.want {
			t.Errorf("Usage(%s) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestUsageBeforeRegistration(t *testing.T) {
	c := commands.Command{
		Name:  "x",
		Args:  []commands.Arg{{Name: "A"}, {Name: "B", Optional: true}},
		Flags: []commands.Flag{{Name: "n", Kind: commands.Int}, {Name: "d", Kind: commands.Duration}, {Name: "s"}, {Name: "kv", Kind: commands.KeyValue}},
	}
	if got, want := c.Usage(), "x A [B] [--n N] [--d DURATION] [--s TEXT] [--kv KEY=N]"; got != want {
		t.Errorf("Usage() = %q, want %q", got, want)
	}
}

func TestHelpText(t *testing.T) {
	golden(t, "help.golden", commands.HelpText(newRegistry(t)))
}

func TestCommandHelp(t *testing.T) {
	r := newRegistry(t)
	for _, name := range []string{"restart", "logs", "scale", "backup status", "ping"} {
		c, _ := r.Lookup(name)
		golden(t, "help_"+strings.ReplaceAll(c.Name, " ", "_")+".golden", commands.CommandHelp(c))
	}
}

func TestMarkdown(t *testing.T) {
	r := newRegistry(t)
	got := commands.Markdown(r)
	golden(t, "commands.md.golden", got)
	if again := commands.Markdown(r); again != got {
		t.Error("Markdown is not deterministic")
	}
}

func TestHelpCommand(t *testing.T) {
	r := newRegistry(t)
	restart, _ := r.Lookup("restart")
	for _, tt := range []struct {
		line    string
		want    string
		wantErr string
	}{
		{line: "help", want: commands.HelpText(r)},
		{line: "Help RESTART", want: commands.CommandHelp(restart)},
		{line: "restart --help", want: commands.CommandHelp(restart)},
		{line: "help backup status", want: "usage: backup status\nshow the last backups\n\naliases: backups"},
		{line: "help backups", want: "usage: backup status\nshow the last backups\n\naliases: backups"},
		{line: "help media", want: "media:\n  media cleanup [--days N] — remove cached remote media\n  media stats — show how much media is stored\n\nhelp COMMAND for details"},
		{line: "help retsart", wantErr: `unknown command "retsart" — did you mean "restart"?`},
		{line: "help backup stauts", wantErr: `unknown command "backup stauts" — did you mean "backup status"?`},
		{line: "help restart web", want: commands.CommandHelp(restart)},
		{line: "help xyzzy", wantErr: `unknown command "xyzzy" — send "help" for the list of commands`},
	} {
		t.Run(tt.line, func(t *testing.T) {
			inv, err := r.Parse(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			got, err := inv.Command.Run(context.Background(), &commands.Request{Inv: inv})
			if tt.wantErr != "" {
				var ue *commands.UsageError
				if !errors.As(err, &ue) || err.Error() != tt.wantErr {
					t.Errorf("error = %v, want *UsageError %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("reply\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
