package mastodonsim

import (
	"io"
	"net/http"
	"strings"
)

// ControlHandler serves the /_sim/ endpoints for driving the imitation by
// hand (cmd/mastodon-sim mounts it with WithControlAPI):
//
//	POST /_sim/dm?from=alice[&to=tootops][&in_reply_to=ID]   body: the text
//	     sends a direct message; "@to " is prepended when the text does
//	     not mention anyone. Answers the status as the sender sees it.
//	GET  /_sim/statuses[?by=tootops]
//	     lists what an account posted (default: every bot account).
//	POST /_sim/follow?from=tootops&to=alice
//	     makes from follow to, so DMs from to are no longer filtered.
func (s *Server) ControlHandler() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("POST /_sim/dm", s.controlDM)
	m.HandleFunc("GET /_sim/statuses", s.controlStatuses)
	m.HandleFunc("POST /_sim/follow", s.controlFollow)
	return m
}

func (s *Server) accountParam(r *http.Request, key string) *Account {
	v := r.URL.Query().Get(key)
	if v == "" {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lookupAcctLocked(v)
}

func (s *Server) firstBot() *Account {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.accounts {
		if a.Bot && a.Local() {
			return a
		}
	}
	return nil
}

func (s *Server) controlDM(w http.ResponseWriter, r *http.Request) {
	from := s.accountParam(r, "from")
	if from == nil {
		writeError(w, http.StatusBadRequest, "from must name an account")
		return
	}
	to := s.accountParam(r, "to")
	if to == nil {
		to = s.firstBot()
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil || strings.TrimSpace(string(body)) == "" {
		writeError(w, http.StatusBadRequest, "the body must hold the text of the message")
		return
	}
	text := strings.TrimSpace(string(body))
	if to != nil && len(extractMentions(text)) == 0 {
		text = "@" + to.Acct + " " + text
	}
	s.mu.Lock()
	irt := r.URL.Query().Get("in_reply_to")
	if irt != "" && s.statusByID[irt] == nil {
		s.mu.Unlock()
		writeError(w, http.StatusNotFound, "in_reply_to names no status")
		return
	}
	s.mu.Unlock()
	st := s.Post(from, PostOpts{Text: text, Visibility: "direct", InReplyTo: irt})
	s.mu.Lock()
	j := s.renderStatus(s.statusByID[st.ID], from, false)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, j)
}

type controlStatus struct {
	ID          string   `json:"id"`
	CreatedAt   string   `json:"created_at"`
	Account     string   `json:"account"`
	Visibility  string   `json:"visibility"`
	InReplyToID string   `json:"in_reply_to_id,omitempty"`
	Mentions    []string `json:"mentions"`
	SpoilerText string   `json:"spoiler_text,omitempty"`
	Text        string   `json:"text"`
	Content     string   `json:"content"`
	EditedAt    string   `json:"edited_at,omitempty"`
	Deleted     bool     `json:"deleted,omitempty"`
}

func (s *Server) controlStatuses(w http.ResponseWriter, r *http.Request) {
	by := s.accountParam(r, "by")
	if r.URL.Query().Get("by") != "" && by == nil {
		writeError(w, http.StatusNotFound, "by names no account")
		return
	}
	out := []controlStatus{}
	for _, st := range s.Statuses(func(st Status) bool {
		if by != nil {
			return st.Account == by
		}
		return st.Account.Bot && st.Account.Local()
	}) {
		c := controlStatus{
			ID: st.ID, CreatedAt: timestamp(st.CreatedAt), Account: st.Account.Acct, Visibility: st.Visibility,
			InReplyToID: st.InReplyToID, Mentions: []string{}, SpoilerText: st.SpoilerText,
			Text: st.Text, Content: st.Content, Deleted: st.Deleted,
		}
		for _, m := range st.Mentions {
			c.Mentions = append(c.Mentions, m.Acct)
		}
		if st.Edited() {
			c.EditedAt = timestamp(st.EditedAt)
		}
		out = append(out, c)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) controlFollow(w http.ResponseWriter, r *http.Request) {
	from, to := s.accountParam(r, "from"), s.accountParam(r, "to")
	if from == nil || to == nil {
		writeError(w, http.StatusBadRequest, "from and to must name accounts")
		return
	}
	s.Follow(from, to)
	s.mu.Lock()
	j := s.renderRelationship(from, to)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, j)
}
