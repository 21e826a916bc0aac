// Command bot is tootops: a chat-ops bot for the admins of a docker-compose Mastodon
// server. main only parses flags, loads the config, builds the logger and the clients,
// and hands over to the bot package; signals and exit codes are handled here and
// nowhere else.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
)

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // a runtime failure
	exitUsage   = 2 // a usage or config error
)

func main() {
	limitMemory()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// memoryLimit is the memory the Go runtime aims to stay under unless GOMEMLIMIT says
// otherwise. The bot's steady heap is a few MiB; a backup adds its upload part buffers
// (3 × 5 MiB) and two zstd encoders (windows, tables and input backlog: ~20 MiB).
// Without a limit the collector lets the heap grow to twice what is live before it runs,
// which would push a backup past its 64 MiB budget; a limit below what a backup keeps
// live makes the collector run back to back (measured: 44 MiB did at times, 46–48 never;
// 48 MiB peaks at 61–62 MiB RSS).
const memoryLimit = 48 << 20

func limitMemory() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// run is main without the process: it returns the exit code, so tests can call it.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signalContext(stderr)
	defer stop()
	err := dispatch(ctx, args, stdin, stdout, stderr)
	return exitCode(err, stderr)
}

// exitCode maps an error to the exit code and prints it: one place for every error
// that reaches the top, so each kind gets the same treatment.
func exitCode(err error, stderr io.Writer) int {
	var usage *usageError
	var cfg *configError
	var failed checksFailed
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "bot:", usage.msg)
		if usage.hint != "" {
			fmt.Fprintln(stderr, usage.hint)
		}
		return exitUsage
	case errors.As(err, &cfg):
		fmt.Fprintln(stderr, cfg.Error())
		return exitUsage
	case errors.As(err, &failed):
		return exitFailure // the check lines said it all
	default:
		fmt.Fprintln(stderr, "bot:", err)
		return exitFailure
	}
}

// signalContext is cancelled by the first SIGINT or SIGTERM, so everything shuts down in
// order; a second signal aborts at once, for when shutting down itself hangs.
func signalContext(stderr io.Writer) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-done:
			return
		}
		select {
		case <-sigs:
			fmt.Fprintln(stderr, "bot: second signal, aborting")
			os.Exit(exitFailure)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
