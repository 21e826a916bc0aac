package lab

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// TestRegistryPushPull pushes a lab image to the registry, removes the local tag and
// pulls it back through the Engine API.
func TestRegistryPushPull(t *testing.T) {
	t.Parallel()
	cli := Docker(t)
	reg := Registry(t)
	ref := reg.Push(t, cli, NextImage, "mastodon/mastodon:v4.5.1")
	if want := reg.Host() + "/mastodon/mastodon:v4.5.1"; ref != want || !strings.HasPrefix(ref, "127.0.0.1:") {
		t.Fatalf("Push = %q, want %q", ref, want)
	}

	resp, err := http.Get("http://" + reg.Host() + "/v2/_catalog")
	if err != nil {
		t.Fatal(err)
	}
	var catalog struct{ Repositories []string }
	err = json.NewDecoder(resp.Body).Decode(&catalog)
	resp.Body.Close()
	if err != nil || len(catalog.Repositories) != 1 || catalog.Repositories[0] != "mastodon/mastodon" {
		t.Fatalf("catalog %+v, %v", catalog, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	reg.Untag(t, cli, ref)
	if _, err := cli.ImageInspect(ctx, ref); !cerrdefs.IsNotFound(err) {
		t.Fatalf("after Untag, inspect %s: %v, want not found", ref, err)
	}
	reg.Pull(t, cli, ref)
	got, err := cli.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatalf("after Pull: %v", err)
	}
	local, err := cli.ImageInspect(ctx, NextImage)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != local.ID {
		t.Errorf("pulled %s is %s, want the image of %s, %s", ref, got.ID, NextImage, local.ID)
	}

	// A tag the registry does not have fails the pull with the registry's error.
	_, err = cli.ImagePull(ctx, reg.Ref("mastodon/mastodon:v9.9.9"), client.ImagePullOptions{RegistryAuth: registryAuth})
	if err == nil {
		t.Fatal("pull of a missing tag succeeded")
	}
}

// TestImageAssets reads /opt/mastodon/public out of each version's image, the way an
// upgrade copies the assets: the packs differ per version, and system/ is there to be left.
func TestImageAssets(t *testing.T) {
	t.Parallel()
	cli := Docker(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for v, img := range map[string]string{FromVersion: Image, ToVersion: NextImage} {
		res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
			Config: &container.Config{Image: img, Labels: map[string]string{TestLabel: "1"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			_, _ = cli.ContainerRemove(context.Background(), res.ID, client.ContainerRemoveOptions{Force: true})
		})
		cp, err := cli.CopyFromContainer(ctx, res.ID, client.CopyFromContainerOptions{SourcePath: "/opt/mastodon/public"})
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		tr := tar.NewReader(cp.Content)
		for {
			h, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if h.Typeflag == tar.TypeReg {
				b, _ := io.ReadAll(tr)
				files[strings.TrimPrefix(h.Name, "public/")] = string(b)
			}
		}
		cp.Content.Close()
		var manifest map[string]string
		if err := json.Unmarshal([]byte(files["packs/manifest.json"]), &manifest); err != nil {
			t.Fatalf("%s: packs/manifest.json: %v (files %v)", img, err, files)
		}
		if manifest["version"] != v || manifest["application.js"] != "/"+PackFile(v) {
			t.Errorf("%s: manifest %v, want version %s and /%s", img, manifest, v, PackFile(v))
		}
		if !strings.Contains(files[PackFile(v)], v) || !strings.Contains(files["sw.js"], v) {
			t.Errorf("%s: %s or sw.js missing or not of %s", img, PackFile(v), v)
		}
		if _, ok := files["system/README"]; !ok {
			t.Errorf("%s: no system/README", img)
		}
	}
	if PackFile(FromVersion) == PackFile(ToVersion) {
		t.Error("both versions have the same pack")
	}
}
