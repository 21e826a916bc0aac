package pgarchive_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/tootops/tootops/ops/pgarchive"
)

func FuzzObserver(f *testing.F) {
	for _, name := range []string{"fixture_z0.dump", "fixture_gzip.dump", "fixture_inserts.dump"} {
		b := readFixture(f, name)
		f.Add(b, uint16(0))
		f.Add(b[:len(b)/2], uint16(7))
		f.Add(b[:200], uint16(1))
	}
	for minor := 12; minor <= 16; minor++ {
		b := synthArchive(minor, 0)
		f.Add(b, uint16(3))
		f.Add(b[:len(b)-7], uint16(64))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		whole := pgarchive.NewObserver()
		if n, err := whole.Write(data); n != len(data) || err != nil {
			t.Fatalf("Write = %d, %v; want %d, nil", n, err, len(data))
		}
		if err := whole.Err(); err != nil && strings.Contains(err.Error(), "internal error") {
			t.Fatal(err)
		}

		// The same bytes in pieces give the same observation.
		pieces := pgarchive.NewObserver()
		size := int(split)%509 + 1
		for b := data; len(b) > 0; b = b[min(size, len(b)):] {
			pieces.Write(b[:min(size, len(b))])
		}
		if got, want := pieces.Tables(), whole.Tables(); !reflect.DeepEqual(got, want) {
			t.Fatalf("in %d-byte pieces: Tables() = %+v, whole: %+v", size, got, want)
		}
		if got, want := errString(pieces.Err()), errString(whole.Err()); got != want {
			t.Fatalf("in %d-byte pieces: Err() = %s, whole: %s", size, got, want)
		}
		if pieces.Complete() != whole.Complete() {
			t.Fatalf("in %d-byte pieces: Complete() = %v, whole: %v", size, pieces.Complete(), whole.Complete())
		}

		// Everything kept is bounded.
		h, _ := whole.Header()
		if len(h.DBName) > 1024 || len(h.ServerVersion) > 1024 || len(h.DumpVersion) > 1024 {
			t.Fatalf("header strings not capped: %d, %d, %d bytes", len(h.DBName), len(h.ServerVersion), len(h.DumpVersion))
		}
		tables := whole.Tables()
		if len(tables) > 1<<17 || len(tables) != whole.TableCount() {
			t.Fatalf("%d tables, TableCount %d", len(tables), whole.TableCount())
		}
		for _, tb := range tables {
			if len(tb.Schema) > 1024 || len(tb.Name) > 1024 {
				t.Fatalf("names not capped: %d, %d bytes", len(tb.Schema), len(tb.Name))
			}
			if tb.Rows < pgarchive.RowsUnknown || tb.Rows > tb.Bytes || tb.Bytes > int64(len(data)) {
				t.Fatalf("implausible table %+v from %d bytes", tb, len(data))
			}
		}
	})
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
