package commands

import (
	"context"
	"time"

	"github.com/tootops/tootops/ops/status"
)

// StatusReporter is what status needs; *status.Reporter is one.
type StatusReporter interface {
	Report(ctx context.Context) *status.Report
}

// Status returns the `status` command: one reply that sums up the instance. [status]
// schedule runs it by itself and posts its first line, which stands alone, with [status]
// visibility.
func Status(s StatusReporter) Command {
	return Command{
		Name:    "status",
		Summary: "one reply on the whole instance: services, health, version, disks, load, backup, certificates, Sidekiq",
		Help: "Gathers, each with its own time limit, a line per fact marked ✓ (fine), ⚠ (look at it soon) or ✗ (broken): the Compose services running and their health, web's /health and streaming's health, the version (image, tootctl and API agreeing), the use of each [host] disks path (⚠ over disk_warn_percent), the load and memory, the last backup and restore check, the certificates of [certs] hosts, and Sidekiq: queue sizes, latency (how long the oldest job has waited), retries, dead and scheduled jobs, read from Redis with redis-cli in the redis service. " +
			"A part that fails or does not answer in time is a ✗ line; the rest still comes. The first line names what is ✗ and ⚠, or says all good: it is what [status] schedule posts. It changes nothing.",
		Timeout: time.Minute,
		Run: func(ctx context.Context, _ *Request) (string, error) {
			return s.Report(ctx).String(), nil
		},
	}
}
