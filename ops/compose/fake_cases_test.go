package compose_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

func bg(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestFakePsHealth(t *testing.T) {
	f := newFake(t)
	_, web := f.container("mastodon-web-1")
	web["State"].(map[string]any)["Health"].(map[string]any)["Status"] = "unhealthy"
	_, sk := f.container("mastodon-sidekiq-2")
	st := sk["State"].(map[string]any)
	st["Status"], st["Running"], st["ExitCode"] = "exited", false, 137
	p := f.project(compose.Options{})
	got, err := p.Ps(bg(t))
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]compose.Replica{}
	for _, s := range got.Services {
		for _, r := range s.Replicas {
			byName[r.Name] = r
		}
	}
	if r := byName["mastodon-web-1"]; r.Health != "unhealthy" || r.State != "running" {
		t.Errorf("web = %+v, want running and unhealthy", r)
	}
	if r := byName["mastodon-sidekiq-2"]; r.State != "exited" || r.ExitCode != 137 {
		t.Errorf("sidekiq-2 = %+v, want exited 137", r)
	}
	if n := f.called("GET /containers/") - f.called("GET /containers/json"); n != 6 {
		t.Errorf("%d inspections, want one per container (6)", n)
	}
}

func TestFakeRequiresConfigHash(t *testing.T) {
	f := newFake(t)
	// A container labelled with the project but without a config-hash, as a hand-made
	// helper container would be: Compose ignores it, and so must the bot.
	item, in := f.container("mastodon-sidekiq-2")
	var extra map[string]any
	b, _ := json.Marshal(item)
	_ = json.Unmarshal(b, &extra)
	extra["Id"], extra["Names"] = "foreign0000", []any{"/mastodon-sidekiq-9"}
	l := labels(extra)
	l["com.docker.compose.container-number"] = "9"
	delete(l, compose.LabelConfigHash)
	f.list = append(f.list, extra)
	f.inspect["foreign0000"] = in
	snap, err := f.project(compose.Options{}).Discover(bg(t))
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := snap.Service("sidekiq")
	if len(sk.Containers) != 2 {
		t.Errorf("sidekiq has %d containers, want 2 (the one without config-hash ignored)", len(sk.Containers))
	}
}

func TestFakeV1Names(t *testing.T) {
	f := newFake(t)
	for _, c := range slices.Clone(f.list) {
		name := strings.TrimPrefix(c["Names"].([]any)[0].(string), "/")
		f.rename(name, strings.ReplaceAll(name, "-", "_"))
		f.setLabel(strings.ReplaceAll(name, "-", "_"), compose.LabelDependsOn, nil)
		f.setLabel(strings.ReplaceAll(name, "-", "_"), compose.LabelVersion, "1.29.2")
	}
	p := f.project(compose.Options{})
	snap, err := p.Discover(bg(t))
	if err != nil {
		t.Fatal(err)
	}
	if !snap.BuiltinOrder || !slices.Equal(snap.Names(), []string{"db", "redis", "sidekiq", "streaming", "web"}) {
		t.Errorf("v1: builtin %v, order %v", snap.BuiltinOrder, snap.Names())
	}
	sk, _ := snap.Service("sidekiq")
	if sk.Containers[0].Name != "mastodon_sidekiq_1" || sk.Containers[1].Number != 2 {
		t.Errorf("v1 sidekiq %+v", sk.Containers)
	}
	pl, err := p.PlanScale(bg(t), "sidekiq", 3)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(pl.Create, []string{"mastodon_sidekiq_3"}) {
		t.Errorf("v1 scale would create %v, want mastodon_sidekiq_3", pl.Create)
	}
}

func TestFakeOneOffsKeptApart(t *testing.T) {
	f := newFake(t)
	f.rename("mastodon-sidekiq-2", "mastodon-sidekiq-run-0123456789ab")
	f.setLabel("mastodon-sidekiq-run-0123456789ab", compose.LabelOneOff, "True")
	f.setLabel("mastodon-sidekiq-run-0123456789ab", compose.LabelNumber, nil)
	p := f.project(compose.Options{})
	snap, err := p.Discover(bg(t))
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := snap.Service("sidekiq")
	if len(sk.Containers) != 1 || len(snap.OneOffs) != 1 || snap.OneOffs[0].Number != 0 {
		t.Errorf("sidekiq %v, one-offs %v", sk.Containers, snap.OneOffs)
	}
	st, err := p.Ps(bg(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(st.OneOffs) != 1 || st.OneOffs[0].Name != "mastodon-sidekiq-run-0123456789ab" {
		t.Errorf("ps one-offs %+v", st.OneOffs)
	}
	// A stop never touches one-offs.
	pl, err := p.PlanAction(bg(t), compose.Stop, compose.All)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range pl.Steps {
		for _, c := range s.Containers {
			if c.OneOff {
				t.Errorf("stop all would stop one-off %s", c.Name)
			}
		}
	}
}

func TestFakeRestartDependents(t *testing.T) {
	f := newFake(t)
	for _, n := range []string{"mastodon-sidekiq-1", "mastodon-sidekiq-2"} {
		f.setLabel(n, compose.LabelDependsOn, "db:service_started:false,redis:service_healthy:true")
	}
	pl, err := f.project(compose.Options{}).PlanAction(bg(t), compose.Restart, "redis")
	if err != nil {
		t.Fatal(err)
	}
	if len(pl.Steps) != 2 || pl.Steps[0].Service != "redis" || pl.Steps[1].Service != "sidekiq" || !strings.Contains(pl.Steps[1].Why, "restart: true") {
		t.Errorf("restart redis plan %+v, want redis then sidekiq (restart: true)", pl.Steps)
	}
}

func TestFakeStopNamesRestartAlways(t *testing.T) {
	f := newFake(t)
	_, in := f.container("mastodon-sidekiq-2")
	in["HostConfig"].(map[string]any)["RestartPolicy"] = map[string]any{"Name": "unless-stopped", "MaximumRetryCount": 0}
	out, err := f.project(compose.Options{}).Do(bg(t), compose.Stop, "sidekiq", compose.ActionOptions{}, &progress{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Done, []string{"mastodon-sidekiq-2", "mastodon-sidekiq-1"}) || !slices.Equal(out.RestartAlways, []string{"mastodon-sidekiq-1"}) {
		t.Errorf("stopped %v, restart always %v", out.Done, out.RestartAlways)
	}
	if f.called("POST /containers/") != 2 {
		t.Errorf("calls %v", f.calls)
	}
}

// createBody decodes the last ContainerCreate request.
func (f *fakeEngine) createBody(t *testing.T) map[string]any {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(f.bodies["POST /containers/create"], &body); err != nil {
		t.Fatal(err)
	}
	return body
}

func TestFakeScaleEndpointsByAPIVersion(t *testing.T) {
	for _, api := range []string{"1.41", "1.45"} {
		t.Run(api, func(t *testing.T) {
			f := newFake(t)
			f.api = api
			out, err := f.project(compose.Options{}).Scale(bg(t), "sidekiq", 3, &progress{})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(out.Created, []string{"mastodon-sidekiq-3"}) {
				t.Errorf("created %v", out.Created)
			}
			body := f.createBody(t)
			eps := body["NetworkingConfig"].(map[string]any)["EndpointsConfig"].(map[string]any)
			connects := f.called("POST /networks/")
			if api == "1.41" && (len(eps) != 1 || connects != 1) {
				t.Errorf("API 1.41: %d endpoints at create, %d connects; want 1 and 1", len(eps), connects)
			}
			if api == "1.45" && (len(eps) != 2 || connects != 0) {
				t.Errorf("API 1.45: %d endpoints at create, %d connects; want 2 and 0", len(eps), connects)
			}
			for net, ep := range eps {
				e := ep.(map[string]any)
				if a := e["Aliases"].([]any); len(a) != 2 || a[0] != "mastodon-sidekiq-3" || a[1] != "sidekiq" {
					t.Errorf("%s aliases %v, want [mastodon-sidekiq-3 sidekiq]", net, a)
				}
				if ip, _ := e["IPAddress"].(string); ip != "" {
					t.Errorf("%s copies the template's address %q", net, ip)
				}
				if mac, _ := e["MacAddress"].(string); mac != "" {
					t.Errorf("%s copies the template's MAC %q", net, mac)
				}
			}
			cfg := body // the create request embeds the Config
			if l := cfg["Labels"].(map[string]any); l[compose.LabelNumber] != "3" || l[compose.LabelService] != "sidekiq" {
				t.Errorf("labels %v", l)
			}
			// The image supplies its own Env, Entrypoint and WorkingDir again.
			if env := cfg["Env"].([]any); !slices.Equal(env, []any{"LAB_TICK=200ms"}) {
				t.Errorf("env %v, want only the service's own", env)
			}
			if cfg["Entrypoint"] != nil || cfg["WorkingDir"] != "" || cfg["Hostname"] != "" || cfg["User"] != "" {
				t.Errorf("entrypoint %v, workdir %v, hostname %v, user %v: want the image's", cfg["Entrypoint"], cfg["WorkingDir"], cfg["Hostname"], cfg["User"])
			}
			if cmd := cfg["Cmd"].([]any); !slices.Equal(cmd, []any{"sidekiq"}) {
				t.Errorf("cmd %v", cmd)
			}
		})
	}
}

func TestFakeOneOffFailures(t *testing.T) {
	cmd := []string{"tootctl", "version"}
	t.Run("create", func(t *testing.T) {
		f := newFake(t)
		f.fail["POST /containers/create"] = 500
		_, err := f.project(compose.Options{Allowed: compose.DefaultAllowed}).Run(bg(t), "web", cmd, &progress{})
		var oe *ops.Error
		if !errors.As(err, &oe) || !strings.HasPrefix(oe.Safe(), "Docker could not create mastodon-web-run-") {
			t.Errorf("err = %v", err)
		}
		if f.called("POST /containers/new") != 0 {
			t.Errorf("calls after a failed create: %v", f.calls)
		}
	})
	t.Run("start", func(t *testing.T) {
		f := newFake(t)
		f.fail["POST /containers/new"+strings.Repeat("0", 61)+"/start"] = 500
		_, err := f.project(compose.Options{Allowed: compose.DefaultAllowed}).Run(bg(t), "web", cmd, &progress{})
		if !strings.HasPrefix(ops.SafeText(err), "Docker could not start mastodon-web-run-") {
			t.Errorf("err = %v", err)
		}
		if f.called("DELETE /containers/new") != 1 {
			t.Errorf("the one-off that did not start was not removed: %v", f.calls)
		}
	})
	t.Run("exit", func(t *testing.T) {
		f := newFake(t)
		f.waitBody = `{"StatusCode":2}`
		res, err := f.project(compose.Options{Allowed: compose.DefaultAllowed}).Run(bg(t), "web", cmd, &progress{})
		if err != nil || res.ExitCode != 2 {
			t.Errorf("run = %+v, %v; want exit code 2 and no error", res, err)
		}
	})
	t.Run("wait", func(t *testing.T) {
		f := newFake(t)
		f.waitBody = `{"StatusCode":-1,"Error":{"Message":"container is marked for removal"}}`
		_, err := f.project(compose.Options{Allowed: compose.DefaultAllowed}).Run(bg(t), "web", cmd, &progress{})
		if !strings.HasPrefix(ops.SafeText(err), "Docker could not wait for mastodon-web-run-") {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("labels", func(t *testing.T) {
		f := newFake(t)
		if _, err := f.project(compose.Options{Allowed: compose.DefaultAllowed}).Run(bg(t), "web", cmd, &progress{}); err != nil {
			t.Fatal(err)
		}
		body := f.createBody(t)
		cfg, host := body, body["HostConfig"].(map[string]any)
		l := cfg["Labels"].(map[string]any)
		if _, has := l[compose.LabelNumber]; has || l[compose.LabelOneOff] != "True" || len(l[compose.LabelSlug].(string)) != 64 {
			t.Errorf("one-off labels %v", l)
		}
		if host["AutoRemove"] != true || host["PortBindings"] != nil || host["RestartPolicy"].(map[string]any)["Name"] != "no" {
			t.Errorf("one-off host config %v", host)
		}
		if !slices.Equal(cfg["Cmd"].([]any), []any{"tootctl", "version"}) || cfg["Tty"] != false {
			t.Errorf("cmd %v tty %v", cfg["Cmd"], cfg["Tty"])
		}
		for net, ep := range body["NetworkingConfig"].(map[string]any)["EndpointsConfig"].(map[string]any) {
			if a := ep.(map[string]any)["Aliases"].([]any); len(a) != 1 || !strings.HasPrefix(a[0].(string), "mastodon-web-run-") {
				t.Errorf("one-off aliases on %s: %v, want only its name", net, a)
			}
		}
		if f.called("POST /containers/new"+strings.Repeat("0", 61)+"/attach") != 1 {
			t.Errorf("no attach: %v", f.calls)
		}
		// The wait is registered before the start.
		i, j := slices.Index(f.calls, "POST /containers/new"+strings.Repeat("0", 61)+"/wait"), slices.Index(f.calls, "POST /containers/new"+strings.Repeat("0", 61)+"/start")
		if i < 0 || j < 0 || i > j {
			t.Errorf("wait at %d, start at %d: %v", i, j, f.calls)
		}
	})
}

func TestFakeNoContainersNamesOtherProjects(t *testing.T) {
	f := newFake(t)
	_, err := f.project(compose.Options{Project: "mastodon-prod"}).Ps(bg(t))
	containsAll(t, "error", ops.SafeText(err), `no containers of Compose project "mastodon-prod"`, "projects on this host: mastodon")
}

func TestUnreachable(t *testing.T) {
	p, err := compose.New(compose.Options{Project: "mastodon", DockerHost: "tcp://127.0.0.1:1"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	_, err = p.Ps(bg(t))
	var oe *ops.Error
	if !errors.As(err, &oe) {
		t.Fatalf("Ps = %v, want an *ops.Error", err)
	}
	containsAll(t, "error", oe.Safe(), "cannot reach the Docker daemon at tcp://127.0.0.1:1", "docker_host")
	_, err = p.Logs(bg(t), "web", compose.LogOptions{})
	containsAll(t, "logs error", ops.SafeText(err), "cannot reach the Docker daemon at tcp://127.0.0.1:1")
}

func TestUnconfigured(t *testing.T) {
	var u compose.Unconfigured
	_, err := u.Ps(bg(t))
	containsAll(t, "error", ops.SafeText(err), "no [compose] section")
	pr := &progress{}
	_, err = u.Scale(bg(t), "sidekiq", 2, pr)
	if err == nil || pr.done != 1 {
		t.Errorf("scale: %v, Done %d times", err, pr.done)
	}
}

// The package's default allow-list is the config's: a Project made without the config
// allows what a config without [compose.oneoff] allows.
func TestDefaultAllowedMatchesConfig(t *testing.T) {
	if !slices.Equal(compose.DefaultAllowed, config.DefaultOneOffAllowed) {
		t.Errorf("compose.DefaultAllowed %q, config.DefaultOneOffAllowed %q", compose.DefaultAllowed, config.DefaultOneOffAllowed)
	}
}
