package bot

import (
	"context"

	"github.com/tootops/tootops/schedule"
)

// RunScheduled exposes a scheduled run to tests, which cannot wait for cron.
func (b *Bot) RunScheduled(ctx context.Context, e schedule.Entry) (string, error) {
	return b.runScheduled(ctx, e)
}
