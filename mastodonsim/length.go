package mastodonsim

import (
	"strings"

	"github.com/rivo/uniseg"
)

// charactersReservedPerURL is StatusLengthValidator::URL_PLACEHOLDER_CHARS,
// published as configuration.statuses.characters_reserved_per_url.
const charactersReservedPerURL = 23

// countableLength is StatusLengthValidator#too_long?'s measure: grapheme
// clusters of spoiler_text + text, where every URL counts as 23 characters
// and a mention @user@domain counts as @user.
func countableLength(spoiler, text string) int {
	return uniseg.GraphemeClusterCount(spoiler + countableText(text))
}

func countableText(text string) string {
	if strings.TrimSpace(text) == "" {
		return ""
	}
	var b strings.Builder
	last := 0
	for _, e := range extractEntities(text) {
		switch e.kind {
		case entityURL:
			b.WriteString(text[last:e.start])
			b.WriteString(strings.Repeat("x", charactersReservedPerURL))
		case entityMention:
			b.WriteString(text[last:e.start])
			user, _, _ := strings.Cut(e.value, "@")
			b.WriteString("@" + user)
		default:
			b.WriteString(text[last:e.end])
		}
		last = e.end
	}
	b.WriteString(text[last:])
	return b.String()
}
