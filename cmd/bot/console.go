package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/state"
)

// runConsole drives the bot from this terminal (or a pipe) through the same pipeline as
// Mastodon DMs, acting as an admin.
func runConsole(ctx context.Context, e *env) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	as := e.as
	if as == "" {
		if len(cfg.Admins.Accounts) == 0 {
			return &usageError{msg: "console: give --as user@domain, or list an admin in [admins] accounts"}
		}
		as = cfg.Admins.Accounts[0]
	}
	log := newLogger(e.stderr, cfg.Log.Level, cfg.Log.Format)
	store, err := state.Open(cfg.State.Path)
	if err != nil {
		return err
	}
	defer store.Close()
	b, o, err := newBot(cfg, log, store)
	if err != nil {
		return err
	}
	b.LogStartup(o, "console")
	// The console is for trying the bot out: a port in use (a `bot run` on the same
	// machine) must not keep it from starting.
	srv, err := b.StartHTTP(cfg.HTTP.Listen, "console")
	if err != nil {
		log.Warn().Err(err).Msg("http endpoint not started")
	}
	defer func() {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Close(hctx)
	}()
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if err := b.Close(sctx); err != nil {
			log.Warn().Err(err).Msg("console shutdown")
		}
	}()
	if !b.Admins().Allows(as) {
		fmt.Fprintf(e.stderr, "note: %s is not in [admins] accounts: the bot ignores its messages, as it would on Mastodon\n", as)
	}
	tty := isTerminal(e.stdout) && isTerminalReader(e.stdin)
	if tty {
		fmt.Fprintf(e.stdout, "tootops %s console, acting as %s. Type help; Ctrl-D to leave.\n", versionString(), as)
	}
	console := bot.NewConsole(e.stdout, tty)
	// Announcements go to the terminal too: the console is for trying the bot out.
	b.SetPublicChannel(console)
	return bot.RunConsole(ctx, b, console, e.stdin, bot.Account{Acct: as})
}

func isTerminalReader(r any) bool {
	f, ok := r.(*os.File)
	return ok && isTerminal(f)
}
