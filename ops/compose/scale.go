package compose

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/moby/moby/client"

	"github.com/tootops/tootops/ops"
)

// ScalePlan says what Scale will do.
type ScalePlan struct {
	Service  string
	From, To int      // replicas now, and wanted
	Template string   // the replica new ones are made from
	Create   []string // new replicas, in order
	Remove   []string // replicas stopped and removed, in order
	Stop     []string // the replica kept, stopped, when scaling to 0
	Start    []string // kept replicas that are not running and will be started
}

// ScaleOutcome is what Scale did.
type ScaleOutcome struct {
	Plan    *ScalePlan
	Created []string
	Started []string
	Removed []string
	Stopped []string
}

// PlanScale computes what Scale would do, changing nothing.
func (p *Project) PlanScale(ctx context.Context, service string, n int) (*ScalePlan, error) {
	pl, _, err := p.planScale(ctx, service, n)
	return pl, err
}

// scaleWork is a plan with the containers and the blueprint behind it.
type scaleWork struct {
	bp                   *blueprint
	numbers              []int
	remove, start, stopc []Container
}

func (p *Project) planScale(ctx context.Context, service string, n int) (*ScalePlan, *scaleWork, error) {
	if n < 0 {
		return nil, nil, &ops.Error{Msg: "a service cannot have fewer than 0 containers"}
	}
	svc, err := p.discoverService(ctx, service)
	if err != nil {
		return nil, nil, err
	}
	current, obsolete := splitUpToDate(svc.Containers)
	if len(current) == 0 {
		return nil, nil, &ops.Error{Msg: fmt.Sprintf("service %s has no container to copy", service)}
	}
	tmpl := current[0]
	pl := &ScalePlan{Service: service, From: len(svc.Containers), To: n, Template: tmpl.Name}
	w := &scaleWork{}
	// Like compose: keep up-to-date replicas by ascending number; remove outdated ones
	// first, then the highest numbers.
	keep := slices.Concat(current, obsolete)
	if n < len(keep) {
		gone := slices.Clone(keep[max(n, 1):])
		slices.Reverse(gone)
		slices.SortStableFunc(gone, func(a, b Container) int {
			return cmp.Compare(boolInt(isCurrent(a, current)), boolInt(isCurrent(b, current)))
		})
		w.remove = gone
		keep = keep[:max(n, 1)]
		if n == 0 && keep[0].Running() {
			// Keep one replica (the lowest up-to-date), stopped: the bot makes new
			// replicas from an existing one, so it never removes the last (compose
			// would recreate it from the YAML).
			w.stopc = keep[:1]
		}
	}
	for _, c := range w.remove {
		pl.Remove = append(pl.Remove, c.Name)
	}
	for _, c := range w.stopc {
		pl.Stop = append(pl.Stop, c.Name)
	}
	if n > 0 {
		for _, c := range keep {
			if !c.Running() {
				w.start = append(w.start, c)
				pl.Start = append(pl.Start, c.Name)
			}
		}
	}
	if n > len(svc.Containers) {
		bp, err := p.blueprintOf(ctx, tmpl)
		if err != nil {
			return nil, nil, err
		}
		if port := fixedHostPort(bp.host); port != "" {
			return nil, nil, &ops.Error{
				Msg:  fmt.Sprintf("cannot scale %s: it publishes the fixed host port %s, which a second container could not bind", service, port),
				Hint: "scale services without fixed host ports, such as sidekiq",
			}
		}
		w.bp = bp
		next := 0
		for _, c := range svc.Containers {
			next = max(next, c.Number)
		}
		for range n - len(svc.Containers) {
			next++
			w.numbers = append(w.numbers, next)
			pl.Create = append(pl.Create, p.name+bp.sep+service+bp.sep+strconv.Itoa(next))
		}
	}
	return pl, w, nil
}

// splitUpToDate tells the replicas made from the service's latest configuration (the
// config-hash and image of the most recently created replica; the listing gives creation
// times in seconds, so among replicas made in the same second the highest number, made
// last by a scale up) from outdated ones, each in container-number order.
func splitUpToDate(cs []Container) (current, obsolete []Container) {
	if len(cs) == 0 {
		return nil, nil
	}
	newest := cs[0]
	for _, c := range cs[1:] {
		if c.Created.After(newest.Created) || (c.Created.Equal(newest.Created) && c.Number > newest.Number) {
			newest = c
		}
	}
	for _, c := range cs {
		if c.Labels[LabelConfigHash] == newest.Labels[LabelConfigHash] && c.Labels[LabelImage] == newest.Labels[LabelImage] {
			current = append(current, c)
		} else {
			obsolete = append(obsolete, c)
		}
	}
	return current, obsolete
}

func isCurrent(c Container, current []Container) bool {
	return slices.ContainsFunc(current, func(k Container) bool { return k.ID == c.ID })
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// Scale sets the number of replicas of a service with Compose's semantics: new replicas
// take the numbers after the highest, are made from the lowest up-to-date replica (see
// blueprintOf) and answer to the service name on every network; scaling down stops and
// removes outdated replicas first, then the highest numbers. A service that publishes a
// fixed host port is not scaled up. Scaling to 0 keeps one replica, stopped, to copy from
// later. What was done before a failure is in the outcome returned with the error.
func (p *Project) Scale(ctx context.Context, service string, n int, progress ops.Progress) (*ScaleOutcome, error) {
	defer progress.Done()
	pl, w, err := p.planScale(ctx, service, n)
	if err != nil {
		return nil, err
	}
	out := &ScaleOutcome{Plan: pl}
	total := int64(len(pl.Create) + len(pl.Remove) + len(pl.Start) + len(pl.Stop))
	step := func(note string) {
		progress.Report(int64(len(out.Created)+len(out.Removed)+len(out.Started)+len(out.Stopped)), total, note)
	}
	defer func() {
		p.log.Info().Str("service", service).Int("from", pl.From).Int("to", n).Strs("created", out.Created).Strs("removed", out.Removed).Msg("compose scale")
	}()
	for i, num := range w.numbers {
		name := pl.Create[i]
		step("creating " + name)
		cfg := copyConfig(w.bp.config)
		cfg.Labels[LabelNumber] = strconv.Itoa(num)
		host := *w.bp.host
		id, err := p.createFrom(ctx, w.bp, cfg, &host, name, slices.Concat([]string{name, service}, w.bp.aliases))
		if err != nil {
			return out, err
		}
		if _, err := p.eng.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
			p.removeQuietly(ctx, id)
			return out, p.engineError("start "+name, err)
		}
		out.Created = append(out.Created, name)
	}
	for _, c := range w.start {
		step("starting " + c.Name)
		if _, err := p.eng.ContainerStart(ctx, c.ID, client.ContainerStartOptions{}); err != nil {
			return out, p.engineError("start "+c.Name, err)
		}
		out.Started = append(out.Started, c.Name)
	}
	for _, c := range w.remove {
		step("removing " + c.Name)
		if _, err := p.eng.ContainerStop(ctx, c.ID, client.ContainerStopOptions{}); err != nil && !isNotFound(err) {
			return out, p.engineError("stop "+c.Name, err)
		}
		if _, err := p.eng.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true}); err != nil && !isNotFound(err) {
			return out, p.engineError("remove "+c.Name, err)
		}
		out.Removed = append(out.Removed, c.Name)
	}
	for _, c := range w.stopc {
		step("stopping " + c.Name)
		if _, err := p.eng.ContainerStop(ctx, c.ID, client.ContainerStopOptions{}); err != nil && !isNotFound(err) {
			return out, p.engineError("stop "+c.Name, err)
		}
		out.Stopped = append(out.Stopped, c.Name)
	}
	progress.Report(total, total, "done")
	return out, nil
}
