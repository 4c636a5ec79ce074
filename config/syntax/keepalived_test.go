package syntax

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/alived/alived/internal/testenv"
)

// The fixtures in testdata/diff use only keywords keepalived does not know,
// so `keepalived -t` reports every line it ends up with as
// "(file: Line N) Unknown keyword 'WORD'", in order. That makes real
// keepalived 2.2.7 an oracle for the preprocessor: the keyword sequence
// and line numbers it reports must equal ours. Each fixture starts with
// BEGIN, which marks the start of each of keepalived's parse passes; only
// the first (the parent's, reading the real files) is compared, because the
// child processes re-read a flattened copy with bugs of its own (2.2.7
// duplicates conditional includes there, and a comment line inside a
// multi-line definition ends the definition).

var unknownRE = regexp.MustCompile(`^\((?:(.*): )?Line (\d+)\) Unknown keyword '(.*)'$`)

// keepalivedKeywords runs keepalived -t on path and returns its first
// pass as "file:line keyword" lines (file is a base name, empty for the
// main file when it is the only one).
func keepalivedKeywords(t *testing.T, bin, path string) []string {
	t.Helper()
	out, _ := exec.Command(bin, "-t", "-i", "host1", "-f", path).CombinedOutput() // exit status is non-zero by design
	var got []string
	begins := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		m := unknownRE.FindStringSubmatch(sc.Text())
		if m == nil || m[3] == "}" {
			continue
		}
		if m[3] == "BEGIN" {
			begins++
			if begins > 1 {
				break
			}
		}
		file := ""
		if m[1] != "" && m[1] != path {
			file = filepath.Base(m[1])
		}
		got = append(got, fmt.Sprintf("%s:%s %s", file, m[2], m[3]))
	}
	if begins == 0 {
		t.Fatalf("keepalived output has no BEGIN keyword:\n%s", out)
	}
	return got
}

// ourKeywords flattens our tree the same way.
func ourKeywords(path string, nodes []*Node) []string {
	var out []string
	var walk func([]*Node)
	walk = func(ns []*Node) {
		for _, n := range ns {
			file := ""
			if n.Pos.File != path {
				file = filepath.Base(n.Pos.File)
			}
			out = append(out, fmt.Sprintf("%s:%d %s", file, n.Pos.Line, n.Keyword))
			walk(n.Children)
		}
	}
	walk(nodes)
	return out
}

func TestAgreesWithKeepalived(t *testing.T) {
	bin := testenv.RequireBinary(t, "keepalived")
	files, err := filepath.Glob("testdata/diff/*.conf")
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			abs, err := filepath.Abs(f)
			if err != nil {
				t.Fatal(err)
			}
			want := keepalivedKeywords(t, bin, abs)
			if len(want) < 5 {
				t.Fatalf("keepalived reported only %q; the fixture tests nothing", want)
			}
			nodes, _ := Parse(abs, Options{ConfigID: "host1"})
			got := ourKeywords(abs, nodes)
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Errorf("keyword sequence differs from keepalived's\n%s", lineDiff(want, got))
			}
		})
	}
}

// lineDiff shows want and got side by side.
func lineDiff(want, got []string) string {
	var b strings.Builder
	n := max(len(want), len(got))
	for i := 0; i < n; i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		mark := "  "
		if w != g {
			mark = "! "
		}
		fmt.Fprintf(&b, "%s%-50s | %s\n", mark, w, g)
	}
	return b.String()
}

// exitStatus runs keepalived -t on path and returns its exit status:
// 0 valid, 5 configuration errors, 6 errors that stop keepalived (in
// 2.2.7; the man page's numbers are one lower).
func exitStatus(t *testing.T, bin, path string) int {
	t.Helper()
	err := exec.Command(bin, "-t", "-f", path).Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.ExitCode()
	}
	t.Fatalf("running keepalived: %v", err)
	return -1
}

// worst is the status keepalived -t would give for our diagnostics.
func worst(diags []Diagnostic) int {
	st := 0
	for _, d := range diags {
		switch d.Severity {
		case Fatal:
			return 6
		case Error:
			st = 5
		}
	}
	return st
}

// Include problems are only logged, are errors, or stop keepalived,
// depending on the include variant and include_check; keepalived's -t exit
// status must match the worst severity we report.
func TestIncludeSeverityAgreesWithKeepalived(t *testing.T) {
	bin := testenv.RequireBinary(t, "keepalived")
	dir := t.TempDir()
	for name, body := range map[string]string{"sub/a.conf": "# nothing\n", "empty/readme.txt": "x\n"} {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, src := range []string{
		"include nope.conf",
		"includer nope.conf",
		"includem nope.conf",
		"includem none/*.conf",
		"includem empty/*.conf",
		"includew empty/*.conf",
		"include none/*.conf",
		"includeb sub/{a,nope}.conf",
		"include sub/{a,nope}.conf",
		"includea nope.conf",
		"include sub/a.conf",
		"global_defs {\n include_check\n}\ninclude nope.conf",
		"global_defs {\n include_check match\n}\ninclude empty/*.conf",
		"global_defs {\n include_check readable\n}",
		"}",
		"a {",
	} {
		path := filepath.Join(dir, "t.conf")
		if err := os.WriteFile(path, []byte(src+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		want := exitStatus(t, bin, path)
		_, diags := Parse(path, Options{ConfigID: "x"})
		if got := worst(diags); got != want {
			t.Errorf("%q: keepalived -t exits %d, our diagnostics say %d: %v", src, want, got, diags)
		}
	}
}

// The sample configurations shipped with the keepalived package (read in
// place, not copied) have no syntax-level problems.
func TestKeepalivedSamplesParse(t *testing.T) {
	testenv.RequireBinary(t, "keepalived")
	const dir = "/usr/share/doc/keepalived/samples"
	files, err := filepath.Glob(dir + "/keepalived.conf.*")
	if err != nil || len(files) == 0 {
		t.Fatalf("keepalived is installed but %s has no samples: %v", dir, err)
	}
	for _, f := range files {
		nodes, diags := Parse(f, Options{ConfigID: "x"})
		for _, d := range diags {
			if d.Severity >= Error {
				t.Errorf("%s", d)
			}
		}
		if len(nodes) == 0 {
			t.Errorf("%s: no nodes", f)
		}
	}
}
