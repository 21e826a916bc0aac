package commands_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/certs"
	"github.com/tootops/tootops/ops/certs/certstest"
)

// certsNow is the fixed time the certificates of the certs tests are seen at.
var certsNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// runCerts parses line in a registry holding the certs command for c and runs it.
func runCerts(t *testing.T, c commands.Certs, line string) (string, error) {
	t.Helper()
	reg := commands.NewRegistry()
	if err := reg.Add(commands.CertsCommands(c)...); err != nil {
		t.Fatal(err)
	}
	inv, err := reg.Parse(line)
	if err != nil {
		t.Fatal(err)
	}
	return inv.Command.Run(context.Background(), &commands.Request{Inv: inv})
}

// TestCertsReply checks real certificates made by the test, served on 127.0.0.1 under
// the scenario's host names (certstest.NewCoop).
func TestCertsReply(t *testing.T) {
	coop := certstest.NewCoop(t, certsNow)
	checker := &certs.Checker{Hosts: coop.Hosts, Options: certs.Options{
		Roots:  coop.CA.Pool(),
		Now:    func() time.Time { return certsNow },
		Dialer: coop.Dialer,
	}}
	all, err := runCerts(t, checker, "certs")
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "certs.golden", all+"\n")

	problems, err := runCerts(t, checker, "certs --problems-only")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(all, "\n")
	if got, want := problems, strings.Join(lines[1:], "\n"); got != want {
		t.Errorf("--problems-only =\n%s\nwant every line but the first:\n%s", got, want)
	}

	fine := &certs.Checker{Hosts: coop.Hosts[:1], Options: checker.Options}
	if got, err := runCerts(t, fine, "certs --problems-only"); got != "" || err != nil {
		t.Errorf("--problems-only with all fine = %q, %v; want nothing, so a scheduled run posts nothing", got, err)
	}
	if got, _ := runCerts(t, fine, "certs"); !strings.HasPrefix(got, "✓ social.example.coop: 63 days left") {
		t.Errorf("certs with all fine = %q", got)
	}
}

// fakeCerts returns fixed results.
type fakeCerts []certs.Result

func (f fakeCerts) Check(context.Context) []certs.Result { return f }

var _ commands.Certs = fakeCerts(nil)

func TestCertsLines(t *testing.T) {
	until := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		r    certs.Result
		want string
	}{
		{certs.Result{Host: "a.example", Severity: certs.OK, DaysLeft: 1, NotAfter: until, Issuer: "ZeroSSL RSA Domain Secure Site CA"}, "✓ a.example: 1 day left (until 2026-12-01, ZeroSSL RSA Domain Secure Site CA)"},
		{certs.Result{Host: "a.example", Severity: certs.OK, DaysLeft: 40, NotAfter: until}, "✓ a.example: 40 days left (until 2026-12-01)"},
		{certs.Result{Host: "b.example", Severity: certs.Warn, DaysLeft: 0, NotAfter: until, Issuer: "Sectigo RSA Domain Validation Secure Server CA"}, "⚠ b.example: less than a day left (until 2026-12-01) — renew it with Sectigo RSA Domain Validation Secure Server CA"},
		{certs.Result{Host: "b.example", Severity: certs.Warn, DaysLeft: 3, NotAfter: until}, "⚠ b.example: 3 days left (until 2026-12-01) — renew it"},
		{certs.Result{Host: "c.example:8443", Severity: certs.Bad, Problem: "cannot connect: no such host"}, "✗ c.example:8443: cannot connect: no such host"},
	} {
		got, err := runCerts(t, fakeCerts{tt.r}, "certs")
		if err != nil || got != tt.want {
			t.Errorf("got %q, %v\nwant %q", got, err, tt.want)
		}
	}
}

func TestCertsNotConfigured(t *testing.T) {
	_, err := runCerts(t, nil, "certs")
	if got, want := ops.SafeText(err), "certificate checks are not configured — add a [certs] section"; !strings.HasPrefix(got, want) {
		t.Errorf("reply %q, want %q…", got, want)
	}
}
