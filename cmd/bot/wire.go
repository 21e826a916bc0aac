package main

import (
	"errors"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/schedule"
	"github.com/tootops/tootops/state"
)

// opsCommands are the commands that act on the instance, built with their clients. The
// registry also holds the bot's own (help, jobs, confirmations…).
func opsCommands(*config.Config) []commands.Command { return nil }

// schedules turns the config's schedule keys into entries, each a command line.
func schedules(cfg *config.Config) []schedule.Entry {
	var out []schedule.Entry
	if cfg.Backup != nil && cfg.Backup.Schedule != "" {
		out = append(out, schedule.Entry{Name: "backup", Spec: string(cfg.Backup.Schedule), Line: "backup"})
	}
	return out
}

func botOptions(cfg *config.Config, log zerolog.Logger, store *state.Store) bot.Options {
	return bot.Options{
		Log:         log,
		Store:       store,
		Info:        bot.Info{Version: versionString(), Started: time.Now()},
		Config:      cfg,
		LocalDomain: bot.LocalDomain(cfg),
		Commands:    opsCommands(cfg),
		Schedules:   schedules(cfg),
	}
}

// newBot builds the bot, reporting names the config gives that match no command as
// config problems.
func newBot(cfg *config.Config, log zerolog.Logger, store *state.Store) (*bot.Bot, bot.Options, error) {
	o := botOptions(cfg, log, store)
	b, err := bot.New(o)
	var problems config.Problems
	if errors.As(err, &problems) {
		return nil, o, &configError{path: cfg.Path(), err: problems}
	}
	return b, o, err
}
