package pgarchive_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/tootops/tootops/ops/pgarchive"
)

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixtureRows returns the SELECT count(*) of every fixture table.
func fixtureRows(t testing.TB) map[string]int64 {
	t.Helper()
	var rows map[string]int64
	if err := json.Unmarshal(readFixture(t, "fixture_rows.json"), &rows); err != nil {
		t.Fatal(err)
	}
	return rows
}

// observe writes b to a new Observer in pieces of the given sizes, cycling through them.
func observe(t testing.TB, b []byte, sizes ...int) *pgarchive.Observer {
	t.Helper()
	o := pgarchive.NewObserver()
	if len(sizes) == 0 {
		sizes = []int{len(b) + 1}
	}
	for i := 0; len(b) > 0; i++ {
		n := min(sizes[i%len(sizes)], len(b))
		if got, err := o.Write(b[:n]); got != n || err != nil {
			t.Fatalf("Write(%d bytes) = %d, %v; want %d, nil", n, got, err, n)
		}
		b = b[n:]
	}
	return o
}

// fixtureTables is the TOC order of the TABLE DATA entries in the fixtures.
var fixtureTables = []string{
	"archive.statuses", "public.MixedCase Table", "public.accounts", "public.empty_table",
	"public.media", "public.nocols", "public.parted_a", "public.parted_b",
	"public.single_text", "public.weird_text",
}

func tableNames(tables []pgarchive.Table) []string {
	names := make([]string, len(tables))
	for i, tb := range tables {
		names[i] = pgarchive.QualifiedName(tb.Schema, tb.Name)
	}
	return names
}

func TestFixtures(t *testing.T) {
	want := fixtureRows(t)
	for _, name := range []string{"fixture_z0.dump", "fixture_z0_file.dump"} {
		t.Run(name, func(t *testing.T) {
			o := observe(t, readFixture(t, name))
			if err := o.Err(); err != nil {
				t.Fatal(err)
			}
			h, ok := o.Header()
			if !ok {
				t.Fatal("no header")
			}
			if got, want := h.Version, "1.14"; got != want {
				t.Errorf("Version = %q, want %q", got, want)
			}
			if got, want := h.DBName, "fixture"; got != want {
				t.Errorf("DBName = %q, want %q", got, want)
			}
			if got, want := h.Compression, "none"; got != want {
				t.Errorf("Compression = %q, want %q", got, want)
			}
			if !strings.HasPrefix(h.ServerVersion, "15.") || !strings.HasPrefix(h.DumpVersion, "15.") {
				t.Errorf("versions = %q, %q; want 15.x", h.ServerVersion, h.DumpVersion)
			}
			if h.IntSize != 4 || h.OffSize != 8 {
				t.Errorf("IntSize, OffSize = %d, %d; want 4, 8", h.IntSize, h.OffSize)
			}
			if got, want := tableNames(o.Tables()), fixtureTables; !reflect.DeepEqual(got, want) {
				t.Errorf("tables = %q,\nwant %q", got, want)
			}
			if got, want := o.Rows(), want; !reflect.DeepEqual(got, want) {
				t.Errorf("Rows() = %v,\nwant %v", got, want)
			}
			for _, tb := range o.Tables() {
				if !tb.Done || tb.DumpID <= 0 || tb.Bytes < 5 {
					t.Errorf("table %+v: want Done, a dump id and at least the 5-byte terminator", tb)
				}
			}
			if got, want := o.TableCount(), len(fixtureTables); got != want {
				t.Errorf("TableCount() = %d, want %d", got, want)
			}
			if got, want := o.LargeObjects(), int64(2); got != want {
				t.Errorf("LargeObjects() = %d, want %d", got, want)
			}
			if !o.Complete() {
				t.Error("Complete() = false, want true")
			}
			if tb, ok := o.Current(); ok {
				t.Errorf("Current() = %+v after the end, want none", tb)
			}
		})
	}
}

func TestPieceSizes(t *testing.T) {
	b := readFixture(t, "fixture_z0.dump")
	whole := observe(t, b)
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]int, 500)
	for i := range random {
		random[i] = 1 + rng.IntN(300)
	}
	for _, tc := range []struct {
		name  string
		sizes []int
	}{
		{"1", []int{1}},
		{"2", []int{2}},
		{"7", []int{7}},
		{"13", []int{13}},
		{"4KiB", []int{4096}},
		{"64KiB", []int{64 << 10}},
		{"random", random},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := observe(t, b, tc.sizes...)
			if err := o.Err(); err != nil {
				t.Fatal(err)
			}
			if got, want := o.Tables(), whole.Tables(); !reflect.DeepEqual(got, want) {
				t.Errorf("Tables() = %+v,\nwant %+v", got, want)
			}
			gh, _ := o.Header()
			wh, _ := whole.Header()
			if gh != wh {
				t.Errorf("Header() = %+v, want %+v", gh, wh)
			}
			if !o.Complete() || o.LargeObjects() != whole.LargeObjects() {
				t.Errorf("Complete, LargeObjects = %v, %d; want true, %d", o.Complete(), o.LargeObjects(), whole.LargeObjects())
			}
		})
	}
}

func TestTruncated(t *testing.T) {
	b := readFixture(t, "fixture_z0.dump")
	final := fixtureRows(t)
	last := map[string]int64{}
	for cut := 0; cut < len(b); cut += 1 + cut%97 {
		o := observe(t, b[:cut])
		if err := o.Err(); err != nil {
			t.Fatalf("cut at %d: Err() = %v, want nil", cut, err)
		}
		if o.Complete() {
			t.Fatalf("cut at %d of %d: Complete() = true", cut, len(b))
		}
		for _, tb := range o.Tables() {
			key := pgarchive.QualifiedName(tb.Schema, tb.Name)
			if tb.Rows < last[key] || tb.Rows > final[key] {
				t.Fatalf("cut at %d: %s has %d rows, want between %d and %d", cut, key, tb.Rows, last[key], final[key])
			}
			last[key] = tb.Rows
			if rows := o.Rows()[key]; !tb.Done && rows != pgarchive.RowsUnknown {
				t.Fatalf("cut at %d: Rows()[%s] = %d for an unfinished table, want RowsUnknown", cut, key, rows)
			}
		}
	}
}

func TestCurrent(t *testing.T) {
	b := readFixture(t, "fixture_z0.dump")
	at := bytes.Index(b, []byte("1\tuser1\tnote 1\t"))
	if at < 0 {
		t.Fatal("accounts data not found in fixture")
	}
	o := observe(t, b[:at+len("1\tuser1")])
	tb, ok := o.Current()
	if !ok || tb.Schema != "public" || tb.Name != "accounts" || tb.Done || tb.Rows != 0 {
		t.Fatalf("Current() = %+v, %v; want public.accounts in progress with 0 rows", tb, ok)
	}
	o.Write(b[at+len("1\tuser1") : at+200])
	if tb, _ := o.Current(); tb.Rows < 2 {
		t.Errorf("Current().Rows = %d after 200 bytes of accounts, want at least 2", tb.Rows)
	}
	if got := o.Rows()["public.accounts"]; got != pgarchive.RowsUnknown {
		t.Errorf("Rows()[public.accounts] = %d while in progress, want RowsUnknown", got)
	}
}

func TestCompressed(t *testing.T) {
	o := observe(t, readFixture(t, "fixture_gzip.dump"), 4096)
	if err := o.Err(); err != nil {
		t.Fatal(err)
	}
	if h, _ := o.Header(); h.Compression != "gzip" {
		t.Errorf("Compression = %q, want gzip", h.Compression)
	}
	if got, want := tableNames(o.Tables()), fixtureTables; !reflect.DeepEqual(got, want) {
		t.Errorf("tables = %q,\nwant %q", got, want)
	}
	for _, tb := range o.Tables() {
		if tb.Rows != pgarchive.RowsUnknown || !tb.Done || tb.Bytes == 0 {
			t.Errorf("table %+v: want RowsUnknown, Done and compressed bytes", tb)
		}
	}
	for key, rows := range o.Rows() {
		if rows != pgarchive.RowsUnknown {
			t.Errorf("Rows()[%s] = %d, want RowsUnknown", key, rows)
		}
	}
	if !o.Complete() {
		t.Error("Complete() = false, want true")
	}
}

func TestInserts(t *testing.T) {
	o := observe(t, readFixture(t, "fixture_inserts.dump"))
	if err := o.Err(); err != nil {
		t.Fatal(err)
	}
	if got, want := o.Rows(), map[string]int64{"public.weird_text": pgarchive.RowsUnknown}; !reflect.DeepEqual(got, want) {
		t.Errorf("Rows() = %v, want %v", got, want)
	}
	if !o.Complete() {
		t.Error("Complete() = false, want true")
	}
}

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		minor, compression int
		version, algorithm string
		counted            bool
	}{
		{12, 0, "1.12", "none", true},
		{13, 0, "1.13", "none", true},
		{13, -1, "1.13", "gzip", false},
		{14, 0, "1.14", "none", true},
		{14, 6, "1.14", "gzip", false},
		{15, 0, "1.15", "none", true},
		{15, 2, "1.15", "lz4", false},
		{16, 0, "1.16", "none", true},
		{16, 3, "1.16", "zstd", false},
		{16, 9, "1.16", "unknown(9)", false},
	} {
		t.Run(tc.version+"-"+tc.algorithm, func(t *testing.T) {
			b := synthArchive(tc.minor, tc.compression)
			for _, size := range []int{len(b), 1, 3} {
				o := observe(t, b, size)
				if err := o.Err(); err != nil {
					t.Fatal(err)
				}
				h, ok := o.Header()
				if !ok || h.Version != tc.version || h.Compression != tc.algorithm || h.DBName != "synth" {
					t.Errorf("Header() = %+v, %v; want version %s, %s, synth", h, ok, tc.version, tc.algorithm)
				}
				want := map[string]int64{"public.accounts": 3, "archive.Mixed Case": 0}
				if !tc.counted {
					want = map[string]int64{"public.accounts": pgarchive.RowsUnknown, "archive.Mixed Case": pgarchive.RowsUnknown}
				}
				if got := o.Rows(); !reflect.DeepEqual(got, want) {
					t.Errorf("Rows() = %v, want %v", got, want)
				}
				if !o.Complete() || o.LargeObjects() != 2 || o.TableCount() != 2 {
					t.Errorf("Complete, LargeObjects, TableCount = %v, %d, %d; want true, 2, 2", o.Complete(), o.LargeObjects(), o.TableCount())
				}
			}
		})
	}
}

func TestRowTerminator(t *testing.T) {
	for _, tc := range []struct {
		name string
		data string
		rows int64
	}{
		{"rows then terminator", "1\ta\n2\tb\n\\.\n\n\n", 2},
		{"empty table", "\\.\n\n\n", 0},
		{"empty rows (no columns)", "\n\n\n\\.\n\n\n", 3},
		{"escaped backslash-dot row", "\\\\.\n\\.\n\n\n", 1},
		{"escaped backslash-dot only row", "\\\\.\n", 1},
		{"dot row", ".\n\\.\n\n\n", 1},
		{"no terminator", "1\n2\n", 2},
		{"no data at all", "", 0},
		{"escaped newlines", "a\\nb\\r\\n\t\\\\N\n\\N\n\\.\n\n\n", 2},
		{"long rows", strings.Repeat("x", 40) + "\n" + strings.Repeat("y", 40) + "\n\\.\n\n\n", 2},
	} {
		for _, chunk := range []int{1, 2, 3, 5, 64} {
			var chunks []string
			for d := tc.data; len(d) > 0; d = d[min(chunk, len(d)):] {
				chunks = append(chunks, d[:min(chunk, len(d))])
			}
			a := &archive{minor: 14}
			a.header("t").toc(synthEntry{id: 7, desc: "TABLE DATA", schema: "s", tag: "t", copy: true, data: true})
			a.dataBlock(7, chunks...)
			o := observe(t, a.Bytes())
			if got := o.Rows()["s.t"]; got != tc.rows || o.Err() != nil || !o.Complete() {
				t.Errorf("%s in %d-byte chunks: rows %d, err %v, complete %v; want %d, nil, true",
					tc.name, chunk, got, o.Err(), o.Complete(), tc.rows)
			}
		}
	}
}

func TestErrors(t *testing.T) {
	valid := synthArchive(14, 0)
	withBlock := func(block ...byte) []byte {
		return append(synthHead(14, 0).Bytes(), block...)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want error
	}{
		{"plain SQL", []byte("--\n-- PostgreSQL database dump\n--\n"), pgarchive.ErrNotCustom},
		{"tar format", append([]byte("PGDMP"), 1, 14, 0, 4, 8, 3), pgarchive.ErrNotCustom},
		{"version 1.11", append([]byte("PGDMP"), 1, 11, 0, 4, 8, 1), pgarchive.ErrUnsupported},
		{"version 1.17", append([]byte("PGDMP"), 1, 17, 0, 4, 8, 1), pgarchive.ErrUnsupported},
		{"int size 0", append([]byte("PGDMP"), 1, 14, 0, 0, 8, 1), pgarchive.ErrCorrupt},
		{"bad block type", withBlock(9, 0, 3, 0, 0, 0), pgarchive.ErrCorrupt},
		{"unknown dump id", withBlock(1, 0, 99, 0, 0, 0), pgarchive.ErrCorrupt},
		{"negative chunk", withBlock(1, 0, 3, 0, 0, 0, 1, 5, 0, 0, 0), pgarchive.ErrCorrupt},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o := observe(t, tc.data)
			if err := o.Err(); !errors.Is(err, tc.want) {
				t.Fatalf("Err() = %v, want %v", err, tc.want)
			}
			if o.Complete() {
				t.Error("Complete() = true, want false")
			}
			// Observation has stopped, but writes still succeed.
			if n, err := o.Write(valid); n != len(valid) || err != nil {
				t.Errorf("Write after error = %d, %v", n, err)
			}
		})
	}
}

func TestSecondBlockForSameTable(t *testing.T) {
	a := &archive{minor: 14}
	a.header("t").toc(synthEntry{id: 7, desc: "TABLE DATA", schema: "s", tag: "t", copy: true, data: true})
	a.dataBlock(7, "1\n")
	a.dataBlock(7, "2\n")
	o := observe(t, a.Bytes())
	if err := o.Err(); !errors.Is(err, pgarchive.ErrCorrupt) {
		t.Fatalf("Err() = %v, want ErrCorrupt", err)
	}
	if got := o.Rows()["s.t"]; got != 1 {
		t.Errorf("rows = %d, want the 1 row of the first block", got)
	}
}

// TestHostileBoundedMemory feeds announcements of enormous strings and TOCs and checks
// the observer neither fails the stream nor allocates in proportion to them.
func TestHostileBoundedMemory(t *testing.T) {
	a := &archive{minor: 14}
	a.header("t")
	a.int(1 << 24) // TOC entries announced
	a.int(1)       // dump id
	a.int(1)       // had dumper
	a.WriteByte(0) // table OID string: length 2^32-1 (sign byte, 4 bytes)
	a.Write([]byte{0xff, 0xff, 0xff, 0xff})
	junk := bytes.Repeat([]byte("\xffjunk\x00"), 1<<20)

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	o := pgarchive.NewObserver()
	o.Write(a.Bytes())
	for range 4 {
		o.Write(junk)
	}
	runtime.ReadMemStats(&after)
	if err := o.Err(); err != nil {
		t.Fatalf("Err() = %v, want nil while skipping a long string", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("observer allocated %d bytes while skipping %d bytes", grew, 4*len(junk))
	}
}

func TestTooManyTables(t *testing.T) {
	const n = 1<<17 + 1
	a := &archive{minor: 14}
	a.header("t")
	entries := make([]synthEntry, n)
	for i := range entries {
		entries[i] = synthEntry{id: i + 1, desc: "TABLE DATA", schema: "s", tag: "t", copy: true, data: true}
	}
	a.toc(entries...)
	o := observe(t, a.Bytes(), 1<<16)
	if err := o.Err(); !errors.Is(err, pgarchive.ErrLimit) {
		t.Fatalf("Err() = %v, want ErrLimit", err)
	}
	if got, want := o.TableCount(), n-1; got != want {
		t.Errorf("TableCount() = %d, want %d", got, want)
	}
}

func TestTooManyNameBytes(t *testing.T) {
	a := &archive{minor: 14}
	a.header("t")
	long := strings.Repeat("n", 1024)
	entries := make([]synthEntry, 8200) // 8200 * 2 KiB > 16 MiB
	for i := range entries {
		entries[i] = synthEntry{id: i + 1, desc: "TABLE DATA", schema: long, tag: long, copy: true, data: true}
	}
	o := observe(t, a.toc(entries...).Bytes(), 1<<16)
	if err := o.Err(); !errors.Is(err, pgarchive.ErrLimit) {
		t.Fatalf("Err() = %v, want ErrLimit", err)
	}
	if got, want := o.TableCount(), 8192; got != want {
		t.Errorf("TableCount() = %d, want %d", got, want)
	}
}

// TestConcurrentReaders runs progress readers against a writer; go test -race checks it.
func TestConcurrentReaders(t *testing.T) {
	b := readFixture(t, "fixture_z0.dump")
	o := pgarchive.NewObserver()
	done := make(chan struct{})
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				o.Current()
				o.Tables()
				o.Rows()
				o.Header()
				o.Complete()
				o.Err()
			}
		})
	}
	for len(b) > 0 {
		n := min(31, len(b))
		o.Write(b[:n])
		b = b[n:]
	}
	close(done)
	wg.Wait()
	if !o.Complete() {
		t.Error("Complete() = false, want true")
	}
}
