package syntax

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
	r.pushBytes(name, src)
	return build(r), r.diags
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
	// Nodes and argument lists are carved out of larger allocations:
	// generated configurations easily have a million lines.
	var nodeSlab []Node
	var argSlab []string
	var words []string
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
		var unmatched bool
		words, unmatched = tokenize(words[:0], line)
		if unmatched {
			r.addDiag(pos, Error, "unmatched quote: %q", clip(line))
		}
		if len(words) == 0 {
			last = nil
			continue
		}
		// Like keepalived, look at the first word, so a quoted "{" or
		// "}" acts as a brace too (the rest of such a line is ignored).
		if skip > 0 {
			switch words[0] {
			case "{":
				skip++
			case "}":
				skip--
			}
			continue
		}
		switch words[0] {
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
		if len(nodeSlab) == 0 {
			nodeSlab = make([]Node, 512)
		}
		n := &nodeSlab[0]
		nodeSlab = nodeSlab[1:]
		*n = Node{Keyword: words[0], Raw: restAfterKeyword(line), Pos: pos}
		if k := len(words) - 1; k > 0 {
			if cap(argSlab)-len(argSlab) < k {
				argSlab = make([]string, 0, max(2048, k))
			}
			start := len(argSlab)
			argSlab = append(argSlab, words[1:]...)
			// The full slice expression keeps a caller's append from
			// overwriting the next node's arguments.
			n.Args = argSlab[start : start+k : start+k]
		}
		add(n)
		last = n
		// include_check changes how later includes are checked, so it
		// takes effect while reading, as keepalived's handler does.
		if n.Keyword == "include_check" && len(stack) == 1 && stack[0].node.Keyword == "global_defs" {
			r.setIncludeCheck(n.Args, pos)
		}
	}
	for i := len(stack) - 1; i >= 0; i-- {
		r.addDiag(stack[i].node.Pos, Error, "block %q opened here is not closed: missing '}'", stack[i].node.Keyword)
	}
	return root
}
