package compose

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/ops"
)

// KeepLines is how many of the last output lines of a one-off RunResult keeps.
const KeepLines = 30

// killWait bounds how long a cancelled one-off may take to die and be removed.
const killWait = 20 * time.Second

// RunPlan says what Run would do.
type RunPlan struct {
	Service  string
	Template string // the replica whose configuration the one-off copies
	Command  []string
}

// RunResult is what a one-off did.
type RunResult struct {
	Container string
	ExitCode  int
	Lines     int      // output lines in all
	Tail      []string // the last KeepLines of them, cleaned
	Took      time.Duration
}

// CheckCommand reports whether the policy lets Run start cmd (an *ops.Error says why not).
// It touches nothing, so the bot can refuse a command as soon as it is read.
func (p *Project) CheckCommand(cmd []string) error { return p.policy.Check(cmd) }

// AllowedCommands lists the command prefixes the policy allows.
func (p *Project) AllowedCommands() []string { return p.policy.Allowed() }

// PlanRun checks the command and the service, changing nothing.
func (p *Project) PlanRun(ctx context.Context, service string, cmd []string) (*RunPlan, error) {
	if err := p.policy.Check(cmd); err != nil {
		return nil, err
	}
	tmpl, err := p.oneOffTemplate(ctx, service)
	if err != nil {
		return nil, err
	}
	return &RunPlan{Service: service, Template: tmpl.Name, Command: cmd}, nil
}

func (p *Project) oneOffTemplate(ctx context.Context, service string) (Container, error) {
	svc, err := p.discoverService(ctx, service)
	if err != nil {
		return Container{}, err
	}
	current, _ := splitUpToDate(svc.Containers)
	return current[0], nil
}

// Run starts cmd in a one-off container of the service, like `docker compose run --rm -T
// SERVICE CMD…`, streams its output as progress and returns its exit code. The command must
// pass the policy. A non-zero exit is not an error: it is in the result.
func (p *Project) Run(ctx context.Context, service string, cmd []string, progress ops.Progress) (*RunResult, error) {
	defer progress.Done()
	if err := p.policy.Check(cmd); err != nil {
		return nil, err
	}
	return p.runOneOffWith(ctx, service, cmd, nil, nil, progress)
}

// RunImage runs cmd in a one-off container of the service made from image instead of the
// service's own, with env added, outside the policy: the upgrade's migrations run this
// way, in the NEW image while the service still runs the old one (`docker compose run
// --rm -T -e SKIP_POST_DEPLOYMENT_MIGRATIONS=true web bundle exec rails db:migrate` after
// the image line changed). The image's own defaults apply, as for a recreated container.
func (p *Project) RunImage(ctx context.Context, service, image string, env, cmd []string, progress ops.Progress) (*RunResult, error) {
	defer progress.Done()
	return p.runOneOffWith(ctx, service, cmd, nil, &oneOffOverride{image: image, env: env}, progress)
}

// oneOffOverride changes what a one-off is made from.
type oneOffOverride struct {
	image string
	env   []string
}

// runOneOff runs a one-off container: labelled oneoff=True with a slug and no
// container-number, no published ports, no restart policy, known on its networks only by
// its own name, removed by the daemon when it exits. The wait for its removal is
// registered before it starts. When ctx ends first, the container is killed and removed.
func (p *Project) runOneOff(ctx context.Context, service string, cmd []string, onLine func(stderr bool, line string), progress ops.Progress) (*RunResult, error) {
	return p.runOneOffWith(ctx, service, cmd, onLine, nil, progress)
}

func (p *Project) runOneOffWith(ctx context.Context, service string, cmd []string, onLine func(stderr bool, line string), o *oneOffOverride, progress ops.Progress) (*RunResult, error) {
	started := time.Now()
	tmpl, err := p.oneOffTemplate(ctx, service)
	if err != nil {
		return nil, err
	}
	bp, err := p.blueprintOf(ctx, tmpl)
	if err != nil {
		return nil, err
	}
	slug := randomHex(32)
	name := p.name + bp.sep + service + bp.sep + "run" + bp.sep + slug[:12]
	cfg := copyConfig(bp.config)
	cfg.Cmd = cmd
	if o != nil {
		img, err := p.eng.ImageInspect(ctx, o.image)
		if err != nil {
			return nil, p.engineError("find image "+o.image, err)
		}
		cfg.Image = o.image
		if _, ok := cfg.Labels[LabelImage]; ok {
			cfg.Labels[LabelImage] = img.ID
		}
		cfg.Env = append(cfg.Env, o.env...)
	}
	cfg.Tty, cfg.OpenStdin, cfg.StdinOnce, cfg.AttachStdin = false, false, false, false
	cfg.AttachStdout, cfg.AttachStderr = true, true
	delete(cfg.Labels, LabelNumber)
	cfg.Labels[LabelOneOff] = "True"
	cfg.Labels[LabelSlug] = slug
	host := *bp.host
	host.PortBindings, host.PublishAllPorts = nil, false
	host.RestartPolicy = container.RestartPolicy{Name: container.RestartPolicyDisabled}
	host.AutoRemove = true

	id, err := p.createFrom(ctx, bp, cfg, &host, name, []string{name})
	if err != nil {
		return nil, err
	}
	log := p.log.With().Str("oneoff", name).Logger()
	log.Info().Strs("cmd", cmd).Msg("one-off created")
	res := &RunResult{Container: name}

	att, err := p.eng.ContainerAttach(ctx, id, client.ContainerAttachOptions{Stream: true, Stdout: true, Stderr: true})
	if err != nil {
		p.removeQuietly(ctx, id)
		return nil, p.engineError("attach to "+name, err)
	}
	defer att.Close()
	// The wait outlives ctx, so that a cancelled one-off can still be seen removed.
	waitCtx, stopWait := context.WithCancel(context.WithoutCancel(ctx))
	wait := p.eng.ContainerWait(waitCtx, id, client.ContainerWaitOptions{Condition: container.WaitConditionRemoved})
	waited := false
	defer func() {
		stopWait()
		if !waited {
			// The client's wait goroutine sends its one answer unbuffered: take it, so
			// that the goroutine ends.
			go func() {
				select {
				case <-wait.Result:
				case <-wait.Error:
				}
			}()
		}
	}()

	var mu sync.Mutex
	var tail []string
	line := func(stderr bool) *lineWriter {
		return &lineWriter{emit: func(b []byte) {
			text := CleanLine(string(b))
			mu.Lock()
			res.Lines++
			if len(tail) == 2*KeepLines {
				tail = append(tail[:0], tail[KeepLines:]...)
			}
			tail = append(tail, text)
			mu.Unlock()
			if onLine != nil {
				onLine(stderr, text)
			}
			if text != "" {
				progress.Report(0, 0, text) // the last line is the news, not how many
			}
		}}
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		stdout, stderr := line(false), line(true)
		_, _ = stdcopy.StdCopy(stdout, stderr, att.Reader)
		stdout.flush()
		stderr.flush()
	}()

	progress.Report(0, 0, "starting "+name)
	if _, err := p.eng.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		p.removeQuietly(ctx, id)
		return nil, p.engineError("start "+name, err)
	}

	finish := func() {
		select {
		case <-copied:
		case <-time.After(5 * time.Second):
		}
		mu.Lock()
		defer mu.Unlock()
		if len(tail) > KeepLines {
			tail = tail[len(tail)-KeepLines:]
		}
		res.Tail = append([]string(nil), tail...)
		res.Took = time.Since(started)
	}
	select {
	case r := <-wait.Result:
		waited = true
		finish()
		res.ExitCode = int(r.StatusCode)
		if r.Error != nil && r.Error.Message != "" {
			return res, p.engineError("wait for "+name, errors.New(r.Error.Message))
		}
		log.Info().Int("exit", res.ExitCode).Dur("took", res.Took).Msg("one-off ended")
		return res, nil
	case err := <-wait.Error:
		waited = true
		finish()
		return res, p.engineError("wait for "+name, err)
	case <-ctx.Done():
	}
	// Cancelled or timed out: kill it, and make sure it is gone.
	kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), killWait)
	defer cancel()
	if _, err := p.eng.ContainerKill(kctx, id, client.ContainerKillOptions{Signal: "KILL"}); err != nil && !isNotFound(err) && !isConflict(err) {
		log.Warn().Err(err).Msg("could not kill a one-off")
	}
	removed := false
	select {
	case r := <-wait.Result:
		waited, removed, res.ExitCode = true, true, int(r.StatusCode)
	case <-wait.Error:
		waited = true
	case <-kctx.Done():
	}
	if !removed {
		p.removeQuietly(ctx, id)
	}
	finish()
	log.Info().Err(ctx.Err()).Msg("one-off killed and removed")
	return res, &cancelled{err: ctx.Err(), name: name}
}

// cancelled is a one-off ended by its context: the text says it was cleaned up.
type cancelled struct {
	err  error
	name string
}

func (c *cancelled) Error() string {
	return fmt.Sprintf("%v: one-off %s killed and removed", c.err, c.name)
}
func (c *cancelled) Unwrap() error { return c.err }

// Safe says what happened, for the admin.
func (c *cancelled) Safe() string {
	what := "cancelled"
	if errors.Is(c.err, context.DeadlineExceeded) {
		what = "timed out"
	}
	return what + "; the one-off container " + c.name + " was killed and removed"
}
