package compose

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/client"
	"github.com/rs/zerolog"

	"github.com/tootops/tootops/ops"
)

// Options configure a Project.
type Options struct {
	// Project is the Compose project name, matched against com.docker.compose.project.
	Project string
	// Directory, when set, is the project directory on the Docker host: containers whose
	// com.docker.compose.project.working_dir label names another directory are ignored.
	Directory string
	// DockerHost is the daemon address; "" means DOCKER_HOST, else the local socket.
	DockerHost string
	// Client is the Engine API client to use; nil builds one for DockerHost.
	Client *client.Client
	// Allowed lists the commands `run` may start in a one-off container, as prefixes of
	// words such as "tootctl media remove". Nil allows nothing.
	Allowed []string
	// Log receives one line per action; the zero value logs nothing.
	Log zerolog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Project is one Compose project on one Docker host. It is safe for concurrent use; the
// bot's locks keep two changes of the same service apart.
type Project struct {
	eng     engine
	name    string
	dir     string
	host    string
	policy  Policy
	log     zerolog.Logger
	now     func() time.Time
	closeFn func() error
}

// engine is every Engine API call the package makes, grouped by the operations that need
// them. *client.Client implements it.
type engine interface {
	lister
	lifecycleEngine
	creator
	logReader
	attacher
}

// lister is what discovery and ps need.
type lister interface {
	ContainerList(ctx context.Context, options client.ContainerListOptions) (client.ContainerListResult, error)
	ContainerInspect(ctx context.Context, id string, options client.ContainerInspectOptions) (client.ContainerInspectResult, error)
}

// lifecycleEngine is what start, stop and restart need.
type lifecycleEngine interface {
	ContainerStart(ctx context.Context, id string, options client.ContainerStartOptions) (client.ContainerStartResult, error)
	ContainerStop(ctx context.Context, id string, options client.ContainerStopOptions) (client.ContainerStopResult, error)
	ContainerRestart(ctx context.Context, id string, options client.ContainerRestartOptions) (client.ContainerRestartResult, error)
}

// creator is what scale and one-offs need to make containers.
type creator interface {
	ClientVersion() string
	ImageInspect(ctx context.Context, image string, options ...client.ImageInspectOption) (client.ImageInspectResult, error)
	ContainerCreate(ctx context.Context, options client.ContainerCreateOptions) (client.ContainerCreateResult, error)
	NetworkConnect(ctx context.Context, network string, options client.NetworkConnectOptions) (client.NetworkConnectResult, error)
	ContainerRemove(ctx context.Context, id string, options client.ContainerRemoveOptions) (client.ContainerRemoveResult, error)
}

// logReader is what logs needs.
type logReader interface {
	ContainerLogs(ctx context.Context, id string, options client.ContainerLogsOptions) (client.ContainerLogsResult, error)
}

// attacher is what one-offs need to run and follow a container.
type attacher interface {
	ContainerAttach(ctx context.Context, id string, options client.ContainerAttachOptions) (client.ContainerAttachResult, error)
	ContainerWait(ctx context.Context, id string, options client.ContainerWaitOptions) client.ContainerWaitResult
	ContainerKill(ctx context.Context, id string, options client.ContainerKillOptions) (client.ContainerKillResult, error)
}

var _ engine = (*client.Client)(nil)

// New returns the project. It does not touch the daemon: the client connects on first use,
// so a bot whose Docker is down still starts and says so when asked.
func New(o Options) (*Project, error) {
	if o.Project == "" {
		return nil, errors.New("compose: no project name")
	}
	policy, err := NewPolicy(o.Allowed)
	if err != nil {
		return nil, err
	}
	host := ops.DockerHost(o.DockerHost)
	p := &Project{name: o.Project, dir: o.Directory, host: host, policy: policy, log: o.Log.With().Str("component", "compose").Str("project", o.Project).Logger(), now: o.Now}
	if p.now == nil {
		p.now = time.Now
	}
	if o.Client != nil {
		p.eng = o.Client
		p.closeFn = func() error { return nil }
		if h := o.Client.DaemonHost(); o.DockerHost == "" && h != "" {
			p.host = h
		}
		return p, nil
	}
	c, err := ops.NewDockerClient(host)
	if err != nil {
		return nil, &ops.Error{Msg: fmt.Sprintf("cannot use the Docker host %s", host), Hint: "[compose] docker_host takes unix://, tcp://, ssh:// or npipe:// addresses", Err: err}
	}
	p.eng, p.closeFn = c, c.Close
	return p, nil
}

// Close releases the client New made; a client passed in Options is left open.
func (p *Project) Close() error { return p.closeFn() }

// Name is the Compose project name.
func (p *Project) Name() string { return p.name }

// Host is the Docker daemon address, as error messages name it.
func (p *Project) Host() string { return p.host }

// Policy is the allow-list of one-off commands.
func (p *Project) Policy() Policy { return p.policy }

// engineError turns an Engine API failure into an error an admin can read: the daemon
// unreachable (naming the host tried), a container gone, or a short description of what
// was being done; the full chain stays in Err for the log.
func (p *Project) engineError(doing string, err error) error {
	var safe *ops.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &safe):
		return err
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case client.IsErrConnectionFailed(err):
		return &ops.Error{
			Msg:  fmt.Sprintf("cannot reach the Docker daemon at %s", p.host),
			Hint: "is dockerd running, and may the bot use its socket? Set [compose] docker_host or DOCKER_HOST if it listens elsewhere",
			Err:  err,
		}
	}
	return &ops.Error{Msg: fmt.Sprintf("Docker could not %s", doing), Hint: "the bot's log has the daemon's answer", Err: err}
}

// apiAtLeast reports whether the negotiated Engine API version is at least want ("1.44").
// Call it after a first request, which negotiates the version.
func apiAtLeast(got, want string) bool {
	g, w := strings.Split(got, "."), strings.Split(want, ".")
	for i := range max(len(g), len(w)) {
		var a, b int
		if i < len(g) {
			a, _ = strconv.Atoi(g[i])
		}
		if i < len(w) {
			b, _ = strconv.Atoi(w[i])
		}
		if a != b {
			return a > b
		}
	}
	return true
}
