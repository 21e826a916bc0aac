package bot_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/ops/backup"
	"github.com/tootops/tootops/state"
)

// logBuffer collects log lines that a test reads while the bot still writes.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// health is a /healthz answer.
type health struct {
	code    int
	Status  string            `json:"status"`
	Checks  map[string]string `json:"checks"`
	Failing []string          `json:"failing"`
}

func getHealth(t *testing.T, base string) health {
	t.Helper()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	h := health{code: resp.StatusCode}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatalf("/healthz body: %v", err)
	}
	return h
}

// waitHealth polls /healthz until it answers code with the stream check want.
func waitHealth(t *testing.T, base string, code int, want string) health {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		h := getHealth(t, base)
		if h.code == code && h.Checks["stream"] == want {
			return h
		}
		if time.Now().After(deadline) {
			t.Fatalf("/healthz is %d %+v, want %d with stream %q", h.code, h, code, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// scrape reads /metrics as Prometheus does.
func scrape(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %s", resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// value is the sample of name whose labels include labels (name=value pairs), and
// whether there is one.
func value(fams map[string]*dto.MetricFamily, name string, labels ...string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for i := 0; i+1 < len(labels); i += 2 {
			if have[labels[i]] != labels[i+1] {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Untyped != nil:
			return m.Untyped.GetValue(), true
		}
	}
	return 0, false
}

// expectValues checks samples: name, then label pairs, then the value wanted.
func expectValues(t *testing.T, fams map[string]*dto.MetricFamily, want []struct {
	name   string
	labels []string
	value  float64
}) {
	t.Helper()
	for _, w := range want {
		got, ok := value(fams, w.name, w.labels...)
		if !ok || got != w.value {
			t.Errorf("%s%v = %v (present %v), want %v", w.name, w.labels, got, ok, w.value)
		}
	}
}

var listening = regexp.MustCompile(`"addr":"([^"]+)","message":"http listening`)

// daemon is bot.Run against the imitation, its endpoint on a free loopback port.
type daemon struct {
	base   string
	log    *logBuffer
	cancel context.CancelFunc
	done   chan error
}

func startDaemon(t *testing.T, in *instance, cmds []commands.Command) *daemon {
	t.Helper()
	store, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	cfg := config.Default()
	cfg.Mastodon = &config.Mastodon{Server: in.srv.URL, AccessToken: config.NewSecret(in.token), StaleAfter: config.Duration(10 * time.Minute)}
	cfg.Admins.Accounts = []string{in.alice.FullAcct()}
	cfg.HTTP.Listen = "127.0.0.1:0"
	d := &daemon{log: &logBuffer{}, done: make(chan error, 1)}
	var ctx context.Context
	ctx, d.cancel = context.WithCancel(context.Background())
	t.Cleanup(d.cancel)
	o := bot.Options{Log: zerolog.New(d.log), Store: store, Config: &cfg, LocalDomain: in.srv.Domain, Info: bot.Info{Version: "test", Started: time.Now()}, Commands: cmds}
	go func() { d.done <- bot.Run(ctx, o) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if m := listening.FindStringSubmatch(d.log.String()); m != nil {
			d.base = "http://" + m[1]
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("no \"http listening\" line:\n%s", d.log.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (d *daemon) stop(t *testing.T) {
	t.Helper()
	d.cancel()
	select {
	case err := <-d.done:
		if err != nil {
			t.Errorf("run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("run did not stop")
	}
}

// The daemon's /healthz follows the stream, and its /metrics count what the admins did.
func TestDaemonHealthAndMetrics(t *testing.T) {
	in := newInstance(t)
	release := make(chan struct{})
	cmds := []commands.Command{
		{Name: "hold", Summary: "runs until released", Run: func(ctx context.Context, _ *commands.Request) (string, error) {
			select {
			case <-release:
				return "released", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}},
		{Name: "boom", Summary: "fails", Run: func(context.Context, *commands.Request) (string, error) {
			return "", errors.New("boom")
		}},
	}
	d := startDaemon(t, in, cmds)
	h := waitHealth(t, d.base, http.StatusOK, "websocket connected")
	if h.Status != "ok" || h.Checks["store"] != "writable" || h.Checks["scheduler"] != "alive" || len(h.Failing) != 0 {
		t.Errorf("/healthz %+v", h)
	}

	in.waitReply(t, in.dm(in.alice, "ping"))
	in.waitReply(t, in.dm(in.alice, "boom"))
	in.waitReply(t, in.dm(in.alice, "nonsense"))
	in.waitReply(t, in.dm(in.alice, "announce hello"))
	in.waitReply(t, in.dm(in.alice, "yes"))
	hold := in.dm(in.alice, "hold")
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(10 * time.Second)
	for {
		fams = scrape(t, d.base)
		running, _ := value(fams, "tootops_jobs_running")
		posted, _ := value(fams, "tootops_posts_total", "kind", "post")
		// A reply the test saw may still be on its way back to the bot: wait for all 5.
		replied, _ := value(fams, "tootops_posts_total", "kind", "reply")
		if running == 1 && posted == 1 && replied >= 5 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("jobs running %v, posts %v, replies %v: want the hold job running, the announcement posted and 5 replies", running, posted, replied)
		}
		time.Sleep(20 * time.Millisecond)
	}
	expectValues(t, fams, []struct {
		name   string
		labels []string
		value  float64
	}{
		{"tootops_commands_total", []string{"command", "ping", "outcome", "ok"}, 1},
		{"tootops_commands_total", []string{"command", "boom", "outcome", "failed"}, 1},
		{"tootops_commands_total", []string{"command", "unknown", "outcome", "not_understood"}, 1},
		{"tootops_commands_total", []string{"command", "announce", "outcome", "proposed"}, 1},
		{"tootops_commands_total", []string{"command", "yes", "outcome", "ok"}, 1},
		{"tootops_stream_connected", nil, 1},
		{"tootops_stream_mode", []string{"mode", "websocket"}, 1},
		{"tootops_stream_mode", []string{"mode", "sse"}, 0},
		{"tootops_stream_reconnects_total", nil, 0},
		{"tootops_posts_total", []string{"kind", "edit"}, 0},
	})
	if n, ok := value(fams, "tootops_mastodon_ratelimit_remaining"); !ok || n <= 0 {
		t.Errorf("rate limit remaining %v (present %v), want a positive figure", n, ok)
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
	if _, ok := fams["tootops_backup_last_size_bytes"]; ok {
		t.Error("backup metrics without [backup]")
	}
	close(release)
	in.waitReply(t, hold)

	// The streaming server goes away: once the stream is down, /healthz says so.
	in.srv.Faults.FailNext(1000, http.StatusBadGateway, "/api/v1/streaming")
	in.srv.Faults.DropStreams()
	h = waitHealth(t, d.base, http.StatusServiceUnavailable, "websocket disconnected, reconnecting")
	if h.Status != "failing" || fmt.Sprint(h.Failing) != "[stream]" || h.Checks["store"] != "writable" {
		t.Errorf("/healthz %+v, want only the stream failing", h)
	}
	// The reconnect is counted when it is tried, after a backoff.
	for deadline := time.Now().Add(10 * time.Second); ; {
		fams = scrape(t, d.base)
		n, _ := value(fams, "tootops_stream_reconnects_total")
		if n >= 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%v reconnects, want at least 1", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
	expectValues(t, fams, []struct {
		name   string
		labels []string
		value  float64
	}{
		{"tootops_stream_connected", nil, 0},
		{"tootops_commands_total", []string{"command", "hold", "outcome", "ok"}, 1},
		{"tootops_jobs_running", nil, 0},
	})
	for _, path := range []string{"/healthz", "/metrics", "/", "/config"} {
		resp, err := http.Get(d.base + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if strings.Contains(string(body), in.token) {
			t.Errorf("%s shows the access token", path)
		}
		if (path == "/" || path == "/config") && resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %s, want 404", path, resp.Status)
		}
	}

	d.stop(t)
	if _, err := http.Get(d.base + "/healthz"); err == nil {
		t.Error("the endpoint still answers after the bot stopped")
	}
	if n := strings.Count(d.log.String(), "http listening"); n != 1 {
		t.Errorf("%d \"http listening\" lines, want 1", n)
	}
}

// Under the console there is no stream and no schedule; a state file that no longer
// takes a write fails /healthz.
func TestConsoleHealthNamesAClosedStore(t *testing.T) {
	c := &clock{t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)}
	store, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Admins.Accounts = []string{admin}
	b, err := bot.New(bot.Options{Log: zerolog.Nop(), Store: store, Config: &cfg, Now: c.now, Info: bot.Info{Version: "test", Started: c.now()}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := b.StartHTTP("127.0.0.1:0", "console")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		_ = b.Close(ctx)
		_ = store.Close()
	})
	base := "http://" + srv.Addr().String()
	resp, err := http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	const want = `{"status":"ok","checks":{"stream":"not used (console)","store":"writable","scheduler":"not used (console)"}}` + "\n"
	if resp.StatusCode != http.StatusOK || string(body) != want {
		t.Errorf("/healthz %s %s, want 200 %s", resp.Status, body, want)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}
	if h := getHealth(t, base); h.code != http.StatusOK {
		t.Errorf("/healthz wrote again within 10s: %+v", h)
	}
	c.add(11 * time.Second)
	h := getHealth(t, base)
	if h.code != http.StatusServiceUnavailable || fmt.Sprint(h.Failing) != "[store]" || h.Checks["store"] != "not writable: database not open" {
		t.Errorf("/healthz %d %+v, want 503 naming the store", h.code, h)
	}
}

// Commands run through Handle are counted by command and outcome; the console has no
// Mastodon metrics, and [backup] brings the catalogue's: the newest successful backup.
func TestConsoleMetricsCountCommands(t *testing.T) {
	store, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	finished := time.Date(2026, 11, 24, 3, 12, 30, 0, time.UTC)
	cat := backup.NewCatalogue(store)
	for _, r := range []backup.Record{
		{Key: "mastodon_production/2026-11-23", Database: "mastodon_production", Status: backup.OK, Started: finished.Add(-24 * time.Hour), Finished: finished.Add(-24 * time.Hour), Size: 1000},
		{Key: "mastodon_production/2026-11-24", Database: "mastodon_production", Status: backup.OK, Started: finished.Add(-10 * time.Minute), Finished: finished, Size: 123456789},
		{Key: "mastodon_production/2026-11-25", Database: "mastodon_production", Status: backup.Failed, Started: finished.Add(24 * time.Hour)},
		{Key: "other/2026-11-26", Database: "other", Status: backup.OK, Started: finished.Add(48 * time.Hour), Finished: finished.Add(48 * time.Hour), Size: 7},
	} {
		if err := cat.Put(r); err != nil {
			t.Fatal(err)
		}
	}
	cfg := config.Default()
	cfg.Admins.Accounts = []string{admin}
	cfg.Backup = &config.Backup{Database: "mastodon_production"}
	release := make(chan struct{})
	defer close(release)
	b, err := bot.New(bot.Options{Log: zerolog.Nop(), Store: store, Config: &cfg, Info: bot.Info{Version: "test", Started: time.Now()},
		Commands: []commands.Command{{Name: "hold", Summary: "runs until cancelled", Run: func(ctx context.Context, _ *commands.Request) (string, error) {
			select {
			case <-release:
				return "released", nil
			case <-ctx.Done():
				return "", ctx.Err()
			}
		}}}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := b.StartHTTP("127.0.0.1:0", "console")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Close(ctx)
		_ = b.Close(ctx)
		_ = store.Close()
	})
	base := "http://" + srv.Addr().String()

	tr := &recorder{}
	send(t, b, tr, admin, "ping")
	send(t, b, tr, admin, "ping")
	send(t, b, tr, admin, "pnig")
	send(t, b, tr, "mallory@evil.example", "ping")
	done, err := b.Handle(context.Background(), tr, bot.Message{ID: "h", Sender: bot.Account{Acct: admin}, Text: "hold", At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := value(scrape(t, base), "tootops_jobs_running"); n != 1 {
		t.Errorf("%v jobs running, want 1", n)
	}
	send(t, b, tr, admin, "cancel 1")
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("hold was not cancelled")
	}

	fams := scrape(t, base)
	expectValues(t, fams, []struct {
		name   string
		labels []string
		value  float64
	}{
		{"tootops_commands_total", []string{"command", "ping", "outcome", "ok"}, 2},
		{"tootops_commands_total", []string{"command", "unknown", "outcome", "not_understood"}, 1},
		{"tootops_commands_total", []string{"command", "unknown", "outcome", "refused"}, 1},
		{"tootops_commands_total", []string{"command", "hold", "outcome", "cancelled"}, 1},
		{"tootops_commands_total", []string{"command", "cancel", "outcome", "ok"}, 1},
		{"tootops_jobs_running", nil, 0},
		{"tootops_backup_last_success_timestamp_seconds", nil, float64(finished.Unix())},
		{"tootops_backup_last_size_bytes", nil, 123456789},
	})
	for _, name := range []string{"tootops_stream_connected", "tootops_stream_mode", "tootops_stream_reconnects_total", "tootops_posts_total", "tootops_mastodon_ratelimit_remaining"} {
		if _, ok := fams[name]; ok {
			t.Errorf("%s under the console, which has no Mastodon", name)
		}
	}
}

// The endpoint is on loopback unless the config says otherwise, and off when it says "".
func TestHTTPListensOnLoopbackByDefault(t *testing.T) {
	host, port, err := net.SplitHostPort(config.Default().HTTP.Listen)
	if err != nil || host != "127.0.0.1" || port != "9102" {
		t.Fatalf("default [http] listen %q, want 127.0.0.1:9102", config.Default().HTTP.Listen)
	}
	b, _ := newBotWith(t, func(*config.Config) {})
	// The default host with a free port, so the test never fights over 9102.
	srv, err := b.StartHTTP(net.JoinHostPort(host, "0"), "run")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = srv.Close(context.Background()) }()
	addr, ok := srv.Addr().(*net.TCPAddr)
	if !ok || !addr.IP.IsLoopback() || addr.IP.String() != "127.0.0.1" {
		t.Errorf("listening on %v, want 127.0.0.1", srv.Addr())
	}
	off, err := b.StartHTTP("", "run")
	if off != nil || err != nil {
		t.Errorf(`StartHTTP("") = %v, %v; want nothing started`, off, err)
	}
	if err := off.Close(context.Background()); err != nil {
		t.Errorf("Close of no server: %v", err)
	}
}
