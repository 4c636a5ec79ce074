package config

import (
	"path/filepath"
	"sort"
	"testing"

	"github.com/alived/alived/config/syntax"
)

// TestFixturesUseEveryKeyword keeps testdata/config honest: every keyword
// of the registry that keepalived 2.2.7 knows appears in some fixture, so
// the differential test exercises it against the real binary.
func TestFixturesUseEveryKeyword(t *testing.T) {
	files, err := filepath.Glob("../testdata/config/*.conf")
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	var walk func(nodes []*syntax.Node, spec *blockSpec, path string)
	walk = func(nodes []*syntax.Node, spec *blockSpec, path string) {
		for _, n := range nodes {
			k := spec.lookup(n.Keyword)
			if k == nil {
				continue
			}
			used[path+" "+n.Keyword] = true
			if k.sub != nil {
				sub := n.Keyword
				if path != "" {
					sub = path + "/" + n.Keyword
				}
				walk(n.Children, k.sub, sub)
			}
		}
	}
	for _, f := range files {
		nodes, _ := syntax.Parse(f, syntax.Options{ConfigID: "alived-test"})
		walk(nodes, registryOnce(), "")
	}
	// Keywords no fixture can use safely: they make keepalived -t enter or
	// need host objects the test environment does not have.
	exempt := map[string]string{
		" net_namespace":         "keepalived would switch network namespace",
		" net_namespace_ipvs":    "keepalived would switch network namespace",
		" namespace_with_ipsets": "only meaningful with net_namespace",
		"vrrp_instance vrf":      "needs a VRF device",
	}
	var missing []string
	for _, k := range Keywords() {
		if _, ok := exempt[k.Block+" "+k.Name]; ok || k.NotIn227 || k.Status == StatusNotYet || used[k.Block+" "+k.Name] {
			continue
		}
		missing = append(missing, k.Block+" "+k.Name)
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("no fixture uses %q", m)
	}
}
