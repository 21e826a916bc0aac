package mastodonsim

import (
	"html"
	"regexp"
	"strings"
	"unicode/utf8"
)

// escapeHTML is ERB::Util#html_escape: & < > " ' become &amp; &lt; &gt;
// &quot; &#39;. (html.EscapeString writes &#34; for '"', which Mastodon
// never does.)
var erbEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#39;")

func escapeHTML(s string) string { return erbEscaper.Replace(s) }

// formatLocal renders the text of a local status as Mastodon's
// TextFormatter#to_s does: entities become links, the rest is escaped with
// ERB::Util#h, then simple_format wraps paragraphs in <p>, turns single
// newlines into <br /> and all newlines are deleted. mentions are the
// status' resolved mentions (TextFormatter's preloaded_accounts).
func (s *Server) formatLocal(text string, mentions []*Account) string {
	if strings.TrimSpace(text) == "" {
		return ""
	}
	var b strings.Builder
	last := 0
	for _, e := range extractEntities(text) {
		b.WriteString(escapeHTML(text[last:e.start]))
		switch e.kind {
		case entityURL:
			b.WriteString(shortenedLink(e.value, `target="_blank" rel="nofollow noopener" translate="no"`))
		case entityHashtag:
			b.WriteString(`<a href="` + escapeHTML(s.URL+"/tags/"+e.value) + `" class="mention hashtag" rel="tag">#<span>` + escapeHTML(e.value) + `</span></a>`)
		case entityMention:
			b.WriteString(s.linkToMention(e.value, mentions))
		}
		last = e.end
	}
	b.WriteString(escapeHTML(text[last:]))
	return simpleFormat(b.String())
}

// linkToMention is TextFormatter#link_to_mention with preloaded accounts:
// the visible name is the bare username unless another mentioned account
// shares it, then the pretty acct. Unresolved mentions stay plain text.
func (s *Server) linkToMention(screenName string, mentions []*Account) string {
	username, domain, _ := strings.Cut(screenName, "@")
	if s.isLocalDomain(domain) {
		domain = ""
	}
	var account *Account
	sameUsername := 0
	for _, m := range mentions {
		if !strings.EqualFold(m.Username, username) {
			continue
		}
		if strings.EqualFold(m.Domain, domain) {
			account = m
		} else {
			sameUsername++
		}
	}
	if account == nil {
		return "@" + escapeHTML(screenName)
	}
	display := account.Username
	if sameUsername > 0 {
		display = account.Acct // pretty_acct: username for local, username@domain for remote
	}
	return `<span class="h-card" translate="no"><a href="` + escapeHTML(account.URL) + `" class="u-url mention">@<span>` + escapeHTML(display) + `</span></a></span>`
}

var urlPrefixRE = regexp.MustCompile(`\A(?:https?://(?:www\.)?|xmpp:)`)

// shortenedLink is TextFormatter.shortened_link: the scheme (and www.) is
// invisible, 30 characters are shown and the rest is invisible behind an
// ellipsis. attrs carries target/rel, whose order and values differ between
// Mastodon versions and remote servers.
func shortenedLink(url, attrs string) string {
	prefix := urlPrefixRE.FindString(strings.ToLower(url))
	prefix = url[:len(prefix)]
	rest := url[len(prefix):]
	display, suffix := rest, ""
	if utf8.RuneCountInString(rest) > 30 {
		n := 0
		for i := range rest {
			if n == 30 {
				display, suffix = rest[:i], rest[i:]
				break
			}
			n++
		}
	}
	class := ""
	if suffix != "" {
		class = "ellipsis"
	}
	return `<a href="` + escapeHTML(url) + `" ` + attrs + `><span class="invisible">` + escapeHTML(prefix) +
		`</span><span class="` + class + `">` + escapeHTML(display) + `</span><span class="invisible">` + escapeHTML(suffix) + `</span></a>`
}

var paragraphSplitRE = regexp.MustCompile(`\n\n+`)

// simpleFormat is Rails' simple_format(html, {}, sanitize: false) followed
// by .delete("\n"): paragraphs split on two or more newlines, a newline
// between two non-newlines (gsub /([^\n]\n)(?=[^\n])/) gets a <br />.
func simpleFormat(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	parts := paragraphSplitRE.Split(s, -1)
	var b strings.Builder
	for _, p := range parts {
		if p == "" && len(parts) > 1 {
			continue
		}
		b.WriteString("<p>")
		for i := 0; i < len(p); i++ {
			if p[i] == '\n' && i > 0 && p[i-1] != '\n' && i+1 < len(p) && p[i+1] != '\n' {
				b.WriteString("<br />")
				continue
			}
			if p[i] != '\n' {
				b.WriteByte(p[i])
			}
		}
		b.WriteString("</p>")
	}
	return b.String()
}

// HTMLStyle is a way a remote server's HTML looks after Mastodon's
// sanitizer, for the content of remote statuses.
type HTMLStyle int

const (
	// StyleMastodon is a post from another Mastodon server: <p> paragraphs,
	// <br> (no slash), rel and target on every link, raw apostrophes and
	// quotes in text.
	StyleMastodon HTMLStyle = iota
	// StylePleroma is a post from Pleroma/Akkoma: no <p>, lines joined by
	// <br>, class before href in mention links, raw apostrophes.
	StylePleroma
)

// RemoteHTML renders text the way a status from author's (remote) server
// arrives after Mastodon's sanitizer, so a bot's HTML parsing meets shapes
// that local posts never have. Mentions of the given accounts become h-card
// links; other @names stay text.
func RemoteHTML(style HTMLStyle, author *Account, text string, mentions ...*Account) string {
	domain := "remote.example"
	if author != nil && author.Domain != "" {
		domain = author.Domain
	}
	var b strings.Builder
	last := 0
	for _, e := range extractEntities(text) {
		b.WriteString(nokogiriEscape(text[last:e.start]))
		switch e.kind {
		case entityURL:
			b.WriteString(shortenedLink(e.value, `rel="nofollow noopener noreferrer" target="_blank"`))
		case entityHashtag:
			href := escapeHTML("https://" + domain + "/tags/" + e.value)
			if style == StylePleroma {
				b.WriteString(`<a class="hashtag" data-tag="` + escapeHTML(strings.ToLower(e.value)) + `" href="` + href + `" rel="nofollow noopener noreferrer" target="_blank">#` + nokogiriEscape(e.value) + `</a>`)
			} else {
				b.WriteString(`<a href="` + href + `" class="mention hashtag" rel="nofollow noopener noreferrer" target="_blank">#<span>` + nokogiriEscape(e.value) + `</span></a>`)
			}
		case entityMention:
			b.WriteString(remoteMention(style, e.value, mentions))
		}
		last = e.end
	}
	b.WriteString(nokogiriEscape(text[last:]))
	body := strings.ReplaceAll(strings.ReplaceAll(b.String(), "\r\n", "\n"), "\r", "\n")
	if style == StylePleroma {
		return strings.ReplaceAll(strings.Trim(body, "\n"), "\n", "<br>")
	}
	var out strings.Builder
	for _, p := range paragraphSplitRE.Split(strings.Trim(body, "\n"), -1) {
		out.WriteString("<p>" + strings.ReplaceAll(p, "\n", "<br>") + "</p>")
	}
	return out.String()
}

func remoteMention(style HTMLStyle, screenName string, mentions []*Account) string {
	username, domain, _ := strings.Cut(screenName, "@")
	for _, m := range mentions {
		if !strings.EqualFold(m.Username, username) {
			continue
		}
		if domain != "" && !strings.EqualFold(m.Domain, domain) && !(m.Local() && strings.EqualFold(m.srv.Domain, domain)) {
			continue
		}
		if style == StylePleroma {
			return `<span class="h-card"><a class="u-url mention" href="` + escapeHTML(m.URL) + `" rel="nofollow noopener noreferrer" target="_blank">@<span>` + nokogiriEscape(m.Username) + `</span></a></span>`
		}
		return `<span class="h-card" translate="no"><a href="` + escapeHTML(m.URL) + `" class="u-url mention" rel="nofollow noopener noreferrer" target="_blank">@<span>` + nokogiriEscape(m.Username) + `</span></a></span>`
	}
	return "@" + nokogiriEscape(screenName)
}

// nokogiriEscape escapes text nodes the way Nokogiri serializes them after
// Mastodon's sanitizer: only & < > (apostrophes and quotes stay raw).
var nokogiriEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

func nokogiriEscape(s string) string { return nokogiriEscaper.Replace(s) }

// stripHTML gives a rough plain text of content for assertions and logs.
func stripHTML(s string) string {
	s = strings.NewReplacer("<br />", "\n", "<br>", "\n", "<br/>", "\n", "</p><p>", "\n\n").Replace(s)
	var b strings.Builder
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return html.UnescapeString(b.String())
}
