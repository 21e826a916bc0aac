package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestHealthcheck(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz":
			if r.Method != http.MethodGet {
				http.Error(w, "want GET", http.StatusMethodNotAllowed)
				return
			}
			_, _ = w.Write([]byte("ok\n"))
		case "/sick":
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("{\"mastodon\": \"stream down\",\n \"state\": \"ok\"}\n" + strings.Repeat("x", 1000)))
		case "/moved":
			http.Redirect(w, r, "/healthz", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	code, out, errOut := invoke(t, "", "healthcheck", "--url", srv.URL+"/healthz")
	if code != 0 || !strings.Contains(out, "200 OK") || errOut != "" {
		t.Errorf("healthy: exit %d, stdout %q, stderr %q; want 0 and 200 OK", code, out, errOut)
	}

	code, out, errOut = invoke(t, "", "healthcheck", "--url", srv.URL+"/sick")
	if code != 1 || out != "" || !strings.Contains(errOut, "503 Service Unavailable") ||
		!strings.Contains(errOut, `"mastodon": "stream down", "state": "ok"`) || strings.Count(errOut, "\n") != 1 ||
		len(errOut) > 400 {
		t.Errorf("503: exit %d, stdout %q, stderr %q; want 1 and the status with the start of the body on one line", code, out, errOut)
	}

	code, _, errOut = invoke(t, "", "healthcheck", "--url", srv.URL+"/moved")
	if code != 1 || !strings.Contains(errOut, "302 Found") {
		t.Errorf("redirect: exit %d, stderr %q; want 1 and 302 Found (not followed)", code, errOut)
	}

	code, _, errOut = invoke(t, "", "healthcheck", "--url", srv.URL+"/nope")
	if code != 1 || !strings.Contains(errOut, "404 Not Found") {
		t.Errorf("404: exit %d, stderr %q", code, errOut)
	}
}

func TestHealthcheckNothingListening(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	code, _, errOut := invoke(t, "", "healthcheck", "--url", "http://"+addr+"/healthz")
	if code != 1 || !strings.Contains(errOut, "connection refused") || !strings.Contains(errOut, "[http] listen") {
		t.Errorf("exit %d, stderr %q; want 1 and connection refused with a hint", code, errOut)
	}
}

func TestHealthcheckTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	old := healthcheckTimeout
	healthcheckTimeout = 200 * time.Millisecond
	defer func() { healthcheckTimeout = old }()

	start := time.Now()
	code, _, errOut := invoke(t, "", "healthcheck", "--url", srv.URL+"/healthz")
	if code != 1 || !strings.Contains(errOut, "no answer within 200ms") {
		t.Errorf("exit %d, stderr %q; want 1 and no answer within 200ms", code, errOut)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s; the timeout is 200ms", d)
	}
}

func TestHealthcheckUsage(t *testing.T) {
	for _, u := range []string{"127.0.0.1:9102/healthz", "ftp://127.0.0.1/healthz", "http:///healthz", "::"} {
		code, _, errOut := invoke(t, "", "healthcheck", "--url", u)
		if code != 2 || !strings.Contains(errOut, "absolute http or https URL") {
			t.Errorf("--url %q: exit %d, stderr %q; want 2", u, code, errOut)
		}
	}
	if code, _, _ := invoke(t, "", "healthcheck", "extra"); code != 2 {
		t.Errorf("an extra argument: exit %d, want 2", code)
	}
	code, out, _ := invoke(t, "", "help")
	if code != 0 || !strings.Contains(out, "healthcheck") {
		t.Errorf("usage does not name healthcheck: %q", out)
	}
	code, out, _ = invoke(t, "", "healthcheck", "--help")
	if code != 0 || !strings.Contains(out, defaultHealthURL) {
		t.Errorf("healthcheck --help: exit %d, %q; want the default URL", code, out)
	}
}
