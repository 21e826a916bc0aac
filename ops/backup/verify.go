package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/tootops/tootops/ops"
)

// VerifyResult is the outcome of a restore check.
type VerifyResult struct {
	Record       Record
	Verification Verification
}

// Verify proves a backup: it downloads it, restores it into a scratch database it
// creates on the same server and drops afterwards, checks the SHA-256 and compares each
// table's row count with the count taken while dumping. key "" means the newest
// successful backup. The outcome goes into the catalogue and the manifest, failed or not.
func (s *Service) Verify(ctx context.Context, key string, p ops.Progress) (*VerifyResult, error) {
	defer p.Done()
	if key == "" {
		last, ok, err := s.o.Catalogue.LastOK(s.o.Database)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, &ops.Error{Msg: "no successful backup of " + s.o.Database + " to verify", Hint: "run backup first"}
		}
		key = last.Key
	}
	rec, err := s.record(ctx, key)
	if err != nil {
		return nil, err
	}
	if rec.Status != OK {
		return nil, &ops.Error{Msg: fmt.Sprintf("backup %s is %s, not a stored backup", key, rec.Status), Hint: "`backups` lists the keys"}
	}

	start := s.o.Now()
	v := Verification{At: start, Database: "tootops_verify_" + start.UTC().Format("20060102t150405")}
	restoreErr := s.restoreInto(ctx, rec, v.Database, p)
	if restoreErr == nil {
		v.Tables, v.Rows, restoreErr = s.compareRows(ctx, rec, v.Database)
	}
	// The scratch database goes whatever happened, even when ctx is cancelled.
	if err := s.dropScratch(v.Database); err != nil {
		s.o.Log.Error().Err(err).Str("scratch", v.Database).Msg("scratch database not dropped")
		if restoreErr == nil {
			restoreErr = &ops.Error{Msg: "dropping the scratch database " + v.Database + " failed: " + ops.SafeText(err), Hint: "drop it by hand"}
		}
	}
	v.Took = s.o.Now().Sub(start)
	v.OK = restoreErr == nil
	if restoreErr != nil {
		v.Detail = ops.SafeText(restoreErr)
	}
	rec.Verify = &v
	if err := s.saveVerification(rec); err != nil {
		return nil, err
	}
	return &VerifyResult{Record: rec, Verification: v}, restoreErr
}

// saveVerification writes the outcome to the catalogue and the manifest. A cancelled
// job still records its outcome, hence a context of its own.
func (s *Service) saveVerification(rec Record) error {
	if _, ok, err := s.o.Catalogue.Get(rec.Key); err != nil {
		return err
	} else if ok {
		err = s.o.Catalogue.Update(rec.Key, func(r *Record) { r.Verify = rec.Verify })
		if err != nil {
			return err
		}
	} else if err := s.o.Catalogue.Put(rec); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.putManifest(ctx, rec); err != nil {
		s.o.Log.Warn().Err(err).Str("key", rec.Key).Msg("manifest not updated with the verification")
	}
	return nil
}

// restoreInto streams the object through zstd into pg_restore.
func (s *Service) restoreInto(ctx context.Context, rec Record, scratch string, p ops.Progress) error {
	if _, err := query(ctx, s.o.Source, "postgres", "CREATE DATABASE "+quoteIdent(scratch)+" TEMPLATE template0"); err != nil {
		return &ops.Error{Msg: "cannot create the scratch database " + scratch + ": " + ops.SafeText(err), Err: err}
	}
	body, size, err := s.o.Store.Get(ctx, rec.Key)
	if err != nil {
		return &ops.Error{Msg: "download of " + rec.Key + " failed: " + ops.SafeText(err), Err: err}
	}
	defer body.Close()
	if size != rec.Size {
		return &ops.Error{Msg: fmt.Sprintf("the stored object has %d bytes, the backup recorded %d", size, rec.Size)}
	}
	var got atomic.Int64
	hash := sha256.New()
	dec, err := zstd.NewReader(io.TeeReader(body, io.MultiWriter(hash, counter{&got})), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		return err
	}
	defer dec.Close()

	start := s.o.Now()
	stop := make(chan struct{})
	reported := make(chan struct{})
	go func() {
		defer close(reported)
		t := time.NewTicker(s.o.ReportEvery)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n := got.Load()
				line := fmt.Sprintf("restoring into %s: %s of %s (%d%%) · %s", scratch, ops.Bytes(n), ops.Bytes(size), n*100/max(size, 1), ops.Rate(n, s.o.Now().Sub(start)))
				p.Report(0, 0, line)
			}
		}
	}()
	stderr := &tailBuffer{max: 64 << 10}
	err = s.o.Source.Run(ctx, []string{"pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-U", s.o.Source.User(), "-d", scratch}, decodeErrors{dec}, io.Discard, stderr)
	close(stop)
	<-reported
	switch {
	case ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return &ops.Error{Msg: "restore into the scratch database failed: " + ops.SafeText(programError("pg_restore", err, stderr.String())), Err: err}
	}
	// pg_restore may stop reading before the end; the hash needs every byte.
	if _, err := io.Copy(io.Discard, dec); err != nil {
		return &ops.Error{Msg: "the backup does not decompress to its end: " + err.Error(), Err: err}
	}
	if sum := hex.EncodeToString(hash.Sum(nil)); rec.SHA256 != "" && sum != rec.SHA256 {
		return &ops.Error{Msg: fmt.Sprintf("SHA-256 of the download is %s, the backup recorded %s", sum[:12], rec.SHA256[:min(12, len(rec.SHA256))])}
	}
	return nil
}

// decodeErrors hides the decoder's WriteTo, so that io.Copy reads it in pieces and a
// decode error surfaces as a read error of the input.
type decodeErrors struct{ r io.Reader }

func (d decodeErrors) Read(p []byte) (int, error) { return d.r.Read(p) }

// compareRows counts the rows of every restored table and compares them with the counts
// taken while dumping.
func (s *Service) compareRows(ctx context.Context, rec Record, scratch string) (int, int64, error) {
	tables, err := query(ctx, s.o.Source, scratch, `SELECT n.nspname || '.' || c.relname, format('%I.%I', n.nspname, c.relname)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
  ORDER BY 1`)
	if err != nil {
		return 0, 0, &ops.Error{Msg: "listing the restored tables failed: " + ops.SafeText(err), Err: err}
	}
	counts := map[string]int64{}
	var total int64
	// One statement per 200 tables keeps the SQL small.
	for chunk := range slices.Chunk(tables, 200) {
		var parts []string
		for _, t := range chunk {
			parts = append(parts, fmt.Sprintf("SELECT %s, count(*) FROM %s", quoteLiteral(t[0]), t[1]))
		}
		rows, err := query(ctx, s.o.Source, scratch, strings.Join(parts, " UNION ALL "))
		if err != nil {
			return 0, 0, &ops.Error{Msg: "counting the restored rows failed: " + ops.SafeText(err), Err: err}
		}
		for _, r := range rows {
			n, _ := strconv.ParseInt(r[1], 10, 64)
			counts[r[0]] = n
			total += n
		}
	}
	if rec.Tables > 0 && len(tables) < rec.Tables {
		return len(tables), total, &ops.Error{Msg: fmt.Sprintf("the restore has %d tables, the dump had %d", len(tables), rec.Tables)}
	}
	var diffs []string
	for _, name := range slices.Sorted(maps.Keys(rec.Rows)) {
		want := rec.Rows[name]
		got, ok := counts[name]
		switch {
		case want < 0:
			// Not countable in the stream (an INSERT-style or compressed block).
		case !ok:
			diffs = append(diffs, name+" missing")
		case got != want:
			diffs = append(diffs, fmt.Sprintf("%s has %d rows, the dump had %d", name, got, want))
		}
	}
	if len(diffs) > 0 {
		more := ""
		if len(diffs) > 5 {
			more = fmt.Sprintf(" (and %d more)", len(diffs)-5)
			diffs = diffs[:5]
		}
		return len(tables), total, &ops.Error{Msg: "row counts differ: " + strings.Join(diffs, "; ") + more}
	}
	return len(tables), total, nil
}

// dropScratch drops the scratch database, forcing out a pg_restore that a cancelled job
// left connected.
func (s *Service) dropScratch(name string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := query(ctx, s.o.Source, "postgres", "DROP DATABASE IF EXISTS "+quoteIdent(name)+" WITH (FORCE)")
	if err != nil && strings.Contains(err.Error(), "syntax error") {
		// Before PostgreSQL 13 there is no FORCE.
		_, err = query(ctx, s.o.Source, "postgres", "DROP DATABASE IF EXISTS "+quoteIdent(name))
	}
	return err
}

func quoteIdent(s string) string   { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
func quoteLiteral(s string) string { return `'` + strings.ReplaceAll(s, `'`, `''`) + `'` }
