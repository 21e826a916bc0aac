package compose_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/tootops/tootops/lab"
)

var record = flag.Bool("record", false, "rewrite testdata/ from a lab project on the daemon")

// TestRecord rewrites the fake Engine API's fixtures from a real lab project:
// go test ./ops/compose -run TestRecord -record. The fake tests then edit copies of them
// for the cases the daemon cannot produce on demand.
func TestRecord(t *testing.T) {
	if !*record {
		return
	}
	cli := lab.Docker(t)
	svcs := lab.Mastodon(2)
	lp := lab.Up(t, cli, lab.Spec{Project: "mastodon", Services: svcs})
	lp.WaitHealthy(t, "web", 20*time.Second)
	ctx := context.Background()
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: make(client.Filters).Add("label", "com.docker.compose.project=mastodon")})
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", "/var/run/docker.sock")
	}}}
	resp, err := hc.Get("http://docker/v1.41/containers/json?all=1&filters=" + url.QueryEscape(`{"label":{"com.docker.compose.project=mastodon":true}}`))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	var buf0 bytes.Buffer
	json.Indent(&buf0, raw, "", "  ")
	os.WriteFile("testdata/containers.json", buf0.Bytes(), 0o644)
	var b []byte
	for _, c := range res.Items {
		r, err := cli.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		json.Indent(&buf, r.Raw, "", "  ")
		os.WriteFile("testdata/inspect-"+c.Labels["com.docker.compose.service"]+"-"+c.Labels["com.docker.compose.container-number"]+".json", buf.Bytes(), 0o644)
	}
	img, err := cli.ImageInspect(ctx, lab.Image)
	if err != nil {
		t.Fatal(err)
	}
	b, _ = json.MarshalIndent(img.InspectResponse, "", "  ")
	os.WriteFile("testdata/image.json", b, 0o644)
}
