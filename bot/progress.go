package bot

import (
	"context"
	"sync"
	"time"

	"github.com/tootops/tootops/jobs"
	"github.com/tootops/tootops/ops"
)

// livingReply turns an action's progress into one reply that is edited in place: the
// first report posts it, later ones edit it at most once per interval, and Done sends
// the last state if a report was held back. It never blocks the action for long: each
// post or edit has its own deadline, and a failed one is logged and skipped.
type livingReply struct {
	tr     Transport
	msg    Message
	title  string // "job 12 (backup)"
	every  time.Duration
	now    func() time.Time
	after  <-chan struct{} // nil, or closed when replies may start
	onFail func(error)

	mu      sync.Mutex
	ref     Ref
	last    time.Time
	held    string // text of a report not sent yet
	written string
}

var _ ops.Progress = (*livingReply)(nil)

// editTimeout bounds one post or edit of a progress reply.
const editTimeout = 10 * time.Second

func (l *livingReply) Report(done, total int64, note string) {
	text := l.title + ": " + progressText(done, total, note)
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.last.IsZero() && l.now().Sub(l.last) < l.every {
		l.held = text
		return
	}
	l.send(text)
}

func (l *livingReply) Done() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.held != "" {
		l.send(l.held)
	}
}

// send posts or edits; the caller holds mu, which keeps edits in order.
func (l *livingReply) send(text string) {
	l.held = ""
	if text == l.written {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), editTimeout)
	defer cancel()
	var err error
	if l.ref == "" {
		if l.after != nil {
			<-l.after
		}
		l.ref, err = l.tr.Reply(ctx, l.msg, text)
	} else {
		err = l.tr.Edit(ctx, l.ref, text)
	}
	l.last = l.now()
	if err != nil {
		// Keep the text: the next report or Done tries again, so progress written while
		// Mastodon was down (web recreated during an upgrade) arrives once it answers.
		l.held = text
		l.onFail(err)
		return
	}
	l.written = text
}

// progressText renders one report the way `job N` shows progress.
func progressText(done, total int64, note string) string {
	if s := (jobs.Progress{Done: done, Total: total, Note: note}).String(); s != "" {
		return s
	}
	return "working…"
}
