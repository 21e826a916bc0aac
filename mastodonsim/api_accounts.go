package mastodonsim

import (
	"net/http"
)

func (s *Server) verifyCredentials(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renderCredentialAccount(c.account)
}

// lookupAccount is Api::V1::Accounts::LookupController: acct "user",
// "@user", "user@localdomain" or "user@remote", without WebFinger.
func (s *Server) lookupAccount(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.lookupAcctLocked(c.p.get("acct"))
	if a == nil {
		return errNotFound
	}
	return s.renderAccount(a)
}

func (s *Server) getAccount(r *http.Request, _ *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.accountsByID[r.PathValue("id")]
	if a == nil {
		return errNotFound
	}
	return s.renderAccount(a)
}

func (s *Server) relationships(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []relationshipJSON{}
	for _, id := range c.p.list("id") {
		if a := s.accountsByID[id]; a != nil {
			out = append(out, s.renderRelationship(c.account, a))
		}
	}
	return out
}

// followAccount is FollowService. A local account is followed at once. A
// remote one answers "requested": true, as the Follow activity is still on
// its way; the imitated remote server accepts it immediately after, so the
// follow is in effect for everything that happens next.
func (s *Server) followAccount(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.accountsByID[r.PathValue("id")]
	if target == nil {
		return errNotFound
	}
	if target == c.account {
		return errForbidden
	}
	already := s.followingLocked(c.account, target)
	rel := s.renderRelationship(c.account, target)
	if !target.Local() && !already {
		rel.Requested = true
	} else {
		rel.Following, rel.ShowingReblogs = true, true
	}
	s.followLocked(c.account, target)
	return rel
}

func (s *Server) unfollowAccount(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	target := s.accountsByID[r.PathValue("id")]
	if target == nil {
		return errNotFound
	}
	s.unfollowLocked(c.account, target)
	return s.renderRelationship(c.account, target)
}
