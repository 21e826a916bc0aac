package mastodonsim

import (
	"io"
	"net/http"
	"time"
)

// routes wires every endpoint. REST endpoints go through api, which does
// what Rack::Attack and Doorkeeper do before a controller runs.
func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	read, write := []string{"read", "read:statuses"}, []string{"write", "write:statuses"}
	readNotif, writeNotif := []string{"read", "read:notifications"}, []string{"write", "write:notifications"}
	follow := []string{"follow", "write", "write:follows"}

	m.HandleFunc("GET /health", s.handleHealth)
	m.HandleFunc("/api/v1/streaming", s.handleStreaming)
	m.HandleFunc("/api/v1/streaming/", s.handleStreaming)

	m.Handle("GET /api/v1/instance", s.api(optionalAuth, nil, s.instanceV1))
	m.Handle("GET /api/v2/instance", s.api(optionalAuth, nil, s.instanceV2))

	m.Handle("GET /api/v1/accounts/verify_credentials", s.api(requireAuth, []string{"read", "read:accounts", "profile"}, s.verifyCredentials))
	m.Handle("GET /api/v1/accounts/lookup", s.api(optionalAuth, []string{"read", "read:accounts"}, s.lookupAccount))
	m.Handle("GET /api/v1/accounts/relationships", s.api(requireAuth, []string{"read", "read:follows"}, s.relationships))
	m.Handle("GET /api/v1/accounts/{id}", s.api(optionalAuth, []string{"read", "read:accounts"}, s.getAccount))
	m.Handle("POST /api/v1/accounts/{id}/follow", s.api(requireAuth, follow, s.followAccount))
	m.Handle("POST /api/v1/accounts/{id}/unfollow", s.api(requireAuth, follow, s.unfollowAccount))

	m.Handle("GET /api/v1/admin/accounts/{id}", s.api(requireAuth, []string{"admin:read", "admin:read:accounts"}, s.adminGetAccount))

	m.Handle("GET /api/v1/notifications", s.api(requireAuth, readNotif, s.listNotifications))
	m.Handle("GET /api/v1/notifications/unread_count", s.api(requireAuth, readNotif, s.unreadCount))
	m.Handle("POST /api/v1/notifications/clear", s.api(requireAuth, writeNotif, s.clearNotifications))
	m.Handle("GET /api/v1/notifications/policy", s.api(requireAuth, readNotif, s.getPolicyV1))
	m.Handle("PATCH /api/v1/notifications/policy", s.api(requireAuth, writeNotif, s.patchPolicyV1))
	m.Handle("PUT /api/v1/notifications/policy", s.api(requireAuth, writeNotif, s.patchPolicyV1))
	m.Handle("GET /api/v2/notifications/policy", s.api(requireAuth, readNotif, s.getPolicyV2))
	m.Handle("PATCH /api/v2/notifications/policy", s.api(requireAuth, writeNotif, s.patchPolicyV2))
	m.Handle("PUT /api/v2/notifications/policy", s.api(requireAuth, writeNotif, s.patchPolicyV2))
	m.Handle("GET /api/v1/notifications/requests", s.api(requireAuth, readNotif, s.listRequests))
	m.Handle("GET /api/v1/notifications/requests/merged", s.api(requireAuth, readNotif, s.requestsMerged))
	m.Handle("GET /api/v1/notifications/requests/{id}", s.api(requireAuth, writeNotif, s.getRequest))
	m.Handle("POST /api/v1/notifications/requests/{id}/accept", s.api(requireAuth, writeNotif, s.acceptRequest))
	m.Handle("POST /api/v1/notifications/requests/{id}/dismiss", s.api(requireAuth, writeNotif, s.dismissRequest))
	m.Handle("GET /api/v1/notifications/{id}", s.api(requireAuth, readNotif, s.getNotification))
	m.Handle("POST /api/v1/notifications/{id}/dismiss", s.api(requireAuth, writeNotif, s.dismissNotification))

	m.Handle("POST /api/v1/statuses", s.api(requireAuth, write, s.createStatus))
	m.Handle("GET /api/v1/statuses/{id}", s.api(optionalAuth, read, s.getStatus))
	m.Handle("PUT /api/v1/statuses/{id}", s.api(requireAuth, write, s.updateStatus))
	m.Handle("DELETE /api/v1/statuses/{id}", s.api(requireAuth, write, s.deleteStatus))
	m.Handle("GET /api/v1/statuses/{id}/source", s.api(requireAuth, read, s.statusSource))
	m.Handle("GET /api/v1/statuses/{id}/history", s.api(optionalAuth, read, s.statusHistory))
	m.Handle("POST /api/v1/statuses/{id}/reblog", s.api(requireAuth, write, s.reblogStatus))
	m.Handle("POST /api/v1/statuses/{id}/unreblog", s.api(requireAuth, write, s.unreblogStatus))
	m.Handle("POST /api/v1/statuses/{id}/pin", s.api(requireAuth, []string{"write", "write:accounts"}, s.pinStatus))
	m.Handle("POST /api/v1/statuses/{id}/unpin", s.api(requireAuth, []string{"write", "write:accounts"}, s.unpinStatus))

	m.Handle("GET /api/v1/conversations", s.api(requireAuth, []string{"read", "read:statuses"}, s.listConversations))
	m.Handle("GET /api/v1/markers", s.api(requireAuth, read, s.getMarkers))
	m.Handle("POST /api/v1/markers", s.api(requireAuth, write, s.postMarkers))

	if s.cfg.control {
		m.Handle("/_sim/", s.ControlHandler())
	}
	m.HandleFunc("/", s.notFound)
	return m
}

func (s *Server) handleHealth(w http.ResponseWriter, _ *http.Request) {
	// HealthController: render plain: 'OK'.
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	io.WriteString(w, "OK")
}

// notFound is Rails' routing error for unknown paths and methods.
func (s *Server) notFound(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusNotFound, "Not Found")
}

type authMode int

const (
	// optionalAuth is authorize_if_got_token!: a token is checked only if sent.
	optionalAuth authMode = iota
	// requireAuth is doorkeeper_authorize!.
	requireAuth
)

// call is what an API handler gets: the token and account (nil for an
// anonymous request), the merged parameters, the request time and the
// response headers (for Link and rate-limit overrides).
type call struct {
	tok     *token
	account *Account
	p       params
	now     time.Time
	header  http.Header
}

// An apiHandler returns the answer: a *apiError, a failure (an injected
// error page), or any other value, sent as 200 JSON. Handlers take s.mu
// themselves and return rendered values, so the lock is never held while
// the response is written to a slow client.
type apiHandler func(r *http.Request, c *call) any

// failure is an answer produced by writeFailure (e.g. an injected 500).
type failure int

// api wraps a controller action with Rack::Attack (throttles, 429 with
// headers), Doorkeeper (401 invalid/revoked, 403 outside scopes),
// RateLimitHeaders (X-RateLimit-* on the answer) and parameter parsing.
func (s *Server) api(mode authMode, scopes []string, h apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := s.cfg.clock()
		raw := bearer(r)
		s.mu.Lock()
		tok := s.tokenLocked(raw)
		valid := tok
		if tok != nil && tok.revoked {
			valid = nil
		}
		u := s.limiter.throttle(r, valid, now)
		s.mu.Unlock()
		if u.exceed {
			setRateHeaders(w.Header(), u, now)
			writeError(w, http.StatusTooManyRequests, "Too many requests")
			return
		}
		switch {
		case raw != "" && tok == nil:
			writeError(w, http.StatusUnauthorized, "The access token is invalid")
			return
		case tok != nil && tok.revoked:
			writeError(w, http.StatusUnauthorized, "The access token was revoked")
			return
		case tok == nil && mode == requireAuth:
			writeError(w, http.StatusUnauthorized, "The access token is invalid")
			return
		case tok != nil && len(scopes) > 0 && !tok.has(scopes...):
			writeError(w, http.StatusForbidden, "This action is outside the authorized scopes")
			return
		}
		setRateHeaders(w.Header(), u, now)
		p, err := readParams(r)
		if err != nil {
			writeError(w, http.StatusBadRequest, err.Error())
			return
		}
		c := &call{tok: valid, p: p, now: now, header: w.Header()}
		if valid != nil {
			c.account = valid.account
		}
		switch res := h(r, c).(type) {
		case *apiError:
			writeAPIError(w, res)
		case failure:
			s.writeFailure(w, int(res))
		default:
			writeJSON(w, http.StatusOK, res)
		}
	})
}
