package status

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/backup"
	"github.com/tootops/tootops/ops/certs"
)

// services: "services 5/5 up (web, streaming, sidekiq healthy)", or what is down or
// unhealthy.
func (s *Reporter) services(ctx context.Context) []Line {
	st, err := s.o.Services.Ps(ctx)
	if err != nil {
		return s.failed("services", "services", err)
	}
	now := s.o.Now()
	mark := OK
	running, total := 0, 0
	var healthy, trouble []string
	for _, svc := range st.Services {
		n := svc.Running()
		running += n
		total += len(svc.Replicas)
		var bad []string
		if n < len(svc.Replicas) {
			mark = Fail
			var states []string
			for _, r := range svc.Replicas {
				if r.State == "running" {
					continue
				}
				d := r.State
				if r.State == "exited" || r.State == "dead" {
					d += fmt.Sprintf(" (%d)", r.ExitCode)
					if !r.FinishedAt.IsZero() {
						d += " " + ops.Ago(now.Sub(r.FinishedAt))
					}
				}
				if !slices.Contains(states, d) {
					states = append(states, d)
				}
			}
			bad = append(bad, fmt.Sprintf("%s %d/%d %s", svc.Name, n, len(svc.Replicas), strings.Join(states, ", ")))
		}
		health := map[string]int{}
		for _, r := range svc.Replicas {
			if r.State == "running" && r.Health != "" {
				health[r.Health]++
			}
		}
		for _, h := range []string{"unhealthy", "starting"} {
			if health[h] == 0 {
				continue
			}
			mark = worst(mark, map[string]Mark{"unhealthy": Fail, "starting": Warn}[h])
			if n > 1 {
				bad = append(bad, fmt.Sprintf("%s %d of %d %s", svc.Name, health[h], n, h))
			} else {
				bad = append(bad, svc.Name+" "+h)
			}
		}
		switch {
		case len(bad) > 0:
			trouble = append(trouble, bad...)
		case n > 0 && health["healthy"] == n:
			healthy = append(healthy, svc.Name)
		}
	}
	if total == 0 {
		return []Line{{Part: "services", Name: "services", Mark: Fail, Text: "services: no containers in project " + st.Project}}
	}
	text := fmt.Sprintf("services %d/%d up", running, total)
	if len(trouble) > 0 {
		text += ": " + strings.Join(trouble, ", ")
	}
	if len(healthy) > 0 {
		text += " (" + strings.Join(healthy, ", ") + " healthy)"
	}
	return []Line{{Part: "services", Name: "services", Mark: mark, Text: text}}
}

// health: "web /health OK, streaming OK".
func (s *Reporter) health(ctx context.Context) []Line {
	var web, streaming error
	var wg sync.WaitGroup
	wg.Go(func() { web = s.o.Pinger.Ping(ctx, strings.TrimRight(s.o.WebURL, "/")+"/health") })
	if s.o.StreamingURL != "" {
		wg.Go(func() {
			streaming = s.o.Pinger.Ping(ctx, strings.TrimRight(s.o.StreamingURL, "/")+"/api/v1/streaming/health")
		})
	}
	wg.Wait()
	mark, text := OK, "web /health OK"
	var names []string
	if web != nil {
		mark, text = Fail, "web /health: "+s.errText("web /health", web)
		names = append(names, "web /health")
	}
	if s.o.StreamingURL != "" {
		switch {
		case streaming != nil:
			mark = Fail
			text += "; streaming: " + s.errText("streaming health", streaming)
			names = append(names, "streaming health")
		case web != nil:
			text += "; streaming OK"
		default:
			text += ", streaming OK"
		}
	}
	name := "health"
	if len(names) > 0 {
		name = strings.Join(names, ", ")
	}
	return []Line{{Part: "health", Name: name, Mark: mark, Text: text}}
}

// version: "Mastodon v4.5.1 (image, tootctl, API agree)".
func (s *Reporter) version(ctx context.Context) []Line {
	v, err := s.o.Versions.Versions(ctx)
	if err != nil {
		return s.failed("version", "version", err)
	}
	if v.Agree() {
		return []Line{{Part: "version", Name: "version", Mark: OK, Text: "Mastodon " + v.Image + " (image, tootctl, API agree)"}}
	}
	return []Line{{Part: "version", Name: "version", Mark: Warn, Text: fmt.Sprintf("Mastodon versions disagree: image %s, tootctl %s, API %s", v.Image, v.Tootctl, v.API)}}
}

// disk: "disk /opt 91% used (9.2 GB free of 100 GB) — over 85%".
func (s *Reporter) disk(path string) []Line {
	u, err := s.o.Disks.Usage(path)
	if err != nil {
		return s.failed("disk", "disk "+path, err)
	}
	pct := u.UsedPercent()
	l := Line{Part: "disk", Name: "disk " + path, Mark: OK, Text: fmt.Sprintf("disk %s %d%% used (%s free of %s)", path, pct, ops.Bytes(u.Free), ops.Bytes(u.Total))}
	if pct > s.o.DiskWarnPercent {
		l.Mark = Warn
		l.Text += fmt.Sprintf(" — over %d%%", s.o.DiskWarnPercent)
	}
	return []Line{l}
}

// host: "load 0.42 0.37 0.30 on 2 CPUs · memory 3.1 GB of 8.0 GB available".
func (s *Reporter) host() []Line {
	mark := OK
	var parts, names []string
	if l, err := s.o.Host.Load(); err != nil {
		mark = Fail
		names = append(names, "load")
		parts = append(parts, "load unknown ("+s.errText("load", err)+")")
	} else {
		t := fmt.Sprintf("load %.2f %.2f %.2f", l.One, l.Five, l.Fifteen)
		if l.CPUs > 0 {
			t += " on " + plural(l.CPUs, "CPU", "CPUs")
			if l.Five > float64(l.CPUs) {
				mark = Warn
				names = append(names, "load")
				t += " (over 1 per CPU)"
			}
		}
		parts = append(parts, t)
	}
	if m, err := s.o.Host.Memory(); err != nil {
		mark = Fail
		names = append(names, "memory")
		parts = append(parts, "memory unknown ("+s.errText("memory", err)+")")
	} else {
		t := fmt.Sprintf("memory %s of %s available", ops.Bytes(m.Available), ops.Bytes(m.Total))
		if m.Available*100 < m.Total*MemoryWarnPercent {
			mark = worst(mark, Warn)
			names = append(names, "memory")
			t += fmt.Sprintf(" — under %d%%", MemoryWarnPercent)
		}
		parts = append(parts, t)
	}
	name := "load and memory"
	if len(names) > 0 {
		name = strings.Join(names, ", ")
	}
	return []Line{{Part: "host", Name: name, Mark: mark, Text: strings.Join(parts, " · ")}}
}

// backup: "backup 7 h ago (160 MB); restore check 3 days ago OK".
func (s *Reporter) backup(now time.Time) []Line {
	db := s.o.Database
	cat := s.o.Backups
	last, err := cat.Latest(db, 1, func(r backup.Record) bool { return r.Status == backup.OK })
	if err != nil {
		return s.failed("backup", "backup", err)
	}
	attempt, err := cat.Latest(db, 1, func(r backup.Record) bool { return r.Status == backup.OK || r.Status == backup.Failed })
	if err != nil {
		return s.failed("backup", "backup", err)
	}
	checked, err := cat.Latest(db, 50, func(r backup.Record) bool { return r.Verify != nil })
	if err != nil {
		return s.failed("backup", "backup", err)
	}
	var parts []string
	mark := OK
	if len(last) == 0 {
		mark = Fail
		parts = append(parts, "backup: none of "+db+" yet")
	} else {
		r := last[0]
		t := fmt.Sprintf("backup %s (%s)", ops.Ago(now.Sub(r.Started)), ops.Bytes(r.Size))
		if now.Sub(r.Started) > BackupMaxAge {
			mark = Warn
			t += fmt.Sprintf(" — older than %d h", int(BackupMaxAge.Hours()))
		}
		parts = append(parts, t)
	}
	if len(attempt) > 0 && attempt[0].Status == backup.Failed {
		mark = worst(mark, Warn)
		a := attempt[0]
		parts = append(parts, fmt.Sprintf("the last attempt %s FAILED: %s", ops.Ago(now.Sub(a.Started)), shorten(a.Error, 80)))
	}
	if len(checked) == 0 {
		if len(last) > 0 {
			mark = worst(mark, Warn)
			parts = append(parts, "no restore check yet")
		}
	} else {
		v := *slices.MaxFunc(checked, func(a, b backup.Record) int { return a.Verify.At.Compare(b.Verify.At) }).Verify
		if v.OK {
			parts = append(parts, fmt.Sprintf("restore check %s OK", ops.Ago(now.Sub(v.At))))
		} else {
			mark = Fail
			parts = append(parts, fmt.Sprintf("restore check %s FAILED: %s", ops.Ago(now.Sub(v.At)), shorten(v.Detail, 80)))
		}
	}
	return []Line{{Part: "backup", Name: "backup", Mark: mark, Text: strings.Join(parts, "; ")}}
}

// certificates: a line per host with a problem, then one for the hosts that are fine:
// "⚠ certificate streaming.social.example.coop: 5 days left".
func (s *Reporter) certificates(ctx context.Context) []Line {
	rs := s.o.Certs.Check(ctx)
	var out []Line
	var fine []certs.Result
	for _, r := range rs {
		switch r.Severity {
		case certs.OK:
			fine = append(fine, r)
		case certs.Warn:
			out = append(out, Line{Part: "certificates", Name: "certificate " + r.Host, Mark: Warn, Text: "certificate " + r.Host + ": " + daysLeft(r.DaysLeft)})
		default:
			out = append(out, Line{Part: "certificates", Name: "certificate " + r.Host, Mark: Fail, Text: "certificate " + r.Host + ": " + r.Problem})
		}
	}
	if len(fine) == 0 {
		return out
	}
	first := slices.MinFunc(fine, func(a, b certs.Result) int { return cmp.Compare(a.DaysLeft, b.DaysLeft) })
	var text string
	switch {
	case len(fine) == 1:
		text = "certificate " + first.Host + ": " + daysLeft(first.DaysLeft)
	case len(out) == 0:
		text = fmt.Sprintf("certificates of %d hosts OK, the first to expire in %s (%s)", len(fine), plural(first.DaysLeft, "day", "days"), first.Host)
	default:
		text = fmt.Sprintf("certificates of %d other hosts OK, %s or more left", len(fine), plural(first.DaysLeft, "day", "days"))
	}
	return append(out, Line{Part: "certificates", Name: "certificates", Mark: OK, Text: text})
}

// sidekiq: "sidekiq: 12 enqueued (default 10, push 2), latency 1.2s, 3 retries, 0 dead,
// scheduled 14 · processed 1,234, failed 5".
func (s *Reporter) sidekiq(ctx context.Context) []Line {
	st, err := s.o.Sidekiq.Stats(ctx)
	if err != nil {
		return s.failed("sidekiq", "sidekiq", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "sidekiq: %s enqueued", ops.Thousands(st.Enqueued))
	var busy []Queue
	for _, q := range st.Queues {
		if q.Size > 0 {
			busy = append(busy, q)
		}
	}
	slices.SortStableFunc(busy, func(a, b Queue) int {
		return cmp.Or(cmp.Compare(b.Size, a.Size), strings.Compare(a.Name, b.Name))
	})
	if len(busy) > 0 {
		const show = 4
		var qs []string
		for _, q := range busy[:min(show, len(busy))] {
			qs = append(qs, q.Name+" "+ops.Thousands(q.Size))
		}
		if len(busy) > show {
			qs = append(qs, fmt.Sprintf("%d more", len(busy)-show))
		}
		b.WriteString(" (" + strings.Join(qs, ", ") + ")")
	}
	mark := OK
	fmt.Fprintf(&b, ", latency %s", latency(st.Latency))
	switch {
	case st.Latency > LatencyFail:
		mark = Fail
		b.WriteString(" (over " + latency(LatencyFail) + ")")
	case st.Latency > LatencyWarn:
		mark = Warn
		b.WriteString(" (over " + latency(LatencyWarn) + ")")
	}
	fmt.Fprintf(&b, ", %s, %s dead, scheduled %s", plural64(st.Retries, "retry", "retries"), ops.Thousands(st.Dead), ops.Thousands(st.Scheduled))
	fmt.Fprintf(&b, " · processed %s, failed %s", ops.Thousands(st.Processed), ops.Thousands(st.Failed))
	return []Line{{Part: "sidekiq", Name: "sidekiq", Mark: mark, Text: b.String()}}
}

// failed is the ✗ line of a part whose source failed: "disk /opt: no such file or
// directory".
func (s *Reporter) failed(kind, name string, err error) []Line {
	return []Line{{Part: kind, Name: name, Mark: Fail, Text: name + ": " + s.errText(name, err)}}
}

// errText is the text of err safe to show, the full error going to the log.
func (s *Reporter) errText(name string, err error) string {
	s.o.Log.Warn().Err(err).Str("part", name).Msg("status part failed")
	return ops.SafeText(err)
}

// latency renders a wait: "0s", "1.2s", "42s", "4m10s", "2h5m", "3d4h".
func latency(d time.Duration) string {
	switch {
	case d <= 0:
		return "0s"
	case d < 10*time.Second:
		return fmt.Sprintf("%.1fs", d.Seconds())
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		m, sec := int(d/time.Minute), int(d%time.Minute/time.Second)
		if sec == 0 {
			return fmt.Sprintf("%dm", m)
		}
		return fmt.Sprintf("%dm%ds", m, sec)
	case d < 24*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%dh", h)
		}
		return fmt.Sprintf("%dh%dm", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%dd", days)
	}
	return fmt.Sprintf("%dd%dh", days, h)
}

// daysLeft: "5 days left", "1 day left", "expires today".
func daysLeft(n int) string {
	if n <= 0 {
		return "expires today"
	}
	return plural(n, "day", "days") + " left"
}

func plural64(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return ops.Thousands(n) + " " + many
}

// shorten cuts s to n runes, marking the cut with "…".
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
