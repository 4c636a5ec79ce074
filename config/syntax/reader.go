package syntax

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
)

// maxLineLen is keepalived's MAXBUF minus the terminating NUL: it reads at
// most this many bytes of a line at once, and parameter substitution never
// makes a line longer than this.
const maxLineLen = 1023

// Limits on hostile input that keepalived does not have (it would hang on
// `$A=${A}` or recurse on an include loop until it runs out of files).
const (
	// maxSubst bounds the substitutions made in one line.
	maxSubst = 10_000
	// maxIncludeDepth bounds nested includes.
	maxIncludeDepth = 64
	// maxDiags bounds the diagnostics kept for one parse.
	maxDiags = 1000
)

// includeFlags are keepalived's include checks (include_check, includer,
// includem, includew, includeb, includea): which include problems are
// errors rather than log messages.
type includeFlags uint8

const (
	incRead     includeFlags = 1 << iota // matched file unreadable, a directory, …
	incMatch                             // a plain file name matched nothing
	incWildcard                          // a wildcard pattern matched nothing
	incBrace                             // a brace alternative matched nothing
	incAll      = incRead | incMatch | incWildcard | incBrace
)

// group is one include statement (or the main file) being read: the files
// its pattern matched are read one after the other, as keepalived does.
type group struct {
	matches []string
	next    int          // index of the next match to open
	typ     includeFlags // checks the include keyword asked for
	saved   includeFlags // include_check in force when the include was read
	chain   []Pos        // include statements leading to these files
	pattern string

	// The file being read.
	name   string
	dir    string
	key    string // absolute, cleaned name for cycle detection
	src    []byte
	off    int
	lineNo int
}

// def is a $NAME definition or one of keepalived's predefined ones.
type def struct {
	value     string
	multiline bool
	// std computes the value of a predefined definition at each use.
	std       func(params string) string
	maxParams int
}

// seq is one pending ~SEQ or ~LST expansion.
type seq struct {
	pos  Pos
	text string // rest of the line, expanded once per value
	// ~SEQ
	name             string
	next, step, last int64
	hex              bool
	// ~LST
	params []string
	sets   [][]string
	idx    int
}

// mlState is the unread rest of a multi-line definition being expanded.
type mlState struct {
	rest     string
	seqDepth int
	pos      Pos
}

// reader turns files into logical lines, one at a time, doing all of
// keepalived's preprocessing on the way (see next).
type reader struct {
	opts   Options
	diags  []Diagnostic
	groups []*group
	defs   map[string]*def
	seqs   []*seq

	// The multi-line definition being expanded (keepalived's next_ptr),
	// and the ones it interrupted.
	ml         mlState
	mlActive   bool
	mlStack    []mlState
	mlSeqDepth int

	// residue is the text after a brace that is read as the next line.
	residue    string
	residuePos Pos
	hasResidue bool

	includeCheck includeFlags

	scratch []byte // reused by substitute

	lines     int // lines processed, against lineLimit
	bytes     int // bytes processed, against byteLimit
	lineLimit int // maxLines; tests and fuzzers lower it
	byteLimit int // maxBytes
	stop      bool
}

func newReader(opts Options) *reader {
	if opts.ReadFile == nil {
		opts.ReadFile = ReadConfigFile
	}
	if opts.Glob == nil {
		opts.Glob = filepath.Glob
	}
	if opts.LookupEnv == nil {
		opts.LookupEnv = os.LookupEnv
	}
	if opts.Random == nil {
		opts.Random = func(min, max uint64) uint64 { return min + rand.Uint64N(max-min+1) }
	}
	r := &reader{opts: opts, defs: make(map[string]*def), lineLimit: maxLines, byteLimit: maxBytes}
	if opts.AllConfig {
		r.includeCheck = incAll
	}
	r.defs["_PWD"] = &def{std: func(string) string { return r.pwd() }}
	r.defs["_INSTANCE"] = &def{std: func(string) string {
		if r.opts.Instance != "" {
			return r.opts.Instance
		}
		return r.opts.ConfigID
	}}
	r.defs["_RANDOM"] = &def{std: r.random, maxParams: 2}
	r.defs["_HASH"] = &def{value: "#"}
	r.defs["_BANG"] = &def{value: "!"}
	// ${_ENV NAME} is not in keepalived 2.2.7 (which leaves the text
	// alone); later keepalived versions added it. Its parameter is a name,
	// so findRef treats it specially.
	r.defs["_ENV"] = &def{std: func(name string) string {
		v, _ := r.opts.LookupEnv(name)
		return v
	}, maxParams: 1}
	return r
}

func (r *reader) addDiag(pos Pos, sev Severity, format string, args ...any) {
	switch {
	case len(r.diags) < maxDiags:
		r.diags = append(r.diags, Diagnostic{Pos: pos, Severity: sev, Msg: fmt.Sprintf(format, args...)})
	case len(r.diags) == maxDiags:
		r.diags = append(r.diags, Diagnostic{Pos: pos, Severity: max(sev, Error),
			Msg: fmt.Sprintf("more than %d diagnostics; the rest are not shown", maxDiags)})
	default:
		// The marker carries the worst suppressed severity, so a Fatal
		// problem is never hidden by the cap.
		if last := &r.diags[len(r.diags)-1]; last.Severity < sev {
			last.Severity = sev
		}
	}
}

// currentPos is the position of the line last read from a file.
func (r *reader) currentPos() Pos {
	if len(r.groups) == 0 {
		return Pos{}
	}
	g := r.groups[len(r.groups)-1]
	return Pos{File: g.name, Line: g.lineNo, Included: g.chain}
}

// pwd is ${_PWD}: the absolute directory of the file being read.
func (r *reader) pwd() string {
	if len(r.groups) == 0 {
		return ""
	}
	dir := r.groups[len(r.groups)-1].dir
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// random is ${_RANDOM [MIN [MAX]]}, MIN defaulting to 0 and MAX to 32767.
func (r *reader) random(params string) string {
	lo, hi := uint64(0), uint64(32767)
	f := strings.Fields(params)
	if len(f) > 0 {
		lo = parseUint(f[0])
	}
	if len(f) > 1 {
		hi = parseUint(f[1])
	}
	if len(f) > 2 {
		r.addDiag(r.currentPos(), Warning, "too many parameters for ${_RANDOM %s}", params)
	}
	if hi < lo {
		// keepalived's unsigned arithmetic wraps here; yield MIN.
		return fmt.Sprint(lo)
	}
	return fmt.Sprint(r.opts.Random(lo, hi))
}

func parseUint(s string) uint64 {
	var v uint64
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		v = v*10 + uint64(s[i]-'0')
		if v > 1<<53 {
			return v
		}
	}
	return v
}

// count charges one processed line against the resource budget and
// reports whether reading may go on.
func (r *reader) count(pos Pos, n int) bool {
	r.lines++
	r.bytes += n
	if r.lines > r.lineLimit || r.bytes > r.byteLimit {
		r.addDiag(pos, Error, "configuration expands to more than %d lines or %d bytes; stopped reading", r.lineLimit, r.byteLimit)
		r.stop = true
		return false
	}
	return true
}

// next returns the next non-empty logical line with its position, or
// false at the end of input. It follows keepalived 2.2.7's read_line:
// a line comes from the residue of a brace split, else from the innermost
// pending ~SEQ/~LST, else from a multi-line definition being expanded,
// else from the current file (decommented). It then goes through
// multi-line definition collection, `@id` selection, `$NAME=` definition,
// ~SEQ/~LST registration, $NAME substitution (repeated while it changes
// something) and include handling; what is left is split at the first
// brace outside quotes.
func (r *reader) next() (string, Pos, bool) {
	var mdef *def // multi-line definition being collected
	var mval strings.Builder
	endDef := func() {
		mdef.value += mval.String()
		mval.Reset()
		if mdef.value == "" {
			mdef.multiline = false
		}
		mdef = nil
	}
	defer func() {
		if mdef != nil { // the input ended inside the definition
			endDef()
		}
	}()
	for !r.stop {
		var buf string
		var pos Pos
		size := 0 // bytes charged to the budget (a residue is not new text)
		switch {
		case r.hasResidue:
			buf, pos = r.residue, r.residuePos
			r.hasResidue = false
			size = -1
		case len(r.seqs) > r.mlSeqDepth:
			buf, pos = r.seqStep()
		case r.mlActive:
			buf, pos = r.mlNext()
		default:
			for {
				raw, p, ok := r.physLine()
				if !ok {
					return "", Pos{}, false
				}
				if raw == "" {
					// A blank line ends a multi-line definition.
					if mdef != nil {
						endDef()
					}
					continue
				}
				var unterminated bool
				buf, unterminated = decomment(raw)
				if unterminated {
					r.addDiag(p, Error, "unterminated quote %q", clip(buf))
				}
				pos = p
				if buf != "" {
					break
				}
			}
		}
		if size == 0 {
			size = len(buf)
		}
		if !r.count(pos, max(size, 0)) {
			return "", Pos{}, false
		}

		if mdef != nil {
			still := strings.HasSuffix(buf, "\\")
			if still {
				buf = strings.TrimRight(buf[:len(buf)-1], " \t")
				if buf != "" {
					mval.WriteString(buf)
					mval.WriteByte('\n')
				}
			} else {
				mval.WriteString(buf)
				endDef()
			}
			continue
		}
		if buf == "" {
			continue
		}

		subst := 0
		for {
			recheck := false
			if buf[0] == '@' {
				var keep bool
				buf, keep = r.conditional(buf)
				if !keep || buf == "" {
					buf = ""
					break
				}
			}
			if buf[0] == '$' {
				if d := r.checkDefinition(buf); d != nil {
					if d.multiline {
						mdef = d
					}
					buf = ""
					break
				}
			}
			if strings.HasPrefix(buf, "~SEQ") || strings.HasPrefix(buf, "~LST") {
				ok := false
				kind := buf[1:4]
				if kind == "SEQ" {
					ok = r.addSeq(buf, pos)
				} else {
					ok = r.addLst(buf, pos)
				}
				if !ok {
					r.addDiag(pos, Error, "invalid ~%s specification %q", kind, clip(buf))
				}
				buf = ""
				break
			}
			if buf[0] == '~' {
				break
			}
			if strings.IndexByte(buf, '$') >= 0 {
				var changed bool
				buf, changed = r.substitute(buf, pos, &subst)
				if !changed {
					break
				}
				// keepalived decomments again after substituting, so a
				// ${_HASH} outside quotes still starts a comment.
				var unterminated bool
				buf, unterminated = decomment(buf)
				if unterminated {
					r.addDiag(pos, Error, "unterminated quote %q", clip(buf))
				}
				if buf == "" {
					break
				}
				if buf[0] == '@' || strings.IndexByte(buf, '$') >= 0 {
					recheck = true
				}
			}
			if !recheck {
				break
			}
		}
		if buf == "" {
			continue
		}
		if r.include(buf, pos) {
			continue
		}

		if head, rest, ok := splitBrace(buf); ok {
			r.residue, r.residuePos, r.hasResidue = rest, pos, true
			buf = head
		}
		return buf, pos, true
	}
	return "", Pos{}, false
}

// conditional applies an `@ID rest` or `@^ID rest` line: it returns rest
// when the line applies to Options.ConfigID, and keep=false otherwise (or
// when nothing follows the id).
func (r *reader) conditional(buf string) (string, bool) {
	ofs, neg := 1, false
	if len(buf) > 1 && buf[1] == '^' {
		ofs, neg = 2, true
	}
	sp := strings.IndexAny(buf[ofs:], " \t")
	if sp < 0 {
		return "", false
	}
	id := buf[ofs : ofs+sp]
	if (id != "" && id == r.opts.ConfigID) == neg {
		return "", false
	}
	return strings.TrimLeft(buf[ofs+sp:], " \t"), true
}

// seqStep produces the next line of the innermost ~SEQ or ~LST.
func (r *reader) seqStep() (string, Pos) {
	s := r.seqs[len(r.seqs)-1]
	done := false
	if s.params == nil {
		var v string
		if s.hex {
			v = fmt.Sprintf("%x", uint64(s.next))
		} else {
			v = fmt.Sprint(s.next)
		}
		r.setDef(s.name, v)
		n := s.next + s.step
		overflow := (s.step > 0 && n < s.next) || (s.step < 0 && n > s.next)
		s.next = n
		done = overflow || (s.step > 0 && s.next > s.last) || (s.step < 0 && s.next < s.last)
	} else {
		set := s.sets[s.idx]
		for i, name := range s.params {
			r.setDef(name, set[i])
		}
		s.idx++
		done = s.idx == len(s.sets)
	}
	if done {
		r.seqs = r.seqs[:len(r.seqs)-1]
	}
	return s.text, s.pos
}

// mlNext produces the next line of the multi-line definition being
// expanded, resuming an interrupted outer one when it ends.
func (r *reader) mlNext() (string, Pos) {
	pos := r.ml.pos
	k := strings.IndexByte(r.ml.rest, '\n')
	if k >= 0 {
		line := r.ml.rest[:k]
		r.ml.rest = r.ml.rest[k+1:]
		return line, pos
	}
	line := r.ml.rest
	if n := len(r.mlStack); n > 0 {
		r.ml = r.mlStack[n-1]
		r.mlSeqDepth = r.ml.seqDepth
		r.mlStack = r.mlStack[:n-1]
	} else {
		r.mlActive = false
		r.ml = mlState{}
		r.mlSeqDepth = 0
	}
	return line, pos
}

// setDef sets a definition to a plain value (used by ~SEQ and ~LST).
func (r *reader) setDef(name, value string) {
	d := r.defs[name]
	if d == nil {
		d = &def{}
		r.defs[name] = d
	}
	*d = def{value: value}
}

// checkDefinition records a `$NAME=VALUE` line; it returns nil when buf is
// not a definition. A value ending in a backslash starts a multi-line
// definition whose further lines the caller collects.
func (r *reader) checkDefinition(buf string) *def {
	if len(buf) < 2 || !isNameStart(buf[1]) {
		return nil
	}
	j := 2
	for j < len(buf) && buf[j] != '=' {
		if !isNameChar(buf[j]) {
			return nil
		}
		j++
	}
	if j >= len(buf) {
		return nil
	}
	name := buf[1:j]
	val := strings.TrimLeft(buf[j+1:], " \t")
	d := r.defs[name]
	if d == nil {
		d = &def{}
		r.defs[name] = d
	}
	*d = def{value: val}
	if strings.HasSuffix(val, "\\") {
		d.multiline = true
		v := strings.TrimRight(val[:len(val)-1], " \t")
		if v == "" {
			d.value = ""
		} else {
			d.value = v + "\n"
		}
	}
	return d
}

func isNameStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isNameChar(c byte) bool  { return isNameStart(c) || c >= '0' && c <= '9' }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }

// ref is a recognised use of a definition.
type ref struct {
	d      *def
	length int    // bytes of the reference, counting the '$'
	params string // text of ${NAME params}
}

// findRef recognises a definition use starting at s[0] == '$': `$NAME`
// followed by a blank, ',', ')' or the end of the line, or `${NAME}`
// anywhere (with numeric parameters for definitions that take them, and a
// name parameter for _ENV). A multi-line definition is only recognised at
// the end of the line.
func (r *reader) findRef(s []byte) (ref, bool) {
	braces := len(s) > 1 && s[1] == '{'
	off := 1
	if braces {
		off = 2
	}
	if off >= len(s) || !isNameStart(s[off]) {
		return ref{}, false
	}
	n := 1
	for off+n < len(s) && isNameChar(s[off+n]) {
		n++
	}
	name := s[off : off+n]
	isEnv := string(name) == "_ENV"
	p := off + n
	var params string
	length := 1 + n
	if braces {
		length = 3 + n
		if isEnv && p < len(s) && s[p] == ' ' {
			q := p
			for q < len(s) && s[q] == ' ' {
				q++
			}
			e := q
			for e < len(s) && isNameChar(s[e]) {
				e++
			}
			if e == q || e >= len(s) || s[e] != '}' {
				return ref{}, false
			}
			if d := r.defs["_ENV"]; d != nil && d.std != nil && d.maxParams > 0 {
				return ref{d: d, length: e + 1, params: string(s[q:e])}, true
			}
			return ref{}, false
		}
		pStart, pEnd := -1, -1
		for p < len(s) && (s[p] == ' ' || isDigit(s[p])) {
			if s[p] != ' ' {
				if pStart < 0 {
					pStart = p
				}
				pEnd = p
			}
			p++
		}
		if pStart >= 0 && pEnd+1 != p {
			return ref{}, false
		}
		if p >= len(s) || s[p] != '}' {
			return ref{}, false
		}
		if pStart >= 0 {
			params = string(s[pStart : pEnd+1])
			length = pEnd + 2
		}
		// Without parameters keepalived replaces exactly "${NAME}"'s
		// length, so `${NAME }` leaves the '}' behind; so do we.
	} else if p < len(s) && s[p] != ' ' && s[p] != '\t' && s[p] != ',' && s[p] != ')' {
		return ref{}, false
	}
	atEnd := (!braces && off+n == len(s)) || (braces && off+n+1 == len(s))
	d := r.defs[string(name)]
	if d == nil || (d.multiline && !atEnd) {
		return ref{}, false
	}
	if params != "" && d.maxParams == 0 {
		return ref{}, false
	}
	if isEnv && d.std != nil {
		return ref{}, false // _ENV needs its parameter
	}
	return ref{d: d, length: length, params: params}, true
}

// substitute replaces definition uses in line the way keepalived's
// replace_param does: left to right, rescanning replaced text (so values
// may use other definitions), stopping after a value starting with '~'.
// A multi-line definition contributes its first line here and queues the
// rest. The line never grows beyond maxLineLen: a substitution that would
// is not made and substitution stops. changed reports whether anything was
// replaced. The work is done in a reused buffer, as lines with several
// uses are common in generated configurations.
func (r *reader) substitute(line string, pos Pos, budget *int) (string, bool) {
	buf := append(r.scratch[:0], line...)
	defer func() { r.scratch = buf[:0] }()
	found := false
	cur, curActive := r.ml, r.mlActive
	i := 0
	for {
		j := bytes.IndexByte(buf[i:], '$')
		if j < 0 {
			break
		}
		i += j
		if i+1 >= len(buf) {
			break
		}
		rf, ok := r.findRef(buf[i:])
		if !ok {
			i++
			continue
		}
		*budget++
		if *budget > maxSubst {
			r.addDiag(pos, Error, "more than %d substitutions in one line (recursive definition?); line left as is", maxSubst)
			return string(buf), false
		}
		val := rf.d.value
		if rf.d.std != nil {
			val = rf.d.std(rf.params)
		}
		repl := val
		if rf.d.multiline {
			if curActive {
				r.mlStack = append(r.mlStack, mlState{rest: cur.rest, seqDepth: r.mlSeqDepth, pos: cur.pos})
			}
			r.mlSeqDepth = len(r.seqs)
			if k := strings.IndexByte(val, '\n'); k >= 0 {
				repl = val[:k]
				cur, curActive = mlState{rest: val[k+1:], pos: pos}, true
			}
		}
		if len(buf)-rf.length+len(repl) > maxLineLen {
			// keepalived gives up on the line as it stands, without
			// re-decommenting it or queueing a multi-line rest.
			r.addDiag(pos, Error, "parameter substitution would make the line longer than %d bytes; substitution stopped", maxLineLen)
			return string(buf), false
		}
		buf = splice(buf, i, rf.length, repl)
		found = true
		if t := strings.TrimLeft(val, " \t"); t != "" && t[0] == '~' {
			break
		}
	}
	if found {
		r.ml, r.mlActive = cur, curActive
	}
	return string(buf), found
}

// splice replaces b[i:i+n] with s in place.
func splice(b []byte, i, n int, s string) []byte {
	tail := len(b) - i - n
	switch d := len(s) - n; {
	case d > 0:
		b = append(b, make([]byte, d)...)
		copy(b[i+len(s):], b[i+n:i+n+tail])
	case d < 0:
		copy(b[i+len(s):], b[i+n:])
		b = b[:len(b)+d]
	}
	copy(b[i:], s)
	return b
}

// expandSeqArgs substitutes definitions in the argument text of a ~SEQ,
// which keepalived keeps in a 64-byte buffer: a substitution that would
// not fit is not made.
func (r *reader) expandSeqArgs(args string, pos Pos) (string, bool) {
	i, n := 0, 0
	for {
		j := strings.IndexByte(args[i:], '$')
		if j < 0 {
			return args, true
		}
		i += j
		if i+1 >= len(args) {
			return args, true
		}
		rf, ok := r.findRef([]byte(args[i:]))
		if !ok {
			i++
			continue
		}
		if n++; n > maxSubst {
			r.addDiag(pos, Error, "more than %d substitutions in ~SEQ parameters (recursive definition?)", maxSubst)
			return "", false
		}
		val := rf.d.value
		if rf.d.std != nil {
			val = rf.d.std(rf.params)
		}
		if len(args)-rf.length+len(val) > 63 {
			return args, true
		}
		args = args[:i] + val + args[i+rf.length:]
	}
}

// addSeq registers `~SEQ(var, [start,] [step,] end) text` (or ~SEQx for hex
// values). It reports its own errors except a missing '(', which the
// caller reports.
func (r *reader) addSeq(buf string, pos Pos) bool {
	at := func(i int) byte {
		if i < len(buf) {
			return buf[i]
		}
		return 0
	}
	p := 4
	hex := false
	if at(p) == 'x' {
		hex = true
		p++
	}
	p = skipBlanks(buf, p)
	if at(p) != '(' {
		return false
	}
	p = skipBlanks(buf, p+1)
	varStart := p
	for p < len(buf) && !strings.ContainsRune(" \t,)", rune(buf[p])) {
		p++
	}
	name := buf[varStart:p]
	p = skipBlanks(buf, p)
	if p >= len(buf) || buf[p] == ')' || name == "" {
		r.addDiag(pos, Error, "invalid ~SEQ definition %q", clip(buf))
		return false
	}
	p = skipBlanks(buf, p+1) // keepalived skips whatever separates the name
	end := strings.IndexByte(buf[p:], ')')
	if end < 0 {
		r.addDiag(pos, Error, "invalid ~SEQ definition %q: no ')'", clip(buf))
		return false
	}
	if end+2 > 64 {
		r.addDiag(pos, Error, "~SEQ parameter strings too long %q", clip(buf))
		return false
	}
	args, ok := r.expandSeqArgs(buf[p:p+end+1], pos)
	if !ok {
		return false
	}
	text := strings.TrimLeft(buf[p+end+1:], " \t")

	bad := func() bool {
		r.addDiag(pos, Error, "invalid ~SEQ definition %q", clip(buf))
		return false
	}
	var start, step, last int64
	one, q := strtol(args, 0)
	q = skipBlanks(args, q)
	switch {
	case q < len(args) && args[q] == ')':
		last = one
		step, start = 1, 1
		if last < 1 {
			step = -1
		}
		if last < 0 {
			start = -1
		}
	case q >= len(args) || args[q] != ',':
		return bad()
	default:
		two, q2 := strtol(args, q+1)
		q2 = skipBlanks(args, q2)
		switch {
		case q2 < len(args) && args[q2] == ')':
			start, last = one, two
			step = 1
			if start > last {
				step = -1
			}
		case q2 >= len(args) || args[q2] != ',':
			return bad()
		default:
			three, q3 := strtol(args, q2+1)
			q3 = skipBlanks(args, q3)
			if q3 >= len(args) || args[q3] != ')' {
				return bad()
			}
			start, step, last = one, two, three
			if step == 0 || (start < last && step < 0) || (start > last && step > 0) {
				r.addDiag(pos, Error, "invalid ~SEQ values %q", clip(buf))
				return false
			}
		}
	}
	if hex && (start < 0 || last < 0) {
		r.addDiag(pos, Error, "~SEQx is only valid for positive numbers %q", clip(buf))
		return false
	}
	r.seqs = append(r.seqs, &seq{pos: pos, text: text, name: name, next: start, step: step, last: last, hex: hex})
	return true
}

// addLst registers `~LST(var, v1, v2, …) text` or the multi-variable form
// `~LST({a, b}, {1, 2}, {3, 4}) text`; missing values are empty.
func (r *reader) addLst(buf string, pos Pos) bool {
	at := func(i int) byte {
		if i < len(buf) {
			return buf[i]
		}
		return 0
	}
	word := func(p int, stops string) int {
		for p < len(buf) && !strings.ContainsRune(stops, rune(buf[p])) {
			p++
		}
		return p
	}
	p := skipBlanks(buf, 4)
	if at(p) != '(' {
		return false
	}
	p = skipBlanks(buf, p+1)
	endChar := byte(',')
	if at(p) == '{' {
		endChar = '}'
		p = skipBlanks(buf, p+1)
	}
	var params []string
	for {
		e := word(p, " \t,}")
		params = append(params, buf[p:e])
		p = skipBlanks(buf, e)
		if at(p) == endChar {
			break
		}
		if at(p) != ',' {
			return false
		}
		p = skipBlanks(buf, p+1)
	}
	if at(p) == '}' {
		p = skipBlanks(buf, p+1)
	}
	if at(p) != ',' {
		return false
	}
	p = skipBlanks(buf, p+1)
	var sets [][]string
	for {
		end := byte(',')
		if at(p) == '{' {
			end = '}'
			p = skipBlanks(buf, p+1)
		}
		var set []string
		for {
			e := word(p, " \t,})")
			set = append(set, buf[p:e])
			p = skipBlanks(buf, e)
			if at(p) == end || (at(p) == ')' && end == ',') {
				break
			}
			if at(p) != ',' {
				return false
			}
			p = skipBlanks(buf, p+1)
			if len(set) >= len(params) {
				r.addDiag(pos, Error, "~LST specification has too many values %q", clip(buf))
				return false
			}
		}
		for len(set) < len(params) {
			set = append(set, "")
		}
		sets = append(sets, set)
		if len(sets) > r.lineLimit {
			return false
		}
		if at(p) == '}' && end == '}' {
			p = skipBlanks(buf, p+1)
		}
		if at(p) == ')' {
			break
		}
		if at(p) != ',' {
			return false
		}
		p = skipBlanks(buf, p+1)
	}
	text := ""
	if p+1 < len(buf) {
		text = strings.TrimLeft(buf[p+1:], " \t")
	}
	r.seqs = append(r.seqs, &seq{pos: pos, text: text, params: params, sets: sets})
	return true
}

func skipBlanks(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// strtol parses an integer like C's strtol(s+i, &end, 0): leading white
// space, a sign, and a 0x (hex) or 0 (octal) prefix. With no digits it
// returns 0 and i, as strtol leaves end at the start. Out-of-range values
// saturate.
func strtol(s string, i int) (int64, int) {
	j := i
	for j < len(s) && strings.IndexByte(" \t\n\v\f\r", s[j]) >= 0 {
		j++
	}
	neg := false
	if j < len(s) && (s[j] == '+' || s[j] == '-') {
		neg = s[j] == '-'
		j++
	}
	base := uint64(10)
	if j < len(s) && s[j] == '0' {
		base = 8
		if j+2 < len(s) && (s[j+1] == 'x' || s[j+1] == 'X') && isHex(s[j+2]) {
			base = 16
			j += 2
		}
	}
	var v uint64
	sat := false
	start := j
	for j < len(s) {
		var d uint64
		c := s[j]
		switch {
		case isDigit(c):
			d = uint64(c - '0')
		case c >= 'a' && c <= 'f':
			d = uint64(c-'a') + 10
		case c >= 'A' && c <= 'F':
			d = uint64(c-'A') + 10
		default:
			d = 99
		}
		if d >= base {
			break
		}
		if v > (1<<63)/base {
			sat = true
		} else {
			v = v*base + d
		}
		j++
	}
	if j == start {
		return 0, i
	}
	if neg {
		if sat || v > 1<<63 {
			return -1 << 63, j
		}
		return -int64(v), j
	}
	if sat || v > 1<<63-1 {
		return 1<<63 - 1, j
	}
	return int64(v), j
}

// clip shortens text quoted in a diagnostic.
func clip(s string) string {
	const n = 120
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
