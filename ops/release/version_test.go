package release_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/tootops/tootops/ops/release"
)

func TestParseVersion(t *testing.T) {
	for _, c := range []struct {
		in   string
		want release.Version
		str  string
	}{
		{"v4.5.1", release.Version{Major: 4, Minor: 5, Patch: 1}, "v4.5.1"},
		{"4.5.1", release.Version{Major: 4, Minor: 5, Patch: 1}, "v4.5.1"},
		{" V4.5.1\n", release.Version{Major: 4, Minor: 5, Patch: 1}, "v4.5.1"},
		{"4.7.0-rc.1", release.Version{Major: 4, Minor: 7, Patch: 0, Pre: "rc.1"}, "v4.7.0-rc.1"},
		{"v4.2.0-rc1", release.Version{Major: 4, Minor: 2, Pre: "rc1"}, "v4.2.0-rc1"},
		{"v3.3.0rc3", release.Version{Major: 3, Minor: 3, Pre: "rc3"}, "v3.3.0-rc3"},
		{"4.3.0-alpha.5+glitch", release.Version{Major: 4, Minor: 3, Pre: "alpha.5", Meta: "glitch"}, "v4.3.0-alpha.5+glitch"},
		{"4.5.0-nightly.2025-07-11", release.Version{Major: 4, Minor: 5, Pre: "nightly.2025-07-11"}, "v4.5.0-nightly.2025-07-11"},
		{"4.2.5-nightly.2024-01-23-security", release.Version{Major: 4, Minor: 2, Patch: 5, Pre: "nightly.2024-01-23-security"}, "v4.2.5-nightly.2024-01-23-security"},
		{"4.3.2+hometown-1.1", release.Version{Major: 4, Minor: 3, Patch: 2, Meta: "hometown-1.1"}, "v4.3.2+hometown-1.1"},
		{"v0.0.0", release.Version{}, "v0.0.0"},
	} {
		got, err := release.ParseVersion(c.in)
		if err != nil {
			t.Errorf("ParseVersion(%q): %v", c.in, err)
			continue
		}
		if got != c.want {
			t.Errorf("ParseVersion(%q) = %#v, want %#v", c.in, got, c.want)
		}
		if got.String() != c.str {
			t.Errorf("ParseVersion(%q).String() = %q, want %q", c.in, got.String(), c.str)
		}
		if back, err := release.ParseVersion(got.String()); err != nil || back != got {
			t.Errorf("ParseVersion(%q) = %#v, %v; want %#v", got.String(), back, err, got)
		}
	}
}

func TestParseVersionErrors(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", `expected a version such as v4.5.1, got "" (empty)`},
		{"latest", `expected a version such as v4.5.1, got "latest" (it does not start with a number)`},
		{"v4.5", `expected a version such as v4.5.1, got "v4.5" (no patch number)`},
		{"4", `expected a version such as v4.5.1, got "4" (no minor number)`},
		{"4.5.", `expected a version such as v4.5.1, got "4.5." (no patch number)`},
		{"4.5.1.2", `expected a version such as v4.5.1, got "4.5.1.2" (more than three numbers)`},
		{"4.05.1", `expected a version such as v4.5.1, got "4.05.1" (the minor number has a leading zero)`},
		{"4.5.1-", `expected a version such as v4.5.1, got "4.5.1-" (prerelease "": empty)`},
		{"4.5.1-+x", `expected a version such as v4.5.1, got "4.5.1-+x" (prerelease "": empty)`},
		{"4.5.1-rc..1", `expected a version such as v4.5.1, got "4.5.1-rc..1" (prerelease "rc..1": empty identifier)`},
		{"4.5.1-rc.01", `expected a version such as v4.5.1, got "4.5.1-rc.01" (prerelease "rc.01": "01" has a leading zero)`},
		{"4.5.1+", `expected a version such as v4.5.1, got "4.5.1+" (build metadata "": empty)`},
		{"4.5.1 beta", `expected a version such as v4.5.1, got "4.5.1 beta" (unexpected ' ' after the patch number)`},
		{"4.5.1-rc_1", `expected a version such as v4.5.1, got "4.5.1-rc_1" (prerelease "rc_1": unexpected '_')`},
		{"4.99999999999.1", `expected a version such as v4.5.1, got "4.99999999999.1" (the minor number is too large)`},
		// Long inputs are cut in the message, which may end up in a DM.
		{"v4.5.1-averyveryveryveryverylongprerelease+", `expected a version such as v4.5.1, got "v4.5.1-averyveryveryveryverylongprerelea…" (build metadata "": empty)`},
	} {
		_, err := release.ParseVersion(c.in)
		if err == nil {
			t.Errorf("ParseVersion(%q) succeeded, want %s", c.in, c.want)
			continue
		}
		if err.Error() != c.want {
			t.Errorf("ParseVersion(%q):\n got %s\nwant %s", c.in, err, c.want)
		}
		var ve *release.VersionError
		if !errors.As(err, &ve) {
			t.Errorf("ParseVersion(%q) error is %T, want *VersionError", c.in, err)
		}
	}
}

func TestCompare(t *testing.T) {
	// In ascending order.
	ordered := []string{
		"3.3.0-rc3", "3.3.0",
		"4.2.0-beta1", "4.2.0-rc1", "4.2.0-rc2", "4.2.0-rc10", "4.2.0",
		"4.3.0-alpha.5", "4.3.0-beta.1", "4.3.0-beta.2", "4.3.0-rc.1", "4.3.0",
		"4.3.17", "4.4.0", "4.4.27",
		"4.5.0-nightly.2025-07-11", "4.5.0-nightly.2025-07-12", "4.5.0", "4.5.9", "4.5.10", "4.5.20",
		"4.7.0-1", "4.7.0-1.1", "4.7.0-alpha", "4.7.0-rc.1", "4.7.0-rc.2", "4.7.0", "5.0.0",
	}
	var vs []release.Version
	for _, s := range ordered {
		vs = append(vs, v(s))
	}
	for i := range vs {
		for j := range vs {
			want := 0
			if i < j {
				want = -1
			} else if i > j {
				want = 1
			}
			if got := vs[i].Compare(vs[j]); got != want {
				t.Errorf("%s.Compare(%s) = %d, want %d", vs[i], vs[j], got, want)
			}
		}
	}
	shuffled := slices.Clone(vs)
	slices.Reverse(shuffled)
	slices.SortFunc(shuffled, release.CompareVersions)
	if !slices.Equal(shuffled, vs) {
		t.Errorf("sorted = %v, want %v", shuffled, vs)
	}
	if got := v("4.3.0-alpha.5+glitch").Compare(v("4.3.0-alpha.5")); got != 0 {
		t.Errorf("metadata changes the order: Compare = %d", got)
	}
}

func TestVersionHelpers(t *testing.T) {
	x := v("4.3.0-alpha.5+glitch")
	if got, want := x.Core(), v("4.3.0"); got != want {
		t.Errorf("Core() = %v, want %v", got, want)
	}
	if got, want := x.Series(), "4.3"; got != want {
		t.Errorf("Series() = %q, want %q", got, want)
	}
	for _, c := range []struct {
		v    release.Version
		want string
	}{
		{release.Version{Major: 14}, "14"},
		{release.Version{Major: 13, Minor: 11}, "13.11"},
		{release.Version{Major: 7, Minor: 2, Patch: 4}, "7.2.4"},
		{release.Version{Major: 7, Patch: 4}, "7.0.4"},
	} {
		if got := c.v.Short(); got != c.want {
			t.Errorf("%#v.Short() = %q, want %q", c.v, got, c.want)
		}
	}
	var u release.Version
	if err := u.UnmarshalText([]byte("v4.6.1")); err != nil || u != v("4.6.1") {
		t.Errorf("UnmarshalText = %v, %v", u, err)
	}
	if err := u.UnmarshalText([]byte("nope")); err == nil {
		t.Error("UnmarshalText(nope) succeeded")
	}
}
