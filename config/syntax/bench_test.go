package syntax

import (
	"os"
	"testing"
)

// BenchmarkParseSeq65024 parses the man page's largest ~SEQ example, which
// expands to 65,024 vrrp_instance blocks (about 1.2 million lines).
func BenchmarkParseSeq65024(b *testing.B) {
	src, err := os.ReadFile("testdata/seq65024.conf")
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{ConfigID: "bench"}
	b.ReportAllocs()
	for b.Loop() {
		nodes, diags := ParseBytes("/etc/keepalived/keepalived.conf", src, opts)
		if len(nodes) != 2*65024 || len(diags) != 0 {
			b.Fatalf("got %d nodes, %d diagnostics", len(nodes), len(diags))
		}
	}
}

func TestSeq65024(t *testing.T) {
	if testing.Short() {
		t.Skip("large expansion")
	}
	nodes, diags := Parse("testdata/seq65024.conf", Options{ConfigID: "x"})
	requireNoDiags(t, diags)
	if len(nodes) != 2*65024 {
		t.Fatalf("got %d top-level nodes, want %d", len(nodes), 2*65024)
	}
	first, last := nodes[1], nodes[len(nodes)-1]
	if first.Keyword != "vrrp_instance" || first.Args[0] != "vrrp4.0.0.1" {
		t.Errorf("first instance %s %q", first.Keyword, first.Args)
	}
	if last.Keyword != "vrrp_instance" || last.Args[0] != "vrrp4.7.31.254" {
		t.Errorf("last instance %s %q", last.Keyword, last.Args)
	}
	if got := last.Children[4].Children[0].Keyword; got != "10.7.31.254/24" {
		t.Errorf("last VIP %q", got)
	}
	if last.Pos.Line != 22 {
		t.Errorf("expanded lines should carry the ~SEQ line's position, got %s", last.Pos)
	}
}
