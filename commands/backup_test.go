package commands_test

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/bot"
	"github.com/tootops/tootops/commands"
	"github.com/tootops/tootops/config"
	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops/backup"
	"github.com/tootops/tootops/ops/s3store"
	"github.com/tootops/tootops/state"
)

// slowSource is a real source whose pg_dump output trickles, so a test can talk to the
// bot while a backup runs.
type slowSource struct{ backup.Source }

func (s slowSource) Run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if argv[0] == "pg_dump" && len(argv) > 1 && argv[1] == "-Fc" {
		stdout = slowWriter{stdout}
	}
	return s.Source.Run(ctx, argv, stdin, stdout, stderr)
}

type slowWriter struct{ w io.Writer }

func (s slowWriter) Write(p []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	return s.w.Write(p)
}

// TestBackupThroughTheBot: while a backup runs, `backup status` shows it, a second
// `backup` answers busy naming the running job, and `cancel N` stops it leaving nothing.
func TestBackupThroughTheBot(t *testing.T) {
	pg := lab.Postgres(t)
	pg.CreateDB(t, "mastodon_production")
	pg.Psql(t, "mastodon_production", lab.SeedSQL(20000))
	s3 := lab.S3(t, lab.S3Options{})
	store, err := s3store.New(context.Background(), s3store.Config{Endpoint: s3.Endpoint, Bucket: s3.Bucket, PathStyle: true, AccessKeyID: s3.AccessKey, SecretAccessKey: s3.SecretKey})
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	svc := backup.New(backup.Options{
		Database: "mastodon_production", Prefix: "tootops", Store: store, Catalogue: backup.NewCatalogue(st),
		Source: slowSource{&backup.HostSource{Address: pg.Addr(), Role: pg.User, Password: pg.Password, BinDir: pg.BinDir}},
		Log:    zerolog.Nop(),
	})
	cfg := config.Default()
	cfg.Admins.Accounts = []string{labAdmin}
	b, err := bot.New(bot.Options{
		Log: zerolog.Nop(), Store: st, Config: &cfg, LocalDomain: "social.example.coop",
		Info: bot.Info{Version: "test", Started: time.Now()}, Commands: commands.BackupCommands(svc, nil),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = b.Close(ctx)
		_ = st.Close()
	})
	l := &labBot{t: t, b: b, tr: &chat{}}

	l.say("backup", false)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if live, ok := svc.Running(); ok {
			if table, _ := live.Table(); table != "" {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the backup never started streaming; said %q", l.tr.since(0))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := last(l.say("backup status", true)); !strings.HasPrefix(got, "backup running (job 1, ") || !strings.Contains(got, " · table ") {
		t.Errorf("status = %q", got)
	}
	if got := last(l.say("backup", true)); !strings.Contains(got, "busy: backup is held by job 1 (backup, by alice@social.example.coop") {
		t.Errorf("second backup = %q", got)
	}
	l.say("cancel 1", true)
	l.waitSaid(`^job 1 \(backup\) cancelled after`, 30*time.Second)
	var keys []string
	if err := store.List(context.Background(), "", func(o s3store.Object) error { keys = append(keys, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 0 {
		t.Errorf("objects after cancel: %v", keys)
	}
	rs, _ := svc.Catalogue().Latest("mastodon_production", 1, nil)
	if len(rs) != 1 || rs[0].Status != backup.Failed || rs[0].Error != "cancelled" {
		t.Errorf("catalogue = %+v", rs)
	}
	if got := last(l.say("backups", true)); !strings.Contains(got, "✗") || !strings.Contains(got, "FAILED: cancelled") {
		t.Errorf("backups = %q", got)
	}
}
