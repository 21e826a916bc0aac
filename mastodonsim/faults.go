package mastodonsim

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Faults switches failure modes of a running Server. Every method is safe
// to call from a test while the bot is talking to the server.
//
// A pattern selects requests: "" means every REST API request (paths under
// /api/ except the streaming ones, as Rack::Attack and Rails never see
// streaming traffic); otherwise it is a path prefix, optionally preceded by
// a method and a space, e.g. "POST /api/v1/statuses" or "/api/v1/streaming".
type Faults struct {
	srv *Server

	mu          sync.Mutex
	rules       []*failRule
	idemReplays int
	latency     []latencyRule
	wsOff       bool
	sseOff      bool
}

type failRule struct {
	pattern string
	status  int
	left    int
}

type latencyRule struct {
	pattern string
	delay   time.Duration
}

// FailNext answers the next n requests matching pattern with status
// instead of handling them. 429 comes with Mastodon's throttled body and
// X-RateLimit headers (Remaining 0), 500 with Rails' HTML error page,
// 502/503/504 with nginx's HTML page, anything else with {"error": ...}.
func (f *Faults) FailNext(n, status int, pattern string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, &failRule{pattern: pattern, status: status, left: n})
}

// RateLimitNext is FailNext with 429: a burst of "Too many requests".
func (f *Faults) RateLimitNext(n int, pattern string) {
	f.FailNext(n, http.StatusTooManyRequests, pattern)
}

// FailIdempotentReplays makes the next n POST /api/v1/statuses that repeat
// a known Idempotency-Key answer 500 instead of replaying the first status,
// as an affected Mastodon version did
// (https://github.com/mastodon/mastodon/issues/40399).
func (f *Faults) FailIdempotentReplays(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.idemReplays += n
}

// SetLatency delays every request matching pattern by d before handling it
// (d = 0 removes the delay for that pattern).
func (f *Faults) SetLatency(d time.Duration, pattern string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.latency[:0]
	for _, l := range f.latency {
		if l.pattern != pattern {
			out = append(out, l)
		}
	}
	if d > 0 {
		out = append(out, latencyRule{pattern: pattern, delay: d})
	}
	f.latency = out
}

// DisableWebSocket makes /api/v1/streaming answer 404, as the web process
// does when no separate streaming host is configured, so the bot must fall
// back to SSE or polling. Open sockets are not affected.
func (f *Faults) DisableWebSocket(off bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.wsOff = off
}

// DisableSSE makes the SSE streaming paths answer 404. Open streams are not
// affected.
func (f *Faults) DisableSSE(off bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sseOff = off
}

// DropStreams cuts every open stream now, the way a restart of the
// streaming server does: SSE responses end without the chunked terminator
// (the client sees an unexpected EOF), WebSockets are closed without a
// close frame (1006). It returns how many connections were cut.
func (f *Faults) DropStreams() int { return f.srv.hub.endAll(endDrop) }

// StallStreams turns every open stream into a half-open connection: it
// stays open but receives nothing any more, neither events nor heartbeats
// nor pings, and the server does not time it out. Streams opened later work
// normally. It returns how many connections were stalled.
func (f *Faults) StallStreams() int { return f.srv.hub.stallAll() }

// Reset removes every fault.
func (f *Faults) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules, f.idemReplays, f.latency, f.wsOff, f.sseOff = nil, 0, nil, false, false
}

func matches(pattern string, r *http.Request) bool {
	if pattern == "" {
		return strings.HasPrefix(r.URL.Path, "/api/") && !isStreamingPath(r.URL.Path)
	}
	if method, path, ok := strings.Cut(pattern, " "); ok {
		return r.Method == method && strings.HasPrefix(r.URL.Path, path)
	}
	return strings.HasPrefix(r.URL.Path, pattern)
}

func isStreamingPath(p string) bool {
	return p == "/api/v1/streaming" || strings.HasPrefix(p, "/api/v1/streaming/")
}

// delay sleeps for the configured latency; false if the client went away.
func (f *Faults) delay(r *http.Request) bool {
	f.mu.Lock()
	var d time.Duration
	for _, l := range f.latency {
		if matches(l.pattern, r) && l.delay > d {
			d = l.delay
		}
	}
	f.mu.Unlock()
	if d == 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-f.srv.closing:
		return false
	}
}

// intercept answers r with an injected failure if one applies.
func (f *Faults) intercept(w http.ResponseWriter, r *http.Request) bool {
	f.mu.Lock()
	status := 0
	for _, rule := range f.rules {
		if rule.left > 0 && matches(rule.pattern, r) {
			rule.left--
			status = rule.status
			break
		}
	}
	wsOff, sseOff := f.wsOff, f.sseOff
	f.mu.Unlock()
	if status != 0 {
		f.srv.writeFailure(w, status)
		return true
	}
	if isStreamingPath(r.URL.Path) && r.URL.Path != "/api/v1/streaming/health" {
		if (wsOff && isWebSocketRequest(r)) || (sseOff && !isWebSocketRequest(r)) {
			// Api::V1::StreamingController#index on the web host: not_found.
			writeError(w, http.StatusNotFound, "Record not found")
			return true
		}
	}
	return false
}

// takeIdempotentReplayFailure consumes one FailIdempotentReplays credit.
func (f *Faults) takeIdempotentReplayFailure() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.idemReplays > 0 {
		f.idemReplays--
		return true
	}
	return false
}

// writeFailure writes an error response shaped like the component that
// produces it in a real deployment.
func (s *Server) writeFailure(w http.ResponseWriter, status int) {
	switch status {
	case http.StatusTooManyRequests:
		u := usage{limit: s.cfg.limits.PerToken, count: s.cfg.limits.PerToken.Max, exceed: true}
		setRateHeaders(w.Header(), u, s.cfg.clock())
		writeError(w, status, "Too many requests")
	case http.StatusInternalServerError:
		// An unhandled exception in Rails renders public/500.html.
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprint(w, rails500)
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		// nginx in front of a stopped or overloaded Puma.
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		text := fmt.Sprintf("%d %s", status, http.StatusText(status))
		fmt.Fprintf(w, "<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", text, text)
	default:
		writeError(w, status, http.StatusText(status))
	}
}

const rails500 = `<!DOCTYPE html>
<html>
<head>
  <meta content="width=device-width, initial-scale=1" name="viewport">
  <title>We&#39;re sorry, but something went wrong (500)</title>
</head>
<body class="error">
  <div class="dialog"><h1>We&#39;re sorry, but something went wrong.</h1></div>
</body>
</html>
`
