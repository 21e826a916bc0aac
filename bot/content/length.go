package content

import (
	"math"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
	"golang.org/x/net/publicsuffix"
)

// Length counts a status the way Mastodon's StatusLengthValidator does: grapheme clusters
// of text; every http(s) URL counts as urlLen (23) whatever its length; a mention
// @user@domain counts as @user. Give it the status text only; Mastodon adds the
// spoiler_text's graphemes on top. A negative urlLen counts as 0.
//
// Mastodon rewrites each URL to urlLen 'x's and each mention to "@user" and counts the
// grapheme clusters of the result (app/validators/status_length_validator.rb); Length
// does the same, so even a combining mark right after a URL is counted as Mastodon
// counts it.
//
// A URL is what Mastodon's extractor (twitter-text plus Mastodon's patches) accepts:
// http:// or https:// not glued to a preceding letter, digit, @, $ or #; a host whose last
// label is a top-level domain; then an optional :port, /path and ?query, without trailing
// punctuation such as a final "." or ",". So http://localhost:3000/…, http://web:3000/…,
// http://10.0.0.2/… or https://host.internal/… are not URLs to Mastodon and count in
// full, which matters for a bot that posts container logs. Where Mastodon versions
// differ, or this code cannot tell, the narrower reading is taken (ASCII hosts only,
// parentheses never part of a path), so Length errs toward counting more than Mastodon.
// The top-level domains are those of the public suffix list's ICANN section, standing in
// for twitter-text's own list; the two can differ for TLDs delegated or retired recently.
//
// A mention is Account::MENTION_RE: @ and a username ([A-Za-z0-9_]+, dots and dashes
// inside), optionally @ and a domain of word characters, dots and dashes, not preceded
// by a word character, = or /, and not followed by @, "://" or a Latin accent. A :port
// after the domain is not part of the mention and counts as text.
func Length(text string, urlLen int) int {
	urlLen = max(urlLen, 0)
	if strings.TrimFunc(text, unicode.IsSpace) == "" {
		// countable_text returns '' for a blank string.
		return 0
	}
	ents := scanEntities(text)
	if len(ents) == 0 {
		return uniseg.GraphemeClusterCount(text)
	}
	var b strings.Builder
	b.Grow(len(text))
	extra, last := 0, 0
	for _, e := range ents {
		b.WriteString(text[last:e.start])
		if e.url {
			// Only the first and last placeholder 'x' can join a neighbouring grapheme
			// cluster; the ones between always count one each, so two stand in for all.
			k := min(urlLen, 2)
			b.WriteString("xx"[:k])
			extra = satAdd(extra, urlLen-k)
		} else {
			b.WriteByte('@')
			b.WriteString(e.user)
		}
		last = e.end
	}
	b.WriteString(text[last:])
	return satAdd(uniseg.GraphemeClusterCount(b.String()), extra)
}

// satAdd adds two non-negative ints, stopping at math.MaxInt instead of wrapping, so an
// absurd urlLen cannot make a long text look short.
func satAdd(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

// entity is a span of text Mastodon counts specially.
type entity struct {
	start, end int    // byte offsets into the text
	url        bool   // a URL; otherwise a mention
	user       string // for a mention: the username, which is all that is counted
	userEnd    int    // for a mention: where the username ends and "@domain" begins
}

// scanEntities finds URLs and mentions the way countable_text does: both extracted over
// the whole text, then sorted by position with overlapping later ones dropped
// (Extractor.remove_overlapping_entities).
func scanEntities(s string) []entity {
	if !strings.Contains(s, "://") && !strings.Contains(s, "@") {
		return nil
	}
	urls := scanURLs(s)
	mentions := scanMentions(s)
	if len(mentions) == 0 {
		return urls
	}
	if len(urls) == 0 {
		return mentions
	}
	out := make([]entity, 0, len(urls)+len(mentions))
	i, j := 0, 0
	for i < len(urls) || j < len(mentions) {
		var e entity
		if j == len(mentions) || (i < len(urls) && urls[i].start < mentions[j].start) {
			e = urls[i]
			i++
		} else {
			e = mentions[j]
			j++
		}
		if len(out) > 0 && out[len(out)-1].end > e.start {
			continue
		}
		out = append(out, e)
	}
	return out
}

// maxURLLength is twitter-text's MAX_URL_LENGTH: longer URLs are not extracted.
const maxURLLength = 4096

// scanURLs mimics scanning with twitter-text's valid_url regex, protocol optional, and
// keeping only the matches with a protocol (extract_url_without_protocol: false). The
// protocol-less matches matter too: Ruby's scan consumes them, so in "a.com/https://b.com"
// the second URL is swallowed by the first match and not counted as a URL.
func scanURLs(s string) []entity {
	if !strings.Contains(s, "://") {
		return nil
	}
	var out []entity
	// consumed is where the last match ended: the character before a match is part of
	// the regex match, so no URL can start right there. bareFail is the end of a run
	// where a protocol-less match already failed; later starts inside it would fail the
	// same way, and skipping them keeps the scan linear.
	consumed, bareFail := -1, -1
	for i := 0; i < len(s); {
		_, size := utf8.DecodeRuneInString(s[i:])
		if i > 0 {
			r, _ := utf8.DecodeLastRuneInString(s[:i])
			if i == consumed || !validURLPreceding(r) {
				i += size
				continue
			}
		}
		if end, ok := matchURL(s, i); end > i {
			if ok {
				out = append(out, entity{start: i, end: end, url: true})
			}
			i, consumed = end, end
			continue
		}
		if i >= bareFail {
			end, runEnd := matchBareDomain(s, i)
			if end > i {
				// A match without protocol: consumed, not counted.
				i, consumed = end, end
				continue
			}
			bareFail = runEnd
		}
		i += size
	}
	return out
}

// validURLPreceding reports whether a URL may start right after r (twitter-text
// valid_url_preceding_chars: not A-Z, 0-9, @, $, #, their full-width forms, or a
// directional formatting character).
func validURLPreceding(r rune) bool {
	switch {
	case r < utf8.RuneSelf:
		return !isASCIIAlnum(byte(r)) && r != '@' && r != '$' && r != '#'
	case r == '＠' || r == '＃' || r == 0xFFFE || r == 0xFEFF || r == 0xFFFF:
		return false
	case r >= 0x202A && r <= 0x202E:
		return false
	}
	return true
}

// matchURL matches an http(s) URL starting at s[i:] and returns its end, or i if there
// is none. ok is false for a match that is consumed but not counted as a URL because it
// is longer than twitter-text's limit.
func matchURL(s string, i int) (end int, ok bool) {
	j := i
	switch {
	case hasPrefixFold(s[j:], "https://"):
		j += len("https://")
	case hasPrefixFold(s[j:], "http://"):
		j += len("http://")
	default:
		return i, false
	}
	hostEnd, found := matchHost(s, j)
	if !found {
		return i, false
	}
	end = matchURLTail(s, hostEnd)
	return end, utf8.RuneCountInString(s[i:end]) <= maxURLLength
}

// matchHost matches a host name at s[j:] and returns its end. Only ASCII labels are
// accepted, the last of them a top-level domain in the public suffix list's ICANN
// section, which stands in for twitter-text's list of TLDs. Non-ASCII hosts and hosts
// under unlisted TLDs (localhost, .local, .internal, .example, .lan, …) are refused, which
// errs on the side of counting them in full.
func matchHost(s string, j int) (int, bool) {
	start := j
	for j < len(s) && (isASCIIAlnum(s[j]) || s[j] == '-' || s[j] == '_' || s[j] == '.') {
		j++
	}
	host := s[start:j]
	// Trailing dots end a sentence, not the host: "see https://a.com."
	host = strings.TrimRight(host, ".")
	j = start + len(host)
	if j < len(s) {
		switch c := s[j]; {
		case c == '@' || c == '+':
			// twitter-text's TLD must not be followed by these.
			return 0, false
		case c >= utf8.RuneSelf:
			// A non-ASCII letter right after the host could be part of it for Ruby
			// (e.g. "https://a.comé" ends at "a.com", but "https://aé.com" is a whole
			// host). Accept only when the host stands on its own before it.
			r, _ := utf8.DecodeRuneInString(s[j:])
			if unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r) {
				return 0, false
			}
		}
	}
	labels := strings.Split(host, ".")
	if len(labels) < 2 {
		return 0, false
	}
	for k, l := range labels {
		if l == "" || len(l) > 63 {
			// IDNA conversion in is_valid_domain fails on empty or over-long labels.
			return 0, false
		}
		if l[0] == '-' || l[0] == '_' || l[len(l)-1] == '-' || l[len(l)-1] == '_' {
			return 0, false
		}
		if k >= len(labels)-2 && strings.Contains(l, "_") {
			// twitter-text allows "_" in subdomains only.
			return 0, false
		}
	}
	if !isTLD(labels[len(labels)-1]) {
		return 0, false
	}
	return j, true
}

// isTLD reports whether label is a top-level domain, as twitter-text's valid_gTLD and
// valid_ccTLD lists would.
func isTLD(label string) bool {
	if len(label) < 2 {
		return false
	}
	label = strings.ToLower(label)
	if !strings.HasPrefix(label, "xn--") {
		for k := 0; k < len(label); k++ {
			if label[k] < 'a' || label[k] > 'z' {
				return false
			}
		}
	}
	// Asked about a name under the label rather than the label itself, so ccTLDs the
	// list only has wildcard rules for (*.ck, *.jm, …) are recognised too.
	_, icann := publicsuffix.PublicSuffix("x." + label)
	return icann
}

// matchURLTail matches the optional :port, /path and ?query after a host ending at j and
// returns where the URL ends.
func matchURLTail(s string, j int) int {
	if j+1 < len(s) && s[j] == ':' && isDigit(s[j+1]) {
		j++
		for j < len(s) && isDigit(s[j]) {
			j++
		}
	}
	if j < len(s) && s[j] == '/' {
		// "/" then the longest run of path characters that ends in a path-ending
		// character; "/" itself is one, so the path is at least "/".
		end := j + 1
		k := j + 1
		for k < len(s) {
			r, size := utf8.DecodeRuneInString(s[k:])
			if !isURLPathChar(r) {
				break
			}
			k += size
			if isURLPathEndingChar(r) {
				end = k
			}
		}
		j = end
	}
	if j < len(s) && s[j] == '?' {
		end := j
		for k := j + 1; k < len(s) && isURLQueryChar(s[k]); k++ {
			if isURLQueryEndingChar(s[k]) {
				end = k + 1
			}
		}
		j = end
	}
	return j
}

// Path and query characters are the intersection of what Mastodon's twitter_regex.rb
// patches allowed over the 4.x releases, so a URL here never extends past where
// Mastodon's would end: a shorter URL leaves more characters counted, never fewer.

func isURLPathChar(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIAlnum(byte(r)) || strings.IndexByte("/_-.~!$&'*+,;=%:@#", byte(r)) >= 0
	}
	return unicode.IsLetter(r)
}

func isURLPathEndingChar(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIAlnum(byte(r)) || strings.IndexByte("/_-+#", byte(r)) >= 0
	}
	return unicode.IsLetter(r)
}

func isURLQueryChar(c byte) bool {
	return isASCIIAlnum(c) || strings.IndexByte("!?*'();:&=+$/%#[]-_.,~|@", c) >= 0
}

func isURLQueryEndingChar(c byte) bool {
	return isASCIIAlnum(c) || strings.IndexByte("_&=#/-", c) >= 0
}

// matchBareDomain matches what twitter-text's valid_url would match at s[i:] without a
// protocol (a domain, then port, path and query) and returns its end, or i if there is
// none; runEnd is where the run of domain characters scanned ends. It is deliberately
// generous: a longer consumed span can only hide a URL, which makes the count larger,
// never smaller.
func matchBareDomain(s string, i int) (end, runEnd int) {
	j := i
	lastDot := -1
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		if r == '.' {
			lastDot = j
		} else if r != '-' && r != '_' && !isDomainChar(r) {
			break
		}
		j += size
	}
	if lastDot <= i || lastDot+1 >= j {
		return i, j
	}
	return matchURLTail(s, j), j
}

// isDomainChar approximates twitter-text's DOMAIN_VALID_CHARS: anything but
// punctuation, spaces and control characters.
func isDomainChar(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIIAlnum(byte(r))
	}
	return !unicode.IsSpace(r) && !unicode.IsControl(r) && !unicode.IsPunct(r)
}

// scanMentions finds mentions as Mastodon's Extractor does with Account::MENTION_RE:
// (?<![=/[:word:]])@((username)(?:@[[:word:]]+([.-]+[[:word:]]+)*)?), username being
// [a-z0-9_]+([.-]+[a-z0-9_]+)* case-insensitively, rejected when followed by another @,
// a Latin accent or "://" (end_mention_match), or when the domain is over 253 characters.
func scanMentions(s string) []entity {
	var out []entity
	for i := 0; i < len(s); i++ {
		if s[i] != '@' {
			continue
		}
		if i > 0 {
			r, _ := utf8.DecodeLastRuneInString(s[:i])
			if r == '=' || r == '/' || isWordRune(r) {
				continue
			}
		}
		n := usernameLen(s[i+1:])
		if n == 0 {
			continue
		}
		userEnd := i + 1 + n
		end := userEnd
		if end < len(s) && s[end] == '@' {
			if d := domainLen(s[end+1:]); d > 0 {
				end += 1 + d
			}
		}
		ok := !endsMention(s[end:]) &&
			utf8.RuneCountInString(s[min(userEnd+1, end):end]) <= 253
		if ok {
			out = append(out, entity{start: i, end: end, user: s[i+1 : userEnd], userEnd: userEnd})
		}
		// Ruby's scan resumes after the match, accepted or not.
		i = end - 1
	}
	return out
}

// usernameLen returns the length of the username s starts with: [A-Za-z0-9_]+ then
// any number of ([.-]+[A-Za-z0-9_]+).
func usernameLen(s string) int {
	i := 0
	for i < len(s) && isUsernameByte(s[i]) {
		i++
	}
	if i == 0 {
		return 0
	}
	for {
		j := i
		for j < len(s) && (s[j] == '.' || s[j] == '-') {
			j++
		}
		if j == i || j == len(s) || !isUsernameByte(s[j]) {
			return i
		}
		for j < len(s) && isUsernameByte(s[j]) {
			j++
		}
		i = j
	}
}

// domainLen returns the length of the mention domain s starts with: [[:word:]]+ then
// any number of ([.-]+[[:word:]]+).
func domainLen(s string) int {
	word := func(s string) int {
		n := 0
		for n < len(s) {
			r, size := utf8.DecodeRuneInString(s[n:])
			if !isWordRune(r) {
				break
			}
			n += size
		}
		return n
	}
	i := word(s)
	if i == 0 {
		return 0
	}
	for {
		j := i
		for j < len(s) && (s[j] == '.' || s[j] == '-') {
			j++
		}
		if j == i {
			return i
		}
		n := word(s[j:])
		if n == 0 {
			return i
		}
		i = j + n
	}
}

// endsMention reports whether the text after a mention disqualifies it (twitter-text
// end_mention_match: an at sign, a Latin accent or "://").
func endsMention(after string) bool {
	if after == "" {
		return false
	}
	if strings.HasPrefix(after, "://") {
		return true
	}
	r, _ := utf8.DecodeRuneInString(after)
	return r == '@' || r == '＠' || isLatinAccent(r)
}

// isLatinAccent is twitter-text's LATIN_ACCENTS.
func isLatinAccent(r rune) bool {
	switch {
	case r >= 0xC0 && r <= 0xD6, r >= 0xD8 && r <= 0xF6, r >= 0xF8 && r <= 0x24F,
		r >= 0x300 && r <= 0x36F, r >= 0x1E00 && r <= 0x1EFF:
		return true
	}
	switch r {
	case 0x253, 0x254, 0x256, 0x257, 0x259, 0x25B, 0x263, 0x268, 0x26F, 0x272, 0x289, 0x28B, 0x2BB:
		return true
	}
	return false
}

// isWordRune is Onigmo's [[:word:]] on Unicode strings: letters, marks, numbers and
// connector punctuation.
func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsMark(r) || unicode.IsNumber(r) || unicode.Is(unicode.Pc, r)
}

func isUsernameByte(c byte) bool { return isASCIIAlnum(c) || c == '_' }

func isASCIIAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || isDigit(c)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
