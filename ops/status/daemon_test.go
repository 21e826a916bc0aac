package status_test

// The real sources on the real Docker daemon (see lab.Docker): the lab's Mastodon with a
// real Redis (lab.RedisService) seeded with Sidekiq's keys as Sidekiq writes them.

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/status"
	"github.com/tootops/tootops/ops/upgrade"
)

func TestStatusOnTheLab(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	services := lab.Mastodon(1)
	for i := range services {
		if services[i].Name == "redis" {
			services[i] = lab.RedisService()
		}
	}
	p := lab.Up(t, cli, lab.Spec{Services: services})
	for _, s := range []string{"redis", "web", "streaming"} {
		p.WaitHealthy(t, s, time.Minute)
	}
	redisID := p.Containers(t, "redis")[0].ID
	redis := func(args ...string) {
		t.Helper()
		out, stderr, code := p.Exec(t, redisID, append([]string{"redis-cli"}, args...)...)
		if code != 0 || strings.HasPrefix(out, "ERR") {
			t.Fatalf("redis-cli %q: exit %d: %s%s", args, code, out, stderr)
		}
	}
	// Sidekiq's keys, as Sidekiq 7 writes them (LPUSH: the oldest job is the last), and a
	// job as Sidekiq 8 writes it (enqueued_at in milliseconds); mastodon:… is a namespace.
	for _, ns := range []string{"", "mastodon:"} {
		redis("SADD", ns+"queues", "default", "push", "mailers")
		redis("LPUSH", ns+"queue:default", `{"class":"ActivityPub::DeliveryWorker","args":["x"],"jid":"a1","enqueued_at":1700000000.5}`)
		redis("LPUSH", ns+"queue:default", `{"class":"LinkCrawlWorker","args":[1],"jid":"a2","enqueued_at":1700000080.0}`)
		redis("LPUSH", ns+"queue:push", `{"class":"Web::PushNotificationWorker","args":[],"jid":"b1","enqueued_at":1700000060500}`)
		redis("ZADD", ns+"retry", "1700000100", `{"jid":"r1"}`, "1700000200", `{"jid":"r2"}`)
		redis("ZADD", ns+"dead", "1700000000", `{"jid":"d1"}`)
		redis("ZADD", ns+"schedule", "1700003600", `{"jid":"s1"}`)
		redis("SET", ns+"stat:processed", "1234")
		redis("SET", ns+"stat:failed", "5")
	}

	project, err := compose.New(compose.Options{Project: p.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = project.Close() })
	web := fmt.Sprintf("http://127.0.0.1:%d", p.Ports["web"])
	streaming := fmt.Sprintf("http://127.0.0.1:%d", p.Ports["streaming"])
	clock := func() time.Time { return time.Unix(1_700_000_090, 500_000_000) }
	o := status.Options{
		Services:     project,
		Versions:     upgrade.New(upgrade.Options{Engine: project, WebURL: web}),
		Sidekiq:      &status.RedisSidekiq{Exec: project, Now: clock},
		WebURL:       web,
		StreamingURL: streaming,
		DiskPaths:    []string{t.TempDir()},
	}
	ctx := context.Background()
	rep := status.New(o).Report(ctx)
	t.Logf("on the lab:\n%s", rep)
	for part, want := range map[string]string{
		"services": "✓ services 5/5 up (redis, streaming, web healthy)",
		"health":   "✓ web /health OK, streaming OK",
		"version":  "✓ Mastodon v4.5.0 (image, tootctl, API agree)",
		"sidekiq":  "⚠ sidekiq: 3 enqueued (default 2, push 1), latency 1m30s (over 1m), 2 retries, 1 dead, scheduled 1 · processed 1,234, failed 5",
	} {
		if l, _ := rep.Line(part); l.String() != want {
			t.Errorf("%s line\n got %q\nwant %q", part, l, want)
		}
	}
	if l, _ := rep.Line("disk"); !strings.Contains(l.Text, "% used (") {
		t.Errorf("disk line %q", l)
	}
	if l, _ := rep.Line("host"); l.Mark == status.Fail {
		t.Errorf("host line %q", l)
	}

	// The namespaced keys, read by a source told the namespace.
	o.Sidekiq = &status.RedisSidekiq{Exec: project, Namespace: "mastodon", Now: clock}
	if l, _ := status.New(o).Report(ctx).Line("sidekiq"); !strings.HasPrefix(l.String(), "⚠ sidekiq: 3 enqueued (default 2, push 1), latency 1m30s") {
		t.Errorf("namespaced sidekiq line %q", l)
	}

	// Sidekiq stopped, then Redis: the services line names them, and the sidekiq line
	// says Redis is not running instead of failing the reply.
	for _, s := range []string{"sidekiq", "redis"} {
		stopCtx, cancel := context.WithTimeout(ctx, time.Minute)
		_, err := cli.ContainerStop(stopCtx, p.Containers(t, s)[0].ID, client.ContainerStopOptions{})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	rep = status.New(o).Report(ctx)
	t.Logf("with sidekiq and redis stopped:\n%s", rep)
	if l, _ := rep.Line("services"); !strings.HasPrefix(l.String(), "✗ services 3/5 up: redis 0/1 exited (0) just now, sidekiq 0/1 exited (") {
		t.Errorf("services line %q", l)
	}
	if l, _ := rep.Line("sidekiq"); l.String() != "✗ sidekiq: service redis has no running container — start it first: start redis" {
		t.Errorf("sidekiq line %q", l)
	}
	if l, _ := rep.Line("health"); l.Mark != status.OK {
		t.Errorf("health line %q", l)
	}
}
