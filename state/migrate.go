package state

import (
	"encoding/json"
	"fmt"
	"strconv"

	bolt "go.etcd.io/bbolt"
)

// A migration moves the file from schema version i to i+1 (its index plus one). Each runs
// in the same transaction that records the new version, so a crash never leaves a file
// half-migrated. Append new steps; never edit a released one.
type migration func(tx *bolt.Tx) error

var migrations = []migration{
	// 1: the buckets of the first release.
	func(tx *bolt.Tx) error {
		for _, b := range []Bucket{Meta, Cursor, Ledger, Jobs, Confirmations, Audit, Schedules} {
			if _, err := tx.CreateBucketIfNotExists([]byte(b)); err != nil {
				return err
			}
		}
		return nil
	},
	// 2: the backup catalogue.
	func(tx *bolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists([]byte(Backups))
		return err
	},
}

// LatestSchema is the schema version this build writes.
func LatestSchema() int { return len(migrations) }

var schemaKey = []byte("schema_version")

func (s *Store) migrate(steps []migration) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		meta, err := tx.CreateBucketIfNotExists([]byte(Meta))
		if err != nil {
			return fmt.Errorf("state file %s: %w", s.path, err)
		}
		found := 0
		if raw := meta.Get(schemaKey); raw != nil {
			if err := json.Unmarshal(raw, &found); err != nil {
				return fmt.Errorf("state file %s: unreadable schema version %q", s.path, raw)
			}
		}
		if found > len(steps) {
			return &NewerSchemaError{Path: s.path, Found: found, Latest: len(steps)}
		}
		for v := found; v < len(steps); v++ {
			if err := steps[v](tx); err != nil {
				return fmt.Errorf("state file %s: migrate to schema %d: %w", s.path, v+1, err)
			}
		}
		s.schema = len(steps)
		return meta.Put(schemaKey, []byte(strconv.Itoa(len(steps))))
	})
}
