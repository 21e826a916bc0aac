package compose_test

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/moby/moby/client"

	"github.com/tootops/tootops/ops/compose"
)

// fakeEngine is an Engine API served by httptest from the JSON recorded in testdata/
// (see TestRecord), which tests edit for the cases a daemon cannot produce on demand. It
// applies label filters as the daemon does (ANDed), answers every container call it
// knows, and records the calls.
type fakeEngine struct {
	t   *testing.T
	api string

	mu       sync.Mutex
	list     []map[string]any          // /containers/json items
	inspect  map[string]map[string]any // by id
	images   map[string]json.RawMessage
	fail     map[string]int // "POST /containers/create" → status
	calls    []string
	bodies   map[string][]byte // last body per "METHOD /path"
	waitBody string            // what /wait answers
}

// newFake loads the fixtures. Container ids are the recorded ones.
func newFake(t *testing.T) *fakeEngine {
	t.Helper()
	f := &fakeEngine{t: t, api: "1.41", inspect: map[string]map[string]any{}, images: map[string]json.RawMessage{},
		fail: map[string]int{}, bodies: map[string][]byte{}, waitBody: `{"StatusCode":0}`}
	read := func(name string, v any) {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, v); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	read("containers.json", &f.list)
	files, _ := filepath.Glob("testdata/inspect-*.json")
	for _, file := range files {
		var in map[string]any
		read(filepath.Base(file), &in)
		f.inspect[in["Id"].(string)] = in
	}
	var img map[string]any
	read("image.json", &img)
	b, _ := json.Marshal(img)
	f.images[img["Id"].(string)] = b
	for _, tag := range img["RepoTags"].([]any) {
		f.images[tag.(string)] = b
	}
	return f
}

// project serves the fake and returns a Project on it.
func (f *fakeEngine) project(opts compose.Options) *compose.Project {
	f.t.Helper()
	srv := httptest.NewServer(f)
	f.t.Cleanup(srv.Close)
	cli, err := client.New(client.WithHost("tcp://"+srv.Listener.Addr().String()), client.WithHTTPClient(srv.Client()))
	if err != nil {
		f.t.Fatal(err)
	}
	f.t.Cleanup(func() { cli.Close() })
	opts.Client = cli
	if opts.Project == "" {
		opts.Project = "mastodon"
	}
	p, err := compose.New(opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// container finds a listed container and its inspection by name.
func (f *fakeEngine) container(name string) (item, inspect map[string]any) {
	f.t.Helper()
	for _, c := range f.list {
		if c["Names"].([]any)[0] == "/"+name {
			return c, f.inspect[c["Id"].(string)]
		}
	}
	f.t.Fatalf("no fixture container %s", name)
	return nil, nil
}

// labels returns a listed container's labels; the inspection shares them.
func labels(item map[string]any) map[string]any { return item["Labels"].(map[string]any) }

// rename renames a container, in the list and its inspection.
func (f *fakeEngine) rename(from, to string) {
	item, in := f.container(from)
	item["Names"] = []any{"/" + to}
	in["Name"] = "/" + to
}

// setLabel sets (or with value nil deletes) a label in the list and the inspection.
func (f *fakeEngine) setLabel(name, key string, value any) {
	item, in := f.container(name)
	for _, m := range []map[string]any{labels(item), in["Config"].(map[string]any)["Labels"].(map[string]any)} {
		if value == nil {
			delete(m, key)
		} else {
			m[key] = value
		}
	}
}

func (f *fakeEngine) called(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

var versionPrefix = regexp.MustCompile(`^/v[0-9.]+`)

func (f *fakeEngine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := versionPrefix.ReplaceAllString(r.URL.Path, "")
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	key := r.Method + " " + path
	f.calls = append(f.calls, key)
	f.bodies[key] = body
	status, failing := f.fail[key]
	f.mu.Unlock()
	w.Header().Set("Api-Version", f.api)
	if failing {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"message":"fake daemon: %s failed"}`, key)
		return
	}
	jsonOK := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(v)
	}
	notFound := func(what string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, `{"message":"No such %s"}`, what)
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case path == "/_ping":
		_, _ = io.WriteString(w, "OK")
	case r.Method == "GET" && path == "/containers/json":
		jsonOK(f.filtered(r.URL.Query().Get("filters")))
	case r.Method == "GET" && len(parts) == 3 && parts[0] == "containers" && parts[2] == "json":
		f.mu.Lock()
		in, ok := f.inspect[parts[1]]
		f.mu.Unlock()
		if !ok {
			notFound("container: " + parts[1])
			return
		}
		jsonOK(in)
	case r.Method == "GET" && strings.HasPrefix(path, "/images/") && strings.HasSuffix(path, "/json"):
		img, ok := f.images[strings.TrimSuffix(strings.TrimPrefix(path, "/images/"), "/json")]
		if !ok {
			notFound("image")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(img)
	case r.Method == "POST" && path == "/containers/create":
		w.WriteHeader(http.StatusCreated)
		jsonOK(map[string]any{"Id": "new" + strings.Repeat("0", 61), "Warnings": []string{}})
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "containers" && parts[2] == "attach":
		hj, ok := w.(http.Hijacker)
		if !ok {
			http.Error(w, "no hijack", 500)
			return
		}
		conn, buf, err := hj.Hijack()
		if err != nil {
			return
		}
		_, _ = buf.WriteString("HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.multiplexed-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n")
		_ = buf.Flush()
		conn.Close()
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "containers" && parts[2] == "wait":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, f.waitBody)
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "containers":
		w.WriteHeader(http.StatusNoContent)
	case r.Method == "DELETE" && len(parts) == 2 && parts[0] == "containers":
		w.WriteHeader(http.StatusNoContent)
	case r.Method == "POST" && len(parts) == 3 && parts[0] == "networks" && parts[2] == "connect":
		w.WriteHeader(http.StatusOK)
	default:
		notFound("route " + key)
	}
}

// filtered applies label filters as the daemon does: every one must match.
func (f *fakeEngine) filtered(filters string) []map[string]any {
	var q map[string]map[string]bool
	if filters != "" {
		if err := json.Unmarshal([]byte(filters), &q); err != nil {
			f.t.Errorf("filters %q: %v", filters, err)
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, c := range f.list {
		l := labels(c)
		ok := true
		for _, want := range slices.Sorted(maps.Keys(q["label"])) {
			k, v, hasValue := strings.Cut(want, "=")
			got, has := l[k]
			if !has || (hasValue && got != v) {
				ok = false
			}
		}
		if ok {
			out = append(out, c)
		}
	}
	return out
}
