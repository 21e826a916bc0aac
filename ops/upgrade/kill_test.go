package upgrade_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/maintenance"
	"github.com/tootops/tootops/ops/release"
	"github.com/tootops/tootops/ops/release/releasetest"
	"github.com/tootops/tootops/ops/upgrade"
	"github.com/tootops/tootops/state"
)

// childSetup is what a child process needs to run an upgrade of the parent's lab.
type childSetup struct {
	Project, Dir, State, Releases, Web, Streaming, Flag, Assets string
}

func (c childSetup) upgrader(store *state.Store) (*upgrade.Upgrader, error) {
	cli, err := ops.NewDockerClient(ops.DockerHost(""))
	if err != nil {
		return nil, err
	}
	p, err := compose.New(compose.Options{Project: c.Project, Client: cli, Directory: c.Dir})
	if err != nil {
		return nil, err
	}
	return upgrade.New(upgrade.Options{
		Engine: p, Releases: release.NewClient(release.ClientOptions{URL: c.Releases}), Store: store,
		Maintenance: maintenance.Flag{Path: c.Flag}, WebURL: c.Web, StreamingURL: c.Streaming, AssetsDir: c.Assets,
		HealthTimeout: 30 * time.Second, Log: zerolog.Nop(),
	}), nil
}

// TestMain lets the test binary play the bot in a child process that the test kills.
func TestMain(m *testing.M) {
	if raw := os.Getenv("TOOTOPS_UPGRADE_CHILD"); raw != "" {
		os.Exit(child(raw))
	}
	os.Exit(m.Run())
}

// child runs `upgrade v4.5.1` and prints each progress report on a line of its own.
func child(raw string) int {
	var c childSetup
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	store, err := state.Open(c.State)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	u, err := c.upgrader(store)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	pl, err := u.Plan(context.Background(), "v4.5.1")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	if _, err := u.Start(context.Background(), pl, 7, "alice@social.example.coop", printer{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

type printer struct{}

func (printer) Report(_, _ int64, note string) { fmt.Printf("%s\n", note) }
func (printer) Done()                          {}

// TestKilledMidUpgradeResumes kills the process running an upgrade with SIGKILL in the
// middle of a step, then resumes it from another process: the step it was in runs again
// and the upgrade ends as if nothing happened.
func TestKilledMidUpgradeResumes(t *testing.T) {
	for _, at := range []string{"pre-deployment migrations v4.5.1", "post-deployment migrations v4.5.1"} {
		t.Run(at, func(t *testing.T) { killAndResume(t, at) })
	}
}

func killAndResume(t *testing.T, at string) {
	cli := lab.Docker(t)
	sc := lab.UpgradeLab(t, cli, lab.UpgradeLabOptions{})
	rel := releasetest.New(t, lab.Releases()...)
	dir := t.TempDir()
	c := childSetup{
		Project: sc.Name, Dir: sc.Dir, State: filepath.Join(dir, "state.db"), Releases: rel.URL,
		Web: "http://127.0.0.1:" + strconv.Itoa(sc.Ports["web"]), Streaming: "http://127.0.0.1:" + strconv.Itoa(sc.Ports["streaming"]),
		Flag: filepath.Join(dir, "ON"), Assets: filepath.Join(dir, "assets"),
	}
	if err := os.MkdirAll(c.Assets, 0o755); err != nil {
		t.Fatal(err)
	}
	raw, _ := json.Marshal(c)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "TOOTOPS_UPGRADE_CHILD="+string(raw))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	killed := false
	sc2 := bufio.NewScanner(out)
	var seen []string
	for sc2.Scan() {
		seen = append(seen, sc2.Text())
		if strings.HasPrefix(sc2.Text(), at) {
			_ = cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("the child never reached %q; it said %q, stderr %s", at, seen, stderr.String())
	}

	// Another process takes over: the state file tells where the run stopped.
	store, err := state.Open(c.State)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	u, err := c.upgrader(store)
	if err != nil {
		t.Fatal(err)
	}
	r, ok, err := u.Status()
	if err != nil || !ok || r.State != upgrade.InProgress {
		t.Fatalf("status after the kill: %v %v\n%s", ok, err, report(r))
	}
	if st := r.Steps[indexOf(r, at)]; st.Status != upgrade.Running {
		t.Errorf("step %s is %s after the kill", at, st.Status)
	}
	// A new upgrade is refused while this one is unfinished.
	pl, err := u.Plan(context.Background(), "v4.5.1")
	if err == nil {
		if _, err = u.Start(context.Background(), pl, 8, "bob@social.example.coop", &progress{}); err == nil || !strings.Contains(ops.SafeText(err), "upgrade resume") {
			t.Errorf("a second upgrade during an unfinished one: %v", err)
		}
	}
	res, err := u.Resume(context.Background(), 9, &progress{})
	if err != nil || res.State != upgrade.Succeeded {
		t.Fatalf("resume: %v\n%s", err, report(res))
	}
	if st := res.Steps[indexOf(res, at)]; st.Attempts != 2 {
		t.Errorf("step %s ran %d times, want 2 (killed, then resumed)", at, st.Attempts)
	}
	web, streaming, sidekiq := sc.Versions(t)
	if !strings.HasSuffix(web, ":v4.5.1") || !strings.HasSuffix(streaming, ":v4.5.1") || !strings.HasSuffix(sidekiq, ":v4.5.1") {
		t.Errorf("images after resume: %s %s %s", web, streaming, sidekiq)
	}
	if st, _ := (maintenance.Flag{Path: c.Flag}).Status(); st.On {
		t.Error("maintenance left on")
	}
}

func indexOf(r *upgrade.Run, name string) int {
	for i, s := range r.Steps {
		if s.Name() == name {
			return i
		}
	}
	return 0
}
