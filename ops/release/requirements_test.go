package release_test

import (
	"testing"
	"time"

	"github.com/tootops/tootops/ops/release"
)

func plan(t *testing.T, all []release.Release, cur, target string) release.Hops {
	t.Helper()
	hops, err := release.Path(all, v(cur), v(target))
	if err != nil {
		t.Fatal(err)
	}
	return hops
}

var encryptionKeys = []string{
	"ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY",
	"ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT",
	"ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY",
}

func TestRequirementsAcross43(t *testing.T) {
	req := plan(t, universe(), "4.2.13", "4.4.9").Requirements()
	want(t, "PostgreSQL", req.PostgreSQL, v("13.0.0"))
	want(t, "Redis", req.Redis, v("6.2.0"))
	want(t, "Env", req.Env, encryptionKeys)
	want(t, "Unsupported", req.Unsupported, map[string][]release.Range{"PostgreSQL": {{From: v("14.0.0"), To: v("14.3.0")}}})
	want(t, "ComposeChanges", req.ComposeChanges, true)
	want(t, "Source[PostgreSQL]", req.Source["PostgreSQL"], v("4.4.0"))
	want(t, "Source[env]", req.Source["ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY"], v("4.3.0"))
	if req.Unknown != nil {
		t.Errorf("Unknown = %q", req.Unknown)
	}

	running := map[string]release.Version{"PostgreSQL": v("14.2.0"), "Redis": v("7.2.4")}
	got := req.Check(running, map[string]bool{"ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY": true, "LOCAL_DOMAIN": true})
	want(t, "Check", got, []string{
		"PostgreSQL 14.2 is not supported by v4.3.0 (PostgreSQL 14.0 to 14.3 are not): upgrade PostgreSQL to a later 14.x release first (the bot does not do this)",
		"ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT is not set, which v4.3.0 requires: run `docker compose run --rm web bin/rails db:encryption:init` once, add the three values it prints to .env.production, back that file up, and never change them",
		"ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY is not set, which v4.3.0 requires: run `docker compose run --rm web bin/rails db:encryption:init` once, add the three values it prints to .env.production, back that file up, and never change them",
	})
	env := map[string]bool{}
	for _, k := range encryptionKeys {
		env[k] = true
	}
	if got := req.Check(map[string]release.Version{"postgres": v("16.4.0"), "redis": v("7.2.4")}, env); got != nil {
		t.Errorf("Check with everything in place = %q, want nothing", got)
	}
}

func TestRequirementsPostgreSQL14(t *testing.T) {
	req := release.RequirementsOf(plan(t, universe(), "4.4.9", "4.5.20"))
	want(t, "PostgreSQL", req.PostgreSQL, v("14.0.0"))
	want(t, "Redis", req.Redis, v("7.0.0"))
	want(t, "Env", req.Env, []string(nil))
	got := req.Check(map[string]release.Version{"PostgreSQL": v("13.11.0"), "Redis": v("6.2.14")}, nil)
	want(t, "Check", got, []string{
		"PostgreSQL 13.11 is older than 14, which v4.5.0 requires: upgrade PostgreSQL first (a dump and restore; the bot does not do this)",
		"Redis 6.2.14 is older than 7, which v4.5.0 requires: upgrade Redis first (a newer redis image; the bot does not do this)",
	})
	// Versions nobody measured block: fail closed.
	want(t, "Check(unknown)", req.Check(nil, nil), []string{
		"the running PostgreSQL version is unknown, and v4.5.0 requires 14 or newer: find it out before upgrading",
		"the running Redis version is unknown, and v4.5.0 requires 7 or newer: find it out before upgrading",
	})
	// Elasticsearch is optional: checked only where it runs.
	req.Elasticsearch, req.Source["Elasticsearch"] = v("7.0.0"), v("4.5.0")
	want(t, "Check(es)", req.Check(map[string]release.Version{"PostgreSQL": v("16.0.0"), "Redis": v("7.2.0"), "Elasticsearch": v("6.8.23")}, nil), []string{
		"Elasticsearch 6.8.23 is older than 7, which v4.5.0 requires: upgrade Elasticsearch first and rebuild the indices (the bot does not do this)",
	})
}

func TestRequirementsTootctlAndUnknown(t *testing.T) {
	all := universe()
	for i := range all {
		if all[i].Tag == "v4.7.1" {
			all[i].Body = "## Upgrade overview\n\nℹ️ Requires a full search reindex\n"
		}
	}
	req := plan(t, all, "4.6.6", "4.7.2").Requirements()
	want(t, "Tootctl", req.Tootctl, []string{"tootctl search deploy --only accounts", "tootctl cache clear"})
	want(t, "LongMigrations", req.LongMigrations, true)
	want(t, "Migrations", req.Migrations, true)
	want(t, "Unknown", req.Unknown, []string{"Requires a full search reindex"})
	got := req.Check(map[string]release.Version{"PostgreSQL": v("16.0.0"), "Redis": v("7.2.0")}, nil)
	want(t, "Check", got, []string{
		`v4.7.1's notes contain an upgrade marker the bot does not know: "Requires a full search reindex"; read them and upgrade by hand`,
	})
}

// A release whose notes only say "not changed since v4.5.0" inherits 4.5.0's list
// when 4.5.0 is in the range.
func TestRequirementsInheritDeps(t *testing.T) {
	hops := release.Hops{{
		From:    v("4.4.9"),
		Release: release.Release{Version: v("4.5.3"), Tag: "v4.5.3", Body: "### Dependencies\n\nExternal dependencies have not changed since v4.5.0.\n"},
		Skipped: []release.Release{{Version: v("4.5.0"), Tag: "v4.5.0", Body: "### Dependencies\n\n- PostgreSQL: 14 or newer\n- Redis: 7.0 or newer\n"}},
	}}
	hops[0].Notes = release.ParseNotes(hops[0].Release.Body)
	req := hops.Requirements()
	want(t, "PostgreSQL", req.PostgreSQL, v("14.0.0"))
	want(t, "Source", req.Source["PostgreSQL"], v("4.5.0"))
}

func TestCheckUpdates(t *testing.T) {
	all := universe()
	newest, urgent := release.CheckUpdates(v("4.7.2"), all)
	if newest.Tag != "" || urgent != nil {
		t.Errorf("on the newest release: %q, %q; want nothing", newest.Tag, tags(urgent))
	}

	newest, urgent = release.CheckUpdates(v("4.7.0"), all)
	want(t, "newest", newest.Tag, "v4.7.2")
	want(t, "urgent", tags(urgent), []string{"v4.7.2", "v4.7.1"})

	// On 4.5.3: the 4.5 security releases count; those of 4.6 and 4.7 count only
	// when 4.5 got nothing on or after their day (4.6.2's FFmpeg fix, 4.7.x here).
	newest, urgent = release.CheckUpdates(v("4.5.3"), all)
	want(t, "newest", newest.Tag, "v4.7.2")
	want(t, "urgent", tags(urgent), []string{"v4.7.2", "v4.7.1", "v4.6.2", "v4.5.11"})

	// A 4.5 release on the day of 4.7.1 and later hides the other branches' releases.
	all = append(all, release.Release{Version: v("4.5.21"), Tag: "v4.5.21", Body: "This is a security release.",
		Published: find(all, "v4.7.2").Published.Add(time.Hour)})
	_, urgent = release.CheckUpdates(v("4.5.3"), all)
	want(t, "urgent", tags(urgent), []string{"v4.5.21", "v4.5.11"})

	// Drafts and prereleases are never offered.
	newest, _ = release.CheckUpdates(v("4.7.2"), append(all, release.Release{Version: v("4.9.0"), Tag: "v4.9.0", Draft: true}))
	if newest.Tag != "" {
		t.Errorf("newest = %s, want none", newest.Tag)
	}
}
