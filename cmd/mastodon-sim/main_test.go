package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tootops/tootops/mastodonsim"
)

// syncBuffer is a bytes.Buffer safe for the concurrent writes of run.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs the command in the background and returns its server.
func start(t *testing.T, args ...string) (*mastodonsim.Server, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan *mastodonsim.Server, 1)
	done := make(chan error, 1)
	var out, errOut syncBuffer
	go func() { done <- run(ctx, args, &out, &errOut, func(s *mastodonsim.Server) { ready <- s }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not stop")
		}
	})
	select {
	case s := <-ready:
		return s, &out
	case err := <-done:
		t.Fatalf("run failed: %v\n%s", err, errOut.String())
	case <-time.After(10 * time.Second):
		t.Fatal("server did not start")
	}
	return nil, nil
}

func get(t *testing.T, url, tok string) (int, []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

func TestRunEndToEnd(t *testing.T) {
	tokFile := filepath.Join(t.TempDir(), "tok")
	srv, out := start(t, "--listen", "127.0.0.1:0", "--bot", "tootops", "--admin", "alice", "--admin", "bob",
		"--token-file", tokFile, "--bot-follows-admins", "--log-requests=false")
	if !strings.Contains(out.String(), srv.URL) {
		t.Errorf("output %q does not show the URL", out.String())
	}
	raw, err := os.ReadFile(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	tok := strings.TrimSpace(string(raw))
	if strings.Contains(out.String(), tok) {
		t.Error("the token was printed although --token-file was given")
	}
	code, body := get(t, srv.URL+"/api/v1/accounts/verify_credentials", tok)
	if code != 200 || !strings.Contains(string(body), `"acct":"tootops"`) {
		t.Fatalf("verify_credentials with the written token: %d %s", code, body)
	}

	resp, err := http.Post(srv.URL+"/_sim/dm?from=alice", "text/plain", strings.NewReader("ps"))
	if err != nil {
		t.Fatal(err)
	}
	dm, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(dm), `"visibility":"direct"`) {
		t.Fatalf("/_sim/dm: %d %s", resp.StatusCode, dm)
	}
	var st struct{ ID string }
	if err := json.Unmarshal(dm, &st); err != nil {
		t.Fatal(err)
	}
	// The bot follows the admins, so the DM is not filtered.
	code, body = get(t, srv.URL+"/api/v1/notifications?types[]=mention", tok)
	if code != 200 || !strings.Contains(string(body), st.ID) {
		t.Fatalf("notifications: %d %s", code, body)
	}

	// The bot answers through the API; /_sim/statuses lists it.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/api/v1/statuses", strings.NewReader("status=%40alice+pong&visibility=direct&in_reply_to_id="+st.ID))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	code, body = get(t, srv.URL+"/_sim/statuses", "")
	var posted []struct {
		Text        string   `json:"text"`
		Visibility  string   `json:"visibility"`
		InReplyToID string   `json:"in_reply_to_id"`
		Mentions    []string `json:"mentions"`
	}
	if err := json.Unmarshal(body, &posted); err != nil || code != 200 {
		t.Fatalf("/_sim/statuses: %d %s %v", code, body, err)
	}
	if len(posted) != 1 || posted[0].Text != "@alice pong" || posted[0].Visibility != "direct" || posted[0].InReplyToID != st.ID || len(posted[0].Mentions) != 1 {
		t.Errorf("/_sim/statuses = %+v", posted)
	}
}

func TestRunPrintsTokenWithoutFile(t *testing.T) {
	srv, out := start(t, "--listen", "127.0.0.1:0", "--admin", "alice", "--log-requests=false")
	_, tok, ok := strings.Cut(out.String(), "token: ")
	if !ok {
		t.Fatalf("no token in %q", out.String())
	}
	tok, _, _ = strings.Cut(tok, "\n")
	if code, _ := get(t, srv.URL+"/api/v1/accounts/verify_credentials", tok); code != 200 {
		t.Errorf("printed token rejected: %d", code)
	}
}

func TestRunRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:3000", ":3000", "192.168.1.10:3000", "example.com:3000"} {
		err := run(context.Background(), []string{"--listen", addr}, io.Discard, io.Discard, nil)
		if !errors.Is(err, errUsage) || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("--listen %s: err = %v, want a loopback usage error", addr, err)
		}
	}
	if err := run(context.Background(), []string{"--remote", "nodomain"}, io.Discard, io.Discard, nil); !errors.Is(err, errUsage) {
		t.Errorf("--remote nodomain: err = %v, want a usage error", err)
	}
}
