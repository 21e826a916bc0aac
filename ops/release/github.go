package release

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultURL is Mastodon's GitHub Releases endpoint.
const DefaultURL = "https://api.github.com/repos/mastodon/mastodon/releases"

// Cache keeps one page of the releases list per key, with its ETag, so that an
// unchanged page costs a 304 and, when the rate limit is spent, can still be read.
// Keys never contain the token.
type Cache interface {
	Get(key string) (etag string, body []byte, ok bool)
	Put(key, etag string, body []byte) error
}

// ClientOptions configure a Client. Only URL may be left to its default in production.
type ClientOptions struct {
	URL        string // the releases endpoint; DefaultURL when empty
	Token      string // optional; raises the limit from 60 to 5,000 requests an hour and shows drafts to maintainers
	HTTPClient *http.Client
	Cache      Cache
	UserAgent  string // GitHub rejects requests without one; "tootops" when empty
	Now        func() time.Time
}

// Client lists Mastodon's releases through the GitHub REST API. It is safe for
// concurrent use. The token is sent as a header and never appears in an error.
type Client struct {
	o    ClientOptions
	mu   sync.Mutex
	rate RateLimit
}

// RateLimit is what the last response said about the API quota.
type RateLimit struct {
	Known     bool
	Limit     int
	Remaining int
	Reset     time.Time
}

// Result is a fetched release list and how it was obtained.
type Result struct {
	Releases []Release // all releases, drafts and prereleases included, newest version first
	// Stale is set when the rate limit was spent and some pages came from the cache
	// without asking GitHub whether they changed.
	Stale     bool
	Requests  int       // requests sent
	RateLimit RateLimit // as of the last response
	Unparsed  []string  // tags that are not versions (they are left out)
}

// NewClient returns a Client. It does no I/O.
func NewClient(o ClientOptions) *Client {
	if o.URL == "" {
		o.URL = DefaultURL
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{Timeout: time.Minute}
	}
	if o.UserAgent == "" {
		o.UserAgent = "tootops"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Client{o: o}
}

// RateLimitError says the API quota is spent and when it comes back.
type RateLimitError struct {
	Reset time.Time // zero if GitHub did not say
	Now   time.Time
}

func (e *RateLimitError) Error() string {
	if e.Reset.IsZero() {
		return "GitHub API rate limit exceeded; GitHub did not say when it resets"
	}
	return fmt.Sprintf("GitHub API rate limit exceeded; it resets at %s, %s",
		e.Reset.UTC().Format("15:04 UTC"), inWords(e.Reset.Sub(e.Now)))
}

// Safe is the text to show the admin.
func (e *RateLimitError) Safe() string { return e.Error() }

// Unwrap makes errors.Is(err, ErrRateLimited) true.
func (e *RateLimitError) Unwrap() error { return ErrRateLimited }

// inWords says a wait the way a person would: "in 23 minutes", "in 1 hour 5 minutes".
func inWords(d time.Duration) string {
	d = d.Round(time.Minute)
	switch {
	case d < time.Minute:
		return "in less than a minute"
	case d < time.Hour:
		return "in " + plural(int(d/time.Minute), "minute")
	}
	s := "in " + plural(int(d/time.Hour), "hour")
	if m := int(d % time.Hour / time.Minute); m > 0 {
		s += " " + plural(m, "minute")
	}
	return s
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// Releases returns every release, newest version first. With the rate limit spent it
// returns what the cache holds (see Fetch to know whether that happened).
func (c *Client) Releases(ctx context.Context) ([]Release, error) {
	res, err := c.Fetch(ctx)
	return res.Releases, err
}

// maxPages bounds pagination: Mastodon has a few hundred releases, 100 per page.
const maxPages = 50

// maxPageBytes bounds one page; 100 Mastodon releases are about 1 MB.
const maxPageBytes = 32 << 20

// cachedPage is what the Cache holds for a page: the JSON as GitHub sent it and the
// next page's address, since a 304 need not repeat the Link header.
type cachedPage struct {
	Next string          `json:"next,omitempty"`
	Body json.RawMessage `json:"body"`
}

// Fetch lists every release, following the Link header page by page (100 a page).
// Each page is sent with the ETag the cache holds for it, and a 304 reuses the cached
// page. Once a response says the quota is spent, no request is sent until it resets:
// pages come from the cache (Result.Stale) or Fetch fails with a *RateLimitError.
func (c *Client) Fetch(ctx context.Context) (Result, error) {
	var res Result
	if strings.ContainsFunc(c.o.Token, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return res, &Error{Msg: "the GitHub token contains spaces or control characters", Kind: ErrUnsupported}
	}
	first, err := url.Parse(c.o.URL)
	if err != nil || first.Scheme == "" || first.Host == "" {
		return res, &Error{Msg: fmt.Sprintf("the releases URL %q is not an absolute URL", c.redact(c.o.URL)), Kind: ErrUnsupported}
	}
	q := first.Query()
	q.Set("per_page", "100")
	first.RawQuery = q.Encode()

	var pages [][]byte
	next := first
	for n := 0; next != nil; n++ {
		if n == maxPages {
			return res, c.fail("GitHub's release list has more than %d pages; refusing to read on", nil, maxPages)
		}
		page, following, err := c.page(ctx, next, &res)
		if err != nil {
			return res, err
		}
		pages = append(pages, page)
		cur := next
		next = nil
		if following != "" {
			u, err := cur.Parse(following)
			if err != nil {
				return res, c.fail("GitHub sent a pagination link that is not a URL", err)
			}
			if u.Host != first.Host || u.Scheme != first.Scheme {
				// The token must never travel to another host.
				return res, c.fail("refusing to follow a pagination link to another host (%s)", nil, u.Host)
			}
			next = u
		}
	}

	seen := map[string]bool{}
	for _, p := range pages {
		var raw []ghRelease
		if err := json.Unmarshal(p, &raw); err != nil {
			return res, c.fail("GitHub's release list is not the JSON expected", err)
		}
		for _, g := range raw {
			if seen[g.TagName] {
				continue // a release published while paging shifts the pages by one
			}
			seen[g.TagName] = true
			v, err := ParseVersion(g.TagName)
			if err != nil {
				res.Unparsed = append(res.Unparsed, g.TagName)
				continue
			}
			r := Release{Version: v, Tag: g.TagName, URL: g.HTMLURL, Draft: g.Draft, Prerelease: g.Prerelease}
			if g.Name != nil {
				r.Name = *g.Name
			}
			if g.Body != nil {
				r.Body = strings.ReplaceAll(*g.Body, "\r\n", "\n")
			}
			if g.PublishedAt != nil {
				r.Published = *g.PublishedAt
			}
			res.Releases = append(res.Releases, r)
		}
	}
	res.Releases = SortByVersion(res.Releases)
	c.mu.Lock()
	res.RateLimit = c.rate
	c.mu.Unlock()
	return res, nil
}

// ghRelease holds the fields of GitHub's release object this package reads. name and
// body are null for some releases, published_at for drafts.
type ghRelease struct {
	TagName     string     `json:"tag_name"`
	Name        *string    `json:"name"`
	Body        *string    `json:"body"`
	HTMLURL     string     `json:"html_url"`
	Draft       bool       `json:"draft"`
	Prerelease  bool       `json:"prerelease"`
	PublishedAt *time.Time `json:"published_at"`
}

// page returns one page's JSON and the address of the next one.
func (c *Client) page(ctx context.Context, u *url.URL, res *Result) ([]byte, string, error) {
	key := u.String()
	if c.o.Token != "" {
		key += " (authenticated)" // drafts are only listed with a token
	}
	var cached cachedPage
	etag, have := "", false
	if c.o.Cache != nil {
		var body []byte
		if etag, body, have = c.o.Cache.Get(key); have {
			have = json.Unmarshal(body, &cached) == nil && len(cached.Body) > 0
		}
	}
	fromCache := func() ([]byte, string, error) {
		res.Stale = true
		return cached.Body, cached.Next, nil
	}
	if err := c.limited(); err != nil {
		if have {
			return fromCache()
		}
		return nil, "", err
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", c.fail("cannot build the request to GitHub", err)
	}
	req.Header.Set("Accept", "application/vnd.github+json")
	req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	req.Header.Set("User-Agent", c.o.UserAgent)
	if c.o.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.o.Token)
	}
	if have && etag != "" {
		req.Header.Set("If-None-Match", etag)
	}
	res.Requests++
	resp, err := c.o.HTTPClient.Do(req)
	if err != nil {
		return nil, "", c.fail("cannot reach GitHub", err)
	}
	defer resp.Body.Close()
	c.observe(resp)
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes+1))
	if err != nil {
		return nil, "", c.fail("cannot read GitHub's answer", err)
	}
	if len(body) > maxPageBytes {
		return nil, "", c.fail("a page of GitHub's release list is larger than %d MB", nil, maxPageBytes>>20)
	}
	next := nextLink(resp.Header.Values("Link"))

	switch {
	case resp.StatusCode == http.StatusOK:
		if c.o.Cache != nil {
			b, _ := json.Marshal(cachedPage{Next: next, Body: body})
			// The cache only saves quota; a failing cache must not fail the check.
			_ = c.o.Cache.Put(key, resp.Header.Get("ETag"), b)
		}
		return body, next, nil
	case resp.StatusCode == http.StatusNotModified:
		if !have {
			return nil, "", c.fail("GitHub answered 304 Not Modified to a request without an ETag", nil)
		}
		if next == "" {
			next = cached.Next
		}
		return cached.Body, next, nil
	case resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests:
		c.mu.Lock()
		rate, now := c.rate, c.o.Now()
		c.mu.Unlock()
		if rate.Known && rate.Remaining == 0 {
			// Even if our clock thinks the reset has passed: GitHub says otherwise.
			if have {
				return fromCache()
			}
			return nil, "", &RateLimitError{Reset: rate.Reset, Now: now}
		}
	}
	var msg struct {
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &msg)
	if msg.Message == "" {
		msg.Message = http.StatusText(resp.StatusCode)
	}
	return nil, "", c.fail("GitHub answered %d to %s: %s", nil, resp.StatusCode, u.Redacted(), msg.Message)
}

// observe records the rate-limit headers. A secondary limit (403 or 429 with
// Retry-After) counts as a spent quota until then.
func (c *Client) observe(resp *http.Response) {
	h := resp.Header
	c.mu.Lock()
	defer c.mu.Unlock()
	if rem, err := strconv.Atoi(h.Get("X-RateLimit-Remaining")); err == nil {
		c.rate.Known = true
		c.rate.Remaining = rem
		if lim, err := strconv.Atoi(h.Get("X-RateLimit-Limit")); err == nil {
			c.rate.Limit = lim
		}
		c.rate.Reset = time.Time{}
		if reset, err := strconv.ParseInt(h.Get("X-RateLimit-Reset"), 10, 64); err == nil {
			c.rate.Reset = time.Unix(reset, 0)
		}
	}
	if resp.StatusCode == http.StatusForbidden || resp.StatusCode == http.StatusTooManyRequests {
		if secs, err := strconv.Atoi(h.Get("Retry-After")); err == nil && secs >= 0 {
			c.rate.Known = true
			c.rate.Remaining = 0
			c.rate.Reset = c.o.Now().Add(time.Duration(secs) * time.Second)
		} else if resp.StatusCode == http.StatusTooManyRequests && !c.rate.Known {
			c.rate = RateLimit{Known: true}
		}
	}
}

// limited returns a *RateLimitError while the last response said the quota is spent
// and its reset is still ahead (or unknown).
func (c *Client) limited() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.o.Now()
	if !c.rate.Known || c.rate.Remaining > 0 {
		return nil
	}
	if !c.rate.Reset.IsZero() && !c.rate.Reset.After(now) {
		return nil
	}
	return &RateLimitError{Reset: c.rate.Reset, Now: now}
}

// fail builds an *Error whose message and cause never show the token.
func (c *Client) fail(format string, cause error, a ...any) error {
	e := &Error{Msg: c.redact(fmt.Sprintf(format, a...))}
	if cause != nil {
		e.Err = redactedError{err: cause, redact: c.redact}
	}
	return e
}

func (c *Client) redact(s string) string {
	if c.o.Token == "" {
		return s
	}
	return strings.ReplaceAll(s, c.o.Token, "[REDACTED]")
}

// redactedError hides the token in a cause's text, in case a transport ever echoes a
// header.
type redactedError struct {
	err    error
	redact func(string) string
}

func (e redactedError) Error() string { return e.redact(e.err.Error()) }
func (e redactedError) Unwrap() error { return e.err }

// nextLink finds rel="next" in Link headers such as
// `<https://api.github.com/repositories/123/releases?per_page=100&page=2>; rel="next", <…>; rel="last"`.
func nextLink(values []string) string {
	for _, v := range values {
		for _, part := range splitLinks(v) {
			target, params, ok := strings.Cut(part, ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") {
				continue
			}
			for _, p := range strings.Split(params, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
				if !strings.EqualFold(strings.TrimSpace(k), "rel") {
					continue
				}
				for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
					if strings.EqualFold(rel, "next") {
						return target[1 : len(target)-1]
					}
				}
			}
		}
	}
	return ""
}

// splitLinks splits a Link header at the commas between links, not those inside <…>.
func splitLinks(v string) []string {
	var out []string
	depth, start := 0, 0
	for i, r := range v {
		switch r {
		case '<':
			depth++
		case '>':
			if depth > 0 {
				depth--
			}
		case ',':
			if depth == 0 {
				out = append(out, v[start:i])
				start = i + 1
			}
		}
	}
	return append(out, v[start:])
}
