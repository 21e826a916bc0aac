package compose

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// blueprint is what a new container of a service is made from: the create options of an
// existing replica, read back from its inspection, minus what its image supplied, so that
// the image of the new container supplies it again (Watchtower's GetCreateConfig, with
// the lessons of its bugs: research §3).
type blueprint struct {
	from     Container
	config   *container.Config
	host     *container.HostConfig
	networks map[string]*network.EndpointSettings // as the template has them
	primary  string                               // the network given at create time
	aliases  []string                             // configured aliases, beyond name and service
	sep      string                               // "-" (Compose v2) or "_" (v1)
	imageID  string                               // the image the tag names now
}

// blueprintOf inspects c and its image.
func (p *Project) blueprintOf(ctx context.Context, c Container) (*blueprint, error) {
	res, err := p.eng.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
	if err != nil {
		return nil, p.engineError("inspect "+c.Name, err)
	}
	in := res.Container
	if in.Config == nil || in.HostConfig == nil {
		return nil, p.engineError("inspect "+c.Name, fmt.Errorf("inspection of %s has no Config or HostConfig", c.Name))
	}
	bp := &blueprint{from: c, sep: "-"}
	if c.Name == p.name+"_"+c.Service+"_"+strconv.Itoa(c.Number) {
		bp.sep = "_"
	}
	cfg := copyConfig(in.Config)
	// The image the container was made from, by ID: its defaults are what to subtract.
	old, err := p.eng.ImageInspect(ctx, in.Image)
	switch {
	case err == nil && old.Config != nil:
		subtractImage(cfg, old.Config.User, old.Config.WorkingDir, old.Config.Entrypoint, old.Config.Cmd,
			old.Config.Env, old.Config.Labels, old.Config.Volumes, old.Config.ExposedPorts, old.Config.StopSignal, old.Config.Healthcheck)
	case err != nil && !isNotFound(err):
		return nil, p.engineError("inspect the image of "+c.Name, err)
	}
	if len(in.ID) >= 12 && cfg.Hostname == in.ID[:12] {
		cfg.Hostname = "" // the daemon's default, the container's short ID
	}
	// The tag as configured names the image new containers get, as with compose.
	if now, err := p.eng.ImageInspect(ctx, cfg.Image); err == nil {
		bp.imageID = now.ID
	} else if !isNotFound(err) {
		return nil, p.engineError("inspect image "+cfg.Image, err)
	} else {
		return nil, p.engineError("find image "+cfg.Image, err)
	}
	if _, ok := cfg.Labels[LabelImage]; ok {
		cfg.Labels[LabelImage] = bp.imageID
	}
	delete(cfg.Labels, LabelReplace)
	bp.config = cfg

	host := *in.HostConfig
	host.PortBindings = maps.Clone(in.HostConfig.PortBindings)
	host.Links = nil
	for _, l := range in.HostConfig.Links {
		// "/mastodon-db-1:/mastodon-web-1/db" becomes "mastodon-db-1:db".
		target, alias, ok := strings.Cut(l, ":")
		if ok {
			host.Links = append(host.Links, strings.TrimPrefix(target, "/")+":"+alias[strings.LastIndexByte(alias, '/')+1:])
		}
	}
	bp.host = &host

	if in.NetworkSettings != nil {
		bp.networks = in.NetworkSettings.Networks
	}
	mode := string(in.HostConfig.NetworkMode)
	if _, ok := bp.networks[mode]; ok {
		bp.primary = mode
	} else if names := slices.Sorted(maps.Keys(bp.networks)); len(names) > 0 {
		bp.primary = names[0]
	}
	skip := map[string]bool{c.Name: true, c.Service: true, in.Config.Hostname: true}
	if len(in.ID) >= 12 {
		skip[in.ID[:12]] = true
	}
	for _, ep := range bp.networks {
		if ep == nil {
			continue
		}
		for _, a := range ep.Aliases {
			if !skip[a] && !slices.Contains(bp.aliases, a) {
				bp.aliases = append(bp.aliases, a)
			}
		}
	}
	return bp, nil
}

// copyConfig deep-copies what blueprints change.
func copyConfig(in *container.Config) *container.Config {
	c := *in
	c.Env = slices.Clone(in.Env)
	c.Cmd = slices.Clone(in.Cmd)
	c.Entrypoint = slices.Clone(in.Entrypoint)
	c.Labels = maps.Clone(in.Labels)
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	c.Volumes = maps.Clone(in.Volumes)
	c.ExposedPorts = maps.Clone(in.ExposedPorts)
	return &c
}

// subtractImage removes from cfg what the image supplied, so that the image a new
// container is made from supplies it: its Env, Cmd, Entrypoint, labels, healthcheck…
func subtractImage(cfg *container.Config, user, workdir string, entrypoint, cmd, env []string, labels map[string]string,
	volumes map[string]struct{}, exposed map[string]struct{}, stopSignal string, health *container.HealthConfig) {
	if cfg.User == user {
		cfg.User = ""
	}
	if cfg.WorkingDir == workdir {
		cfg.WorkingDir = ""
	}
	if slices.Equal(cfg.Entrypoint, entrypoint) {
		cfg.Entrypoint = nil
		// A Cmd equal to the image's is the image's only when the Entrypoint is too.
		if slices.Equal(cfg.Cmd, cmd) {
			cfg.Cmd = nil
		}
	}
	if health != nil && reflect.DeepEqual(cfg.Healthcheck, health) {
		cfg.Healthcheck = nil
	}
	if cfg.StopSignal == stopSignal {
		cfg.StopSignal = ""
	}
	cfg.Env = slices.DeleteFunc(cfg.Env, func(e string) bool { return slices.Contains(env, e) })
	for k, v := range labels {
		if cfg.Labels[k] == v {
			delete(cfg.Labels, k)
		}
	}
	for v := range volumes {
		delete(cfg.Volumes, v)
	}
	for p := range exposed {
		if port, err := network.ParsePort(p); err == nil {
			delete(cfg.ExposedPorts, port)
		}
	}
}

// fixedHostPort returns a published port with a fixed host port ("127.0.0.1:3000 → 3000/tcp"),
// which a second replica could not bind, or "".
func fixedHostPort(host *container.HostConfig) string {
	if host == nil {
		return ""
	}
	keys := slices.SortedFunc(maps.Keys(host.PortBindings), func(a, b network.Port) int { return strings.Compare(a.String(), b.String()) })
	for _, port := range keys {
		for _, b := range host.PortBindings[port] {
			if b.HostPort != "" && b.HostPort != "0" {
				addr := b.HostPort
				if b.HostIP.IsValid() && !b.HostIP.IsUnspecified() {
					addr = b.HostIP.String() + ":" + b.HostPort
				}
				return addr + " → " + port.String()
			}
		}
	}
	return ""
}

// endpoint is the settings of one network for a new container: the template's links and
// driver options, the aliases given, and none of the template's addresses, MAC or DNS
// names (they belong to it).
func endpoint(net string, from *network.EndpointSettings, aliases []string) *network.EndpointSettings {
	ep := &network.EndpointSettings{}
	if from != nil {
		ep.Links = slices.Clone(from.Links)
		ep.DriverOpts = maps.Clone(from.DriverOpts)
		ep.GwPriority = from.GwPriority
	}
	if container.NetworkMode(net).IsUserDefined() {
		ep.Aliases = aliases
	}
	return ep
}

// createFrom makes a container from the blueprint, named name, with aliases on every
// user-defined network. Before API 1.44 a container gets one network at create time and
// the others by NetworkConnect, before it starts. A container half made is removed.
func (p *Project) createFrom(ctx context.Context, bp *blueprint, cfg *container.Config, host *container.HostConfig, name string, aliases []string) (string, error) {
	nets := slices.Sorted(maps.Keys(bp.networks))
	all := apiAtLeast(p.eng.ClientVersion(), "1.44")
	netcfg := &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{}}
	if bp.primary != "" && !host.NetworkMode.IsContainer() && !host.NetworkMode.IsHost() && !host.NetworkMode.IsNone() {
		for _, n := range nets {
			if n == bp.primary || all {
				netcfg.EndpointsConfig[n] = endpoint(n, bp.networks[n], aliases)
			}
		}
	} else {
		nets = nil
	}
	res, err := p.eng.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: host, NetworkingConfig: netcfg, Name: name})
	if err != nil {
		return "", p.engineError("create "+name, err)
	}
	if !all {
		for _, n := range nets {
			if n == bp.primary {
				continue
			}
			if _, err := p.eng.NetworkConnect(ctx, n, client.NetworkConnectOptions{Container: res.ID, EndpointConfig: endpoint(n, bp.networks[n], aliases)}); err != nil {
				p.removeQuietly(ctx, res.ID)
				return "", p.engineError(fmt.Sprintf("connect %s to network %s", name, n), err)
			}
		}
	}
	return res.ID, nil
}

// removeQuietly force-removes a container with a context of its own, so that cleaning up
// works after the caller's context ended.
func (p *Project) removeQuietly(ctx context.Context, id string) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if _, err := p.eng.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true}); err != nil && !isNotFound(err) {
		p.log.Warn().Err(err).Str("container", id).Msg("could not remove a container")
	}
}

// randomHex returns n random bytes in hex.
func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
