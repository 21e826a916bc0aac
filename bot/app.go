package bot

import (
	"context"
	"net/url"
	"time"

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
	return (&Bot{now: time.Now}).buildRegistry(info, extra)
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

// Run is the daemon: it serves until ctx is cancelled, then stops its parts in the
// reverse order of their start, within a bounded time.
func Run(ctx context.Context, o Options) error {
	b, err := New(o)
	if err != nil {
		return err
	}
	b.LogStartup(o, "run")
	b.StartSchedules(ctx)
	// The Mastodon intake (streaming, catch-up, ledger) plugs in here; until it does,
	// the daemon runs its schedules and holds the state file.
	o.Log.Warn().Msg("mastodon intake is not built yet: this build answers on the console only")
	<-ctx.Done()
	o.Log.Info().Msg("signal received, tootops shutting down")
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	return b.Close(sctx)
}
