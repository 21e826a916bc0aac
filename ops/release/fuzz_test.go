package release_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/tootops/tootops/ops/release"
)

func FuzzParseNotes(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.md")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(string(b))
		}
	}
	f.Add("## Upgrade overview\n\nℹ️ Requires database migrations\\\n:warning: Custom\n")
	f.Add("```\n### When using Docker\n1. x")
	f.Add("<h2>Dependencies</h2>\n- PostgreSQL: 14.0 to 14.3 are not supported\n")
	f.Fuzz(func(t *testing.T, body string) {
		n := release.ParseNotes(body)
		if !reflect.DeepEqual(n, release.ParseNotes(body)) {
			t.Fatal("ParseNotes is not deterministic")
		}
		// Line ends do not matter (for bodies without CRs of their own).
		if !strings.Contains(body, "\r") {
			if crlf := release.ParseNotes(strings.ReplaceAll(body, "\n", "\r\n")); !reflect.DeepEqual(n, crlf) {
				t.Fatalf("CRLF changes the result:\n%+v\n%+v", n, crlf)
			}
		}
		for _, u := range n.Unknown {
			if !contains(n.Markers, u) {
				t.Fatalf("unknown marker %q is not among the markers", u)
			}
		}
		for _, s := range append(append([]string{n.Hotfix}, n.MustRead...), n.DepsSince.String()) {
			if s == "" {
				continue
			}
			if _, err := release.ParseVersion(s); err != nil {
				t.Fatalf("a version field does not parse: %v", err)
			}
		}
	})
}

func contains(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"v4.5.1", "4.5.1", "4.7.0-rc.1", "v4.2.0-rc1", "v3.3.0rc3", "4.3.0-alpha.5+glitch",
		"4.5.0-nightly.2025-07-11", "4.5.1-", "v4.5", "", "0.0.0+x", "1.2.3-0a.b-c+d.e", "99999999999.0.0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := release.ParseVersion(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error text")
			}
			return
		}
		back, err := release.ParseVersion(v.String())
		if err != nil {
			t.Fatalf("ParseVersion(%q) = %#v, but ParseVersion(%q): %v", s, v, v.String(), err)
		}
		if back != v {
			t.Fatalf("round trip of %q: %#v → %q → %#v", s, v, v.String(), back)
		}
		if v.Compare(back) != 0 || v.Compare(v.Core()) > 0 {
			t.Fatalf("Compare is inconsistent for %#v", v)
		}
	})
}
