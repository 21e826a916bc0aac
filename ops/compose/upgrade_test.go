package compose_test

// Recreate on the real daemon, with the lab's images and images built from them.

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// webWith is the lab's Mastodon with web on another image and an environment of its own.
func webWith(image string) []lab.Service {
	svcs := lab.Mastodon(1)
	for i := range svcs {
		if svcs[i].Name == "web" {
			svcs[i].Image = image
			svcs[i].Env = []string{"LOCAL_DOMAIN=lab.test"}
		}
	}
	return svcs
}

// onlyContainer returns the one container of a service.
func onlyContainer(t *testing.T, lp *lab.Project, service string) container.InspectResponse {
	t.Helper()
	cs := lp.Containers(t, service)
	if len(cs) != 1 {
		var names []string
		for _, c := range cs {
			names = append(names, c.Names[0])
		}
		t.Fatalf("%s has containers %v, want one", service, names)
	}
	return lp.Inspect(t, cs[0].ID)
}

func envOf(in container.InspectResponse, key string) []string {
	var out []string
	for _, e := range in.Config.Env {
		if strings.HasPrefix(e, key+"=") {
			out = append(out, e)
		}
	}
	return out
}

func putFile(t *testing.T, cli *client.Client, id, dir, name, body string) {
	t.Helper()
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	_ = tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body))})
	_, _ = io.WriteString(tw, body)
	_ = tw.Close()
	if _, err := cli.CopyToContainer(ctxT(t), id, client.CopyToContainerOptions{DestinationPath: dir, Content: &b}); err != nil {
		t.Fatal(err)
	}
}

func getFile(t *testing.T, cli *client.Client, id, file string) string {
	t.Helper()
	res, err := cli.CopyFromContainer(ctxT(t), id, client.CopyFromContainerOptions{SourcePath: file})
	if err != nil {
		t.Fatalf("copy %s: %v", file, err)
	}
	defer res.Content.Close()
	tr := tar.NewReader(res.Content)
	if _, err := tr.Next(); err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(tr)
	return string(b)
}

func instanceVersion(t *testing.T, port int) string {
	t.Helper()
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/api/v2/instance")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct{ Version string }
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatal(err)
	}
	return v.Version
}

func TestRecreate(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	// web with an anonymous volume, as an image VOLUME makes one.
	volImage := "tootops-lab/test-vol:" + lab.RandomName("v")
	buildImage(t, cli, volImage, "FROM "+lab.Image+"\nVOLUME [\"/opt/mastodon/public/system\"]\n", map[string]string{})
	next, err := cli.ImageInspect(ctxT(t), lab.NextImage)
	if err != nil {
		t.Fatal(err)
	}
	p, lp := up(t, lab.Spec{Services: webWith(volImage)})
	lp.WaitHealthy(t, "web", 30*time.Second)
	old := onlyContainer(t, lp, "web")
	name := strings.TrimPrefix(old.Name, "/")
	putFile(t, cli, old.ID, "/opt/mastodon/public/system", "marker.txt", "kept across recreations")
	var vol string
	for _, m := range old.Mounts {
		if m.Destination == "/opt/mastodon/public/system" {
			vol = m.Name
		}
	}
	if len(vol) != 64 {
		t.Fatalf("web has no anonymous volume: %+v", old.Mounts)
	}

	pr := &progress{}
	start := time.Now()
	res, err := p.Recreate(ctxT(t), "web", lab.NextImage, compose.RecreateOptions{WaitHealthy: 30 * time.Second}, pr)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recreate took %s", time.Since(start).Round(time.Millisecond))
	if !slices.Equal(res.Containers, []string{name}) || res.From != volImage || res.To != lab.NextImage {
		t.Errorf("Recreated = %+v", res)
	}
	if pr.done != 1 {
		t.Errorf("progress Done called %d times", pr.done)
	}
	containsAll(t, "progress", pr.text(), "recreating "+name, "web runs "+lab.NextImage)

	now := onlyContainer(t, lp, "web")
	if now.ID == old.ID || now.Name != old.Name {
		t.Errorf("new container %s %s, old %s %s: want a new container under the old name", now.ID[:12], now.Name, old.ID[:12], old.Name)
	}
	if now.Config.Image != lab.NextImage || now.Image != next.ID || !now.State.Running {
		t.Errorf("web runs %s (%s), running %v", now.Config.Image, now.Image, now.State.Running)
	}
	if now.State.Health == nil || now.State.Health.Status != container.Healthy {
		t.Errorf("web health %+v, want healthy", now.State.Health)
	}
	if got := envOf(now, "MASTODON_VERSION"); !slices.Equal(got, []string{"MASTODON_VERSION=4.5.1"}) {
		t.Errorf("MASTODON_VERSION %v, want the new image's only", got)
	}
	if got := envOf(now, "LOCAL_DOMAIN"); !slices.Equal(got, []string{"LOCAL_DOMAIN=lab.test"}) {
		t.Errorf("LOCAL_DOMAIN %v, want the service's", got)
	}
	if !slices.Equal(now.Config.Cmd, []string{"web"}) || now.Config.Healthcheck == nil || now.HostConfig.RestartPolicy.Name != "always" {
		t.Errorf("cmd %v, healthcheck %v, restart %v", now.Config.Cmd, now.Config.Healthcheck, now.HostConfig.RestartPolicy)
	}
	l := now.Config.Labels
	if l[compose.LabelImage] != next.ID || l[compose.LabelReplace] != "web-1" || l[compose.LabelNumber] != "1" ||
		l[compose.LabelConfigHash] != old.Config.Labels[compose.LabelConfigHash] || l[compose.LabelProject] != lp.Name {
		t.Errorf("labels %v", l)
	}
	if got := getFile(t, cli, now.ID, "/opt/mastodon/public/system/marker.txt"); got != "kept across recreations" {
		t.Errorf("marker in the volume = %q", got)
	}
	if !slices.ContainsFunc(now.Mounts, func(m container.MountPoint) bool { return m.Name == vol }) {
		t.Errorf("mounts %+v, want volume %s", now.Mounts, vol)
	}
	if v := instanceVersion(t, lp.Ports["web"]); v != "4.5.1" {
		t.Errorf("web on its published port answers version %q", v)
	}
	// Another container finds it by service name and by container name, on both networks.
	var ips []string
	for _, ep := range now.NetworkSettings.Networks {
		ips = append(ips, ep.IPAddress.String())
	}
	sidekiq := lp.Containers(t, "sidekiq")[0].ID
	for _, host := range []string{"web", name} {
		out, stderr, code := lp.Exec(t, sidekiq, "/opt/mastodon/bin/mastolab", "resolve", host)
		got := strings.Fields(out)
		if code != 0 || len(got) == 0 || slices.ContainsFunc(got, func(ip string) bool { return !slices.Contains(ips, ip) }) {
			t.Errorf("resolve %s = %v (exit %d, %s), want some of %v", host, got, code, stderr, ips)
		}
	}
	// The old container is gone, and nothing else is left.
	if _, err := cli.ContainerInspect(ctxT(t), old.ID, client.ContainerInspectOptions{}); err == nil {
		t.Errorf("the old container %s is still there", old.ID[:12])
	}
	if n := len(lp.All(t)); n != 5 {
		t.Errorf("project has %d containers, want 5", n)
	}

	// Already there: nothing to do.
	res, err = p.Recreate(ctxT(t), "web", lab.NextImage, compose.RecreateOptions{}, &progress{})
	if err != nil || len(res.Containers) != 0 || !slices.Equal(res.Unchanged, []string{name}) {
		t.Errorf("Recreate on the same image = %+v, %v; want nothing done", res, err)
	}

	// The rollback is a recreate on the old image.
	res, err = p.Recreate(ctxT(t), "web", volImage, compose.RecreateOptions{StopTimeout: 5 * time.Second}, &progress{})
	if err != nil {
		t.Fatal(err)
	}
	back := onlyContainer(t, lp, "web")
	if back.Config.Image != volImage || back.Name != old.Name || res.From != lab.NextImage {
		t.Errorf("after rollback web runs %s as %s (Recreated %+v)", back.Config.Image, back.Name, res)
	}
	if got := envOf(back, "MASTODON_VERSION"); !slices.Equal(got, []string{"MASTODON_VERSION=4.5.0"}) {
		t.Errorf("after rollback MASTODON_VERSION %v", got)
	}
	if got := getFile(t, cli, back.ID, "/opt/mastodon/public/system/marker.txt"); got != "kept across recreations" {
		t.Errorf("after rollback the marker = %q", got)
	}
	if v := instanceVersion(t, lp.Ports["web"]); v != "4.5.0" {
		t.Errorf("after rollback web answers version %q", v)
	}
}

// failedRecreate recreates web on image, expects a failure whose text has want, and
// checks that the old container is back: same ID, same name, running, on the lab image.
func failedRecreate(t *testing.T, image string, o compose.RecreateOptions, want ...string) {
	t.Helper()
	p, lp := up(t, lab.Spec{Services: lab.Mastodon(1)})
	lp.WaitHealthy(t, "web", 30*time.Second)
	old := onlyContainer(t, lp, "web")
	pr := &progress{}
	_, err := p.Recreate(ctxT(t), "web", image, o, pr)
	var oe *ops.Error
	if !errors.As(err, &oe) {
		t.Fatalf("Recreate = %v, want an *ops.Error", err)
	}
	t.Logf("error: %s", oe.Safe())
	containsAll(t, "error", oe.Safe(), want...)
	if pr.done != 1 {
		t.Errorf("progress Done called %d times", pr.done)
	}
	now := onlyContainer(t, lp, "web")
	if now.ID != old.ID || now.Name != old.Name || !now.State.Running || now.Config.Image != lab.Image {
		t.Errorf("web after the failure: %s %s running=%v %s; want the old %s back", now.ID[:12], now.Name, now.State.Running, now.Config.Image, old.ID[:12])
	}
	lp.WaitHealthy(t, "web", 30*time.Second)
	if v := instanceVersion(t, lp.Ports["web"]); v != "4.5.0" {
		t.Errorf("web answers version %q", v)
	}
	if n := len(lp.All(t)); n != 5 {
		t.Errorf("project has %d containers, want 5", n)
	}
}

func TestRecreateNoImage(t *testing.T) {
	t.Parallel()
	failedRecreate(t, "tootops-lab/mastodon:v9.9.9-missing", compose.RecreateOptions{}, "image tootops-lab/mastodon:v9.9.9-missing is not on the Docker host", "pull it first")
}

func TestRecreateCannotStart(t *testing.T) {
	t.Parallel()
	bad := "tootops-lab/test-badentry:" + lab.RandomName("v")
	buildImage(t, lab.Docker(t), bad, "FROM "+lab.NextImage+"\nENTRYPOINT [\"/opt/mastodon/bin/no-such-program\"]\n", map[string]string{})
	failedRecreate(t, bad, compose.RecreateOptions{}, "the new web container did not start", "no-such-program", "nothing changed: web runs its old image again")
}

func TestRecreateExitsAtOnce(t *testing.T) {
	t.Parallel()
	bad := "tootops-lab/test-badcmd:" + lab.RandomName("v")
	// web's command is the image's default, so the new image's CMD applies.
	buildImage(t, lab.Docker(t), bad, "FROM "+lab.NextImage+"\nCMD [\"no-such-role\"]\n", map[string]string{})
	failedRecreate(t, bad, compose.RecreateOptions{}, "the new web container stopped right after it started", `unknown role "no-such-role"`, "runs its old image again")
}

func TestRecreateNeverHealthy(t *testing.T) {
	t.Parallel()
	bad := "tootops-lab/test-unhealthy:" + lab.RandomName("v")
	// web listens on 3001; its healthcheck asks 3000.
	buildImage(t, lab.Docker(t), bad, "FROM "+lab.NextImage+"\nENV PORT=3001\n", map[string]string{})
	failedRecreate(t, bad, compose.RecreateOptions{WaitHealthy: 30 * time.Second}, "web became unhealthy", "connection refused", "runs its old image again")
}
