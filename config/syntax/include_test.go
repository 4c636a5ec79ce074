package syntax

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestIncludeRelativeNestedAndPositions(t *testing.T) {
	m := &memFS{files: map[string]string{
		"/etc/k/main.conf":       "a\ninclude sub/one.conf\nb\n",
		"/etc/k/sub/one.conf":    "one ${_PWD}\ninclude d2/two.conf\n",
		"/etc/k/sub/d2/two.conf": "two\n",
		"/etc/k/unrelated.conf":  "never\n",
	}}
	nodes, diags := Parse("/etc/k/main.conf", m.options())
	requireNoDiags(t, diags)
	requireKeywords(t, nodes, "a", "one /etc/k/sub", "two", "b")
	two := nodes[2].Pos
	if two.File != "/etc/k/sub/d2/two.conf" || two.Line != 1 {
		t.Errorf("two at %s", two)
	}
	if got := two.Chain(); got != "included from /etc/k/sub/one.conf:2, /etc/k/main.conf:2" {
		t.Errorf("chain %q", got)
	}
	if nodes[3].Pos.String() != "/etc/k/main.conf:3" || nodes[3].Pos.Chain() != "" {
		t.Errorf("b at %s (%s)", nodes[3].Pos, nodes[3].Pos.Chain())
	}
	// The parser opens the main file and what include names, nothing else.
	want := []string{"/etc/k/main.conf", "/etc/k/sub/one.conf", "/etc/k/sub/d2/two.conf"}
	if !reflect.DeepEqual(m.opened, want) {
		t.Errorf("opened %q, want %q", m.opened, want)
	}
}

func TestIncludeGlobsAndBraces(t *testing.T) {
	m := &memFS{files: map[string]string{
		"/k/main.conf": `include conf.d/*.conf
include {x,conf.d/b}.conf
include conf.d/{c,a}.conf
`,
		"/k/conf.d/b.conf": "b\n",
		"/k/conf.d/a.conf": "a\n",
		"/k/conf.d/c.conf": "c\n",
	}}
	nodes, diags := Parse("/k/main.conf", m.options())
	// Glob matches are read in sorted order, brace alternatives in the
	// order written; a missing brace alternative is only logged.
	requireKeywords(t, nodes, "a", "b", "c", "b", "c", "a")
	if len(diags) != 1 {
		t.Fatalf("diagnostics: %v", diags)
	}
	requireDiag(t, diags, Warning, 2, "some config files missing")
}

func TestIncludeChecks(t *testing.T) {
	files := map[string]string{
		"/k/a.conf":           "a\n",
		"/k/bad.conf":         "unreadable\n",
		"/k/empty/readme.txt": "an existing directory without .conf files\n",
	}
	tests := []struct {
		name, src string
		sev       Severity // of the diagnostic on the include line; -1: none
		msg       string
		want      []string // keywords read
	}{
		{"plain missing", "include nope.conf", Warning, "config files missing", nil},
		{"plain no wildcard match", "include empty/*.conf", -1, "", nil},
		{"quotes are part of the name", `include "a.conf"`, Warning, "config files missing", nil},
		{"includer missing", "includer nope.conf", Warning, "config files missing", nil},
		{"includer unreadable", "includer bad.conf", Fatal, "cannot be read", nil},
		{"plain unreadable", "include bad.conf", Warning, "cannot be read", nil},
		{"includem missing", "includem nope.conf", Fatal, "config files missing", nil},
		{"includem no wildcard match", "includem empty/*.conf", -1, "", nil},
		{"includem wildcard in missing dir", "includem none/*.conf", Fatal, "config files missing", nil},
		{"include wildcard in missing dir", "include none/*.conf", Warning, "config files missing", nil},
		{"includew no wildcard match", "includew empty/*.conf", Fatal, "no config files matched", nil},
		{"includeb partial", "includeb {a,nope}.conf", Fatal, "some config files missing", nil},
		{"include partial", "include {a,nope}.conf", Warning, "some config files missing", []string{"a"}},
		{"includea missing", "includea nope.conf", Fatal, "config files missing", nil},
		{"include_check all", "global_defs {\ninclude_check\n}\ninclude nope.conf", Fatal, "missing", []string{"global_defs", "include_check"}},
		{"include_check match", "global_defs {\ninclude_check match\n}\ninclude empty/*.conf\ninclude nope.conf", Fatal, "missing", []string{"global_defs", "include_check match"}},
		{"include_check -match", "global_defs {\ninclude_check\ninclude_check -match\n}\ninclude nope.conf", Warning, "missing", []string{"global_defs", "include_check", "include_check -match"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &memFS{files: map[string]string{"/k/main.conf": tt.src + "\n"}}
			for k, v := range files {
				m.files[k] = v
			}
			opts := m.options()
			read := opts.ReadFile
			opts.ReadFile = func(name string) ([]byte, error) {
				if name == "/k/bad.conf" {
					return nil, errors.New("permission denied")
				}
				return read(name)
			}
			nodes, diags := Parse("/k/main.conf", opts)
			if got := keywords(nodes); !reflect.DeepEqual(got, tt.want) && (len(got) != 0 || len(tt.want) != 0) {
				t.Errorf("read %q, want %q", got, tt.want)
			}
			if tt.sev < 0 {
				requireNoDiags(t, diags)
				return
			}
			last := len(diags) - 1
			if last < 0 || diags[last].Severity != tt.sev || !contains(diags[last].Msg, tt.msg) {
				t.Errorf("diagnostics %v; want a %s containing %q", diags, tt.sev, tt.msg)
			}
		})
	}
}

func contains(s, sub string) bool { return len(sub) == 0 || len(s) >= len(sub) && indexOf(s, sub) >= 0 }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

// include_check set in an included file applies to that file only: it is
// restored when the file ends.
func TestIncludeCheckRestoredAtEndOfFile(t *testing.T) {
	m := &memFS{files: map[string]string{
		"/k/main.conf":   "include strict.conf\ninclude nope.conf\n",
		"/k/strict.conf": "global_defs {\ninclude_check\n}\ninclude nope.conf\n",
	}}
	_, diags := Parse("/k/main.conf", m.options())
	requireDiag(t, diags, Fatal, 4, "config files missing")
	requireDiag(t, diags, Warning, 2, "config files missing")
}

func TestAllConfigOption(t *testing.T) {
	m := &memFS{files: map[string]string{"/k/main.conf": "include nope.conf\n"}}
	opts := m.options()
	opts.AllConfig = true
	_, diags := Parse("/k/main.conf", opts)
	requireDiag(t, diags, Fatal, 1, "config files missing")
}

func TestIncludeLoops(t *testing.T) {
	m := &memFS{files: map[string]string{
		"/k/main.conf": "m\ninclude main.conf\ninclude a.conf\nend\n",
		"/k/a.conf":    "a\ninclude b.conf\n",
		"/k/b.conf":    "b\ninclude a.conf\ninclude ../k/main.conf\n",
	}}
	nodes, diags := Parse("/k/main.conf", m.options())
	requireKeywords(t, nodes, "m", "a", "b", "end")
	requireDiag(t, diags, Error, 2, "include loop")
	if n := len(diags); n != 3 {
		t.Errorf("want 3 loop diagnostics, got %v", diags)
	}
}

func TestIncludeDepthLimit(t *testing.T) {
	// Distinct names defeat loop detection; the depth limit still holds.
	files := map[string]string{}
	for i := 0; i < maxIncludeDepth+10; i++ {
		files["/k/f"+itoa(i)+".conf"] = "x" + itoa(i) + "\ninclude f" + itoa(i+1) + ".conf\n"
	}
	m := &memFS{files: files}
	nodes, diags := Parse("/k/f0.conf", m.options())
	requireDiag(t, diags, Error, 2, "nested more than")
	if len(nodes) != maxIncludeDepth {
		t.Errorf("read %d files, want %d", len(nodes), maxIncludeDepth)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

func TestMainFileGlob(t *testing.T) {
	m := &memFS{files: map[string]string{"/k/1.conf": "one\n", "/k/2.conf": "two\n"}}
	nodes, diags := Parse("/k/*.conf", m.options())
	requireKeywords(t, nodes, "one", "two")
	requireDiag(t, diags, Error, 0, "multiple configuration file matches")
}

func TestExpandBraces(t *testing.T) {
	tests := map[string][]string{
		"a{b,c}d":       {"abd", "acd"},
		"{a,b}{c,d}":    {"ac", "ad", "bc", "bd"},
		"a{b,c{d,e}}f":  {"abf", "acdf", "acef"},
		`a\{b,c}`:       {`a\{b,c}`},
		"a{b":           {"a{b"},
		"{a}":           {"a"},
		"/x/{,cat,dog}": {"/x/", "/x/cat", "/x/dog"},
		"plain":         {"plain"},
	}
	for in, want := range tests {
		if got := expandBraces(in); !reflect.DeepEqual(got, want) {
			t.Errorf("expandBraces(%q) = %q, want %q", in, got, want)
		}
	}
	if got := len(expandBraces("{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}{a,b}")); got > maxBraceAlternatives {
		t.Errorf("brace expansion not bounded: %d", got)
	}
}

// keepalived 2.2.7's man page documents "readable", but its parser only
// knows "read".
func TestIncludeCheckSpelling(t *testing.T) {
	nodes, diags := parseString(t, "global_defs {\n include_check readable\n include_check read\n}\n")
	requireDiag(t, diags, Error, 2, `unknown include_check type "readable"`)
	if len(diags) != 1 || len(nodes[0].Children) != 2 {
		t.Fatalf("diagnostics %v", diags)
	}
}

// The default file reader, like keepalived, skips anything but regular,
// non-executable files, so an include of a device or FIFO cannot hang.
func TestDefaultReaderRefusesSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	main := filepath.Join(dir, "main.conf")
	script := filepath.Join(dir, "script.conf")
	fifo := filepath.Join(dir, "fifo.conf")
	if err := os.WriteFile(script, []byte("exec\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscallMkfifo(fifo); err != nil {
		t.Skipf("no FIFO: %v", err)
	}
	src := "a\ninclude /dev/zero\ninclude script.conf\ninclude fifo.conf\ninclude .\nb\n"
	if err := os.WriteFile(main, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	nodes, diags := Parse(main, Options{ConfigID: "x"})
	requireKeywords(t, nodes, "a", "b")
	for _, line := range []int{2, 3, 4, 5} {
		requireDiag(t, diags, Warning, line, "cannot be read")
	}
}
