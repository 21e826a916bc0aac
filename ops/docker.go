package ops

import (
	"context"
	"fmt"
	"os"

	"github.com/moby/moby/client"
)

// DockerHost is the daemon address tootops uses: the configured one, else DOCKER_HOST,
// else the local socket. It is what error messages name.
func DockerHost(configured string) string {
	switch {
	case configured != "":
		return configured
	case os.Getenv("DOCKER_HOST") != "":
		return os.Getenv("DOCKER_HOST")
	default:
		return client.DefaultDockerHost
	}
}

// NewDockerClient returns an Engine API client for host (see DockerHost). It connects
// lazily, and negotiates the API version on first use.
func NewDockerClient(host string) (*client.Client, error) {
	c, err := client.New(client.FromEnv, client.WithHost(host), client.WithUserAgent("tootops"))
	if err != nil {
		return nil, fmt.Errorf("docker %s: %w", host, err)
	}
	return c, nil
}

// pinger is the one Engine call PingDocker needs.
type pinger interface {
	Ping(ctx context.Context, options client.PingOptions) (client.PingResult, error)
}

// PingDocker reaches the daemon and returns the API version both sides agreed on.
func PingDocker(ctx context.Context, c pinger, host string) (string, error) {
	res, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true})
	if err != nil {
		if client.IsErrConnectionFailed(err) {
			return "", &Error{Msg: fmt.Sprintf("cannot reach the Docker daemon at %s", host), Hint: "is dockerd running, and may this user use its socket? Set [compose] docker_host or DOCKER_HOST if it listens elsewhere", Err: err}
		}
		return "", &Error{Msg: fmt.Sprintf("the Docker daemon at %s did not answer a ping", host), Err: err}
	}
	return res.APIVersion, nil
}
