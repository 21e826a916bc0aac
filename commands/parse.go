package commands

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Parse reads one command line: leading @mentions are skipped, the longest run of leading
// words that names a command (in any case) picks it, and the rest are its args and flags.
//
// Flags may come anywhere after the name, as --flag, --flag=value or --flag value (a Bool
// flag takes no separate value, only --flag=true or --flag=false); a single dash works too
// (-timeout 5). A word quoted in any part is never a flag. "--" ends the flags: the words
// after it are args, and only a command with a Rest arg accepts it. `X --help` is read as
// `help X` when a help command is registered.
//
// Every error is a *UsageError whose text can be sent to the user as it is.
func (r *Registry) Parse(line string) (*Invocation, error) {
	toks, se := tokenize(line)
	if se != nil {
		return nil, &UsageError{Msg: se.Msg, Err: se}
	}
	for len(toks) > 0 && isMention(toks[0]) {
		toks = toks[1:]
	}
	if len(toks) == 0 {
		return nil, r.unknown(nil)
	}
	c, n := r.match(toks)
	if c == nil {
		var words []string
		for _, t := range toks {
			// The words match looked at: the first, then unquoted ones that are not flags.
			if len(words) == max(r.maxWords, 2) || (len(words) > 0 && (t.Quoted || isFlag(t))) {
				break
			}
			words = append(words, t.Text)
		}
		return nil, r.unknown(words)
	}
	return r.parseArgs(c, toks[:n], toks[n:], line)
}

// isMention reports whether t is an @mention left in the line, such as @tootops or
// @tootops@social.example.coop.
func isMention(t token) bool {
	return !t.Quoted && len(t.Text) > 1 && t.Text[0] == '@'
}

// isEndOfFlags reports whether t is a bare "--" (or a dash a phone put in its place).
func isEndOfFlags(t token) bool { return t.Text == "--" && t.plain == 2 }

// isFlag reports whether t is a flag: "--name", "--name=value" or "-name" with the part
// before any "=" typed outside quotes.
func isFlag(t token) bool {
	s := t.Text
	switch {
	case strings.HasPrefix(s, "--"):
		if len(s) == 2 {
			return false
		}
	case strings.HasPrefix(s, "-"):
		// -timeout is a flag, -5 is a number.
		if r, _ := utf8.DecodeRuneInString(s[1:]); !unicode.IsLetter(r) {
			return false
		}
	default:
		return false
	}
	end := strings.IndexByte(s, '=')
	if end < 0 {
		end = len(s)
	}
	return end <= t.plain
}

// splitFlag splits "--since=10m" into "since", "10m", true.
func splitFlag(s string) (typed, name, value string, hasValue bool) {
	typed, value, hasValue = strings.Cut(s, "=")
	name = strings.TrimPrefix(typed, "-")
	name = strings.TrimPrefix(name, "-")
	return typed, fold(name), value, hasValue
}

func (r *Registry) parseArgs(c *Command, nameToks, toks []token, line string) (*Invocation, error) {
	typed := make([]string, len(nameToks))
	for i, t := range nameToks {
		typed[i] = t.Text
	}
	inv := &Invocation{
		Command: c,
		Name:    clean(strings.Join(typed, " "), 100),
		Line:    line,
		reg:     r,
		vals:    map[string]value{},
	}
	fail := func(suggestion, format string, a ...any) (*Invocation, error) {
		return nil, &UsageError{Command: c, Msg: fmt.Sprintf(format, a...), Suggestion: suggestion}
	}

	var pos []token
	dashed := false
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch {
		case dashed:
			pos = append(pos, t)
		case isEndOfFlags(t):
			if c.restArg() == nil {
				return fail("", `%s: unexpected "--"`, c.Name)
			}
			dashed = true
		case isFlag(t):
			typed, name, val, hasVal := splitFlag(t.Text)
			f := c.flag(name)
			if f == nil && name == flagHelp {
				if h, ok := r.Lookup("help"); ok {
					return r.parseArgs(h, []token{plainToken("help")}, plainTokens(c.Name), line)
				}
			}
			if f == nil {
				return fail(flagSuggestion(c, name), "%s: unknown flag %s", c.Name, echoBare(typed))
			}
			if _, dup := inv.vals[f.Name]; dup {
				return fail("", "%s: --%s given twice", c.Name, f.Name)
			}
			if f.Kind == Bool {
				b := true
				if hasVal {
					var ok bool
					if b, ok = parseBool(val); !ok {
						return fail("", "--%s: expected true or false, got %s", f.Name, echo(val))
					}
				}
				inv.vals[f.Name] = value{raw: strconv.FormatBool(b), v: b, set: true}
				continue
			}
			if !hasVal {
				if i+1 == len(toks) || isFlag(toks[i+1]) || isEndOfFlags(toks[i+1]) {
					if want := expectation(f.Kind); want != "" {
						return fail("", "--%s: missing value, expected %s", f.Name, want)
					}
					return fail("", "--%s: missing value", f.Name)
				}
				i++
				val = toks[i].Text
			}
			v, err := parseValue(f.Kind, val)
			if err != nil {
				return fail("", "--%s: expected %s, got %s", f.Name, expectation(f.Kind), echo(val))
			}
			inv.vals[f.Name] = value{raw: val, v: v, set: true}
		default:
			pos = append(pos, t)
		}
	}

	next := 0
	for i := range c.Args {
		a := &c.Args[i]
		if a.Rest {
			var words []string
			for _, t := range pos[next:] {
				words = append(words, t.Text)
			}
			next = len(pos)
			if len(words) == 0 {
				if !a.Optional {
					return fail("", "%s: missing %s", c.Name, a.Name)
				}
				continue
			}
			if a.Check != nil {
				if err := a.Check(strings.Join(words, " ")); err != nil {
					return nil, checkError(c, a, err)
				}
			}
			inv.vals[a.Name] = value{v: words, set: true}
			continue
		}
		if next == len(pos) {
			if !a.Optional {
				return fail("", "%s: missing %s", c.Name, a.Name)
			}
			continue
		}
		raw := pos[next].Text
		next++
		v, err := parseArg(c, a, raw)
		if err != nil {
			return nil, err
		}
		inv.vals[a.Name] = value{raw: raw, v: v, set: true}
	}
	if next < len(pos) {
		t := pos[next]
		suggestion := ""
		if next == 0 && !t.Quoted {
			suggestion = r.longer(c, t.Text)
		}
		return fail(suggestion, "%s: unexpected argument %s", c.Name, echo(t.Text))
	}

	for _, f := range c.Flags {
		if _, ok := inv.vals[f.Name]; !ok && f.Default != "" {
			v, _ := parseValue(f.Kind, f.Default) // checked by Add
			inv.vals[f.Name] = value{raw: f.Default, v: v}
		}
	}
	return inv, nil
}

func plainToken(w string) token { return token{Token: Token{Text: w}, plain: len(w)} }

func plainTokens(s string) []token {
	var out []token
	for _, w := range strings.Fields(s) {
		out = append(out, plainToken(w))
	}
	return out
}

// parseArg turns the text of a positional arg into its value, or a *UsageError.
func parseArg(c *Command, a *Arg, raw string) (any, error) {
	fail := func(format string, args ...any) error {
		return &UsageError{Command: c, Msg: c.Name + ": " + fmt.Sprintf(format, args...)}
	}
	var v any
	switch a.Kind {
	case Int:
		n, err := boundedInt(c, a, a.Name, raw)
		if err != nil {
			return nil, err
		}
		v = n
	case Duration:
		d, ok := parseDuration(raw)
		if !ok {
			return nil, fail("%s must be %s, got %s", a.Name, expectation(Duration), echo(raw))
		}
		v = d
	case KeyValue:
		keyName, valName, _ := strings.Cut(a.Name, "=")
		key, num, ok := strings.Cut(raw, "=")
		if !ok || key == "" || num == "" {
			return nil, fail("%s must look like %s, got %s", a.Name, example(a, keyName), echo(raw))
		}
		n, err := boundedInt(c, a, valName, num)
		if err != nil {
			return nil, err
		}
		v = keyValue{key: key, n: n}
	default:
		v = raw
	}
	if a.Check != nil {
		if err := a.Check(raw); err != nil {
			return nil, checkError(c, a, err)
		}
	}
	return v, nil
}

func checkError(c *Command, a *Arg, err error) error {
	return &UsageError{Command: c, Msg: c.Name + ": " + a.Name + ": " + clean(err.Error(), 120), Err: err}
}

// boundedInt parses a whole number for an Int arg or the number of a KeyValue arg, called
// name in messages, and checks it against the arg's bounds.
func boundedInt(c *Command, a *Arg, name, raw string) (int64, error) {
	n, err := strconv.ParseInt(raw, 10, 64)
	var numErr *strconv.NumError
	if err != nil && !(errors.As(err, &numErr) && numErr.Err == strconv.ErrRange) {
		return 0, &UsageError{Command: c, Msg: fmt.Sprintf("%s: %s must be a whole number, got %s", c.Name, name, echo(raw))}
	}
	lo := a.Min
	if a.Kind == KeyValue {
		lo = max(lo, 0)
	}
	// A number out of the int64 range has err set and n at the nearest end of the range.
	if err == nil && n >= lo && (a.Max == 0 || n <= a.Max) {
		return n, nil
	}
	got := clean(raw, echoLimit)
	switch {
	case a.Max != 0:
		return 0, &UsageError{Command: c, Msg: fmt.Sprintf("%s: %s must be between %d and %d, got %s", c.Name, name, lo, a.Max, got)}
	case n < lo:
		return 0, &UsageError{Command: c, Msg: fmt.Sprintf("%s: %s must be at least %d, got %s", c.Name, name, lo, got)}
	}
	return 0, &UsageError{Command: c, Msg: fmt.Sprintf("%s: %s is too large, got %s", c.Name, name, got)}
}

// example returns a valid KeyValue text for messages: the arg's Example, or one made from
// the key's placeholder ("service=5").
func example(a *Arg, keyName string) string {
	if a.Example != "" {
		return a.Example
	}
	n := max(int64(5), a.Min)
	if a.Max != 0 {
		n = min(n, a.Max)
	}
	return strings.ToLower(keyName) + "=" + strconv.FormatInt(n, 10)
}

// expectation describes the values of a kind for messages: "a whole number".
func expectation(k Kind) string {
	switch k {
	case Int:
		return "a whole number"
	case Duration:
		return "a duration such as 10m or 2h"
	case KeyValue:
		return "KEY=N such as sidekiq=5"
	case Bool:
		return "true or false"
	}
	return ""
}

// parseValue turns a flag's text into its value.
func parseValue(k Kind, s string) (any, error) {
	switch k {
	case Int:
		return strconv.ParseInt(s, 10, 64)
	case Duration:
		if d, ok := parseDuration(s); ok {
			return d, nil
		}
	case Bool:
		if b, ok := parseBool(s); ok {
			return b, nil
		}
	case KeyValue:
		key, num, _ := strings.Cut(s, "=")
		n, err := strconv.ParseUint(num, 10, 63)
		if key != "" && err == nil {
			return keyValue{key: key, n: int64(n)}, nil
		}
	default:
		return s, nil
	}
	return nil, fmt.Errorf("not %s", expectation(k))
}

func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "yes", "on", "1":
		return true, true
	case "false", "no", "off", "0":
		return false, true
	}
	return false, false
}

var durationUnits = map[string]time.Duration{
	"ms": time.Millisecond,
	"s":  time.Second, "sec": time.Second, "secs": time.Second, "second": time.Second, "seconds": time.Second,
	"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
	"h": time.Hour, "hr": time.Hour, "hrs": time.Hour, "hour": time.Hour, "hours": time.Hour,
	"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
}

// parseDuration reads what Go's time.ParseDuration reads (without signs and µs), plus days
// and weeks and a few spelled-out units: 10m, 2h, 1h30m, 1.5h, 2d, 1w, 90sec, 0.
func parseDuration(s string) (time.Duration, bool) {
	s = strings.ToLower(s)
	if s == "0" {
		return 0, true
	}
	if s == "" {
		return 0, false
	}
	const limit = float64(1 << 62)
	var total float64
	for s != "" {
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		num, err := strconv.ParseFloat(s[:i], 64)
		if i == 0 || err != nil {
			return 0, false
		}
		s = s[i:]
		j := 0
		for j < len(s) && s[j] >= 'a' && s[j] <= 'z' {
			j++
		}
		unit, ok := durationUnits[s[:j]]
		if !ok {
			return 0, false
		}
		s = s[j:]
		total += num * float64(unit)
		if total > limit {
			return 0, false
		}
	}
	return time.Duration(total), true
}
