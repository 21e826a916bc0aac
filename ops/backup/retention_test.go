package backup_test

import (
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/ops/backup"
)

const planStamp = "2006-01-02 15:04" // how the tables below write a backup's time, in UTC

func planTime(t testing.TB, s string) time.Time {
	t.Helper()
	ts, err := time.Parse(planStamp, s)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// candidates turns times (UTC, planStamp) into candidates of one database; those in
// verified are Verified.
func planCandidates(t testing.TB, taken []string, verified ...string) []backup.Candidate {
	t.Helper()
	var cs []backup.Candidate
	for _, s := range taken {
		ts := planTime(t, s)
		cs = append(cs, backup.Candidate{Key: backup.Key("b", "db", ts), Taken: ts, Verified: slices.Contains(verified, s)})
	}
	return cs
}

func TestPlan(t *testing.T) {
	berlin := keysZone(t, "Europe/Berlin")
	all := backup.Policy{Daily: 7, Weekly: 4, Monthly: 6}
	tests := []struct {
		name     string
		taken    []string
		verified []string
		policy   backup.Policy
		loc      *time.Location
		want     map[string][]string // kept backup (planStamp) → reasons; the rest are dropped
	}{{
		name:   "empty",
		policy: all,
		want:   map[string][]string{},
	}, {
		name:   "one backup",
		taken:  []string{"2026-11-24 03:00"},
		policy: all,
		want: map[string][]string{
			"2026-11-24 03:00": {"newest", "daily 2026-11-24", "weekly 2026-W48", "monthly 2026-11"},
		},
	}, {
		name:   "several per day: the newest of each day is the daily one",
		taken:  []string{"2026-11-22 03:00", "2026-11-23 03:00", "2026-11-23 15:00", "2026-11-24 03:00", "2026-11-24 15:00", "2026-11-24 09:00"},
		policy: backup.Policy{Daily: 2},
		want: map[string][]string{
			"2026-11-24 15:00": {"newest", "daily 2026-11-24"},
			"2026-11-23 15:00": {"daily 2026-11-23"},
		},
	}, {
		// Restic semantics: the last n days that HAVE a backup, not the last n calendar
		// days. After a 10-day outage retention still keeps 3 dailies, not just today's.
		name:   "gaps: days without a backup do not count",
		taken:  []string{"2026-11-01 03:00", "2026-11-10 03:00", "2026-11-20 03:00", "2026-11-24 03:00"},
		policy: backup.Policy{Daily: 3},
		want: map[string][]string{
			"2026-11-24 03:00": {"newest", "daily 2026-11-24"},
			"2026-11-20 03:00": {"daily 2026-11-20"},
			"2026-11-10 03:00": {"daily 2026-11-10"},
		},
	}, {
		// 2026 has 53 ISO weeks: Mon 2026-12-28 to Sun 2027-01-03 is 2026-W53, so
		// 2026-12-31 and 2027-01-01 share a week; 2027-W01 starts Mon 2027-01-04.
		name:   "weekly across the ISO year boundary",
		taken:  []string{"2026-12-20 03:00", "2026-12-27 03:00", "2026-12-28 03:00", "2026-12-31 03:00", "2027-01-01 03:00", "2027-01-04 03:00"},
		policy: backup.Policy{Weekly: 3},
		want: map[string][]string{
			"2027-01-04 03:00": {"newest", "weekly 2027-W01"},
			"2027-01-01 03:00": {"weekly 2026-W53"},
			"2026-12-27 03:00": {"weekly 2026-W52"},
		},
	}, {
		name:   "monthly",
		taken:  []string{"2026-08-01 03:00", "2026-09-30 03:00", "2026-10-15 03:00", "2026-10-31 03:00", "2026-11-01 03:00", "2026-11-24 03:00"},
		policy: backup.Policy{Monthly: 3},
		want: map[string][]string{
			"2026-11-24 03:00": {"newest", "monthly 2026-11"},
			"2026-10-31 03:00": {"monthly 2026-10"},
			"2026-09-30 03:00": {"monthly 2026-09"},
		},
	}, {
		name:   "monthly across the year boundary",
		taken:  []string{"2026-11-30 03:00", "2026-12-31 03:00", "2027-01-01 03:00", "2027-01-02 03:00"},
		policy: backup.Policy{Monthly: 2},
		want: map[string][]string{
			"2027-01-02 03:00": {"newest", "monthly 2027-01"},
			"2026-12-31 03:00": {"monthly 2026-12"},
		},
	}, {
		// 2026-11-23 is a Monday: 11-22 is the newest of 2026-W47.
		name:   "overlap: one backup kept for several reasons is kept once",
		taken:  []string{"2026-10-31 03:00", "2026-11-21 03:00", "2026-11-22 03:00", "2026-11-23 03:00", "2026-11-24 03:00"},
		policy: backup.Policy{Daily: 2, Weekly: 2, Monthly: 2},
		want: map[string][]string{
			"2026-11-24 03:00": {"newest", "daily 2026-11-24", "weekly 2026-W48", "monthly 2026-11"},
			"2026-11-23 03:00": {"daily 2026-11-23"},
			"2026-11-22 03:00": {"weekly 2026-W47"},
			"2026-10-31 03:00": {"monthly 2026-10"},
		},
	}, {
		name:     "newest verified older than everything the policy keeps",
		taken:    []string{"2026-09-01 03:00", "2026-10-01 03:00", "2026-11-22 03:00", "2026-11-23 03:00", "2026-11-24 03:00"},
		verified: []string{"2026-09-01 03:00", "2026-10-01 03:00"},
		policy:   backup.Policy{Daily: 2},
		want: map[string][]string{
			"2026-11-24 03:00": {"newest", "daily 2026-11-24"},
			"2026-11-23 03:00": {"daily 2026-11-23"},
			"2026-10-01 03:00": {"newest verified"}, // only the newest verified is protected
		},
	}, {
		name:     "all zeros: only the newest and the newest verified",
		taken:    []string{"2026-11-22 03:00", "2026-11-23 03:00", "2026-11-24 03:00"},
		verified: []string{"2026-11-22 03:00", "2026-11-23 03:00"},
		want: map[string][]string{
			"2026-11-24 03:00": {"newest"},
			"2026-11-23 03:00": {"newest verified"},
		},
	}, {
		name:     "all zeros, newest is verified",
		taken:    []string{"2026-11-22 03:00", "2026-11-23 03:00", "2026-11-24 03:00"},
		verified: []string{"2026-11-22 03:00", "2026-11-24 03:00"},
		want: map[string][]string{
			"2026-11-24 03:00": {"newest", "newest verified"},
		},
	}, {
		name:   "negative count keeps all of that kind",
		taken:  []string{"2026-01-01 03:00", "2026-06-01 03:00", "2026-11-24 03:00", "2026-11-24 04:00"},
		policy: backup.Policy{Monthly: -1},
		want: map[string][]string{
			"2026-11-24 04:00": {"newest", "monthly 2026-11"},
			"2026-06-01 03:00": {"monthly 2026-06"},
			"2026-01-01 03:00": {"monthly 2026-01"},
		},
	}, {
		// 23:30 UTC on the 23rd is 00:30 on the 24th in Berlin.
		name:   "time zone: Europe/Berlin",
		taken:  []string{"2026-11-23 03:00", "2026-11-23 23:30", "2026-11-24 03:00"},
		policy: backup.Policy{Daily: 2},
		loc:    berlin,
		want: map[string][]string{
			"2026-11-24 03:00": {"newest", "daily 2026-11-24"},
			"2026-11-23 03:00": {"daily 2026-11-23"},
		},
	}, {
		name:   "time zone: the same backups in UTC",
		taken:  []string{"2026-11-23 03:00", "2026-11-23 23:30", "2026-11-24 03:00"},
		policy: backup.Policy{Daily: 2},
		loc:    time.UTC,
		want: map[string][]string{
			"2026-11-24 03:00": {"newest", "daily 2026-11-24"},
			"2026-11-23 23:30": {"daily 2026-11-23"},
		},
	}, {
		// 2026-10-31 23:30 UTC is already November in Berlin (CET since 10-25), and
		// Sunday 2026-11-22 23:30 UTC is Monday, 2026-W48, there.
		name:   "time zone: months and weeks in Europe/Berlin",
		taken:  []string{"2026-10-30 03:00", "2026-10-31 23:30", "2026-11-01 03:00", "2026-11-22 03:00", "2026-11-22 23:30", "2026-11-24 03:00"},
		policy: backup.Policy{Weekly: 2, Monthly: 2},
		loc:    berlin,
		want: map[string][]string{
			"2026-11-24 03:00": {"newest", "weekly 2026-W48", "monthly 2026-11"},
			"2026-11-22 03:00": {"weekly 2026-W47"},
			"2026-10-30 03:00": {"monthly 2026-10"},
		},
	}, {
		// Sitka's clocks went back a whole day in 1867 (Alaska became American), so
		// walking back in time the local dates read 10-19, 10-18, 10-19: a period can
		// come round again and must still give one backup only.
		name:   "time zone: local dates that are not monotonic",
		taken:  []string{"1867-10-16 12:00", "1867-10-19 00:30", "1867-10-19 02:00", "1867-10-19 10:00"},
		policy: backup.Policy{Daily: 3},
		loc:    keysZone(t, "America/Sitka"),
		want: map[string][]string{
			"1867-10-19 10:00": {"newest", "daily 1867-10-19"},
			"1867-10-19 02:00": {"daily 1867-10-18"},
			"1867-10-16 12:00": {"daily 1867-10-17"},
		},
	}, {
		name:   "nil location is UTC",
		taken:  []string{"2026-11-23 03:00", "2026-11-23 23:30", "2026-11-24 03:00"},
		policy: backup.Policy{Daily: 2},
		want: map[string][]string{
			"2026-11-24 03:00": {"newest", "daily 2026-11-24"},
			"2026-11-23 23:30": {"daily 2026-11-23"},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := planCandidates(t, tt.taken, tt.verified...)
			d := backup.Plan(in, tt.policy, tt.loc)

			got := make(map[string][]string)
			for _, c := range d.Keep {
				got[c.Taken.Format(planStamp)] = d.Reasons[c.Key]
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("kept:\n%s\nwant:\n%s", planReasonsText(got), planReasonsText(tt.want))
			}
			var wantDrop []string
			for _, s := range tt.taken {
				if _, ok := tt.want[s]; !ok {
					wantDrop = append(wantDrop, s)
				}
			}
			slices.Sort(wantDrop)
			slices.Reverse(wantDrop) // Drop is newest first
			var gotDrop []string
			for _, c := range d.Drop {
				gotDrop = append(gotDrop, c.Taken.Format(planStamp))
			}
			if !slices.Equal(gotDrop, wantDrop) {
				t.Errorf("dropped %q, want %q", gotDrop, wantDrop)
			}
			if len(d.Reasons) != len(d.Keep) {
				t.Errorf("%d reasons for %d kept", len(d.Reasons), len(d.Keep))
			}
		})
	}
}

func planReasonsText(m map[string][]string) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		b.WriteString("  " + k + ": " + strings.Join(m[k], ", ") + "\n")
	}
	return b.String()
}

// TestPlanProperties checks, over random sets of backups, policies and zones, what
// must hold for any input.
func TestPlanProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	zones := []*time.Location{
		time.UTC,
		keysZone(t, "Europe/Berlin"),
		keysZone(t, "Pacific/Auckland"),
		keysZone(t, "America/St_Johns"),
		keysZone(t, "America/Sao_Paulo"), // used to turn clocks back across midnight
	}
	base := time.Date(2010, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	for i := range 2000 {
		p := backup.Policy{Daily: r.IntN(10), Weekly: r.IntN(6), Monthly: r.IntN(8)}
		loc := zones[r.IntN(len(zones))]
		span := int64(1 + r.IntN(3*365*86400)) // up to three years of backups
		var in []backup.Candidate
		seen := make(map[string]bool)
		for range r.IntN(80) {
			ts := time.Unix(base+r.Int64N(span), 0).UTC()
			k := backup.Key("b", "db", ts)
			if seen[k] {
				continue
			}
			seen[k] = true
			in = append(in, backup.Candidate{Key: k, Taken: ts, Verified: r.IntN(8) == 0})
		}
		orig := slices.Clone(in)
		d := backup.Plan(in, p, loc)
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("case %d (policy %+v, %s, %d backups): "+format, append([]any{i, p, loc, len(in)}, args...)...)
		}

		if !slices.Equal(in, orig) {
			fail("Plan modified its input")
		}
		// Keep ∪ Drop = input, disjoint.
		var out []string
		kept := make(map[string]bool)
		for _, c := range d.Keep {
			out = append(out, c.Key)
			kept[c.Key] = true
		}
		for _, c := range d.Drop {
			out = append(out, c.Key)
			if kept[c.Key] {
				fail("%s both kept and dropped", c.Key)
			}
		}
		var inKeys []string
		for _, c := range in {
			inKeys = append(inKeys, c.Key)
		}
		slices.Sort(out)
		slices.Sort(inKeys)
		if !slices.Equal(out, inKeys) {
			fail("Keep ∪ Drop = %d keys, input %d", len(out), len(inKeys))
		}
		if n, limit := len(d.Keep), p.Daily+p.Weekly+p.Monthly+2; n > limit {
			fail("kept %d > %d", n, limit)
		}
		if !slices.Equal(slices.Sorted(maps.Keys(d.Reasons)), slices.Sorted(maps.Keys(kept))) {
			fail("Reasons keys differ from kept keys")
		}
		if len(in) == 0 {
			continue
		}

		newest, newestVerified := in[0], backup.Candidate{}
		for _, c := range in {
			if c.Taken.After(newest.Taken) {
				newest = c
			}
			if c.Verified && c.Taken.After(newestVerified.Taken) {
				newestVerified = c
			}
		}
		if !slices.Contains(d.Reasons[newest.Key], "newest") {
			fail("newest %s not kept as newest", newest.Key)
		}
		if newestVerified.Verified && !slices.Contains(d.Reasons[newestVerified.Key], "newest verified") {
			fail("newest verified %s not kept", newestVerified.Key)
		}

		// Restic semantics: each kind keeps min(n, periods with a backup) backups, each
		// the newest of its period.
		for _, kind := range []struct {
			name   string
			n      int
			period func(time.Time) string
		}{
			{"daily", p.Daily, func(t time.Time) string { return t.Format("2006-01-02") }},
			{"monthly", p.Monthly, func(t time.Time) string { return t.Format("2006-01") }},
		} {
			newestIn := make(map[string]backup.Candidate)
			for _, c := range in {
				per := kind.period(c.Taken.In(loc))
				if b, ok := newestIn[per]; !ok || c.Taken.After(b.Taken) {
					newestIn[per] = c
				}
			}
			var got int
			for key, reasons := range d.Reasons {
				for _, why := range reasons {
					per, ok := strings.CutPrefix(why, kind.name+" ")
					if !ok {
						continue
					}
					got++
					if newestIn[per].Key != key {
						fail("%s kept as %q, but the newest of that period is %s", key, why, newestIn[per].Key)
					}
				}
			}
			if want := min(kind.n, len(newestIn)); got != want {
				fail("%d %s reasons, want %d", got, kind.name, want)
			}
		}

		// Deterministic: the order of the input does not matter.
		shuffled := slices.Clone(in)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if again := backup.Plan(shuffled, p, loc); !reflect.DeepEqual(again, d) {
			fail("Plan depends on the order of its input")
		}
	}
}

func TestPlanDuplicateKeyNeverDropped(t *testing.T) {
	ts := planTime(t, "2026-11-24 03:00")
	c := backup.Candidate{Key: backup.Key("b", "db", ts), Taken: ts}
	d := backup.Plan([]backup.Candidate{c, c}, backup.Policy{}, time.UTC)
	if len(d.Keep) != 2 || len(d.Drop) != 0 {
		t.Errorf("kept %d, dropped %d; want 2, 0", len(d.Keep), len(d.Drop))
	}
}

func TestRetentionSummary(t *testing.T) {
	in := planCandidates(t, []string{"2026-08-01 03:00", "2026-08-02 03:00", "2026-11-23 03:00", "2026-11-24 03:00"})
	d := backup.Plan(in, backup.Policy{Daily: 2}, time.UTC)
	if got, want := d.Summary(), "kept 2, deleting 2 (oldest 2026-08-01 03:00Z)"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	d = backup.Plan(in[3:], backup.Policy{}, time.UTC)
	if got, want := d.Summary(), "kept 1, deleting none"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
	if got, want := (backup.Decision{}).Summary(), "kept 0, deleting none"; got != want {
		t.Errorf("Summary() = %q, want %q", got, want)
	}
}

func TestRetentionDeleteKeys(t *testing.T) {
	in := planCandidates(t, []string{"2026-11-22 03:00", "2026-11-23 03:00", "2026-11-24 03:00"})
	got := backup.Plan(in, backup.Policy{}, time.UTC).DeleteKeys()
	want := []string{
		"b/db/2026/11/db-20261123T030000Z.dump", "b/db/2026/11/db-20261123T030000Z.dump.json",
		"b/db/2026/11/db-20261122T030000Z.dump", "b/db/2026/11/db-20261122T030000Z.dump.json",
	}
	if !slices.Equal(got, want) {
		t.Errorf("DeleteKeys() = %q, want %q", got, want)
	}
}

func TestRetentionOrphanManifests(t *testing.T) {
	listed := []string{
		"b/db/notes.txt",
		"b/db/2026/11/db-20261124T030000Z.dump",
		"b/db/2026/11/db-20261124T030000Z.dump.json", // has its dump
		"b/db/2026/11/db-20261123T030000Z.dump",      // no manifest: a backup, not an orphan
		"b/db/2026/11/db-20261122T030000Z.dump.json", // orphan
		"b/db/2026/10/db-20261031T030000Z.dump.json", // orphan
		"b/db/2026/11/other-20261121T030000Z.dump.json",
		"b/db/2026/10/db-20261121T030000Z.dump.json", // wrong folder: not ours
		"b/db/2026/11/db-2026-11-21.dump.json",
		"b/db/2026/11/notes.json",
		"b/db2/2026/11/db2-20261121T030000Z.dump.json",
	}
	got := backup.OrphanManifests("b", "db", listed)
	want := []string{
		"b/db/2026/10/db-20261031T030000Z.dump.json",
		"b/db/2026/11/db-20261122T030000Z.dump.json",
	}
	if !slices.Equal(got, want) {
		t.Errorf("OrphanManifests() = %q, want %q", got, want)
	}
}
