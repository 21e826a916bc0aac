package packaging

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

const (
	testVersion = "v0.0.0-packaging-test"
	botUID      = "65532"
	// fallbackGID is the image's docker group when the socket's own cannot be used.
	fallbackGID = "4242"
	// extraGID is given at run time, the way Compose's group_add does.
	extraGID  = "4343"
	setupHint = "run `make setup` (scripts/test-setup.sh installs and starts Docker)"
)

// The flags `make release` and `make image` build with, but for the version.
var buildArgs = []string{"build", "-trimpath", "-tags", "timetzdata",
	"-ldflags", "-s -w -X main.version=" + testVersion}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("the repository root: %v", err)
	}
	return root
}

// result is a finished command.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// run runs a command and returns its result; only a command that cannot start fails the test.
func run(t *testing.T, stdin string, env []string, dir, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	if stdin != "" {
		cmd.Stdin = strings.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return result{out.String(), errb.String(), exit.ExitCode()}
	case err != nil:
		t.Fatalf("%s %s: %v", name, strings.Join(args, " "), err)
	}
	return result{out.String(), errb.String(), 0}
}

// docker runs the docker CLI; the legacy builder, as lab/build.sh does, since nothing can
// be pulled and buildx may be missing.
func docker(t *testing.T, stdin string, args ...string) result {
	t.Helper()
	return run(t, stdin, []string{"DOCKER_BUILDKIT=0"}, "", "docker", args...)
}

// mustDocker is docker that fails the test unless the command exits 0.
func mustDocker(t *testing.T, args ...string) string {
	t.Helper()
	r := docker(t, "", args...)
	if r.code != 0 {
		t.Fatalf("docker %s: %s", strings.Join(args, " "), r)
	}
	return r.stdout
}

// requireDocker fails, never skips, when the Docker daemon is not reachable.
func requireDocker(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Fatalf("the docker CLI is not on PATH: %s", setupHint)
	}
	if r := docker(t, "", "version", "--format", "{{.Server.Version}}"); r.code != 0 {
		t.Fatalf("the Docker daemon is not reachable (DOCKER_HOST=%q): %s\n%s", os.Getenv("DOCKER_HOST"), setupHint, r.stderr)
	}
}

func randomID(t *testing.T) string {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// socketGID is the group of the local Docker socket, when the daemon is the local one and
// its group is one a user can be given (not root's).
func socketGID() (string, bool) {
	host := os.Getenv("DOCKER_HOST")
	if host != "" && host != "unix:///var/run/docker.sock" {
		return "", false
	}
	fi, err := os.Stat("/var/run/docker.sock")
	if err != nil {
		return "", false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || st.Gid == 0 || st.Gid == 65532 {
		return "", false
	}
	return strconv.FormatUint(uint64(st.Gid), 10), true
}

// imageConfig is what the test reads of `docker image inspect`.
type imageConfig struct {
	Size   int64
	Config struct {
		User        string
		Entrypoint  []string
		Cmd         []string
		WorkingDir  string
		Env         []string
		Volumes     map[string]struct{}
		Labels      map[string]string
		Healthcheck *struct {
			Test                           []string
			Interval, Timeout, StartPeriod time.Duration
			Retries                        int
		}
	}
}

// TestImage builds the image as `make image` does and runs the bot in it: version, an
// offline check with the hardening of packaging/compose.yml, the user and groups of a
// running bot, the Docker socket through the image's docker group, the healthcheck.
func TestImage(t *testing.T) {
	requireDocker(t)
	root := repoRoot(t)
	work := t.TempDir()
	id := randomID(t)
	runLabel := "tootops.packaging.run=" + id
	tag := "tootops-test/packaging:" + id
	volume := "tootops-packaging-" + id
	t.Cleanup(func() {
		if out := docker(t, "", "ps", "-aq", "--filter", "label="+runLabel).stdout; strings.TrimSpace(out) != "" {
			docker(t, "", append([]string{"rm", "-fv"}, strings.Fields(out)...)...)
		}
		docker(t, "", "volume", "rm", "-f", volume)
		docker(t, "", "rmi", "-f", tag)
	})

	// The binary, as `make image` builds it, at the path context.sh expects.
	binary := filepath.Join(work, "bin", "bot-linux-amd64")
	if r := run(t, "", []string{"CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64"}, root, "go",
		append(buildArgs, "-o", binary, "./cmd/bot")...); r.code != 0 {
		t.Fatalf("go build: %s", r)
	}
	assertStatic(t, binary)

	// The image's docker group: the socket's, so that the bot reaches the daemon through
	// the image's /etc/group alone; else any other.
	gid, haveSocket := socketGID()
	if !haveSocket {
		gid = fallbackGID
		t.Logf("no local Docker socket with a non-root group: building with DOCKER_GID=%s and not trying the socket", gid)
	}
	ctxDir := filepath.Join(work, "context")
	if r := run(t, "", []string{"DOCKER_GID=" + gid}, work, "bash", filepath.Join(root, "packaging", "context.sh"), ctxDir); r.code != 0 {
		t.Fatalf("context.sh: %s", r)
	}
	build := []string{"build", "--build-arg", "DOCKER_GID=" + gid, "--build-arg", "VERSION=" + testVersion,
		"--label", "tootops.test=1", "--label", runLabel, "-t", tag, ctxDir}
	r := docker(t, "", build...)
	if r.code != 0 && strings.Contains(r.stderr, "layer does not exist") {
		// Another test's image prune can take a layer of this build from under it.
		t.Logf("docker build lost a layer to a concurrent prune; building again")
		r = docker(t, "", build...)
	}
	if r.code != 0 {
		t.Fatalf("docker build: %s", r)
	}

	var imgs []imageConfig
	if err := json.Unmarshal([]byte(mustDocker(t, "image", "inspect", tag)), &imgs); err != nil || len(imgs) != 1 {
		t.Fatalf("docker image inspect: %v", err)
	}
	img := imgs[0]
	t.Logf("image %s: %.1f MB", tag, float64(img.Size)/1e6)
	c := img.Config
	if c.User == "" || c.User == "0" || strings.HasPrefix(c.User, "root") || strings.Split(c.User, ":")[0] != botUID {
		t.Errorf("image user %q, want %s (non-root)", c.User, botUID)
	}
	if c.Healthcheck == nil || !slices.Equal(c.Healthcheck.Test, []string{"CMD", "/usr/local/bin/bot", "healthcheck"}) {
		t.Errorf("image healthcheck %+v, want CMD /usr/local/bin/bot healthcheck", c.Healthcheck)
	} else if hc := c.Healthcheck; hc.Timeout <= 3*time.Second || hc.Interval == 0 || hc.Retries == 0 {
		t.Errorf("healthcheck %+v: the timeout must exceed bot healthcheck's own 3 s", hc)
	}
	if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/bot"}) || !slices.Equal(c.Cmd, []string{"run", "--config", "/etc/tootops/config.toml"}) {
		t.Errorf("entrypoint %q cmd %q", c.Entrypoint, c.Cmd)
	}
	if _, ok := c.Volumes["/var/lib/tootops"]; !ok {
		t.Errorf("volumes %v, want /var/lib/tootops", c.Volumes)
	}
	if c.Labels["org.opencontainers.image.version"] != testVersion || c.Labels["io.tootops.docker-gid"] != gid {
		t.Errorf("labels %v", c.Labels)
	}
	if img.Size > 40e6 {
		t.Errorf("image is %d bytes; the bot alone is about 16 MB", img.Size)
	}
	checkFiles(t, tag, runLabel, gid)

	t.Run("version", func(t *testing.T) {
		r := docker(t, "", "run", "--rm", "--label", "tootops.test=1", "--label", runLabel, tag, "version")
		if r.code != 0 || r.stdout != "tootops "+testVersion+"\n" {
			t.Errorf("bot version: %s", r)
		}
	})

	// The example config with its state in the volume, and a schedule in another time zone:
	// config validation loads the zone, which scratch has only inside the binary.
	example, err := os.ReadFile(filepath.Join(root, "config.example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := replaceLine(t, string(example), `path = "tootops.db"`, `path = "/var/lib/tootops/tootops.db"`)
	cfg = replaceLine(t, cfg, `#schedule = "0 3 * * *"`, `schedule = "CRON_TZ=Europe/Berlin 0 3 * * *"`)
	// Readable by uid 65532 through the bind mount, as packaging/compose.yml asks.
	cfgPath := filepath.Join(work, "config.toml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(cfgPath, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	examplePath := filepath.Join(work, "example.toml")
	if err := os.WriteFile(examplePath, example, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(examplePath, 0o644); err != nil {
		t.Fatal(err)
	}
	mustDocker(t, "volume", "create", "--label", "tootops.test=1", "--label", runLabel, volume)
	// As packaging/compose.yml runs it.
	hardened := []string{"run", "--rm", "--label", "tootops.test=1", "--label", runLabel,
		"--read-only", "--tmpfs", "/tmp", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true",
		"-v", volume + ":/var/lib/tootops"}

	t.Run("check --offline", func(t *testing.T) {
		r := docker(t, "", append(hardened, "-v", cfgPath+":/etc/tootops/config.toml:ro",
			tag, "check", "--offline", "--config", "/etc/tootops/config.toml")...)
		if r.code != 0 {
			t.Fatalf("bot check --offline: %s", r)
		}
		for _, want := range []string{
			"✓ config /etc/tootops/config.toml: valid: [mastodon] [admins] (1) [compose] [backup]",
			"✓ state: /var/lib/tootops/tootops.db (will be created)\n",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("missing %q in\n%s", want, r.stdout)
			}
		}
		if strings.Contains(r.stdout, "✗") {
			t.Errorf("a check failed:\n%s", r.stdout)
		}
	})

	// The example as it is keeps its state beside the config, in /etc/tootops, which the
	// bot cannot write: the check says so rather than the bot failing later.
	t.Run("check --offline on the unchanged example", func(t *testing.T) {
		// Without --config: the image's TOOTOPS_CONFIG names it.
		r := docker(t, "", append(hardened, "-v", examplePath+":/etc/tootops/config.toml:ro",
			tag, "check", "--offline")...)
		if r.code != 1 || !strings.Contains(r.stdout, "✓ config /etc/tootops/config.toml: valid") ||
			!strings.Contains(r.stdout, "✗ state: ") || !strings.Contains(r.stdout, "/etc/tootops/tootops.db") {
			t.Errorf("want the config valid and the state in /etc/tootops refused: %s", r)
		}
	})

	// The Docker socket through the image's own docker group (no --group-add), and not
	// without it; the console's `ps` reaches the daemon or says why not.
	t.Run("docker socket", func(t *testing.T) {
		if !haveSocket {
			t.Logf("not tried: no local Docker socket with a non-root group")
			return
		}
		console := []string{"run", "--rm", "-i", "--label", "tootops.test=1", "--label", runLabel,
			"-v", "/var/run/docker.sock:/var/run/docker.sock", "-v", cfgPath + ":/etc/tootops/config.toml:ro",
			"-v", volume + ":/var/lib/tootops"}
		r := docker(t, "ps\n", append(console, tag, "console", "--config", "/etc/tootops/config.toml")...)
		if r.code != 0 || strings.Contains(r.stdout+r.stderr, "permission denied") || !strings.Contains(r.stdout, "(job 1)") {
			t.Errorf("ps with the image's docker group (%s): %s", gid, r)
		}
		// The control: as 65532 with its own group only, the socket is refused.
		r = docker(t, "ps\n", append(console, "--user", botUID+":"+botUID, tag, "console", "--config", "/etc/tootops/config.toml")...)
		if !strings.Contains(r.stderr, "permission denied") {
			t.Errorf("ps without the docker group reached the daemon; the test proves nothing: %s", r)
		}
	})

	t.Run("running bot", func(t *testing.T) {
		// The console waits on its open standard input: a bot that stays up.
		name := "tootops-packaging-" + id
		mustDocker(t, "run", "-d", "-i", "--name", name, "--label", "tootops.test=1", "--label", runLabel,
			"--group-add", extraGID, "-v", cfgPath+":/etc/tootops/config.toml:ro", "-v", volume+":/var/lib/tootops",
			tag, "console", "--config", "/etc/tootops/config.toml")
		uid, pgid, groups := processIDs(t, name)
		if uid != botUID || pgid != botUID {
			t.Errorf("the bot runs as %s:%s, want %s:%s", uid, pgid, botUID, botUID)
		}
		for _, g := range []string{gid, extraGID} {
			if !slices.Contains(groups, g) {
				t.Errorf("supplementary groups %v lack %s (image's docker group %s, group_add %s)", groups, g, gid, extraGID)
			}
		}
		// bot healthcheck runs in scratch and reports what it found: nothing listens on port 1.
		r := docker(t, "", "exec", name, "/usr/local/bin/bot", "healthcheck", "--url", "http://127.0.0.1:1/healthz")
		if r.code != 1 || !strings.Contains(r.stderr, "connection refused") {
			t.Errorf("bot healthcheck against a closed port: %s", r)
		}
		// And with the default URL the image's HEALTHCHECK uses, it reaches GET at least.
		r = docker(t, "", "exec", name, "/usr/local/bin/bot", "healthcheck")
		if !strings.Contains(r.stdout+r.stderr, "http://127.0.0.1:9102/healthz") {
			t.Errorf("bot healthcheck with the default URL: %s", r)
		}
		t.Logf("the image's HEALTHCHECK now: %s", strings.TrimSpace(r.stdout+r.stderr))
	})
}

// assertStatic fails unless the binary is a static linux/amd64 ELF (no interpreter).
func assertStatic(t *testing.T, path string) {
	t.Helper()
	f, err := elf.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if f.Machine != elf.EM_X86_64 {
		t.Errorf("%s is for %v", path, f.Machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("%s is dynamically linked; it must run FROM scratch", path)
		}
	}
}

// checkFiles reads the image's file system: the files context.sh staged, owned as the
// Dockerfile says, and nothing of a distribution (no shell).
func checkFiles(t *testing.T, tag, runLabel, gid string) {
	t.Helper()
	cid := strings.TrimSpace(mustDocker(t, "create", "--label", "tootops.test=1", "--label", runLabel, tag))
	defer docker(t, "", "rm", "-fv", cid)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", "export", cid)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	files := map[string]*tar.Header{}
	contents := map[string]string{}
	tr := tar.NewReader(out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("docker export: %v", err)
		}
		name := strings.TrimSuffix(strings.TrimPrefix(h.Name, "./"), "/")
		files[name] = h
		if name == "etc/passwd" || name == "etc/group" {
			b, _ := io.ReadAll(tr)
			contents[name] = string(b)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("docker export: %v", err)
	}
	want := []struct {
		name     string
		mode     os.FileMode // permission bits and sticky
		uid, gid int
		nonEmpty bool
	}{
		{"usr/local/bin/bot", 0o755, 0, 0, true},
		{"etc/ssl/certs/ca-certificates.crt", 0o644, 0, 0, true},
		{"etc/passwd", 0o644, 0, 0, true},
		{"etc/group", 0o644, 0, 0, true},
		{"etc/nsswitch.conf", 0o644, 0, 0, true},
		{"etc/tootops", 0o755, 0, 0, false},
		{"tmp", 0o777 | os.ModeSticky, 0, 0, false},
		{"var/lib/tootops", 0o755, 65532, 65532, false},
	}
	for _, w := range want {
		h, ok := files[w.name]
		if !ok {
			t.Errorf("the image has no /%s", w.name)
			continue
		}
		mode := h.FileInfo().Mode() & (os.ModePerm | os.ModeSticky)
		if mode != w.mode || h.Uid != w.uid || h.Gid != w.gid || (w.nonEmpty && h.Size == 0) {
			t.Errorf("/%s: mode %v owner %d:%d size %d; want %v %d:%d", w.name, mode, h.Uid, h.Gid, h.Size, w.mode, w.uid, w.gid)
		}
	}
	for _, shell := range []string{"bin/sh", "bin/bash", "usr/bin/env"} {
		if _, ok := files[shell]; ok {
			t.Errorf("the image has /%s; it is meant to be the bot alone", shell)
		}
	}
	if !strings.Contains(contents["etc/passwd"], "\ntootops:x:65532:65532:") {
		t.Errorf("/etc/passwd:\n%s", contents["etc/passwd"])
	}
	if !strings.Contains(contents["etc/group"], "\ndocker:x:"+gid+":tootops\n") {
		t.Errorf("/etc/group has no docker group %s with tootops in it:\n%s", gid, contents["etc/group"])
	}
}

// processIDs returns the uid, gid and supplementary groups of the bot in a running
// container, from the daemon's view of the process (docker top runs ps on the host).
func processIDs(t *testing.T, container string) (uid, gid string, groups []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		// The daemon needs the pid column to tell the container's processes.
		r := docker(t, "", "top", container, "-o", "pid,uid,gid,supgid,args")
		if r.code == 0 {
			for _, line := range strings.Split(r.stdout, "\n") {
				f := strings.Fields(line)
				if len(f) >= 5 && f[4] == "/usr/local/bin/bot" {
					return f[1], f[2], strings.Split(f[3], ",")
				}
			}
		}
		if time.Now().After(deadline) {
			logs := docker(t, "", "logs", container)
			t.Fatalf("no bot process in %s: %s\nlogs: %s", container, r, logs)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// replaceLine replaces a whole line of s, which must be there exactly once.
func replaceLine(t *testing.T, s, old, new string) string {
	t.Helper()
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(old) + `$`)
	if n := len(re.FindAllStringIndex(s, -1)); n != 1 {
		t.Fatalf("config.example.toml has %d lines %q, want 1", n, old)
	}
	return re.ReplaceAllLiteralString(s, new)
}

// TestContextScript: context.sh refuses what would make a broken image.
func TestContextScript(t *testing.T) {
	script := filepath.Join(repoRoot(t), "packaging", "context.sh")
	work := t.TempDir()
	if err := os.MkdirAll(filepath.Join(work, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "bin", "bot-linux-amd64"), []byte("not a binary"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		env  []string
		code int
		msg  string
	}{
		{[]string{"DOCKER_GID=docker"}, 2, "must be a number"},
		{[]string{"DOCKER_GID=0"}, 2, "root's or tootops' own group"},
		{[]string{"DOCKER_GID=65532"}, 2, "root's or tootops' own group"},
		{[]string{"BINARY=/usr/bin/bot"}, 2, "inside the repository"},
		{[]string{"BINARY=bin/bot-linux-arm64"}, 1, "go build"},
		{[]string{"CA_BUNDLE=/nonexistent"}, 1, "no CA bundle"},
	} {
		r := run(t, "", append([]string{"DOCKER_GID=999"}, c.env...), work, "bash", script, filepath.Join(work, "ctx"))
		if r.code != c.code || !strings.Contains(r.stderr, c.msg) {
			t.Errorf("%v: %s; want exit %d and %q", c.env, r, c.code, c.msg)
		}
	}
	r := run(t, "", []string{"DOCKER_GID=105"}, work, "bash", script, filepath.Join(work, "ctx"))
	if r.code != 0 {
		t.Fatalf("context.sh: %s", r)
	}
	group, err := os.ReadFile(filepath.Join(work, "ctx", "rootfs", "etc", "group"))
	if err != nil || string(group) != "root:x:0:\ntootops:x:65532:\ndocker:x:105:tootops\n" {
		t.Errorf("/etc/group %q, %v", group, err)
	}
}

// unit is a systemd unit file: section → key → values in order (keys may repeat).
type unit map[string]map[string][]string

func parseUnit(t *testing.T, path string) unit {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
		case strings.HasSuffix(line, `\`):
			t.Fatalf("%s:%d: continued lines are not expected here", path, n)
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not a setting: %q", path, n, line)
			}
			u[section][strings.TrimSpace(k)] = append(u[section][strings.TrimSpace(k)], strings.TrimSpace(v))
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return u
}

func TestSystemdUnit(t *testing.T) {
	path := filepath.Join(repoRoot(t), "packaging", "tootops.service")
	u := parseUnit(t, path)
	svc := u["Service"]
	for key, want := range map[string]string{
		"ExecStart":               "/usr/local/bin/bot run --config /etc/tootops/config.toml",
		"User":                    "tootops",
		"SupplementaryGroups":     "docker systemd-journal",
		"StateDirectory":          "tootops",
		"EnvironmentFile":         "-/etc/tootops/env",
		"Restart":                 "on-failure",
		"TimeoutStopSec":          "45",
		"NoNewPrivileges":         "yes",
		"ProtectSystem":           "strict",
		"ProtectHome":             "yes",
		"PrivateTmp":              "yes",
		"PrivateDevices":          "yes",
		"ProtectKernelTunables":   "yes",
		"ProtectKernelModules":    "yes",
		"ProtectKernelLogs":       "yes",
		"ProtectControlGroups":    "yes",
		"RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
		"RestrictNamespaces":      "yes",
		"LockPersonality":         "yes",
		"MemoryDenyWriteExecute":  "yes",
		"SystemCallArchitectures": "native",
		"CapabilityBoundingSet":   "",
		"AmbientCapabilities":     "",
		"UMask":                   "0077",
	} {
		got, ok := svc[key]
		if !ok || got[len(got)-1] != want {
			t.Errorf("[Service] %s = %q, want %q", key, got, want)
		}
	}
	if got := svc["SystemCallFilter"]; len(got) == 0 || got[0] != "@system-service" {
		t.Errorf("SystemCallFilter %q, want @system-service first", got)
	}
	rw := strings.Fields(strings.Join(svc["ReadWritePaths"], " "))
	for _, p := range []string{"/var/lib/tootops", "-/opt/mastodon", "-/var/www/maintenance"} {
		if !slices.Contains(rw, p) {
			t.Errorf("ReadWritePaths %q lacks %s", rw, p)
		}
	}
	// The bot's shutdown is bounded at 30 s; systemd must wait longer before SIGKILL.
	if s, _ := strconv.Atoi(svc["TimeoutStopSec"][0]); s <= 30 {
		t.Errorf("TimeoutStopSec %d: the bot may take 30 s to stop", s)
	}
	if u["Install"]["WantedBy"][0] != "multi-user.target" {
		t.Errorf("[Install] %v", u["Install"])
	}

	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Logf("systemd-analyze is not installed: the unit is not verified by systemd (install systemd to have it)")
		return
	}
	// verify wants ExecStart to exist: a copy that runs this test's binary instead.
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	copyPath := filepath.Join(t.TempDir(), "tootops.service")
	data = bytes.Replace(data, []byte("ExecStart=/usr/local/bin/bot "), []byte("ExecStart="+self+" "), 1)
	if err := os.WriteFile(copyPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	// systemd-analyze verify exits 0 on unknown keys and bad values: its messages about the
	// file are the failures.
	r := run(t, "", nil, "", analyze, "verify", "--man=no", copyPath)
	if r.code != 0 || strings.Contains(r.stdout+r.stderr, copyPath+":") {
		t.Errorf("systemd-analyze verify: %s", r)
	}
	r = run(t, "", nil, "", analyze, "security", "--offline=yes", copyPath)
	m := regexp.MustCompile(`Overall exposure level for tootops.service: ([0-9.]+)`).FindStringSubmatch(r.stdout)
	if m == nil {
		t.Logf("systemd-analyze security --offline is not supported here: %s", r)
		return
	}
	t.Logf("systemd-analyze security: exposure %s", m[1])
	if level, _ := strconv.ParseFloat(m[1], 64); level > 2 {
		t.Errorf("exposure %s; the unit as written rates 1.5:\n%s", m[1], r.stdout)
	}
}

// composeService is what the test reads of the snippet.
type composeService struct {
	Image           string            `yaml:"image"`
	Restart         string            `yaml:"restart"`
	Command         []string          `yaml:"command"`
	GroupAdd        []string          `yaml:"group_add"`
	EnvFile         []string          `yaml:"env_file"`
	Volumes         []string          `yaml:"volumes"`
	Networks        []string          `yaml:"networks"`
	StopGracePeriod string            `yaml:"stop_grace_period"`
	ReadOnly        bool              `yaml:"read_only"`
	Tmpfs           []string          `yaml:"tmpfs"`
	CapDrop         []string          `yaml:"cap_drop"`
	SecurityOpt     []string          `yaml:"security_opt"`
	Healthcheck     any               `yaml:"healthcheck"`
	Environment     map[string]string `yaml:"environment"`
	Logging         struct {
		Driver  string            `yaml:"driver"`
		Options map[string]string `yaml:"options"`
	} `yaml:"logging"`
}

func TestComposeSnippet(t *testing.T) {
	root := repoRoot(t)
	path := filepath.Join(root, "packaging", "compose.yml")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Services map[string]composeService `yaml:"services"`
		Volumes  map[string]any            `yaml:"volumes"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&file); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	s, ok := file.Services["tootops"]
	if !ok {
		t.Fatalf("no tootops service in %s", path)
	}
	if s.Image != "tootops:VERSION" || s.Restart != "unless-stopped" || !slices.Equal(s.GroupAdd, []string{"${DOCKER_GID:-999}"}) ||
		!slices.Equal(s.EnvFile, []string{"./tootops.env"}) || !slices.Equal(s.Networks, []string{"external_network"}) {
		t.Errorf("service: %+v", s)
	}
	if s.Healthcheck != nil {
		t.Errorf("healthcheck %v: the image's is meant to apply", s.Healthcheck)
	}
	if d, err := time.ParseDuration(s.StopGracePeriod); err != nil || d <= 30*time.Second {
		t.Errorf("stop_grace_period %q: the bot may take 30 s to stop", s.StopGracePeriod)
	}
	if !s.ReadOnly || !slices.Equal(s.Tmpfs, []string{"/tmp"}) || !slices.Equal(s.CapDrop, []string{"ALL"}) || !slices.Contains(s.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("hardening: read_only %v cap_drop %v security_opt %v", s.ReadOnly, s.CapDrop, s.SecurityOpt)
	}
	if s.Logging.Driver == "" || s.Logging.Options["max-size"] == "" {
		t.Errorf("logging %+v: want rotation", s.Logging)
	}
	mounts := map[string]string{}
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) < 2 {
			t.Errorf("volume %q", v)
			continue
		}
		mounts[parts[1]] = v
		// Host paths at the same path in the container: Compose labels and the compose
		// file's contents are host paths, and the bot uses them as they are.
		if strings.HasPrefix(parts[0], "/") && parts[0] != parts[1] {
			t.Errorf("volume %q: a host path must be mounted at the same path", v)
		}
	}
	for target, want := range map[string]string{
		"/var/run/docker.sock":     "/var/run/docker.sock:/var/run/docker.sock",
		"/var/lib/tootops":         "tootops-state:/var/lib/tootops",
		"/etc/tootops/config.toml": "./tootops.toml:/etc/tootops/config.toml:ro",
		"/opt/mastodon":            "/opt/mastodon:/opt/mastodon",
		"/var/www/maintenance":     "/var/www/maintenance:/var/www/maintenance",
	} {
		if mounts[target] != want {
			t.Errorf("mount at %s: %q, want %q", target, mounts[target], want)
		}
	}
	if _, ok := file.Volumes["tootops-state"]; !ok {
		t.Errorf("top-level volumes %v lack tootops-state", file.Volumes)
	}

	// Compose itself merges it into a Mastodon-shaped project, as a second -f file.
	requireDocker(t)
	compose := []string{"docker-compose"}
	if _, err := exec.LookPath("docker-compose"); err != nil {
		if docker(t, "", "compose", "version").code != 0 {
			t.Fatalf("neither docker-compose nor docker compose is installed: %s", setupHint)
		}
		compose = []string{"docker", "compose"}
	}
	dir := t.TempDir()
	base := `services:
  web:
    image: ghcr.io/mastodon/mastodon:v4.5.1
    networks: [external_network, internal_network]
networks:
  external_network:
  internal_network:
    internal: true
`
	for name, body := range map[string]string{"docker-compose.yml": base, "tootops.env": "", "tootops.toml": ""} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	args := append(compose[1:], "-p", "tootopspackaging", "-f", filepath.Join(dir, "docker-compose.yml"), "-f", path, "config")
	r := run(t, "", []string{"DOCKER_GID=4242"}, dir, compose[0], args...)
	if r.code != 0 {
		t.Fatalf("%s config: %s", strings.Join(compose, " "), r)
	}
	for _, want := range []string{"4242", filepath.Join(dir, "tootops.toml") + ":/etc/tootops/config.toml:ro", "tootops-state"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("merged config lacks %q:\n%s", want, r.stdout)
		}
	}
}
