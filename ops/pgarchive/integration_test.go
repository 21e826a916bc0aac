package pgarchive_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/tootops/tootops/ops/pgarchive"
)

// pgBinEnv names the directory of the PostgreSQL binaries used by the integration test.
const pgBinEnv = "PGARCHIVE_PG_BIN"

// TestPgDumpIntegration pipes real pg_dump output through an Observer and compares the
// row counts with SELECT count(*). It needs the PostgreSQL 15 server binaries and fails,
// rather than skips, without them, so that CI cannot lose it silently.
func TestPgDumpIntegration(t *testing.T) {
	pg := startPostgres(t)
	pg.psql(t, "create database it")
	pg.psql(t, `
create table big (id bigint primary key, account_id bigint, body text, created_at timestamptz);
insert into big select g, g % 997, 'toot ' || g || ' ' || md5(g::text) || E' line\nbreak\ttab\\slash ünïcode',
  timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' from generate_series(1, 50000) g;
create table empty_table (id int);
create table "Quoted Name" (v text);
insert into "Quoted Name" values (E'\\.'), (''), (NULL);
create schema other;
create table other.t as select g from generate_series(1, 1234) g;
select lo_from_bytea(0, convert_to(E'large\nobject', 'UTF8'));`, "-d", "it")
	want := pg.counts(t, "it")

	for _, tc := range []struct {
		name     string
		args     []string
		counted  bool
		minBytes int64
	}{
		{"uncompressed", []string{"-Fc", "-Z0"}, true, 5 << 20},
		{"default compression", []string{"-Fc"}, false, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := pgarchive.NewObserver()
			var sawBig atomic.Bool
			stop := make(chan struct{})
			progress := make(chan struct{})
			go func() { // a progress reporter, as the bot runs one
				defer close(progress)
				for {
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
						if tb, ok := o.Current(); ok && tb.Name == "big" {
							sawBig.Store(true)
						}
					}
				}
			}()
			n := pg.dump(t, "it", io.Writer(o), tc.args...)
			close(stop)
			<-progress
			t.Logf("%d archive bytes; progress saw big in flight: %v", n, sawBig.Load())

			if err := o.Err(); err != nil {
				t.Fatal(err)
			}
			if !o.Complete() {
				t.Error("Complete() = false, want true")
			}
			if h, _ := o.Header(); h.DBName != "it" || h.Version != "1.14" {
				t.Errorf("Header() = %+v, want database it, version 1.14", h)
			}
			got := o.Rows()
			if len(got) != len(want) {
				t.Errorf("Rows() has %d tables %v, database has %d %v", len(got), got, len(want), want)
			}
			for name, count := range want {
				if !tc.counted {
					count = pgarchive.RowsUnknown
				}
				if rows, ok := got[name]; !ok || rows != count {
					t.Errorf("rows of %s = %d (listed %v), want %d", name, rows, ok, count)
				}
			}
			for _, tb := range o.Tables() {
				if tb.Name == "big" && tb.Bytes < tc.minBytes {
					t.Errorf("big has %d bytes of data, want at least %d", tb.Bytes, tc.minBytes)
				}
			}
			if got, want := o.LargeObjects(), int64(1); got != want {
				t.Errorf("LargeObjects() = %d, want %d", got, want)
			}
		})
	}
}

// postgres is a throwaway cluster listening only on a unix socket.
type postgres struct {
	bin    string
	socket string
}

// startPostgres initialises and starts a cluster in a temporary directory and stops it,
// by pid, when the test ends. As root it runs the server as the postgres user, which
// must then be able to reach the directory.
func startPostgres(t *testing.T) *postgres {
	t.Helper()
	bin := os.Getenv(pgBinEnv)
	if bin == "" {
		bin = "/usr/lib/postgresql/15/bin"
	}
	for _, name := range []string{"initdb", "postgres", "pg_dump", "psql"} {
		if _, err := os.Stat(filepath.Join(bin, name)); err != nil {
			t.Fatalf("PostgreSQL binaries not found (%v): install postgresql-15 (apt-get install postgresql-15) or set %s to the directory holding initdb, postgres, pg_dump and psql", err, pgBinEnv)
		}
	}

	dir := t.TempDir()
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("running as root needs a postgres user to run the server: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		// t.TempDir makes 0700 directories; let the postgres user through.
		for _, d := range []string{filepath.Dir(dir), dir} {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	asServer := func(name string, args ...string) *exec.Cmd {
		cmd := exec.Command(filepath.Join(bin, name), args...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		cmd.Dir = dir
		return cmd
	}

	data := filepath.Join(dir, "data")
	initdb := asServer("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}

	var log bytes.Buffer
	server := asServer("postgres", "-D", data, "-k", dir, "-c", "listen_addresses=", "-c", "fsync=off")
	server.Stdout, server.Stderr = &log, &log
	if err := server.Start(); err != nil {
		t.Fatalf("start postgres: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	t.Cleanup(func() {
		// SIGINT is the fast shutdown; kill if it takes too long.
		_ = syscall.Kill(server.Process.Pid, syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = syscall.Kill(server.Process.Pid, syscall.SIGKILL)
			<-exited
		}
	})

	pg := &postgres{bin: bin, socket: dir}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := exec.Command(filepath.Join(bin, "psql"), "-X", "-h", dir, "-U", "postgres", "-d", "postgres", "-c", "select 1").Run()
		if err == nil {
			return pg
		}
		select {
		case err := <-exited:
			t.Fatalf("postgres exited: %v\n%s", err, log.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("postgres not ready after 30s: %v\n%s", err, log.String())
		}
	}
}

func (pg *postgres) psql(t *testing.T, sql string, args ...string) string {
	t.Helper()
	args = append([]string{"-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", pg.socket, "-U", "postgres"}, args...)
	cmd := exec.Command(filepath.Join(pg.bin, "psql"), args...)
	cmd.Stdin = strings.NewReader(sql)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("psql: %v\n%s\n%s", err, stderr.String(), sql)
	}
	return string(out)
}

// counts returns SELECT count(*) of every ordinary table, keyed schema.name.
func (pg *postgres) counts(t *testing.T, db string) map[string]int64 {
	t.Helper()
	out := pg.psql(t, `
select json_object_agg(n.nspname || '.' || c.relname,
  (xpath('/row/c/text()', query_to_xml(format('select count(*) as c from %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint)
from pg_class c join pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'r' and n.nspname not in ('pg_catalog', 'information_schema')`, "-d", db)
	var counts map[string]int64
	if err := json.Unmarshal([]byte(out), &counts); err != nil {
		t.Fatalf("parse counts %q: %v", out, err)
	}
	return counts
}

// dump streams pg_dump's output through observer, as the backup pipeline does, and
// returns the number of bytes.
func (pg *postgres) dump(t *testing.T, db string, observer io.Writer, args ...string) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	args = append(args, "-h", pg.socket, "-U", "postgres", db)
	cmd := exec.CommandContext(ctx, filepath.Join(pg.bin, "pg_dump"), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	n, copyErr := io.Copy(io.Discard, io.TeeReader(stdout, observer))
	if err := errors.Join(copyErr, cmd.Wait()); err != nil {
		t.Fatal(fmt.Errorf("pg_dump %s: %w\n%s", strings.Join(args, " "), err, stderr.String()))
	}
	return n
}
