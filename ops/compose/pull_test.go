package compose_test

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// registryBin is the distribution registry (v3), installed with
// GOBIN=$TOOTOPS_CACHE/bin go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2
func registryBin() string {
	cache := os.Getenv("TOOTOPS_CACHE")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache", "tootops")
	}
	return filepath.Join(cache, "bin", "registry")
}

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startRegistry runs a registry on 127.0.0.1 (which the daemon trusts over plain HTTP)
// with its storage in a temporary directory, until the test ends, and returns its
// address. It stands in until the lab has a registry of its own.
func startRegistry(t *testing.T) string {
	t.Helper()
	bin := registryBin()
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no registry binary: %v\ninstall it: GOBIN=%s go install github.com/distribution/distribution/v3/cmd/registry@v3.1.2", err, filepath.Dir(bin))
	}
	dir := t.TempDir()
	addr := "127.0.0.1:" + strconv.Itoa(lab.FreePort(t))
	cfg := fmt.Sprintf("version: 0.1\nlog: {level: warn}\nstorage:\n  filesystem: {rootdirectory: %s}\n  delete: {enabled: true}\nhttp:\n  addr: %s\n",
		filepath.Join(dir, "data"), addr)
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	out := &lockedBuffer{}
	cmd := exec.Command(bin, "serve", filepath.Join(dir, "config.yml"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return addr
			}
		}
		select {
		case <-exited:
			t.Fatalf("the registry exited:\n%s", out.String())
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the registry does not answer on %s: %v\n%s", addr, err, out.String())
		}
	}
}

// pushRandomImage builds a one-layer image of random content, pushes it as ref and
// removes it from the daemon, so that pulling it downloads its layer.
func pushRandomImage(t *testing.T, cli *client.Client, ref string) {
	t.Helper()
	blob := make([]byte, 256<<10)
	_, _ = rand.Read(blob)
	buildImage(t, cli, ref, "FROM scratch\nCOPY blob /blob\n", map[string]string{"blob": hex.EncodeToString(blob)})
	resp, err := cli.ImagePush(ctxT(t), ref, client.ImagePushOptions{RegistryAuth: base64.URLEncoding.EncodeToString([]byte("{}"))})
	if err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	if err := resp.Wait(ctxT(t)); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	removeImage(t, cli, ref)
	if _, err := cli.ImageInspect(ctxT(t), ref); err == nil {
		t.Fatalf("%s is still on the daemon", ref)
	}
}

func pullProject(t *testing.T, cli *client.Client) *compose.Project {
	t.Helper()
	p, err := compose.New(compose.Options{Project: lab.RandomName("tootopstest-pull-"), Client: cli})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPull(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	addr := startRegistry(t)
	ref := addr + "/tootops/pulltest:v1"
	pushRandomImage(t, cli, ref)
	p := pullProject(t, cli)

	pr := &progress{}
	start := time.Now()
	if err := p.Pull(ctxT(t), ref, pr); err != nil {
		t.Fatal(err)
	}
	t.Logf("pull took %s", time.Since(start).Round(time.Millisecond))
	if _, err := cli.ImageInspect(ctxT(t), ref); err != nil {
		t.Fatalf("after Pull: %v", err)
	}
	if pr.done != 1 {
		t.Errorf("Done called %d times", pr.done)
	}
	containsAll(t, "progress", pr.text(), "pulling "+ref+"\n", "pulling "+ref+": 0/1 layers", "pulling "+ref+": 1/1 layers", "pulled "+ref)

	// Again: nothing to download, still fine.
	pr = &progress{}
	if err := p.Pull(ctxT(t), ref, pr); err != nil {
		t.Fatal(err)
	}
	containsAll(t, "progress", pr.text(), "pulled "+ref)
}

func TestPullFails(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	addr := startRegistry(t)
	pushRandomImage(t, cli, addr+"/tootops/pulltest:v1")
	p := pullProject(t, cli)
	down := "127.0.0.1:" + strconv.Itoa(lab.FreePort(t))
	tests := []struct {
		ref  string
		want []string
	}{
		{addr + "/tootops/pulltest:v9", []string{"image " + addr + "/tootops/pulltest:v9 not found in the registry", "check the tag"}},
		{addr + "/tootops/nothing:v1", []string{"image " + addr + "/tootops/nothing:v1 not found in the registry"}},
		{down + "/tootops/pulltest:v1", []string{"could not pull " + down + "/tootops/pulltest:v1", "connection refused", "can the Docker host reach the registry"}},
		{"ghcr.io/Mastodon/mastodon:v4.5.1", []string{`"ghcr.io/Mastodon/mastodon:v4.5.1" is not an image reference`}},
	}
	for _, tt := range tests {
		pr := &progress{}
		err := p.Pull(ctxT(t), tt.ref, pr)
		var oe *ops.Error
		if !errors.As(err, &oe) {
			t.Errorf("Pull(%s) = %v, want an *ops.Error", tt.ref, err)
			continue
		}
		t.Logf("%s: %s", tt.ref, oe.Safe())
		containsAll(t, "error", oe.Safe(), tt.want...)
		if pr.done != 1 {
			t.Errorf("Pull(%s): Done called %d times", tt.ref, pr.done)
		}
	}
}

// TestPullStreamError: a pull whose HTTP request succeeds but whose stream ends in an
// errorDetail has failed.
func TestPullStreamError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			_, _ = io.WriteString(w, "OK")
			return
		}
		if !strings.HasSuffix(r.URL.Path, "/images/create") {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		img, tag := r.URL.Query().Get("fromImage"), r.URL.Query().Get("tag")
		fmt.Fprintf(w, `{"status":"Pulling from %s","id":"%s"}`+"\n", img, tag)
		_, _ = io.WriteString(w, `{"status":"Pulling fs layer","progressDetail":{},"id":"0123456789ab"}`+"\n")
		switch tag {
		case "gone":
			fmt.Fprintf(w, `{"errorDetail":{"message":"manifest for %s:gone not found: manifest unknown: manifest unknown"},"error":"manifest unknown"}`+"\n", img)
		default:
			_, _ = io.WriteString(w, `{"errorDetail":{"message":"failed to register layer: unexpected EOF"},"error":"failed to register layer: unexpected EOF"}`+"\n")
		}
	}))
	t.Cleanup(srv.Close)
	cli, err := client.New(client.WithHost("tcp://"+srv.Listener.Addr().String()), client.WithHTTPClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	p := pullProject(t, cli)
	for ref, want := range map[string]string{
		"ghcr.io/mastodon/mastodon:v4.5.1": "could not pull ghcr.io/mastodon/mastodon:v4.5.1: failed to register layer: unexpected EOF",
		"ghcr.io/mastodon/mastodon:gone":   "image ghcr.io/mastodon/mastodon:gone not found in the registry",
	} {
		pr := &progress{}
		err := p.Pull(ctxT(t), ref, pr)
		var oe *ops.Error
		if !errors.As(err, &oe) || oe.Msg != want {
			t.Errorf("Pull(%s) = %v, want %q", ref, err, want)
		}
		containsAll(t, "progress", pr.text(), "0/1 layers")
	}
}
