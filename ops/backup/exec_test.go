package backup_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/backup"
	"github.com/tootops/tootops/ops/compose"
	"github.com/tootops/tootops/ops/s3store"
	"github.com/tootops/tootops/state"
)

// TestBackupThroughDockerExec runs the default source: pg_dump, psql and pg_restore
// inside the Compose db service (a real PostgreSQL container of the lab) through the
// Engine API's exec, with binary output demultiplexed from stderr and the exit code
// taken from the exec. It backs up, verifies and kills a dump mid-stream.
func TestBackupThroughDockerExec(t *testing.T) {
	cli := lab.Docker(t)
	lp := lab.Up(t, cli, lab.Spec{Services: []lab.Service{lab.PostgresService()}})
	db := lab.WaitPostgres(t, lp)
	psql := func(sql string) string {
		t.Helper()
		out, errOut, code := lp.Exec(t, db, "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-U", "postgres", "-d", "mastodon_production", "-c", sql)
		if code != 0 {
			t.Fatalf("psql: %s", errOut)
		}
		return strings.TrimSpace(out)
	}
	if _, errOut, code := lp.Exec(t, db, "createdb", "-U", "postgres", "mastodon_production"); code != 0 {
		t.Fatalf("createdb: %s", errOut)
	}
	psql(lab.SeedSQL(100000))

	project, err := compose.New(compose.Options{Project: lp.Name, Client: cli})
	if err != nil {
		t.Fatal(err)
	}
	s3 := lab.S3(t, lab.S3Options{})
	store, err := s3store.New(context.Background(), s3store.Config{
		Endpoint: s3.Endpoint, Region: s3.Region, Bucket: s3.Bucket, PathStyle: true, AccessKeyID: s3.AccessKey, SecretAccessKey: s3.SecretKey,
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	svc := backup.New(backup.Options{
		Database: "mastodon_production", Prefix: "tootops", Store: store, Catalogue: backup.NewCatalogue(st),
		Source:    &backup.ExecSource{Project: project, Service: "db", Role: "postgres"},
		Retention: backup.Policy{Daily: 7}, Log: zerolog.Nop(),
	})
	ctx := context.Background()
	res, err := svc.Backup(ctx, 1, ops.NoProgress{})
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	if got, want := res.Record.Rows["public.statuses"], psql("SELECT count(*) FROM statuses"); want != itoa(got) {
		t.Errorf("statuses rows = %d, count(*) = %s", got, want)
	}
	if !strings.HasPrefix(res.Record.DumpVersion, "pg_dump (PostgreSQL) 15") {
		t.Errorf("pg_dump version %q", res.Record.DumpVersion)
	}
	v, err := svc.Verify(ctx, res.Record.Key, ops.NoProgress{})
	if err != nil || !v.Verification.OK {
		t.Fatalf("verify through exec: %+v %v", v, err)
	}

	// pg_dump dies mid-stream (its connection is terminated): no second object appears.
	go func() {
		for range 1000 {
			if live, ok := svc.Running(); ok && live.Raw() > 1<<20 {
				psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pg_dump'")
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	time.Sleep(1100 * time.Millisecond) // a key of its own second
	_, err = svc.Backup(ctx, 2, ops.NoProgress{})
	if err == nil || !strings.Contains(ops.SafeText(err), "pg_dump exited with code 1") {
		t.Fatalf("killed dump: %v", err)
	}
	var keys []string
	if err := store.List(ctx, "", func(o s3store.Object) error { keys = append(keys, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 2 || keys[0] != res.Record.Key || keys[1] != backup.ManifestKey(res.Record.Key) {
		t.Errorf("objects after the failed dump: %v", keys)
	}
	if pending, _ := store.PendingUploads(ctx, ""); len(pending) != 0 {
		t.Errorf("pending uploads: %v", pending)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
