package certs_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tootops/tootops/ops/certs"
	"github.com/tootops/tootops/ops/certs/certstest"
)

var now = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

func clock() time.Time { return now }

func TestCheck(t *testing.T) {
	coop := certstest.NewCoop(t, now)
	o := certs.Options{Roots: coop.CA.Pool(), Now: clock, Dialer: coop.Dialer}
	day := 24 * time.Hour
	tests := []struct {
		host     string
		severity certs.Severity
		problem  string
		daysLeft int
		notAfter time.Time
		subject  string
		dnsNames []string
		issuer   string
	}{
		{"social.example.coop", certs.OK, "", 63, now.Add(63 * day), "social.example.coop", []string{"social.example.coop"}, "Let's Encrypt R11"},
		{"streaming.social.example.coop:443", certs.Warn, "expires in 5 days", 5, now.Add(5 * day), "streaming.social.example.coop", []string{"streaming.social.example.coop"}, "Let's Encrypt R11"},
		{"old.example.coop", certs.Bad, "expired 3 days ago", -3, now.Add(-3 * day), "old.example.coop", []string{"old.example.coop"}, "Let's Encrypt R11"},
		{"wrong.example", certs.Bad, "not valid for wrong.example (valid for other.example)", 80, now.Add(80 * day), "other.example", []string{"other.example"}, "Let's Encrypt R11"},
		{"self.example", certs.Bad, "self-signed or unknown authority", 355, now.Add(355 * day), "self.example", []string{"self.example"}, ""},
		{"down.example.coop", certs.Bad, "cannot connect: connection refused", 0, time.Time{}, "", nil, ""},
		{"nowhere.example.coop", certs.Bad, "cannot connect: no such host", 0, time.Time{}, "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			r := certs.Check(context.Background(), tt.host, o)
			name, port, err := net.SplitHostPort(tt.host)
			if err != nil {
				name, port = tt.host, "443"
			}
			if got, want := r.Host, tt.host; got != want {
				t.Errorf("Host = %q, want %q", got, want)
			}
			if got, want := r.Addr, name+":"+port; got != want {
				t.Errorf("Addr = %q, want %q", got, want)
			}
			if got, want := r.Severity, tt.severity; got != want {
				t.Errorf("Severity = %v, want %v", got, want)
			}
			if got, want := r.Problem, tt.problem; got != want {
				t.Errorf("Problem = %q, want %q", got, want)
			}
			if got, want := r.DaysLeft, tt.daysLeft; got != want {
				t.Errorf("DaysLeft = %d, want %d", got, want)
			}
			if got, want := r.NotAfter, tt.notAfter; !got.Equal(want) {
				t.Errorf("NotAfter = %v, want %v", got, want)
			}
			if got, want := r.Subject, tt.subject; got != want {
				t.Errorf("Subject = %q, want %q", got, want)
			}
			if got, want := r.DNSNames, tt.dnsNames; !slices.Equal(got, want) {
				t.Errorf("DNSNames = %q, want %q", got, want)
			}
			// The self-signed certificate is its own issuer, named by nothing but its CN.
			if tt.host == "self.example" {
				tt.issuer = "self.example"
			}
			if got, want := r.Issuer, tt.issuer; got != want {
				t.Errorf("Issuer = %q, want %q", got, want)
			}
			// The client asked for the host's own name, not the loopback address it reached.
			if s := coop.Servers[name]; s != nil {
				if got := s.SNI(); len(got) != 1 || got[0] != name {
					t.Errorf("SNI = %q, want [%q]", got, name)
				}
			}
		})
	}
}

// TestCheckTrustsNothingByDefault: without the test CA among the roots, a certificate the
// test CA signed is rejected like any unknown authority, and one expiring soon is not
// mistaken for a warning.
func TestCheckTrustsNothingByDefault(t *testing.T) {
	coop := certstest.NewCoop(t, now)
	for _, host := range []string{"social.example.coop", "streaming.social.example.coop:443"} {
		r := certs.Check(context.Background(), host, certs.Options{Now: clock, Dialer: coop.Dialer})
		if got, want := r.Problem, "self-signed or unknown authority"; got != want || r.Severity != certs.Bad {
			t.Errorf("%s: %v %q, want bad %q", host, r.Severity, got, want)
		}
	}
}

func TestCheckWarnDays(t *testing.T) {
	coop := certstest.NewCoop(t, now)
	for _, tt := range []struct {
		warnDays int
		severity certs.Severity
		problem  string
	}{
		{0, certs.OK, ""},  // the default, 14
		{63, certs.OK, ""}, // 63 days left is not fewer than 63
		{64, certs.Warn, "expires in 63 days"},
		{365, certs.Warn, "expires in 63 days"},
	} {
		r := certs.Check(context.Background(), "social.example.coop", certs.Options{Roots: coop.CA.Pool(), Now: clock, Dialer: coop.Dialer, WarnDays: tt.warnDays})
		if r.Severity != tt.severity || r.Problem != tt.problem {
			t.Errorf("warn days %d: %v %q, want %v %q", tt.warnDays, r.Severity, r.Problem, tt.severity, tt.problem)
		}
	}
}

func TestCheckDateEdges(t *testing.T) {
	ca := certstest.NewCA(t, "Example CA", "Example CA E1", now)
	hour := time.Hour
	d := certstest.Dialer{
		"soon.example":   certstest.Serve(t, ca.Leaf(t, []string{"soon.example"}, now.Add(-hour), now.Add(hour))).Addr,
		"one.example":    certstest.Serve(t, ca.Leaf(t, []string{"one.example"}, now.Add(-hour), now.Add(36*hour))).Addr,
		"gone.example":   certstest.Serve(t, ca.Leaf(t, []string{"gone.example"}, now.Add(-48*hour), now.Add(-hour))).Addr,
		"future.example": certstest.Serve(t, ca.Leaf(t, []string{"future.example"}, now.Add(48*hour), now.Add(90*24*hour))).Addr,
	}
	for host, want := range map[string]string{
		"soon.example":   "expires today",
		"one.example":    "expires in 1 day",
		"gone.example":   "expired today",
		"future.example": "not valid before 2026-11-26",
	} {
		r := certs.Check(context.Background(), host, certs.Options{Roots: ca.Pool(), Now: clock, Dialer: d})
		if r.Problem != want {
			t.Errorf("%s: Problem = %q, want %q", host, r.Problem, want)
		}
		if r.Issuer != "Example CA E1" {
			t.Errorf("%s: Issuer = %q, want the CN alone when it starts like the organization", host, r.Issuer)
		}
	}
}

func TestCheckManyNames(t *testing.T) {
	ca := certstest.NewCA(t, "Example CA", "E1", now)
	names := []string{"a.example", "b.example", "c.example", "d.example", "e.example"}
	d := certstest.Dialer{"x.example": certstest.Serve(t, ca.Leaf(t, names, now.Add(-time.Hour), now.Add(900*time.Hour))).Addr}
	r := certs.Check(context.Background(), "x.example", certs.Options{Roots: ca.Pool(), Now: clock, Dialer: d})
	if got, want := r.Problem, "not valid for x.example (valid for a.example, b.example, c.example and 2 more)"; got != want {
		t.Errorf("Problem = %q, want %q", got, want)
	}
	if got, want := r.Issuer, "Example CA E1"; got != want {
		t.Errorf("Issuer = %q, want %q", got, want)
	}
}

func TestCheckTimeout(t *testing.T) {
	d := certstest.Dialer{"silent.example": certstest.SilentAddr(t)}
	start := time.Now()
	r := certs.Check(context.Background(), "silent.example", certs.Options{Now: clock, Dialer: d, Timeout: 200 * time.Millisecond})
	if got, want := r.Problem, "cannot connect: TLS handshake: timed out after 200ms"; got != want || r.Severity != certs.Bad {
		t.Errorf("%v %q, want bad %q", r.Severity, got, want)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
}

func TestCheckCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	d := certstest.Dialer{"silent.example": certstest.SilentAddr(t)}
	r := certs.Check(ctx, "silent.example", certs.Options{Dialer: d})
	if got, want := r.Problem, "cannot connect: cancelled"; got != want {
		t.Errorf("Problem = %q, want %q", got, want)
	}
}

// countingDialer records how many connections are open at once.
type countingDialer struct {
	certstest.Dialer
	mu        sync.Mutex
	open, max int
}

func (d *countingDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	d.mu.Lock()
	d.open++
	d.max = max(d.max, d.open)
	d.mu.Unlock()
	time.Sleep(20 * time.Millisecond) // let the others pile up, if they may
	c, err := d.Dialer.DialContext(ctx, network, addr)
	if err != nil {
		d.done()
		return nil, err
	}
	return &countedConn{Conn: c, d: d}, nil
}

func (d *countingDialer) done() {
	d.mu.Lock()
	d.open--
	d.mu.Unlock()
}

type countedConn struct {
	net.Conn
	d    *countingDialer
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(c.d.done)
	return c.Conn.Close()
}

var _ certs.Dialer = (*countingDialer)(nil)

func TestCheckAllOrderAndBound(t *testing.T) {
	coop := certstest.NewCoop(t, now)
	hosts := slices.Concat(coop.Hosts, coop.Hosts, coop.Hosts)
	d := &countingDialer{Dialer: coop.Dialer}
	rs := certs.CheckAll(context.Background(), hosts, certs.Options{Roots: coop.CA.Pool(), Now: clock, Dialer: d, Parallel: 2})
	if got, want := len(rs), len(hosts); got != want {
		t.Fatalf("%d results, want %d", got, want)
	}
	for i, r := range rs {
		if r.Host != hosts[i] {
			t.Errorf("result %d is for %s, want %s", i, r.Host, hosts[i])
		}
	}
	if d.max > 2 {
		t.Errorf("%d connections at once, want at most 2", d.max)
	}
	if d.max < 2 {
		t.Errorf("%d connection at once: hosts were not checked concurrently", d.max)
	}

	c := certs.Checker{Hosts: coop.Hosts, Options: certs.Options{Roots: coop.CA.Pool(), Now: clock, Dialer: coop.Dialer}}
	var got []string
	for _, r := range c.Check(context.Background()) {
		got = append(got, r.Severity.String())
	}
	if want := []string{"ok", "warn", "bad", "bad", "bad", "bad"}; !slices.Equal(got, want) {
		t.Errorf("severities %q, want %q", got, want)
	}
}

func TestRoots(t *testing.T) {
	coop := certstest.NewCoop(t, now)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, coop.CA.PEM, 0o600); err != nil {
		t.Fatal(err)
	}
	roots, err := certs.Roots(caFile)
	if err != nil {
		t.Fatal(err)
	}
	if r := certs.Check(context.Background(), "social.example.coop", certs.Options{Roots: roots, Now: clock, Dialer: coop.Dialer}); r.Severity != certs.OK {
		t.Errorf("with ca_file: %v %q, want ok", r.Severity, r.Problem)
	}
	if roots, err := certs.Roots(""); roots != nil || err != nil {
		t.Errorf(`Roots("") = %v, %v, want nil, nil (the system's)`, roots, err)
	}
	if _, err := certs.Roots(filepath.Join(dir, "missing.pem")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := certs.Roots(notPEM); err == nil || !strings.Contains(err.Error(), "holds no PEM certificate") {
		t.Errorf("not PEM: %v", err)
	}
}

func TestSeverityString(t *testing.T) {
	for s, want := range map[certs.Severity]string{certs.OK: "ok", certs.Warn: "warn", certs.Bad: "bad", 7: "severity(7)"} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int(s), got, want)
		}
	}
}
