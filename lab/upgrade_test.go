package lab

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func instanceVersion(t *testing.T, u *UpgradeScenario) string {
	t.Helper()
	_, body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/api/v2/instance", u.Ports["web"]))
	var inst struct{ Version string }
	if err := json.Unmarshal([]byte(body), &inst); err != nil {
		t.Fatalf("instance: %v: %s", err, body)
	}
	return inst.Version
}

var baseline = []string{BaselinePreMigration + " pre 4.5.0", BaselinePostMigration + " post 4.5.0"}

// TestUpgradeLab walks the scenario through an upgrade by hand: a real pull, the
// pre-deployment migrations with the new image, the recreate, the post-deployment ones.
func TestUpgradeLab(t *testing.T) {
	t.Parallel()
	cli := Docker(t)
	u := UpgradeLab(t, cli, UpgradeLabOptions{Sidekiqs: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Up on v4.5.0 from the registry, labels pointing at the file, v4.5.1 not local.
	web, streaming, sidekiq := u.Versions(t)
	if web != u.Mastodon[FromVersion] || streaming != u.Streaming[FromVersion] || sidekiq != u.Mastodon[FromVersion] ||
		!strings.Contains(streaming, "/mastodon/mastodon-streaming:v4.5.0") {
		t.Fatalf("versions %s %s %s; want %s and %s", web, streaming, sidekiq, u.Mastodon[FromVersion], u.Streaming[FromVersion])
	}
	if n := len(u.Containers(t, "sidekiq")); n != 2 {
		t.Errorf("%d sidekiqs, want 2", n)
	}
	for _, ref := range []string{u.Mastodon[ToVersion], u.Streaming[ToVersion]} {
		if _, err := cli.ImageInspect(ctx, ref); !cerrdefs.IsNotFound(err) {
			t.Errorf("%s is on the daemon (%v): the upgrade's pull would not be real", ref, err)
		}
	}
	labels := u.Containers(t, "web")[0].Labels
	if labels["com.docker.compose.project.config_files"] != u.ComposeFile || labels["com.docker.compose.project.working_dir"] != u.Dir {
		t.Errorf("labels %v, want the file %s", labels, u.ComposeFile)
	}
	file, err := os.ReadFile(u.ComposeFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"    image: " + u.Mastodon[FromVersion] + "\n",
		`    image: "` + u.Streaming[FromVersion] + `"` + "\n",
		"    image: '" + u.Mastodon[FromVersion] + "' # the same image as web\n",
		"    env_file: .env.production\n",
		fmt.Sprintf("'127.0.0.1:%d:3000'", u.Ports["web"]),
		"    scale: 2\n",
	} {
		if !strings.Contains(string(file), want) {
			t.Errorf("compose file lacks %q:\n%s", want, file)
		}
	}

	// Versions agree, assets of v4.5.0, baseline migrations.
	if v := instanceVersion(t, u); v != FromVersion {
		t.Errorf("instance version %q", v)
	}
	webID := u.Containers(t, "web")[0].ID
	if out, _, code := u.Exec(t, webID, "tootctl", "version"); strings.TrimSpace(out) != FromVersion || code != 0 {
		t.Errorf("tootctl version: %q, %d", out, code)
	}
	if code, body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/api/v1/streaming/health", u.Ports["streaming"])); code != 200 || body != "OK" {
		t.Errorf("streaming health: %d %q", code, body)
	}
	_, html := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", u.Ports["web"]))
	if !strings.Contains(html, `src="/`+PackFile(FromVersion)+`"`) {
		t.Errorf("HTML does not refer to %s: %s", PackFile(FromVersion), html)
	}
	if code, body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/%s", u.Ports["web"], PackFile(FromVersion))); code != 200 || !strings.Contains(body, FromVersion) {
		t.Errorf("GET the pack: %d %q", code, body)
	}
	if got := u.Migrations(t); !slices.Equal(got, baseline) {
		t.Errorf("migrations %q, want the baseline %q", got, baseline)
	}

	// The upgrade: pull, pre-deployment migrations, recreate, post-deployment migrations.
	u.Registry.Pull(t, cli, u.Mastodon[ToVersion])
	u.Registry.Pull(t, cli, u.Streaming[ToVersion])
	stdout, stderr, code := u.Run(t, u.Mastodon[ToVersion], []string{"SKIP_POST_DEPLOYMENT_MIGRATIONS=true"}, "bundle", "exec", "rails", "db:migrate")
	if code != 0 || !strings.Contains(stdout, "== 20261101000000 AddLabColumn: migrating ====") ||
		!strings.Contains(stdout, "-- add_column(") || !strings.Contains(stdout, "== 20261101000000 AddLabColumn: migrated (") ||
		strings.Contains(stdout, "Backfill") {
		t.Fatalf("pre-deployment db:migrate: exit %d\n%s%s", code, stdout, stderr)
	}
	if got, want := u.Migrations(t), append(slices.Clone(baseline), PreMigration+" pre 4.5.1"); !slices.Equal(got, want) {
		t.Errorf("after the pre-deployment migrations: %q, want %q", got, want)
	}
	stdout, _, _ = u.Run(t, u.Mastodon[ToVersion], nil, "bin/rails", "db:migrate:status")
	if !strings.Contains(stdout, "   up     20261101000000  Add lab column\n") || !strings.Contains(stdout, "  down    20261101000001  Backfill lab column\n") {
		t.Errorf("db:migrate:status:\n%s", stdout)
	}

	u.Recreate(t, "web", u.Mastodon[ToVersion])
	u.Recreate(t, "streaming", u.Streaming[ToVersion])
	u.Recreate(t, "sidekiq", u.Mastodon[ToVersion])
	u.WaitHealthy(t, "web", time.Minute)
	u.WaitHealthy(t, "streaming", time.Minute)
	if web, streaming, sidekiq := u.Versions(t); web != u.Mastodon[ToVersion] || streaming != u.Streaming[ToVersion] || sidekiq != u.Mastodon[ToVersion] {
		t.Errorf("after the recreate: %s %s %s", web, streaming, sidekiq)
	}
	if n := len(u.Containers(t, "sidekiq")); n != 2 {
		t.Errorf("%d sidekiqs after the recreate, want 2", n)
	}
	if v := instanceVersion(t, u); v != ToVersion {
		t.Errorf("instance version after the recreate %q", v)
	}
	_, html = httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", u.Ports["web"]))
	if !strings.Contains(html, PackFile(ToVersion)) {
		t.Errorf("HTML does not refer to %s: %s", PackFile(ToVersion), html)
	}

	stdout, stderr, code = u.Run(t, u.Mastodon[ToVersion], nil, "bundle", "exec", "rails", "db:migrate")
	if code != 0 || !strings.Contains(stdout, "== 20261101000001 BackfillLabColumn: migrated (") || strings.Contains(stdout, "AddLabColumn") {
		t.Fatalf("post-deployment db:migrate: exit %d\n%s%s", code, stdout, stderr)
	}
	want := append(slices.Clone(baseline), PreMigration+" pre 4.5.1", PostMigration+" post 4.5.1")
	if got := u.Migrations(t); !slices.Equal(got, want) {
		t.Errorf("after the post-deployment migrations: %q, want %q", got, want)
	}
	// Nothing pending: no output. The db keeps its record across a restart.
	if stdout, _, code := u.Run(t, u.Mastodon[ToVersion], nil, "rails", "db:migrate"); code != 0 || stdout != "" {
		t.Errorf("db:migrate with nothing pending: %d %q", code, stdout)
	}
	if _, err := cli.ContainerRestart(ctx, u.DB(t), client.ContainerRestartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitMigrations(t, u, want)
}

// waitMigrations waits for the db to answer (after a restart) with want.
func waitMigrations(t *testing.T, u *UpgradeScenario, want []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		stdout, _, code := u.Exec(t, u.DB(t), "/opt/mastodon/bin/mastolab", "db-log")
		got := strings.Split(strings.TrimSpace(stdout), "\n")
		if code == 0 && slices.Equal(got, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("migrations after a restart of db: %q (exit %d), want %q", got, code, want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestUpgradeLabFailures exercises the failure switches: a failing pre- and
// post-deployment migration, and web unhealthy on the new version.
func TestUpgradeLabFailures(t *testing.T) {
	t.Parallel()
	cli := Docker(t)
	u := UpgradeLab(t, cli, UpgradeLabOptions{Unhealthy: []string{ToVersion}, SharedStreamingImage: true})
	if _, streaming, _ := u.Versions(t); streaming != u.Mastodon[FromVersion] {
		t.Errorf("streaming on %s, want the shared %s", streaming, u.Mastodon[FromVersion])
	}
	u.Registry.Pull(t, cli, u.Mastodon[ToVersion])
	migrate := func(env ...string) (string, string, int) {
		return u.Run(t, u.Mastodon[ToVersion], env, "bundle", "exec", "rails", "db:migrate")
	}

	// A pre-deployment migration fails once: exit 1, nothing recorded; then it passes.
	u.FailNext(t, "pre")
	stdout, stderr, code := migrate("SKIP_POST_DEPLOYMENT_MIGRATIONS=true")
	if code != 1 || !strings.Contains(stdout, "AddLabColumn: migrating") || strings.Contains(stdout, "migrated") ||
		!strings.HasPrefix(stderr, "rails aborted!\nStandardError: An error has occurred, this and all later migrations canceled") ||
		!strings.Contains(stderr, "PG::LockNotAvailable") {
		t.Errorf("failing pre-deployment migration: exit %d\n%s%s", code, stdout, stderr)
	}
	if got := u.Migrations(t); !slices.Equal(got, baseline) {
		t.Errorf("after the failed migration: %q, want the baseline", got)
	}
	if _, stderr, code := migrate("SKIP_POST_DEPLOYMENT_MIGRATIONS=true"); code != 0 {
		t.Fatalf("second pre-deployment run: exit %d: %s", code, stderr)
	}

	// A post-deployment migration fails; off forgets a switch.
	u.FailNext(t, "pre")
	u.FailNext(t, "off")
	u.FailNext(t, "post")
	stdout, stderr, code = migrate()
	if code != 1 || !strings.Contains(stderr, "PG::QueryCanceled") || !strings.Contains(stderr, "db/post_migrate/"+PostMigration+".rb") {
		t.Errorf("failing post-deployment migration: exit %d\n%s%s", code, stdout, stderr)
	}
	if got, want := u.Migrations(t), append(slices.Clone(baseline), PreMigration+" pre 4.5.1"); !slices.Equal(got, want) {
		t.Errorf("after the failed post-deployment migration: %q, want %q", got, want)
	}

	// db-fail with a wrong phase is refused.
	if _, _, code := u.Exec(t, u.DB(t), "/opt/mastodon/bin/mastolab", "db-fail", "sideways"); code != 2 {
		t.Errorf("db-fail sideways: exit %d, want 2", code)
	}

	// Healthy on v4.5.0 with LAB_UNHEALTHY_VERSIONS=4.5.1; unhealthy on v4.5.1, and it stays so.
	u.Recreate(t, "web", u.Mastodon[ToVersion])
	deadline := time.Now().Add(30 * time.Second)
	for {
		in := u.Inspect(t, u.Containers(t, "web")[0].ID)
		if in.State.Health != nil && in.State.Health.Status == container.Unhealthy {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("web on %s not unhealthy after 30s: %+v", ToVersion, in.State.Health)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code, body := httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/health", u.Ports["web"])); code != http.StatusServiceUnavailable {
		t.Errorf("/health on %s: %d %q", ToVersion, code, body)
	}
	if v := instanceVersion(t, u); v != ToVersion {
		t.Errorf("instance version %q", v)
	}
}
