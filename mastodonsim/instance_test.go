package mastodonsim_test

import (
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/tootops/tootops/mastodonsim"
)

// keyPaths lists the object keys of a decoded JSON document as dotted
// paths; array elements are not descended into.
func keyPaths(v any, prefix string, out *[]string) {
	m, ok := v.(map[string]any)
	if !ok {
		return
	}
	for k, x := range m {
		p := prefix + k
		*out = append(*out, p)
		keyPaths(x, p+".", out)
	}
}

func TestInstanceV2MatchesSampleShape(t *testing.T) {
	w := newWorld(t, mastodonsim.WithMaxCharacters(640), mastodonsim.WithVersion("4.3.9", 2))
	raw, err := os.ReadFile("testdata/instance-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	resp, body := call(t, http.MethodGet, w.srv.URL+"/api/v2/instance", "", nil)
	wantStatus(t, resp, body, http.StatusOK)
	var want, got []string
	keyPaths(decode[map[string]any](t, raw), "", &want)
	doc := decode[map[string]any](t, body)
	keyPaths(doc, "", &got)
	// Thumbnail version names and profile fields are instance content.
	keep := func(p string) bool {
		return !strings.HasPrefix(p, "thumbnail.versions.") && !strings.HasPrefix(p, "contact.account.fields")
	}
	want = slices.DeleteFunc(want, func(p string) bool { return !keep(p) })
	got = slices.DeleteFunc(got, func(p string) bool { return !keep(p) })
	sort.Strings(want)
	sort.Strings(got)
	for _, p := range want {
		if !slices.Contains(got, p) {
			t.Errorf("missing key %s", p)
		}
	}
	for _, p := range got {
		if !slices.Contains(want, p) {
			t.Errorf("extra key %s", p)
		}
	}
	cfg := doc["configuration"].(map[string]any)
	if got := cfg["urls"].(map[string]any)["streaming"]; got != "ws://"+w.srv.Domain {
		t.Errorf("configuration.urls.streaming = %v", got)
	}
	st := cfg["statuses"].(map[string]any)
	if st["max_characters"] != float64(640) || st["characters_reserved_per_url"] != float64(23) {
		t.Errorf("configuration.statuses = %v", st)
	}
	if doc["version"] != "4.3.9" || doc["api_versions"].(map[string]any)["mastodon"] != float64(2) {
		t.Errorf("version %v api_versions %v", doc["version"], doc["api_versions"])
	}
	if resp.Header.Get("X-RateLimit-Limit") == "" {
		t.Error("no rate-limit headers on an unauthenticated API request")
	}
}

func TestAccountShapeMatchesSample(t *testing.T) {
	w := newWorld(t)
	raw, err := os.ReadFile("testdata/instance-v2.json")
	if err != nil {
		t.Fatal(err)
	}
	var want, got []string
	keyPaths(decode[map[string]any](t, raw)["contact"].(map[string]any)["account"], "", &want)
	resp, body := call(t, http.MethodGet, w.srv.URL+"/api/v1/accounts/"+w.eve.ID, "", nil)
	wantStatus(t, resp, body, http.StatusOK)
	acct := decode[map[string]any](t, body)
	keyPaths(acct, "", &got)
	for _, p := range want {
		// noindex is only sent for local accounts.
		if !slices.Contains(got, p) && p != "noindex" {
			t.Errorf("remote account lacks %s", p)
		}
	}
	if acct["acct"] != "alice@evil.example" || acct["username"] != "alice" {
		t.Errorf("remote acct %v username %v", acct["acct"], acct["username"])
	}
}
