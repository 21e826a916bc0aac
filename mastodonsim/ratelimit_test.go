package mastodonsim_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/tootops/tootops/mastodonsim"
)

func rateHeaders(t *testing.T, resp *http.Response) (limit, remaining int, reset time.Time) {
	t.Helper()
	var err error
	if limit, err = strconv.Atoi(resp.Header.Get("X-RateLimit-Limit")); err != nil {
		t.Fatalf("X-RateLimit-Limit %q: %v", resp.Header.Get("X-RateLimit-Limit"), err)
	}
	if remaining, err = strconv.Atoi(resp.Header.Get("X-RateLimit-Remaining")); err != nil {
		t.Fatalf("X-RateLimit-Remaining %q: %v", resp.Header.Get("X-RateLimit-Remaining"), err)
	}
	// ISO 8601 with microseconds, not epoch seconds.
	if reset, err = time.Parse("2006-01-02T15:04:05.000000Z", resp.Header.Get("X-RateLimit-Reset")); err != nil {
		t.Fatalf("X-RateLimit-Reset %q: %v", resp.Header.Get("X-RateLimit-Reset"), err)
	}
	return limit, remaining, reset
}

func TestRateLimitHeadersAndThrottle(t *testing.T) {
	w := newWorld(t, mastodonsim.WithRateLimits(mastodonsim.RateLimits{PerToken: mastodonsim.Limit{Max: 3, Period: 5 * time.Minute}}))
	u := w.srv.URL + "/api/v1/accounts/verify_credentials"
	for want := 2; want >= 0; want-- {
		resp, body := call(t, http.MethodGet, u, w.botTok, nil)
		wantStatus(t, resp, body, http.StatusOK)
		limit, remaining, reset := rateHeaders(t, resp)
		if limit != 3 || remaining != want {
			t.Errorf("limit/remaining = %d/%d, want 3/%d", limit, remaining, want)
		}
		if d := time.Until(reset); d <= 0 || d > 5*time.Minute {
			t.Errorf("reset %v is not within the 5-minute window", reset)
		}
	}
	resp, body := call(t, http.MethodGet, u, w.botTok, nil)
	wantError(t, resp, body, http.StatusTooManyRequests, "Too many requests")
	if _, remaining, _ := rateHeaders(t, resp); remaining != 0 {
		t.Errorf("429 remaining = %d, want 0", remaining)
	}
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		t.Errorf("Retry-After = %q; Mastodon sends none", ra)
	}
	// The limit is per token: a fresh token of the same account passes.
	resp, body = call(t, http.MethodGet, u, w.srv.Token(w.bot), nil)
	wantStatus(t, resp, body, http.StatusOK)
	// Streaming is not rate limited.
	resp, body = call(t, http.MethodGet, w.srv.URL+"/api/v1/streaming/health", "", nil)
	if resp.Header.Get("X-RateLimit-Limit") != "" {
		t.Error("streaming health carries rate-limit headers")
	}
}

func TestStatusesFamilyLimit(t *testing.T) {
	w := newWorld(t, mastodonsim.WithRateLimits(mastodonsim.RateLimits{Statuses: mastodonsim.Limit{Max: 2, Period: 3 * time.Hour}}))
	resp, body := postStatus(t, w, w.botTok, nil, "status", "one")
	wantStatus(t, resp, body, http.StatusOK)
	if limit, remaining, _ := rateHeaders(t, resp); limit != 2 || remaining != 1 {
		t.Errorf("after one post: %d/%d, want the statuses family 2/1", limit, remaining)
	}
	id := decode[apiStatus](t, body).ID
	// An edit counts too.
	resp, body = call(t, http.MethodPut, w.srv.URL+"/api/v1/statuses/"+id, w.botTok, form("status", "one, edited"))
	wantStatus(t, resp, body, http.StatusOK)
	if _, remaining, _ := rateHeaders(t, resp); remaining != 0 {
		t.Errorf("after an edit remaining = %d, want 0", remaining)
	}
	resp, body = postStatus(t, w, w.botTok, nil, "status", "three")
	wantError(t, resp, body, http.StatusTooManyRequests, "Too many requests")
	if n := len(w.srv.StatusesBy(w.bot)); n != 1 {
		t.Errorf("%d statuses, want 1", n)
	}
	// Reading is still allowed.
	resp, body = call(t, http.MethodGet, w.srv.URL+"/api/v1/statuses/"+id, w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
}

func TestInjected429Burst(t *testing.T) {
	w := newWorld(t)
	w.srv.Faults.RateLimitNext(2, "")
	u := w.srv.URL + "/api/v1/accounts/verify_credentials"
	for range 2 {
		resp, body := call(t, http.MethodGet, u, w.botTok, nil)
		wantError(t, resp, body, http.StatusTooManyRequests, "Too many requests")
		rateHeaders(t, resp)
	}
	resp, body := call(t, http.MethodGet, u, w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)

	// Only for a path.
	w.srv.Faults.RateLimitNext(1, "POST /api/v1/statuses")
	resp, body = call(t, http.MethodGet, u, w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = postStatus(t, w, w.botTok, nil, "status", "hi")
	wantStatus(t, resp, body, http.StatusTooManyRequests)
	resp, body = postStatus(t, w, w.botTok, nil, "status", "hi")
	wantStatus(t, resp, body, http.StatusOK)
}
