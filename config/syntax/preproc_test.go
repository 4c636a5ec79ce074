package syntax

import (
	"reflect"
	"strings"
	"testing"
)

// keywords lists the keywords of a tree depth-first, with the arguments
// of each node, one string per node.
func keywords(nodes []*Node) []string {
	var out []string
	var walk func([]*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			out = append(out, strings.TrimSpace(n.Keyword+" "+strings.Join(n.Args, " ")))
			walk(n.Children)
		}
	}
	walk(nodes)
	return out
}

func requireKeywords(t *testing.T, nodes []*Node, want ...string) {
	t.Helper()
	if got := keywords(nodes); !reflect.DeepEqual(got, want) {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
}

func TestConditionalLines(t *testing.T) {
	src := `@host1 a_host1
@^host1 b_not_host1
@other c_other
@^other d_not_other
@host1
@host1	e_tab
$IF_MAIN=@host1
$IF_MAIN f_via_definition
$IF_OTHER=@other
$IF_OTHER g_never
@host1 $P=240
@other $P=100
priority $P
`
	nodes, diags := parseString(t, src) // ConfigID host1
	requireNoDiags(t, diags)
	requireKeywords(t, nodes, "a_host1", "d_not_other", "e_tab", "f_via_definition", "priority 240")

	// An empty id never matches, even an empty ConfigID.
	nodes, _ = ParseBytes("/k.conf", []byte("@ a\n@^ b\n"), Options{})
	requireKeywords(t, nodes, "b")
}

func TestDefinitions(t *testing.T) {
	src := `$X=hello
a_${X}_end
b_$X.a
c $X
d_$X,e
f_$X)g
$Y = 1
$Z=
h_${Z}_
$R=r${S}r
$S=s
i_${R}
j_${UNDEF} "${UNDEF}"
$X=bye
k $X
`
	nodes, diags := parseString(t, src)
	requireNoDiags(t, diags)
	requireKeywords(t, nodes,
		"a_hello_end",
		"b_$X.a",    // $NAME must be followed by blank, ',', ')' or the end
		"c hello",   //
		"d_hello,e", //
		"f_hello)g", //
		"$Y = 1",    // a blank before '=' makes it an ordinary line
		"h__",       // empty value
		"i_rsr",     // expanded at use time, recursively
		"j_$",       // undefined: left alone, so its braces split the line (2.2.7)
		"UNDEF",     // ... into "j_$", "{", "UNDEF", "}", and the quoted rest
		"${UNDEF}",
		"k bye", // redefinition
	)
}

// keepalived 2.2.7 decomments a line again after substitution, so
// ${_HASH} and ${_BANG} only survive inside double quotes.
func TestHashAndBang(t *testing.T) {
	src := `a${_HASH}b
"q${_HASH}q" x${_BANG}y
$_HASH=H
c${_HASH}
`
	nodes, diags := parseString(t, src)
	requireNoDiags(t, diags)
	requireKeywords(t, nodes, "a", "q#q x", "cH")
}

func TestMultilineDefinitions(t *testing.T) {
	src := `$M=\
m1 \
m2_${V}
$V=v1
$M
$V=v2
$M
$INNER=\
i1_${V} \
i2_${V}
$OUTER=\
o1 \
$INNER \
o2
$OUTER
$N=\
# a comment line inside is skipped
n1 \

after_blank
$E=\

e_${E}x
$B= \
blk { \
  child \
}
$B
`
	nodes, diags := parseString(t, src)
	requireNoDiags(t, diags)
	requireKeywords(t, nodes,
		"m1", "m2_v1", "m1", "m2_v2",
		"o1", "i1_v2", "i2_v2", "o2",
		"after_blank", // the blank line ended $N, which was never used
		"e_x",         // $E=\ then a blank line: an empty, single-line value
		"blk", "child",
	)
	if n := nodes[len(nodes)-1]; !n.Block || n.Pos.Line != 28 {
		t.Errorf("block from a multi-line definition: block=%v pos=%s, want line of the use (28)", n.Block, n.Pos)
	}
}

func TestSeq(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"~SEQ(I,5) x_${I}", []string{"x_1", "x_2", "x_3", "x_4", "x_5"}},
		{"~SEQ(I,-3) x_${I}", []string{"x_-1", "x_-2", "x_-3"}},
		{"~SEQ(I,0) x_${I}", []string{"x_1", "x_0"}}, // start 1, step -1
		{"~SEQ(I,3,1) x_${I}", []string{"x_3", "x_2", "x_1"}},
		{"~SEQ(I,1,3,10) x_${I}", []string{"x_1", "x_4", "x_7", "x_10"}},
		{"~SEQx(I,0x9,0x2,0xf) x_${I}", []string{"x_9", "x_b", "x_d", "x_f"}},
		{"~SEQx(I, 144, 16, 192) x_${I}", []string{"x_90", "x_a0", "x_b0", "x_c0"}},
		{"~SEQ(I,010,012) x_${I}", []string{"x_8", "x_9", "x_10"}}, // strtol base 0: octal
		{"~SEQ (I , 1 , 2 ) x_${I}", []string{"x_1", "x_2"}},
		{"$LO=2\n~SEQ(I,$LO,3) x_${I}", []string{"x_2", "x_3"}},
		{"~SEQ(A,0,1) ~SEQ(B,0,1) x_${A}_${B}", []string{"x_0_0", "x_0_1", "x_1_0", "x_1_1"}},
		{"~SEQ(I,1,2) $I", []string{"1", "2"}},
	}
	for _, tt := range tests {
		nodes, diags := parseString(t, tt.line)
		requireNoDiags(t, diags)
		if got := keywords(nodes); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestSeqErrors(t *testing.T) {
	for _, line := range []string{
		"~SEQ(5) x",        // no variable
		"~SEQ(I,1,-1,3) x", // step goes the wrong way
		"~SEQ(I,1,0,3) x",  // zero step
		"~SEQx(I,-1,1) x",  // negative hex
		"~SEQ(I,1,2 x",     // no ')'
		"~SEQ(I,1;2) x",    // bad separator
		"~SEQfoo x",        // no '('
		"~LST(Q,1,2,3 x",
		"~LST({A,B},{1,2,3}) x", // too many values
	} {
		nodes, diags := parseString(t, line)
		if len(nodes) != 0 {
			t.Errorf("%q produced %q", line, keywords(nodes))
		}
		requireDiag(t, diags, Error, 1, "~")
	}
}

func TestLst(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"~LST(IP, 1, 2, 3) x_${IP}", []string{"x_1", "x_2", "x_3"}},
		{"~LST({IP, IP1}, {10,1},{20,4},{5}) x_${IP}_${IP1}", []string{"x_10_1", "x_20_4", "x_5_"}},
		{"~LST(IP, 1, 2) ~LST(IP1, 5,6) x_${IP}_${IP1}", []string{"x_1_5", "x_1_6", "x_2_5", "x_2_6"}},
		{"~LST({IP, IP1}, {10,1},{20,4}) ~SEQ(IP2,168,2,170) 192.${IP2}.${IP}.${IP1}",
			[]string{"192.168.10.1", "192.170.10.1", "192.168.20.4", "192.170.20.4"}},
	}
	for _, tt := range tests {
		nodes, diags := parseString(t, tt.line)
		requireNoDiags(t, diags)
		if got := keywords(nodes); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.line, got, tt.want)
		}
	}
}

// A ~SEQ whose text is a multi-line definition repeats the whole
// definition, and a definition whose value starts with ~SEQ is expanded
// as a sequence.
func TestSeqWithDefinitions(t *testing.T) {
	src := `$V=\
a_${P} \
b_${P}
~SEQ(P,1,2) $V
after
$W=~SEQ(Q,1,2) w_${Q}
$W
`
	nodes, diags := parseString(t, src)
	requireNoDiags(t, diags)
	requireKeywords(t, nodes, "a_1", "b_1", "a_2", "b_2", "after", "w_1", "w_2")
}

func TestPredefined(t *testing.T) {
	m := &memFS{files: map[string]string{}}
	opts := m.options()
	opts.Random = func(min, max uint64) uint64 { return min*1000 + max }
	opts.LookupEnv = func(k string) (string, bool) {
		if k == "HOME_DIR" {
			return "/home/x", true
		}
		return "", false
	}
	src := `pwd ${_PWD}
inst ${_INSTANCE}
r ${_RANDOM} ${_RANDOM 5} ${_RANDOM 5 10}
env ${_ENV HOME_DIR} "${_ENV NOPE}"
`
	nodes, diags := ParseBytes("/etc/keepalived/keepalived.conf", []byte(src), opts)
	requireNoDiags(t, diags)
	requireKeywords(t, nodes,
		"pwd /etc/keepalived",
		"inst host1",
		"r 32767 37767 5010", // fake Random returns min*1000+max: defaults 0..32767
		"env /home/x",
	)
	if env := nodes[3].Args; len(env) != 2 || env[1] != "" {
		t.Errorf("unset variable: %q", env)
	}
	opts.Instance = "blue"
	nodes, _ = ParseBytes("/x.conf", []byte("i ${_INSTANCE}"), opts)
	requireKeywords(t, nodes, "i blue")
}

func TestBraceResidueIsPreprocessed(t *testing.T) {
	// The text after a brace is read as a new line, so it gets the full
	// preprocessing, including @id selection.
	nodes, diags := parseString(t, "$X=v\nblk { @host1 a $X }\nblk2 { @other b }\nc\n}\nd\n")
	requireNoDiags(t, diags)
	// "@other b }" is dropped whole, closing brace included, so c lands
	// inside blk2 (keepalived 2.2.7 does the same).
	requireKeywords(t, nodes, "blk", "a v", "blk2", "c", "d")
	if len(nodes) != 3 || len(nodes[1].Children) != 1 {
		t.Fatalf("tree:\n%s", dump(nodes))
	}
}

func TestRecursiveDefinitionIsBounded(t *testing.T) {
	// keepalived 2.2.7 loops forever on this one.
	nodes, diags := parseString(t, "$A=${A}\nx ${A}\nafter\n")
	requireDiag(t, diags, Error, 2, "substitutions")
	if got := keywords(nodes); got[len(got)-1] != "after" {
		t.Fatalf("parsing did not go on: %q", got)
	}
	// This one grows: keepalived stops at its 1023-byte line limit.
	nodes, diags = parseString(t, "$L=x${L}\nl ${L}\n")
	requireDiag(t, diags, Error, 2, "longer than 1023")
	if len(nodes) != 1 || len(nodes[0].Args[0]) > maxLineLen {
		t.Fatalf("line grew beyond the limit: %d nodes", len(nodes))
	}
}

func TestHugeSeqIsBounded(t *testing.T) {
	r := newReader((&memFS{files: map[string]string{}}).options())
	r.byteLimit = 1 << 20
	text := strings.Repeat("x", 1000)
	r.pushBytes("/k.conf", []byte("~SEQ(I,1,9223372036854775807) "+text+"\nnever\n"))
	nodes := build(r)
	requireDiag(t, r.diags, Error, 1, "expands to more than")
	if n := len(nodes); n == 0 || n*len(text) > r.byteLimit {
		t.Fatalf("%d nodes", n)
	}
	if nodes[len(nodes)-1].Keyword == "never" {
		t.Fatal("reading went on after the budget was exhausted")
	}
}

func TestLineBudget(t *testing.T) {
	r := newReader((&memFS{files: map[string]string{}}).options())
	r.lineLimit = 100
	r.pushBytes("/k.conf", []byte("~SEQ(A,1,1000) ~SEQ(B,1,1000) x\n"))
	nodes := build(r)
	requireDiag(t, r.diags, Error, 1, "expands to more than 100 lines")
	if len(nodes) > 100 {
		t.Fatalf("%d nodes", len(nodes))
	}
}

func TestLongAndBrokenLines(t *testing.T) {
	long := strings.Repeat("a", 1<<20)
	nodes, diags := parseString(t, "k "+long+"\nnext\nnul x\x00hidden\n")
	requireDiag(t, diags, Error, 1, "bytes long")
	requireDiag(t, diags, Warning, 3, "NUL")
	if len(nodes) != 3 || len(nodes[0].Args[0]) != 1<<20 || nodes[2].Raw != "x" {
		t.Fatalf("got %d nodes", len(nodes))
	}
}

func TestDiagnosticsAreCapped(t *testing.T) {
	_, diags := parseString(t, strings.Repeat("}\n", 5000))
	if len(diags) != maxDiags+1 {
		t.Fatalf("%d diagnostics, want %d", len(diags), maxDiags+1)
	}
	if !strings.Contains(diags[maxDiags].Msg, "not shown") || diags[maxDiags].Severity != Error {
		t.Errorf("last diagnostic %v", diags[maxDiags])
	}
	// A Fatal problem after the cap still shows in the marker.
	m := &memFS{files: map[string]string{"/k/main.conf": strings.Repeat("}\n", 5000) + "includem nope.conf\n"}}
	_, diags = Parse("/k/main.conf", m.options())
	if d := diags[len(diags)-1]; d.Severity != Fatal {
		t.Errorf("marker severity %s, want fatal", d.Severity)
	}
}

func TestStrtol(t *testing.T) {
	tests := []struct {
		in   string
		v    int64
		next int
	}{
		{"12,", 12, 2}, {" -7)", -7, 3}, {"0x1f)", 31, 4}, {"010", 8, 3}, {"09", 0, 1},
		{"0x", 0, 1}, {",", 0, 0}, {"+", 0, 0}, {"99999999999999999999", 1<<63 - 1, 20},
		{"-99999999999999999999", -1 << 63, 21},
	}
	for _, tt := range tests {
		v, n := strtol(tt.in, 0)
		if v != tt.v || n != tt.next {
			t.Errorf("strtol(%q) = %d, %d; want %d, %d", tt.in, v, n, tt.v, tt.next)
		}
	}
}
