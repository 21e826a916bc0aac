package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/state"
)

// lastAnnouncement is where the id of the last announcement is kept, for follow-ups.
var lastAnnouncement = []byte("announce.last")

// publisher posts the community-facing toots through the bot's public channel: Mastodon
// under `bot run`, the terminal under `bot console`.
type publisher struct {
	store  *state.Store
	log    zerolog.Logger
	vis    Visibility
	boosts []config.Secret

	mu sync.Mutex
	tr Transport
}

var _ commands.Publisher = (*publisher)(nil)

// booster is what a transport needs to have announcements boosted.
type booster interface {
	Boost(ctx context.Context, ref Ref, token string) (string, error)
}

func newPublisher(store *state.Store, log zerolog.Logger, cfg *config.Announce) *publisher {
	p := &publisher{store: store, log: log, vis: Public}
	if cfg != nil {
		p.vis = Visibility(cfg.Visibility)
		p.boosts = cfg.BoostTokens()
	}
	return p
}

// SetPublicChannel names the transport announcements go through.
func (b *Bot) SetPublicChannel(tr Transport) {
	b.pub.mu.Lock()
	defer b.pub.mu.Unlock()
	b.pub.tr = tr
}

func (p *publisher) channel() (Transport, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tr == nil {
		return nil, &ops.Error{Msg: "no public channel: the bot is not connected to Mastodon"}
	}
	return p.tr, nil
}

func (p *publisher) last() (string, error) {
	var id string
	err := p.store.View(func(tx *state.Tx) error {
		_, err := tx.Get(state.Meta, lastAnnouncement, &id)
		return err
	})
	return id, err
}

// AnnouncePlan implements commands.Publisher.
func (p *publisher) AnnouncePlan(text string, followUp bool) (string, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "will post (%s): “%s”", p.vis, text)
	if followUp {
		id, err := p.last()
		if err != nil {
			return "", err
		}
		if id == "" {
			return "", &ops.Error{Msg: "no announcement to follow up yet", Hint: "send it without --follow-up"}
		}
		fmt.Fprintf(&b, " as a reply to the last announcement (%s)", id)
	}
	if n := len(p.boosts); n > 0 {
		fmt.Fprintf(&b, ", boosted by %d admin account(s)", n)
	}
	return b.String(), nil
}

// Announce implements commands.Publisher.
func (p *publisher) Announce(ctx context.Context, text string, followUp bool) (string, error) {
	tr, err := p.channel()
	if err != nil {
		return "", err
	}
	var parent string
	if followUp {
		if parent, err = p.last(); err != nil {
			return "", err
		}
		if parent == "" {
			return "", &ops.Error{Msg: "no announcement to follow up yet", Hint: "send it without --follow-up"}
		}
	}
	ref, err := tr.Post(ctx, text, p.vis, Ref(parent))
	if err != nil {
		return "", err
	}
	// Follow-ups chain: the next one replies to this one, so they read as one thread.
	if err := p.store.Update(func(tx *state.Tx) error { return tx.Put(state.Meta, lastAnnouncement, string(ref)) }); err != nil {
		p.log.Warn().Err(err).Msg("last announcement not saved: a follow-up will not find it")
	}
	result := fmt.Sprintf("posted %s (%s)", ref, p.vis)
	bo, ok := tr.(booster)
	if !ok || len(p.boosts) == 0 {
		return result, nil
	}
	var by []string
	var errs []error
	for _, tok := range p.boosts {
		acct, err := bo.Boost(ctx, ref, tok.Reveal())
		if err != nil {
			errs = append(errs, err)
			continue
		}
		by = append(by, "@"+acct)
	}
	if len(by) > 0 {
		result += ", boosted by " + strings.Join(by, ", ")
	}
	if len(errs) > 0 {
		p.log.Warn().Err(errors.Join(errs...)).Msg("boosts failed")
		result += fmt.Sprintf("; %d boost(s) failed: %s", len(errs), ops.SafeText(errs[0]))
	}
	return result, nil
}
