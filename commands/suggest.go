package commands

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/agnivade/levenshtein"
)

// maxTypo is how far (in edits) a typed word may be from a name to suggest it: one edit for
// short names, two up to 8 runes, three beyond. "retsart" is two edits from "restart".
func maxTypo(name string) int {
	switch n := utf8.RuneCountInString(name); {
	case n <= 4:
		return 1
	case n <= 8:
		return 2
	}
	return 3
}

// closest returns the candidate nearest to typed within maxTypo, preferring the smaller
// distance, then the candidate listed first. Long input is not compared at all: it bounds
// the work a hostile message can cause.
func closest(typed string, candidates []string) (string, bool) {
	typed = fold(typed)
	if utf8.RuneCountInString(typed) > 64 {
		return "", false
	}
	best, bestDist := "", -1
	for _, c := range candidates {
		d := distance(typed, strings.ToLower(c))
		if d == 0 || d > maxTypo(c) {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist = c, d
		}
	}
	return best, bestDist >= 0
}

// distance is the Levenshtein distance, except that one swap of neighbouring letters
// ("pnig" for "ping") counts as one edit, as it is one slip of the thumb.
func distance(a, b string) int {
	d := levenshtein.ComputeDistance(a, b)
	if d == 2 && swapped(a, b) {
		return 1
	}
	return d
}

// swapped reports whether b is a with two neighbouring runes exchanged.
func swapped(a, b string) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) != len(rb) {
		return false
	}
	i := 0
	for i < len(ra) && ra[i] == rb[i] {
		i++
	}
	return i+1 < len(ra) && ra[i] == rb[i+1] && ra[i+1] == rb[i] && string(ra[i+2:]) == string(rb[i+2:])
}

// uniquePrefix returns the only candidate that starts with typed ("rest" → "restart").
func uniquePrefix(typed string, candidates []string) (string, bool) {
	typed = fold(typed)
	if typed == "" {
		return "", false
	}
	found := ""
	for _, c := range candidates {
		if strings.HasPrefix(strings.ToLower(c), typed) {
			if found != "" && found != c {
				return "", false
			}
			found = c
		}
	}
	return found, found != ""
}

// names returns every registered name and alias key, longest first so that a typo of
// "backup status" is matched against two words before "backup" is against one.
func (r *Registry) names() []string {
	out := make([]string, 0, len(r.index))
	for key := range r.index {
		out = append(out, key)
	}
	sort.Slice(out, func(i, j int) bool {
		wi, wj := strings.Count(out[i], " "), strings.Count(out[j], " ")
		if wi != wj {
			return wi > wj
		}
		return out[i] < out[j]
	})
	return out
}

// unknown builds the error for a line whose leading words name no command.
func (r *Registry) unknown(words []string) *UsageError {
	const list = `send "help" for the list of commands`
	if len(words) == 0 {
		return &UsageError{Msg: "empty message", Suggestion: list}
	}
	// A typo, possibly in a name of several words: compare each name with as many typed
	// words. names() lists longer names first, so they win a tie.
	best, bestDist, bestWords := "", -1, 0
	for _, name := range r.names() {
		k := strings.Count(name, " ") + 1
		if k > len(words) {
			continue
		}
		typed := fold(strings.Join(words[:k], " "))
		if utf8.RuneCountInString(typed) > 64 {
			continue
		}
		d := distance(typed, name)
		if d == 0 || d > maxTypo(name) {
			continue
		}
		if bestDist < 0 || d < bestDist {
			best, bestDist, bestWords = name, d, k
		}
	}
	if bestDist >= 0 {
		return &UsageError{
			Msg:        "unknown command " + echo(strings.Join(words[:bestWords], " ")),
			Suggestion: "did you mean " + echo(r.canonical(best)) + "?",
		}
	}
	// The first word of names of several words, without (or with a wrong) second word:
	// "media" when there are "media cleanup" and "media stats".
	first := fold(words[0])
	var subs []string
	for _, c := range r.Commands() {
		if strings.HasPrefix(strings.ToLower(c.Name), first+" ") {
			subs = append(subs, echo(c.Name))
		}
	}
	if len(subs) > 0 {
		typed := words[0]
		if len(words) > 1 {
			typed += " " + words[1]
		}
		return &UsageError{
			Msg:        "unknown command " + echo(typed),
			Suggestion: "did you mean " + orList(subs, 4) + "?",
		}
	}
	if name, ok := uniquePrefix(words[0], r.firstWords()); ok && utf8.RuneCountInString(words[0]) >= 2 {
		return &UsageError{
			Msg:        "unknown command " + echo(words[0]),
			Suggestion: "did you mean " + echo(name) + "?",
		}
	}
	return &UsageError{Msg: "unknown command " + echo(words[0]), Suggestion: list}
}

// canonical returns the name of the command a name or alias key belongs to, in the form
// the user should type: an alias is shown as itself.
func (r *Registry) canonical(key string) string {
	if c, ok := r.index[key]; ok && strings.EqualFold(c.Name, key) {
		return c.Name
	}
	return key
}

// firstWords returns the single-word names and aliases.
func (r *Registry) firstWords() []string {
	var out []string
	for _, name := range r.names() {
		if !strings.Contains(name, " ") {
			out = append(out, name)
		}
	}
	return out
}

// longer suggests a name of several words for an unexpected argument that looks like a typo
// of its next word: `backup stauts` → "backup status".
func (r *Registry) longer(c *Command, word string) string {
	prefix := strings.ToLower(c.Name) + " "
	var candidates []string
	for _, name := range r.names() {
		if strings.HasPrefix(name, prefix) && strings.Count(name, " ") == strings.Count(prefix, " ") {
			candidates = append(candidates, name)
		}
	}
	if best, ok := closest(prefix+word, candidates); ok {
		return "did you mean " + echo(best) + "?"
	}
	return ""
}

// orList renders `"a"`, `"a" or "b"`, `"a", "b" or "c"`, keeping the first max items.
func orList(items []string, max int) string {
	if len(items) > max {
		items = items[:max]
	}
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}

// flagSuggestion suggests a flag for an unknown one, or lists those accepted.
func flagSuggestion(c *Command, name string) string {
	var names []string
	for _, f := range c.Flags {
		names = append(names, f.Name)
	}
	if best, ok := closest(name, names); ok {
		return fmt.Sprintf("did you mean --%s?", best)
	}
	if best, ok := uniquePrefix(name, names); ok {
		return fmt.Sprintf("did you mean --%s?", best)
	}
	if a := c.restArg(); a != nil && !a.Optional {
		return fmt.Sprintf(`put "--" before %s to pass flags to it`, a.Name)
	}
	if len(names) == 0 {
		return c.Name + " takes no flags"
	}
	for i := range names {
		names[i] = "--" + names[i]
	}
	return "accepted: " + strings.Join(names, ", ")
}
