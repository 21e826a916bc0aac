package release_test

import (
	"encoding/json"
	"flag"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tootops/tootops/ops/release"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/*.json from the parser's output")

func readNotes(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func noteFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("testdata/*.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range files {
		if filepath.Base(f) != "README.md" {
			out = append(out, filepath.Base(f))
		}
	}
	if len(out) != 11 {
		t.Fatalf("got %d release-note files in testdata, want 11 (8 samples + 3 written)", len(out))
	}
	return out
}

// TestParseNotesGolden compares the whole Notes of every file with a reviewed golden.
func TestParseNotesGolden(t *testing.T) {
	for _, name := range noteFiles(t) {
		t.Run(name, func(t *testing.T) {
			got, err := json.MarshalIndent(release.ParseNotes(readNotes(t, name)), "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			golden := filepath.Join("testdata", "golden", strings.TrimSuffix(name, ".md")+".json")
			if *update {
				if err := os.MkdirAll(filepath.Dir(golden), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("ParseNotes(%s) differs from %s:\ngot:\n%s\nwant:\n%s", name, golden, got, want)
			}
		})
	}
}

func v(s string) release.Version { return release.MustParseVersion(s) }

// TestParseNotesExpectations states by hand what matters in each file, so a wrong
// golden cannot be rubber-stamped with -update.
func TestParseNotesExpectations(t *testing.T) {
	restart := []string{"Restart all Mastodon processes."}
	for _, c := range []struct {
		file                                         string
		markers                                      []string
		migrations, long, streaming, assets, compose bool
		pg, redis                                    string
		since                                        string
		tootctl, env, mustRead, docker               []string
		hotfix                                       string
		security, urgent                             bool
	}{
		{file: "v4.5.11-release-notes.md", pg: "14", redis: "7.0", since: "v4.5.0", mustRead: []string{"v4.5.0"}, docker: restart, security: true},
		{file: "v4.5.2-linuxserver-release-body.md", markers: []string{"Requires assets recompilation"}, assets: true, pg: "14", redis: "7.0", since: "v4.5.0", mustRead: []string{"v4.5.0"}, docker: restart},
		{file: "v4.6.0-release-notes-TRUNCATED.md", markers: []string{
			"The minimum supported version for Ruby has been bumped to 3.3",
			"The minimum supported version for Node.JS has been bumped to 22",
			"The minimum supported version for FFMpeg has been bumped to 5.1",
			"ImageMagick support has been dropped, libvips is required",
			"Custom themes need to be updated",
			"Requires assets recompilation",
			"Requires streaming server restart",
			"Requires database migrations",
		}, migrations: true, streaming: true, assets: true, hotfix: "v4.6.1"},
		{file: "v4.6.2-release-notes.md", pg: "14", redis: "7.0", since: "v4.6.0", mustRead: []string{"v4.6.0"}, docker: restart, security: true, urgent: true},
		{file: "v4.6.6-release-notes.md", markers: []string{"Requires assets recompilation"}, assets: true, pg: "14", redis: "7.0", since: "v4.6.0", mustRead: []string{"v4.6.0"}, docker: restart},
		{file: "v4.7.0-release-notes-TRUNCATED.md", markers: []string{"Requires assets recompilation", "Requires streaming server restart", "Requires unusually long database migrations"},
			migrations: true, long: true, streaming: true, assets: true},
		{file: "v4.7.1-release-notes.md", pg: "14", redis: "7.0", since: "v4.6.0", mustRead: []string{"v4.7.0"}, docker: restart, security: true},
		{file: "v4.7.2-release-notes.md", pg: "14", redis: "7.0", since: "v4.6.0", mustRead: []string{"v4.7.0"}, docker: []string{"Restart all Mastodon processes"}, security: true},
		{file: "v4.3.0-release-notes-WRITTEN.md", markers: []string{
			"Rolling updates from versions earlier than 4.2 are not supported",
			"Active Record encryption secrets need to be generated and configured before updating",
			"The minimum supported version for Ruby has been bumped to 3.1",
			"The minimum supported version for PostgreSQL has been bumped to 12",
			"Versions 14.0 to 14.3 of PostgreSQL are not supported",
			"The minimum supported version for Node.JS has been bumped to 18",
			"The Docker image has been split in two separate images",
			"Requires assets recompilation",
			"Requires streaming server restart",
			"Requires database migrations",
		}, migrations: true, streaming: true, assets: true, compose: true, pg: "12", redis: "4",
			env: []string{"ACTIVE_RECORD_ENCRYPTION_DETERMINISTIC_KEY", "ACTIVE_RECORD_ENCRYPTION_KEY_DERIVATION_SALT", "ACTIVE_RECORD_ENCRYPTION_PRIMARY_KEY"},
			docker: []string{
				"Generate the Active Record encryption secrets with `docker compose run --rm web bin/rails db:encryption:init` and add them to `.env.production`, if you have not done so already",
				"Change the `streaming` service in `docker-compose.yml` to use the `ghcr.io/mastodon/mastodon-streaming` image and the `node ./streaming/index.js` command",
				"Run the pre-deployment database migrations by specifying the `SKIP_POST_DEPLOYMENT_MIGRATIONS=true` environment variable: `docker compose run --rm -e SKIP_POST_DEPLOYMENT_MIGRATIONS=true web bundle exec rails db:migrate`",
				"Restart all Mastodon processes",
				"Run the post-deployment database migrations: `docker compose run --rm web bundle exec rails db:migrate`",
			}},
		{file: "v4.6.0-release-notes-WRITTEN.md", markers: []string{
			"The minimum supported version for Ruby has been bumped to 3.3",
			"The minimum supported version for Node.JS has been bumped to 22",
			"The minimum supported version for FFMpeg has been bumped to 5.1",
			"ImageMagick support has been dropped, libvips is required",
			"Custom themes need to be updated",
			"Requires assets recompilation",
			"Requires streaming server restart",
			"Requires database migrations",
		}, migrations: true, streaming: true, assets: true, pg: "14", redis: "7.0", hotfix: "v4.6.1",
			docker: []string{
				"Run the pre-deployment database migrations by specifying the `SKIP_POST_DEPLOYMENT_MIGRATIONS=true` environment variable: `docker compose run --rm -e SKIP_POST_DEPLOYMENT_MIGRATIONS=true web bundle exec rails db:migrate`",
				"Restart all Mastodon processes",
				"Run the post-deployment database migrations: `docker compose run --rm web bundle exec rails db:migrate`",
			}},
		{file: "v4.7.0-release-notes-WRITTEN.md", markers: []string{"Requires assets recompilation", "Requires streaming server restart", "Requires unusually long database migrations"},
			migrations: true, long: true, streaming: true, assets: true, pg: "14", redis: "7.0", since: "v4.6.0", mustRead: []string{"v4.6.0"},
			tootctl: []string{"tootctl search deploy --only accounts", "tootctl cache clear"},
			docker: []string{
				"Run the pre-deployment database migrations by specifying the `SKIP_POST_DEPLOYMENT_MIGRATIONS=true` environment variable. They can take several hours: `docker compose run --rm -e SKIP_POST_DEPLOYMENT_MIGRATIONS=true web bundle exec rails db:migrate`",
				"Restart all Mastodon processes",
				"Run the post-deployment database migrations: `docker compose run --rm web bundle exec rails db:migrate`",
				"If you are using Elasticsearch, rebuild the accounts index: `docker compose run --rm web bin/tootctl search deploy --only accounts`",
				"Clear the cache: `docker compose run --rm web bin/tootctl cache clear`",
			}},
	} {
		t.Run(c.file, func(t *testing.T) {
			n := release.ParseNotes(readNotes(t, c.file))
			eq := func(what string, got, want any) {
				t.Helper()
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s: got %#v, want %#v", what, got, want)
				}
			}
			eq("Markers", n.Markers, c.markers)
			eq("Unknown", n.Unknown, []string(nil))
			eq("Migrations", n.Migrations, c.migrations)
			eq("LongMigrations", n.LongMigrations, c.long)
			eq("StreamingRestart", n.StreamingRestart, c.streaming)
			eq("AssetsRecompile", n.AssetsRecompile, c.assets)
			eq("ComposeChanges", n.ComposeChanges, c.compose)
			dep := func(name string) string {
				if d, ok := n.Deps[name]; ok {
					return d.Short()
				}
				return ""
			}
			short := func(s string) string {
				if s == "" {
					return ""
				}
				d, _ := release.ParseVersion(s + ".0")
				if strings.Count(s, ".") == 0 {
					d, _ = release.ParseVersion(s + ".0.0")
				}
				return d.Short()
			}
			eq("Deps[PostgreSQL]", dep("PostgreSQL"), short(c.pg))
			eq("Deps[Redis]", dep("Redis"), short(c.redis))
			since := ""
			if !n.DepsSince.IsZero() {
				since = n.DepsSince.String()
			}
			eq("DepsSince", since, c.since)
			eq("Tootctl", n.Tootctl, c.tootctl)
			eq("Env", n.Env, c.env)
			eq("MustRead", n.MustRead, c.mustRead)
			eq("Docker", n.Docker, c.docker)
			eq("Hotfix", n.Hotfix, c.hotfix)
			eq("Security", n.Security, c.security)
			eq("Urgent", n.Urgent, c.urgent)
		})
	}
}

// variants rewrites a body the ways mirrors and editors do; none may change the result.
var variants = map[string]func(string) string{
	"headings one level down": func(s string) string {
		return regexp.MustCompile(`(?m)^(#{1,5}) `).ReplaceAllString(s, "$1# ")
	},
	"all headings ####": func(s string) string {
		return regexp.MustCompile(`(?m)^#{1,6} `).ReplaceAllString(s, "#### ")
	},
	"CRLF": func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") },
	"shortcodes instead of emoji": func(s string) string {
		return strings.NewReplacer("ℹ️", ":information_source:", "⚠️", ":warning:").Replace(s)
	},
	"emoji instead of shortcodes": func(s string) string {
		return strings.NewReplacer(":information_source:", "ℹ️", ":warning:", "⚠️").Replace(s)
	},
	"no variation selector": func(s string) string { return strings.ReplaceAll(s, "\uFE0F", "") },
	"no trailing backslash": func(s string) string { return strings.ReplaceAll(s, "\\\n", "\n") },
	"<br> between markers":  func(s string) string { return strings.ReplaceAll(s, "\\\n", "<br>") },
	"markers as a list": func(s string) string {
		return regexp.MustCompile(`(?m)^(ℹ️|:warning:|⚠️)`).ReplaceAllString(s, "- $1")
	},
	"trailing spaces": func(s string) string { return strings.ReplaceAll(s, "\n", "  \n") },
	"all at once": func(s string) string {
		s = strings.ReplaceAll(s, "\\\n", "\n")
		s = strings.NewReplacer("ℹ️", ":information_source:", ":warning:", "⚠").Replace(s)
		s = regexp.MustCompile(`(?m)^(#{1,5}) `).ReplaceAllString(s, "$1# ")
		return strings.ReplaceAll(s, "\n", "\r\n")
	},
}

func TestParseNotesVariants(t *testing.T) {
	names := slices.Sorted(maps.Keys(variants))
	for _, file := range noteFiles(t) {
		body := readNotes(t, file)
		want := release.ParseNotes(body)
		for _, name := range names {
			t.Run(file+"/"+name, func(t *testing.T) {
				got := release.ParseNotes(variants[name](body))
				if !reflect.DeepEqual(got, want) {
					t.Errorf("got  %+v\nwant %+v", got, want)
				}
			})
		}
	}
}
