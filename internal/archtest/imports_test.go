// Package archtest keeps the package boundaries of docs/architecture.md true:
// each rule names a package and what it must not depend on.
package archtest

import (
	"encoding/json"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/alived/alived"

// rule forbids a package (and, with tree, its subpackages) to depend on
// other project packages (transitively) or to import standard-library
// packages directly.
type rule struct {
	pkg        string
	tree       bool     // the rule also covers pkg/...
	noProject  []string // project packages (and their subtrees), transitive
	noStdlib   []string // standard packages, direct imports only
	why        string
	exceptSelf []string // subpackages of pkg exempt from the rule
}

var runtimePkgs = []string{"vrrp", "bfd", "ipvs", "healthcheck", "notify", "api", "metrics", "internal/daemon",
	"internal/lvs", "internal/vrrpd", "internal/bfdd"}

var rules = []rule{
	{pkg: "config", tree: true, noProject: runtimePkgs,
		why: "the config front end is a pure library the runtime depends on, never the reverse"},
	{pkg: "vrrp", noProject: []string{"config", "notify", "ipvs", "healthcheck", "internal/daemon"},
		noStdlib: []string{"os", "net", "syscall", "os/exec"},
		why:      "the VRRP core is a deterministic state machine: no sockets, no files (use net/netip); TestCoresHaveNoClock checks the clock"},
	{pkg: "vrrp", tree: true, exceptSelf: []string{"vrrp"}, noProject: []string{"config"},
		why: "VRRP I/O adapters take plain parameters, not config types"},
	{pkg: "bfd", noProject: []string{"config", "notify", "ipvs", "healthcheck", "vrrp", "internal/daemon"},
		noStdlib: []string{"os", "net", "syscall", "os/exec"},
		why:      "the BFD core is a deterministic state machine like the VRRP one; TestCoresHaveNoClock checks the clock"},
	{pkg: "bfd", tree: true, exceptSelf: []string{"bfd"}, noProject: []string{"config"},
		why: "BFD I/O adapters take plain parameters, not config types"},
	{pkg: "healthcheck", tree: true, noProject: []string{"ipvs", "vrrp"},
		why: "checkers emit transitions; the daemon decides what they do to IPVS and VRRP"},
	{pkg: "ipvs", tree: true, noProject: []string{"healthcheck", "vrrp"},
		why: "the reconciler receives weights with health already applied"},
	{pkg: "ipvs", tree: true, noProject: []string{"config"},
		why: "ipvs takes its own types; internal/lvs (the component that owns the table) is the one translation from config"},
	{pkg: "notify", tree: true, noProject: []string{"vrrp", "ipvs"},
		why: "notify has its own event type"},
	{pkg: "notify", tree: true, noProject: []string{"config"},
		why: "notify takes its own types; internal/notifyconf is the one translation from config"},
	{pkg: "api", tree: true, noProject: []string{"internal/daemon"},
		why: "the API talks to the daemon through an interface"},
	{pkg: "metrics", tree: true, noProject: []string{"internal/daemon"},
		why: "collectors read snapshots"},
	{pkg: "internal/confstore", noProject: []string{"config"},
		why: "the config store writes bytes; keepalived syntax is config/edit's business"},
	{pkg: "internal/textdiff", noStdlib: []string{"os", "os/exec", "syscall", "net"},
		why: "diffs are pure text functions"},
	{pkg: "status", tree: true, noProject: runtimePkgs,
		why: "status is the view every reader shares; it describes the runtime, it does not depend on it"},
	{pkg: "internal/lvs", tree: true, noProject: []string{"internal/daemon", "internal/vrrpd", "internal/bfdd"},
		why: "components plug into the loop: the daemon imports them and wires them to each other"},
	{pkg: "internal/vrrpd", tree: true, noProject: []string{"internal/daemon", "internal/lvs", "internal/bfdd"},
		why: "components plug into the loop: the daemon imports them and wires them to each other"},
	{pkg: "internal/bfdd", tree: true, noProject: []string{"internal/daemon", "internal/lvs", "internal/vrrpd"},
		why: "components plug into the loop: the daemon imports them and wires them to each other"},
}

type listed struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []listed {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

func within(path, pkg string, tree bool) bool {
	full := module + "/" + pkg
	return path == full || (tree && strings.HasPrefix(path, full+"/"))
}

func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) == 0 {
		t.Fatal("go list found no packages")
	}
	for _, r := range rules {
		for _, p := range pkgs {
			if !within(p.ImportPath, r.pkg, r.tree) {
				continue
			}
			exempt := false
			for _, e := range r.exceptSelf {
				if p.ImportPath == module+"/"+e {
					exempt = true
				}
			}
			if exempt {
				continue
			}
			for _, d := range p.Deps {
				for _, bad := range r.noProject {
					if within(d, bad, true) {
						t.Errorf("%s depends on %s: %s", p.ImportPath, d, r.why)
					}
				}
			}
			for _, imp := range p.Imports {
				for _, bad := range r.noStdlib {
					if imp == bad {
						t.Errorf("%s imports %s: %s", p.ImportPath, imp, r.why)
					}
				}
			}
		}
	}
}

// TestRulesCatchViolations makes sure the checker itself can fail: a fake
// package list with a forbidden edge must be reported.
func TestRulesCatchViolations(t *testing.T) {
	for _, edge := range [][2]string{
		{"config", "vrrp"},
		{"ipvs", "config"},
		{"notify", "config/syntax"},
	} {
		p := listed{ImportPath: module + "/" + edge[0], Deps: []string{module + "/" + edge[1]}}
		found := false
		for _, r := range rules {
			if !within(p.ImportPath, r.pkg, r.tree) {
				continue
			}
			for _, d := range p.Deps {
				for _, bad := range r.noProject {
					if within(d, bad, true) {
						found = true
					}
				}
			}
		}
		if !found {
			t.Errorf("a %s → %s dependency was not flagged", edge[0], edge[1])
		}
	}
}
