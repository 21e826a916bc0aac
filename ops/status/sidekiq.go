package status

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// SidekiqStats is what Sidekiq keeps in Redis about its work.
type SidekiqStats struct {
	Queues    []Queue       // in the order SMEMBERS gave them
	Enqueued  int64         // jobs in all queues
	Latency   time.Duration // the longest any queue's oldest job has waited
	Retries   int64         // the retry set
	Dead      int64         // the dead set
	Scheduled int64         // the schedule set
	Processed int64         // stat:processed, since the stats were last reset
	Failed    int64         // stat:failed
}

// Queue is one Sidekiq queue.
type Queue struct {
	Name    string
	Size    int64
	Latency time.Duration // how long its oldest job has waited; 0 when empty
}

// Execer runs a program in a running container of a Compose service; *compose.Project
// is one.
type Execer interface {
	Exec(ctx context.Context, service string, o compose.ExecOptions) error
}

// RedisSidekiq reads Sidekiq's keys with redis-cli inside the Compose redis service, as
// `docker compose exec -T redis redis-cli …` would: no Redis client, port or password in
// the bot. Two execs: SMEMBERS queues, then every other command at once on redis-cli's
// standard input. Each command is a read of one key.
type RedisSidekiq struct {
	Exec    Execer
	Service string // the Compose service running Redis; "" means "redis"
	// Namespace prefixes every key ("mastodon" reads mastodon:queues…). Mastodon uses
	// none unless REDIS_NAMESPACE was set, which versions before 4.3 allowed.
	Namespace string
	Now       func() time.Time // nil means time.Now
}

var _ Sidekiq = (*RedisSidekiq)(nil)

// Stats reads the queues, their oldest jobs, the retry, dead and schedule sets and the
// processed and failed counters.
func (r *RedisSidekiq) Stats(ctx context.Context) (SidekiqStats, error) {
	var st SidekiqStats
	out, err := r.cli(ctx, nil, "SMEMBERS", r.key("queues"))
	if err != nil {
		return st, err
	}
	names, err := parseMembers(out)
	if err != nil {
		return st, err
	}
	// LLEN and LINDEX -1 (the oldest job: Sidekiq pushes on the left) per queue, then the
	// sets and counters; every reply is one line.
	var in strings.Builder
	for _, q := range names {
		fmt.Fprintf(&in, "LLEN %s\nLINDEX %s -1\n", quoteArg(r.key("queue:"+q)), quoteArg(r.key("queue:"+q)))
	}
	for _, k := range []string{"retry", "dead", "schedule"} {
		fmt.Fprintf(&in, "ZCARD %s\n", quoteArg(r.key(k)))
	}
	for _, k := range []string{"stat:processed", "stat:failed"} {
		fmt.Fprintf(&in, "GET %s\n", quoteArg(r.key(k)))
	}
	out, err = r.cli(ctx, strings.NewReader(in.String()))
	if err != nil {
		return st, err
	}
	replies, err := parseReplies(out, 2*len(names)+5)
	if err != nil {
		return st, err
	}
	now := time.Now
	if r.Now != nil {
		now = r.Now
	}
	t := now()
	for i, name := range names {
		q := Queue{Name: name}
		if q.Size, err = replies[2*i].integer(); err != nil {
			return st, fmt.Errorf("sidekiq: LLEN queue:%s: %w", name, err)
		}
		if oldest := replies[2*i+1]; !oldest.nil && q.Size > 0 {
			if at, ok := enqueuedAt(oldest.text); ok {
				q.Latency = max(0, t.Sub(at))
			}
		}
		st.Queues = append(st.Queues, q)
		st.Enqueued += q.Size
		st.Latency = max(st.Latency, q.Latency)
	}
	rest := replies[2*len(names):]
	for i, dst := range []*int64{&st.Retries, &st.Dead, &st.Scheduled, &st.Processed, &st.Failed} {
		if *dst, err = rest[i].integer(); err != nil {
			return st, fmt.Errorf("sidekiq: %s: %w", []string{"ZCARD retry", "ZCARD dead", "ZCARD schedule", "GET stat:processed", "GET stat:failed"}[i], err)
		}
	}
	return st, nil
}

func (r *RedisSidekiq) key(k string) string {
	if r.Namespace == "" {
		return k
	}
	return r.Namespace + ":" + k
}

// cli runs redis-cli --no-raw with args, or with the commands of stdin; --no-raw makes
// every reply one unambiguous line: (integer) 3, (nil), "quoted", (error) ….
func (r *RedisSidekiq) cli(ctx context.Context, stdin *strings.Reader, args ...string) (string, error) {
	service := r.Service
	if service == "" {
		service = "redis"
	}
	var stdout, stderr bytes.Buffer
	o := compose.ExecOptions{Cmd: append([]string{"redis-cli", "--no-raw"}, args...), Stdout: &stdout, Stderr: &stderr}
	if stdin != nil {
		o.Stdin = stdin
	}
	err := r.Exec.Exec(ctx, service, o)
	var exit *compose.ExitError
	switch {
	case errors.As(err, &exit):
		msg := firstLine(stderr.String())
		if msg == "" {
			msg = firstLine(stdout.String())
		}
		return "", &ops.Error{Msg: fmt.Sprintf("redis-cli in %s exited with %d: %s", service, exit.Code, msg), Err: err}
	case err != nil:
		return "", err
	}
	return stdout.String(), nil
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	line, _, _ := strings.Cut(s, "\n")
	return shorten(line, 120)
}

// reply is one line of redis-cli --no-raw.
type reply struct {
	nil  bool
	num  int64
	isN  bool
	text string
}

// integer reads an integer reply, a string holding one (GET of a counter), or nil as 0.
func (r reply) integer() (int64, error) {
	switch {
	case r.nil:
		return 0, nil
	case r.isN:
		return r.num, nil
	}
	n, err := strconv.ParseInt(r.text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("expected a number, got %q", shorten(r.text, 40))
	}
	return n, nil
}

// parseReplies reads want one-line replies. An error reply ("(error) WRONGTYPE …") fails
// the whole read: Sidekiq's keys are not what they should be.
func parseReplies(out string, want int) ([]reply, error) {
	var rs []reply
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		r, err := parseReply(line)
		if err != nil {
			return nil, err
		}
		rs = append(rs, r)
	}
	if len(rs) != want {
		return nil, &ops.Error{Msg: fmt.Sprintf("redis-cli answered %d lines to %d commands", len(rs), want)}
	}
	return rs, nil
}

func parseReply(line string) (reply, error) {
	switch {
	case line == "(nil)":
		return reply{nil: true}, nil
	case strings.HasPrefix(line, "(integer) "):
		n, err := strconv.ParseInt(strings.TrimPrefix(line, "(integer) "), 10, 64)
		if err != nil {
			return reply{}, &ops.Error{Msg: fmt.Sprintf("unexpected redis-cli reply %q", shorten(line, 60))}
		}
		return reply{num: n, isN: true}, nil
	case strings.HasPrefix(line, "(error) "):
		return reply{}, &ops.Error{Msg: "redis: " + shorten(strings.TrimPrefix(line, "(error) "), 120)}
	case strings.HasPrefix(line, `"`):
		s, err := strconv.Unquote(line)
		if err != nil {
			return reply{}, &ops.Error{Msg: fmt.Sprintf("unexpected redis-cli reply %.60q", line)}
		}
		return reply{text: s}, nil
	}
	// A status reply such as OK.
	return reply{text: line}, nil
}

// parseMembers reads the array reply of SMEMBERS: `1) "default"` lines, or "(empty
// array)" ("(empty list or set)" before Redis 6.2).
func parseMembers(out string) ([]string, error) {
	var names []string
	for line := range strings.Lines(out) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "(empty") {
			continue
		}
		if strings.HasPrefix(line, "(error) ") {
			return nil, &ops.Error{Msg: "redis: " + shorten(strings.TrimPrefix(line, "(error) "), 120)}
		}
		_, v, ok := strings.Cut(line, ") ")
		if !ok {
			return nil, &ops.Error{Msg: fmt.Sprintf("unexpected redis-cli reply %.60q", line)}
		}
		s, err := strconv.Unquote(strings.TrimSpace(v))
		if err != nil {
			return nil, &ops.Error{Msg: fmt.Sprintf("unexpected redis-cli reply %.60q", line)}
		}
		names = append(names, s)
	}
	return names, nil
}

// quoteArg quotes a key for redis-cli's command line reader: inside double quotes, a
// backslash, a quote and any byte that is not printable ASCII are escaped.
func quoteArg(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' || c == '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c >= 0x7f:
			fmt.Fprintf(&b, "\\x%02x", c)
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// enqueuedAt reads a job's enqueued_at: float seconds since the epoch up to Sidekiq 7,
// integer milliseconds from Sidekiq 8.
func enqueuedAt(job string) (time.Time, bool) {
	var j struct {
		EnqueuedAt json.Number `json:"enqueued_at"`
	}
	if err := json.Unmarshal([]byte(job), &j); err != nil || j.EnqueuedAt == "" {
		return time.Time{}, false
	}
	v, err := j.EnqueuedAt.Float64()
	if err != nil || v <= 0 || math.IsInf(v, 0) {
		return time.Time{}, false
	}
	if v > 1e11 { // milliseconds: 1e11 seconds is the year 5138
		v /= 1000
	}
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9)), true
}
