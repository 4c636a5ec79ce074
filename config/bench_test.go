package config

import (
	"fmt"
	"strings"
	"testing"

	"github.com/alived/alived/config/syntax"
)

// BenchmarkDecodeManyInstances decodes 8*254 = 2032 instances, the shape
// of the man page's ~SEQ example at an eighth of its size.
func BenchmarkDecodeManyInstances(b *testing.B) {
	var sb strings.Builder
	for i := range 8 {
		for id := 1; id <= 254; id++ {
			fmt.Fprintf(&sb, "vrrp_instance VI_%d_%d {\n state BACKUP\n interface eth%d\n virtual_router_id %d\n virtual_ipaddress {\n 10.%d.0.%d\n }\n}\n", i, id, i, id, i, id)
		}
	}
	nodes, diags := syntax.ParseBytes("many.conf", []byte(sb.String()), syntax.Options{})
	if len(diags) > 0 {
		b.Fatalf("parse: %v", diags[0])
	}
	b.ResetTimer()
	for range b.N {
		cfg, ds := Decode(nodes)
		if len(cfg.Instances) != 2032 || len(errorsOf(ds)) > 0 {
			b.Fatalf("instances = %d, errors %v", len(cfg.Instances), errorsOf(ds))
		}
	}
}
