package mastodonsim

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// maxPinned is StatusPinValidator::PIN_LIMIT.
const maxPinned = 5

// idempotencyTTL is how long PostStatusService keeps an Idempotency-Key.
const idempotencyTTL = time.Hour

// appName is the application shown on statuses made through the API.
const appName = "mastodonsim"

// createStatus is POST /api/v1/statuses (form or JSON). Order as in
// Mastodon: the controller's thread check, then PostStatusService: the
// Idempotency-Key (per account, 1 h, body ignored), allowed_mentions,
// validation, the statuses rate limit, then the post.
func (s *Server) createStatus(r *http.Request, c *call) any {
	p := c.p
	if strings.TrimSpace(p.get("scheduled_at")) != "" {
		// Scheduled statuses are not imitated; say so rather than post now.
		return validation("Scheduled at is not supported by mastodonsim")
	}
	key := r.Header.Get("Idempotency-Key")
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.statusHeadersLocked(c)
	if irt := p.get("in_reply_to_id"); irt != "" {
		if parent := s.statusByID[irt]; parent == nil || !s.canSeeLocked(c.account, parent) {
			return errReplyTo404
		}
	}
	idemKey := c.account.ID + "\x00" + key
	if key != "" {
		if e, ok := s.idempotency[idemKey]; ok && c.now.Before(e.expires) {
			if s.Faults.takeIdempotentReplayFailure() {
				return failure(http.StatusInternalServerError)
			}
			// PostStatusService#idempotency_duplicate: @account.statuses.find(id).
			st := s.statusByID[e.statusID]
			if st == nil || st.deleted {
				return errNotFound
			}
			return s.renderStatus(st, c.account, false)
		}
	}
	req := createRequest{
		author:         c.account,
		text:           p.get("status"),
		spoiler:        p.get("spoiler_text"),
		visibility:     p.get("visibility"),
		language:       p.get("language"),
		inReplyTo:      p.get("in_reply_to_id"),
		sensitive:      p.boolean("sensitive"),
		application:    appName,
		idempotencyKey: key,
		validate:       true,
		rateLimited:    true,
	}
	if p.has("allowed_mentions[]") || p.has("allowed_mentions") {
		req.allowedMentions = p.list("allowed_mentions")
	}
	st, err := s.createStatusLocked(req)
	if err != nil {
		return err
	}
	if key != "" {
		s.idempotency[idemKey] = idemEntry{statusID: st.id, expires: c.now.Add(idempotencyTTL)}
	}
	return s.renderStatus(st, c.account, false)
}

// statusHeadersLocked is override_rate_limit_headers family: :statuses.
func (s *Server) statusHeadersLocked(c *call) {
	overrideStatusHeaders(c.header, s.limiter.statusesUsage(c.account, c.now), c.now)
}

// visibleStatusLocked finds a status the viewer may see (404 otherwise).
func (s *Server) visibleStatusLocked(id string, viewer *Account) (*status, *apiError) {
	st := s.statusByID[id]
	if st == nil || !s.canSeeLocked(viewer, st) {
		return nil, errNotFound
	}
	return st, nil
}

// ownStatusLocked is Status.where(account: current_account).find(id):
// other people's statuses are simply not found.
func (s *Server) ownStatusLocked(id string, a *Account) (*status, *apiError) {
	st := s.statusByID[id]
	if st == nil || st.deleted || st.account != a {
		return nil, errNotFound
	}
	return st, nil
}

func (s *Server) getStatus(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.visibleStatusLocked(r.PathValue("id"), c.account)
	if err != nil {
		return err
	}
	return s.renderStatus(st, c.account, false)
}

// updateStatus is PUT /api/v1/statuses/:id (UpdateStatusService).
func (s *Server) updateStatus(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.statusHeadersLocked(c)
	st, err := s.ownStatusLocked(r.PathValue("id"), c.account)
	if err != nil {
		return err
	}
	if st.reblog != nil {
		return errForbidden
	}
	text, spoiler, sensitive, lang := st.text, st.spoiler, st.sensitive, ""
	if c.p.has("status") {
		text = c.p.get("status")
	}
	if c.p.has("spoiler_text") {
		spoiler = c.p.get("spoiler_text")
	}
	if c.p.has("sensitive") {
		sensitive = c.p.boolean("sensitive")
	}
	if c.p.has("language") {
		lang = c.p.get("language")
	}
	if err := s.editStatusLocked(st, text, spoiler, sensitive, lang, "", true, true); err != nil {
		return err
	}
	return s.renderStatus(st, c.account, false)
}

// deleteStatus is DELETE /api/v1/statuses/:id: the answer is the status as
// it was, with its source text instead of content (source_requested).
func (s *Server) deleteStatus(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.ownStatusLocked(r.PathValue("id"), c.account)
	if err != nil {
		return err
	}
	out := s.renderStatus(st, c.account, true)
	s.deleteStatusLocked(st)
	return out
}

func (s *Server) statusSource(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.ownStatusLocked(r.PathValue("id"), c.account)
	if err != nil {
		return err
	}
	return struct {
		ID          string `json:"id"`
		Text        string `json:"text"`
		SpoilerText string `json:"spoiler_text"`
	}{st.id, st.text, st.spoiler}
}

type statusEditJSON struct {
	Content          string      `json:"content"`
	SpoilerText      string      `json:"spoiler_text"`
	Sensitive        bool        `json:"sensitive"`
	CreatedAt        string      `json:"created_at"`
	Account          accountJSON `json:"account"`
	MediaAttachments []any       `json:"media_attachments"`
	Emojis           []any       `json:"emojis"`
}

// statusHistory is GET /api/v1/statuses/:id/history: every version, oldest
// first; an unedited status has one.
func (s *Server) statusHistory(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.visibleStatusLocked(r.PathValue("id"), c.account)
	if err != nil {
		return err
	}
	versions := st.versions
	if len(versions) == 0 {
		versions = []statusVersion{{content: st.content, spoiler: st.spoiler, sensitive: st.sensitive, at: st.createdAt}}
	}
	out := []statusEditJSON{}
	for _, v := range versions {
		out = append(out, statusEditJSON{v.content, v.spoiler, v.sensitive, timestamp(v.at), s.renderAccount(st.account), []any{}, []any{}})
	}
	return out
}

// reblogStatus is POST /api/v1/statuses/:id/reblog (ReblogService).
func (s *Server) reblogStatus(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	defer s.statusHeadersLocked(c)
	st, err := s.visibleStatusLocked(r.PathValue("id"), c.account)
	if err != nil {
		return err
	}
	rb, err := s.reblogLocked(c.account, st, c.p.get("visibility"), true)
	if err != nil {
		return err
	}
	return s.renderStatus(rb, c.account, false)
}

// unreblogStatus is POST /api/v1/statuses/:id/unreblog: the boost goes,
// the answer is the original with "reblogged": false.
func (s *Server) unreblogStatus(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	target := s.statusByID[id]
	if target != nil {
		if rb := s.reblogOfLocked(c.account, target); rb != nil {
			s.deleteStatusLocked(rb)
			return s.renderStatus(target, c.account, false)
		}
	}
	st, err := s.visibleStatusLocked(id, c.account)
	if err != nil {
		return err
	}
	return s.renderStatus(st, c.account, false)
}

// pinStatus is POST /api/v1/statuses/:id/pin with StatusPinValidator's
// messages. Pinning a pinned status again answers the status.
func (s *Server) pinStatus(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.visibleStatusLocked(r.PathValue("id"), c.account)
	if err != nil {
		return err
	}
	if !st.pinned {
		var errs []string
		if st.reblog != nil {
			errs = append(errs, "A boost cannot be pinned")
		}
		if st.account != c.account {
			errs = append(errs, "Someone else's post cannot be pinned")
		}
		if st.visibility == "direct" {
			errs = append(errs, "Posts that are only visible to mentioned users cannot be pinned")
		}
		pinned := 0
		for _, x := range s.statuses {
			if x.account == c.account && x.pinned {
				pinned++
			}
		}
		if pinned >= maxPinned {
			errs = append(errs, "You have already pinned the maximum number of posts")
		}
		if len(errs) > 0 {
			return validation(strings.Join(errs, ", "))
		}
		st.pinned = true
		s.changedLocked()
	}
	return s.renderStatus(st, c.account, false)
}

func (s *Server) unpinStatus(r *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, err := s.visibleStatusLocked(r.PathValue("id"), c.account)
	if err != nil {
		return err
	}
	if st.account == c.account && st.pinned {
		st.pinned = false
		s.changedLocked()
	}
	return s.renderStatus(st, c.account, false)
}

// listConversations is GET /api/v1/conversations, newest first.
func (s *Server) listConversations(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var mine []*conversation
	for _, cv := range s.convs {
		if cv.owner == c.account {
			mine = append(mine, cv)
		}
	}
	slices.SortFunc(mine, func(a, b *conversation) int { return compareIDs(b.last().id, a.last().id) })
	limit := limitParam(c.p, 20)
	out := []conversationJSON{}
	for i := 0; i < len(mine) && i < limit; i++ {
		out = append(out, s.renderConversation(mine[i]))
	}
	return out
}

type marker struct {
	lastReadID string
	version    int
	updatedAt  time.Time
}

type markerJSON struct {
	LastReadID string `json:"last_read_id"`
	Version    int    `json:"version"`
	UpdatedAt  string `json:"updated_at"`
}

// postMarkers is POST /api/v1/markers with home[last_read_id] and/or
// notifications[last_read_id]; version is the record's lock_version.
func (s *Server) postMarkers(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]markerJSON{}
	for _, tl := range []string{"home", "notifications"} {
		id := c.p.get(tl + "[last_read_id]")
		if !c.p.has(tl + "[last_read_id]") {
			continue
		}
		if s.markers[c.account.ID] == nil {
			s.markers[c.account.ID] = map[string]*marker{}
		}
		m := s.markers[c.account.ID][tl]
		if m == nil {
			m = &marker{}
			s.markers[c.account.ID][tl] = m
		} else {
			m.version++
		}
		m.lastReadID, m.updatedAt = id, c.now
		out[tl] = markerJSON{m.lastReadID, m.version, timestamp(m.updatedAt)}
	}
	s.changedLocked()
	return out
}

func (s *Server) getMarkers(_ *http.Request, c *call) any {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]markerJSON{}
	for _, tl := range c.p.list("timeline") {
		if m := s.markers[c.account.ID][tl]; m != nil {
			out[tl] = markerJSON{m.lastReadID, m.version, timestamp(m.updatedAt)}
		}
	}
	return out
}
