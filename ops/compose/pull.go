package compose

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"

	"github.com/tootops/tootops/ops"
)

// puller is what pulling an image needs.
type puller interface {
	ImagePull(ctx context.Context, ref string, options client.ImagePullOptions) (client.ImagePullResponse, error)
	ImageInspect(ctx context.Context, image string, options ...client.ImageInspectOption) (client.ImageInspectResult, error)
}

var _ puller = (*client.Client)(nil)

// Pull pulls an image onto the Docker host, like `docker compose pull` does for one
// service: ImagePull, then its message stream read to the end, reporting layers done out
// of layers seen. An error in the stream fails the pull even though the request itself
// succeeded. A tag the registry does not have gives "image X not found in the registry".
// Only anonymous pulls: a private registry needs `docker login` support, which the bot
// does not have yet. Running containers are not touched.
func (p *Project) Pull(ctx context.Context, ref string, progress ops.Progress) error {
	defer progress.Done()
	eng, ok := p.eng.(puller)
	if !ok {
		return errors.New("compose: this engine cannot pull")
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		return &ops.Error{Msg: fmt.Sprintf("%q is not an image reference", ref), Hint: "write it as ghcr.io/mastodon/mastodon:v4.5.1", Err: err}
	}
	log := p.log.With().Str("image", ref).Logger()
	progress.Report(0, 0, "pulling "+ref)
	resp, err := eng.ImagePull(ctx, ref, client.ImagePullOptions{})
	if err != nil {
		return p.pullError(ref, err)
	}
	var (
		layers = map[string]bool{} // id → done
		order  []string
		done   int64
		digest string
		status string
	)
	for m, err := range resp.JSONMessages(ctx) {
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return p.pullError(ref, fmt.Errorf("reading the pull's progress: %w", err))
		}
		if m.Error != nil {
			return p.pullError(ref, streamError(m.Error))
		}
		switch {
		case strings.HasPrefix(m.Status, "Digest: "):
			digest = strings.TrimPrefix(m.Status, "Digest: ")
		case strings.HasPrefix(m.Status, "Status: "):
			status = strings.TrimPrefix(m.Status, "Status: ")
		case m.ID == "" || strings.HasPrefix(m.Status, "Pulling from "):
			// The tag's own line, or a note.
		default:
			finished := m.Status == "Pull complete" || m.Status == "Already exists"
			was, seen := layers[m.ID]
			if !seen {
				order = append(order, m.ID)
			}
			if finished && !was {
				done++
			}
			layers[m.ID] = was || finished
			progress.Report(done, int64(len(order)), fmt.Sprintf("pulling %s: %d/%d layers", ref, done, len(order)))
		}
	}
	img, err := eng.ImageInspect(ctx, ref)
	if err != nil {
		return p.engineError("find image "+ref+" after pulling it", err)
	}
	progress.Report(int64(len(order)), int64(len(order)), "pulled "+ref)
	log.Info().Str("id", img.ID).Str("digest", digest).Str("status", status).Int("layers", len(order)).Msg("image pulled")
	return nil
}

// streamError makes an error of the stream's errorDetail that errdefs can classify.
func streamError(e *jsonstream.Error) error {
	if e.Code == http.StatusNotFound || isManifestUnknown(e.Message) {
		return fmt.Errorf("%w: %s", cerrdefs.ErrNotFound, e.Message)
	}
	if e.Code == http.StatusUnauthorized || e.Code == http.StatusForbidden {
		return fmt.Errorf("%w: %s", cerrdefs.ErrUnauthenticated, e.Message)
	}
	return errors.New(e.Message)
}

// isManifestUnknown recognises the registry's "no such tag" in the daemon's words:
// "manifest for x:v9 not found: manifest unknown: manifest unknown".
func isManifestUnknown(msg string) bool {
	return strings.Contains(msg, "manifest unknown") || strings.Contains(msg, "not found: manifest")
}

// pullError explains a failed pull to the admin.
func (p *Project) pullError(ref string, err error) error {
	var safe *ops.Error
	switch {
	case errors.As(err, &safe), errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded), client.IsErrConnectionFailed(err):
		return p.engineError("pull "+ref, err)
	case cerrdefs.IsNotFound(err) || isManifestUnknown(err.Error()):
		return &ops.Error{
			Msg:  fmt.Sprintf("image %s not found in the registry", ref),
			Hint: "check the tag: is that release published, and spelled as on its release page (v4.5.1)?",
			Err:  err,
		}
	case cerrdefs.IsUnauthorized(err) || cerrdefs.IsPermissionDenied(err) || strings.Contains(err.Error(), "denied"):
		return &ops.Error{
			Msg:  fmt.Sprintf("the registry refused to give %s", ref),
			Hint: "public Mastodon images need no login: check the image name; a private image needs `docker login` on the Docker host",
			Err:  err,
		}
	}
	return &ops.Error{
		Msg:  fmt.Sprintf("could not pull %s: %s", ref, daemonText(err, 200)),
		Hint: "can the Docker host reach the registry? `docker pull " + ref + "` on the host shows the same",
		Err:  err,
	}
}

// daemonText is the daemon's answer in err, on one line of at most n bytes.
func daemonText(err error, n int) string {
	return firstLine(strings.TrimPrefix(err.Error(), "Error response from daemon: "), n)
}

// firstLine is the first line of s, at most n bytes of it.
func firstLine(s string, n int) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}
