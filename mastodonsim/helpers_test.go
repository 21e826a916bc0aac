package mastodonsim_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/mastodonsim"
)

// wait is the generous upper bound for anything the tests wait for.
const wait = 10 * time.Second

// world is a server with the usual cast: the bot, two local admins and a
// remote lookalike of alice.
type world struct {
	srv             *mastodonsim.Server
	bot, alice, bob *mastodonsim.Account
	eve             *mastodonsim.Account // alice@evil.example
	botTok          string
	ctx             context.Context
	cancel          context.CancelFunc
}

func newWorld(t *testing.T, opts ...mastodonsim.Option) *world {
	t.Helper()
	base := []mastodonsim.Option{
		mastodonsim.WithHeartbeat(20 * time.Millisecond),
		// Long enough that no test client is dropped for a late pong on a
		// loaded machine; TestWebSocketPingTimeout sets its own.
		mastodonsim.WithPingInterval(5 * time.Second),
	}
	srv := mastodonsim.New(t, append(base, opts...)...)
	w := &world{srv: srv}
	w.bot = srv.AddLocalAccount("tootops", mastodonsim.Bot())
	w.alice = srv.AddLocalAccount("alice")
	w.bob = srv.AddLocalAccount("bob")
	w.eve = srv.AddRemoteAccount("alice", "evil.example")
	w.botTok = srv.Token(w.bot, "read", "write", "follow")
	w.ctx, w.cancel = context.WithTimeout(context.Background(), wait)
	t.Cleanup(w.cancel)
	return w
}

// dm sends a direct message from a to the bot.
func (w *world) dm(a *mastodonsim.Account, text string) mastodonsim.Status {
	return w.srv.Post(a, mastodonsim.PostOpts{Text: "@tootops " + text, Visibility: "direct"})
}

// call makes an API request and returns the response with its body read.
func call(t *testing.T, method, u, tok string, body io.Reader, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, u, err)
	}
	return resp, b
}

func form(kv ...string) io.Reader {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return strings.NewReader(v.Encode())
}

// decode unmarshals b into a value of type T, failing the test otherwise.
func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("decode %T from %s: %v", v, b, err)
	}
	return v
}

func wantStatus(t *testing.T, resp *http.Response, body []byte, want int) {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: status %d, want %d; body %s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, body)
	}
}

func wantError(t *testing.T, resp *http.Response, body []byte, code int, msg string) {
	t.Helper()
	wantStatus(t, resp, body, code)
	if got := decode[map[string]any](t, body)["error"]; got != msg {
		t.Errorf("error = %q, want %q", got, msg)
	}
}

// sse is an open SSE stream whose lines arrive on a channel.
type sse struct {
	resp  *http.Response
	lines chan string
	err   chan error // the read error at the end of the stream
}

func openSSE(t *testing.T, w *world, path, tok string) *sse {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	s := &sse{resp: resp, lines: make(chan string, 1024), err: make(chan error, 1)}
	go func() {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			s.lines <- sc.Text()
		}
		err := sc.Err()
		if err == nil {
			err = io.EOF
		}
		s.err <- err
		close(s.lines)
	}()
	return s
}

// next returns the next line, failing the test after the wait limit.
func (s *sse) next(t *testing.T) (string, bool) {
	t.Helper()
	return s.nextBefore(t, time.Now().Add(wait))
}

func (s *sse) nextBefore(t *testing.T, deadline time.Time) (string, bool) {
	t.Helper()
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case l, ok := <-s.lines:
		return l, ok
	case <-timer.C:
		t.Fatal("timed out waiting on the SSE stream")
		return "", false
	}
}

// event skips heartbeats and returns the next event's name and data,
// failing the test if none comes within the wait limit.
func (s *sse) event(t *testing.T) (name, data string) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		l, ok := s.nextBefore(t, deadline)
		if !ok {
			t.Fatalf("SSE stream ended while waiting for an event: %v", <-s.err)
		}
		switch {
		case strings.HasPrefix(l, "event: "):
			name = strings.TrimPrefix(l, "event: ")
		case strings.HasPrefix(l, "data: "):
			return name, strings.TrimPrefix(l, "data: ")
		}
	}
}

// end waits for the stream to end and returns the read error.
func (s *sse) end(t *testing.T) error {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		if _, ok := s.nextBefore(t, deadline); !ok {
			return <-s.err
		}
	}
}

// waitStreams waits until the server sees n open stream connections of
// acct subscribed to stream.
func waitStreams(t *testing.T, w *world, acct *mastodonsim.Account, stream string, n int) {
	t.Helper()
	err := w.srv.WaitFor(w.ctx, func() bool {
		got := 0
		for _, si := range w.srv.Streams() {
			for _, name := range si.Streams {
				if si.Account == acct && name == stream {
					got++
				}
			}
		}
		return got == n
	})
	if err != nil {
		t.Fatalf("waiting for %d %q stream(s) of %s: %v (have %+v)", n, stream, acct.Acct, err, w.srv.Streams())
	}
}
