package bot

import (
	"sync"
	"time"

	"github.com/tootops/tootops/state"
)

// The ledger makes intake exactly-once: a notification and its status are claimed in the
// same transaction that advances the cursor, before the command starts. A claimed
// notification is never run again, whether it comes back by the stream, by catch-up or
// after a restart; one claimed but never marked handled (the bot died in between) is
// reported to its sender instead of being lost in silence.

const cursorKey = "notifications"

// Ledger states.
const (
	received = "received"
	handled  = "handled"
)

type ledgerEntry struct {
	Notification string    `json:"notification"`
	Status       string    `json:"status"`
	From         string    `json:"from"`
	Line         string    `json:"line"`
	At           time.Time `json:"at"`
	State        string    `json:"state"`
}

type ledger struct {
	store *state.Store

	mu      sync.Mutex
	cursor  string // the newest notification id seen, possibly not yet written
	written string
}

func newLedger(store *state.Store) (*ledger, error) {
	l := &ledger{store: store}
	err := store.View(func(tx *state.Tx) error {
		_, err := tx.Get(state.Cursor, []byte(cursorKey), &l.cursor)
		return err
	})
	l.written = l.cursor
	return l, err
}

// Cursor is the newest notification id seen.
func (l *ledger) Cursor() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cursor
}

// see advances the cursor in memory for a notification that needs no record (not a
// command): a flood of them costs no disk writes; the next write carries it.
func (l *ledger) see(id string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if newerID(id, l.cursor) {
		l.cursor = id
	}
}

// claim records a command-bearing notification and advances the cursor, unless the
// notification or its status was claimed before; it reports whether this call claimed it.
func (l *ledger) claim(e ledgerEntry) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fresh := false
	cursor := l.cursor
	if newerID(e.Notification, cursor) {
		cursor = e.Notification
	}
	err := l.store.Update(func(tx *state.Tx) error {
		nk, sk := []byte("n:"+e.Notification), []byte("s:"+e.Status)
		for _, k := range [][]byte{nk, sk} {
			seen, err := tx.Has(state.Ledger, k)
			if err != nil || seen {
				return err
			}
		}
		fresh = true
		if e.State == "" {
			e.State = received
		}
		if err := tx.Put(state.Ledger, nk, e); err != nil {
			return err
		}
		if err := tx.Put(state.Ledger, sk, e.Notification); err != nil {
			return err
		}
		return tx.Put(state.Cursor, []byte(cursorKey), cursor)
	})
	if err == nil {
		l.cursor, l.written = cursor, cursor
	}
	return fresh, err
}

// done marks a claimed notification handled.
func (l *ledger) done(notification string) error {
	return l.store.Update(func(tx *state.Tx) error {
		var e ledgerEntry
		ok, err := tx.Get(state.Ledger, []byte("n:"+notification), &e)
		if err != nil || !ok {
			return err
		}
		e.State = handled
		return tx.Put(state.Ledger, []byte("n:"+notification), e)
	})
}

// flush writes the cursor if it moved since the last write.
func (l *ledger) flush() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cursor == l.written {
		return nil
	}
	err := l.store.Update(func(tx *state.Tx) error { return tx.Put(state.Cursor, []byte(cursorKey), l.cursor) })
	if err == nil {
		l.written = l.cursor
	}
	return err
}

// unfinished returns claimed notifications never marked handled, and marks them handled:
// their senders are told once.
func (l *ledger) unfinished() ([]ledgerEntry, error) {
	var out []ledgerEntry
	err := l.store.Update(func(tx *state.Tx) error {
		err := scanEntries(tx, func(_ []byte, e ledgerEntry) {
			if e.State == received {
				out = append(out, e)
			}
		})
		if err != nil {
			return err
		}
		for _, e := range out {
			e.State = handled
			if err := tx.Put(state.Ledger, []byte("n:"+e.Notification), e); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// prune forgets entries older than before; catch-up never reaches that far back.
func (l *ledger) prune(before time.Time) error {
	return l.store.Update(func(tx *state.Tx) error {
		var drop [][]byte
		err := scanEntries(tx, func(key []byte, e ledgerEntry) {
			if e.At.Before(before) {
				drop = append(drop, key, []byte("s:"+e.Status))
			}
		})
		for _, k := range drop {
			if err := tx.Delete(state.Ledger, k); err != nil {
				return err
			}
		}
		return err
	})
}

// scanEntries calls fn for every notification entry (the "n:" keys) with a copy of its key.
func scanEntries(tx *state.Tx, fn func(key []byte, e ledgerEntry)) error {
	return tx.Scan(state.Ledger, false, func(r state.Record) (bool, error) {
		if len(r.Key) < 2 || string(r.Key[:2]) != "n:" {
			return true, nil
		}
		var e ledgerEntry
		if err := r.Decode(&e); err != nil {
			return false, err
		}
		fn(append([]byte(nil), r.Key...), e)
		return true, nil
	})
}

// newerID compares Mastodon ids: opaque strings where a longer one is newer, then the
// lexically larger (they are cast from growing integers).
func newerID(a, b string) bool {
	if len(a) != len(b) {
		return len(a) > len(b)
	}
	return a > b
}
