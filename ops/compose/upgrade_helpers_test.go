package compose_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/api/types/build"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/lab"
)

// buildImage builds an image from a Dockerfile and files with the daemon's legacy builder
// (no registry needed when FROM names a local image or scratch), labelled as the lab's,
// and removes it when the test ends.
func buildImage(t *testing.T, cli *client.Client, tag, dockerfile string, files map[string]string) string {
	t.Helper()
	var ctxTar bytes.Buffer
	tw := tar.NewWriter(&ctxTar)
	files["Dockerfile"] = dockerfile
	for name, body := range files {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), ModTime: time.Unix(1700000000, 0)}); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := cli.ImageBuild(ctx, &ctxTar, client.ImageBuildOptions{
		Tags: []string{tag}, Remove: true, ForceRemove: true, Version: build.BuilderV1,
		Labels: map[string]string{lab.TestLabel: "1"},
	})
	if err != nil {
		t.Fatalf("build %s: %v", tag, err)
	}
	if err := readStream(res.Body); err != nil {
		t.Fatalf("build %s: %v", tag, err)
	}
	t.Cleanup(func() { removeImage(t, cli, tag) })
	img, err := cli.ImageInspect(ctx, tag)
	if err != nil {
		t.Fatal(err)
	}
	return img.ID
}

// readStream reads a build or push message stream to its end and returns the error in
// it, if any.
func readStream(body io.ReadCloser) error {
	defer body.Close()
	dec := json.NewDecoder(body)
	var out strings.Builder
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		out.WriteString(m.Stream)
		if m.Error != nil {
			return errors.New(m.Error.Message + "\n" + out.String())
		}
	}
}

func removeImage(t *testing.T, cli *client.Client, ref string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: true, PruneChildren: true}); err != nil && !strings.Contains(err.Error(), "No such image") {
		t.Logf("remove image %s: %v", ref, err)
	}
}
