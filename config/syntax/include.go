package syntax

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// maxFileSize bounds one configuration file read from disk.
const maxFileSize = 64 << 20

// errNotConfigFile is why ReadConfigFile refuses a file.
var errNotConfigFile = errors.New("not a regular non-executable file")

// ReadConfigFile is the default Options.ReadFile, exported so that a
// caller wrapping ReadFile (config's in-memory overlay) falls back to the
// same rules. Like keepalived, it only reads regular files without execute
// permission, which also keeps `include /dev/zero` or a FIFO from hanging
// the parser; it checks before opening, since opening a FIFO blocks.
func ReadConfigFile(name string) ([]byte, error) {
	st, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 != 0 {
		return nil, fmt.Errorf("%s: %w", name, errNotConfigFile)
	}
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	src, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(src) > maxFileSize {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxFileSize)
	}
	return src, nil
}

// openMain starts reading the main configuration file, a glob pattern as
// keepalived's -f accepts. Anything that stops it from being read is
// Fatal: keepalived does not start without its configuration.
func (r *reader) openMain(path string) {
	matches, err := r.opts.Glob(path)
	if err != nil {
		r.addDiag(Pos{File: path}, Fatal, "cannot expand configuration file pattern %q: %v", path, err)
		return
	}
	if len(matches) == 0 {
		r.addDiag(Pos{File: path}, Fatal, "unable to find configuration file %s", path)
		return
	}
	if len(matches) > 1 {
		r.addDiag(Pos{File: path}, Error, "multiple configuration file matches of %s, starting with %s", path, matches[0])
	}
	g := &group{matches: matches, typ: incAll &^ incBrace, saved: r.includeCheck, pattern: path}
	r.groups = append(r.groups, g)
	if !r.openNext(g, true) {
		r.groups = r.groups[:len(r.groups)-1]
	}
}

// pushBytes starts reading an in-memory main file.
func (r *reader) pushBytes(name string, src []byte) {
	r.groups = append(r.groups, &group{matches: []string{name}, next: 1, name: name,
		dir: filepath.Dir(name), key: absKey(name), src: src, saved: r.includeCheck, pattern: name})
}

func absKey(name string) string {
	if abs, err := filepath.Abs(name); err == nil {
		return abs
	}
	return filepath.Clean(name)
}

// openNext opens the next readable file of g; it returns false when none
// is left.
func (r *reader) openNext(g *group, main bool) bool {
	for g.next < len(g.matches) {
		name := g.matches[g.next]
		g.next++
		key := absKey(name)
		if r.inChain(key) {
			r.addDiag(r.includePos(g), Error, "include loop: %s is already being read; not included again", name)
			continue
		}
		src, err := r.opts.ReadFile(name)
		if err != nil {
			sev := r.severity(g, incRead)
			if main {
				sev = Fatal
			}
			r.addDiag(r.includePos(g), sev, "configuration file %s cannot be read - skipping: %v", name, err)
			continue
		}
		g.name, g.dir, g.key, g.src, g.off, g.lineNo = name, filepath.Dir(name), key, src, 0, 0
		return true
	}
	return false
}

// inChain reports whether the file with the given key is being read by
// an enclosing include.
func (r *reader) inChain(key string) bool {
	for _, g := range r.groups {
		if g.src != nil && g.key == key {
			return true
		}
	}
	return false
}

// includePos is the position of the include statement that opened g.
func (r *reader) includePos(g *group) Pos {
	if n := len(g.chain); n > 0 {
		p := g.chain[n-1]
		p.Included = g.chain[:n-1]
		return p
	}
	return Pos{File: g.pattern}
}

// severity is how bad an include problem of the given kind is: keepalived
// refuses to run (Fatal) when include_check or the include variant asks
// for that check, and only logs it (Warning) otherwise.
func (r *reader) severity(g *group, kind includeFlags) Severity {
	if (r.includeCheck|g.typ)&kind != 0 {
		return Fatal
	}
	return Warning
}

// physLine returns the next physical line of the current file, moving on
// to the next file of the include group and back to the including file as
// files end; ok is false at the end of all input.
func (r *reader) physLine() (text string, pos Pos, ok bool) {
	for len(r.groups) > 0 {
		g := r.groups[len(r.groups)-1]
		if g.off >= len(g.src) {
			// keepalived restores include_check when a file ends.
			r.includeCheck = g.saved
			g.src = nil
			if r.openNext(g, false) {
				continue
			}
			r.groups = r.groups[:len(r.groups)-1]
			continue
		}
		rest := g.src[g.off:]
		var line []byte
		if n := indexByte(rest, '\n'); n >= 0 {
			line = rest[:n]
			g.off += n + 1
		} else {
			line = rest
			g.off = len(g.src)
		}
		g.lineNo++
		for len(line) > 0 && (line[len(line)-1] == '\r' || line[len(line)-1] == '\n') {
			line = line[:len(line)-1]
		}
		pos := Pos{File: g.name, Line: g.lineNo, Included: g.chain}
		if z := indexByte(line, 0); z >= 0 {
			r.addDiag(pos, Warning, "line contains a NUL byte; the text after it is ignored")
			line = line[:z]
		}
		if len(line) > maxLineLen {
			r.addDiag(pos, Error, "line is %d bytes long; keepalived reads at most %d bytes of a line and would split it", len(line), maxLineLen)
		}
		return string(line), pos, true
	}
	return "", Pos{}, false
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// include handles buf if it is an include statement (include, includer,
// includem, includew, includeb, includea followed by white space); the
// rest of the line, as is, is the file pattern.
func (r *reader) include(buf string, pos Pos) bool {
	if len(buf) < 8 || buf[:7] != "include" {
		return false
	}
	var typ includeFlags
	var rest string
	switch {
	case isSpace(buf[7]):
		rest = buf[8:]
	case len(buf) > 8 && isSpace(buf[8]) && strings.IndexByte("rmwba", buf[7]) >= 0:
		rest = buf[9:]
		switch buf[7] {
		case 'r':
			typ = incRead
		case 'm':
			typ = incRead | incMatch
		case 'w':
			typ = incRead | incMatch | incWildcard
		case 'b':
			typ = incRead | incBrace
		case 'a':
			typ = incAll
		}
	default:
		return false
	}
	r.openInclude(strings.TrimLeft(rest, " \t"), typ, pos)
	return true
}

func isSpace(c byte) bool { return strings.IndexByte(whiteSpace, c) >= 0 }

// openInclude expands pattern (relative to the including file's
// directory, with csh-style braces and glob wildcards) and starts reading
// the files it matches, reporting missing files as keepalived does.
func (r *reader) openInclude(pattern string, typ includeFlags, pos Pos) {
	var chain []Pos
	full := pattern
	if len(r.groups) > 0 {
		cur := r.groups[len(r.groups)-1]
		chain = append(append(make([]Pos, 0, len(cur.chain)+1), cur.chain...), Pos{File: pos.File, Line: pos.Line})
		if !filepath.IsAbs(pattern) && cur.dir != "." {
			full = escapeGlob(cur.dir) + "/" + pattern
		}
	}
	g := &group{typ: typ, saved: r.includeCheck, chain: chain, pattern: pattern}
	if len(r.groups) >= maxIncludeDepth {
		r.addDiag(pos, Error, "includes nested more than %d deep; %s not included", maxIncludeDepth, clip(pattern))
		return
	}

	alts := expandBraces(full)
	braced := hasBrace(full)
	missing, wild := false, false
	var matches []string
	for _, alt := range alts {
		m, err := r.opts.Glob(alt)
		if err != nil {
			r.addDiag(pos, r.severity(g, incRead), "error reading config file(s) %q: %v - skipping", clip(pattern), err)
			return
		}
		switch {
		case len(m) > 0:
		case !hasMeta(alt):
			missing = true
		default:
			// glibc counts a directory it cannot open as a missing file,
			// so a wildcard in a missing directory is "missing", while
			// one in an existing directory merely matched nothing.
			wild = true
			if dir := filepath.Dir(alt); dir != "." && dir != "/" {
				if d, err := r.opts.Glob(dir); err == nil && len(d) == 0 {
					missing = true
				}
			}
		}
		matches = append(matches, m...)
	}
	if len(matches) == 0 {
		switch {
		case missing && braced:
			r.addDiag(pos, r.severity(g, incBrace), "config files missing %q", clip(pattern))
		case missing:
			r.addDiag(pos, r.severity(g, incMatch), "config files missing %q", clip(pattern))
		case wild && (r.includeCheck|typ)&incWildcard != 0:
			r.addDiag(pos, Fatal, "no config files matched %q", clip(pattern))
		}
		return
	}
	if missing {
		r.addDiag(pos, r.severity(g, incBrace), "some config files missing: %q", clip(pattern))
		if (r.includeCheck|typ)&incBrace != 0 {
			return
		}
	}
	g.matches = matches
	r.groups = append(r.groups, g)
	if !r.openNext(g, false) {
		r.groups = r.groups[:len(r.groups)-1]
	}
}

// hasMeta reports whether a glob pattern has an unescaped wildcard.
func hasMeta(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '*', '?', '[':
			return true
		}
	}
	return false
}

// hasBrace reports whether p has an unescaped '{'.
func hasBrace(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '{':
			return true
		}
	}
	return false
}

// escapeGlob protects glob and brace characters of a literal path.
func escapeGlob(s string) string {
	if !strings.ContainsAny(s, "*?[]{}\\,") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if strings.IndexByte("*?[]{}\\,", s[i]) >= 0 {
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// maxBraceAlternatives bounds brace expansion ({a,b}{c,d}… multiplies).
const maxBraceAlternatives = 4096

// expandBraces does csh-style brace expansion as glibc's GLOB_BRACE does:
// "a{b,c{d,e}}f" gives abf, acdf, acef, in order. A brace group without a
// matching '}' is left alone; backslash-escaped braces and commas are
// literal.
func expandBraces(p string) []string {
	out := []string{p}
	for {
		var next []string
		changed := false
		for _, s := range out {
			alts, ok := expandFirstBrace(s)
			if !ok {
				next = append(next, s)
				continue
			}
			changed = true
			next = append(next, alts...)
			if len(next) > maxBraceAlternatives {
				return next[:maxBraceAlternatives]
			}
		}
		out = next
		if !changed {
			return out
		}
	}
}

// expandFirstBrace expands the first complete top-level brace group of s.
func expandFirstBrace(s string) ([]string, bool) {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
			continue
		case '{':
		default:
			continue
		}
		depth := 0
		var commas []int
		for j := i; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case '{':
				depth++
			case ',':
				if depth == 1 {
					commas = append(commas, j)
				}
			case '}':
				depth--
				if depth == 0 {
					prefix, suffix := s[:i], s[j+1:]
					bounds := append(append([]int{i}, commas...), j)
					alts := make([]string, 0, len(bounds)-1)
					for k := 0; k+1 < len(bounds); k++ {
						alts = append(alts, prefix+s[bounds[k]+1:bounds[k+1]]+suffix)
					}
					return alts, true
				}
			}
		}
		return nil, false
	}
	return nil, false
}

// setIncludeCheck applies `include_check [[+|-]read|match|wildcard_match|
// brace_match ...]` from global_defs; no options means all checks. Note
// that keepalived 2.2.7 spells the first option "read", although its man
// page says "readable".
func (r *reader) setIncludeCheck(args []string, pos Pos) {
	if len(args) == 0 {
		r.includeCheck = incAll
		return
	}
	for i, w := range args {
		if w == "" {
			r.addDiag(pos, Error, "empty include_check type - ignoring")
			continue
		}
		mode := w[0]
		name := w
		if mode == '+' || mode == '-' {
			name = w[1:]
		} else {
			mode = '='
			if i > 0 {
				r.addDiag(pos, Error, "duplicate include_check %q specified - ignoring", w)
				continue
			}
			r.includeCheck = 0
		}
		var f includeFlags
		switch name {
		case "read":
			f = incRead
		case "match":
			f = incMatch
		case "wildcard_match":
			f = incWildcard
		case "brace_match":
			f = incBrace
		default:
			r.addDiag(pos, Error, "unknown include_check type %q - ignoring", name)
			continue
		}
		switch mode {
		case '=':
			r.includeCheck = incRead | f
		case '+':
			r.includeCheck |= f
		case '-':
			r.includeCheck &^= f
		}
	}
}
