package mastodonsim

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"
)

// Server is a running imitation of a Mastodon server. All methods are safe
// for concurrent use.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:41234.
	URL string
	// Domain is the local domain, e.g. 127.0.0.1:41234; local accounts'
	// full accts end in it.
	Domain string
	// Faults switches failure modes at run time.
	Faults *Faults

	cfg       config
	ln        net.Listener
	httpSrv   *http.Server
	mux       *http.ServeMux
	hub       *hub
	reqlog    *requestLog
	closeOnce sync.Once
	closing   chan struct{} // closed when Close starts

	// mu guards everything below. The hub has its own lock, taken inside mu
	// when events are published, never the other way round.
	mu             sync.Mutex
	ids            snowflake
	accounts       []*Account
	accountsByID   map[string]*Account
	accountsByAcct map[string]*Account
	follows        map[string]map[string]time.Time // follower id → followee id → since
	tokens         map[string]*token
	tokenSeq       int64
	statuses       []*status
	statusByID     map[string]*status
	threadSeq      int64
	notifs         []*notif // ascending id
	notifByID      map[string]*notif
	notifSeq       int64
	policies       map[string]*Policy         // recipient id → policy
	permissions    map[string]map[string]bool // recipient id → sender id → accepted request
	requests       []*notifRequest
	requestSeq     int64
	convs          []*conversation
	convSeq        int64
	markers        map[string]map[string]*marker // account id → timeline → marker
	idempotency    map[string]idemEntry
	limiter        *rateLimiter
	changed        chan struct{}
}

// New starts a Server for a test and closes it when the test ends. It
// fails the test if the server cannot start.
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s, err := NewServer(opts...)
	if err != nil {
		tb.Fatalf("mastodonsim: %v", err)
	}
	tb.Cleanup(s.Close)
	return s
}

// NewServer starts a Server; the caller must Close it. It refuses to listen
// on anything but a loopback address: the imitation accepts any client and
// hands out tokens, so it must never be reachable from the network.
func NewServer(opts ...Option) (*Server, error) {
	cfg := defaultConfig()
	for _, o := range opts {
		o(&cfg)
	}
	if err := CheckLoopback(cfg.listen); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.listen)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", cfg.listen, err)
	}
	s := &Server{
		cfg:            cfg,
		ln:             ln,
		Domain:         ln.Addr().String(),
		URL:            "http://" + ln.Addr().String(),
		hub:            newHub(),
		reqlog:         &requestLog{observe: cfg.observe},
		accountsByID:   map[string]*Account{},
		accountsByAcct: map[string]*Account{},
		follows:        map[string]map[string]time.Time{},
		tokens:         map[string]*token{},
		statusByID:     map[string]*status{},
		notifByID:      map[string]*notif{},
		notifSeq:       cfg.firstNotifID - 1,
		policies:       map[string]*Policy{},
		permissions:    map[string]map[string]bool{},
		markers:        map[string]map[string]*marker{},
		idempotency:    map[string]idemEntry{},
		limiter:        newRateLimiter(cfg.limits),
		changed:        make(chan struct{}),
		closing:        make(chan struct{}),
	}
	s.Faults = &Faults{srv: s}
	s.mux = s.routes()
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
	}
	go func() {
		// Serve returns ErrServerClosed after Close; nothing else to report.
		_ = s.httpSrv.Serve(ln)
	}()
	return s, nil
}

// CheckLoopback returns an error unless addr ("host:port") names a loopback
// interface: 127.0.0.0/8, ::1 or localhost.
func CheckLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: %w", addr, err)
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("listen address %q is not a loopback address; the imitation must not be reachable from the network", addr)
}

// Close ends every stream, stops the HTTP server and waits (bounded) for
// the stream goroutines to finish.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		close(s.closing)
		s.hub.shutdown()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Shutdown lets in-flight requests finish; Close then cuts whatever
		// is left (e.g. a request held by an injected delay).
		_ = s.httpSrv.Shutdown(ctx)
		_ = s.httpSrv.Close()
		s.hub.wait(ctx)
	})
}

// ServeHTTP is the front of the server: it logs the request, applies the
// injected faults, then routes it.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := s.reqlog.start(w, r, s.cfg.clock())
	defer rec.finish()
	if !s.Faults.delay(r) {
		return
	}
	if s.Faults.intercept(rec, r) {
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// changedLocked wakes everyone waiting in WaitFor. Callers hold s.mu.
func (s *Server) changedLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// WaitFor blocks until cond returns true or ctx ends. cond runs without the
// server's lock held, after every change of the server's state (and once at
// the start), so it may call any read method such as Statuses.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// idemEntry remembers the status created with an Idempotency-Key.
type idemEntry struct {
	statusID string
	expires  time.Time
}
