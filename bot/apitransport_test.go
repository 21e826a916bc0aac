package bot

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// TestAPITransport drives the transport against a server that fails in the ways Mastodon
// does, with sleeping replaced by a record of the waits.
func TestAPITransport(t *testing.T) {
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		method   string
		key      string
		answers  []int // status codes, in order
		wantCode int
		wantErr  string
		wantHits int
		wantWait []time.Duration // lower bounds of each wait
	}{
		{"429 waits for the ISO 8601 reset", "POST", "k", []int{429, 200}, 200, "", 2, []time.Duration{3 * time.Second}},
		{"500 on a keyed post is retried", "POST", "k", []int{500, 502, 200}, 200, "", 3, []time.Duration{250 * time.Millisecond, 500 * time.Millisecond}},
		{"500 on an unkeyed post is not", "POST", "", []int{500}, 500, "", 1, nil},
		{"GET retries then gives up", "GET", "", []int{500, 500, 500, 500}, 500, "", 4, nil},
		{"429 past the deadline fails at once", "PUT", "", []int{429}, 0, "rate limit reached; it resets at 2026-11-24T15:00:03Z", 1, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var hits atomic.Int32
			var keys []string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := hits.Add(1)
				keys = append(keys, r.Header.Get("Idempotency-Key"))
				w.Header().Set("X-RateLimit-Remaining", "0")
				w.Header().Set("X-RateLimit-Reset", "2026-11-24T15:00:03.000000Z")
				w.WriteHeader(tt.answers[n-1])
			}))
			defer srv.Close()
			rt := newAPITransport(http.DefaultTransport, zerolog.Nop())
			rt.now = func() time.Time { return now }
			var waits []time.Duration
			rt.sleep = func(_ context.Context, d time.Duration) error { waits = append(waits, d); return nil }
			ctx := context.Background()
			if tt.key != "" {
				ctx = withIdempotencyKey(ctx, tt.key)
			}
			if strings.HasPrefix(tt.name, "429 past") {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, time.Second)
				defer cancel()
			}
			req, _ := http.NewRequestWithContext(ctx, tt.method, srv.URL, strings.NewReader("status=hi"))
			resp, err := (&http.Client{Transport: rt}).Do(req)
			switch {
			case tt.wantErr != "":
				var rl *RateLimitedError
				if !errors.As(err, &rl) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
			case err != nil:
				t.Fatal(err)
			default:
				resp.Body.Close()
				if resp.StatusCode != tt.wantCode {
					t.Errorf("status %d, want %d", resp.StatusCode, tt.wantCode)
				}
			}
			if int(hits.Load()) != tt.wantHits {
				t.Errorf("%d requests, want %d", hits.Load(), tt.wantHits)
			}
			for i, w := range tt.wantWait {
				if i >= len(waits) || waits[i] < w {
					t.Errorf("waits %v, want at least %v", waits, tt.wantWait)
				}
			}
			for _, k := range keys {
				if tt.method == "POST" && k != tt.key {
					t.Errorf("Idempotency-Key %q, want %q on every attempt", k, tt.key)
				}
			}
			if rem, reset := rt.Budget(); rem != 0 || !reset.Equal(now.Add(3*time.Second)) {
				t.Errorf("budget %d %v", rem, reset)
			}
		})
	}
}
