package syntax

import (
	"fmt"
	"os"
	"path/filepath"
)

// Limits that keep hostile or broken input from exhausting memory or time.
// keepalived has none of these; real configurations stay far below them
// (the man page's largest example expands to about 1.5 million lines).
const (
	// maxDepth bounds block nesting; deeper blocks are dropped.
	maxDepth = 100
	// maxLines bounds the number of lines produced by preprocessing
	// (includes, ~SEQ/~LST, multi-line definitions) for one Parse call.
	maxLines = 4_000_000
	// maxBytes bounds the bytes produced by preprocessing.
	maxBytes = 256 << 20
)

// Parse reads the configuration file at path (a glob pattern, as
// keepalived's -f accepts), preprocesses it and returns its block tree.
// Problems are returned as diagnostics; a main file that cannot be read is
// a Fatal one.
func Parse(path string, opts Options) ([]*Node, []Diagnostic) {
	r := newReader(opts)
	r.openMain(path)
	return build(r), r.diags
}

// ParseBytes is Parse for a configuration held in memory; name is used in
// positions and as the base for relative includes.
func ParseBytes(name string, src []byte, opts Options) ([]*Node, []Diagnostic) {
	r := newReader(opts)
	r.pushFile(name, src, nil)
	return build(r), r.diags
}

// frame is one open file.
type frame struct {
	name   string
	dir    string
	src    []byte
	off    int
	lineNo int
	chain  []Pos // include statements that led here, outermost first
}

// reader turns files into logical lines, one at a time, doing all of
// keepalived's preprocessing on the way (see next).
type reader struct {
	opts   Options
	diags  []Diagnostic
	frames []*frame

	// residue is the text after a brace that is read as the next line.
	residue    string
	residuePos Pos
	hasResidue bool

	lines int // logical lines produced, against maxLines
	bytes int // bytes produced, against maxBytes
	stop  bool
}

func newReader(opts Options) *reader {
	if opts.ReadFile == nil {
		opts.ReadFile = os.ReadFile
	}
	if opts.Glob == nil {
		opts.Glob = filepath.Glob
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	return &reader{opts: opts}
}

func (r *reader) addDiag(pos Pos, sev Severity, format string, args ...any) {
	r.diags = append(r.diags, Diagnostic{Pos: pos, Severity: sev, Msg: fmt.Sprintf(format, args...)})
}

// openMain opens the main configuration file(s).
func (r *reader) openMain(path string) {
	matches, err := r.opts.Glob(path)
	if err != nil {
		r.addDiag(Pos{File: path}, Fatal, "cannot expand configuration file pattern %q: %v", path, err)
		return
	}
	if len(matches) == 0 {
		r.addDiag(Pos{File: path}, Fatal, "configuration file %s not found", path)
		return
	}
	// Files are pushed in reverse so that the first match is read first.
	opened := 0
	for i := len(matches) - 1; i >= 0; i-- {
		src, err := r.opts.ReadFile(matches[i])
		if err != nil {
			r.addDiag(Pos{File: matches[i]}, Fatal, "cannot read configuration file: %v", err)
			continue
		}
		r.pushFile(matches[i], src, nil)
		opened++
	}
	_ = opened
}

// pushFile makes src the file being read until it ends.
func (r *reader) pushFile(name string, src []byte, chain []Pos) {
	r.frames = append(r.frames, &frame{name: name, dir: filepath.Dir(name), src: src, chain: chain})
}

// physLine returns the next physical line of the innermost open file,
// closing files as they end; ok is false at the end of all input.
func (r *reader) physLine() (text string, pos Pos, ok bool) {
	for len(r.frames) > 0 {
		f := r.frames[len(r.frames)-1]
		if f.off >= len(f.src) {
			r.frames = r.frames[:len(r.frames)-1]
			continue
		}
		rest := f.src[f.off:]
		n := indexByte(rest, '\n')
		var line []byte
		if n < 0 {
			line = rest
			f.off = len(f.src)
		} else {
			line = rest[:n]
			f.off += n + 1
		}
		f.lineNo++
		for len(line) > 0 && (line[len(line)-1] == '\r' || line[len(line)-1] == '\n') {
			line = line[:len(line)-1]
		}
		return string(line), Pos{File: f.name, Line: f.lineNo, Included: f.chain}, true
	}
	return "", Pos{}, false
}

// next returns the next non-empty logical line with its position.
func (r *reader) next() (string, Pos, bool) {
	for !r.stop {
		var line string
		var pos Pos
		if r.hasResidue {
			line, pos = r.residue, r.residuePos
			r.hasResidue = false
		} else {
			raw, p, ok := r.physLine()
			if !ok {
				return "", Pos{}, false
			}
			var unterminated bool
			line, unterminated = decomment(raw)
			if unterminated {
				r.addDiag(p, Error, "unterminated quote %q", line)
			}
			pos = p
		}
		if line == "" {
			continue
		}
		if head, rest, ok := splitBrace(line); ok {
			r.residue, r.residuePos, r.hasResidue = rest, pos, true
			line = head
		}
		if line == "" {
			continue
		}
		if !r.count(pos, len(line)) {
			return "", Pos{}, false
		}
		return line, pos, true
	}
	return "", Pos{}, false
}

// count charges one produced line against the resource budget and reports
// whether reading may go on.
func (r *reader) count(pos Pos, n int) bool {
	r.lines++
	r.bytes += n
	if r.lines > maxLines || r.bytes > maxBytes {
		r.addDiag(pos, Error, "configuration expands to more than %d lines or %d bytes; stopped reading", maxLines, maxBytes)
		r.stop = true
		return false
	}
	return true
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// build groups the reader's lines into a tree of nodes.
func build(r *reader) []*Node {
	var root []*Node
	type open struct {
		node *Node
		pos  Pos
	}
	var stack []open
	var last *Node // the node a following '{' line opens a block for
	skip := 0      // depth of blocks dropped for being nested too deeply
	add := func(n *Node) {
		if len(stack) == 0 {
			root = append(root, n)
		} else {
			p := stack[len(stack)-1].node
			p.Children = append(p.Children, n)
		}
	}
	for {
		line, pos, ok := r.next()
		if !ok {
			break
		}
		if skip > 0 {
			switch line {
			case "{":
				skip++
			case "}":
				skip--
			}
			continue
		}
		switch line {
		case "{":
			if last == nil || last.Block {
				r.addDiag(pos, Error, "unexpected '{' - ignoring")
				continue
			}
			if len(stack) >= maxDepth {
				r.addDiag(pos, Error, "blocks nested more than %d deep; block ignored", maxDepth)
				last = nil
				skip = 1
				continue
			}
			last.Block = true
			stack = append(stack, open{last, pos})
			last = nil
			continue
		case "}":
			last = nil
			if len(stack) == 0 {
				r.addDiag(pos, Error, "extra '}' found")
				continue
			}
			stack = stack[:len(stack)-1]
			continue
		}
		words, unmatched := tokenize(line)
		if unmatched {
			r.addDiag(pos, Error, "unmatched quote: %q", line)
		}
		if len(words) == 0 {
			last = nil
			continue
		}
		n := &Node{Keyword: words[0], Args: words[1:], Raw: restAfterKeyword(line), Pos: pos}
		if len(n.Args) == 0 {
			n.Args = nil
		}
		add(n)
		last = n
	}
	for i := len(stack) - 1; i >= 0; i-- {
		r.addDiag(stack[i].node.Pos, Error, "block %q opened here is not closed: missing '}'", stack[i].node.Keyword)
	}
	return root
}
