package backup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/s3store"
)

// Manifest is KEY.json, stored next to each dump so that a backup explains itself to
// whoever finds it in the bucket, with or without the bot's state file.
type Manifest struct {
	Tool          string           `json:"tool"` // "tootops"
	Version       int              `json:"manifest_version"`
	Key           string           `json:"key"`
	Database      string           `json:"database"`
	Owner         string           `json:"owner,omitempty"` // the database's owner: restore as this role
	Format        string           `json:"format"`          // how to read the object
	Size          int64            `json:"size"`
	RawSize       int64            `json:"raw_size"`
	SHA256        string           `json:"sha256"`
	Started       time.Time        `json:"started"`
	Finished      time.Time        `json:"finished"`
	Seconds       float64          `json:"duration_seconds"`
	ServerVersion string           `json:"server_version"`
	DumpVersion   string           `json:"pg_dump_version"`
	Compression   string           `json:"compression"`
	Tables        int              `json:"table_count"`
	Rows          map[string]int64 `json:"row_counts,omitempty"`
	Verify        *Verification    `json:"verify,omitempty"`
}

const manifestFormat = "PostgreSQL custom-format archive (pg_dump -Fc -Z0) compressed with zstd; restore with: zstd -dc FILE | pg_restore -d DB"

func manifestOf(r Record) Manifest {
	return Manifest{
		Tool: "tootops", Version: 1, Key: r.Key, Database: r.Database, Owner: r.Owner, Format: manifestFormat,
		Size: r.Size, RawSize: r.RawSize, SHA256: r.SHA256, Started: r.Started.UTC(), Finished: r.Finished.UTC(),
		Seconds: r.Took().Seconds(), ServerVersion: r.ServerVersion, DumpVersion: r.DumpVersion,
		Compression: r.Compression, Tables: r.Tables, Rows: r.Rows, Verify: r.Verify,
	}
}

// Record is the catalogue record the manifest describes.
func (m Manifest) Record() Record {
	return Record{
		Key: m.Key, Database: m.Database, Owner: m.Owner, Status: OK, Started: m.Started, Finished: m.Finished,
		Size: m.Size, RawSize: m.RawSize, SHA256: m.SHA256, Tables: m.Tables, Rows: m.Rows,
		ServerVersion: m.ServerVersion, DumpVersion: m.DumpVersion, Compression: m.Compression, Verify: m.Verify,
	}
}

func (s *Service) putManifest(ctx context.Context, r Record) error {
	data, err := json.MarshalIndent(manifestOf(r), "", "  ")
	if err != nil {
		return err
	}
	return s.o.Store.Put(ctx, ManifestKey(r.Key), append(data, '\n'), "application/json")
}

// maxManifest bounds what is read of a manifest: a few hundred tables' counts.
const maxManifest = 4 << 20

// readManifest fetches KEY.json.
func (s *Service) readManifest(ctx context.Context, key string) (Manifest, error) {
	var m Manifest
	body, _, err := s.o.Store.Get(ctx, ManifestKey(key))
	if err != nil {
		return m, err
	}
	defer body.Close()
	data, err := io.ReadAll(io.LimitReader(body, maxManifest))
	if err != nil {
		return m, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return m, fmt.Errorf("manifest %s is not valid JSON: %w", ManifestKey(key), err)
	}
	if m.Key != key {
		return m, fmt.Errorf("manifest %s describes %q", ManifestKey(key), m.Key)
	}
	return m, nil
}

// record finds a backup in the catalogue, or else from its manifest in the bucket (a
// backup made before the state file was replaced).
func (s *Service) record(ctx context.Context, key string) (Record, error) {
	if _, ours := ParseKey(s.o.Prefix, s.o.Database, key); !ours {
		return Record{}, &ops.Error{
			Msg:  fmt.Sprintf("%q is not a backup key of %s", key, s.o.Database),
			Hint: "keys look like " + Key(s.o.Prefix, s.o.Database, time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)) + "; `backups` lists them",
		}
	}
	r, ok, err := s.o.Catalogue.Get(key)
	if err != nil {
		return r, err
	}
	if ok {
		return r, nil
	}
	m, err := s.readManifest(ctx, key)
	if errors.Is(err, s3store.ErrNotFound) {
		return r, &ops.Error{Msg: "no backup " + key + ": neither the catalogue nor the bucket has it", Hint: "`backups` lists the keys"}
	}
	if err != nil {
		return r, err
	}
	return m.Record(), nil
}
