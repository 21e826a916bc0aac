package upgrade_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/mastodonsim"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/backup"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/maintenance"
	"github.com/tootops/tootops/ops/release"
	"github.com/tootops/tootops/ops/release/releasetest"
	"github.com/tootops/tootops/ops/s3store"
	"github.com/tootops/tootops/ops/upgrade"
	"github.com/tootops/tootops/state"
)

// harness is an upgrader over the lab's upgrade scenario, with every part real: the
// Docker daemon, a registry, the Mastodon imitation for the toots, PostgreSQL and
// versitygw for the backup, the GitHub imitation for the releases.
type harness struct {
	t        *testing.T
	sc       *lab.UpgradeScenario
	up       *upgrade.Upgrader
	sim      *mastodonsim.Server
	botAcc   *mastodonsim.Account
	flag     maintenance.Flag
	assets   string
	statePth string
	store    *state.Store
	project  *compose.Project
	rel      *releasetest.Server
	opts     upgrade.Options
}

func newHarness(t *testing.T, o lab.UpgradeLabOptions) *harness {
	t.Helper()
	h := &harness{t: t}
	cli := lab.Docker(t)
	h.sc = lab.UpgradeLab(t, cli, o)
	var err error
	h.project, err = compose.New(compose.Options{Project: h.sc.Name, Client: cli, Directory: h.sc.Dir})
	if err != nil {
		t.Fatal(err)
	}
	h.rel = releasetest.New(t, lab.Releases()...)

	// The toots go to the Mastodon imitation through the bot's own publisher.
	h.sim = mastodonsim.New(t)
	h.botAcc = h.sim.AddLocalAccount("tootops", mastodonsim.Bot())
	m, err := bot.DialMastodon(context.Background(), h.sim.URL, h.botAcc.Token("read", "write"), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	h.statePth = filepath.Join(dir, "state.db")
	h.store, err = state.Open(h.statePth)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.store.Close() })
	cfg := config.Default()
	cfg.Admins.Accounts = []string{"alice@" + h.sim.Domain}
	var pub commands.Publisher
	b, err := bot.New(bot.Options{Log: zerolog.Nop(), Store: h.store, Config: &cfg, PublisherReady: func(p commands.Publisher) { pub = p }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close(context.Background()) })
	b.SetPublicChannel(m)

	// The backup before the upgrade: a real dump of a real database into a real bucket.
	pg := lab.Postgres(t)
	pg.CreateDB(t, "mastodon_production")
	pg.Psql(t, "mastodon_production", lab.SeedSQL(500))
	s3 := lab.S3(t, lab.S3Options{})
	store, err := s3store.New(context.Background(), s3store.Config{Endpoint: s3.Endpoint, Bucket: s3.Bucket, PathStyle: true, AccessKeyID: s3.AccessKey, SecretAccessKey: s3.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	backups := backup.New(backup.Options{
		Database: "mastodon_production", Prefix: "tootops", Store: store, Catalogue: backup.NewCatalogue(h.store),
		Source: &backup.HostSource{Address: pg.Addr(), Role: pg.User, Password: pg.Password, BinDir: pg.BinDir},
		Where:  backup.Where{Bucket: s3.Bucket, Endpoint: s3.Endpoint, Address: pg.Addr()}, Log: zerolog.Nop(),
	})

	h.flag = maintenance.Flag{Path: filepath.Join(dir, "ON")}
	h.assets = filepath.Join(dir, "assets")
	if err := os.MkdirAll(h.assets, 0o755); err != nil {
		t.Fatal(err)
	}
	h.opts = upgrade.Options{
		Engine: h.project, Releases: release.NewClient(release.ClientOptions{URL: h.rel.URL}),
		Backups: backups, Publisher: pub, Maintenance: h.flag, Store: h.store,
		WebURL:       "http://127.0.0.1:" + strconv.Itoa(h.sc.Ports["web"]),
		StreamingURL: "http://127.0.0.1:" + strconv.Itoa(h.sc.Ports["streaming"]),
		AssetsDir:    h.assets, AnnounceTemplate: config.DefaultUpgradeTemplate, DoneTemplate: config.DefaultUpgradeDoneTemplate,
		HealthTimeout: 20 * time.Second, Log: zerolog.Nop(),
	}
	h.up = upgrade.New(h.opts)
	return h
}

// progress records every report.
type progress struct {
	mu    sync.Mutex
	notes []string
}

func (p *progress) Report(done, total int64, note string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notes = append(p.notes, strconv.FormatInt(done, 10)+"/"+strconv.FormatInt(total, 10)+" "+note)
}
func (p *progress) Done() {}

func (h *harness) upgrade(target string) (*upgrade.Run, error) {
	h.t.Helper()
	pl, err := h.up.Plan(context.Background(), target)
	if err != nil {
		h.t.Fatalf("plan: %v", err)
	}
	if len(pl.Blocking) > 0 {
		h.t.Fatalf("plan blocked:\n%s", pl.Text())
	}
	return h.up.Start(context.Background(), pl, 1, "alice@social.example.coop", &progress{})
}

// images is the image each Mastodon service runs.
func (h *harness) images() string {
	web, streaming, sidekiq := h.sc.Versions(h.t)
	return web + " " + streaming + " " + sidekiq
}

func (h *harness) toots() []mastodonsim.Status {
	return h.sim.StatusesBy(h.botAcc)
}

func TestUpgradeEndToEnd(t *testing.T) {
	h := newHarness(t, lab.UpgradeLabOptions{})
	before, err := os.ReadFile(h.sc.ComposeFile)
	if err != nil {
		t.Fatal(err)
	}
	// The admin's file: readable by all, owned by someone else (as root, the test can).
	if err := os.Chmod(h.sc.ComposeFile, 0o644); err != nil {
		t.Fatal(err)
	}
	uid, gid := os.Getuid(), os.Getgid()
	if os.Geteuid() == 0 {
		uid, gid = 1000, 1000
		if err := os.Chown(h.sc.ComposeFile, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := h.up.Versions(context.Background())
	if err != nil || !vs.Agree() || vs.Image != "v4.5.0" {
		t.Fatalf("versions before = %+v, %v", vs, err)
	}
	pl, err := h.up.Plan(context.Background(), "v4.5.1")
	if err != nil {
		t.Fatal(err)
	}
	text := pl.Text()
	for _, want := range []string{"upgrade v4.5.0 → v4.5.1", "UNUSUALLY LONG migrations", "downtime: yes", "release tasks: tootctl cache clear", "steps: pull v4.5.1 → backup → announce → maintenance on → pre-deployment migrations v4.5.1 → recreate v4.5.1 → compose file v4.5.1 → post-deployment migrations v4.5.1 → release tasks → assets v4.5.1 → health → maintenance off → completion toot"} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}

	r, err := h.upgrade("v4.5.1")
	if err != nil {
		t.Fatalf("upgrade: %v\n%s", err, r.Report())
	}
	if r.State != upgrade.Succeeded {
		t.Fatalf("state %s:\n%s", r.State, r.Report())
	}
	// The containers run the new images.
	if got := h.images(); strings.Count(got, ":v4.5.1") != 3 {
		t.Errorf("images after = %s", got)
	}
	// The compose file changed on its image lines only, and is still the admin's.
	after, err := os.ReadFile(h.sc.ComposeFile)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(h.sc.ComposeFile); err != nil || fi.Mode().Perm() != 0o644 ||
		int(fi.Sys().(*syscall.Stat_t).Uid) != uid || int(fi.Sys().(*syscall.Stat_t).Gid) != gid {
		t.Errorf("compose file after the upgrade: %v %+v, %v; want -rw-r--r-- %d:%d", fi.Mode(), fi.Sys(), err, uid, gid)
	}
	bl, al := strings.Split(string(before), "\n"), strings.Split(string(after), "\n")
	if len(bl) != len(al) {
		t.Fatalf("the compose file has %d lines, had %d", len(al), len(bl))
	}
	changed := 0
	for i := range bl {
		if bl[i] != al[i] {
			changed++
			if !strings.Contains(bl[i], "image:") || strings.Replace(bl[i], "v4.5.0", "v4.5.1", 1) != al[i] {
				t.Errorf("line %d changed: %q → %q", i+1, bl[i], al[i])
			}
		}
	}
	if changed != 3 {
		t.Errorf("%d lines changed, want the 3 image lines", changed)
	}
	// Migrations ran in order: the pre-deployment ones before the post-deployment ones.
	var migs []string
	for _, m := range h.sc.Migrations(t) {
		if strings.HasSuffix(m, " 4.5.1") {
			migs = append(migs, m)
		}
	}
	if want := []string{"20261101000000_add_lab_column pre 4.5.1", "20261101000001_backfill_lab_column post 4.5.1"}; strings.Join(migs, "\n") != strings.Join(want, "\n") {
		t.Errorf("migrations of 4.5.1: %q, want %q", migs, want)
	}
	// Assets swapped: current names the new version's public/.
	link, err := os.Readlink(filepath.Join(h.assets, "current"))
	if err != nil || !strings.Contains(link, "public-v4.5.1") {
		t.Errorf("assets link = %q, %v", link, err)
	}
	if _, err := os.Stat(filepath.Join(h.assets, "current", lab.PackFile("4.5.1"))); err != nil {
		t.Errorf("the new pack is not there: %v", err)
	}
	if _, err := os.Stat(filepath.Join(h.assets, "current", "system")); !os.IsNotExist(err) {
		t.Errorf("the image's public/system (the media volume's place) was copied: %v", err)
	}
	// Maintenance went on and off again; the toots are there, the second in reply to the first.
	if st, _ := h.flag.Status(); st.On {
		t.Error("maintenance is still on")
	}
	toots := h.toots()
	if len(toots) != 2 || !strings.Contains(toots[0].PlainText(), "Mastodon v4.5.1") || toots[1].InReplyToID != toots[0].ID {
		t.Errorf("toots = %+v", toots)
	}
	vs, err = h.up.Versions(context.Background())
	if err != nil || !vs.Agree() || vs.Image != "v4.5.1" {
		t.Errorf("versions after = %+v, %v", vs, err)
	}
	for _, s := range r.Steps {
		if s.Status != upgrade.Done {
			t.Errorf("step %s is %s", s.Name(), s.Status)
		}
	}
	if r.BackupKey == "" {
		t.Error("no backup key recorded")
	}
}

// rolledBack checks the instance is on v4.5.0, as before, with the compose file as it was.
func (h *harness) rolledBack(r *upgrade.Run, err error, before []byte) {
	h.t.Helper()
	if err == nil || r == nil || r.State != upgrade.RolledBack {
		h.t.Fatalf("want rolled back, got %v:\n%v", err, report(r))
	}
	if got := h.images(); strings.Count(got, ":v4.5.0") != 3 {
		h.t.Errorf("images after the rollback = %s", got)
	}
	if after, _ := os.ReadFile(h.sc.ComposeFile); string(after) != string(before) {
		h.t.Error("the compose file was not put back")
	}
	if st, _ := h.flag.Status(); st.On {
		h.t.Error("maintenance left on after a rollback")
	}
	vs, verr := h.up.Versions(context.Background())
	if verr != nil || !vs.Agree() || vs.Image != "v4.5.0" {
		h.t.Errorf("versions after the rollback = %+v, %v", vs, verr)
	}
}

func report(r *upgrade.Run) string {
	if r == nil {
		return "(no run)"
	}
	return r.Report()
}

func TestUpgradeFailures(t *testing.T) {
	t.Run("pull", func(t *testing.T) {
		h := newHarness(t, lab.UpgradeLabOptions{})
		before, _ := os.ReadFile(h.sc.ComposeFile)
		// A release whose images were never pushed.
		h.rel.Add(releasetest.Release{Tag: "v4.5.2", Body: "## Upgrade overview\n\nℹ️ Requires database migrations\n", Published: time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)})
		r, err := h.upgrade("v4.5.2")
		h.rolledBack(r, err, before)
		if !strings.Contains(ops.SafeText(err), "pull v4.5.2 failed") {
			t.Errorf("err = %v", ops.SafeText(err))
		}
	})
	t.Run("pre-deployment migration", func(t *testing.T) {
		h := newHarness(t, lab.UpgradeLabOptions{})
		before, _ := os.ReadFile(h.sc.ComposeFile)
		h.sc.FailNext(t, "pre")
		r, err := h.upgrade("v4.5.1")
		h.rolledBack(r, err, before)
		if !strings.Contains(ops.SafeText(err), "pre-deployment migrations v4.5.1 failed: rails db:migrate exited with code 1") {
			t.Errorf("err = %v", ops.SafeText(err))
		}
	})
	t.Run("recreate never healthy", func(t *testing.T) {
		h := newHarness(t, lab.UpgradeLabOptions{Unhealthy: []string{"4.5.1"}})
		before, _ := os.ReadFile(h.sc.ComposeFile)
		r, err := h.upgrade("v4.5.1")
		h.rolledBack(r, err, before)
		if !strings.Contains(ops.SafeText(err), "recreate v4.5.1 failed") {
			t.Errorf("err = %v", ops.SafeText(err))
		}
	})
	t.Run("post-deployment migration", func(t *testing.T) {
		h := newHarness(t, lab.UpgradeLabOptions{})
		h.sc.FailNext(t, "post")
		r, err := h.upgrade("v4.5.1")
		if err == nil || r.State != upgrade.HandedOver {
			t.Fatalf("want handed over, got %v:\n%s", err, report(r))
		}
		if st, _ := h.flag.Status(); !st.On {
			t.Error("maintenance is off after a failure past the point of no return")
		}
		if !strings.Contains(r.Handover, r.BackupKey) || !strings.Contains(r.Handover, "pg_restore") || !strings.Contains(r.Handover, "upgrade resume") {
			t.Errorf("handover:\n%s", r.Handover)
		}
		if got := h.images(); strings.Count(got, ":v4.5.1") != 3 {
			t.Errorf("images = %s", got)
		}
		// The cause fixed, resume finishes from the failed step.
		res, err := h.up.Resume(context.Background(), 2, &progress{})
		if err != nil || res.State != upgrade.Succeeded {
			t.Fatalf("resume: %v\n%s", err, report(res))
		}
		if st, _ := h.flag.Status(); st.On {
			t.Error("maintenance still on after the resumed upgrade")
		}
	})
}
