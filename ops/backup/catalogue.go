package backup

import (
	"time"

	"github.com/tootops/tootops/state"
)

// Status is where a backup stands in the catalogue.
type Status string

// The statuses of a catalogued backup.
const (
	Running Status = "running"
	OK      Status = "ok"
	Failed  Status = "failed"
	Deleted Status = "deleted" // removed by retention
)

// Record is one backup in the catalogue, keyed by its dump key.
type Record struct {
	Key           string           `json:"key"`
	Database      string           `json:"database"`
	Owner         string           `json:"owner,omitempty"` // the database's owner, for the restore
	Status        Status           `json:"status"`
	JobID         uint64           `json:"job,omitempty"`
	Started       time.Time        `json:"started"`
	Finished      time.Time        `json:"finished,omitzero"`
	Size          int64            `json:"size,omitempty"`        // bytes stored (compressed)
	RawSize       int64            `json:"raw_size,omitempty"`    // bytes pg_dump wrote
	TableBytes    int64            `json:"table_bytes,omitempty"` // heap and TOAST of the dumped tables
	SHA256        string           `json:"sha256,omitempty"`
	Tables        int              `json:"tables,omitempty"`
	Rows          map[string]int64 `json:"rows,omitempty"`
	ServerVersion string           `json:"server_version,omitempty"`
	DumpVersion   string           `json:"pg_dump_version,omitempty"`
	Compression   string           `json:"compression,omitempty"`
	Error         string           `json:"error,omitempty"`
	Verify        *Verification    `json:"verify,omitempty"`
}

// Took is how long the backup ran.
func (r Record) Took() time.Duration {
	if r.Finished.IsZero() {
		return 0
	}
	return r.Finished.Sub(r.Started)
}

// Verification is the outcome of restoring a backup into a scratch database.
type Verification struct {
	At       time.Time     `json:"at"`
	OK       bool          `json:"ok"`
	Took     time.Duration `json:"took"`
	Tables   int           `json:"tables"`
	Rows     int64         `json:"rows"`
	Detail   string        `json:"detail,omitempty"` // what differed or failed
	Database string        `json:"scratch_database,omitempty"`
}

// Catalogue is the bot's own record of its backups, in the state store. S3 holds the
// truth about which objects exist; the catalogue adds what only the bot saw (failures,
// progress, verifications) and answers `backups` without listing the bucket.
type Catalogue struct{ store *state.Store }

// NewCatalogue returns the catalogue in store.
func NewCatalogue(store *state.Store) *Catalogue { return &Catalogue{store: store} }

// Put writes r.
func (c *Catalogue) Put(r Record) error {
	return c.store.Update(func(tx *state.Tx) error { return tx.Put(state.Backups, []byte(r.Key), r) })
}

// Get returns the record of key.
func (c *Catalogue) Get(key string) (Record, bool, error) {
	var r Record
	var ok bool
	err := c.store.View(func(tx *state.Tx) error {
		var err error
		ok, err = tx.Get(state.Backups, []byte(key), &r)
		return err
	})
	return r, ok, err
}

// Update applies fn to the record of key, if there is one.
func (c *Catalogue) Update(key string, fn func(*Record)) error {
	return c.store.Update(func(tx *state.Tx) error {
		var r Record
		ok, err := tx.Get(state.Backups, []byte(key), &r)
		if err != nil || !ok {
			return err
		}
		fn(&r)
		return tx.Put(state.Backups, []byte(key), r)
	})
}

// Latest returns up to n records of db, newest first, that match keep.
func (c *Catalogue) Latest(db string, n int, keep func(Record) bool) ([]Record, error) {
	var out []Record
	err := c.store.View(func(tx *state.Tx) error {
		return tx.Scan(state.Backups, true, func(rec state.Record) (bool, error) {
			var r Record
			if err := rec.Decode(&r); err != nil {
				return false, err
			}
			if r.Database == db && (keep == nil || keep(r)) {
				out = append(out, r)
			}
			return len(out) < n, nil
		})
	})
	return out, err
}

// LastOK is the newest successful backup of db.
func (c *Catalogue) LastOK(db string) (Record, bool, error) {
	rs, err := c.Latest(db, 1, func(r Record) bool { return r.Status == OK })
	if err != nil || len(rs) == 0 {
		return Record{}, false, err
	}
	return rs[0], true, nil
}

// LastVerified is the newest backup of db that passed a restore check.
func (c *Catalogue) LastVerified(db string) (Record, bool, error) {
	rs, err := c.Latest(db, 1, func(r Record) bool { return r.Status == OK && r.Verify != nil && r.Verify.OK })
	if err != nil || len(rs) == 0 {
		return Record{}, false, err
	}
	return rs[0], true, nil
}

// Count is how many backups of db are stored (status ok).
func (c *Catalogue) Count(db string) (int, error) {
	rs, err := c.Latest(db, 1<<30, func(r Record) bool { return r.Status == OK })
	return len(rs), err
}

// Interrupted marks records left running by a stop of the bot as failed: their
// multipart uploads were never completed, so no object exists for them.
func (c *Catalogue) Interrupted(now time.Time) (int, error) {
	n := 0
	err := c.store.Update(func(tx *state.Tx) error {
		var stale []Record
		err := tx.Scan(state.Backups, false, func(rec state.Record) (bool, error) {
			var r Record
			if err := rec.Decode(&r); err != nil {
				return false, err
			}
			if r.Status == Running {
				stale = append(stale, r)
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		for _, r := range stale {
			r.Status, r.Finished, r.Error = Failed, now, "interrupted: the bot stopped during the backup"
			if err := tx.Put(state.Backups, []byte(r.Key), r); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
