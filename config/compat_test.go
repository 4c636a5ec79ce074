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
	for _, want := range []string{"| virtual_server | `lb_algo` | parsed | alias of `lvs_sched`", "| vrrp_instance | `auth_hmac` | not yet |"} {
		if !strings.Contains(table, want) {
			t.Errorf("table lacks %q", want)
		}
	}
}
