package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	stdlog "log"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot/stream"
	"github.com/tootops/tootops/ops/backup"
	"github.com/tootops/tootops/state"
)

const (
	// healthGrace is how long after the start a stream that has not come up yet counts
	// as "connecting", not as down: signing in and the first connection take a moment,
	// longer when the bot starts while Mastodon restarts.
	healthGrace = 60 * time.Second
	// storeProbeEvery bounds the health check's writes to the state file: a monitor
	// polling /healthz every second must not turn into a write a second.
	storeProbeEvery = 10 * time.Second
	// storeProbeTimeout is how long /healthz waits for its write.
	storeProbeTimeout = 5 * time.Second
	// httpCloseTimeout bounds the shutdown of the endpoint, the last step of a stop.
	httpCloseTimeout = 5 * time.Second
)

// healthProbe is the Meta key /healthz writes to prove the state file takes a write.
var healthProbe = []byte("health.probe")

// The phases of the schedules, as StartSchedules goes through them.
const (
	schedIdle     int32 = iota // StartSchedules not called yet
	schedStarting              // catching up missed runs, then arming cron
	schedArmed                 // Start returned; Scheduler.Alive says the rest
	schedFailed                // Start returned an error
)

// health is what /healthz checks and /metrics reads of the parts of a bot that come
// and go: the Mastodon connection exists only once signed in.
type health struct {
	store    *state.Store
	log      zerolog.Logger
	now      func() time.Time
	started  time.Time
	backups  *backup.Catalogue // nil without [backup]
	database string

	console  atomic.Bool // under `bot console`: no stream, no schedules
	mastodon atomic.Pointer[Mastodon]
	stream   atomic.Pointer[stream.Client]
	seenUp   atomic.Bool // the stream was seen connected once: the grace is over
	sched    atomic.Int32

	probeMu  sync.Mutex
	probeAt  time.Time
	probeErr error
	probing  chan struct{} // closed when the write in flight ends; nil when none is
}

func newHealth(o Options) *health {
	h := &health{store: o.Store, log: o.Log.With().Str("component", "http").Logger(), now: o.Now, started: o.Now()}
	if o.Config.Backup != nil {
		h.backups, h.database = backup.NewCatalogue(o.Store), o.Config.Backup.Database
	}
	return h
}

// watch gives the health the Mastodon connection and its stream once signed in.
func (h *health) watch(m *Mastodon, s *stream.Client) {
	h.mastodon.Store(m)
	h.stream.Store(s)
}

func (h *health) schedulesStarted(err error) {
	if err != nil {
		h.sched.Store(schedFailed)
		return
	}
	h.sched.Store(schedArmed)
}

// healthReport is the body of /healthz.
type healthReport struct {
	Status  string       `json:"status"` // "ok" or "failing"
	Checks  healthChecks `json:"checks"`
	Failing []string     `json:"failing,omitempty"` // the names of the failing checks
}

type healthChecks struct {
	Stream    string `json:"stream"`
	Store     string `json:"store"`
	Scheduler string `json:"scheduler"`
}

// check runs the three checks. Their texts never carry a secret or a URL.
func (h *health) check(b *Bot) healthReport {
	var r healthReport
	var ok bool
	if r.Checks.Stream, ok = h.checkStream(); !ok {
		r.Failing = append(r.Failing, "stream")
	}
	if err := h.probeStore(); err != nil {
		r.Checks.Store = "not writable: " + err.Error()
		r.Failing = append(r.Failing, "store")
	} else {
		r.Checks.Store = "writable"
	}
	if r.Checks.Scheduler, ok = h.checkScheduler(b); !ok {
		r.Failing = append(r.Failing, "scheduler")
	}
	r.Status = "ok"
	if len(r.Failing) > 0 {
		r.Status = "failing"
	}
	return r
}

// checkStream: a connected stream is healthy, and so is polling (a server that offers
// no stream is still read). Before the first connection, the grace period applies.
func (h *health) checkStream() (string, bool) {
	if h.console.Load() {
		return "not used (console)", true
	}
	inGrace := !h.seenUp.Load() && h.now().Sub(h.started) < healthGrace
	s := h.stream.Load()
	if s == nil {
		if inGrace {
			return "connecting (signing in)", true
		}
		return "not signed in to mastodon", false
	}
	mode := s.Mode()
	switch {
	case s.Connected():
		h.seenUp.Store(true)
		return string(mode) + " connected", true
	case mode == stream.Polling:
		return "polling (no stream offered)", true
	case inGrace:
		return "connecting (" + string(mode) + ")", true
	default:
		return string(mode) + " disconnected, reconnecting", false
	}
}

func (h *health) checkScheduler(b *Bot) (string, bool) {
	if h.console.Load() {
		return "not used (console)", true
	}
	switch h.sched.Load() {
	case schedIdle:
		return "not started yet (starts once signed in)", true
	case schedStarting:
		return "catching up missed runs", true
	case schedFailed:
		return "did not start (see the log)", false
	}
	if b.scheduler.Alive() {
		return "alive", true
	}
	return "stopped", false
}

// probeStore writes the time to a Meta key, at most once per storeProbeEvery; the
// checks in between get the last result. A write stuck behind a hung disk is waited
// for storeProbeTimeout, and never started twice.
func (h *health) probeStore() error {
	h.probeMu.Lock()
	now := h.now()
	if h.probing == nil && !h.probeAt.IsZero() && now.Sub(h.probeAt) < storeProbeEvery {
		err := h.probeErr
		h.probeMu.Unlock()
		return err
	}
	done := h.probing
	if done == nil {
		done = make(chan struct{})
		h.probing, h.probeAt = done, now
		go func() {
			err := h.store.Update(func(tx *state.Tx) error { return tx.Put(state.Meta, healthProbe, now.UTC()) })
			h.probeMu.Lock()
			h.probeErr, h.probing = err, nil
			h.probeMu.Unlock()
			close(done)
		}()
	}
	h.probeMu.Unlock()
	select {
	case <-done:
		h.probeMu.Lock()
		defer h.probeMu.Unlock()
		return h.probeErr
	case <-time.After(storeProbeTimeout):
		return fmt.Errorf("a write did not finish within %s", storeProbeTimeout)
	}
}

// HTTPServer is the bot's own HTTP endpoint: /healthz and /metrics, nothing else.
type HTTPServer struct {
	srv  *http.Server
	addr net.Addr
	done chan error
}

// StartHTTP listens on addr ([http] listen) and serves /healthz and /metrics until
// Close. mode is "run" or "console": the console has no stream and no schedules, and its
// health says so. An empty addr starts nothing and returns a nil server, whose Close is
// a no-op.
func (b *Bot) StartHTTP(addr, mode string) (*HTTPServer, error) {
	if addr == "" {
		return nil, nil
	}
	h := b.health
	h.console.Store(mode == "console")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("http endpoint ([http] listen, \"\" turns it off): %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		r := h.check(b)
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if r.Status != "ok" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(r)
	})
	errLog := stdlog.New(h.log, "", 0)
	mux.Handle("GET /metrics", promhttp.HandlerFor(b.metrics.reg, promhttp.HandlerOpts{
		ErrorLog:            errLog,
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            b.metrics.reg,
		MaxRequestsInFlight: 4,
		Timeout:             10 * time.Second,
	}))
	s := &HTTPServer{
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       time.Minute,
			ErrorLog:          errLog,
		},
		addr: ln.Addr(),
		done: make(chan error, 1),
	}
	go func() { s.done <- s.srv.Serve(ln) }()
	h.log.Info().Str("addr", ln.Addr().String()).Msg("http listening: /healthz and /metrics")
	return s, nil
}

// Addr is the address the endpoint listens on, with the port a ":0" was given.
func (s *HTTPServer) Addr() net.Addr { return s.addr }

// Close stops taking requests and waits for those in flight until ctx ends, then cuts
// them off.
func (s *HTTPServer) Close(ctx context.Context) error {
	if s == nil {
		return nil
	}
	err := s.srv.Shutdown(ctx)
	if err != nil {
		err = errors.Join(err, s.srv.Close())
	}
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}
