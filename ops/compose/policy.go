package compose

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/tootops/tootops/ops"
)

// Policy says which commands `run` may start in a one-off container. A command must begin
// with one of the allowed prefixes, word for word; the words after it must be flags the bot
// knows for that command (see knownCommands), with values of the right shape. A command
// the bot knows nothing about runs only exactly as allowed, with no further words. There is
// no shell: the words go to the container as its argv.
type Policy struct {
	allowed [][]string
}

// DefaultAllowed is the allow-list when the config gives none: read-mostly maintenance.
var DefaultAllowed = []string{
	"tootctl version",
	"tootctl media remove",
	"tootctl accounts prune",
	"tootctl preview_cards remove",
	"tootctl cache clear",
}

// valueKind is what a flag takes.
type valueKind int

const (
	noValue   valueKind = iota // --dry-run
	intValue                   // --days 7
	wordValue                  // --start-after KEY
)

// knownCommands are the commands whose flags the bot knows, from tootctl's own help
// (Mastodon 4.5). Flags not listed here are refused.
var knownCommands = map[string]map[string]valueKind{
	"tootctl version":                {},
	"tootctl media remove":           {"days": intValue, "concurrency": intValue, "dry-run": noValue, "prune-profiles": noValue, "remove-headers": noValue, "include-follows": noValue, "verbose": noValue},
	"tootctl media remove-orphans":   {"start-after": wordValue, "prefix": wordValue, "fix-permissions": noValue, "dry-run": noValue},
	"tootctl media usage":            {},
	"tootctl accounts prune":         {"concurrency": intValue, "dry-run": noValue},
	"tootctl preview_cards remove":   {"days": intValue, "concurrency": intValue, "link": noValue, "verbose": noValue, "dry-run": noValue},
	"tootctl cache clear":            {},
	"tootctl cache recount accounts": {"concurrency": intValue, "verbose": noValue},
	"tootctl cache recount statuses": {"concurrency": intValue, "verbose": noValue},
	"tootctl statuses remove":        {"days": intValue, "batch-size": intValue, "continue": noValue, "clean-followed": noValue, "skip-media-remove": noValue},
	"tootctl search deploy":          {"concurrency": intValue, "batch-size": intValue, "only": wordValue, "reset-chewy": noValue, "import": noValue, "clean": noValue, "no-import": noValue, "no-clean": noValue},
	"tootctl feeds build":            {"all": noValue, "concurrency": intValue, "verbose": noValue, "dry-run": noValue},
	"tootctl feeds vacuum":           {},
	"rails db:migrate":               {},
	"rails db:migrate:status":        {},
}

var (
	safeWord  = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.:/@=+-]*$`)
	flagWord  = regexp.MustCompile(`^--([a-z][a-z0-9_-]*)(=(.*))?$`)
	intWord   = regexp.MustCompile(`^[0-9]{1,6}$`)
	valueWord = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.:/,-]{0,199}$`)
)

// NewPolicy reads allow-list entries such as "tootctl media remove". Each is one or more
// words of letters, digits and _ . : / @ = + - (flags such as --days 7 included).
func NewPolicy(allowed []string) (Policy, error) {
	var p Policy
	for _, a := range allowed {
		words := strings.Fields(a)
		if len(words) == 0 {
			return Policy{}, fmt.Errorf("compose: empty one-off command in the allow-list")
		}
		for _, w := range words {
			if !safeWord.MatchString(w) && !flagWord.MatchString(w) {
				return Policy{}, fmt.Errorf("compose: one-off command %q: word %q has characters other than letters, digits and _ . : / @ = + -", a, w)
			}
		}
		p.allowed = append(p.allowed, words)
	}
	return p, nil
}

// Allowed lists the allowed prefixes.
func (p Policy) Allowed() []string {
	out := make([]string, len(p.allowed))
	for i, words := range p.allowed {
		out[i] = strings.Join(words, " ")
	}
	return out
}

// Check reports whether cmd may run, with an *ops.Error saying why not.
func (p Policy) Check(cmd []string) error {
	if len(cmd) == 0 {
		return &ops.Error{Msg: "no command given", Hint: "e.g. run web -- tootctl media remove --days 7"}
	}
	shown := shorten(strings.Join(cmd, " "))
	var prefix []string
	for _, a := range p.allowed {
		if len(a) > len(prefix) && hasPrefix(cmd, a) {
			prefix = a
		}
	}
	if prefix == nil {
		hint := "nothing may run: [compose.oneoff] allowed is empty"
		if len(p.allowed) > 0 {
			hint = "allowed: " + strings.Join(p.Allowed(), "; ") + " — see [compose.oneoff] allowed"
		}
		return &ops.Error{Msg: fmt.Sprintf("%q is not an allowed one-off command", shown), Hint: hint}
	}
	known, flags := "", map[string]valueKind(nil)
	for name, f := range knownCommands {
		words := strings.Fields(name)
		if hasPrefix(cmd, words) && len(name) > len(known) {
			known, flags = name, f
		}
	}
	rest := cmd[len(prefix):]
	if known != "" && len(strings.Fields(known)) > len(prefix) {
		rest = cmd[len(strings.Fields(known)):]
	}
	if len(rest) == 0 {
		return nil
	}
	if flags == nil {
		return &ops.Error{
			Msg:  fmt.Sprintf("%q: the bot does not know the arguments of %q", shown, strings.Join(prefix, " ")),
			Hint: "it runs only exactly as allowed; add the whole command line to [compose.oneoff] allowed",
		}
	}
	for i := 0; i < len(rest); i++ {
		w := rest[i]
		m := flagWord.FindStringSubmatch(w)
		if m == nil {
			return &ops.Error{Msg: fmt.Sprintf("%s: unexpected argument %q", known, shorten(w)), Hint: "flags: " + flagList(flags)}
		}
		name, value, hasValue := m[1], m[3], m[2] != ""
		kind, ok := flags[name]
		if !ok {
			return &ops.Error{Msg: fmt.Sprintf("%s: flag --%s is not allowed", known, shorten(name)), Hint: "flags: " + flagList(flags)}
		}
		switch {
		case kind == noValue && hasValue:
			return &ops.Error{Msg: fmt.Sprintf("%s: --%s takes no value", known, name)}
		case kind == noValue:
			continue
		case !hasValue:
			if i+1 == len(rest) {
				return &ops.Error{Msg: fmt.Sprintf("%s: --%s needs a value", known, name)}
			}
			i++
			value = rest[i]
		}
		if (kind == intValue && !intWord.MatchString(value)) || (kind == wordValue && !valueWord.MatchString(value)) {
			what := "a whole number"
			if kind == wordValue {
				what = "a word of letters, digits and _ . : / , -"
			}
			return &ops.Error{Msg: fmt.Sprintf("%s: --%s takes %s, got %q", known, name, what, shorten(value))}
		}
	}
	return nil
}

func hasPrefix(cmd, prefix []string) bool {
	return len(cmd) >= len(prefix) && slices.Equal(cmd[:len(prefix)], prefix)
}

func flagList(flags map[string]valueKind) string {
	if len(flags) == 0 {
		return "none"
	}
	var out []string
	for name, kind := range flags {
		switch kind {
		case intValue:
			out = append(out, "--"+name+" N")
		case wordValue:
			out = append(out, "--"+name+" WORD")
		default:
			out = append(out, "--"+name)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// shorten cuts user input for messages, dropping what is not printable.
func shorten(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if r := []rune(s); len(r) > 60 {
		return string(r[:60]) + "…"
	}
	return s
}
