package archtest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// forbiddenInCore are calls that would give the VRRP state machine a clock or
// a goroutine of its own; time must be an input to it.
var forbiddenInCore = regexp.MustCompile(`\btime\.(Now|Since|Until|Sleep|After|AfterFunc|NewTimer|NewTicker|Tick)\(|^\s*go\s+(func\b|[A-Za-z_][\w.]*\()`)

// TestCoresHaveNoClock keeps the protocol cores (VRRP, BFD) deterministic.
func TestCoresHaveNoClock(t *testing.T) {
	var files []string
	for _, core := range []string{"vrrp", "bfd"} {
		fs, err := filepath.Glob("../../" + core + "/*.go")
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) == 0 {
			t.Fatalf("no files in %s: the rule checks nothing", core)
		}
		files = append(files, fs...)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if forbiddenInCore.MatchString(line) {
				t.Errorf("%s:%d: %q: a protocol core must take time as an input and start no goroutines", f, i+1, strings.TrimSpace(line))
			}
		}
	}
}

func TestClockPatternMatches(t *testing.T) {
	for _, bad := range []string{"now := time.Now()", "\tgo func() {", "  go run(x)", "time.Sleep(d)"} {
		if !forbiddenInCore.MatchString(bad) {
			t.Errorf("pattern misses %q", bad)
		}
	}
	for _, ok := range []string{"d := time.Duration(5)", "// go on", "return ago(3)"} {
		if forbiddenInCore.MatchString(ok) {
			t.Errorf("pattern wrongly matches %q", ok)
		}
	}
}
