package bot

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/tootops/tootops/state"
)

func TestLedger(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.db")
	store, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	l, err := newLedger(store)
	if err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * 24 * time.Hour)
	claim := func(n, s string, at time.Time) bool {
		t.Helper()
		fresh, err := l.claim(ledgerEntry{Notification: n, Status: s, From: "alice@x", Line: "ps", At: at})
		if err != nil {
			t.Fatal(err)
		}
		return fresh
	}
	if !claim("99995", "500", time.Now()) {
		t.Fatal("first claim refused")
	}
	if claim("99995", "500", time.Now()) || claim("99996", "500", time.Now()) {
		t.Error("a notification or status claimed twice")
	}
	if !claim("100001", "501", old) {
		t.Fatal("second DM refused")
	}
	if err := l.done("100001"); err != nil {
		t.Fatal(err)
	}
	l.see("100002") // a non-command: cursor moves in memory only
	if err := l.flush(); err != nil {
		t.Fatal(err)
	}
	// "99995" was claimed and never handled: the bot died in between.
	left, err := l.unfinished()
	if err != nil || len(left) != 1 || left[0].Notification != "99995" {
		t.Fatalf("unfinished = %+v, %v", left, err)
	}
	if left, _ := l.unfinished(); len(left) != 0 {
		t.Errorf("told twice: %+v", left)
	}
	if err := l.prune(time.Now().Add(-ledgerKeep)); err != nil {
		t.Fatal(err)
	}
	if !claim("100001", "501", time.Now()) {
		t.Error("a pruned entry is still remembered")
	}
	_ = store.Close()
	store, err = state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	l, _ = newLedger(store)
	if got := l.Cursor(); got != "100002" {
		t.Errorf("cursor after reopen = %q, want 100002 (ids compare by length first)", got)
	}
}
