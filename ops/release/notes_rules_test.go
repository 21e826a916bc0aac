package release_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tootops/tootops/ops/release"
)

// TestParseNotesRules has one small body per rule of ParseNotes.
func TestParseNotesRules(t *testing.T) {
	overview := func(lines ...string) string {
		return "## Upgrade overview\n\nThis release contains upgrade notes that deviate from the norm:\n\n" +
			strings.Join(lines, "\\\n") + "\n\nFor more information, view the complete release notes and scroll down to the upgrade instructions section.\n\n## Changelog\n"
	}
	for _, c := range []struct {
		name  string
		body  string
		check func(t *testing.T, n release.Notes)
	}{
		{"empty body", "", func(t *testing.T, n release.Notes) {
			if !reflect.DeepEqual(n, release.Notes{}) {
				t.Errorf("got %+v, want zero Notes", n)
			}
		}},
		{"an unknown marker fails closed", overview("ℹ️ Requires database migrations", "ℹ️ Requires Elasticsearch reindexing"), func(t *testing.T, n release.Notes) {
			want(t, "Unknown", n.Unknown, []string{"Requires Elasticsearch reindexing"})
			want(t, "Migrations", n.Migrations, true)
		}},
		{"a reworded line in the overview is a marker, not ignored", overview("Please stop Sidekiq before migrating"), func(t *testing.T, n release.Notes) {
			want(t, "Unknown", n.Unknown, []string{"Please stop Sidekiq before migrating"})
		}},
		{"legacy streaming API wording", overview("ℹ️ Requires streaming API restart"), func(t *testing.T, n release.Notes) {
			want(t, "StreamingRestart", n.StreamingRestart, true)
			want(t, "Unknown", n.Unknown, []string(nil))
		}},
		{"markers are case-insensitive and lose emphasis and a final period", overview("**ℹ️ REQUIRES DATABASE MIGRATIONS.**"), func(t *testing.T, n release.Notes) {
			want(t, "Markers", n.Markers, []string{"REQUIRES DATABASE MIGRATIONS"})
			want(t, "Migrations", n.Migrations, true)
		}},
		{"informational markers are known", overview("ℹ️ Default Ruby version has been updated", "ℹ️ Starting from this release, Mastodon will periodically check for updates", "ℹ️ The recommended Ruby version has been updated"), func(t *testing.T, n release.Notes) {
			want(t, "Unknown", n.Unknown, []string(nil))
			want(t, "len(Markers)", len(n.Markers), 3)
		}},
		{"a PostgreSQL minimum from a marker", overview(":warning: The minimum supported version for PostgreSQL has been bumped to 14"), func(t *testing.T, n release.Notes) {
			want(t, "Deps", n.Deps, map[string]release.Version{"PostgreSQL": v("14.0.0")})
		}},
		{"markers without an overview heading", "**Upgrade overview**\n\n⚠️ Requires unusually long database migrations\n\n### Changelog\n- ⚠️ not a marker in the changelog\n", func(t *testing.T, n release.Notes) {
			want(t, "Markers", n.Markers, []string{"Requires unusually long database migrations"})
			want(t, "LongMigrations", n.LongMigrations, true)
		}},
		{"HTML headings and <br/>", "<h2>Upgrade overview</h2>\n<p>ℹ️ Requires assets recompilation<br/>ℹ️ Requires database migrations</p>\n<h2>Changelog</h2>\n", func(t *testing.T, n release.Notes) {
			want(t, "Markers", n.Markers, []string{"Requires assets recompilation", "Requires database migrations"})
		}},
		{"HTML entities", overview("ℹ️ Requires streaming server restart &amp; more"), func(t *testing.T, n release.Notes) {
			want(t, "Unknown", n.Unknown, []string{"Requires streaming server restart & more"})
		}},
		{"a code block in the overview is not a marker", "## Upgrade overview\n\n```\nℹ️ Requires database migrations\n```\n", func(t *testing.T, n release.Notes) {
			want(t, "Markers", n.Markers, []string(nil))
		}},
		{"tootctl in the changelog is not a step", "## Changelog\n\n- Fix `tootctl accounts create --reattach` (#1 by @a)\n\n### When using Docker\n\n1. Restart all Mastodon processes.\n", func(t *testing.T, n release.Notes) {
			want(t, "Tootctl", n.Tootctl, []string(nil))
		}},
		{"tootctl in non-Docker steps is not a Docker step", "### Non-Docker\n\n1. Run `RAILS_ENV=production bin/tootctl cache clear`\n\n### When using Docker\n\n1. Run `docker compose run --rm web bin/tootctl search deploy --only=accounts,statuses`.\n", func(t *testing.T, n release.Notes) {
			want(t, "Tootctl", n.Tootctl, []string{"tootctl search deploy --only=accounts,statuses"})
		}},
		{"tootctl without code spans loses the final period", "### When using Docker\n\n1. Run docker compose run --rm web bin/tootctl cache clear.\n", func(t *testing.T, n release.Notes) {
			want(t, "Tootctl", n.Tootctl, []string{"tootctl cache clear"})
		}},
		{"a heading that only mentions Docker is not the Docker list", "### Streaming server Docker image\n\nThe image is now `ghcr.io/mastodon/mastodon-streaming`.\n\n### Update steps\n\n1. Restart all Mastodon processes\n", func(t *testing.T, n release.Notes) {
			want(t, "Docker", n.Docker, []string{"Restart all Mastodon processes"})
			want(t, "ComposeChanges", n.ComposeChanges, true)
		}},
		{"wrapped items, sub-items and text after the list", "### When using Docker\n\n1. Run the pre-deployment database migrations:\n   `docker compose run --rm -e SKIP_POST_DEPLOYMENT_MIGRATIONS=true web bundle exec rails db:migrate`\n   - this can take a while\n2. Restart all Mastodon processes\n\nThat is all.\n", func(t *testing.T, n release.Notes) {
			want(t, "Docker", n.Docker, []string{
				"Run the pre-deployment database migrations: `docker compose run --rm -e SKIP_POST_DEPLOYMENT_MIGRATIONS=true web bundle exec rails db:migrate` this can take a while",
				"Restart all Mastodon processes",
			})
			want(t, "Migrations", n.Migrations, true)
		}},
		{"a non-Docker list alone gives no Docker steps", "### Update steps\n\n### Non-Docker\n\n1. Restart all Mastodon processes\n", func(t *testing.T, n release.Notes) {
			want(t, "Docker", n.Docker, []string(nil))
		}},
		{"a required variable", "## Upgrade notes\n\nThe `SECRET_KEY_BASE_DUMMY` and `FOO_BAR` environment variables are now required.\n", func(t *testing.T, n release.Notes) {
			want(t, "Env", n.Env, []string{"FOO_BAR", "SECRET_KEY_BASE_DUMMY"})
		}},
		{"a variable no longer required is not required", "## Upgrade notes\n\nThe `OTP_SECRET` variable is no longer required.\n\nSetting `MASTODON_USE_LIBVIPS` is ignored, so no action is required.\n", func(t *testing.T, n release.Notes) {
			want(t, "Env", n.Env, []string(nil))
		}},
		{"db:encryption:init means the three secrets", "### When using Docker\n\n1. Run `docker compose run --rm web bin/rails db:encryption:init`\n", func(t *testing.T, n release.Notes) {
			want(t, "Env", n.Env, []string{"ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY", "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT", "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY"})
		}},
		{"variables in the changelog are not required", "## Changelog\n\n- Add `ES_QUERY_TIMEOUT`, required for nothing (#1)\n", func(t *testing.T, n release.Notes) {
			want(t, "Env", n.Env, []string(nil))
		}},
		{"hotfix TIP naming the version", "## Upgrade overview\n\n> [!TIP]\n> A hotfix release is available for this branch,\n> please update directly to v4.6.1 or a later version.\n", func(t *testing.T, n release.Notes) {
			want(t, "Hotfix", n.Hotfix, "v4.6.1")
			want(t, "Markers", n.Markers, []string(nil))
		}},
		{"hotfix TIP linking the version", "> [!TIP]\n> A [hotfix release](https://github.com/mastodon/mastodon/releases/tag/v4.4.1) is available for this branch, please update directly to it.\n", func(t *testing.T, n release.Notes) {
			want(t, "Hotfix", n.Hotfix, "v4.4.1")
		}},
		{"older dependency wording", "### Dependencies\n\nWith the exception of Ruby's recommended version, compared to v4.1.4, the compatible Ruby, PostgreSQL, Node, Elasticsearch and Redis versions are the same, that is:\n\n- Ruby: 3.0 to 3.2\n- PostgreSQL: 10 or newer\n- Node: 16+\n- Redis: 4 or newer\n", func(t *testing.T, n release.Notes) {
			want(t, "DepsSince", n.DepsSince, v("4.1.4"))
			want(t, "Deps", n.Deps, map[string]release.Version{"Ruby": v("3.0.0"), "PostgreSQL": v("10.0.0"), "Node": v("16.0.0"), "Redis": v("4.0.0")})
		}},
		{"unsupported ranges in a dependency line", "### Dependencies\n\n- PostgreSQL: 12 or newer (14.0 to 14.3 are not supported)\n- Elasticsearch: 7.x\n", func(t *testing.T, n release.Notes) {
			want(t, "Unsupported", n.Unsupported, map[string][]release.Range{"PostgreSQL": {{From: v("14.0.0"), To: v("14.3.0")}}})
			want(t, "Deps", n.Deps, map[string]release.Version{"PostgreSQL": v("12.0.0"), "Elasticsearch": v("7.0.0")})
		}},
		{"security wording", "This release is an important security release.\n", func(t *testing.T, n release.Notes) {
			want(t, "Security", n.Security, true)
			want(t, "Urgent", n.Urgent, true)
		}},
		{"an empty Security heading is not a security release", "### Security\n\n### Fixed\n\n- Fix a thing\n", func(t *testing.T, n release.Notes) {
			want(t, "Security", n.Security, false)
		}},
		{"must-read wording", "### Update steps\n\nPlease carefully read the upgrade notes for v4.2.0. It is very important to read the [4.3.0 release notes](https://github.com/mastodon/mastodon/releases/tag/v4.3.0).\n", func(t *testing.T, n release.Notes) {
			want(t, "MustRead", n.MustRead, []string{"v4.2.0", "v4.3.0"})
		}},
		{"lone CR line ends", "## Upgrade overview\r\rℹ️ Requires database migrations\\\rℹ️ Requires assets recompilation\r", func(t *testing.T, n release.Notes) {
			want(t, "Markers", n.Markers, []string{"Requires database migrations", "Requires assets recompilation"})
		}},
	} {
		t.Run(c.name, func(t *testing.T) { c.check(t, release.ParseNotes(c.body)) })
	}
}

func want(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %#v, want %#v", what, got, want)
	}
}
