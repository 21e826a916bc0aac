package lab

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// TestRealRedisImage brings up a project whose redis is the real Redis image, checks its
// healthcheck, version and commands, reaches it from another container by the service
// name, and stops it the way Docker does.
func TestRealRedisImage(t *testing.T) {
	t.Parallel()
	cli := Docker(t)
	// client: a second Redis of the same image, for its redis-cli on the project's network.
	other := RedisService()
	other.Name = "client"
	p := Up(t, cli, Spec{Services: []Service{RedisService(), other}})
	p.WaitHealthy(t, "redis", time.Minute)
	id := p.Containers(t, "redis")[0].ID

	rcli := func(id string, args ...string) string {
		t.Helper()
		stdout, stderr, code := p.Exec(t, id, append([]string{"redis-cli"}, args...)...)
		if code != 0 {
			t.Fatalf("redis-cli %q: exit %d: %s", args, code, stderr)
		}
		return strings.TrimSpace(stdout)
	}
	if got := rcli(id, "PING"); got != "PONG" {
		t.Errorf("PING = %q", got)
	}
	if info := rcli(id, "INFO", "server"); !strings.Contains(info, "redis_version:7.") {
		t.Errorf("INFO server does not say Redis 7:\n%s", info)
	}
	if got := rcli(id, "CONFIG", "GET", "save"); got != "save" {
		t.Errorf("CONFIG GET save = %q, want no persistence", got)
	}
	rcli(id, "LPUSH", "queue:default", `{"class":"X","enqueued_at":1700000000.5}`)
	if got := rcli(id, "LINDEX", "queue:default", "-1"); got != `{"class":"X","enqueued_at":1700000000.5}` {
		t.Errorf("LINDEX = %q", got)
	}

	clientID := p.Containers(t, "client")[0].ID
	if got := rcli(clientID, "-h", "redis", "LLEN", "queue:default"); got != "1" {
		t.Errorf("LLEN from another container = %q", got)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	if _, err := cli.ContainerStop(ctx, id, client.ContainerStopOptions{}); err != nil {
		t.Fatal(err)
	}
	in := p.Inspect(t, id)
	if d := time.Since(start); d > 5*time.Second || in.State.ExitCode != 0 {
		t.Errorf("stop took %s, exit code %d; want a clean shutdown with 0", d, in.State.ExitCode)
	}
}
