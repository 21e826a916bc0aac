package commands_test

// The service commands through the whole bot pipeline, on the real Docker daemon with
// the lab (see lab.Docker): confirmation, the job, its result, locks.

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops/compose"
)

// chat records what the bot says, replies and edits of progress replies alike.
type chat struct {
	mu    sync.Mutex
	lines []string
}

func (c *chat) Name() string { return "test" }
func (c *chat) Reply(_ context.Context, _ bot.Message, text string) (bot.Ref, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, text)
	return bot.Ref("r"), nil
}
func (c *chat) Edit(_ context.Context, _ bot.Ref, text string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, "(edit) "+text)
	return nil
}
func (c *chat) Post(context.Context, string, bot.Visibility, bot.Ref) (bot.Ref, error) {
	return "", nil
}
func (c *chat) ProgressEvery() time.Duration { return 0 }

func (c *chat) since(n int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines[n:]...)
}

func (c *chat) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.lines)
}

const labAdmin = "alice@social.example.coop"

type labBot struct {
	t  *testing.T
	b  *bot.Bot
	tr *chat
}

// say sends a DM and returns what the bot said until everything it started finished,
// or, when wait is false, once it answered.
func (l *labBot) say(text string, wait bool) []string {
	l.t.Helper()
	n := l.tr.len()
	done, err := l.b.Handle(context.Background(), l.tr, bot.Message{ID: "m", Sender: bot.Account{Acct: labAdmin}, Text: text})
	if err != nil {
		l.t.Fatal(err)
	}
	if wait {
		select {
		case <-done:
		case <-time.After(90 * time.Second):
			l.t.Fatalf("%q did not finish", text)
		}
	}
	return l.tr.since(n)
}

func last(lines []string) string {
	if len(lines) == 0 {
		return ""
	}
	return lines[len(lines)-1]
}

func TestServiceCommandsThroughTheBot(t *testing.T) {
	cli := lab.Docker(t)
	lp := lab.Up(t, cli, lab.Spec{Services: lab.Mastodon(1)})
	p, err := compose.New(compose.Options{Project: lp.Name, Client: cli, Allowed: append([]string{"tootctl lab-sleep 60s"}, compose.DefaultAllowed...)})
	if err != nil {
		t.Fatal(err)
	}
	l := newLabBot(t, p, config.Default())

	// scale: the plan, then yes, then the result.
	got := l.say("scale sidekiq=2", true)
	want := "will scale sidekiq from 1 to 2: create " + lp.Name + "-sidekiq-2 from " + lp.Name + "-sidekiq-1's configuration\nReply \"yes\""
	if len(got) != 1 || !strings.HasPrefix(got[0], want) {
		t.Fatalf("scale sidekiq=2 answered %q, want %q…", got, want)
	}
	got = l.say("yes", true)
	if len(got) < 2 || !strings.Contains(got[0], "confirmed — running: scale sidekiq=2") || last(got) != "sidekiq: 2 running; created "+lp.Name+"-sidekiq-2" {
		t.Fatalf("yes answered %q", got)
	}
	if n := len(lp.Containers(t, "sidekiq")); n != 2 {
		t.Errorf("%d sidekiq containers after the scale", n)
	}
	if got := last(l.say("ps", true)); !strings.Contains(got, "\nsidekiq 2/2 up ") {
		t.Errorf("ps answered %q", got)
	}

	// The bot's own line is protected.
	if got := l.say("stop web", true); len(got) != 1 || !strings.HasPrefix(got[0], "stop: not stopping web without --i-know") {
		t.Errorf("stop web answered %q", got)
	}
	// A one-off the policy refuses is refused as it is read.
	if got := l.say("run web -- tootctl accounts delete alice", true); len(got) != 1 || !strings.Contains(got[0], "is not an allowed one-off command") {
		t.Errorf("a refused one-off answered %q", got)
	}

	// Lock contention: a second one-off of the same tootctl command waits for none.
	l.say("run web -- tootctl lab-sleep 60s", true)
	got = l.say("yes", false)
	job := regexp.MustCompile(`job (\d+) \(run web`)
	var id string
	for deadline := time.Now().Add(20 * time.Second); id == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, line := range l.tr.since(0) {
			if m := job.FindStringSubmatch(line); m != nil && strings.Contains(line, "lab: sleeping") {
				id = m[1]
			}
		}
	}
	if id == "" {
		t.Fatalf("no progress from the one-off: %q", l.tr.since(0))
	}
	l.say("run web -- tootctl lab-sleep 60s", true)
	got = l.say("yes", true)
	if !strings.Contains(last(got), "busy: tootctl:lab-sleep is held by job "+id) {
		t.Errorf("second one-off answered %q, want busy", got)
	}
	got = l.say("cancel "+id, true)
	if !strings.Contains(strings.Join(got, "\n"), "was killed and removed after") {
		t.Errorf("cancel answered %q", got)
	}
	for _, c := range lp.All(t) {
		if c.Labels[compose.LabelOneOff] == "True" {
			t.Errorf("one-off %s left after cancel", c.Names[0])
		}
	}

	// media cleanup, confirmed, with the summary parsed.
	l.say("media cleanup", true)
	got = l.say("yes", true)
	if !strings.HasPrefix(last(got), "removed 12 cached media attachments older than 7 days (approx. 1.2 GB); 1 could not be processed") {
		t.Errorf("media cleanup answered %q", got)
	}
}
