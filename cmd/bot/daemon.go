package main

import (
	"context"
	"errors"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/state"
)

func runDaemon(ctx context.Context, e *env) error {
	cfg, err := loadConfig(e)
	if err != nil {
		return err
	}
	path := cfg.Path()
	if err := cfg.RequireMastodonToken(); err != nil {
		return &configError{path: path, err: err}
	}
	if len(cfg.Admins.Accounts) == 0 {
		return &configError{path: path, err: config.Problems{{Key: "admins.accounts", Msg: "bot run needs at least one admin, e.g. accounts = [\"alice@social.example.coop\"]"}}}
	}
	log := newLogger(e.stderr, cfg.Log.Level, cfg.Log.Format)
	store, err := state.Open(cfg.State.Path)
	if err != nil {
		return err
	}
	defer store.Close()
	o, err := botOptions(cfg, log, store)
	if err != nil {
		return err
	}
	err = bot.Run(ctx, o)
	var problems config.Problems
	if errors.As(err, &problems) {
		return &configError{path: path, err: problems}
	}
	return err
}
