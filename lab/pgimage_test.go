package lab

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// TestRealPostgresImage brings up a project whose db is the real PostgreSQL image, seeds
// it, dumps it from inside the container, and stops it the way Docker does.
func TestRealPostgresImage(t *testing.T) {
	t.Parallel()
	cli := Docker(t)
	// client: the same image idling, to reach db over the project's network.
	idle := Service{Name: "client", Image: RealPostgresImage, Cmd: []string{"tootctl", "lab-sleep", "10m"}}
	p := Up(t, cli, Spec{Services: []Service{PostgresService(), idle}})
	id := WaitPostgres(t, p)

	psql := func(args ...string) string {
		t.Helper()
		stdout, stderr, code := p.Exec(t, id, append([]string{"psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-U", "postgres"}, args...)...)
		if code != 0 {
			t.Fatalf("psql %q: exit %d: %s", args, code, stderr)
		}
		return stdout
	}
	psql("-c", "CREATE DATABASE mastodon_production")
	psql("-d", "mastodon_production", "-c", SeedSQL(300))
	tables := psql("-d", "mastodon_production", "-c", `\dt public.*`, "-c", `\dt "lab extras".*`)
	for _, name := range []string{"accounts", "statuses", "media_attachments", "blocks", "Odd Texts", "lab extras"} {
		if !strings.Contains(tables, name) {
			t.Errorf("\\dt does not list %s:\n%s", name, tables)
		}
	}
	if got := psql("-At", "-c", "SELECT current_setting('server_version_num')::int / 10000"); strings.TrimSpace(got) != "15" {
		t.Errorf("server version %q", got)
	}

	stdout, stderr, code := p.Exec(t, id, "pg_dump", "-Fc", "-U", "postgres", "mastodon_production")
	if code != 0 || !strings.HasPrefix(stdout, "PGDMP") {
		t.Fatalf("pg_dump -Fc: exit %d, output %.5q…, stderr %s", code, stdout, stderr)
	}
	t.Logf("pg_dump -Fc of 300 statuses: %d bytes", len(stdout))
	// The archive lists every table's data (/bin/sh is in the image for initdb).
	list, stderr, code := p.Exec(t, id, "sh", "-c", "pg_dump -Fc -U postgres mastodon_production | pg_restore -l")
	if code != 0 {
		t.Fatalf("pg_restore -l: exit %d: %s", code, stderr)
	}
	for _, want := range []string{"TABLE DATA public accounts", "TABLE DATA public statuses", "TABLE DATA lab extras Odd Texts"} {
		if !strings.Contains(list, want) {
			t.Errorf("pg_restore -l lacks %q:\n%s", want, list)
		}
	}

	// Other containers of the project reach it by the service name over TCP.
	clientID := p.Containers(t, "client")[0].ID
	stdout, stderr, code = p.Exec(t, clientID, "psql", "-X", "-At", "-h", "db", "-U", "postgres", "-d", "mastodon_production", "-c", "SELECT count(*) FROM statuses")
	if code != 0 || strings.TrimSpace(stdout) != "300" {
		t.Errorf("psql -h db from another container: exit %d, %q, %s", code, stdout, stderr)
	}

	// mastolab execs postgres, so the image's stop signal (SIGINT, fast shutdown) reaches
	// it as PID 1.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	if _, err := cli.ContainerStop(ctx, id, client.ContainerStopOptions{}); err != nil {
		t.Fatal(err)
	}
	in := p.Inspect(t, id)
	if d := time.Since(start); d > 5*time.Second || in.State.ExitCode != 0 {
		t.Errorf("stop took %s, exit code %d; want a fast shutdown with 0", d, in.State.ExitCode)
	}
}
