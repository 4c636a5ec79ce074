package syntax

import "strings"

// whiteSpace is the set of characters keepalived treats as word separators
// when it splits a line into words.
const whiteSpace = " \t\f\n\r\v"

// trimBlanks removes leading and trailing spaces and tabs.
func trimBlanks(s string) string { return strings.Trim(s, " \t") }

// decomment strips a physical line the way keepalived does before any other
// processing: leading blanks go, a '#' or '!' outside double quotes starts a
// comment, `\#` and `\!` outside quotes stand for the literal characters,
// and trailing blanks go. A backslash at the very end of the line is kept
// (with the blanks before it removed) because it marks a continuation line
// of a multi-line $NAME definition — even when it ends a comment, as in
// keepalived. unterminated reports an odd number of double quotes before
// any comment.
func decomment(s string) (out string, unterminated bool) {
	s = strings.TrimLeft(s, " \t")
	quote := false
	comment := -1 // index of the comment character
	unescape := false
	cont := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			if comment < 0 {
				quote = !quote
			}
		case '\\':
			if i+1 == len(s) {
				cont = true
				continue
			}
			if comment < 0 && !quote && (s[i+1] == '#' || s[i+1] == '!') {
				unescape = true
			}
			i++
		case '#', '!':
			if !quote && comment < 0 {
				comment = i
			}
		}
	}
	end := len(s)
	if cont {
		end--
	}
	if comment >= 0 && comment < end {
		end = comment
	}
	out = s[:end]
	if unescape {
		out = unescapeComment(out)
	}
	out = strings.TrimRight(out, " \t")
	if cont {
		out += "\\"
	}
	return out, quote
}

// unescapeComment turns `\#` and `\!` outside double quotes into the bare
// characters.
func unescapeComment(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	quote := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			quote = !quote
		case c == '\\' && i+1 < len(s):
			if !quote && (s[i+1] == '#' || s[i+1] == '!') {
				b.WriteByte(s[i+1])
			} else {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// splitBrace finds the first '{' or '}' outside double quotes and splits the
// line there, as keepalived does so that `name {`, `{ a b }` and `}` on a
// line of its own all reach the block builder as separate lines. A line
// that starts with a brace yields the brace alone; otherwise the text before
// the brace is returned and the rest (starting at the brace) becomes the
// residue that is read as the next line. ok is false when there is nothing
// to split.
func splitBrace(s string) (head, residue string, ok bool) {
	if s == "" {
		return s, "", false
	}
	if s[0] == '{' || s[0] == '}' {
		rest := trimBlanks(s[1:])
		if rest == "" {
			return s[:1], "", false
		}
		return s[:1], rest, true
	}
	i := 0
	for i < len(s) {
		j := strings.IndexAny(s[i:], "{}\"")
		if j < 0 {
			return s, "", false
		}
		i += j
		if s[i] != '"' {
			break
		}
		k := strings.IndexByte(s[i+1:], '"')
		if k < 0 {
			// An unmatched quote hides the rest of the line.
			return s, "", false
		}
		i += k + 2
	}
	if i >= len(s) {
		return s, "", false
	}
	return strings.TrimRight(s[:i], " \t"), trimBlanks(s[i:]), true
}

// tokenize splits a line into words the way keepalived's alloc_strvec does:
// whitespace separates words, a word starting with a double quote runs to
// the next double quote (the quotes are removed, whitespace kept), and a
// double quote also ends an unquoted word. unmatched reports a quote with
// no partner; the words before it are still returned.
func tokenize(words []string, s string) (_ []string, unmatched bool) {
	i := 0
	for {
		for i < len(s) && strings.IndexByte(whiteSpace, s[i]) >= 0 {
			i++
		}
		if i >= len(s) {
			return words, false
		}
		if s[i] == '"' {
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return words, true
			}
			words = append(words, s[i+1:i+1+end])
			i += end + 2
			continue
		}
		start := i
		for i < len(s) && s[i] != '"' && strings.IndexByte(whiteSpace, s[i]) < 0 {
			i++
		}
		words = append(words, s[start:i])
	}
}

// restAfterKeyword returns the text after the first word of a line, with
// surrounding blanks removed, quotes and all: Node.Raw.
func restAfterKeyword(s string) string {
	i := 0
	for i < len(s) && strings.IndexByte(whiteSpace, s[i]) >= 0 {
		i++
	}
	if i < len(s) && s[i] == '"' {
		end := strings.IndexByte(s[i+1:], '"')
		if end < 0 {
			return ""
		}
		i += end + 2
	} else {
		for i < len(s) && s[i] != '"' && strings.IndexByte(whiteSpace, s[i]) < 0 {
			i++
		}
	}
	return strings.Trim(s[i:], whiteSpace)
}
