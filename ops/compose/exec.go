package compose

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/ops"
)

// execer is what running a program inside a service's container needs.
type execer interface {
	ExecCreate(ctx context.Context, id string, options client.ExecCreateOptions) (client.ExecCreateResult, error)
	ExecAttach(ctx context.Context, id string, options client.ExecAttachOptions) (client.ExecAttachResult, error)
	ExecInspect(ctx context.Context, id string, options client.ExecInspectOptions) (client.ExecInspectResult, error)
}

// ExecOptions is a program to run in a running container of a service, like
// `docker compose exec -T`.
type ExecOptions struct {
	Cmd    []string
	Env    []string
	User   string
	Stdin  io.Reader // nil: no input
	Stdout io.Writer // nil: discarded
	Stderr io.Writer // nil: discarded
}

// ExitError is a program that ran and exited non-zero.
type ExitError struct {
	Code int
}

func (e *ExitError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Exec runs o.Cmd in the first running container of service, without a TTY, so that
// binary output stays intact: stdout and stderr come demultiplexed, and the exit code is
// the program's (*ExitError when not 0). It returns only after the program ended. When
// ctx ends first the connection is closed, which ends a program writing to its stdout
// (EPIPE) or reading its stdin (EOF); Exec then returns ctx's error.
func (p *Project) Exec(ctx context.Context, service string, o ExecOptions) error {
	svc, err := p.discoverService(ctx, service)
	if err != nil {
		return err
	}
	var target *Container
	for i := range svc.Containers {
		if c := svc.Containers[i]; c.State == "running" && !c.OneOff {
			target = &svc.Containers[i]
			break
		}
	}
	if target == nil {
		return &ops.Error{Msg: fmt.Sprintf("service %s has no running container", service), Hint: "start it first: start " + service}
	}
	return p.execIn(ctx, target.ID, o)
}

func (p *Project) execIn(ctx context.Context, id string, o ExecOptions) error {
	eng, ok := p.eng.(execer)
	if !ok {
		return errors.New("compose: this engine cannot exec")
	}
	ex, err := eng.ExecCreate(ctx, id, client.ExecCreateOptions{
		Cmd: o.Cmd, Env: o.Env, User: o.User,
		AttachStdin: o.Stdin != nil, AttachStdout: true, AttachStderr: true,
	})
	if err != nil {
		return fmt.Errorf("exec %s: %w", o.Cmd[0], err)
	}
	att, err := eng.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		return fmt.Errorf("exec %s: %w", o.Cmd[0], err)
	}
	var closeOnce sync.Once
	closeConn := func() { closeOnce.Do(att.Close) }
	defer closeConn()
	stop := context.AfterFunc(ctx, closeConn)
	defer stop()

	in := &inputReader{r: o.Stdin}
	copied := make(chan struct{})
	if o.Stdin != nil {
		go func() {
			defer close(copied)
			_, _ = io.Copy(att.Conn, in)
			_ = att.CloseWrite()
		}()
	} else {
		close(copied)
	}
	stdout, stderr := o.Stdout, o.Stderr
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	_, copyErr := stdcopy.StdCopy(stdout, stderr, att.Reader)
	// The program ended (or the connection broke): input it did not read is no error,
	// but input that failed to arrive is the cause of whatever the program did.
	closeConn()
	<-copied
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if err := in.failed(); err != nil {
		return fmt.Errorf("exec %s: input: %w", o.Cmd[0], err)
	}
	if copyErr != nil {
		return fmt.Errorf("exec %s: output: %w", o.Cmd[0], copyErr)
	}
	return p.execExit(ctx, eng, ex.ID, o.Cmd[0])
}

// inputReader remembers the error that ended its reader, other than io.EOF.
type inputReader struct {
	r   io.Reader
	mu  sync.Mutex
	err error
}

func (i *inputReader) Read(b []byte) (int, error) {
	n, err := i.r.Read(b)
	if err != nil && err != io.EOF {
		i.mu.Lock()
		i.err = err
		i.mu.Unlock()
	}
	return n, err
}

func (i *inputReader) failed() error {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.err
}

// execExit waits for the daemon to record the exit code: the output can end a moment
// before the process is reaped.
func (p *Project) execExit(ctx context.Context, eng execer, id, name string) error {
	for wait := 5 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		res, err := eng.ExecInspect(ctx, id, client.ExecInspectOptions{})
		if err != nil {
			return fmt.Errorf("exec %s: %w", name, err)
		}
		if !res.Running {
			if res.ExitCode != 0 {
				return &ExitError{Code: res.ExitCode}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}
