// Package state is tootops' one embedded, transactional store file.
//
// It is bbolt (go.etcd.io/bbolt): pure Go, one file, ACID transactions with fsync on
// commit, ordered keys for cursors and logs, and an exclusive file lock, which is how a
// second bot on the same file is refused. SQLite would add a SQL layer and a larger
// dependency for data that is a handful of keyed records and append-only logs.
//
// Each package that keeps state (intake cursor and ledger, jobs, confirmations, audit,
// schedules) owns its bucket; values are JSON so a file stays readable with `bbolt get`.
package state
