package bot

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	mastodon "github.com/mattn/go-mastodon"
	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot/content"
	"github.com/tootops/tootops/ops"
)

// callTimeout bounds one REST call that has no deadline of its own.
const callTimeout = 30 * time.Second

// Mastodon is the bot's account on its instance: the REST calls the bot makes, and the
// Transport that answers admins in direct messages. go-mastodon does the calls it covers;
// the rest (instance v2, forward catch-up, the notification policy) are made here.
type Mastodon struct {
	server string
	token  string
	domain string // the instance's domain as accts use it (with a port if any)
	http   *http.Client
	api    *mastodon.Client
	rt     *apiTransport
	log    zerolog.Logger

	// What the server said about itself and the bot at start.
	Me        Account
	Version   string
	Streaming string // the streaming base URL
	maxChars  int
	urlLen    int

	every time.Duration

	mu       sync.Mutex
	prefixes map[Ref]string // the mention each reply began with, for edits
}

var _ Transport = (*Mastodon)(nil)

// DialMastodon signs in and reads the instance's limits.
func DialMastodon(ctx context.Context, server, token string, log zerolog.Logger) (*Mastodon, error) {
	u, err := url.Parse(server)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("mastodon server %q: not a URL", server)
	}
	rt := newAPITransport(http.DefaultTransport, log.With().Str("component", "mastodon").Logger())
	hc := &http.Client{Transport: rt}
	api := mastodon.NewClient(&mastodon.Config{Server: server, AccessToken: token})
	api.Client = *hc
	api.UserAgent = "tootops"
	m := &Mastodon{
		server: strings.TrimRight(server, "/"), token: token, domain: strings.ToLower(u.Host),
		http: hc, api: api, rt: rt, log: log.With().Str("component", "mastodon").Logger(),
		maxChars: 500, urlLen: 23, every: defaultProgressEvery, prefixes: make(map[Ref]string),
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	me, err := api.GetAccountCurrentUser(ctx)
	if err != nil {
		return nil, m.describe("sign in", err)
	}
	m.Me = Account{ID: string(me.ID), Acct: m.FullAcct(me.Acct), DisplayName: me.DisplayName}
	if err := m.readInstance(ctx); err != nil {
		return nil, err
	}
	return m, nil
}

// instanceV2 is the part of /api/v2/instance the bot uses.
type instanceV2 struct {
	Domain        string `json:"domain"`
	Version       string `json:"version"`
	Configuration struct {
		URLs struct {
			Streaming string `json:"streaming"`
		} `json:"urls"`
		Statuses struct {
			MaxCharacters            int `json:"max_characters"`
			CharactersReservedPerURL int `json:"characters_reserved_per_url"`
		} `json:"statuses"`
	} `json:"configuration"`
}

// readInstance reads /api/v2/instance, falling back to v1 on servers that lack it.
func (m *Mastodon) readInstance(ctx context.Context) error {
	var v2 instanceV2
	_, err := m.getJSON(ctx, "/api/v2/instance", nil, &v2)
	if err == nil {
		m.Version, m.Streaming = v2.Version, v2.Configuration.URLs.Streaming
		if n := v2.Configuration.Statuses.MaxCharacters; n > 0 {
			m.maxChars = n
		}
		if n := v2.Configuration.Statuses.CharactersReservedPerURL; n > 0 {
			m.urlLen = n
		}
		return nil
	}
	inst, err1 := m.api.GetInstance(ctx)
	if err1 != nil {
		return m.describe("read the instance", errors.Join(err, err1))
	}
	m.Version = inst.Version
	if inst.URLs != nil {
		m.Streaming = inst.URLs["streaming_api"]
	}
	return nil
}

// FullAcct completes a local acct with the instance's domain.
func (m *Mastodon) FullAcct(acct string) string {
	if acct == "" || strings.Contains(acct, "@") {
		return acct
	}
	return acct + "@" + m.domain
}

// Domain is the instance's domain as accts use it.
func (m *Mastodon) Domain() string { return m.domain }

// Name implements Transport.
func (m *Mastodon) Name() string { return "mastodon" }

// ProgressEvery implements the bot's progress pacing: one edit per 15 s at most keeps a
// long job within the 300 statuses per 3 hours Mastodon allows.
func (m *Mastodon) ProgressEvery() time.Duration { return m.every }

// Reply answers in the thread of to, visible to its sender only: a direct status that
// mentions the sender (and nobody else), split into a numbered thread when it is longer
// than the instance allows. It returns the first part, which progress edits rewrite.
func (m *Mastodon) Reply(ctx context.Context, to Message, text string) (Ref, error) {
	if to.Sender.Acct == "" {
		return "", errors.New("reply: no recipient")
	}
	prefix := "@" + to.Sender.Acct + " "
	parts := content.Split(text, prefix, m.maxChars, m.urlLen)
	var first Ref
	inReplyTo := to.ID
	for i, part := range parts {
		id, err := m.post(ctx, part, "direct", inReplyTo, fmt.Sprintf("reply:%s:%d", to.ID, i))
		if err != nil {
			return first, err
		}
		if i == 0 {
			first = Ref(id)
			m.mu.Lock()
			m.prefixes[first] = prefix
			m.mu.Unlock()
		}
		inReplyTo = id
	}
	return first, nil
}

// Edit rewrites a reply in place (PUT /api/v1/statuses/:id), keeping its mention. An edit
// cannot grow into a thread, so a text too long is cut.
func (m *Mastodon) Edit(ctx context.Context, ref Ref, text string) error {
	m.mu.Lock()
	prefix := m.prefixes[ref]
	m.mu.Unlock()
	parts := content.Split(text, prefix, m.maxChars, m.urlLen)
	status := parts[0]
	if len(parts) > 1 {
		status = strings.TrimSuffix(status, " (1/"+fmt.Sprint(len(parts))+")") + " …"
	}
	ctx, cancel := m.deadline(ctx)
	defer cancel()
	if _, err := m.api.UpdateStatus(ctx, &mastodon.Toot{Status: status}, mastodon.ID(ref)); err != nil {
		return m.describe("edit a reply", err)
	}
	return nil
}

// Post publishes an announcement (or a follow-up in its thread), threaded when long.
func (m *Mastodon) Post(ctx context.Context, text string, vis Visibility, parent Ref) (Ref, error) {
	parts := content.Split(text, "", m.maxChars, m.urlLen)
	var first Ref
	inReplyTo := string(parent)
	for i, part := range parts {
		id, err := m.post(ctx, part, string(vis), inReplyTo, fmt.Sprintf("post:%s:%d", parent, i))
		if err != nil {
			return first, err
		}
		if i == 0 {
			first = Ref(id)
		}
		inReplyTo = id
	}
	return first, nil
}

// Boost reblogs a status from the account of token (an admin's, from
// [announce] boost_tokens_file), so that account's followers see it too. Boosting twice
// returns the existing boost, so a retry is harmless.
func (m *Mastodon) Boost(ctx context.Context, ref Ref, token string) (string, error) {
	ctx, cancel := m.deadline(ctx)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.server+"/api/v1/statuses/"+url.PathEscape(string(ref))+"/reblog", nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := m.http.Do(req)
	if err != nil {
		return "", m.describe("boost", err)
	}
	defer resp.Body.Close()
	var st struct {
		Account struct {
			Acct string `json:"acct"`
		} `json:"account"`
	}
	if resp.StatusCode != http.StatusOK {
		return "", &ops.Error{Msg: fmt.Sprintf("a boost was refused (HTTP %d)", resp.StatusCode), Hint: "check the tokens in [announce] boost_tokens_file: each needs write:statuses"}
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		return "", err
	}
	return m.FullAcct(st.Account.Acct), nil
}

// Permissions reads an account's role permissions with the admin API (the token needs
// admin:read:accounts and the bot account a role that may manage users).
func (m *Mastodon) Permissions(ctx context.Context, accountID string) (uint64, error) {
	var a struct {
		Role *struct {
			Permissions string `json:"permissions"`
		} `json:"role"`
	}
	if _, err := m.getJSON(ctx, "/api/v1/admin/accounts/"+url.PathEscape(accountID), nil, &a); err != nil {
		var api *mastodon.APIError
		if errors.As(err, &api) && api.StatusCode == http.StatusForbidden {
			return 0, &ops.Error{Msg: "the bot may not read account roles", Hint: "give its token the admin:read:accounts scope and its account a role with Manage Users", Err: err}
		}
		return 0, m.describe("read a role", err)
	}
	if a.Role == nil || a.Role.Permissions == "" {
		return 0, nil
	}
	perms, err := strconv.ParseUint(a.Role.Permissions, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("role permissions %q: %w", a.Role.Permissions, err)
	}
	return perms, nil
}

// post creates one status. Its Idempotency-Key is derived from what it answers and what
// it says, so a retry, even one after a restart of the bot, never posts it twice.
func (m *Mastodon) post(ctx context.Context, text, visibility, inReplyTo, slot string) (string, error) {
	sum := sha256.Sum256([]byte(slot + "\x00" + inReplyTo + "\x00" + visibility + "\x00" + text))
	ctx, cancel := m.deadline(ctx)
	defer cancel()
	ctx = withIdempotencyKey(ctx, "tootops-"+hex.EncodeToString(sum[:16]))
	st, err := m.api.PostStatus(ctx, &mastodon.Toot{Status: text, InReplyToID: mastodon.ID(inReplyTo), Visibility: visibility})
	if err != nil {
		return "", m.describe("post", err)
	}
	return string(st.ID), nil
}

func (m *Mastodon) deadline(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, callTimeout)
}

// getJSON calls a GET endpoint go-mastodon lacks and decodes the answer.
func (m *Mastodon) getJSON(ctx context.Context, path string, query url.Values, v any) (http.Header, error) {
	return m.callJSON(ctx, http.MethodGet, path, query, v)
}

func (m *Mastodon) callJSON(ctx context.Context, method, path string, query url.Values, v any) (http.Header, error) {
	ctx, cancel := m.deadline(ctx)
	defer cancel()
	u := m.server + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+m.token)
	req.Header.Set("Accept", "application/json")
	resp, err := m.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		return resp.Header, &mastodon.APIError{StatusCode: resp.StatusCode, Message: e.Error}
	}
	if v == nil {
		return resp.Header, nil
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return resp.Header, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return resp.Header, nil
}

// describe wraps an API failure in an error an admin may read: what the bot was doing,
// on which server, and why it failed, in the admin's terms, with a hint. The token never
// appears in it. The cause stays in Err (dialWithRetry looks for a 401 there).
func (m *Mastodon) describe(what string, err error) error {
	var rl *RateLimitedError
	if errors.As(err, &rl) {
		return err
	}
	msg := fmt.Sprintf("could not %s on %s", what, m.server)
	cause, hint := m.cause(err)
	if cause != "" {
		msg += ": " + cause
	}
	return &ops.Error{Msg: msg, Hint: hint, Err: err}
}

// cause says why a call failed: the server's answer, a network or TLS failure, or an
// answer that is not Mastodon's; "" when it cannot tell.
func (m *Mastodon) cause(err error) (cause, hint string) {
	var (
		api    *mastodon.APIError
		syntax *json.SyntaxError
	)
	switch {
	case errors.As(err, &api):
		return m.apiCause(api)
	case errors.As(err, &syntax):
		return "the answer is not Mastodon's JSON", "[mastodon] server must be the instance's address, such as https://social.example.coop, not a page in front of it"
	}
	if cause, hint, ok := ops.NetCause(err); ok {
		return cause, hint
	}
	return "", "the bot's log has the details"
}

// apiCause describes an HTTP error answer, quoting Mastodon's error text (cleaned, and
// with the token cut out in case a proxy echoes it): "the access token was refused (401:
// The access token is invalid)".
func (m *Mastodon) apiCause(api *mastodon.APIError) (cause, hint string) {
	text := ops.CleanLine(api.Message, 200)
	if m.token != "" {
		text = strings.ReplaceAll(text, m.token, "[REDACTED]")
	}
	if text == "" {
		text = http.StatusText(api.StatusCode)
	}
	answer := fmt.Sprintf("(%d: %s)", api.StatusCode, text)
	switch code := api.StatusCode; {
	case code == http.StatusUnauthorized:
		return "the access token was refused " + answer, "the token was revoked or is wrong: create a new one (Preferences → Development) and restart the bot"
	case code == http.StatusForbidden:
		return "the request was refused " + answer, "the token needs the read, write and follow scopes, and the bot account must not be disabled or suspended"
	case code == http.StatusNotFound:
		return "the server answered " + answer, "[mastodon] server must be the instance's address, such as https://social.example.coop"
	case code >= 500:
		return "the server failed " + answer, "is Mastodon up? The log of its web container says why"
	}
	return "the server answered " + answer, "the bot's log has the details"
}
