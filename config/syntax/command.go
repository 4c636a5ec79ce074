package syntax

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnterminatedQuote and ErrTrailingBackslash are the reasons SplitCommand
// rejects a command line; keepalived refuses such scripts too.
var (
	ErrUnterminatedQuote = errors.New("missing terminating quote")
	ErrTrailingBackslash = errors.New("missing escape character after trailing backslash")
)

// SplitCommand splits the raw text of a script keyword (script, notify*,
// misc_path, quorum_up/down, …) into argv the way keepalived re-splits
// them: unquoted whitespace separates words; '…' and "…" group text (the
// quotes are removed, quoted and unquoted parts of one word join); a
// backslash escapes the next character everywhere, including inside single
// quotes, and understands \a \b \E \f \n \r \t \v, \NNN (up to three octal
// digits), \xH… (any number of hex digits, low 8 bits kept) and \cC
// (control character). An empty quoted string is an empty word. A word is
// cut at an escaped NUL, as C string handling would.
func SplitCommand(raw string) ([]string, error) {
	var words []string
	var w []byte
	i := 0
	for i < len(raw) {
		for i < len(raw) && strings.IndexByte(whiteSpace, raw[i]) >= 0 {
			i++
		}
		if i >= len(raw) {
			break
		}
		w = w[:0]
		var quote byte
	word:
		for i < len(raw) {
			c := raw[i]
			switch {
			case c == '\\':
				i++
				if i >= len(raw) {
					return nil, fmt.Errorf("split %q: %w", raw, ErrTrailingBackslash)
				}
				var ch byte
				ch, i = unescape(raw, i)
				w = append(w, ch)
			case quote != 0:
				if c == quote {
					quote = 0
				} else {
					w = append(w, c)
				}
				i++
			case c == '"' || c == '\'':
				quote = c
				i++
			case strings.IndexByte(whiteSpace, c) >= 0:
				break word
			default:
				w = append(w, c)
				i++
			}
		}
		if quote != 0 {
			return nil, fmt.Errorf("split %q: %w %c", raw, ErrUnterminatedQuote, quote)
		}
		word := string(w)
		if k := strings.IndexByte(word, 0); k >= 0 {
			word = word[:k]
		}
		words = append(words, word)
	}
	return words, nil
}

// unescape decodes the escape sequence whose first character (after the
// backslash) is s[i] and returns the byte it stands for and the index after
// the sequence.
func unescape(s string, i int) (byte, int) {
	c := s[i]
	switch {
	case c == 'x' && i+1 < len(s) && isHex(s[i+1]):
		var v byte
		i++
		for i < len(s) && isHex(s[i]) {
			v = v<<4 | hexVal(s[i])
			i++
		}
		return v, i
	case c == 'c' && i+1 < len(s):
		return s[i+1] & 0x1f, i + 2
	case c >= '0' && c <= '7':
		v := c - '0'
		i++
		for n := 0; n < 2 && i < len(s) && s[i] >= '0' && s[i] <= '7'; n++ {
			v = v<<3 + (s[i] - '0')
			i++
		}
		return v, i
	}
	switch c {
	case 'a':
		c = '\a'
	case 'b':
		c = '\b'
	case 'E':
		c = 0x1b
	case 'f':
		c = '\f'
	case 'n':
		c = '\n'
	case 'r':
		c = '\r'
	case 't':
		c = '\t'
	case 'v':
		c = '\v'
	}
	return c, i + 1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// ErrEmptyScript is returned by SplitScript when there is no command.
var ErrEmptyScript = errors.New("no script command")

// SplitScript splits the Raw text of a script keyword the way keepalived
// 2.2.7 builds the argv of notify*, quorum_up/down, vrrp_script's script
// and MISC_CHECK's misc_path: the text is split into words with
// SplitCommand, and the first word alone is split again to give argv. So
// `notify_master "/bin/x.sh a 'b c'" root` runs ["/bin/x.sh", "a", "b c"]
// and rest is ["root"] (notify scripts take a user and group there;
// script and misc_path ignore it) — and `notify_master /bin/x.sh a` runs
// /bin/x.sh alone, as user "a".
func SplitScript(raw string) (argv, rest []string, err error) {
	words, err := SplitCommand(raw)
	if err != nil {
		return nil, nil, err
	}
	if len(words) == 0 {
		return nil, nil, fmt.Errorf("split script %q: %w", raw, ErrEmptyScript)
	}
	argv, err = SplitCommand(words[0])
	if err != nil {
		return nil, nil, err
	}
	if len(argv) == 0 {
		return nil, nil, fmt.Errorf("split script %q: %w", raw, ErrEmptyScript)
	}
	return argv, words[1:], nil
}
