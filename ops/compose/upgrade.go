package compose

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/ops"
)

// DefaultWaitHealthy is how long Recreate waits for a new container to become healthy
// when RecreateOptions.WaitHealthy is 0.
const DefaultWaitHealthy = 2 * time.Minute

// startGrace is how long a new container without a healthcheck must stay up to count as
// started.
const startGrace = time.Second

// rollbackTime bounds putting the old containers back, which runs on a context of its own
// so that it also happens when the caller's context ended.
const rollbackTime = 2 * time.Minute

// RecreateOptions tune Recreate.
type RecreateOptions struct {
	// StopTimeout is how long an old container has to stop before it is killed; 0 means its
	// own stop timeout (stop_grace_period; 10 s unless set).
	StopTimeout time.Duration
	// WaitHealthy is how long a new container with a healthcheck may take to become
	// healthy; 0 means DefaultWaitHealthy.
	WaitHealthy time.Duration
}

// Recreated is what Recreate did.
type Recreated struct {
	Containers []string // the containers recreated, by container-number
	Unchanged  []string // replicas already on the image, left alone
	From, To   string   // the image before (as the first replica was configured) and after
	// Recovered says what an interrupted Recreate had left and what was done about it,
	// one line per action.
	Recovered []string
}

// renamer is what Recreate needs beyond creating containers.
type renamer interface {
	ContainerRename(ctx context.Context, id string, options client.ContainerRenameOptions) (client.ContainerRenameResult, error)
}

var _ renamer = (*client.Client)(nil)

// Recreate puts every replica of a service on another image, as `docker compose up -d`
// does after the image: line changed, one replica at a time. The image must be on the
// Docker host already (Pull). A new container is the old one's configuration (see
// blueprintOf) less what the old image supplied, so the new image's entrypoint, command,
// environment, working directory, user and labels apply while the service's own settings
// stay; it keeps the networks and aliases, published ports, restart policy, Compose
// labels (com.docker.compose.image becomes the new image's ID) and the old container's
// anonymous volumes, mounted again.
//
// The sequence for each replica is chosen so that the old container exists, untouched
// but for its name, until the new one runs:
//
//  1. create the new container as <old id>_<name>, not started (a failure here changes nothing);
//  2. stop the old one (the port it publishes is then free);
//  3. rename the old one to <name>_old_<old id>, and the new one to <name>;
//  4. start the new one, and wait until it is healthy (or, without a healthcheck, still up
//     after a second).
//
// Only when every replica got there are the old containers removed (their volumes kept).
// When anything fails, every replica done so far is put back, last first: the new
// container is removed (not its volumes: the old one shares them), the old one gets its
// name back and is started again if it was running. A failed Recreate thus leaves the
// service on the old image under its original names, and calling Recreate with the old
// image is the rollback of one that succeeded. A replica already on the image (same image
// ID and reference) is left alone.
//
// A Recreate killed part way (kill -9, power loss) cannot put anything back, and the
// guided upgrade runs the same Recreate again on `upgrade resume`. So Recreate first
// recovers, replica number by replica number, from what such a run left (see
// recoverReplica), then proceeds as above:
//
//   - a new container still under its temporary name <id>_<name> is removed (not its
//     volumes: they are the old one's), and the old one gets its name back if it had lost
//     it, and is started again if it stopped after the new one was made (the dead run
//     stopped it);
//   - an old container <name>_old_<id> next to one under <name>: when the latter runs
//     this call's image (ID and reference), is running, and becomes healthy within
//     WaitHealthy when it has a healthcheck, its replacement finished and the old one is
//     removed; otherwise the one under <name> is removed and the old one gets its name
//     back, running again if it stopped after the other was made, to be recreated below
//     or, when this call's image is its own (a rollback), kept as it is;
//   - an old container <name>_old_<id> alone (a put-back cut short) gets its name back
//     and is started.
//
// What was recovered is logged, reported to progress and listed in Recreated.Recovered.
// A number with containers in any other combination is refused: a person must look.
func (p *Project) Recreate(ctx context.Context, service, image string, o RecreateOptions, progress ops.Progress) (*Recreated, error) {
	defer progress.Done()
	ren, ok := p.eng.(renamer)
	if !ok {
		return nil, errors.New("compose: this engine cannot rename containers")
	}
	if o.WaitHealthy <= 0 {
		o.WaitHealthy = DefaultWaitHealthy
	}
	svc, err := p.discoverService(ctx, service)
	if err != nil {
		return nil, err
	}
	img, err := p.eng.ImageInspect(ctx, image)
	if isNotFound(err) {
		return nil, &ops.Error{Msg: fmt.Sprintf("image %s is not on the Docker host", image), Hint: "pull it first", Err: err}
	}
	if err != nil {
		return nil, p.engineError("inspect image "+image, err)
	}

	out := &Recreated{To: image}
	rc := &recovery{p: p, ren: ren, service: service, image: image, imageID: img.ID, o: o, progress: progress, started: map[string]bool{}}
	groups, err := leftoversOf(svc)
	if err != nil {
		return nil, err
	}
	if len(groups) > 0 {
		for _, g := range groups {
			if err := rc.recoverReplica(ctx, g); err != nil {
				out.Recovered = rc.done
				return out, err
			}
		}
		out.Recovered, out.From = rc.done, rc.from
		if svc, err = p.discoverService(ctx, service); err != nil {
			return out, err
		}
	}
	if err := checkReplicas(svc); err != nil {
		return out, err
	}
	total := int64(len(svc.Containers))
	var swaps []*swap
	fail := func(err error) (*Recreated, error) {
		return out, p.putBack(ctx, service, swaps, err)
	}
	for i, c := range svc.Containers {
		progress.Report(int64(i), total, fmt.Sprintf("recreating %s on %s", c.Name, image))
		in, err := p.eng.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
		if err != nil {
			return fail(p.engineError("inspect "+c.Name, err))
		}
		if in.Container.Config == nil || in.Container.State == nil {
			return fail(p.engineError("inspect "+c.Name, errors.New("no Config or State")))
		}
		if out.From == "" {
			out.From = in.Container.Config.Image
		}
		label := c.Name
		if len(svc.Containers) == 1 {
			label = service
		}
		if in.Container.Image == img.ID && in.Container.Config.Image == image {
			// An old container recovery started again is kept: it must come up.
			if rc.started[c.ID] {
				if err := p.waitUp(ctx, c.ID, label, o.WaitHealthy); err != nil {
					return fail(err)
				}
			}
			out.Unchanged = append(out.Unchanged, c.Name)
			continue
		}
		bp, err := p.blueprintOf(ctx, c)
		if err != nil {
			return fail(err)
		}
		s := &swap{old: c, oldRunning: in.Container.State.Running || in.Container.State.Restarting, label: label}
		swaps = append(swaps, s)
		if err := p.recreateOne(ctx, ren, s, bp, in.Container, image, img.ID, o); err != nil {
			return fail(err)
		}
		out.Containers = append(out.Containers, c.Name)
	}
	// Every replica runs the new image: the old containers can go.
	for _, s := range swaps {
		progress.Report(total, total, "removing the old "+s.old.Name)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		_, err := p.eng.ContainerRemove(rctx, s.old.ID, client.ContainerRemoveOptions{Force: true})
		cancel()
		if err != nil && !isNotFound(err) {
			p.log.Warn().Err(err).Str("container", s.backup).Msg("recreate: could not remove the old container; remove it by hand")
		}
	}
	progress.Report(total, total, fmt.Sprintf("%s runs %s", service, image))
	p.log.Info().Str("service", service).Str("from", out.From).Str("to", image).Strs("recreated", out.Containers).
		Int("recovered", len(out.Recovered)).Msg("compose recreate")
	return out, nil
}

// checkReplicas refuses a service with two containers of one number that recovery did not
// account for (see leftoversOf): it needs a look by a person.
func checkReplicas(svc *Service) error {
	seen := map[int]string{}
	for _, c := range svc.Containers {
		if other, dup := seen[c.Number]; dup {
			return duplicateError(svc.Name, c.Number, other, c.Name)
		}
		seen[c.Number] = c.Name
	}
	return nil
}

func duplicateError(service string, number int, names ...string) error {
	return &ops.Error{
		Msg:  fmt.Sprintf("service %s has %d containers numbered %d: %s", service, len(names), number, strings.Join(names, ", ")),
		Hint: "they are not what an interrupted recreate leaves: remove the ones not running the service (docker rm), then try again",
	}
}

// leftover is what an interrupted Recreate left of one replica number. Names are those
// recreateOne gives: the old container is renamed <name>_old_<id12> (backup), the new one
// is created as <id12>_<name> (temp), id12 being the old one's short ID.
type leftover struct {
	number  int
	current *Container // under the replica's name
	backup  *Container // the old one, renamed <name>_old_<its id12>
	temp    *Container // a new one, <old id12>_<name>, not yet renamed
	old     *Container // temp's old one: current or backup
}

// leftoversOf finds the replica numbers an interrupted Recreate left in one of the states
// recoverReplica handles, by container-number label and name. It refuses a number whose
// containers are in no such state.
func leftoversOf(svc *Service) ([]leftover, error) {
	byNumber := map[int][]*Container{}
	var numbers []int
	for i := range svc.Containers {
		c := &svc.Containers[i]
		if _, ok := byNumber[c.Number]; !ok {
			numbers = append(numbers, c.Number)
		}
		byNumber[c.Number] = append(byNumber[c.Number], c)
	}
	var out []leftover
	for _, n := range numbers {
		cs := byNumber[n]
		g := leftover{number: n}
		odd := false
		for _, c := range cs {
			if _, ok := backupBase(*c); ok {
				odd = odd || g.backup != nil
				g.backup = c
			}
		}
		for _, c := range cs {
			if c == g.backup {
				continue
			}
			if old := tempOf(*c, cs); old != nil {
				odd = odd || g.temp != nil
				g.temp, g.old = c, old
				continue
			}
			odd = odd || g.current != nil
			g.current = c
		}
		switch {
		case !odd && g.temp == nil && g.backup == nil:
			if len(cs) > 1 { // cannot happen: two under one name
				odd = true
			}
		case !odd && g.temp != nil:
			// The new one is not renamed yet: the old one holds the name or the backup
			// name, and nothing else is there.
			odd = g.current != nil && g.backup != nil
		case !odd && g.backup != nil && g.current != nil:
			base, _ := backupBase(*g.backup)
			odd = g.current.Name != base
		}
		if odd {
			names := make([]string, len(cs))
			for i, c := range cs {
				names[i] = c.Name
			}
			return nil, duplicateError(svc.Name, n, names...)
		}
		if g.temp != nil || g.backup != nil {
			out = append(out, g)
		}
	}
	return out, nil
}

// backupBase returns the replica's name of an old container recreateOne renamed:
// <name>_old_<its id12>.
func backupBase(c Container) (string, bool) {
	i := strings.LastIndex(c.Name, "_old_")
	if i <= 0 || len(c.ID) < 12 || c.Name[i+len("_old_"):] != c.ID[:12] {
		return "", false
	}
	return c.Name[:i], true
}

// tempOf returns the old container of a new one recreateOne made and did not rename:
// named <old id12>_<name>, the old one being among cs under <name> or its backup name.
// The short ID must be one of cs's, so a project whose name looks like hex is not taken
// for one.
func tempOf(c Container, cs []*Container) *Container {
	short, name, ok := strings.Cut(c.Name, "_")
	if !ok || len(short) != 12 || name == "" {
		return nil
	}
	for _, o := range cs {
		if o.ID == c.ID || !strings.HasPrefix(o.ID, short) {
			continue
		}
		if base, isBackup := backupBase(*o); o.Name == name || isBackup && base == name {
			return o
		}
	}
	return nil
}

// recovery is one Recreate's clean-up of what an interrupted one left.
type recovery struct {
	p              *Project
	ren            renamer
	service, image string
	imageID        string
	o              RecreateOptions
	progress       ops.Progress
	done           []string        // what was done, for Recreated.Recovered
	from           string          // the first replaced old container's image
	started        map[string]bool // old containers started again, by ID
}

// note records, logs and reports one recovery action on c.
func (r *recovery) note(number int, c Container, what string) {
	r.done = append(r.done, what)
	r.p.log.Warn().Str("service", r.service).Int("number", number).Str("container", c.Name).Str("id", shortID(c.ID)).
		Str("action", what).Msg("recreate: recovering from an interrupted recreate")
	r.progress.Report(0, 0, "interrupted recreate of "+r.service+": "+what)
}

// recoverReplica puts one replica number right, by the rule in Recreate's doc. Each step
// leaves a state this function handles too, so being killed in the middle of it is
// recovered from the next time as well.
func (r *recovery) recoverReplica(ctx context.Context, g leftover) error {
	p := r.p
	switch {
	case g.temp != nil:
		newer, err := p.inspect(ctx, *g.temp)
		if err != nil {
			return err
		}
		if err := r.remove(ctx, g.number, *g.temp, "removed the unfinished new container "+g.temp.Name); err != nil {
			return err
		}
		return r.restore(ctx, g.number, *g.old, newer.Created)

	case g.current != nil: // and g.backup
		cur, err := p.inspect(ctx, *g.current)
		if err != nil {
			return err
		}
		if r.from == "" {
			r.from = g.backup.Image
		}
		if r.finished(ctx, *g.current, cur) {
			r.note(g.number, *g.current, "kept the new "+g.current.Name+", up on "+r.image)
			return r.remove(ctx, g.number, *g.backup, "removed the replaced old container "+g.backup.Name)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := r.remove(ctx, g.number, *g.current, "removed the unfinished new container "+g.current.Name); err != nil {
			return err
		}
		return r.restore(ctx, g.number, *g.backup, cur.Created)

	default: // g.backup alone: a put-back cut short after the new one was removed
		return r.restore(ctx, g.number, *g.backup, "")
	}
}

// finished reports whether the container under the replica's name is this call's image,
// running, and healthy (waiting up to WaitHealthy) or, without a healthcheck, up.
func (r *recovery) finished(ctx context.Context, c Container, in container.InspectResponse) bool {
	if in.Config == nil || in.State == nil || in.Image != r.imageID || in.Config.Image != r.image || !in.State.Running {
		return false
	}
	err := r.p.waitUp(ctx, c.ID, c.Name, r.o.WaitHealthy)
	if err != nil {
		r.p.log.Info().Err(err).Str("container", c.Name).Msg("recreate: the new container of an interrupted recreate is not up")
	}
	return err == nil
}

// restore gives an old container its replica's name back, when it lost it, and starts it
// when it stopped after since, the time its replacement was made (so the interrupted
// Recreate stopped it). since "" means no replacement is left to tell: the container is
// the replica's only one, and is started.
func (r *recovery) restore(ctx context.Context, number int, old Container, since string) error {
	p := r.p
	in, err := p.inspect(ctx, old)
	if err != nil {
		return err
	}
	if base, ok := backupBase(old); ok {
		if _, err := r.ren.ContainerRename(ctx, old.ID, client.ContainerRenameOptions{NewName: base}); err != nil {
			return p.engineError("rename "+old.Name+" back to "+base, err)
		}
		r.note(number, old, "renamed "+old.Name+" back to "+base)
		old.Name = base
	}
	if in.State.Running || in.State.Restarting || !stoppedAfter(in.State, since) {
		return nil
	}
	if _, err := p.eng.ContainerStart(ctx, old.ID, client.ContainerStartOptions{}); err != nil {
		return p.engineError("start "+old.Name+" again", err)
	}
	r.started[old.ID] = true
	r.note(number, old, "started "+old.Name+" again")
	return nil
}

// stoppedAfter reports whether a stopped container stopped after since (an RFC 3339 time
// from the daemon). When that cannot be told (since "", times unreadable) it says yes:
// the container is then the replica's only one, and a Compose service's replicas run.
// A container that never ran (FinishedAt the zero time) did not stop after anything.
func stoppedAfter(st *container.State, since string) bool {
	if since == "" {
		return true
	}
	fin, err := time.Parse(time.RFC3339Nano, st.FinishedAt)
	t, err2 := time.Parse(time.RFC3339Nano, since)
	if err != nil || err2 != nil {
		return true
	}
	return fin.After(t)
}

// remove force-removes a container a dead Recreate left, keeping its volumes.
func (r *recovery) remove(ctx context.Context, number int, c Container, what string) error {
	if _, err := r.p.eng.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil && !isNotFound(err) {
		return r.p.engineError("remove "+c.Name, err)
	}
	r.note(number, c, what)
	return nil
}

// inspect inspects a container, requiring its Config and State.
func (p *Project) inspect(ctx context.Context, c Container) (container.InspectResponse, error) {
	res, err := p.eng.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
	if err != nil {
		return container.InspectResponse{}, p.engineError("inspect "+c.Name, err)
	}
	if res.Container.Config == nil || res.Container.State == nil {
		return container.InspectResponse{}, p.engineError("inspect "+c.Name, errors.New("no Config or State"))
	}
	return res.Container, nil
}

func shortID(id string) string { return id[:min(12, len(id))] }

// swap is one replica being recreated, and how far it got.
type swap struct {
	old        Container
	oldRunning bool
	label      string // "web", or the container's name when the service has several
	backup     string // the old container's name while it is kept
	newID      string
	stopped    bool // the old container was stopped
	renamedOld bool // … and renamed to backup
}

// recreateOne replaces one replica; s records each step, for putBack.
func (p *Project) recreateOne(ctx context.Context, ren renamer, s *swap, bp *blueprint, in container.InspectResponse, image, imageID string, o RecreateOptions) error {
	c := s.old
	cfg := copyConfig(bp.config)
	cfg.Image = image
	if _, ok := cfg.Labels[LabelImage]; ok {
		cfg.Labels[LabelImage] = imageID
	}
	if c.Number > 0 {
		cfg.Labels[LabelReplace] = c.Service + bp.sep + strconv.Itoa(c.Number)
	}
	host := *bp.host
	carryAnonymousVolumes(cfg, &host, in.Mounts)

	short := c.ID[:min(12, len(c.ID))]
	tmp := short + "_" + c.Name
	s.backup = c.Name + "_old_" + short
	id, err := p.createFrom(ctx, bp, cfg, &host, tmp, slices.Concat([]string{c.Name, c.Service}, bp.aliases))
	if err != nil {
		return err
	}
	s.newID = id
	if s.oldRunning {
		stop := client.ContainerStopOptions{}
		if o.StopTimeout > 0 {
			secs := int((o.StopTimeout + time.Second - 1) / time.Second)
			stop.Timeout = &secs
		}
		s.stopped = true // a failed stop may have stopped it still
		if _, err := p.eng.ContainerStop(ctx, c.ID, stop); err != nil {
			return p.engineError("stop "+c.Name, err)
		}
	}
	if _, err := ren.ContainerRename(ctx, c.ID, client.ContainerRenameOptions{NewName: s.backup}); err != nil {
		return p.engineError("rename "+c.Name, err)
	}
	s.renamedOld = true
	if _, err := ren.ContainerRename(ctx, id, client.ContainerRenameOptions{NewName: c.Name}); err != nil {
		return p.engineError("rename "+tmp+" to "+c.Name, err)
	}
	if _, err := p.eng.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return &ops.Error{Msg: fmt.Sprintf("the new %s container did not start: %s", s.label, daemonText(err, 300)), Err: err}
	}
	return p.waitUp(ctx, id, s.label, o.WaitHealthy)
}

// carryAnonymousVolumes mounts the old container's anonymous volumes (the ones the daemon
// named with 64 hex digits: image VOLUMEs, unnamed service volumes) at the same places in
// the new one, as Compose does, instead of letting the daemon make empty ones.
func carryAnonymousVolumes(cfg *container.Config, host *container.HostConfig, mounts []container.MountPoint) {
	host.Mounts = slices.Clone(host.Mounts)
	host.Binds = slices.Clone(host.Binds)
	for _, m := range mounts {
		if m.Type != mount.TypeVolume || !isAnonymousVolume(m.Name) {
			continue
		}
		host.Mounts = slices.DeleteFunc(host.Mounts, func(x mount.Mount) bool { return x.Target == m.Destination })
		host.Binds = slices.DeleteFunc(host.Binds, func(b string) bool { return bindTarget(b) == m.Destination })
		delete(cfg.Volumes, m.Destination)
		host.Mounts = append(host.Mounts, mount.Mount{Type: mount.TypeVolume, Source: m.Name, Target: m.Destination, ReadOnly: !m.RW})
	}
}

// isAnonymousVolume reports a volume name the daemon made up: 64 lower-case hex digits.
func isAnonymousVolume(name string) bool {
	if len(name) != 64 {
		return false
	}
	for _, r := range name {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

// bindTarget is the container path of a bind spec: "src:/dst:ro" or "/dst".
func bindTarget(b string) string {
	parts := strings.Split(b, ":")
	if len(parts) == 1 {
		return parts[0]
	}
	return parts[1]
}

// waitUp waits until a started container is healthy, or, without a healthcheck, still up
// after startGrace. A container that exits or restarts meanwhile has failed.
func (p *Project) waitUp(ctx context.Context, id, label string, limit time.Duration) error {
	start := time.Now()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		res, err := p.eng.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return p.engineError("inspect the new "+label, err)
		}
		st := res.Container.State
		if st == nil {
			return p.engineError("inspect the new "+label, errors.New("no State"))
		}
		if !st.Running || st.Restarting || res.Container.RestartCount > 0 {
			why := fmt.Sprintf("the new %s container stopped right after it started (exit code %d)", label, st.ExitCode)
			if line := p.lastLogLine(ctx, id, res.Container.Config != nil && res.Container.Config.Tty); line != "" {
				why += ": " + line
			}
			return &ops.Error{Msg: why}
		}
		took := time.Since(start)
		switch {
		case st.Health == nil:
			if took >= startGrace {
				return nil
			}
		case st.Health.Status == container.Healthy:
			return nil
		case st.Health.Status == container.Unhealthy:
			return &ops.Error{Msg: fmt.Sprintf("%s became unhealthy %s after it started: %s", label, ops.Duration(took.Round(time.Second)), lastHealthOutput(st.Health))}
		case took >= limit:
			return &ops.Error{Msg: fmt.Sprintf("%s did not become healthy within %s: %s", label, ops.Duration(limit.Round(time.Second)), lastHealthOutput(st.Health))}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// lastHealthOutput is the output of the last health probe, on one line.
func lastHealthOutput(h *container.Health) string {
	if h == nil || len(h.Log) == 0 || h.Log[len(h.Log)-1] == nil {
		return "no health probe finished yet"
	}
	r := h.Log[len(h.Log)-1]
	out := CleanLine(strings.Join(strings.Fields(r.Output), " "))
	if out == "" {
		out = "(no output)"
	}
	return firstLine(fmt.Sprintf("exit code %d: %s", r.ExitCode, out), 300)
}

// lastLogLine is the last line a container wrote, to say why it stopped.
func (p *Project) lastLogLine(ctx context.Context, id string, tty bool) string {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	rc, err := p.eng.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "5"})
	if err != nil {
		return ""
	}
	defer rc.Close()
	var buf bytes.Buffer
	if tty {
		_, _ = io.Copy(&buf, io.LimitReader(rc, 64<<10))
	} else {
		_, _ = stdcopy.StdCopy(&buf, &buf, io.LimitReader(rc, 64<<10))
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	return firstLine(CleanLine(lines[len(lines)-1]), 300)
}

// putBack undoes the swaps, last first, with a context of its own, and returns the
// failure that caused it, saying whether the service is back as it was.
func (p *Project) putBack(ctx context.Context, service string, swaps []*swap, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTime)
	defer cancel()
	ren, _ := p.eng.(renamer)
	var errs []error
	for _, s := range slices.Backward(swaps) {
		if s.newID != "" {
			if _, err := p.eng.ContainerRemove(ctx, s.newID, client.ContainerRemoveOptions{Force: true}); err != nil && !isNotFound(err) {
				errs = append(errs, fmt.Errorf("remove the new %s: %w", s.old.Name, err))
				continue // it may still hold the name
			}
		}
		if s.renamedOld {
			if _, err := ren.ContainerRename(ctx, s.old.ID, client.ContainerRenameOptions{NewName: s.old.Name}); err != nil {
				errs = append(errs, fmt.Errorf("rename %s back to %s: %w", s.backup, s.old.Name, err))
			}
		}
		if s.stopped && s.oldRunning {
			if _, err := p.eng.ContainerStart(ctx, s.old.ID, client.ContainerStartOptions{}); err != nil {
				errs = append(errs, fmt.Errorf("start %s again: %w", s.old.Name, err))
			}
		}
	}
	var safe *ops.Error
	msg, hint := "", ""
	switch {
	case errors.As(cause, &safe):
		msg = safe.Msg
	case errors.Is(cause, context.DeadlineExceeded):
		msg = "timed out"
	case errors.Is(cause, context.Canceled):
		msg = "cancelled"
	default:
		msg = "recreate failed (the bot's log has the details)"
	}
	if len(swaps) == 0 {
		return &ops.Error{Msg: msg, Hint: hintOf(cause), Err: cause}
	}
	if len(errs) > 0 {
		err := errors.Join(append([]error{cause}, errs...)...)
		p.log.Error().Err(err).Str("service", service).Msg("recreate failed, and so did putting the old containers back")
		return &ops.Error{
			Msg:  msg + "; putting the old " + service + " container back failed as well",
			Hint: "look at `ps`; `docker compose up -d` in the project directory brings the service back as its compose file says",
			Err:  err,
		}
	}
	p.log.Warn().Err(cause).Str("service", service).Msg("recreate failed; old containers put back")
	hint = fmt.Sprintf("nothing changed: %s runs its old image again", service)
	if h := hintOf(cause); h != "" {
		hint += "; " + h
	}
	return &ops.Error{Msg: msg, Hint: hint, Err: cause}
}

func hintOf(err error) string {
	var safe *ops.Error
	if errors.As(err, &safe) {
		return safe.Hint
	}
	return ""
}
