package state_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"

	"github.com/tootops/tootops/state"
)

func openTemp(t *testing.T) (*state.Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sub", "tootops.db")
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func TestOpenCreatesFileWithLatestSchema(t *testing.T) {
	s, path := openTemp(t)
	if got, want := s.SchemaVersion(), state.LatestSchema(); got != want {
		t.Fatalf("schema = %d, want %d", got, want)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o600 {
		t.Errorf("mode = %v, want 0600", got)
	}
}

func TestSecondOpenIsRefusedNamingTheFile(t *testing.T) {
	_, path := openTemp(t)
	_, err := state.Open(path)
	var locked *state.LockedError
	if !errors.As(err, &locked) {
		t.Fatalf("second Open: err = %v, want *LockedError", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name %s", err, path)
	}
}

// The lock must hold across processes too, which is how two bots meet in practice.
func TestSecondProcessIsRefused(t *testing.T) {
	if os.Getenv("STATE_TEST_CHILD") != "" {
		_, err := state.Open(os.Getenv("STATE_TEST_CHILD"))
		var locked *state.LockedError
		if errors.As(err, &locked) {
			os.Exit(3)
		}
		os.Exit(0)
	}
	_, path := openTemp(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestSecondProcessIsRefused$")
	cmd.Env = append(os.Environ(), "STATE_TEST_CHILD="+path)
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("child: %v, want exit 3 (refused)", err)
	}
}

func TestReopenAfterCloseKeepsData(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tootops.db")
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	type rec struct{ N int }
	err = s.Update(func(tx *state.Tx) error {
		id, err := tx.NextID(state.Jobs)
		if err != nil {
			return err
		}
		return tx.Put(state.Jobs, state.IDKey(id), rec{N: 42})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var got rec
	err = s.View(func(tx *state.Tx) error {
		ok, err := tx.Get(state.Jobs, state.IDKey(1), &got)
		if !ok {
			t.Error("record 1 missing after reopen")
		}
		return err
	})
	if err != nil || got.N != 42 {
		t.Fatalf("got %+v, %v; want N=42", got, err)
	}
	// Sequences continue, they do not restart.
	_ = s.Update(func(tx *state.Tx) error {
		id, err := tx.NextID(state.Jobs)
		if id != 2 {
			t.Errorf("next id after reopen = %d, want 2", id)
		}
		return err
	})
}

func TestMigrationsRunForwardOnceEach(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tootops.db")
	var ran []int
	step := func(n int) func(*bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			ran = append(ran, n)
			_, err := tx.CreateBucketIfNotExists([]byte("b" + string(rune('0'+n))))
			return err
		}
	}
	s, err := state.OpenWith(path, []func(*bolt.Tx) error{step(1)})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	s, err = state.OpenWith(path, []func(*bolt.Tx) error{step(1), step(2), step(3)})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.SchemaVersion(); got != 3 {
		t.Errorf("schema = %d, want 3", got)
	}
	_ = s.Close()
	if got, want := ran, []int{1, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("migrations ran %v, want %v", got, want)
	}
	// An older binary refuses a newer file rather than misreading it.
	_, err = state.OpenWith(path, []func(*bolt.Tx) error{step(1)})
	var newer *state.NewerSchemaError
	if !errors.As(err, &newer) || newer.Found != 3 || newer.Latest != 1 {
		t.Fatalf("older binary: err = %v, want NewerSchemaError 3 > 1", err)
	}
}

func TestFailedMigrationLeavesFileUntouched(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tootops.db")
	s, err := state.OpenWith(path, []func(*bolt.Tx) error{func(*bolt.Tx) error { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	boom := errors.New("boom")
	_, err = state.OpenWith(path, []func(*bolt.Tx) error{
		func(*bolt.Tx) error { return nil },
		func(tx *bolt.Tx) error { _, _ = tx.CreateBucket([]byte("half")); return boom },
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	s, err = state.OpenWith(path, []func(*bolt.Tx) error{func(*bolt.Tx) error { return nil }})
	if err != nil {
		t.Fatalf("reopen at old schema: %v", err)
	}
	defer s.Close()
	if got := s.SchemaVersion(); got != 1 {
		t.Errorf("schema = %d, want 1", got)
	}
}

func TestScanReverseAndStop(t *testing.T) {
	s, _ := openTemp(t)
	err := s.Update(func(tx *state.Tx) error {
		for i := 0; i < 5; i++ {
			id, _ := tx.NextID(state.Audit)
			if err := tx.Put(state.Audit, state.IDKey(id), i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	_ = s.View(func(tx *state.Tx) error {
		return tx.Scan(state.Audit, true, func(r state.Record) (bool, error) {
			var n int
			if err := r.Decode(&n); err != nil {
				return false, err
			}
			got = append(got, n)
			return len(got) < 3, nil
		})
	})
	if want := []int{4, 3, 2}; !slices.Equal(got, want) {
		t.Errorf("reverse scan = %v, want %v", got, want)
	}
}

func TestInspect(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "new", "tootops.db")
	fi, err := state.Inspect(path)
	if err != nil || fi.Exists || fi.InUse {
		t.Fatalf("missing file: %+v, %v; want creatable, not existing", fi, err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Inspect created something: %v", err)
	}
	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err = state.Inspect(path)
	if err != nil || !fi.InUse {
		t.Fatalf("open file: %+v, %v; want in use", fi, err)
	}
	_ = s.Close()
	fi, err = state.Inspect(path)
	if err != nil || !fi.Exists || fi.InUse || fi.Schema != state.LatestSchema() {
		t.Fatalf("closed file: %+v, %v; want schema %d", fi, err, state.LatestSchema())
	}
}

// TestSchema1FileGainsTheBackupCatalogue opens a file written by the first release with
// this build: its records stay and the backups bucket appears.
func TestSchema1FileGainsTheBackupCatalogue(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := state.OpenWith(path, state.FirstMigrations(1))
	if err != nil {
		t.Fatal(err)
	}
	if err := old.Update(func(tx *state.Tx) error { return tx.Put(state.Jobs, state.IDKey(7), "kept") }); err != nil {
		t.Fatal(err)
	}
	if err := old.Update(func(tx *state.Tx) error { return tx.Put(state.Backups, []byte("k"), 1) }); err == nil {
		t.Fatal("a schema-1 file already has the backups bucket")
	}
	old.Close()

	s, err := state.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.SchemaVersion() != 2 {
		t.Errorf("schema = %d, want 2", s.SchemaVersion())
	}
	var got string
	err = s.Update(func(tx *state.Tx) error {
		if _, err := tx.Get(state.Jobs, state.IDKey(7), &got); err != nil {
			return err
		}
		return tx.Put(state.Backups, []byte("k"), 1)
	})
	if err != nil || got != "kept" {
		t.Errorf("after migration: %q, %v", got, err)
	}
}
