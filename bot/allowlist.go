package bot

import (
	"sort"
	"strings"
	"sync"
)

// Allowlist decides who may command the bot: full accts, compared the way Mastodon
// compares them (username and domain case-insensitive). A remote account passes only
// when it is listed with its own domain, so admin@evil.example never passes for
// admin@our.domain.
type Allowlist struct {
	local string
	accts map[string]bool

	mu  sync.RWMutex
	ids map[string]string // acct → account id, once resolved on the server
}

// NewAllowlist builds the list from configured accts. localDomain is the instance's
// domain (it may carry a port); it completes accts given without a domain.
func NewAllowlist(accts []string, localDomain string) *Allowlist {
	a := &Allowlist{local: strings.ToLower(localDomain), accts: make(map[string]bool, len(accts)), ids: make(map[string]string)}
	for _, acct := range accts {
		if n := a.Normalize(acct); n != "" {
			a.accts[n] = true
		}
	}
	return a
}

// Normalize returns acct as user@domain with the domain lower-cased and a leading "@"
// removed; a bare username gets the local domain. It returns "" for what is no acct.
func (a *Allowlist) Normalize(acct string) string {
	acct = strings.TrimPrefix(strings.TrimSpace(acct), "@")
	user, domain, found := strings.Cut(acct, "@")
	if !found {
		domain = a.local
	}
	if user == "" || domain == "" || strings.Contains(domain, "@") {
		return ""
	}
	return strings.ToLower(user) + "@" + strings.ToLower(domain)
}

// Allows reports whether the account is an admin.
func (a *Allowlist) Allows(acct string) bool {
	n := a.Normalize(acct)
	return n != "" && a.accts[n]
}

// AllowsAccount is Allows, and, once the admin's account id is known (SetID), the id
// must match too: an account deleted and re-created under the same name is not the admin.
func (a *Allowlist) AllowsAccount(acc Account) bool {
	n := a.Normalize(acc.Acct)
	if n == "" || !a.accts[n] {
		return false
	}
	a.mu.RLock()
	id, known := a.ids[n]
	a.mu.RUnlock()
	return !known || acc.ID == "" || acc.ID == id
}

// SetID records the account id the server resolved acct to.
func (a *Allowlist) SetID(acct, id string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids[a.Normalize(acct)] = id
}

// Accounts lists the admins, normalized and sorted.
func (a *Allowlist) Accounts() []string {
	out := make([]string, 0, len(a.accts))
	for acct := range a.accts {
		out = append(out, acct)
	}
	sort.Strings(out)
	return out
}

// Len is the number of admins.
func (a *Allowlist) Len() int { return len(a.accts) }
