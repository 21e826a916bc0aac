package pgarchive_test

import (
	"bytes"
	"encoding/binary"
)

// archive builds custom-format archives byte by byte, following WriteHead, WriteToc
// and the custom format's data blocks (pg_backup_archiver.c, pg_backup_custom.c).
type archive struct {
	minor       int // archive version 1.minor
	compression int // zlib level before 1.15, pg_compress_algorithm from 1.15
	bytes.Buffer
}

type synthEntry struct {
	id     int
	desc   string
	schema string
	tag    string
	copy   bool // COPY statement present (TABLE DATA without --inserts)
	data   bool // the entry has a data block
	deps   []string
}

func (a *archive) int(v int) {
	sign := byte(0)
	if v < 0 {
		sign, v = 1, -v
	}
	a.WriteByte(sign)
	a.Write(binary.LittleEndian.AppendUint32(nil, uint32(v)))
}

func (a *archive) str(s string) {
	a.int(len(s))
	a.WriteString(s)
}

func (a *archive) null() { a.int(-1) }

func (a *archive) header(db string) *archive {
	a.WriteString("PGDMP")
	a.Write([]byte{1, byte(a.minor), 0, 4, 8, 1})
	if a.minor >= 15 {
		a.WriteByte(byte(a.compression))
	} else {
		a.int(a.compression)
	}
	for _, v := range []int{5, 4, 3, 2, 1, 125, 0} { // tm_sec … tm_isdst
		a.int(v)
	}
	a.str(db)
	a.str("15.18")
	a.str("15.18")
	return a
}

func (a *archive) toc(entries ...synthEntry) *archive {
	a.int(len(entries))
	for _, e := range entries {
		a.int(e.id)
		a.int(map[bool]int{false: 0, true: 1}[e.data])
		a.str("1259")
		a.str("16385")
		a.str(e.tag)
		a.str(e.desc)
		a.int(3) // section
		a.str("")
		a.str("")
		if e.copy {
			a.str("COPY " + e.schema + "." + e.tag + " (id) FROM stdin;\n")
		} else {
			a.null()
		}
		if e.schema == "" {
			a.null()
		} else {
			a.str(e.schema)
		}
		a.str("") // tablespace
		if a.minor >= 14 {
			a.str("heap")
		}
		if a.minor >= 16 {
			a.int('r')
		}
		a.str("postgres")
		a.str("false")
		for _, d := range e.deps {
			a.str(d)
		}
		a.null()
		flag := byte(3) // K_OFFSET_NO_DATA
		if e.data {
			flag = 1 // K_OFFSET_POS_NOT_SET
		}
		a.WriteByte(flag)
		a.Write(make([]byte, 8))
	}
	return a
}

func (a *archive) dataBlock(id int, chunks ...string) *archive {
	a.WriteByte(1)
	a.int(id)
	for _, c := range chunks {
		a.int(len(c))
		a.WriteString(c)
	}
	a.int(0)
	return a
}

func (a *archive) blobsBlock(id int, blobs ...string) *archive {
	a.WriteByte(3)
	a.int(id)
	for i, b := range blobs {
		a.int(16400 + i)
		a.int(len(b))
		a.WriteString(b)
		a.int(0)
	}
	a.int(0)
	return a
}

// synthHead is the header and TOC of a small archive of the given version: a schema
// entry, two tables, a sequence and large objects.
func synthHead(minor, compression int) *archive {
	a := &archive{minor: minor, compression: compression}
	return a.header("synth").toc(
		synthEntry{id: 1, desc: "SCHEMA", tag: "archive"},
		synthEntry{id: 2, desc: "TABLE", schema: "public", tag: "accounts", deps: []string{"1"}},
		synthEntry{id: 3, desc: "TABLE DATA", schema: "public", tag: "accounts", copy: true, data: true, deps: []string{"2"}},
		synthEntry{id: 4, desc: "TABLE DATA", schema: "archive", tag: "Mixed Case", copy: true, data: true, deps: []string{"1", "2"}},
		synthEntry{id: 5, desc: "SEQUENCE SET", schema: "public", tag: "seq"},
		synthEntry{id: 6, desc: "BLOBS", tag: "BLOBS", data: true},
	)
}

// synthArchive is synthHead followed by the data blocks.
func synthArchive(minor, compression int) []byte {
	a := synthHead(minor, compression)
	a.dataBlock(3, "1\talice\n", "2\tbob\n", "3\tcarol\\nwith\\tescapes\n", "\\.\n\n\n")
	a.dataBlock(4, "\\.\n\n\n")
	a.blobsBlock(6, "blob one\n", "blob\ntwo\n")
	return a.Bytes()
}
