package compose_test

// Tests on the real Docker daemon, with the lab's images (lab/build.sh). They fail, never
// skip, when the daemon or the images are missing: see lab.Docker.

import (
	"context"
	"errors"
	"regexp"
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

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestPs(t *testing.T) {
	t.Parallel()
	p, lp := up(t, lab.Spec{Services: lab.Mastodon(2)})
	lp.WaitHealthy(t, "web", 30*time.Second)
	st, err := p.Ps(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range st.Services {
		names = append(names, s.Name)
	}
	if want := []string{"db", "redis", "sidekiq", "streaming", "web"}; !slices.Equal(names, want) {
		t.Fatalf("services %v, want %v (dependency order, ties by name)", names, want)
	}
	sk := st.Services[2]
	if sk.Running() != 2 || len(sk.Replicas) != 2 || sk.Replicas[0].Number != 1 || sk.Replicas[1].Number != 2 {
		t.Errorf("sidekiq = %+v, want 2 running replicas numbered 1, 2", sk)
	}
	web := st.Services[4].Replicas[0]
	if web.Health != "healthy" || web.State != "running" || web.Image != lab.Image || web.RestartPolicy != "always" {
		t.Errorf("web = %+v, want running, healthy, %s, restart always", web, lab.Image)
	}
	if web.StartedAt.IsZero() || time.Since(web.StartedAt) > time.Minute {
		t.Errorf("web started at %v", web.StartedAt)
	}
	if st.Services[0].Replicas[0].Health != "" {
		t.Errorf("db has no healthcheck, got health %q", st.Services[0].Replicas[0].Health)
	}
	if len(st.OneOffs) != 0 {
		t.Errorf("one-offs %v", st.OneOffs)
	}
}

func TestNoContainers(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	p, err := compose.New(compose.Options{Project: lab.RandomName("tootopstest-none-"), Client: cli})
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Ps(ctxT(t))
	var oe *ops.Error
	if !errors.As(err, &oe) {
		t.Fatalf("Ps = %v, want an *ops.Error", err)
	}
	containsAll(t, "error", oe.Safe(), "no containers of Compose project", p.Name(), "compose ps")
}

// startedAt and finishedAt read a container's times from the daemon.
func times(t *testing.T, lp *lab.Project, service string) (started, finished []time.Time) {
	for _, c := range lp.Containers(t, service) {
		in := lp.Inspect(t, c.ID)
		s, _ := time.Parse(time.RFC3339Nano, in.State.StartedAt)
		f, _ := time.Parse(time.RFC3339Nano, in.State.FinishedAt)
		started, finished = append(started, s), append(finished, f)
	}
	return started, finished
}

func TestStopStartRestartInOrder(t *testing.T) {
	t.Parallel()
	p, lp := up(t, lab.Spec{Services: lab.Mastodon(2)})
	ctx := ctxT(t)
	five := 5 * time.Second
	short := func(names []string) []string {
		out := make([]string, len(names))
		for i, n := range names {
			out[i] = strings.TrimPrefix(n, lp.Name+"-")
		}
		return out
	}

	// Stop everything: the reverse of the dependency order, replicas together.
	pl, err := p.PlanAction(ctx, compose.Stop, compose.All)
	if err != nil {
		t.Fatal(err)
	}
	if got := pl.Containers(); got != 6 {
		t.Errorf("stop all plans %d containers, want 6", got)
	}
	pr := &progress{}
	out, err := p.Do(ctx, compose.Stop, compose.All, compose.ActionOptions{Timeout: &five}, pr)
	if err != nil {
		t.Fatal(err)
	}
	if pr.done != 1 {
		t.Errorf("progress Done called %d times", pr.done)
	}
	got := short(out.Done)
	if !slices.Equal(got[:2], []string{"web-1", "streaming-1"}) || !slices.Equal(got[4:], []string{"redis-1", "db-1"}) || !slices.Contains(got[2:4], "sidekiq-1") {
		t.Errorf("stopped %v, want web, streaming, sidekiq×2, redis, db", got)
	}
	if len(out.RestartAlways) != 6 {
		t.Errorf("RestartAlways = %v, want all 6 (the lab uses restart: always)", out.RestartAlways)
	}
	order := []string{"web", "streaming", "sidekiq", "redis", "db"}
	var last time.Time
	for _, svc := range order {
		_, fin := times(t, lp, svc)
		for _, f := range fin {
			if f.Before(last) {
				t.Errorf("%s stopped at %v, before the service stopped ahead of it (%v)", svc, f, last)
			}
		}
		last = slices.MaxFunc(fin, time.Time.Compare)
	}
	for _, c := range lp.All(t) {
		if c.State == container.StateRunning {
			t.Errorf("%s still running", c.Names[0])
		}
	}

	// Start web: its dependencies first, then web, waited for until healthy.
	out, err = p.Do(ctx, compose.Start, "web", compose.ActionOptions{}, &progress{})
	if err != nil {
		t.Fatal(err)
	}
	if got := short(out.Done); !slices.Equal(got, []string{"db-1", "redis-1", "web-1"}) {
		t.Errorf("started %v, want db-1, redis-1, web-1", got)
	}
	if h := out.Health[lp.Name+"-web-1"]; h != "healthy" {
		t.Errorf("web health after start = %q, want healthy", h)
	}
	dbStart, _ := times(t, lp, "db")
	webStart, _ := times(t, lp, "web")
	if !dbStart[0].Before(webStart[0]) {
		t.Errorf("db started %v, not before web %v", dbStart[0], webStart[0])
	}
	if st, _ := times(t, lp, "sidekiq"); st[0].After(webStart[0]) {
		t.Errorf("sidekiq was started by start web")
	}

	// Start again: nothing to do.
	pl, err = p.PlanAction(ctx, compose.Start, "web")
	if err != nil || len(pl.Steps) != 0 || len(pl.Already) != 3 {
		t.Errorf("plan of a second start = %+v, %v; want no steps, 3 already running", pl, err)
	}

	// Restart sidekiq (stopped): rolling, one replica after the other.
	out, err = p.Do(ctx, compose.Restart, "sidekiq", compose.ActionOptions{Timeout: &five}, &progress{})
	if err != nil {
		t.Fatal(err)
	}
	if got := short(out.Done); !slices.Equal(got, []string{"sidekiq-1", "sidekiq-2"}) {
		t.Errorf("restarted %v", got)
	}
	st, _ := times(t, lp, "sidekiq")
	if !st[0].Before(st[1]) {
		t.Errorf("sidekiq-1 started %v, not before sidekiq-2 %v", st[0], st[1])
	}
	for _, c := range lp.Containers(t, "sidekiq") {
		if c.State != container.StateRunning {
			t.Errorf("%s is %s after restart", c.Names[0], c.State)
		}
	}

	// Unknown service.
	_, err = p.PlanAction(ctx, compose.Restart, "sidekiqq")
	containsAll(t, "error", ops.SafeText(err), `no service "sidekiqq"`, "services: db, redis, sidekiq, streaming, web")
}

func TestScale(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	ctx := ctxT(t)
	// sidekiq runs from a tag of its own, so that the test can move the tag to the other
	// lab version, as a pull of a new image would.
	tag := "tootops-lab/scaletest:" + lab.RandomName("t")
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: lab.Image, Target: tag}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = cli.ImageRemove(context.Background(), tag, client.ImageRemoveOptions{}) })
	svcs := lab.Mastodon(1)
	svcs[4].Image = tag
	p, lp := up(t, lab.Spec{Services: svcs})
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: lab.NextImage, Target: tag}); err != nil {
		t.Fatal(err)
	}
	next, err := cli.ImageInspect(ctx, lab.NextImage)
	if err != nil {
		t.Fatal(err)
	}

	pl, err := p.PlanScale(ctx, "sidekiq", 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{lp.Name + "-sidekiq-2", lp.Name + "-sidekiq-3"}
	if !slices.Equal(pl.Create, want) || pl.Template != lp.Name+"-sidekiq-1" {
		t.Errorf("plan %+v, want to create %v from sidekiq-1", pl, want)
	}
	out, err := p.Scale(ctx, "sidekiq", 3, &progress{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Created, want) {
		t.Errorf("created %v, want %v", out.Created, want)
	}
	cs := lp.Containers(t, "sidekiq")
	if len(cs) != 3 {
		t.Fatalf("%d sidekiq containers", len(cs))
	}
	first := lp.Inspect(t, cs[0].ID)
	var ips []string
	for i, c := range cs {
		in := lp.Inspect(t, c.ID)
		name := strings.TrimPrefix(in.Name, "/")
		if c.State != container.StateRunning {
			t.Errorf("%s is %s", name, c.State)
		}
		l := in.Config.Labels
		if l[compose.LabelNumber] != []string{"1", "2", "3"}[i] || l[compose.LabelService] != "sidekiq" || l[compose.LabelProject] != lp.Name ||
			l[compose.LabelOneOff] != "False" || l[compose.LabelConfigHash] != first.Config.Labels[compose.LabelConfigHash] || l[lab.TestLabel] != "1" {
			t.Errorf("%s labels %v", name, l)
		}
		if len(in.NetworkSettings.Networks) != 2 {
			t.Errorf("%s networks %v, want both of sidekiq's", name, in.NetworkSettings.Networks)
		}
		for net, ep := range in.NetworkSettings.Networks {
			if !slices.Contains(ep.Aliases, name) || !slices.Contains(ep.Aliases, "sidekiq") {
				t.Errorf("%s on %s has aliases %v, want its name and sidekiq", name, net, ep.Aliases)
			}
			if strings.HasSuffix(net, "external_network") {
				ips = append(ips, ep.IPAddress.String())
			}
		}
		if i == 0 {
			continue
		}
		// New replicas take the image's own defaults, from the image the tag names now,
		// and keep the service's own settings.
		if !slices.Contains(in.Config.Env, "MASTODON_VERSION=4.5.1") || !slices.Contains(in.Config.Env, "LAB_TICK=200ms") || slices.Contains(in.Config.Env, "MASTODON_VERSION=4.5.0") {
			t.Errorf("%s env %v, want the new image's MASTODON_VERSION and the service's LAB_TICK", name, in.Config.Env)
		}
		if in.Image != next.ID || l[compose.LabelImage] != next.ID {
			t.Errorf("%s image %s (label %s), want %s", name, in.Image, l[compose.LabelImage], next.ID)
		}
		if !slices.Equal(in.Config.Cmd, []string{"sidekiq"}) || in.Config.Hostname == first.Config.Hostname || in.HostConfig.RestartPolicy.Name != "always" {
			t.Errorf("%s: cmd %v, hostname %s, restart %s", name, in.Config.Cmd, in.Config.Hostname, in.HostConfig.RestartPolicy.Name)
		}
	}
	// Every replica answers to the service name.
	web := lp.Containers(t, "web")[0]
	stdout, stderr, code := lp.Exec(t, web.ID, "/opt/mastodon/bin/mastolab", "resolve", "sidekiq")
	got := strings.Fields(stdout)
	slices.Sort(got)
	slices.Sort(ips)
	if code != 0 || !slices.Equal(got, ips) {
		t.Errorf("sidekiq resolves to %v (exit %d, %s) from web, want the replicas' %v", got, code, stderr, ips)
	}

	// Down: outdated replicas first (sidekiq-1 still runs the image the tag named before),
	// then the highest numbers.
	out, err = p.Scale(ctx, "sidekiq", 1, &progress{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{lp.Name + "-sidekiq-1", lp.Name + "-sidekiq-3"}; !slices.Equal(out.Removed, want) {
		t.Errorf("removed %v, want %v", out.Removed, want)
	}
	if cs := lp.Containers(t, "sidekiq"); len(cs) != 1 || cs[0].Labels[compose.LabelNumber] != "2" {
		t.Errorf("left %v, want sidekiq-2", cs)
	}
	// To 0 keeps the last replica, stopped; back to 2 starts it and numbers on from the
	// highest.
	out, err = p.Scale(ctx, "sidekiq", 0, &progress{})
	if err != nil || !slices.Equal(out.Stopped, []string{lp.Name + "-sidekiq-2"}) {
		t.Fatalf("scale to 0: %+v, %v", out, err)
	}
	out, err = p.Scale(ctx, "sidekiq", 2, &progress{})
	if err != nil || !slices.Equal(out.Started, []string{lp.Name + "-sidekiq-2"}) || !slices.Equal(out.Created, []string{lp.Name + "-sidekiq-3"}) {
		t.Fatalf("scale to 2: %+v, %v", out, err)
	}

	// A service that publishes a fixed host port is refused, naming the port.
	_, err = p.Scale(ctx, "web", 2, &progress{})
	var oe *ops.Error
	if !errors.As(err, &oe) {
		t.Fatalf("scale web=2: %v, want an *ops.Error", err)
	}
	containsAll(t, "refusal", oe.Safe(), "cannot scale web", "127.0.0.1:"+itoa(lp.Ports["web"])+" → 3000/tcp")
	if n := len(lp.Containers(t, "web")); n != 1 {
		t.Errorf("%d web containers after a refused scale", n)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestLogs(t *testing.T) {
	t.Parallel()
	svcs := []lab.Service{
		{Name: "sidekiq", Replicas: 2, Env: []string{"LAB_TICK=100ms"}},
		{Name: "tty", Cmd: []string{"tty"}, Tty: true, Env: []string{"LAB_TICK=100ms"}},
	}
	p, _ := up(t, lab.Spec{Services: svcs})
	ctx := ctxT(t)
	time.Sleep(2500 * time.Millisecond) // 25 ticks each

	logs, err := p.Logs(ctx, "sidekiq", compose.LogOptions{Lines: 8})
	if err != nil {
		t.Fatal(err)
	}
	if len(logs.Lines) != 8 || len(logs.Containers) != 2 {
		t.Fatalf("%d lines from %v, want 8 from 2 replicas", len(logs.Lines), logs.Containers)
	}
	numbers := map[int]bool{}
	for i, l := range logs.Lines {
		numbers[l.Number] = true
		if strings.ContainsAny(l.Text, "\x00\x01\x02\x1b") || !regexp.MustCompile(`^\d{4}-\d\d-\d\dT.* (INFO|WARN): `).MatchString(l.Text) {
			t.Errorf("line %q: not a clean log line (multiplexing headers?)", l.Text)
		}
		if i > 0 && l.Time.Before(logs.Lines[i-1].Time) {
			t.Errorf("lines out of time order at %d", i)
		}
	}
	if len(numbers) != 2 {
		t.Errorf("lines from replicas %v, want both", numbers)
	}

	// --grep: stderr lines only, looked for further back than N.
	logs, err = p.Logs(ctx, "sidekiq", compose.LogOptions{Lines: 100, Grep: "RETRY"})
	if err != nil {
		t.Fatal(err)
	}
	if len(logs.Lines) < 4 {
		t.Errorf("grep found %d lines, want ≥ 4 (every 5th tick of 2 replicas)", len(logs.Lines))
	}
	for _, l := range logs.Lines {
		if !l.Stderr || !strings.Contains(l.Text, "retry: job") {
			t.Errorf("grep line %+v", l)
		}
	}

	// --since: only recent lines.
	all, err := p.Logs(ctx, "sidekiq", compose.LogOptions{Lines: 1000, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	recent, err := p.Logs(ctx, "sidekiq", compose.LogOptions{Lines: 1000, Since: time.Second, MaxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if len(recent.Lines) == 0 || len(recent.Lines) >= len(all.Lines) {
		t.Errorf("--since 1s gave %d lines of %d", len(recent.Lines), len(all.Lines))
	}
	for _, l := range recent.Lines {
		if time.Since(l.Time) > 3*time.Second {
			t.Errorf("--since 1s gave a line from %v", l.Time)
		}
	}

	// The cap keeps the newest lines within MaxBytes.
	capped, err := p.Logs(ctx, "sidekiq", compose.LogOptions{Lines: 100, MaxBytes: 300})
	if err != nil {
		t.Fatal(err)
	}
	size := 0
	for _, l := range capped.Lines {
		size += len(l.Text) + 1
	}
	if size > 300 || capped.Dropped == 0 || len(capped.Lines) == 0 {
		t.Errorf("capped: %d bytes in %d lines, %d dropped", size, len(capped.Lines), capped.Dropped)
	}

	// A TTY container: raw stream, escapes stripped, carriage-return rewrites resolved.
	logs, err = p.Logs(ctx, "tty", compose.LogOptions{Lines: 100})
	if err != nil {
		t.Fatal(err)
	}
	text := ""
	for _, l := range logs.Lines {
		text += l.Text + "\n"
	}
	if strings.ContainsAny(text, "\x1b\r\x00\x01") {
		t.Errorf("tty logs keep control characters: %q", text)
	}
	containsAll(t, "tty logs", text, "ready tty service (Mastodon 4.5.0)\n", "progress 4/4\n", "tick 1 red\n")
}

func TestRunOneOff(t *testing.T) {
	t.Parallel()
	p, lp := up(t, lab.Spec{Services: lab.Mastodon(1)})
	ctx := ctxT(t)
	noOneOffs := func() {
		t.Helper()
		for _, c := range lp.All(t) {
			if c.Labels[compose.LabelOneOff] == "True" {
				t.Errorf("one-off %s left behind (%s)", c.Names[0], c.State)
			}
		}
	}

	pr := &progress{}
	res, err := p.Run(ctx, "web", []string{"tootctl", "version"}, pr)
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 || !slices.Equal(res.Tail, []string{"4.5.0"}) || !strings.HasPrefix(res.Container, lp.Name+"-web-run-") {
		t.Errorf("tootctl version: %+v", res)
	}
	containsAll(t, "progress", pr.text(), "starting "+res.Container+"\n4.5.0")
	noOneOffs()

	res, err = p.Run(ctx, "web", []string{"tootctl", "lab-exit", "3"}, &progress{})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 3 || res.Lines != 3 || !slices.Contains(res.Tail, "lab: output on stderr") || !slices.Contains(res.Tail, "lab: exiting with 3") {
		t.Errorf("lab-exit 3: %+v", res)
	}
	noOneOffs()

	// Refused before anything is made.
	_, err = p.Run(ctx, "web", []string{"tootctl", "accounts", "delete", "alice"}, &progress{})
	containsAll(t, "refusal", ops.SafeText(err), `"tootctl accounts delete alice" is not an allowed one-off command`)
	_, err = p.Run(ctx, "web", []string{"tootctl", "media", "remove", "--days", "7;rm"}, &progress{})
	containsAll(t, "refusal", ops.SafeText(err), "--days takes a whole number")
	noOneOffs()

	// A long one-off: labelled like compose run, apart from the service, and killed and
	// removed when cancelled.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		_, err := p.Run(rctx, "web", []string{"tootctl", "lab-sleep", "60s"}, &progress{})
		done <- err
	}()
	var oneoff container.Summary
	for deadline := time.Now().Add(20 * time.Second); oneoff.ID == "" && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, c := range lp.All(t) {
			if c.Labels[compose.LabelOneOff] == "True" && c.State == container.StateRunning {
				oneoff = c
			}
		}
	}
	if oneoff.ID == "" {
		t.Fatal("no one-off running")
	}
	in := lp.Inspect(t, oneoff.ID)
	name := strings.TrimPrefix(in.Name, "/")
	l := in.Config.Labels
	if _, has := l[compose.LabelNumber]; has || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(l[compose.LabelSlug]) || l[compose.LabelService] != "web" || l[compose.LabelConfigHash] == "" {
		t.Errorf("one-off labels %v", l)
	}
	if len(in.HostConfig.PortBindings) != 0 || !in.HostConfig.AutoRemove || in.HostConfig.RestartPolicy.Name != "no" || in.Config.Tty {
		t.Errorf("one-off host config: ports %v, autoremove %v, restart %q, tty %v", in.HostConfig.PortBindings, in.HostConfig.AutoRemove, in.HostConfig.RestartPolicy.Name, in.Config.Tty)
	}
	for net, ep := range in.NetworkSettings.Networks {
		if !slices.Contains(ep.Aliases, name) || slices.Contains(ep.Aliases, "web") {
			t.Errorf("one-off aliases on %s: %v, want its name and not web", net, ep.Aliases)
		}
	}
	snap, err := p.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.OneOffs) != 1 || snap.OneOffs[0].Name != name {
		t.Errorf("one-offs %v", snap.OneOffs)
	}
	if web, _ := snap.Service("web"); len(web.Containers) != 1 {
		t.Errorf("web has %d containers while a one-off runs", len(web.Containers))
	}
	sk := lp.Containers(t, "sidekiq")[0]
	stdout, _, _ := lp.Exec(t, sk.ID, "/opt/mastodon/bin/mastolab", "resolve", "web")
	if n := len(strings.Fields(stdout)); n != 1 {
		t.Errorf("web resolves to %q from sidekiq while a one-off runs, want web-1 only", stdout)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled run: %v", err)
		}
		containsAll(t, "cancelled run", ops.SafeText(err), "cancelled; the one-off container "+name+" was killed and removed")
	case <-time.After(30 * time.Second):
		t.Fatal("cancelled run did not return")
	}
	noOneOffs()
}

func TestMediaCleanup(t *testing.T) {
	t.Parallel()
	p, lp := up(t, lab.Spec{Services: lab.Mastodon(1)})
	ctx := ctxT(t)
	res, err := p.MediaCleanup(ctx, compose.MediaOptions{Days: 7}, &progress{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || res.Removed != 12 || res.Size != "1.2 GB" || res.DryRun || res.Errors != 1 || res.ExitCode != 0 {
		t.Errorf("media cleanup --days 7: %+v", res)
	}
	res, err = p.MediaCleanup(ctx, compose.MediaOptions{Days: 30, DryRun: true}, &progress{})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Found || res.Removed != 2 || res.Size != "200 MB" || !res.DryRun || res.Errors != 0 {
		t.Errorf("media cleanup --days 30 --dry-run: %+v", res)
	}
	for _, c := range lp.All(t) {
		if c.Labels[compose.LabelOneOff] == "True" {
			t.Errorf("one-off %s left behind", c.Names[0])
		}
	}
}

// TestComposeV1 brings lab/docker-compose.yml up with the real docker-compose v1, whose
// containers are named project_service_1 and carry no depends_on label.
func TestComposeV1(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	lp := lab.ComposeV1(t, cli, lab.RandomName("tootopstestv1"))
	p, err := compose.New(compose.Options{Project: lp.Name, Client: cli, Allowed: testAllowed, Directory: lp.Dir})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	snap, err := p.Discover(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !snap.BuiltinOrder || snap.Compose != "1.29.2" || !slices.Equal(snap.Names(), []string{"db", "redis", "sidekiq", "streaming", "web"}) {
		t.Errorf("snapshot: builtin %v, compose %q, services %v", snap.BuiltinOrder, snap.Compose, snap.Names())
	}
	st, err := p.Ps(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range st.Services {
		if len(s.Replicas) != 1 || s.Replicas[0].Name != lp.Name+"_"+s.Name+"_1" || s.Replicas[0].State != "running" {
			t.Errorf("v1 %s: %+v", s.Name, s.Replicas)
		}
	}
	out, err := p.Scale(ctx, "sidekiq", 2, &progress{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(out.Created, []string{lp.Name + "_sidekiq_2"}) {
		t.Errorf("v1 scale created %v", out.Created)
	}
	out, err = p.Scale(ctx, "sidekiq", 1, &progress{})
	if err != nil || !slices.Equal(out.Removed, []string{lp.Name + "_sidekiq_2"}) {
		t.Errorf("v1 scale down: %+v, %v", out, err)
	}
	pl, err := p.PlanAction(ctx, compose.Stop, compose.All)
	if err != nil {
		t.Fatal(err)
	}
	var order []string
	for _, s := range pl.Steps {
		order = append(order, s.Service)
	}
	if !slices.Equal(order, []string{"web", "streaming", "sidekiq", "redis", "db"}) {
		t.Errorf("v1 stop order %v (Mastodon's built-in order, reversed)", order)
	}
	// A [compose] directory that is not the project's hides it, and says so.
	other, _ := compose.New(compose.Options{Project: lp.Name, Client: cli, Directory: "/opt/elsewhere"})
	_, err = other.Discover(ctx)
	containsAll(t, "directory mismatch", ops.SafeText(err), "were started from "+lp.Dir+", not /opt/elsewhere")
}
