package lab

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// PGBinDir holds the PostgreSQL 15 binaries of Debian's postgresql-15, which
// scripts/test-setup.sh installs. Debian's /usr/bin/pg_dump and friends are a Perl wrapper
// that picks a version; tests use these directly.
const PGBinDir = "/usr/lib/postgresql/15/bin"

const pgSetupHint = "install postgresql-15: run `make setup` or scripts/test-setup.sh"

// PG is a throwaway PostgreSQL cluster on the host, started by Postgres.
type PG struct {
	Host     string // 127.0.0.1
	Port     int
	User     string // a superuser
	Password string // scram-sha-256 over TCP; the unix socket trusts
	BinDir   string // PGBinDir
	Dir      string // the cluster's directory: data/, the socket, postgres.log

	cmd  *exec.Cmd
	done chan struct{} // closed when postgres has exited
}

// Postgres initialises a cluster in a fresh directory, starts postgres on 127.0.0.1 at a
// free port, waits until it accepts connections, and stops it (SIGINT, fast shutdown) and
// removes the directory when the test ends. Run as root, the cluster belongs to the
// postgres OS user, as postgres refuses to run as root. Durability is off (fsync=off):
// it is a test database. A missing PostgreSQL fails the test, it never skips it.
func Postgres(t testing.TB) *PG {
	t.Helper()
	for _, b := range []string{"postgres", "initdb", "psql", "pg_isready"} {
		if _, err := os.Stat(filepath.Join(PGBinDir, b)); err != nil {
			t.Fatalf("lab: PostgreSQL 15 is missing: %v\n%s", err, pgSetupHint)
		}
	}
	p := &PG{Host: "127.0.0.1", User: "postgres", Password: rand.Text(), BinDir: PGBinDir}
	cred, err := pgCredential()
	if err != nil {
		t.Fatalf("lab: %v\n%s", err, pgSetupHint)
	}
	p.Dir, err = os.MkdirTemp(pgTempRoot(cred), "tootops-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(p.Dir); err != nil {
			t.Errorf("lab: remove %s: %v", p.Dir, err)
		}
	})
	pwfile := filepath.Join(p.Dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(p.Password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if cred != nil {
		for _, f := range []string{p.Dir, pwfile} {
			if err := os.Chown(f, int(cred.Uid), int(cred.Gid)); err != nil {
				t.Fatal(err)
			}
		}
	}
	initdb := exec.Command(filepath.Join(PGBinDir, "initdb"), "-D", filepath.Join(p.Dir, "data"),
		"-U", p.User, "--pwfile", pwfile, "--auth-local=trust", "--auth-host=scram-sha-256",
		"-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("lab: initdb: %v\n%s", err, out)
	}
	os.Remove(pwfile)
	// A free port can be taken between FreePort and the bind: try again with another.
	for attempt := 1; ; attempt++ {
		err := p.start(t, cred)
		if err == nil {
			break
		}
		if !errors.Is(err, errPortInUse) || attempt == 3 {
			t.Fatalf("lab: postgres: %v", err)
		}
	}
	t.Cleanup(func() { p.stop(t) })
	return p
}

var errPortInUse = errors.New("port in use")

// start starts postgres at a free port and waits until it accepts connections.
func (p *PG) start(t testing.TB, cred *syscall.Credential) error {
	p.Port = FreePort(t)
	logPath := filepath.Join(p.Dir, "postgres.log")
	log, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer log.Close()
	p.cmd = exec.Command(filepath.Join(PGBinDir, "postgres"), "-D", filepath.Join(p.Dir, "data"),
		"-k", p.Dir, "-p", strconv.Itoa(p.Port), "-c", "listen_addresses=127.0.0.1",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")
	p.cmd.Stdout, p.cmd.Stderr = log, log
	// Its own process group, so that a ^C of `go test` reaches it through the cleanup
	// only; and SIGINT when the test binary dies without cleaning up (a -timeout panic).
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true, Pdeathsig: syscall.SIGINT}
	if err := p.cmd.Start(); err != nil {
		return err
	}
	p.done = make(chan struct{})
	go func() {
		p.cmd.Wait()
		close(p.done)
	}()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := exec.Command(filepath.Join(PGBinDir, "pg_isready"), "-q", "-h", p.Host, "-p", strconv.Itoa(p.Port), "-t", "1")
		ready.Env = pgEnv()
		if ready.Run() == nil {
			return nil
		}
		select {
		case <-p.done:
			out, _ := os.ReadFile(logPath)
			if bytes.Contains(out, []byte("Address already in use")) {
				return fmt.Errorf("%w: %d", errPortInUse, p.Port)
			}
			return fmt.Errorf("exited before accepting connections (%v):\n%s", p.cmd.ProcessState, out)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.stop(t)
			out, _ := os.ReadFile(logPath)
			return fmt.Errorf("not accepting connections on %s after 30s:\n%s", p.Addr(), out)
		}
	}
}

// stop sends SIGINT (fast shutdown) and waits; SIGKILL after 30 seconds.
func (p *PG) stop(t testing.TB) {
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil && !errors.Is(err, os.ErrProcessDone) {
		t.Errorf("lab: stop postgres (pid %d): %v", p.cmd.Process.Pid, err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Errorf("lab: postgres (pid %d) did not stop in 30s; killing it", p.cmd.Process.Pid)
		p.cmd.Process.Kill()
		<-p.done
	}
}

// Addr is host:port of the cluster.
func (p *PG) Addr() string { return p.Host + ":" + strconv.Itoa(p.Port) }

// Env is the libpq environment (PGHOST, PGPORT, PGUSER, PGPASSWORD) that reaches the
// cluster over TCP as User, for tools such as pg_dump; append PGDATABASE as needed.
func (p *PG) Env() []string {
	return append(pgEnv(), "PGHOST="+p.Host, "PGPORT="+strconv.Itoa(p.Port), "PGUSER="+p.User, "PGPASSWORD="+p.Password)
}

// Psql runs sql (one or more statements, or psql meta-commands) with psql -XAt over TCP
// as User in database db, stopping at the first error, and returns its output without
// the trailing newline. An error fails the test.
func (p *PG) Psql(t testing.TB, db, sql string) string {
	t.Helper()
	out, err := p.psql(db, sql, p.Password)
	if err != nil {
		t.Fatalf("lab: psql: %v", err)
	}
	return out
}

// psql is Psql with a password of choice, returning the error.
func (p *PG) psql(db, sql, password string) (string, error) {
	cmd := exec.Command(filepath.Join(p.BinDir, "psql"), "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
		"-h", p.Host, "-p", strconv.Itoa(p.Port), "-U", p.User, "-d", db, "-f", "-")
	cmd.Env = append(pgEnv(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=10")
	cmd.Stdin = strings.NewReader(sql)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimRight(stdout.String(), "\n"), nil
}

// CreateDB creates a database owned by User.
func (p *PG) CreateDB(t testing.TB, name string) {
	t.Helper()
	p.Psql(t, "postgres", "CREATE DATABASE "+quoteIdent(name))
}

// quoteIdent quotes an SQL identifier.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}

// pgEnv is the environment without the PG* variables of the caller, which would redirect
// libpq (PGSERVICE, PGSSLMODE…).
func pgEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") {
			env = append(env, kv)
		}
	}
	return env
}

// pgCredential is the postgres OS user when running as root, else nil (run as oneself).
func pgCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root, PostgreSQL needs the postgres OS user: %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
}

// pgTempRoot is the directory for clusters: os.TempDir, unless running as another user
// than postgres and the postgres user could not reach a directory in it (a TMPDIR under
// /root): then /tmp.
func pgTempRoot(cred *syscall.Credential) string {
	dir := os.TempDir()
	if cred == nil {
		return dir
	}
	for d := dir; ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil || fi.Mode().Perm()&0o001 == 0 {
			return "/tmp"
		}
		if d == filepath.Dir(d) {
			return dir
		}
	}
}
