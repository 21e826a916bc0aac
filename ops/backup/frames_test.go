package backup

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// dumpLike is n bytes that compress like a dump's COPY data: rows of repeated words,
// numbers and some noise.
func dumpLike(n int, seed uint64) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	words := []string{"toot", "boost", "https://example.social/@alice/", "public", "unlisted", "\\N", "2026-11-24 10:00:00", "mastodon"}
	var b bytes.Buffer
	for b.Len() < n {
		fmt.Fprintf(&b, "%d\t%s\t%s\t%x\n", r.IntN(1<<40), words[r.IntN(len(words))], words[r.IntN(len(words))], r.Uint32())
	}
	return b.Bytes()[:n]
}

// decodeAll decodes a zstd stream of any number of frames with klauspost's decoder.
func decodeAll(t *testing.T, z []byte) []byte {
	t.Helper()
	d, err := zstd.NewReader(bytes.NewReader(z))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	out, err := io.ReadAll(d)
	if err != nil {
		t.Fatalf("decoding: %v", err)
	}
	return out
}

// frameCount walks the frames of a zstd stream by their headers and blocks.
func frameCount(t *testing.T, z []byte) int {
	t.Helper()
	n := 0
	for len(z) > 0 {
		var h zstd.Header
		if err := h.Decode(z); err != nil {
			t.Fatalf("frame %d: %v", n, err)
		}
		if h.Skippable {
			t.Fatalf("frame %d is skippable", n)
		}
		off := h.HeaderSize
		for {
			if off+3 > len(z) {
				t.Fatalf("frame %d: truncated block header", n)
			}
			bh := uint32(z[off]) | uint32(z[off+1])<<8 | uint32(z[off+2])<<16
			last, typ, size := bh&1 == 1, (bh>>1)&3, int(bh>>3)
			off += 3
			if typ == 1 { // RLE: one byte
				size = 1
			}
			off += size
			if last {
				break
			}
		}
		if h.HasCheckSum {
			off += 4
		}
		z = z[off:]
		n++
	}
	return n
}

func TestFrameEncoderRoundTrip(t *testing.T) {
	const size = 1 << 20 // frames of 1 MiB here: the logic does not depend on the size
	for _, tc := range []struct {
		n, workers, writeSize, frames int
	}{
		{0, 2, 1, 1}, // one empty frame, as a single zstd stream has
		{1, 2, 1, 1},
		{chunkSize - 1, 2, 4096, 1},
		{chunkSize, 2, 4096, 1},
		{chunkSize + 1, 2, 7, 1},
		{size - 1, 2, 32 << 10, 1},
		{size, 2, 32 << 10, 1},
		{size + 1, 2, 32 << 10, 2},
		{7*size/2 + 123, 2, 32 << 10, 4},
		{7*size/2 + 123, 1, 32 << 10, 4},
		{7*size/2 + 123, 3, 100_000, 4},
		{5 * size, 2, 3 * size, 5}, // writes larger than a frame
	} {
		t.Run(fmt.Sprintf("n=%d/workers=%d/write=%d", tc.n, tc.workers, tc.writeSize), func(t *testing.T) {
			in := dumpLike(tc.n, uint64(tc.n))
			var out bytes.Buffer
			e, err := newFrameEncoderSize(&out, zstd.SpeedDefault, tc.workers, size)
			if err != nil {
				t.Fatal(err)
			}
			for p := in; len(p) > 0; {
				k := min(len(p), tc.writeSize)
				n, err := e.Write(p[:k])
				if err != nil || n != k {
					t.Fatalf("Write = %d, %v; want %d, nil", n, err, k)
				}
				p = p[k:]
			}
			if err := e.Close(); err != nil {
				t.Fatal(err)
			}
			if got := frameCount(t, out.Bytes()); got != tc.frames {
				t.Errorf("%d frames, want %d", got, tc.frames)
			}
			if got := decodeAll(t, out.Bytes()); !bytes.Equal(got, in) {
				t.Fatalf("round trip: got %d bytes, want %d (equal: false)", len(got), len(in))
			}
			if tc.n > 4096 && out.Len() > tc.n/2 {
				t.Errorf("compressed %d bytes to %d: not compressing", tc.n, out.Len())
			}
			if _, err := e.Write([]byte("late")); err == nil {
				t.Error("Write after Close succeeded")
			}
		})
	}
}

// TestFrameEncoderZstdCLI checks that the frames read as one stream with the zstd
// program, which the restore commands use.
func TestFrameEncoderZstdCLI(t *testing.T) {
	zstdBin, err := exec.LookPath("zstd")
	if err != nil {
		t.Fatal("zstd is not installed (make setup installs it): the restore commands need it")
	}
	in := dumpLike(3<<20+5, 7)
	var out bytes.Buffer
	e, _ := newFrameEncoderSize(&out, zstd.SpeedDefault, 2, 1<<20)
	if _, err := e.Write(in); err != nil {
		t.Fatal(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(zstdBin, "-dc")
	cmd.Stdin = &out
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("zstd -dc: %v", err)
	}
	if !bytes.Equal(got, in) {
		t.Fatalf("zstd -dc gave %d bytes, want the %d written", len(got), len(in))
	}
}

// failingWriter takes `ok` bytes, then fails every write.
type failingWriter struct {
	mu  sync.Mutex
	ok  int
	n   int
	err error
}

func (w *failingWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n+len(p) > w.ok {
		return 0, w.err
	}
	w.n += len(p)
	return len(p), nil
}

func TestFrameEncoderWriterFails(t *testing.T) {
	before := runtime.NumGoroutine()
	boom := errors.New("upload aborted")
	w := &failingWriter{ok: 100 << 10, err: boom}
	e, _ := newFrameEncoderSize(w, zstd.SpeedDefault, 2, 256<<10)
	in := dumpLike(8<<20, 3)
	var werr error
	for p := in; len(p) > 0 && werr == nil; p = p[min(len(p), 64<<10):] {
		_, werr = e.Write(p[:min(len(p), 64<<10)])
	}
	if !errors.Is(werr, boom) {
		t.Errorf("Write after the output failed = %v, want %v", werr, boom)
	}
	if err := e.Close(); !errors.Is(err, boom) {
		t.Errorf("Close = %v, want %v", err, boom)
	}
	if err := e.Close(); !errors.Is(err, boom) {
		t.Errorf("second Close = %v, want %v", err, boom)
	}
	waitGoroutines(t, before)
}

func TestFrameEncoderAbort(t *testing.T) {
	before := runtime.NumGoroutine()
	var out bytes.Buffer
	e, _ := newFrameEncoderSize(&out, zstd.SpeedDefault, 2, 512<<10)
	if _, err := e.Write(dumpLike(1<<20+99, 4)); err != nil {
		t.Fatal(err)
	}
	cause := errors.New("pg_dump: exit 1")
	e.Abort(cause)
	n := out.Len()
	if err := e.Close(); !errors.Is(err, cause) {
		t.Errorf("Close after Abort = %v, want %v", err, cause)
	}
	if _, err := e.Write([]byte("x")); !errors.Is(err, cause) {
		t.Errorf("Write after Abort = %v, want %v", err, cause)
	}
	if out.Len() != n {
		t.Errorf("output grew after Abort: %d → %d bytes", n, out.Len())
	}
	waitGoroutines(t, before)
}

// waitGoroutines fails unless the goroutine count falls back to before within 5 s.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left running (were %d)", runtime.NumGoroutine(), before)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BenchmarkFrameEncoder compresses 64 MiB of dump-like data with one worker (what a
// single zstd stream does) and with two.
func BenchmarkFrameEncoder(b *testing.B) {
	in := dumpLike(64<<20, 9)
	for _, workers := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				e, _ := newFrameEncoder(io.Discard, zstd.SpeedDefault, workers)
				for p := in; len(p) > 0; p = p[min(len(p), 32<<10):] {
					e.Write(p[:min(len(p), 32<<10)])
				}
				if err := e.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
