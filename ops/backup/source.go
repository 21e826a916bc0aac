package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// Source runs PostgreSQL's client programs (pg_dump, pg_restore, psql) next to the
// database: inside the Compose db service, or on the bot's host over TCP.
type Source interface {
	// Run runs argv, feeding it stdin when not nil, and returns after the program ended:
	// nil for exit 0, an *ExitError otherwise, or ctx's error when ctx ended first.
	Run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error
	// Where says where the programs run, for replies and the manifest.
	Where() string
	// User is the PostgreSQL role the programs connect as.
	User() string
}

// ExitError is a program that ended with a non-zero exit code.
type ExitError = compose.ExitError

// Execer runs a program in a service's container; *compose.Project is one.
type Execer interface {
	Exec(ctx context.Context, service string, o compose.ExecOptions) error
}

// ExecSource runs the programs with docker exec in a Compose service, so their version
// always matches the server's and the database needs no published port. Mastodon's
// Compose file trusts local connections, so no password is involved.
type ExecSource struct {
	Project Execer
	Service string // "db"
	Role    string // the PostgreSQL role, "postgres"
}

func (s *ExecSource) Run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return s.Project.Exec(ctx, s.Service, compose.ExecOptions{Cmd: argv, Stdin: stdin, Stdout: stdout, Stderr: stderr})
}

func (s *ExecSource) Where() string { return "docker exec in the " + s.Service + " service" }
func (s *ExecSource) User() string  { return s.Role }

// HostSource runs the programs installed on the bot's host, connecting over TCP. The
// password travels in the environment (PGPASSWORD), never in arguments, so it shows in
// no process list, log or error.
type HostSource struct {
	Address  string // host:port
	Role     string
	Password string
	// BinDir holds pg_dump, pg_restore and psql; "" looks them up on PATH. It goes
	// first on the programs' PATH too, for a wrapper such as stdbuf to find them.
	BinDir string
}

// pipeSize is the kernel buffer of the pipe a program's output is read from: with 1 MiB
// (Linux's limit for unprivileged processes) pg_dump's 1 MiB writes go through whole
// instead of in 64 KiB pieces, each a wake-up of both sides.
const pipeSize = 1 << 20

func (s *HostSource) Run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	name := argv[0]
	env := os.Environ()
	if s.BinDir != "" {
		if p, err := exec.LookPath(filepath.Join(s.BinDir, name)); err == nil {
			name = p // BinDir's own program; others (stdbuf) come from PATH
		}
		env = append(env, "PATH="+s.BinDir+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	cmd := exec.CommandContext(ctx, name, argv[1:]...)
	host, port, _ := net.SplitHostPort(s.Address)
	cmd.Env = append(env, "PGHOST="+host, "PGPORT="+port, "PGUSER="+s.Role, "PGCONNECT_TIMEOUT=10")
	if s.Password != "" {
		cmd.Env = append(cmd.Env, "PGPASSWORD="+s.Password)
	}
	cmd.Stdin, cmd.Stderr = stdin, stderr
	err := runReading(cmd, stdout)
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		return ctx.Err()
	case errors.As(err, &exitErr):
		return &ExitError{Code: exitErr.ExitCode()}
	case errors.Is(err, exec.ErrNotFound):
		return &ops.Error{Msg: argv[0] + " is not installed on this host", Hint: `source = "host" runs PostgreSQL's client programs here: install postgresql-client of the server's major version`, Err: err}
	}
	return fmt.Errorf("%s: %w", argv[0], err)
}

// runReading runs cmd with its output copied to stdout through a large pipe in large
// reads (exec's own copy uses a 64 KiB pipe and 32 KiB reads). Like exec, it reports
// the program's failure before a failed write to stdout, which makes the program's
// next write fail (EPIPE).
func runReading(cmd *exec.Cmd, stdout io.Writer) error {
	if _, ok := stdout.(*os.File); ok || stdout == nil {
		cmd.Stdout = stdout
		return cmd.Run()
	}
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if f, ok := pipe.(*os.File); ok {
		setPipeSize(f, pipeSize) // best effort: a smaller pipe only costs CPU
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	// struct{io.Reader} hides *os.File's WriteTo, which would copy 32 KiB at a time.
	_, copyErr := io.CopyBuffer(stdout, struct{ io.Reader }{pipe}, make([]byte, 256<<10))
	pipe.Close()
	if err := cmd.Wait(); err != nil {
		return err
	}
	return copyErr
}

func (s *HostSource) Where() string { return "this host, connecting to " + s.Address }
func (s *HostSource) User() string  { return s.Role }

// query runs one SQL statement with psql and returns its rows, fields split on tabs.
func query(ctx context.Context, src Source, db, sql string) ([][]string, error) {
	var out, errb strings.Builder
	err := src.Run(ctx, []string{"psql", "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1", "-U", src.User(), "-d", db, "-c", sql}, nil, &out, &errb)
	if err != nil {
		return nil, programError("psql", err, errb.String())
	}
	var rows [][]string
	for line := range strings.SplitSeq(strings.TrimRight(out.String(), "\n"), "\n") {
		if line != "" {
			rows = append(rows, strings.Split(line, "\t"))
		}
	}
	return rows, nil
}

// programError adds the end of a program's stderr to its failure. The PostgreSQL
// programs get their password from the environment, never from arguments, so their
// messages are safe to show.
func programError(name string, err error, stderr string) error {
	var exit *ExitError
	if !errors.As(err, &exit) {
		return err
	}
	msg := fmt.Sprintf("%s exited with code %d", name, exit.Code)
	if tail := strings.TrimSpace(Tail(stderr, 5)); tail != "" {
		msg += ": " + tail
	}
	return &ops.Error{Msg: msg, Err: err}
}

// Tail is the last n lines of s.
func Tail(s string, n int) string {
	s = strings.TrimRight(s, "\n")
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\n' {
			if n--; n == 0 {
				return s[i+1:]
			}
		}
	}
	return s
}
