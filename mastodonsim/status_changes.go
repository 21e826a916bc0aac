package mastodonsim

import (
	"fmt"
	"slices"
	"strings"
)

// editStatusLocked is UpdateStatusService: keeps the previous version,
// replaces text, spoiler, sensitivity and language, turns mentions no
// longer in the text into silent ones, notifies accounts newly mentioned,
// sets edited_at and sends status.update. Visibility never changes.
func (s *Server) editStatusLocked(st *status, text, spoiler string, sensitive bool, language, html string, validate, rateLimited bool) *apiError {
	now := s.cfg.clock()
	if st.account.Local() {
		text, spoiler = strings.TrimSpace(text), strings.TrimSpace(spoiler)
	}
	if validate {
		if text == "" {
			return validation("Text can't be blank")
		}
		if countableLength(spoiler, text) > s.cfg.maxChars {
			return validation(fmt.Sprintf("Text character limit of %d exceeded", s.cfg.maxChars))
		}
	}
	if rateLimited {
		if s.limiter.statusesUsage(st.account, now).exceed {
			return errRateLimit
		}
		s.limiter.recordStatus(st.account, now)
	}
	if len(st.versions) == 0 {
		st.versions = append(st.versions, statusVersion{content: st.content, spoiler: st.spoiler, sensitive: st.sensitive, at: st.createdAt})
	}
	old := append(slices.Clone(st.mentions), st.silent...)
	st.text, st.spoiler = text, spoiler
	st.sensitive = sensitive || spoiler != ""
	if language != "" && languageRE.MatchString(language) {
		st.language = language
	}
	st.mentions = s.resolveMentionsLocked(text)
	st.silent = nil
	for _, m := range old {
		if !slices.Contains(st.mentions, m) {
			st.silent = append(st.silent, m)
		}
	}
	s.renderContentLocked(st, html)
	st.editedAt = now
	st.versions = append(st.versions, statusVersion{content: st.content, spoiler: st.spoiler, sensitive: st.sensitive, at: now})
	s.fanOutLocked(st, "status.update")
	for _, m := range st.mentions {
		if !slices.Contains(old, m) {
			s.notifyLocked(m, st.account, "mention", st)
		}
	}
	// FanOutOnWriteService#notify_about_update!: accounts that boosted it.
	for _, r := range s.statuses {
		if r.reblog == st && !r.deleted {
			s.notifyLocked(r.account, st.account, "update", st)
		}
	}
	s.changedLocked()
	return nil
}

// deleteStatusLocked is RemoveStatusService: boosts go with it, its
// notifications are destroyed, "delete" (the bare id) reaches every home
// feed that held it, every mentioned local account and, for public
// statuses, the public and hashtag streams.
func (s *Server) deleteStatusLocked(st *status) {
	if st.deleted {
		return
	}
	for _, r := range s.statuses {
		if r.reblog == st && !r.deleted {
			s.deleteStatusLocked(r)
		}
	}
	st.deleted = true
	st.pinned = false
	kept := s.notifs[:0]
	for _, n := range s.notifs {
		if n.status == st {
			delete(s.notifByID, n.id)
			continue
		}
		kept = append(kept, n)
	}
	s.notifs = kept
	targets := map[string]bool{}
	for id := range st.delivered {
		targets[id] = true
	}
	for _, m := range st.mentions {
		if m.Local() {
			targets[m.ID] = true
		}
	}
	for _, a := range s.accounts {
		if targets[a.ID] {
			s.hub.publish("timeline:"+a.ID, "delete", st.id)
		}
	}
	if st.visibility == "public" && st.reblog == nil {
		for _, ch := range publicChannels(st) {
			s.hub.publish(ch, "delete", st.id)
		}
	}
	s.removeFromConversationsLocked(st)
	for _, rq := range s.requests {
		if rq.lastStatus == st {
			rq.lastStatus = nil
		}
	}
	s.changedLocked()
}

// reblogLocked is ReblogService: boosting a boost boosts the original,
// boosting twice returns the existing boost, and StatusPolicy#reblog? forbids
// boosting direct, limited and other people's private statuses.
func (s *Server) reblogLocked(actor *Account, target *status, visibility string, rateLimited bool) (*status, *apiError) {
	if target.reblog != nil {
		target = target.reblog
	}
	if !s.canSeeLocked(actor, target) {
		return nil, errNotFound
	}
	if target.visibility == "direct" || target.visibility == "limited" || (target.visibility == "private" && target.account != actor) {
		return nil, errForbidden
	}
	if existing := s.reblogOfLocked(actor, target); existing != nil {
		return existing, nil
	}
	now := s.cfg.clock()
	if rateLimited {
		if s.limiter.statusesUsage(actor, now).exceed {
			return nil, errRateLimit
		}
		s.limiter.recordStatus(actor, now)
	}
	vis := visibility
	if target.visibility == "private" {
		vis = "private"
	} else if !slices.Contains([]string{"public", "unlisted", "private"}, vis) {
		vis = "public"
	}
	s.threadSeq++
	r := &status{
		id:          s.ids.next(now),
		account:     actor,
		visibility:  vis,
		reblog:      target,
		createdAt:   now,
		thread:      s.threadSeq,
		delivered:   map[string]bool{},
		application: "mastodonsim",
	}
	s.statuses = append(s.statuses, r)
	s.statusByID[r.id] = r
	s.fanOutLocked(r, "update")
	s.notifyLocked(target.account, actor, "reblog", r)
	s.changedLocked()
	return r, nil
}

func (s *Server) reblogOfLocked(actor *Account, target *status) *status {
	for _, r := range s.statuses {
		if r.reblog == target && r.account == actor && !r.deleted {
			return r
		}
	}
	return nil
}
