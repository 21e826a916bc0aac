package ops

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ansiRE matches terminal escape sequences: CSI (colours), OSC (titles, links), and the
// rest.
var ansiRE = regexp.MustCompile(`\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[PX^_][^\x1b]*(\x1b\\)?|[ -/]*[0-~])`)

// CleanLine makes one line of terminal output fit to post: escape sequences (colours,
// cursor moves, titles) removed, a line rewritten with carriage returns reduced to what a
// terminal would show last, other control characters dropped, invalid UTF-8 replaced, and
// the line cut to max characters and "…".
func CleanLine(s string, max int) string {
	if printableASCII(s) {
		// The common case, done without copying: nothing to strip but trailing spaces.
		s = strings.TrimRight(s, " ")
		if len(s) > max {
			s = s[:max] + "…"
		}
		return s
	}
	s = strings.TrimRight(s, "\r")
	s = ansiRE.ReplaceAllString(s, "")
	if i := strings.LastIndexByte(s, '\r'); i >= 0 {
		s = s[i+1:]
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return -1
		}
		return r
	}, s)
	s = strings.TrimRight(s, " ")
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max]) + "…"
	}
	return s
}

// printableASCII reports whether s holds only printable ASCII characters (spaces included),
// which CleanLine has nothing to remove from.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < ' ' || c > '~' {
			return false
		}
	}
	return true
}
