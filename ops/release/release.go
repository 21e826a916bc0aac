package release

import (
	"errors"
	"slices"
	"time"
)

// Release is one GitHub release of Mastodon.
type Release struct {
	Version    Version
	Tag        string // "v4.5.1"
	Name       string
	Body       string // Markdown with LF line ends
	URL        string // the release page, html_url
	Draft      bool
	Prerelease bool
	Published  time.Time // zero for drafts
}

// IsStable reports whether r is neither a draft nor a prerelease. The tag counts as
// well as GitHub's flag: a "-rc.1" release published without the flag is still not
// something to deploy on a production server.
func (r Release) IsStable() bool { return !r.Draft && !r.Prerelease && r.Version.Pre == "" }

// Stable returns the stable releases of rs, newest version first, one per version.
// Releases are ordered by version and never by date, because several branches are
// maintained at once and backports (v4.5.20) are published after newer branches (v4.7.4).
func Stable(rs []Release) []Release {
	var out []Release
	for _, r := range rs {
		if r.IsStable() {
			out = append(out, r)
		}
	}
	return SortByVersion(out)
}

// SortByVersion sorts rs in place, newest version first, drops repeated versions
// (keeping the first seen) and returns the result.
func SortByVersion(rs []Release) []Release {
	slices.SortStableFunc(rs, func(a, b Release) int { return b.Version.Compare(a.Version) })
	return slices.CompactFunc(rs, func(a, b Release) bool { return a.Version.Compare(b.Version) == 0 })
}

// Sentinels for errors.Is; the *Error that wraps them carries the text for the admin.
var (
	ErrNotFound    = errors.New("release not found")
	ErrNotStable   = errors.New("not a stable release")
	ErrNotNewer    = errors.New("not newer than the running version")
	ErrMajor       = errors.New("major version upgrade")
	ErrHotfix      = errors.New("the release notes advise a later hotfix")
	ErrMissing     = errors.New("a release the upgrade needs is missing")
	ErrUnsupported = errors.New("unsupported running version")
	ErrRateLimited = errors.New("GitHub API rate limit exceeded")
)

// Error is a refusal or failure whose text is written for the admin and holds no
// secret. Kind is one of the sentinels above.
type Error struct {
	Msg  string
	Kind error
	Err  error // the underlying cause, if any; never shown to the admin
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Safe is the text to show the admin.
func (e *Error) Safe() string { return e.Msg }

// Unwrap exposes both the sentinel and the cause to errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	var out []error
	if e.Kind != nil {
		out = append(out, e.Kind)
	}
	if e.Err != nil {
		out = append(out, e.Err)
	}
	return out
}
