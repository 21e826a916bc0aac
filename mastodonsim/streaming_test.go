package mastodonsim_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/tootops/tootops/mastodonsim"
)

func TestSSEFraming(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	req, _ := http.NewRequest(http.MethodGet, w.srv.URL+"/api/v1/streaming/user", nil)
	req.Header.Set("Authorization", "Bearer "+w.botTok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := resp.Header.Get("Content-Type"); got != "text/event-stream" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q", got)
	}
	if len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("Transfer-Encoding = %v, want chunked", resp.TransferEncoding)
	}

	s := openSSE(t, w, "/api/v1/streaming/user", w.botTok)
	if l, _ := s.next(t); l != ":)" {
		t.Errorf("first line = %q, want the :) preamble", l)
	}
	if l, _ := s.next(t); l != ":thump" {
		t.Errorf("second line = %q, want a :thump heartbeat", l)
	}
	dm := w.dm(w.alice, "ps")
	name, data := s.event(t)
	if name != "update" || strings.ContainsRune(data, '\n') {
		t.Fatalf("event %q data %q, want a one-line update", name, data)
	}
	if !strings.Contains(data, `"content":"<p><span class=\"h-card\"`) {
		t.Errorf("streamed HTML is escaped or missing: %s", data)
	}
	w.srv.Edit(dm, "@tootops ps web")
	for {
		name, data = s.event(t)
		if name == "status.update" {
			break
		}
	}
	if got := decode[apiStatus](t, []byte(data)); got.EditedAt == nil || got.ID != dm.ID {
		t.Errorf("status.update = %+v", got)
	}
	w.srv.Delete(dm)
	name, data = s.event(t)
	if name != "delete" || data != dm.ID {
		t.Errorf("event %q data %q, want delete with the bare id %s", name, data, dm.ID)
	}
}

func TestSSEErrors(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct {
		path, tok string
		code      int
		msg       string
	}{
		{"/api/v1/streaming/user", "", 401, "Missing access token"},
		{"/api/v1/streaming/user", "nope", 401, "Invalid access token"},
		{"/api/v1/streaming/nonsense", w.botTok, 400, "Unknown channel requested"},
		{"/api/v1/streaming/hashtag", w.botTok, 400, "No tag for stream provided"},
		{"/api/v1/streaming/user/notification", w.srv.Token(w.bot, "read:statuses"), 401, "Access token does not have the required scopes"},
	} {
		resp, body := call(t, http.MethodGet, w.srv.URL+tc.path, tc.tok, nil)
		wantError(t, resp, body, tc.code, tc.msg)
	}
	resp, body := call(t, http.MethodGet, w.srv.URL+"/api/v1/streaming/health", "", nil)
	if resp.StatusCode != 200 || string(body) != "OK" {
		t.Errorf("streaming health = %d %q", resp.StatusCode, body)
	}
	resp, body = call(t, http.MethodGet, w.srv.URL+"/health", "", nil)
	if resp.StatusCode != 200 || string(body) != "OK" {
		t.Errorf("health = %d %q", resp.StatusCode, body)
	}
}

// TestDMEventsPerStream: what one DM produces on each stream, and the
// scope rule for notifications on the user stream.
func TestDMEventsPerStream(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	statusesOnly := w.srv.Token(w.bot, "read:statuses")
	user := openSSE(t, w, "/api/v1/streaming/user", w.botTok)
	userNoNotif := openSSE(t, w, "/api/v1/streaming/user", statusesOnly)
	notes := openSSE(t, w, "/api/v1/streaming/user/notification", w.botTok)
	direct := openSSE(t, w, "/api/v1/streaming/direct", w.botTok)
	waitStreams(t, w, w.bot, "user", 2)
	waitStreams(t, w, w.bot, "user:notification", 1)
	waitStreams(t, w, w.bot, "direct", 1)

	dm := w.dm(w.alice, "ps")
	sentinel := w.srv.Post(w.alice, mastodonsim.PostOpts{Text: "public note"})

	seq := func(s *sse, n int) string {
		var names []string
		for range n {
			name, data := s.event(t)
			id := dm.ID
			if strings.Contains(data, sentinel.ID) {
				id = "sentinel"
			} else if !strings.Contains(data, dm.ID) {
				id = "?"
			}
			if id == dm.ID {
				id = "dm"
			}
			names = append(names, name+":"+id)
		}
		return strings.Join(names, " ")
	}
	if got, want := seq(user, 3), "update:dm notification:dm update:sentinel"; got != want {
		t.Errorf("user = %s, want %s", got, want)
	}
	if got, want := seq(userNoNotif, 2), "update:dm update:sentinel"; got != want {
		t.Errorf("user without read:notifications = %s, want %s", got, want)
	}
	if got, want := seq(notes, 1), "notification:dm"; got != want {
		t.Errorf("user:notification = %s, want %s", got, want)
	}
	_, data := direct.event(t)
	conv := decode[struct {
		ID         string `json:"id"`
		Unread     bool   `json:"unread"`
		Accounts   []struct{ ID string }
		LastStatus struct {
			ID         string `json:"id"`
			Visibility string `json:"visibility"`
		} `json:"last_status"`
	}](t, []byte(data))
	if !conv.Unread || conv.LastStatus.ID != dm.ID || conv.LastStatus.Visibility != "direct" || len(conv.Accounts) != 1 || conv.Accounts[0].ID != w.alice.ID {
		t.Errorf("conversation = %+v", conv)
	}
}

// TestRevocationEndsStreams: SSE ends cleanly, WebSocket closes without a
// status code, and everything afterwards is 401.
func TestRevocationEndsStreams(t *testing.T) {
	w := newWorld(t)
	s := openSSE(t, w, "/api/v1/streaming/user", w.botTok)
	ws := dialWS(t, w, "?stream=user", w.botTok)
	waitStreams(t, w, w.bot, "user", 2)
	w.srv.Revoke(w.botTok)
	if err := s.end(t); !errors.Is(err, io.EOF) {
		t.Errorf("SSE ended with %v, want a clean end of stream", err)
	}
	_, _, err := ws.Read(w.ctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusNoStatusRcvd {
		t.Errorf("WS read after revoke: %v (status %d), want a close frame without status (1005)", err, got)
	}
	resp, body := call(t, http.MethodGet, w.srv.URL+"/api/v1/streaming/user", w.botTok, nil)
	wantError(t, resp, body, 401, "Invalid access token")
	resp, body = call(t, http.MethodGet, w.srv.URL+"/api/v1/accounts/verify_credentials", w.botTok, nil)
	wantError(t, resp, body, 401, "The access token was revoked")
	resp, body = call(t, http.MethodGet, w.srv.URL+"/api/v1/accounts/verify_credentials", "made-up", nil)
	wantError(t, resp, body, 401, "The access token is invalid")
	_, resp, err = websocket.Dial(w.ctx, wsURL(w)+"?stream=user", &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + w.botTok}}})
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("WS dial with a revoked token: err %v resp %v, want a 401", err, resp)
	}
	if got := resp.Header.Get("X-Error-Message"); got != "Invalid access token" {
		t.Errorf("X-Error-Message = %q", got)
	}
}

func wsURL(w *world) string { return "ws://" + w.srv.Domain + "/api/v1/streaming" }

func dialWS(t *testing.T, w *world, query, tok string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.Dial(w.ctx, wsURL(w)+query, &websocket.DialOptions{HTTPHeader: http.Header{"Authorization": {"Bearer " + tok}}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	return c
}

type envelope struct {
	Stream  []string `json:"stream"`
	Event   string   `json:"event"`
	Payload *string  `json:"payload"`
	Error   string   `json:"error"`
	Status  int      `json:"status"`
}

func readEnvelope(t *testing.T, w *world, c *websocket.Conn) envelope {
	t.Helper()
	typ, b, err := c.Read(w.ctx)
	if err != nil {
		t.Fatalf("WS read: %v", err)
	}
	if typ != websocket.MessageText {
		t.Fatalf("message type %v, want text", typ)
	}
	return decode[envelope](t, b)
}

func send(t *testing.T, w *world, c *websocket.Conn, msg string) {
	t.Helper()
	if err := c.Write(w.ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

func TestWebSocketSubscribeUnsubscribe(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	c := dialWS(t, w, "", w.botTok)

	send(t, w, c, `{"type":"subscribe","stream":"nonsense"}`)
	if e := readEnvelope(t, w, c); e.Error != "Unknown stream type" || e.Status != 400 {
		t.Errorf("unknown stream answered %+v", e)
	}
	send(t, w, c, `{"type":"subscribe","stream":"user:notification"}`)
	waitStreams(t, w, w.bot, "user:notification", 1)
	dm := w.dm(w.alice, "ps")
	e := readEnvelope(t, w, c)
	if strings.Join(e.Stream, ",") != "user:notification" || e.Event != "notification" || e.Payload == nil {
		t.Fatalf("envelope = %+v", e)
	}
	// The payload is a JSON document inside a string.
	var n notification
	if err := json.Unmarshal([]byte(*e.Payload), &n); err != nil || n.Status.ID != dm.ID {
		t.Errorf("payload %q: %v", *e.Payload, err)
	}

	send(t, w, c, `{"type":"unsubscribe","stream":"user:notification"}`)
	waitStreams(t, w, w.bot, "user:notification", 0)
	w.dm(w.alice, "not delivered")
	send(t, w, c, `{"type":"subscribe","stream":"hashtag","tag":"Ops"}`)
	waitStreams(t, w, w.bot, "hashtag:Ops", 1)
	tagged := w.srv.Post(w.alice, mastodonsim.PostOpts{Text: "deploy #ops done"})
	e = readEnvelope(t, w, c)
	if strings.Join(e.Stream, ",") != "hashtag,Ops" || e.Event != "update" || !strings.Contains(*e.Payload, tagged.ID) {
		t.Errorf("after unsubscribing, first message = %+v, want the hashtag update", e)
	}
	w.srv.Delete(tagged)
	if e = readEnvelope(t, w, c); e.Event != "delete" || e.Payload == nil || *e.Payload != tagged.ID {
		t.Errorf("delete envelope = %+v, want the bare id", e)
	}
}

func TestWebSocketAuthVariants(t *testing.T) {
	w := newWorld(t)
	// Token as the subprotocol: echoed back, as browsers require.
	c, _, err := websocket.Dial(w.ctx, wsURL(w)+"?stream=direct", &websocket.DialOptions{Subprotocols: []string{w.botTok}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseNow()
	if got := c.Subprotocol(); got != w.botTok {
		t.Errorf("subprotocol = %q, want the token echoed", got)
	}
	// Token in the query, as go-mastodon sends it.
	q, _, err := websocket.Dial(w.ctx, wsURL(w)+"?stream=direct&access_token="+w.botTok, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer q.CloseNow()
	waitStreams(t, w, w.bot, "direct", 2)
	for _, r := range w.srv.Requests() {
		if r.Query.Has("access_token") && r.Query.Get("access_token") != "REDACTED" {
			t.Errorf("request log keeps the token: %v", r.Query)
		}
		if v := r.Header.Get("Sec-WebSocket-Protocol"); v != "" && v != "REDACTED" {
			t.Errorf("request log keeps the subprotocol token")
		}
	}

	_, resp, err := websocket.Dial(w.ctx, wsURL(w), nil)
	if err == nil || resp == nil || resp.StatusCode != 401 {
		t.Fatalf("dial without token: err %v, resp %v", err, resp)
	}
	if got := resp.Header.Get("X-Error-Message"); got != "Missing access token" {
		t.Errorf("X-Error-Message = %q", got)
	}
	if got := resp.Header.Get("Content-Length"); got != "0" {
		t.Errorf("Content-Length = %q, want 0", got)
	}

	// Subscribing needs the scope.
	weak := dialWS(t, w, "", w.srv.Token(w.bot, "write"))
	send(t, w, weak, `{"type":"subscribe","stream":"user"}`)
	if e := readEnvelope(t, w, weak); e.Error != "Access token does not have the required scopes" || e.Status != 401 {
		t.Errorf("subscribe without read: %+v", e)
	}
}

func TestWebSocketBinaryFrameCloses1003(t *testing.T) {
	w := newWorld(t)
	c := dialWS(t, w, "?stream=user", w.botTok)
	if err := c.Write(w.ctx, websocket.MessageBinary, []byte{1, 2, 3}); err != nil {
		t.Fatal(err)
	}
	_, _, err := c.Read(w.ctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusUnsupportedData {
		t.Errorf("read after a binary frame: %v, want close 1003", err)
	}
}

// TestWebSocketPingTimeout: a client that answers pings stays, one that
// does not pong (like a client stuck on a full channel) is terminated
// without a close frame.
func TestWebSocketPingTimeout(t *testing.T) {
	w := newWorld(t, mastodonsim.WithPingInterval(250*time.Millisecond))
	dial := func(stream string, pong bool, pings chan struct{}) *websocket.Conn {
		c, _, err := websocket.Dial(w.ctx, wsURL(w)+"?stream="+stream, &websocket.DialOptions{
			HTTPHeader: http.Header{"Authorization": {"Bearer " + w.botTok}},
			OnPingReceived: func(context.Context, []byte) bool {
				select {
				case pings <- struct{}{}:
				default:
				}
				return pong
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.CloseNow() })
		return c
	}
	livePings := make(chan struct{}, 100)
	live := dial("user", true, livePings)
	readCtx := live.CloseRead(w.ctx) // reads, and so pongs, in the background
	deaf := dial("direct", false, make(chan struct{}, 100))

	_, _, err := deaf.Read(w.ctx)
	if err == nil || websocket.CloseStatus(err) != -1 {
		t.Errorf("the socket that did not pong: read %v, want termination without a close frame", err)
	}
	waitStreams(t, w, w.bot, "direct", 0)
	for range 3 {
		select {
		case <-livePings:
		case <-readCtx.Done():
			t.Fatal("the ponging client was disconnected")
		case <-time.After(wait):
			t.Fatal("no pings")
		}
	}
	waitStreams(t, w, w.bot, "user", 1)
}
