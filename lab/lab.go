// Package lab is the test lab of tootops: a Mastodon-shaped Compose project made of the
// images lab/build.sh builds (FROM scratch, one static Go binary, lab/mastolab, playing
// every service), brought up on the real Docker daemon through the Engine API with the
// labels Compose v2 sets, or by the real docker-compose v1 binary from docker-compose.yml.
//
// Tests call Docker, which fails the test (never skips it) when the daemon or the images
// are missing, saying to run `make test` or scripts/test-setup.sh. Everything the lab
// makes carries the label tootops.test=1 and a project label of its own
// (tootopstest-<random>), and is removed by label when the test ends.
package lab

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// The lab's images; lab/build.sh makes them (keep the two in step).
const (
	Repo          = "tootops-lab/mastodon"
	Image         = Repo + ":v4.5.0"
	NextImage     = Repo + ":v4.5.1"
	PostgresImage = "tootops-lab/postgres:14-lab" // a TCP stand-in, not PostgreSQL
	RedisImage    = "tootops-lab/redis:7-lab"
	// RealPostgresImage is a real PostgreSQL 15 made FROM scratch out of the host's Debian
	// packages (lab/pgimage); see PostgresService.
	RealPostgresImage = "tootops-lab/postgres:15"
	// RealRedisImage is a real Redis 7 made FROM scratch out of the host's Debian
	// redis-server package (lab/redisimage); see RedisService.
	RealRedisImage = "tootops-lab/redis:7"

	// TestLabel marks everything the lab makes.
	TestLabel = "tootops.test"
	// HashLabel on an image is the hash of the sources it was built from.
	HashLabel = "tootops.lab.hash"
	// ComposeVersion is the com.docker.compose.version the lab writes.
	ComposeVersion = "2.40.3"
)

// Images lists every lab image made from lab/mastolab and lab/image; RealPostgresImage
// and RealRedisImage are checked apart, when a project uses them.
var Images = []string{Image, NextImage, PostgresImage, RedisImage}

const setupHint = "run `make test`, or scripts/test-setup.sh, to start Docker and build the lab images"

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// SourceHash is the hash of the files the images are built from, computed as lab/build.sh
// does: every file under lab/mastolab and lab/image in byte order of its path, each as
// its path, a newline, then its content.
func SourceHash() (string, error) {
	h := sha256.New()
	if err := hashSources(h, "lab/mastolab", "lab/image"); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// PostgresHash is the hash RealPostgresImage is built from, computed as lab/build.sh does:
// lab/build.sh, lab/mastolab and lab/pgimage as in SourceHash, then the output of the
// host's `postgres --version`, so that an upgrade of the Debian package makes the image
// stale.
func PostgresHash() (string, error) {
	h := sha256.New()
	if err := hashSources(h, "lab/build.sh", "lab/mastolab", "lab/pgimage"); err != nil {
		return "", err
	}
	out, err := exec.Command(filepath.Join(PGBinDir, "postgres"), "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%s/postgres --version: %w", PGBinDir, err)
	}
	h.Write(out)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// RedisHash is the hash RealRedisImage is built from, computed as lab/build.sh does:
// lab/build.sh and lab/redisimage as in SourceHash, then the output of the host's
// `redis-server --version`.
func RedisHash() (string, error) {
	h := sha256.New()
	if err := hashSources(h, "lab/build.sh", "lab/redisimage"); err != nil {
		return "", err
	}
	out, err := exec.Command("redis-server", "--version").Output()
	if err != nil {
		return "", fmt.Errorf("redis-server --version: %w", err)
	}
	h.Write(out)
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

// hashSources writes every file under paths (files or directories, relative to Root) to h
// in byte order of its path, each as its path, a newline, then its content.
func hashSources(h io.Writer, paths ...string) error {
	root := Root()
	var files []string
	for _, dir := range paths {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			files = append(files, filepath.ToSlash(rel))
			return nil
		})
		if err != nil {
			return err
		}
	}
	sort.Strings(files)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\n", f)
		h.Write(b)
	}
	return nil
}

var (
	readyOnce sync.Once
	readyCli  *client.Client
	readyErr  error

	pgHashOnce sync.Once
	pgHash     string
	pgHashErr  error

	redisHashOnce sync.Once
	redisHash     string
	redisHashErr  error
)

// Docker returns a client of the daemon (DOCKER_HOST, else the local socket) after
// checking, once per test binary, that it answers and has the current lab images. When
// not, the test fails: daemon tests are part of `make test`, and CI must not pass by
// skipping them.
func Docker(t testing.TB) *client.Client {
	t.Helper()
	readyOnce.Do(func() { readyCli, readyErr = ready() })
	if readyErr != nil {
		t.Fatalf("lab: %v\n%s", readyErr, setupHint)
	}
	return readyCli
}

func ready() (*client.Client, error) {
	cli, err := client.New(client.FromEnv, client.WithUserAgent("tootops-lab"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := cli.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		return nil, fmt.Errorf("the Docker daemon at %s does not answer: %w", cli.DaemonHost(), err)
	}
	want, err := SourceHash()
	if err != nil {
		return nil, err
	}
	for _, img := range Images {
		res, err := cli.ImageInspect(ctx, img)
		if err != nil {
			return nil, fmt.Errorf("image %s is missing: %w", img, err)
		}
		if res.Config == nil || res.Config.Labels[HashLabel] != want {
			return nil, fmt.Errorf("image %s is out of date: built from other sources than lab/ holds now (want %s)", img, want)
		}
	}
	return cli, nil
}

// Service describes one service of a lab project.
type Service struct {
	Name     string
	Image    string   // default Image
	Cmd      []string // default: the service name (mastolab plays it)
	Replicas int      // default 1
	// Publish is a container port (3000) published on 127.0.0.1 at a fixed free host
	// port, as Mastodon publishes web and streaming.
	Publish   int
	HostPort  int      // the host port of Publish; default a free one
	DependsOn []string // depends_on label entries: "db:service_started:false"
	Networks  []string // network keys; default internal_network
	Health    []string // healthcheck test; nil means none
	Tty       bool
	Env       []string
	Restart   string // restart policy; default "always", as in Mastodon's file
}

// Spec describes a lab project.
type Spec struct {
	Project  string // default tootopstest-<random>
	Services []Service
	// V1 labels and names the containers as Compose v1 did: project_service_1, no
	// depends_on or image labels.
	V1 bool
	// Dir is the project's working_dir label, its config_files being
	// Dir/docker-compose.yml; default /srv/lab/<project>, which does not exist.
	Dir string
}

// Mastodon is the lab's Mastodon: db and redis on the internal network; web (port 3000
// published) and streaming (4000) with healthchecks; sidekiq with the given replicas,
// logging every 200 ms.
func Mastodon(sidekiqs int) []Service {
	deps := []string{"db:service_started:false", "redis:service_started:false"}
	both := []string{"external_network", "internal_network"}
	return []Service{
		{Name: "db", Image: PostgresImage},
		{Name: "redis", Image: RedisImage},
		{Name: "web", Cmd: []string{"web"}, Publish: 3000, DependsOn: deps, Networks: both,
			Health: []string{"CMD", "/opt/mastodon/bin/mastolab", "health", "http://127.0.0.1:3000/health"}},
		{Name: "streaming", Cmd: []string{"streaming"}, Publish: 4000, DependsOn: deps, Networks: both,
			Health: []string{"CMD", "/opt/mastodon/bin/mastolab", "health", "http://127.0.0.1:4000/api/v1/streaming/health"}},
		{Name: "sidekiq", Cmd: []string{"sidekiq"}, Replicas: sidekiqs, DependsOn: deps, Networks: both, Env: []string{"LAB_TICK=200ms"}},
	}
}

// PostgresService is a db service on RealPostgresImage: PostgreSQL 15 with superuser
// postgres, trust authentication (the unix socket in the container, and TCP from the
// project's networks), the database postgres, and a pg_isready healthcheck. Up fails the
// test when the image is missing or stale. Tests reach it with Project.Exec (psql,
// pg_dump…, on PATH in the image) once WaitPostgres returns.
func PostgresService() Service {
	return Service{
		Name:   "db",
		Image:  RealPostgresImage,
		Cmd:    []string{"postgres"},
		Health: []string{"CMD", PGBinDir + "/pg_isready", "-q", "-U", "postgres", "-d", "postgres"},
	}
}

// RedisService is a redis service on RealRedisImage: Redis 7 without a password or
// persistence, listening on 6379 on the project's networks, with Mastodon's healthcheck
// `redis-cli ping`. Up fails the test when the image is missing or stale. Tests reach it
// with Project.Exec (redis-cli is on PATH in the image) once the service is healthy.
func RedisService() Service {
	return Service{
		Name:   "redis",
		Image:  RealRedisImage,
		Cmd:    []string{"/etc/redis/redis.conf"},
		Health: []string{"CMD", "redis-cli", "ping"},
	}
}

// WaitPostgres waits until the project's db service (PostgresService) accepts
// connections, and returns the ID of its container.
func WaitPostgres(t testing.TB, p *Project) string {
	t.Helper()
	p.WaitHealthy(t, "db", time.Minute)
	cs := p.Containers(t, "db")
	if len(cs) == 0 {
		t.Fatalf("lab: project %s has no db container", p.Name)
	}
	return cs[0].ID
}

// Project is a lab project on the daemon.
type Project struct {
	Name   string
	Client *client.Client
	Ports  map[string]int // service → its published host port
	Dir    string         // the working_dir label
}

// RandomName returns a fresh project name.
func RandomName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Up creates the project's networks and containers with the labels Compose sets, starts
// them in dependency order, and removes them all when the test ends.
func Up(t testing.TB, cli *client.Client, spec Spec) *Project {
	t.Helper()
	if spec.Project == "" {
		spec.Project = RandomName("tootopstest-")
	}
	p := &Project{Name: spec.Project, Client: cli, Ports: map[string]int{}, Dir: "/srv/lab/" + spec.Project}
	if spec.Dir != "" {
		p.Dir = spec.Dir
	}
	t.Cleanup(func() { p.Remove(t) })
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	sep := "-"
	if spec.V1 {
		sep = "_"
	}
	nets := map[string]string{}
	for _, svc := range spec.Services {
		for _, key := range networksOf(svc) {
			if _, ok := nets[key]; ok {
				continue
			}
			name := spec.Project + "_" + key
			_, err := cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{
				Driver:   "bridge",
				Internal: key == "internal_network",
				Labels: map[string]string{
					TestLabel: "1", "com.docker.compose.project": spec.Project,
					"com.docker.compose.network": key, "com.docker.compose.version": ComposeVersion,
				},
			})
			if err != nil {
				t.Fatalf("lab: network %s: %v", name, err)
			}
			nets[key] = name
		}
	}
	for _, svc := range spec.Services {
		for n := 1; n <= max(svc.Replicas, 1); n++ {
			id := p.create(t, ctx, spec, svc, n, sep, nets)
			if _, err := cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
				t.Fatalf("lab: start %s %d: %v", svc.Name, n, err)
			}
		}
	}
	return p
}

func networksOf(svc Service) []string {
	if len(svc.Networks) == 0 {
		return []string{"internal_network"}
	}
	return svc.Networks
}

// create makes replica n of svc, as Compose v2 does on API 1.41: the first network at
// create time with aliases [container name, service], the others by NetworkConnect.
func (p *Project) create(t testing.TB, ctx context.Context, spec Spec, svc Service, n int, sep string, nets map[string]string) string {
	t.Helper()
	cli := p.Client
	img := svc.Image
	if img == "" {
		img = Image
	}
	cmd := svc.Cmd
	if cmd == nil {
		cmd = []string{svc.Name}
	}
	restart := svc.Restart
	if restart == "" {
		restart = "always"
	}
	imgRes, err := cli.ImageInspect(ctx, img)
	if err != nil {
		t.Fatalf("lab: image %s: %v\n%s", img, err, setupHint)
	}
	if img == RealPostgresImage {
		pgHashOnce.Do(func() { pgHash, pgHashErr = PostgresHash() })
		if pgHashErr != nil {
			t.Fatalf("lab: %v\n%s", pgHashErr, setupHint)
		}
		if imgRes.Config == nil || imgRes.Config.Labels[HashLabel] != pgHash {
			t.Fatalf("lab: image %s is out of date: built from other sources or another PostgreSQL than the host's (want %s)\n%s", img, pgHash, setupHint)
		}
	}
	if img == RealRedisImage {
		redisHashOnce.Do(func() { redisHash, redisHashErr = RedisHash() })
		if redisHashErr != nil {
			t.Fatalf("lab: %v\n%s", redisHashErr, setupHint)
		}
		if imgRes.Config == nil || imgRes.Config.Labels[HashLabel] != redisHash {
			t.Fatalf("lab: image %s is out of date: built from other sources or another Redis than the host's (want %s)\n%s", img, redisHash, setupHint)
		}
	}
	// The config hash of Compose is a hash of the service's configuration; any stable
	// hash of it serves the lab.
	hashInput, _ := json.Marshal(svc)
	sum := sha256.Sum256(hashInput)
	name := spec.Project + sep + svc.Name + sep + strconv.Itoa(n)
	labels := map[string]string{
		TestLabel:                                 "1",
		"com.docker.compose.project":              spec.Project,
		"com.docker.compose.service":              svc.Name,
		"com.docker.compose.container-number":     strconv.Itoa(n),
		"com.docker.compose.oneoff":               "False",
		"com.docker.compose.config-hash":          hex.EncodeToString(sum[:]),
		"com.docker.compose.project.working_dir":  p.Dir,
		"com.docker.compose.project.config_files": p.Dir + "/docker-compose.yml",
		"com.docker.compose.version":              ComposeVersion,
	}
	if spec.V1 {
		labels["com.docker.compose.version"] = "1.29.2"
	} else {
		labels["com.docker.compose.depends_on"] = strings.Join(svc.DependsOn, ",")
		labels["com.docker.compose.image"] = imgRes.ID
	}
	cfg := &container.Config{Image: img, Cmd: cmd, Env: svc.Env, Labels: labels, Tty: svc.Tty}
	if svc.Health != nil {
		cfg.Healthcheck = &container.HealthConfig{Test: svc.Health, Interval: 500 * time.Millisecond, Timeout: 2 * time.Second, Retries: 3}
	}
	keys := networksOf(svc)
	host := &container.HostConfig{
		NetworkMode:   container.NetworkMode(nets[keys[0]]),
		RestartPolicy: container.RestartPolicy{Name: container.RestartPolicyMode(restart)},
	}
	if svc.Publish != 0 {
		port, err := network.ParsePort(strconv.Itoa(svc.Publish) + "/tcp")
		if err != nil {
			t.Fatal(err)
		}
		hostPort := svc.HostPort
		if hostPort == 0 {
			hostPort = FreePort(t)
		}
		p.Ports[svc.Name] = hostPort
		cfg.ExposedPorts = network.PortSet{port: {}}
		host.PortBindings = network.PortMap{port: {{HostIP: netip.MustParseAddr("127.0.0.1"), HostPort: strconv.Itoa(hostPort)}}}
	}
	aliases := []string{name, svc.Name}
	res, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: cfg, HostConfig: host, Name: name,
		NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{nets[keys[0]]: {Aliases: aliases}}},
	})
	if err != nil {
		t.Fatalf("lab: create %s: %v", name, err)
	}
	for _, k := range keys[1:] {
		if _, err := cli.NetworkConnect(ctx, nets[k], client.NetworkConnectOptions{Container: res.ID, EndpointConfig: &network.EndpointSettings{Aliases: aliases}}); err != nil {
			t.Fatalf("lab: connect %s to %s: %v", name, k, err)
		}
	}
	return res.ID
}

// Remove force-removes every container (one-offs too) and network of the project.
func (p *Project) Remove(t testing.TB) {
	t.Helper()
	if err := RemoveProject(p.Client, p.Name); err != nil {
		t.Errorf("lab: cleanup of %s: %v", p.Name, err)
	}
}

// RemoveProject force-removes every container and network labelled with the project.
func RemoveProject(cli *client.Client, project string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	f := make(client.Filters).Add("label", "com.docker.compose.project="+project)
	res, err := cli.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	errs := make([]error, len(res.Items))
	for i, c := range res.Items {
		wg.Go(func() {
			_, err := cli.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			if err != nil && !strings.Contains(err.Error(), "No such container") && !strings.Contains(err.Error(), "already in progress") {
				errs[i] = err
			}
		})
	}
	wg.Wait()
	nets, err := cli.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return errors.Join(append(errs, err)...)
	}
	for _, n := range nets.Items {
		if _, err := cli.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Containers lists the project's containers of a service (one-offs excluded), by
// container-number.
func (p *Project) Containers(t testing.TB, service string) []container.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := make(client.Filters).Add("label", "com.docker.compose.project="+p.Name, "com.docker.compose.service="+service, "com.docker.compose.oneoff=False")
	res, err := p.Client.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	items := res.Items
	slices.SortFunc(items, func(a, b container.Summary) int {
		x, _ := strconv.Atoi(a.Labels["com.docker.compose.container-number"])
		y, _ := strconv.Atoi(b.Labels["com.docker.compose.container-number"])
		return x - y
	})
	return items
}

// All lists every container of the project, one-offs included.
func (p *Project) All(t testing.TB) []container.Summary {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	f := make(client.Filters).Add("label", "com.docker.compose.project="+p.Name)
	res, err := p.Client.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		t.Fatal(err)
	}
	return res.Items
}

// Inspect inspects a container.
func (p *Project) Inspect(t testing.TB, id string) container.InspectResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.Client.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return res.Container
}

// Exec runs cmd in a running container and returns its stdout, stderr and exit code.
func (p *Project) Exec(t testing.TB, id string, cmd ...string) (string, string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ex, err := p.Client.ExecCreate(ctx, id, client.ExecCreateOptions{Cmd: cmd, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatalf("lab: exec %v: %v", cmd, err)
	}
	att, err := p.Client.ExecAttach(ctx, ex.ID, client.ExecAttachOptions{})
	if err != nil {
		t.Fatalf("lab: exec attach: %v", err)
	}
	defer att.Close()
	var stdout, stderr bytes.Buffer
	if _, err := stdcopy.StdCopy(&stdout, &stderr, att.Reader); err != nil && err != io.EOF {
		t.Fatalf("lab: exec output: %v", err)
	}
	res, err := p.Client.ExecInspect(ctx, ex.ID, client.ExecInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return stdout.String(), stderr.String(), res.ExitCode
}

// WaitHealthy waits until every replica of the service with a healthcheck is healthy.
func (p *Project) WaitHealthy(t testing.TB, service string, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		ok := true
		for _, c := range p.Containers(t, service) {
			in := p.Inspect(t, c.ID)
			if in.State.Health != nil && in.State.Health.Status != container.Healthy {
				ok = false
			}
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("lab: %s not healthy after %s", service, d)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// FreePort returns a TCP port free on 127.0.0.1 at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ComposeV1 brings the lab's docker-compose.yml up with the real docker-compose v1
// binary under the given project name, and takes it down when the test ends.
func ComposeV1(t testing.TB, cli *client.Client, project string) *Project {
	t.Helper()
	bin, err := exec.LookPath("docker-compose")
	if err != nil {
		t.Fatalf("lab: docker-compose (v1) is not installed: %v\n%s", err, setupHint)
	}
	file := filepath.Join(Root(), "lab", "docker-compose.yml")
	p := &Project{Name: project, Client: cli, Ports: map[string]int{}, Dir: filepath.Join(Root(), "lab")}
	run := func(args ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, append([]string{"--no-ansi", "-p", project, "-f", file}, args...)...)
		cmd.Env = append(os.Environ(), "COMPOSE_INTERACTIVE_NO_CLI=1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("lab: docker-compose %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	t.Cleanup(func() {
		p.Remove(t)
	})
	run("up", "-d", "--no-build")
	return p
}
