package audit_test

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/audit"
	"github.com/tootops/tootops/state"
)

func TestRecordAndLast(t *testing.T) {
	s, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var logs strings.Builder
	clock := time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC)
	l := audit.New(s, zerolog.New(&logs), func() time.Time { return clock })
	l.Record(audit.Entry{Kind: audit.Command, Who: "alice@social.example.coop", Via: "console", Line: "restart sidekiq", Outcome: "succeeded", JobID: 3, Duration: 1500 * time.Millisecond})
	l.Record(audit.Entry{Kind: audit.Refusal, Who: "mallory@evil.example", Via: "mastodon", Line: "ps", Outcome: "refused", Detail: "not an admin"})
	got, err := l.Last(5)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Kind != audit.Refusal || got[1].JobID != 3 {
		t.Fatalf("last = %+v", got)
	}
	if want := `11-24 14:00Z command alice@social.example.coop "restart sidekiq" → succeeded (job 3) in 1.5s`; got[1].String() != want {
		t.Errorf("String = %q, want %q", got[1].String(), want)
	}
	if !strings.Contains(logs.String(), `"who":"mallory@evil.example"`) || strings.Count(logs.String(), `"message":"audit"`) != 2 {
		t.Errorf("log lines:\n%s", logs.String())
	}
}

func TestBounded(t *testing.T) {
	s, err := state.Open(filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	l := audit.New(s, zerolog.Nop(), nil)
	l.SetKeep(7)
	for range 12 {
		l.Record(audit.Entry{Kind: audit.Command, Who: "a@b", Outcome: "ok"})
	}
	var n int
	_ = s.View(func(tx *state.Tx) error { n, err = tx.Count(state.Audit); return err })
	last, _ := l.Last(100)
	if n != 7 || len(last) != 7 || last[0].ID != 12 || last[6].ID != 6 {
		t.Errorf("kept %d entries (%d listed), want 7: ids 12…6", n, len(last))
	}
}
