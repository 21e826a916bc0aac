package host

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/tootops/tootops/ops"
)

// Bounds of Journal.
const (
	DefaultLines = 20  // entries shown when the admin gives no number
	MaxLines     = 500 // the most entries one request reads
)

// JournalOptions narrow what Journal reads.
type JournalOptions struct {
	Lines int           // the last N entries; 0 means DefaultLines, more than MaxLines MaxLines
	Since time.Duration // only entries newer than this; 0 means no limit
}

// Entry is one journal entry.
type Entry struct {
	Time time.Time
	// Priority is syslog's, 0 (emerg) to 7 (debug): 3 is err, 4 warning, 6 info; -1 when
	// the entry has none.
	Priority int
	Ident    string // SYSLOG_IDENTIFIER, else the command name: "certbot", "systemd"
	PID      string // "" when unknown
	// Message is the text, its lines separated by "\n", each cleaned (no colours or
	// control characters) and cut to MaxLineRunes. "[blob data]" stands for a value
	// journalctl leaves out for its size.
	Message string
}

// Journal is the end of a unit's journal.
type Journal struct {
	Unit    string
	Entries []Entry // oldest first
	// Unreadable counts output lines that were not a journal entry (the first one, cut,
	// when the output was over Exec's bound).
	Unreadable int
	// Restricted: journalctl said the bot's user sees only its own journal; it needs the
	// systemd-journal (or adm) group to read the system's.
	Restricted bool
}

// fields are what journalctl is asked for, besides the timestamps it always prints.
const fields = "MESSAGE,PRIORITY,SYSLOG_IDENTIFIER,SYSLOG_PID,_PID,_COMM"

// Journal returns the last entries of unit's journal, which must be one of Units. It
// runs `journalctl --unit=UNIT --lines=N [--since=@T] --output=json`.
func (s *Systemd) Journal(ctx context.Context, unit string, o JournalOptions) (*Journal, error) {
	if !s.Allows(unit) {
		return nil, &ops.Error{Msg: fmt.Sprintf("%s: %s", unit, ErrNotAllowed), Hint: "list it in [host] units to read its journal", Err: ErrNotAllowed}
	}
	if err := s.Available(); err != nil {
		return nil, err
	}
	n := o.Lines
	switch {
	case n <= 0:
		n = DefaultLines
	case n > MaxLines:
		n = MaxLines
	}
	args := []string{"--unit=" + unit, "--lines=" + strconv.Itoa(n), "--output=json", "--output-fields=" + fields, "--no-pager"}
	if o.Since > 0 {
		// An absolute time, so journalctl's time zone does not matter.
		args = append(args, "--since=@"+strconv.FormatInt(s.now().Add(-o.Since).Unix(), 10))
	}
	out, stderr, err := s.run(ctx, "journalctl", args...)
	if err != nil {
		return nil, err
	}
	j := ParseJournal(out, s.loc())
	j.Unit = unit
	if len(j.Entries) > n { // journalctl keeps to --lines; a stand-in might not
		j.Entries = j.Entries[len(j.Entries)-n:]
	}
	j.Restricted = bytes.Contains(stderr, []byte("not seeing messages from other users")) ||
		bytes.Contains(stderr, []byte("insufficient permissions"))
	return j, nil
}

// ParseJournal reads `journalctl -o json`: one object per line, every value a string,
// except that a value that is not printable UTF-8 is an array of its bytes, a field set
// several times is an array of its values, and a value too large (64 kB, unless --all)
// is null. __REALTIME_TIMESTAMP is in microseconds since the epoch, PRIORITY a digit.
// Lines that are not such an object are counted in Unreadable.
func ParseJournal(out []byte, loc *time.Location) *Journal {
	j := &Journal{}
	for _, line := range bytes.Split(out, []byte("\n")) {
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var f map[string]json.RawMessage
		if err := json.Unmarshal(line, &f); err != nil {
			j.Unreadable++
			continue
		}
		e := Entry{Priority: -1}
		if us, err := strconv.ParseInt(value(f["__REALTIME_TIMESTAMP"]), 10, 64); err == nil {
			e.Time = time.UnixMicro(us).In(loc)
		}
		if p, err := strconv.Atoi(value(f["PRIORITY"])); err == nil && p >= 0 && p <= 7 {
			e.Priority = p
		}
		e.Ident = ops.CleanLine(first(value(f["SYSLOG_IDENTIFIER"]), value(f["_COMM"])), 100)
		e.PID = ops.CleanLine(first(value(f["SYSLOG_PID"]), value(f["_PID"])), 20)
		if raw, ok := f["MESSAGE"]; ok && string(raw) == "null" {
			e.Message = "[blob data]"
		} else {
			e.Message = cleanMessage(value(raw))
		}
		j.Entries = append(j.Entries, e)
	}
	return j
}

// value reads one field of journalctl's JSON: a string, an array of bytes, or an array
// of values of a field set several times, of which the first is kept.
func value(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch raw[0] {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		return s
	case '[':
		var bs []byte // encoding/json reads []byte from base64; read the numbers instead
		var nums []json.RawMessage
		if json.Unmarshal(raw, &nums) != nil || len(nums) == 0 {
			return ""
		}
		if c := bytes.TrimSpace(nums[0]); len(c) > 0 && (c[0] == '"' || c[0] == '[') {
			return value(nums[0])
		}
		for _, n := range nums {
			b, err := strconv.ParseUint(string(n), 10, 8)
			if err != nil {
				return ""
			}
			bs = append(bs, byte(b))
		}
		return string(bs)
	}
	return ""
}

func first(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// cleanMessage cleans each line of a message, dropping trailing empty lines.
func cleanMessage(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\r\n"), "\n")
	for i, l := range lines {
		lines[i] = ops.CleanLine(l, MaxLineRunes)
	}
	return strings.Join(lines, "\n")
}
