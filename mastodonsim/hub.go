package mastodonsim

import (
	"context"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// endMode says why a stream connection ends; each kind of end looks
// different on the wire.
type endMode int32

const (
	endNone     endMode = iota
	endRevoked          // token revoked: SSE ends cleanly, WS closes without a status code
	endDrop             // connection cut: SSE without the chunked terminator, WS without a close frame
	endShutdown         // server closing
	endBinary           // WS client sent a binary frame: close 1003
)

// frame is one message queued for a stream connection.
type frame struct {
	stream  []string
	event   string
	payload string // one-line JSON, or a bare string (a deleted status id)
	wsText  string // a complete WS text message (subscription errors)
}

// streamConn is one open SSE response or WebSocket.
type streamConn struct {
	tok     *token
	ws      bool
	out     chan frame
	done    chan struct{}
	mode    atomic.Int32
	stalled atomic.Bool
	subs    []*subscription // guarded by hub.mu
}

// subscription maps Redis-style channel names (timeline:<id>,
// timeline:<id>:notifications, timeline:direct:<id>, timeline:public, ...)
// to the stream name a WebSocket envelope carries (["user"], ["hashtag","x"]).
type subscription struct {
	stream   []string
	channels []string
}

func (s *subscription) key() string { return strings.Join(s.channels, ";") }

// end stops the connection; the first reason wins.
func (c *streamConn) end(m endMode) {
	if c.mode.CompareAndSwap(int32(endNone), int32(m)) {
		close(c.done)
	}
}

func (c *streamConn) endMode() endMode { return endMode(c.mode.Load()) }

// send queues f without blocking. A connection that cannot keep up is cut,
// as Mastodon cuts a WebSocket that misses a pong while its client is busy.
func (c *streamConn) send(f frame) {
	if c.stalled.Load() {
		return // a half-open connection: whatever is sent is lost
	}
	select {
	case c.out <- f:
	default:
		c.end(endDrop)
	}
}

// hub routes published events to subscribed connections.
type hub struct {
	mu     sync.Mutex
	conns  map[*streamConn]bool
	closed bool
	// wg counts registered connections; Add happens under mu and never
	// after closed is set, so Wait in wait cannot race with it.
	wg sync.WaitGroup
}

func newHub() *hub { return &hub{conns: map[*streamConn]bool{}} }

// register adds a connection; the caller must call unregister when done.
// Once the hub is shut down the connection comes back already ended.
func (h *hub) register(tok *token, ws bool, backlog int) *streamConn {
	c := &streamConn{tok: tok, ws: ws, out: make(chan frame, backlog), done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		c.end(endShutdown)
		return c
	}
	h.conns[c] = true
	h.wg.Add(1)
	return c
}

func (h *hub) unregister(c *streamConn) {
	h.mu.Lock()
	tracked := h.conns[c]
	delete(h.conns, c)
	h.mu.Unlock()
	c.end(endShutdown)
	if tracked {
		h.wg.Done()
	}
}

// shutdown ends every connection and refuses new ones.
func (h *hub) shutdown() {
	h.mu.Lock()
	h.closed = true
	h.mu.Unlock()
	h.endAll(endShutdown)
}

// subscribe adds sub unless the same channels are already subscribed
// (streaming/index.js ignores a repeated subscription).
func (h *hub) subscribe(c *streamConn, sub *subscription) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, x := range c.subs {
		if x.key() == sub.key() {
			return false
		}
	}
	c.subs = append(c.subs, sub)
	return true
}

func (h *hub) unsubscribe(c *streamConn, key string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	c.subs = slices.DeleteFunc(c.subs, func(x *subscription) bool { return x.key() == key })
}

func (h *hub) hasSubscribers(channel string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		for _, s := range c.subs {
			if slices.Contains(s.channels, channel) {
				return true
			}
		}
	}
	return false
}

// publish delivers an event on channel to every subscription listening to
// it; a connection subscribed twice (user and user:notification) gets it
// twice, each with its own stream name, as Mastodon sends it.
func (h *hub) publish(channel, event, payload string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		for _, s := range c.subs {
			if slices.Contains(s.channels, channel) {
				c.send(frame{stream: s.stream, event: event, payload: payload})
			}
		}
	}
}

func (h *hub) endToken(t *token, m endMode) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for c := range h.conns {
		if c.tok == t {
			c.end(m)
		}
	}
}

func (h *hub) endAll(m endMode) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for c := range h.conns {
		if c.endMode() == endNone {
			n++
		}
		c.end(m)
	}
	return n
}

func (h *hub) stallAll() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for c := range h.conns {
		if !c.stalled.Swap(true) {
			n++
		}
	}
	return n
}

// count reports the open connections (for tests and the control API).
func (h *hub) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.conns)
}

// wait waits for every connection's goroutines to finish, or ctx.
func (h *hub) wait(ctx context.Context) {
	done := make(chan struct{})
	go func() {
		h.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-ctx.Done():
	}
}

// StreamCount reports how many stream connections (SSE and WebSocket) are
// open, so tests can wait until the bot has (re)connected.
func (s *Server) StreamCount() int { return s.hub.count() }
