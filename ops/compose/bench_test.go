package compose_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops/compose"
)

// Budgets (issue 5): ps on a 20-container project ≤ 300 ms; logs web 200 ≤ 500 ms.
// go test ./ops/compose -run '^$' -bench . -benchtime 20x

func benchProject(b *testing.B, services []lab.Service) (*compose.Project, *lab.Project) {
	b.Helper()
	cli := lab.Docker(b)
	lp := lab.Up(b, cli, lab.Spec{Services: services})
	p, err := compose.New(compose.Options{Project: lp.Name, Client: cli})
	if err != nil {
		b.Fatal(err)
	}
	return p, lp
}

func BenchmarkPs20Containers(b *testing.B) {
	p, _ := benchProject(b, lab.Mastodon(16)) // db, redis, web, streaming and 16 sidekiqs
	ctx := context.Background()
	st, err := p.Ps(ctx)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	for _, s := range st.Services {
		n += len(s.Replicas)
	}
	if n != 20 {
		b.Fatalf("%d containers, want 20", n)
	}
	for b.Loop() {
		if _, err := p.Ps(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/ps")
}

func BenchmarkLogsWeb200(b *testing.B) {
	p, lp := benchProject(b, lab.Mastodon(1))
	// Requests make web log: 300 lines, more than the 200 asked for.
	url := fmt.Sprintf("http://127.0.0.1:%d/api/v2/instance", lp.Ports["web"])
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < 300; {
		resp, err := http.Get(url)
		if err != nil {
			if time.Now().After(deadline) {
				b.Fatal(err)
			}
			time.Sleep(50 * time.Millisecond)
			continue
		}
		resp.Body.Close()
		i++
	}
	ctx := context.Background()
	o := compose.LogOptions{Lines: 200, MaxBytes: 1 << 20}
	logs, err := p.Logs(ctx, "web", o)
	if err != nil || len(logs.Lines) != 200 {
		b.Fatalf("%d lines, %v", len(logs.Lines), err)
	}
	for b.Loop() {
		if _, err := p.Logs(ctx, "web", o); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/logs")
}
