// Package pgarchive observes a PostgreSQL custom-format archive (pg_dump -Fc) while it
// streams past, without changing or holding back a single byte.
//
// An Observer is an io.Writer meant to sit on an io.TeeReader between pg_dump and the
// uploader. It reads the archive header (format version, database name, server and
// pg_dump versions, compression), the table of contents (which TABLE DATA entries exist)
// and, when the data blocks are not compressed, counts the COPY rows of every table
// exactly, so the counts can be compared with SELECT count(*) after a test restore.
//
// The layout follows src/bin/pg_dump/pg_backup_archiver.c (WriteHead, WriteToc,
// WriteInt, WriteStr, WriteOffset) and pg_backup_custom.c (data blocks) for archive
// versions 1.12 to 1.16 (PostgreSQL 9.0 to 17):
//
//   - an int is a sign byte then intSize bytes, least significant first; a string is an
//     int length (negative for NULL) then the bytes;
//   - 1.14 added the table access method to each TOC entry, 1.15 replaced the header's
//     int compression level with a one-byte algorithm (none, gzip, lz4, zstd), and 1.16
//     added the relkind int to each TOC entry;
//   - a data block is a type byte (1 table data, 3 large objects), the entry's dump id,
//     then chunks of int length + bytes ended by a zero length. A large-object block
//     repeats OID + chunks and ends with OID 0.
//
// Row counting relies on COPY text format: every row ends with '\n' and a raw newline
// never occurs inside a row. pg_dump (dumpTableData_copy) also writes the terminator
// "\\.\n\n\n" into each table's data, as its own chunk; a line "\." cannot be a row (a
// backslash in data is written as "\\"), so that line and the empty lines after it are
// not counted. Data written with --inserts is not COPY text and is reported as
// RowsUnknown, as is every table of a compressed archive.
//
// Observation never fails the stream: Write always reports success. A problem (not an
// archive, an unsupported version, a corrupt TOC, a limit exceeded) is kept for Err and
// parsing stops. Strings kept from the archive are capped at 1 KiB, tracked data entries
// at 131072 and their names at 16 MiB in all, so hostile input cannot make the observer
// allocate without bound; everything else, however long, is skipped without copying.
package pgarchive
