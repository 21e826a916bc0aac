package release

import (
	"cmp"
	"fmt"
	"strconv"
	"strings"
)

// Version is a Mastodon version: a SemVer core with an optional prerelease ("rc.1",
// "nightly.2025-07-11") and build metadata ("glitch"). Metadata never affects ordering.
type Version struct {
	Major, Minor, Patch int
	Pre, Meta           string
}

// VersionError is returned by ParseVersion. Its text is safe to show an admin.
type VersionError struct {
	Input  string
	Reason string
}

func (e *VersionError) Error() string {
	in := e.Input
	if len(in) > 40 {
		in = in[:40] + "…"
	}
	return fmt.Sprintf("expected a version such as v4.5.1, got %q (%s)", in, e.Reason)
}

// Safe is the text to show an admin.
func (e *VersionError) Safe() string { return e.Error() }

// maxNumber bounds each numeric part, so that "v99999999999999999999.0.0" is an error
// instead of an overflow, and String() always parses back to the same Version.
const maxNumber = 1<<31 - 1

// ParseVersion parses a tag or a runtime version string. It accepts the spellings
// Mastodon has used: "v4.5.1" and "4.5.1" (tags have a v, Mastodon::Version.to_s has
// not), "4.7.0-rc.1" and "v4.2.0-rc1" (the prerelease style changed in 4.3), the
// legacy "v3.3.0rc3" with no hyphen, build metadata ("4.3.0-alpha.5+glitch") and
// nightlies ("4.5.0-nightly.2025-07-11").
func ParseVersion(s string) (Version, error) {
	in := s
	bad := func(format string, a ...any) (Version, error) {
		return Version{}, &VersionError{Input: in, Reason: fmt.Sprintf(format, a...)}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return bad("empty")
	}
	if s[0] == 'v' || s[0] == 'V' {
		s = s[1:]
	}
	var v Version
	names := [3]string{"major", "minor", "patch"}
	parts := [3]*int{&v.Major, &v.Minor, &v.Patch}
	for i, name := range names {
		n := 0
		for n < len(s) && s[n] >= '0' && s[n] <= '9' {
			n++
		}
		if n == 0 {
			if i == 0 {
				return bad("it does not start with a number")
			}
			return bad("no %s number", name)
		}
		if n > 1 && s[0] == '0' {
			return bad("the %s number has a leading zero", name)
		}
		x, err := strconv.Atoi(s[:n])
		if err != nil || x > maxNumber {
			return bad("the %s number is too large", name)
		}
		*parts[i] = x
		s = s[n:]
		if i < 2 {
			if s == "" || s[0] != '.' {
				return bad("no %s number", names[i+1])
			}
			s = s[1:]
		}
	}
	if s == "" {
		return v, nil
	}
	hasPre := false
	switch c := s[0]; {
	case c == '-':
		s, hasPre = s[1:], true
	case c == '+':
	case isAlpha(c):
		// v3.3.0rc3: tags before 4.2 glued the prerelease to the patch number.
		hasPre = true
	case c == '.':
		return bad("more than three numbers")
	default:
		return bad("unexpected %q after the patch number", c)
	}
	pre, meta, hasMeta := strings.Cut(s, "+")
	if hasPre {
		if err := checkIdentifiers(pre, true); err != "" {
			return bad("prerelease %q: %s", pre, err)
		}
		v.Pre = pre
	}
	if hasMeta {
		if err := checkIdentifiers(meta, false); err != "" {
			return bad("build metadata %q: %s", meta, err)
		}
		v.Meta = meta
	}
	return v, nil
}

// MustParseVersion is ParseVersion for constants in code and tests; it panics on error.
func MustParseVersion(s string) Version {
	v, err := ParseVersion(s)
	if err != nil {
		panic(err)
	}
	return v
}

// checkIdentifiers applies SemVer's rule for prerelease and metadata: dot-separated,
// non-empty identifiers of [0-9A-Za-z-], and no leading zero in a numeric prerelease
// identifier (it would compare equal to another spelling). Anything else would not
// survive String().
func checkIdentifiers(s string, pre bool) string {
	if s == "" {
		return "empty"
	}
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return "empty identifier"
		}
		for i := 0; i < len(id); i++ {
			c := id[i]
			if !isAlpha(c) && !isDigit(c) && c != '-' {
				return fmt.Sprintf("unexpected %q", c)
			}
		}
		if _, num := numeric(id); pre && num && len(id) > 1 && id[0] == '0' {
			return fmt.Sprintf("%q has a leading zero", id)
		}
	}
	return ""
}

func isAlpha(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// String is the tag spelling, "v4.5.1", "v4.7.0-rc.1" or "v4.3.0-alpha.5+glitch". A legacy
// "v3.3.0rc3" comes back as "v3.3.0-rc3", which parses to the same Version.
func (v Version) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "v%d.%d.%d", v.Major, v.Minor, v.Patch)
	if v.Pre != "" {
		b.WriteString("-" + v.Pre)
	}
	if v.Meta != "" {
		b.WriteString("+" + v.Meta)
	}
	return b.String()
}

// Short is a dependency version as release notes write it: no v and no trailing zero
// parts ("14", "7.2", "13.11"), so that messages read "older than 14", not "v14.0.0".
func (v Version) Short() string {
	switch {
	case v.Patch != 0:
		return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	case v.Minor != 0:
		return fmt.Sprintf("%d.%d", v.Major, v.Minor)
	default:
		return strconv.Itoa(v.Major)
	}
}

// Core is v without prerelease and metadata: the instance API may report
// "4.5.0-nightly.2025-07-11" or "+glitch" where the image tag says v4.5.0.
func (v Version) Core() Version { return Version{Major: v.Major, Minor: v.Minor, Patch: v.Patch} }

// IsZero reports whether v is the zero Version (v0.0.0).
func (v Version) IsZero() bool { return v == Version{} }

// Series is the minor series, "4.5": Mastodon requires deploying one release of each.
func (v Version) Series() string { return fmt.Sprintf("%d.%d", v.Major, v.Minor) }

// sameSeries reports whether a and b belong to the same minor series.
func sameSeries(a, b Version) bool { return a.Major == b.Major && a.Minor == b.Minor }

// Compare orders versions by SemVer precedence: -1 if v < o, 0 if equal, +1 if v > o.
// A prerelease sorts before its release and metadata is ignored. Alphanumeric
// identifiers compare naturally ("rc2" < "rc10"), since pre-4.3 tags put the number
// inside the identifier ("rc1") where plain SemVer would compare it as text.
func (v Version) Compare(o Version) int {
	if c := cmp.Compare(v.Major, o.Major); c != 0 {
		return c
	}
	if c := cmp.Compare(v.Minor, o.Minor); c != 0 {
		return c
	}
	if c := cmp.Compare(v.Patch, o.Patch); c != 0 {
		return c
	}
	switch {
	case v.Pre == o.Pre:
		return 0
	case v.Pre == "":
		return 1
	case o.Pre == "":
		return -1
	}
	a, b := strings.Split(v.Pre, "."), strings.Split(o.Pre, ".")
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := compareIdentifier(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// Less reports whether v sorts before o.
func (v Version) Less(o Version) bool { return v.Compare(o) < 0 }

// CompareVersions is Compare as a function, for slices.SortFunc.
func CompareVersions(a, b Version) int { return a.Compare(b) }

func compareIdentifier(a, b string) int {
	an, aNum := numeric(a)
	bn, bNum := numeric(b)
	switch {
	case aNum && bNum:
		if c := cmp.Compare(len(an), len(bn)); c != 0 {
			return c
		}
		return cmp.Compare(an, bn)
	case aNum:
		return -1 // SemVer: numeric identifiers sort before alphanumeric ones.
	case bNum:
		return 1
	}
	return naturalCompare(a, b)
}

// numeric reports whether id is all digits, and returns it without leading zeros so
// that length then text compare as numbers of any size.
func numeric(id string) (string, bool) {
	for i := 0; i < len(id); i++ {
		if !isDigit(id[i]) {
			return "", false
		}
	}
	t := strings.TrimLeft(id, "0")
	return t, true
}

// naturalCompare compares runs of digits as numbers and everything else as text.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		ra, restA := run(a)
		rb, restB := run(b)
		var c int
		if isDigit(ra[0]) && isDigit(rb[0]) {
			na, _ := numeric(ra)
			nb, _ := numeric(rb)
			if c = cmp.Compare(len(na), len(nb)); c == 0 {
				c = cmp.Compare(na, nb)
			}
		} else {
			c = cmp.Compare(ra, rb)
		}
		if c != 0 {
			return c
		}
		a, b = restA, restB
	}
	return cmp.Compare(len(a), len(b))
}

func run(s string) (string, string) {
	d := isDigit(s[0])
	i := 1
	for i < len(s) && isDigit(s[i]) == d {
		i++
	}
	return s[:i], s[i:]
}

// MarshalText writes String(), so versions read naturally in JSON.
func (v Version) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// UnmarshalText parses with ParseVersion.
func (v *Version) UnmarshalText(b []byte) error {
	p, err := ParseVersion(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// parseLoose reads the first version-looking number in a dependency line: "14",
// "7.0", "20.19", "7.x" (x counts as 0) or "6.9.7-7" (the ImageMagick build suffix is
// dropped, it is not a prerelease). Release notes are prose, so this must not be strict.
func parseLoose(s string) (Version, bool) {
	i := 0
	for i < len(s) && !isDigit(s[i]) {
		i++
	}
	if i == len(s) {
		return Version{}, false
	}
	var nums []int
	s = s[i:]
	for len(nums) < 3 {
		n := 0
		for n < len(s) && isDigit(s[n]) {
			n++
		}
		switch {
		case n > 0 && n <= 9:
			x, _ := strconv.Atoi(s[:n])
			nums = append(nums, x)
		case n == 0 && len(nums) > 0 && s != "" && (s[0] == 'x' || s[0] == 'X'):
			nums = append(nums, 0)
			n = 1
		case n == 0:
		default:
			return Version{}, false
		}
		if n == 0 {
			break
		}
		s = s[n:]
		if len(s) < 2 || s[0] != '.' || !(isDigit(s[1]) || s[1] == 'x' || s[1] == 'X') {
			break
		}
		s = s[1:]
	}
	if len(nums) == 0 {
		return Version{}, false
	}
	for len(nums) < 3 {
		nums = append(nums, 0)
	}
	return Version{Major: nums[0], Minor: nums[1], Patch: nums[2]}, true
}
