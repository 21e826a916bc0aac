package bot

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/tootops/tootops/audit"
	"github.com/tootops/tootops/bot/stream"
	"github.com/tootops/tootops/jobs"
)

// metrics are the bot's own Prometheus metrics, on a registry of their own: nothing a
// library registers on the global one leaks out, and two bots in one test process do
// not collide. What the bot already knows (jobs, stream, backups, rate limit) is read at
// scrape time; only the commands are counted as they happen.
type metrics struct {
	reg      *prometheus.Registry
	commands *prometheus.CounterVec
	b        *Bot
}

func newMetrics(b *Bot) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		commands: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tootops_commands_total",
			Help: "Commands the bot was sent or ran on schedule, by command (\"unknown\" when not understood or from a stranger) and outcome: ok, failed, refused, cancelled, interrupted, not_understood, not_started, dry_run, proposed, expired, too_late, skipped.",
		}, []string{"command", "outcome"}),
		b: b,
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.commands,
		botCollector{b},
	)
	return m
}

// countedAudit is the audit log, which also counts what it records for /metrics: every
// command, refusal, confirmation and scheduled run goes through it exactly once.
type countedAudit struct {
	*audit.Log
	count func(audit.Entry)
}

// Record implements the audit trail.
func (a countedAudit) Record(e audit.Entry) audit.Entry {
	e = a.Log.Record(e)
	a.count(e)
	return e
}

func (m *metrics) countCommand(e audit.Entry) {
	m.commands.WithLabelValues(m.commandOf(e.Line), outcomeOf(e.Outcome)).Inc()
}

// commandOf names the registered command a line runs, or "unknown": the label takes only
// the registry's names, whatever was typed.
func (m *metrics) commandOf(line string) string {
	words := strings.Fields(line)
	for n := min(len(words), 3); n > 0; n-- {
		if c, ok := m.b.registry.Lookup(strings.Join(words[:n], " ")); ok {
			return c.Name
		}
	}
	return "unknown"
}

// outcomeOf folds the audit outcomes into a few label values; the codes of confirmations
// are left out, so the series stay few.
func outcomeOf(o string) string {
	switch {
	case o == "ok" || o == string(jobs.Succeeded):
		return "ok"
	case o == string(jobs.Failed) || o == "dry run failed" || o == "not proposed":
		return "failed"
	case o == "refused" || o == "refused politely" || o == "ignored":
		return "refused"
	case o == string(jobs.Cancelled) || o == string(jobs.Interrupted) || o == "skipped":
		return o
	case o == "not understood" || o == "not started" || o == "dry run" || o == "too late":
		return strings.ReplaceAll(o, " ", "_")
	case strings.HasPrefix(o, "proposed "):
		return "proposed"
	case strings.HasPrefix(o, "expired "):
		return "expired"
	default:
		return "other"
	}
}

var (
	jobsRunningDesc = prometheus.NewDesc("tootops_jobs_running",
		"Jobs running now.", nil, nil)
	streamConnectedDesc = prometheus.NewDesc("tootops_stream_connected",
		"1 while the Mastodon stream (WebSocket or SSE) is connected, else 0 (also while polling).", nil, nil)
	streamModeDesc = prometheus.NewDesc("tootops_stream_mode",
		"1 for the way notifications reach the bot now (websocket, sse or polling), 0 for the others.", []string{"mode"}, nil)
	streamReconnectsDesc = prometheus.NewDesc("tootops_stream_reconnects_total",
		"Connection attempts of the Mastodon stream after the first, failed ones included.", nil, nil)
	backupTimeDesc = prometheus.NewDesc("tootops_backup_last_success_timestamp_seconds",
		"When the newest successful backup of [backup] database finished, in Unix seconds; 0 when there is none.", nil, nil)
	backupSizeDesc = prometheus.NewDesc("tootops_backup_last_size_bytes",
		"Bytes stored (compressed) of the newest successful backup; 0 when there is none.", nil, nil)
	postsDesc = prometheus.NewDesc("tootops_posts_total",
		"Statuses the bot wrote on Mastodon, one per part of a thread: reply (direct answers to admins), edit (live progress), post (announcements, reports, alerts).", []string{"kind"}, nil)
	rateLimitDesc = prometheus.NewDesc("tootops_mastodon_ratelimit_remaining",
		"Requests left in Mastodon's rate-limit window, from the last X-RateLimit-Remaining header; absent until one was seen.", nil, nil)
)

// botCollector reads the bot's state at scrape time.
type botCollector struct{ b *Bot }

var _ prometheus.Collector = botCollector{}

// Describe implements prometheus.Collector.
func (c botCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{jobsRunningDesc, streamConnectedDesc, streamModeDesc, streamReconnectsDesc, backupTimeDesc, backupSizeDesc, postsDesc, rateLimitDesc} {
		ch <- d
	}
}

// Collect implements prometheus.Collector. Under `bot console` there is no Mastodon,
// and its metrics are left out; without [backup], so are the backup's.
func (c botCollector) Collect(ch chan<- prometheus.Metric) {
	h := c.b.health
	ch <- prometheus.MustNewConstMetric(jobsRunningDesc, prometheus.GaugeValue, float64(c.b.runner.Running()))
	if !h.console.Load() {
		c.collectMastodon(ch)
	}
	if h.backups != nil {
		// A catalogue that cannot be read (the store is failing) leaves the backup out of
		// this scrape; /healthz names the store.
		if r, ok, err := h.backups.LastOK(h.database); err == nil {
			var at, size float64
			if ok {
				t := r.Finished
				if t.IsZero() {
					t = r.Started
				}
				at, size = float64(t.UnixMilli())/1000, float64(r.Size)
			}
			ch <- prometheus.MustNewConstMetric(backupTimeDesc, prometheus.GaugeValue, at)
			ch <- prometheus.MustNewConstMetric(backupSizeDesc, prometheus.GaugeValue, size)
		}
	}
}

func (c botCollector) collectMastodon(ch chan<- prometheus.Metric) {
	h := c.b.health
	connected, reconnects := 0.0, 0.0
	if s := h.stream.Load(); s != nil {
		if s.Connected() {
			connected = 1
		}
		reconnects = float64(s.Reconnects())
		now := s.Mode()
		for _, mode := range []stream.Mode{stream.WebSocket, stream.SSE, stream.Polling} {
			v := 0.0
			if mode == now {
				v = 1
			}
			ch <- prometheus.MustNewConstMetric(streamModeDesc, prometheus.GaugeValue, v, string(mode))
		}
	}
	ch <- prometheus.MustNewConstMetric(streamConnectedDesc, prometheus.GaugeValue, connected)
	ch <- prometheus.MustNewConstMetric(streamReconnectsDesc, prometheus.CounterValue, reconnects)
	var posts [len(postKinds)]int64
	remaining := -1
	if m := h.mastodon.Load(); m != nil {
		posts = m.rt.Posts()
		remaining, _ = m.rt.Budget()
	}
	for i, kind := range postKinds {
		ch <- prometheus.MustNewConstMetric(postsDesc, prometheus.CounterValue, float64(posts[i]), kind)
	}
	if remaining >= 0 {
		ch <- prometheus.MustNewConstMetric(rateLimitDesc, prometheus.GaugeValue, float64(remaining))
	}
}
