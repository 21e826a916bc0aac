package backup

import (
	"strings"
	"time"
)

// StampLayout is the time layout of the stamp in a dump key: ISO 8601 basic format in UTC
// with second precision, e.g. 20261124T031500Z. It has a fixed width for years 0000–9999,
// so stamps of one database sort as strings in time order.
const StampLayout = "20060102T150405Z"

const (
	keyDumpExt     = ".dump"
	keyManifestExt = ".json"
	keyFolders     = "2006/01/" // the year and month folders, from the UTC stamp
)

// Key returns the object key of the dump of db taken at t:
//
//	PREFIX/DB/YYYY/MM/DB-20261124T031500Z.dump
//
// t is converted to UTC and truncated to the second; the year and month folders are those
// of the UTC stamp, not of the admin's zone, so a key never depends on configuration
// other than prefix. prefix is normalized as in ListPrefix. db is used as given: config
// validation must make sure it is non-empty, since ParseKey accepts no key for an empty db.
func Key(prefix, db string, t time.Time) string {
	t = t.UTC()
	return ListPrefix(prefix, db) + t.Format(keyFolders) + db + "-" + t.Format(StampLayout) + keyDumpExt
}

// ManifestKey returns the key of the manifest that sits next to dumpKey.
func ManifestKey(dumpKey string) string {
	return dumpKey + keyManifestExt
}

// ListPrefix returns the prefix under which all dumps and manifests of db are stored,
// "PREFIX/DB/", or "DB/" when prefix is empty. Leading and trailing slashes of prefix
// are dropped, so "backups", "/backups" and "backups/" name the same place.
func ListPrefix(prefix, db string) string {
	if p := strings.Trim(prefix, "/"); p != "" {
		return p + "/" + db + "/"
	}
	return db + "/"
}

// ParseKey reports whether key is the key of a dump of db under prefix, exactly as Key
// writes it, and returns the time in the stamp (UTC, whole seconds).
//
// The bucket is shared, and retention deletes what ParseKey accepts, so it accepts
// nothing else: not manifests, not other files in the folder (notes.txt), not dumps of
// other databases (whose names may extend db, as "mastodon-prod" extends "mastodon"),
// not other stamp formats, and not a dump filed under the wrong year or month folder.
func ParseKey(prefix, db, key string) (time.Time, bool) {
	if db == "" {
		return time.Time{}, false
	}
	rest, ok := strings.CutPrefix(key, ListPrefix(prefix, db))
	if !ok {
		return time.Time{}, false
	}
	// rest must be "YYYY/MM/DB-STAMP.dump"; the stamp has a fixed width, so it ends the name.
	name, ok := strings.CutSuffix(rest, keyDumpExt)
	if !ok || len(name) != len(keyFolders)+len(db)+1+len(StampLayout) {
		return time.Time{}, false
	}
	t, err := time.Parse(StampLayout, name[len(name)-len(StampLayout):])
	if err != nil {
		return time.Time{}, false
	}
	// Rather than rely on time.Parse being as strict as Format, demand the exact key Key
	// would write; this also checks the folders and the db name in the file name.
	if Key(prefix, db, t) != key {
		return time.Time{}, false
	}
	return t, true
}
