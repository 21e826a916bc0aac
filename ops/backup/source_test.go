package backup_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/tootops/tootops/ops"
	"github.com/tootops/tootops/ops/backup"
)

// recordSource records the programs a backup runs; noStdbuf makes it a host without
// stdbuf (as Alpine's postgres image is), answering as a missing program would.
type recordSource struct {
	backup.Source
	noStdbuf bool
	mu       sync.Mutex
	argvs    [][]string
}

func (r *recordSource) Run(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	r.mu.Lock()
	r.argvs = append(r.argvs, slices.Clone(argv))
	r.mu.Unlock()
	if r.noStdbuf && argv[0] == "stdbuf" {
		io.WriteString(stderr, "exec: \"stdbuf\": executable file not found in $PATH\n")
		return &backup.ExitError{Code: 127}
	}
	return r.Source.Run(ctx, argv, stdin, stdout, stderr)
}

// dumpArgv is the argv that dumped the database.
func (r *recordSource) dumpArgv(t *testing.T) []string {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range r.argvs {
		if slices.Contains(a, "-Fc") {
			return a
		}
	}
	t.Fatalf("no pg_dump -Fc among %q", r.argvs)
	return nil
}

// TestDumpBufferedWithStdbuf: where stdbuf exists, pg_dump runs under it with a 1 MiB
// output buffer; where it does not, plain pg_dump makes the same backup.
func TestDumpBufferedWithStdbuf(t *testing.T) {
	for _, missing := range []bool{false, true} {
		r := newRig(t, rigOptions{rows: 500})
		src := &recordSource{Source: r.src, noStdbuf: missing}
		svc := backup.New(backup.Options{Database: r.db, Prefix: "tootops", Source: src, Store: r.store, Catalogue: r.cat, Log: zerolog.Nop()})
		res, err := svc.Backup(context.Background(), 1, ops.NoProgress{})
		if err != nil {
			t.Fatalf("stdbuf missing=%v: %v", missing, ops.SafeText(err))
		}
		argv := src.dumpArgv(t)
		wantPrefix := []string{"stdbuf", "-o1M", "pg_dump"}
		if missing {
			wantPrefix = []string{"pg_dump"}
		}
		if !slices.Equal(argv[:len(wantPrefix)], wantPrefix) {
			t.Errorf("stdbuf missing=%v: dump argv %q, want it to start with %q", missing, argv, wantPrefix)
		}
		if !strings.HasPrefix(res.Record.DumpVersion, "pg_dump (PostgreSQL) 15") || res.Record.Rows["public.statuses"] == 0 {
			t.Errorf("stdbuf missing=%v: record %+v", missing, res.Record)
		}
	}
}

// TestHostSourceOutput: a program's output arrives whole through the large pipe, and a
// reader that fails stops the program instead of leaving it blocked on a full pipe.
func TestHostSourceOutput(t *testing.T) {
	src := &backup.HostSource{Address: "127.0.0.1:1", Role: "nobody"}
	ctx := context.Background()

	const n = 50 << 20 // 50 pipes' worth
	h := sha256.New()
	var count countingWriter
	if err := src.Run(ctx, []string{"sh", "-c", "yes 0123456789abcdef | head -c 52428800"}, nil, io.MultiWriter(h, &count), io.Discard); err != nil {
		t.Fatal(err)
	}
	want := sha256.Sum256(bytes.Repeat([]byte("0123456789abcdef\n"), n/17+1)[:n])
	if count.n != n || !bytes.Equal(h.Sum(nil), want[:]) {
		t.Fatalf("read %d bytes (want %d), same bytes: %v", count.n, n, bytes.Equal(h.Sum(nil), want[:]))
	}

	// yes never ends by itself: only a closed pipe stops it.
	start := time.Now()
	err := src.Run(ctx, []string{"yes"}, nil, &failingWriter{after: 4 << 20}, io.Discard)
	if err == nil {
		t.Fatal("a failed reader gave no error")
	}
	var exit *backup.ExitError
	if !errors.As(err, &exit) && !errors.Is(err, errReaderFailed) {
		t.Errorf("err = %v, want the program's exit or the reader's failure", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("took %s to stop", d)
	}

	// Output to a file goes straight to it.
	f, err := os.Create(filepath.Join(t.TempDir(), "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := src.Run(ctx, []string{"echo", "to a file"}, nil, f, io.Discard); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(f.Name()); string(b) != "to a file\n" {
		t.Errorf("file holds %q", b)
	}
}

// TestHostSourceBinDirOnPath: a wrapper (stdbuf) finds the programs of BinDir, which
// come before those of the same name elsewhere on PATH.
func TestHostSourceBinDirOnPath(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho \"from bindir: $*\"\n"
	if err := os.WriteFile(filepath.Join(dir, "true"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	src := &backup.HostSource{Address: "127.0.0.1:1", Role: "nobody", BinDir: dir}
	for _, argv := range [][]string{{"true", "x"}, {"stdbuf", "-o1M", "true", "x"}} {
		var out bytes.Buffer
		if err := src.Run(context.Background(), argv, nil, &out, io.Discard); err != nil {
			t.Fatalf("%q: %v", argv, err)
		}
		if out.String() != "from bindir: x\n" {
			t.Errorf("%q printed %q", argv, out.String())
		}
	}
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

var errReaderFailed = errors.New("reader failed")

// failingWriter fails once it has taken `after` bytes.
type failingWriter struct{ after, n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n += len(p); w.n > w.after {
		return 0, errReaderFailed
	}
	return len(p), nil
}
