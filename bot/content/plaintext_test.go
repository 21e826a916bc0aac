package content_test

import (
	"strings"
	"testing"

	"github.com/tootops/tootops/bot/content"
)

// hcard is the mention markup current Mastodon generates for a local post
// (TextFormatter#link_to_mention).
func hcard(user, display string) string {
	return `<span class="h-card" translate="no"><a href="https://social.example/@` + user +
		`" class="u-url mention">@<span>` + display + `</span></a></span>`
}

func TestPlainText(t *testing.T) {
	for _, tt := range []struct {
		name, html, want string
	}{
		{"empty", "", ""},
		{"empty paragraph", "<p></p>", ""},
		{"whitespace only", " <p> \n </p> ", ""},
		{"plain text", "ps", "ps"},
		{"paragraphs", "<p>@tootops</p><p>restart sidekiq</p>", "@tootops\n\nrestart sidekiq"},
		{"empty paragraph between", "<p>a</p><p></p><p>b</p>", "a\n\nb"},
		{"br", "<p>a<br>b</p>", "a\nb"},
		{"br self-closing", "<p>a<br/>b</p>", "a\nb"},
		{"br xhtml", "<p>a<br />b</p>", "a\nb"},
		{"br uppercase", "<P>a<BR>b</P>", "a\nb"},
		{"br stray end tag", "a</br>b", "a\nb"},
		{"double br is a blank line", "a<br><br>b", "a\n\nb"},
		{"br then paragraph", "<p>a<br></p><p>b</p>", "a\n\nb"},
		{"leading and trailing br", "<p><br>a<br></p>", "a"},
		{"space before br dropped", "<p>a <br> b</p>", "a\nb"},

		{"&#39;", "<p>don&#39;t</p>", "don't"},
		{"raw apostrophe", "<p>don't</p>", "don't"},
		{"&apos;", "<p>don&apos;t</p>", "don't"},
		{"entities", "&amp; &lt; &gt; &quot; &#x41; &#66; &eacute;", `& < > " A B é`},
		{"escaped tag stays text", "<p>&lt;b&gt;bold&lt;/b&gt;</p>", "<b>bold</b>"},
		{"double escaped", "&amp;lt;b&amp;gt;", "&lt;b&gt;"},
		{"unknown entity kept", "&bogus; &", "&bogus; &"},
		{"nbsp", "a&nbsp;b\u00a0c", "a b c"},
		{"nbsp does not collapse", "a&nbsp;&nbsp;b", "a  b"},
		{"control characters", "a\x00b\x01c\x7fd\u0085e&#1;f", "abcdef"},
		{"tab collapses", "a\tb", "a b"},
		{"invalid UTF-8", "a\xffb", "a\ufffdb"},

		{"local mention", "<p>" + hcard("tootops", "tootops") + " logs web 50</p>", "@tootops logs web 50"},
		{"mention without translate", `<p><span class="h-card"><a href="https://x/@tootops" class="u-url mention">@<span>tootops</span></a></span> ps</p>`, "@tootops ps"},
		{"remote mention shown with domain", "<p>" + hcard("tootops", "tootops@social.example") + " ps</p>", "@tootops@social.example ps"},
		{"pleroma mention, other attribute order, no p",
			`<span class="h-card"><a class="u-url mention" href="https://pl.example/users/tootops" rel="nofollow noopener noreferrer" target="_blank">@<span>tootops</span></a></span> ps`,
			"@tootops ps"},
		{"shortened link",
			`<p><a href="https://example.com/some/very/long/path/that/is/cut" rel="nofollow noopener" translate="no" target="_blank"><span class="invisible">https://</span><span class="ellipsis">example.com/some/very/long/pat</span><span class="invisible">h/that/is/cut</span></a></p>`,
			"https://example.com/some/very/long/path/that/is/cut"},
		{"short link", `<a href="https://a.example/"><span class="invisible">https://</span><span class="">a.example/</span><span class="invisible"></span></a>`, "https://a.example/"},
		{"hashtag", `<a href="https://x/tags/ops" class="mention hashtag" rel="tag">#<span>ops</span></a>`, "#ops"},
		{"spoiler-free text", "<p>backup done, no content warning</p>", "backup done, no content warning"},
		{"inline tags", "<p>a <b>b</b> <em>c</em><i>d</i> <del>e</del> <code>f</code></p>", "a b cd e f"},

		{"script dropped", "<p>ps</p><script>restart web</script>", "ps"},
		{"script self-closing", "<p>ps</p><script/>restart web", "ps"},
		{"script unclosed", "ps<script>restart web", "ps"},
		{"script with tags inside", "<script>x = '<p>restart web</p>'</script>ps", "ps"},
		{"style dropped", "<style>p { color: red }</style><p>ps</p>", "ps"},
		{"style uppercase", "<STYLE>x</STYLE>ps", "ps"},
		{"noscript and template", "<noscript>a</noscript><template><p>b</p></template>c", "c"},
		{"stray end tag does not reveal", "<template></script>hidden</template>shown", "shown"},
		{"comment dropped", "<!-- restart web -->ps", "ps"},
		{"cdata is a comment", "<![CDATA[restart web]]>ps", "ps"},
		{"attributes with markup", `<a title="<script>restart web</script>">ps</a>`, "ps"},
		{"img dropped", `<img src="x" alt="restart web">ps`, "ps"},

		{"unclosed tags", "<p><b>a<i>b", "ab"},
		{"misnested tags", "<p><b>a<i>b</b>c</i></p><p>d", "abc\n\nd"},
		{"unterminated tag", "ps <b", "ps"},
		{"less-than that is not a tag", "a < b and c<3", "a < b and c<3"},
		{"lone end tags", "</p></span>ps</a>", "ps"},
		{"nested paragraphs", "<p><p>a</p></p>b", "a\n\nb"},

		{"source newlines collapse", "<p>a\nb\r\n  c</p>", "a b c"},
		{"list items", "<ul><li>a</li><li>b</li></ul><p>c</p>", "a\nb\n\nc"},
		{"divs", "<div>a</div><div>b</div>", "a\nb"},
		{"blockquote", "<p>a</p><blockquote><p>b</p></blockquote>c", "a\n\nb\n\nc"},
		{"heading", "<h1>T</h1>text", "T\n\ntext"},
		{"table cells", "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"},
		{"pre keeps whitespace", "<pre>\nps\n  web  up\n</pre>after", "ps\n  web  up\n\nafter"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := content.PlainText(tt.html); got != tt.want {
				t.Errorf("PlainText(%q)\n got %q\nwant %q", tt.html, got, tt.want)
			}
		})
	}
}

func TestCommand(t *testing.T) {
	for _, tt := range []struct {
		name, html, want string
	}{
		{"mention on its own paragraph", "<p>@tootops</p><p>restart sidekiq</p>", "restart sidekiq"},
		{"local mention markup", "<p>" + hcard("tootops", "tootops") + " logs web 50</p>", "logs web 50"},
		{"mention then br", "<p>" + hcard("tootops", "tootops") + "<br>ps</p>", "ps"},
		{"remote mention", "<p>" + hcard("tootops", "tootops@social.example") + " ps</p>", "ps"},
		{"remote mention with port", "<p>@tootops@social.example:8443 ps</p>", "ps"},
		{"several mentions", "<p>@tootops @bob ps</p>", "ps"},
		{"several mentions markup", "<p>" + hcard("tootops", "tootops") + " " + hcard("bob", "bob") + " ps</p>", "ps"},
		{"mention with comma", "<p>@tootops, restart web</p>", "restart web"},
		{"mention with colon", "<p>@tootops: restart web</p>", "restart web"},
		{"argument mention kept", "<p>@tootops whoami @alice</p>", "whoami @alice"},
		{"argument remote mention kept", "<p>@tootops whoami @alice@social.example</p>", "whoami @alice@social.example"},
		{"no mention", "<p>ps</p>", "ps"},
		{"first non-empty line", "<p>@tootops</p><p>ps<br>logs web</p>", "ps"},
		{"blank lines skipped", "<p>@tootops<br><br><br>  status  </p>", "status"},
		{"surrounding whitespace trimmed", "<p> &nbsp;ps -a&nbsp; </p>", "ps -a"},
		{"inner whitespace collapsed", "<p>logs   web\t50</p>", "logs web 50"},
		{"pleroma without p", `<span class="h-card"><a class="u-url mention" href="https://x/users/tootops">@<span>tootops</span></a></span> backup now`, "backup now"},
		{"entities", "<p>@tootops echo &quot;it&#39;s&quot; &amp;&amp; ls</p>", `echo "it's" && ls`},
		{"escaped markup is literal", "<p>@tootops &lt;b&gt;</p>", "<b>"},
		{"script never a command", "<p>ps</p><script>restart web</script>", "ps"},
		{"only script", "<script>restart web</script>", ""},
		{"script before text", "<script>restart web</script><p>@tootops ps</p>", "ps"},
		{"style never a command", "<style>restart web</style>", ""},
		{"empty", "", ""},
		{"only mentions", "<p>@tootops @bob</p>", ""},
		{"only mentions on lines", "<p>@tootops</p><p>@bob@social.example</p>", ""},
		{"at sign alone", "<p>@tootops @</p>", "@"},
		{"not a mention: no space after", "<p>@tootops/ps</p>", "@tootops/ps"},
		{"email-like word kept", "<p>a@b.example ps</p>", "a@b.example ps"},
		{"mention with dots in username", "<p>@first.last@pl.example ps</p>", "ps"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := content.Command(tt.html); got != tt.want {
				t.Errorf("Command(%q) = %q, want %q", tt.html, got, tt.want)
			}
		})
	}
}

// TestPlainTextLarge guards against quadratic behaviour on long or deeply nested input.
func TestPlainTextLarge(t *testing.T) {
	html := strings.Repeat("<span><b>", 50000) + "ps" + strings.Repeat("</b></span>", 50000) +
		strings.Repeat("<p>line<br></p>", 50000)
	got := content.PlainText(html)
	if !strings.HasPrefix(got, "ps\n\nline\n\nline") {
		t.Errorf("PlainText(large) starts %q", got[:min(len(got), 40)])
	}
}
