package status_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/ops/status"
)

type hostFunc func() (status.Load, error)

func (f hostFunc) Load() (status.Load, error) { return f() }
func (f hostFunc) Memory() (status.Memory, error) {
	return status.Memory{Total: 8e9, Available: 5e8}, nil
}

type diskFunc func(string) (status.DiskUsage, error)

func (f diskFunc) Usage(p string) (status.DiskUsage, error) { return f(p) }

// TestReportSurvivesItsParts: a part that panics, one that never answers and one over
// its thresholds each give their line, in order, and the report comes in time.
func TestReportSurvivesItsParts(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	r := status.New(status.Options{
		DiskPaths: []string{"/hung", "/fine"},
		Disks: diskFunc(func(p string) (status.DiskUsage, error) {
			if p == "/hung" {
				<-release
			}
			return status.DiskUsage{Total: 100e9, Used: 10e9, Free: 90e9}, nil
		}),
		Host:    hostFunc(func() (status.Load, error) { panic("boom") }),
		Timeout: 100 * time.Millisecond,
		Now:     func() time.Time { return time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC) },
	})
	start := time.Now()
	got := r.Report(context.Background()).String()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s", d)
	}
	want := "status 2026-11-24 12:00 UTC: ✗ disk /hung, load\n" +
		"✗ disk /hung: no answer within 100ms\n" +
		"✓ disk /fine 10% used (90 GB free of 100 GB)\n" +
		"✗ load: internal error (the bot's log has the details)"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}

	r = status.New(status.Options{
		DiskPaths: []string{},
		Host:      hostFunc(func() (status.Load, error) { return status.Load{One: 9, Five: 5.5, Fifteen: 3, CPUs: 4}, nil }),
	})
	if l, _ := r.Report(context.Background()).Line("host"); l.String() != "⚠ load 9.00 5.50 3.00 on 4 CPUs (over 1 per CPU) · memory 500 MB of 8.0 GB available — under 10%" {
		t.Errorf("host line %q", l)
	}
}

func TestReportCancelled(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	ctx, cancel := context.WithCancel(context.Background())
	r := status.New(status.Options{
		DiskPaths: []string{"/hung"},
		Disks:     diskFunc(func(string) (status.DiskUsage, error) { <-release; return status.DiskUsage{}, nil }),
		Host:      hostFunc(func() (status.Load, error) { return status.Load{}, nil }),
	})
	time.AfterFunc(50*time.Millisecond, cancel)
	got := r.Report(ctx)
	if l, _ := got.Line("disk"); l.String() != "✗ disk /hung: cancelled" {
		t.Errorf("disk line %q", l)
	}
}

func TestHTTPPinger(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/health":
			_, _ = w.Write([]byte("OK"))
		case "/api/v1/streaming/health":
			_, _ = w.Write([]byte(`{"status":"UP"}`))
		default:
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	p := &status.HTTPPinger{}
	ctx := context.Background()
	for _, path := range []string{"/health", "/api/v1/streaming/health"} {
		if err := p.Ping(ctx, srv.URL+path); err != nil {
			t.Errorf("%s: %v", path, err)
		}
	}
	if err := p.Ping(ctx, srv.URL+"/down"); err == nil || err.Error() != "answered 503 Service Unavailable" {
		t.Errorf("503: %v", err)
	}
	addr := srv.Listener.Addr().String()
	srv.Close()
	if err := p.Ping(ctx, "http://"+addr+"/health"); err == nil || !strings.HasSuffix(err.Error(), "connection refused") {
		t.Errorf("closed port: %v", err)
	}
	r := status.New(status.Options{WebURL: "http://" + addr, StreamingURL: "http://" + addr + "/", DiskPaths: []string{}})
	if l, _ := r.Report(ctx).Line("health"); l.String() != "✗ web /health: cannot reach http://"+addr+"/health: connection refused; streaming: cannot reach http://"+addr+"/api/v1/streaming/health: connection refused" {
		t.Errorf("health line %q", l)
	}
}
