package backup

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Policy says how many backups retention keeps, grandfather-father-son style, with the
// semantics of restic's forget --keep-daily/--keep-weekly/--keep-monthly: Daily = n keeps
// the newest backup of each of the last n days that have a backup. Days without one do
// not count, so after an outage retention still keeps n dailies, reaching further back.
// Weekly (ISO 8601 weeks, Monday to Sunday) and Monthly work alike.
//
// 0 keeps none of that kind; the newest and the newest verified backup are kept whatever
// the policy says. A negative count keeps all of that kind, as restic's "unlimited" does;
// config validation should reject it, and this way a mistake keeps data rather than losing it.
type Policy struct {
	Daily, Weekly, Monthly int
}

// Candidate is one backup that retention may delete: a dump key accepted by ParseKey,
// the time in its stamp and whether a restore test of it passed (from its manifest).
//
// A dump whose manifest is missing (the run may have failed after the upload) is still a
// backup: it is a Candidate with Verified false, so it is kept or dropped like any other,
// and never protected as the newest verified one.
type Candidate struct {
	Key      string
	Taken    time.Time
	Verified bool
}

// Decision is the outcome of Plan. Keep and Drop are ordered newest first. Reasons maps
// each kept key to why it is kept, in this order: "newest", "newest verified", then
// "daily 2026-11-24", "weekly 2026-W48" and "monthly 2026-11" (periods in the admin's zone).
// A backup kept for several reasons is kept once and has them all.
type Decision struct {
	Keep, Drop []Candidate
	Reasons    map[string][]string
}

// A retentionRule is one kind of period in a Policy.
type retentionRule struct {
	name   string
	count  func(Policy) int
	period func(time.Time) string
}

var retentionRules = []retentionRule{
	{"daily", func(p Policy) int { return p.Daily }, func(t time.Time) string { return t.Format("2006-01-02") }},
	{"weekly", func(p Policy) int { return p.Weekly }, func(t time.Time) string {
		y, w := t.ISOWeek()
		return fmt.Sprintf("%04d-W%02d", y, w)
	}},
	{"monthly", func(p Policy) int { return p.Monthly }, func(t time.Time) string { return t.Format("2006-01") }},
}

// Plan decides which backups to keep under p; days, ISO weeks and months are those of loc,
// the admin's zone (nil means UTC). It is pure and deterministic: the order of c does not
// matter, ties in Taken are broken by Key, and c is not modified.
//
// Each kind of period is applied on its own, as in restic: walking from the newest backup
// back, the first backup met in a period is the newest of that period and is kept, until
// the count of that kind is used up. So one backup can be both the daily and the weekly
// one, and len(Keep) ≤ Daily+Weekly+Monthly+2 (the newest and newest verified on top).
//
// Keys are expected to be unique; should one appear twice, both are kept if either is,
// so Drop never names a key that is also kept.
func Plan(c []Candidate, p Policy, loc *time.Location) Decision {
	if loc == nil {
		loc = time.UTC
	}
	sorted := slices.Clone(c)
	slices.SortStableFunc(sorted, func(a, b Candidate) int {
		if n := b.Taken.Compare(a.Taken); n != 0 {
			return n
		}
		return strings.Compare(b.Key, a.Key)
	})

	reasons := make(map[string][]string)
	keep := func(c Candidate, why string) { reasons[c.Key] = append(reasons[c.Key], why) }
	if len(sorted) > 0 {
		keep(sorted[0], "newest")
	}
	if i := slices.IndexFunc(sorted, func(c Candidate) bool { return c.Verified }); i >= 0 {
		keep(sorted[i], "newest verified")
	}
	for _, r := range retentionRules {
		left := r.count(p)
		// A set rather than "differs from the previous one": where a zone turns its clocks
		// back across midnight, local dates are not monotonic in time.
		seen := make(map[string]bool)
		for _, b := range sorted {
			if left == 0 {
				break
			}
			per := r.period(b.Taken.In(loc))
			if seen[per] {
				continue
			}
			seen[per] = true
			keep(b, r.name+" "+per)
			left-- // a negative count never reaches 0: unlimited
		}
	}

	d := Decision{Reasons: reasons}
	for _, b := range sorted {
		if _, ok := reasons[b.Key]; ok {
			d.Keep = append(d.Keep, b)
		} else {
			d.Drop = append(d.Drop, b)
		}
	}
	return d
}

// Summary is a one-line account for the admin, e.g.
// "kept 23, deleting 2 (oldest 2026-08-01 03:00Z)", where oldest is the oldest backup deleted.
func (d Decision) Summary() string {
	if len(d.Drop) == 0 {
		return fmt.Sprintf("kept %d, deleting none", len(d.Keep))
	}
	oldest := d.Drop[0].Taken
	for _, b := range d.Drop[1:] {
		if b.Taken.Before(oldest) {
			oldest = b.Taken
		}
	}
	return fmt.Sprintf("kept %d, deleting %d (oldest %s)", len(d.Keep), len(d.Drop), oldest.UTC().Format("2006-01-02 15:04Z"))
}

// DeleteKeys returns the objects to delete for d: each dropped dump, then its manifest.
// The manifest is listed even if it was never written; deleting a missing key succeeds
// on S3. The dump goes first so that an interrupted run leaves at worst an orphan
// manifest, which the next run removes (see OrphanManifests), never a dump that has lost
// its verified mark.
func (d Decision) DeleteKeys() []string {
	keys := make([]string, 0, 2*len(d.Drop))
	for _, b := range d.Drop {
		keys = append(keys, b.Key, ManifestKey(b.Key))
	}
	return keys
}

// OrphanManifests returns, sorted, the keys in listed that are manifests of a dump of db
// (ManifestKey of a key ParseKey accepts) whose dump is not in listed. They are left over
// from an interrupted deletion and are deleted too. listed is what was found under
// ListPrefix; other keys in it are ignored, and a dump without a manifest is not an
// orphan but a backup (see Candidate).
//
// The uploader must write the dump before its manifest, or a backup in progress would
// look like an orphan.
func OrphanManifests(prefix, db string, listed []string) []string {
	dumps := make(map[string]bool)
	for _, k := range listed {
		if _, ok := ParseKey(prefix, db, k); ok {
			dumps[k] = true
		}
	}
	var orphans []string
	for _, k := range listed {
		dump, ok := strings.CutSuffix(k, keyManifestExt)
		if !ok || dumps[dump] {
			continue
		}
		if _, ok := ParseKey(prefix, db, dump); ok {
			orphans = append(orphans, k)
		}
	}
	slices.Sort(orphans)
	return slices.Compact(orphans)
}
