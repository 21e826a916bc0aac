package bot

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// idempotencyKey carries the key of a logical post through go-mastodon to the transport.
type idempotencyKey struct{}

// withIdempotencyKey makes every POST in ctx carry key: a retried post then returns the
// status the first attempt created instead of creating a second one.
func withIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKey{}, key)
}

// RateLimitedError is returned when the server's rate limit would make a call wait
// longer than the caller can.
type RateLimitedError struct{ Reset time.Time }

func (e *RateLimitedError) Error() string {
	return fmt.Sprintf("mastodon rate limit reached; it resets at %s", e.Reset.UTC().Format(time.RFC3339))
}

// Safe implements the safe-error interface.
func (e *RateLimitedError) Safe() string { return e.Error() }

// apiTransport is the http.RoundTripper under every REST call of the bot. It adds the
// Idempotency-Key, keeps the last rate-limit figures, waits out a 429 until the reset the
// server announced (X-RateLimit-Reset is ISO 8601, not epoch seconds), and retries
// network errors and 5xx answers for requests that are safe to repeat: GET, PUT (an
// edit sets the same text) and keyed POSTs. go-mastodon would otherwise retry a 429
// blindly for hours.
type apiTransport struct {
	base    http.RoundTripper
	log     zerolog.Logger
	maxWait time.Duration // longest 429 wait when the context has no deadline
	retries int
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error

	mu        sync.Mutex
	remaining int
	reset     time.Time

	posts [len(postKinds)]atomic.Int64 // statuses created or edited, by postKinds
}

// postKinds are what a status the bot writes is, for /metrics: a reply to an admin (a
// direct status in a thread), an edit (live progress), or a post (announcements,
// reports and alerts).
var postKinds = [...]string{postReply: "reply", postEdit: "edit", postPost: "post"}

const (
	postReply = iota
	postEdit
	postPost
)

func newAPITransport(base http.RoundTripper, log zerolog.Logger) *apiTransport {
	return &apiTransport{base: base, log: log, maxWait: 5 * time.Minute, retries: 3, now: time.Now, sleep: sleepCtx, remaining: -1}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Budget is the rate-limit figures of the last answer: requests remaining (-1 when
// unknown) and when the window resets.
func (t *apiTransport) Budget() (int, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.remaining, t.reset
}

func (t *apiTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	key, _ := ctx.Value(idempotencyKey{}).(string)
	repeatable := req.Method == http.MethodGet || req.Method == http.MethodPut || (req.Method == http.MethodPost && key != "")
	for attempt := 0; ; attempt++ {
		r, err := t.attemptRequest(req, key, attempt)
		if err != nil {
			return nil, err
		}
		resp, err := t.base.RoundTrip(r)
		if err != nil {
			if !repeatable || attempt >= t.retries || ctx.Err() != nil {
				return nil, err
			}
			t.log.Debug().Err(err).Str("path", req.URL.Path).Int("attempt", attempt+1).Msg("mastodon request failed, retrying")
			if err := t.sleep(ctx, retryDelay(attempt)); err != nil {
				return nil, err
			}
			continue
		}
		reset := t.record(resp)
		switch {
		case resp.StatusCode == http.StatusTooManyRequests:
			wait := reset.Sub(t.now())
			limit := t.maxWait
			if dl, ok := ctx.Deadline(); ok {
				limit = min(limit, time.Until(dl))
			}
			if wait > limit || attempt >= t.retries {
				drain(resp)
				return nil, &RateLimitedError{Reset: reset}
			}
			drain(resp)
			t.log.Warn().Str("path", req.URL.Path).Dur("wait", wait).Msg("mastodon rate limit reached, waiting for the reset")
			if err := t.sleep(ctx, max(wait, 0)+jitter()); err != nil {
				return nil, err
			}
		case resp.StatusCode >= 500 && repeatable && attempt < t.retries:
			drain(resp)
			t.log.Debug().Int("status", resp.StatusCode).Str("path", req.URL.Path).Int("attempt", attempt+1).Msg("mastodon server error, retrying")
			if err := t.sleep(ctx, retryDelay(attempt)); err != nil {
				return nil, err
			}
		default:
			t.countPost(req, resp)
			return resp, nil
		}
	}
}

// Posts is how many statuses the bot created or edited through this transport, in the
// order of postKinds. A thread counts one per status, the way the rate limit does.
func (t *apiTransport) Posts() [len(postKinds)]int64 {
	var n [len(postKinds)]int64
	for i := range n {
		n[i] = t.posts[i].Load()
	}
	return n
}

// countPost counts a status written: POST /api/v1/statuses (a reply when direct and in
// a thread) or PUT /api/v1/statuses/:id. Boosts and other calls are not posts.
func (t *apiTransport) countPost(req *http.Request, resp *http.Response) {
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return
	}
	_, rest, ok := strings.Cut(req.URL.Path, "/api/v1/statuses")
	switch {
	case !ok:
	case req.Method == http.MethodPut && strings.HasPrefix(rest, "/") && !strings.Contains(rest[1:], "/"):
		t.posts[postEdit].Add(1)
	case req.Method == http.MethodPost && rest == "":
		if f := formOf(req); f.Get("visibility") == "direct" && f.Get("in_reply_to_id") != "" {
			t.posts[postReply].Add(1)
		} else {
			t.posts[postPost].Add(1)
		}
	}
}

// formOf reads a form-encoded request body again, or returns nothing.
func formOf(req *http.Request) url.Values {
	if req.GetBody == nil || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		return nil
	}
	body, err := req.GetBody()
	if err != nil {
		return nil
	}
	defer body.Close()
	b, err := io.ReadAll(io.LimitReader(body, 64<<10))
	if err != nil {
		return nil
	}
	f, _ := url.ParseQuery(string(b))
	return f
}

// attemptRequest prepares one attempt: a fresh body for every retry, and the key.
func (t *apiTransport) attemptRequest(req *http.Request, key string, attempt int) (*http.Request, error) {
	r := req.Clone(req.Context())
	if attempt > 0 && req.Body != nil {
		if req.GetBody == nil {
			return nil, fmt.Errorf("%s %s: cannot retry a request without GetBody", req.Method, req.URL.Path)
		}
		body, err := req.GetBody()
		if err != nil {
			return nil, err
		}
		r.Body = body
	}
	if key != "" && req.Method == http.MethodPost {
		r.Header.Set("Idempotency-Key", key)
	}
	return r, nil
}

// record keeps the rate-limit headers and returns the reset time (now + 1 s when absent).
func (t *apiTransport) record(resp *http.Response) time.Time {
	reset := t.now().Add(time.Second)
	if v := resp.Header.Get("X-RateLimit-Reset"); v != "" {
		if ts, err := time.Parse(time.RFC3339Nano, v); err == nil {
			reset = ts
		} else if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
			reset = time.Unix(secs, 0) // some servers send epoch seconds
		}
	}
	if v := resp.Header.Get("X-RateLimit-Remaining"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			t.mu.Lock()
			t.remaining, t.reset = n, reset
			t.mu.Unlock()
		}
	}
	return reset
}

func retryDelay(attempt int) time.Duration {
	return time.Duration(250<<attempt)*time.Millisecond + jitter()
}

func jitter() time.Duration { return rand.N(250 * time.Millisecond) }

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
}
