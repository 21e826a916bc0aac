package bot

import (
	"context"
	"net/url"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/state"
)

// Info describes the running build.
type Info struct {
	Version string
	Started time.Time
}

// Registry returns every command the bot answers. Declaring a command touches no
// client, so the registry can be built for help and docs without any connection.
func Registry(info Info) (*commands.Registry, error) {
	r := commands.NewRegistry()
	if err := r.Add(commands.Ping(info.Version, info.Started, time.Now), commands.Whoami()); err != nil {
		return nil, err
	}
	if err := r.Add(commands.Help(r)); err != nil {
		return nil, err
	}
	return r, nil
}

// Deps is what the bot is built from; main opens and closes each of them.
type Deps struct {
	Config *config.Config
	Log    zerolog.Logger
	Store  *state.Store
	Info   Info
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

// Build returns the bot described by d.
func Build(d Deps) (*Bot, error) {
	reg, err := Registry(d.Info)
	if err != nil {
		return nil, err
	}
	admins := NewAllowlist(d.Config.Admins.Accounts, LocalDomain(d.Config))
	return New(d.Log, reg, admins), nil
}

// LogStartup writes the one summary line of a start: what runs, for whom, against what.
func LogStartup(d Deps, mode string) {
	server := ""
	if d.Config.Mastodon != nil {
		server = d.Config.Mastodon.Server
	}
	d.Log.Info().
		Str("mode", mode).
		Str("version", d.Info.Version).
		Str("server", server).
		Int("admins", len(d.Config.Admins.Accounts)).
		Str("state", d.Store.Path()).
		Int("schema", d.Store.SchemaVersion()).
		Msg("tootops starting")
}

// Run is the daemon: it serves until ctx is cancelled, then stops its parts in the
// reverse order of their start.
func Run(ctx context.Context, d Deps) error {
	if _, err := Build(d); err != nil {
		return err
	}
	LogStartup(d, "run")
	// The Mastodon intake (streaming, catch-up, ledger) plugs in here; until it does,
	// the daemon only holds the state file and waits.
	d.Log.Warn().Msg("mastodon intake is not built yet: this build answers on the console only")
	<-ctx.Done()
	d.Log.Info().Msg("signal received, tootops shutting down")
	return nil
}
