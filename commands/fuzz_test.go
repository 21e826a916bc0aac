package commands_test

import (
	"errors"
	"reflect"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/tootops/tootops/commands"
)

// maxErrorBytes bounds an error reply: whatever the input, it fits in a toot.
const maxErrorBytes = 400

func FuzzTokenize(f *testing.F) {
	for _, s := range []struct{ line, a, b string }{
		{"restart sidekiq", "a b", ""},
		{`logs web --grep "connection refused"`, "it's", `"x"`},
		{"grep “a b” ‘c’ „d“ ”e”", "—x", "–y"},
		{`a\ b\\ c\`, `\`, "\u00a0"},
		{"run web — ls", "--", "@me"},
		{"é “ü” x\u200b\ufeff", "\xff", "\xe2\x80"},
		{`unterminated "quote`, "", ""},
	} {
		f.Add(s.line, s.a, s.b)
	}
	f.Fuzz(func(t *testing.T, line, a, b string) {
		toks, err := commands.Tokenize(line)
		if err != nil {
			var se *commands.SyntaxError
			if !errors.As(err, &se) || se.Pos < 1 || se.Pos > utf8.RuneCountInString(line) || se.Msg == "" {
				t.Fatalf("Tokenize(%q) error %#v", line, err)
			}
		}
		last := 0
		var texts []string
		for _, tk := range toks {
			if tk.Pos <= last {
				t.Fatalf("Tokenize(%q): Pos %d after %d", line, tk.Pos, last)
			}
			if tk.Text == "" && !tk.Quoted {
				t.Fatalf("Tokenize(%q): empty unquoted token", line)
			}
			last = tk.Pos
			texts = append(texts, tk.Text)
		}
		roundTrip(t, texts...)
		roundTrip(t, a, b)
		roundTrip(t, line)
	})
}

// roundTrip checks that Tokenize(Quote(words...)) gives words back.
func roundTrip(t *testing.T, words ...string) {
	t.Helper()
	q := commands.Quote(words...)
	toks, err := commands.Tokenize(q)
	if err != nil {
		t.Fatalf("Tokenize(Quote(%q)) = %q: %v", words, q, err)
	}
	var got []string
	for _, tk := range toks {
		got = append(got, tk.Text)
	}
	if len(got) != len(words) || (len(got) > 0 && !reflect.DeepEqual(got, words)) {
		t.Fatalf("Tokenize(Quote(%q)) via %q = %q", words, q, got)
	}
}

func FuzzParse(f *testing.F) {
	r := newRegistry(f)
	for _, line := range []string{
		"", "ps", "Ps", "retsart sidekiq", "restart", "restart web --timeout 5 --yes",
		"restart web —tiemout 5", "scale sidekiq=5", "scale sidekiq", "scale sidekiq=99",
		"logs web 50 --since 10m --grep error", `logs web --grep="a b" --timestamps=false`,
		"logs web fifty", "logs web --since ten", "run web -- tootctl media remove --days 7",
		"run web tootctl --days 7", "backup status", "backup stauts", "backpu status", "media",
		"maintenance on 1d12h", "upgrade v4.7.6", "upgrade 4.7", "cancel 99999999999999999999",
		"help backup status", "restart web --help", "@tootops ping foo", "ping --", `"unterminated`,
		"ping \x07\u202e\xff", "whoami -y",
	} {
		f.Add(line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		inv, err := r.Parse(line)
		switch {
		case inv == nil && err == nil:
			t.Fatalf("Parse(%q) = nil, nil", line)
		case inv != nil && err != nil:
			t.Fatalf("Parse(%q) = %v and %v", line, inv, err)
		case err != nil:
			checkError(t, line, err)
		default:
			if inv.Command == nil {
				t.Fatalf("Parse(%q): no command", line)
			}
			canon := inv.String()
			again, err := r.Parse(canon)
			if err != nil {
				t.Fatalf("Parse(%q).String() = %q, which does not parse: %v", line, canon, err)
			}
			if again.Command != inv.Command || again.String() != canon {
				t.Fatalf("Parse(%q).String() = %q, which parses as %q", line, canon, again.String())
			}
		}
	})
}

func checkError(t *testing.T, line string, err error) {
	t.Helper()
	var ue *commands.UsageError
	if !errors.As(err, &ue) {
		t.Fatalf("Parse(%q) error %T, want *UsageError", line, err)
	}
	msg := err.Error()
	switch {
	case msg == "":
		t.Fatalf("Parse(%q): empty error text", line)
	case len(msg) > maxErrorBytes:
		t.Fatalf("Parse(%q): error text of %d bytes: %q", line, len(msg), msg)
	case !utf8.ValidString(msg):
		t.Fatalf("Parse(%q): error text is not UTF-8: %q", line, msg)
	}
	for _, c := range msg {
		if c != '\n' && (unicode.IsControl(c) || !unicode.IsPrint(c) && !unicode.IsSpace(c)) {
			t.Fatalf("Parse(%q): error text has %U: %q", line, c, msg)
		}
	}
}
