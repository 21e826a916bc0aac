package content

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// PlainText turns a status's HTML content into plain text: paragraphs (<p>) separated by a
// blank line, <br> / <br/> / <br /> as newlines, entities decoded (&amp; &lt; &gt; &quot;
// &#39; &apos; numeric), links as their visible text (the <span class="invisible"> parts of
// Mastodon's shortened links INCLUDED so the URL is whole; the "ellipsis" span too), every
// other tag dropped, script/style contents dropped, control characters other than \n
// removed, NBSP turned into a space. Robust to local Mastodon markup, remote markup
// (Pleroma without <p>, raw apostrophes, other attribute orders, <br> HTML5 form), nested
// and malformed tags. Never panics.
//
// It reads the markup the way a browser shows it rather than matching Mastodon's exact
// output, because remote servers each produce their own shapes (research notes, pitfall
// 6): whitespace in the source collapses to one space and source newlines do not break
// lines (only <br> and block elements do), except inside <pre>. Other block elements
// (li, div, blockquote, headings) also start a new line so list items don't run together.
// The result has no leading or trailing blank lines or spaces and is valid UTF-8.
func PlainText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var w textWriter
	// hidden holds the open elements whose content a reader never sees. A stack rather
	// than a counter so a stray end tag of another kind cannot reveal a script's body.
	var hidden []string
	pre := 0 // depth of elements that keep their whitespace
	preStart := false
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			// io.EOF or a tokenizer error on malformed input: either way, what was read
			// so far is all there is.
			return w.String()
		case html.TextToken:
			if len(hidden) > 0 {
				continue
			}
			text := string(z.Text())
			if pre > 0 {
				if preStart {
					// Like the HTML parser, ignore the newline right after <pre>.
					text = strings.TrimPrefix(text, "\n")
				}
				w.preText(text)
			} else {
				w.text(text)
			}
			preStart = false
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			tag := string(name)
			kind := tagKinds[tag]
			if kind == hiddenTag {
				// Browsers ignore the self-closing slash on non-void elements, and the
				// tokenizer treats <script/> as opening raw text, so count it as open.
				hidden = append(hidden, tag)
				continue
			}
			if len(hidden) > 0 {
				continue
			}
			preStart = false
			switch kind {
			case lineBreakTag:
				w.newline()
			case paragraphTag:
				w.block(2)
			case lineTag:
				w.block(1)
			case cellTag:
				w.space = true
			case preTag:
				// Counted open even when written <pre/>, as browsers do.
				w.block(2)
				pre++
				preStart = true
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			tag := string(name)
			if len(hidden) > 0 {
				for i := len(hidden) - 1; i >= 0; i-- {
					if hidden[i] == tag {
						hidden = hidden[:i]
						break
					}
				}
				continue
			}
			preStart = false
			switch tagKinds[tag] {
			case lineBreakTag:
				// </br> is parsed as <br> by browsers.
				w.newline()
			case paragraphTag:
				w.block(2)
			case lineTag:
				w.block(1)
			case cellTag:
				w.space = true
			case preTag:
				w.block(2)
				if pre > 0 {
					pre--
				}
			}
		}
	}
}

type tagKind int

const (
	inlineTag    tagKind = iota // dropped, its text kept: a, span, b, …
	hiddenTag                   // dropped with its content
	lineBreakTag                // <br>
	paragraphTag                // separated from its neighbours by a blank line
	lineTag                     // starts on a new line
	cellTag                     // separated from its neighbours by a space
	preTag                      // a paragraph whose whitespace is kept
)

var tagKinds = map[string]tagKind{
	"script": hiddenTag, "style": hiddenTag, "template": hiddenTag, "noscript": hiddenTag,
	"iframe": hiddenTag, "noembed": hiddenTag, "noframes": hiddenTag, "title": hiddenTag,

	"br": lineBreakTag,

	"p": paragraphTag, "blockquote": paragraphTag, "h1": paragraphTag, "h2": paragraphTag,
	"h3": paragraphTag, "h4": paragraphTag, "h5": paragraphTag, "h6": paragraphTag,
	"ul": paragraphTag, "ol": paragraphTag, "dl": paragraphTag, "table": paragraphTag,
	"hr": paragraphTag, "figure": paragraphTag, "section": paragraphTag,
	"article": paragraphTag, "aside": paragraphTag, "header": paragraphTag,
	"footer": paragraphTag, "nav": paragraphTag, "main": paragraphTag,
	"details": paragraphTag, "fieldset": paragraphTag, "address": paragraphTag,
	"form": paragraphTag, "menu": paragraphTag,

	"div": lineTag, "li": lineTag, "dt": lineTag, "dd": lineTag, "tr": lineTag,
	"caption": lineTag, "figcaption": lineTag, "summary": lineTag, "legend": lineTag,

	"td": cellTag, "th": cellTag,

	"pre": preTag, "textarea": preTag, "xmp": preTag, "listing": preTag, "plaintext": preTag,
}

// textWriter builds PlainText's output. Whitespace and breaks are kept pending and only
// written in front of the next visible character, which is what drops spaces at line
// starts and ends, merges the break of </p> with the one of the next <p>, and keeps
// blank lines from piling up at either end.
type textWriter struct {
	b     strings.Builder
	space bool // collapsible whitespace seen since the last character
	brk   int  // newlines owed before the next character: 1 new line, 2 blank line
	nl    int  // newlines at the end of b
}

// text writes a text node outside <pre>: HTML whitespace collapses, other control
// characters vanish, and NBSP becomes a space that does not collapse.
func (w *textWriter) text(s string) {
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r':
			w.space = true
		case unicode.IsControl(r):
		case r == '\u00a0':
			w.char(' ')
		default:
			// An invalid byte arrives as utf8.RuneError and is written as U+FFFD, so
			// the output is always valid UTF-8.
			w.char(r)
		}
	}
}

// preText writes a text node inside <pre>, keeping spaces and newlines.
func (w *textWriter) preText(s string) {
	for _, r := range s {
		switch {
		case r == '\n':
			w.newline()
		case r == '\t' || r == '\u00a0':
			w.char(' ')
		case unicode.IsControl(r):
		default:
			w.char(r)
		}
	}
}

func (w *textWriter) flushBreaks() {
	if w.b.Len() > 0 {
		for w.nl < w.brk {
			w.b.WriteByte('\n')
			w.nl++
		}
	}
	w.brk = 0
}

func (w *textWriter) char(r rune) {
	w.flushBreaks()
	if w.space && w.nl == 0 && w.b.Len() > 0 {
		w.b.WriteByte(' ')
	}
	w.space = false
	w.b.WriteRune(r)
	w.nl = 0
}

// newline writes an explicit line break (<br>, or a newline inside <pre>); unlike block
// breaks, consecutive ones add up.
func (w *textWriter) newline() {
	w.flushBreaks()
	w.space = false
	w.b.WriteByte('\n')
	w.nl++
}

// block asks for n newlines before the next character; adjacent block boundaries share
// them, so </p><p> gives one blank line, not two.
func (w *textWriter) block(n int) {
	w.brk = max(w.brk, n)
	w.space = false
}

func (w *textWriter) String() string {
	return strings.Trim(w.b.String(), " \n")
}

// Command extracts the command line a DM carries: PlainText, then leading mentions
// removed — a mention is an @word or @user@domain at the start of a line (people put the
// mention on its own line, or several mentions: "@tootops @bob ps") — and returns the
// first non-empty line, trimmed. Mentions not at the start (an argument like
// "whoami @alice") are kept. It returns "" when the DM holds nothing but mentions.
//
// The mentions are stripped from the text rather than matched against status.mentions
// because the visible text is the bare username for local and remote accounts alike
// (TextFormatter link_to_mention); who sent the DM and whom it mentions is decided from
// the status's fields, never from here.
func Command(html string) string {
	for line := range strings.SplitSeq(PlainText(html), "\n") {
		rest := line
		for {
			rest = strings.TrimLeftFunc(rest, unicode.IsSpace)
			n := leadingMention(rest)
			if n == 0 {
				break
			}
			rest = rest[n:]
		}
		if rest = strings.TrimSpace(rest); rest != "" {
			return rest
		}
	}
	return ""
}

// leadingMention returns the length of the mention s starts with, including a "," or ":"
// right after it ("@tootops: ps"), or 0. A mention must be followed by whitespace or the
// end of the line, so "@home/path" or an e-mail-like word is not one.
func leadingMention(s string) int {
	if len(s) < 2 || s[0] != '@' {
		return 0
	}
	i := 1 + usernameLen(s[1:])
	if i == 1 {
		return 0
	}
	if i < len(s) && s[i] == '@' {
		if d := domainLen(s[i+1:]); d > 0 {
			i += 1 + d
			if i+1 < len(s) && s[i] == ':' && isDigit(s[i+1]) {
				i++
				for i < len(s) && isDigit(s[i]) {
					i++
				}
			}
		}
	}
	if i < len(s) && (s[i] == ',' || s[i] == ':') {
		i++
	}
	if i == len(s) {
		return i
	}
	if r, _ := utf8.DecodeRuneInString(s[i:]); unicode.IsSpace(r) {
		return i
	}
	return 0
}
