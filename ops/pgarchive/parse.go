package pgarchive

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// Safety limits against hostile or corrupt input.
const (
	maxKept        = 1024     // bytes kept of any string read from the archive
	maxTOCEntries  = 1 << 24  // entries a TOC may announce
	maxDataEntries = 1 << 17  // TOC entries with data that are tracked
	maxNameBytes   = 16 << 20 // bytes of schema and table names kept in all
	tailSize       = 16       // last bytes of a table's data kept to find the "\." line
)

// Archive layout constants from pg_backup_archiver.h and pg_backup_custom.c.
const (
	minMinor = 12 // K_VERS_1_12, PostgreSQL 9.0
	maxMinor = 16 // K_VERS_1_16, PostgreSQL 17

	archCustom = 1 // ArchiveFormat archCustom

	offsetPosNotSet = 1 // K_OFFSET_POS_NOT_SET
	offsetPosSet    = 2 // K_OFFSET_POS_SET
	offsetNoData    = 3 // K_OFFSET_NO_DATA

	blkData  = 1 // BLK_DATA
	blkBlobs = 3 // BLK_BLOBS
)

type state uint8

const (
	stMagic state = iota
	stVersion
	stIntSize
	stOffSize
	stFormat
	stCompression
	stDate
	stDBName
	stServerVersion
	stDumpVersion
	stTOCCount
	stEntryDumpID
	stEntryHadDumper
	stEntryTableOID
	stEntryOID
	stEntryTag
	stEntryDesc
	stEntrySection
	stEntryDefn
	stEntryDropStmt
	stEntryCopyStmt
	stEntryNamespace
	stEntryTablespace
	stEntryTableAM
	stEntryRelkind
	stEntryOwner
	stEntryWithOIDs
	stEntryDeps
	stEntryOffset
	stBlockType
	stBlockID
	stChunkLen
	stChunkBody
	stBlobOID
	stFailed
)

// entry is a TOC entry with data (TABLE DATA or BLOBS) and what was seen of it.
type entry struct {
	dumpID    int
	schema    string
	name      string
	isTable   bool // TABLE DATA
	copyText  bool // data is COPY text, so rows can be counted
	hasData   bool // the TOC announced a data block
	started   bool
	done      bool
	bytes     int64
	newlines  int64
	tail      [tailSize]byte // last bytes of the data, to find the "\." terminator
	tailLen   int
	truncated bool // a name was longer than maxKept
}

// tocEntry holds the fields of the TOC entry being read.
type tocEntry struct {
	dumpID    int
	tag       string
	desc      string
	namespace string
	copyText  bool
	truncated bool
}

type parser struct {
	state state
	pos   int64 // bytes consumed, for error messages
	err   error

	// Partial fixed-size reads (bytes, ints, offsets) that span writes.
	scratch [32]byte
	have    int

	// The string being read: its length, the bytes left, the bytes kept.
	inStr   bool
	strLen  int64
	strLeft int64
	strBuf  []byte

	// Header.
	minor    int
	intSize  int
	offSize  int
	dateInts int
	hdr      Header
	hdrDone  bool
	compress bool

	// TOC.
	tocLeft    int64
	tocDone    bool
	te         tocEntry
	entries    []entry
	byID       map[int]int // dump id to index in entries
	tableCount int
	nameBytes  int // bytes of names kept in entries
	pending    int // entries with data whose block has not ended

	// Data blocks.
	cur          int // index in entries of the block being read, -1 between blocks
	blockType    byte
	chunkLeft    int64
	largeObjects int64
}

func (p *parser) init() {
	p.cur = -1
	p.byID = make(map[int]int)
}

func (p *parser) fail(kind error, format string, args ...any) {
	p.err = fmt.Errorf("pgarchive: %w at offset %d: %s", kind, p.pos, fmt.Sprintf(format, args...))
	p.state = stFailed
	p.cur = -1
}

// fill returns the next n bytes once they are all available, gathering them across
// writes in scratch. n never exceeds len(scratch).
func (p *parser) fill(b *[]byte, n int) ([]byte, bool) {
	if p.have == 0 && len(*b) >= n {
		out := (*b)[:n]
		*b = (*b)[n:]
		p.pos += int64(n)
		return out, true
	}
	k := copy(p.scratch[p.have:n], *b)
	*b = (*b)[k:]
	p.have += k
	p.pos += int64(k)
	if p.have < n {
		return nil, false
	}
	p.have = 0
	return p.scratch[:n], true
}

// readInt reads an archive int: a sign byte, then intSize bytes, least significant
// first (ReadInt in pg_backup_archiver.c).
func (p *parser) readInt(b *[]byte) (int64, bool) {
	buf, ok := p.fill(b, 1+p.intSize)
	if !ok {
		return 0, false
	}
	var v uint64
	for i := p.intSize; i >= 1; i-- {
		v = v<<8 | uint64(buf[i])
	}
	if v > math.MaxUint32 {
		p.fail(ErrCorrupt, "integer %d out of range", v)
		return 0, false
	}
	if buf[0] != 0 {
		return -int64(v), true
	}
	return int64(v), true
}

// readStr reads an archive string (ReadStr): an int length, negative for NULL, then the
// bytes. It keeps at most keep bytes in p.strBuf; p.strLen is the full length.
func (p *parser) readStr(b *[]byte, keep int) (val []byte, null, ok bool) {
	if !p.inStr {
		n, ok := p.readInt(b)
		if !ok {
			return nil, false, false
		}
		if n < 0 {
			p.strLen = 0
			return nil, true, true
		}
		p.inStr, p.strLen, p.strLeft, p.strBuf = true, n, n, p.strBuf[:0]
	}
	take := int(min(p.strLeft, int64(len(*b))))
	if room := keep - len(p.strBuf); room > 0 {
		p.strBuf = append(p.strBuf, (*b)[:min(take, room)]...)
	}
	*b = (*b)[take:]
	p.strLeft -= int64(take)
	p.pos += int64(take)
	if p.strLeft > 0 {
		return nil, false, false
	}
	p.inStr = false
	return p.strBuf, false, true
}

// skipStr skips a string the observer has no use for, then moves to next.
func (p *parser) skipStr(b *[]byte, next state) {
	if _, _, ok := p.readStr(b, 0); ok {
		p.state = next
	}
}

func (p *parser) feed(b []byte) {
	for len(b) > 0 && p.state != stFailed {
		switch p.state {
		case stMagic:
			m, ok := p.fill(&b, 5)
			if !ok {
				return
			}
			if string(m) != "PGDMP" {
				p.fail(ErrNotCustom, "no PGDMP magic")
				return
			}
			p.state = stVersion
		case stVersion:
			v, ok := p.fill(&b, 3)
			if !ok {
				return
			}
			p.hdr.Version = fmt.Sprintf("%d.%d", v[0], v[1])
			if v[2] != 0 {
				p.hdr.Version += "." + strconv.Itoa(int(v[2]))
			}
			if v[0] != 1 || v[1] < minMinor || v[1] > maxMinor {
				p.fail(ErrUnsupported, "version %s, want 1.%d to 1.%d", p.hdr.Version, minMinor, maxMinor)
				return
			}
			p.minor = int(v[1])
			p.state = stIntSize
		case stIntSize:
			v, ok := p.fill(&b, 1)
			if !ok {
				return
			}
			if v[0] < 2 || v[0] > 8 {
				p.fail(ErrCorrupt, "integer size %d", v[0])
				return
			}
			p.intSize, p.hdr.IntSize = int(v[0]), int(v[0])
			p.state = stOffSize
		case stOffSize:
			v, ok := p.fill(&b, 1)
			if !ok {
				return
			}
			if v[0] < 1 || int(v[0]) >= len(p.scratch) {
				p.fail(ErrCorrupt, "offset size %d", v[0])
				return
			}
			p.offSize, p.hdr.OffSize = int(v[0]), int(v[0])
			p.state = stFormat
		case stFormat:
			v, ok := p.fill(&b, 1)
			if !ok {
				return
			}
			if v[0] != archCustom {
				p.fail(ErrNotCustom, "archive format %d", v[0])
				return
			}
			p.state = stCompression
		case stCompression:
			if p.minor >= 15 {
				// K_VERS_1_15: a pg_compress_algorithm byte.
				v, ok := p.fill(&b, 1)
				if !ok {
					return
				}
				p.hdr.Compression = algorithmName(v[0])
			} else {
				// Before 1.15: a zlib level, 0 for none, -1 for the default.
				level, ok := p.readInt(&b)
				if !ok {
					return
				}
				p.hdr.Compression = "gzip"
				if level == 0 {
					p.hdr.Compression = "none"
				}
			}
			p.compress = p.hdr.Compression != "none"
			p.state = stDate
		case stDate:
			// tm_sec, tm_min, tm_hour, tm_mday, tm_mon, tm_year, tm_isdst.
			if _, ok := p.readInt(&b); !ok {
				return
			}
			if p.dateInts++; p.dateInts == 7 {
				p.state = stDBName
			}
		case stDBName:
			if s, _, ok := p.readStr(&b, maxKept); ok {
				p.hdr.DBName = string(s)
				p.state = stServerVersion
			}
		case stServerVersion:
			if s, _, ok := p.readStr(&b, maxKept); ok {
				p.hdr.ServerVersion = string(s)
				p.state = stDumpVersion
			}
		case stDumpVersion:
			if s, _, ok := p.readStr(&b, maxKept); ok {
				p.hdr.DumpVersion = string(s)
				p.hdrDone = true
				p.state = stTOCCount
			}
		case stTOCCount:
			n, ok := p.readInt(&b)
			if !ok {
				return
			}
			if n < 0 || n > maxTOCEntries {
				p.fail(ErrLimit, "TOC announces %d entries", n)
				return
			}
			p.tocLeft = n
			p.state = stEntryDumpID
			if n == 0 {
				p.tocDone = true
				p.state = stBlockType
			}
		case stEntryDumpID:
			id, ok := p.readInt(&b)
			if !ok {
				return
			}
			if id <= 0 || id > math.MaxInt32 {
				p.fail(ErrCorrupt, "TOC entry dump id %d", id)
				return
			}
			p.te = tocEntry{dumpID: int(id)}
			p.state = stEntryHadDumper
		case stEntryHadDumper:
			if _, ok := p.readInt(&b); ok {
				p.state = stEntryTableOID
			}
		case stEntryTableOID:
			p.skipStr(&b, stEntryOID)
		case stEntryOID:
			p.skipStr(&b, stEntryTag)
		case stEntryTag:
			if s, _, ok := p.readStr(&b, maxKept); ok {
				p.te.tag = string(s)
				p.te.truncated = p.strLen > maxKept
				p.state = stEntryDesc
			}
		case stEntryDesc:
			if s, _, ok := p.readStr(&b, maxKept); ok {
				p.te.desc = string(s)
				p.state = stEntrySection
			}
		case stEntrySection:
			if _, ok := p.readInt(&b); ok {
				p.state = stEntryDefn
			}
		case stEntryDefn:
			p.skipStr(&b, stEntryDropStmt)
		case stEntryDropStmt:
			p.skipStr(&b, stEntryCopyStmt)
		case stEntryCopyStmt:
			if s, null, ok := p.readStr(&b, 5); ok {
				p.te.copyText = !null && string(s) == "COPY "
				p.state = stEntryNamespace
			}
		case stEntryNamespace:
			if s, _, ok := p.readStr(&b, maxKept); ok {
				p.te.namespace = string(s)
				p.te.truncated = p.te.truncated || p.strLen > maxKept
				p.state = stEntryTablespace
			}
		case stEntryTablespace:
			switch {
			case p.minor >= 14:
				p.skipStr(&b, stEntryTableAM)
			default:
				p.skipStr(&b, stEntryOwner)
			}
		case stEntryTableAM: // K_VERS_1_14
			if p.minor >= 16 {
				p.skipStr(&b, stEntryRelkind)
			} else {
				p.skipStr(&b, stEntryOwner)
			}
		case stEntryRelkind: // K_VERS_1_16
			if _, ok := p.readInt(&b); ok {
				p.state = stEntryOwner
			}
		case stEntryOwner:
			p.skipStr(&b, stEntryWithOIDs)
		case stEntryWithOIDs:
			p.skipStr(&b, stEntryDeps)
		case stEntryDeps:
			// Dependency dump ids as strings, ended by a NULL string.
			if _, null, ok := p.readStr(&b, 0); ok && null {
				p.state = stEntryOffset
			}
		case stEntryOffset:
			// _WriteExtraToc: WriteOffset, a flag byte then offSize bytes.
			v, ok := p.fill(&b, 1+p.offSize)
			if !ok {
				return
			}
			flag := v[0]
			if flag != offsetPosNotSet && flag != offsetPosSet && flag != offsetNoData {
				p.fail(ErrCorrupt, "data offset flag %d", flag)
				return
			}
			p.addEntry(flag != offsetNoData)
			if p.state == stFailed {
				return
			}
			p.state = stEntryDumpID
			if p.tocLeft--; p.tocLeft == 0 {
				p.tocDone = true
				p.state = stBlockType
			}
		case stBlockType:
			v, ok := p.fill(&b, 1)
			if !ok {
				return
			}
			if v[0] != blkData && v[0] != blkBlobs {
				p.fail(ErrCorrupt, "data block type %d", v[0])
				return
			}
			p.blockType = v[0]
			p.state = stBlockID
		case stBlockID:
			id, ok := p.readInt(&b)
			if !ok {
				return
			}
			i, known := p.byID[int(id)]
			if !known {
				p.fail(ErrCorrupt, "data block for dump id %d, which the TOC does not announce", id)
				return
			}
			e := &p.entries[i]
			if e.started {
				p.fail(ErrCorrupt, "second data block for dump id %d", id)
				return
			}
			e.started = true
			p.cur = i
			p.state = stChunkLen
			if p.blockType == blkBlobs {
				p.state = stBlobOID
			}
		case stBlobOID:
			oid, ok := p.readInt(&b)
			if !ok {
				return
			}
			if oid == 0 {
				p.endBlock()
				continue
			}
			p.largeObjects++
			p.state = stChunkLen
		case stChunkLen:
			n, ok := p.readInt(&b)
			if !ok {
				return
			}
			switch {
			case n < 0:
				p.fail(ErrCorrupt, "chunk length %d", n)
				return
			case n > 0:
				p.chunkLeft = n
				p.state = stChunkBody
			case p.blockType == blkBlobs:
				p.state = stBlobOID
			default:
				p.endBlock()
			}
		case stChunkBody:
			n := int(min(p.chunkLeft, int64(len(b))))
			p.entries[p.cur].observe(b[:n])
			b = b[n:]
			p.pos += int64(n)
			if p.chunkLeft -= int64(n); p.chunkLeft == 0 {
				p.state = stChunkLen
			}
		default:
			return
		}
	}
}

// addEntry records the TOC entry just read if it is a table or has data.
func (p *parser) addEntry(hasData bool) {
	te := &p.te
	isTable := te.desc == "TABLE DATA"
	if !isTable && !hasData {
		return
	}
	if len(p.entries) >= maxDataEntries {
		p.fail(ErrLimit, "more than %d TOC entries with data", maxDataEntries)
		return
	}
	if _, dup := p.byID[te.dumpID]; dup {
		p.fail(ErrCorrupt, "dump id %d appears twice in the TOC", te.dumpID)
		return
	}
	if isTable && te.truncated {
		p.fail(ErrLimit, "table name longer than %d bytes", maxKept)
		return
	}
	if p.nameBytes += len(te.namespace) + len(te.tag); p.nameBytes > maxNameBytes {
		p.fail(ErrLimit, "more than %d bytes of table names", maxNameBytes)
		return
	}
	p.byID[te.dumpID] = len(p.entries)
	p.entries = append(p.entries, entry{
		dumpID:   te.dumpID,
		schema:   te.namespace,
		name:     te.tag,
		isTable:  isTable,
		copyText: te.copyText,
		hasData:  hasData,
	})
	if isTable {
		p.tableCount++
	}
	if hasData {
		p.pending++
	}
}

func (p *parser) endBlock() {
	e := &p.entries[p.cur]
	e.done = true
	if e.hasData {
		p.pending--
	}
	p.cur = -1
	p.state = stBlockType
}

// observe accounts for a piece of an entry's data.
func (e *entry) observe(b []byte) {
	e.bytes += int64(len(b))
	if !e.copyText {
		return
	}
	e.newlines += int64(bytes.Count(b, []byte{'\n'}))
	if len(b) >= tailSize {
		e.tailLen = copy(e.tail[:], b[len(b)-tailSize:])
		return
	}
	keep := min(e.tailLen, tailSize-len(b))
	copy(e.tail[:keep], e.tail[e.tailLen-keep:e.tailLen])
	e.tailLen = keep + copy(e.tail[keep:], b)
}

// terminatorNewlines returns how many of the newlines seen belong to the end-of-data
// marker pg_dump writes after the rows: a line "\." and the empty lines after it.
func (e *entry) terminatorNewlines() int64 {
	t := e.tail[:e.tailLen]
	k := len(t)
	for k > 0 && t[k-1] == '\n' {
		k--
	}
	trailing := len(t) - k
	if trailing == 0 || k < 2 || t[k-2] != '\\' || t[k-1] != '.' {
		return 0
	}
	// "\." must be a whole line: at the start of the data or after a newline.
	atStart := k == 2 && e.bytes == int64(e.tailLen)
	if !atStart && (k < 3 || t[k-3] != '\n') {
		return 0
	}
	return int64(trailing)
}

func (p *parser) table(e *entry) Table {
	t := Table{DumpID: e.dumpID, Schema: e.schema, Name: e.name, Bytes: e.bytes, Done: e.done, Rows: RowsUnknown}
	if e.copyText && !p.compress {
		t.Rows = e.newlines - e.terminatorNewlines()
	}
	return t
}

// algorithmName names a pg_compress_algorithm (common/compression.h).
func algorithmName(a byte) string {
	switch a {
	case 0:
		return "none"
	case 1:
		return "gzip"
	case 2:
		return "lz4"
	case 3:
		return "zstd"
	}
	return "unknown(" + strconv.Itoa(int(a)) + ")"
}
