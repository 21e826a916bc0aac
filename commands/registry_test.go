package commands_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tootops/tootops/commands"
)

// valid returns a command that Add accepts; each row of TestAddRejects breaks one rule.
func valid() commands.Command {
	return commands.Command{
		Name: "restart", Summary: "restart a service",
		Args:  []commands.Arg{{Name: "SERVICE"}},
		Flags: []commands.Flag{{Name: "timeout", Kind: commands.Int, Default: "30"}},
		Run:   noop,
	}
}

func TestAddRejects(t *testing.T) {
	for _, tt := range []struct {
		name   string
		mutate func(c *commands.Command)
		is     error
		want   string // the error text, whole
	}{
		{"empty name", func(c *commands.Command) { c.Name = " " }, commands.ErrInvalid,
			`command " ": invalid declaration: name " ": empty`},
		{"bad name word", func(c *commands.Command) { c.Name = "re'start" }, commands.ErrInvalid,
			`command "re'start": invalid declaration: name "re'start": word "re'start" must be letters, digits, - and _, starting with a letter or digit`},
		{"name starting with a dash", func(c *commands.Command) { c.Name = "backup --now" }, commands.ErrInvalid,
			`command "backup --now": invalid declaration: name "backup --now": word "--now" must be letters, digits, - and _, starting with a letter or digit`},
		{"duplicate name", func(c *commands.Command) { c.Name = "PS" }, commands.ErrDuplicate,
			`command "PS": duplicate name: name "PS" is already used by "ps"`},
		{"alias of another command", func(c *commands.Command) { c.Aliases = []string{"Backup  Status"} }, commands.ErrDuplicate,
			`command "restart": duplicate name: alias "Backup  Status" is already used by "backup status"`},
		{"alias equal to its own name", func(c *commands.Command) { c.Aliases = []string{"RESTART"} }, commands.ErrDuplicate,
			`command "restart": duplicate name: alias "RESTART" is already used by "restart"`},
		{"empty alias", func(c *commands.Command) { c.Aliases = []string{""} }, commands.ErrInvalid,
			`command "restart": invalid declaration: alias "": empty`},
		{"nil Run", func(c *commands.Command) { c.Run = nil }, commands.ErrInvalid,
			`command "restart": invalid declaration: Run is nil`},
		{"Rest arg not last", func(c *commands.Command) {
			c.Args = []commands.Arg{{Name: "COMMAND", Rest: true}, {Name: "SERVICE"}}
		}, commands.ErrInvalid, `command "restart": invalid declaration: Rest arg COMMAND must be the last arg`},
		{"Rest arg not a String", func(c *commands.Command) {
			c.Args = []commands.Arg{{Name: "N", Rest: true, Kind: commands.Int}}
		}, commands.ErrInvalid, `command "restart": invalid declaration: Rest arg N must be a String`},
		{"optional before required", func(c *commands.Command) {
			c.Args = []commands.Arg{{Name: "N", Optional: true, Kind: commands.Int}, {Name: "SERVICE"}}
		}, commands.ErrInvalid, `command "restart": invalid declaration: optional arg N comes before required arg SERVICE`},
		{"arg declared twice", func(c *commands.Command) {
			c.Args = []commands.Arg{{Name: "SERVICE"}, {Name: "SERVICE"}}
		}, commands.ErrInvalid, `command "restart": invalid declaration: arg SERVICE declared twice`},
		{"arg without a name", func(c *commands.Command) { c.Args = []commands.Arg{{}} }, commands.ErrInvalid,
			`command "restart": invalid declaration: arg 1: name "" must be one word`},
		{"Bool arg", func(c *commands.Command) { c.Args = []commands.Arg{{Name: "ON", Kind: commands.Bool}} }, commands.ErrInvalid,
			`command "restart": invalid declaration: arg ON: Bool is for flags only`},
		{"KeyValue without =", func(c *commands.Command) { c.Args = []commands.Arg{{Name: "SCALE", Kind: commands.KeyValue}} }, commands.ErrInvalid,
			`command "restart": invalid declaration: KeyValue arg SCALE must be named like SERVICE=N`},
		{"KeyValue with a negative Min", func(c *commands.Command) {
			c.Args = []commands.Arg{{Name: "S=N", Kind: commands.KeyValue, Min: -1}}
		}, commands.ErrInvalid, `command "restart": invalid declaration: KeyValue arg S=N: Min -1 is negative`},
		{"Max below Min", func(c *commands.Command) {
			c.Args = []commands.Arg{{Name: "N", Kind: commands.Int, Min: 5, Max: 2}}
		}, commands.ErrInvalid, `command "restart": invalid declaration: arg N: Max 2 is below Min 5`},
		{"flag named like an auto flag", func(c *commands.Command) { c.Flags = []commands.Flag{{Name: "yes", Kind: commands.Bool}} }, commands.ErrInvalid,
			`command "restart": invalid declaration: flag --yes is reserved for commands that change state (set Changes)`},
		{"Changes command declaring --dry-run", func(c *commands.Command) {
			c.Changes = true
			c.Flags = []commands.Flag{{Name: "dry-run", Kind: commands.Bool}}
		}, commands.ErrInvalid, `command "restart": invalid declaration: flag --dry-run: the registry adds it to commands that change state; do not declare it`},
		{"flag named help", func(c *commands.Command) { c.Flags = []commands.Flag{{Name: "help", Kind: commands.Bool}} }, commands.ErrInvalid,
			`command "restart": invalid declaration: flag --help is reserved: the registry reads it as a request for help`},
		{"flag with dashes", func(c *commands.Command) { c.Flags = []commands.Flag{{Name: "--timeout"}} }, commands.ErrInvalid,
			`command "restart": invalid declaration: flag "--timeout": name must be lower-case letters, digits and -, without the leading dashes`},
		{"flag declared twice", func(c *commands.Command) { c.Flags = append(c.Flags, c.Flags[0]) }, commands.ErrInvalid,
			`command "restart": invalid declaration: flag --timeout declared twice`},
		{"flag named like an arg", func(c *commands.Command) {
			c.Args = []commands.Arg{{Name: "since"}}
			c.Flags = []commands.Flag{{Name: "since"}}
		}, commands.ErrInvalid, `command "restart": invalid declaration: flag --since has the name of an arg`},
		{"bad default", func(c *commands.Command) { c.Flags[0].Default = "soon" }, commands.ErrInvalid,
			`command "restart": invalid declaration: flag --timeout: Default "soon" is not a valid int`},
		{"bad duration default", func(c *commands.Command) {
			c.Flags = []commands.Flag{{Name: "since", Kind: commands.Duration, Default: "10"}}
		}, commands.ErrInvalid, `command "restart": invalid declaration: flag --since: Default "10" is not a valid duration`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := commands.NewRegistry()
			others := []commands.Command{
				{Name: "ps", Run: noop},
				{Name: "backup status", Run: noop},
			}
			if err := r.Add(others...); err != nil {
				t.Fatal(err)
			}
			before := len(r.Commands())
			c := valid()
			tt.mutate(&c)
			err := r.Add(c)
			if err == nil {
				t.Fatal("Add accepted the command")
			}
			if !errors.Is(err, tt.is) {
				t.Errorf("error %v does not wrap %v", err, tt.is)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error\n got %s\nwant %s", got, tt.want)
			}
			if got := len(r.Commands()); got != before {
				t.Errorf("registry has %d commands after a rejected Add, want %d", got, before)
			}
		})
	}
}

func TestAddReportsAllProblemsAndAddsNone(t *testing.T) {
	r := commands.NewRegistry()
	good := valid()
	bad := valid()
	bad.Name, bad.Run = "ps", nil
	dup := valid()
	err := r.Add(good, bad, dup)
	if err == nil {
		t.Fatal("Add accepted the commands")
	}
	want := `command "ps": invalid declaration: Run is nil
command "restart": duplicate name: name "restart" is already used by "restart"`
	if got := err.Error(); got != want {
		t.Errorf("error\n got %s\nwant %s", got, want)
	}
	if n := len(r.Commands()); n != 0 {
		t.Errorf("registry has %d commands, want none", n)
	}
	if _, ok := r.Lookup("restart"); ok {
		t.Error("Lookup found restart after a failed Add")
	}
}

func TestAddCopiesAndAddsAutoFlags(t *testing.T) {
	r := commands.NewRegistry()
	c := valid()
	c.Changes = true
	if err := r.Add(c); err != nil {
		t.Fatal(err)
	}
	if len(c.Flags) != 1 {
		t.Errorf("Add changed the caller's Flags: %v", c.Flags)
	}
	got, ok := r.Lookup("restart")
	if !ok {
		t.Fatal("Lookup(restart) found nothing")
	}
	var names []string
	for _, f := range got.Flags {
		names = append(names, f.Name)
	}
	if g, w := strings.Join(names, " "), "timeout dry-run yes"; g != w {
		t.Errorf("flags = %q, want %q", g, w)
	}
	if got.Group != "general" {
		t.Errorf("Group = %q, want general", got.Group)
	}
}

func TestLookup(t *testing.T) {
	r := newRegistry(t)
	for _, tt := range []struct{ name, want string }{
		{"ps", "ps"},
		{"PS", "ps"},
		{"backup status", "backup status"},
		{" Backup\u00a0 STATUS ", "backup status"},
		{"backups", "backup status"},
		{"backup", "backup"},
		{"media", ""},
		{"backup status now", ""},
		{"", ""},
	} {
		c, ok := r.Lookup(tt.name)
		got := ""
		if ok {
			got = c.Name
		}
		if got != tt.want {
			t.Errorf("Lookup(%q) = %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestCommandsSorted(t *testing.T) {
	var got []string
	for _, c := range newRegistry(t).Commands() {
		got = append(got, c.Group+"/"+c.Name)
	}
	want := []string{
		"backups/backup", "backups/backup status",
		"general/help", "general/ping", "general/whoami",
		"jobs/cancel",
		"media/media cleanup", "media/media stats",
		"services/logs", "services/ps", "services/restart", "services/run", "services/scale",
		"upgrade/maintenance on", "upgrade/upgrade", "upgrade/upgrade check",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Commands()\n got %q\nwant %q", got, want)
	}
}
