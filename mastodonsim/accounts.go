package mastodonsim

import (
	"fmt"
	"strings"
	"time"
)

// Account is a user of the imitated server or of a remote one. Its fields
// are fixed once it is added; relationships live in the Server.
type Account struct {
	ID          string
	Username    string
	Domain      string // "" for local accounts
	Acct        string // username for local accounts, username@domain for remote ones (as the API shows it)
	DisplayName string
	URL         string // profile page
	URI         string // ActivityPub actor id
	Bot         bool
	Limited     bool // silenced by a moderator
	CreatedAt   time.Time

	role *Role // see WithRole, SetRole
	srv  *Server
}

// Local reports whether the account lives on the imitated server.
func (a *Account) Local() bool { return a.Domain == "" }

// FullAcct is user@domain for every account, with the server's Domain for
// local ones: the form a bot should keep in its allow-list.
func (a *Account) FullAcct() string {
	if a.Local() {
		return a.Username + "@" + a.srv.Domain
	}
	return a.Acct
}

// Token issues an access token for the account; see Server.Token.
func (a *Account) Token(scopes ...string) string { return a.srv.Token(a, scopes...) }

// AccountOption sets a property of an account being added.
type AccountOption func(*Account)

// Bot marks the account as a bot ("bot": true), as a chat-ops account is.
func Bot() AccountOption { return func(a *Account) { a.Bot = true } }

// DisplayName sets the display name (default: the username).
func DisplayName(name string) AccountOption { return func(a *Account) { a.DisplayName = name } }

// Limited marks the account as silenced by a moderator: its notifications
// are filtered for people who do not follow it (for_limited_accounts).
func Limited() AccountOption { return func(a *Account) { a.Limited = true } }

// CreatedAt backdates the account; the for_new_accounts policy filters
// accounts younger than 30 days.
func CreatedAt(t time.Time) AccountOption { return func(a *Account) { a.CreatedAt = t } }

// AddLocalAccount creates a user of the imitated server. It panics if the
// username is taken or invalid, as that is a bug in the test.
func (s *Server) AddLocalAccount(username string, opts ...AccountOption) *Account {
	return s.addAccount(username, "", opts)
}

// AddRemoteAccount creates an account known from another server, e.g. a
// lookalike "alice@evil.example" of a local admin.
func (s *Server) AddRemoteAccount(username, domain string, opts ...AccountOption) *Account {
	if domain == "" {
		panic("mastodonsim: AddRemoteAccount needs a domain")
	}
	return s.addAccount(username, strings.ToLower(domain), opts)
}

func (s *Server) addAccount(username, domain string, opts []AccountOption) *Account {
	if !validUsername(username) {
		panic(fmt.Sprintf("mastodonsim: invalid username %q", username))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.cfg.clock()
	a := &Account{
		ID:          s.ids.next(now),
		Username:    username,
		Domain:      domain,
		DisplayName: username,
		CreatedAt:   now,
		srv:         s,
	}
	if domain == "" {
		a.Acct = username
		a.URL = s.URL + "/@" + username
		a.URI = s.URL + "/users/" + username
	} else {
		a.Acct = username + "@" + domain
		a.URL = "https://" + domain + "/@" + username
		a.URI = "https://" + domain + "/users/" + username
	}
	for _, o := range opts {
		o(a)
	}
	key := strings.ToLower(a.Acct)
	if _, dup := s.accountsByAcct[key]; dup {
		panic(fmt.Sprintf("mastodonsim: account %s exists", a.Acct))
	}
	s.accounts = append(s.accounts, a)
	s.accountsByID[a.ID] = a
	s.accountsByAcct[key] = a
	s.changedLocked()
	return a
}

// validUsername follows Account::USERNAME_RE: letters, digits and
// underscores, with dots and dashes only inside.
func validUsername(u string) bool {
	if u == "" {
		return false
	}
	for i, r := range u {
		switch {
		case isUsernameChar(r):
		case (r == '.' || r == '-') && i > 0 && i < len(u)-1:
		default:
			return false
		}
	}
	return true
}

func isUsernameChar(r rune) bool {
	return r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
}

// lookupAcctLocked resolves "user", "@user", "user@domain" the way
// ResolveAccountService does with skip_webfinger: a domain equal to the
// local one means local. Callers hold s.mu.
func (s *Server) lookupAcctLocked(acct string) *Account {
	acct = strings.TrimPrefix(strings.TrimSpace(acct), "@")
	user, domain, _ := strings.Cut(acct, "@")
	if s.isLocalDomain(domain) {
		return s.accountsByAcct[strings.ToLower(user)]
	}
	return s.accountsByAcct[strings.ToLower(user+"@"+domain)]
}

// isLocalDomain is TagManager#local_domain?: no domain, or the local one.
func (s *Server) isLocalDomain(domain string) bool {
	return domain == "" || strings.EqualFold(domain, s.Domain)
}

// Follow makes a follow b at once, as an accepted follow. It is the test's
// way to set up relationships; the bot uses POST /api/v1/accounts/:id/follow.
func (s *Server) Follow(a, b *Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.followLocked(a, b)
}

// Unfollow removes a follow made by Follow or by the API.
func (s *Server) Unfollow(a, b *Account) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.unfollowLocked(a, b)
}

// Following reports whether a follows b.
func (s *Server) Following(a, b *Account) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.followingLocked(a, b)
}

func (s *Server) followLocked(a, b *Account) {
	if s.followingLocked(a, b) || a == b {
		return
	}
	m := s.follows[a.ID]
	if m == nil {
		m = map[string]time.Time{}
		s.follows[a.ID] = m
	}
	m[b.ID] = s.cfg.clock()
	if b.Local() {
		s.notifyLocked(b, a, "follow", nil)
	}
	s.changedLocked()
}

func (s *Server) unfollowLocked(a, b *Account) {
	delete(s.follows[a.ID], b.ID)
	s.changedLocked()
}

func (s *Server) followingLocked(a, b *Account) bool {
	_, ok := s.follows[a.ID][b.ID]
	return ok
}

// followersLocked lists the accounts following a, in the order they were
// added to the server (stable for tests).
func (s *Server) followersLocked(a *Account) []*Account {
	var out []*Account
	for _, f := range s.accounts {
		if _, ok := s.follows[f.ID][a.ID]; ok {
			out = append(out, f)
		}
	}
	return out
}
