package compose

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/ops"
)

// The labels Compose puts on containers (v2 pkg/api/labels.go; v1 compose/const.py).
const (
	LabelProject     = "com.docker.compose.project"
	LabelService     = "com.docker.compose.service"
	LabelNumber      = "com.docker.compose.container-number"
	LabelOneOff      = "com.docker.compose.oneoff"
	LabelSlug        = "com.docker.compose.slug"
	LabelConfigHash  = "com.docker.compose.config-hash"
	LabelImage       = "com.docker.compose.image"
	LabelDependsOn   = "com.docker.compose.depends_on"
	LabelWorkingDir  = "com.docker.compose.project.working_dir"
	LabelConfigFiles = "com.docker.compose.project.config_files"
	LabelVersion     = "com.docker.compose.version"
	LabelReplace     = "com.docker.compose.replace"
)

// Container is one container of the project, as listed.
type Container struct {
	ID      string
	Name    string // without the leading "/": mastodon-web-1, mastodon_web_1
	Service string
	Number  int  // com.docker.compose.container-number; 0 for a one-off
	OneOff  bool // a `compose run` container
	State   string
	Status  string // the daemon's words: "Up 2 hours (healthy)"
	Image   string // the image as configured: ghcr.io/mastodon/mastodon:v4.5.0
	ImageID string
	Created time.Time
	Labels  map[string]string
}

// Running reports whether the container is running (or restarting, or paused: it holds
// its resources and a stop acts on it).
func (c Container) Running() bool {
	return c.State == "running" || c.State == "restarting" || c.State == "paused"
}

// Dependency is one entry of a service's depends_on.
type Dependency struct {
	Service   string
	Condition string // service_started, service_healthy, service_completed_successfully
	Restart   bool   // restart this service when the dependency is restarted
}

// Service is one Compose service: its replicas in container-number order.
type Service struct {
	Name       string
	Containers []Container
	DependsOn  []Dependency
}

// Snapshot is the project as found on the daemon at one moment.
type Snapshot struct {
	Project    string
	Services   []Service // in dependency order: what starts first comes first
	OneOffs    []Container
	WorkingDir string
	Compose    string // com.docker.compose.version: "2.40.3", "1.29.2"
	// BuiltinOrder is set when no container carries a depends_on label (Compose v1, or
	// containers made by hand) and Mastodon's own order was assumed: db and redis first.
	BuiltinOrder bool
}

// Service returns the named service.
func (s *Snapshot) Service(name string) (*Service, bool) {
	for i := range s.Services {
		if s.Services[i].Name == name {
			return &s.Services[i], true
		}
	}
	return nil, false
}

// Names lists the services in dependency order.
func (s *Snapshot) Names() []string {
	out := make([]string, len(s.Services))
	for i, svc := range s.Services {
		out[i] = svc.Name
	}
	return out
}

// mastodonDeps is the order assumed when the containers do not say: Mastodon's
// docker-compose.yml makes web, streaming and sidekiq depend on db and redis.
var mastodonDeps = map[string][]string{
	"web":       {"db", "redis"},
	"streaming": {"db", "redis"},
	"sidekiq":   {"db", "redis"},
}

// Discover lists the project's containers, stopped ones included, and groups them by
// service. It fails with an *ops.Error when the daemon cannot be reached or the project
// has no containers.
func (p *Project) Discover(ctx context.Context) (*Snapshot, error) {
	return p.discover(ctx, p.eng)
}

func (p *Project) discover(ctx context.Context, eng lister) (*Snapshot, error) {
	// The label filters are ANDed by the daemon. Like Compose, require the config-hash
	// label, so that a container merely labelled with the project is not ours.
	res, err := eng.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", LabelProject+"="+p.name, LabelConfigHash),
	})
	if err != nil {
		return nil, p.engineError("list the containers", err)
	}
	snap := &Snapshot{Project: p.name}
	byService := map[string]*Service{}
	var otherDirs []string
	for _, s := range res.Items {
		c := containerOf(s)
		if c.Service == "" {
			continue
		}
		if wd := c.Labels[LabelWorkingDir]; p.dir != "" && wd != "" && wd != p.dir {
			otherDirs = append(otherDirs, wd)
			continue
		}
		snap.WorkingDir = cmp.Or(snap.WorkingDir, c.Labels[LabelWorkingDir])
		snap.Compose = cmp.Or(snap.Compose, c.Labels[LabelVersion])
		if c.OneOff {
			snap.OneOffs = append(snap.OneOffs, c)
			continue
		}
		svc := byService[c.Service]
		if svc == nil {
			svc = &Service{Name: c.Service}
			byService[c.Service] = svc
		}
		svc.Containers = append(svc.Containers, c)
	}
	if len(byService) == 0 {
		return nil, p.noContainers(ctx, eng, otherDirs)
	}
	labelled := false
	for _, svc := range byService {
		slices.SortFunc(svc.Containers, func(a, b Container) int {
			return cmp.Or(cmp.Compare(a.Number, b.Number), strings.Compare(a.Name, b.Name))
		})
		for _, c := range svc.Containers {
			if v, ok := c.Labels[LabelDependsOn]; ok {
				labelled = true
				svc.DependsOn = parseDependsOn(v)
				break
			}
		}
	}
	if !labelled {
		snap.BuiltinOrder = true
		for name, svc := range byService {
			for _, dep := range mastodonDeps[name] {
				if _, ok := byService[dep]; ok {
					svc.DependsOn = append(svc.DependsOn, Dependency{Service: dep, Condition: "service_started"})
				}
			}
		}
	}
	for _, name := range dependencyOrder(byService) {
		snap.Services = append(snap.Services, *byService[name])
	}
	slices.SortFunc(snap.OneOffs, func(a, b Container) int { return a.Created.Compare(b.Created) })
	return snap, nil
}

// containerOf reads a listed container's Compose labels.
func containerOf(s containerSummary) Container {
	c := Container{
		ID:      s.ID,
		Service: s.Labels[LabelService],
		OneOff:  strings.EqualFold(s.Labels[LabelOneOff], "true"),
		State:   string(s.State),
		Status:  s.Status,
		Image:   s.Image,
		ImageID: s.ImageID,
		Created: time.Unix(s.Created, 0),
		Labels:  s.Labels,
	}
	if len(s.Names) > 0 {
		c.Name = strings.TrimPrefix(s.Names[0], "/")
	}
	c.Number, _ = strconv.Atoi(s.Labels[LabelNumber])
	return c
}

// parseDependsOn reads "db:service_started:false,redis:service_healthy:true".
func parseDependsOn(v string) []Dependency {
	var out []Dependency
	for _, part := range strings.Split(v, ",") {
		fields := strings.Split(strings.TrimSpace(part), ":")
		if fields[0] == "" {
			continue
		}
		d := Dependency{Service: fields[0], Condition: "service_started"}
		if len(fields) > 1 && fields[1] != "" {
			d.Condition = fields[1]
		}
		if len(fields) > 2 {
			d.Restart, _ = strconv.ParseBool(fields[2])
		}
		out = append(out, d)
	}
	return out
}

// dependencyOrder sorts the services so that each comes after what it depends on, ties by
// name. A dependency on a service without containers is ignored; a cycle (which Compose
// refuses) is broken by name.
func dependencyOrder(services map[string]*Service) []string {
	pending := slices.Sorted(maps.Keys(services))
	done := map[string]bool{}
	var out []string
	for len(pending) > 0 {
		next := -1
		for i, name := range pending {
			ready := true
			for _, d := range services[name].DependsOn {
				if _, exists := services[d.Service]; exists && !done[d.Service] && d.Service != name {
					ready = false
					break
				}
			}
			if ready {
				next = i
				break
			}
		}
		if next < 0 {
			next = 0 // a cycle
		}
		out = append(out, pending[next])
		done[pending[next]] = true
		pending = slices.Delete(pending, next, next+1)
	}
	return out
}

// noContainers explains an empty project, naming the projects the daemon does have.
func (p *Project) noContainers(ctx context.Context, eng lister, otherDirs []string) error {
	if len(otherDirs) > 0 {
		slices.Sort(otherDirs)
		return &ops.Error{
			Msg:  fmt.Sprintf("the containers of Compose project %q on %s were started from %s, not %s", p.name, p.host, strings.Join(slices.Compact(otherDirs), ", "), p.dir),
			Hint: "check [compose] directory, or leave it empty",
		}
	}
	hint := "is the project up (docker compose ps)? [compose] project must match the com.docker.compose.project label"
	res, err := eng.ContainerList(ctx, client.ContainerListOptions{
		All:     true,
		Filters: make(client.Filters).Add("label", LabelProject),
	})
	if err == nil {
		found := map[string]bool{}
		for _, s := range res.Items {
			found[s.Labels[LabelProject]] = true
		}
		if len(found) > 0 {
			hint += "; projects on this host: " + strings.Join(slices.Sorted(maps.Keys(found)), ", ")
		}
	}
	return &ops.Error{Msg: fmt.Sprintf("no containers of Compose project %q on %s", p.name, p.host), Hint: hint}
}

// service finds one service of a snapshot, or explains which exist.
func (p *Project) service(snap *Snapshot, name string) (*Service, error) {
	if svc, ok := snap.Service(name); ok {
		return svc, nil
	}
	return nil, &ops.Error{
		Msg:  fmt.Sprintf("no service %q in project %s", name, p.name),
		Hint: "services: " + strings.Join(snap.Names(), ", "),
	}
}

// discoverService lists the project's containers now and returns one service of it.
func (p *Project) discoverService(ctx context.Context, name string) (*Service, error) {
	snap, err := p.discover(ctx, p.eng)
	if err != nil {
		return nil, err
	}
	return p.service(snap, name)
}

// containerSummary is a listed container.
type containerSummary = container.Summary
