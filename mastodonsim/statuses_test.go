package mastodonsim_test

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tootops/tootops/mastodonsim"
)

type apiStatus struct {
	ID          string  `json:"id"`
	Visibility  string  `json:"visibility"`
	InReplyToID *string `json:"in_reply_to_id"`
	Content     *string `json:"content"`
	Text        *string `json:"text"`
	SpoilerText string  `json:"spoiler_text"`
	Sensitive   bool    `json:"sensitive"`
	Language    *string `json:"language"`
	EditedAt    *string `json:"edited_at"`
	Pinned      *bool   `json:"pinned"`
	Mentions    []struct {
		ID   string `json:"id"`
		Acct string `json:"acct"`
	} `json:"mentions"`
	Reblog *apiStatus `json:"reblog"`
}

func postStatus(t *testing.T, w *world, tok string, hdr []string, kv ...string) (*http.Response, []byte) {
	t.Helper()
	return call(t, http.MethodPost, w.srv.URL+"/api/v1/statuses", tok, form(kv...), hdr...)
}

func TestIdempotencyKeyReplaysFirstStatus(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	w := newWorld(t, mastodonsim.WithClock(clock))
	key := []string{"Idempotency-Key", "reply-123"}

	resp, body := postStatus(t, w, w.botTok, key, "status", "first", "visibility", "direct")
	wantStatus(t, resp, body, http.StatusOK)
	first := decode[apiStatus](t, body)
	// The body of a repeat is ignored: the first status comes back.
	resp, body = postStatus(t, w, w.botTok, key, "status", "second", "visibility", "public")
	wantStatus(t, resp, body, http.StatusOK)
	if again := decode[apiStatus](t, body); again.ID != first.ID || again.Visibility != "direct" {
		t.Errorf("replay = %s/%s, want %s/direct", again.ID, again.Visibility, first.ID)
	}
	if n := len(w.srv.StatusesBy(w.bot)); n != 1 {
		t.Errorf("%d statuses after a replay, want 1", n)
	}
	if st := w.srv.StatusesBy(w.bot)[0]; st.IdempotencyKey != "reply-123" {
		t.Errorf("IdempotencyKey = %q", st.IdempotencyKey)
	}

	// Keys are per account.
	aliceTok := w.srv.Token(w.alice)
	resp, body = postStatus(t, w, aliceTok, key, "status", "alice's")
	wantStatus(t, resp, body, http.StatusOK)
	if decode[apiStatus](t, body).ID == first.ID {
		t.Error("another account's key replayed the bot's status")
	}

	// A key lives one hour.
	advance(59 * time.Minute)
	resp, body = postStatus(t, w, w.botTok, key, "status", "third")
	if decode[apiStatus](t, body).ID != first.ID {
		t.Error("the key expired before an hour")
	}
	advance(2 * time.Minute)
	resp, body = postStatus(t, w, w.botTok, key, "status", "fourth")
	wantStatus(t, resp, body, http.StatusOK)
	fourth := decode[apiStatus](t, body)
	if fourth.ID == first.ID {
		t.Error("the key still replays after an hour")
	}

	// Replaying a key whose status was deleted: the lookup fails.
	w.srv.Delete(w.srv.StatusesBy(w.bot)[1])
	resp, body = postStatus(t, w, w.botTok, key, "status", "fifth")
	wantError(t, resp, body, http.StatusNotFound, "Record not found")
}

func TestIdempotentReplayFailure(t *testing.T) {
	w := newWorld(t)
	key := []string{"Idempotency-Key", "k"}
	resp, body := postStatus(t, w, w.botTok, key, "status", "hello")
	wantStatus(t, resp, body, http.StatusOK)
	id := decode[apiStatus](t, body).ID
	w.srv.Faults.FailIdempotentReplays(1)
	resp, body = postStatus(t, w, w.botTok, key, "status", "hello")
	wantStatus(t, resp, body, http.StatusInternalServerError)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("500 Content-Type = %q, want Rails' HTML error page", ct)
	}
	resp, body = postStatus(t, w, w.botTok, key, "status", "hello")
	wantStatus(t, resp, body, http.StatusOK)
	if got := decode[apiStatus](t, body).ID; got != id {
		t.Errorf("after the 500 the replay gave %s, want %s", got, id)
	}
	if n := len(w.srv.StatusesBy(w.bot)); n != 1 {
		t.Errorf("%d statuses, want 1", n)
	}
}

func TestStatusLengthLimit(t *testing.T) {
	w := newWorld(t, mastodonsim.WithMaxCharacters(30))
	long := "https://example.com/" + strings.Repeat("x", 200)
	for _, tc := range []struct {
		name, spoiler, text string
		ok                  bool
	}{
		{"30 letters", "", strings.Repeat("a", 30), true},
		{"31 letters", "", strings.Repeat("a", 31), false},
		{"URL counts 23", "", "ab " + long + " cd", true},                                              // 3 + 23 + 3 = 29
		{"URL counts 23, one over", "", "abcd " + long + " cd", false},                                 // 31
		{"remote mention counts as @user", "", "@alice@evil.example " + strings.Repeat("z", 23), true}, // "@alice" + 24 = 30
		{"remote mention counts as @user, one over", "", "@alice@evil.example " + strings.Repeat("z", 24), false},
		{"spoiler counts", strings.Repeat("s", 20), strings.Repeat("a", 11), false}, // 31
		{"graphemes, not bytes", "", strings.Repeat("👍🏽", 30), true},                // 30 clusters
		{"trailing space is stripped", "", strings.Repeat("a", 30) + "   \n", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := postStatus(t, w, w.botTok, nil, "status", tc.text, "spoiler_text", tc.spoiler, "visibility", "direct")
			if tc.ok {
				wantStatus(t, resp, body, http.StatusOK)
				return
			}
			wantError(t, resp, body, http.StatusUnprocessableEntity, "Validation failed: Text character limit of 30 exceeded")
		})
	}
	resp, body := postStatus(t, w, w.botTok, nil, "status", "   ")
	wantError(t, resp, body, http.StatusUnprocessableEntity, "Validation failed: Text can't be blank")
}

func TestPostStatusJSONBodyAndReplies(t *testing.T) {
	w := newWorld(t)
	w.srv.Follow(w.bot, w.alice)
	dm := w.dm(w.alice, "ps")
	body := `{"status":"@alice@` + w.srv.Domain + ` all up","in_reply_to_id":"` + dm.ID + `","visibility":"direct","language":"xx-invalid","allowed_mentions":["` + w.alice.ID + `"]}`
	resp, b := call(t, http.MethodPost, w.srv.URL+"/api/v1/statuses", w.botTok, strings.NewReader(body), "Content-Type", "application/json")
	wantStatus(t, resp, b, http.StatusOK)
	st := decode[apiStatus](t, b)
	if st.InReplyToID == nil || *st.InReplyToID != dm.ID {
		t.Errorf("in_reply_to_id = %v, want %s", st.InReplyToID, dm.ID)
	}
	if len(st.Mentions) != 1 || st.Mentions[0].ID != w.alice.ID || st.Mentions[0].Acct != "alice" {
		t.Errorf("mentions = %+v, want alice (the full local acct resolves locally)", st.Mentions)
	}
	if st.Language == nil || *st.Language != "en" {
		t.Errorf("language = %v, want the fallback en", st.Language)
	}

	// A direct reply that mentions nobody reaches nobody: alice gets nothing.
	before := len(w.srv.Notifications(w.alice))
	resp, b = postStatus(t, w, w.botTok, nil, "status", "done", "in_reply_to_id", dm.ID, "visibility", "direct")
	wantStatus(t, resp, b, http.StatusOK)
	if after := len(w.srv.Notifications(w.alice)); after != before {
		t.Errorf("a DM without mentions notified alice")
	}

	resp, b = postStatus(t, w, w.botTok, nil, "status", "x", "in_reply_to_id", "109999999999999999")
	wantError(t, resp, b, http.StatusNotFound, "The post you are trying to reply to does not appear to exist.")
	// bob's DM to alice is not visible to the bot: same 404.
	private := w.srv.Post(w.bob, mastodonsim.PostOpts{Text: "@alice hi", Visibility: "direct"})
	resp, b = postStatus(t, w, w.botTok, nil, "status", "x", "in_reply_to_id", private.ID)
	wantStatus(t, resp, b, http.StatusNotFound)

	resp, b = postStatus(t, w, w.botTok, nil, "status", "@alice @bob hi", "allowed_mentions[]", w.alice.ID)
	wantError(t, resp, b, http.StatusUnprocessableEntity, "Post would be sent to unexpected accounts")
	if !strings.Contains(string(b), `"unexpected_accounts":[{"id":"`+w.bob.ID) {
		t.Errorf("body %s does not list bob as unexpected", b)
	}
}

func TestSilencedAccountPostsUnlisted(t *testing.T) {
	w := newWorld(t)
	muted := w.srv.AddLocalAccount("announcer", mastodonsim.Bot(), mastodonsim.Limited())
	resp, b := postStatus(t, w, w.srv.Token(muted), nil, "status", "upgrade done", "visibility", "public")
	wantStatus(t, resp, b, http.StatusOK)
	if got := decode[apiStatus](t, b).Visibility; got != "unlisted" {
		t.Errorf("visibility = %q, want public downgraded to unlisted", got)
	}
}

func TestDeleteReturnsSourceText(t *testing.T) {
	w := newWorld(t)
	resp, b := postStatus(t, w, w.botTok, nil, "status", "backup <done> & ok", "spoiler_text", "cw")
	wantStatus(t, resp, b, http.StatusOK)
	st := decode[apiStatus](t, b)
	if !st.Sensitive {
		t.Error("a spoiler must make the status sensitive")
	}
	resp, b = call(t, http.MethodDelete, w.srv.URL+"/api/v1/statuses/"+st.ID, w.srv.Token(w.alice), nil)
	wantError(t, resp, b, http.StatusNotFound, "Record not found") // not alice's
	resp, b = call(t, http.MethodDelete, w.srv.URL+"/api/v1/statuses/"+st.ID, w.botTok, nil)
	wantStatus(t, resp, b, http.StatusOK)
	del := decode[apiStatus](t, b)
	if del.Text == nil || *del.Text != "backup <done> & ok" || del.Content != nil {
		t.Errorf("delete answered text=%v content=%v, want the source text and no content", del.Text, del.Content)
	}
}

func TestPinRules(t *testing.T) {
	w := newWorld(t)
	dm := w.srv.Post(w.bot, mastodonsim.PostOpts{Text: "@alice hi", Visibility: "direct"})
	resp, b := call(t, http.MethodPost, w.srv.URL+"/api/v1/statuses/"+dm.ID+"/pin", w.botTok, nil)
	wantError(t, resp, b, http.StatusUnprocessableEntity, "Validation failed: Posts that are only visible to mentioned users cannot be pinned")
	pub := w.srv.Post(w.bot, mastodonsim.PostOpts{Text: "status page"})
	resp, b = call(t, http.MethodPost, w.srv.URL+"/api/v1/statuses/"+pub.ID+"/pin", w.botTok, nil)
	wantStatus(t, resp, b, http.StatusOK)
	if p := decode[apiStatus](t, b).Pinned; p == nil || !*p {
		t.Errorf("pinned = %v, want true", p)
	}
	noScope := w.srv.Token(w.bot, "read", "write:statuses")
	resp, b = call(t, http.MethodPost, w.srv.URL+"/api/v1/statuses/"+pub.ID+"/unpin", noScope, nil)
	wantError(t, resp, b, http.StatusForbidden, "This action is outside the authorized scopes")
}

// TestLocalHTMLRendering compares local content with TextFormatter's
// outputs recorded in the samples.
func TestLocalHTMLRendering(t *testing.T) {
	w := newWorld(t)
	sample := func(name string) string {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSuffix(string(b), "\n")
	}
	for _, tc := range []struct{ text, want string }{
		{"text", sample("local-text-plain.html")},
		{`<script>alert("Hello")</script>`, sample("local-text-script-escaped.html")},
		{`<img src="javascript:alert('XSS');">`, sample("local-text-img-xss-escaped.html")},
		{`http://www\.google\.com`, sample("local-text-invalid-url.html")},
		{"ps\nnow\n\nand then", "<p>ps<br />now</p><p>and then</p>"},
		{"it's a & b", "<p>it&#39;s a &amp; b</p>"},
	} {
		st := w.srv.Post(w.alice, mastodonsim.PostOpts{Text: tc.text})
		if st.Content != tc.want {
			t.Errorf("content of %q =\n%s\nwant\n%s", tc.text, st.Content, tc.want)
		}
	}
	st := w.srv.Post(w.bob, mastodonsim.PostOpts{Text: "@alice sup!"})
	fragment := strings.ReplaceAll(sample("local-mention-link.fragment.html"), "http://cb6e6126.ngrok.io", w.srv.URL)
	want := `<p><span class="h-card" translate="no">` + fragment + ` sup!</p>`
	if st.Content != want {
		t.Errorf("mention content =\n%s\nwant\n%s", st.Content, want)
	}
	// Two mentioned accounts sharing a username show their full accts.
	st = w.srv.Post(w.bob, mastodonsim.PostOpts{Text: "@alice @alice@evil.example look", Visibility: "direct"})
	if !strings.Contains(st.Content, "@<span>alice</span>") || !strings.Contains(st.Content, "@<span>alice@evil.example</span>") {
		t.Errorf("ambiguous mentions rendered as %s", st.Content)
	}
	st = w.srv.Post(w.bob, mastodonsim.PostOpts{Text: "see https://example.com/a/very/long/path/that/goes/on/and/on #Ops @nobody"})
	for _, part := range []string{
		`<a href="https://example.com/a/very/long/path/that/goes/on/and/on" target="_blank" rel="nofollow noopener" translate="no"><span class="invisible">https://</span><span class="ellipsis">example.com/a/very/long/path/t</span><span class="invisible">hat/goes/on/and/on</span></a>`,
		`<a href="` + w.srv.URL + `/tags/Ops" class="mention hashtag" rel="tag">#<span>Ops</span></a>`,
		` @nobody</p>`,
	} {
		if !strings.Contains(st.Content, part) {
			t.Errorf("content %s\nlacks %s", st.Content, part)
		}
	}
}

func TestRemoteHTMLShapes(t *testing.T) {
	w := newWorld(t)
	w.srv.SetPolicy(w.bot, mastodonsim.Policy{ForNotFollowing: "accept", ForNotFollowers: "accept", ForNewAccounts: "accept", ForPrivateMentions: "accept", ForLimitedAccounts: "accept"})
	masto := w.srv.Post(w.eve, mastodonsim.PostOpts{Text: "@tootops it's\nps", Visibility: "direct"})
	wantMasto := `<p><span class="h-card" translate="no"><a href="` + w.bot.URL + `" class="u-url mention" rel="nofollow noopener noreferrer" target="_blank">@<span>tootops</span></a></span> it's<br>ps</p>`
	if masto.Content != wantMasto {
		t.Errorf("remote Mastodon content =\n%s\nwant\n%s", masto.Content, wantMasto)
	}
	pleroma := w.srv.Post(w.eve, mastodonsim.PostOpts{Text: "ps & \"logs\"\n@tootops", Visibility: "direct", Style: mastodonsim.StylePleroma})
	wantPleroma := `ps &amp; "logs"<br><span class="h-card"><a class="u-url mention" href="` + w.bot.URL + `" rel="nofollow noopener noreferrer" target="_blank">@<span>tootops</span></a></span>`
	if pleroma.Content != wantPleroma {
		t.Errorf("Pleroma content =\n%s\nwant\n%s", pleroma.Content, wantPleroma)
	}
	raw := `test <span class="h-card"><a class="u-url mention" href="x">@<span>tootops</span></a></span>`
	st := w.srv.PostRemote(w.eve, raw, mastodonsim.PostOpts{Visibility: "direct", Mentions: []*mastodonsim.Account{w.bot}})
	if st.Content != raw || len(st.Mentions) != 1 || st.Mentions[0].ID != w.bot.ID {
		t.Errorf("PostRemote stored %q mentions %+v", st.Content, st.Mentions)
	}
	var n int
	for _, x := range w.srv.Notifications(w.bot) {
		if x.From == w.eve && x.Type == "mention" {
			n++
		}
	}
	if n != 3 {
		t.Errorf("bot has %d mentions from eve, want 3", n)
	}
}
