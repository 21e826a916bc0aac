package release_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tootops/tootops/ops/release"
	"github.com/tootops/tootops/ops/release/releasetest"
)

// memCache is a Cache in memory that counts its use.
type memCache struct {
	mu      sync.Mutex
	entries map[string][2]string
	puts    int
	failPut bool
}

var _ release.Cache = (*memCache)(nil)

func (c *memCache) Get(key string) (string, []byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	return e[0], []byte(e[1]), ok
}

func (c *memCache) Put(key, etag string, body []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failPut {
		return errors.New("disk full")
	}
	if c.entries == nil {
		c.entries = map[string][2]string{}
	}
	c.entries[key] = [2]string{etag, string(body)}
	c.puts++
	return nil
}

// many returns n stable releases, v3.M.P, published in version order.
func many(n int) []releasetest.Release {
	var out []releasetest.Release
	for i := 0; i < n; i++ {
		tag := fmt.Sprintf("v3.%d.%d", i/25, i%25)
		out = append(out, releasetest.Release{Tag: tag, Body: "notes for " + tag,
			Published: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i) * time.Hour)})
	}
	return out
}

func TestClientPaginates(t *testing.T) {
	srv := releasetest.New(t, many(250)...)
	c := release.NewClient(release.ClientOptions{URL: srv.URL, HTTPClient: &http.Client{}, UserAgent: "tootops-test/1.0"})
	res, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want(t, "releases", len(res.Releases), 250)
	want(t, "requests", res.Requests, 3)
	want(t, "newest", res.Releases[0].Tag, "v3.9.24")
	want(t, "oldest", res.Releases[249].Tag, "v3.0.0")
	reqs := srv.Requests()
	var pages []string
	for _, r := range reqs {
		pages = append(pages, r.Path+"?page="+r.Query.Get("page")+"&per_page="+r.Query.Get("per_page"))
		want(t, "User-Agent", r.Header.Get("User-Agent"), "tootops-test/1.0")
		want(t, "Accept", r.Header.Get("Accept"), "application/vnd.github+json")
		want(t, "Authorization", r.Header.Get("Authorization"), "")
	}
	want(t, "pages", pages, []string{
		"/repos/mastodon/mastodon/releases?page=&per_page=100",
		"/repositories/24897361/releases?page=2&per_page=100",
		"/repositories/24897361/releases?page=3&per_page=100",
	})
	want(t, "remaining", res.RateLimit.Remaining, 57)
	want(t, "limit", res.RateLimit.Limit, 60)
}

func TestClientDefaultUserAgent(t *testing.T) {
	srv := releasetest.New(t, many(1)...)
	if _, err := release.NewClient(release.ClientOptions{URL: srv.URL}).Releases(context.Background()); err != nil {
		t.Fatal(err)
	}
	want(t, "User-Agent", srv.Requests()[0].Header.Get("User-Agent"), "tootops")
}

func TestClientConditionalRequests(t *testing.T) {
	srv := releasetest.New(t, many(150)...)
	cache := &memCache{}
	c := release.NewClient(release.ClientOptions{URL: srv.URL, Cache: cache})
	first, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want(t, "puts", cache.puts, 2)
	want(t, "remaining", srv.Remaining(false), 58)

	second, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want(t, "releases from 304s", second.Releases, first.Releases)
	want(t, "stale", second.Stale, false)
	reqs := srv.Requests()[2:]
	for _, r := range reqs {
		if r.Header.Get("If-None-Match") == "" || r.Status != http.StatusNotModified {
			t.Errorf("%s page %s: If-None-Match %q, status %d; want an ETag and 304", r.Path, r.Query.Get("page"), r.Header.Get("If-None-Match"), r.Status)
		}
	}
	// Without a token a 304 still costs a request.
	want(t, "remaining", srv.Remaining(false), 56)
	want(t, "client's view", second.RateLimit.Remaining, 56)

	// A new release changes the pages: they are fetched again.
	srv.Add(releasetest.Release{Tag: "v3.9.99", Published: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	third, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want(t, "newest", third.Releases[0].Tag, "v3.9.99")
	want(t, "count", len(third.Releases), 151)
}

func TestClientConditionalRequestsAreFreeWithAToken(t *testing.T) {
	srv := releasetest.New(t, many(10)...)
	cache := &memCache{}
	c := release.NewClient(release.ClientOptions{URL: srv.URL, Cache: cache, Token: releasetest.Token})
	for range 3 {
		if _, err := c.Fetch(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	want(t, "remaining", srv.Remaining(true), 4999)
	want(t, "unauthenticated quota untouched", srv.Remaining(false), 60)
	for _, r := range srv.Requests() {
		want(t, "Authorization", r.Header.Get("Authorization"), "Bearer "+releasetest.Token)
	}
}

func TestClientRateLimit(t *testing.T) {
	reset := time.Date(2026, 11, 2, 15, 4, 0, 0, time.UTC)
	now := reset.Add(-23 * time.Minute)
	srv := releasetest.New(t, many(120)...)
	srv.SetReset(reset)
	srv.SetRemaining(0)
	c := release.NewClient(release.ClientOptions{URL: srv.URL, Now: func() time.Time { return now }})

	_, err := c.Releases(context.Background())
	const msg = "GitHub API rate limit exceeded; it resets at 15:04 UTC, in 23 minutes"
	if err == nil || err.Error() != msg {
		t.Fatalf("err = %v, want %s", err, msg)
	}
	if !errors.Is(err, release.ErrRateLimited) {
		t.Error("errors.Is(err, ErrRateLimited) = false")
	}
	var rl *release.RateLimitError
	if !errors.As(err, &rl) || !rl.Reset.Equal(reset) {
		t.Errorf("RateLimitError.Reset = %v, want %v", rl, reset)
	}
	want(t, "status", srv.Requests()[0].Status, http.StatusForbidden)

	// The quota is known to be spent: no request is sent until it resets.
	if _, err := c.Releases(context.Background()); err == nil || err.Error() != msg {
		t.Errorf("second call: %v", err)
	}
	want(t, "requests", len(srv.Requests()), 1)

	// After the reset, requests go out again.
	now = reset.Add(time.Second)
	srv.SetRemaining(60)
	rs, err := c.Releases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want(t, "releases", len(rs), 120)
}

func TestClientRateLimitServesTheCache(t *testing.T) {
	srv := releasetest.New(t, many(120)...)
	cache := &memCache{}
	now := time.Now()
	c := release.NewClient(release.ClientOptions{URL: srv.URL, Cache: cache, Now: func() time.Time { return now }})
	fresh, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	srv.SetRemaining(0)
	stale, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want(t, "stale", stale.Stale, true)
	want(t, "releases", stale.Releases, fresh.Releases)
	want(t, "requests sent", stale.Requests, 1) // the 403; page 2 is not asked for
	again, err := c.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want(t, "requests sent once known", again.Requests, 0)
	want(t, "stale", again.Stale, true)
}

func TestClientSecondaryRateLimit(t *testing.T) {
	now := time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"message":"You have exceeded a secondary rate limit."}`)
	}))
	defer srv.Close()
	_, err := release.NewClient(release.ClientOptions{URL: srv.URL, Now: func() time.Time { return now }}).Releases(context.Background())
	if want := "GitHub API rate limit exceeded; it resets at 11:00 UTC, in 1 hour"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestClientTokenNeverInErrors(t *testing.T) {
	const token = "ghp_SECRETsecretSECRETsecret0123456789"
	check := func(t *testing.T, err error) {
		t.Helper()
		if err == nil {
			t.Fatal("no error")
		}
		for e := err; e != nil; e = errors.Unwrap(e) {
			if strings.Contains(e.Error(), token) {
				t.Errorf("error contains the token: %s", e)
			}
		}
		var safe interface{ Safe() string }
		if errors.As(err, &safe) && strings.Contains(safe.Safe(), token) {
			t.Errorf("Safe() contains the token")
		}
	}
	t.Run("bad credentials", func(t *testing.T) {
		srv := releasetest.New(t, many(3)...)
		_, err := release.NewClient(release.ClientOptions{URL: srv.URL, Token: token}).Releases(context.Background())
		check(t, err)
		if !strings.Contains(err.Error(), "GitHub answered 401") || !strings.Contains(err.Error(), "Bad credentials") {
			t.Errorf("err = %v, want GitHub's 401 Bad credentials", err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close()
		_, err := release.NewClient(release.ClientOptions{URL: srv.URL + "/releases", Token: token}).Releases(context.Background())
		check(t, err)
	})
	t.Run("a server that echoes the token", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, `{"message":"bad header %s"}`, r.Header.Get("Authorization"))
		}))
		defer srv.Close()
		_, err := release.NewClient(release.ClientOptions{URL: srv.URL, Token: token}).Releases(context.Background())
		check(t, err)
		if !strings.Contains(err.Error(), "[REDACTED]") {
			t.Errorf("err = %v, want the echoed token redacted", err)
		}
	})
	t.Run("the token is in the URL by mistake", func(t *testing.T) {
		_, err := release.NewClient(release.ClientOptions{URL: "no-scheme/" + token, Token: token}).Releases(context.Background())
		check(t, err)
	})
	t.Run("a pagination link to another host", func(t *testing.T) {
		var other []string
		evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			other = append(other, r.Header.Get("Authorization"))
		}))
		defer evil.Close()
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Link", "<"+evil.URL+"/releases?page=2>; rel=\"next\"")
			fmt.Fprint(w, `[]`)
		}))
		defer srv.Close()
		_, err := release.NewClient(release.ClientOptions{URL: srv.URL, Token: token}).Releases(context.Background())
		check(t, err)
		if len(other) != 0 {
			t.Errorf("the other host got %d requests", len(other))
		}
	})
	t.Run("a token with a newline", func(t *testing.T) {
		_, err := release.NewClient(release.ClientOptions{URL: "https://example.invalid/releases", Token: token + "\n"}).Releases(context.Background())
		check(t, err)
	})
}

func TestClientDraftsNeedAToken(t *testing.T) {
	rels := append(many(3), releasetest.Release{Tag: "v4.8.0", Draft: true}, releasetest.Release{Tag: "v4.8.0-rc.1", Prerelease: true, Body: "line one\r\nline two\r\n"})
	srv := releasetest.New(t, rels...)
	anon, err := release.NewClient(release.ClientOptions{URL: srv.URL}).Releases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	authed, err := release.NewClient(release.ClientOptions{URL: srv.URL, Token: releasetest.Token}).Releases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want(t, "anonymous", tags(anon), []string{"v4.8.0-rc.1", "v3.0.2", "v3.0.1", "v3.0.0"})
	want(t, "with token", tags(authed), []string{"v4.8.0", "v4.8.0-rc.1", "v3.0.2", "v3.0.1", "v3.0.0"})
	want(t, "draft", authed[0].Draft, true)
	want(t, "draft published", authed[0].Published.IsZero(), true)
	want(t, "CRLF normalised", authed[1].Body, "line one\nline two\n")
	want(t, "stable", tags(release.Stable(authed)), []string{"v3.0.2", "v3.0.1", "v3.0.0"})
	want(t, "URL", authed[2].URL, "https://github.com/mastodon/mastodon/releases/tag/v3.0.2")
}

func TestClientOddJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"tag_name":"v4.5.1","name":null,"body":null,"draft":false,"prerelease":false,"published_at":null,"html_url":"https://github.com/mastodon/mastodon/releases/tag/v4.5.1","extra":{"a":1}},
			{"tag_name":"glitch-2024-01","name":"x","body":"","draft":false,"prerelease":false,"published_at":"2024-01-01T00:00:00Z"},
			{"tag_name":"v4.5.1","name":"duplicate","body":"","draft":false,"prerelease":false,"published_at":"2024-01-01T00:00:00Z"}]`)
	}))
	defer srv.Close()
	res, err := release.NewClient(release.ClientOptions{URL: srv.URL}).Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want(t, "releases", tags(res.Releases), []string{"v4.5.1"})
	want(t, "name", res.Releases[0].Name, "")
	want(t, "unparsed", res.Unparsed, []string{"glitch-2024-01"})
	want(t, "rate unknown", res.RateLimit.Known, false)
}

func TestClientErrors(t *testing.T) {
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"bad gateway", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusBadGateway) }, "GitHub answered 502 to %s?per_page=100: Bad Gateway"},
		{"not json", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>") }, "GitHub's release list is not the JSON expected: invalid character '<' looking for beginning of value"},
		{"forbidden without a limit", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("X-RateLimit-Remaining", "12")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `{"message":"Resource not accessible by integration"}`)
		}, "GitHub answered 403 to %s?per_page=100: Resource not accessible by integration"},
		{"a 304 without a cache", func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNotModified) }, "GitHub answered 304 Not Modified to a request without an ETag"},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			_, err := release.NewClient(release.ClientOptions{URL: srv.URL, Cache: &memCache{failPut: true}}).Releases(context.Background())
			w := c.want
			if strings.Contains(w, "%s") {
				w = fmt.Sprintf(w, srv.URL)
			}
			if err == nil || err.Error() != w {
				t.Errorf("err = %v\nwant %s", err, w)
			}
		})
	}
	t.Run("a failing cache does not fail the fetch", func(t *testing.T) {
		srv := releasetest.New(t, many(2)...)
		if _, err := release.NewClient(release.ClientOptions{URL: srv.URL, Cache: &memCache{failPut: true}}).Releases(context.Background()); err != nil {
			t.Error(err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		srv := releasetest.New(t, many(2)...)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := release.NewClient(release.ClientOptions{URL: srv.URL}).Releases(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v, want context.Canceled", err)
		}
	})
}
