package bot

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/rs/zerolog"
)

func TestOutcomeLabels(t *testing.T) {
	for _, tt := range []struct{ outcome, want string }{
		{"ok", "ok"},
		{"succeeded", "ok"},
		{"failed", "failed"},
		{"dry run failed", "failed"},
		{"not proposed", "failed"},
		{"refused", "refused"},
		{"refused politely", "refused"},
		{"ignored", "refused"},
		{"cancelled", "cancelled"},
		{"interrupted", "interrupted"},
		{"skipped", "skipped"},
		{"not understood", "not_understood"},
		{"not started", "not_started"},
		{"dry run", "dry_run"},
		{"too late", "too_late"},
		{"proposed K7Q2", "proposed"},
		{"expired K7Q2", "expired"},
		{"something new", "other"},
	} {
		if got := outcomeOf(tt.outcome); got != tt.want {
			t.Errorf("outcomeOf(%q) = %q, want %q", tt.outcome, got, tt.want)
		}
	}
}

func TestPostsAreCountedByKind(t *testing.T) {
	tr := newAPITransport(nil, zerolog.Nop())
	form := func(v url.Values) string { return v.Encode() }
	for _, c := range []struct {
		method, path, body string
		status             int
	}{
		{"POST", "/api/v1/statuses", form(url.Values{"status": {"@alice pong"}, "visibility": {"direct"}, "in_reply_to_id": {"1"}}), 200},
		{"POST", "/api/v1/statuses", form(url.Values{"status": {"part 2"}, "visibility": {"direct"}, "in_reply_to_id": {"2"}}), 200},
		{"POST", "/api/v1/statuses", form(url.Values{"status": {"we upgrade"}, "visibility": {"public"}}), 200},
		{"POST", "/api/v1/statuses", form(url.Values{"status": {"done"}, "visibility": {"unlisted"}, "in_reply_to_id": {"3"}}), 200},
		{"POST", "/api/v1/statuses", form(url.Values{"status": {"@alice backup failed"}, "visibility": {"direct"}}), 200},
		{"PUT", "/api/v1/statuses/4", form(url.Values{"status": {"50%"}}), 200},
		{"POST", "/api/v1/statuses", form(url.Values{"status": {"refused"}, "visibility": {"direct"}, "in_reply_to_id": {"1"}}), 422},
		{"POST", "/api/v1/statuses/4/reblog", "", 200},
		{"PUT", "/api/v1/statuses/4/pin", "", 200},
		{"GET", "/api/v1/statuses/4", "", 200},
		{"POST", "/api/v1/accounts/1/follow", "", 200},
	} {
		req, err := http.NewRequest(c.method, "https://social.example.coop"+c.path, strings.NewReader(c.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		tr.countPost(req, &http.Response{StatusCode: c.status})
	}
	if got, want := tr.Posts(), [3]int64{2, 1, 3}; got != want {
		t.Errorf("reply, edit, post = %v, want %v", got, want)
	}
}
