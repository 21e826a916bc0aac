package content_test

import (
	stdhtml "html"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tootops/tootops/bot/content"
)

// FuzzPlainText checks PlainText and Command on arbitrary input: they never panic; the
// output is valid UTF-8 without control characters (but \n) or NBSP, and trimmed; text
// without '<' or '&' comes out as itself modulo whitespace, so no '<' in the output can
// come from a tag; escaping the output and converting it again changes nothing but
// whitespace, so nothing in it is left to be read as markup; and the command is one
// trimmed line of the plain text.
func FuzzPlainText(f *testing.F) {
	for _, s := range []string{
		"",
		"ps",
		"<p>@tootops</p><p>restart sidekiq</p>",
		`<p><span class="h-card" translate="no"><a href="https://x/@tootops" class="u-url mention">@<span>tootops</span></a></span> logs web 50</p>`,
		"<p>a<br>b<br/>c<br />d</p>",
		"<p>don&#39;t &amp; don't &apos; &#x1F602; &#0; &#128;</p>",
		"<p>ps</p><script>restart web</script>",
		"<script/>restart web",
		"&lt;b&gt;",
		"a < b & c > d",
		"<pre>\n  x\ty\n</pre>",
		"<p><b>unclosed<i>misnested</b></i>",
		"<template></script>x</template>y<!-- z --><![CDATA[w]]>",
		"a\x00b\x01c\r\nd\u0085e\u00a0f\xff",
		"<textarea>&lt;x&gt;</textarea><xmp><b></xmp><plaintext><p>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := content.PlainText(in)
		if !utf8.ValidString(got) {
			t.Fatalf("PlainText(%q) = %q: invalid UTF-8", in, got)
		}
		for _, r := range got {
			if (r != '\n' && unicode.IsControl(r)) || r == '\u00a0' {
				t.Fatalf("PlainText(%q) = %q: contains %U", in, got, r)
			}
		}
		if strings.Trim(got, " \n") != got {
			t.Fatalf("PlainText(%q) = %q: not trimmed", in, got)
		}
		if !strings.ContainsAny(in, "<&") {
			if w, g := words(textOf(in)), words(got); w != g {
				t.Fatalf("PlainText(%q) = %q: words %q, want %q", in, got, g, w)
			}
		}
		if again := content.PlainText(stdhtml.EscapeString(got)); words(again) != words(got) {
			t.Fatalf("PlainText(EscapeString(%q)) = %q", got, again)
		}

		cmd := content.Command(in)
		if strings.Contains(cmd, "\n") || strings.TrimSpace(cmd) != cmd {
			t.Fatalf("Command(%q) = %q: not one trimmed line", in, cmd)
		}
		if !strings.Contains(got, cmd) {
			t.Fatalf("Command(%q) = %q: not in the plain text %q", in, cmd, got)
		}
	})
}

// textOf is what a browser shows for text that holds no markup: HTML whitespace and
// NBSP as spaces, other control characters gone, invalid bytes as U+FFFD.
func textOf(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r' || r == '\u00a0':
			b.WriteByte(' ')
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// words normalises whitespace: runs of it become one space, none at either end.
func words(s string) string { return strings.Join(strings.Fields(s), " ") }

// FuzzSplit checks Split on arbitrary input. With the fuzzer's max and urlLen it only
// has to terminate and keep its structural promises (checkSplit without the fit check).
// With a max that leaves room for the prefix, the widest counter possible and one URL
// (plus one character of slack for a grapheme cluster straddling a URL's end), every part
// must also fit.
func FuzzSplit(f *testing.F) {
	f.Add("backup done", "@alice@social.example.coop ", 500, 23)
	f.Add("one two\nthree four\nfive", "@a ", 20, 23)
	f.Add("see https://example.com/a/long/path/here end", "@a ", 32, 23)
	f.Add("a\nbbb ccc ddd eee", "", 16, 23)
	f.Add(strings.Repeat("👨‍👩‍👧‍👦", 25), "", 16, 23)
	f.Add(strings.Repeat("e\u0301 ", 40), "@bob ", 12, 23)
	f.Add("xhttps://example.com/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa b", "@a ", 30, 23)
	f.Add("hi @bob@very.long.domain.example.org and @carol@x.example", "@a ", 15, 23)
	f.Add(strings.Repeat("word ", 300), "@a ", 40, 23)
	f.Add("a\u00a0b\u2007c\u202fd e\tf\r\ng\u2028h", " ", 10, 0)
	f.Add("https://example.com/x\u0d4e y https://a.io/\u0301 z", "", -5, -1)
	f.Fuzz(func(t *testing.T, text, prefix string, max, urlLen int) {
		if len(text) > 1<<12 || len(prefix) > 256 {
			return // too large to check quickly; the bounded inputs cover the logic
		}
		parts := content.Split(text, prefix, max, urlLen)
		if err := checkSplit(text, prefix, max, urlLen, parts, false); err != nil {
			t.Fatal(err)
		}

		// A realistic call: a prefix that ends in a space, as a mention does, a sane
		// urlLen, and a max with room for at least one URL.
		if prefix = strings.TrimFunc(prefix, isBreakSpace); prefix != "" {
			prefix += " "
		}
		u := int(uint(urlLen) % 64)
		nines := strings.Repeat("9", len(strconv.Itoa(len(text))))
		need := content.Length(prefix, u) + len(" ("+nines+"/"+nines+")") + max1(u) + 1
		m := need + int(uint(max)%400)
		parts = content.Split(text, prefix, m, u)
		if err := checkSplit(text, prefix, m, u, parts, true); err != nil {
			t.Fatal(err)
		}
	})
}

func max1(n int) int { return max(n, 1) }
