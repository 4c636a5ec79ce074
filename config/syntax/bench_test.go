package syntax

import (
	"os"
	"strings"
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

// TestSeqManPageExample checks the benchmark's input, with the outer two
// ranges narrowed (2 * 2 * 254 instances) so the fast tier stays fast;
// the benchmark itself checks the full count.
func TestSeqManPageExample(t *testing.T) {
	src, err := os.ReadFile("testdata/seq65024.conf")
	if err != nil {
		t.Fatal(err)
	}
	small := strings.Replace(string(src), "~SEQ(IF,0,7) ~SEQ(NUM,0,31)", "~SEQ(IF,6,7) ~SEQ(NUM,30,31)", 1)
	if small == string(src) {
		t.Fatal("fixture's ~SEQ line changed; update this test")
	}
	nodes, diags := ParseBytes("/etc/keepalived/keepalived.conf", []byte(small), Options{ConfigID: "x"})
	requireNoDiags(t, diags)
	if len(nodes) != 2*4*254 {
		t.Fatalf("got %d top-level nodes, want %d", len(nodes), 2*4*254)
	}
	first, last := nodes[1], nodes[len(nodes)-1]
	if first.Keyword != "vrrp_instance" || first.Args[0] != "vrrp4.6.30.1" {
		t.Errorf("first instance %s %q", first.Keyword, first.Args)
	}
	if last.Keyword != "vrrp_instance" || last.Args[0] != "vrrp4.7.31.254" {
		t.Errorf("last instance %s %q", last.Keyword, last.Args)
	}
	if got := last.Children[4].Children[0].Keyword; got != "10.7.31.254/24" {
		t.Errorf("last VIP %q", got)
	}
	if got := nodes[0].Children[0].Args[0]; got != "/etc/keepalived/679/track_files/4.6.30.1" {
		t.Errorf("track file %q", got)
	}
	if last.Pos.Line != 22 {
		t.Errorf("expanded lines should carry the ~SEQ line's position, got %s", last.Pos)
	}
}
