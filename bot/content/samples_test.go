package content_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/tootops/tootops/bot/content"
)

// sample is one piece of real Mastodon HTML from testdata/samples: a whole *.html file,
// or a "content" or "note" string found in a *.json file.
type sample struct {
	name string // file, or file + " " + JSON path
	html string
}

// loadSamples reads every sample under testdata/samples.
func loadSamples(t testing.TB) []sample {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "samples", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []sample
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		base := filepath.Base(f)
		switch filepath.Ext(f) {
		case ".html":
			// The collection added a trailing newline to each verbatim sample.
			out = append(out, sample{base, strings.TrimSuffix(string(b), "\n")})
		case ".json":
			var v any
			if err := json.Unmarshal(b, &v); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			walkJSON(v, "", func(path, s string) {
				out = append(out, sample{base + " " + path, s})
			})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// walkJSON calls fn for every "content" and "note" string in v, descending into the
// JSON string a WebSocket envelope carries in "payload".
func walkJSON(v any, path string, fn func(path, s string)) {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			p := k
			if path != "" && !strings.HasSuffix(path, ">") {
				p = path + "." + k
			} else {
				p = path + k
			}
			s, isString := v[k].(string)
			switch {
			case k == "source":
				// An account's source.note is the plain text the user typed, not HTML;
				// TestSamplesNoteSource compares it with the rendered note.
			case isString && (k == "content" || k == "note"):
				fn(p, s)
			case isString && k == "payload":
				var inner any
				if json.Unmarshal([]byte(s), &inner) == nil {
					walkJSON(inner, p+">", fn)
				}
			default:
				walkJSON(v[k], p, fn)
			}
		}
	case []any:
		for i, e := range v {
			walkJSON(e, path+"["+strconv.Itoa(i)+"]", fn)
		}
	}
}

// sampleWant holds the expected output for every sample, checked by hand against the
// HTML. A sample added to testdata/samples fails TestSamples until it gets a row here.
var sampleWant = map[string]struct{ plain, command string }{
	// Local posts: TextFormatter output.
	"content-br-html5-form.html": {"cats\ncats never change", "cats"},
	"local-account-note-paragraphs-br.html": {
		"i have approximate knowledge of many things. perpetual student. (nb/ace/they)\n\n" +
			"xmpp/email: a@trwnh.com\nhttps://trwnh.com\nhelp me live: https://liberapay.com/at or https://paypal.me/trwnh\n\n" +
			"- my triggers are moths and glitter\n" +
			"- i have all notifs except mentions turned off, so please interact if you wanna be friends! i literally will not notice otherwise\n" +
			"- dm me if i did something wrong, so i can improve\n" +
			"- purest person on fedi, do not lewd in my presence\n" +
			"- #1 ami cole fan account\n\n" +
			":fatyoshi:",
		"i have approximate knowledge of many things. perpetual student. (nb/ace/they)",
	},
	"local-content-escaped-apostrophe.html":      {feedly, feedly},
	"local-content-mention-reply.html":           {"@trwnh sup!", "sup!"},
	"local-content-quot-and-shortened-link.html": {guardian, guardianTitle},
	"local-mention-link.fragment.html":           {"@alice", ""},
	"local-text-img-xss-escaped.html":            {`<img src="javascript:alert('XSS');">`, `<img src="javascript:alert('XSS');">`},
	"local-text-invalid-url.html":                {`http://www\.google\.com`, `http://www\.google\.com`},
	"local-text-plain.html":                      {"text", "text"},
	"local-text-script-escaped.html":             {`<script>alert("Hello")</script>`, `<script>alert("Hello")</script>`},

	// Remote posts: other servers' HTML after Mastodon's sanitizer.
	"remote-content-mastodon-raw-apostrophe.html": {musicTuesday, "#musicTuesday"},
	"remote-content-pleroma-direct.html":          {"test @trwnh", "test @trwnh"},

	// Account notes.
	"account-credential-local.json note": {
		"i have approximate knowledge of many things. perpetual student. (nb/ace/they)\n\n" +
			"xmpp/email: a@trwnh.com\nhttps://trwnh.com\nhelp me live: https://liberapay.com/at or https://paypal.me/trwnh\n\n" +
			"- my triggers are moths and glitter\n" +
			"- i have all notifs except mentions turned off, so please interact if you wanna be friends! i literally will not notice otherwise\n" +
			"- dm me if i did something wrong, so i can improve\n" +
			"- purest person on fedi, do not lewd in my presence\n" +
			"- #1 ami cole fan account\n\n" +
			":fatyoshi:",
		"i have approximate knowledge of many things. perpetual student. (nb/ace/they)",
	},
	"account-remote.json note": {
		// U+200B (a format character, not a control character) is kept.
		":ms_rainbow_flag:\u200b :ms_bisexual_flag:\u200b :ms_nonbinary_flag:\u200b #awoo.space #admin ~ #bi ~ #nonbinary ~ compsci student ~ likes video #games and weird/ old electronics and will post obsessively about both ~ avatar by @dzuk",
		":ms_rainbow_flag:\u200b :ms_bisexual_flag:\u200b :ms_nonbinary_flag:\u200b #awoo.space #admin ~ #bi ~ #nonbinary ~ compsci student ~ likes video #games and weird/ old electronics and will post obsessively about both ~ avatar by @dzuk",
	},
	"sse-direct-conversation-direct-visibility.payload.json accounts[0].note":         {"a (pleroma edition)", "a (pleroma edition)"},
	"sse-direct-conversation-direct-visibility.payload.json last_status.account.note": {"a (pleroma edition)", "a (pleroma edition)"},
	"sse-user-notification-mention.payload.json account.note":                         {"a (pleroma edition)", "a (pleroma edition)"},
	"sse-user-notification-mention.payload.json status.account.note":                  {"a (pleroma edition)", "a (pleroma edition)"},
	"sse-public-status-update-remote-mastodon.payload.json account.note":              {"i mash keys", "i mash keys"},
	"sse-user-status-update-local-account.payload.json account.note":                  {"", ""},
	"status-entity-example.json account.note":                                         {gargron, gargron},
	"status-get-local-public.json account.note":                                       {gargron, gargron},
	"sse-user-update-remote-status.payload.json account.note":                         {"tech archaeologist, unix weenie\n#nobot", "tech archaeologist, unix weenie"},
	"sse-public-local-update-local-account.payload.json account.note": {
		"i have approximate knowledge of many things. perpetual student. (nb/ace/they)\n\n" +
			"xmpp/email: a@trwnh.com\nhttps://trwnh.com\nhelp me live: https://liberapay.com/trwnh or paypal\n\n" +
			"- my triggers are moths and glitter\n" +
			"- i have all notifs except mentions turned off, so please interact if you wanna be friends! i literally will not notice otherwise\n" +
			"- dm me if i did something wrong, so i can improve\n" +
			"- purest person on fedi, do not lewd in my presence",
		"i have approximate knowledge of many things. perpetual student. (nb/ace/they)",
	},
	"sse-public-status-update-escaped-apostrophe.payload.json account.note": {
		// &amp; decoded; the double space between two hashtag links collapses.
		"Comic book writer & filmmaker. Mech Cadet Yu, Planet Hulk, Darth Vader, Ronin Island, Princess Who Saved. Get vaxxed, get out the vote. He/Him.\n" +
			"#Comics #ComicBooks #writing #AmWriting #photography #BelieveInFilm",
		"Comic book writer & filmmaker. Mech Cadet Yu, Planet Hulk, Darth Vader, Ronin Island, Princess Who Saved. Get vaxxed, get out the vote. He/Him.",
	},
	"ws-public-update-envelope.json payload>account.note": {
		"Young tech enthusiast. Likes software (and also general, just not work-) minimalsim. Constantly trying to escape big-tech software.\n" +
			"Other hobbies include making music, stargazing, math and recently chess, but there's a lot that piques my interest and a lot left to learn out there.\n\n" +
			"„Of course, every house is constructed by someone, but the one who constructed all things is God.“ (Hebrews 3:4 [nwt18])",
		"Young tech enthusiast. Likes software (and also general, just not work-) minimalsim. Constantly trying to escape big-tech software.",
	},

	// Status content in API and streaming payloads.
	"sse-direct-conversation-direct-visibility.payload.json last_status.content": {"test @trwnh", "test @trwnh"},
	"sse-public-local-update-local-account.payload.json content":                 {"test", "test"},
	"sse-public-status-update-escaped-apostrophe.payload.json content":           {feedly, feedly},
	"sse-public-status-update-remote-mastodon.payload.json content":              {musicTuesday, "#musicTuesday"},
	"sse-user-notification-mention.payload.json status.content":                  {"@trwnh test", "test"},
	"sse-user-status-update-local-account.payload.json content":                  {"edited", "edited"},
	"sse-user-update-remote-status.payload.json content":                         {"@disarray glad i was able to help", "glad i was able to help"},
	"status-entity-example.json content":                                         {guardian, guardianTitle},
	"status-get-local-public.json content":                                       {"Hello world", "Hello world"},
	"ws-public-update-envelope.json payload>content": {
		"And now I can't exit the inner nvim because I mapped escape to the parent vim instance 😂",
		"And now I can't exit the inner nvim because I mapped escape to the parent vim instance 😂",
	},
}

const (
	feedly        = "By default, in Feedly it just shows a thumbnail of the images in a post, though. And NetNewsWire doesn't show any image, boo! Gotta find an RSS reader that'll show a full sized image automatically without requiring a clickthrough... any suggestions would be very welcome, thanks!"
	guardianTitle = `"I lost my inheritance with one wrong digit on my sort code"`
	// The invisible and ellipsis spans put back together into the whole URL.
	guardian     = guardianTitle + "\n\nhttps://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code"
	musicTuesday = "#musicTuesday\n\nHere's a solo #piano track of mine called Gravity Assist\n\n#neoclassical (#jazz ish)\n\n" +
		"https://cstudios.bandcamp.com/track/celestia-gravity-assist-no-19-var-2"
	gargron = "Developer of Mastodon and administrator of mastodon.social. I post service announcements, development updates, and personal stuff."
)

func TestSamples(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range loadSamples(t) {
		seen[s.name] = true
		want, ok := sampleWant[s.name]
		if !ok {
			t.Errorf("%s: no expected output in sampleWant; PlainText gives %q", s.name, content.PlainText(s.html))
			continue
		}
		if got := content.PlainText(s.html); got != want.plain {
			t.Errorf("PlainText(%s)\n got %q\nwant %q", s.name, got, want.plain)
		}
		if got := content.Command(s.html); got != want.command {
			t.Errorf("Command(%s) = %q, want %q", s.name, got, want.command)
		}
	}
	for name := range sampleWant {
		if !seen[name] {
			t.Errorf("sampleWant has %q, which is not in testdata/samples", name)
		}
	}
}

// TestSamplesNoteSource compares a rendered note with the text its author typed, which
// the API returns next to it as source.note: converting the HTML back must give the
// same text, line breaks and blank lines included.
func TestSamplesNoteSource(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "samples", "account-credential-local.json"))
	if err != nil {
		t.Fatal(err)
	}
	var acct struct {
		Note   string `json:"note"`
		Source struct {
			Note string `json:"note"`
		} `json:"source"`
	}
	if err := json.Unmarshal(b, &acct); err != nil {
		t.Fatal(err)
	}
	if got, want := content.PlainText(acct.Note), strings.ReplaceAll(acct.Source.Note, "\r\n", "\n"); got != want {
		t.Errorf("PlainText(note)\n got %q\nwant %q", got, want)
	}
}
