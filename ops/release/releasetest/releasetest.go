// Package releasetest is an in-process imitation of the GitHub Releases API for
// mastodon/mastodon, for tests of anything that fetches releases.
//
// It behaves like the real endpoint where a client can tell: the JSON field names and
// types of GitHub's release object (published_at is null for drafts), pagination with
// per_page (default 30, at most 100) and a Link header whose URLs use the
// /repositories/{id}/ form, weak ETags and 304 Not Modified for If-None-Match,
// X-RateLimit-* headers that count down (60 an hour without a token, 5,000 with one;
// a 304 is free only with a token) and a 403 "API rate limit exceeded" at zero, 401
// "Bad credentials" for a wrong token, drafts only for the right token, a 403 for a
// request without User-Agent, and the list ordered by creation date, newest first —
// not by version.
package releasetest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Token is the token the Server accepts unless Server.Token is changed.
const Token = "ghp_releasetestTOKEN0123456789abcdefABCD"

// RepoID is the repository id used in Link URLs (GitHub's id for mastodon/mastodon).
const RepoID = 24897361

// Release is a release to serve. Zero times get deterministic defaults.
type Release struct {
	Tag        string
	Name       string // Tag when empty
	Body       string // sent as is: pass CRLF to imitate bodies edited on github.com
	Draft      bool
	Prerelease bool
	Published  time.Time // null for drafts whatever is set
	Created    time.Time // Published when zero; the list is ordered by it
}

// Request is a request the Server received.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Status int
}

// Server is a running imitation; it is closed when the test ends.
type Server struct {
	URL     string // the releases endpoint, to use as the client's URL
	BaseURL string // the scheme and host
	Token   string // the valid token; Token by default

	mu        sync.Mutex
	releases  []Release
	ids       []int
	requests  []Request
	remaining map[bool]int // by authenticated
	reset     time.Time
}

// New starts a Server with the given releases.
func New(t testing.TB, releases ...Release) *Server {
	t.Helper()
	s := &Server{
		Token:     Token,
		remaining: map[bool]int{false: 60, true: 5000},
		reset:     time.Now().Add(time.Hour).Truncate(time.Second),
	}
	for _, r := range releases {
		s.Add(r)
	}
	// The URLs are set before the server starts: handlers read them.
	srv := httptest.NewUnstartedServer(http.HandlerFunc(s.serve))
	s.BaseURL = "http://" + srv.Listener.Addr().String()
	s.URL = s.BaseURL + "/repos/mastodon/mastodon/releases"
	srv.Start()
	t.Cleanup(srv.Close)
	return s
}

// Add publishes another release (a backport published after newer ones, a draft…).
func (s *Server) Add(r Release) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := len(s.releases)
	if r.Name == "" {
		r.Name = r.Tag
	}
	if r.Published.IsZero() {
		r.Published = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).Add(time.Duration(n) * time.Hour)
	}
	if r.Created.IsZero() {
		r.Created = r.Published
	}
	s.releases = append(s.releases, r)
	s.ids = append(s.ids, 200000000+n)
}

// SetRemaining sets how many requests are left in both quotas (with and without token).
func (s *Server) SetRemaining(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.remaining[false], s.remaining[true] = n, n
}

// Remaining returns the quota left without (authenticated false) or with a token.
func (s *Server) Remaining(authenticated bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.remaining[authenticated]
}

// SetReset sets when the quotas reset (X-RateLimit-Reset); an hour after New by default.
func (s *Server) SetReset(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reset = t.Truncate(time.Second)
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	status := s.respond(w, r)
	s.requests = append(s.requests, Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Status: status})
}

func (s *Server) respond(w http.ResponseWriter, r *http.Request) int {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-GitHub-Media-Type", "github.v3; format=json")
	h.Set("X-GitHub-Api-Version-Selected", "2022-11-28")

	if r.Header.Get("User-Agent") == "" {
		// GitHub's text, sent as plain text, not JSON.
		h.Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n")
		return http.StatusForbidden
	}
	auth := false
	if a := r.Header.Get("Authorization"); a != "" {
		scheme, tok, _ := strings.Cut(a, " ")
		if (!strings.EqualFold(scheme, "Bearer") && !strings.EqualFold(scheme, "token")) || tok != s.Token {
			return writeJSON(w, http.StatusUnauthorized, map[string]string{
				"message":           "Bad credentials",
				"documentation_url": "https://docs.github.com/rest",
				"status":            "401",
			})
		}
		auth = true
	}
	limit := 60
	if auth {
		limit = 5000
	}
	rate := func() {
		h.Set("X-RateLimit-Limit", strconv.Itoa(limit))
		h.Set("X-RateLimit-Remaining", strconv.Itoa(s.remaining[auth]))
		h.Set("X-RateLimit-Reset", strconv.FormatInt(s.reset.Unix(), 10))
		h.Set("X-RateLimit-Used", strconv.Itoa(limit-s.remaining[auth]))
		h.Set("X-RateLimit-Resource", "core")
	}

	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		rate()
		return writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
	}
	if r.URL.Path != "/repos/mastodon/mastodon/releases" && r.URL.Path != fmt.Sprintf("/repositories/%d/releases", RepoID) {
		rate()
		return writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
	}

	perPage, page := 30, 1
	q := r.URL.Query()
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		perPage = min(n, 100)
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		page = n
	}

	// Newest created first; drafts only for a caller with push access.
	idx := make([]int, 0, len(s.releases))
	for i, rel := range s.releases {
		if !rel.Draft || auth {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if c := s.releases[b].Created.Compare(s.releases[a].Created); c != 0 {
			return c
		}
		return b - a
	})
	last := max(1, (len(idx)+perPage-1)/perPage)
	lo, hi := min((page-1)*perPage, len(idx)), min(page*perPage, len(idx))
	objs := make([]map[string]any, 0, hi-lo)
	for _, i := range idx[lo:hi] {
		objs = append(objs, s.object(i))
	}
	body, _ := json.Marshal(objs)
	sum := sha256.Sum256(append(body, strconv.FormatBool(auth)...))
	etag := `W/"` + hex.EncodeToString(sum[:]) + `"`

	if len(idx) > perPage {
		link := func(p int, rel string) string {
			return fmt.Sprintf(`<%s/repositories/%d/releases?per_page=%d&page=%d>; rel="%s"`, s.BaseURL, RepoID, perPage, p, rel)
		}
		var links []string
		if page > 1 {
			links = append(links, link(page-1, "prev"))
		}
		if page < last {
			links = append(links, link(page+1, "next"), link(last, "last"))
		}
		if page > 1 {
			links = append(links, link(1, "first"))
		}
		if len(links) > 0 {
			h.Set("Link", strings.Join(links, ", "))
		}
	}
	h.Set("ETag", etag)
	h.Set("Vary", "Accept, Authorization, Cookie, X-GitHub-OTP, Accept-Encoding, Accept, X-Requested-With")
	if auth {
		h.Set("Cache-Control", "private, max-age=60, s-maxage=60")
	} else {
		h.Set("Cache-Control", "public, max-age=60, s-maxage=60")
	}

	notModified := matches(r.Header.Get("If-None-Match"), etag)
	if notModified && auth {
		// A conditional request answered 304 is free when authenticated.
		rate()
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	if s.remaining[auth] <= 0 {
		h.Del("ETag")
		h.Del("Link")
		rate()
		msg := "API rate limit exceeded for 127.0.0.1. (But here's the good news: Authenticated requests get a higher rate limit. Check out the documentation for more details.)"
		if auth {
			msg = "API rate limit exceeded for user ID 1."
		}
		return writeJSON(w, http.StatusForbidden, map[string]string{
			"message":           msg,
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
		})
	}
	s.remaining[auth]--
	rate()
	if notModified {
		w.WriteHeader(http.StatusNotModified)
		return http.StatusNotModified
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		_, _ = w.Write(body)
	}
	return http.StatusOK
}

// matches implements If-None-Match with weak comparison.
func matches(header, etag string) bool {
	if header == "" {
		return false
	}
	strip := func(s string) string { return strings.TrimPrefix(strings.TrimSpace(s), "W/") }
	for _, t := range strings.Split(header, ",") {
		if strings.TrimSpace(t) == "*" || strip(t) == strip(etag) {
			return true
		}
	}
	return false
}

// object is release i as GitHub's JSON release object.
func (s *Server) object(i int) map[string]any {
	r, id := s.releases[i], s.ids[i]
	api := fmt.Sprintf("%s/repos/mastodon/mastodon/releases/%d", s.BaseURL, id)
	html := "https://github.com/mastodon/mastodon/releases/tag/" + r.Tag
	var published any
	if r.Draft {
		html = fmt.Sprintf("https://github.com/mastodon/mastodon/releases/tag/untagged-%020x", id)
	} else {
		published = r.Published.UTC().Format(time.RFC3339)
	}
	return map[string]any{
		"url":        api,
		"assets_url": api + "/assets",
		"upload_url": fmt.Sprintf("https://uploads.github.com/repos/mastodon/mastodon/releases/%d/assets{?name,label}", id),
		"html_url":   html,
		"id":         id,
		"author": map[string]any{
			"login": "ClearlyClaire", "id": 384364, "node_id": "MDQ6VXNlcjM4NDM2NA==",
			"avatar_url": "https://avatars.githubusercontent.com/u/384364?v=4", "gravatar_id": "",
			"url": "https://api.github.com/users/ClearlyClaire", "html_url": "https://github.com/ClearlyClaire",
			"type": "User", "user_view_type": "public", "site_admin": false,
		},
		"node_id":          fmt.Sprintf("RE_kwDOAXvJUc4%08d", id%100000000),
		"tag_name":         r.Tag,
		"target_commitish": "main",
		"name":             r.Name,
		"draft":            r.Draft,
		"immutable":        false,
		"prerelease":       r.Prerelease,
		"created_at":       r.Created.UTC().Format(time.RFC3339),
		"updated_at":       r.Created.UTC().Format(time.RFC3339),
		"published_at":     published,
		"assets":           []any{},
		"tarball_url":      "https://api.github.com/repos/mastodon/mastodon/tarball/" + r.Tag,
		"zipball_url":      "https://api.github.com/repos/mastodon/mastodon/zipball/" + r.Tag,
		"body":             r.Body,
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) int {
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
	return status
}
