package syntax

import (
	"strings"
	"testing"
)

// fuzzSeeds are inputs that exercise every preprocessor path.
var fuzzSeeds = []string{
	"global_defs {\n router_id x\n}\nvrrp_instance V { state MASTER }\n",
	"$A=${A}\nx ${A}\n",
	"$L=x${L}\nl ${L}\n",
	"$M=\\\na \\\n$M\n$M\n",
	"~SEQ(I,1,3) ~LST({A,B},{1},{2,3}) x${I}${A}${B}\n",
	"~SEQ(I,1,9223372036854775807) x\n",
	"~SEQx(I,0x7ffffffffffffff0,0x7fffffffffffffff) x\n",
	"~LST(A,1,2\n~LST({A},{)\n~SEQ(\n~SEQ(I\n",
	"include main.conf\ninclude {a,b,{c,d}}.conf\ninclude *\n",
	"@host1 include a.conf\n@^host1 x\n@\n@^\n",
	"a { b { c } } } { {\n",
	"\"unterminated\n\\\n# \\\nx \\#\\!\"\\#\"\n",
	"x ${_RANDOM 1 2 3} ${_ENV X} ${_PWD} ${_HASH}${_BANG} ${_INSTANCE}\n",
	"global_defs {\ninclude_check +brace_match -read \"\"\n}\nincludeb {x,y}\n",
	"\x00\r\n\r\r\n",
}

// fuzzReader parses src as /k/main.conf next to two other files, with a
// line budget small enough that each input finishes quickly.
func fuzzParse(src []byte) ([]*Node, []Diagnostic) {
	m := &memFS{files: map[string]string{
		"/k/main.conf": string(src),
		"/k/a.conf":    string(src),
		"/k/b.conf":    "b\ninclude a.conf\n",
	}}
	r := newReader(m.options())
	r.lineLimit = 20_000
	r.byteLimit = 4 << 20
	r.pushBytes("/k/main.conf", src)
	return build(r), r.diags
}

func FuzzParseBytes(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		nodes, diags := fuzzParse(src)
		if len(diags) > maxDiags+1 {
			t.Fatalf("%d diagnostics", len(diags))
		}
		var walk func([]*Node, int)
		walk = func(ns []*Node, depth int) {
			if depth > maxDepth {
				t.Fatalf("tree deeper than %d", maxDepth)
			}
			for _, n := range ns {
				// An empty keyword is possible: `""` alone on a line
				// (keepalived reports "Unknown keyword ''").
				if n.Keyword == "{" || n.Keyword == "}" {
					t.Fatalf("brace as keyword at %s", n.Pos)
				}
				walk(n.Children, depth+1)
			}
		}
		walk(nodes, 0)
	})
}

func FuzzSplitCommand(f *testing.F) {
	for _, s := range []string{
		`/bin/a b 'c d' "e f"`, `a\ b`, `\x41\101\cA\E`, `'unterminated`, `trailing\`,
		`"\"" '\''`, "a\x00b", `\x`, `\c`, `""''`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		words, err := SplitCommand(raw)
		if err != nil {
			if words != nil {
				t.Fatalf("words %q with error %v", words, err)
			}
			return
		}
		// Words never carry unquoted, unescaped separators: splitting the
		// re-quoted words again gives the same words.
		var b strings.Builder
		for i, w := range words {
			if strings.IndexByte(w, 0) >= 0 {
				t.Fatalf("word %q has a NUL", w)
			}
			if i > 0 {
				b.WriteByte(' ')
			}
			b.WriteByte('\'')
			for j := 0; j < len(w); j++ {
				if w[j] == '\'' || w[j] == '\\' {
					b.WriteByte('\\')
				}
				b.WriteByte(w[j])
			}
			b.WriteByte('\'')
		}
		again, err := SplitCommand(b.String())
		if err != nil || len(again) != len(words) {
			t.Fatalf("re-split of %q: %q, %v; want %q", b.String(), again, err, words)
		}
		for i := range words {
			if again[i] != words[i] {
				t.Fatalf("re-split of %q: %q; want %q", b.String(), again, words)
			}
		}
	})
}
