package compose_test

// Recreate against the fake Engine API, for failures a daemon does not produce on demand.

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

const (
	fakeNewID    = "new0000000000000000000000000000000000000000000000000000000000000"
	fakeNewImage = "tootops-lab/mastodon:v4.5.1"
)

// withNewImage adds fakeNewImage to the fake, and the container the fake creates
// (fakeNewID), made like the named one, in the given state.
func withNewImage(t *testing.T, f *fakeEngine, like string, state map[string]any) {
	t.Helper()
	var img map[string]any
	_ = json.Unmarshal(f.images["tootops-lab/mastodon:v4.5.0"], &img)
	img["Id"] = "sha256:" + strings.Repeat("c", 64)
	img["RepoTags"] = []string{fakeNewImage}
	b, _ := json.Marshal(img)
	f.images[fakeNewImage] = b
	_, in := f.container(like)
	var cp map[string]any
	b, _ = json.Marshal(in)
	_ = json.Unmarshal(b, &cp)
	cp["Id"] = fakeNewID
	cp["State"] = state
	f.inspect[fakeNewID] = cp
}

// changes lists the calls that change something, network connections left out.
func (f *fakeEngine) changes() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, c := range f.calls {
		if (strings.HasPrefix(c, "POST ") || strings.HasPrefix(c, "DELETE ")) && !strings.Contains(c, "/networks/") && !strings.HasSuffix(c, "/wait") {
			out = append(out, c)
		}
	}
	return out
}

func TestRecreateFakeRollsBackEveryReplica(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	withNewImage(t, f, "mastodon-sidekiq-1", map[string]any{"Status": "running", "Running": true})
	one, _ := f.container("mastodon-sidekiq-1")
	two, _ := f.container("mastodon-sidekiq-2")
	id1, id2 := one["Id"].(string), two["Id"].(string)
	f.fail["POST /containers/"+id2+"/stop"] = 500
	p := f.project(compose.Options{})
	pr := &progress{}
	res, err := p.Recreate(ctxT(t), "sidekiq", fakeNewImage, compose.RecreateOptions{}, pr)
	var oe *ops.Error
	if !errors.As(err, &oe) {
		t.Fatalf("Recreate = %v, want an *ops.Error", err)
	}
	containsAll(t, "error", oe.Safe(), "Docker could not stop mastodon-sidekiq-2", "nothing changed: sidekiq runs its old image again")
	if !slices.Equal(res.Containers, []string{"mastodon-sidekiq-1"}) || pr.done != 1 {
		t.Errorf("Recreated %+v, Done %d", res, pr.done)
	}
	want := []string{
		// replica 1, all the way
		"POST /containers/create", "POST /containers/" + id1 + "/stop", "POST /containers/" + id1 + "/rename",
		"POST /containers/" + fakeNewID + "/rename", "POST /containers/" + fakeNewID + "/start",
		// replica 2, until its stop fails
		"POST /containers/create", "POST /containers/" + id2 + "/stop",
		// put back, last first
		"DELETE /containers/" + fakeNewID, "POST /containers/" + id2 + "/start",
		"DELETE /containers/" + fakeNewID, "POST /containers/" + id1 + "/rename", "POST /containers/" + id1 + "/start",
	}
	if got := f.changes(); !slices.Equal(got, want) {
		t.Errorf("calls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if f.called("DELETE /containers/"+id1) != 0 || f.called("DELETE /containers/"+id2) != 0 {
		t.Error("an old container was removed")
	}
}

func TestRecreateFakeHealthTimeout(t *testing.T) {
	t.Parallel()
	f := newFake(t)
	withNewImage(t, f, "mastodon-web-1", map[string]any{"Status": "running", "Running": true, "Health": map[string]any{
		"Status": "starting", "FailingStreak": 1,
		"Log": []any{map[string]any{"ExitCode": 1, "Output": "curl: (7) Failed to connect\nto localhost port 3000\n"}},
	}})
	web, _ := f.container("mastodon-web-1")
	id := web["Id"].(string)
	p := f.project(compose.Options{})
	start := time.Now()
	_, err := p.Recreate(ctxT(t), "web", fakeNewImage, compose.RecreateOptions{WaitHealthy: time.Second}, &progress{})
	var oe *ops.Error
	if !errors.As(err, &oe) {
		t.Fatalf("Recreate = %v, want an *ops.Error", err)
	}
	if want := "web did not become healthy within 1s: exit code 1: curl: (7) Failed to connect to localhost port 3000"; oe.Msg != want {
		t.Errorf("Msg = %q, want %q", oe.Msg, want)
	}
	if took := time.Since(start); took < time.Second || took > 10*time.Second {
		t.Errorf("took %s", took)
	}
	want := []string{
		"POST /containers/create", "POST /containers/" + id + "/stop", "POST /containers/" + id + "/rename",
		"POST /containers/" + fakeNewID + "/rename", "POST /containers/" + fakeNewID + "/start",
		"DELETE /containers/" + fakeNewID, "POST /containers/" + id + "/rename", "POST /containers/" + id + "/start",
	}
	if got := f.changes(); !slices.Equal(got, want) {
		t.Errorf("calls\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}

	// What the new container was made of.
	var body struct {
		Image       string
		Env         []string
		Cmd         []string
		Labels      map[string]string
		Healthcheck *struct{ Test []string }
		HostConfig  struct {
			PortBindings  map[string][]struct{ HostIP, HostPort string }
			RestartPolicy struct{ Name string }
		}
		NetworkingConfig struct {
			EndpointsConfig map[string]struct{ Aliases []string }
		}
	}
	if err := json.Unmarshal(f.bodies["POST /containers/create"], &body); err != nil {
		t.Fatal(err)
	}
	if body.Image != fakeNewImage || body.Labels[compose.LabelImage] != "sha256:"+strings.Repeat("c", 64) || body.Labels[compose.LabelReplace] != "web-1" {
		t.Errorf("image %s, labels %v", body.Image, body.Labels)
	}
	if slices.ContainsFunc(body.Env, func(e string) bool { return strings.HasPrefix(e, "MASTODON_VERSION=") }) || body.Cmd != nil {
		t.Errorf("env %v, cmd %v: the old image's defaults should be left to the new image", body.Env, body.Cmd)
	}
	if body.Healthcheck == nil || len(body.HostConfig.PortBindings["3000/tcp"]) != 1 || body.HostConfig.RestartPolicy.Name != "always" {
		t.Errorf("healthcheck %v, ports %v, restart %v", body.Healthcheck, body.HostConfig.PortBindings, body.HostConfig.RestartPolicy)
	}
	for net, ep := range body.NetworkingConfig.EndpointsConfig {
		if !slices.Equal(ep.Aliases, []string{"mastodon-web-1", "web"}) {
			t.Errorf("aliases on %s: %v", net, ep.Aliases)
		}
	}
}
