package main

// The db stand-in (tootops-lab/postgres:14-lab) speaks a line protocol on :5432 instead
// of PostgreSQL's, enough for `rails db:migrate` in a web container to record migrations
// where a test can read them back. One request per line, answers end with "\n":
//
//	MIGRATED                      one line "<id> <phase> <version>" per applied migration,
//	                              in the order they ran, then "."
//	MIGRATE <id> <phase> <ver>    record a migration: "OK", or "ERR <PostgreSQL error>"
//	FAIL pre|post|off             the next MIGRATE of that phase answers an error
//	                              (one-shot); off forgets both
//	PING                          "PONG"
//
// The applied migrations live in memory and in $PGDATA/lab-migrations.log (default
// /var/lib/postgresql/data, made writable for uid 991 in the image), so they survive a
// restart of the container, and a volume there keeps them across a recreate. A database
// without that file starts as one Mastodon LAB_DB_BASELINE (default 4.5.0) migrated: every
// migration up to that version applied ("none": an empty database). Connections that do
// not begin with a capital letter (a real PostgreSQL client's startup packet) are closed,
// as before.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

const migrationsLog = "lab-migrations.log"

// applied is one row of the stand-in's schema_migrations, with how it got there.
type applied struct {
	ID, Phase, Version string
}

func (a applied) String() string { return a.ID + " " + a.Phase + " " + a.Version }

type database struct {
	mu      sync.Mutex
	rows    []applied
	file    string // "" when the data directory is not writable: memory only
	failing map[string]bool
}

func openDatabase() (*database, error) {
	data := envOr("PGDATA", "/var/lib/postgresql/data")
	d := &database{file: filepath.Join(data, migrationsLog), failing: map[string]bool{}}
	b, err := os.ReadFile(d.file)
	switch {
	case err == nil:
		for line := range strings.SplitSeq(string(b), "\n") {
			if f := strings.Fields(line); len(f) == 3 {
				d.rows = append(d.rows, applied{f[0], f[1], f[2]})
			}
		}
		return d, nil
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	if base := envOr("LAB_DB_BASELINE", "4.5.0"); base != "none" {
		for _, m := range known(base) {
			d.rows = append(d.rows, applied{m.ID, m.phase(), base})
		}
	}
	var sb strings.Builder
	for _, r := range d.rows {
		sb.WriteString(r.String() + "\n")
	}
	if err := os.MkdirAll(data, 0o700); err == nil {
		err = os.WriteFile(d.file, []byte(sb.String()), 0o600)
		if err == nil {
			return d, nil
		}
	}
	logf(os.Stderr, "WARNING:  %s is not writable: migrations are kept in memory only", data)
	d.file = ""
	return d, nil
}

// handle answers one request line.
func (d *database) handle(line string) string {
	f := strings.Fields(line)
	if len(f) == 0 {
		return "ERR empty request\n"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	switch {
	case f[0] == "PING":
		return "PONG\n"
	case f[0] == "MIGRATED":
		var sb strings.Builder
		for _, r := range d.rows {
			sb.WriteString(r.String() + "\n")
		}
		return sb.String() + ".\n"
	case f[0] == "MIGRATE" && len(f) == 4 && (f[2] == "pre" || f[2] == "post"):
		if d.failing[f[2]] {
			delete(d.failing, f[2])
			logf(os.Stdout, "ERROR:  lab: migration %s failed as db-fail %s asked", f[1], f[2])
			if f[2] == "pre" {
				return "ERR PG::LockNotAvailable: ERROR:  canceling statement due to lock timeout\n"
			}
			return "ERR PG::QueryCanceled: ERROR:  canceling statement due to statement timeout\n"
		}
		for _, r := range d.rows {
			if r.ID == f[1] {
				return fmt.Sprintf("ERR PG::UniqueViolation: ERROR:  duplicate key value violates unique constraint \"schema_migrations_pkey\" DETAIL:  Key (version)=(%s) already exists.\n", strings.SplitN(f[1], "_", 2)[0])
			}
		}
		r := applied{f[1], f[2], f[3]}
		if d.file != "" {
			fh, err := os.OpenFile(d.file, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o600)
			if err != nil {
				return "ERR PG::DiskFull: ERROR:  " + err.Error() + "\n"
			}
			_, err = io.WriteString(fh, r.String()+"\n")
			if err = errors.Join(err, fh.Close()); err != nil {
				return "ERR PG::DiskFull: ERROR:  " + err.Error() + "\n"
			}
		}
		d.rows = append(d.rows, r)
		logf(os.Stdout, "LOG:  lab: migration %s (%s) applied by Mastodon %s", r.ID, r.Phase, r.Version)
		return "OK\n"
	case f[0] == "FAIL" && len(f) == 2 && (f[1] == "pre" || f[1] == "post"):
		d.failing[f[1]] = true
		return "OK\n"
	case f[0] == "FAIL" && len(f) == 2 && f[1] == "off":
		clear(d.failing)
		return "OK\n"
	}
	return fmt.Sprintf("ERR unknown request %q\n", line)
}

func dbStandIn(ctx context.Context) int {
	d, err := openDatabase()
	if err != nil {
		logf(os.Stderr, "FATAL:  %v", err)
		return 1
	}
	return tcpStandIn(ctx, "5432", "LOG:  database system is ready to accept connections", "LOG:  received smart shutdown request", func(c net.Conn) {
		// A capital letter starts the lab's line protocol; anything else (a real
		// PostgreSQL client) is closed at once.
		r := bufio.NewReader(c)
		if b, err := r.Peek(1); err != nil || b[0] < 'A' || b[0] > 'Z' {
			return
		}
		answerLines(r, c, d.handle)
	})
}

// dbConn is a client of the stand-in.
type dbConn struct {
	c net.Conn
	r *bufio.Reader
}

func dialDB(addr string) (*dbConn, error) {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	_ = c.SetDeadline(time.Now().Add(time.Minute))
	return &dbConn{c: c, r: bufio.NewReader(c)}, nil
}

func (d *dbConn) Close() error { return d.c.Close() }

// ask sends a request and returns its answer's first line, without the newline.
func (d *dbConn) ask(req string) (string, error) {
	if _, err := io.WriteString(d.c, req+"\n"); err != nil {
		return "", err
	}
	line, err := d.r.ReadString('\n')
	return strings.TrimSuffix(line, "\n"), err
}

// migrated returns the applied migrations in the order they ran.
func (d *dbConn) migrated() ([]applied, error) {
	line, err := d.ask("MIGRATED")
	var rows []applied
	for ; err == nil && line != "."; line, err = d.r.ReadString('\n') {
		line = strings.TrimSuffix(line, "\n")
		if line == "." {
			break
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("unexpected answer %q", line)
		}
		rows = append(rows, applied{f[0], f[1], f[2]})
	}
	return rows, err
}

// dbLog prints the applied migrations, one "<id> <phase> <version>" line each, in the
// order they ran. It runs in the db container (docker exec).
func dbLog() int {
	d, err := dialDB("127.0.0.1:5432")
	if err != nil {
		fmt.Fprintf(os.Stderr, "db-log: %v\n", err)
		return 1
	}
	defer d.Close()
	rows, err := d.migrated()
	if err != nil {
		fmt.Fprintf(os.Stderr, "db-log: %v\n", err)
		return 1
	}
	for _, r := range rows {
		fmt.Println(r)
	}
	return 0
}

// dbFail makes the next migration of a phase fail (pre, post), or none (off). It runs in
// the db container (docker exec).
func dbFail(args []string) int {
	if len(args) != 1 || (args[0] != "pre" && args[0] != "post" && args[0] != "off") {
		fmt.Fprintln(os.Stderr, "usage: mastolab db-fail pre|post|off")
		return 2
	}
	d, err := dialDB("127.0.0.1:5432")
	if err != nil {
		fmt.Fprintf(os.Stderr, "db-fail: %v\n", err)
		return 1
	}
	defer d.Close()
	if ans, err := d.ask("FAIL " + args[0]); err != nil || ans != "OK" {
		fmt.Fprintf(os.Stderr, "db-fail: %q %v\n", ans, err)
		return 1
	}
	return 0
}
