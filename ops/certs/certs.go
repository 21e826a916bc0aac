package certs

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Severity ranks a Result.
type Severity int

const (
	OK   Severity = iota // valid for more than WarnDays
	Warn                 // valid, but expires within WarnDays
	Bad                  // expired, not yet valid, for another name, untrusted, or unreachable
)

func (s Severity) String() string {
	switch s {
	case OK:
		return "ok"
	case Warn:
		return "warn"
	case Bad:
		return "bad"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// Defaults for the zero Options.
const (
	DefaultPort     = "443"
	DefaultTimeout  = 10 * time.Second
	DefaultWarnDays = 14
	DefaultParallel = 4
)

// Dialer opens the TCP connection the TLS handshake runs over; *net.Dialer is one. Tests
// give one that sends every name to loopback, so the handshake still asks for the real
// name (SNI) and verifies against it.
type Dialer interface {
	DialContext(ctx context.Context, network, addr string) (net.Conn, error)
}

// Options adjusts Check and CheckAll. The zero value checks against the system's roots,
// now, with the defaults above.
type Options struct {
	Roots    *x509.CertPool   // trusted roots; nil means the system's (see Roots)
	Now      func() time.Time // the time certificates are checked at; nil means time.Now
	Timeout  time.Duration    // per host, connection and handshake; 0 means DefaultTimeout
	Dialer   Dialer           // nil means a net.Dialer
	WarnDays int              // a certificate with fewer days left is a Warn; 0 means DefaultWarnDays
	Parallel int              // how many hosts CheckAll checks at once; 0 means DefaultParallel
}

func (o Options) withDefaults() Options {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Dialer == nil {
		o.Dialer = &net.Dialer{}
	}
	if o.WarnDays <= 0 {
		o.WarnDays = DefaultWarnDays
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	return o
}

// Result is what one host presented and what is wrong with it. The certificate fields
// are those of the leaf certificate, and are set whenever the handshake got that far,
// verified or not.
type Result struct {
	Host     string    // as given: "social.example.coop" or "streaming.social.example.coop:443"
	Addr     string    // host:port connected to
	NotAfter time.Time // end of the leaf's validity
	DaysLeft int       // whole days from now to NotAfter; negative once expired
	Issuer   string    // "Let's Encrypt R11"
	Subject  string    // the leaf's common name, else its first DNS name
	DNSNames []string  // the names the leaf is valid for
	// Problem is "" when all is well, else one short phrase: "expires in 5 days",
	// "expired 3 days ago", "not valid for social.example.coop (valid for other.example)",
	// "self-signed or unknown authority", "cannot connect: connection refused"…
	Problem  string
	Severity Severity
}

// Checker checks a fixed list of hosts.
type Checker struct {
	Hosts   []string
	Options Options
}

// Check checks every host; see CheckAll.
func (c *Checker) Check(ctx context.Context) []Result { return CheckAll(ctx, c.Hosts, c.Options) }

// CheckAll checks hosts concurrently, at most o.Parallel at a time, and returns their
// results in the order of hosts.
func CheckAll(ctx context.Context, hosts []string, o Options) []Result {
	o = o.withDefaults()
	out := make([]Result, len(hosts))
	slots := make(chan struct{}, o.Parallel)
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			out[i] = Check(ctx, h, o)
		})
	}
	wg.Wait()
	return out
}

// Check connects to host (host or host:port, port 443 by default), asks for the host name
// (SNI), and verifies the chain against o.Roots and the name. When verification fails,
// the Result still describes the certificate the server presented: crypto/tls hands the
// unverified chain back with the error, so it is read for the report and trusted for
// nothing, and no second connection (let alone one with InsecureSkipVerify) is needed.
func Check(ctx context.Context, host string, o Options) Result {
	o = o.withDefaults()
	name, addr := split(host)
	r := Result{Host: host, Addr: addr}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	raw, err := o.Dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		r.Problem, r.Severity = "cannot connect: "+netError(err, o.Timeout), Bad
		return r
	}
	defer raw.Close()
	conn := tls.Client(raw, &tls.Config{ServerName: name, RootCAs: o.Roots, Time: o.Now})
	err = conn.HandshakeContext(ctx)
	var verr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &verr) && len(verr.UnverifiedCertificates) > 0:
		r.describe(verr.UnverifiedCertificates[0], o.Now())
		r.Problem, r.Severity = invalid(name, verr.UnverifiedCertificates[0], verr.Err, o.Now()), Bad
		return r
	case err != nil:
		r.Problem, r.Severity = "cannot connect: TLS handshake: "+netError(err, o.Timeout), Bad
		return r
	}
	_ = conn.Close()
	leaf := conn.ConnectionState().PeerCertificates[0]
	r.describe(leaf, o.Now())
	if r.DaysLeft < o.WarnDays {
		r.Problem, r.Severity = "expires "+inDays(r.DaysLeft), Warn
	}
	return r
}

func (r *Result) describe(leaf *x509.Certificate, now time.Time) {
	r.NotAfter = leaf.NotAfter
	r.DaysLeft = int(math.Floor(leaf.NotAfter.Sub(now).Hours() / 24))
	r.Issuer = issuerName(leaf)
	r.Subject = leaf.Subject.CommonName
	if r.Subject == "" && len(leaf.DNSNames) > 0 {
		r.Subject = leaf.DNSNames[0]
	}
	r.DNSNames = leaf.DNSNames
}

// invalid says why leaf failed verification. It checks the dates and the name itself,
// in the order an admin fixes them, rather than trusting the order crypto/x509 reports
// them in; err decides the rest.
func invalid(name string, leaf *x509.Certificate, err error, now time.Time) string {
	var (
		unknown x509.UnknownAuthorityError
		bad     x509.CertificateInvalidError
	)
	switch {
	case now.After(leaf.NotAfter):
		n := int(math.Floor(now.Sub(leaf.NotAfter).Hours() / 24))
		if n == 0 {
			return "expired today"
		}
		return "expired " + days(n) + " ago"
	case now.Before(leaf.NotBefore):
		return "not valid before " + leaf.NotBefore.UTC().Format(time.DateOnly)
	case leaf.VerifyHostname(name) != nil:
		return fmt.Sprintf("not valid for %s (%s)", name, validFor(leaf))
	case errors.As(err, &unknown):
		return "self-signed or unknown authority"
	case errors.As(err, &bad) && bad.Reason == x509.Expired:
		return "a certificate of the chain has expired or is not yet valid"
	}
	return "invalid certificate: " + err.Error()
}

// validFor lists the names leaf is valid for: "valid for a, b, c and 4 more".
func validFor(leaf *x509.Certificate) string {
	names := append([]string(nil), leaf.DNSNames...)
	for _, ip := range leaf.IPAddresses {
		names = append(names, ip.String())
	}
	if len(names) == 0 && leaf.Subject.CommonName != "" {
		names = []string{leaf.Subject.CommonName}
	}
	const show = 3
	switch {
	case len(names) == 0:
		return "it names no host"
	case len(names) > show+1:
		return fmt.Sprintf("valid for %s and %d more", strings.Join(names[:show], ", "), len(names)-show)
	}
	return "valid for " + strings.Join(names, ", ")
}

// issuerName is the issuer as people call it: "Let's Encrypt R11" (organization and a
// short common name), or the common name alone when it already starts with the
// organization's first word ("DigiCert Global G2 TLS RSA SHA256 2020 CA1").
func issuerName(c *x509.Certificate) string {
	org := strings.TrimSpace(strings.Join(c.Issuer.Organization, " "))
	cn := c.Issuer.CommonName
	switch {
	case org == "":
		return cn
	case cn == "":
		return org
	case strings.HasPrefix(cn, strings.Fields(org)[0]):
		return cn
	}
	return org + " " + cn
}

// inDays is "in 5 days", "in 1 day" or "today".
func inDays(n int) string {
	if n <= 0 {
		return "today"
	}
	return "in " + days(n)
}

func days(n int) string {
	if n == 1 {
		return "1 day"
	}
	return fmt.Sprintf("%d days", n)
}

// split returns the name to ask for and the address to connect to.
func split(host string) (name, addr string) {
	if h, p, err := net.SplitHostPort(host); err == nil {
		return h, net.JoinHostPort(h, p)
	}
	h := strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return h, net.JoinHostPort(h, DefaultPort)
}

// netError is a short, stable text for a failed connection or handshake, without the
// addresses net.OpError repeats.
func netError(err error, timeout time.Duration) string {
	var (
		dns *net.DNSError
		op  *net.OpError
	)
	switch {
	case errors.Is(err, context.Canceled):
		return "cancelled"
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return "timed out after " + timeout.String()
	case errors.As(err, &dns) && dns.IsNotFound:
		return "no such host"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.As(err, &op):
		return op.Err.Error()
	}
	return err.Error()
}

// Roots returns the system's roots plus the PEM certificates in caFile, or nil (the
// system's alone) when caFile is "".
func Roots(caFile string) (*x509.CertPool, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("certs: read ca_file: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("certs: ca_file %s holds no PEM certificate", caFile)
	}
	return roots, nil
}
