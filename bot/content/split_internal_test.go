package content

import (
	"strings"
	"testing"
)

// TestPackUnderestimate checks the safety net behind Split: atom costs only approximate
// Length, and when they fall short, pack must still shrink every part until it fits as
// posted. Zeroing all costs simulates the worst underestimate.
func TestPackUnderestimate(t *testing.T) {
	text := "one two three https://example.com/a/rather/long/path four five\nsix seven " +
		strings.Repeat("x", 40) + " @bob@social.example.coop eight"
	const prefix, max, urlLen = "@alice ", 40, 23
	s := splitter{text: text, prefix: prefix, max: max, urlLen: urlLen}
	s.atoms = atomize(text, urlLen)
	for i := range s.atoms {
		s.atoms[i].cost = 0
	}
	s.prefixLen = Length(prefix, urlLen)
	bodies := s.pack(2)
	if len(bodies) < 2 {
		t.Fatalf("pack gave %d bodies: %q", len(bodies), bodies)
	}
	var joined []string
	for _, b := range bodies {
		if n := Length(prefix+b+s.placeholder, urlLen); n > max {
			t.Errorf("body %q: Length %d > %d", b, n, max)
		}
		joined = append(joined, strings.Fields(b)...)
	}
	if got, want := strings.Join(joined, ""), strings.Join(strings.Fields(text), ""); got != want {
		t.Errorf("bodies lost text:\n got %q\nwant %q", got, want)
	}
}
