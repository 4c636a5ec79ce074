package config

import (
	"bufio"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/alived/alived/config/syntax"
)

// fixtureEnv is the host the expected exit codes were recorded on: a
// network namespace with lo and eth0..eth3.
var fixtureEnv = Env{Interface: func(name string) (bool, bool) {
	switch name {
	case "lo":
		return true, true
	case "eth0", "eth1", "eth2", "eth3":
		return true, false
	}
	return false, false
}}

// readExpected reads testdata/config/expected-exit.tsv: the exit code
// keepalived 2.2.7's `-t` gave for each fixture.
func readExpected(t *testing.T) map[string]int {
	t.Helper()
	f, err := os.Open("../testdata/config/expected-exit.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]int{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fields := strings.Split(line, "\t")
		code, err := strconv.Atoi(fields[1])
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		out[fields[0]] = code
	}
	return out
}

// TestFixturesMatchKeepalivedExitCodes runs the -t pipeline on every
// fixture with the recorded interfaces and compares with keepalived's
// recorded exit code. The differential test in cmd/alived re-records
// these codes against the real binary.
func TestFixturesMatchKeepalivedExitCodes(t *testing.T) {
	want := readExpected(t)
	// Deliberate differences: alived's own code replaces keepalived's.
	data, err := os.ReadFile("../testdata/config/known-differences.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		code, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("bad line %q", line)
		}
		want[f[0]] = code
	}
	files, err := filepath.Glob("../testdata/config/*.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("only %d fixtures", len(files))
	}
	for _, p := range files {
		name := filepath.Base(p)
		code, ok := want[name]
		if !ok {
			t.Errorf("%s has no recorded keepalived exit code", name)
			continue
		}
		cfg, diags := Load(p, LoadOptions{Syntax: syntax.Options{ConfigID: "alived-test"}})
		var rep ScriptReport
		if cfg != nil {
			diags = append(diags, cfg.Validate(fixtureEnv)...)
			rep = CheckScripts(cfg, HostSystem())
		}
		if got := ExitCode(diags, rep); got != code {
			var msgs []string
			for _, d := range append(diags, rep.Diagnostics...) {
				msgs = append(msgs, Format(d))
			}
			t.Errorf("%s: exit %d, keepalived %d\n\t%s", name, got, code, strings.Join(msgs, "\n\t"))
		}
	}
}
