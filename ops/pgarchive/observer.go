package pgarchive

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// RowsUnknown is the row count of a table whose rows cannot be counted from the stream:
// its data block is compressed, or it was dumped as INSERT statements instead of COPY.
const RowsUnknown int64 = -1

// Errors recorded by an Observer; Err wraps one of them.
var (
	// ErrNotCustom means the stream is not a custom-format archive (pg_dump -Fc).
	ErrNotCustom = errors.New("not a custom-format archive")
	// ErrUnsupported means the archive version is outside 1.12 to 1.16.
	ErrUnsupported = errors.New("unsupported archive version")
	// ErrCorrupt means the bytes do not follow the archive layout.
	ErrCorrupt = errors.New("corrupt archive")
	// ErrLimit means the archive exceeds one of the observer's safety limits.
	ErrLimit = errors.New("archive exceeds observer limits")
)

// Header is the archive header written by pg_dump.
type Header struct {
	Version       string // archive format version, e.g. "1.14"
	IntSize       int    // bytes per integer, 4 in practice
	OffSize       int    // bytes per file offset, 8 in practice
	DBName        string
	ServerVersion string // version of the dumped server, e.g. "15.18 (Debian 15.18-0+deb12u1)"
	DumpVersion   string // version of pg_dump
	Compression   string // "none", "gzip", "lz4", "zstd" or "unknown(N)"
}

// Table is one TABLE DATA entry of the archive and what has been seen of its data.
type Table struct {
	DumpID int
	Schema string // as in the catalog, unquoted
	Name   string // as in the catalog, unquoted
	// Rows is the number of rows seen so far, exact once Done; RowsUnknown when the
	// data cannot be counted (compressed archive, --inserts dump).
	Rows int64
	// Bytes is the size of the data seen so far, without chunk framing; for a
	// compressed archive it is the compressed size.
	Bytes int64
	Done  bool // the end of the table's data block was seen
}

// Observer watches a custom-format archive written through it. The zero value is not
// ready for use; call NewObserver. Write is meant for one writer; every other method may
// be called from other goroutines at any time.
type Observer struct {
	mu sync.Mutex
	p  parser
}

var _ io.Writer = (*Observer)(nil)

// NewObserver returns an Observer waiting for the first byte of an archive.
func NewObserver() *Observer {
	o := &Observer{}
	o.p.init()
	return o
}

// Write observes p and always returns len(p), nil, so that it can never fail or stall
// the stream it watches. A parsing problem is recorded for Err and ends observation.
func (o *Observer) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.p.feedSafely(p)
	return len(p), nil
}

// Header returns the archive header, once it has been read completely.
func (o *Observer) Header() (Header, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.p.hdr, o.p.hdrDone
}

// Tables returns the TABLE DATA entries read from the TOC so far, in TOC order.
func (o *Observer) Tables() []Table {
	o.mu.Lock()
	defer o.mu.Unlock()
	tables := make([]Table, 0, o.p.tableCount)
	for i := range o.p.entries {
		if e := &o.p.entries[i]; e.isTable {
			tables = append(tables, o.p.table(e))
		}
	}
	return tables
}

// TableCount returns the number of TABLE DATA entries read from the TOC so far.
func (o *Observer) TableCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.p.tableCount
}

// Current returns the table whose data is arriving now. It reports false before the
// first data block, between blocks, while large objects arrive, and after the end.
func (o *Observer) Current() (Table, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.p.cur < 0 || o.p.state == stFailed {
		return Table{}, false
	}
	e := &o.p.entries[o.p.cur]
	if !e.isTable {
		return Table{}, false
	}
	return o.p.table(e), true
}

// Rows returns the row count of every TABLE DATA entry, keyed by "schema.name" with
// both parts unquoted as in the catalog (public.accounts, public.MixedCase Table). The
// value is exact once the table's data block has ended, and RowsUnknown while it has not
// or when the rows cannot be counted. Compare with SELECT count(*) only when Complete.
func (o *Observer) Rows() map[string]int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	rows := make(map[string]int64, o.p.tableCount)
	for i := range o.p.entries {
		e := &o.p.entries[i]
		if !e.isTable {
			continue
		}
		t := o.p.table(e)
		if !t.Done {
			t.Rows = RowsUnknown
		}
		rows[QualifiedName(t.Schema, t.Name)] = t.Rows
	}
	return rows
}

// LargeObjects returns the number of large objects seen in BLOBS data blocks so far.
func (o *Observer) LargeObjects() int64 {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.p.largeObjects
}

// Err returns the problem that stopped observation, or nil. An archive that is merely
// cut short is not an error: see Complete.
func (o *Observer) Err() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.p.err
}

// Complete reports whether the whole TOC was read and the data block of every entry
// that announced data has ended, which is the last thing pg_dump writes.
func (o *Observer) Complete() bool {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.p.tocDone && o.p.pending == 0
}

// QualifiedName is the key Rows uses for a table: schema and name joined by a dot,
// unquoted. It is just the name when the schema is empty.
func QualifiedName(schema, name string) string {
	if schema == "" {
		return name
	}
	return schema + "." + name
}

// feedSafely feeds p to the parser and turns a bug into a recorded error rather than a
// crash of the backup pipeline.
func (p *parser) feedSafely(b []byte) {
	defer func() {
		if r := recover(); r != nil {
			p.err = fmt.Errorf("pgarchive: internal error at offset %d: %v", p.pos, r)
			p.state = stFailed
			p.cur = -1
		}
	}()
	p.feed(b)
}
