package ops_test

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/ops"
)

// TestNetCause makes real failed requests on loopback and checks the words for each.
func TestNetCause(t *testing.T) {
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	untrusted := httptest.NewUnstartedServer(http.NotFoundHandler())
	untrusted.Config.ErrorLog = log.New(io.Discard, "", 0) // the client's refusal is the point
	untrusted.StartTLS()
	t.Cleanup(untrusted.Close)

	closed := listen(t)
	closedAddr := closed.Addr().String()
	closed.Close()

	silent := listen(t) // accepts, never answers
	go func() {
		var held []net.Conn
		defer func() {
			for _, c := range held {
				c.Close()
			}
		}()
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	t.Cleanup(func() { silent.Close() })

	hangUp := listen(t) // reads the request, closes without a word
	go func() {
		for {
			c, err := hangUp.Accept()
			if err != nil {
				return
			}
			_, _ = c.Read(make([]byte, 4096))
			c.Close()
		}
	}()
	t.Cleanup(func() { hangUp.Close() })

	for _, tc := range []struct {
		name, url, cause, hint string
	}{
		{"refused", "http://" + closedAddr + "/", "connection refused by " + closedAddr, "nothing listens there"},
		{"https to plain HTTP", strings.Replace(plain.URL, "http://", "https://", 1) + "/", "TLS: the server does not speak TLS there", "use http://"},
		{"untrusted certificate", untrusted.URL + "/", "TLS: certificate signed by unknown authority", "private CA"},
		{"no answer", "http://" + silent.Addr().String() + "/", "no answer in time", "firewall"},
		{"closed without answering", "http://" + hangUp.Addr().String() + "/", "the server closed the connection without answering", "proxy or firewall"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &http.Client{Timeout: 300 * time.Millisecond}
			resp, err := c.Get(tc.url)
			if err == nil {
				resp.Body.Close()
				t.Fatalf("GET %s answered %s", tc.url, resp.Status)
			}
			cause, hint, ok := ops.NetCause(err)
			if !ok || cause != tc.cause || !strings.Contains(hint, tc.hint) {
				t.Errorf("NetCause(%v) = %q, %q, %v; want %q, …%q…", err, cause, hint, ok, tc.cause, tc.hint)
			}
		})
	}

	if _, _, ok := ops.NetCause(&ops.Error{Msg: "disk full"}); ok {
		t.Error("NetCause took a non-network error for one")
	}
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return l
}
