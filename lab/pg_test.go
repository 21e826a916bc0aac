package lab

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestPostgres(t *testing.T) {
	t.Parallel()
	start := time.Now()
	p := Postgres(t)
	t.Logf("started in %s at %s", time.Since(start).Round(time.Millisecond), p.Addr())

	if got := p.Psql(t, "postgres", "SELECT current_user; SHOW server_version_num"); !strings.HasPrefix(got, "postgres\n15") {
		t.Errorf("psql answered %q", got)
	}
	if got := p.Psql(t, "postgres", "SELECT rolsuper FROM pg_roles WHERE rolname = current_user"); got != "t" {
		t.Errorf("User is not a superuser: %q", got)
	}
	p.CreateDB(t, "mastodon_production")
	p.Psql(t, "mastodon_production", "CREATE TABLE t (x int); INSERT INTO t VALUES (1), (2)")
	if got := p.Psql(t, "mastodon_production", "SELECT sum(x) FROM t"); got != "3" {
		t.Errorf("sum = %q", got)
	}
	// Only 127.0.0.1: nothing on other addresses.
	if got := p.Psql(t, "postgres", "SHOW listen_addresses"); got != "127.0.0.1" {
		t.Errorf("listen_addresses = %q", got)
	}
}

func TestPostgresPasswordAuth(t *testing.T) {
	t.Parallel()
	p := Postgres(t)
	if _, err := p.psql("postgres", "SELECT 1", p.Password+"x"); err == nil || !strings.Contains(err.Error(), "password authentication failed") {
		t.Errorf("wrong password: err = %v, want password authentication failed", err)
	}
	if _, err := p.psql("postgres", "SELECT 1", ""); err == nil {
		t.Error("no password: connected")
	}
	// The server stores and checks a SCRAM verifier.
	if got := p.Psql(t, "postgres", "SELECT left(rolpassword, 14) FROM pg_authid WHERE rolname = current_user"); got != "SCRAM-SHA-256$" {
		t.Errorf("password verifier %q, want SCRAM-SHA-256$…", got)
	}
	// Env reaches it too, as pg_dump would.
	cmd := exec.Command(filepath.Join(p.BinDir, "pg_dump"), "-Fc", "postgres")
	cmd.Env = p.Env()
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "PGDMP") {
		t.Errorf("pg_dump with Env: %v, %.5q", err, out)
	}
}

func TestPostgresCleanup(t *testing.T) {
	t.Parallel()
	var p *PG
	t.Run("cluster", func(t *testing.T) {
		p = Postgres(t)
	})
	if _, err := os.Stat(p.Dir); !os.IsNotExist(err) {
		t.Errorf("%s still there after the test: %v", p.Dir, err)
	}
	if err := syscall.Kill(p.cmd.Process.Pid, 0); err == nil {
		t.Errorf("postgres (pid %d) still running after the test", p.cmd.Process.Pid)
	}
}

func TestSeedSQL(t *testing.T) {
	t.Parallel()
	p := Postgres(t)
	p.CreateDB(t, "seed")
	p.Psql(t, "seed", SeedSQL(400))
	counts := p.Psql(t, "seed", `SELECT (SELECT count(*) FROM accounts), (SELECT count(*) FROM statuses),
		(SELECT count(*) FROM media_attachments), (SELECT count(*) FROM blocks), (SELECT count(*) FROM "lab extras"."Odd Texts")`)
	if want := "20|400|100|0|" + strconv.Itoa(len(seedOddTexts)+2+400/50); counts != want {
		t.Errorf("counts %s, want %s", counts, want)
	}
	tables := p.Psql(t, "seed", `SELECT string_agg(format('%I.%I', schemaname, tablename), ',' ORDER BY schemaname, tablename)
		FROM pg_tables WHERE schemaname IN ('public', 'lab extras')`)
	if want := strings.Join(slices.Sorted(slices.Values(SeedTables)), ","); tables != want {
		t.Errorf("tables %s, want %s", tables, want)
	}
	// What COPY has to escape is there, and the statuses differ from one another.
	odd := p.Psql(t, "seed", `SELECT count(*) FILTER (WHERE "Body" LIKE E'%\t%'), count(*) FILTER (WHERE "Body" LIKE E'%\n%'),
		count(*) FILTER (WHERE "Body" LIKE E'%\\\\%'), count(*) FILTER (WHERE "Body" ~ '[^\x01-\x7f]'), count(*) FILTER (WHERE "Body" IS NULL)
		FROM "lab extras"."Odd Texts"`)
	for i, n := range strings.Split(odd, "|") {
		if n == "0" {
			t.Errorf("odd texts: check %d found no row (%s)", i, odd)
		}
	}
	if got := p.Psql(t, "seed", "SELECT count(DISTINCT text) > 390 FROM statuses"); got != "t" {
		t.Errorf("statuses are not varied")
	}
	// The same rows give the same data.
	p.CreateDB(t, "seed2")
	p.Psql(t, "seed2", SeedSQL(400))
	sum := "SELECT md5(string_agg(text, '' ORDER BY id)) FROM statuses"
	if a, b := p.Psql(t, "seed", sum), p.Psql(t, "seed2", sum); a != b {
		t.Errorf("two seeds of 400 rows differ: %s, %s", a, b)
	}
}

// TestSeedDumpRestore dumps the seed with pg_dump -Fc and restores it into another
// database: the odd texts come back byte for byte.
func TestSeedDumpRestore(t *testing.T) {
	t.Parallel()
	p := Postgres(t)
	p.CreateDB(t, "src")
	p.Psql(t, "src", SeedSQL(200))
	p.CreateDB(t, "dst")
	dump := filepath.Join(t.TempDir(), "src.dump")
	for _, args := range [][]string{
		{"pg_dump", "-Fc", "-f", dump, "src"},
		{"pg_restore", "--exit-on-error", "-d", "dst", dump},
	} {
		cmd := exec.Command(filepath.Join(p.BinDir, args[0]), args[1:]...)
		cmd.Env = p.Env()
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", args[0], err, out)
		}
	}
	for _, q := range []string{
		`SELECT md5(string_agg(format('%s|%s|%s|%s|%s', id, "Body", "select", "Data", "Meta"), E'\n' ORDER BY id)) FROM "lab extras"."Odd Texts"`,
		`SELECT md5(string_agg(s::text, E'\n' ORDER BY id)) FROM statuses s`,
		`SELECT count(*) FROM pg_constraint WHERE contype = 'f'`,
	} {
		if a, b := p.Psql(t, "src", q), p.Psql(t, "dst", q); a != b {
			t.Errorf("%s: %s before, %s after the restore", q, a, b)
		}
	}
}
