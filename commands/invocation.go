package commands

import (
	"fmt"
	"strings"
	"time"
)

// Invocation is a parsed command line: the command and the typed values of its args and flags.
//
// The accessors take an arg's placeholder name ("SERVICE", "N", "SERVICE=N") or a flag's name
// without dashes ("timeout", "dry-run"). Asking for a name the command does not declare, or
// with the accessor of another kind, is a programming error and panics; tests of a command
// find it at once. An absent optional arg reads as the zero value; an absent flag reads as its
// Default. Has tells whether the user gave the arg or flag.
type Invocation struct {
	Command *Command
	Name    string // the name as typed, cleaned of invisible characters: "Restart", "backups"
	Line    string // the line as received, untouched: user input, not safe to echo as it is

	reg  *Registry
	vals map[string]value
}

type value struct {
	raw string // as typed, or the flag's Default
	v   any    // string, int64, time.Duration, keyValue, bool or []string (Rest)
	set bool   // given by the user
}

type keyValue struct {
	key string
	n   int64
}

// lookup returns the value of the arg or flag called name, checking that it is declared, and
// declared of kind when one is given.
func (inv *Invocation) lookup(name string, kind ...Kind) value {
	var declared Kind
	if a := inv.Command.arg(name); a != nil {
		declared = a.Kind
	} else if f := inv.Command.flag(name); f != nil {
		declared = f.Kind
	} else {
		panic(fmt.Sprintf("commands: %q declares no arg or flag %q", inv.Command.Name, name))
	}
	if len(kind) > 0 && kind[0] != declared {
		panic(fmt.Sprintf("commands: %q: %s is a %s, not a %s", inv.Command.Name, name, declared, kind[0]))
	}
	return inv.vals[name]
}

// Str returns the text of an arg or flag as typed, whatever its kind; for a Rest arg, the
// words joined by spaces.
func (inv *Invocation) Str(name string) string {
	v := inv.lookup(name)
	if words, ok := v.v.([]string); ok {
		return strings.Join(words, " ")
	}
	return v.raw
}

// Int returns the value of an Int arg or flag.
func (inv *Invocation) Int(name string) int64 {
	n, _ := inv.lookup(name, Int).v.(int64)
	return n
}

// Bool returns the value of a Bool flag.
func (inv *Invocation) Bool(name string) bool {
	b, _ := inv.lookup(name, Bool).v.(bool)
	return b
}

// Duration returns the value of a Duration arg or flag.
func (inv *Invocation) Duration(name string) time.Duration {
	d, _ := inv.lookup(name, Duration).v.(time.Duration)
	return d
}

// KeyValue returns the key and the number of a KeyValue arg or flag: ("sidekiq", 5).
func (inv *Invocation) KeyValue(name string) (string, int64) {
	kv, _ := inv.lookup(name, KeyValue).v.(keyValue)
	return kv.key, kv.n
}

// Rest returns the words of the command's Rest arg (nil when there are none). It panics when
// the command has no Rest arg.
func (inv *Invocation) Rest() []string {
	a := inv.Command.restArg()
	if a == nil {
		panic(fmt.Sprintf("commands: %q has no Rest arg", inv.Command.Name))
	}
	words, _ := inv.vals[a.Name].v.([]string)
	return append([]string(nil), words...)
}

// Has reports whether the user gave the arg or flag.
func (inv *Invocation) Has(name string) bool { return inv.lookup(name).set }

// DryRun reports whether --dry-run was given to a command that changes state.
func (inv *Invocation) DryRun() bool { return inv.Command.Changes && inv.Bool(flagDryRun) }

// Yes reports whether --yes was given to a command that changes state.
func (inv *Invocation) Yes() bool { return inv.Command.Changes && inv.Bool(flagYes) }

// String returns the invocation in canonical form: the command's own name, the args, the
// flags the user gave (in declaration order) and the Rest words after "--", quoted where
// needed. Parsing it again gives the same invocation, so it can be shown in a confirmation
// prompt and kept to run once confirmed.
func (inv *Invocation) String() string {
	c := inv.Command
	parts := []string{c.Name}
	var rest []string
	restFirst := true // the Rest words are the first positional words
	for i, a := range c.Args {
		v, ok := inv.vals[a.Name]
		if !ok || !v.set {
			continue
		}
		if words, ok := v.v.([]string); ok {
			rest = words
			continue
		}
		w := quoteArg(v.raw)
		if i == 0 && inv.reg != nil && inv.reg.extends(c.Name, v.raw) {
			// `backup "status"` is the command backup with the arg status, not `backup status`.
			w = "'" + v.raw + "'"
		}
		parts = append(parts, w)
		restFirst = false
	}
	for _, f := range c.Flags {
		v, ok := inv.vals[f.Name]
		if !ok || !v.set {
			continue
		}
		if f.Kind == Bool {
			if v.v == true {
				parts = append(parts, "--"+f.Name)
			} else {
				parts = append(parts, "--"+f.Name+"=false")
			}
			continue
		}
		parts = append(parts, "--"+f.Name, quoteArg(v.raw))
	}
	if len(rest) > 0 {
		// "--" only where it is needed, so that a confirmation prompt reads
		// `run web -- tootctl media remove --days 7` but `help backup status`.
		dashes := restFirst && inv.reg != nil && inv.reg.extends(c.Name, rest[0])
		for _, w := range rest {
			dashes = dashes || strings.HasPrefix(w, "-")
		}
		if dashes {
			parts = append(parts, "--")
		}
		parts = append(parts, Quote(rest...))
	}
	return strings.Join(parts, " ")
}

// quoteArg quotes a value as Quote does, and also when it starts with "-", so that it is not
// read as a flag.
func quoteArg(w string) string {
	if strings.HasPrefix(w, "-") && !needsQuotes(w) {
		return "'" + w + "'" // needsQuotes is false, so w holds no '
	}
	return Quote(w)
}
