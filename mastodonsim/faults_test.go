package mastodonsim_test

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tootops/tootops/mastodonsim"
)

func TestDropStreams(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	s := openSSE(t, w, "/api/v1/streaming/user/notification", w.botTok)
	ws := dialWS(t, w, "?stream=user:notification", w.botTok)
	waitStreams(t, w, w.bot, "user:notification", 2)
	if n := w.srv.Faults.DropStreams(); n != 2 {
		t.Errorf("dropped %d streams, want 2", n)
	}
	if err := s.end(t); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("SSE after drop: %v, want an unexpected EOF (cut mid-body)", err)
	}
	if _, _, err := ws.Read(w.ctx); err == nil || websocket.CloseStatus(err) != -1 {
		t.Errorf("WS after drop: %v, want an error without close frame", err)
	}
	// The server keeps serving; what happened in between is not replayed
	// and must be caught up over REST.
	waitStreams(t, w, w.bot, "user:notification", 0)
	missed := w.dm(w.alice, "missed")
	again := openSSE(t, w, "/api/v1/streaming/user/notification", w.botTok)
	waitStreams(t, w, w.bot, "user:notification", 1)
	after := w.dm(w.alice, "after")
	if _, data := again.event(t); !strings.Contains(data, after.ID) {
		t.Errorf("first event after reconnect = %s, want the DM sent after it (no replay of %s)", data, missed.ID)
	}
	_, page := listNotifications(t, w, "types[]=mention")
	if len(page) != 2 || page[1].Status.ID != missed.ID {
		t.Errorf("REST catch-up = %+v, want the missed DM", page)
	}
}

// TestStallStreams: a stalled stream stays open but gets neither events
// nor heartbeats; a new stream works.
func TestStallStreams(t *testing.T) {
	w := newWorld(t, mastodonsim.WithHeartbeat(300*time.Millisecond))
	w.srv.Follow(w.bot, w.alice)
	old := openSSE(t, w, "/api/v1/streaming/user/notification", w.botTok)
	waitStreams(t, w, w.bot, "user:notification", 1)
	// Stall right after a heartbeat, so that nothing is on its way.
	for {
		if l, _ := old.next(t); l == ":thump" {
			break
		}
	}
	if n := w.srv.Faults.StallStreams(); n != 1 {
		t.Fatalf("stalled %d, want 1", n)
	}
	fresh := openSSE(t, w, "/api/v1/streaming/user/notification", w.botTok)
	waitStreams(t, w, w.bot, "user:notification", 2)
	dm := w.dm(w.alice, "ps")
	if _, data := fresh.event(t); !strings.Contains(data, dm.ID) {
		t.Errorf("fresh stream got %s", data)
	}
	for beats := 0; beats < 2; {
		if l, _ := fresh.next(t); l == ":thump" {
			beats++
		}
	}
	select {
	case l := <-old.lines:
		t.Errorf("the stalled stream received %q", l)
	default:
	}
	if n := len(w.srv.Streams()); n != 2 {
		t.Errorf("%d streams open, want 2 (the stalled one stays open)", n)
	}
}

func TestInjected500AndLatency(t *testing.T) {
	w := newWorld(t)
	w.srv.Faults.FailNext(1, http.StatusInternalServerError, "/api/v1/notifications")
	resp, body := call(t, http.MethodGet, w.srv.URL+"/api/v1/notifications", w.botTok, nil)
	wantStatus(t, resp, body, http.StatusInternalServerError)
	if !strings.Contains(string(body), "something went wrong") {
		t.Errorf("500 body %q, want Rails' error page", body)
	}
	resp, body = call(t, http.MethodGet, w.srv.URL+"/api/v1/notifications", w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)

	w.srv.Faults.FailNext(1, http.StatusBadGateway, "")
	resp, body = call(t, http.MethodGet, w.srv.URL+"/api/v2/instance", "", nil)
	wantStatus(t, resp, body, http.StatusBadGateway)
	if !strings.Contains(string(body), "nginx") {
		t.Errorf("502 body %q, want nginx's page", body)
	}

	const d = 150 * time.Millisecond
	w.srv.Faults.SetLatency(d, "GET /api/v1/instance")
	start := time.Now()
	resp, body = call(t, http.MethodGet, w.srv.URL+"/api/v1/instance", "", nil)
	wantStatus(t, resp, body, http.StatusOK)
	if took := time.Since(start); took < d {
		t.Errorf("request took %v, want at least %v", took, d)
	}
	w.srv.Faults.SetLatency(0, "GET /api/v1/instance")
	w.srv.Faults.Reset()
}

func TestDisableWebSocketAndSSE(t *testing.T) {
	w := newWorld(t)
	w.srv.Faults.DisableWebSocket(true)
	_, resp, err := websocket.Dial(w.ctx, wsURL(w)+"?stream=user", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + w.botTok}}})
	if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("WS with WebSocket disabled: err %v resp %v, want 404", err, resp)
	}
	s := openSSE(t, w, "/api/v1/streaming/user", w.botTok) // the fallback works
	if l, _ := s.next(t); l != ":)" {
		t.Errorf("SSE first line %q", l)
	}
	w.srv.Faults.DisableSSE(true)
	resp2, body := call(t, http.MethodGet, w.srv.URL+"/api/v1/streaming/user", w.botTok, nil)
	wantError(t, resp2, body, http.StatusNotFound, "Record not found")
	w.srv.Faults.DisableWebSocket(false)
	dialWS(t, w, "?stream=user", w.botTok)
}

func TestRequestLog(t *testing.T) {
	w := newWorld(t)
	w.srv.ClearRequests()
	postStatus(t, w, w.botTok, []string{"Idempotency-Key", "abc"}, "status", "hi")
	reqs := w.srv.Requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests logged, want 1", len(reqs))
	}
	r := reqs[0]
	if r.Method != "POST" || r.Path != "/api/v1/statuses" || r.Status != 200 {
		t.Errorf("logged %s %s %d", r.Method, r.Path, r.Status)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer REDACTED" {
		t.Errorf("Authorization logged as %q", got)
	}
	if got := r.Header.Get("Idempotency-Key"); got != "abc" {
		t.Errorf("Idempotency-Key logged as %q", got)
	}
}
