package mastodonsim

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// limitParam is Api::BaseController#limit_param: the default when absent,
// otherwise |limit| capped at twice the default (0 and junk give 0).
func limitParam(p params, def int) int {
	if !p.has("limit") {
		return def
	}
	n, _ := strconv.Atoi(strings.TrimSpace(p.get("limit")))
	if n < 0 {
		n = -n
	}
	return min(n, 2*def)
}

// paginateIDs is Paginable#paginate_by_id over ids sorted ascending: with
// min_id the page right above min_id (still returned newest first),
// otherwise the newest page below max_id and above since_id.
func paginateIDs(ids []string, limit int, maxID, sinceID, minID string) []int {
	var idx []int
	if minID != "" {
		for i := 0; i < len(ids) && len(idx) < limit; i++ {
			if compareIDs(ids[i], minID) > 0 && (maxID == "" || compareIDs(ids[i], maxID) < 0) {
				idx = append(idx, i)
			}
		}
		slices.Reverse(idx)
		return idx
	}
	for i := len(ids) - 1; i >= 0 && len(idx) < limit; i-- {
		if (maxID == "" || compareIDs(ids[i], maxID) < 0) && (sinceID == "" || compareIDs(ids[i], sinceID) > 0) {
			idx = append(idx, i)
		}
	}
	return idx
}

// setLinkHeader is set_pagination_headers: next = older page (max_id of the
// last item), prev = newer page (min_id of the first), carrying the filter
// parameters, sorted like Rails' Hash#to_query. Empty pages get no header
// (https://github.com/mastodon/mastodon/issues/25495).
func (s *Server) setLinkHeader(h http.Header, path string, p params, keep []string, first, last string) {
	if first == "" {
		return
	}
	link := func(key, id string) string {
		var parts []string
		for _, k := range keep {
			if strings.HasSuffix(k, "[]") {
				var vs []string
				for _, v := range p.list(strings.TrimSuffix(k, "[]")) {
					vs = append(vs, url.QueryEscape(k)+"="+url.QueryEscape(v))
				}
				if len(vs) > 0 {
					parts = append(parts, strings.Join(vs, "&"))
				}
			} else if p.has(k) {
				parts = append(parts, url.QueryEscape(k)+"="+url.QueryEscape(p.get(k)))
			}
		}
		parts = append(parts, key+"="+url.QueryEscape(id))
		sort.Strings(parts)
		return "<" + s.URL + path + "?" + strings.Join(parts, "&") + ">"
	}
	h.Set("Link", link("max_id", last)+`; rel="next", `+link("min_id", first)+`; rel="prev"`)
}

// listNotifications is GET /api/v1/notifications (4.3): filtered
// notifications only with include_filtered, types[] / exclude_types[] /
// account_id filters, id pagination, Link header.
func (s *Server) listNotifications(_ *http.Request, c *call) any {
	p := c.p
	limit := limitParam(p, 40)
	types, exclude := p.list("types"), p.list("exclude_types")
	includeFiltered := p.boolean("include_filtered")
	fromID := p.get("account_id")
	s.mu.Lock()
	defer s.mu.Unlock()
	var pool []*notif
	var ids []string
	for _, n := range s.notifs {
		if n.recipient != c.account || (n.filtered && !includeFiltered) ||
			(len(types) > 0 && !slices.Contains(types, n.typ)) || slices.Contains(exclude, n.typ) ||
			(fromID != "" && n.from.ID != fromID) {
			continue
		}
		pool = append(pool, n)
		ids = append(ids, n.id)
	}
	out := []notificationJSON{}
	for _, i := range paginateIDs(ids, limit, p.get("max_id"), p.get("since_id"), p.get("min_id")) {
		out = append(out, s.renderNotification(pool[i]))
	}
	if len(out) > 0 {
		s.setLinkHeader(c.header, "/api/v1/notifications", p,
			[]string{"limit", "account_id", "types[]", "exclude_types[]", "include_filtered"}, out[0].ID, out[len(out)-1].ID)
	}
	return out
}

func (s *Server) findNotifLocked(a *Account, id string) *notif {
	if n := s.notifByID[id]; n != nil && n.recipient == a {
		return n
	}
	return nil
}

func (s *Server) getNotification(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.findNotifLocked(c.account, r.PathValue("id"))
	if n == nil {
		return errNotFound
	}
	return s.renderNotification(n)
}

func (s *Server) dismissNotification(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.findNotifLocked(c.account, r.PathValue("id"))
	if n == nil {
		return errNotFound
	}
	s.removeNotifsLocked(func(x *notif) bool { return x == n })
	return struct{}{}
}

func (s *Server) clearNotifications(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.removeNotifsLocked(func(x *notif) bool { return x.recipient == c.account })
	return struct{}{}
}

func (s *Server) removeNotifsLocked(drop func(*notif) bool) {
	s.notifs = slices.DeleteFunc(s.notifs, func(n *notif) bool {
		if drop(n) {
			delete(s.notifByID, n.id)
			return true
		}
		return false
	})
	s.changedLocked()
}

// unreadCount is GET /api/v1/notifications/unread_count: unfiltered
// notifications above the notifications marker, capped by limit (100/1000).
func (s *Server) unreadCount(_ *http.Request, c *call) any {
	limit := 100
	if c.p.has("limit") {
		n, _ := strconv.Atoi(c.p.get("limit"))
		limit = min(max(n, -n), 1000)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	last := ""
	if m := s.markers[c.account.ID]["notifications"]; m != nil {
		last = m.lastReadID
	}
	n := 0
	for _, x := range s.notifs {
		if x.recipient == c.account && !x.filtered && (last == "" || compareIDs(x.id, last) > 0) && n < limit {
			n++
		}
	}
	return map[string]int{"count": n}
}

type policySummary struct {
	PendingRequestsCount      int `json:"pending_requests_count"`
	PendingNotificationsCount int `json:"pending_notifications_count"`
}

func (s *Server) policySummaryLocked(a *Account) policySummary {
	var sum policySummary
	for _, rq := range s.requests {
		if rq.recipient == a {
			sum.PendingRequestsCount++
		}
	}
	for _, n := range s.notifs {
		if n.recipient == a && n.filtered {
			sum.PendingNotificationsCount++
		}
	}
	return sum
}

type policyV2JSON struct {
	ForNotFollowing    string        `json:"for_not_following"`
	ForNotFollowers    string        `json:"for_not_followers"`
	ForNewAccounts     string        `json:"for_new_accounts"`
	ForPrivateMentions string        `json:"for_private_mentions"`
	ForLimitedAccounts string        `json:"for_limited_accounts"`
	Summary            policySummary `json:"summary"`
}

type policyV1JSON struct {
	FilterNotFollowing    bool          `json:"filter_not_following"`
	FilterNotFollowers    bool          `json:"filter_not_followers"`
	FilterNewAccounts     bool          `json:"filter_new_accounts"`
	FilterPrivateMentions bool          `json:"filter_private_mentions"`
	Summary               policySummary `json:"summary"`
}

func (s *Server) renderPolicyV2Locked(a *Account) policyV2JSON {
	p := s.policyLocked(a)
	return policyV2JSON{p.ForNotFollowing, p.ForNotFollowers, p.ForNewAccounts, p.ForPrivateMentions, p.ForLimitedAccounts, s.policySummaryLocked(a)}
}

// renderPolicyV1Locked: the v1 booleans are true for anything but "accept".
func (s *Server) renderPolicyV1Locked(a *Account) policyV1JSON {
	p := s.policyLocked(a)
	return policyV1JSON{p.ForNotFollowing != "accept", p.ForNotFollowers != "accept", p.ForNewAccounts != "accept", p.ForPrivateMentions != "accept", s.policySummaryLocked(a)}
}

func (s *Server) getPolicyV2(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renderPolicyV2Locked(c.account)
}

func (s *Server) patchPolicyV2(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := *s.policyLocked(c.account)
	for _, f := range []struct {
		key, label string
		dst        *string
	}{
		{"for_not_following", "For not following", &p.ForNotFollowing},
		{"for_not_followers", "For not followers", &p.ForNotFollowers},
		{"for_new_accounts", "For new accounts", &p.ForNewAccounts},
		{"for_private_mentions", "For private mentions", &p.ForPrivateMentions},
		{"for_limited_accounts", "For limited accounts", &p.ForLimitedAccounts},
	} {
		if !c.p.has(f.key) {
			continue
		}
		v := c.p.get(f.key)
		if _, ok := policySeverity[v]; !ok {
			return validation(f.label + " is not included in the list")
		}
		*f.dst = v
	}
	s.policies[c.account.ID] = &p
	s.changedLocked()
	return s.renderPolicyV2Locked(c.account)
}

func (s *Server) getPolicyV1(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renderPolicyV1Locked(c.account)
}

// patchPolicyV1 maps the v1 booleans onto the v2 values: true is "filter",
// false "accept" (NotificationPolicy#filter_*= setters).
func (s *Server) patchPolicyV1(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := *s.policyLocked(c.account)
	for _, f := range []struct {
		key string
		dst *string
	}{
		{"filter_not_following", &p.ForNotFollowing},
		{"filter_not_followers", &p.ForNotFollowers},
		{"filter_new_accounts", &p.ForNewAccounts},
		{"filter_private_mentions", &p.ForPrivateMentions},
	} {
		if c.p.has(f.key) {
			*f.dst = "accept"
			if c.p.boolean(f.key) {
				*f.dst = "filter"
			}
		}
	}
	s.policies[c.account.ID] = &p
	s.changedLocked()
	return s.renderPolicyV1Locked(c.account)
}

type requestJSON struct {
	ID                 string      `json:"id"`
	CreatedAt          string      `json:"created_at"`
	UpdatedAt          string      `json:"updated_at"`
	NotificationsCount string      `json:"notifications_count"`
	Account            accountJSON `json:"account"`
	LastStatus         *statusJSON `json:"last_status"`
}

// renderRequestLocked is REST::NotificationRequestSerializer
// (notifications_count is a string).
func (s *Server) renderRequestLocked(rq *notifRequest) requestJSON {
	j := requestJSON{
		ID:                 strconv.FormatInt(rq.id, 10),
		CreatedAt:          timestamp(rq.createdAt),
		UpdatedAt:          timestamp(rq.updatedAt),
		NotificationsCount: strconv.Itoa(s.requestCountLocked(rq)),
		Account:            s.renderAccount(rq.from),
	}
	if rq.lastStatus != nil && !rq.lastStatus.deleted {
		st := s.renderStatus(rq.lastStatus, rq.recipient, false)
		j.LastStatus = &st
	}
	return j
}

func (s *Server) listRequests(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var mine []*notifRequest
	var ids []string
	for _, rq := range s.requests {
		if rq.recipient == c.account {
			mine = append(mine, rq)
			ids = append(ids, strconv.FormatInt(rq.id, 10))
		}
	}
	out := []requestJSON{}
	for _, i := range paginateIDs(ids, limitParam(c.p, 40), c.p.get("max_id"), c.p.get("since_id"), c.p.get("min_id")) {
		out = append(out, s.renderRequestLocked(mine[i]))
	}
	if len(out) > 0 {
		s.setLinkHeader(c.header, "/api/v1/notifications/requests", c.p, []string{"limit"}, out[0].ID, out[len(out)-1].ID)
	}
	return out
}

func (s *Server) findRequestLocked(a *Account, id string) *notifRequest {
	for _, rq := range s.requests {
		if rq.recipient == a && strconv.FormatInt(rq.id, 10) == id {
			return rq
		}
	}
	return nil
}

func (s *Server) getRequest(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	rq := s.findRequestLocked(c.account, r.PathValue("id"))
	if rq == nil {
		return errNotFound
	}
	return s.renderRequestLocked(rq)
}

func (s *Server) acceptRequest(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	rq := s.findRequestLocked(c.account, r.PathValue("id"))
	if rq == nil {
		return errNotFound
	}
	s.acceptRequestLocked(rq)
	return struct{}{}
}

// dismissRequest is DismissNotificationRequestService: the request goes
// away, its notifications stay filtered.
func (s *Server) dismissRequest(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	rq := s.findRequestLocked(c.account, r.PathValue("id"))
	if rq == nil {
		return errNotFound
	}
	s.removeRequestLocked(rq)
	s.changedLocked()
	return struct{}{}
}

// requestsMerged: accepting is synchronous here, so merging is always done.
func (s *Server) requestsMerged(_ *http.Request, _ *call) any {
	return map[string]bool{"merged": true}
}
