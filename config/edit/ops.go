package edit

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/alived/alived/config/ident"
)

// ErrReadOnly is wrapped by every refusal to edit an object whose text is
// not what keepalived reads (macros, ~SEQ/~LST, @id lines, globbed
// includes, several statements on a line).
var ErrReadOnly = errors.New("read-only")

// ErrNotFound is wrapped by every refusal that names an object the files
// do not hold.
var ErrNotFound = errors.New("not found")

// indentUnit is the indentation of new lines, as ILUKA's templates write.
const indentUnit = "    "

// lineOp replaces lines [from, to) of a file with repl.
type lineOp struct {
	from, to int
	repl     []string
}

// change collects the operations of one edit; nothing is applied until
// result, so a failing edit changes nothing.
type change struct {
	t      *Tree
	ops    map[*file][]lineOp
	add    map[string][]byte
	remove map[string]bool
}

func (t *Tree) change() *change {
	return &change{t: t, ops: map[*file][]lineOp{}, add: map[string][]byte{}, remove: map[string]bool{}}
}

func (c *change) replace(f *file, from, to int, repl ...string) {
	c.ops[f] = append(c.ops[f], lineOp{from: from, to: to, repl: repl})
}

// appendLines adds lines at the end of f, after a newline if its last
// line has none.
func (c *change) appendLines(f *file, lines ...string) {
	n := len(f.lines)
	if n > 0 && !strings.HasSuffix(f.lines[n-1], "\n") {
		c.replace(f, n-1, n, f.lines[n-1]+"\n")
	}
	c.replace(f, n, n, lines...)
}

// result applies the operations and returns the complete new file set.
func (c *change) result() (FileSet, error) {
	out := c.t.Files()
	for f, ops := range c.ops {
		sort.SliceStable(ops, func(i, j int) bool {
			if ops[i].from != ops[j].from {
				return ops[i].from < ops[j].from
			}
			return ops[i].to < ops[j].to
		})
		var b strings.Builder
		cur := 0
		for _, op := range ops {
			if op.from < cur {
				return nil, fmt.Errorf("%s: internal error: overlapping edits at line %d", f.path, op.from+1)
			}
			for _, l := range f.lines[cur:op.from] {
				b.WriteString(l)
			}
			for _, l := range op.repl {
				b.WriteString(l)
			}
			cur = op.to
		}
		for _, l := range f.lines[cur:] {
			b.WriteString(l)
		}
		out[f.path] = []byte(b.String())
	}
	for p := range c.remove {
		delete(out, p)
	}
	for p, b := range c.add {
		out[p] = b
	}
	return out, nil
}

// quoteArg writes an argument so that keepalived reads it back as one word.
func quoteArg(a string) string {
	if strings.ContainsAny(a, " \t") {
		return `"` + a + `"`
	}
	return a
}

// render writes p as lines at the given indentation, each after prefix.
func render(p Param, indent, prefix string) []string {
	return renderUnit(p, indent, indentUnit, prefix)
}

// renderUnit is render with the file's own indentation step.
func renderUnit(p Param, indent, unit, prefix string) []string {
	var b strings.Builder
	b.WriteString(p.Keyword)
	for _, a := range p.Args {
		b.WriteString(" " + quoteArg(a))
	}
	if !p.IsBlock && len(p.Block) == 0 {
		return []string{prefix + indent + b.String() + "\n"}
	}
	out := []string{prefix + indent + b.String() + " {\n"}
	for _, c := range p.Block {
		out = append(out, renderUnit(c, indent+unit, unit, prefix)...)
	}
	return append(out, prefix+indent+"}\n")
}

// indentOf is the leading blank space of n's line, after any markers.
func indentOf(n *node) string {
	s := n.file.text(n.start)
	for strings.HasPrefix(s, Marker) {
		s = s[len(Marker):]
	}
	return s[:len(s)-len(strings.TrimLeft(s, " \t"))]
}

func markers(k int) string { return strings.Repeat(Marker, k) }

// argKey is how two argument lists compare: the values keepalived reads
// the same compare equal.
func argKey(kw string, args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if v, err := strconv.ParseUint(a, 10, 64); err == nil {
			a = strconv.FormatUint(v, 10)
		}
		switch kw {
		case "protocol", "lvs_method", "type":
			a = strings.ToUpper(a)
		}
		out[i] = a
	}
	return strings.Join(out, "\x00")
}

// same reports whether node n already says what p says.
func same(path string, n *node, p Param) bool {
	k := canon(path, n.kw)
	if k != canon(path, p.Keyword) || n.block != (p.IsBlock || len(p.Block) > 0) || argKey(k, n.args) != argKey(k, p.Args) {
		return false
	}
	if len(n.children) != len(p.Block) {
		return false
	}
	for i, c := range n.children {
		if !same(path+"/"+k, c, p.Block[i]) {
			return false
		}
	}
	return true
}

// reconcile rewrites the lines of block's children that keep(child)
// selects so that they say desired: equal lines stay, changed ones are
// replaced in place (keeping the operator's spelling of an alias), lines
// no longer wanted are removed, new ones are inserted after the last
// selected line.
func (c *change) reconcile(block *node, path string, desired []Param, keep func(*node) bool, atEnd bool) error {
	unit := indentUnit
	for _, n := range block.children {
		if n.file == block.file && n.start > block.start {
			if in, out := indentOf(n), indentOf(block); len(in) > len(out) && strings.HasPrefix(in, out) {
				unit = in[len(out):]
			}
			break
		}
	}
	used := make([]bool, len(desired))
	last := -1
	for _, n := range block.children {
		if !keep(n) {
			continue
		}
		if n.file != block.file {
			return fmt.Errorf("%w: %s comes from another file than its block %s", ErrReadOnly, n.pos(), block.pos())
		}
		k := canon(path, n.kw)
		idx := -1
		for i, d := range desired {
			if !used[i] && canon(path, d.Keyword) == k {
				idx = i
				break
			}
		}
		if n.end > last {
			last = n.end
		}
		if idx < 0 {
			c.replace(n.file, n.start, n.end+1)
			continue
		}
		used[idx] = true
		if same(path, n, desired[idx]) {
			continue
		}
		d := desired[idx]
		if !n.block && !d.IsBlock && len(d.Block) == 0 {
			d.Keyword = n.kw
		}
		c.replace(n.file, n.start, n.end+1, renderUnit(d, indentOf(n), unit, markers(n.marker))...)
	}
	var add []string
	indent := indentOf(block) + unit
	for _, n := range block.children {
		if n.file == block.file && n.start > block.start {
			indent = indentOf(n)
			break
		}
	}
	for i, d := range desired {
		if !used[i] {
			add = append(add, renderUnit(d, indent, unit, markers(block.marker))...)
		}
	}
	if len(add) == 0 {
		return nil
	}
	at := last + 1
	switch {
	case last < 0 && atEnd && block.end > block.start:
		at = block.end
	case last < 0:
		at = block.start + 1
		if block.file.items[block.start] < 2 {
			at++ // the brace is on the next line
		}
	}
	c.replace(block.file, at, at, add...)
	return nil
}

// refuse returns the read-only error for n, or nil.
func (t *Tree) refuse(what string, n *node) error {
	if why := t.readOnly(n); why != "" {
		return fmt.Errorf("%s at %s: %w: %s", what, n.pos(), ErrReadOnly, why)
	}
	return nil
}

// vsHeader is the virtual_server line's arguments.
func vsHeader(id ident.VS) []string {
	switch id.Kind {
	case ident.ByFWMark:
		return []string{"fwmark", strconv.FormatUint(uint64(id.FWMark), 10)}
	case ident.ByGroup:
		return []string{"group", id.Group}
	}
	return []string{id.Addr.String(), strconv.Itoa(int(id.Port))}
}

// managedName is the base name ILUKA gives a virtual server's files:
// VIP_PORT_PROTO with PROTO 0 for TCP, 1 for UDP (2 for SCTP, which ILUKA
// does not offer).
func managedName(id ident.VS) string {
	proto := map[string]string{"TCP": "0", "UDP": "1", "SCTP": "2"}[id.Proto]
	switch id.Kind {
	case ident.ByFWMark:
		if id.IPv6 {
			return "fwmark" + strconv.FormatUint(uint64(id.FWMark), 10) + "_inet6"
		}
		return "fwmark" + strconv.FormatUint(uint64(id.FWMark), 10)
	case ident.ByGroup:
		return "group_" + id.Group + "_" + proto
	}
	return id.Addr.String() + "_" + strconv.Itoa(int(id.Port)) + "_" + proto
}

// AddOptions qualify an add.
type AddOptions struct {
	// Disabled writes the object commented out (ILUKA's default; alived's
	// is enabled, since it validates before it applies).
	Disabled bool
}

// AddVS adds a virtual server with its first real servers (keepalived -t
// rejects a virtual server that has none) in its own files, in ILUKA's
// layout next to the main file: virtual_server.conf gets an include line
// (and the main file an `include ./virtual_server.conf` line if it has
// none yet), virtual_server/NAME.conf the block, and
// virtual_server/NAME/real_server.conf one include line per real server,
// each in NAME/RIP_RPORT.conf. opts.Disabled comments out the virtual
// server's include line; its real servers are written enabled.
func (t *Tree) AddVS(spec VSSpec, rss []RSSpec, opts AddOptions) (FileSet, error) {
	what := "add virtual server " + spec.ID.String()
	ps, err := spec.params()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if n, err := t.findVS(spec.ID); err == nil {
		return nil, fmt.Errorf("%s: it already exists at %s", what, n.pos())
	}
	c := t.change()
	dir := filepath.Dir(t.main)
	name := managedName(spec.ID)
	vsFile := filepath.Join(dir, "virtual_server", name+".conf")
	rsIndex := filepath.Join(dir, "virtual_server", name, "real_server.conf")
	var index strings.Builder
	seen := map[ident.RS]bool{}
	for _, r := range rss {
		rps, err := r.params()
		if err != nil {
			return nil, fmt.Errorf("%s: real server %s: %w", what, r.ID, err)
		}
		if seen[r.ID] {
			return nil, fmt.Errorf("%s: real server %s given twice", what, r.ID)
		}
		seen[r.ID] = true
		base := rsFileName(r.ID)
		c.add[filepath.Join(dir, "virtual_server", name, base)] = []byte(strings.Join(render(rsParam(r.ID, rps), "", ""), ""))
		index.WriteString("include ./" + base + "\n")
	}
	lines := render(Param{Keyword: "virtual_server", Args: vsHeader(spec.ID), Block: ps}, "", "")
	body := append(lines[:len(lines)-1:len(lines)-1], "\n", indentUnit+"include "+name+"/real_server.conf\n", "}\n")
	c.add[vsFile] = []byte(strings.Join(body, ""))
	c.add[rsIndex] = []byte(index.String())
	for p := range c.add {
		if _, ok := t.set[p]; ok {
			return nil, fmt.Errorf("%s: %s already exists", what, p)
		}
	}
	line := "include virtual_server/" + name + ".conf\n"
	if opts.Disabled {
		line = "#" + line
	}
	if err := c.addToIndex(filepath.Join(dir, "virtual_server.conf"), "./virtual_server.conf", line); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return c.result()
}

// rsFileName is ILUKA's name for a real server's file.
func rsFileName(id ident.RS) string {
	return id.Addr.String() + "_" + strconv.Itoa(int(id.Port)) + ".conf"
}

func rsParam(id ident.RS, ps []Param) Param {
	return Param{Keyword: "real_server", Args: []string{id.Addr.String(), strconv.Itoa(int(id.Port))}, Block: ps, IsBlock: true}
}

// addToIndex appends line to the managed index file, creating it and
// including it from the main file when it does not exist yet.
func (c *change) addToIndex(index, rel, line string) error {
	t := c.t
	if f := t.byPath[index]; f != nil {
		if f.ro != "" {
			return fmt.Errorf("%w: %s: %s", ErrReadOnly, index, f.ro)
		}
		c.appendLines(f, line)
		return nil
	}
	if _, ok := t.set[index]; ok {
		return fmt.Errorf("%s exists but the main file does not include it", index)
	}
	c.add[index] = []byte(line)
	c.appendLines(t.files[0], "include "+rel+"\n")
	return nil
}

// rsIndexOf is the real_server.conf include inside a managed virtual
// server's block, or nil.
func (t *Tree) rsIndexOf(vs *node) *file {
	for _, ref := range t.includes {
		if ref.commented || ref.glob || len(ref.targets) != 1 {
			continue
		}
		g := ref.targets[0]
		if filepath.Base(g.path) == "real_server.conf" && g.encl == vs {
			return g
		}
	}
	return nil
}

// AddRS adds a real server with its checks to a virtual server. For a
// virtual server in ILUKA's layout it goes to its own file
// (RIP_RPORT.conf, included from real_server.conf); otherwise it is
// inserted at the end of the virtual server's block.
func (t *Tree) AddRS(vs ident.VS, spec RSSpec, opts AddOptions) (FileSet, error) {
	what := fmt.Sprintf("add real server %s to %s", spec.ID, vs)
	ps, err := spec.params()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	v, err := t.findVS(vs)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := t.refuse(what, v); err != nil {
		return nil, err
	}
	if n, err := t.findRS(v, spec.ID); err == nil {
		return nil, fmt.Errorf("%s: it already exists at %s", what, n.pos())
	}
	rs := rsParam(spec.ID, ps)
	c := t.change()
	if idx := t.rsIndexOf(v); idx != nil {
		if idx.ro != "" {
			return nil, fmt.Errorf("%s: %w: %s", what, ErrReadOnly, idx.ro)
		}
		base := rsFileName(spec.ID)
		p := filepath.Join(filepath.Dir(idx.path), base)
		if _, ok := t.set[p]; ok {
			return nil, fmt.Errorf("%s: %s already exists", what, p)
		}
		c.add[p] = []byte(strings.Join(render(rs, "", ""), ""))
		line := "include ./" + base + "\n"
		if opts.Disabled {
			line = "#" + line
		}
		c.appendLines(idx, line)
		return c.result()
	}
	if v.end <= v.start {
		return nil, fmt.Errorf("%s: %w: the block of %s has no closing brace line of its own", what, ErrReadOnly, v.pos())
	}
	indent := indentOf(v) + indentUnit
	for _, ch := range v.children {
		if ch.kw == "real_server" && ch.file == v.file {
			indent = indentOf(ch)
		}
	}
	prefix := markers(v.marker)
	if opts.Disabled {
		prefix += Marker
	}
	c.replace(v.file, v.end, v.end, render(rs, indent, prefix)...)
	return c.result()
}

// SetVS changes a virtual server's own settings to spec (its real servers
// are left alone): lines whose values are unchanged stay byte for byte,
// changed ones are rewritten in place, lines for fields now empty are
// removed and new ones inserted after the existing settings.
func (t *Tree) SetVS(spec VSSpec) (FileSet, error) {
	what := fmt.Sprintf("change virtual server %s", spec.ID)
	ps, err := spec.params()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	v, err := t.findVS(spec.ID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := t.refuse(what, v); err != nil {
		return nil, err
	}
	// keepalived's default protocol is TCP: a block that does not say so
	// does not need a new line for it.
	have := map[string]bool{}
	for _, ch := range v.children {
		have[canon("virtual_server", ch.kw)] = true
	}
	kept := ps[:0:0]
	for _, p := range ps {
		if p.Keyword == "protocol" && !have["protocol"] && strings.EqualFold(p.Args[0], "TCP") {
			continue
		}
		kept = append(kept, p)
	}
	c := t.change()
	if err := c.reconcile(v, "virtual_server", kept, func(n *node) bool { return n.kw != "real_server" }, false); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return c.result()
}

// SetRS changes a real server's settings and checks to spec.
func (t *Tree) SetRS(vs ident.VS, spec RSSpec) (FileSet, error) {
	what := fmt.Sprintf("change real server %s of %s", spec.ID, vs)
	ps, err := spec.params()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	r, err := t.rsNode(vs, spec.ID)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	if err := t.refuse(what, r); err != nil {
		return nil, err
	}
	c := t.change()
	if err := c.reconcile(r, "virtual_server/real_server", ps, func(*node) bool { return true }, false); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return c.result()
}

func (t *Tree) rsNode(vs ident.VS, id ident.RS) (*node, error) {
	v, err := t.findVS(vs)
	if err != nil {
		return nil, err
	}
	return t.findRS(v, id)
}

// DeleteVS removes a virtual server: its include line and files in
// ILUKA's layout, else the lines of its block.
func (t *Tree) DeleteVS(id ident.VS) (FileSet, error) {
	n, err := t.findVS(id)
	if err != nil {
		return nil, fmt.Errorf("delete virtual server: %w", err)
	}
	return t.deleteNode("delete virtual server "+id.String(), n)
}

// DeleteRS removes a real server with its checks.
func (t *Tree) DeleteRS(vs ident.VS, id ident.RS) (FileSet, error) {
	n, err := t.rsNode(vs, id)
	if err != nil {
		return nil, fmt.Errorf("delete real server %s of %s: %w", id, vs, err)
	}
	return t.deleteNode(fmt.Sprintf("delete real server %s of %s", id, vs), n)
}

func (t *Tree) deleteNode(what string, n *node) (FileSet, error) {
	if err := t.refuse(what, n); err != nil {
		return nil, err
	}
	c := t.change()
	if ref := t.managedInclude(n); ref != nil {
		if ref.file.ro != "" {
			return nil, fmt.Errorf("%s: %w: %s", what, ErrReadOnly, ref.file.ro)
		}
		c.replace(ref.file, ref.line, ref.line+1)
		c.remove[n.file.path] = true
		for _, f := range t.files {
			if t.within(f, n) {
				c.remove[f.path] = true
			}
		}
		return c.result()
	}
	if n.end < n.start || (n.block && n.end == n.start && n.file.items[n.start] > 3) {
		return nil, fmt.Errorf("%s: %w: its block has no lines of its own", what, ErrReadOnly)
	}
	c.replace(n.file, n.start, n.end+1)
	return c.result()
}

// EnableVS enables a disabled virtual server.
func (t *Tree) EnableVS(id ident.VS) (FileSet, error) { return t.toggleVS(id, true) }

// DisableVS disables a virtual server, keeping it in its file.
func (t *Tree) DisableVS(id ident.VS) (FileSet, error) { return t.toggleVS(id, false) }

// EnableRS enables a disabled real server.
func (t *Tree) EnableRS(vs ident.VS, id ident.RS) (FileSet, error) { return t.toggleRS(vs, id, true) }

// DisableRS disables a real server, keeping it in its file.
func (t *Tree) DisableRS(vs ident.VS, id ident.RS) (FileSet, error) { return t.toggleRS(vs, id, false) }

func (t *Tree) toggleVS(id ident.VS, on bool) (FileSet, error) {
	n, err := t.findVS(id)
	if err != nil {
		return nil, fmt.Errorf("%s virtual server: %w", verb(on), err)
	}
	return t.toggle(fmt.Sprintf("%s virtual server %s", verb(on), id), n, on)
}

func (t *Tree) toggleRS(vs ident.VS, id ident.RS, on bool) (FileSet, error) {
	n, err := t.rsNode(vs, id)
	if err != nil {
		return nil, fmt.Errorf("%s real server %s of %s: %w", verb(on), id, vs, err)
	}
	return t.toggle(fmt.Sprintf("%s real server %s of %s", verb(on), id, vs), n, on)
}

func verb(on bool) string {
	if on {
		return "enable"
	}
	return "disable"
}

// ownMarkers is how many markers n carries beyond those of the block
// around it in the same file.
func ownMarkers(n *node) int {
	if n.parent != nil && n.parent.file == n.file {
		return n.marker - n.parent.marker
	}
	return n.marker
}

// toggle enables or disables n. In ILUKA's layout the include line of
// n's file is commented out or back in; elsewhere every line of n gets
// (or loses) the Marker prefix. Doing what is already done changes
// nothing.
func (t *Tree) toggle(what string, n *node, on bool) (FileSet, error) {
	if err := t.refuse(what, n); err != nil {
		return nil, err
	}
	c := t.change()
	if ref := t.managedInclude(n); ref != nil && ownMarkers(n) == 0 {
		if ref.file.ro != "" {
			return nil, fmt.Errorf("%s: %w: %s", what, ErrReadOnly, ref.file.ro)
		}
		line := ref.file.lines[ref.line]
		switch {
		case on && ref.commented:
			i := strings.Index(line, "#include")
			line = line[:i] + line[i+1:]
		case !on && !ref.commented:
			line = "#" + line
		default:
			if on && n.disabled {
				return nil, fmt.Errorf("%s: it is inside something disabled (%s:%d)", what, ref.file.path, ref.line+1)
			}
			return c.result()
		}
		c.replace(ref.file, ref.line, ref.line+1, line)
		return c.result()
	}
	own := ownMarkers(n)
	switch {
	case on && own == 0 && n.disabled:
		return nil, fmt.Errorf("%s: it is disabled because the block or include around it is", what)
	case on && own == 0, !on && own > 0:
		return c.result()
	}
	if n.end < n.start {
		return nil, fmt.Errorf("%s: %w: its block has no lines of its own", what, ErrReadOnly)
	}
	var repl []string
	for i := n.start; i <= n.end; i++ {
		l := n.file.lines[i]
		if on {
			if !strings.HasPrefix(l, Marker) {
				return nil, fmt.Errorf("%s: line %s:%d lost its %q prefix; enable it by hand", what, n.file.path, i+1, Marker)
			}
			l = l[len(Marker):]
		} else {
			l = Marker + l
		}
		repl = append(repl, l)
	}
	c.replace(n.file, n.start, n.end+1, repl...)
	return c.result()
}

// globalDefs is the first global_defs block, or nil.
func (t *Tree) globalDefs() *node {
	for _, f := range t.files {
		for _, n := range f.roots {
			if n.kw == "global_defs" && n.parent == nil && !n.disabled {
				return n
			}
		}
	}
	return nil
}

// Globals returns the notification settings as written.
func (t *Tree) Globals() Globals {
	var g Globals
	n := t.globalDefs()
	if n == nil {
		return g
	}
	for _, c := range n.children {
		switch {
		case c.kw == "notification_email" && c.block:
			for _, e := range c.children {
				g.NotificationEmail = append(g.NotificationEmail, e.kw)
				g.NotificationEmail = append(g.NotificationEmail, e.args...)
			}
		case c.kw == "notification_email_from" && len(c.args) > 0:
			g.NotificationEmailFrom = c.args[0]
		case c.kw == "smtp_server" && len(c.args) > 0:
			g.SMTPServer = c.args[0]
			if len(c.args) > 1 {
				if v, err := strconv.ParseUint(c.args[1], 10, 16); err == nil {
					p := uint16(v)
					g.SMTPPort = &p
				}
			}
		case c.kw == "smtp_connect_timeout" && len(c.args) > 0:
			if v, err := strconv.ParseUint(c.args[0], 10, 32); err == nil {
				x := uint32(v)
				g.SMTPConnectTimeout = &x
			}
		}
	}
	return g
}

// SetGlobals sets the notification settings in global_defs (adding a
// global_defs block at the top of the main file when there is none);
// empty fields remove their lines, other global_defs lines stay.
func (t *Tree) SetGlobals(g Globals) (FileSet, error) {
	ps, err := g.params()
	if err != nil {
		return nil, fmt.Errorf("set globals: %w", err)
	}
	c := t.change()
	n := t.globalDefs()
	if n == nil {
		if len(ps) == 0 {
			return c.result()
		}
		c.replace(t.files[0], 0, 0, render(Param{Keyword: "global_defs", Block: ps, IsBlock: true}, "", "")...)
		return c.result()
	}
	if err := t.refuse("set globals", n); err != nil {
		return nil, err
	}
	if err := c.reconcile(n, "global_defs", ps, func(m *node) bool { return globalsKW[m.kw] }, true); err != nil {
		return nil, fmt.Errorf("set globals: %w", err)
	}
	return c.result()
}
