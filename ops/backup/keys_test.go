package backup_test

import (
	"math/rand/v2"
	"strings"
	"testing"
	"time"
	_ "time/tzdata" // Europe/Berlin and friends even where the system has no zoneinfo

	"github.com/tootops/tootops/ops/backup"
)

func keysZone(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestKey(t *testing.T) {
	berlin := keysZone(t, "Europe/Berlin")
	tests := []struct {
		prefix, db string
		t          time.Time
		want       string
	}{
		{"backups", "mastodon", time.Date(2026, 11, 24, 3, 15, 0, 0, time.UTC),
			"backups/mastodon/2026/11/mastodon-20261124T031500Z.dump"},
		{"", "mastodon", time.Date(2026, 11, 24, 3, 15, 0, 0, time.UTC),
			"mastodon/2026/11/mastodon-20261124T031500Z.dump"},
		{"/", "mastodon", time.Date(2026, 11, 24, 3, 15, 0, 0, time.UTC),
			"mastodon/2026/11/mastodon-20261124T031500Z.dump"},
		{"//a/b//", "mastodon_prod", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
			"a/b/mastodon_prod/2026/01/mastodon_prod-20260102T030405Z.dump"},
		// Converted to UTC and truncated to the second.
		{"backups/", "mastodon", time.Date(2026, 11, 24, 4, 15, 0, 999_999_999, berlin),
			"backups/mastodon/2026/11/mastodon-20261124T031500Z.dump"},
		// Folders follow the UTC stamp: 1 December in Berlin is still November in UTC.
		{"backups", "mastodon-prod", time.Date(2026, 12, 1, 0, 30, 0, 0, berlin),
			"backups/mastodon-prod/2026/11/mastodon-prod-20261130T233000Z.dump"},
	}
	for _, tt := range tests {
		if got := backup.Key(tt.prefix, tt.db, tt.t); got != tt.want {
			t.Errorf("Key(%q, %q, %v) = %q, want %q", tt.prefix, tt.db, tt.t, got, tt.want)
		}
	}
}

func TestManifestKeyAndListPrefix(t *testing.T) {
	k := "backups/mastodon/2026/11/mastodon-20261124T031500Z.dump"
	if got, want := backup.ManifestKey(k), k+".json"; got != want {
		t.Errorf("ManifestKey = %q, want %q", got, want)
	}
	for _, tt := range []struct{ prefix, db, want string }{
		{"backups", "mastodon", "backups/mastodon/"},
		{"/backups/", "mastodon", "backups/mastodon/"},
		{"", "mastodon", "mastodon/"},
		{"///", "mastodon", "mastodon/"},
		{"a/b", "db", "a/b/db/"},
	} {
		if got := backup.ListPrefix(tt.prefix, tt.db); got != tt.want {
			t.Errorf("ListPrefix(%q, %q) = %q, want %q", tt.prefix, tt.db, got, tt.want)
		}
		// Everything Key writes is under ListPrefix.
		if k := backup.Key(tt.prefix, tt.db, time.Now()); !strings.HasPrefix(k, tt.want) {
			t.Errorf("Key %q is not under ListPrefix %q", k, tt.want)
		}
	}
}

func TestParseKeyAccepts(t *testing.T) {
	want := time.Date(2026, 11, 24, 3, 15, 0, 0, time.UTC)
	for _, tt := range []struct{ prefix, db, key string }{
		{"backups", "mastodon", "backups/mastodon/2026/11/mastodon-20261124T031500Z.dump"},
		{"/backups/", "mastodon", "backups/mastodon/2026/11/mastodon-20261124T031500Z.dump"},
		{"", "mastodon", "mastodon/2026/11/mastodon-20261124T031500Z.dump"},
		{"a/b", "mastodon-prod", "a/b/mastodon-prod/2026/11/mastodon-prod-20261124T031500Z.dump"},
		{"a/b", "m_2", "a/b/m_2/2026/11/m_2-20261124T031500Z.dump"},
	} {
		got, ok := backup.ParseKey(tt.prefix, tt.db, tt.key)
		if !ok || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseKey(%q, %q, %q) = %v, %v; want %v, true", tt.prefix, tt.db, tt.key, got, ok, want)
		}
	}
}

func TestParseKeyRejects(t *testing.T) {
	const prefix, db = "backups", "mastodon"
	for _, key := range []string{
		"",
		"backups/mastodon/",
		"backups/mastodon/notes.txt",
		"backups/mastodon/2026/11/notes.txt",
		// manifests are not dumps
		"backups/mastodon/2026/11/mastodon-20261124T031500Z.dump.json",
		// other databases, including ones whose name extends ours
		"backups/mastodon/2026/11/other-20261124T031500Z.dump",
		"backups/mastodon/2026/11/mastodon-prod-20261124T031500Z.dump",
		"backups/mastodon/2026/11/mastodonx20261124T031500Z.dump",
		"backups/mastodon2/2026/11/mastodon2-20261124T031500Z.dump",
		"backups/mastodon2/2026/11/mastodon-20261124T031500Z.dump",
		"backups/MASTODON/2026/11/MASTODON-20261124T031500Z.dump",
		"backups/mastodon/2026/11/MASTODON-20261124T031500Z.dump",
		// other prefixes
		"mastodon/2026/11/mastodon-20261124T031500Z.dump",
		"other/mastodon/2026/11/mastodon-20261124T031500Z.dump",
		"x/backups/mastodon/2026/11/mastodon-20261124T031500Z.dump",
		"/backups/mastodon/2026/11/mastodon-20261124T031500Z.dump",
		"backups//mastodon/2026/11/mastodon-20261124T031500Z.dump",
		"backups/mastodon//2026/11/mastodon-20261124T031500Z.dump",
		" backups/mastodon/2026/11/mastodon-20261124T031500Z.dump",
		// other stamp formats
		"backups/mastodon/2026/11/mastodon-2026-11-24T03:15:00Z.dump",
		"backups/mastodon/2026/11/mastodon-20261124T0315Z.dump",
		"backups/mastodon/2026/11/mastodon-20261124T031500.dump",
		"backups/mastodon/2026/11/mastodon-20261124T031500.000Z.dump",
		"backups/mastodon/2026/11/mastodon-20261124t031500z.dump",
		"backups/mastodon/2026/11/mastodon-20261124 031500Z.dump",
		"backups/mastodon/2026/11/mastodon-1795922100.dump",
		"backups/mastodon/2026/11/mastodon-+0261124T031500Z.dump",
		"backups/mastodon/2026/11/mastodon-20261124T031500+0000.dump",
		// impossible times
		"backups/mastodon/2026/13/mastodon-20261324T031500Z.dump",
		"backups/mastodon/2026/11/mastodon-20261131T031500Z.dump",
		"backups/mastodon/2026/11/mastodon-20261124T241500Z.dump",
		"backups/mastodon/2026/11/mastodon-20261124T236000Z.dump",
		"backups/mastodon/2026/11/mastodon-20261124T235960Z.dump",
		// folders that do not match the stamp
		"backups/mastodon/2026/10/mastodon-20261124T031500Z.dump",
		"backups/mastodon/2025/11/mastodon-20261124T031500Z.dump",
		"backups/mastodon/2026/mastodon-20261124T031500Z.dump",
		"backups/mastodon/mastodon-20261124T031500Z.dump",
		"backups/mastodon/2026/11/x/mastodon-20261124T031500Z.dump",
		"backups/mastodon/2026/1/mastodon-20261124T031500Z.dump",
		// other extensions
		"backups/mastodon/2026/11/mastodon-20261124T031500Z.dump.gz",
		"backups/mastodon/2026/11/mastodon-20261124T031500Z.sql",
		"backups/mastodon/2026/11/mastodon-20261124T031500Z",
		"backups/mastodon/2026/11/mastodon-20261124T031500Z.dump/",
	} {
		if got, ok := backup.ParseKey(prefix, db, key); ok {
			t.Errorf("ParseKey(%q, %q, %q) = %v, true; want false", prefix, db, key, got)
		}
	}
	// An empty db name claims nothing, not even what Key writes for it.
	k := backup.Key(prefix, "", time.Date(2026, 11, 24, 3, 15, 0, 0, time.UTC))
	if _, ok := backup.ParseKey(prefix, "", k); ok {
		t.Errorf("ParseKey(%q, \"\", %q) = true; want false", prefix, k)
	}
}

func TestKeyRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	prefixes := []string{"", "backups", "/backups/", "a/b/c", "tootops backups"}
	dbs := []string{"mastodon", "mastodon-prod", "m_2", "x", "db.with.dots", "a/b", "ünï"}
	lo := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).Unix()
	hi := time.Date(9999, 12, 31, 23, 59, 59, 0, time.UTC).Unix()
	for range 10_000 {
		prefix, db := prefixes[r.IntN(len(prefixes))], dbs[r.IntN(len(dbs))]
		in := time.Unix(lo+r.Int64N(hi-lo+1), r.Int64N(1e9))
		key := backup.Key(prefix, db, in)
		got, ok := backup.ParseKey(prefix, db, key)
		if want := in.Truncate(time.Second); !ok || !got.Equal(want) {
			t.Fatalf("ParseKey(Key(%q, %q, %v)) = %v, %v; want %v, true", prefix, db, in, got, ok, want)
		}
		if again := backup.Key(prefix, db, got); again != key {
			t.Fatalf("Key(ParseKey(%q)) = %q", key, again)
		}
		// A manifest is never taken for a dump.
		if _, ok := backup.ParseKey(prefix, db, backup.ManifestKey(key)); ok {
			t.Fatalf("ParseKey accepted manifest %q", backup.ManifestKey(key))
		}
	}
}

// Stamps sort as strings in time order, so a listing sorted by key is sorted by time.
func TestKeyStampsSort(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 10_000 {
		a := time.Unix(r.Int64N(1<<37), 0)
		b := time.Unix(r.Int64N(1<<37), 0)
		ka, kb := backup.Key("p", "db", a), backup.Key("p", "db", b)
		if got, want := strings.Compare(ka, kb), a.Compare(b); got != want {
			t.Fatalf("compare(%q, %q) = %d, times compare %d", ka, kb, got, want)
		}
	}
}

func FuzzParseKey(f *testing.F) {
	ts := time.Date(2026, 11, 24, 3, 15, 0, 0, time.UTC)
	for _, s := range []struct{ prefix, db string }{
		{"backups", "mastodon"}, {"", "mastodon"}, {"/a/b/", "mastodon-prod"}, {"x", "a/b"},
	} {
		k := backup.Key(s.prefix, s.db, ts)
		f.Add(s.prefix, s.db, k)
		f.Add(s.prefix, s.db, backup.ManifestKey(k))
		f.Add(s.prefix, s.db+"x", k)
	}
	f.Add("backups", "mastodon", "backups/mastodon/2026/10/mastodon-20261124T031500Z.dump")
	f.Add("backups", "mastodon", "backups/mastodon/2026/11/mastodon-+0261124T031500Z.dump")
	f.Add("", "", "/2026/11/-20261124T031500Z.dump")
	f.Fuzz(func(t *testing.T, prefix, db, key string) {
		got, ok := backup.ParseKey(prefix, db, key)
		if !ok {
			return
		}
		if again := backup.Key(prefix, db, got); again != key {
			t.Fatalf("ParseKey(%q, %q, %q) = %v, but Key gives %q", prefix, db, key, got, again)
		}
		if got.Location() != time.UTC || got.Nanosecond() != 0 {
			t.Fatalf("ParseKey(%q, %q, %q) = %v, want UTC whole seconds", prefix, db, key, got)
		}
	})
}
