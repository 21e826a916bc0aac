package commands_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/tootops/tootops/commands"
)

// tok builds an unquoted token.
func tok(text string, pos int) commands.Token { return commands.Token{Text: text, Pos: pos} }

// qtok builds a quoted token.
func qtok(text string, pos int) commands.Token {
	return commands.Token{Text: text, Quoted: true, Pos: pos}
}

func TestTokenize(t *testing.T) {
	for _, tt := range []struct {
		name string
		line string
		want []commands.Token
	}{
		{"empty", "", nil},
		{"spaces only", " \t\u00a0\u3000 ", nil},
		{"words", "restart sidekiq", []commands.Token{tok("restart", 1), tok("sidekiq", 9)}},
		{"runs of spaces", "  ps   web ", []commands.Token{tok("ps", 3), tok("web", 8)}},
		{"nbsp and other unicode spaces", "logs\u00a0web\u2009\u202f50\u200b\ufeffx", []commands.Token{tok("logs", 1), tok("web", 6), tok("50", 11), tok("x", 15)}},
		{"newline and tab", "ps\nweb\tx", []commands.Token{tok("ps", 1), tok("web", 4), tok("x", 8)}},
		{"double quotes", `logs web --grep "connection refused"`, []commands.Token{tok("logs", 1), tok("web", 6), tok("--grep", 10), qtok("connection refused", 17)}},
		{"single quotes", `run web -- echo 'a  b'`, []commands.Token{tok("run", 1), tok("web", 5), tok("--", 9), tok("echo", 12), qtok("a  b", 17)}},
		{"empty quotes", `grep "" ''`, []commands.Token{tok("grep", 1), qtok("", 6), qtok("", 9)}},
		{"quotes inside a word", `--grep="a b"c`, []commands.Token{qtok("--grep=a bc", 1)}},
		{"quoted flag is quoted", `"--foo"`, []commands.Token{qtok("--foo", 1)}},
		{"smart double quotes", "grep “a b”", []commands.Token{tok("grep", 1), qtok("a b", 6)}},
		{"smart single quotes", "grep ‘a b’", []commands.Token{tok("grep", 1), qtok("a b", 6)}},
		{"german quotes", "grep „a b“", []commands.Token{tok("grep", 1), qtok("a b", 6)}},
		{"swedish quotes", "grep ”a b”", []commands.Token{tok("grep", 1), qtok("a b", 6)}},
		{"apostrophe inside smart single quotes", "grep ‘don’t stop’", []commands.Token{tok("grep", 1), qtok("don’t stop", 6)}},
		{"apostrophe in a word", "grep don’t", []commands.Token{tok("grep", 1), tok("don’t", 6)}},
		{"other quote inside quotes", `grep "it's" '"x"'`, []commands.Token{tok("grep", 1), qtok("it's", 6), qtok(`"x"`, 13)}},
		{"backslash escapes space", `grep a\ b`, []commands.Token{tok("grep", 1), qtok("a b", 6)}},
		{"backslash escapes quote", `grep \"a`, []commands.Token{tok("grep", 1), qtok(`"a`, 6)}},
		{"backslash escapes backslash", `grep a\\b`, []commands.Token{tok("grep", 1), qtok(`a\b`, 6)}},
		{"backslash in double quotes", `grep "a\"b\\c"`, []commands.Token{tok("grep", 1), qtok(`a"b\c`, 6)}},
		{"backslash literal in single quotes", `grep 'a\b'`, []commands.Token{tok("grep", 1), qtok(`a\b`, 6)}},
		{"trailing backslash stands for itself", `grep a\`, []commands.Token{tok("grep", 1), qtok(`a\`, 6)}},
		{"em dash flag", "restart web —yes", []commands.Token{tok("restart", 1), tok("web", 9), tok("--yes", 13)}},
		{"en dash flag", "logs web –since 10m", []commands.Token{tok("logs", 1), tok("web", 6), tok("--since", 10), tok("10m", 17)}},
		{"em dash alone ends flags", "run web — ls", []commands.Token{tok("run", 1), tok("web", 5), tok("--", 9), tok("ls", 11)}},
		{"dash inside a word stays", "grep a—b", []commands.Token{tok("grep", 1), tok("a—b", 6)}},
		{"quoted dash stays", `grep "—x"`, []commands.Token{tok("grep", 1), qtok("—x", 6)}},
		{"no shell semantics", "run web -- echo $HOME * `id`", []commands.Token{tok("run", 1), tok("web", 5), tok("--", 9), tok("echo", 12), tok("$HOME", 17), tok("*", 23), tok("`id`", 25)}},
		{"columns count runes", "é “ü” x", []commands.Token{tok("é", 1), qtok("ü", 3), tok("x", 7)}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := commands.Tokenize(tt.line)
			if err != nil {
				t.Fatalf("Tokenize(%q): %v", tt.line, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Tokenize(%q)\n got %#v\nwant %#v", tt.line, got, tt.want)
			}
		})
	}
}

func TestTokenizeErrors(t *testing.T) {
	for _, tt := range []struct {
		line    string
		wantPos int
		wantMsg string
	}{
		{`restart "web`, 9, "unterminated quote starting at column 9"},
		{`logs 'web`, 6, "unterminated quote starting at column 6"},
		{"grep “a b", 6, "unterminated quote starting at column 6"},
		{"grep ‘don’t", 6, "unterminated quote starting at column 6"},
		{`grep "a\"`, 6, "unterminated quote starting at column 6"},
		{`é "`, 3, "unterminated quote starting at column 3"},
		{`ok "a" 'b`, 8, "unterminated quote starting at column 8"},
	} {
		got, err := commands.Tokenize(tt.line)
		var se *commands.SyntaxError
		if !errors.As(err, &se) {
			t.Errorf("Tokenize(%q) = %v, %v; want a *SyntaxError", tt.line, got, err)
			continue
		}
		if se.Pos != tt.wantPos || se.Error() != tt.wantMsg {
			t.Errorf("Tokenize(%q) error = {%d, %q}, want {%d, %q}", tt.line, se.Pos, se.Error(), tt.wantPos, tt.wantMsg)
		}
	}
}

func TestQuote(t *testing.T) {
	for _, tt := range []struct {
		words []string
		want  string
	}{
		{nil, ""},
		{[]string{"restart", "web"}, "restart web"},
		{[]string{"a b"}, "'a b'"},
		{[]string{""}, "''"},
		{[]string{"it's"}, `"it's"`},
		{[]string{`it's "x" \`}, `"it's \"x\" \\"`},
		{[]string{`a\b`}, `'a\b'`},
		{[]string{"—x"}, "'—x'"},
		{[]string{"--x", "$HOME", "*"}, "--x $HOME *"},
		{[]string{"a\u00a0b"}, "'a\u00a0b'"},
		{[]string{"“x”"}, "'“x”'"},
	} {
		got := commands.Quote(tt.words...)
		if got != tt.want {
			t.Errorf("Quote(%q) = %q, want %q", tt.words, got, tt.want)
		}
		toks, err := commands.Tokenize(got)
		if err != nil {
			t.Errorf("Tokenize(Quote(%q)): %v", tt.words, err)
			continue
		}
		var back []string
		for _, tk := range toks {
			back = append(back, tk.Text)
		}
		if !reflect.DeepEqual(back, tt.words) {
			t.Errorf("Tokenize(Quote(%q)) = %q", tt.words, back)
		}
	}
}
