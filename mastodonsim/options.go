package mastodonsim

import (
	"time"
)

// Option changes one setting of a Server before it starts.
type Option func(*config)

// config holds every setting; the zero value of each field means "Mastodon's
// default", filled in by defaults.
type config struct {
	listen        string
	maxChars      int
	version       string
	apiVersion    int
	heartbeat     time.Duration
	pingInterval  time.Duration
	limits        RateLimits
	clock         func() time.Time
	firstNotifID  int64
	control       bool
	observe       func(Request)
	streamBacklog int
}

func defaultConfig() config {
	return config{
		listen: "127.0.0.1:0",
		// 500 is Mastodon's hard-coded StatusLengthValidator::MAX_CHARS.
		maxChars: 500,
		// 4.3 is the first version with the notification policy filtering
		// DMs, include_filtered, api_versions and the v2 policy endpoint.
		version:    "4.3.2",
		apiVersion: 2,
		// streaming/index.js: heartbeat every 15 000 ms, WS ping every 30 000 ms.
		heartbeat:    15 * time.Second,
		pingInterval: 30 * time.Second,
		limits:       DefaultRateLimits(),
		clock:        time.Now,
		// Notification ids are a plain bigserial in Mastodon (unlike the
		// snowflake ids of statuses and accounts). Starting just below a
		// power of ten makes the ids grow by one digit after a handful of
		// notifications, so a bot that compares ids as strings without
		// looking at their length fails early.
		firstNotifID:  99_991,
		streamBacklog: 1024,
	}
}

// WithListenAddr sets the address to listen on; it must be a loopback
// address (default "127.0.0.1:0").
func WithListenAddr(addr string) Option { return func(c *config) { c.listen = addr } }

// WithMaxCharacters sets configuration.statuses.max_characters and the
// limit StatusLengthValidator enforces (default 500).
func WithMaxCharacters(n int) Option { return func(c *config) { c.maxChars = n } }

// WithVersion sets the version string and api_versions.mastodon reported by
// the instance endpoints (default "4.3.2" and 2).
func WithVersion(version string, apiVersion int) Option {
	return func(c *config) { c.version, c.apiVersion = version, apiVersion }
}

// WithHeartbeat sets the interval of ":thump" comments on SSE streams
// (Mastodon: 15 s). Tests use a few milliseconds.
func WithHeartbeat(d time.Duration) Option { return func(c *config) { c.heartbeat = d } }

// WithPingInterval sets the interval of WebSocket pings; a socket that did
// not answer the previous ping is terminated (Mastodon: 30 s).
func WithPingInterval(d time.Duration) Option { return func(c *config) { c.pingInterval = d } }

// WithRateLimits replaces the throttles; zero fields keep their defaults.
func WithRateLimits(l RateLimits) Option {
	return func(c *config) { c.limits = l.withDefaults() }
}

// WithClock sets the clock used for ids, timestamps, rate-limit windows and
// the Idempotency-Key lifetime. Intervals of streams use real time.
func WithClock(now func() time.Time) Option { return func(c *config) { c.clock = now } }

// WithFirstNotificationID sets the id of the first notification.
func WithFirstNotificationID(id int64) Option { return func(c *config) { c.firstNotifID = id } }

// WithControlAPI mounts the /_sim/ endpoints used to drive the imitation by
// hand (see ControlHandler).
func WithControlAPI() Option { return func(c *config) { c.control = true } }

// WithRequestObserver calls fn after each request has been answered, for
// logging in cmd/mastodon-sim. fn must not block.
func WithRequestObserver(fn func(Request)) Option { return func(c *config) { c.observe = fn } }

// WithStreamBacklog sets how many undelivered events one stream connection
// may queue before it is cut off as too slow (default 1024).
func WithStreamBacklog(n int) Option { return func(c *config) { c.streamBacklog = n } }
