package compose_test

import (
	"archive/tar"
	"errors"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
)

// imageArchive lists what the daemon's archive of path in image holds: relative name →
// mode and content ("" for directories and links), read straight from the tar stream.
func imageArchive(t *testing.T, cli *client.Client, image, path string) map[string]string {
	t.Helper()
	ctx := ctxT(t)
	c, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{Config: &container.Config{Image: image, Labels: map[string]string{lab.TestLabel: "1"}}})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true})
	res, err := cli.CopyFromContainer(ctx, c.ID, client.CopyFromContainerOptions{SourcePath: path})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Content.Close()
	out := map[string]string{}
	tr := tar.NewReader(res.Content)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		rel, _ := filepath.Rel(filepath.Base(path), h.Name)
		out[rel] = h.FileInfo().Mode().String() + " " + h.Linkname + string(b)
	}
}

// fileTree lists a directory as imageArchive does.
func fileTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		st, _ := d.Info()
		var body string
		switch {
		case d.Type().IsRegular():
			b, _ := os.ReadFile(path)
			body = string(b)
		case d.Type()&fs.ModeSymlink != 0:
			body, _ = os.Readlink(path)
		}
		out[rel] = st.Mode().String() + " " + body
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameFileTree(t *testing.T, want, got map[string]string) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if got[name] != want[name] {
			t.Errorf("%s: %.60q, want %.60q", name, got[name], want[name])
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s: not in the image", name)
		}
	}
}

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestCopyFromImage(t *testing.T) {
	t.Parallel()
	cli := lab.Docker(t)
	p := pullProject(t, cli)
	ctx := ctxT(t)
	dir := t.TempDir()

	v0, v1 := filepath.Join(dir, "public-v4.5.0"), filepath.Join(dir, "public-v4.5.1")
	if err := p.CopyFromImage(ctx, lab.Image, "/opt/mastodon/public", v0); err != nil {
		t.Fatal(err)
	}
	sameFileTree(t, imageArchive(t, cli, lab.Image, "/opt/mastodon/public"), fileTree(t, v0))
	for _, f := range []string{"assets/application.css", "system/README"} {
		if _, err := os.Stat(filepath.Join(v0, f)); err != nil {
			t.Error(err)
		}
	}
	if err := os.Mkdir(v1, 0o755); err != nil { // an empty directory may be there
		t.Fatal(err)
	}
	if err := p.CopyFromImage(ctx, lab.NextImage, "/opt/mastodon/public/", v1); err != nil {
		t.Fatal(err)
	}
	sameFileTree(t, imageArchive(t, cli, lab.NextImage, "/opt/mastodon/public"), fileTree(t, v1))

	// The web server's root follows a link, swapped from one version to the next.
	link := filepath.Join(dir, "public-current")
	for _, target := range []string{"public-v4.5.0", "public-v4.5.1"} {
		if err := compose.SwapSymlink(link, target); err != nil {
			t.Fatal(err)
		}
		if got, err := os.Readlink(link); err != nil || got != target {
			t.Errorf("link → %q, %v; want %s", got, err, target)
		}
		if _, err := os.Stat(filepath.Join(link, "assets", "application.css")); err != nil {
			t.Error(err)
		}
	}

	// One file.
	one := filepath.Join(dir, "one")
	if err := p.CopyFromImage(ctx, lab.Image, "/opt/mastodon/public/system/README", one); err != nil {
		t.Fatal(err)
	}
	if got := dirEntries(t, one); !slices.Equal(got, []string{"README"}) {
		t.Errorf("one file copied as %v", got)
	}

	fails := []struct {
		image, src, dst string
		want            []string
	}{
		{lab.Image, "/opt/mastodon/public", v0, []string{"public-v4.5.0 already exists and is not empty"}},
		{lab.Image, "/opt/mastodon/no-such-dir", filepath.Join(dir, "x"), []string{"image " + lab.Image + " has no /opt/mastodon/no-such-dir"}},
		{"tootops-lab/mastodon:v0.0.0-none", "/opt/mastodon/public", filepath.Join(dir, "x"), []string{"is not on the Docker host"}},
		{lab.Image, "opt/mastodon/public", filepath.Join(dir, "x"), []string{"not an absolute path"}},
		{lab.Image, "/opt/mastodon/public", filepath.Join(dir, "no-parent", "x"), []string{"no-parent does not exist"}},
	}
	for _, f := range fails {
		err := p.CopyFromImage(ctx, f.image, f.src, f.dst)
		var oe *ops.Error
		if !errors.As(err, &oe) {
			t.Errorf("CopyFromImage(%s, %s, %s) = %v, want an *ops.Error", f.image, f.src, f.dst, err)
			continue
		}
		containsAll(t, "error", oe.Safe(), f.want...)
	}
	// Nothing left behind: no half copies, no temporary links, no containers.
	if got, want := dirEntries(t, dir), []string{"one", "public-current", "public-v4.5.0", "public-v4.5.1"}; !slices.Equal(got, want) {
		t.Errorf("%s holds %v, want %v", dir, got, want)
	}
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", "org.tootops.copy")})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Items) != 0 {
		t.Errorf("%d copy containers left", len(res.Items))
	}
}

func TestSwapSymlink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, d := range []string{"a", "b"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(dir, "current")
	if err := compose.SwapSymlink(link, "a"); err != nil {
		t.Fatal(err)
	}
	// While the link is swapped back and forth, it always resolves.
	var stop atomic.Bool
	var missing atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for !stop.Load() {
			if _, err := os.Stat(link); err != nil {
				missing.Add(1)
			}
		}
	})
	for i := range 500 {
		if err := compose.SwapSymlink(link, []string{"a", "b"}[i%2]); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if missing.Load() > 0 {
		t.Errorf("the link was missing %d times", missing.Load())
	}
	if got, _ := os.Readlink(link); got != "b" {
		t.Errorf("link → %q, want b", got)
	}

	// A directory or a file where the link should be is not replaced.
	for _, in := range []string{"a", "file"} {
		path := filepath.Join(dir, in)
		if in == "file" {
			_ = os.WriteFile(path, []byte("x"), 0o644)
		}
		err := compose.SwapSymlink(path, "b")
		var oe *ops.Error
		if !errors.As(err, &oe) {
			t.Fatalf("SwapSymlink over %s = %v", in, err)
		}
		containsAll(t, "error", oe.Safe(), in+" is not a symbolic link")
		if st, err := os.Lstat(path); err != nil || st.Mode()&fs.ModeSymlink != 0 {
			t.Errorf("%s was replaced", in)
		}
	}
	if err := compose.SwapSymlink(filepath.Join(dir, "no-dir", "l"), "a"); err == nil {
		t.Error("SwapSymlink in a missing directory succeeded")
	}
	if got, want := dirEntries(t, dir), []string{"a", "b", "current", "file"}; !slices.Equal(got, want) {
		t.Errorf("%s holds %v, want %v", dir, got, want)
	}
}
