package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/tootops/tootops/jobs"
	"github.com/tootops/tootops/schedule"
)

// reportScheduled posts the outcome of a scheduled run through the public channel: the
// job's result with the entry's visibility when it succeeded (the community's nightly
// "backup OK" toot), and a direct message to the admins when it failed. Nobody waits on a
// scheduled run, so a post that fails is logged, not retried.
func (b *Bot) reportScheduled(ctx context.Context, e schedule.Entry, j jobs.Job) {
	var text string
	var vis Visibility
	switch {
	case j.State == jobs.Succeeded && e.Report != "" && e.Report != "none" && j.Summary != "":
		// An empty result is the command saying there is nothing to tell.
		text, vis = j.Summary, Visibility(e.Report)
	case j.State != jobs.Succeeded && e.AlertFailure:
		text = fmt.Sprintf("Scheduled %s failed (job %d, %s): %s", e.Line, j.ID, jobs.Round(j.Took(j.Ended)), j.Error)
		if j.Summary != "" {
			text += "\n" + j.Summary
		}
		vis = Direct
	default:
		return
	}
	if vis == Direct {
		text = b.mentionAdmins() + text
	}
	tr, err := b.pub.channel()
	if err != nil {
		b.log.Warn().Str("schedule", e.Name).Msg("scheduled run not reported: no public channel")
		return
	}
	// The run's own context may be ending with the bot; the report gets a moment more.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	if _, err := tr.Post(ctx, text, vis, ""); err != nil {
		b.log.Warn().Err(err).Str("schedule", e.Name).Msg("scheduled run not reported")
	}
}

// mentionAdmins addresses a direct post to every admin.
func (b *Bot) mentionAdmins() string {
	var sb strings.Builder
	for _, a := range b.admins.Accounts() {
		sb.WriteString("@" + a + " ")
	}
	return sb.String()
}
