package bot

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/time/rate"

	"github.com/tootops/tootops/bot/content"
	"github.com/tootops/tootops/bot/stream"
	"github.com/tootops/tootops/state"
)

// catchUpPage is the largest page Mastodon serves (4.1+).
const catchUpPage = 80

// ledgerKeep is how long handled notifications are remembered.
const ledgerKeep = 7 * 24 * time.Hour

// IntakeOptions configure the Mastodon intake.
type IntakeOptions struct {
	Mastodon   *Mastodon
	Bot        *Bot
	Store      *state.Store
	Log        zerolog.Logger
	StaleAfter time.Duration // a state-changing command older than this is asked again
	Now        func() time.Time
	Stream     stream.Options // Server, Streaming and Token are filled in; the rest tunes it
	// Settle is when to catch up a second time after a connect: the server applies a
	// subscription a moment after the socket opens, and says nothing when it has, so a
	// DM sent in that moment is only found by looking again. Default 2 s.
	Settle time.Duration
	// Sweep is the interval of catch-ups while the stream is up, a safety net for events
	// a server drops. Default 5 min.
	Sweep time.Duration
	// PerMinute and Burst bound the commands one sender may send. Default 30 and 10.
	PerMinute, Burst int
}

// Intake reads the bot's notifications and feeds the DMs of admins to the bot, each
// exactly once.
type Intake struct {
	m      *Mastodon
	b      *Bot
	ledger *ledger
	log    zerolog.Logger
	stale  time.Duration
	now    func() time.Time
	stream *stream.Client
	settle time.Duration
	sweep  time.Duration
	since  time.Time // when this intake started: on a first start, older DMs are not run

	perMinute, burst int
	mu               sync.Mutex
	limits           map[string]*senderLimit

	processed atomic.Int64 // notifications looked at
	busy      atomic.Int64 // nanoseconds spent on them, the server's answers not included
}

// Stats says how many notifications the intake looked at and how long it spent on them,
// waits for the server excluded.
func (in *Intake) Stats() (processed int64, busy time.Duration) {
	return in.processed.Load(), time.Duration(in.busy.Load())
}

// NewIntake prepares the intake; Run starts it.
func NewIntake(o IntakeOptions) (*Intake, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	l, err := newLedger(o.Store)
	if err != nil {
		return nil, fmt.Errorf("intake: %w", err)
	}
	so := o.Stream
	so.Server, so.Token, so.Log = o.Mastodon.server, o.Mastodon.token, o.Log
	if so.Streaming == "" {
		so.Streaming = o.Mastodon.Streaming
	}
	return &Intake{
		m: o.Mastodon, b: o.Bot, ledger: l, log: o.Log.With().Str("component", "intake").Logger(),
		stale: o.StaleAfter, now: o.Now, stream: stream.New(so),
		settle: cmp.Or(o.Settle, 2*time.Second), sweep: cmp.Or(o.Sweep, 5*time.Minute), since: o.Now(),
		limits: make(map[string]*senderLimit), perMinute: cmp.Or(o.PerMinute, 30), burst: cmp.Or(o.Burst, 10),
	}, nil
}

// Stream is the streaming client, for health and `bot check`.
func (in *Intake) Stream() *stream.Client { return in.stream }

// Run serves until ctx ends, or returns the reason it cannot go on (a refused token).
func (in *Intake) Run(ctx context.Context) error {
	in.prepare(ctx)
	events := make(chan stream.Event, 1024)
	errc := make(chan error, 1)
	go func() { errc <- in.stream.Run(ctx, events) }()
	again := time.NewTimer(in.sweep)
	defer again.Stop()
	catchUp := func() {
		if err := in.catchUp(ctx); err != nil && ctx.Err() == nil {
			in.log.Warn().Err(err).Msg("catch-up failed; the next one tries again")
		}
	}
	for {
		select {
		case <-ctx.Done():
			_ = in.ledger.flush()
			return nil
		case err := <-errc:
			_ = in.ledger.flush()
			return err
		case <-again.C:
			catchUp()
			again.Reset(in.sweep)
		case ev := <-events:
			switch ev.Kind {
			case stream.Connected:
				catchUp()
				if ev.Mode != stream.Polling {
					again.Reset(in.settle)
				}
			case stream.Notification:
				var n notification
				if err := json.Unmarshal(ev.Payload, &n); err != nil {
					in.log.Warn().Err(err).Msg("unreadable notification ignored")
					continue
				}
				in.process(ctx, n)
			}
		}
	}
}

// prepare resolves the admins to account ids, follows them (Mastodon 4.3+ filters DMs
// from accounts the bot does not follow), reports the notification policy, and tells
// senders about work a previous run left unfinished.
func (in *Intake) prepare(ctx context.Context) {
	for _, acct := range in.b.admins.Accounts() {
		a, err := in.m.lookup(ctx, acct)
		if err != nil {
			in.log.Error().Err(err).Str("admin", acct).Msg("admin not found: their DMs will be refused until the bot restarts")
			continue
		}
		in.b.admins.SetID(acct, a.ID)
		if err := in.m.follow(ctx, a.ID); err != nil {
			in.log.Warn().Err(err).Str("admin", acct).Msg("could not follow an admin: a filtering notification policy may hide their DMs")
		}
	}
	if p, err := in.m.policy(ctx); err == nil {
		in.log.Info().Str("for_private_mentions", p).Msg("notification policy")
	}
	left, err := in.ledger.unfinished()
	if err != nil {
		in.log.Error().Err(err).Msg("ledger unreadable")
	}
	for _, e := range left {
		text := fmt.Sprintf("I received %q at %s but stopped before acting on it, so it did not run. Send it again if it is still needed.", e.Line, e.At.UTC().Format("15:04Z"))
		if err := in.b.reply(ctx, in.m, Message{ID: e.Status, Sender: Account{Acct: e.From}}, text); err != nil {
			in.log.Warn().Err(err).Str("status", e.Status).Msg("could not tell a sender about an unfinished command")
		}
	}
	in.b.NotifyInterrupted(ctx, in.m)
	if err := in.ledger.prune(in.now().Add(-ledgerKeep)); err != nil {
		in.log.Warn().Err(err).Msg("ledger not pruned")
	}
}

// catchUp fetches the mentions that arrived since the cursor, oldest first, page by page
// forward with min_id (since_id would skip a gap larger than a page).
func (in *Intake) catchUp(ctx context.Context) error {
	cursor := in.ledger.Cursor()
	if cursor == "" {
		// The first start ever: DMs from before it must not run now, those since must.
		page, err := in.m.notifications(ctx, url.Values{"limit": {fmt.Sprint(catchUpPage)}})
		if err != nil {
			return err
		}
		skipped := 0
		for i := len(page) - 1; i >= 0; i-- {
			// Mastodon's timestamps have whole milliseconds: a DM of the start's own
			// millisecond is after it, not before.
			if page[i].CreatedAt.Before(in.since.Truncate(time.Millisecond)) {
				in.ledger.see(page[i].ID)
				skipped++
				continue
			}
			in.process(ctx, page[i])
		}
		in.ledger.see("0") // no notification yet: every later one is newer than "0"
		in.log.Info().Int("skipped", skipped).Str("cursor", in.ledger.Cursor()).Msg("first start: earlier notifications are not replayed")
		return in.ledger.flush()
	}
	for {
		page, err := in.m.notifications(ctx, url.Values{"min_id": {cursor}, "limit": {fmt.Sprint(catchUpPage)}})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return in.ledger.flush()
		}
		// Pages come newest first, even with min_id.
		for i := len(page) - 1; i >= 0; i-- {
			in.process(ctx, page[i])
		}
		next := cursor
		for _, n := range page {
			if newerID(n.ID, next) {
				next = n.ID
			}
		}
		if next == cursor {
			return in.ledger.flush() // a server that does not honour min_id: stop, not loop
		}
		cursor = next
	}
}

// process checks a notification and hands a DM to the bot.
func (in *Intake) process(ctx context.Context, n notification) {
	start := time.Now()
	defer func() {
		in.ledger.see(n.ID)
		in.processed.Add(1)
		in.busy.Add(int64(time.Since(start)))
	}()
	if n.Type != "mention" || n.Status == nil {
		return
	}
	st := n.Status
	if reason := in.verify(n); reason != "" {
		in.log.Debug().Str("notification", n.ID).Str("from", n.Account.Acct).Str("reason", reason).Msg("mention is not a command")
		return
	}
	sender := Account{ID: n.Account.ID, Acct: in.m.FullAcct(n.Account.Acct), DisplayName: n.Account.DisplayName}
	msg := Message{ID: st.ID, Sender: sender, Text: content.Command(st.Content), At: st.CreatedAt}
	msg.Late = in.stale > 0 && in.now().Sub(st.CreatedAt) > in.stale
	if !in.b.admins.AllowsAccount(sender) {
		_, _ = in.b.Handle(ctx, in.m, msg) // refused there, and audited; nothing to claim
		return
	}
	if !in.allow(sender.Acct, st.ID) {
		// Claimed all the same, so it is never run later: the sender was told.
		_, _ = in.ledger.claim(ledgerEntry{Notification: n.ID, Status: st.ID, From: sender.Acct, Line: msg.Text, At: st.CreatedAt, State: handled})
		return
	}
	fresh, err := in.ledger.claim(ledgerEntry{Notification: n.ID, Status: st.ID, From: sender.Acct, Line: msg.Text, At: st.CreatedAt})
	if err != nil {
		in.log.Error().Err(err).Str("notification", n.ID).Msg("ledger write failed: the command is not run")
		return
	}
	if !fresh {
		in.log.Debug().Str("notification", n.ID).Str("status", st.ID).Msg("duplicate delivery dropped")
		return
	}
	if _, err := in.b.Handle(ctx, in.m, msg); err != nil {
		in.log.Warn().Err(err).Str("status", st.ID).Msg("reply failed")
	}
	if err := in.ledger.done(n.ID); err != nil {
		in.log.Error().Err(err).Str("notification", n.ID).Msg("ledger not updated")
	}
}

// allow applies the per-sender rate limit: a flood of DMs, even from an admin's account,
// must not queue work without end. The first refused message of a burst is answered.
func (in *Intake) allow(acct, status string) bool {
	in.mu.Lock()
	l, ok := in.limits[acct]
	if !ok {
		l = &senderLimit{lim: rate.NewLimiter(rate.Every(time.Minute/time.Duration(in.perMinute)), in.burst)}
		in.limits[acct] = l
	}
	in.mu.Unlock()
	if l.lim.Allow() {
		l.told = false
		return true
	}
	if !l.told {
		l.told = true
		text := fmt.Sprintf("slow down: at most %d commands a minute (%d at once). The ones over that are not run; send them again in a minute.", in.perMinute, in.burst)
		if err := in.b.reply(context.Background(), in.m, Message{ID: status, Sender: Account{Acct: acct}}, text); err != nil {
			in.log.Warn().Err(err).Msg("could not tell a sender to slow down")
		}
	}
	in.log.Warn().Str("from", acct).Msg("sender over the rate limit: message dropped")
	return false
}

type senderLimit struct {
	lim  *rate.Limiter
	told bool
}

// verify says why a mention is not a command, or "" when it is one: only a direct status,
// written by the account the notification names, that is no reblog, and that mentions
// the bot by id.
func (in *Intake) verify(n notification) string {
	st := n.Status
	switch {
	case st.Visibility != "direct":
		return "not a direct message (" + st.Visibility + ")"
	case st.Reblog != nil && string(*st.Reblog) != "null":
		return "a reblog"
	case st.Account.ID != n.Account.ID:
		return "the notification's account is not the status's author"
	case st.EditedAt != nil:
		// An edit that adds the bot's mention notifies it like a new post would; edits
		// never trigger a command.
		return "an edited status"
	}
	for _, m := range st.Mentions {
		if m.ID == in.m.Me.ID {
			return ""
		}
	}
	return "the bot is not among the mentions"
}

// notification is what the bot reads of a Mastodon notification.
type notification struct {
	ID        string    `json:"id"`
	Type      string    `json:"type"`
	CreatedAt time.Time `json:"created_at"`
	Account   account   `json:"account"`
	Status    *status   `json:"status"`
}

type account struct {
	ID          string `json:"id"`
	Acct        string `json:"acct"`
	DisplayName string `json:"display_name"`
}

type status struct {
	ID          string           `json:"id"`
	CreatedAt   time.Time        `json:"created_at"`
	Visibility  string           `json:"visibility"`
	Content     string           `json:"content"`
	SpoilerText string           `json:"spoiler_text"`
	Account     account          `json:"account"`
	Reblog      *json.RawMessage `json:"reblog"`
	EditedAt    *time.Time       `json:"edited_at"`
	Mentions    []struct {
		ID   string `json:"id"`
		Acct string `json:"acct"`
	} `json:"mentions"`
}

// notifications fetches one page of mention notifications, filtered ones included
// (a DM the policy filtered is still a DM).
func (m *Mastodon) notifications(ctx context.Context, q url.Values) ([]notification, error) {
	q.Add("types[]", "mention")
	q.Set("include_filtered", "true")
	var page []notification
	if _, err := m.getJSON(ctx, "/api/v1/notifications", q, &page); err != nil {
		return nil, m.describe("read notifications", err)
	}
	return page, nil
}

// lookup resolves an acct to the account on this instance.
func (m *Mastodon) lookup(ctx context.Context, acct string) (account, error) {
	var a account
	_, err := m.getJSON(ctx, "/api/v1/accounts/lookup", url.Values{"acct": {acct}}, &a)
	if err != nil {
		return a, m.describe("look up "+acct, err)
	}
	return a, nil
}

func (m *Mastodon) follow(ctx context.Context, id string) error {
	_, err := m.callJSON(ctx, "POST", "/api/v1/accounts/"+url.PathEscape(id)+"/follow", nil, nil)
	return err
}

// policy reads how the server treats DMs from accounts the bot does not follow.
func (m *Mastodon) policy(ctx context.Context) (string, error) {
	var p struct {
		ForPrivateMentions string `json:"for_private_mentions"`
	}
	if _, err := m.getJSON(ctx, "/api/v2/notifications/policy", nil, &p); err != nil {
		return "", err
	}
	return p.ForPrivateMentions, nil
}
