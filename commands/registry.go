package commands

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode"
)

// Names of the flags the registry adds: --dry-run and --yes to every command that changes
// state, and --help to every command (`restart --help` is `help restart`).
const (
	flagDryRun = "dry-run"
	flagYes    = "yes"
	flagHelp   = "help"
)

// defaultGroup is the help section of a command that names none.
const defaultGroup = "general"

// Registry holds the commands the bot knows. Build it at startup with Add, which rejects bad
// declarations, then use it from any number of goroutines: it is read-only after that.
type Registry struct {
	cmds     []*Command
	index    map[string]*Command // lower-case name or alias, words joined by one space
	maxWords int                 // the most words in a name or alias
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{index: map[string]*Command{}}
}

// Add registers commands. It checks every declaration and adds none of them when one is
// wrong; the error names each bad command and wraps ErrDuplicate or ErrInvalid. Add keeps its
// own copy of each command, with the group defaulted to "general" and, for a command that
// changes state, the --dry-run and --yes flags appended.
func (r *Registry) Add(cmds ...Command) error {
	var errs []error
	added := map[string]*Command{}
	var copies []*Command
	for _, cmd := range cmds {
		c := cmd
		c.Args = append([]Arg(nil), cmd.Args...)
		c.Flags = append([]Flag(nil), cmd.Flags...)
		c.Aliases = append([]string(nil), cmd.Aliases...)
		if c.Group == "" {
			c.Group = defaultGroup
		}
		label := c.Name
		if label == "" && len(c.Aliases) > 0 {
			label = c.Aliases[0]
		}
		bad := func(sentinel error, format string, a ...any) {
			errs = append(errs, fmt.Errorf("command %q: %w: %s", label, sentinel, fmt.Sprintf(format, a...)))
		}

		for i, name := range append([]string{c.Name}, c.Aliases...) {
			what := "name"
			if i > 0 {
				what = "alias"
			}
			key, err := nameKey(name)
			if err != nil {
				bad(ErrInvalid, "%s %q: %v", what, name, err)
				continue
			}
			if other, ok := r.index[key]; ok {
				bad(ErrDuplicate, "%s %q is already used by %q", what, name, other.Name)
				continue
			}
			if other, ok := added[key]; ok {
				bad(ErrDuplicate, "%s %q is already used by %q", what, name, other.Name)
				continue
			}
			added[key] = &c
		}
		if c.Run == nil {
			bad(ErrInvalid, "Run is nil")
		}
		for _, msg := range checkArgs(c.Args) {
			bad(ErrInvalid, "%s", msg)
		}
		for _, msg := range checkFlags(&c) {
			bad(ErrInvalid, "%s", msg)
		}
		if c.Changes {
			c.Flags = append(c.Flags,
				Flag{Name: flagDryRun, Kind: Bool, Help: "show what would be done and change nothing"},
				Flag{Name: flagYes, Kind: Bool, Help: "do not ask for confirmation"},
			)
		}
		copies = append(copies, &c)
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	for key, c := range added {
		r.index[key] = c
		r.maxWords = max(r.maxWords, strings.Count(key, " ")+1)
	}
	r.cmds = append(r.cmds, copies...)
	return nil
}

var (
	nameWord = regexp.MustCompile(`^[\p{Ll}\p{Lu}\p{Lo}0-9][\p{Ll}\p{Lu}\p{Lo}0-9_-]*$`)
	flagName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)
)

// nameKey checks a command name or alias and returns its index key: lower case, words
// joined by one space.
func nameKey(name string) (string, error) {
	words := strings.Fields(name)
	if len(words) == 0 {
		return "", errors.New("empty")
	}
	for _, w := range words {
		if !nameWord.MatchString(w) {
			return "", fmt.Errorf("word %q must be letters, digits, - and _, starting with a letter or digit", w)
		}
	}
	return strings.ToLower(strings.Join(words, " ")), nil
}

func checkArgs(args []Arg) []string {
	var msgs []string
	seen := map[string]bool{}
	optional := ""
	for i, a := range args {
		if a.Name == "" || strings.IndexFunc(a.Name, unicode.IsSpace) >= 0 {
			msgs = append(msgs, fmt.Sprintf("arg %d: name %q must be one word", i+1, a.Name))
			continue
		}
		if seen[a.Name] {
			msgs = append(msgs, fmt.Sprintf("arg %s declared twice", a.Name))
		}
		seen[a.Name] = true
		switch a.Kind {
		case String, Int, Duration:
		case KeyValue:
			if k, v, ok := strings.Cut(a.Name, "="); !ok || k == "" || v == "" {
				msgs = append(msgs, fmt.Sprintf("KeyValue arg %s must be named like SERVICE=N", a.Name))
			}
			if a.Min < 0 {
				msgs = append(msgs, fmt.Sprintf("KeyValue arg %s: Min %d is negative", a.Name, a.Min))
			}
		case Bool:
			msgs = append(msgs, fmt.Sprintf("arg %s: Bool is for flags only", a.Name))
		default:
			msgs = append(msgs, fmt.Sprintf("arg %s: unknown kind %s", a.Name, a.Kind))
		}
		if a.Max != 0 && a.Max < a.Min {
			msgs = append(msgs, fmt.Sprintf("arg %s: Max %d is below Min %d", a.Name, a.Max, a.Min))
		}
		if a.Rest {
			if i != len(args)-1 {
				msgs = append(msgs, fmt.Sprintf("Rest arg %s must be the last arg", a.Name))
			}
			if a.Kind != String {
				msgs = append(msgs, fmt.Sprintf("Rest arg %s must be a String", a.Name))
			}
		}
		if a.Optional {
			optional = a.Name
		} else if optional != "" {
			msgs = append(msgs, fmt.Sprintf("optional arg %s comes before required arg %s", optional, a.Name))
		}
	}
	return msgs
}

func checkFlags(c *Command) []string {
	var msgs []string
	seen := map[string]bool{}
	for _, f := range c.Flags {
		switch {
		case f.Name == flagDryRun || f.Name == flagYes:
			if c.Changes {
				msgs = append(msgs, fmt.Sprintf("flag --%s: the registry adds it to commands that change state; do not declare it", f.Name))
			} else {
				msgs = append(msgs, fmt.Sprintf("flag --%s is reserved for commands that change state (set Changes)", f.Name))
			}
			continue
		case f.Name == flagHelp:
			msgs = append(msgs, "flag --help is reserved: the registry reads it as a request for help")
			continue
		case !flagName.MatchString(f.Name):
			msgs = append(msgs, fmt.Sprintf("flag %q: name must be lower-case letters, digits and -, without the leading dashes", f.Name))
			continue
		}
		if seen[f.Name] {
			msgs = append(msgs, fmt.Sprintf("flag --%s declared twice", f.Name))
		}
		seen[f.Name] = true
		if c.arg(f.Name) != nil {
			msgs = append(msgs, fmt.Sprintf("flag --%s has the name of an arg", f.Name))
		}
		if f.Kind < String || f.Kind > Bool {
			msgs = append(msgs, fmt.Sprintf("flag --%s: unknown kind %s", f.Name, f.Kind))
			continue
		}
		if f.Default != "" {
			if _, err := parseValue(f.Kind, f.Default); err != nil {
				msgs = append(msgs, fmt.Sprintf("flag --%s: Default %q is not a valid %s", f.Name, f.Default, f.Kind))
			}
		}
	}
	return msgs
}

// fold returns a typed word as the registry compares it: lower case, without the invisible
// characters (controls, zero-width joiners, bidi marks) that keyboards and clipboards slip in.
func fold(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// Lookup finds a command by its name or one of its aliases, in any case and spacing:
// Lookup("Backup  Status").
func (r *Registry) Lookup(name string) (*Command, bool) {
	c, ok := r.index[fold(strings.Join(strings.Fields(name), " "))]
	return c, ok
}

// Commands returns the registered commands sorted by group, then name.
func (r *Registry) Commands() []*Command {
	out := append([]*Command(nil), r.cmds...)
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Group != out[j].Group {
			return out[i].Group < out[j].Group
		}
		return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name)
	})
	return out
}

// match finds the command named by the longest run of leading words of toks; it returns the
// command and how many tokens its name took. Quoted words after the first are data, never
// command words: `backup "status"` is backup with the argument status.
func (r *Registry) match(toks []token) (*Command, int) {
	n := 0
	for n < len(toks) && n < r.maxWords && (n == 0 || !toks[n].Quoted) {
		n++
	}
	for k := n; k > 0; k-- {
		words := make([]string, k)
		for i := range k {
			words[i] = toks[i].Text
		}
		if c, ok := r.index[fold(strings.Join(words, " "))]; ok {
			return c, k
		}
	}
	return nil, 0
}

// extends reports whether a registered name or alias starts with the words of name followed
// by word: extends("backup", "Status") is true when "backup status" is registered.
func (r *Registry) extends(name, word string) bool {
	prefix := fold(name + " " + word)
	for key := range r.index {
		if key == prefix || strings.HasPrefix(key, prefix+" ") {
			return true
		}
	}
	return false
}
