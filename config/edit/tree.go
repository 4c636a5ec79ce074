package edit

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/alived/alived/config/ident"
)

// FileSet is a configuration tree in memory: absolute path → content.
// Edits return a complete new FileSet; a path missing from it (present
// in the input) is a file the edit removes.
type FileSet map[string][]byte

// Tree is an opened configuration: every file reachable from the main one
// by include statements, with the objects alived can list and edit. A
// Tree is never modified; each edit returns a new FileSet to be opened
// again.
type Tree struct {
	main     string
	files    []*file
	byPath   map[string]*file
	includes []*incRef
	// reading is the include chain being scanned (loop detection).
	reading []string
	// set is the input plus what read supplied; read and globFn get more.
	set    FileSet
	read   func(string) ([]byte, error)
	globFn func(string) ([]string, error)
}

// Open reads main and everything it includes, following keepalived's
// include semantics: relative paths are relative to the including file's
// directory, patterns are globbed, commented-out `#include` lines are
// followed too (their objects are listed as disabled). Files are taken
// from files first and then from read (nil: only files); glob expands
// patterns (nil: match the keys of files). A missing include is not an
// error here: the loader reports it.
func Open(main string, files FileSet, read func(path string) ([]byte, error), glob func(pattern string) ([]string, error)) (*Tree, error) {
	if !filepath.IsAbs(main) {
		return nil, fmt.Errorf("open %s: the main file must be an absolute path", main)
	}
	main = filepath.Clean(main)
	t := &Tree{main: main, byPath: map[string]*file{}, set: FileSet{}, read: read, globFn: glob}
	for k, v := range files {
		t.set[filepath.Clean(k)] = v
	}
	src, ok := t.load(main)
	if !ok {
		return nil, fmt.Errorf("open %s: file not in the set and not readable", main)
	}
	f := &file{path: main, lines: splitLines(src), lineRO: map[int]string{}}
	f.items = make([]int, len(f.lines))
	t.files = append(t.files, f)
	t.reading = []string{main}
	s := &scanner{t: t}
	s.scan(f, false)
	if s.err != nil {
		return nil, fmt.Errorf("open %s: %w", main, s.err)
	}
	for _, f := range t.files {
		if _, dup := t.byPath[f.path]; !dup {
			t.byPath[f.path] = f
		}
	}
	return t, nil
}

// load returns a file's content from the set or from read.
func (t *Tree) load(name string) ([]byte, bool) {
	if b, ok := t.set[name]; ok {
		return b, true
	}
	if t.read == nil {
		return nil, false
	}
	b, err := t.read(name)
	if err != nil {
		return nil, false
	}
	t.set[name] = b
	return b, true
}

// open reports whether name is being read by an enclosing include.
func (t *Tree) open(name string) bool {
	for _, r := range t.reading {
		if r == name {
			return true
		}
	}
	return false
}

func (t *Tree) glob(pattern string) ([]string, error) {
	if t.globFn != nil {
		m, err := t.globFn(pattern)
		sort.Strings(m)
		return m, err
	}
	var out []string
	for k := range t.set {
		if ok, err := filepath.Match(pattern, k); err != nil {
			return nil, err
		} else if ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Main is the main file's path.
func (t *Tree) Main() string { return t.main }

// Files returns the tree's files as they are now: the input files and
// those read while following includes, each rebuilt from its lines.
func (t *Tree) Files() FileSet {
	out := make(FileSet, len(t.set))
	for k, v := range t.set {
		out[k] = v
	}
	for _, f := range t.files {
		out[f.path] = f.bytes()
	}
	return out
}

// Param is one keyword line of a block, with the lines of its own block
// when it opens one (HTTP_GET's url { ... }).
type Param struct {
	Keyword string   `json:"keyword"`
	Args    []string `json:"args,omitempty"`
	Block   []Param  `json:"block,omitempty"`
	// IsBlock is set for a keyword that opens a block, even an empty one.
	IsBlock bool `json:"is_block,omitempty"`
}

// Location is where an object is written.
type Location struct {
	File      string `json:"file"`
	Line      int    `json:"line"`     // first line, 1-based
	EndLine   int    `json:"end_line"` // closing brace line
	StartByte int    `json:"start_byte"`
	EndByte   int    `json:"end_byte"` // one past the closing brace line
}

// String renders "file:line".
func (l Location) String() string { return fmt.Sprintf("%s:%d", l.File, l.Line) }

// VSInfo is a virtual server as written in the files.
type VSInfo struct {
	ID       ident.VS `json:"-"`
	Name     string   `json:"name"` // ID.String()
	Location Location `json:"location"`
	Enabled  bool     `json:"enabled"`
	// ReadOnly says why the object cannot be edited, with file:line; ""
	// when it can.
	ReadOnly string `json:"read_only,omitempty"`
	// Managed is set when the object lives in its own include file
	// (ILUKA's layout), so enable/disable toggle the include line.
	Managed bool `json:"managed"`
	// Spec is the current settings, ready to prefill an edit.
	Spec VSSpec `json:"spec"`
	// Params is every keyword line of the block except real servers, in
	// order.
	Params      []Param  `json:"params"`
	RealServers []RSInfo `json:"real_servers"`
}

// RSInfo is a real server as written in the files.
type RSInfo struct {
	ID       ident.RS `json:"-"`
	Name     string   `json:"name"`
	Location Location `json:"location"`
	Enabled  bool     `json:"enabled"`
	ReadOnly string   `json:"read_only,omitempty"`
	Managed  bool     `json:"managed"`
	Spec     RSSpec   `json:"spec"`
	Params   []Param  `json:"params"`
}

// GroupInfo is a virtual_server_group block (listed, not edited).
type GroupInfo struct {
	Name     string   `json:"name"`
	Location Location `json:"location"`
	Enabled  bool     `json:"enabled"`
	Params   []Param  `json:"params"`
}

// location computes n's Location.
func (n *node) location() Location {
	f := n.file
	sb := 0
	for i := 0; i < n.start; i++ {
		sb += len(f.lines[i])
	}
	eb := sb
	for i := n.start; i <= n.end && i < len(f.lines); i++ {
		eb += len(f.lines[i])
	}
	return Location{File: f.path, Line: n.start + 1, EndLine: n.end + 1, StartByte: sb, EndByte: eb}
}

// params converts a node's children to Params.
func params(ns []*node) []Param {
	var out []Param
	for _, c := range ns {
		p := Param{Keyword: c.kw, Args: c.args, IsBlock: c.block}
		if c.block {
			p.Block = params(c.children)
		}
		out = append(out, p)
	}
	return out
}

// vsNodes lists every virtual_server node of the tree, in file order.
func (t *Tree) vsNodes() []*node {
	var out []*node
	seen := map[*node]bool{}
	for _, f := range t.files {
		for _, n := range f.roots {
			if n.kw == "virtual_server" && n.parent == nil && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	return out
}

// vsID derives a virtual server's identity from its header and block.
func vsID(n *node) (ident.VS, error) {
	proto := "TCP"
	inet6 := false
	for _, c := range n.children {
		switch {
		case c.kw == "protocol" && len(c.args) > 0:
			proto = strings.ToUpper(c.args[0])
		case c.kw == "ip_family" && len(c.args) > 0:
			inet6 = c.args[0] == "inet6"
		}
	}
	if len(n.args) < 2 {
		return ident.VS{}, fmt.Errorf("%s: virtual_server needs an address and port, fwmark N or group NAME", n.pos())
	}
	switch n.args[0] {
	case "fwmark":
		m, err := strconv.ParseUint(n.args[1], 10, 32)
		if err != nil || m == 0 {
			return ident.VS{}, fmt.Errorf("%s: bad fwmark %q", n.pos(), n.args[1])
		}
		return ident.VS{Kind: ident.ByFWMark, FWMark: uint32(m), IPv6: inet6}, nil
	case "group":
		return ident.VS{Kind: ident.ByGroup, Group: n.args[1], Proto: proto}, nil
	}
	a, err := netip.ParseAddr(n.args[0])
	if err != nil {
		return ident.VS{}, fmt.Errorf("%s: bad virtual server address %q", n.pos(), n.args[0])
	}
	p, err := strconv.ParseUint(n.args[1], 10, 16)
	if err != nil {
		return ident.VS{}, fmt.Errorf("%s: bad virtual server port %q", n.pos(), n.args[1])
	}
	return ident.VS{Kind: ident.ByAddr, Addr: a.Unmap(), Port: uint16(p), Proto: proto}, nil
}

func rsID(n *node) (ident.RS, error) {
	if len(n.args) < 1 {
		return ident.RS{}, fmt.Errorf("%s: real_server needs an address", n.pos())
	}
	a, err := netip.ParseAddr(n.args[0])
	if err != nil {
		return ident.RS{}, fmt.Errorf("%s: bad real server address %q", n.pos(), n.args[0])
	}
	var port uint64
	if len(n.args) > 1 {
		port, err = strconv.ParseUint(n.args[1], 10, 16)
		if err != nil {
			return ident.RS{}, fmt.Errorf("%s: bad real server port %q", n.pos(), n.args[1])
		}
	}
	return ident.RS{Addr: a.Unmap(), Port: uint16(port)}, nil
}

// enabled reports whether n is active: neither it nor a block around it
// is commented out.
func enabled(n *node) bool { return !n.disabled }

// readOnly says why n cannot be edited, or "".
func (t *Tree) readOnly(n *node) string {
	if n.file.ro != "" {
		return n.file.ro
	}
	var why string
	var walk func(m *node)
	walk = func(m *node) {
		if why != "" {
			return
		}
		if m.ro != "" {
			why = m.ro
			return
		}
		if m.file.ro != "" {
			why = m.file.ro
			return
		}
		for i := m.start; i <= m.end; i++ {
			if r := m.file.lineRO[i]; r != "" {
				why = fmt.Sprintf("it uses %s at %s:%d", r, m.file.path, i+1)
				return
			}
		}
		allowed := 1
		if m.block {
			allowed = 2
		}
		if m.file.items[m.start] > allowed || (m.block && m.end != m.start && m.file.items[m.end] > 1) {
			why = fmt.Sprintf("several statements share a line at %s:%d", m.file.path, m.start+1)
			return
		}
		for _, c := range m.children {
			walk(c)
		}
	}
	walk(n)
	// Included files inside the block.
	if why == "" {
		for _, f := range t.files {
			if f.inc != nil && t.within(f, n) && f.ro != "" {
				return f.ro
			}
		}
	}
	return why
}

// within reports whether file f was included from inside node n.
func (t *Tree) within(f *file, n *node) bool {
	for m := f.encl; m != nil; {
		if m == n {
			return true
		}
		if m.parent != nil {
			m = m.parent
			continue
		}
		m = m.file.encl
	}
	return false
}

// managedInclude returns the include statement that holds n alone in
// its file (ILUKA's layout), or nil.
func (t *Tree) managedInclude(n *node) *incRef {
	f := n.file
	if f.inc == nil || f.inc.glob || len(f.inc.targets) != 1 || len(f.roots) != 1 || f.roots[0] != n {
		return nil
	}
	return f.inc
}

// VirtualServers lists every virtual server, enabled or not, in the order
// keepalived reads them.
func (t *Tree) VirtualServers() []VSInfo {
	var out []VSInfo
	for _, n := range t.vsNodes() {
		out = append(out, t.vsInfo(n))
	}
	return out
}

// nameAndReadOnly names an object by its identity, or by its words when
// they are no identity — which also makes it read-only: the editor could
// not address it.
func (t *Tree) nameAndReadOnly(n *node, id fmt.Stringer, idErr error) (name, readOnly string) {
	readOnly = t.readOnly(n)
	if idErr == nil {
		return id.String(), readOnly
	}
	if readOnly == "" {
		readOnly = idErr.Error()
	}
	return strings.Join(n.args, " "), readOnly
}

func (t *Tree) vsInfo(n *node) VSInfo {
	id, err := vsID(n)
	info := VSInfo{ID: id, Location: n.location(), Enabled: enabled(n), Managed: t.managedInclude(n) != nil}
	info.Name, info.ReadOnly = t.nameAndReadOnly(n, id, err)
	var own []*node
	for _, c := range n.children {
		if c.kw == "real_server" {
			info.RealServers = append(info.RealServers, t.rsInfo(c))
			continue
		}
		own = append(own, c)
	}
	info.Params = params(own)
	info.Spec = vsSpecFrom(id, info.Params)
	return info
}

func (t *Tree) rsInfo(n *node) RSInfo {
	id, err := rsID(n)
	info := RSInfo{ID: id, Location: n.location(), Enabled: enabled(n), Managed: t.managedInclude(n) != nil}
	info.Name, info.ReadOnly = t.nameAndReadOnly(n, id, err)
	info.Params = params(n.children)
	info.Spec = rsSpecFrom(id, info.Params)
	return info
}

// Groups lists the virtual_server_group blocks.
func (t *Tree) Groups() []GroupInfo {
	var out []GroupInfo
	for _, f := range t.files {
		for _, n := range f.roots {
			if n.kw == "virtual_server_group" && n.parent == nil {
				out = append(out, GroupInfo{Name: strings.Join(n.args, " "), Location: n.location(), Enabled: enabled(n), Params: params(n.children)})
			}
		}
	}
	return out
}

// findVS finds the node of a virtual server; several matches (a disabled
// copy and an enabled one) prefer the enabled one.
func (t *Tree) findVS(id ident.VS) (*node, error) {
	var found *node
	for _, n := range t.vsNodes() {
		got, err := vsID(n)
		if err != nil || got != id {
			continue
		}
		if found == nil || (!enabled(found) && enabled(n)) {
			found = n
		}
	}
	if found == nil {
		return nil, fmt.Errorf("virtual server %s: %w", id, ErrNotFound)
	}
	return found, nil
}

func (t *Tree) findRS(vs *node, id ident.RS) (*node, error) {
	var found *node
	for _, c := range vs.children {
		if c.kw != "real_server" {
			continue
		}
		got, err := rsID(c)
		if err != nil || got != id {
			continue
		}
		if found == nil || (!enabled(found) && enabled(c)) {
			found = c
		}
	}
	if found == nil {
		return nil, fmt.Errorf("real server %s: %w", id, ErrNotFound)
	}
	return found, nil
}
