package host

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"time"
)

// Runner runs a program with arguments and returns what it wrote on stdout and stderr.
// Exec runs the real programs; tests give a RunFunc serving recorded output, since no
// systemd runs where they do.
type Runner interface {
	Run(ctx context.Context, name string, args ...string) (stdout, stderr []byte, err error)
}

// RunFunc is a Runner made of a function.
type RunFunc func(ctx context.Context, name string, args ...string) (stdout, stderr []byte, err error)

// Run calls f.
func (f RunFunc) Run(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	return f(ctx, name, args...)
}

var (
	_ Runner = RunFunc(nil)
	_ Runner = Exec{}
)

// ErrNotInstalled is returned by Exec when the program is not on PATH.
var ErrNotInstalled = errors.New("not installed")

// Output bounds of Exec.
const (
	// DefaultMaxOutput is the stdout Exec keeps by default: 500 journal entries of a few
	// kB each fit many times over.
	DefaultMaxOutput = 8 << 20
	// maxStderr is the stderr Exec keeps: the first lines, where the reason is.
	maxStderr = 4 << 10
)

// Exec runs programs found on PATH, in the C locale (dates in English for the plain
// output of older systemctl), without colours or a pager.
type Exec struct {
	// MaxOutput caps the stdout kept; past it, the end is kept, where journalctl writes
	// the newest entries. 0 means DefaultMaxOutput.
	MaxOutput int
}

// Run runs name with args until it exits or ctx ends; then it is killed, and Run returns
// at most a second later.
func (e Exec) Run(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	path, err := exec.LookPath(name)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w: %w", name, ErrNotInstalled, err)
	}
	max := e.MaxOutput
	if max <= 0 {
		max = DefaultMaxOutput
	}
	stdout, stderr := &tailBuffer{max: max}, &headBuffer{max: maxStderr}
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Env = append(os.Environ(), "LC_ALL=C", "SYSTEMD_COLORS=0", "SYSTEMD_PAGER=", "SYSTEMD_URLIFY=0")
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.WaitDelay = time.Second
	err = cmd.Run()
	if err != nil && ctx.Err() != nil {
		err = fmt.Errorf("%s: %w", name, context.Cause(ctx))
	}
	return stdout.bytes(), stderr.buf, err
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 2*t.max { // trim now and then, not on every write
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) bytes() []byte {
	if len(t.buf) > t.max {
		return t.buf[len(t.buf)-t.max:]
	}
	return t.buf
}

// headBuffer keeps the first max bytes written to it.
type headBuffer struct {
	max int
	buf []byte
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.buf); room > 0 {
		h.buf = append(h.buf, p[:min(room, len(p))]...)
	}
	return len(p), nil
}
