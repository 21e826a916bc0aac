package status

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/ops/backup"
	"github.com/tootops/tootops/ops/certs"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/upgrade"
)

// Mark is how a line of the reply starts.
type Mark string

// The marks, from good to bad.
const (
	OK   Mark = "✓"
	Warn Mark = "⚠"
	Fail Mark = "✗"
)

func (m Mark) rank() int {
	switch m {
	case Warn:
		return 1
	case Fail:
		return 2
	}
	return 0
}

// worst returns the worse of two marks.
func worst(a, b Mark) Mark {
	if b.rank() > a.rank() {
		return b
	}
	return a
}

// Line is one line of the reply.
type Line struct {
	Part string // "services", "health", "version", "disk", "host", "backup", "certificates", "sidekiq"
	Name string // what a heading calls it: "disk /opt", "certificate social.example.coop"
	Mark Mark
	Text string // without the mark
}

func (l Line) String() string { return string(l.Mark) + " " + l.Text }

// Report is a gathered status.
type Report struct {
	At    time.Time
	Lines []Line
}

// Count is how many lines carry m.
func (r *Report) Count(m Mark) int {
	n := 0
	for _, l := range r.Lines {
		if l.Mark == m {
			n++
		}
	}
	return n
}

// Line returns the first line of part.
func (r *Report) Line(part string) (Line, bool) {
	for _, l := range r.Lines {
		if l.Part == part {
			return l, true
		}
	}
	return Line{}, false
}

// Heading is the first line of the reply: the time, then what is broken and what needs a
// look, by name, or "all good". It stands alone: a scheduled run posts only the first
// line of its reply.
func (r *Report) Heading() string {
	h := "status " + r.At.UTC().Format("2006-01-02 15:04") + " UTC: "
	var groups []string
	for _, m := range []Mark{Fail, Warn} {
		var names []string
		for _, l := range r.Lines {
			if l.Mark == m {
				names = append(names, l.Name)
			}
		}
		if len(names) > 0 {
			groups = append(groups, string(m)+" "+strings.Join(names, ", "))
		}
	}
	if len(groups) == 0 {
		return h + "all good"
	}
	return h + strings.Join(groups, " · ")
}

// String is the reply: the heading, then a line per fact.
func (r *Report) String() string {
	var b strings.Builder
	b.WriteString(r.Heading())
	for _, l := range r.Lines {
		b.WriteString("\n" + l.String())
	}
	return b.String()
}

// The sources of a status, each as small as its part needs.

// Services lists the Compose services; *compose.Project is one.
type Services interface {
	Ps(ctx context.Context) (*compose.Status, error)
}

// Versions reads the running version three ways; *upgrade.Upgrader is one.
type Versions interface {
	Versions(ctx context.Context) (upgrade.Versions, error)
}

// Pinger says whether a URL answers 200; HTTPPinger is one.
type Pinger interface {
	Ping(ctx context.Context, url string) error
}

// Disks measures the file system holding a path; Statfs is one.
type Disks interface {
	Usage(path string) (DiskUsage, error)
}

// Host reads the host's load and memory; Proc is one.
type Host interface {
	Load() (Load, error)
	Memory() (Memory, error)
}

// Catalogue is the backup catalogue; *backup.Catalogue is one.
type Catalogue interface {
	Latest(db string, n int, keep func(backup.Record) bool) ([]backup.Record, error)
}

// Certs checks the configured hosts' certificates; *certs.Checker is one.
type Certs interface {
	Check(ctx context.Context) []certs.Result
}

// Sidekiq reads Sidekiq's queues and sets; RedisSidekiq is one.
type Sidekiq interface {
	Stats(ctx context.Context) (SidekiqStats, error)
}

// Defaults of the zero Options.
const (
	DefaultTimeout         = 15 * time.Second
	DefaultDiskWarnPercent = 85
)

// Thresholds of the marks that have no setting.
const (
	// BackupMaxAge: a last good backup older than this is a warning (a nightly backup
	// that missed one night).
	BackupMaxAge = 36 * time.Hour
	// LatencyWarn and LatencyFail: how long the oldest job of a queue may have waited.
	LatencyWarn = time.Minute
	LatencyFail = 15 * time.Minute
	// MemoryWarnPercent: less memory available than this share of the total is a warning.
	MemoryWarnPercent = 10
)

// Options say where each part comes from. A nil source leaves its part out, except the
// host's: Disks and Host default to the real ones.
type Options struct {
	Services Services // [compose]: the services line
	Versions Versions // the version line
	Sidekiq  Sidekiq  // the sidekiq line
	// WebURL and StreamingURL are pinged at /health and /api/v1/streaming/health; an empty
	// WebURL leaves the health line out, an empty StreamingURL pings web alone.
	WebURL, StreamingURL string
	Pinger               Pinger // nil: HTTPPinger with a client of its own
	// DiskPaths are measured one line each; nil means "/". DiskWarnPercent (default 85)
	// is the use above which a disk is a warning.
	DiskPaths       []string
	DiskWarnPercent int
	Disks           Disks // nil: Statfs
	Host            Host  // nil: Proc{}
	// Backups and Database give the backup line ([backup]).
	Backups  Catalogue
	Database string
	Certs    Certs         // [certs]: the certificate lines
	Timeout  time.Duration // per part; 0 means DefaultTimeout
	Now      func() time.Time
	Log      zerolog.Logger // each failed part, in full; the zero value logs nothing
}

// Reporter gathers status reports. It is safe for concurrent use.
type Reporter struct{ o Options }

// New returns a Reporter over o's sources.
func New(o Options) *Reporter {
	if o.Pinger == nil {
		o.Pinger = &HTTPPinger{}
	}
	if o.DiskPaths == nil {
		o.DiskPaths = []string{"/"}
	}
	if o.DiskWarnPercent <= 0 {
		o.DiskWarnPercent = DefaultDiskWarnPercent
	}
	if o.Disks == nil {
		o.Disks = Statfs{}
	}
	if o.Host == nil {
		o.Host = Proc{}
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Reporter{o: o}
}

// part is one independent piece of the report: what it is called in a ✗ line, and how its
// lines are made.
type part struct {
	name string // "services", "disk /opt"…
	kind string // Line.Part
	run  func(ctx context.Context) []Line
}

// Report gathers every part at once, each bounded by the part timeout. A part that fails
// is a ✗ line; one that outlives its timeout (a statfs of a hung NFS mount ignores
// contexts) is left behind and reported as timed out.
func (s *Reporter) Report(ctx context.Context) *Report {
	o := s.o
	now := o.Now()
	var parts []part
	if o.Services != nil {
		parts = append(parts, part{"services", "services", s.services})
	}
	if o.WebURL != "" {
		parts = append(parts, part{"web /health", "health", s.health})
	}
	if o.Versions != nil {
		parts = append(parts, part{"version", "version", s.version})
	}
	for _, p := range o.DiskPaths {
		parts = append(parts, part{"disk " + p, "disk", func(context.Context) []Line { return s.disk(p) }})
	}
	parts = append(parts, part{"load", "host", func(context.Context) []Line { return s.host() }})
	if o.Backups != nil {
		parts = append(parts, part{"backup", "backup", func(context.Context) []Line { return s.backup(now) }})
	}
	if o.Certs != nil {
		parts = append(parts, part{"certificates", "certificates", s.certificates})
	}
	if o.Sidekiq != nil {
		parts = append(parts, part{"sidekiq", "sidekiq", s.sidekiq})
	}

	results := make([]chan []Line, len(parts))
	for i, p := range parts {
		results[i] = make(chan []Line, 1)
		go func() {
			pctx, cancel := context.WithTimeout(ctx, o.Timeout)
			defer cancel()
			defer func() {
				if v := recover(); v != nil {
					o.Log.Error().Str("part", p.name).Str("panic", fmt.Sprint(v)).Msg("status part panicked")
					results[i] <- []Line{{Part: p.kind, Name: p.name, Mark: Fail, Text: p.name + ": internal error (the bot's log has the details)"}}
				}
			}()
			results[i] <- p.run(pctx)
		}()
	}
	r := &Report{At: now}
	deadline := time.NewTimer(o.Timeout + time.Second)
	defer deadline.Stop()
	var gone string // once set, why the parts still running are not waited for
	for i, p := range parts {
		if gone == "" {
			select {
			case lines := <-results[i]:
				r.Lines = append(r.Lines, lines...)
				continue
			case <-deadline.C:
				gone = "no answer within " + o.Timeout.String()
			case <-ctx.Done():
				gone = "cancelled"
			}
		}
		select {
		case lines := <-results[i]:
			r.Lines = append(r.Lines, lines...)
		default:
			r.Lines = append(r.Lines, Line{Part: p.kind, Name: p.name, Mark: Fail, Text: p.name + ": " + gone})
		}
	}
	return r
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}
