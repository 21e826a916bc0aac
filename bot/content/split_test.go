package content_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"

	"github.com/tootops/tootops/bot/content"
)

const (
	alice = "@alice@social.example.coop " // counts as "@alice " = 7
	url   = "https://example.com/this/is/a/rather/long/path/that/still/counts/as/twenty-three"
)

func TestSplit(t *testing.T) {
	family := "👨‍👩‍👧‍👦"
	for _, tt := range []struct {
		name           string
		text, prefix   string
		max, urlLen    int
		want           []string
		skipFitCheck   bool // the parts may exceed max by design
		wantAllOfWidth int  // if set: every body is this many grapheme clusters (last may be shorter)
	}{
		{
			name: "fits: one part without counter",
			text: "backup done in 3m12s", prefix: alice, max: 500, urlLen: 23,
			want: []string{alice + "backup done in 3m12s"},
		},
		{
			name: "fits exactly",
			text: strings.Repeat("x", 493), prefix: alice, max: 500, urlLen: 23,
			want: []string{alice + strings.Repeat("x", 493)},
		},
		{
			name: "remote mention in text counts as @user",
			text: "allowed: @bob@a.very.long.domain.name.example.org", prefix: "", max: 13, urlLen: 23,
			want: []string{"allowed: @bob@a.very.long.domain.name.example.org"},
		},
		{
			name: "surrounding whitespace dropped",
			text: " \n  hello world \n\n", prefix: "@a ", max: 500, urlLen: 23,
			want: []string{"@a hello world"},
		},
		{
			name: "prefix without trailing space gets one",
			text: "@bob@x.example hello world foo bar", prefix: "@alice", max: 20, urlLen: 23,
			// budget 20 - len("@alice ") - len(" (1/4)") = 7
			want: []string{"@alice @bob@x.example (1/4)", "@alice hello (2/4)", "@alice world (3/4)", "@alice foo bar (4/4)"},
		},
		{
			name: "blank text gives no parts",
			text: " \n\t", prefix: "@a ", max: 500, urlLen: 23,
			want: nil,
		},
		{
			name: "cuts at line breaks",
			// budget per body: 20 - len("@a ") - len(" (1/3)") = 11
			text: "one two\nthree four\nfive", prefix: "@a ", max: 20, urlLen: 23,
			want: []string{"@a one two (1/3)", "@a three four (2/3)", "@a five (3/3)"},
		},
		{
			name: "prefers a later space to an early line break",
			// budget 10: the line break after "a" would leave the part one-tenth full.
			text: "a\nbbb ccc ddd eee", prefix: "", max: 16, urlLen: 23,
			want: []string{"a\nbbb ccc (1/2)", "ddd eee (2/2)"},
		},
		{
			name: "keeps inner line breaks and blank lines",
			text: "web     up\nsidekiq up\n\nstreaming down", prefix: "@a ", max: 36, urlLen: 23,
			want: []string{"@a web     up\nsidekiq up (1/2)", "@a streaming down (2/2)"},
		},
		{
			name: "long url kept whole and counted as 23",
			// budget 23: exactly one URL.
			text: "see " + url + " end", prefix: "@a ", max: 32, urlLen: 23,
			want: []string{"@a see (1/3)", "@a " + url + " (2/3)", "@a end (3/3)"},
		},
		{
			name: "url longer than fits goes alone",
			text: "see " + url + " end", prefix: "@a ", max: 20, urlLen: 23,
			want:         []string{"@a see (1/3)", "@a " + url + " (2/3)", "@a end (3/3)"},
			skipFitCheck: true,
		},
		{
			name: "a lone url longer than fits gets no counter",
			text: url, prefix: "@a ", max: 20, urlLen: 23,
			want:         []string{"@a " + url},
			skipFitCheck: true,
		},
		{
			name: "long word cut between grapheme clusters",
			// budget 16 - 6 = 10 families per part.
			text: strings.Repeat(family, 25), prefix: "", max: 16, urlLen: 23,
			want: []string{
				strings.Repeat(family, 10) + " (1/3)",
				strings.Repeat(family, 10) + " (2/3)",
				strings.Repeat(family, 5) + " (3/3)",
			},
		},
		{
			name: "a remote mention in a long word is not cut",
			// budget 10: "aaaa,@bobbo" would fit, but would split the mention.
			text: "aaaa,@bobbobbob@social.example.coop,bbbbbbbbbb", prefix: "", max: 16, urlLen: 23,
			want: []string{"aaaa, (1/4)", "@bobbobbob@social.example.coop (2/4)", ",bbbbbbbbb (3/4)", "b (4/4)"},
		},
		{
			name: "a remote mention longer than a part is cut",
			// budget 16; the tail is no mention any more and counts in full.
			text: "@abcdefghijklmnopqrstuvwxyz@social.example.coop", prefix: "@a ", max: 25, urlLen: 23,
			want: []string{"@a @abcdefghijklmno (1/3)", "@a pqrstuvwxyz@soci (2/3)", "@a al.example.coop (3/3)"},
		},
		{
			name: "combining marks stay with their letter",
			text: strings.Repeat("e\u0301", 12), prefix: "", max: 11, urlLen: 23,
			want: []string{strings.Repeat("e\u0301", 5) + " (1/3)", strings.Repeat("e\u0301", 5) + " (2/3)", strings.Repeat("e\u0301", 2) + " (3/3)"},
		},
		{
			name: "two-digit counters",
			// With one digit reserved there would be 10+ parts; with two, 8 per body.
			text: strings.Repeat("abcdefgh ", 12), prefix: "", max: 16, urlLen: 23,
			want: []string{
				"abcdefgh (1/12)", "abcdefgh (2/12)", "abcdefgh (3/12)", "abcdefgh (4/12)",
				"abcdefgh (5/12)", "abcdefgh (6/12)", "abcdefgh (7/12)", "abcdefgh (8/12)",
				"abcdefgh (9/12)", "abcdefgh (10/12)", "abcdefgh (11/12)", "abcdefgh (12/12)",
			},
		},
		{
			name: "no-break space is not a cut",
			// budget 4 and no other whitespace: cut between graphemes, the NBSP is text.
			text: "aaaa\u00a0bbbbbb", prefix: "", max: 10, urlLen: 23,
			want: []string{"aaaa (1/3)", "\u00a0bbb (2/3)", "bbb (3/3)"},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := content.Split(tt.text, tt.prefix, tt.max, tt.urlLen)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Split(%q, %q, %d, %d)\n got %q\nwant %q", tt.text, tt.prefix, tt.max, tt.urlLen, got, tt.want)
			}
			if err := checkSplit(tt.text, tt.prefix, tt.max, tt.urlLen, got, !tt.skipFitCheck); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestSplitLog splits something like real command output at a real limit.
func TestSplitLog(t *testing.T) {
	var b strings.Builder
	for i := range 120 {
		fmt.Fprintf(&b, "2025-01-02T03:04:%02dZ web-1 | method=GET path=/api/v1/timelines/home status=200 duration=%d.5 https://social.example.coop/@alice/%d\n", i%60, i, 1000+i)
	}
	text := b.String()
	parts := content.Split(text, alice, 500, 23)
	if len(parts) < 2 {
		t.Fatalf("Split gave %d parts", len(parts))
	}
	if err := checkSplit(text, alice, 500, 23, parts, true); err != nil {
		t.Fatal(err)
	}
	for i, p := range parts {
		body := strings.TrimPrefix(p, alice)
		body = body[:strings.LastIndex(body, " (")]
		end := strings.Index(text, body) + len(body)
		if !strings.HasPrefix(text[end:], "\n") {
			t.Errorf("part %d does not end at the end of a log line: …%q", i+1, body[max(0, len(body)-30):])
		}
	}
}

// checkSplit checks the promises of Split for any input: no parts for a blank text; one
// part without counter exactly when the whole text fits; otherwise parts carrying the
// prefix and a correct counter, each within max if fit is set, whose bodies are the
// text in order with only whitespace dropped at the cuts, cut neither inside a grapheme
// cluster nor inside a URL. It also checks that Split is deterministic.
func checkSplit(text, prefix string, max, urlLen int, parts []string, fit bool) error {
	if again := content.Split(text, prefix, max, urlLen); !slices.Equal(parts, again) {
		return fmt.Errorf("Split not deterministic:\n%q\n%q", parts, again)
	}
	if r, _ := utf8.DecodeLastRuneInString(prefix); prefix != "" && !unicode.IsSpace(r) {
		prefix += " "
	}
	trimmed := strings.TrimFunc(text, isBreakSpace)
	if trimmed == "" {
		if parts != nil {
			return fmt.Errorf("blank text gave %q", parts)
		}
		return nil
	}
	whole := content.Length(prefix+trimmed, urlLen)
	if whole <= max && len(parts) != 1 {
		return fmt.Errorf("text fits (%d ≤ %d) but got %q", whole, max, parts)
	}
	switch {
	case len(parts) == 0:
		return fmt.Errorf("text does not fit and got no parts")
	case len(parts) == 1:
		// Without counter, whether it fits or is a single piece too big for any part.
		if parts[0] != prefix+trimmed {
			return fmt.Errorf("one part %q, want %q", parts[0], prefix+trimmed)
		}
		if fit && whole > max {
			return fmt.Errorf("one part %q: Length %d > max %d", parts[0], whole, max)
		}
		return nil
	}
	bodies := make([]string, len(parts))
	for i, p := range parts {
		counter := fmt.Sprintf(" (%d/%d)", i+1, len(parts))
		if !strings.HasPrefix(p, prefix) || !strings.HasSuffix(p, counter) || len(p) < len(prefix)+len(counter) {
			return fmt.Errorf("part %d = %q: want prefix %q and counter %q", i+1, p, prefix, counter)
		}
		if n := content.Length(p, urlLen); fit && n > max {
			return fmt.Errorf("part %d = %q: Length %d > max %d", i+1, p, n, max)
		}
		bodies[i] = p[len(prefix) : len(p)-len(counter)]
		if bodies[i] == "" || spaceCluster(firstCluster(bodies[i])) || spaceCluster(lastCluster(bodies[i])) {
			// Whitespace inside a cluster (after a prepended mark, say) cannot be cut.
			return fmt.Errorf("part %d has an empty or untrimmed body %q", i+1, bodies[i])
		}
	}

	boundaries := graphemeBoundaries(trimmed)
	urls := content.URLSpans(trimmed)
	pos := 0
	for i, b := range bodies {
		// Skip the whitespace dropped at the cut: whole clusters of it, as a space
		// followed by a joiner or a combining mark is one cluster and not whitespace.
		start := pos
		for start < len(trimmed) {
			c := firstCluster(trimmed[start:])
			if !spaceCluster(c) {
				break
			}
			start += len(c)
		}
		if i > 0 && start == pos {
			// Cut without whitespace: must be between grapheme clusters and outside URLs.
			if !boundaries[pos] {
				return fmt.Errorf("cut before part %d at byte %d is inside a grapheme cluster", i+1, pos)
			}
			for _, u := range urls {
				if u[0] < pos && pos < u[1] {
					return fmt.Errorf("cut before part %d at byte %d is inside URL %q", i+1, pos, trimmed[u[0]:u[1]])
				}
			}
		}
		if !strings.HasPrefix(trimmed[start:], b) {
			return fmt.Errorf("part %d body %q is not the text at byte %d: %q", i+1, b, start, trimmed[start:min(len(trimmed), start+len(b)+10)])
		}
		pos = start + len(b)
	}
	if pos != len(trimmed) {
		return fmt.Errorf("parts end at byte %d of %d: lost %q", pos, len(trimmed), trimmed[pos:])
	}
	return nil
}

// isBreakSpace is the whitespace Split may drop at a cut: Unicode spaces except the
// no-break ones.
func isBreakSpace(r rune) bool {
	return unicode.IsSpace(r) && r != '\u00a0' && r != '\u2007' && r != '\u202f'
}

func spaceCluster(c string) bool { return strings.TrimFunc(c, isBreakSpace) == "" }

func firstCluster(s string) string {
	c, _, _, _ := uniseg.FirstGraphemeClusterInString(s, -1)
	return c
}

func lastCluster(s string) string {
	var c string
	for rest, state := s, -1; rest != ""; {
		c, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
	}
	return c
}

func graphemeBoundaries(s string) map[int]bool {
	b := map[int]bool{0: true}
	pos, state := 0, -1
	for rest := s; rest != ""; {
		var c string
		c, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		pos += len(c)
		b[pos] = true
	}
	return b
}
