package commands

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/certs"
)

// Certs is what the certs command needs; *certs.Checker is one.
type Certs interface {
	Check(ctx context.Context) []certs.Result
}

var _ Certs = (*certs.Checker)(nil)

// CertsCommands returns `certs [--problems-only]`. c nil means [certs] is not configured:
// the command says how to configure it.
func CertsCommands(c Certs) []Command {
	return []Command{{
		Name:    "certs",
		Group:   servicesGroup,
		Summary: "days left on the TLS certificates of the [certs] hosts",
		Help: "Connects to each host of [certs] hosts over TLS, asking for its name as a browser would, verifies the certificate against the system's roots (and [certs] ca_file) and the name, and answers one line per host: " +
			"✓ with the days left, the expiry date and the issuer; ⚠ when fewer than [certs] warn_days are left; ✗ when the certificate is expired, not valid for the host, self-signed or from an unknown authority, or the host cannot be reached. " +
			"[certs] schedule runs `certs --problems-only`, which says nothing when all is well, and sends the admins a direct message otherwise.",
		Flags:   []Flag{{Name: "problems-only", Kind: Bool, Help: "list only the hosts with a problem, and answer nothing when there are none"}},
		Timeout: time.Minute,
		Run: func(ctx context.Context, req *Request) (string, error) {
			if c == nil {
				return "", &ops.Error{Msg: "certificate checks are not configured", Hint: `add a [certs] section with hosts = ["social.example.coop", …] to the config (see config.example.toml)`}
			}
			return certsText(c.Check(ctx), req.Inv.Bool("problems-only")), nil
		},
	}}
}

// certsText is one line per result, or only the lines with a problem; "" when
// problemsOnly and there are none, so a scheduled run posts nothing.
func certsText(rs []certs.Result, problemsOnly bool) string {
	var lines []string
	for _, r := range rs {
		if problemsOnly && r.Severity == certs.OK {
			continue
		}
		lines = append(lines, certLine(r))
	}
	return strings.Join(lines, "\n")
}

// certLine is "✓ social.example.coop: 63 days left (until 2027-01-26, Let's Encrypt R11)",
// "⚠ …: 5 days left (until 2026-11-29) — renew: certbot renew" or "✗ …: expired 3 days ago".
func certLine(r certs.Result) string {
	until := r.NotAfter.UTC().Format(time.DateOnly)
	switch r.Severity {
	case certs.OK:
		if r.Issuer == "" {
			return fmt.Sprintf("✓ %s: %s left (until %s)", r.Host, daysLeft(r.DaysLeft), until)
		}
		return fmt.Sprintf("✓ %s: %s left (until %s, %s)", r.Host, daysLeft(r.DaysLeft), until, r.Issuer)
	case certs.Warn:
		return fmt.Sprintf("⚠ %s: %s left (until %s) — %s", r.Host, daysLeft(r.DaysLeft), until, renewHint(r.Issuer))
	}
	return fmt.Sprintf("✗ %s: %s", r.Host, r.Problem)
}

func daysLeft(n int) string {
	switch n {
	case 0:
		return "less than a day"
	case 1:
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// renewHint: certbot renews Let's Encrypt certificates by itself 30 days ahead, so one
// this close to its end means the renewal failed and `certbot renew` shows why.
func renewHint(issuer string) string {
	switch {
	case strings.Contains(issuer, "Let's Encrypt"):
		return "renew: certbot renew"
	case issuer == "":
		return "renew it"
	}
	return "renew it with " + issuer
}
