package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/pgarchive"
	"github.com/tootops/tootops/ops/s3store"
)

// Result is a finished backup.
type Result struct {
	Record   Record
	Expected int64  // what progress measured against
	Kept     int    // backups of the database stored after retention
	Deleted  int    // backups retention deleted
	Warning  string // something that did not fail the backup but needs a look
}

// preflight is what is known before pg_dump starts.
type preflight struct {
	serverVersion string
	serverMajor   int
	dumpVersion   string
	dumpCmd       []string // how to run pg_dump: bufferedDump, or plain
	owner         string   // the database's owner
	tableBytes    int64    // heap and TOAST of the tables pg_dump will read
	expected      int64
	estimate      bool
	first         bool // no earlier successful backup: run the canary
}

// Backup dumps the database into S3 and reports progress to p (Done included). On any
// failure no object remains (the multipart upload is aborted) and the catalogue says
// failed; the error is fit to show an admin.
func (s *Service) Backup(ctx context.Context, jobID uint64, p ops.Progress) (*Result, error) {
	defer p.Done()
	p.Report(0, 0, "checking the database and the bucket")
	pre, err := s.preflight(ctx)
	if err != nil {
		return nil, err
	}
	// Backups of this database run one at a time (the backup lock), so an incomplete
	// upload under its folder is one a crash left behind.
	if n, err := s.o.Store.AbortPending(ctx, ListPrefix(s.o.Prefix, s.o.Database)); err != nil {
		s.o.Log.Warn().Err(err).Msg("could not clean up incomplete uploads")
	} else if n > 0 {
		s.o.Log.Warn().Int("uploads", n).Msg("aborted incomplete uploads left by an earlier stop")
	}
	if pre.first {
		p.Report(0, 0, "first backup: checking that the bucket accepts multipart uploads")
		if err := s.o.Store.Canary(ctx, s.o.Prefix); err != nil {
			return nil, err
		}
	}

	start := s.o.Now()
	key := Key(s.o.Prefix, s.o.Database, start)
	rec := Record{
		Key: key, Database: s.o.Database, Owner: pre.owner, Status: Running, JobID: jobID, Started: start,
		ServerVersion: pre.serverVersion, DumpVersion: pre.dumpVersion, Compression: fmt.Sprintf("zstd %s, %d MiB frames", s.o.Level, frameSize>>20),
		TableBytes: pre.tableBytes,
	}
	if err := s.o.Catalogue.Put(rec); err != nil {
		return nil, err
	}
	live := &Live{Key: key, JobID: jobID, Started: start, Expected: pre.expected, Estimate: pre.estimate}
	s.mu.Lock()
	s.live = live
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.live = nil
		s.mu.Unlock()
	}()

	fail := func(err error) (*Result, error) {
		rec.Status, rec.Finished, rec.Error = Failed, s.o.Now(), ops.SafeText(err)
		if perr := s.o.Catalogue.Put(rec); perr != nil {
			s.o.Log.Error().Err(perr).Str("key", key).Msg("catalogue not updated")
		}
		return &Result{Record: rec, Expected: pre.expected}, err
	}

	stopReports := s.reportProgress(live, p)
	obs := pgarchive.NewObserver()
	sum, up, err := s.stream(ctx, key, pre, live, obs)
	stopReports()
	if err != nil {
		// The upload was aborted; should S3 have completed it as the client gave up,
		// the object must not pass for a backup either. Keys are unique to the second,
		// so nothing older is at risk.
		return fail(s.discard(key, err))
	}
	rec.Finished = s.o.Now()
	rec.Size, rec.RawSize, rec.SHA256 = live.Stored(), live.Raw(), sum
	rec.Tables, rec.Rows = obs.TableCount(), obs.Rows()
	if obs.Err() != nil || !obs.Complete() {
		// The counts only serve the restore check; the dump itself is pg_dump's and
		// pg_dump exited 0.
		s.o.Log.Warn().AnErr("observer", obs.Err()).Msg("row counts incomplete; the restore check will compare tables only")
		rec.Rows = nil
	}
	if up.Size != rec.Size {
		return fail(s.discard(key, fmt.Errorf("S3 reports %d bytes for %s but %d were sent", up.Size, key, rec.Size)))
	}
	// After upload the object's size must match what was sent.
	obj, err := s.o.Store.Head(ctx, key)
	if err != nil {
		return fail(s.discard(key, fmt.Errorf("checking the uploaded object: %w", err)))
	}
	if obj.Size != rec.Size {
		return fail(s.discard(key, fmt.Errorf("the stored object has %d bytes, %d were sent", obj.Size, rec.Size)))
	}
	rec.Status = OK
	if err := s.putManifest(ctx, rec); err != nil {
		rec.Status = Running
		return fail(s.discard(key, fmt.Errorf("writing the manifest: %w", err)))
	}
	if err := s.o.Catalogue.Put(rec); err != nil {
		return fail(err)
	}
	s.o.Log.Info().Str("key", key).Int64("size", rec.Size).Int64("raw", rec.RawSize).Dur("took", rec.Took()).
		Int("tables", rec.Tables).Msg("backup stored")

	res := &Result{Record: rec, Expected: pre.expected}
	if kept, deleted, err := s.Retain(ctx); err != nil {
		res.Warning = "retention: " + ops.SafeText(err)
		s.o.Log.Warn().Err(err).Msg("retention failed")
	} else {
		res.Kept, res.Deleted = kept, deleted
	}
	return res, nil
}

// stream runs pg_dump into the upload. It returns the SHA-256 of the stored bytes.
func (s *Service) stream(ctx context.Context, key string, pre preflight, live *Live, obs *pgarchive.Observer) (string, s3store.UploadResult, error) {
	pr, pw := io.Pipe()
	hash := sha256.New()
	enc, err := newFrameEncoder(io.MultiWriter(hash, counter{&live.stored}, pw), encoderLevel(s.o.Level), compressWorkers)
	if err != nil {
		return "", s3store.UploadResult{}, err
	}
	stderr := &tailBuffer{max: 64 << 10}
	dumpCtx, cancelDump := context.WithCancel(ctx)
	defer cancelDump()
	dumped := make(chan error, 1)
	go func() {
		args := append(slices.Clip(pre.dumpCmd), "-Fc", "-Z0", "--lock-wait-timeout=300000", "-U", s.o.Source.User(), "-d", s.o.Database)
		err := s.o.Source.Run(dumpCtx, args, nil, io.MultiWriter(counter{&live.raw}, obs, tableWatcher{live, obs}, enc), stderr)
		if err == nil {
			err = enc.Close()
		}
		if err != nil {
			err = dumpError(ctx, err, stderr.String())
			pw.CloseWithError(err) // first, so that no compressor waits on the upload
			enc.Abort(err)
		} else {
			// Only now may the upload see the end of its body and complete.
			pw.Close()
		}
		dumped <- err
	}()

	partSize := s3store.PartSize(pre.expected, s.o.MaxParts)
	up, upErr := s.o.Store.Upload(ctx, key, pr, s3store.UploadOptions{
		PartSize:    partSize,
		Concurrency: s3store.Concurrency(partSize, s.o.PartBudget),
		MaxParts:    s.o.MaxParts,
		ContentType: "application/zstd",
		Metadata:    map[string]string{"tootops-database": s.o.Database, "tootops-format": "pg_dump custom, zstd"},
	})
	if upErr != nil {
		// Stop pg_dump: nobody reads its output any more.
		pr.CloseWithError(upErr)
		cancelDump()
	}
	dumpErr := <-dumped
	// Whichever failed first is the cause: a pg_dump that failed by itself ended the
	// upload's body with its error, which the upload's error then wraps; an upload that
	// failed by itself made pg_dump's writes fail (EPIPE) or had it killed.
	switch {
	case ctx.Err() != nil:
		return "", up, ctx.Err()
	case upErr != nil && (dumpErr == nil || !errors.Is(upErr, dumpErr)):
		return "", up, uploadError(upErr)
	case dumpErr != nil:
		return "", up, dumpErr
	}
	return hex.EncodeToString(hash.Sum(nil)), up, nil
}

// dumpError says what went wrong with pg_dump, with the end of its error output.
func dumpError(ctx context.Context, err error, stderr string) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var exit *ExitError
	if errors.As(err, &exit) {
		return &ops.Error{Msg: ops.SafeText(programError("pg_dump", err, stderr)), Hint: "nothing was stored; the upload was aborted", Err: err}
	}
	return &ops.Error{Msg: "pg_dump failed: " + ops.SafeText(err), Hint: "nothing was stored; the upload was aborted", Err: err}
}

// uploadError words a failed upload for the admin.
func uploadError(err error) error {
	return &ops.Error{Msg: "upload to S3 failed: " + ops.SafeText(err), Hint: "nothing was stored; the multipart upload was aborted", Err: err}
}

// tableWatcher copies the observer's current table into the live status after each
// write, so progress readers need not lock the observer.
type tableWatcher struct {
	live *Live
	obs  *pgarchive.Observer
}

func (w tableWatcher) Write(p []byte) (int, error) {
	if t, ok := w.obs.Current(); ok {
		w.live.table.Store(t.Schema + "." + t.Name)
		w.live.rows.Store(t.Rows)
	}
	return len(p), nil
}

// discard deletes an object that must not count as a backup, and returns cause.
func (s *Service) discard(key string, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(context.Background()), 30*time.Second)
	defer cancel()
	if err := s.o.Store.Delete(ctx, key, ManifestKey(key)); err != nil {
		s.o.Log.Error().Err(err).Str("key", key).Msg("could not delete a failed backup's object")
		return fmt.Errorf("%w (and deleting the object failed: %s)", cause, ops.SafeText(err))
	}
	return cause
}

// reportProgress reports the live backup every second until the returned func is called.
func (s *Service) reportProgress(live *Live, p ops.Progress) (stop func()) {
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(s.o.ReportEvery)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				p.Report(0, 0, live.Line(s.o.Now()))
			}
		}
	}()
	return func() {
		close(done)
		<-finished
	}
}

// Line is the one-line progress of the backup: bytes, rate, percent, ETA and table.
func (l *Live) Line(now time.Time) string {
	took := now.Sub(l.Started)
	stored := l.Stored()
	var b strings.Builder
	b.WriteString(ops.Bytes(stored))
	if l.Expected > 0 {
		approx := ""
		if l.Estimate {
			approx = "~"
		}
		pc := min(99, stored*100/l.Expected)
		fmt.Fprintf(&b, " of %s%s (%d%%)", approx, ops.Bytes(l.Expected), pc)
	}
	if took > 0 {
		fmt.Fprintf(&b, " · %s", ops.Rate(stored, took))
		if l.Expected > stored && stored > 0 {
			eta := time.Duration(float64(took) * float64(l.Expected-stored) / float64(stored))
			fmt.Fprintf(&b, " · ETA %s", eta.Round(time.Second))
		}
	}
	if t, rows := l.Table(); t != "" {
		fmt.Fprintf(&b, " · table %s (%s rows)", t, strconv.FormatInt(rows, 10))
	}
	return b.String()
}

// bufferedDump runs pg_dump with a 1 MiB output buffer. pg_dump writes its archive
// through stdio, which buffers a pipe one page (4 KiB) at a time: half a million writes
// for 2 GB, each waking the reader. stdbuf (coreutils) sets the buffer where it exists.
// Measured on the 2.2 GB bench dump read as fast as it comes: pg_dump and its reader
// took 7.2 CPU-seconds, 2.9 with this and the host source's 1 MiB pipe. In a backup it
// shows where compression keeps up (level fastest: 13.8 s → 12.6 s on 2 cores).
var bufferedDump = []string{"stdbuf", "-o1M", "pg_dump"}

var versionNumber = regexp.MustCompile(`(\d+)(?:\.(\d+))?`)

// probe asks the server its version and size, and pg_dump its version.
func (s *Service) probe(ctx context.Context) (preflight, error) {
	// The server and pg_dump are asked at once: through `docker exec` each program
	// costs an exec's round trips, and neither answer depends on the other.
	type dumpProbe struct {
		cmd     []string
		version string
		err     error
	}
	probed := make(chan dumpProbe, 1)
	go func() {
		cmd, version, err := s.dumpProgram(ctx)
		probed <- dumpProbe{cmd, version, err}
	}()
	var pre preflight
	rows, err := query(ctx, s.o.Source, s.o.Database, `SELECT current_setting('server_version_num'), current_setting('server_version'),
  (SELECT coalesce(sum(pg_table_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'm', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'),
  (SELECT pg_catalog.pg_get_userbyid(datdba) FROM pg_catalog.pg_database WHERE datname = current_database())`)
	dump := <-probed
	if err != nil {
		return pre, &ops.Error{Msg: "cannot reach database " + s.o.Database + " (" + s.o.Source.Where() + "): " + ops.SafeText(err),
			Hint: "check [backup] database and source; `bot check` tests the connection"}
	}
	if len(rows) != 1 || len(rows[0]) != 4 {
		return pre, fmt.Errorf("unexpected answer from the server: %q", rows)
	}
	num, _ := strconv.Atoi(rows[0][0])
	pre.serverMajor = num / 10000
	pre.serverVersion = rows[0][1]
	pre.tableBytes, _ = strconv.ParseInt(rows[0][2], 10, 64)
	pre.owner = rows[0][3]

	if dump.err != nil {
		return pre, dump.err
	}
	pre.dumpCmd, pre.dumpVersion = dump.cmd, dump.version
	if m := versionNumber.FindStringSubmatch(pre.dumpVersion); m != nil {
		if major, _ := strconv.Atoi(m[1]); major < pre.serverMajor {
			return pre, &ops.Error{
				Msg:  fmt.Sprintf("%s is older than the server (PostgreSQL %s): pg_dump cannot dump a newer server", pre.dumpVersion, pre.serverVersion),
				Hint: fmt.Sprintf("install postgresql-client-%d on this host, or use source = \"exec\"", pre.serverMajor),
			}
		}
	}
	return pre, nil
}

// dumpProgram finds how to run pg_dump where the source runs programs, and its version:
// under stdbuf (bufferedDump) where stdbuf exists, else plain.
func (s *Service) dumpProgram(ctx context.Context) (cmd []string, version string, err error) {
	var out, errb strings.Builder
	if s.o.Source.Run(ctx, append(slices.Clip(bufferedDump), "--version"), nil, &out, &errb) == nil {
		return bufferedDump, strings.TrimSpace(out.String()), nil
	}
	// No stdbuf where pg_dump runs (Alpine's busybox has none): plain pg_dump.
	out.Reset()
	errb.Reset()
	if err := s.o.Source.Run(ctx, []string{"pg_dump", "--version"}, nil, &out, &errb); err != nil {
		return nil, "", programError("pg_dump --version", err, errb.String())
	}
	return []string{"pg_dump"}, strings.TrimSpace(out.String()), nil
}

// Probe checks that the database answers and pg_dump can dump it, for `bot check`.
func (s *Service) Probe(ctx context.Context) (string, error) {
	pre, err := s.probe(ctx)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("database %s on PostgreSQL %s (%s of tables), %s via %s", s.o.Database, pre.serverVersion, ops.Bytes(pre.tableBytes), pre.dumpVersion, s.o.Source.Where()), nil
}

// preflight probes the database and finds the previous backup, for the expected size.
func (s *Service) preflight(ctx context.Context) (preflight, error) {
	pre, err := s.probe(ctx)
	if err != nil {
		return pre, err
	}

	last, ok, err := s.o.Catalogue.LastOK(s.o.Database)
	if err != nil {
		return pre, err
	}
	pre.first = !ok
	switch {
	case ok && last.Size > 0:
		pre.expected = last.Size
	default:
		// Table sizes × the last ratio of stored bytes to table bytes; a guess when none.
		ratio := 0.25
		if ok && last.TableBytes > 0 && last.Size > 0 {
			ratio = float64(last.Size) / float64(last.TableBytes)
		}
		pre.expected, pre.estimate = int64(float64(pre.tableBytes)*ratio), true
	}
	return pre, nil
}
