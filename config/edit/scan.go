package edit

import (
	"fmt"
	"path/filepath"
	"strings"
)

// Marker starts every line of an object that alived disabled in a
// hand-written file. keepalived has no "disabled" keyword, so the object
// stays where it was, commented out; enabling strips exactly this prefix
// and so restores the original bytes.
const Marker = "#alived-disabled: "

// file is one configuration file split into physical lines, each with
// its terminator, so that joining them gives the original bytes back.
type file struct {
	path  string
	lines []string
	// inc is the include statement that brought the file in (nil for
	// the main file); encl the block open at that statement.
	inc  *incRef
	encl *node
	// ro says why objects in this file may not be edited ("" if they may).
	ro string
	// roots are the nodes that start at the top of this file (or of the
	// block its include statement sits in).
	roots []*node
	// lineRO[i] is why line i makes its object read-only.
	lineRO map[int]string
	// items[i] counts the statements and braces on line i.
	items []int
}

// incRef is one include statement.
type incRef struct {
	file      *file
	line      int
	commented bool // "#include ..." that alived reads as a disabled include
	pattern   string
	glob      bool
	targets   []*file
}

// node is one keyword line, with its block if it opens one.
type node struct {
	kw       string
	args     []string
	file     *file
	start    int // line index of the keyword
	end      int // line index of the closing brace (start for a plain line)
	block    bool
	children []*node
	parent   *node
	// disabled: commented out by the marker or a commented include.
	disabled bool
	// marker: the node's own lines carry the marker (as opposed to a
	// commented include of its file).
	marker int
	// ro is a reason found while scanning (block split across files,
	// statements sharing a line).
	ro string
}

func (n *node) pos() string { return fmt.Sprintf("%s:%d", n.file.path, n.start+1) }

// splitLines splits src into lines that keep their terminators.
func splitLines(src []byte) []string {
	var out []string
	s := string(src)
	for len(s) > 0 {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			out = append(out, s)
			break
		}
		out = append(out, s[:i+1])
		s = s[i+1:]
	}
	return out
}

func (f *file) bytes() []byte { return []byte(strings.Join(f.lines, "")) }

// text is line i without its terminator.
func (f *file) text(i int) string { return strings.TrimRight(f.lines[i], "\r\n") }

// decomment strips a line as keepalived does: leading blanks, a '#' or '!'
// outside double quotes starts a comment, trailing blanks go.
func decomment(s string) string {
	s = strings.TrimLeft(s, " \t")
	quote := false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quote = !quote
		case '\\':
			i++
		case '#', '!':
			if !quote {
				return strings.TrimRight(s[:i], " \t")
			}
		}
	}
	return strings.TrimRight(s, " \t")
}

// tokens splits a decommented line into words, with each unquoted brace
// a word of its own and quotes removed.
func tokens(s string) []string {
	var out []string
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r':
			i++
		case c == '{' || c == '}':
			out = append(out, s[i:i+1])
			i++
		case c == '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				out = append(out, s[i+1:])
				return out
			}
			out = append(out, s[i+1:i+1+end])
			i += end + 2
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\f\v\r{}\"", rune(s[j])) {
				j++
			}
			out = append(out, s[i:j])
			i = j
		}
	}
	return out
}

// hasMeta reports whether an include pattern is a glob or brace pattern:
// what it names depends on the directory's contents, so alived does not
// edit through it.
func hasMeta(p string) bool { return strings.ContainsAny(p, "*?[{") }

// lineReason is why a decommented line cannot be edited safely: its text
// is not what keepalived will read.
func lineReason(code string) string {
	switch {
	case strings.HasPrefix(code, "@"):
		return "an @id conditional line"
	case strings.Contains(code, "~SEQ") || strings.Contains(code, "~LST"):
		return "a ~SEQ/~LST expansion"
	case strings.Contains(code, "$"):
		return "a $NAME macro"
	}
	return ""
}

// stripPrefix removes an @id selector or a ~SEQ(...)/~LST(...) head
// from a line, so that the statement behind it is still seen (and listed,
// read-only: lineReason has marked the line).
func stripPrefix(code string) string {
	switch {
	case strings.HasPrefix(code, "@"):
		if i := strings.IndexAny(code, " \t"); i >= 0 {
			return strings.TrimLeft(code[i:], " \t")
		}
		return ""
	case strings.HasPrefix(code, "~SEQ") || strings.HasPrefix(code, "~LST"):
		if i := strings.IndexByte(code, ')'); i >= 0 {
			return strings.TrimLeft(code[i+1:], " \t")
		}
	}
	return code
}

// isInclude reports whether words start an include statement.
func isInclude(w string) bool {
	switch w {
	case "include", "includer", "includem", "includew", "includeb", "includea":
		return true
	}
	return false
}

// scanner follows the include tree and builds nodes.
type scanner struct {
	t     *Tree
	stack []*node
	last  *node // the node a '{' on a following line opens
	depth int
	err   error
}

const maxIncludeDepth = 32

// scan reads f's lines; disabled is set inside commented-out includes.
func (s *scanner) scan(f *file, disabled bool) {
	for i := range f.lines {
		if s.err != nil {
			return
		}
		text := f.text(i)
		marks := 0
		for strings.HasPrefix(text, Marker) {
			text = text[len(Marker):]
			marks++
		}
		if marks == 0 {
			if rest, ok := strings.CutPrefix(strings.TrimLeft(text, " \t"), "#include"); ok && rest != "" && (rest[0] == ' ' || rest[0] == '\t') {
				pattern := strings.TrimSpace(decomment(rest))
				if pattern != "" && !hasMeta(pattern) {
					s.include(f, i, pattern, true, disabled, "")
				}
				continue
			}
		}
		code := decomment(text)
		if code == "" {
			continue
		}
		reason := lineReason(code)
		if reason != "" {
			f.lineRO[i] = reason
		}
		code = stripPrefix(code)
		words := tokens(code)
		if len(words) > 0 && isInclude(words[0]) {
			pattern := strings.TrimLeft(code[len(words[0]):], " \t")
			s.include(f, i, pattern, false, disabled || marks > 0, reason)
			continue
		}
		s.words(f, i, words, disabled || marks > 0, marks)
	}
}

// words turns one line's words into nodes and block structure.
func (s *scanner) words(f *file, i int, words []string, disabled bool, marks int) {
	first := true
	for k := 0; k < len(words); {
		w := words[k]
		f.items[i]++
		switch w {
		case "{":
			k++
			if s.last == nil {
				// A stray block: keepalived skips it; track depth only.
				s.stack = append(s.stack, &node{kw: "{", file: f, start: i, block: true})
				continue
			}
			s.last.block = true
			s.stack = append(s.stack, s.last)
			s.last = nil
			continue
		case "}":
			k++
			s.last = nil
			if len(s.stack) == 0 {
				continue
			}
			n := s.stack[len(s.stack)-1]
			s.stack = s.stack[:len(s.stack)-1]
			if n.file != f {
				n.ro = "its block starts in " + n.pos() + " and ends in another file"
				n.end = n.start
				continue
			}
			n.end = i
			continue
		}
		j := k
		for j < len(words) && words[j] != "{" && words[j] != "}" {
			j++
		}
		n := &node{kw: w, args: append([]string(nil), words[k+1:j]...), file: f, start: i, end: i, disabled: disabled, marker: marks}
		if !first {
			n.ro = "it shares line " + n.pos() + " with other statements"
		}
		if len(s.stack) > 0 {
			p := s.stack[len(s.stack)-1]
			n.parent = p
			p.children = append(p.children, n)
		}
		if len(s.stack) == 0 || s.stack[len(s.stack)-1].file != f {
			// A top-level node of this file, even when the file's include
			// statement sits inside a block of the including file.
			f.roots = append(f.roots, n)
		}
		s.last = n
		first = false
		k = j
	}
}

// include resolves an include statement and scans what it names.
func (s *scanner) include(f *file, i int, pattern string, commented, disabled bool, reason string) {
	ref := &incRef{file: f, line: i, commented: commented, pattern: pattern, glob: hasMeta(pattern)}
	full := pattern
	if !filepath.IsAbs(full) {
		full = filepath.Join(filepath.Dir(f.path), full)
	}
	var names []string
	if ref.glob {
		m, err := s.t.glob(full)
		if err != nil {
			s.err = fmt.Errorf("%s:%d: include %s: %w", f.path, i+1, pattern, err)
			return
		}
		names = m
	} else {
		names = []string{filepath.Clean(full)}
	}
	s.t.includes = append(s.t.includes, ref)
	for _, name := range names {
		if s.depth >= maxIncludeDepth || s.t.open(name) {
			continue // a loop; keepalived reports it, alived's loader too
		}
		src, ok := s.t.load(name)
		if !ok {
			continue // missing: a warning for the loader, nothing to edit
		}
		g := &file{path: name, lines: splitLines(src), inc: ref, lineRO: map[int]string{}}
		g.items = make([]int, len(g.lines))
		if len(s.stack) > 0 {
			g.encl = s.stack[len(s.stack)-1]
		}
		switch {
		case f.ro != "":
			g.ro = f.ro
		case ref.glob:
			g.ro = fmt.Sprintf("it comes from the globbed include %q at %s:%d", pattern, f.path, i+1)
		case reason != "":
			g.ro = fmt.Sprintf("it is included by %s at %s:%d", reason, f.path, i+1)
		}
		ref.targets = append(ref.targets, g)
		s.t.files = append(s.t.files, g)
		s.t.reading = append(s.t.reading, name)
		s.depth++
		s.last = nil
		s.scan(g, disabled || commented)
		s.depth--
		s.t.reading = s.t.reading[:len(s.t.reading)-1]
	}
}
