package content_test

import (
	"strings"
	"testing"

	"github.com/tootops/tootops/bot/content"
)

func TestLength(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("a", 200)
	for _, tt := range []struct {
		name   string
		text   string
		urlLen int
		want   int
	}{
		{"empty", "", 23, 0},
		{"blank counts nothing", " \n\t ", 23, 0},
		{"ascii", "restart web", 23, 11},
		{"spaces count", "a  b", 23, 4},

		// URLs count urlLen whatever their length.
		{"short url", "https://a.io", 23, 23},
		{"long url", long, 23, 23},
		{"http url", "http://example.com/x", 23, 23},
		{"upper-case scheme", "HTTPS://EXAMPLE.COM/X", 23, 23},
		{"url in text", "see https://example.com/" + strings.Repeat("x", 50) + " now", 23, 4 + 23 + 4},
		{"two urls", long + " " + long, 23, 47},
		{"other urlLen", long, 30, 30},
		{"urlLen zero", "a " + long, 0, 2},
		{"negative urlLen is zero", "a " + long, -5, 2},
		{"url with port query and fragment", "https://example.com:8443/a/b?c=d&e=f#g", 23, 23},
		{"url with query only", "https://example.com?c=d", 23, 23},
		{"trailing period not in url", "see https://example.com.", 23, 4 + 23 + 1},
		{"trailing comma not in url", "https://example.com/x, ok", 23, 23 + 4},
		{"url in parentheses", "(https://example.com/x)", 23, 1 + 23 + 1},
		{"url with @ inside", "https://example.com/@alice@b.example", 23, 23},
		{"non-ascii path", "https://example.com/café", 23, 23},
		{"glued to a letter: not a url", "xhttps://example.com", 23, 20},
		{"after @: not a url", "@https://example.com", 23, 20},
		{"after #: not a url", "#https://example.com", 23, 20},
		{"no tld: not a url", "http://localhost:3000/health", 23, 28},
		{"no dot: not a url", "http://web:3000/api/v1/instance", 23, 31},
		{"ip: not a url", "http://127.0.0.1:9200/_cluster/health", 23, 37},
		{"reserved tld: not a url", "https://social.example/@alice", 23, 29},
		{"internal tld: not a url", "http://minio.internal:9000/bucket", 23, 33},
		{"wildcard cctld", "https://www.example.ck/" + strings.Repeat("x", 20), 23, 23},
		{"cctld", "https://a.de", 23, 23},
		{"invalid escape", `http://www\.google\.com`, 23, 23},
		{"no host", "https://", 23, 8},
		{"url after bare domain path is swallowed", "example.com/https://b.example.com/" + strings.Repeat("x", 30), 23, 64},
		{"url longer than 4096", "https://example.com/" + strings.Repeat("a", 4100), 23, 4120},

		// A mention @user@domain counts as @user.
		{"local mention", "@alice", 23, 6},
		{"remote mention", "@alice@social.example.coop", 23, 6},
		{"remote mention in text", "hi @alice@social.example.coop!", 23, 3 + 6 + 1},
		{"remote mention with unicode domain", "@bob@bücher.example", 23, 4},
		{"mention with dotted username", "@first.last@pl.example", 23, 11},
		{"email is not a mention", "alice@social.example", 23, 20},
		{"after slash: not a mention", "/@alice@social.example", 23, 22},
		{"mention followed by @", "@alice@", 23, 7},
		{"mention followed by ://", "@alice@b.example://", 23, 19},
		{"mention followed by accent", "@josé", 23, 5},
		{"mention port counted", "@alice@social.example:8443", 23, 6 + 5},

		// Grapheme clusters.
		{"emoji", "😂", 23, 1},
		{"zwj family", "👨‍👩‍👧‍👦", 23, 1},
		{"zwj sequence in text", "ok 🧑🏽‍💻!", 23, 5},
		{"flag", "🇺🇦", 23, 1},
		{"two flags", "🇺🇦🇩🇪", 23, 2},
		{"combining mark", "e\u0301", 23, 1},
		{"several combining marks", "a\u0301\u0302\u0303b", 23, 2},
		{"hangul jamo", "\u1100\u1161\u11a8", 23, 1},
		{"crlf", "a\r\nb", 23, 3},
		{"combining mark right after a url joins the placeholder", "https://example.com/a\u0301", 23, 23},
		{"space and combining mark are one cluster", "https://example.com/a \u0301", 23, 24},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := content.Length(tt.text, tt.urlLen); got != tt.want {
				t.Errorf("Length(%q, %d) = %d, want %d", tt.text, tt.urlLen, got, tt.want)
			}
		})
	}
}
