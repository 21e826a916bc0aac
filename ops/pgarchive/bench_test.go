package pgarchive_test

import (
	"strings"
	"testing"

	"github.com/tootops/tootops/ops/pgarchive"
)

// benchArchive is an archive with one table of about 64 MiB of COPY rows, in one chunk
// per row as pg_dump -Z0 writes it, or in 64 KiB chunks.
func benchArchive(rowChunks bool) ([]byte, int64) {
	const row = "1234567\tusername1234567\ta status text of moderate length, like most toots are\t2024-01-01 00:00:00+00\n"
	n := (64 << 20) / len(row)
	a := &archive{minor: 14}
	a.header("bench").toc(synthEntry{id: 1, desc: "TABLE DATA", schema: "public", tag: "statuses", copy: true, data: true})
	var chunks []string
	if rowChunks {
		chunks = make([]string, n)
		for i := range chunks {
			chunks[i] = row
		}
	} else {
		data := strings.Repeat(row, n)
		for ; len(data) > 0; data = data[min(64<<10, len(data)):] {
			chunks = append(chunks, data[:min(64<<10, len(data))])
		}
	}
	chunks = append(chunks, "\\.\n\n\n")
	a.dataBlock(1, chunks...)
	return a.Bytes(), int64(n)
}

func BenchmarkObserver(b *testing.B) {
	for _, bc := range []struct {
		name      string
		rowChunks bool
	}{{"row-chunks", true}, {"64KiB-chunks", false}} {
		b.Run(bc.name, func(b *testing.B) {
			archive, rows := benchArchive(bc.rowChunks)
			b.SetBytes(int64(len(archive)))
			var o *pgarchive.Observer
			for b.Loop() {
				o = pgarchive.NewObserver()
				for p := archive; len(p) > 0; p = p[min(64<<10, len(p)):] {
					o.Write(p[:min(64<<10, len(p))])
				}
			}
			if got := o.Rows()["public.statuses"]; got != rows || !o.Complete() {
				b.Fatalf("rows = %d, complete = %v; want %d, true", got, o.Complete(), rows)
			}
		})
	}
}
