package bot_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/tootops/tootops/mastodonsim"
)

// BenchmarkPingRoundTrip measures an admin's `ping` DM to the bot's reply through the
// imitation over WebSocket, end to end (the imitation's own work included, so the bot's
// share is smaller). Run with -benchtime=1000x for the 1,000 pings.
func BenchmarkPingRoundTrip(b *testing.B) {
	senderBurst = 1 << 30
	defer func() { senderBurst = 10 }()
	in := newInstance(b, mastodonsim.WithRateLimits(unlimited()))
	r := in.serve(b, "", nil)
	defer r.stop(b)
	in.waitReply(b, in.dm(in.alice, "ping"))
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		st := in.dm(in.alice, "ping")
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if _, err := in.srv.WaitForStatus(ctx, func(s mastodonsim.Status) bool { return s.InReplyToID == st.ID }); err != nil {
			b.Fatal(err)
		}
		cancel()
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
}

// BenchmarkStrangerFlood measures how fast the bot goes through DMs from a non-admin:
// 10,000 sent while it was down, read by its catch-up on start. None may be answered.
// It reports the rate end to end (the imitation's paging included) and the bot's own
// rate (its time on the notifications, the server's answers excluded).
func BenchmarkStrangerFlood(b *testing.B) {
	const flood = 10000
	for range b.N {
		b.StopTimer()
		in := newInstance(b, mastodonsim.WithRateLimits(unlimited()))
		in.srv.Follow(in.botAcc, in.mallor) // so the policy does not filter them
		path := filepath.Join(b.TempDir(), "s.db")
		r := in.serve(b, path, nil)
		in.waitReply(b, in.dm(in.alice, "ping"))
		r.stop(b)
		for range flood {
			in.dm(in.mallor, "ping")
		}
		last := in.dm(in.alice, "ping")
		b.StartTimer()
		start := time.Now()
		r = in.serve(b, path, nil)
		in.waitReply(b, last)
		took := time.Since(start)
		b.StopTimer()
		processed, busy := r.intake.Stats()
		r.stop(b)
		replies := len(in.srv.Statuses(func(s mastodonsim.Status) bool { return s.Account == in.botAcc }))
		if replies != 2 { // the two pings of alice
			b.Fatalf("%d replies, want 2: strangers must get none", replies)
		}
		b.ReportMetric(flood/took.Seconds(), "DMs/s-with-server")
		b.ReportMetric(float64(processed)/busy.Seconds(), "DMs/s-bot")
	}
}

// unlimited lifts the imitation's rate limits: the benchmarks measure the bot, and a real
// instance would stop a bot that posts a thousand replies within minutes.
func unlimited() mastodonsim.RateLimits {
	l := mastodonsim.DefaultRateLimits()
	for _, lim := range []*mastodonsim.Limit{&l.PerToken, &l.PerAccount, &l.Paging, &l.Statuses, &l.Unauthenticated} {
		lim.Max = 1_000_000
	}
	return l
}
