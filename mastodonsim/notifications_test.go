package mastodonsim_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/tootops/tootops/mastodonsim"
)

type notification struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	GroupKey string `json:"group_key"`
	Filtered bool   `json:"filtered"`
	Account  struct {
		ID   string `json:"id"`
		Acct string `json:"acct"`
	} `json:"account"`
	Status *struct {
		ID         string `json:"id"`
		Visibility string `json:"visibility"`
		Content    string `json:"content"`
	} `json:"status"`
}

func listNotifications(t *testing.T, w *world, query string) (*http.Response, []notification) {
	t.Helper()
	resp, body := call(t, http.MethodGet, w.srv.URL+"/api/v1/notifications?"+query, w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
	return resp, decode[[]notification](t, body)
}

// TestMinIDForwardPaging walks > 80 notifications forward page by page, as
// a bot catching up after a disconnect must, across the point where the
// ids grow a digit.
func TestMinIDForwardPaging(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	const n = 170
	var want []string
	for i := range n {
		w.dm(w.alice, fmt.Sprintf("ps %d", i))
	}
	for _, x := range w.srv.Notifications(w.bot) {
		want = append(want, x.ID)
	}
	if len(want) != n {
		t.Fatalf("%d notifications created, want %d", len(want), n)
	}
	if first, last := want[0], want[n-1]; len(first) == len(last) {
		t.Fatalf("ids %s..%s do not grow a digit; the test wants to cross that boundary", first, last)
	}

	var got []string
	cursor := "0"
	var sizes []int
	for range 10 {
		q := url.Values{"types[]": {"mention"}, "min_id": {cursor}, "limit": {"80"}}
		resp, page := listNotifications(t, w, q.Encode())
		sizes = append(sizes, len(page))
		if len(page) == 0 {
			if link := resp.Header.Get("Link"); link != "" {
				t.Errorf("empty page has Link %q, want none", link)
			}
			break
		}
		// The page is newest first even with min_id.
		for i := len(page) - 1; i >= 0; i-- {
			got = append(got, page[i].ID)
		}
		link := resp.Header.Get("Link")
		wantPrev := fmt.Sprintf(`<%s/api/v1/notifications?limit=80&min_id=%s&types%%5B%%5D=mention>; rel="prev"`, w.srv.URL, page[0].ID)
		wantNext := fmt.Sprintf(`<%s/api/v1/notifications?limit=80&max_id=%s&types%%5B%%5D=mention>; rel="next"`, w.srv.URL, page[len(page)-1].ID)
		if !strings.Contains(link, wantPrev) || !strings.Contains(link, wantNext) {
			t.Errorf("Link = %q\nwant %s and %s", link, wantNext, wantPrev)
		}
		cursor = page[0].ID
	}
	if got, want := fmt.Sprint(sizes), "[80 80 10 0]"; got != want {
		t.Errorf("page sizes = %s, want %s", got, want)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("forward paging saw %d ids, want all %d in order", len(got), len(want))
	}
}

// TestSinceIDReturnsNewestPage: since_id skips a gap larger than limit,
// which is why a bot must not use it to catch up.
func TestSinceIDReturnsNewestPage(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	for i := range 12 {
		w.dm(w.alice, fmt.Sprintf("ps %d", i))
	}
	all := w.srv.Notifications(w.bot)
	_, page := listNotifications(t, w, "since_id="+all[0].ID+"&limit=5")
	var got []string
	for _, n := range page {
		got = append(got, n.ID)
	}
	want := []string{all[11].ID, all[10].ID, all[9].ID, all[8].ID, all[7].ID}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("since_id page = %v, want the newest five %v", got, want)
	}
	_, page = listNotifications(t, w, "max_id="+all[3].ID+"&limit=2")
	if len(page) != 2 || page[0].ID != all[2].ID || page[1].ID != all[1].ID {
		t.Errorf("max_id page = %+v, want %s and %s", page, all[2].ID, all[1].ID)
	}
}

func TestNotificationsFiltersAndLimit(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.alice, w.bot) // a follow notification for the bot
	w.srv.Follow(w.bot, w.alice)
	w.dm(w.alice, "ps")
	_, all := listNotifications(t, w, "")
	if len(all) != 2 || all[0].Type != "mention" || all[1].Type != "follow" {
		t.Fatalf("notifications = %+v, want a mention then a follow", all)
	}
	if all[1].Status != nil {
		t.Error("a follow notification has a status")
	}
	if got, want := all[0].GroupKey, "ungrouped-"+all[0].ID; got != want {
		t.Errorf("group_key = %q, want %q", got, want)
	}
	_, mentions := listNotifications(t, w, "types[]=mention")
	if len(mentions) != 1 || mentions[0].Type != "mention" {
		t.Errorf("types[]=mention gave %+v", mentions)
	}
	_, nofollow := listNotifications(t, w, "exclude_types[]=follow")
	if len(nofollow) != 1 || nofollow[0].Type != "mention" {
		t.Errorf("exclude_types[]=follow gave %+v", nofollow)
	}
	_, byBob := listNotifications(t, w, "account_id="+w.bob.ID)
	if len(byBob) != 0 {
		t.Errorf("account_id=bob gave %+v", byBob)
	}
	for i := range 90 {
		w.dm(w.alice, fmt.Sprint(i))
	}
	if _, page := listNotifications(t, w, ""); len(page) != 40 {
		t.Errorf("default page has %d, want 40", len(page))
	}
	if _, page := listNotifications(t, w, "limit=500"); len(page) != 80 {
		t.Errorf("limit=500 page has %d, want the maximum 80", len(page))
	}

	one := all[0].ID
	resp, body := call(t, http.MethodGet, w.srv.URL+"/api/v1/notifications/"+one, w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
	resp, body = call(t, http.MethodPost, w.srv.URL+"/api/v1/notifications/"+one+"/dismiss", w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
	if got := strings.TrimSpace(string(body)); got != "{}" {
		t.Errorf("dismiss answered %s, want {}", got)
	}
	resp, body = call(t, http.MethodGet, w.srv.URL+"/api/v1/notifications/"+one, w.botTok, nil)
	wantError(t, resp, body, http.StatusNotFound, "Record not found")
	resp, body = call(t, http.MethodPost, w.srv.URL+"/api/v1/notifications/clear", w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
	if _, page := listNotifications(t, w, ""); len(page) != 0 {
		t.Errorf("%d notifications after clear", len(page))
	}
}

// TestDefaultPolicyFiltersUnsolicitedDM: a DM from an account the bot does
// not follow is filtered: no stream event, absent from the list unless
// include_filtered=true, and visible as a notification request.
func TestDefaultPolicyFiltersUnsolicitedDM(t *testing.T) {
	w := newWorld(t)
	resp, body := call(t, http.MethodGet, w.srv.URL+"/api/v2/notifications/policy", w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
	if got := decode[map[string]any](t, body)["for_private_mentions"]; got != "filter" {
		t.Errorf("default for_private_mentions = %v, want filter", got)
	}

	w.srv.Follow(w.bot, w.bob)
	notes := openSSE(t, w, "/api/v1/streaming/user/notification", w.botTok)
	waitStreams(t, w, w.bot, "user:notification", 1)

	filtered := w.dm(w.alice, "ps")
	sentinel := w.dm(w.bob, "ps") // bob is followed: not filtered
	name, data := notes.event(t)
	if got := decode[notification](t, []byte(data)); name != "notification" || got.Status.ID != sentinel.ID {
		t.Fatalf("first event %s about %+v, want bob's DM %s (alice's %s is filtered)", name, got.Status, sentinel.ID, filtered.ID)
	}

	_, page := listNotifications(t, w, "types[]=mention")
	if len(page) != 1 || page[0].Status.ID != sentinel.ID {
		t.Errorf("list = %+v, want only bob's DM", page)
	}
	_, page = listNotifications(t, w, "types[]=mention&include_filtered=true")
	if len(page) != 2 || page[1].Status.ID != filtered.ID || !page[1].Filtered {
		t.Errorf("include_filtered list = %+v, want alice's DM marked filtered", page)
	}

	resp, body = call(t, http.MethodGet, w.srv.URL+"/api/v1/notifications/requests", w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
	reqs := decode[[]struct {
		ID                 string              `json:"id"`
		NotificationsCount string              `json:"notifications_count"`
		Account            struct{ ID string } `json:"account"`
		LastStatus         struct{ ID string } `json:"last_status"`
	}](t, body)
	if len(reqs) != 1 || reqs[0].Account.ID != w.alice.ID || reqs[0].NotificationsCount != "1" || reqs[0].LastStatus.ID != filtered.ID {
		t.Fatalf("requests = %+v, want one from alice with 1 notification", reqs)
	}
	resp, body = call(t, http.MethodGet, w.srv.URL+"/api/v2/notifications/policy", w.botTok, nil)
	if got := string(body); !strings.Contains(got, `"pending_requests_count":1`) || !strings.Contains(got, `"pending_notifications_count":1`) {
		t.Errorf("policy summary = %s", got)
	}

	// Accepting merges the old notification (with its old, lower id) and
	// tells the stream to refetch.
	resp, body = call(t, http.MethodPost, w.srv.URL+"/api/v1/notifications/requests/"+reqs[0].ID+"/accept", w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
	if name, data := notes.event(t); name != "notifications_merged" || data != "1" {
		t.Errorf("after accept: event %q data %q, want notifications_merged 1", name, data)
	}
	_, page = listNotifications(t, w, "types[]=mention")
	if len(page) != 2 || page[1].Status.ID != filtered.ID || page[1].Filtered {
		t.Errorf("after accept list = %+v, want alice's DM unfiltered", page)
	}
	// And alice is now permitted: her next DM is streamed.
	next := w.dm(w.alice, "backup")
	if _, data := notes.event(t); decode[notification](t, []byte(data)).Status.ID != next.ID {
		t.Errorf("alice's DM after accept not streamed: %s", data)
	}
}

// TestFollowUnfiltersDM: following the sender (what the bot should do at
// startup) lets DMs through, with an update on the user stream too.
func TestFollowUnfiltersDM(t *testing.T) {
	w := newWorld(t)
	resp, body := call(t, http.MethodPost, w.srv.URL+"/api/v1/accounts/"+w.alice.ID+"/follow", w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
	user := openSSE(t, w, "/api/v1/streaming/user", w.botTok)
	waitStreams(t, w, w.bot, "user", 1)
	dm := w.dm(w.alice, "ps")
	var names []string
	for len(names) < 2 {
		name, data := user.event(t)
		names = append(names, name)
		if !strings.Contains(data, dm.ID) {
			t.Errorf("%s event about another status: %s", name, data)
		}
	}
	if got, want := strings.Join(names, ","), "update,notification"; got != want {
		t.Errorf("user stream events = %s, want %s", got, want)
	}
	if ns := w.srv.Notifications(w.bot); len(ns) != 1 || ns[0].Filtered {
		t.Errorf("notifications = %+v, want one unfiltered", ns)
	}
}

// TestPolicyAcceptAndReplies: for_private_mentions=accept lets everyone
// through; a reply into a thread the bot started is never "unsolicited".
func TestPolicyAcceptAndReplies(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	first := w.dm(w.alice, "backup")
	botReply := w.srv.Post(w.bot, mastodonsim.PostOpts{Text: "@bob @alice confirm?", Visibility: "direct", InReplyTo: first.ID})
	// bob is not followed, but answers a DM of the bot that mentions him.
	answer := w.srv.Post(w.bob, mastodonsim.PostOpts{Text: "@tootops yes", Visibility: "direct", InReplyTo: botReply.ID})
	// carol is not followed and writes out of the blue.
	carol := w.srv.AddLocalAccount("carol")
	cold := w.dm(carol, "ps")
	filtered := map[string]bool{}
	for _, n := range w.srv.Notifications(w.bot) {
		filtered[n.StatusID] = n.Filtered
	}
	if filtered[answer.ID] || !filtered[cold.ID] {
		t.Errorf("filtered: reply-in-thread %v (want false), cold DM %v (want true)", filtered[answer.ID], filtered[cold.ID])
	}

	resp, body := call(t, http.MethodPatch, w.srv.URL+"/api/v2/notifications/policy", w.botTok, form("for_private_mentions", "accept"))
	wantStatus(t, resp, body, http.StatusOK)
	if got := decode[map[string]any](t, body)["for_private_mentions"]; got != "accept" {
		t.Errorf("after PATCH for_private_mentions = %v", got)
	}
	warm := w.dm(carol, "ps again")
	for _, n := range w.srv.Notifications(w.bot) {
		if n.StatusID == warm.ID && n.Filtered {
			t.Error("DM filtered although for_private_mentions=accept")
		}
	}
	resp, body = call(t, http.MethodGet, w.srv.URL+"/api/v1/notifications/policy", w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
	if got := decode[map[string]any](t, body)["filter_private_mentions"]; got != false {
		t.Errorf("v1 filter_private_mentions = %v, want false", got)
	}
	resp, body = call(t, http.MethodPatch, w.srv.URL+"/api/v2/notifications/policy", w.botTok, form("for_private_mentions", "maybe"))
	wantStatus(t, resp, body, http.StatusUnprocessableEntity)

	w.srv.SetPolicy(w.bot, mastodonsim.Policy{ForNotFollowing: "accept", ForNotFollowers: "accept", ForNewAccounts: "accept", ForPrivateMentions: "drop", ForLimitedAccounts: "drop"})
	dropped := w.dm(carol, "gone")
	for _, n := range w.srv.Notifications(w.bot) {
		if n.StatusID == dropped.ID {
			t.Error("a dropped DM has a notification")
		}
	}
	if st, ok := w.srv.Status(dropped.ID); !ok || st.Deleted {
		t.Error("drop must keep the status itself")
	}
}

func TestMarkers(t *testing.T) {
	w := newWorld(t)
	for range 2 {
		resp, body := call(t, http.MethodPost, w.srv.URL+"/api/v1/markers", w.botTok, form("notifications[last_read_id]", "100005"))
		wantStatus(t, resp, body, http.StatusOK)
	}
	resp, body := call(t, http.MethodGet, w.srv.URL+"/api/v1/markers?timeline[]=notifications", w.botTok, nil)
	wantStatus(t, resp, body, http.StatusOK)
	var got map[string]struct {
		LastReadID string `json:"last_read_id"`
		Version    int    `json:"version"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	if m := got["notifications"]; m.LastReadID != "100005" || m.Version != 1 {
		t.Errorf("marker = %+v, want last_read_id 100005 version 1", m)
	}
}
