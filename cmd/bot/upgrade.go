package main

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/maintenance"
	"github.com/tootops/tootops/ops/release"
	"github.com/tootops/tootops/ops/upgrade"
	"github.com/tootops/tootops/state"
)

// newUpgrader builds the upgrader of [upgrade] over the Compose project. backups may be
// nil (no [backup]); pub receives the bot's publisher once the bot exists.
func newUpgrader(cfg *config.Config, store *state.Store, project *compose.Project, backups upgrade.Backups, pub *lateAnnouncer, log zerolog.Logger) *upgrade.Upgrader {
	u := cfg.Upgrade
	client := releaseClient(u, stateCache{store})
	o := upgrade.Options{
		Engine: project, Releases: client, Store: store, Publisher: pub,
		Services: u.Services, WebURL: u.WebURL, StreamingURL: u.StreamingURL, AssetsDir: u.AssetsDir,
		AnnounceTemplate: config.DefaultUpgradeTemplate, DoneTemplate: config.DefaultUpgradeDoneTemplate,
		HealthTimeout: u.HealthTimeout.D(), Log: log,
	}
	if a := cfg.Announce; a != nil {
		o.AnnounceTemplate, o.DoneTemplate = a.UpgradeTemplate, a.UpgradeDoneTemplate
	}
	if backups != nil {
		o.Backups = backups
	}
	if cfg.Maintenance.File != "" {
		o.Maintenance = maintenance.Flag{Path: cfg.Maintenance.File}
	}
	return upgrade.New(o)
}

// releaseClient is the GitHub client of [upgrade]; cache may be nil.
func releaseClient(u config.Upgrade, cache release.Cache) *release.Client {
	return release.NewClient(release.ClientOptions{
		URL:       u.ReleasesURL,
		Token:     u.GitHubToken.Reveal(),
		Cache:     cache,
		UserAgent: "tootops/" + versionString() + " (+https://github.com/tootops/tootops)",
		HTTPClient: &http.Client{
			Timeout: 30 * time.Second,
		},
	})
}

// lateAnnouncer is the bot's publisher for commands built before the bot.
type lateAnnouncer struct {
	mu sync.Mutex
	p  commands.Publisher
}

func (l *lateAnnouncer) set(p commands.Publisher) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.p = p
}

func (l *lateAnnouncer) Announce(ctx context.Context, text string, followUp bool) (string, error) {
	l.mu.Lock()
	p := l.p
	l.mu.Unlock()
	if p == nil {
		return "", &ops.Error{Msg: "no public channel yet"}
	}
	return p.Announce(ctx, text, followUp)
}

// stateCache keeps the release pages and their ETags in the state file, so that a
// restart does not spend the 60 requests an hour GitHub allows without a token.
type stateCache struct{ store *state.Store }

type cachedPage struct {
	ETag string `json:"etag"`
	Body []byte `json:"body"`
}

func (c stateCache) Get(key string) (string, []byte, bool) {
	var p cachedPage
	var ok bool
	err := c.store.View(func(tx *state.Tx) error {
		var err error
		ok, err = tx.Get(state.Meta, []byte("releases."+key), &p)
		return err
	})
	if err != nil || !ok {
		return "", nil, false
	}
	return p.ETag, p.Body, true
}

func (c stateCache) Put(key, etag string, body []byte) error {
	return c.store.Update(func(tx *state.Tx) error {
		return tx.Put(state.Meta, []byte("releases."+key), cachedPage{ETag: etag, Body: body})
	})
}
