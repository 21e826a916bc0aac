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
func (p *Project) Recreate(ctx context.Context, service, image string, o RecreateOptions, progress ops.Progress) (*Recreated, error) {
	defer progress.Done()
	ren, ok := p.eng.(renamer)
	if !ok {
		return nil, errors.New("compose: this engine cannot rename containers")
	}
	if o.WaitHealthy <= 0 {
		o.WaitHealthy = DefaultWaitHealthy
	}
	snap, err := p.discover(ctx, p.eng)
	if err != nil {
		return nil, err
	}
	svc, err := p.service(snap, service)
	if err != nil {
		return nil, err
	}
	if err := checkReplicas(svc); err != nil {
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
		if in.Container.Image == img.ID && in.Container.Config.Image == image {
			out.Unchanged = append(out.Unchanged, c.Name)
			continue
		}
		bp, err := p.blueprintOf(ctx, c)
		if err != nil {
			return fail(err)
		}
		label := c.Name
		if len(svc.Containers) == 1 {
			label = service
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
	p.log.Info().Str("service", service).Str("from", out.From).Str("to", image).Strs("recreated", out.Containers).Msg("compose recreate")
	return out, nil
}

// checkReplicas refuses a service with two containers of one number: what an interrupted
// recreate leaves behind (the old container under another name, or a new one not yet
// renamed), which needs a look by a person.
func checkReplicas(svc *Service) error {
	seen := map[int]string{}
	for _, c := range svc.Containers {
		if other, dup := seen[c.Number]; dup {
			return &ops.Error{
				Msg:  fmt.Sprintf("service %s has two containers numbered %d: %s and %s", svc.Name, c.Number, other, c.Name),
				Hint: "an earlier recreate was interrupted: remove the one not running the service (docker rm), then try again",
			}
		}
		seen[c.Number] = c.Name
	}
	return nil
}

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
			return &ops.Error{Msg: fmt.Sprintf("%s became unhealthy %s after it started: %s", label, shortDuration(took), lastHealthOutput(st.Health))}
		case took >= limit:
			return &ops.Error{Msg: fmt.Sprintf("%s did not become healthy within %s: %s", label, shortDuration(limit), lastHealthOutput(st.Health))}
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

// shortDuration writes 2m rather than 2m0s.
func shortDuration(d time.Duration) string {
	d = d.Round(time.Second)
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
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
