package mastodonsim

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// serveWS is the streaming server's WebSocket side: authenticate at the
// upgrade (refusing with a bare 401 and X-Error-Message), subscribe to
// ?stream= and to subscribe/unsubscribe messages, ping every interval and
// terminate sockets that did not answer the previous ping.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	tok, serr := s.streamToken(r)
	if serr != nil {
		// server.on('upgrade') writes the status line, Connection: close,
		// Content-Length: 0 and X-Error-Message, and no body.
		h := w.Header()
		h.Set("Connection", "close")
		h.Set("Content-Length", "0")
		h.Set("X-Error-Message", serr.msg)
		w.WriteHeader(serr.status)
		return
	}
	var subprotocols []string
	if r.Header.Get("Authorization") == "" && r.URL.Query().Get("access_token") == "" {
		if p := r.Header.Get("Sec-WebSocket-Protocol"); p != "" {
			// The ws library selects the first offered protocol; browsers
			// require the token they sent as protocol to be echoed.
			subprotocols = []string{p}
		}
	}
	var alive atomic.Bool
	alive.Store(true)
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:       subprotocols,
		InsecureSkipVerify: true, // the streaming server does not check Origin
		OnPongReceived:     func(context.Context, []byte) { alive.Store(true) },
	})
	if err != nil {
		return // Accept wrote the error response
	}
	c := s.hub.register(tok, true, s.cfg.streamBacklog)
	s.streamsChanged()
	var wg sync.WaitGroup
	defer func() {
		c.end(endDrop)
		wg.Wait()
		s.hub.unregister(c)
		s.streamsChanged()
	}()

	wg.Add(3)
	go func() { defer wg.Done(); s.wsCloser(conn, c) }()
	go func() { defer wg.Done(); s.wsWriter(conn, c) }()
	go func() { defer wg.Done(); s.wsPinger(conn, c, &alive, &wg) }()

	if q := r.URL.Query(); q.Get("stream") != "" {
		s.wsSubscribe(c, q.Get("stream"), q)
	}
	for {
		typ, data, err := conn.Read(context.Background())
		if err != nil {
			return
		}
		if c.stalled.Load() {
			continue // half-open: nothing arrives
		}
		if typ == websocket.MessageBinary {
			c.end(endBinary)
			continue // keep reading so the close handshake completes
		}
		s.wsMessage(c, data)
	}
}

// wsCloser closes the socket the way the reason for ending requires.
func (s *Server) wsCloser(conn *websocket.Conn, c *streamConn) {
	<-c.done
	switch c.endMode() {
	case endRevoked:
		// websocket.close() with no code: an empty close frame (1005).
		_ = conn.Close(websocket.StatusNoStatusRcvd, "")
	case endBinary:
		_ = conn.Close(websocket.StatusUnsupportedData, "The mastodon streaming server does not support binary messages")
	default:
		// terminate(): the TCP connection goes away without a close frame.
		_ = conn.CloseNow()
	}
}

func (s *Server) wsWriter(conn *websocket.Conn, c *streamConn) {
	for {
		select {
		case <-c.done:
			return
		case f := <-c.out:
			if c.stalled.Load() {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err := conn.Write(ctx, websocket.MessageText, wsEnvelope(f))
			cancel()
			if err != nil {
				c.end(endDrop)
				return
			}
		}
	}
}

// wsPinger is the streaming server's heartbeat interval: a socket that has
// not answered the previous ping is terminated, the others pinged again.
func (s *Server) wsPinger(conn *websocket.Conn, c *streamConn, alive *atomic.Bool, wg *sync.WaitGroup) {
	t := time.NewTicker(s.cfg.pingInterval)
	defer t.Stop()
	for {
		select {
		case <-c.done:
			return
		case <-t.C:
			if c.stalled.Load() {
				continue
			}
			if !alive.Swap(false) {
				c.end(endDrop)
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				ctx, cancel := context.WithTimeout(context.Background(), s.cfg.pingInterval)
				defer cancel()
				_ = conn.Ping(ctx) // the pong is noted by OnPongReceived
			}()
		}
	}
}

// wsMessage handles a client text message; anything that is not a known
// JSON message is ignored, as streaming/index.js does.
func (s *Server) wsMessage(c *streamConn, data []byte) {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return
	}
	typ, _ := m["type"].(string)
	stream, _ := m["stream"].(string)
	q := url.Values{}
	for _, k := range []string{"tag", "list", "only_media"} {
		if v, ok := m[k]; ok && v != nil {
			q.Set(k, scalar(v))
		}
	}
	switch typ {
	case "subscribe":
		s.wsSubscribe(c, stream, q)
	case "unsubscribe":
		sub, serr := streamSubscription(c.tok, stream, q)
		if serr != nil {
			c.send(wsErrorFrame(serr))
			return
		}
		s.hub.unsubscribe(c, sub.key())
		s.streamsChanged()
	}
}

func (s *Server) wsSubscribe(c *streamConn, name string, q url.Values) {
	if serr := checkStreamScopes(c.tok, name); serr != nil {
		c.send(wsErrorFrame(serr))
		return
	}
	sub, serr := streamSubscription(c.tok, name, q)
	if serr != nil {
		c.send(wsErrorFrame(serr))
		return
	}
	if s.hub.subscribe(c, sub) {
		s.streamsChanged()
	}
}

// wsErrorFrame is a subscription error sent on the open socket,
// {"error":"Unknown stream type","status":400}.
func wsErrorFrame(e *streamError) frame {
	return frame{wsText: mustJSON(struct {
		Error  string `json:"error"`
		Status int    `json:"status"`
	}{e.msg, e.status})}
}

// wsEnvelope is streamToWs: {"stream":[...],"event":...,"payload":"<JSON
// as a string>"}; a deleted status' payload is its bare id.
func wsEnvelope(f frame) []byte {
	if f.wsText != "" {
		return []byte(f.wsText)
	}
	return []byte(mustJSON(struct {
		Stream  []string `json:"stream"`
		Event   string   `json:"event"`
		Payload string   `json:"payload"`
	}{f.stream, f.event, f.payload}))
}
