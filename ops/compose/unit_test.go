package compose

import (
	"strings"
	"testing"

	"github.com/tootops/tootops/ops"
)

func TestPolicy(t *testing.T) {
	p, err := NewPolicy(append([]string{"tootctl search deploy --only accounts", "tootctl accounts cull"}, DefaultAllowed...))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		cmd  string
		want string // "" for allowed, else a part of the refusal
	}{
		{"tootctl version", ""},
		{"tootctl media remove", ""},
		{"tootctl media remove --days 7", ""},
		{"tootctl media remove --days=14 --dry-run --concurrency 2", ""},
		{"tootctl accounts prune --dry-run", ""},
		{"tootctl preview_cards remove --days 180 --link", ""},
		{"tootctl cache clear", ""},
		{"tootctl search deploy --only accounts", ""},
		{"tootctl search deploy --only accounts --batch-size 100", ""},
		{"tootctl accounts cull", ""},
		{"tootctl accounts cull example.com", "does not know the arguments"},
		{"tootctl version --verbose", "flag --verbose is not allowed"},
		{"tootctl media remove-orphans", "is not an allowed one-off command"},
		{"tootctl media remove --days", "--days needs a value"},
		{"tootctl media remove --days seven", "--days takes a whole number"},
		{"tootctl media remove --days 7;rm", "--days takes a whole number"},
		{"tootctl media remove --dry-run=yes", "--dry-run takes no value"},
		{"tootctl media remove extra", `unexpected argument "extra"`},
		{"tootctl media remove --prune-everything", "flag --prune-everything is not allowed"},
		{"tootctl accounts delete alice", "is not an allowed one-off command"},
		{"sh -c reboot", "is not an allowed one-off command"},
		{"tootctl", "is not an allowed one-off command"},
		{"", "no command given"},
	}
	for _, tt := range tests {
		err := p.Check(strings.Fields(tt.cmd))
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q refused: %v", tt.cmd, err)
		case tt.want != "" && err == nil:
			t.Errorf("%q allowed, want refused (%s)", tt.cmd, tt.want)
		case tt.want != "" && !strings.Contains(ops.SafeText(err), tt.want):
			t.Errorf("%q: %q, want it to contain %q", tt.cmd, ops.SafeText(err), tt.want)
		}
	}
	if _, err := NewPolicy([]string{"tootctl; reboot"}); err == nil {
		t.Error("NewPolicy accepted a shell metacharacter")
	}
	empty, _ := NewPolicy(nil)
	if err := empty.Check([]string{"tootctl", "version"}); err == nil || !strings.Contains(ops.SafeText(err), "allowed is empty") {
		t.Errorf("empty policy: %v", err)
	}
}

func TestParseMediaSummary(t *testing.T) {
	tests := []struct {
		line    string
		n       int
		size    string
		dry, ok bool
	}{
		{"Removed 12 media attachments (approx. 1.2 GB)", 12, "1.2 GB", false, true},
		{"Removed 12 media attachments (approx. 1.2 GB) (DRY RUN)", 12, "1.2 GB", true, true},
		{"Removed 0 media attachments (approx. 0 Bytes) ", 0, "0 Bytes", false, true},
		{"Removed 1,234 media attachments (approx. 300 MB)", 1234, "300 MB", false, true},
		{"Visited 40 accounts and removed profile media totaling 300 MB", 40, "300 MB", false, true},
		{"Visited 40 accounts and removed profile media totaling 1.5 GB (DRY RUN)", 40, "1.5 GB", true, true},
		{"Progress: |=====|", 0, "", false, false},
		{"Error processing 1234: Seahorse::Client::NetworkingError", 0, "", false, false},
	}
	for _, tt := range tests {
		n, size, dry, ok := ParseMediaSummary(tt.line)
		if n != tt.n || size != tt.size || dry != tt.dry || ok != tt.ok {
			t.Errorf("%q = %d, %q, %v, %v; want %d, %q, %v, %v", tt.line, n, size, dry, ok, tt.n, tt.size, tt.dry, tt.ok)
		}
	}
}

func TestCleanLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"\x1b[1m\x1b[32mready\x1b[0m now\r", "ready now"},
		{"\x1b]0;title\x07after", "after"},
		{"\rprogress 0/4\rprogress 4/4", "progress 4/4"},
		{"tab\tand\x00nul\x07bell", "tab andnulbell"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{"\x1b(Bcharset\x1b[?25l", "charset"},
		{strings.Repeat("é", 500), strings.Repeat("é", 400) + "…"},
	}
	for _, tt := range tests {
		if got := CleanLine(tt.in); got != tt.want {
			t.Errorf("CleanLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestLineWriterBoundsLongLines(t *testing.T) {
	var lines []string
	w := &lineWriter{emit: func(b []byte) { lines = append(lines, string(b)) }}
	w.Write([]byte("one\ntw"))
	w.Write([]byte("o\n" + strings.Repeat("x", 3*maxLineBytes)))
	w.Write([]byte("y\nlast"))
	w.flush()
	if len(lines) != 4 || lines[0] != "one" || lines[1] != "two" || len(lines[2]) != maxLineBytes || lines[3] != "last" {
		t.Errorf("lines %d: %q…", len(lines), lines[:2])
	}
}

func TestAPIAtLeast(t *testing.T) {
	for _, tt := range []struct {
		got, want string
		ok        bool
	}{{"1.41", "1.44", false}, {"1.44", "1.44", true}, {"1.45", "1.44", true}, {"1.9", "1.44", false}, {"2.0", "1.44", true}} {
		if apiAtLeast(tt.got, tt.want) != tt.ok {
			t.Errorf("apiAtLeast(%s, %s) != %v", tt.got, tt.want, tt.ok)
		}
	}
}
