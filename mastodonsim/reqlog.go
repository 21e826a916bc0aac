package mastodonsim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// Request is one request the server received, for assertions. Secrets are
// redacted: the Authorization value keeps only its scheme, and the
// access_token parameter and a Sec-WebSocket-Protocol token read "REDACTED".
type Request struct {
	Time   time.Time
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	// Status is the response status, 0 while the response has not started
	// (a stream that is still open has 200 or 101).
	Status int
}

// maxLogged bounds the request log of a long-running imitation.
const maxLogged = 10000

// requestLog records requests in arrival order, the last maxLogged of them.
type requestLog struct {
	observe func(Request)

	mu   sync.Mutex
	reqs []*Request
}

// start logs r and returns a ResponseWriter that records the status.
func (l *requestLog) start(w http.ResponseWriter, r *http.Request, now time.Time) *recorder {
	q := r.URL.Query()
	if q.Has("access_token") {
		q.Set("access_token", "REDACTED")
	}
	h := r.Header.Clone()
	if v := h.Get("Authorization"); v != "" {
		scheme, _, _ := strings.Cut(v, " ")
		h.Set("Authorization", scheme+" REDACTED")
	}
	if h.Get("Sec-WebSocket-Protocol") != "" {
		h.Set("Sec-WebSocket-Protocol", "REDACTED")
	}
	req := &Request{Time: now, Method: r.Method, Path: r.URL.Path, Query: q, Header: h}
	l.mu.Lock()
	if len(l.reqs) == maxLogged {
		l.reqs = append(l.reqs[:0:0], l.reqs[maxLogged/10:]...)
	}
	l.reqs = append(l.reqs, req)
	l.mu.Unlock()
	return &recorder{ResponseWriter: w, log: l, req: req}
}

// Requests returns a copy of the request log (the most recent 10 000).
func (s *Server) Requests() []Request {
	l := s.reqlog
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]Request, len(l.reqs))
	for i, r := range l.reqs {
		out[i] = *r
		out[i].Query = cloneValues(r.Query)
		out[i].Header = r.Header.Clone()
	}
	return out
}

// ClearRequests empties the request log.
func (s *Server) ClearRequests() {
	s.reqlog.mu.Lock()
	s.reqlog.reqs = nil
	s.reqlog.mu.Unlock()
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// recorder notes the status code of a response. It unwraps to the real
// ResponseWriter so http.ResponseController and WebSocket hijacking work.
type recorder struct {
	http.ResponseWriter
	log  *requestLog
	req  *Request
	once bool
}

func (rec *recorder) WriteHeader(code int) {
	rec.setStatus(code)
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(b []byte) (int, error) {
	rec.setStatus(http.StatusOK)
	return rec.ResponseWriter.Write(b)
}

func (rec *recorder) Flush() {
	rec.setStatus(http.StatusOK)
	if f, ok := rec.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

func (rec *recorder) setStatus(code int) {
	if rec.once {
		return
	}
	rec.once = true
	rec.log.mu.Lock()
	rec.req.Status = code
	rec.log.mu.Unlock()
}

func (rec *recorder) finish() {
	if rec.log.observe == nil {
		return
	}
	rec.log.mu.Lock()
	r := *rec.req
	rec.log.mu.Unlock()
	rec.log.observe(r)
}
