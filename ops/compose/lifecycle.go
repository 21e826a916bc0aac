package compose

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/ops"
)

// Action is what Do does to a service.
type Action string

// The actions of Do.
const (
	Start   Action = "start"
	Stop    Action = "stop"
	Restart Action = "restart"
)

// All names every service of the project, for Do and PlanAction. A service that is really
// called "all" wins over it.
const All = "all"

// Step is one service's part of a plan, in the order it is acted on.
type Step struct {
	Service    string
	Containers []Container
	Why        string // why a service other than the one asked for is touched
}

// Plan says which containers an action touches, in what order. It is computed from the
// containers as they are; Do computes it again when it runs.
type Plan struct {
	Action  Action
	Target  string // a service, or All
	Steps   []Step
	Already []string // containers already as wanted: running for start, stopped for stop
}

// Containers counts the containers the plan acts on.
func (pl *Plan) Containers() int {
	n := 0
	for _, s := range pl.Steps {
		n += len(s.Containers)
	}
	return n
}

// ActionOptions adjust Do.
type ActionOptions struct {
	// Timeout is how long stop and restart wait for a clean exit before SIGKILL; nil
	// leaves it to each container (Compose's stop_grace_period, 10 s by default).
	Timeout *time.Duration
	// HealthWait is how long start and restart wait for a container with a healthcheck
	// to become healthy before going on; 0 means DefaultHealthWait, < 0 does not wait.
	HealthWait time.Duration
}

// DefaultHealthWait is how long start and restart wait for a healthcheck.
const DefaultHealthWait = 90 * time.Second

// Outcome is what Do did.
type Outcome struct {
	Plan *Plan
	Done []string // containers acted on, in order
	// RestartAlways lists stopped containers whose restart policy is "always": the daemon
	// starts them again when it restarts (or the host reboots).
	RestartAlways []string
	// Health is the health of started containers that have a healthcheck, when Do stopped
	// waiting: healthy, unhealthy or starting.
	Health map[string]string
}

// PlanAction computes what Do would do, changing nothing.
func (p *Project) PlanAction(ctx context.Context, a Action, service string) (*Plan, error) {
	snap, err := p.discover(ctx, p.eng)
	if err != nil {
		return nil, err
	}
	return p.plan(snap, a, service)
}

func (p *Project) plan(snap *Snapshot, a Action, target string) (*Plan, error) {
	pl := &Plan{Action: a, Target: target}
	all := target == All
	if _, ok := snap.Service(target); ok {
		all = false
	} else if !all {
		if _, err := p.service(snap, target); err != nil {
			return nil, err
		}
	}
	switch a {
	case Start:
		want := map[string]string{}
		if all {
			for _, n := range snap.Names() {
				want[n] = ""
			}
		} else {
			want[target] = ""
			addDependencies(snap, target, target, want)
		}
		for _, svc := range snap.Services {
			why, ok := want[svc.Name]
			if !ok {
				continue
			}
			step := Step{Service: svc.Name, Why: why}
			for _, c := range svc.Containers {
				if c.Running() {
					pl.Already = append(pl.Already, c.Name)
				} else {
					step.Containers = append(step.Containers, c)
				}
			}
			if len(step.Containers) > 0 {
				pl.Steps = append(pl.Steps, step)
			}
		}
	case Stop:
		for i := len(snap.Services) - 1; i >= 0; i-- {
			svc := snap.Services[i]
			if !all && svc.Name != target {
				continue
			}
			step := Step{Service: svc.Name}
			for j := len(svc.Containers) - 1; j >= 0; j-- {
				if c := svc.Containers[j]; c.Running() {
					step.Containers = append(step.Containers, c)
				} else {
					pl.Already = append(pl.Already, c.Name)
				}
			}
			if len(step.Containers) > 0 {
				pl.Steps = append(pl.Steps, step)
			}
		}
	case Restart:
		// Like compose restart: the service, then the services that depend on it with
		// restart: true, in dependency order.
		want := map[string]bool{target: true}
		for changed := !all; changed; {
			changed = false
			for _, svc := range snap.Services {
				for _, d := range svc.DependsOn {
					if d.Restart && want[d.Service] && !want[svc.Name] {
						want[svc.Name], changed = true, true
					}
				}
			}
		}
		for _, svc := range snap.Services {
			if !all && !want[svc.Name] {
				continue
			}
			step := Step{Service: svc.Name, Containers: slices.Clone(svc.Containers)}
			if !all && svc.Name != target {
				step.Why = "depends on " + target + " with restart: true"
			}
			pl.Steps = append(pl.Steps, step)
		}
	default:
		return nil, fmt.Errorf("compose: unknown action %q", a)
	}
	return pl, nil
}

// addDependencies adds what name needs, transitively, to want.
func addDependencies(snap *Snapshot, name, target string, want map[string]string) {
	svc, ok := snap.Service(name)
	if !ok {
		return
	}
	for _, d := range svc.DependsOn {
		if _, seen := want[d.Service]; seen {
			continue
		}
		if _, exists := snap.Service(d.Service); !exists {
			continue
		}
		want[d.Service] = "needed by " + target
		addDependencies(snap, d.Service, target, want)
	}
}

// Do starts, stops or restarts a service (or All) in depends_on order: dependencies
// first for start (and waited for when their condition is service_healthy), the reverse
// for stop. Replicas stop together and start one at a time; a restart is rolling, waiting
// for each replica's healthcheck before the next. What was done before a failure is in the
// Outcome returned with the error.
func (p *Project) Do(ctx context.Context, a Action, service string, o ActionOptions, progress ops.Progress) (*Outcome, error) {
	defer progress.Done()
	snap, err := p.discover(ctx, p.eng)
	if err != nil {
		return nil, err
	}
	pl, err := p.plan(snap, a, service)
	if err != nil {
		return nil, err
	}
	if o.HealthWait == 0 {
		o.HealthWait = DefaultHealthWait
	}
	var timeout *int
	if o.Timeout != nil {
		secs := int(o.Timeout.Round(time.Second) / time.Second)
		timeout = &secs
	}
	out := &Outcome{Plan: pl, Health: map[string]string{}}
	total := int64(pl.Containers())
	log := p.log.Info().Str("action", string(a)).Str("service", service)
	defer func() { log.Strs("done", out.Done).Msg("compose action") }()

	for si, step := range pl.Steps {
		switch a {
		case Stop:
			progress.Report(int64(len(out.Done)), total, "stopping "+step.Service)
			done, err := p.stopAll(ctx, step.Containers, timeout)
			out.Done = append(out.Done, done...)
			if err != nil {
				return out, err
			}
		case Start, Restart:
			for _, c := range step.Containers {
				verb := "starting "
				if a == Restart {
					verb = "restarting "
				}
				progress.Report(int64(len(out.Done)), total, verb+c.Name)
				if a == Start {
					_, err = p.eng.ContainerStart(ctx, c.ID, client.ContainerStartOptions{})
				} else {
					_, err = p.eng.ContainerRestart(ctx, c.ID, client.ContainerRestartOptions{Timeout: timeout})
				}
				if err != nil {
					return out, p.engineError(fmt.Sprintf("%s %s", a, c.Name), err)
				}
				out.Done = append(out.Done, c.Name)
				// A rolling restart waits for each replica; a start waits at the end of the
				// service when a later service needs it healthy, or it is the last step.
				if a == Restart && o.HealthWait > 0 {
					if err := p.waitHealth(ctx, c, o.HealthWait, out.Health); err != nil {
						return out, err
					}
				}
			}
			if a == Start && o.HealthWait > 0 && (si == len(pl.Steps)-1 || neededHealthy(snap, step.Service)) {
				for _, c := range step.Containers {
					if err := p.waitHealth(ctx, c, o.HealthWait, out.Health); err != nil {
						return out, err
					}
				}
			}
		}
	}
	if a == Stop {
		out.RestartAlways = p.restartAlways(ctx, pl)
	}
	progress.Report(total, total, "done")
	return out, nil
}

// neededHealthy reports whether a service depends on name with condition service_healthy.
func neededHealthy(snap *Snapshot, name string) bool {
	for _, svc := range snap.Services {
		for _, d := range svc.DependsOn {
			if d.Service == name && d.Condition == "service_healthy" {
				return true
			}
		}
	}
	return false
}

// stopAll stops containers together, as compose stop does within a service.
func (p *Project) stopAll(ctx context.Context, cs []Container, timeout *int) ([]string, error) {
	errs := make([]error, len(cs))
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Go(func() {
			_, err := p.eng.ContainerStop(ctx, c.ID, client.ContainerStopOptions{Timeout: timeout})
			if err != nil && !isNotFound(err) {
				errs[i] = p.engineError("stop "+c.Name, err)
			}
		})
	}
	wg.Wait()
	var done []string
	var first error
	for i, c := range cs {
		if errs[i] == nil {
			done = append(done, c.Name)
		} else if first == nil {
			first = errs[i]
		}
	}
	return done, first
}

// waitHealth waits until c's healthcheck says healthy or unhealthy, or d passes, and
// records the status. A container without a healthcheck is not waited for.
func (p *Project) waitHealth(ctx context.Context, c Container, d time.Duration, health map[string]string) error {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		res, err := p.eng.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
		if err != nil {
			return p.engineError("inspect "+c.Name, err)
		}
		st := res.Container.State
		if st == nil || st.Health == nil || st.Health.Status == container.NoHealthcheck {
			return nil
		}
		health[c.Name] = string(st.Health.Status)
		if st.Health.Status != container.Starting || !st.Running {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return nil
		case <-tick.C:
		}
	}
}

// restartAlways lists the stopped containers that the daemon will start again.
func (p *Project) restartAlways(ctx context.Context, pl *Plan) []string {
	var out []string
	for _, s := range pl.Steps {
		for _, c := range s.Containers {
			res, err := p.eng.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
			if err == nil && res.Container.HostConfig != nil && res.Container.HostConfig.RestartPolicy.Name == container.RestartPolicyAlways {
				out = append(out, c.Name)
			}
		}
	}
	return out
}
