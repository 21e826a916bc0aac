package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
)

// Mode is how events reach the bot.
type Mode string

// The modes, in the order they are tried.
const (
	WebSocket Mode = "websocket"
	SSE       Mode = "sse"
	Polling   Mode = "polling"
)

// Kind of an Event.
type Kind int

const (
	// Connected: a stream is (re)established, or in polling mode it is time to poll. The
	// consumer catches up over REST before it handles the events that follow.
	Connected Kind = iota
	// Notification: a notification arrived; Payload is its JSON.
	Notification
)

// Event is what the client delivers.
type Event struct {
	Kind    Kind
	Mode    Mode
	Payload json.RawMessage
}

// ErrUnauthorized means the server refused the token: retrying cannot help.
var ErrUnauthorized = errors.New("the server refused the access token (401): it was revoked or is wrong; create a new one and restart the bot")

// errUnsupported means the server does not offer this mode: try the next one.
var errUnsupported = errors.New("not offered by the server")

// errIdle means nothing arrived for too long: the connection is presumed dead.
var errIdle = errors.New("no heartbeat, ping or event")

// Options configure a Client.
type Options struct {
	Server    string // the instance, https://social.example.coop
	Streaming string // the streaming base URL from /api/v2/instance; "" means Server
	Token     string
	HTTP      *http.Client // nil means a client with sane timeouts
	Log       zerolog.Logger
	// Idle is how long silence is tolerated before reconnecting: Mastodon sends an SSE
	// heartbeat every 15 s and a WebSocket ping every 30 s. Default 45 s.
	Idle time.Duration
	// MinBackoff and MaxBackoff bound the wait between failed attempts. Default 1 s, 2 min.
	MinBackoff, MaxBackoff time.Duration
	// PollEvery is the polling interval when no stream is offered. Default 10 s.
	PollEvery time.Duration
	// Retry is how long polling goes on before the streams are tried again. Default 10 min.
	Retry time.Duration
}

// Client connects and reconnects. Its Stats are safe to read from any goroutine.
type Client struct {
	o          Options
	log        zerolog.Logger
	mode       atomic.Value // Mode
	connected  atomic.Bool
	reconnects atomic.Int64
}

// New returns a client; Run starts it.
func New(o Options) *Client {
	if o.HTTP == nil {
		o.HTTP = &http.Client{Transport: &http.Transport{Proxy: http.ProxyFromEnvironment, ResponseHeaderTimeout: 30 * time.Second}}
	}
	if o.Idle <= 0 {
		o.Idle = 45 * time.Second
	}
	if o.MinBackoff <= 0 {
		o.MinBackoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = 2 * time.Minute
	}
	if o.PollEvery <= 0 {
		o.PollEvery = 10 * time.Second
	}
	if o.Retry <= 0 {
		o.Retry = 10 * time.Minute
	}
	if o.Streaming == "" {
		o.Streaming = o.Server
	}
	c := &Client{o: o, log: o.Log.With().Str("component", "stream").Logger()}
	c.mode.Store(WebSocket)
	return c
}

// Mode is the mode in use (or being tried).
func (c *Client) Mode() Mode { return c.mode.Load().(Mode) }

// Connected reports whether a stream is up (always false while polling).
func (c *Client) Connected() bool { return c.connected.Load() }

// Reconnects counts the connections after the first.
func (c *Client) Reconnects() int64 { return c.reconnects.Load() }

// Run delivers events to out until ctx ends (nil) or the token is refused
// (ErrUnauthorized). out should be buffered: a consumer that falls far behind makes the
// server drop the stream, which the next catch-up then repairs.
func (c *Client) Run(ctx context.Context, out chan<- Event) error {
	failures := 0
	first := true
	for {
		mode := c.Mode()
		if !first {
			c.reconnects.Add(1)
		}
		first = false
		began := time.Now()
		var err error
		switch mode {
		case WebSocket:
			err = c.runWebSocket(ctx, out)
		case SSE:
			err = c.runSSE(ctx, out)
		default:
			err = c.poll(ctx, out)
		}
		c.connected.Store(false)
		switch {
		case ctx.Err() != nil:
			return nil
		case errors.Is(err, ErrUnauthorized):
			c.log.Error().Str("mode", string(mode)).Msg("streaming stopped: the access token was refused")
			return err
		case errors.Is(err, errUnsupported):
			next := Polling
			if mode == WebSocket {
				next = SSE
			}
			c.log.Warn().Str("mode", string(mode)).Str("next", string(next)).Err(err).Msg("streaming mode not offered, falling back")
			c.mode.Store(next)
			continue
		case mode == Polling:
			// Polling ran its course: try the streams again.
			c.mode.Store(WebSocket)
			continue
		}
		if time.Since(began) > c.o.MaxBackoff {
			failures = 0 // it was up for a good while: start the backoff afresh
		}
		wait := backoff(failures, c.o.MinBackoff, c.o.MaxBackoff)
		failures++
		c.log.Warn().Str("mode", string(mode)).Err(err).Dur("retry_in", wait).Msg("stream lost, reconnecting")
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(wait):
		}
	}
}

// backoff is exponential with full jitter: a random wait up to min·2^n, capped at max, so
// many bots coming back after an outage do not reconnect in step.
func backoff(n int, lo, hi time.Duration) time.Duration {
	ceil := hi
	if n < 30 {
		ceil = min(lo<<n, hi)
	}
	return lo/2 + rand.N(max(ceil-lo/2, 1))
}

// deliver hands an event over, giving up only when ctx ends.
func deliver(ctx context.Context, out chan<- Event, ev Event) error {
	select {
	case out <- ev:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// watchdog cancels its context when kick is not called for d.
type watchdog struct {
	t      *time.Timer
	d      time.Duration
	cancel context.CancelCauseFunc
}

func newWatchdog(ctx context.Context, d time.Duration) (context.Context, *watchdog) {
	ctx, cancel := context.WithCancelCause(ctx)
	w := &watchdog{d: d, cancel: cancel}
	w.t = time.AfterFunc(d, func() { cancel(errIdle) })
	return ctx, w
}

func (w *watchdog) kick() { w.t.Reset(w.d) }
func (w *watchdog) stop() { w.t.Stop(); w.cancel(nil) }

// endpoint joins the streaming base URL and a path, switching the scheme for WebSocket.
func (c *Client) endpoint(path string, ws bool) (string, error) {
	u, err := url.Parse(c.o.Streaming)
	if err != nil {
		return "", fmt.Errorf("streaming URL %q: %w", c.o.Streaming, err)
	}
	switch {
	case ws && u.Scheme == "https":
		u.Scheme = "wss"
	case ws && u.Scheme == "http":
		u.Scheme = "ws"
	case !ws && u.Scheme == "wss":
		u.Scheme = "https"
	case !ws && u.Scheme == "ws":
		u.Scheme = "http"
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	return u.String(), nil
}

// statusError classifies a refused connection attempt.
func statusError(code int) error {
	switch {
	case code == http.StatusUnauthorized || code == http.StatusForbidden:
		return ErrUnauthorized
	case code == http.StatusNotFound || code == http.StatusBadRequest || code == http.StatusMethodNotAllowed || code == http.StatusNotImplemented:
		return fmt.Errorf("HTTP %d: %w", code, errUnsupported)
	default:
		return fmt.Errorf("HTTP %d", code)
	}
}
