package upgrade

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/backup"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/release"
	"github.com/tootops/tootops/state"
)

// Engine is the Compose project as the upgrade uses it; *compose.Project is one.
type Engine interface {
	Discover(ctx context.Context) (*compose.Snapshot, error)
	Pull(ctx context.Context, ref string, p ops.Progress) error
	RunImage(ctx context.Context, service, image string, env, cmd []string, p ops.Progress) (*compose.RunResult, error)
	Recreate(ctx context.Context, service, image string, o compose.RecreateOptions, p ops.Progress) (*compose.Recreated, error)
	CopyFromImage(ctx context.Context, image, src, dst string) error
	Exec(ctx context.Context, service string, o compose.ExecOptions) error
}

// Releases lists Mastodon's releases; *release.Client is one.
type Releases interface {
	Releases(ctx context.Context) ([]release.Release, error)
}

// Backups makes and proves the backup taken before the upgrade; *backup.Service is one.
type Backups interface {
	Backup(ctx context.Context, jobID uint64, p ops.Progress) (*backup.Result, error)
	Verify(ctx context.Context, key string, p ops.Progress) (*backup.VerifyResult, error)
	RestoreCommand(ctx context.Context, key string) (string, error)
}

// Publisher posts the announcements; the bot's publisher is one.
type Publisher interface {
	Announce(ctx context.Context, text string, followUp bool) (string, error)
}

// Maintenance is the nginx flag; maintenance.Flag is one.
type Maintenance interface {
	On(reason string) (bool, error)
	Off() (bool, error)
}

// Options configure an Upgrader.
type Options struct {
	Engine      Engine
	Releases    Releases
	Backups     Backups     // nil: no backup step (the plan says so)
	Publisher   Publisher   // nil: no announcements
	Maintenance Maintenance // nil: no maintenance page
	Store       *state.Store
	// Services run Mastodon's images, recreated in this order.
	Services     []string
	WebURL       string // http://127.0.0.1:3000, reached directly
	StreamingURL string
	AssetsDir    string // "" copies no assets
	// Templates of the announcements: {version}, {downtime}, {notes}.
	AnnounceTemplate, DoneTemplate string
	HealthTimeout                  time.Duration
	HTTP                           *http.Client
	Log                            zerolog.Logger
	Now                            func() time.Time
}

// Upgrader runs upgrades. One at a time: the command takes the whole project's lock.
type Upgrader struct {
	o  Options
	mu sync.Mutex // guards run saves against status reads
}

// New returns the upgrader.
func New(o Options) *Upgrader {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.HTTP == nil {
		o.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if o.HealthTimeout <= 0 {
		o.HealthTimeout = 3 * time.Minute
	}
	if len(o.Services) == 0 {
		o.Services = []string{"web", "streaming", "sidekiq"}
	}
	o.Log = o.Log.With().Str("component", "upgrade").Logger()
	return &Upgrader{o: o}
}

// Versions are the three views of the running version.
type Versions struct {
	Image    string // the version in web's image tag
	ImageRef string
	Tootctl  string // tootctl version in the web container
	API      string // /api/v2/instance from web directly
}

// Agree reports whether the three name the same release.
func (v Versions) Agree() bool {
	a, e1 := release.ParseVersion(v.Image)
	b, e2 := release.ParseVersion(v.Tootctl)
	c, e3 := release.ParseVersion(v.API)
	return e1 == nil && e2 == nil && e3 == nil && a.Core() == b.Core() && b.Core() == c.Core()
}

func (v Versions) String() string {
	s := fmt.Sprintf("image %s (%s), tootctl %s, /api/v2/instance %s", v.Image, v.ImageRef, v.Tootctl, v.API)
	if v.Agree() {
		return "Mastodon " + v.Image + ": " + s + " — they agree"
	}
	return "versions DISAGREE: " + s
}

// Versions reads the running version three ways.
func (u *Upgrader) Versions(ctx context.Context) (Versions, error) {
	var v Versions
	snap, err := u.o.Engine.Discover(ctx)
	if err != nil {
		return v, err
	}
	web, ok := snap.Service(u.o.Services[0])
	if !ok || len(web.Containers) == 0 {
		return v, &ops.Error{Msg: "no " + u.o.Services[0] + " container in the project"}
	}
	v.ImageRef = web.Containers[0].Image
	v.Image = tagOf(v.ImageRef)
	var out, errb strings.Builder
	if err := u.o.Engine.Exec(ctx, u.o.Services[0], compose.ExecOptions{Cmd: []string{"tootctl", "version"}, Stdout: &out, Stderr: &errb}); err != nil {
		v.Tootctl = "unknown (" + ops.SafeText(err) + ")"
	} else {
		v.Tootctl = strings.TrimSpace(out.String())
	}
	var inst struct {
		Version string `json:"version"`
	}
	if err := u.getJSON(ctx, u.o.WebURL+"/api/v2/instance", &inst); err != nil {
		v.API = "unknown (" + ops.SafeText(err) + ")"
	} else {
		v.API = inst.Version
	}
	return v, nil
}

// tagOf is the tag of an image ref: ghcr.io/mastodon/mastodon:v4.5.0 → v4.5.0.
func tagOf(ref string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		return ref[i+1:]
	}
	return "latest"
}

// withTag replaces the tag of ref.
func withTag(ref, tag string) string {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndexByte(ref, ':'); i > strings.LastIndexByte(ref, '/') {
		ref = ref[:i]
	}
	return ref + ":" + tag
}

func (u *Upgrader) getJSON(ctx context.Context, url string, v any) error {
	return u.get(ctx, url, func(body io.Reader) error { return json.NewDecoder(body).Decode(v) })
}

// ping says whether url answers 200 (any body: newer versions answer JSON).
func (u *Upgrader) ping(ctx context.Context, url string) error {
	return u.get(ctx, url, func(body io.Reader) error {
		_, err := io.Copy(io.Discard, body)
		return err
	})
}

// get fetches url, wanting 200, and hands the first MiB of the body to read.
func (u *Upgrader) get(ctx context.Context, url string, read func(io.Reader) error) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := u.o.HTTP.Do(req)
	if err != nil {
		return &ops.Error{Msg: "cannot reach " + url, Err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &ops.Error{Msg: fmt.Sprintf("%s answered %s", url, resp.Status)}
	}
	return read(io.LimitReader(resp.Body, 1<<20))
}

// Status is the current or last run.
func (u *Upgrader) Status() (*Run, bool, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return load(u.o.Store)
}

func (u *Upgrader) save(r *Run) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return save(u.o.Store, r)
}

// unfinished refuses a second upgrade while one is unfinished.
func unfinished(r *Run) error {
	return &ops.Error{
		Msg:  fmt.Sprintf("upgrade %s → %s (job %d) is %s at step %q", r.From, r.To, r.ID, r.State, r.Steps[min(r.current(), len(r.Steps)-1)].Name()),
		Hint: "send `upgrade resume` to go on or `upgrade abort` to give it up; `upgrade status` shows it",
	}
}

// sortedServices is the services in the configured order, then the rest.
func (u *Upgrader) sortedServices(m map[string]string) []string {
	var out []string
	for _, s := range u.o.Services {
		if _, ok := m[s]; ok {
			out = append(out, s)
		}
	}
	for _, s := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

func parseCore(s string) (release.Version, error) {
	v, err := release.ParseVersion(s)
	return v.Core(), err
}
