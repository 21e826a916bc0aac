package compose_test

import (
	"errors"
	"maps"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

func readMastodonCompose(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile("testdata/compose/mastodon-v4.3.17.yml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// replaceLine replaces one whole line, which must occur exactly once.
func replaceLine(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("line %q occurs %d times, want 1", old, n)
	}
	return strings.Replace(s, old, new, 1)
}

// yamlBreak is a line break as YAML counts lines.
var yamlBreak = regexp.MustCompile("\r\n|\r|\n|\u0085|\u2028|\u2029")

// changedLines lists the 1-based lines that differ between a and b, which must have the
// same number of lines.
func changedLines(t testing.TB, a, b []byte) []int {
	t.Helper()
	la, lb := yamlBreak.Split(string(a), -1), yamlBreak.Split(string(b), -1)
	if len(la) != len(lb) {
		t.Fatalf("line count changed: %d → %d", len(la), len(lb))
	}
	var out []int
	for i := range la {
		if la[i] != lb[i] {
			out = append(out, i+1)
		}
	}
	return out
}

func editLines(edits []compose.ImageEdit) []int {
	var out []int
	for _, e := range edits {
		if !slices.Contains(out, e.Line) {
			out = append(out, e.Line)
		}
	}
	slices.Sort(out)
	return out
}

const anchored = `x-mastodon: &mastodon
  image: ghcr.io/mastodon/mastodon:v4.5.0 # web and sidekiq
  restart: always
  env_file: .env.production

services:
  web:
    <<: *mastodon
    command: bundle exec puma -C config/puma.rb
  sidekiq:
    <<: *mastodon
    command: bundle exec sidekiq
  streaming:
    <<: *mastodon
    image: ghcr.io/mastodon/mastodon-streaming:v4.5.0
`

const aliased = `services:
  web:
    image: &img "ghcr.io/mastodon/mastodon:v4.5.0"
  sidekiq:
    image: *img
`

func TestRewriteImages(t *testing.T) {
	t.Parallel()
	masto := readMastodonCompose(t)
	const (
		webOld    = "    image: ghcr.io/mastodon/mastodon:v4.3.17\n"
		webNew    = "    image: ghcr.io/mastodon/mastodon:v4.3.18\n"
		streamOld = "    image: ghcr.io/mastodon/mastodon-streaming:v4.3.17\n"
		streamNew = "    image: ghcr.io/mastodon/mastodon-streaming:v4.3.18\n"
	)
	upgrade := map[string]string{
		"web":       "ghcr.io/mastodon/mastodon:v4.3.18",
		"sidekiq":   "ghcr.io/mastodon/mastodon:v4.3.18",
		"streaming": "ghcr.io/mastodon/mastodon-streaming:v4.3.18",
	}
	// web's and sidekiq's lines are the same text: replace both.
	mastoWant := strings.ReplaceAll(replaceLine(t, masto, streamOld, streamNew), webOld, webNew)
	if strings.Count(mastoWant, webNew) != 2 {
		t.Fatal("the fixture should have web and sidekiq on the same image line")
	}
	crlf := func(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

	tests := []struct {
		name   string
		in     string
		images map[string]string
		want   string
		edits  []compose.ImageEdit
	}{
		{
			name: "mastodon v4.3.17 upgrade", in: masto, images: upgrade, want: mastoWant,
			edits: []compose.ImageEdit{
				{Service: "web", Old: "ghcr.io/mastodon/mastodon:v4.3.17", New: "ghcr.io/mastodon/mastodon:v4.3.18", Line: 62},
				{Service: "streaming", Old: "ghcr.io/mastodon/mastodon-streaming:v4.3.17", New: "ghcr.io/mastodon/mastodon-streaming:v4.3.18", Line: 86},
				{Service: "sidekiq", Old: "ghcr.io/mastodon/mastodon:v4.3.17", New: "ghcr.io/mastodon/mastodon:v4.3.18", Line: 105},
			},
		},
		{
			name: "mastodon with CRLF line endings", in: crlf(masto), images: upgrade, want: crlf(mastoWant),
			edits: []compose.ImageEdit{
				{Service: "web", Old: "ghcr.io/mastodon/mastodon:v4.3.17", New: "ghcr.io/mastodon/mastodon:v4.3.18", Line: 62},
				{Service: "streaming", Old: "ghcr.io/mastodon/mastodon-streaming:v4.3.17", New: "ghcr.io/mastodon/mastodon-streaming:v4.3.18", Line: 86},
				{Service: "sidekiq", Old: "ghcr.io/mastodon/mastodon:v4.3.17", New: "ghcr.io/mastodon/mastodon:v4.3.18", Line: 105},
			},
		},
		{
			name: "only the db, a rollback of nothing else", in: masto, images: map[string]string{"db": "postgres:15-alpine"},
			want:  replaceLine(t, masto, "    image: postgres:14-alpine\n", "    image: postgres:15-alpine\n"),
			edits: []compose.ImageEdit{{Service: "db", Old: "postgres:14-alpine", New: "postgres:15-alpine", Line: 7}},
		},
		{
			name: "already there", in: masto, images: map[string]string{"web": "ghcr.io/mastodon/mastodon:v4.3.17"}, want: masto,
		},
		{
			name: "quotes and trailing comments",
			in: "services:\n  web:\n    image: \"ghcr.io/mastodon/mastodon:v4.5.0\"   # pinned, see #123\n" +
				"  sidekiq:\n    image: 'ghcr.io/mastodon/mastodon:v4.5.0'\t# tab before me\n" +
				"  streaming:\n    image:   ghcr.io/mastodon/mastodon-streaming:v4.5.0# not a comment\n",
			images: map[string]string{"web": "ghcr.io/mastodon/mastodon:v4.5.1", "sidekiq": "ghcr.io/mastodon/mastodon:v4.5.1", "streaming": "ghcr.io/mastodon/mastodon-streaming:v4.5.1"},
			want: "services:\n  web:\n    image: \"ghcr.io/mastodon/mastodon:v4.5.1\"   # pinned, see #123\n" +
				"  sidekiq:\n    image: 'ghcr.io/mastodon/mastodon:v4.5.1'\t# tab before me\n" +
				"  streaming:\n    image:   ghcr.io/mastodon/mastodon-streaming:v4.5.1\n",
			edits: []compose.ImageEdit{
				{Service: "web", Old: "ghcr.io/mastodon/mastodon:v4.5.0", New: "ghcr.io/mastodon/mastodon:v4.5.1", Line: 3},
				{Service: "sidekiq", Old: "ghcr.io/mastodon/mastodon:v4.5.0", New: "ghcr.io/mastodon/mastodon:v4.5.1", Line: 5},
				{Service: "streaming", Old: "ghcr.io/mastodon/mastodon-streaming:v4.5.0# not a comment", New: "ghcr.io/mastodon/mastodon-streaming:v4.5.1", Line: 7},
			},
		},
		{
			name:   "escapes in double quotes",
			in:     "services:\n  web: {image: \"ghcr.io/mastodon/\\x6Dastodon:v4.5.0\", command: \"x\"}\n",
			images: map[string]string{"web": "ghcr.io/mastodon/mastodon:v4.5.1"},
			want:   "services:\n  web: {image: \"ghcr.io/mastodon/mastodon:v4.5.1\", command: \"x\"}\n",
			edits:  []compose.ImageEdit{{Service: "web", Old: "ghcr.io/mastodon/mastodon:v4.5.0", New: "ghcr.io/mastodon/mastodon:v4.5.1", Line: 2}},
		},
		{
			name:   "flow mapping after non-ASCII text on the line",
			in:     "services:\n  \"wéb\": {command: \"é\", image: 'a:1', user: root} # ü\n",
			images: map[string]string{"wéb": "b:2"},
			want:   "services:\n  \"wéb\": {command: \"é\", image: 'b:2', user: root} # ü\n",
			edits:  []compose.ImageEdit{{Service: "wéb", Old: "a:1", New: "b:2", Line: 2}},
		},
		{
			name:   "anchor shared by every service changed",
			in:     anchored,
			images: map[string]string{"web": "ghcr.io/mastodon/mastodon:v4.5.1", "sidekiq": "ghcr.io/mastodon/mastodon:v4.5.1", "streaming": "ghcr.io/mastodon/mastodon-streaming:v4.5.1"},
			want: strings.NewReplacer("mastodon:v4.5.0 #", "mastodon:v4.5.1 #", "streaming:v4.5.0\n", "streaming:v4.5.1\n").
				Replace(anchored),
			edits: []compose.ImageEdit{
				{Service: "sidekiq", Old: "ghcr.io/mastodon/mastodon:v4.5.0", New: "ghcr.io/mastodon/mastodon:v4.5.1", Line: 2},
				{Service: "web", Old: "ghcr.io/mastodon/mastodon:v4.5.0", New: "ghcr.io/mastodon/mastodon:v4.5.1", Line: 2},
				{Service: "streaming", Old: "ghcr.io/mastodon/mastodon-streaming:v4.5.0", New: "ghcr.io/mastodon/mastodon-streaming:v4.5.1", Line: 15},
			},
		},
		{
			name:   "a service overriding the anchor's image",
			in:     anchored,
			images: map[string]string{"streaming": "ghcr.io/mastodon/mastodon-streaming:v4.5.1"},
			want:   strings.Replace(anchored, "streaming:v4.5.0\n", "streaming:v4.5.1\n", 1),
			edits:  []compose.ImageEdit{{Service: "streaming", Old: "ghcr.io/mastodon/mastodon-streaming:v4.5.0", New: "ghcr.io/mastodon/mastodon-streaming:v4.5.1", Line: 15}},
		},
		{
			name:   "image anchored and aliased",
			in:     aliased,
			images: map[string]string{"web": "ghcr.io/mastodon/mastodon:v4.5.1", "sidekiq": "ghcr.io/mastodon/mastodon:v4.5.1"},
			want:   strings.Replace(aliased, "v4.5.0", "v4.5.1", 1),
			edits: []compose.ImageEdit{
				{Service: "sidekiq", Old: "ghcr.io/mastodon/mastodon:v4.5.0", New: "ghcr.io/mastodon/mastodon:v4.5.1", Line: 3},
				{Service: "web", Old: "ghcr.io/mastodon/mastodon:v4.5.0", New: "ghcr.io/mastodon/mastodon:v4.5.1", Line: 3},
			},
		},
		{
			name:   "another service's image unreadable",
			in:     "services:\n  tor:\n    image: [a]\n  web:\n    image: a:1\n",
			images: map[string]string{"web": "a:2"},
			want:   "services:\n  tor:\n    image: [a]\n  web:\n    image: a:2\n",
			edits:  []compose.ImageEdit{{Service: "web", Old: "a:1", New: "a:2", Line: 5}},
		},
		{
			name:   "tagged value, digest reference",
			in:     "services:\n  web:\n    image: !!str ghcr.io/mastodon/mastodon:v4.5.0\n",
			images: map[string]string{"web": "ghcr.io/mastodon/mastodon@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
			want:   "services:\n  web:\n    image: !!str ghcr.io/mastodon/mastodon@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n",
			edits:  []compose.ImageEdit{{Service: "web", Old: "ghcr.io/mastodon/mastodon:v4.5.0", New: "ghcr.io/mastodon/mastodon@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", Line: 3}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, edits, err := compose.RewriteImages([]byte(tt.in), tt.images)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if !reflect.DeepEqual(edits, tt.edits) {
				t.Errorf("edits\n%+v\nwant\n%+v", edits, tt.edits)
			}
			if lines := changedLines(t, []byte(tt.in), got); !slices.Equal(lines, editLines(edits)) {
				t.Errorf("changed lines %v, want only the image lines %v", lines, editLines(edits))
			}
		})
	}
}

func TestRewriteImagesRefuses(t *testing.T) {
	t.Parallel()
	masto := readMastodonCompose(t)
	tests := []struct {
		name   string
		in     string
		images map[string]string
		want   []string // in the Safe text
	}{
		{"unknown service", masto, map[string]string{"webb": "x:1"}, []string{`no service "webb"`, "db, redis, web, streaming, sidekiq"}},
		{"built service", "services:\n  web:\n    build: .\n", map[string]string{"web": "x:1"}, []string{"web has no image:"}},
		{"anchor shared with a service not changed", anchored, map[string]string{"web": "ghcr.io/mastodon/mastodon:v4.5.1"},
			[]string{"image of web (line 2) is shared through a YAML anchor with sidekiq", "change sidekiq to the same image as well"}},
		{"anchor shared, other image", anchored, map[string]string{"web": "a:1", "sidekiq": "a:2"}, []string{"shared through a YAML anchor"}},
		{"aliased image", aliased, map[string]string{"sidekiq": "a:1"}, []string{"shared through the YAML anchor &img with web"}},
		{"variable", "services:\n  web:\n    image: ghcr.io/mastodon/mastodon:${TAG:-v4.5.0}\n", map[string]string{"web": "a:1"}, []string{"set from a variable", ".env"}},
		{"block scalar", "services:\n  web:\n    image: >-\n      a:1\n", map[string]string{"web": "a:2"}, []string{"spans several lines"}},
		{"multi-line plain", "services:\n  web:\n    image: a\n      :1\n", map[string]string{"web": "a:2"}, []string{"image of web on line 3", "by hand"}},
		{"multi-line quoted", "services:\n  web:\n    image: \"a\\\n      :1\"\n", map[string]string{"web": "a:2"}, []string{"line 3"}},
		{"bad reference", masto, map[string]string{"web": "ghcr.io/Mastodon/mastodon:v1"}, []string{"cannot set the image of web"}},
		{"space in reference", masto, map[string]string{"web": "a:1 # b"}, []string{"not allowed in an image reference"}},
		{"empty reference", masto, map[string]string{"web": ""}, []string{"empty image"}},
		{"two documents", "services:\n  web:\n    image: a:1\n---\nx: 1\n", map[string]string{"web": "a:2"}, []string{"several YAML documents"}},
		{"duplicate key", "services:\n  web:\n    image: a:1\n    image: a:2\n", map[string]string{"web": "a:2"}, []string{"not valid YAML"}},
		{"no services", "version: '3'\n", map[string]string{"web": "a:2"}, []string{"no services"}},
		{"not YAML", "services: [\n", map[string]string{"web": "a:2"}, []string{"not valid YAML"}},
		{"plain value that would read as a number", "services:\n  web:\n    image: a:1\n", map[string]string{"web": "1234"}, []string{"more than the images"}},
		{"null image", "services:\n  web:\n    image:\n  db:\n    image: a:1\n", map[string]string{"web": "a:2"}, []string{"image: is not a string (line 3)"}},
		{"image a number", "services:\n  web:\n    image: 12\n", map[string]string{"web": "a:2"}, []string{"image: is not a string"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			out, _, err := compose.RewriteImages([]byte(tt.in), tt.images)
			var oe *ops.Error
			if !errors.As(err, &oe) {
				t.Fatalf("RewriteImages = %q, %v; want an *ops.Error", out, err)
			}
			containsAll(t, "error", oe.Safe(), tt.want...)
		})
	}
}

func TestRewriteComposeFiles(t *testing.T) {
	t.Parallel()
	now := time.Now()
	snap := &compose.Snapshot{Project: "mastodon", Services: []compose.Service{
		{Name: "web", Containers: []compose.Container{{Name: "mastodon-web-1", Created: now.Add(-time.Hour), Labels: map[string]string{
			compose.LabelConfigFiles: "/srv/mastodon/docker-compose.yml", compose.LabelWorkingDir: "/srv/mastodon",
		}}}},
		{Name: "sidekiq", Containers: []compose.Container{{Name: "mastodon-sidekiq-1", Created: now, Labels: map[string]string{
			compose.LabelConfigFiles: "/srv/mastodon/docker-compose.yml,docker-compose.override.yml", compose.LabelWorkingDir: "/srv/mastodon",
		}}}},
	}}
	files, dir, err := compose.ComposeFiles(snap)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/srv/mastodon/docker-compose.yml", "/srv/mastodon/docker-compose.override.yml"}; !slices.Equal(files, want) || dir != "/srv/mastodon" {
		t.Errorf("ComposeFiles = %v, %q; want %v, /srv/mastodon (the newest container's)", files, dir, want)
	}
	_, _, err = compose.ComposeFiles(&compose.Snapshot{Project: "mastodon", Services: []compose.Service{{Name: "web", Containers: []compose.Container{{Labels: map[string]string{}}}}}})
	var oe *ops.Error
	if !errors.As(err, &oe) || !strings.Contains(oe.Safe(), "do not say which compose file") {
		t.Errorf("no labels: %v", err)
	}
}

// FuzzRewriteImages checks that RewriteImages never panics and that whatever it writes
// parses to the same services but for the images asked for, with only the image lines
// changed.
func FuzzRewriteImages(f *testing.F) {
	f.Add([]byte(readMastodonCompose(f)), "web", "ghcr.io/mastodon/mastodon:v4.3.18")
	f.Add([]byte(strings.ReplaceAll(readMastodonCompose(f), "\n", "\r\n")), "streaming", "ghcr.io/mastodon/mastodon-streaming:v4.3.18")
	f.Add([]byte(anchored), "streaming", "a:1")
	f.Add([]byte(anchored), "web", "a:1")
	f.Add([]byte(aliased), "web", "a:1")
	f.Add([]byte("services:\n  web: {image: \"a\\x31\", x: [1, 2]} # c\n"), "web", "b:2")
	f.Add([]byte("services:\n  'w': {image: 'a''b'}\n"), "w", "c")
	f.Add([]byte("\xEF\xBB\xBFservices: {web: {image: a}}"), "web", "b")
	f.Add([]byte("services:\n  web:\n    image: &i !!str a\n  s:\n    <<: [{image: *i}]\n"), "web", "b")
	f.Fuzz(func(t *testing.T, data []byte, service, image string) {
		out, edits, err := compose.RewriteImages(data, map[string]string{service: image})
		if err != nil {
			return
		}
		var was, now struct {
			Services map[string]map[string]any `yaml:"services"`
		}
		if err := yaml.Unmarshal(data, &was); err != nil {
			t.Fatalf("accepted a file that does not decode: %v", err)
		}
		if err := yaml.Unmarshal(out, &now); err != nil {
			t.Fatalf("wrote a file that does not decode: %v\n%q", err, out)
		}
		if got := now.Services[service]["image"]; got != image {
			t.Fatalf("image of %s = %v, want %q\n%q", service, got, image, out)
		}
		was.Services[service]["image"] = image
		for _, s := range slices.Sorted(maps.Keys(was.Services)) {
			if !reflect.DeepEqual(was.Services[s], now.Services[s]) {
				t.Fatalf("service %s changed: %v → %v\n%q → %q", s, was.Services[s], now.Services[s], data, out)
			}
		}
		if len(edits) == 0 && string(out) != string(data) {
			t.Fatalf("no edits, yet the file changed")
		}
		lines := changedLines(t, data, out)
		for _, l := range lines {
			if !slices.Contains(editLines(edits), l) {
				t.Fatalf("line %d changed, edits %+v\n%q → %q", l, edits, data, out)
			}
		}
	})
}
