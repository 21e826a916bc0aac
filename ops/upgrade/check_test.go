package upgrade_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/ops/release"
	"github.com/tootops/tootops/ops/upgrade"
	"github.com/tootops/tootops/state"
)

// TestNewsTellsEachReleaseOnce: the scheduled check speaks about a release once, marks a
// security release URGENT, and stays quiet when nothing is newer.
func TestNewsTellsEachReleaseOnce(t *testing.T) {
	st, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u := upgrade.New(upgrade.Options{Store: st})
	rel := func(v string, body string) release.Release {
		return release.Release{Version: release.MustParseVersion(v), Tag: v, Body: body, URL: "https://github.com/mastodon/mastodon/releases/tag/" + v, Published: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)}
	}
	c := &upgrade.Check{Running: release.MustParseVersion("v4.5.0"), Newest: rel("v4.5.1", "")}
	if got, err := u.News(c); err != nil || !strings.HasPrefix(got, "New Mastodon release: running v4.5.0; newest v4.5.1") {
		t.Errorf("first news = %q, %v", got, err)
	}
	if got, _ := u.News(c); got != "" {
		t.Errorf("told twice: %q", got)
	}
	sec := rel("v4.5.2", "This release is an important security release. It is critical to update.")
	c = &upgrade.Check{Running: release.MustParseVersion("v4.5.0"), Newest: sec, Urgent: []release.Release{sec}}
	if got, _ := u.News(c); !strings.HasPrefix(got, "URGENT — security release: ") || !strings.Contains(got, "SECURITY: v4.5.2") {
		t.Errorf("security news = %q", got)
	}
	if got, _ := u.News(&upgrade.Check{Running: release.MustParseVersion("v4.5.2")}); got != "" {
		t.Errorf("news when up to date: %q", got)
	}
}
