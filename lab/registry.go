package lab

import (
	"context"
	"encoding/base64"
	"fmt"
	"iter"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
)

// RegistryVersion is the release of the Docker registry (CNCF distribution) the lab is
// tested with; scripts/test-setup.sh installs it.
const RegistryVersion = "v3.1.2"

const registrySetupHint = "run `make setup`, which installs the Docker registry " + RegistryVersion + " into ${TOOTOPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tootops}/bin"

// RegistryServer is a Docker registry on 127.0.0.1 for one test: filesystem storage in a
// temporary directory, no authentication, deletes enabled. The daemon pushes to it and
// pulls from it over plain HTTP, which Docker allows for 127.0.0.0/8 without any
// insecure-registries setting.
type RegistryServer struct {
	host string // 127.0.0.1:port
	Dir  string // the storage root
	cli  *client.Client
}

// RegistryBinary returns the path of the registry binary: the one in CacheDir()/bin,
// else the one on PATH.
func RegistryBinary() (string, error) { return cachedTool("registry") }

// Registry starts a registry for the test and, when the test ends, stops it, removes its
// files and untags every local image named after it (127.0.0.1:port/…), pushed or pulled.
// A missing binary fails the test, never skips it.
func Registry(t testing.TB) *RegistryServer {
	t.Helper()
	bin, err := RegistryBinary()
	if err != nil {
		t.Fatalf("lab: %v; %s", err, registrySetupHint)
	}
	base := t.TempDir()
	r := &RegistryServer{Dir: filepath.Join(base, "storage")}
	if err := os.Mkdir(r.Dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// FreePort can race with another process taking the port: try a few.
	var lastErr error
	for range 3 {
		r.host = net.JoinHostPort("127.0.0.1", strconv.Itoa(FreePort(t)))
		conf := filepath.Join(base, "config.yml")
		if err := os.WriteFile(conf, []byte(r.config()), 0o600); err != nil {
			t.Fatal(err)
		}
		if lastErr = r.start(t, bin, conf); lastErr == nil {
			return r
		}
	}
	t.Fatalf("lab: the registry did not start: %v", lastErr)
	return nil
}

func (r *RegistryServer) config() string {
	return fmt.Sprintf(`version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: %s
`, r.Dir, r.host, randomHex(16))
}

// start runs the registry and waits until /v2/ answers; on failure it stops it.
func (r *RegistryServer) start(t testing.TB, bin, conf string) error {
	cmd := exec.Command(bin, "serve", conf)
	// No REGISTRY_* overrides from the developer's environment, and no tracing exporter.
	cmd.Env = append(envWithout("REGISTRY_", "OTEL_"), "OTEL_TRACES_EXPORTER=none")
	hc := &http.Client{Timeout: time.Second}
	stop, err := startServer(cmd, "registry on "+r.host, func() error {
		resp, err := hc.Get("http://" + r.host + "/v2/")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET /v2/: %s", resp.Status)
		}
		return nil
	})
	if err != nil {
		return err
	}
	t.Cleanup(stop)
	t.Cleanup(func() { r.untagAll(t) }) // before stop: cleanups run last first
	return nil
}

// Host is the registry's address, 127.0.0.1:port, the first part of its image references.
func (r *RegistryServer) Host() string { return r.host }

// Ref is the reference of repoTag (mastodon/mastodon:v4.5.1) in the registry.
func (r *RegistryServer) Ref(repoTag string) string { return r.host + "/" + repoTag }

// registryAuth is the X-Registry-Auth of a registry without authentication.
var registryAuth = base64.URLEncoding.EncodeToString([]byte("{}"))

// Push tags the local image localImage as Host()/repoTag and pushes it through the Engine
// API, and returns that reference. The local tag stays (ImageRemove it for a real pull).
func (r *RegistryServer) Push(t testing.TB, cli *client.Client, localImage, repoTag string) string {
	t.Helper()
	r.cli = cli
	ref := r.Ref(repoTag)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := cli.ImageTag(ctx, client.ImageTagOptions{Source: localImage, Target: ref}); err != nil {
		t.Fatalf("lab: tag %s as %s: %v", localImage, ref, err)
	}
	resp, err := cli.ImagePush(ctx, ref, client.ImagePushOptions{RegistryAuth: registryAuth})
	if err != nil {
		t.Fatalf("lab: push %s: %v", ref, err)
	}
	if err := readStream(ctx, resp); err != nil {
		t.Fatalf("lab: push %s: %v", ref, err)
	}
	return ref
}

// Pull pulls ref through the Engine API, as `docker compose pull` does.
func (r *RegistryServer) Pull(t testing.TB, cli *client.Client, ref string) {
	t.Helper()
	r.cli = cli
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp, err := cli.ImagePull(ctx, ref, client.ImagePullOptions{RegistryAuth: registryAuth})
	if err != nil {
		t.Fatalf("lab: pull %s: %v", ref, err)
	}
	if err := readStream(ctx, resp); err != nil {
		t.Fatalf("lab: pull %s: %v", ref, err)
	}
}

// Untag removes the local tag ref, if present, without touching the image behind it.
func (r *RegistryServer) Untag(t testing.TB, cli *client.Client, ref string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
		t.Fatalf("lab: untag %s: %v", ref, err)
	}
}

// readStream reads a push or pull progress stream to its end; an errorDetail fails it.
func readStream(ctx context.Context, resp interface {
	JSONMessages(context.Context) iter.Seq2[jsonstream.Message, error]
}) error {
	for msg, err := range resp.JSONMessages(ctx) {
		if err != nil {
			return err
		}
		if msg.Error != nil {
			return msg.Error
		}
	}
	return nil
}

// untagAll removes every local tag of this registry's images: what Push and Pull made,
// and what the code under test pulled.
func (r *RegistryServer) untagAll(t testing.TB) {
	if r.cli == nil {
		cli, err := client.New(client.FromEnv, client.WithUserAgent("tootops-lab"))
		if err != nil {
			t.Errorf("lab: cleanup of the registry's tags: %v", err)
			return
		}
		defer cli.Close()
		r.cli = cli
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res, err := r.cli.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		t.Errorf("lab: cleanup of the registry's tags: %v", err)
		return
	}
	for _, img := range res.Items {
		for _, tag := range img.RepoTags {
			if !strings.HasPrefix(tag, r.host+"/") {
				continue
			}
			if _, err := r.cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{}); err != nil && !cerrdefs.IsNotFound(err) {
				t.Logf("lab: cleanup: untag %s: %v", tag, err)
			}
		}
	}
}
