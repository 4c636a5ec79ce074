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
