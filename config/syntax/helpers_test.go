package syntax

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
	"testing"
)

// dump renders a tree compactly: one node per line, indented by depth,
// "keyword [args...] @line" with a trailing "{" for blocks.
func dump(nodes []*Node) string {
	var b strings.Builder
	var walk func([]*Node, int)
	walk = func(ns []*Node, depth int) {
		for _, n := range ns {
			b.WriteString(strings.Repeat("  ", depth))
			b.WriteString(n.Keyword)
			for _, a := range n.Args {
				fmt.Fprintf(&b, " %q", a)
			}
			if n.Block {
				b.WriteString(" {")
			}
			b.WriteString("\n")
			walk(n.Children, depth+1)
		}
	}
	walk(nodes, 0)
	return b.String()
}

// memFS is an in-memory file system for Options.ReadFile/Glob that records
// every file the parser asked for.
type memFS struct {
	files  map[string]string
	opened []string
}

func (m *memFS) readFile(name string) ([]byte, error) {
	m.opened = append(m.opened, name)
	s, ok := m.files[path.Clean(name)]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return []byte(s), nil
}

func (m *memFS) glob(pattern string) ([]string, error) {
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, err
	}
	// Directories exist implicitly: every parent of a file.
	names := map[string]bool{}
	for name := range m.files {
		for n := name; n != "/" && n != "."; n = path.Dir(n) {
			names[n] = true
		}
	}
	var out []string
	for name := range names {
		if ok, _ := path.Match(path.Clean(pattern), name); ok {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *memFS) options() Options {
	return Options{ReadFile: m.readFile, Glob: m.glob, ConfigID: "host1",
		LookupEnv: func(string) (string, bool) { return "", false }}
}

// parseString parses src as file "/etc/keepalived/keepalived.conf" with no
// other files available.
func parseString(t *testing.T, src string) ([]*Node, []Diagnostic) {
	t.Helper()
	m := &memFS{files: map[string]string{}}
	return ParseBytes("/etc/keepalived/keepalived.conf", []byte(src), m.options())
}

func diagStrings(ds []Diagnostic) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.String()
	}
	return out
}

func requireNoDiags(t *testing.T, ds []Diagnostic) {
	t.Helper()
	if len(ds) != 0 {
		t.Fatalf("unexpected diagnostics:\n%s", strings.Join(diagStrings(ds), "\n"))
	}
}

// requireDiag fails unless some diagnostic has the severity, the line and
// a message containing substr.
func requireDiag(t *testing.T, ds []Diagnostic, sev Severity, line int, substr string) {
	t.Helper()
	for _, d := range ds {
		if d.Severity == sev && d.Pos.Line == line && strings.Contains(d.Msg, substr) {
			return
		}
	}
	t.Fatalf("no %s at line %d containing %q in:\n%s", sev, line, substr, strings.Join(diagStrings(ds), "\n"))
}
