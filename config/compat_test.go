package config

import (
	"os"
	"strings"
	"testing"
)

// TestReadmeCompatTableIsCurrent fails when README.md's compatibility
// section differs from what the registry generates. Fix it with
// `go run ./config/internal/compatgen` from the repository root.
func TestReadmeCompatTableIsCurrent(t *testing.T) {
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, ok := ReplaceCompatSection(string(readme))
	if !ok {
		t.Fatalf("README.md lacks the %s / %s markers", CompatBegin, CompatEnd)
	}
	if want != string(readme) {
		t.Errorf("README.md compatibility table is stale; run: go run ./config/internal/compatgen")
	}
}

func TestCompatTableListsEveryKeywordOnce(t *testing.T) {
	table := CompatTable()
	rows := 0
	for _, line := range strings.Split(table, "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| block") {
			rows++
		}
	}
	if rows != len(Keywords()) {
		t.Errorf("table has %d rows, registry %d keywords", rows, len(Keywords()))
	}
	for _, want := range []string{"| virtual_server | `lb_algo` | supported | alias of `lvs_sched`",
		"| vrrp_instance | `use_vmac` | not yet | the daemon refuses a configuration that uses it",
		"| global_defs | `startup_script` | parsed | ", "| vrrp_instance | `auth_hmac` | not yet |"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}

// TestRuntimeStatusNamesRegisteredKeywords keeps the runtime audit table
// honest: an entry whose block or keyword is misspelt (or was renamed)
// would silently leave the keyword "parsed".
func TestRuntimeStatusNamesRegisteredKeywords(t *testing.T) {
	known := map[string]bool{}
	for _, k := range Keywords() {
		known[k.Block+" "+k.Name] = true
	}
	for key := range runtimeOnce() {
		if !known[key] {
			t.Errorf("runtime status entry %q names no registered keyword", key)
		}
	}
}

// TestRuntimeStatusAppliesToAliases checks that a legacy alias shows its
// target's audited status and that decoder-level "not yet" wins.
func TestRuntimeStatusAppliesToAliases(t *testing.T) {
	got := map[string]KeywordInfo{}
	for _, k := range Keywords() {
		got[k.Block+" "+k.Name] = k
	}
	for alias, target := range map[string]string{
		"virtual_server lb_kind":                           "virtual_server lvs_method",
		"global_defs lvs_flush_onstop":                     "global_defs lvs_flush_on_stop",
		"virtual_server/real_server/HTTP_GET nb_get_retry": "virtual_server/real_server/HTTP_GET retry",
	} {
		if got[alias].Status != StatusSupported || got[alias].Status != got[target].Status {
			t.Errorf("%s: status %v, its target %s has %v; want both supported", alias, got[alias].Status, target, got[target].Status)
		}
	}
	if s := got["vrrp_instance auth_hmac"].Status; s != StatusNotYet {
		t.Errorf("auth_hmac: status %v, want not yet (the decoder drops it)", s)
	}
}
