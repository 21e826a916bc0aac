package release

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// Hop is one deployment of an upgrade: from From to Release.
type Hop struct {
	From    Version
	Release Release
	Notes   Notes
	// Skipped are the stable releases between From and Release that are not deployed;
	// their notes apply too (the docs: "make sure you execute everything at least
	// once"), oldest first.
	Skipped []Release
}

// Hops is a planned upgrade, in order.
type Hops []Hop

// Path plans the upgrade from current to target. Mastodon requires deploying at least
// one release of every minor series in between, so the hops are the latest stable
// patch of each intermediate series and then target itself: 4.3.5 → 4.6.2 goes
// through 4.4.latest and 4.5.latest. The latest patch, because it carries every fix to
// that series' migrations.
//
// Path refuses, with a text for the admin, a target that is unknown, a draft, a
// prerelease, not newer than current, in another major version, or one whose notes
// advise a later hotfix; a series with no stable release; and a must-read release that
// is missing from all.
func Path(all []Release, current, target Version) ([]Hop, error) {
	fail := func(kind error, format string, a ...any) ([]Hop, error) {
		return nil, &Error{Msg: fmt.Sprintf(format, a...), Kind: kind}
	}
	var tr *Release
	for i := range all {
		if all[i].Version.Compare(target) == 0 && (tr == nil || tr.Draft) {
			tr = &all[i]
		}
	}
	switch {
	case tr == nil:
		return fail(ErrNotFound, "%s is not a Mastodon release (it is not among the %d releases on GitHub)", target, len(all))
	case tr.Draft:
		return fail(ErrNotStable, "%s is a draft release, not published yet", target)
	case !tr.IsStable():
		return fail(ErrNotStable, "%s is a prerelease; the bot only upgrades to stable releases", target)
	}
	if strings.Contains(strings.ToLower(current.Meta), "glitch") {
		// glitch-soc versions its fork like Mastodon; these are vanilla releases.
		return fail(ErrUnsupported, "%s is a glitch-soc build; the bot plans upgrades between Mastodon releases only: upgrade by hand", current)
	}
	switch c := target.Compare(current); {
	case c == 0:
		return fail(ErrNotNewer, "already on %s", current)
	case c < 0:
		return fail(ErrNotNewer, "%s is older than %s: already on %s, and the bot does not downgrade (only restoring a backup goes back)", target, current, current)
	}
	if target.Major != current.Major {
		// Upstream says 5.0 needs 4.7 first and will have its own procedure: a
		// human reads those notes.
		return fail(ErrMajor, "%s to %s crosses a major version (%d.0): the bot does not plan major upgrades; read the release notes and upgrade by hand", current, target, target.Major)
	}

	stable := Stable(all)
	slices.Reverse(stable) // oldest first

	// The latest stable patch of each series strictly between current's and target's.
	var stops []Release
	for minor := current.Minor + 1; minor < target.Minor; minor++ {
		var latest *Release
		for i := range stable {
			v := stable[i].Version
			if v.Major == target.Major && v.Minor == minor {
				latest = &stable[i]
			}
		}
		if latest == nil {
			return fail(ErrMissing, "no stable release of the %d.%d series was found; Mastodon requires deploying one release of every minor series between %s and %s", target.Major, minor, current, target)
		}
		stops = append(stops, *latest)
	}
	stops = append(stops, *tr)

	byVersion := map[Version]Release{}
	for _, r := range stable {
		byVersion[r.Version.Core()] = r
	}
	var hops []Hop
	from := current
	for _, r := range stops {
		h := Hop{From: from, Release: r, Notes: ParseNotes(r.Body)}
		for _, s := range stable {
			if s.Version.Compare(from) > 0 && s.Version.Compare(r.Version) < 0 {
				h.Skipped = append(h.Skipped, s)
			}
		}
		inherit(&h.Notes, byVersion)
		if h.Notes.Hotfix != "" {
			if hv, err := ParseVersion(h.Notes.Hotfix); err == nil && hv.Compare(r.Version) > 0 {
				return fail(ErrHotfix, "%s: the release notes advise updating directly to %s; upgrade to %s instead",
					strings.TrimPrefix(r.Version.String(), "v"), hv, hv)
			}
		}
		hops = append(hops, h)
		from = r.Version
	}

	// Notes that say "it is very important to read the 4.5.0 release notes" are only
	// honoured if 4.5.0 is at hand; a partial list must not hide them.
	for _, h := range hops {
		for _, r := range append(slices.Clone(h.Skipped), h.Release) {
			n := h.Notes
			if r.Version != h.Release.Version {
				n = ParseNotes(r.Body)
			}
			for _, m := range n.MustRead {
				mv, err := ParseVersion(m)
				if err != nil || mv.Compare(current) <= 0 || mv.Compare(target) > 0 {
					continue
				}
				if _, ok := byVersion[mv.Core()]; !ok {
					return fail(ErrMissing, "%s's notes say to read the %s notes, which are not among the releases on GitHub; read them and upgrade by hand", r.Version, mv)
				}
			}
		}
	}
	return hops, nil
}

// inherit gives notes without a Dependencies list the list of the release they say
// dependencies "have not changed since", following such references a few levels.
func inherit(n *Notes, byVersion map[Version]Release) {
	since := n.DepsSince
	for depth := 0; len(n.Deps) == 0 && !since.IsZero() && depth < 5; depth++ {
		r, ok := byVersion[since.Core()]
		if !ok {
			return
		}
		src := ParseNotes(r.Body)
		for name, v := range src.Deps {
			n.raiseDep(name, v)
		}
		for name, rs := range src.Unsupported {
			for _, rg := range rs {
				n.addUnsupported(name, rg.From.Short(), rg.To.Short())
			}
		}
		if src.DepsSince.Compare(since) >= 0 {
			return
		}
		since = src.DepsSince
	}
}

// releases is every release the hops deploy or skip, oldest first, with its notes.
func (hs Hops) releases() ([]Release, []Notes) {
	var rs []Release
	var ns []Notes
	for _, h := range hs {
		for _, s := range h.Skipped {
			rs = append(rs, s)
			ns = append(ns, ParseNotes(s.Body))
		}
		rs = append(rs, h.Release)
		ns = append(ns, h.Notes)
	}
	byVersion := map[Version]Release{}
	for _, r := range rs {
		byVersion[r.Version.Core()] = r
	}
	for i := range ns {
		inherit(&ns[i], byVersion)
	}
	return rs, ns
}

var noRolling = regexp.MustCompile(`(?i)^rolling updates from versions (?:earlier|older) than v?(\d+\.\d+(?:\.\d+)?) are not supported$`)

// NeedsDowntime reports whether the upgrade should stop all Mastodon services and run
// one full migration instead of the zero-downtime sequence, and why: unusually long
// migrations (4.7.0: hours, and deadlocks with concurrent clients), a hop that skips a
// minor series (upstream: supported, "just not with zero-downtime"), or a release that
// does not support rolling updates from the running version.
func NeedsDowntime(hops []Hop) (bool, []string) {
	var reasons []string
	add := func(s string) {
		if !slices.Contains(reasons, s) {
			reasons = append(reasons, s)
		}
	}
	rs, ns := Hops(hops).releases()
	for i, n := range ns {
		if n.LongMigrations {
			add(fmt.Sprintf("%s requires unusually long database migrations", rs[i].Version))
		}
	}
	for _, h := range hops {
		v, from := h.Release.Version, h.From
		switch {
		case v.Major != from.Major:
			add(fmt.Sprintf("%s to %s crosses a major version", from, v))
		case v.Minor > from.Minor+1:
			var series []string
			for m := from.Minor + 1; m < v.Minor; m++ {
				series = append(series, fmt.Sprintf("%d.%d", v.Major, m))
			}
			add(fmt.Sprintf("%s to %s skips the %s series", from, v, strings.Join(series, ", ")))
		}
		for _, m := range h.Notes.Markers {
			if sm := noRolling.FindStringSubmatch(m); sm != nil {
				if lim, ok := parseLoose(sm[1]); ok && from.Core().Less(lim) {
					add(fmt.Sprintf("%s does not support rolling updates from %s", v, from))
				}
			}
		}
	}
	return len(reasons) > 0, reasons
}

// NeedsDowntime is the package function NeedsDowntime.
func (hs Hops) NeedsDowntime() (bool, []string) { return NeedsDowntime(hs) }

// Requirements is RequirementsOf(hs). (A package function cannot share the name of the
// Requirements type.)
func (hs Hops) Requirements() Requirements { return RequirementsOf(hs) }
