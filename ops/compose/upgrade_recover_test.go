package compose_test

// Recreate after a Recreate killed part way: each crash point is made by hand through the
// Engine API, the way recreateOne goes, then Recreate runs again to the image the dead
// one went to, or back to the old one (a rollback).

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// crashStep is how far a dead Recreate got with one replica; each includes the ones
// before.
type crashStep int

const (
	crashCreated    crashStep = iota + 1 // the new one made as <id12>_<name>
	crashStopped                         // the old one stopped
	crashOldRenamed                      // the old one renamed <name>_old_<id12>
	crashNewRenamed                      // the new one renamed <name>, not started
	crashStarted                         // the new one started, not yet healthy
	crashHealthy                         // the new one up, the old one not removed
	crashPutBackCut                      // a put-back removed the new one, then died
)

var crashSteps = []struct {
	name string
	step crashStep
}{
	{"TempCreated", crashCreated},
	{"OldStopped", crashStopped},
	{"OldRenamed", crashOldRenamed},
	{"NewRenamed", crashNewRenamed},
	{"NewStarted", crashStarted},
	{"NewHealthy", crashHealthy},
	{"PutBackCut", crashPutBackCut},
}

// crashed is what a simulated dead Recreate left of one replica.
type crashed struct {
	old    container.InspectResponse
	newID  string
	name   string // the replica's name
	backup string // <name>_old_<id12>
	temp   string // <id12>_<name>
}

// crashRecreate does by hand what Recreate does to replace the container old with one on
// image, up to step, as recreateOne does it.
func crashRecreate(t *testing.T, cli *client.Client, old container.InspectResponse, image string, step crashStep) crashed {
	t.Helper()
	ctx := ctxT(t)
	name := strings.TrimPrefix(old.Name, "/")
	c := crashed{old: old, name: name, backup: name + "_old_" + old.ID[:12], temp: old.ID[:12] + "_" + name}
	oldImg, err := cli.ImageInspect(ctx, old.Image)
	if err != nil {
		t.Fatal(err)
	}
	newImg, err := cli.ImageInspect(ctx, image)
	if err != nil {
		t.Fatal(err)
	}
	// The old one's configuration less what its image supplied, on the new image.
	cfg := *old.Config
	cfg.Image, cfg.Hostname = image, ""
	cfg.Env = slices.DeleteFunc(slices.Clone(old.Config.Env), func(e string) bool { return slices.Contains(oldImg.Config.Env, e) })
	cfg.Labels = maps.Clone(old.Config.Labels)
	for k, v := range oldImg.Config.Labels {
		if cfg.Labels[k] == v {
			delete(cfg.Labels, k)
		}
	}
	cfg.Labels[compose.LabelImage] = newImg.ID
	cfg.Labels[compose.LabelReplace] = old.Config.Labels[compose.LabelService] + "-" + old.Config.Labels[compose.LabelNumber]
	host := *old.HostConfig
	nets := slices.Sorted(maps.Keys(old.NetworkSettings.Networks))
	primary := string(host.NetworkMode)
	aliases := []string{name, old.Config.Labels[compose.LabelService]}
	res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &cfg, HostConfig: &host, Name: c.temp,
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{primary: {Aliases: aliases}}},
	})
	if err != nil {
		t.Fatalf("create %s: %v", c.temp, err)
	}
	c.newID = res.ID
	for _, n := range nets {
		if n == primary {
			continue
		}
		if _, err := cli.NetworkConnect(ctx, n, client.NetworkConnectOptions{Container: res.ID, EndpointConfig: &network.EndpointSettings{Aliases: aliases}}); err != nil {
			t.Fatal(err)
		}
	}
	do := func(s crashStep, what string, f func() error) {
		if step >= s {
			if err := f(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
	}
	secs := 5
	do(crashStopped, "stop the old one", func() error {
		_, err := cli.ContainerStop(ctx, old.ID, client.ContainerStopOptions{Timeout: &secs})
		return err
	})
	do(crashOldRenamed, "rename the old one", func() error {
		_, err := cli.ContainerRename(ctx, old.ID, client.ContainerRenameOptions{NewName: c.backup})
		return err
	})
	do(crashNewRenamed, "rename the new one", func() error {
		_, err := cli.ContainerRename(ctx, c.newID, client.ContainerRenameOptions{NewName: name})
		return err
	})
	do(crashStarted, "start the new one", func() error {
		_, err := cli.ContainerStart(ctx, c.newID, client.ContainerStartOptions{})
		return err
	})
	do(crashHealthy, "wait for the new one", func() error { return waitHealthy(t, cli, c.newID, 30*time.Second) })
	do(crashPutBackCut, "remove the new one", func() error {
		_, err := cli.ContainerRemove(ctx, c.newID, client.ContainerRemoveOptions{Force: true})
		return err
	})
	return c
}

// waitHealthy waits until a container is healthy or, without a healthcheck, running for
// a second.
func waitHealthy(t *testing.T, cli *client.Client, id string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		res, err := cli.ContainerInspect(ctxT(t), id, client.ContainerInspectOptions{})
		if err != nil {
			return err
		}
		st := res.Container.State
		if st.Health == nil && st.Running {
			time.Sleep(time.Second)
			return nil
		}
		if st.Health != nil && st.Health.Status == container.Healthy {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not up after %s", id[:12], d)
}

// webOnly is the lab's Mastodon without streaming and sidekiq: db, redis and web.
func webOnly() []lab.Service {
	return slices.DeleteFunc(lab.Mastodon(1), func(s lab.Service) bool { return s.Name == "streaming" || s.Name == "sidekiq" })
}

// checkReplica checks that the service has one container under name, on image, running
// and healthy, and returns it.
func checkReplica(t *testing.T, lp *lab.Project, service, name, image, imageID string) container.InspectResponse {
	t.Helper()
	var found []container.InspectResponse
	var names []string
	for _, c := range lp.Containers(t, service) {
		in := lp.Inspect(t, c.ID)
		names = append(names, strings.TrimPrefix(in.Name, "/"))
		if strings.TrimPrefix(in.Name, "/") == name {
			found = append(found, in)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s has containers %v, want one named %s", service, names, name)
	}
	in := found[0]
	if in.Config.Image != image || in.Image != imageID || !in.State.Running {
		t.Errorf("%s runs %s (%s), running %v; want %s", name, in.Config.Image, in.Image, in.State.Running, image)
	}
	if in.State.Health != nil && in.State.Health.Status != container.Healthy {
		t.Errorf("%s health %s, want healthy", name, in.State.Health.Status)
	}
	return in
}

func TestRecoverInterruptedRecreate(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	ids := map[string]string{}
	for _, ref := range []string{lab.Image, lab.NextImage} {
		img, err := cli.ImageInspect(ctxT(t), ref)
		if err != nil {
			t.Fatal(err)
		}
		ids[ref] = img.ID
	}
	for _, target := range []struct{ name, image, version string }{{"Upgrade", lab.NextImage, "4.5.1"}, {"Rollback", lab.Image, "4.5.0"}} {
		for _, cs := range crashSteps {
			t.Run(target.name+"/"+cs.name, func(t *testing.T) {
				t.Parallel()
				p, lp := up(t, lab.Spec{Services: webOnly()})
				lp.WaitHealthy(t, "web", 30*time.Second)
				old := onlyContainer(t, lp, "web")
				c := crashRecreate(t, cli, old, lab.NextImage, cs.step)

				pr := &progress{}
				start := time.Now()
				res, err := p.Recreate(ctxT(t), "web", target.image, compose.RecreateOptions{WaitHealthy: 30 * time.Second, StopTimeout: 5 * time.Second}, pr)
				if err != nil {
					t.Fatalf("Recreate: %v (recovered %q)", err, res.Recovered)
				}
				t.Logf("recreate took %s; recovered %q; recreated %v, unchanged %v", time.Since(start).Round(time.Millisecond), res.Recovered, res.Containers, res.Unchanged)
				if len(res.Recovered) == 0 {
					t.Error("nothing recovered")
				}
				if pr.done != 1 {
					t.Errorf("progress Done called %d times", pr.done)
				}
				containsAll(t, "progress", pr.text(), "interrupted recreate of web: ", "web runs "+target.image)

				now := checkReplica(t, lp, "web", c.name, target.image, ids[target.image])
				switch {
				case target.image == lab.Image && now.ID != old.ID:
					t.Errorf("after a rollback web is %s, want the old %s back", now.ID[:12], old.ID[:12])
				case target.image == lab.NextImage && cs.step >= crashStarted && cs.step <= crashHealthy && now.ID != c.newID:
					t.Errorf("web is %s, want the new %s kept", now.ID[:12], c.newID[:12])
				case target.image == lab.NextImage && (cs.step < crashStarted || cs.step > crashHealthy) && (now.ID == old.ID || now.ID == c.newID):
					t.Errorf("web is %s, want one made by this Recreate", now.ID[:12])
				}
				if v := instanceVersion(t, lp.Ports["web"]); v != target.version {
					t.Errorf("web answers version %q, want %s", v, target.version)
				}
				if n := len(lp.All(t)); n != 3 {
					var names []string
					for _, x := range lp.All(t) {
						names = append(names, x.Names[0])
					}
					t.Errorf("project has containers %v, want 3", names)
				}

				// Done: a second call has nothing to recover or do.
				res, err = p.Recreate(ctxT(t), "web", target.image, compose.RecreateOptions{}, &progress{})
				if err != nil || len(res.Recovered) != 0 || len(res.Containers) != 0 {
					t.Errorf("second Recreate = %+v, %v; want nothing done", res, err)
				}
			})
		}
	}
}

// TestRecoverInterruptedRecreateReplicas: a dead Recreate of two sidekiqs got the first
// all the way (its old one not yet removed) and had just made the second's new one.
func TestRecoverInterruptedRecreateReplicas(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	next, err := cli.ImageInspect(ctxT(t), lab.NextImage)
	if err != nil {
		t.Fatal(err)
	}
	svcs := slices.DeleteFunc(lab.Mastodon(2), func(s lab.Service) bool { return s.Name == "streaming" || s.Name == "web" })
	p, lp := up(t, lab.Spec{Services: svcs})
	cs := lp.Containers(t, "sidekiq")
	if len(cs) != 2 {
		t.Fatalf("%d sidekiqs", len(cs))
	}
	one := crashRecreate(t, cli, lp.Inspect(t, cs[0].ID), lab.NextImage, crashHealthy)
	two := crashRecreate(t, cli, lp.Inspect(t, cs[1].ID), lab.NextImage, crashCreated)

	start := time.Now()
	res, err := p.Recreate(ctxT(t), "sidekiq", lab.NextImage, compose.RecreateOptions{StopTimeout: 5 * time.Second}, &progress{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recreate took %s; recovered %q", time.Since(start).Round(time.Millisecond), res.Recovered)
	if !slices.Equal(res.Containers, []string{two.name}) || !slices.Equal(res.Unchanged, []string{one.name}) || res.From != lab.Image {
		t.Errorf("Recreated %+v", res)
	}
	if got := checkReplica(t, lp, "sidekiq", one.name, lab.NextImage, next.ID); got.ID != one.newID {
		t.Errorf("%s is %s, want the new %s kept", one.name, got.ID[:12], one.newID[:12])
	}
	if got := checkReplica(t, lp, "sidekiq", two.name, lab.NextImage, next.ID); got.ID == two.old.ID || got.ID == two.newID {
		t.Errorf("%s is %s, want one made by this Recreate", two.name, got.ID[:12])
	}
	if n := len(lp.All(t)); n != 4 {
		t.Errorf("project has %d containers, want 4", n)
	}
}

// TestRecoverRefusesStranger: a second container numbered 1 that no Recreate made is left
// to a person.
func TestRecoverRefusesStranger(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	p, lp := up(t, lab.Spec{Services: webOnly()})
	old := onlyContainer(t, lp, "web")
	cfg := *old.Config
	cfg.Hostname = ""
	if _, err := cli.ContainerCreate(ctxT(t), client.ContainerCreateOptions{Config: &cfg, HostConfig: &container.HostConfig{}, Name: strings.TrimPrefix(old.Name, "/") + "-copy"}); err != nil {
		t.Fatal(err)
	}
	_, err := p.Recreate(ctxT(t), "web", lab.NextImage, compose.RecreateOptions{}, &progress{})
	var oe *ops.Error
	if !errors.As(err, &oe) {
		t.Fatalf("Recreate = %v, want an *ops.Error", err)
	}
	containsAll(t, "error", oe.Safe(), "service web has 2 containers numbered 1", "-copy")
	if now := onlyRunning(t, lp, "web"); now.ID != old.ID {
		t.Errorf("web is %s, want %s untouched", now.ID[:12], old.ID[:12])
	}
}

// onlyRunning returns the one running container of a service.
func onlyRunning(t *testing.T, lp *lab.Project, service string) container.InspectResponse {
	t.Helper()
	var out []container.InspectResponse
	for _, c := range lp.Containers(t, service) {
		if in := lp.Inspect(t, c.ID); in.State.Running {
			out = append(out, in)
		}
	}
	if len(out) != 1 {
		t.Fatalf("%s has %d running containers, want one", service, len(out))
	}
	return out[0]
}
