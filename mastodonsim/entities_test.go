package mastodonsim

import (
	"strings"
	"testing"
)

func TestExtractEntities(t *testing.T) {
	for _, tc := range []struct {
		text string
		want string // kind:value, space separated
	}{
		{"@alice ps", "m:alice"},
		{"@alice@evil.example ps", "m:alice@evil.example"},
		{"@alice@127.0.0.1:3000 ps", "m:alice@127.0.0.1:3000"},
		{"@alice@host: ps", "m:alice@host"},
		{"mail bob@example.com", ""},
		{"a=@x /@y", ""},
		{"@alice.", "m:alice"},
		{"@a.b-c_d x", "m:a.b-c_d"},
		{"@alice@ x", ""},
		{"see https://example.com/x?y=1.", "u:https://example.com/x?y=1"},
		{"(https://example.com/a_(b))", "u:https://example.com/a_(b)"},
		{"http://www\\.google\\.com", ""},
		{"http://localhost:3000/", ""},
		{"x https://sub.example.org:8443/p#f!", "u:https://sub.example.org:8443/p#f"},
		{"#ops and #123 and a#b", "h:ops"},
		{"#Übung", "h:Übung"},
		{"https://example.com/#anchor", "u:https://example.com/#anchor"},
	} {
		var parts []string
		for _, e := range extractEntities(tc.text) {
			parts = append(parts, string("uhm"[e.kind])+":"+e.value)
		}
		if got := strings.Join(parts, " "); got != tc.want {
			t.Errorf("entities(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestCountableLength(t *testing.T) {
	for _, tc := range []struct {
		spoiler, text string
		want          int
	}{
		{"", "hello", 5},
		{"cw", "hello", 7},
		{"", "https://example.com/" + strings.Repeat("a", 100), 23},
		{"", "@alice@evil.example", 6},
		{"", "@alice@127.0.0.1:3000 hi", 9},
		{"", "👍🏽👨‍👩‍👧", 2},
		{"", "e\u0301", 1},
	} {
		if got := countableLength(tc.spoiler, tc.text); got != tc.want {
			t.Errorf("countableLength(%q, %q) = %d, want %d", tc.spoiler, tc.text, got, tc.want)
		}
	}
}

func TestSimpleFormat(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"a", "<p>a</p>"},
		{"a\nb\nc", "<p>a<br />b<br />c</p>"},
		{"a\n\nb", "<p>a</p><p>b</p>"},
		{"a\n\n\n\nb", "<p>a</p><p>b</p>"},
		{"a\r\nb", "<p>a<br />b</p>"},
	} {
		if got := simpleFormat(tc.in); got != tc.want {
			t.Errorf("simpleFormat(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCompareIDs(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"99999", "100000", -1},
		{"100000", "99999", 1},
		{"123", "123", 0},
		{"124", "123", 1},
	} {
		if got := compareIDs(tc.a, tc.b); got != tc.want {
			t.Errorf("compareIDs(%s, %s) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
