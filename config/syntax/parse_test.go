package syntax

import (
	"strings"
	"testing"
)

func TestParseBlocksAndComments(t *testing.T) {
	src := `! Configuration File for keepalived
global_defs {
   router_id LVS_DEVEL   # trailing comment
   notification_email {
     a@b.c
   }
}

vrrp_instance VI_1
{
    state MASTER ! bang comment
    virtual_ipaddress { 10.0.0.1/24 dev eth0 }
}
virtual_server 10.0.0.1 80 { delay_loop 6 }
`
	nodes, diags := parseString(t, src)
	requireNoDiags(t, diags)
	want := `global_defs {
  router_id "LVS_DEVEL"
  notification_email {
    a@b.c
vrrp_instance "VI_1" {
  state "MASTER"
  virtual_ipaddress {
    10.0.0.1/24 "dev" "eth0"
virtual_server "10.0.0.1" "80" {
  delay_loop "6"
`
	if got := dump(nodes); got != want {
		t.Fatalf("tree:\n%s\nwant:\n%s", got, want)
	}
}

func TestParsePositions(t *testing.T) {
	src := "global_defs {\n\n  router_id X\n}\nvrrp_instance A { state BACKUP }\n"
	nodes, diags := parseString(t, src)
	requireNoDiags(t, diags)
	if got := nodes[0].Children[0].Pos.String(); got != "/etc/keepalived/keepalived.conf:3" {
		t.Errorf("router_id at %s", got)
	}
	if got := nodes[1].Children[0].Pos.Line; got != 5 {
		t.Errorf("state at line %d, want 5", got)
	}
}

func TestParseQuotes(t *testing.T) {
	src := `notify_master "/usr/bin/x.sh arg # not a comment" user  # comment
word"glued"
a "" b
s "{ not a block }"
`
	nodes, diags := parseString(t, src)
	requireNoDiags(t, diags)
	n := nodes[0]
	if n.Keyword != "notify_master" || len(n.Args) != 2 || n.Args[0] != "/usr/bin/x.sh arg # not a comment" || n.Args[1] != "user" {
		t.Errorf("args %q", n.Args)
	}
	if n.Raw != `"/usr/bin/x.sh arg # not a comment" user` {
		t.Errorf("raw %q", n.Raw)
	}
	// A double quote ends an unquoted word (keepalived's alloc_strvec).
	if got := nodes[1]; got.Keyword != "word" || len(got.Args) != 1 || got.Args[0] != "glued" {
		t.Errorf("glued: %q %q", got.Keyword, got.Args)
	}
	if got := nodes[2].Args; len(got) != 2 || got[0] != "" || got[1] != "b" {
		t.Errorf("empty quoted arg: %q", got)
	}
	if got := nodes[3]; got.Block || len(got.Args) != 1 || got.Args[0] != "{ not a block }" {
		t.Errorf("quoted braces: %+v", got)
	}
}

func TestParseEscapedCommentChars(t *testing.T) {
	nodes, diags := parseString(t, `smtp_helo a\#b\!c "q\#"`)
	requireNoDiags(t, diags)
	if got := nodes[0].Args; got[0] != "a#b!c" || got[1] != `q\#` {
		t.Errorf("args %q", got)
	}
}

func TestParseRawTrimmed(t *testing.T) {
	nodes, _ := parseString(t, "script   \"/bin/check 'a b'\"   # c\n")
	if nodes[0].Raw != `"/bin/check 'a b'"` {
		t.Errorf("raw %q", nodes[0].Raw)
	}
	if nodes[0].Keyword != "script" {
		t.Errorf("keyword %q", nodes[0].Keyword)
	}
}

func TestParseUnbalanced(t *testing.T) {
	_, diags := parseString(t, "a {\n b\n}\n}\n")
	requireDiag(t, diags, Error, 4, "extra '}'")

	_, diags = parseString(t, "a {\n b {\n c\n}\n")
	requireDiag(t, diags, Error, 1, "not closed")

	_, diags = parseString(t, "a\nb\n{\n}\n{\n")
	requireDiag(t, diags, Error, 5, "unexpected '{'")
}

func TestParseUnmatchedQuote(t *testing.T) {
	_, diags := parseString(t, "a {\n b \"c d\n}\n")
	requireDiag(t, diags, Error, 2, "quote")
}

func TestParseDeepNesting(t *testing.T) {
	depth := maxDepth + 50
	src := strings.Repeat("a {\n", depth) + "leaf\n" + strings.Repeat("}\n", depth) + "after\n"
	nodes, diags := parseString(t, src)
	requireDiag(t, diags, Error, maxDepth+1, "nested")
	if len(nodes) != 2 || nodes[1].Keyword != "after" {
		t.Fatalf("parsing did not resume after the deep block: %s", dump(nodes))
	}
}

func TestParseCRLF(t *testing.T) {
	nodes, diags := parseString(t, "a {\r\n  b c\r\n}\r\n")
	requireNoDiags(t, diags)
	if dump(nodes) != "a {\n  b \"c\"\n" {
		t.Errorf("got %s", dump(nodes))
	}
}

func TestParseMissingMainFile(t *testing.T) {
	m := &memFS{files: map[string]string{}}
	_, diags := Parse("/nope/keepalived.conf", m.options())
	if len(diags) != 1 || diags[0].Severity != Fatal {
		t.Fatalf("diags %v", diags)
	}
}

func TestParseFromFile(t *testing.T) {
	nodes, diags := Parse("testdata/basic.conf", Options{ConfigID: "x"})
	requireNoDiags(t, diags)
	if len(nodes) == 0 || nodes[0].Keyword != "global_defs" {
		t.Fatalf("got %s", dump(nodes))
	}
	if nodes[0].Pos.File != "testdata/basic.conf" {
		t.Errorf("file %q", nodes[0].Pos.File)
	}
}

// keepalived compares the first word with the braces, so quoted braces on
// a line of their own open and close blocks too.
func TestParseQuotedBraces(t *testing.T) {
	nodes, diags := parseString(t, "a\n\"{\"\nb\n\"}\" ignored\nc\n")
	requireNoDiags(t, diags)
	if got := dump(nodes); got != "a {\n  b\nc\n" {
		t.Fatalf("tree:\n%s", got)
	}
}
