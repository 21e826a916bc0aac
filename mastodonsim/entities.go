package mastodonsim

import (
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// entityKind tells what an entity in status text is.
type entityKind int

const (
	entityURL entityKind = iota
	entityHashtag
	entityMention
)

// entity is a URL, hashtag or mention found in status text, as Mastodon's
// Extractor (twitter-text plus Mastodon's own mention and hashtag regexps)
// finds them. start and end are byte offsets; value is the URL, the hashtag
// name without '#', or the screen name "user" / "user@domain" without '@'.
type entity struct {
	start, end int
	kind       entityKind
	value      string
}

// extractEntities is Extractor.extract_entities_with_indices with
// extract_url_without_protocol: false: URLs with a scheme, hashtags and
// mentions, sorted by position, overlapping ones removed (the earlier wins).
func extractEntities(text string) []entity {
	all := append(extractURLs(text), extractHashtags(text)...)
	all = append(all, extractMentions(text)...)
	sort.SliceStable(all, func(i, j int) bool { return all[i].start < all[j].start })
	var out []entity
	for _, e := range all {
		if len(out) > 0 && e.start < out[len(out)-1].end {
			continue
		}
		out = append(out, e)
	}
	return out
}

// isWord is Onigmo's [[:word:]] for Unicode strings: letters, marks,
// decimal digits and connector punctuation.
func isWord(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.IsMark(r) || unicode.Is(unicode.Pc, r)
}

func runeBefore(s string, i int) rune {
	if i == 0 {
		return -1
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r
}

func runeAt(s string, i int) rune {
	if i >= len(s) {
		return -1
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r
}

// scanRun returns the end of the longest run starting at i of runes
// accepted by ok.
func scanRun(s string, i int, ok func(rune) bool) int {
	for i < len(s) {
		r, n := utf8.DecodeRuneInString(s[i:])
		if !ok(r) {
			break
		}
		i += n
	}
	return i
}

// trimRight moves end back over trailing bytes in cut.
func trimRight(s string, start, end int, cut string) int {
	for end > start && strings.IndexByte(cut, s[end-1]) >= 0 {
		end--
	}
	return end
}

// extractMentions follows Account::MENTION_RE,
// (?<![=/[:word:]])@(([a-z0-9_]+([.-]+[a-z0-9_]+)*)(?:@[[:word:]]+([.-]+[[:word:]]+)*)?)
// and twitter-text's end_mention_match (no '@', Latin accent or "://"
// right after). A ":port" after the domain is also taken, which Mastodon
// does not do: the imitation's own domain carries a port.
func extractMentions(text string) []entity {
	var out []entity
	for i := 0; i < len(text); i++ {
		if text[i] != '@' {
			continue
		}
		if p := runeBefore(text, i); p == '=' || p == '/' || (p >= 0 && isWord(p)) {
			continue
		}
		uStart := i + 1
		if r := runeAt(text, uStart); r < 0 || !isUsernameChar(r) {
			continue
		}
		uEnd := scanRun(text, uStart, func(r rune) bool { return isUsernameChar(r) || r == '.' || r == '-' })
		uEnd = trimRight(text, uStart, uEnd, ".-")
		end := uEnd
		if runeAt(text, uEnd) == '@' {
			dStart := uEnd + 1
			if r := runeAt(text, dStart); r >= 0 && isWord(r) {
				dEnd := scanRun(text, dStart, func(r rune) bool { return isWord(r) || r == '.' || r == '-' })
				dEnd = trimRight(text, dStart, dEnd, ".-")
				end = dEnd
				if runeAt(text, end) == ':' {
					if pEnd := scanRun(text, end+1, func(r rune) bool { return r >= '0' && r <= '9' }); pEnd > end+1 {
						end = pEnd
					}
				}
			}
		}
		after := text[end:]
		if r := runeAt(text, end); r == '@' || r == '＠' || isLatinAccent(r) || strings.HasPrefix(after, "://") {
			i = end - 1
			continue
		}
		out = append(out, entity{start: i, end: end, kind: entityMention, value: text[uStart:end]})
		i = end - 1
	}
	return out
}

func isLatinAccent(r rune) bool {
	return r >= 0xC0 && r <= 0xD6 || r >= 0xD8 && r <= 0xF6 || r >= 0xF8 && r <= 0x24F
}

// hashtag separators of Tag::HASHTAG_SEPARATORS besides '_'.
func isHashtagSep(r rune) bool { return r == '\u00B7' || r == '\u30FB' || r == '\u200C' }

// extractHashtags approximates Tag::HASHTAG_RE: '#' not preceded by
// [=/)] or an alphanumeric, then word characters and separators that
// contain at least one letter.
func extractHashtags(text string) []entity {
	var out []entity
	for i := 0; i < len(text); i++ {
		if text[i] != '#' {
			continue
		}
		if p := runeBefore(text, i); p == '=' || p == '/' || p == ')' || (p >= 0 && (unicode.IsLetter(p) || unicode.IsDigit(p))) {
			continue
		}
		start := i + 1
		end := scanRun(text, start, func(r rune) bool { return isWord(r) || isHashtagSep(r) })
		for end > start {
			r, n := utf8.DecodeLastRuneInString(text[start:end])
			if !isHashtagSep(r) {
				break
			}
			end -= n
		}
		name := text[start:end]
		if strings.HasPrefix(text[end:], "://") {
			for _, scheme := range []string{"https", "http"} {
				if strings.HasSuffix(strings.ToLower(name), scheme) && len(name) > len(scheme) {
					end -= len(scheme)
					name = text[start:end]
					break
				}
			}
		}
		if !strings.ContainsFunc(name, unicode.IsLetter) {
			continue
		}
		out = append(out, entity{start: i, end: end, kind: entityHashtag, value: name})
		i = end - 1
	}
	return out
}

// extractURLs approximates twitter-text's valid_url with a required
// scheme: http(s)://, a host of dot-separated labels ending in an
// alphabetic TLD (no bare IPs or single labels, so "http://www\.google\.com"
// is not a link), an optional port, then a path/query/fragment whose last
// character is not sentence punctuation.
func extractURLs(text string) []entity {
	var out []entity
	lower := strings.ToLower(text)
	for i := 0; i < len(text); {
		j := strings.Index(lower[i:], "http")
		if j < 0 {
			break
		}
		start := i + j
		i = start + 4
		rest := lower[start:]
		var hostStart int
		switch {
		case strings.HasPrefix(rest, "https://"):
			hostStart = start + 8
		case strings.HasPrefix(rest, "http://"):
			hostStart = start + 7
		default:
			continue
		}
		if p := runeBefore(text, start); p >= 0 && (unicode.IsLetter(p) || unicode.IsDigit(p) || strings.ContainsRune("@$#＠＃", p)) {
			continue
		}
		hostEnd := scanRun(text, hostStart, func(r rune) bool {
			return unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_' || r == '.'
		})
		hostEnd = trimRight(text, hostStart, hostEnd, ".")
		if !validHost(text[hostStart:hostEnd]) {
			continue
		}
		end := hostEnd
		if runeAt(text, end) == ':' {
			if pEnd := scanRun(text, end+1, func(r rune) bool { return r >= '0' && r <= '9' }); pEnd > end+1 {
				end = pEnd
			}
		}
		if r := runeAt(text, end); r == '/' || r == '?' || r == '#' {
			end = scanRun(text, end, isURLPathChar)
			end = trimURLEnd(text, hostEnd, end)
		}
		out = append(out, entity{start: start, end: end, kind: entityURL, value: text[start:end]})
		i = end
	}
	return out
}

func validHost(h string) bool {
	labels := strings.Split(h, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
	}
	tld := labels[len(labels)-1]
	return utf8.RuneCountInString(tld) >= 2 && !strings.ContainsFunc(tld, func(r rune) bool { return !unicode.IsLetter(r) })
}

func isURLPathChar(r rune) bool {
	return unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("!*';:=+,.$/%#[]-_~&|@()?", r)
}

// trimURLEnd drops trailing characters twitter-text does not allow at the
// end of a URL (sentence punctuation, quotes, unbalanced brackets).
func trimURLEnd(s string, min, end int) int {
	for end > min {
		r, n := utf8.DecodeLastRuneInString(s[:end])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("=_#/+-&", r):
			return end
		case r == ')' && strings.Count(s[min:end], "(") >= strings.Count(s[min:end], ")"):
			return end
		case r == ']' && strings.Count(s[min:end], "[") >= strings.Count(s[min:end], "]"):
			return end
		}
		end -= n
	}
	return end
}
