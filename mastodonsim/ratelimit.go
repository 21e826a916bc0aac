package mastodonsim

import (
	"net"
	"net/http"
	"regexp"
	"strconv"
	"time"
)

// Limit is a number of requests per fixed window.
type Limit struct {
	Max    int
	Period time.Duration
}

// RateLimits are the throttles of config/initializers/rack_attack.rb plus
// the statuses family of app/lib/rate_limiter.rb.
type RateLimits struct {
	Unauthenticated Limit // per IP, API requests without a valid token: 300 / 5 min
	PerAccount      Limit // per user, authenticated API requests: 1500 / 5 min
	PerToken        Limit // per token, authenticated API requests: 300 / 5 min
	Paging          Limit // per user, requests with max_id/min_id/since_id: 300 / 15 min
	Deletes         Limit // per user, DELETE status and POST unreblog: 30 / 30 min
	Statuses        Limit // per account, statuses created, edited or boosted: 300 / 3 h
}

// DefaultRateLimits returns Mastodon's stock limits.
func DefaultRateLimits() RateLimits {
	return RateLimits{
		Unauthenticated: Limit{300, 5 * time.Minute},
		PerAccount:      Limit{1500, 5 * time.Minute},
		PerToken:        Limit{300, 5 * time.Minute},
		Paging:          Limit{300, 15 * time.Minute},
		Deletes:         Limit{30, 30 * time.Minute},
		Statuses:        Limit{300, 3 * time.Hour},
	}
}

func (l RateLimits) withDefaults() RateLimits {
	d := DefaultRateLimits()
	for _, p := range []struct{ got, def *Limit }{
		{&l.Unauthenticated, &d.Unauthenticated}, {&l.PerAccount, &d.PerAccount},
		{&l.PerToken, &d.PerToken}, {&l.Paging, &d.Paging},
		{&l.Deletes, &d.Deletes}, {&l.Statuses, &d.Statuses},
	} {
		if p.got.Max == 0 {
			p.got.Max = p.def.Max
		}
		if p.got.Period == 0 {
			p.got.Period = p.def.Period
		}
	}
	return l
}

// rateLimiter counts requests in windows aligned to the Unix epoch, like
// Rack::Attack's cache keys (epoch / period). Callers hold Server.mu.
type rateLimiter struct {
	limits   RateLimits
	counters map[string]*window
}

type window struct {
	bucket int64
	count  int
}

func newRateLimiter(l RateLimits) *rateLimiter {
	return &rateLimiter{limits: l, counters: map[string]*window{}}
}

// usage is the state of one throttle after a request was counted.
type usage struct {
	limit  Limit
	count  int
	exceed bool
}

func (rl *rateLimiter) incr(name, key string, l Limit, now time.Time) usage {
	bucket := now.Unix() / periodSeconds(l)
	w := rl.counters[name+"\x00"+key]
	if w == nil || w.bucket != bucket {
		w = &window{bucket: bucket}
		rl.counters[name+"\x00"+key] = w
	}
	w.count++
	return usage{limit: l, count: w.count, exceed: w.count > l.Max}
}

func (rl *rateLimiter) peek(name, key string, l Limit, now time.Time) int {
	w := rl.counters[name+"\x00"+key]
	if w == nil || w.bucket != now.Unix()/periodSeconds(l) {
		return 0
	}
	return w.count
}

func periodSeconds(l Limit) int64 {
	if s := int64(l.Period / time.Second); s > 0 {
		return s
	}
	return 1
}

var (
	// Rack::Attack's API_DELETE_STATUS_REGEX and API_DELETE_REBLOG_REGEX.
	deleteStatusRE = regexp.MustCompile(`\A/api/v1/statuses/[\d]+\z`)
	unreblogRE     = regexp.MustCompile(`\A/api/v1/statuses/[\d]+/unreblog\z`)
)

// throttle counts an API request against every throttle that applies, in
// rack_attack.rb's order, stopping at the first exceeded one as Rack::Attack
// does. It returns the throttle to report in headers: the exceeded one, or
// the one closest to exhaustion (RateLimitHeaders#api_throttle_data).
func (rl *rateLimiter) throttle(r *http.Request, tok *token, now time.Time) usage {
	l := rl.limits
	var checks []struct {
		name, key string
		limit     Limit
	}
	add := func(name, key string, limit Limit) {
		checks = append(checks, struct {
			name, key string
			limit     Limit
		}{name, key, limit})
	}
	if tok == nil {
		add("throttle_unauthenticated_api", clientIP(r), l.Unauthenticated)
	} else {
		user := tok.account.ID
		add("throttle_authenticated_api", user, l.PerAccount)
		add("throttle_per_token_api", strconv.FormatInt(tok.id, 10), l.PerToken)
		q := r.URL.Query()
		if q.Has("max_id") || q.Has("min_id") || q.Has("since_id") || q.Has("page") {
			add("throttle_authenticated_paging", user, l.Paging)
		}
		if (r.Method == http.MethodDelete && deleteStatusRE.MatchString(r.URL.Path)) ||
			(r.Method == http.MethodPost && unreblogRE.MatchString(r.URL.Path)) {
			add("throttle_api_delete", user, l.Deletes)
		}
	}
	var report usage
	for i, c := range checks {
		u := rl.incr(c.name, c.key, c.limit, now)
		if u.exceed {
			return u
		}
		if i == 0 || u.limit.Max-u.count < report.limit.Max-report.count {
			report = u
		}
	}
	return report
}

// statusesUsage is the statuses family of RateLimiter for an account.
func (rl *rateLimiter) statusesUsage(a *Account, now time.Time) usage {
	n := rl.peek("statuses", a.ID, rl.limits.Statuses, now)
	return usage{limit: rl.limits.Statuses, count: n, exceed: n >= rl.limits.Statuses.Max}
}

// recordStatus counts one created, edited or boosted status.
func (rl *rateLimiter) recordStatus(a *Account, now time.Time) {
	rl.incr("statuses", a.ID, rl.limits.Statuses, now)
}

// setRateHeaders writes X-RateLimit-* as Mastodon does: Reset is an
// ISO-8601 time with microseconds, computed as now + (period - now % period)
// (rack_attack.rb throttled_responder, RateLimitHeaders, RateLimiter#to_headers).
func setRateHeaders(h http.Header, u usage, now time.Time) {
	remaining := u.limit.Max - u.count
	if remaining < 0 || u.exceed {
		remaining = 0
	}
	p := periodSeconds(u.limit)
	reset := now.UTC().Add(time.Duration(p-now.Unix()%p) * time.Second)
	h.Set("X-RateLimit-Limit", strconv.Itoa(u.limit.Max))
	h.Set("X-RateLimit-Remaining", strconv.Itoa(remaining))
	h.Set("X-RateLimit-Reset", reset.Format("2006-01-02T15:04:05.000000Z"))
}

// overrideStatusHeaders is override_rate_limit_headers family: :statuses:
// the statuses family replaces the headers when it has fewer requests left.
func overrideStatusHeaders(h http.Header, fam usage, now time.Time) {
	famLeft := fam.limit.Max - fam.count
	if cur := h.Get("X-RateLimit-Remaining"); cur != "" {
		if n, err := strconv.Atoi(cur); err == nil && famLeft > n {
			return
		}
	}
	setRateHeaders(h, fam, now)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
