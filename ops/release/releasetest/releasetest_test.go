package releasetest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/ops/release/releasetest"
)

func get(t *testing.T, url string, header map[string]string) (*http.Response, []map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("User-Agent", "test")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []map[string]any
	if resp.StatusCode == http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatal(err)
		}
	}
	return resp, out
}

func TestServer(t *testing.T) {
	var rels []releasetest.Release
	for i := 0; i < 35; i++ {
		rels = append(rels, releasetest.Release{Tag: fmt.Sprintf("v4.0.%d", i)})
	}
	s := releasetest.New(t, rels...)
	s.Add(releasetest.Release{Tag: "v4.9.0", Draft: true})
	// A backport created after everything else comes first: the list is by date.
	s.Add(releasetest.Release{Tag: "v3.5.99", Created: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})

	resp, page := get(t, s.URL, nil)
	if got, want := len(page), 30; got != want {
		t.Errorf("default page size %d, want %d", got, want)
	}
	if got := page[0]["tag_name"]; got != "v3.5.99" {
		t.Errorf("first = %v, want the newest created", got)
	}
	link := resp.Header.Get("Link")
	if !strings.Contains(link, `/repositories/24897361/releases?per_page=30&page=2>; rel="next"`) || !strings.Contains(link, `page=2>; rel="last"`) {
		t.Errorf("Link = %s", link)
	}
	if got := resp.Header.Get("X-RateLimit-Remaining"); got != "59" {
		t.Errorf("remaining = %s, want 59", got)
	}
	for _, f := range []string{"url", "html_url", "id", "tag_name", "name", "draft", "prerelease", "created_at", "published_at", "body", "assets", "author"} {
		if _, ok := page[0][f]; !ok {
			t.Errorf("field %s missing", f)
		}
	}
	if _, ok := page[0]["id"].(float64); !ok {
		t.Errorf("id is %T, want a JSON number", page[0]["id"])
	}

	// Drafts only with the token; their published_at is null.
	_, all := get(t, s.URL+"?per_page=100", map[string]string{"Authorization": "Bearer " + releasetest.Token})
	var draft map[string]any
	for _, r := range all {
		if r["draft"] == true {
			draft = r
		}
	}
	if draft == nil || draft["published_at"] != nil {
		t.Errorf("draft = %v, want one with a null published_at", draft)
	}
	if len(all) != 37 {
		t.Errorf("with token %d releases, want 37", len(all))
	}

	// A wrong token is refused.
	if resp, _ := get(t, s.URL, map[string]string{"Authorization": "Bearer nope"}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", resp.StatusCode)
	}

	// ETag and 304.
	resp, _ = get(t, s.URL+"?page=2", nil)
	etag := resp.Header.Get("ETag")
	if resp, _ := get(t, s.URL+"?page=2", map[string]string{"If-None-Match": etag}); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %d, want 304", resp.StatusCode)
	}

	// The rate limit.
	s.SetRemaining(0)
	req, _ := http.NewRequest(http.MethodGet, s.URL, nil)
	req.Header.Set("User-Agent", "test")
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var msg map[string]string
	_ = json.NewDecoder(r.Body).Decode(&msg)
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden || !strings.HasPrefix(msg["message"], "API rate limit exceeded for ") || msg["documentation_url"] == "" || r.Header.Get("X-RateLimit-Remaining") != "0" {
		t.Errorf("at zero: %d %v %v", r.StatusCode, msg, r.Header)
	}

	// No User-Agent.
	req, _ = http.NewRequest(http.MethodGet, s.URL, nil)
	req.Header["User-Agent"] = []string{""}
	r, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	if r.StatusCode != http.StatusForbidden {
		t.Errorf("without User-Agent: %d", r.StatusCode)
	}
	if n := len(s.Requests()); n != 7 {
		t.Errorf("%d requests recorded, want 7", n)
	}
}
