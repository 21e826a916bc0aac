package backup_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/rs/zerolog"

	"github.com/tootops/tootops/lab"
	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/backup"
	"github.com/tootops/tootops/ops/s3store"
	"github.com/tootops/tootops/state"
)

// rig is a backup service over a throwaway PostgreSQL cluster on this host and a
// versitygw bucket on loopback: every part real.
type rig struct {
	t     *testing.T
	pg    *lab.PG
	s3    *lab.S3Server
	store *s3store.Store
	cat   *backup.Catalogue
	svc   *backup.Service
	db    string
	clock *clock
	src   *backup.HostSource
}

type rigOptions struct {
	tls      bool
	rows     int
	s3       *lab.S3Server // nil starts one
	endpoint string        // a proxy in front of the server
	maxParts int32
	policy   backup.Policy
}

func newRig(t *testing.T, o rigOptions) *rig {
	t.Helper()
	r := &rig{t: t, db: "mastodon_test", clock: &clock{t: time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)}}
	r.pg = lab.Postgres(t)
	r.pg.CreateDB(t, r.db)
	if o.rows == 0 {
		o.rows = 2000
	}
	r.pg.Psql(t, r.db, lab.SeedSQL(o.rows))
	r.s3 = o.s3
	if r.s3 == nil {
		r.s3 = lab.S3(t, lab.S3Options{TLS: o.tls})
	}
	endpoint := r.s3.Endpoint
	if o.endpoint != "" {
		endpoint = o.endpoint
	}
	var err error
	r.store, err = s3store.New(context.Background(), s3store.Config{
		Endpoint: endpoint, Region: r.s3.Region, Bucket: r.s3.Bucket, PathStyle: true,
		AccessKeyID: r.s3.AccessKey, SecretAccessKey: r.s3.SecretKey, RootCAs: r.s3.RootCAs,
	})
	if err != nil {
		t.Fatal(err)
	}
	st, err := state.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.cat = backup.NewCatalogue(st)
	r.src = &backup.HostSource{Address: r.pg.Addr(), Role: r.pg.User, Password: r.pg.Password, BinDir: r.pg.BinDir}
	if o.policy == (backup.Policy{}) {
		o.policy = backup.Policy{Daily: 7, Weekly: 4, Monthly: 6}
	}
	r.svc = backup.New(backup.Options{
		Database: r.db, Prefix: "tootops", Source: r.src, Store: r.store, Catalogue: r.cat,
		Where:     backup.Where{Bucket: r.s3.Bucket, Endpoint: r.s3.Endpoint, Address: r.pg.Addr()},
		Retention: o.policy, Location: time.UTC, MaxParts: o.maxParts,
		ReportEvery: 10 * time.Millisecond, Log: zerolog.Nop(), Now: r.clock.now,
	})
	return r
}

// clock is a test's time: each backup gets its own second, days pass when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Second)
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// progress records reports.
type progress struct {
	mu    sync.Mutex
	notes []string
	done  int
}

func (p *progress) Report(_, _ int64, note string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.notes = append(p.notes, note)
}

func (p *progress) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done++
}

func (p *progress) all() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.notes)
}

// counts is count(*) of every user table, keyed like the manifest's row counts.
func (r *rig) counts(db string) map[string]int64 {
	out := map[string]int64{}
	tables := r.pg.Psql(r.t, db, `SELECT format('%s.%s', n.nspname, c.relname) || chr(9) || format('%I.%I', n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'`)
	for line := range strings.SplitSeq(strings.TrimSpace(tables), "\n") {
		name, ident, _ := strings.Cut(line, "\t")
		n, err := strconv.ParseInt(strings.TrimSpace(r.pg.Psql(r.t, db, "SELECT count(*) FROM "+ident)), 10, 64)
		if err != nil {
			r.t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

// nothingLeft asserts the bucket holds no object and no multipart upload under the
// database's folder.
func (r *rig) nothingLeft() {
	r.t.Helper()
	ctx := context.Background()
	var keys []string
	if err := r.store.List(ctx, "tootops/", func(o s3store.Object) error { keys = append(keys, o.Key); return nil }); err != nil {
		r.t.Fatal(err)
	}
	if len(keys) > 0 {
		r.t.Errorf("objects left: %v", keys)
	}
	pending, err := r.store.PendingUploads(ctx, "tootops/")
	if err != nil {
		r.t.Fatal(err)
	}
	if len(pending) > 0 {
		r.t.Errorf("multipart uploads left: %v", pending)
	}
}

// lastRecord is the newest catalogue record.
func (r *rig) lastRecord() backup.Record {
	r.t.Helper()
	rs, err := r.cat.Latest(r.db, 1, nil)
	if err != nil || len(rs) != 1 {
		r.t.Fatalf("catalogue: %v %v", rs, err)
	}
	return rs[0]
}

func TestBackupVerifyAndRestoreCommand(t *testing.T) {
	r := newRig(t, rigOptions{rows: 20000})
	ctx := context.Background()
	want := r.counts(r.db)

	p := &progress{}
	res, err := r.svc.Backup(ctx, 7, p)
	if err != nil {
		t.Fatalf("backup: %v", err)
	}
	rec := res.Record
	if rec.Status != backup.OK || rec.JobID != 7 || rec.Size <= 0 || rec.RawSize <= rec.Size || len(rec.SHA256) != 64 {
		t.Fatalf("record = %+v", rec)
	}
	if !strings.HasPrefix(rec.Key, "tootops/mastodon_test/2026/11/mastodon_test-20261124T") || !strings.HasSuffix(rec.Key, ".dump") {
		t.Errorf("key = %s", rec.Key)
	}
	if p.done != 1 {
		t.Errorf("Done called %d times", p.done)
	}
	if rec.Tables != len(want) {
		t.Errorf("tables = %d, want %d", rec.Tables, len(want))
	}
	for name, n := range want {
		if rec.Rows[name] != n {
			t.Errorf("rows[%s] = %d, count(*) = %d", name, rec.Rows[name], n)
		}
	}
	obj, err := r.store.Head(ctx, rec.Key)
	if err != nil || obj.Size != rec.Size {
		t.Errorf("object: %+v, %v; want size %d", obj, err, rec.Size)
	}

	// The manifest explains the dump without the catalogue.
	body, _, err := r.store.Get(ctx, backup.ManifestKey(rec.Key))
	if err != nil {
		t.Fatal(err)
	}
	var m backup.Manifest
	if err := json.NewDecoder(body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	body.Close()
	if m.Key != rec.Key || m.Size != rec.Size || m.SHA256 != rec.SHA256 || m.Database != r.db || m.Tables != rec.Tables ||
		!strings.Contains(m.ServerVersion, "15") || !strings.Contains(m.DumpVersion, "pg_dump") || m.Rows["public.statuses"] != want["public.statuses"] {
		t.Errorf("manifest = %+v", m)
	}

	vp := &progress{}
	vres, err := r.svc.Verify(ctx, "", vp)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	v := vres.Verification
	if !v.OK || v.Tables != len(want) || v.Rows == 0 {
		t.Errorf("verification = %+v", v)
	}
	if got := strings.TrimSpace(r.pg.Psql(t, "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'tootops_verify_%'")); got != "0" {
		t.Errorf("scratch databases left: %s", got)
	}
	if got, _, _ := r.cat.Get(rec.Key); got.Verify == nil || !got.Verify.OK {
		t.Errorf("catalogue verify = %+v", got.Verify)
	}
	body, _, err = r.store.Get(ctx, backup.ManifestKey(rec.Key))
	if err != nil {
		t.Fatal(err)
	}
	m = backup.Manifest{}
	json.NewDecoder(body).Decode(&m)
	body.Close()
	if m.Verify == nil || !m.Verify.OK {
		t.Errorf("manifest verify = %+v", m.Verify)
	}

	cmd, err := r.svc.RestoreCommand(ctx, rec.Key)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"s3://" + r.s3.Bucket + "/" + rec.Key, rec.SHA256, "pg_restore", "createdb", "mastodon_test_restore", "PGHOST=127.0.0.1"} {
		if !strings.Contains(cmd, want) {
			t.Errorf("restore command lacks %q:\n%s", want, cmd)
		}
	}
	if strings.Contains(cmd, r.pg.Password) {
		t.Error("the restore command shows the database password")
	}
}

func TestBackupOverTLS(t *testing.T) {
	r := newRig(t, rigOptions{tls: true})
	res, err := r.svc.Backup(context.Background(), 1, ops.NoProgress{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Verify(context.Background(), res.Record.Key, ops.NoProgress{}); err != nil {
		t.Fatalf("verify over TLS: %v", err)
	}
}

// TestBackupProgress checks the live line while a larger dump runs.
func TestBackupProgress(t *testing.T) {
	r := newRig(t, rigOptions{rows: 150000})
	p := &progress{}
	if _, err := r.svc.Backup(context.Background(), 1, p); err != nil {
		t.Fatal(err)
	}
	notes := p.all()
	var live []string
	for _, n := range notes {
		if strings.Contains(n, "/s") {
			live = append(live, n)
		}
	}
	if len(live) == 0 {
		t.Fatalf("no live progress among %q", notes)
	}
	if l := live[len(live)-1]; !strings.Contains(l, "% ") && !strings.Contains(l, "%)") || !strings.Contains(l, "table public.") {
		t.Errorf("progress line %q lacks percent or table", l)
	}
}

func TestBackupFailuresLeaveNothing(t *testing.T) {
	t.Run("pg_dump killed", func(t *testing.T) {
		r := newRig(t, rigOptions{rows: 150000})
		ctx := context.Background()
		go func() {
			// Kill pg_dump's server connection once data flows: pg_dump exits non-zero
			// mid-stream.
			for range 500 {
				if live, ok := r.svc.Running(); ok && live.Raw() > 1<<20 {
					r.pg.Psql(t, "postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'pg_dump'")
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
		}()
		_, err := r.svc.Backup(ctx, 1, ops.NoProgress{})
		if err == nil || !strings.Contains(ops.SafeText(err), "pg_dump exited with code 1") {
			t.Fatalf("err = %v", err)
		}
		r.nothingLeft()
		if rec := r.lastRecord(); rec.Status != backup.Failed || !strings.Contains(rec.Error, "pg_dump") {
			t.Errorf("record = %+v", rec)
		}
	})
	t.Run("S3 answers 500", func(t *testing.T) {
		s3 := lab.S3(t, lab.S3Options{})
		proxy := s3.Proxy(t)
		// Big enough for a multipart upload: every part of the dump gets 500.
		r := newRig(t, rigOptions{s3: s3, endpoint: proxy.Endpoint, rows: 300000})
		proxy.Fail(-1, 500, func(r *http.Request) bool {
			return lab.IsUploadPart(r) && strings.HasSuffix(r.URL.Path, ".dump")
		})
		_, err := r.svc.Backup(context.Background(), 1, ops.NoProgress{})
		if err == nil || !strings.Contains(ops.SafeText(err), "upload to S3 failed") {
			t.Fatalf("err = %v", err)
		}
		r.nothingLeft()
		if rec := r.lastRecord(); rec.Status != backup.Failed {
			t.Errorf("record = %+v", rec)
		}
	})
	t.Run("connection dropped mid-part", func(t *testing.T) {
		s3 := lab.S3(t, lab.S3Options{})
		proxy := s3.Proxy(t)
		r := newRig(t, rigOptions{s3: s3, endpoint: proxy.Endpoint, rows: 50000})
		proxy.Drop(1, 64<<10, lab.IsUploadPart)
		res, err := r.svc.Backup(context.Background(), 1, ops.NoProgress{})
		if proxy.Fired() == 0 {
			t.Fatal("the drop never fired")
		}
		if err != nil {
			// A clean failure is acceptable; a half object is not.
			r.nothingLeft()
			return
		}
		// The SDK retried the part: the backup must restore intact.
		if _, err := r.svc.Verify(context.Background(), res.Record.Key, ops.NoProgress{}); err != nil {
			t.Fatalf("verify after a retried part: %v", err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		r := newRig(t, rigOptions{rows: 150000})
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			for range 500 {
				if live, ok := r.svc.Running(); ok && live.Stored() > 0 {
					cancel()
					return
				}
				time.Sleep(5 * time.Millisecond)
			}
		}()
		_, err := r.svc.Backup(ctx, 1, ops.NoProgress{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v", err)
		}
		r.nothingLeft()
		if rec := r.lastRecord(); rec.Status != backup.Failed || rec.Error != "cancelled" {
			t.Errorf("record = %+v", rec)
		}
		// The server notices the killed pg_dump at its next write.
		for i := 0; ; i++ {
			got := strings.TrimSpace(r.pg.Psql(t, "postgres", "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pg_dump'"))
			if got == "0" {
				break
			}
			if i == 100 {
				t.Fatalf("pg_dump still connected 5 s after cancel: %s", got)
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	t.Run("too few parts", func(t *testing.T) {
		// The database grew far beyond its last backup, so the part size chosen from that
		// backup's size cannot hold the dump in the parts allowed.
		r := newRig(t, rigOptions{rows: 150000, maxParts: 1})
		earlier := backup.Key("tootops", r.db, time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC))
		if err := r.cat.Put(backup.Record{Key: earlier, Database: r.db, Status: backup.OK, Size: 1000, Started: time.Date(2026, 11, 20, 3, 0, 0, 0, time.UTC)}); err != nil {
			t.Fatal(err)
		}
		_, err := r.svc.Backup(context.Background(), 1, ops.NoProgress{})
		if err == nil || !strings.Contains(ops.SafeText(err), "part") {
			t.Fatalf("err = %v", err)
		}
		r.nothingLeft()
		if rec := r.lastRecord(); rec.Status != backup.Failed || !strings.Contains(rec.Error, "part") {
			t.Errorf("record = %+v", rec)
		}
	})
	t.Run("scratch restore fails", func(t *testing.T) {
		r := newRig(t, rigOptions{})
		res, err := r.svc.Backup(context.Background(), 1, ops.NoProgress{})
		if err != nil {
			t.Fatal(err)
		}
		// Damage the stored object in place, size unchanged.
		path := r.s3.ObjectPath(res.Record.Key)
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for i := len(data) / 3; i < len(data)/3+64; i++ {
			data[i] ^= 0xff
		}
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		vres, err := r.svc.Verify(context.Background(), res.Record.Key, ops.NoProgress{})
		if err == nil || vres == nil || vres.Verification.OK {
			t.Fatalf("verify of a damaged backup: %+v, %v", vres, err)
		}
		if got := strings.TrimSpace(r.pg.Psql(t, "postgres", "SELECT count(*) FROM pg_database WHERE datname LIKE 'tootops_verify_%'")); got != "0" {
			t.Errorf("scratch databases left: %s", got)
		}
		if rec, _, _ := r.cat.Get(res.Record.Key); rec.Verify == nil || rec.Verify.OK || rec.Verify.Detail == "" {
			t.Errorf("catalogue verify = %+v", rec.Verify)
		}
	})
}

func TestRetentionKeepsPolicyAndOnlyOurKeys(t *testing.T) {
	r := newRig(t, rigOptions{rows: 200, policy: backup.Policy{Daily: 2}})
	ctx := context.Background()
	foreign := []string{"tootops/mastodon_test/notes.txt", "tootops/mastodon_test/2026/11/other-20261120T030000Z.dump", "tootops/other_db/2026/11/other_db-20261120T030000Z.dump"}
	for _, k := range foreign {
		if err := r.store.Put(ctx, k, []byte("not ours"), "text/plain"); err != nil {
			t.Fatal(err)
		}
	}
	var keys []string
	for day := range 4 {
		res, err := r.svc.Backup(ctx, uint64(day+1), ops.NoProgress{})
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, res.Record.Key)
		if day == 0 {
			if _, err := r.svc.Verify(ctx, res.Record.Key, ops.NoProgress{}); err != nil {
				t.Fatal(err)
			}
		}
		r.clock.advance(24 * time.Hour)
	}
	var left []string
	if err := r.store.List(ctx, "", func(o s3store.Object) error { left = append(left, o.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	want := append(slices.Clone(foreign), keys[0], backup.ManifestKey(keys[0]), keys[2], backup.ManifestKey(keys[2]), keys[3], backup.ManifestKey(keys[3]))
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Errorf("left after retention:\n%s\nwant (2 daily + the verified first + foreign keys):\n%s", strings.Join(left, "\n"), strings.Join(want, "\n"))
	}
	if rec, _, _ := r.cat.Get(keys[1]); rec.Status != backup.Deleted {
		t.Errorf("catalogue of the deleted backup: %s", rec.Status)
	}
}

// TestOrphanedUploadIsAbortedByTheNextBackup: a crash mid-upload leaves a multipart
// upload that S3 bills until it is aborted; the next backup aborts it.
func TestOrphanedUploadIsAbortedByTheNextBackup(t *testing.T) {
	r := newRig(t, rigOptions{rows: 200})
	ctx := context.Background()
	key := backup.Key("tootops", r.db, time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC))
	cli := r.s3.Client()
	up, err := cli.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &r.s3.Bucket, Key: &key})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.UploadPart(ctx, &s3.UploadPartInput{Bucket: &r.s3.Bucket, Key: &key, UploadId: up.UploadId, PartNumber: aws.Int32(1), Body: strings.NewReader("half a dump")}); err != nil {
		t.Fatal(err)
	}
	if pending, _ := r.store.PendingUploads(ctx, "tootops/"); len(pending) != 1 {
		t.Fatalf("pending before = %v", pending)
	}
	if _, err := r.svc.Backup(ctx, 1, ops.NoProgress{}); err != nil {
		t.Fatal(err)
	}
	if pending, _ := r.store.PendingUploads(ctx, "tootops/"); len(pending) != 0 {
		t.Errorf("pending after = %v", pending)
	}
}

// oldDump is the real host source, but its pg_dump says it is version 13.
type oldDump struct{ backup.Source }

func (o oldDump) Run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if n := len(argv); n >= 2 && argv[n-2] == "pg_dump" && argv[n-1] == "--version" {
		_, err := io.WriteString(stdout, "pg_dump (PostgreSQL) 13.16\n")
		return err
	}
	return o.Source.Run(ctx, argv, stdin, stdout, stderr)
}

// TestOlderPgDumpIsRefusedBeforeStarting: pg_dump cannot dump a newer server, so the
// versions are compared before anything is uploaded.
func TestOlderPgDumpIsRefusedBeforeStarting(t *testing.T) {
	r := newRig(t, rigOptions{rows: 10})
	svc := backup.New(backup.Options{Database: r.db, Prefix: "tootops", Source: oldDump{r.src}, Store: r.store, Catalogue: r.cat, Log: zerolog.Nop()})
	_, err := svc.Backup(context.Background(), 1, ops.NoProgress{})
	want := "pg_dump (PostgreSQL) 13.16 is older than the server (PostgreSQL 15"
	if err == nil || !strings.Contains(ops.SafeText(err), want) || !strings.Contains(ops.SafeText(err), "install postgresql-client-15") {
		t.Fatalf("err = %v", ops.SafeText(err))
	}
	r.nothingLeft()
}

// TestRestoreCommandRuns runs the restore commands the bot gives, as an admin would, on
// a database owned by Mastodon's own role: the restored database and its tables must be
// that role's again, with the same rows, and swapped in under the original name.
func TestRestoreCommandRuns(t *testing.T) {
	r := newRig(t, rigOptions{rows: 3000})
	ctx := context.Background()
	r.pg.Psql(t, r.db, `CREATE ROLE mastodon LOGIN;
ALTER DATABASE mastodon_test OWNER TO mastodon;
DO $$ DECLARE t record; BEGIN
  FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
    EXECUTE format('ALTER TABLE public.%I OWNER TO mastodon', t.tablename);
  END LOOP;
END $$;`)
	want := r.counts(r.db)

	res, err := r.svc.Backup(ctx, 1, ops.NoProgress{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Record.Owner != "mastodon" {
		t.Errorf("recorded owner %q, want mastodon", res.Record.Owner)
	}
	cmd, err := r.svc.RestoreCommand(ctx, res.Record.Key)
	if err != nil {
		t.Fatal(err)
	}
	// Step 1 downloads with awscli; the test fetches the object itself to the same file.
	var script []string
	file := ""
	for line := range strings.SplitSeq(cmd, "\n") {
		switch {
		case strings.HasPrefix(line, "aws s3 cp "):
			f := strings.Fields(line)
			file = f[len(f)-1]
		case line != "" && !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, "To restore"):
			script = append(script, line)
		}
	}
	if file == "" || len(script) < 4 {
		t.Fatalf("unexpected restore commands:\n%s", cmd)
	}
	body, _, err := r.store.Get(ctx, res.Record.Key)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(body)
	body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(file) })

	sh := exec.Command("bash", "-euo", "pipefail", "-c", strings.Join(script, "\n"))
	sh.Env = append(os.Environ(), "PATH="+r.pg.BinDir+":"+os.Getenv("PATH"), "PGPASSWORD="+r.pg.Password)
	if out, err := sh.CombinedOutput(); err != nil {
		t.Fatalf("the restore commands failed: %v\n%s\n--- commands ---\n%s", err, out, strings.Join(script, "\n"))
	}

	// Swapped in: the original name holds the restored copy, the old one is kept.
	if got := strings.TrimSpace(r.pg.Psql(t, "postgres", "SELECT string_agg(datname || ':' || pg_get_userbyid(datdba), ',' ORDER BY datname) FROM pg_database WHERE datname LIKE 'mastodon_test%'")); got != "mastodon_test:mastodon,mastodon_test_old:mastodon" {
		t.Errorf("databases after the swap: %s", got)
	}
	if got := strings.TrimSpace(r.pg.Psql(t, r.db, "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'")); got != "mastodon" {
		t.Errorf("restored tables are owned by %q, want mastodon", got)
	}
	got := r.counts(r.db)
	for name, n := range want {
		if got[name] != n {
			t.Errorf("restored %s has %d rows, want %d", name, got[name], n)
		}
	}
}
