package compose_test

import (
	"context"
	"flag"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops/compose"
)

// Budget (issue 5): memory flat while following logs for a minute.
//
//	go test ./ops/compose -run '^$' -bench FollowChatty -benchtime 1x
//	go test ./ops/compose -run '^$' -bench FollowChatty -benchtime 1x -follow-for 1m
var (
	followLines = flag.Int64("follow-lines", 200_000, "BenchmarkFollowChatty: lines to follow, at least")
	followFor   = flag.Duration("follow-for", 0, "BenchmarkFollowChatty: time to follow, at least")
)

// countingProgress reads the count of new lines from the header of each note.
type countingProgress struct {
	seen atomic.Int64
}

var newLines = regexp.MustCompile(`: (\d+) new lines?`)

func (c *countingProgress) Report(_, _ int64, note string) {
	if m := newLines.FindStringSubmatch(note); m != nil {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		c.seen.Store(n)
	}
}
func (c *countingProgress) Done() {}

// heap is the heap in use (spans) and live (objects) after a collection, in KiB.
func heap() (inUse, live float64) {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapInuse) / 1024, float64(m.HeapAlloc) / 1024
}

// BenchmarkFollowChatty follows two lab replicas that log as fast as they can (mastolab's
// sidekiq with LAB_TICK=1µs: a line per tick, a warning on stderr every fifth) with
// --grep, for -follow-lines lines and -follow-for, and reports the heap in use after a
// collection (spans in use, and live objects): before following, once following has
// settled (10,000 lines in), and at the end while still following; also the peak in use
// between, sampled every 100 ms without a collection, and the goroutines at the start and
// the end. With -v, a line every 10 s shows the heap along the way.
func BenchmarkFollowChatty(b *testing.B) {
	p, _ := benchProject(b, []lab.Service{{Name: "sidekiq", Replicas: 2, Env: []string{"LAB_TICK=1us"}}})
	const settled = 10_000
	for b.Loop() {
		before, _ := heap()
		ctx, cancel := context.WithCancel(context.Background())
		prog := &countingProgress{}
		done := make(chan error, 1)
		var res *compose.Followed
		go func() {
			var err error
			res, err = p.FollowLogs(ctx, "sidekiq", compose.FollowOptions{Lines: 100, Grep: "retry", Every: 100 * time.Millisecond}, prog)
			done <- err
		}()
		wait := func(lines int64) {
			for prog.seen.Load() < lines {
				select {
				case err := <-done:
					b.Fatalf("following ended: %v", err)
				case <-time.After(20 * time.Millisecond):
				}
			}
		}
		wait(settled)
		began, seenAtStart := time.Now(), prog.seen.Load()
		start, liveStart := heap()
		goroutinesStart := runtime.NumGoroutine()

		var peak atomic.Uint64
		stopSampling := make(chan struct{})
		var sampler sync.WaitGroup
		sampler.Go(func() {
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			timeline := time.NewTicker(10 * time.Second)
			defer timeline.Stop()
			for {
				select {
				case <-stopSampling:
					return
				case <-timeline.C:
					inUse, live := heap()
					b.Logf("%5.1fs %9d lines: heap in use %6.0f KiB, live %6.0f KiB", time.Since(began).Seconds(), prog.seen.Load()-seenAtStart, inUse, live)
				case <-t.C:
					var m runtime.MemStats
					runtime.ReadMemStats(&m)
					if m.HeapInuse > peak.Load() {
						peak.Store(m.HeapInuse)
					}
				}
			}
		})
		wait(*followLines)
		for time.Since(began) < *followFor {
			wait(prog.seen.Load() + 1)
		}
		close(stopSampling)
		sampler.Wait()
		end, liveEnd := heap()
		goroutinesEnd := runtime.NumGoroutine()
		took, lines := time.Since(began), prog.seen.Load()-seenAtStart
		cancel()
		if err := <-done; err != context.Canceled {
			b.Fatal(err)
		}
		if res.Matched == 0 || res.Matched > res.Seen/4 || len(res.Lines)+res.Dropped != 100 {
			b.Fatalf("followed %d lines, %d matched, %d kept", res.Seen, res.Matched, len(res.Lines))
		}
		b.ReportMetric(before, "heapKiB-before")
		b.ReportMetric(start, "heapKiB-start")
		b.ReportMetric(end, "heapKiB-end")
		b.ReportMetric(float64(peak.Load())/1024, "heapKiB-peak")
		b.ReportMetric(liveStart, "liveKiB-start")
		b.ReportMetric(liveEnd, "liveKiB-end")
		b.ReportMetric(float64(goroutinesStart), "goroutines-start")
		b.ReportMetric(float64(goroutinesEnd), "goroutines-end")
		b.ReportMetric(float64(lines), "lines")
		b.ReportMetric(took.Seconds(), "s")
		b.ReportMetric(float64(lines)/took.Seconds(), "lines/s")
	}
}
