package mastodonsim

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// Status is a snapshot of a stored status, for assertions.
type Status struct {
	ID                 string
	URI, URL           string
	Account            *Account
	Text               string // source text (local statuses; remote ones: what the test passed)
	SpoilerText        string
	Content            string // HTML as the API shows it
	Visibility         string // as the API shows it
	InReplyToID        string
	InReplyToAccountID string
	Mentions           []Mention
	Tags               []string
	Language           string
	Sensitive          bool
	CreatedAt          time.Time
	EditedAt           time.Time // zero unless edited
	Edits              int       // number of edits
	Deleted            bool
	ReblogOf           string // id of the boosted status for a boost
	Pinned             bool
	IdempotencyKey     string
}

// Mention is a resolved mention of a status, as in the API.
type Mention struct {
	ID, Username, Acct, URL string
}

// Edited reports whether the status was edited.
func (st Status) Edited() bool { return !st.EditedAt.IsZero() }

// PlainText strips the HTML of Content, for quick assertions on wording.
func (st Status) PlainText() string { return stripHTML(st.Content) }

// MentionsAcct reports whether acct (as the API writes it) is mentioned.
func (st Status) MentionsAcct(acct string) bool {
	return slices.ContainsFunc(st.Mentions, func(m Mention) bool { return m.Acct == acct })
}

func (s *Server) snapshot(st *status) Status {
	vis := st.visibility
	if vis == "limited" {
		vis = "private"
	}
	out := Status{
		ID: st.id, URI: s.statusURI(st), URL: s.statusURL(st), Account: st.account,
		Text: st.text, SpoilerText: st.spoiler, Content: st.content, Visibility: vis,
		InReplyToID: st.inReplyToID, InReplyToAccountID: st.inReplyToAccountID,
		Tags: slices.Clone(st.tags), Language: st.language, Sensitive: st.sensitive,
		CreatedAt: st.createdAt, EditedAt: st.editedAt, Deleted: st.deleted,
		Pinned: st.pinned, IdempotencyKey: st.idempotencyKey,
	}
	if n := len(st.versions); n > 0 {
		out.Edits = n - 1
	}
	if st.reblog != nil {
		out.ReblogOf = st.reblog.id
	}
	for _, m := range st.mentions {
		out.Mentions = append(out.Mentions, Mention{ID: m.ID, Username: m.Username, Acct: m.Acct, URL: m.URL})
	}
	return out
}

// PostOpts describes a status posted by a test on behalf of an account.
type PostOpts struct {
	Text       string
	Visibility string // public (default), unlisted, private, direct; remote authors may use limited
	InReplyTo  string // status id
	Spoiler    string
	Language   string
	Sensitive  bool
	// Mentions, for remote authors only, are the accounts the status is
	// addressed to (its ActivityPub tags). By default mentions are resolved
	// from Text, where a bare @user means a local account.
	Mentions []*Account
	// Style is the HTML shape of a remote author's content (default
	// StyleMastodon).
	Style HTMLStyle
}

// Post creates a status as a; for a DM to the bot use
// PostOpts{Text: "@tootops ps", Visibility: "direct"}. It runs the same
// code as the API (mentions, notifications honouring the recipients'
// notification policies, streaming events) but skips the length check and
// rate limits, so tests can send oversized input. Local content is
// rendered like Mastodon's TextFormatter, remote content like a remote
// server's sanitized HTML (see RemoteHTML). It panics on an unknown
// InReplyTo, a bug in the test.
func (s *Server) Post(a *Account, o PostOpts) Status {
	return s.post(a, o, "")
}

// PostRemote creates a status of remote account a whose content is html,
// verbatim, for feeding a bot's HTML parser shapes of its choice. o.Mentions
// addresses it (else mentions are resolved from o.Text, which may carry a
// plain version of html).
func (s *Server) PostRemote(a *Account, html string, o PostOpts) Status {
	if a.Local() {
		panic("mastodonsim: PostRemote needs a remote account")
	}
	return s.post(a, o, html)
}

func (s *Server) post(a *Account, o PostOpts, html string) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	req := createRequest{
		author: a, text: o.Text, spoiler: o.Spoiler, visibility: o.Visibility, language: o.Language,
		inReplyTo: o.InReplyTo, sensitive: o.Sensitive, html: html, style: o.Style,
	}
	if !a.Local() {
		req.mentions = o.Mentions
	}
	if a.Local() {
		req.application = "Web"
	}
	st, err := s.createStatusLocked(req)
	if err != nil {
		panic(fmt.Sprintf("mastodonsim: Post as %s: %v", a.Acct, err))
	}
	return s.snapshot(st)
}

// Edit changes the text of st as its author would, sending status.update
// and notifying newly mentioned accounts.
func (s *Server) Edit(st Status, text string) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.mustStatusLocked(st.ID)
	if err := s.editStatusLocked(x, text, x.spoiler, x.sensitive, "", "", false, false); err != nil {
		panic(fmt.Sprintf("mastodonsim: Edit %s: %v", st.ID, err))
	}
	return s.snapshot(x)
}

// Delete deletes st as its author would, sending "delete".
func (s *Server) Delete(st Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.deleteStatusLocked(s.mustStatusLocked(st.ID))
}

// Reblog boosts st as a (direct statuses cannot be boosted: it panics).
func (s *Server) Reblog(a *Account, st Status) Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, err := s.reblogLocked(a, s.mustStatusLocked(st.ID), "public", false)
	if err != nil {
		panic(fmt.Sprintf("mastodonsim: Reblog %s: %v", st.ID, err))
	}
	return s.snapshot(r)
}

func (s *Server) mustStatusLocked(id string) *status {
	x := s.statusByID[id]
	if x == nil {
		panic(fmt.Sprintf("mastodonsim: no status %s", id))
	}
	return x
}

// Status returns the status with the given id, deleted or not.
func (s *Server) Status(id string) (Status, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	x := s.statusByID[id]
	if x == nil {
		return Status{}, false
	}
	return s.snapshot(x), true
}

// Statuses returns every status ever created (deleted ones included, with
// Deleted set) for which keep returns true, oldest first; nil keeps all.
func (s *Server) Statuses(keep func(Status) bool) []Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Status
	for _, x := range s.statuses {
		st := s.snapshot(x)
		if keep == nil || keep(st) {
			out = append(out, st)
		}
	}
	return out
}

// StatusesBy returns the statuses a created, oldest first.
func (s *Server) StatusesBy(a *Account) []Status {
	return s.Statuses(func(st Status) bool { return st.Account == a })
}

// WaitForStatus waits until a status for which match returns true exists
// (it may already exist) and returns the first one.
func (s *Server) WaitForStatus(ctx context.Context, match func(Status) bool) (Status, error) {
	var found Status
	err := s.WaitFor(ctx, func() bool {
		sts := s.Statuses(match)
		if len(sts) > 0 {
			found = sts[0]
			return true
		}
		return false
	})
	return found, err
}

// Notification is a snapshot of a notification, for assertions.
type Notification struct {
	ID        string
	Type      string
	Recipient *Account
	From      *Account
	StatusID  string // the status it is about ("" for follows)
	Filtered  bool   // filtered by the recipient's notification policy
	CreatedAt time.Time
}

// Notifications returns a's notifications, filtered ones included, oldest
// first.
func (s *Server) Notifications(a *Account) []Notification {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Notification
	for _, n := range s.notifs {
		if n.recipient != a {
			continue
		}
		x := Notification{ID: n.id, Type: n.typ, Recipient: n.recipient, From: n.from, Filtered: n.filtered, CreatedAt: n.createdAt}
		if n.status != nil {
			x.StatusID = n.status.id
		}
		out = append(out, x)
	}
	return out
}

// AcceptRequests accepts a's pending notification requests from from, as
// the web UI's "Accept" does: future notifications from from are never
// filtered and the filtered ones are merged (keeping their old ids).
func (s *Server) AcceptRequests(a, from *Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rq := range slices.Clone(s.requests) {
		if rq.recipient == a && rq.from == from {
			s.acceptRequestLocked(rq)
		}
	}
}
