package bot_test

import (
	"context"
	"sync"
	"testing"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/schedule"
)

// poster records public posts.
type poster struct {
	recorder
	mu    sync.Mutex
	posts []string
}

func (p *poster) Post(_ context.Context, text string, vis bot.Visibility, _ bot.Ref) (bot.Ref, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, string(vis)+": "+text)
	return "p", nil
}

func (p *poster) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.posts...)
}

func TestScheduledRunReportsItsOutcome(t *testing.T) {
	l := newLab(t, func(*config.Config) {})
	pub := &poster{}
	l.b.SetPublicChannel(pub)
	ctx := context.Background()

	// Success: the result, with the entry's visibility.
	if _, err := l.b.RunScheduled(ctx, schedule.Entry{Name: "nightly", Line: "restart web", Report: "unlisted", AlertFailure: true}); err != nil {
		t.Fatal(err)
	}
	expect(t, pub.all(), "unlisted: restarted web")

	// "direct" addresses the admins; "none" and "" post nothing.
	for _, vis := range []string{"direct", "none", ""} {
		if _, err := l.b.RunScheduled(ctx, schedule.Entry{Name: "nightly", Line: "restart web", Report: vis}); err != nil {
			t.Fatal(err)
		}
	}
	expect(t, pub.all(), "unlisted: restarted web", "direct: @alice@social.example.coop @bob@social.example.coop restarted web")

	// Failure: a direct message to the admins with the error, whatever Report says.
	l2 := newLab(t, func(c *config.Config) { c.Jobs.Timeouts = map[string]config.Duration{"wait": 1} })
	pub2 := &poster{}
	l2.b.SetPublicChannel(pub2)
	go func() { <-l2.started }()
	_, err := l2.b.RunScheduled(ctx, schedule.Entry{Name: "slow", Line: "wait", Report: "public", AlertFailure: true})
	if err == nil {
		t.Fatal("the timed-out run succeeded")
	}
	expect(t, pub2.all(), "direct: @alice@social.example.coop @bob@social.example.coop Scheduled wait failed (job 1, 0s): timed out after 0s\nremoved the scratch container")

	// Without AlertFailure, a failure is only in the audit log and timers.
	pub2.posts = nil
	go func() { <-l2.started }()
	if _, err := l2.b.RunScheduled(ctx, schedule.Entry{Name: "slow", Line: "wait", Report: "public"}); err == nil {
		t.Fatal("the timed-out run succeeded")
	}
	if got := pub2.all(); len(got) != 0 {
		t.Errorf("posts = %q", got)
	}
}
