package bot

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"time"

	mastodon "github.com/mattn/go-mastodon"

	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
)

// Info describes the running build.
type Info struct {
	Version string
	Started time.Time
}

// shutdownTimeout bounds the orderly part of a shutdown; a second signal cuts it short.
const shutdownTimeout = 30 * time.Second

// Registry returns every command the bot answers, for help and docs: declaring a command
// touches no client and no store, so no connection is needed.
func Registry(info Info, extra []commands.Command) (*commands.Registry, error) {
	return (&Bot{now: time.Now, pub: &publisher{}}).buildRegistry(info, extra)
}

// LocalDomain is the instance's domain as accts use it (host, with a port if any), or ""
// when no [mastodon] section is configured.
func LocalDomain(cfg *config.Config) string {
	if cfg.Mastodon == nil {
		return ""
	}
	u, err := url.Parse(cfg.Mastodon.Server)
	if err != nil {
		return ""
	}
	return u.Host
}

// LogStartup writes the one summary line of a start: what runs, for whom, against what,
// and when each schedule runs next.
func (b *Bot) LogStartup(o Options, mode string) {
	server := ""
	if o.Config.Mastodon != nil {
		server = o.Config.Mastodon.Server
	}
	var next []string
	if timers, err := b.scheduler.Timers(); err == nil {
		for _, t := range timers {
			next = append(next, t.Name+" "+t.Next.Format(time.RFC3339))
		}
	}
	o.Log.Info().
		Str("mode", mode).
		Str("version", o.Info.Version).
		Str("server", server).
		Int("admins", b.admins.Len()).
		Strs("schedules", next).
		Str("state", o.Store.Path()).
		Int("schema", o.Store.SchemaVersion()).
		Msg("tootops starting")
}

// Run is the daemon: it answers the admins' DMs until ctx is cancelled, then stops its
// parts in the reverse order of their start, within a bounded time.
func Run(ctx context.Context, o Options) error {
	b, err := New(o)
	if err != nil {
		return err
	}
	b.LogStartup(o, "run")
	// /healthz answers from the start, "connecting" included, and goes down last.
	srv, err := b.StartHTTP(o.Config.HTTP.Listen, "run")
	if err != nil {
		return err
	}
	defer func() {
		hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpCloseTimeout)
		defer cancel()
		if err := srv.Close(hctx); err != nil {
			o.Log.Warn().Err(err).Msg("http endpoint shutdown")
		}
	}()
	m, err := dialWithRetry(ctx, o)
	if err != nil || m == nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		defer cancel()
		if err == nil {
			o.Log.Info().Msg("signal received, tootops shutting down")
		}
		return errors.Join(err, b.Close(sctx))
	}
	in, err := NewIntake(IntakeOptions{Mastodon: m, Bot: b, Store: o.Store, Log: o.Log, StaleAfter: o.Config.Mastodon.StaleAfter.D(), Now: o.Now})
	if err != nil {
		return err
	}
	b.health.watch(m, in.Stream())
	o.Log.Info().Str("bot", m.Me.Acct).Str("mastodon", m.Version).Msg("signed in")
	b.SetPublicChannel(m)
	b.SetRoleChecker(m)
	b.StartSchedules(ctx)
	runErr := in.Run(ctx) // returns when ctx ends, or when the token is refused
	if runErr == nil {
		o.Log.Info().Msg("signal received, tootops shutting down")
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	return errors.Join(runErr, b.Close(sctx))
}

// dialWithRetry signs in, waiting out an instance that is down (the bot may well start
// while Mastodon restarts); a refused token ends it at once. It returns nil, nil when ctx
// ends first.
func dialWithRetry(ctx context.Context, o Options) (*Mastodon, error) {
	token := o.Config.Mastodon.AccessToken.Reveal()
	wait := time.Second
	for {
		m, err := DialMastodon(ctx, o.Config.Mastodon.Server, token, o.Log)
		if err == nil {
			return m, nil
		}
		var api *mastodon.APIError
		if errors.As(err, &api) && api.StatusCode == http.StatusUnauthorized {
			return nil, err
		}
		o.Log.Warn().Err(err).Dur("retry_in", wait).Msg("mastodon not reachable yet")
		select {
		case <-ctx.Done():
			return nil, nil
		case <-time.After(wait):
		}
		wait = min(wait*2, time.Minute)
	}
}
