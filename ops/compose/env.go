package compose

import (
	"context"
	"strings"

	"github.com/moby/moby/client"
)

// ServiceEnv returns the names of the environment variables a service's first container
// runs with (its env_file and environment, and its image's), values left out: the
// upgrade checks that a release's required variables are set without reading secrets.
func (p *Project) ServiceEnv(ctx context.Context, service string) (map[string]bool, error) {
	svc, err := p.discoverService(ctx, service)
	if err != nil {
		return nil, err
	}
	names := map[string]bool{}
	if len(svc.Containers) == 0 {
		return names, nil
	}
	res, err := p.eng.ContainerInspect(ctx, svc.Containers[0].ID, client.ContainerInspectOptions{})
	if err != nil {
		return nil, p.engineError("inspect "+svc.Containers[0].Name, err)
	}
	if res.Container.Config != nil {
		for _, kv := range res.Container.Config.Env {
			name, _, _ := strings.Cut(kv, "=")
			names[name] = true
		}
	}
	return names, nil
}
