package syntax

import (
	"errors"
	"reflect"
	"testing"
)

func TestSplitCommand(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{`/bin/a b  c`, []string{"/bin/a", "b", "c"}},
		{`/path/x.sh arg1 'a b'`, []string{"/path/x.sh", "arg1", "a b"}},
		{`abcd" efg h jkl "mnop`, []string{"abcd efg h jkl mnop"}},
		{`abcd "efg h jkl" mnop`, []string{"abcd", "efg h jkl", "mnop"}},
		{`a '' b`, []string{"a", "", "b"}},
		{`a\ b`, []string{"a b"}},
		{`\\ \" \'`, []string{`\`, `"`, `'`}},
		{`'it\'s'`, []string{"it's"}}, // backslash escapes inside single quotes too
		{`"\t\n\a\b\E\f\r\v"`, []string{"\t\n\a\b\x1b\f\r\v"}},
		{`\101\60x \x41\x4a \x414`, []string{"A0x", "AJ", "\x14"}}, // \x takes all hex digits, keeps low 8 bits
		{`\cA\c[`, []string{"\x01\x1b"}},
		{`\q\x\c`, []string{"qxc"}}, // unknown escape, \x without hex digit, \c at the end: the letter itself
		{`a\0b c`, []string{"a", "c"}},
		{"  \t ", nil},
	}
	for _, tt := range tests {
		got, err := SplitCommand(tt.in)
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SplitCommand(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestSplitCommandErrors(t *testing.T) {
	if _, err := SplitCommand(`a "b`); !errors.Is(err, ErrUnterminatedQuote) {
		t.Errorf("unterminated double quote: %v", err)
	}
	if _, err := SplitCommand(`a 'b`); !errors.Is(err, ErrUnterminatedQuote) {
		t.Errorf("unterminated single quote: %v", err)
	}
	if _, err := SplitCommand(`a b\`); !errors.Is(err, ErrTrailingBackslash) {
		t.Errorf("trailing backslash: %v", err)
	}
}

func TestSplitScript(t *testing.T) {
	tests := []struct {
		raw        string
		argv, rest []string
	}{
		{`"/path/x.sh arg1 'a b'" user group`, []string{"/path/x.sh", "arg1", "a b"}, []string{"user", "group"}},
		{`/bin/x.sh arg`, []string{"/bin/x.sh"}, []string{"arg"}}, // unquoted words after the command are the user
		{`'/bin/chk "q"'`, []string{"/bin/chk", "q"}, []string{}},
		{`"/bin/a\\ b c"`, []string{"/bin/a b", "c"}, []string{}},
	}
	for _, tt := range tests {
		argv, rest, err := SplitScript(tt.raw)
		if err != nil || !reflect.DeepEqual(argv, tt.argv) || !reflect.DeepEqual(rest, tt.rest) {
			t.Errorf("SplitScript(%q) = %q, %q, %v; want %q, %q", tt.raw, argv, rest, err, tt.argv, tt.rest)
		}
	}
	for _, raw := range []string{``, `""`, `"  "`} {
		if _, _, err := SplitScript(raw); !errors.Is(err, ErrEmptyScript) {
			t.Errorf("SplitScript(%q): %v, want ErrEmptyScript", raw, err)
		}
	}
	if _, _, err := SplitScript(`"/bin/x 'a"`); !errors.Is(err, ErrUnterminatedQuote) {
		t.Errorf("inner unterminated quote: %v", err)
	}
}
