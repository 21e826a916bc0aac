package mastodonsim

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// handleStreaming serves everything under /api/v1/streaming: the health
// check, WebSocket upgrades and SSE streams.
func (s *Server) handleStreaming(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/api/v1/streaming/health" {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "OK")
		return
	}
	if isWebSocketRequest(r) {
		s.serveWS(w, r)
		return
	}
	s.serveSSE(w, r)
}

func isWebSocketRequest(r *http.Request) bool {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		return false
	}
	for _, v := range r.Header.Values("Connection") {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), "upgrade") {
				return true
			}
		}
	}
	return false
}

// serveSSE is streamToHttp: authenticate, check scopes, then hold the
// response open with a ":)" preamble, ":thump" heartbeats and
// "event:/data:" pairs. There is no event id and no replay.
func (s *Server) serveSSE(w http.ResponseWriter, r *http.Request) {
	tok, serr := s.streamToken(r)
	if serr != nil {
		writeError(w, serr.status, serr.msg)
		return
	}
	name := sseChannelName(r)
	if name == "" {
		writeError(w, http.StatusBadRequest, "Unknown channel requested")
		return
	}
	if serr := checkStreamScopes(tok, name); serr != nil {
		writeError(w, serr.status, serr.msg)
		return
	}
	sub, serr := streamSubscription(tok, name, r.URL.Query())
	if serr != nil {
		writeError(w, serr.status, serr.msg)
		return
	}
	c := s.hub.register(tok, false, s.cfg.streamBacklog)
	s.hub.subscribe(c, sub)
	s.streamsChanged()
	defer func() {
		s.hub.unregister(c)
		s.streamsChanged()
	}()

	rc := http.NewResponseController(w)
	// Without a server WriteTimeout net/http never resets a deadline, so
	// clear ours before the connection may serve another request.
	defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
	write := func(text string) bool {
		// A client that stopped reading must not pin this goroutine forever.
		_ = rc.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(w, text); err != nil {
			return false
		}
		return rc.Flush() == nil
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if !write(":)\n") {
		return
	}
	beat := time.NewTicker(s.cfg.heartbeat)
	defer beat.Stop()
	for {
		select {
		case f := <-c.out:
			if c.stalled.Load() {
				continue
			}
			if !write(fmt.Sprintf("event: %s\ndata: %s\n\n", f.event, f.payload)) {
				return
			}
		case <-beat.C:
			if c.stalled.Load() {
				continue
			}
			if !write(":thump\n") {
				return
			}
		case <-c.done:
			if c.endMode() == endDrop {
				// Cut the connection without ending the chunked body.
				panic(http.ErrAbortHandler)
			}
			return // revoked or shutting down: res.end()
		case <-r.Context().Done():
			return
		}
	}
}
