package config

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/alived/alived/config/syntax"
)

// decoder walks the keyword tree and fills the model. It never stops at a
// bad line: like keepalived it reports the problem and goes on, so that one
// run shows every mistake.
type decoder struct {
	cfg   *Config
	diags []syntax.Diagnostic
	// set records which keywords were given explicitly per model object,
	// for the inheritance rules applied after decoding.
	set map[any]map[string]bool
	// instanceNames detects duplicate vrrp_instance names in O(1); ~SEQ
	// can produce tens of thousands of instances.
	instanceNames map[string]bool
}

func newDecoder() *decoder {
	return &decoder{cfg: &Config{}, set: map[any]map[string]bool{}, instanceNames: map[string]bool{}}
}

// Decode turns a parsed tree into a Config with keepalived's defaults
// applied. The diagnostics are those keepalived reports while reading the
// file (unknown keywords, bad values); host-dependent checks are in
// Validate.
func Decode(nodes []*syntax.Node) (*Config, []syntax.Diagnostic) {
	d := newDecoder()
	d.walk(registryOnce(), nodes, d.cfg)
	d.finish()
	return d.cfg, d.diags
}

func (d *decoder) report(pos syntax.Pos, sev syntax.Severity, format string, args ...any) {
	d.diags = append(d.diags, syntax.Diagnostic{Pos: pos, Severity: sev, Msg: fmt.Sprintf(format, args...)})
}

// errorf reports a configuration error: keepalived logs it, goes on, and
// `-t` exits 5.
func (d *decoder) errorf(n *syntax.Node, format string, args ...any) {
	d.report(n.Pos, syntax.Error, format, args...)
}

// warnf reports something keepalived only logs.
func (d *decoder) warnf(n *syntax.Node, format string, args ...any) {
	d.report(n.Pos, syntax.Warning, format, args...)
}

func (d *decoder) markSet(obj any, key string) {
	m := d.set[obj]
	if m == nil {
		m = map[string]bool{}
		d.set[obj] = m
	}
	m[key] = true
}

func (d *decoder) isSet(obj any, key string) bool { return d.set[obj][key] }

// walk decodes the children of a block into target using spec.
func (d *decoder) walk(spec *blockSpec, nodes []*syntax.Node, target any) {
	for _, n := range nodes {
		k := spec.lookup(n.Keyword)
		if k == nil {
			d.errorf(n, "Unknown keyword '%s'", n.Keyword)
			continue
		}
		if k.info.Status == StatusNotYet {
			d.warnf(n, "keyword '%s' is not supported by alived yet - ignoring", n.Keyword)
			continue
		}
		k.fn(d, n, target)
	}
}

// MsgMissingParameter starts the message for a keyword given without a
// required argument. keepalived 2.2.7 aborts the load on it and `-t` exits
// 2 (ExitMissingParam), unlike other configuration errors.
const MsgMissingParameter = "*** Configuration line starting"

// needArgs checks that n has at least min arguments.
func (d *decoder) needArgs(n *syntax.Node, min int) bool {
	if len(n.Args) < min {
		d.errorf(n, "%s `%s` is missing a parameter after keyword `%s` at word position %d", MsgMissingParameter, n.Keyword, n.Keyword, len(n.Args)+2)
		return false
	}
	return true
}

// haveArgs is needArgs for the keywords whose keepalived handler checks the
// argument count itself and reports an ordinary configuration error.
func (d *decoder) haveArgs(n *syntax.Node, min int) bool {
	if len(n.Args) < min {
		d.errorf(n, "%s: missing argument - ignoring", n.Keyword)
		return false
	}
	return true
}

// noBlock complains when a value keyword is followed by a block.
func (d *decoder) wantBlock(n *syntax.Node) bool {
	if !n.Block {
		d.errorf(n, "%s: expected a '{' block", n.Keyword)
		return false
	}
	return true
}

// optStr reads a string whose absence keepalived reports as an ordinary
// error (not the exit-2 missing parameter).
func (d *decoder) optStr(n *syntax.Node) string {
	if !d.haveArgs(n, 1) {
		return ""
	}
	return n.Args[0]
}

func (d *decoder) str(n *syntax.Node) (string, bool) {
	if !d.needArgs(n, 1) {
		return "", false
	}
	return n.Args[0], true
}

// integer parses Args[i] in [lo, hi] the way keepalived's read_int does.
func (d *decoder) integer(n *syntax.Node, i int, lo, hi int64) (int, bool) {
	if !d.needArgs(n, i+1) {
		return 0, false
	}
	return d.parseInt(n, n.Args[i], lo, hi)
}

func (d *decoder) parseInt(n *syntax.Node, s string, lo, hi int64) (int, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		d.errorf(n, "invalid number '%s'", s)
		return 0, false
	}
	if v < lo || v > hi {
		d.errorf(n, "number '%s' outside range [%d, %d]", s, lo, hi)
		return 0, false
	}
	return int(v), true
}

// seconds parses a decimal number of seconds (keepalived's read_timer /
// read_decimal) in [lo, hi] seconds.
func (d *decoder) seconds(n *syntax.Node, i int, lo, hi float64) (time.Duration, bool) {
	if !d.needArgs(n, i+1) {
		return 0, false
	}
	return d.parseSeconds(n, n.Args[i], lo, hi)
}

func (d *decoder) parseSeconds(n *syntax.Node, s string, lo, hi float64) (time.Duration, bool) {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		d.errorf(n, "invalid number '%s'", s)
		return 0, false
	}
	if v < lo || v > hi {
		d.errorf(n, "number '%s' outside range [%f, %f]", s, lo, hi)
		return 0, false
	}
	return time.Duration(math.Round(v*float64(time.Second/time.Microsecond))) * time.Microsecond, true
}

// boolean reads an optional on/off argument; no argument means true.
func (d *decoder) boolean(n *syntax.Node) (bool, bool) {
	if len(n.Args) == 0 {
		return true, true
	}
	switch strings.ToLower(n.Args[0]) {
	case "on", "true", "yes":
		return true, true
	case "off", "false", "no":
		return false, true
	}
	d.errorf(n, "Invalid value '%s' for %s specified", n.Args[0], n.Keyword)
	return false, false
}

func (d *decoder) addr(n *syntax.Node, i int) (netip.Addr, bool) {
	if !d.needArgs(n, i+1) {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(n.Args[i])
	if err != nil {
		d.errorf(n, "invalid IP address '%s'", n.Args[i])
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// port parses a TCP/UDP port number.
func (d *decoder) port(n *syntax.Node, s string) (uint16, bool) {
	v, ok := d.parseInt(n, s, 0, 65535)
	return uint16(v), ok
}

// script builds a Script from a notify-style line: the first argument is
// the command (quoted when it has arguments of its own), then optional
// user and group.
func (d *decoder) script(n *syntax.Node) *Script {
	if !d.needArgs(n, 1) {
		return nil
	}
	s := &Script{Cmd: n.Args[0], Pos: n.Pos}
	if len(n.Args) > 1 {
		s.User, s.Group = splitUserGroup(n.Args[1:])
	}
	d.splitScript(n, s)
	return s
}

// commandScript builds a Script from `script`/`misc_path`, where an
// unquoted command may run to the end of the line.
func (d *decoder) commandScript(n *syntax.Node) *Script {
	if !d.haveArgs(n, 1) {
		return nil
	}
	s := &Script{Cmd: strings.Join(n.Args, " "), Pos: n.Pos}
	if len(n.Args) == 1 {
		s.Cmd = n.Args[0]
	}
	d.splitScript(n, s)
	return s
}

func (d *decoder) splitScript(n *syntax.Node, s *Script) {
	argv, err := syntax.SplitCommand(s.Cmd)
	if err != nil {
		d.errorf(n, "%s: cannot split command '%s': %v", n.Keyword, s.Cmd, err)
		return
	}
	s.Args = argv
}

// splitUserGroup accepts "user", "user group", "user:group" and
// "user :group".
func splitUserGroup(args []string) (user, group string) {
	joined := strings.Join(args, " ")
	if u, g, ok := strings.Cut(joined, ":"); ok {
		return strings.TrimSpace(u), strings.TrimSpace(g)
	}
	user = args[0]
	if len(args) > 1 {
		group = args[1]
	}
	return user, group
}

// raw keeps a keyword verbatim.
func raw(n *syntax.Node) *RawKeyword {
	return &RawKeyword{Keyword: n.Keyword, Args: append([]string(nil), n.Args...), Pos: n.Pos}
}

// familyOf names the address family of a.
func familyOf(a netip.Addr) string {
	if a.Is4() {
		return "inet"
	}
	return "inet6"
}

// weightArgs parses "weight N [reverse|noreverse]" starting at Args[i].
func (d *decoder) weightArgs(n *syntax.Node, i int, lo, hi int64) (w int, reverse, ok bool) {
	if !d.needArgs(n, i+1) {
		return 0, false, false
	}
	w, ok = d.parseInt(n, n.Args[i], lo, hi)
	for _, a := range n.Args[i+1:] {
		switch a {
		case "reverse":
			reverse = true
		case "noreverse":
			reverse = false
		default:
			d.errorf(n, "%s: unknown option '%s'", n.Keyword, a)
		}
	}
	return w, reverse, ok
}
