// Package certstest makes certificates and TLS servers for tests of certificate checks:
// a certificate authority, leaf certificates of any validity and name, self-signed ones,
// servers on 127.0.0.1 presenting them, and a Dialer that sends a host name to such a
// server, so the client still asks for and verifies the real name.
package certstest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// CA is a certificate authority made for a test.
type CA struct {
	Cert *x509.Certificate
	PEM  []byte // the certificate, PEM-encoded, for a ca_file
	key  *ecdsa.PrivateKey
}

// NewCA makes a CA named org and cn (as a real issuer such as "Let's Encrypt" / "R11"),
// valid from a year before now to five years after.
func NewCA(t testing.TB, org, cn string, now time.Time) *CA {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          serial(t),
		Subject:               pkix.Name{Organization: []string{org}, CommonName: cn},
		NotBefore:             now.AddDate(-1, 0, 0),
		NotAfter:              now.AddDate(5, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &CA{Cert: cert, PEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}
}

// Pool is a pool holding only the CA.
func (ca *CA) Pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.Cert)
	return p
}

// Leaf makes a server certificate for names, valid from notBefore to notAfter, signed by
// the CA. The first name is also the common name.
func (ca *CA) Leaf(t testing.TB, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	return leaf(t, names, notBefore, notAfter, ca.Cert, ca.key)
}

// SelfSigned makes a server certificate for names that signs itself.
func SelfSigned(t testing.TB, names []string, notBefore, notAfter time.Time) tls.Certificate {
	t.Helper()
	return leaf(t, names, notBefore, notAfter, nil, nil)
}

func leaf(t testing.TB, names []string, notBefore, notAfter time.Time, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) tls.Certificate {
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: serial(t),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

func serial(t testing.TB) *big.Int {
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// Server is an HTTPS server on 127.0.0.1 that presents one certificate, whatever name
// the client asks for.
type Server struct {
	Addr string // 127.0.0.1:port

	mu  sync.Mutex
	sni []string
}

// Serve starts a Server presenting cert; it stops when the test ends.
func Serve(t testing.TB, cert tls.Certificate) *Server {
	t.Helper()
	s := &Server{}
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.TLS = &tls.Config{GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
		s.mu.Lock()
		s.sni = append(s.sni, hello.ServerName)
		s.mu.Unlock()
		return &cert, nil
	}}
	// A client rejecting the certificate is the point of most tests, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	s.Addr = srv.Listener.Addr().String()
	return s
}

// SNI returns the server names clients asked for, in order.
func (s *Server) SNI() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sni...)
}

// ClosedAddr returns a loopback address nothing listens on: connections are refused.
func ClosedAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// SilentAddr returns a loopback address that accepts connections and never answers, for
// timeouts. It stops when the test ends.
func SilentAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
	)
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		<-done
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// Dialer connects a host name (any port) to the loopback address it maps to; a name it
// does not know is "no such host", as DNS would answer.
type Dialer map[string]string

// DialContext implements certs.Dialer.
func (d Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	to, ok := d[host]
	if !ok {
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
	var nd net.Dialer
	return nd.DialContext(ctx, network, to)
}

// Coop is the scenario the tests of certs and of the certs command share: a CA named like
// Let's Encrypt's R11 (made in the test, trusted by nothing else) and one host of each
// kind, in this order:
//
//	social.example.coop                valid for 90 days, 63 left
//	streaming.social.example.coop:443  5 days left
//	old.example.coop                   expired 3 days ago
//	wrong.example                      a valid certificate for other.example
//	self.example                       self-signed
//	down.example.coop                  connection refused
type Coop struct {
	CA      *CA
	Hosts   []string
	Dialer  Dialer
	Servers map[string]*Server // by host name, for the hosts that answer
}

// NewCoop starts the servers of the scenario, seen at now.
func NewCoop(t testing.TB, now time.Time) *Coop {
	t.Helper()
	day := 24 * time.Hour
	ca := NewCA(t, "Let's Encrypt", "R11", now)
	c := &Coop{CA: ca, Dialer: Dialer{}, Servers: map[string]*Server{}}
	add := func(host string, cert tls.Certificate) {
		name, _, err := net.SplitHostPort(host)
		if err != nil {
			name = host
		}
		s := Serve(t, cert)
		c.Hosts = append(c.Hosts, host)
		c.Dialer[name], c.Servers[name] = s.Addr, s
	}
	add("social.example.coop", ca.Leaf(t, []string{"social.example.coop"}, now.Add(-27*day), now.Add(63*day)))
	add("streaming.social.example.coop:443", ca.Leaf(t, []string{"streaming.social.example.coop"}, now.Add(-85*day), now.Add(5*day)))
	add("old.example.coop", ca.Leaf(t, []string{"old.example.coop"}, now.Add(-93*day), now.Add(-3*day)))
	add("wrong.example", ca.Leaf(t, []string{"other.example"}, now.Add(-10*day), now.Add(80*day)))
	add("self.example", SelfSigned(t, []string{"self.example"}, now.Add(-10*day), now.Add(355*day)))
	c.Hosts = append(c.Hosts, "down.example.coop")
	c.Dialer["down.example.coop"] = ClosedAddr(t)
	return c
}
