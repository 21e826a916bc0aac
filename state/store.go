package state

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Bucket names a collection of records. Buckets exist from the first migration on.
type Bucket string

// The buckets. Each is owned by one package; see that package for the record shape.
const (
	Meta          Bucket = "meta"          // schema version and small facts about the file
	Cursor        Bucket = "cursor"        // intake positions, e.g. the last notification id
	Ledger        Bucket = "ledger"        // ids of handled notifications and statuses
	Jobs          Bucket = "jobs"          // jobs by id
	Confirmations Bucket = "confirmations" // pending confirmations by code
	Audit         Bucket = "audit"         // append-only audit log by sequence
	Schedules     Bucket = "schedules"     // last run and result of each schedule
	Backups       Bucket = "backups"       // the backup catalogue, by dump key
)

// lockTimeout bounds the wait for the file lock. bbolt retries every 50 ms; a running
// bot holds the lock for its whole life, so waiting longer would only delay the refusal.
const lockTimeout = 200 * time.Millisecond

// LockedError says the file is held by another process (or another Open in this one).
type LockedError struct{ Path string }

func (e *LockedError) Error() string {
	return fmt.Sprintf("state file %s is in use by another tootops process: only one bot may use a state file; stop the other bot or set [state] path to another file", e.Path)
}

// NewerSchemaError says the file was written by a newer tootops.
type NewerSchemaError struct {
	Path          string
	Found, Latest int
}

func (e *NewerSchemaError) Error() string {
	return fmt.Sprintf("state file %s has schema version %d, newer than this tootops knows (%d): run a newer tootops, or point [state] path at another file", e.Path, e.Found, e.Latest)
}

// Store is an open state file.
type Store struct {
	db     *bolt.DB
	path   string
	schema int
}

// Open opens (creating if needed) the state file at path, takes its exclusive lock and
// migrates its schema forward.
func Open(path string) (*Store, error) {
	return open(path, migrations)
}

func open(path string, steps []migration) (*Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", path, err)
	}
	if err := os.MkdirAll(filepath.Dir(abs), 0o700); err != nil {
		return nil, fmt.Errorf("state file %s: %w", abs, err)
	}
	db, err := bolt.Open(abs, 0o600, &bolt.Options{Timeout: lockTimeout})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, &LockedError{Path: abs}
	}
	if err != nil {
		return nil, fmt.Errorf("state file %s: %w", abs, err)
	}
	s := &Store{db: db, path: abs}
	if err := s.migrate(steps); err != nil {
		_ = db.Close()
		return nil, err
	}
	return s, nil
}

// Close releases the file and its lock.
func (s *Store) Close() error { return s.db.Close() }

// Path is the absolute path of the file.
func (s *Store) Path() string { return s.path }

// SchemaVersion is the schema version of the open file.
func (s *Store) SchemaVersion() int { return s.schema }

// Update runs fn in a read-write transaction, committed when fn returns nil.
func (s *Store) Update(fn func(*Tx) error) error {
	return s.db.Update(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// View runs fn in a read-only transaction.
func (s *Store) View(fn func(*Tx) error) error {
	return s.db.View(func(tx *bolt.Tx) error { return fn(&Tx{tx: tx}) })
}

// Tx is a transaction with JSON helpers over the buckets.
type Tx struct{ tx *bolt.Tx }

func (t *Tx) bucket(b Bucket) (*bolt.Bucket, error) {
	bk := t.tx.Bucket([]byte(b))
	if bk == nil {
		return nil, fmt.Errorf("state: bucket %q missing", b)
	}
	return bk, nil
}

// Get decodes the value at key into v and reports whether it was there.
func (t *Tx) Get(b Bucket, key []byte, v any) (bool, error) {
	bk, err := t.bucket(b)
	if err != nil {
		return false, err
	}
	raw := bk.Get(key)
	if raw == nil {
		return false, nil
	}
	if err := json.Unmarshal(raw, v); err != nil {
		return true, fmt.Errorf("state: decode %s/%x: %w", b, key, err)
	}
	return true, nil
}

// Has reports whether key is present.
func (t *Tx) Has(b Bucket, key []byte) (bool, error) {
	bk, err := t.bucket(b)
	if err != nil {
		return false, err
	}
	return bk.Get(key) != nil, nil
}

// Put stores v as JSON at key.
func (t *Tx) Put(b Bucket, key []byte, v any) error {
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("state: encode %s/%x: %w", b, key, err)
	}
	return bk.Put(key, raw)
}

// Delete removes key; a missing key is not an error.
func (t *Tx) Delete(b Bucket, key []byte) error {
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	return bk.Delete(key)
}

// NextID returns the bucket's next sequence number, starting at 1. IDs never repeat,
// even after records are deleted, so a job id or audit entry is never reused.
func (t *Tx) NextID(b Bucket) (uint64, error) {
	bk, err := t.bucket(b)
	if err != nil {
		return 0, err
	}
	return bk.NextSequence()
}

// Count is the number of records in the bucket.
func (t *Tx) Count(b Bucket) (int, error) {
	bk, err := t.bucket(b)
	if err != nil {
		return 0, err
	}
	return bk.Stats().KeyN, nil
}

// Record is one key and its JSON value during iteration.
type Record struct {
	Key []byte
	raw []byte
}

// Decode decodes the record's value into v.
func (r Record) Decode(v any) error { return json.Unmarshal(r.raw, v) }

// Scan calls fn for records in key order (or reverse order), stopping when fn returns
// false or an error. The record is only valid during fn.
func (t *Tx) Scan(b Bucket, reverse bool, fn func(Record) (bool, error)) error {
	bk, err := t.bucket(b)
	if err != nil {
		return err
	}
	c := bk.Cursor()
	first, next := c.First, c.Next
	if reverse {
		first, next = c.Last, c.Prev
	}
	for k, v := first(); k != nil; k, v = next() {
		more, err := fn(Record{Key: k, raw: v})
		if err != nil || !more {
			return err
		}
	}
	return nil
}

// IDKey encodes a sequence number as a key that sorts in numeric order.
func IDKey(id uint64) []byte {
	return binary.BigEndian.AppendUint64(nil, id)
}

// KeyID decodes a key made by IDKey; ok is false for keys of another shape.
func KeyID(key []byte) (id uint64, ok bool) {
	if len(key) != 8 {
		return 0, false
	}
	return binary.BigEndian.Uint64(key), true
}

// FileInfo is what Inspect learns about a state file without changing it.
type FileInfo struct {
	Path   string
	Exists bool
	InUse  bool // a running bot holds it
	Schema int  // 0 when it does not exist or is in use
}

// Inspect looks at the state file at path without creating, migrating or locking it for
// long: what `bot check` needs to say whether a bot could start on it.
func Inspect(path string) (FileInfo, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return FileInfo{Path: path}, err
	}
	fi := FileInfo{Path: abs}
	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		// It will be created; its directory must let us.
		dir := filepath.Dir(abs)
		for {
			if _, err := os.Stat(dir); err == nil {
				break
			}
			dir = filepath.Dir(dir)
		}
		probe, err := os.CreateTemp(dir, ".tootops-check-*")
		if err != nil {
			return fi, fmt.Errorf("state file %s cannot be created: %w", abs, err)
		}
		_ = probe.Close()
		return fi, os.Remove(probe.Name())
	} else if err != nil {
		return fi, fmt.Errorf("state file %s: %w", abs, err)
	}
	fi.Exists = true
	db, err := bolt.Open(abs, 0o600, &bolt.Options{Timeout: lockTimeout, ReadOnly: true})
	if errors.Is(err, bolt.ErrTimeout) {
		fi.InUse = true
		return fi, nil
	}
	if err != nil {
		return fi, fmt.Errorf("state file %s: %w", abs, err)
	}
	defer db.Close()
	err = db.View(func(tx *bolt.Tx) error {
		if meta := tx.Bucket([]byte(Meta)); meta != nil {
			if raw := meta.Get(schemaKey); raw != nil {
				return json.Unmarshal(raw, &fi.Schema)
			}
		}
		return nil
	})
	if err != nil {
		return fi, fmt.Errorf("state file %s: %w", abs, err)
	}
	if fi.Schema > LatestSchema() {
		return fi, &NewerSchemaError{Path: abs, Found: fi.Schema, Latest: LatestSchema()}
	}
	return fi, nil
}
