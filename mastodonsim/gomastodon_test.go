package mastodonsim_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mattn/go-mastodon"

	"github.com/tootops/tootops/mastodonsim"
)

// The bot uses go-mastodon v0.0.13; these tests pin that the imitation
// speaks the dialect it parses, without any adapter.

func goClient(w *world) *mastodon.Client {
	return mastodon.NewClient(&mastodon.Config{Server: w.srv.URL, AccessToken: w.botTok})
}

func TestGoMastodonIdentity(t *testing.T) {
	w := newWorld(t)
	c := goClient(w)

	me, err := c.GetAccountCurrentUser(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(me.ID), w.bot.ID; got != want {
		t.Errorf("verify_credentials id = %s, want %s", got, want)
	}
	if got, want := me.Acct, "tootops"; got != want {
		t.Errorf("acct = %q, want %q", got, want)
	}
	if !me.Bot {
		t.Error("bot = false, want true")
	}

	for _, tc := range []struct {
		acct string
		want *mastodonsim.Account
	}{
		{"alice", w.alice},
		{"@alice", w.alice},
		{w.alice.FullAcct(), w.alice},
		{"alice@evil.example", w.eve},
		{"ALICE@Evil.Example", w.eve},
	} {
		a, err := c.AccountLookup(w.ctx, tc.acct)
		if err != nil {
			t.Errorf("lookup %q: %v", tc.acct, err)
			continue
		}
		if got, want := string(a.ID), tc.want.ID; got != want {
			t.Errorf("lookup %q = %s (%s), want %s", tc.acct, got, a.Acct, want)
		}
	}
	if _, err := c.AccountLookup(w.ctx, "nobody"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("lookup of an unknown account: err = %v, want a 404", err)
	}

	rel, err := c.AccountFollow(w.ctx, mastodon.ID(w.alice.ID))
	if err != nil {
		t.Fatal(err)
	}
	if !rel.Following {
		t.Errorf("follow: following = false, want true")
	}
	if !w.srv.Following(w.bot, w.alice) {
		t.Error("the server does not record the follow")
	}
	// A remote follow is pending in the answer, like a Follow activity on its way.
	rel, err = c.AccountFollow(w.ctx, mastodon.ID(w.eve.ID))
	if err != nil {
		t.Fatal(err)
	}
	if !rel.Requested || rel.Following {
		t.Errorf("remote follow: requested=%v following=%v, want true false", rel.Requested, rel.Following)
	}
	if _, err := c.AccountUnfollow(w.ctx, mastodon.ID(w.eve.ID)); err != nil {
		t.Fatal(err)
	}
	if w.srv.Following(w.bot, w.eve) {
		t.Error("unfollow did not take")
	}
}

func TestGoMastodonInstance(t *testing.T) {
	w := newWorld(t, mastodonsim.WithMaxCharacters(1000))
	inst, err := goClient(w).GetInstance(w.ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := inst.URLs["streaming_api"], "ws://"+w.srv.Domain; got != want {
		t.Errorf("urls.streaming_api = %q, want %q", got, want)
	}
	if got, want := inst.URI, w.srv.Domain; got != want {
		t.Errorf("uri = %q, want %q", got, want)
	}
	if got := (*inst.Configuration.Statuses)["max_characters"]; got != float64(1000) {
		t.Errorf("max_characters = %v, want 1000", got)
	}
}

func TestGoMastodonNotificationsPagination(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	var dms []mastodonsim.Status
	for i := range 5 {
		dms = append(dms, w.dm(w.alice, "ps "+string(rune('a'+i))))
	}
	c := goClient(w)
	pg := &mastodon.Pagination{Limit: 2}
	var got []string
	for page := 0; page < 10; page++ {
		ns, err := c.GetNotifications(w.ctx, pg)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if n.Type != "mention" {
				t.Errorf("type = %q, want mention", n.Type)
			}
			got = append(got, string(n.Status.ID))
		}
		if pg.MaxID == "" { // no Link header: the empty last page
			break
		}
		pg.Limit = 2
	}
	if len(got) != len(dms) {
		t.Fatalf("paged through %d notifications, want %d", len(got), len(dms))
	}
	for i, id := range got {
		// Newest first: the last DM comes first.
		if want := dms[len(dms)-1-i].ID; id != want {
			t.Errorf("notification %d is about status %s, want %s", i, id, want)
		}
	}
}

func TestGoMastodonPostEditDeleteReblog(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	dm := w.dm(w.alice, "ps")
	c := goClient(w)

	reply, err := c.PostStatus(w.ctx, &mastodon.Toot{
		Status:      "@alice web is up",
		InReplyToID: mastodon.ID(dm.ID),
		Visibility:  mastodon.VisibilityDirectMessage,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := reply.Visibility, "direct"; got != want {
		t.Errorf("visibility = %q, want %q", got, want)
	}
	if got, want := reply.InReplyToID, any(dm.ID); got != want {
		t.Errorf("in_reply_to_id = %v, want %v", got, want)
	}
	if len(reply.Mentions) != 1 || string(reply.Mentions[0].ID) != w.alice.ID {
		t.Errorf("mentions = %+v, want alice", reply.Mentions)
	}
	posted := w.srv.StatusesBy(w.bot)
	if len(posted) != 1 || posted[0].ID != string(reply.ID) || posted[0].Text != "@alice web is up" {
		t.Fatalf("server has %+v, want the reply", posted)
	}
	ns := w.srv.Notifications(w.alice)
	if len(ns) == 0 || ns[len(ns)-1].StatusID != string(reply.ID) {
		t.Errorf("alice's notifications %+v lack the reply", ns)
	}

	edited, err := c.UpdateStatus(w.ctx, &mastodon.Toot{Status: "@alice web is up (3/3)"}, reply.ID)
	if err != nil {
		t.Fatal(err)
	}
	if edited.EditedAt.IsZero() {
		t.Error("edited_at is null after an edit")
	}
	if !strings.Contains(edited.Content, "(3/3)") {
		t.Errorf("content = %q, want the new text", edited.Content)
	}
	if st, _ := w.srv.Status(string(reply.ID)); !st.Edited() || st.Visibility != "direct" {
		t.Errorf("server status after edit: edited=%v visibility=%q", st.Edited(), st.Visibility)
	}

	pub := w.srv.Post(w.alice, mastodonsim.PostOpts{Text: "maintenance tonight"})
	boost, err := c.Reblog(w.ctx, mastodon.ID(pub.ID))
	if err != nil {
		t.Fatal(err)
	}
	if boost.Reblog == nil || string(boost.Reblog.ID) != pub.ID {
		t.Errorf("reblog = %+v, want a boost of %s", boost.Reblog, pub.ID)
	}
	again, err := c.Reblog(w.ctx, mastodon.ID(pub.ID))
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != boost.ID {
		t.Errorf("boosting twice made %s and %s, want the existing boost back", boost.ID, again.ID)
	}
	if _, err := c.Reblog(w.ctx, mastodon.ID(dm.ID)); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("boosting a DM: err = %v, want 403", err)
	}
	if _, err := c.Unreblog(w.ctx, mastodon.ID(pub.ID)); err != nil {
		t.Fatal(err)
	}

	if err := c.DeleteStatus(w.ctx, reply.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := w.srv.Status(string(reply.ID)); !st.Deleted {
		t.Error("status not deleted")
	}
	if _, err := c.GetStatus(w.ctx, reply.ID); err == nil || !strings.Contains(err.Error(), "404") {
		t.Errorf("GET deleted status: err = %v, want 404", err)
	}
}

// drain empties a go-mastodon event channel after the test is done with it:
// go-mastodon blocks on unbuffered sends and would leak its goroutine.
func drain(ch chan mastodon.Event) {
	go func() {
		for range ch { //nolint:revive // draining
		}
	}()
}

func TestGoMastodonStreamingUserSSE(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	events, err := goClient(w).StreamingUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer drain(events)
	waitStreams(t, w, w.bot, "user", 1)
	dm := w.dm(w.alice, "ps")
	sawUpdate := false
	for {
		select {
		case e := <-events:
			switch e := e.(type) {
			case *mastodon.UpdateEvent:
				sawUpdate = sawUpdate || string(e.Status.ID) == dm.ID
			case *mastodon.NotificationEvent:
				if e.Notification.Type != "mention" || string(e.Notification.Status.ID) != dm.ID {
					t.Fatalf("notification %s about %s, want a mention about %s", e.Notification.Type, e.Notification.Status.ID, dm.ID)
				}
				if !sawUpdate {
					t.Error("no update event before the notification although the bot follows alice")
				}
				return
			case *mastodon.ErrorEvent:
				t.Fatalf("stream error: %v", e.Err)
			}
		case <-ctx.Done():
			t.Fatal("timed out waiting for the DM notification")
		}
	}
}

func TestGoMastodonStreamingUserWebSocket(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	ctx, cancel := context.WithCancel(w.ctx)
	defer cancel()
	events, err := goClient(w).NewWSClient().StreamingWSUser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer drain(events)
	waitStreams(t, w, w.bot, "user", 1)
	dm := w.dm(w.alice, "restart sidekiq")
	for {
		select {
		case e := <-events:
			switch e := e.(type) {
			case *mastodon.NotificationEvent:
				if got := string(e.Notification.Status.ID); got != dm.ID {
					t.Fatalf("notification about %s, want %s", got, dm.ID)
				}
				if got, want := string(e.Notification.Account.ID), w.alice.ID; got != want {
					t.Errorf("notification account = %s, want alice %s", got, want)
				}
				return
			case *mastodon.ErrorEvent:
				t.Fatalf("stream error: %v", e.Err)
			}
		case <-ctx.Done():
			t.Fatal("timed out waiting for the DM notification")
		}
	}
}
