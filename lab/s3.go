package lab

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// S3Options configures S3.
type S3Options struct {
	// TLS serves HTTPS with a self-signed certificate for 127.0.0.1, ::1 and localhost,
	// made for this server alone.
	TLS bool
}

// S3Server is a versitygw gateway (posix backend, metadata in a sidecar directory)
// listening on 127.0.0.1 for one test, with a bucket of its own.
type S3Server struct {
	Endpoint  string // http://127.0.0.1:port or https://127.0.0.1:port
	Region    string // us-east-1
	Bucket    string // created by S3
	AccessKey string // random per server
	SecretKey string // random per server
	// Dir is the posix root: object k of the bucket is the file Dir/Bucket/k.
	Dir string

	// With TLS: the self-signed certificate (it is its own CA), as PEM, as a file and as a pool.
	CAPEM   []byte
	CAFile  string
	RootCAs *x509.CertPool
}

// VersityGWVersion is the versitygw release the lab is tested with.
const VersityGWVersion = "v1.8.0"

const s3SetupHint = "run `make setup`, which installs versitygw " + VersityGWVersion + " into ${TOOTOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tootops}/bin"

// CacheDir is where the tests' tools live: $TOOTOPS_CACHE, else $XDG_CACHE_HOME/tootops,
// else $HOME/.cache/tootops.
func CacheDir() string {
	if d := os.Getenv("TOOTOPS_CACHE"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "tootops")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "tootops")
}

// VersityGW returns the path of the versitygw binary: the one in CacheDir()/bin, else
// the one on PATH.
func VersityGW() (string, error) { return cachedTool("versitygw") }

// cachedTool finds a test tool that make setup installs into CacheDir()/bin, else on PATH.
func cachedTool(name string) (string, error) {
	p := filepath.Join(CacheDir(), "bin", name)
	if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
		return p, nil
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("%s is neither in %s nor on PATH", name, filepath.Join(CacheDir(), "bin"))
	}
	return p, nil
}

// S3 starts a versitygw gateway for the test, creates a bucket, and stops the gateway
// and removes its files when the test ends. A missing binary fails the test, never
// skips it.
func S3(t testing.TB, o S3Options) *S3Server {
	t.Helper()
	bin, err := VersityGW()
	if err != nil {
		t.Fatalf("lab: %v; %s", err, s3SetupHint)
	}
	base := t.TempDir()
	s := &S3Server{
		Region:    "us-east-1",
		Bucket:    RandomName("tootops-"),
		AccessKey: "LAB" + strings.ToUpper(randomHex(8)),
		SecretKey: randomHex(20),
		Dir:       filepath.Join(base, "root"),
	}
	meta := filepath.Join(base, "meta") // versitygw refuses a sidecar inside the root
	for _, d := range []string{s.Dir, meta} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	scheme := "http"
	var certFile, keyFile string
	if o.TLS {
		scheme = "https"
		certPEM, keyPEM, err := selfSigned()
		if err != nil {
			t.Fatalf("lab: making a certificate: %v", err)
		}
		certFile, keyFile = filepath.Join(base, "cert.pem"), filepath.Join(base, "key.pem")
		if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		s.CAPEM, s.CAFile = certPEM, certFile
		s.RootCAs = x509.NewCertPool()
		s.RootCAs.AppendCertsFromPEM(certPEM)
	}

	// FreePort can race with another process taking the port: try a few.
	var lastErr error
	for range 3 {
		addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
		args := []string{"--port", addr, "--quiet", "--region", s.Region}
		if o.TLS {
			args = append(args, "--cert", certFile, "--key", keyFile)
		}
		args = append(args, "posix", "--sidecar", meta, s.Dir)
		s.Endpoint = scheme + "://" + addr
		if lastErr = s.start(t, bin, args); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Fatalf("lab: versitygw did not start: %v", lastErr)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: &s.Bucket}); err != nil {
		t.Fatalf("lab: creating bucket %s: %v", s.Bucket, err)
	}
	return s
}

// start runs versitygw with args and waits until it answers HTTP; on failure it stops it.
func (s *S3Server) start(t testing.TB, bin string, args []string) error {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(envWithout("VGW_", "ROOT_"), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	hc := s.HTTPClient()
	hc.Timeout = time.Second
	stop, err := startServer(cmd, "versitygw on "+s.Endpoint, func() error {
		resp, err := hc.Get(s.Endpoint + "/")
		if err == nil {
			resp.Body.Close()
		}
		return err
	})
	if err != nil {
		return err
	}
	t.Cleanup(stop)
	return nil
}

// startServer starts cmd, its output captured, and waits up to 15 s until ready returns
// nil. It returns stop, which kills the process and reaps it. On failure the process is
// stopped and the error ends with what it printed.
func startServer(cmd *exec.Cmd, what string, ready func() error) (stop func(), err error) {
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop = func() {
		_ = cmd.Process.Kill()
		<-exited
	}
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			return nil, fmt.Errorf("%s: %s exited: %s", what, strings.Join(cmd.Args, " "), strings.TrimSpace(out.String()))
		default:
		}
		err := ready()
		if err == nil {
			return stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return nil, fmt.Errorf("%s not answering after 15s (%v): %s", what, err, strings.TrimSpace(out.String()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// envWithout is the environment less the variables with any of these prefixes, so that
// a developer's settings (versitygw's VGW_* and ROOT_*, the registry's REGISTRY_*)
// cannot change the lab.
func envWithout(prefixes ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(kv, p) }) {
			env = append(env, kv)
		}
	}
	return env
}

// HTTPClient returns an HTTP client that trusts the server's certificate.
func (s *S3Server) HTTPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if s.RootCAs != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
	}
	return &http.Client{Transport: tr}
}

// Client returns a plain SDK client for the server (path style, root credentials).
func (s *S3Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:                     s.Region,
		BaseEndpoint:               aws.String(s.Endpoint),
		UsePathStyle:               true,
		Credentials:                credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		HTTPClient:                 s.HTTPClient(),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// ObjectPath is the file holding object key on disk.
func (s *S3Server) ObjectPath(key string) string {
	return filepath.Join(s.Dir, s.Bucket, filepath.FromSlash(key))
}

// selfSigned makes an ECDSA certificate for 127.0.0.1, ::1 and localhost that is its own CA.
func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "tootops lab S3"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.b.Len() > 64<<10 { // keep the start, where start-up errors are
		return len(p), nil
	}
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// S3Proxy is a fault-injecting reverse proxy on 127.0.0.1 in front of an HTTP S3Server.
// It passes the Host header through unchanged, so SigV4 signatures made for the proxy's
// address stay valid.
type S3Proxy struct {
	Endpoint string // http://127.0.0.1:port

	mu     sync.Mutex
	faults []*fault
	seen   []*http.Request // method and URL of every request, for counting
	fired  int
}

type fault struct {
	match  func(*http.Request) bool
	left   int   // requests still to hit; < 0 = all of them
	status int   // answer this status (after reading the body), or
	after  int64 // read this many body bytes, then drop the connection
	drop   bool
	then   func() // forward, then run this
}

// IsUploadPart matches UploadPart requests (PUT with ?partNumber=).
func IsUploadPart(r *http.Request) bool {
	return r.Method == http.MethodPut && r.URL.Query().Has("partNumber")
}

// Proxy starts a fault-injecting proxy in front of the server (HTTP servers only), closed
// when the test ends.
func (s *S3Server) Proxy(t testing.TB) *S3Proxy {
	t.Helper()
	target, err := url.Parse(s.Endpoint)
	if err != nil || target.Scheme != "http" {
		t.Fatalf("lab: S3Proxy needs an HTTP server, not %q", s.Endpoint)
	}
	p := &S3Proxy{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.Out.URL.Scheme, pr.Out.URL.Host = target.Scheme, target.Host
			pr.Out.Host = pr.In.Host // signed by the client
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f := p.take(r)
		switch {
		case f == nil:
			rp.ServeHTTP(w, r)
		case f.then != nil:
			rp.ServeHTTP(w, r)
			go f.then()
		case f.drop:
			_, _ = io.CopyN(io.Discard, r.Body, f.after)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(http.ErrAbortHandler)
			}
			conn.Close()
		default:
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(f.status)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by the lab proxy</Message></Error>`, errorCode(f.status))
		}
	}))
	t.Cleanup(srv.Close)
	p.Endpoint = srv.URL
	return p
}

func errorCode(status int) string {
	switch status {
	case http.StatusServiceUnavailable:
		return "SlowDown"
	case http.StatusForbidden:
		return "AccessDenied"
	default:
		return "InternalError"
	}
}

// take records r and returns the fault it should suffer, if any.
func (p *S3Proxy) take(r *http.Request) *fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seen = append(p.seen, &http.Request{Method: r.Method, URL: r.URL, Header: r.Header.Clone()})
	for _, f := range p.faults {
		if f.left != 0 && f.match(r) {
			if f.left > 0 {
				f.left--
			}
			p.fired++
			return f
		}
	}
	return nil
}

// Fail answers status (with an S3 error body) to the next n requests matching match,
// or to all of them when n < 0.
func (p *S3Proxy) Fail(n, status int, match func(*http.Request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &fault{match: match, left: n, status: status})
}

// Drop reads after bytes of the body of the next n requests matching match (all when
// n < 0), then closes the connection without an answer.
func (p *S3Proxy) Drop(n int, after int64, match func(*http.Request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &fault{match: match, left: n, after: after, drop: true})
}

// Then runs fn, in a goroutine of its own, after each of the next n requests matching
// match (all when n < 0) has been forwarded and answered.
func (p *S3Proxy) Then(n int, match func(*http.Request) bool, fn func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = append(p.faults, &fault{match: match, left: n, then: fn})
}

// Fired is how many requests matched a rule (Fail, Drop or Then).
func (p *S3Proxy) Fired() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fired
}

// Count is how many requests matching match the proxy has seen (faulty or not).
func (p *S3Proxy) Count(match func(*http.Request) bool) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, r := range p.seen {
		if match(r) {
			n++
		}
	}
	return n
}
