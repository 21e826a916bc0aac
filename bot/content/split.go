package content

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/rivo/uniseg"
)

// Split cuts text into parts that each fit max characters (as Length counts them) once the
// prefix (the mention, e.g. "@alice@social.example.coop ") and a counter suffix (" (2/3)")
// are added. Prefer cutting at line breaks, then at spaces, never inside a grapheme cluster
// or a URL (a URL longer than fits goes whole in its own part, it counts 23 anyway); a
// single text that fits is returned as one part with no counter. Returned parts are the
// full status texts: prefix + part + counter. Deterministic.
//
// A prefix that does not end in whitespace gets a space, so the mention cannot run into
// the text and address someone else. The whitespace at each cut is dropped, and so is
// the whitespace around the whole text, which Mastodon strips before counting anyway
// (Status#prepare_contents). A blank text gives no parts. A line break is preferred when
// it leaves the part at least half full; otherwise the latest line break or space is
// used. Only a word longer than a whole part is cut between grapheme clusters, and then
// not inside a remote mention unless the mention alone is longer than a part, since its
// tail would no longer be a mention and would count in full.
//
// Split leaves mentions in the text alone: posted as a direct status, every @user@domain
// in a part becomes a recipient, so callers posting untrusted output should pass
// allowed_mentions.
//
// Every part is checked against Length as posted, prefix and counter included, so a part
// never exceeds max unless max leaves no room for even one URL or grapheme cluster after
// the prefix and counter; then such a piece goes alone into a part that is over max (and
// has no counter if it is the only part).
func Split(text, prefix string, max, urlLen int) []string {
	text = strings.TrimFunc(text, isBreakSpace)
	if text == "" {
		return nil
	}
	if r, _ := utf8.DecodeLastRuneInString(prefix); prefix != "" && !unicode.IsSpace(r) {
		// Glued to the text, "@alice" would become "@alicebob", another recipient.
		prefix += " "
	}
	max = clamp(max, 0, math.MaxInt)
	urlLen = clamp(urlLen, 0, math.MaxInt)
	if whole := prefix + text; Length(whole, urlLen) <= max {
		return []string{whole}
	}
	s := splitter{text: text, prefix: prefix, max: max, urlLen: urlLen}
	s.atoms = atomize(text, urlLen)
	s.prefixLen = Length(prefix, urlLen)
	if s.prefixLen == 0 {
		// Length counts a blank text as 0, but before a part its spaces count.
		s.prefixLen = uniseg.GraphemeClusterCount(prefix)
	}
	// The counter's width depends on the number of parts, which depends on the width
	// reserved for the counter: reserve d digits and retry with more while too few.
	for d := 1; ; d++ {
		bodies := s.pack(d)
		if len(strconv.Itoa(len(bodies))) > d {
			continue
		}
		if len(bodies) == 1 {
			// One piece too big for any part (a URL when max < urlLen): a counter
			// would only make it longer.
			return []string{prefix + bodies[0]}
		}
		parts := make([]string, len(bodies))
		for i, b := range bodies {
			parts[i] = prefix + b + " (" + strconv.Itoa(i+1) + "/" + strconv.Itoa(len(bodies)) + ")"
		}
		return parts
	}
}

// atom is a piece of text Split never cuts: a grapheme cluster, or a URL together with
// any cluster it shares a character with.
type atom struct {
	start, end int
	cost       int  // what it adds to Length
	space      bool // whitespace a cut may drop
	newline    bool // whitespace that breaks the line
	// mention is the index of the atom starting the remote mention (@user@domain) this
	// atom is inside of, or -1. Cutting before this atom would split the mention, and
	// the tail, no longer a mention, would count its domain in full.
	mention int
}

type splitter struct {
	text, prefix   string
	max, urlLen    int
	prefixLen      int
	atoms          []atom
	costs          []int  // the atoms' costs in this pack, see pack
	placeholder    string // the widest counter for the digits reserved
	placeholderLen int
}

// pack cuts the text into part bodies with d digits reserved for each counter number.
func (s *splitter) pack(d int) []string {
	nines := strings.Repeat("9", d)
	s.placeholder = " (" + nines + "/" + nines + ")"
	s.placeholderLen = len(s.placeholder)
	base := s.max - s.prefixLen - s.placeholderLen
	s.costs = s.costs[:0]
	for _, a := range s.atoms {
		s.costs = append(s.costs, a.cost)
	}
	var bodies []string
	i := s.skipSpace(0)
	for i < len(s.atoms) {
		budget := base
		var end int
		for {
			end = s.packOne(i, budget)
			if end-i == 1 {
				break
			}
			// Costs add up only approximately (a cut can change how the text around it
			// is recognised or clustered), so check the part as it will be posted and
			// shrink the budget by the excess until it fits.
			n := Length(s.prefix+s.text[s.atoms[i].start:s.atoms[end-1].end]+s.placeholder, s.urlLen)
			if n <= s.max {
				break
			}
			budget = min(budget, s.cost(i, end)) - (n - s.max)
		}
		bodies = append(bodies, s.text[s.atoms[i].start:s.atoms[end-1].end])
		if end < len(s.atoms) && s.atoms[end].mention >= 0 {
			// The part was cut inside a remote mention. The rest of it starts the next
			// part glued to the username's tail, so it is no longer a mention and its
			// @domain counts in full.
			m := s.atoms[end].mention
			for k := end; k < len(s.atoms) && s.atoms[k].mention == m; k++ {
				s.costs[k] = 1
			}
		}
		i = s.skipSpace(end)
	}
	return bodies
}

// packOne returns the end (exclusive atom index) of the part that starts at atom i,
// which is not whitespace, when the body may cost budget. The part ends with a
// non-whitespace atom and holds at least atom i.
func (s *splitter) packOne(i, budget int) int {
	type cut struct{ end, cost int }
	var lastNL, lastSpace cut // candidate cuts at the latest line break and space
	cost := 0
	contentEnd, contentCost := -1, 0 // after the latest non-whitespace atom that fits
	inRun, runNL := false, false
	for k := i; k < len(s.atoms); k++ {
		a := s.atoms[k]
		if a.space {
			if !inRun {
				inRun, runNL = true, false
			}
			runNL = runNL || a.newline
			cost = satAdd(cost, s.costs[k])
			continue
		}
		if inRun {
			if runNL {
				lastNL = cut{contentEnd, contentCost}
			} else {
				lastSpace = cut{contentEnd, contentCost}
			}
			inRun = false
		}
		next := satAdd(cost, s.costs[k])
		if next > budget {
			switch {
			case lastNL.end > 0 && lastNL.cost >= budget-budget/2:
				return lastNL.end
			case lastNL.end > 0 || lastSpace.end > 0:
				return max(lastNL.end, lastSpace.end)
			case contentEnd > 0:
				// Cut inside a word. Keep a remote mention whole unless it is the
				// whole part.
				if contentEnd < len(s.atoms) && s.atoms[contentEnd].mention > i {
					return s.atoms[contentEnd].mention
				}
				return contentEnd
			default:
				return i + 1
			}
		}
		cost = next
		contentEnd, contentCost = k+1, cost
	}
	return contentEnd
}

// cost sums the costs of atoms i to end (exclusive): what packOne compared with its budget.
func (s *splitter) cost(i, end int) int {
	c := 0
	for _, n := range s.costs[i:end] {
		c = satAdd(c, n)
	}
	return c
}

func (s *splitter) skipSpace(i int) int {
	for i < len(s.atoms) && s.atoms[i].space {
		i++
	}
	return i
}

// atomize cuts text into atoms at grapheme cluster boundaries that are not inside a URL.
// A mention's "@domain" costs nothing, as Length counts only "@user".
func atomize(text string, urlLen int) []atom {
	ents := scanEntities(text)
	var atoms []atom
	e := 0 // the first entity that does not end before the current position
	mentionStart := -1
	start := 0
	state := -1
	rest := text
	for pos := 0; rest != ""; {
		var cluster string
		cluster, rest, _, state = uniseg.FirstGraphemeClusterInString(rest, state)
		cs, ce := pos, pos+len(cluster)
		pos = ce
		for e < len(ents) && ents[e].end <= cs {
			e++
		}
		// Not a cut point if a URL spans this boundary.
		inURL := false
		for k := e; k < len(ents) && ents[k].start < ce; k++ {
			if ents[k].url && ents[k].end > ce {
				inURL = true
				break
			}
		}
		if inURL && rest != "" {
			continue
		}
		a := atom{start: start, end: ce, mention: -1}
		if e < len(ents) && !ents[e].url && ents[e].userEnd < ents[e].end {
			switch {
			case start == ents[e].start:
				mentionStart = len(atoms)
			case start > ents[e].start:
				a.mention = mentionStart
			}
		}
		piece := text[start:ce]
		switch {
		case start != cs || overlapsURL(ents[e:], start, ce):
			a.cost = Length(piece, urlLen)
		case inMentionDomain(ents[e:], cs):
			a.cost = 0
		default:
			a.cost = 1
			a.space, a.newline = classifySpace(piece)
		}
		atoms = append(atoms, a)
		start = ce
	}
	return atoms
}

func overlapsURL(ents []entity, start, end int) bool {
	for _, e := range ents {
		if e.start >= end {
			break
		}
		if e.url && e.end > start {
			return true
		}
	}
	return false
}

func inMentionDomain(ents []entity, pos int) bool {
	return len(ents) > 0 && !ents[0].url && pos >= ents[0].userEnd && pos < ents[0].end
}

// classifySpace reports whether a grapheme cluster is whitespace a cut may drop, and
// whether it breaks the line.
func classifySpace(cluster string) (space, newline bool) {
	for _, r := range cluster {
		if !isBreakSpace(r) {
			return false, false
		}
		switch r {
		case '\n', '\r', '\v', '\f', 0x85, 0x2028, 0x2029:
			newline = true
		}
	}
	return true, newline
}

// isBreakSpace reports whether r is whitespace Split may cut at and drop: any Unicode
// space except the no-break ones, which are there to keep words together.
func isBreakSpace(r rune) bool {
	switch r {
	case '\u00a0', '\u2007', '\u202f':
		return false
	}
	return unicode.IsSpace(r)
}

func clamp(v, lo, hi int) int { return min(max(v, lo), hi) }
