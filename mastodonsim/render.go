package mastodonsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
)

// The JSON shapes below follow Mastodon's REST serializers field by field
// and in their order (REST::AccountSerializer, REST::StatusSerializer, ...),
// checked against the samples in /work/shared/mastodon-samples.

type accountJSON struct {
	ID              string            `json:"id"`
	Username        string            `json:"username"`
	Acct            string            `json:"acct"`
	DisplayName     string            `json:"display_name"`
	Locked          bool              `json:"locked"`
	Bot             bool              `json:"bot"`
	Discoverable    bool              `json:"discoverable"`
	Indexable       bool              `json:"indexable"`
	Group           bool              `json:"group"`
	CreatedAt       string            `json:"created_at"`
	Note            string            `json:"note"`
	URL             string            `json:"url"`
	URI             string            `json:"uri"`
	Avatar          string            `json:"avatar"`
	AvatarStatic    string            `json:"avatar_static"`
	Header          string            `json:"header"`
	HeaderStatic    string            `json:"header_static"`
	FollowersCount  int               `json:"followers_count"`
	FollowingCount  int               `json:"following_count"`
	StatusesCount   int               `json:"statuses_count"`
	LastStatusAt    *string           `json:"last_status_at"`
	HideCollections bool              `json:"hide_collections"`
	Noindex         *bool             `json:"noindex,omitempty"`
	Limited         bool              `json:"limited,omitempty"`
	Emojis          []any             `json:"emojis"`
	Roles           []any             `json:"roles"`
	Fields          []any             `json:"fields"`
	Source          *credentialSource `json:"source,omitempty"`
	Role            *roleJSON         `json:"role,omitempty"`
}

type credentialSource struct {
	Privacy             string `json:"privacy"`
	Sensitive           bool   `json:"sensitive"`
	Language            string `json:"language"`
	Note                string `json:"note"`
	Fields              []any  `json:"fields"`
	FollowRequestsCount int    `json:"follow_requests_count"`
	HideCollections     bool   `json:"hide_collections"`
	Discoverable        bool   `json:"discoverable"`
	Indexable           bool   `json:"indexable"`
}

type roleJSON struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Permissions string `json:"permissions"`
	Color       string `json:"color"`
	Highlighted bool   `json:"highlighted"`
}

// renderAccount is REST::AccountSerializer. created_at is the day of
// creation at midnight, as Mastodon sends it; last_status_at is a date.
func (s *Server) renderAccount(a *Account) accountJSON {
	followers, following, count := 0, 0, 0
	var lastAt time.Time
	for _, f := range s.accounts {
		if _, ok := s.follows[f.ID][a.ID]; ok {
			followers++
		}
	}
	following = len(s.follows[a.ID])
	for _, st := range s.statuses {
		if st.account == a && !st.deleted {
			count++
			if st.createdAt.After(lastAt) {
				lastAt = st.createdAt
			}
		}
	}
	// Formatted once: rendering a page of notifications renders many accounts.
	var last string
	if !lastAt.IsZero() {
		last = lastAt.UTC().Format("2006-01-02")
	}
	created := a.CreatedAt.UTC()
	j := accountJSON{
		ID:             a.ID,
		Username:       a.Username,
		Acct:           a.Acct,
		DisplayName:    a.DisplayName,
		Bot:            a.Bot,
		Discoverable:   a.Local(),
		Indexable:      false,
		CreatedAt:      timestamp(created.Truncate(24 * time.Hour)),
		URL:            a.URL,
		URI:            a.URI,
		Avatar:         s.URL + "/avatars/original/missing.png",
		AvatarStatic:   s.URL + "/avatars/original/missing.png",
		Header:         s.URL + "/headers/original/missing.png",
		HeaderStatic:   s.URL + "/headers/original/missing.png",
		FollowersCount: followers,
		FollowingCount: following,
		StatusesCount:  count,
		Limited:        a.Limited,
		Emojis:         []any{},
		Roles:          []any{},
		Fields:         []any{},
	}
	if last != "" {
		j.LastStatusAt = &last
	}
	if a.Local() {
		f := false
		j.Noindex = &f
	}
	return j
}

// renderCredentialAccount is REST::CredentialAccountSerializer
// (verify_credentials): the account plus source and role.
func (s *Server) renderCredentialAccount(a *Account) accountJSON {
	j := s.renderAccount(a)
	j.Source = &credentialSource{Privacy: "public", Language: "", Note: "", Fields: []any{}}
	j.Role = &roleJSON{ID: "-99", Permissions: "65536"}
	return j
}

type statusJSON struct {
	ID                 string           `json:"id"`
	CreatedAt          string           `json:"created_at"`
	InReplyToID        *string          `json:"in_reply_to_id"`
	InReplyToAccountID *string          `json:"in_reply_to_account_id"`
	Sensitive          bool             `json:"sensitive"`
	SpoilerText        string           `json:"spoiler_text"`
	Visibility         string           `json:"visibility"`
	Language           *string          `json:"language"`
	URI                string           `json:"uri"`
	URL                *string          `json:"url"`
	RepliesCount       int              `json:"replies_count"`
	ReblogsCount       int              `json:"reblogs_count"`
	FavouritesCount    int              `json:"favourites_count"`
	EditedAt           *string          `json:"edited_at"`
	Favourited         *bool            `json:"favourited,omitempty"`
	Reblogged          *bool            `json:"reblogged,omitempty"`
	Muted              *bool            `json:"muted,omitempty"`
	Bookmarked         *bool            `json:"bookmarked,omitempty"`
	Pinned             *bool            `json:"pinned,omitempty"`
	Filtered           *[]any           `json:"filtered,omitempty"`
	Content            *string          `json:"content,omitempty"`
	Text               *string          `json:"text,omitempty"`
	Reblog             *statusJSON      `json:"reblog"`
	Application        *applicationJSON `json:"application,omitempty"`
	Account            accountJSON      `json:"account"`
	MediaAttachments   []any            `json:"media_attachments"`
	Mentions           []mentionJSON    `json:"mentions"`
	Tags               []tagJSON        `json:"tags"`
	Emojis             []any            `json:"emojis"`
	Card               any              `json:"card"`
	Poll               any              `json:"poll"`
}

type applicationJSON struct {
	Name    string  `json:"name"`
	Website *string `json:"website"`
}

type mentionJSON struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	URL      string `json:"url"`
	Acct     string `json:"acct"`
}

type tagJSON struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// renderStatus is REST::StatusSerializer as seen by viewer (nil:
// anonymous). source replaces content by text, as DELETE responds
// (source_requested: true).
func (s *Server) renderStatus(st *status, viewer *Account, source bool) statusJSON {
	vis := st.visibility
	if vis == "limited" {
		vis = "private" // StatusSerializer#visibility masks limited
	}
	j := statusJSON{
		ID:               st.id,
		CreatedAt:        timestamp(st.createdAt),
		Sensitive:        st.sensitive,
		SpoilerText:      st.spoiler,
		Visibility:       vis,
		URI:              s.statusURI(st),
		EditedAt:         timestampOrNil(st.editedAt),
		Account:          s.renderAccount(st.account),
		MediaAttachments: []any{},
		Mentions:         []mentionJSON{},
		Tags:             []tagJSON{},
		Emojis:           []any{},
	}
	if st.inReplyToID != "" {
		j.InReplyToID, j.InReplyToAccountID = ptr(st.inReplyToID), ptr(st.inReplyToAccountID)
	}
	if st.language != "" {
		j.Language = ptr(st.language)
	}
	if st.reblog == nil || st.account.Local() {
		j.URL = ptr(s.statusURL(st))
	}
	for _, r := range s.statuses {
		if r.deleted {
			continue
		}
		if r.reblog == st {
			j.ReblogsCount++
		}
		if r.inReplyToID == st.id && (r.visibility == "public" || r.visibility == "unlisted") {
			j.RepliesCount++
		}
	}
	if viewer != nil {
		f := false
		j.Favourited, j.Muted, j.Bookmarked = &f, &f, &f
		j.Reblogged = ptr(s.reblogOfLocked(viewer, st) != nil)
		j.Filtered = &[]any{}
		if viewer == st.account && st.reblog == nil && vis != "direct" {
			j.Pinned = ptr(st.pinned)
		}
	}
	if source {
		j.Text = ptr(st.text)
	} else {
		j.Content = ptr(st.content)
	}
	if st.reblog != nil {
		r := s.renderStatus(st.reblog, viewer, false)
		j.Reblog = &r
		j.Content = ptr("")
	}
	if st.application != "" {
		j.Application = &applicationJSON{Name: st.application}
	}
	for _, m := range st.mentions {
		j.Mentions = append(j.Mentions, mentionJSON{ID: m.ID, Username: m.Username, URL: m.URL, Acct: m.Acct})
	}
	for _, t := range st.tags {
		j.Tags = append(j.Tags, tagJSON{Name: t, URL: s.URL + "/tags/" + t})
	}
	return j
}

type notificationJSON struct {
	ID        string      `json:"id"`
	Type      string      `json:"type"`
	CreatedAt string      `json:"created_at"`
	GroupKey  string      `json:"group_key"`
	Filtered  bool        `json:"filtered,omitempty"`
	Account   accountJSON `json:"account"`
	Status    *statusJSON `json:"status,omitempty"`
}

// renderNotification is REST::NotificationSerializer: group_key
// "ungrouped-<id>" unless grouped, filtered only when true, and the target
// status (the boosted status for a boost) for status types.
func (s *Server) renderNotification(n *notif) notificationJSON {
	j := notificationJSON{
		ID:        n.id,
		Type:      n.typ,
		CreatedAt: timestamp(n.createdAt),
		GroupKey:  n.groupKey,
		Filtered:  n.filtered,
		Account:   s.renderAccount(n.from),
	}
	if j.GroupKey == "" {
		j.GroupKey = "ungrouped-" + n.id
	}
	if n.status != nil {
		target := n.status
		if n.typ == "reblog" && target.reblog != nil {
			target = target.reblog
		}
		st := s.renderStatus(target, n.recipient, false)
		j.Status = &st
	}
	return j
}

type conversationJSON struct {
	ID         string        `json:"id"`
	Unread     bool          `json:"unread"`
	Accounts   []accountJSON `json:"accounts"`
	LastStatus *statusJSON   `json:"last_status"`
}

func (s *Server) renderConversation(c *conversation) conversationJSON {
	j := conversationJSON{ID: strconv.FormatInt(c.id, 10), Unread: c.unread, Accounts: []accountJSON{}}
	for _, p := range c.participants {
		j.Accounts = append(j.Accounts, s.renderAccount(p))
	}
	if len(c.statuses) > 0 {
		st := s.renderStatus(c.last(), c.owner, false)
		j.LastStatus = &st
	}
	return j
}

type relationshipJSON struct {
	ID                  string `json:"id"`
	Following           bool   `json:"following"`
	ShowingReblogs      bool   `json:"showing_reblogs"`
	Notifying           bool   `json:"notifying"`
	Languages           []any  `json:"languages"`
	FollowedBy          bool   `json:"followed_by"`
	Blocking            bool   `json:"blocking"`
	BlockedBy           bool   `json:"blocked_by"`
	Muting              bool   `json:"muting"`
	MutingNotifications bool   `json:"muting_notifications"`
	Requested           bool   `json:"requested"`
	RequestedBy         bool   `json:"requested_by"`
	DomainBlocking      bool   `json:"domain_blocking"`
	Endorsed            bool   `json:"endorsed"`
	Note                string `json:"note"`
}

func (s *Server) renderRelationship(a, target *Account) relationshipJSON {
	following := s.followingLocked(a, target)
	return relationshipJSON{
		ID:             target.ID,
		Following:      following,
		ShowingReblogs: following,
		FollowedBy:     s.followingLocked(target, a),
	}
}

func ptr[T any](v T) *T { return &v }

// mustJSON encodes a streaming payload. Streaming payloads are Oj.dump'ed
// in compat mode and re-stringified by Node, so HTML characters are not
// escaped, unlike REST responses.
func mustJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(err) // only our own structs are encoded
	}
	return string(bytes.TrimRight(b.Bytes(), "\n"))
}

// writeJSON writes a REST response. Rails escapes < > & in JSON as
// \u003c \u003e \u0026 (escape_html_entities_in_json), as encoding/json
// does by default.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]string{"error": msg})
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	if e.extra == nil {
		writeError(w, e.status, e.msg)
		return
	}
	body := map[string]any{"error": e.msg}
	for k, v := range e.extra {
		body[k] = v
	}
	writeJSON(w, e.status, body)
}
