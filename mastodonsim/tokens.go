package mastodonsim

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"slices"
	"strings"
)

// token is an OAuth access token of a user (Doorkeeper's oauth_access_tokens).
type token struct {
	id      int64
	value   string
	account *Account
	scopes  []string
	revoked bool
}

// defaultScopes are granted when Token is called without scopes: the
// top-level scopes a "personal app" token usually carries.
var defaultScopes = []string{"read", "write", "follow", "push"}

// Token issues a new access token for a with the given scopes ("read",
// "write", "read:notifications", ...); no scopes means read write follow push.
func (s *Server) Token(a *Account, scopes ...string) string {
	if len(scopes) == 0 {
		scopes = defaultScopes
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tokenSeq++
	t := &token{
		id:      s.tokenSeq,
		value:   base64.RawURLEncoding.EncodeToString(b[:]),
		account: a,
		scopes:  slices.Clone(scopes),
	}
	s.tokens[t.value] = t
	return t.value
}

// Revoke revokes a token as Doorkeeper does: REST answers 401 "The access
// token was revoked", SSE responses carrying it end, WebSockets carrying it
// are closed without a status code, and new streams get 401.
func (s *Server) Revoke(tok string) {
	s.mu.Lock()
	t := s.tokens[tok]
	if t != nil {
		t.revoked = true
	}
	s.mu.Unlock()
	if t != nil {
		s.hub.endToken(t, endRevoked)
	}
}

// has reports whether the token grants any of the wanted scopes. Scopes are
// hierarchical: "read" covers "read:notifications".
func (t *token) has(wanted ...string) bool {
	for _, w := range wanted {
		top, _, _ := strings.Cut(w, ":")
		for _, g := range t.scopes {
			if g == w || g == top {
				return true
			}
		}
	}
	return false
}

// hasExact is the streaming server's scope check: it compares scope
// strings literally (streaming/index.js checkScopes: scopes.includes(...)).
func (t *token) hasExact(wanted ...string) bool {
	for _, w := range wanted {
		if slices.Contains(t.scopes, w) {
			return true
		}
	}
	return false
}

// bearer extracts a token the way Doorkeeper's access_token_methods do in
// Mastodon: Authorization: Bearer, then the access_token parameter.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return r.URL.Query().Get("access_token")
}

// tokenLocked finds a token by value; nil when unknown. Callers hold s.mu.
func (s *Server) tokenLocked(value string) *token {
	if value == "" {
		return nil
	}
	return s.tokens[value]
}
