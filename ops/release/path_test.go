package release_test

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/tootops/tootops/ops/release"
)

func TestPathThroughEveryMinorSeries(t *testing.T) {
	all := universe()
	// GitHub lists by creation date; the order must not matter.
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(all), func(i, j int) { all[i], all[j] = all[j], all[i] })

	hops, err := release.Path(all, v("4.3.5"), v("4.6.2"))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range hops {
		got = append(got, h.From.String()+"→"+h.Release.Tag)
	}
	want(t, "hops", got, []string{"v4.3.5→v4.4.9", "v4.4.9→v4.5.20", "v4.5.20→v4.6.2"})
	want(t, "hop 1 skipped", tags(hops[0].Skipped), append(tagRange("4.3", 6, 17), tagRange("4.4", 0, 8)...))
	want(t, "hop 2 skipped", tags(hops[1].Skipped), tagRange("4.5", 0, 19))
	want(t, "hop 3 skipped", tags(hops[2].Skipped), []string{"v4.6.0", "v4.6.1"})
	// The hop's notes are its own, with dependencies inherited where they only say
	// "not changed since".
	want(t, "4.4.9 deps inherited from 4.4.0", hops[0].Notes.Deps["PostgreSQL"], v("13.0.0"))
	want(t, "4.6.2 urgent", hops[2].Notes.Urgent, true)
}

func TestPathWithinASeries(t *testing.T) {
	hops, err := release.Path(universe(), v("4.6.2"), v("4.6.6"))
	if err != nil {
		t.Fatal(err)
	}
	if len(hops) != 1 || hops[0].Release.Tag != "v4.6.6" {
		t.Fatalf("hops = %+v, want one hop to v4.6.6", hops)
	}
	want(t, "skipped", tags(hops[0].Skipped), []string{"v4.6.3", "v4.6.4", "v4.6.5"})
}

func TestPathFromAPrerelease(t *testing.T) {
	all := append(universe(), release.Release{Version: v("4.7.0-rc.1"), Tag: "v4.7.0-rc.1", Prerelease: true})
	hops, err := release.Path(all, v("4.7.0-rc.1"), v("4.7.2"))
	if err != nil {
		t.Fatal(err)
	}
	want(t, "hops", len(hops), 1)
	want(t, "skipped", tags(hops[0].Skipped), []string{"v4.7.0", "v4.7.1"})
}

func TestPathRefusals(t *testing.T) {
	withMajor := append(universe(), release.Release{Version: v("5.0.0"), Tag: "v5.0.0"})
	no44 := slices.DeleteFunc(universe(), func(r release.Release) bool { return r.Version.Series() == "4.4" })
	no450 := slices.DeleteFunc(universe(), func(r release.Release) bool { return r.Tag == "v4.5.0" })
	flaggedOnly := append(universe(), release.Release{Version: v("4.7.3"), Tag: "v4.7.3", Prerelease: true})
	for _, c := range []struct {
		name            string
		all             []release.Release
		current, target string
		kind            error
		msg             string
	}{
		{"unknown target", universe(), "4.6.2", "4.6.9", release.ErrNotFound, "v4.6.9 is not a Mastodon release (it is not among the 66 releases on GitHub)"},
		{"prerelease target", universe(), "4.7.2", "4.8.0-rc.1", release.ErrNotStable, "v4.8.0-rc.1 is a prerelease; the bot only upgrades to stable releases"},
		{"flagged prerelease", flaggedOnly, "4.7.2", "4.7.3", release.ErrNotStable, "v4.7.3 is a prerelease; the bot only upgrades to stable releases"},
		{"draft target", universe(), "4.7.2", "4.8.0", release.ErrNotStable, "v4.8.0 is a draft release, not published yet"},
		{"same version", universe(), "4.6.2", "4.6.2", release.ErrNotNewer, "already on v4.6.2"},
		{"same version, metadata", universe(), "4.6.2+tootops", "4.6.2", release.ErrNotNewer, "already on v4.6.2+tootops"},
		{"older", universe(), "4.6.2", "4.5.20", release.ErrNotNewer, "v4.5.20 is older than v4.6.2: already on v4.6.2, and the bot does not downgrade (only restoring a backup goes back)"},
		{"major", withMajor, "4.7.2", "5.0.0", release.ErrMajor, "v4.7.2 to v5.0.0 crosses a major version (5.0): the bot does not plan major upgrades; read the release notes and upgrade by hand"},
		{"hotfix", universe(), "4.5.20", "4.6.0", release.ErrHotfix, "4.6.0: the release notes advise updating directly to v4.6.1; upgrade to v4.6.1 instead"},
		{"missing series", no44, "4.3.5", "4.5.20", release.ErrMissing, "no stable release of the 4.4 series was found; Mastodon requires deploying one release of every minor series between v4.3.5 and v4.5.20"},
		{"must-read release missing", no450, "4.4.9", "4.5.11", release.ErrMissing, "v4.5.2's notes say to read the v4.5.0 notes, which are not among the releases on GitHub; read them and upgrade by hand"},
		{"glitch-soc", universe(), "4.3.0-alpha.5+glitch", "4.3.5", release.ErrUnsupported, "v4.3.0-alpha.5+glitch is a glitch-soc build; the bot plans upgrades between Mastodon releases only: upgrade by hand"},
	} {
		t.Run(c.name, func(t *testing.T) {
			hops, err := release.Path(c.all, v(c.current), v(c.target))
			if err == nil {
				t.Fatalf("Path succeeded with %d hops, want %q", len(hops), c.msg)
			}
			if err.Error() != c.msg {
				t.Errorf("error:\n got %s\nwant %s", err, c.msg)
			}
			if !errors.Is(err, c.kind) {
				t.Errorf("errors.Is(err, %v) = false", c.kind)
			}
			var safe interface{ Safe() string }
			if !errors.As(err, &safe) || safe.Safe() != c.msg {
				t.Errorf("the error has no Safe() text equal to its message")
			}
		})
	}
}

func TestStable(t *testing.T) {
	got := tags(release.Stable(universe()))
	if slices.Contains(got, "v4.8.0") || slices.Contains(got, "v4.8.0-rc.1") {
		t.Errorf("Stable kept a draft or prerelease: %v", got[:3])
	}
	// By version, newest first, although 4.5.20 was published after 4.6.0.
	want(t, "first", got[:3], []string{"v4.7.2", "v4.7.1", "v4.7.0"})
	i, j := slices.Index(got, "v4.6.0"), slices.Index(got, "v4.5.20")
	if i > j {
		t.Errorf("v4.6.0 at %d after v4.5.20 at %d", i, j)
	}
	dup := append(universe(), find(universe(), "v4.6.6"))
	if got, want := len(release.Stable(dup)), len(release.Stable(universe())); got != want {
		t.Errorf("a repeated release is listed twice: %d, want %d", got, want)
	}
}

func TestNeedsDowntime(t *testing.T) {
	all := universe()
	plan := func(cur, target string) release.Hops {
		hops, err := release.Path(all, v(cur), v(target))
		if err != nil {
			t.Fatal(err)
		}
		return hops
	}
	for _, c := range []struct {
		name    string
		hops    release.Hops
		down    bool
		reasons []string
	}{
		{"patch upgrade", plan("4.6.2", "4.6.6"), false, nil},
		{"minor upgrades one at a time", plan("4.3.5", "4.6.2"), false, nil},
		{"long migrations in a skipped release", plan("4.6.6", "4.7.2"), true, []string{"v4.7.0 requires unusually long database migrations"}},
		{"a hop that skips a series", release.Hops{{From: v("4.3.5"), Release: find(all, "v4.6.2")}}, true, []string{"v4.3.5 to v4.6.2 skips the 4.4, 4.5 series"}},
		{"no rolling update from before 4.2", release.Hops{{From: v("4.1.9"), Release: find(all, "v4.3.0"), Notes: release.ParseNotes(find(all, "v4.3.0").Body)}}, true,
			[]string{"v4.1.9 to v4.3.0 skips the 4.2 series", "v4.3.0 does not support rolling updates from v4.1.9"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			down, reasons := c.hops.NeedsDowntime()
			if down != c.down || !reflect.DeepEqual(reasons, c.reasons) {
				t.Errorf("NeedsDowntime() = %v, %q; want %v, %q", down, reasons, c.down, c.reasons)
			}
			if d2, r2 := release.NeedsDowntime(c.hops); d2 != down || !reflect.DeepEqual(r2, reasons) {
				t.Error("the function and the method disagree")
			}
		})
	}
}
