package commands_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/backup"
	"github.com/tootops/tootops/ops/certs"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/status"
	"github.com/tootops/tootops/ops/upgrade"
)

// statusNow is the fixed clock of the status goldens.
var statusNow = time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)

// Fakes of the status sources, a func each.

type stPs func() (*compose.Status, error)

func (f stPs) Ps(context.Context) (*compose.Status, error) { return f() }

type stVersions upgrade.Versions

func (f stVersions) Versions(context.Context) (upgrade.Versions, error) {
	return upgrade.Versions(f), nil
}

type stPinger map[string]error // by URL; absent means 200

func (f stPinger) Ping(_ context.Context, url string) error { return f[url] }

// stDisks answers by path; a path in hang blocks until the test ends, as a statfs of a
// hung NFS mount does.
type stDisks struct {
	usage map[string]status.DiskUsage
	hang  map[string]bool
	done  chan struct{}
}

func (f stDisks) Usage(path string) (status.DiskUsage, error) {
	if f.hang[path] {
		<-f.done
	}
	u, ok := f.usage[path]
	if !ok {
		return u, &ops.Error{Msg: "no such file or directory"}
	}
	return u, nil
}

type stHost struct {
	load status.Load
	mem  status.Memory
}

func (f stHost) Load() (status.Load, error)     { return f.load, nil }
func (f stHost) Memory() (status.Memory, error) { return f.mem, nil }

// stCatalogue holds records newest first, as the catalogue scans them.
type stCatalogue []backup.Record

func (f stCatalogue) Latest(db string, n int, keep func(backup.Record) bool) ([]backup.Record, error) {
	var out []backup.Record
	for _, r := range f {
		if r.Database == db && (keep == nil || keep(r)) && len(out) < n {
			out = append(out, r)
		}
	}
	return out, nil
}

type stCerts []certs.Result

func (f stCerts) Check(context.Context) []certs.Result { return f }

type stSidekiq status.SidekiqStats

func (f stSidekiq) Stats(context.Context) (status.SidekiqStats, error) {
	return status.SidekiqStats(f), nil
}

var (
	_ status.Services  = stPs(nil)
	_ status.Versions  = stVersions{}
	_ status.Pinger    = stPinger(nil)
	_ status.Disks     = stDisks{}
	_ status.Host      = stHost{}
	_ status.Catalogue = stCatalogue(nil)
	_ status.Certs     = stCerts(nil)
	_ status.Sidekiq   = stSidekiq{}
)

// stReplica is a running replica, started two days before statusNow.
func stReplica(name, health string) compose.Replica {
	return compose.Replica{Name: name, Number: 1, State: "running", Health: health, StartedAt: statusNow.Add(-48 * time.Hour), Image: "ghcr.io/mastodon/mastodon:v4.5.1"}
}

func stSvc(name string, rs ...compose.Replica) compose.ServiceStatus {
	return compose.ServiceStatus{Name: name, Replicas: rs}
}

const stGB = 1_000_000_000

// statusOptions is a healthy instance: every service up and healthy, web and streaming
// answering, versions agreeing, disks at 42% and 60%, a quiet host, last night's backup
// checked yesterday, certificates far from expiry and Sidekiq keeping up.
func statusOptions(t *testing.T) status.Options {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return status.Options{
		Services: stPs(func() (*compose.Status, error) {
			return &compose.Status{Project: "mastodon", Services: []compose.ServiceStatus{
				stSvc("db", stReplica("mastodon-db-1", "healthy")),
				stSvc("redis", stReplica("mastodon-redis-1", "healthy")),
				stSvc("web", stReplica("mastodon-web-1", "healthy")),
				stSvc("streaming", stReplica("mastodon-streaming-1", "healthy")),
				stSvc("sidekiq", stReplica("mastodon-sidekiq-1", "healthy")),
			}}, nil
		}),
		Versions:        stVersions{Image: "v4.5.1", ImageRef: "ghcr.io/mastodon/mastodon:v4.5.1", Tootctl: "4.5.1", API: "4.5.1"},
		WebURL:          "http://127.0.0.1:3000",
		StreamingURL:    "http://127.0.0.1:4000",
		Pinger:          stPinger{},
		DiskPaths:       []string{"/", "/opt"},
		DiskWarnPercent: 85,
		Disks: stDisks{done: done, usage: map[string]status.DiskUsage{
			"/":    {Total: 40 * stGB, Used: 16_800_000_000, Free: 23_200_000_000},
			"/opt": {Total: 100 * stGB, Used: 60 * stGB, Free: 40 * stGB},
		}},
		Host:     stHost{load: status.Load{One: 0.42, Five: 0.37, Fifteen: 0.30, CPUs: 2}, mem: status.Memory{Total: 8 * stGB, Available: 3_100_000_000}},
		Database: "mastodon_production",
		Backups: stCatalogue{
			{Key: "b2", Database: "mastodon_production", Status: backup.OK, Started: statusNow.Add(-7 * time.Hour), Size: 160_000_000},
			{Key: "b1", Database: "mastodon_production", Status: backup.OK, Started: statusNow.Add(-31 * time.Hour), Size: 158_000_000,
				Verify: &backup.Verification{At: statusNow.Add(-3*24*time.Hour - time.Hour), OK: true}},
		},
		Certs: stCerts{
			{Host: "social.example.coop", DaysLeft: 61, Severity: certs.OK},
			{Host: "streaming.social.example.coop", DaysLeft: 41, Severity: certs.OK},
			{Host: "fra1.digitaloceanspaces.com", DaysLeft: 203, Severity: certs.OK},
		},
		Sidekiq: stSidekiq{
			Queues: []status.Queue{
				{Name: "default", Size: 10, Latency: 1200 * time.Millisecond},
				{Name: "push", Size: 2, Latency: 300 * time.Millisecond},
				{Name: "mailers"}, {Name: "pull"}, {Name: "ingress"}, {Name: "scheduler"},
			},
			Enqueued: 12, Latency: 1200 * time.Millisecond, Retries: 3, Scheduled: 14,
			Processed: 1_234_567, Failed: 89,
		},
		Now: func() time.Time { return statusNow },
	}
}

func statusReply(t *testing.T, o status.Options) string {
	t.Helper()
	r := newStatusRegistry(t, status.New(o))
	inv, err := r.Parse("status")
	if err != nil {
		t.Fatal(err)
	}
	got, err := inv.Command.Run(context.Background(), &commands.Request{Inv: inv})
	if err != nil {
		t.Fatal(err)
	}
	return got + "\n"
}

// newStatusRegistry registers status with the service commands, whose ps once had status
// as an alias.
func newStatusRegistry(t *testing.T, s commands.StatusReporter) *commands.Registry {
	t.Helper()
	r := commands.NewRegistry()
	if err := r.Add(append(commands.ServiceCommands(compose.Unconfigured{}, commands.ServiceOptions{}), commands.Status(s))...); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestStatusHealthy(t *testing.T) {
	golden(t, "status-healthy.golden", statusReply(t, statusOptions(t)))
}

// TestStatusTroubled: a disk over the threshold and another that does not answer, a
// stopped service, web unhealthy (so the API cannot tell its version), a failed restore
// check, an expiring certificate and an unreachable one, a deep Sidekiq queue and dead
// jobs.
func TestStatusTroubled(t *testing.T) {
	o := statusOptions(t)
	o.Timeout = 300 * time.Millisecond
	o.Services = stPs(func() (*compose.Status, error) {
		web := stReplica("mastodon-web-1", "unhealthy")
		sk := compose.Replica{Name: "mastodon-sidekiq-1", Number: 1, State: "exited", ExitCode: 137, FinishedAt: statusNow.Add(-12 * time.Minute)}
		return &compose.Status{Project: "mastodon", Services: []compose.ServiceStatus{
			stSvc("db", stReplica("mastodon-db-1", "healthy")),
			stSvc("redis", stReplica("mastodon-redis-1", "healthy")),
			stSvc("web", web),
			stSvc("streaming", stReplica("mastodon-streaming-1", "healthy")),
			stSvc("sidekiq", sk),
		}}, nil
	})
	o.Pinger = stPinger{"http://127.0.0.1:3000/health": &ops.Error{Msg: "answered 503 Service Unavailable"}}
	o.Versions = stVersions{Image: "v4.5.1", ImageRef: "ghcr.io/mastodon/mastodon:v4.5.1", Tootctl: "4.5.1", API: "unknown (http://127.0.0.1:3000/api/v2/instance answered 503 Service Unavailable)"}
	o.DiskPaths = []string{"/", "/opt", "/mnt/media"}
	d := o.Disks.(stDisks)
	d.usage["/opt"] = status.DiskUsage{Total: 100 * stGB, Used: 90_800_000_000, Free: 9_200_000_000}
	d.hang = map[string]bool{"/mnt/media": true}
	o.Disks = d
	o.Backups = stCatalogue{
		{Key: "b3", Database: "mastodon_production", Status: backup.OK, Started: statusNow.Add(-9 * time.Hour), Size: 161_000_000},
		{Key: "b2", Database: "mastodon_production", Status: backup.OK, Started: statusNow.Add(-33 * time.Hour), Size: 160_000_000,
			Verify: &backup.Verification{At: statusNow.Add(-2*24*time.Hour - 5*time.Hour), OK: false, Detail: "row counts differ: statuses has 125,310 rows restored, 125,402 dumped"}},
		{Key: "b1", Database: "mastodon_production", Status: backup.OK, Started: statusNow.Add(-57 * time.Hour), Size: 158_000_000,
			Verify: &backup.Verification{At: statusNow.Add(-4 * 24 * time.Hour), OK: true}},
	}
	o.Certs = stCerts{
		{Host: "social.example.coop", DaysLeft: 61, Severity: certs.OK},
		{Host: "streaming.social.example.coop", DaysLeft: 5, Problem: "expires in 5 days", Severity: certs.Warn},
		{Host: "fra1.digitaloceanspaces.com", Problem: "cannot connect: timed out after 10s", Severity: certs.Bad},
	}
	o.Sidekiq = stSidekiq{
		Queues: []status.Queue{
			{Name: "default", Size: 25_310, Latency: 42*time.Minute + 10*time.Second},
			{Name: "push", Size: 1_204, Latency: 3 * time.Minute},
			{Name: "pull", Size: 3, Latency: 20 * time.Second},
			{Name: "mailers"}, {Name: "ingress", Size: 12, Latency: time.Second}, {Name: "scheduler", Size: 1},
		},
		Enqueued: 26_530, Latency: 42*time.Minute + 10*time.Second, Retries: 17, Dead: 1_204, Scheduled: 88,
		Processed: 9_876_543, Failed: 4_321,
	}
	golden(t, "status-troubled.golden", statusReply(t, o))
}

// TestStatusParts: without [compose], [backup] or [certs] their lines are left out; a
// source that fails is one ✗ line.
func TestStatusParts(t *testing.T) {
	o := statusOptions(t)
	o.Services, o.Versions, o.Sidekiq, o.Backups, o.Certs = nil, nil, nil, nil, nil
	o.WebURL = ""
	o.DiskPaths = []string{"/gone"}
	got := status.New(o).Report(context.Background())
	want := []string{
		"✗ disk /gone: no such file or directory",
		"✓ load 0.42 0.37 0.30 on 2 CPUs · memory 3.1 GB of 8.0 GB available",
	}
	if len(got.Lines) != len(want) {
		t.Fatalf("lines:\n%s\nwant:\n%q", got, want)
	}
	for i, l := range got.Lines {
		if l.String() != want[i] {
			t.Errorf("line %d = %q, want %q", i, l, want[i])
		}
	}
	o.Services = stPs(func() (*compose.Status, error) { return nil, errors.New("secret internals") })
	got = status.New(o).Report(context.Background())
	if l, _ := got.Line("services"); l.String() != "✗ services: internal error (the bot's log has the details)" {
		t.Errorf("services line = %q", l)
	}
}
