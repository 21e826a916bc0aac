package commands

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Sentinels wrapped by the errors of [Registry.Add], for errors.Is.
var (
	// ErrDuplicate: a command name or alias is already taken (names compare case-insensitively).
	ErrDuplicate = errors.New("duplicate name")
	// ErrInvalid: a command declaration breaks a rule of the grammar.
	ErrInvalid = errors.New("invalid declaration")
)

// SyntaxError is a line that cannot be split into words, such as one with an unterminated
// quote. Msg is the complete text for the user and already names the column.
type SyntaxError struct {
	Pos int    // rune column, 1-based
	Msg string // e.g. "unterminated quote starting at column 7"
}

func (e *SyntaxError) Error() string { return e.Msg }

// UsageError is a line that does not make a valid command. Its Error text is meant for the
// user as it is: short, exact, naming what was wrong and what is accepted, with a suggestion
// when there is one, and the command's usage line when the command is known. Any user input
// it quotes is truncated and stripped of control characters, so it is safe to post.
type UsageError struct {
	Command    *Command // nil when the command itself is unknown
	Msg        string   // what was wrong, e.g. `restart: missing SERVICE`
	Suggestion string   // e.g. `did you mean "restart"?`; may be empty
	Err        error    // the underlying error, if any (a *SyntaxError, an Arg.Check error)
}

// Error returns Msg, then " — " and the suggestion, then a line with the usage.
func (e *UsageError) Error() string {
	var b strings.Builder
	b.WriteString(e.Msg)
	if e.Suggestion != "" {
		b.WriteString(" — ")
		b.WriteString(e.Suggestion)
	}
	if e.Command != nil {
		b.WriteString("\nusage: ")
		b.WriteString(e.Command.Usage())
	}
	return b.String()
}

func (e *UsageError) Unwrap() error { return e.Err }

// echoLimit is how many runes of user input a message repeats.
const echoLimit = 40

// clean makes user input safe to repeat in a reply: invalid UTF-8 becomes U+FFFD, every
// space (newlines and tabs too) becomes a plain space, other characters that are not
// printable (controls, bidi overrides, zero-width characters) are dropped, and the result is
// cut to limit runes plus "…".
func clean(s string, limit int) string {
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case isSpace(r):
			r = ' '
		case size == 1 && r == utf8.RuneError:
			r = utf8.RuneError
		case !unicode.IsPrint(r):
			continue
		}
		if n == limit {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}

// echo returns user input cleaned and in double quotes, for messages: `"retsart"`.
func echo(s string) string { return strconv.Quote(clean(s, echoLimit)) }

// echoBare returns user input cleaned, without quotes, for flags: `--tiemout`.
func echoBare(s string) string { return clean(s, echoLimit) }
