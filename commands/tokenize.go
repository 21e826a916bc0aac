package commands

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Token is one word of a command line.
type Token struct {
	Text   string // the word, quotes and escapes removed
	Quoted bool   // some part of the word was quoted or escaped: it is never a flag or a command word
	Pos    int    // rune column of the word's first character, 1-based, for messages
}

// token is a Token plus what the parser needs to tell --grep="a b" (a flag whose value was
// quoted) from "--grep=a b" (an argument).
type token struct {
	Token
	plain int // number of leading bytes of Text typed outside quotes and escapes
}

// isSpace reports whether r separates words. Besides Unicode spaces (NBSP included) it counts
// the zero-width space and the byte-order mark, which some keyboards and clipboards insert.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u2060' || r == '\ufeff'
}

// isDash reports whether r is one of the dashes phones put in place of "--".
func isDash(r rune) bool { return r == '—' || r == '–' }

// openers lists the characters that open a quoted part, each with whether a backslash
// escapes inside it (it does in double quotes, not in single ones). Curly quotes are what
// phones type: “…” (English), „…“ (German), ”…” (Swedish), ‘…’ and ‚…‘.
var openers = map[rune]bool{
	'"':  true,
	'“':  true,
	'„':  true,
	'”':  true,
	'\'': false,
	'‘':  false,
	'‚':  false,
}

func isOpener(r rune) bool {
	_, ok := openers[r]
	return ok
}

// closes reports whether r closes a part opened with open; after is the text that follows r.
func closes(open, r rune, after string) bool {
	switch open {
	case '"':
		return r == '"'
	case '\'':
		return r == '\''
	case '“', '„', '”':
		return r == '”' || r == '“'
	case '‘', '‚':
		if r == '‘' {
			return true
		}
		if r != '’' {
			return false
		}
		// ’ is also the apostrophe phones type in words such as don’t: it closes only when
		// no letter follows it.
		next, _ := utf8.DecodeRuneInString(after)
		return after == "" || !unicode.IsLetter(next)
	}
	return false
}

// Tokenize splits a command line into words. Any Unicode space separates words; 'single',
// "double" and curly quotes (“…”, ‘…’, „…“) group them; a backslash escapes the next character
// except inside single quotes, and a backslash at the very end stands for itself. A word that
// starts with an unquoted em or en dash starts with "--" instead, since phones replace "--"
// with a dash. An unterminated quote is a *SyntaxError.
func Tokenize(line string) ([]Token, error) {
	toks, err := tokenize(line)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, nil
	}
	out := make([]Token, len(toks))
	for i, t := range toks {
		out[i] = t.Token
	}
	return out, nil
}

func tokenize(line string) ([]token, *SyntaxError) {
	var (
		toks  []token
		cur   token
		b     strings.Builder
		in    bool // inside a word
		plain bool // still in the word's leading unquoted part
		col   int
	)
	start := func() {
		if !in {
			in, plain = true, true
			cur = token{Token: Token{Pos: col}}
			b.Reset()
		}
	}
	flush := func() {
		if in {
			cur.Text = b.String()
			toks = append(toks, cur)
			in = false
		}
	}
	quoted := func() {
		plain = false
		cur.Quoted = true
	}
	for i := 0; i < len(line); {
		r, size := utf8.DecodeRuneInString(line[i:])
		col++
		// Text is copied from line byte for byte, invalid UTF-8 included, so that Quote and
		// Tokenize round-trip.
		switch {
		case isSpace(r):
			flush()
			i += size
		case r == '\\':
			start()
			quoted()
			i += size
			if i == len(line) {
				b.WriteByte('\\')
				break
			}
			_, n := utf8.DecodeRuneInString(line[i:])
			col++
			b.WriteString(line[i : i+n])
			i += n
		case isOpener(r):
			start()
			quoted()
			openCol, escapes := col, openers[r]
			i += size
			closed := false
			for i < len(line) {
				r2, n := utf8.DecodeRuneInString(line[i:])
				col++
				if closes(r, r2, line[i+n:]) {
					i += n
					closed = true
					break
				}
				if escapes && r2 == '\\' && i+n < len(line) {
					i += n
					_, m := utf8.DecodeRuneInString(line[i:])
					col++
					b.WriteString(line[i : i+m])
					i += m
					continue
				}
				b.WriteString(line[i : i+n])
				i += n
			}
			if !closed {
				return nil, &SyntaxError{
					Pos: openCol,
					Msg: fmt.Sprintf("unterminated quote starting at column %d", openCol),
				}
			}
		default:
			fresh := !in
			start()
			if fresh && isDash(r) {
				b.WriteString("--")
			} else {
				b.WriteString(line[i : i+size])
			}
			if plain {
				cur.plain = b.Len()
			}
			i += size
		}
	}
	flush()
	return toks, nil
}

// Quote joins words into a line that Tokenize splits back into the same words. A word is
// quoted only when it needs to be: when it is empty, contains a space, a quote or a
// backslash, or starts with a dash that Tokenize would read as "--".
func Quote(words ...string) string {
	var b strings.Builder
	for i, w := range words {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quoteWord(w))
	}
	return b.String()
}

func quoteWord(w string) string {
	if !needsQuotes(w) {
		return w
	}
	if !strings.Contains(w, "'") {
		return "'" + w + "'"
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(w); i++ {
		if w[i] == '"' || w[i] == '\\' {
			b.WriteByte('\\')
		}
		b.WriteByte(w[i])
	}
	b.WriteByte('"')
	return b.String()
}

func needsQuotes(w string) bool {
	if w == "" {
		return true
	}
	if first, _ := utf8.DecodeRuneInString(w); isDash(first) {
		return true
	}
	for _, r := range w {
		if isSpace(r) || r == '\\' || r == '’' || isOpener(r) {
			return true
		}
	}
	return false
}
