package mastodonsim

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// status is a stored status (a post or a boost).
type status struct {
	id                 string
	account            *Account
	text, spoiler      string // source (local statuses)
	content            string // HTML
	visibility         string // public, unlisted, private, direct or limited
	inReplyToID        string
	inReplyToAccountID string
	mentions           []*Account // active mentions, in text order
	silent             []*Account // mentions removed by an edit: still recipients
	tags               []string
	language           string // "" renders as null
	sensitive          bool
	createdAt          time.Time
	editedAt           time.Time
	deleted            bool
	reblog             *status
	pinned             bool
	thread             int64           // conversation id shared by a thread
	delivered          map[string]bool // accounts whose home feed holds it
	idempotencyKey     string
	application        string // "" for remote statuses
	style              HTMLStyle
	versions           []statusVersion
}

type statusVersion struct {
	content, spoiler string
	sensitive        bool
	at               time.Time
}

// languageRE accepts ISO 639-1/639-3 codes as PostStatusService does.
var languageRE = regexp.MustCompile(`\A[a-z]{2,3}\z`)

// createRequest describes a status to create, from the API or a test.
type createRequest struct {
	author          *Account
	text, spoiler   string
	visibility      string
	language        string
	inReplyTo       string
	sensitive       bool
	html            string     // remote: content as received; "" renders text
	mentions        []*Account // remote: the ActivityPub tags; nil resolves from text
	style           HTMLStyle
	application     string
	idempotencyKey  string
	validate        bool     // StatusLengthValidator and presence; API posts only
	allowedMentions []string // account ids; nil when not given
	rateLimited     bool     // counts against the statuses family
}

var visibilities = []string{"public", "unlisted", "private", "direct"}

// createStatusLocked is PostStatusService#call plus the controller's thread
// check, in Mastodon's order: thread, mentions/allowed_mentions, validation,
// rate limit, save, fan-out, notifications.
func (s *Server) createStatusLocked(req createRequest) (*status, *apiError) {
	a := req.author
	now := s.cfg.clock()
	text, spoiler := req.text, req.spoiler
	if a.Local() {
		// Status#prepare_contents strips local text and spoiler.
		text, spoiler = strings.TrimSpace(text), strings.TrimSpace(spoiler)
	}
	vis := req.visibility
	if vis == "" {
		vis = "public" // the account's default privacy
	}
	if !slices.Contains(visibilities, vis) && !(vis == "limited" && !a.Local()) {
		return nil, validation("Visibility is not included in the list")
	}
	if vis == "public" && a.Limited && a.Local() {
		vis = "unlisted" // PostStatusService#preprocess_attributes! for silenced accounts
	}
	var parent *status
	if req.inReplyTo != "" {
		parent = s.statusByID[req.inReplyTo]
		if parent == nil || !s.canSeeLocked(a, parent) || parent.reblog != nil {
			return nil, errReplyTo404
		}
	}
	mentions := req.mentions
	if mentions == nil {
		mentions = s.resolveMentionsLocked(text)
	}
	if req.allowedMentions != nil {
		var unexpected []any
		for _, m := range mentions {
			if !slices.Contains(req.allowedMentions, m.ID) {
				unexpected = append(unexpected, s.renderAccount(m))
			}
		}
		if len(unexpected) > 0 {
			return nil, &apiError{status: http.StatusUnprocessableEntity, msg: "Post would be sent to unexpected accounts",
				extra: map[string]any{"unexpected_accounts": unexpected}}
		}
	}
	if req.validate {
		if text == "" {
			return nil, validation("Text can't be blank")
		}
		if countableLength(spoiler, text) > s.cfg.maxChars {
			return nil, validation(fmt.Sprintf("Text character limit of %d exceeded", s.cfg.maxChars))
		}
	}
	if req.rateLimited {
		if s.limiter.statusesUsage(a, now).exceed {
			return nil, errRateLimit
		}
		s.limiter.recordStatus(a, now)
	}
	lang := req.language
	if a.Local() && !languageRE.MatchString(lang) {
		lang = "en" // invalid or missing: the user's posting language
	}
	st := &status{
		id:             s.ids.next(now),
		account:        a,
		text:           text,
		spoiler:        spoiler,
		visibility:     vis,
		mentions:       mentions,
		language:       lang,
		sensitive:      req.sensitive || spoiler != "",
		createdAt:      now,
		delivered:      map[string]bool{},
		idempotencyKey: req.idempotencyKey,
		application:    req.application,
		style:          req.style,
	}
	if parent != nil {
		st.inReplyToID, st.inReplyToAccountID, st.thread = parent.id, parent.account.ID, parent.thread
	} else {
		s.threadSeq++
		st.thread = s.threadSeq
	}
	s.renderContentLocked(st, req.html)
	s.statuses = append(s.statuses, st)
	s.statusByID[st.id] = st
	s.fanOutLocked(st, "update")
	if vis == "direct" && a.Local() {
		// FanOutOnWriteService#deliver_to_conversation! for the author.
		s.addToConversationLocked(a, st)
	}
	for _, m := range mentions {
		s.notifyLocked(m, a, "mention", st)
	}
	s.changedLocked()
	return st, nil
}

// renderContentLocked sets content and tags from the source text.
func (s *Server) renderContentLocked(st *status, html string) {
	switch {
	case html != "":
		st.content = html
	case st.account.Local():
		st.content = s.formatLocal(st.text, st.mentions)
	default:
		st.content = RemoteHTML(st.style, st.account, st.text, st.mentions...)
	}
	st.tags = nil
	for _, e := range extractEntities(st.text) {
		if t := strings.ToLower(e.value); e.kind == entityHashtag && !slices.Contains(st.tags, t) {
			st.tags = append(st.tags, t)
		}
	}
}

// resolveMentionsLocked is ProcessMentionsService without WebFinger: every
// @user or @user@domain naming a known account, once, in text order.
func (s *Server) resolveMentionsLocked(text string) []*Account {
	var out []*Account
	for _, e := range extractEntities(text) {
		if e.kind != entityMention {
			continue
		}
		if a := s.lookupAcctLocked(e.value); a != nil && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// canSeeLocked is StatusPolicy#show?.
func (s *Server) canSeeLocked(viewer *Account, st *status) bool {
	if st.deleted {
		return false
	}
	if st.reblog != nil && !s.canSeeLocked(viewer, st.reblog) {
		return false
	}
	switch st.visibility {
	case "public", "unlisted":
		return true
	case "private":
		return viewer != nil && (viewer == st.account || s.followingLocked(viewer, st.account) || st.mentionsAccount(viewer))
	default:
		return viewer != nil && (viewer == st.account || st.mentionsAccount(viewer))
	}
}

func (st *status) mentionsAccount(a *Account) bool {
	return slices.Contains(st.mentions, a) || slices.Contains(st.silent, a)
}

// statusURI and statusURL follow ActivityPub::TagManager#uri_for/url_for.
func (s *Server) statusURI(st *status) string {
	if st.account.Local() {
		u := s.URL + "/users/" + st.account.Username + "/statuses/" + st.id
		if st.reblog != nil {
			u += "/activity"
		}
		return u
	}
	return "https://" + st.account.Domain + "/users/" + st.account.Username + "/statuses/" + st.id
}

func (s *Server) statusURL(st *status) string {
	if st.account.Local() {
		return s.URL + "/@" + st.account.Username + "/" + st.id
	}
	return "https://" + st.account.Domain + "/@" + st.account.Username + "/" + st.id
}
