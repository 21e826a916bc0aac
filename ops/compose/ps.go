package compose

import (
	"context"
	"sync"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// Status is what ps shows: every service with its replicas, then the one-offs.
type Status struct {
	Project  string
	Services []ServiceStatus // in dependency order
	OneOffs  []Replica
}

// ServiceStatus is one service in ps.
type ServiceStatus struct {
	Name     string
	Replicas []Replica // by container-number
}

// Running counts the replicas that are running.
func (s ServiceStatus) Running() int {
	n := 0
	for _, r := range s.Replicas {
		if r.State == "running" {
			n++
		}
	}
	return n
}

// Replica is one container in ps, with what its inspection adds to the listing.
type Replica struct {
	Name          string
	Number        int
	State         string // running, exited, restarting, paused, created, dead
	Health        string // healthy, unhealthy, starting; "" without a healthcheck
	ExitCode      int
	StartedAt     time.Time
	FinishedAt    time.Time
	Image         string // as configured: ghcr.io/mastodon/mastodon:v4.5.0
	RestartCount  int
	RestartPolicy string // always, unless-stopped, on-failure, no
}

// inspectParallel bounds concurrent inspections: enough to hide the round trips of a
// 20-container project, few enough not to load the daemon.
const inspectParallel = 8

// Ps lists the project's services and replicas with state, health and uptime: one list
// and one inspection per container (for health, exit code and start time), as compose ps
// does.
func (p *Project) Ps(ctx context.Context) (*Status, error) {
	snap, err := p.discover(ctx, p.eng)
	if err != nil {
		return nil, err
	}
	var all []Container
	for _, svc := range snap.Services {
		all = append(all, svc.Containers...)
	}
	all = append(all, snap.OneOffs...)
	replicas, err := p.inspectAll(ctx, all)
	if err != nil {
		return nil, err
	}
	st := &Status{Project: p.name}
	i := 0
	for _, svc := range snap.Services {
		ss := ServiceStatus{Name: svc.Name}
		for range svc.Containers {
			ss.Replicas = append(ss.Replicas, replicas[i])
			i++
		}
		st.Services = append(st.Services, ss)
	}
	st.OneOffs = replicas[i:]
	return st, nil
}

// inspectAll inspects containers concurrently, keeping their order. A container removed
// in the meantime keeps what the listing said.
func (p *Project) inspectAll(ctx context.Context, cs []Container) ([]Replica, error) {
	out := make([]Replica, len(cs))
	errs := make([]error, len(cs))
	sem := make(chan struct{}, inspectParallel)
	var wg sync.WaitGroup
	for i, c := range cs {
		out[i] = Replica{Name: c.Name, Number: c.Number, State: c.State, Image: c.Image}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			res, err := p.eng.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
			if err != nil {
				if !isNotFound(err) {
					errs[i] = err
				}
				return
			}
			fillReplica(&out[i], res.Container)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, p.engineError("inspect a container", err)
		}
	}
	return out, nil
}

func fillReplica(r *Replica, in container.InspectResponse) {
	if s := in.State; s != nil {
		r.State = string(s.Status)
		r.ExitCode = s.ExitCode
		r.StartedAt = parseTime(s.StartedAt)
		r.FinishedAt = parseTime(s.FinishedAt)
		if s.Health != nil && s.Health.Status != container.NoHealthcheck {
			r.Health = string(s.Health.Status)
		}
	}
	if in.Config != nil && in.Config.Image != "" {
		r.Image = in.Config.Image
	}
	r.RestartCount = in.RestartCount
	if in.HostConfig != nil {
		r.RestartPolicy = string(in.HostConfig.RestartPolicy.Name)
	}
}

// parseTime reads the daemon's RFC 3339 times; "0001-01-01T00:00:00Z" is the zero time.
func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil || t.Year() <= 1 {
		return time.Time{}
	}
	return t
}
