package commands

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
)

// Kind is the type of an argument's or a flag's value.
type Kind int

const (
	String   Kind = iota // any word
	Int                  // a whole number, within the Arg's Min and Max
	Duration             // 10m, 2h, 1d12h, 90s, 1w
	KeyValue             // KEY=N such as sidekiq=5: a non-empty key and a whole number >= 0
	Bool                 // flags only: --yes, --yes=true, --yes=false
)

func (k Kind) String() string {
	switch k {
	case String:
		return "string"
	case Int:
		return "int"
	case Duration:
		return "duration"
	case KeyValue:
		return "key=value"
	case Bool:
		return "bool"
	}
	return "kind(" + strconv.Itoa(int(k)) + ")"
}

// Arg is a positional argument.
type Arg struct {
	Name     string // upper-case placeholder shown in usage: "SERVICE", "N", "SERVICE=N", "COMMAND"
	Help     string
	Kind     Kind // String, Int, Duration or KeyValue; KeyValue names look like "SERVICE=N"
	Optional bool // optional args come after the required ones
	// Rest takes every remaining word, flag-looking words after "--" included, as in
	// `run SERVICE -- COMMAND…`. Only the last arg may be Rest, and its Kind is String.
	Rest bool
	// Min and Max bound the value of an Int or KeyValue arg; Max 0 means no upper bound. Min
	// always applies, so by default numbers cannot be negative.
	Min, Max int64
	// Example is a valid value shown in help and in messages, e.g. "sidekiq=5".
	Example string
	// Check is an optional extra validation of the text as typed (for a Rest arg: the words
	// joined by spaces), run after the Kind's own. It must be pure: parsing never touches
	// Docker or the network. Its error text is shown after the arg name, as in
	// `restart: SERVICE: no such service "foo"`.
	Check func(string) error
}

// Flag is a --name option. Flags may appear anywhere after the command name.
type Flag struct {
	Name        string // without dashes, lower case: "timeout", "since", "dry-run"
	Help        string
	Kind        Kind
	Placeholder string // shown in usage, e.g. "N"; defaults by kind: N, DURATION, TEXT, KEY=N
	Default     string // value when the flag is absent, in the same syntax a user would type
}

// Command declares one command: its grammar, its help and what it does.
type Command struct {
	Name    string   // one or more words: "ps", "backup status", "media cleanup"
	Aliases []string // other names, each one or more words
	Group   string   // help section: "general", "services", "backups"…; empty means "general"
	Summary string   // one line
	Help    string   // long help, may be several paragraphs
	Args    []Arg
	Flags   []Flag
	// Changes marks a command that changes state: the bot asks for confirmation before it
	// runs, and the registry adds --dry-run and --yes to its flags.
	Changes bool
	// Locks names what the command locks, e.g. "service:web", "backup", "upgrade",
	// "project"; nil locks nothing.
	Locks   func(inv *Invocation) []string
	Timeout time.Duration // 0 leaves the choice to the job runner
	// Inline marks a command answered at once instead of run as a job: it only reads the
	// bot's own state (help, ping, jobs…), so a job record for it would be noise.
	Inline bool
	// Plan says what a Changes command is about to do, for the confirmation question and
	// --dry-run. It must change nothing. nil shows the command line itself.
	Plan func(ctx context.Context, inv *Invocation) (string, error)
	Run  Handler
}

// Handler runs a command and returns the reply text.
type Handler func(ctx context.Context, req *Request) (string, error)

// Sender is the person who sent a command, as the bot sees them.
type Sender struct {
	Acct        string // full account, e.g. alice@social.example.coop
	AccountID   string // Mastodon account id; empty when unknown (console)
	DisplayName string
	Admin       bool
	Via         string // "console" or "mastodon"
}

// Request is what a Handler gets.
type Request struct {
	Inv      *Invocation
	Sender   Sender
	Progress ops.Progress
	JobID    uint64 // 0 for inline commands
}

// Usage returns the command's usage line, generated from its declaration:
// "restart SERVICE [--timeout N] [--dry-run] [--yes]". Optional args are in brackets, flags
// follow the args, and a Rest arg comes last as "-- COMMAND…" (or "[COMMAND…]" when it is
// optional, as for help). The --dry-run and --yes flags appear once the command is in a
// Registry, which adds them.
func (c *Command) Usage() string { return c.usage(true) }

// usage returns the usage line, without the flags the registry adds unless auto is set.
func (c *Command) usage(auto bool) string {
	parts := []string{c.Name}
	var rest *Arg
	for i := range c.Args {
		a := &c.Args[i]
		switch {
		case a.Rest:
			rest = a
		case a.Optional:
			parts = append(parts, "["+a.Name+"]")
		default:
			parts = append(parts, a.Name)
		}
	}
	for _, f := range c.Flags {
		if auto || !c.isAuto(f) {
			parts = append(parts, "["+flagUsage(f)+"]")
		}
	}
	if rest != nil {
		if rest.Optional {
			parts = append(parts, "["+rest.Name+"…]")
		} else {
			parts = append(parts, "-- "+rest.Name+"…")
		}
	}
	return strings.Join(parts, " ")
}

// isAuto reports whether f is one of the flags the registry adds.
func (c *Command) isAuto(f Flag) bool {
	return c.Changes && (f.Name == flagDryRun || f.Name == flagYes)
}

// flagUsage returns "--timeout N" or, for a Bool flag, "--yes".
func flagUsage(f Flag) string {
	if f.Kind == Bool {
		return "--" + f.Name
	}
	return "--" + f.Name + " " + placeholder(f)
}

func placeholder(f Flag) string {
	if f.Placeholder != "" {
		return f.Placeholder
	}
	switch f.Kind {
	case Int:
		return "N"
	case Duration:
		return "DURATION"
	case KeyValue:
		return "KEY=N"
	}
	return "TEXT"
}

// restArg returns the command's Rest arg, or nil.
func (c *Command) restArg() *Arg {
	if n := len(c.Args); n > 0 && c.Args[n-1].Rest {
		return &c.Args[n-1]
	}
	return nil
}

func (c *Command) flag(name string) *Flag {
	for i := range c.Flags {
		if c.Flags[i].Name == name {
			return &c.Flags[i]
		}
	}
	return nil
}

func (c *Command) arg(name string) *Arg {
	for i := range c.Args {
		if c.Args[i].Name == name {
			return &c.Args[i]
		}
	}
	return nil
}
