package release

import "time"

// CheckUpdates is the scheduled "is there something to install" check. newest is the
// newest stable release above current (the zero Release when current is the newest);
// urgent are the stable releases above current whose notes announce a security fix,
// newest first.
//
// A security release of another series counts only if current's own series had no
// release on or after that day: upstream publishes the fix on every maintained branch
// at once (v4.7.4, v4.5.20 and v4.4.27 on the same day), so such a release means
// current's branch is out of support or the fix did not reach it.
func CheckUpdates(current Version, all []Release) (newest Release, urgent []Release) {
	stable := Stable(all)
	var newer []Release
	for _, r := range stable {
		if r.Version.Compare(current) > 0 {
			newer = append(newer, r)
		}
	}
	if len(newer) == 0 {
		return Release{}, nil
	}
	for _, r := range newer {
		n := ParseNotes(r.Body)
		if !n.Security && !n.Urgent {
			continue
		}
		if sameSeries(r.Version, current) || !patchedSameDay(current, r, newer) {
			urgent = append(urgent, r)
		}
	}
	return newer[0], urgent
}

// patchedSameDay reports whether current's series has a release newer than current,
// published on the day of r or later.
func patchedSameDay(current Version, r Release, newer []Release) bool {
	if r.Published.IsZero() {
		return false
	}
	day := r.Published.UTC().Truncate(24 * time.Hour)
	for _, s := range newer {
		if sameSeries(s.Version, current) && !s.Published.UTC().Before(day) {
			return true
		}
	}
	return false
}
