package edit

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alived/alived/config/ident"
)

// loadDir reads every regular file under dir into a FileSet keyed by
// absolute path.
func loadDir(t *testing.T, dir string) FileSet {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	fs := FileSet{}
	err = filepath.Walk(abs, func(p string, fi os.FileInfo, err error) error {
		if err != nil || !fi.Mode().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		fs[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func mustOpen(t *testing.T, main string, fs FileSet) *Tree {
	t.Helper()
	tr, err := Open(main, fs, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func mvs(t *testing.T, s string) ident.VS {
	t.Helper()
	v, err := ident.ParseVS(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mrs(t *testing.T, s string) ident.RS {
	t.Helper()
	v, err := ident.ParseRS(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// changed lists the files that differ between a and b (added, removed or
// modified).
func changed(a, b FileSet) []string {
	var out []string
	for k, v := range a {
		if w, ok := b[k]; !ok || !bytes.Equal(v, w) {
			out = append(out, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	return out
}

// lineDiff counts lines removed from a and added in b, by a simple
// common prefix/suffix trim (enough for the local edits tested here).
func lineDiff(a, b []byte) (removed, added int) {
	al, bl := splitLines(a), splitLines(b)
	i := 0
	for i < len(al) && i < len(bl) && al[i] == bl[i] {
		i++
	}
	j := 0
	for j < len(al)-i && j < len(bl)-i && al[len(al)-1-j] == bl[len(bl)-1-j] {
		j++
	}
	return len(al) - i - j, len(bl) - i - j
}

const ilukaDir = "testdata/iluka"

func ilukaTree(t *testing.T) (*Tree, FileSet, string) {
	t.Helper()
	fs := loadDir(t, ilukaDir)
	main, _ := filepath.Abs(filepath.Join(ilukaDir, "keepalived.conf"))
	return mustOpen(t, main, fs), fs, main
}

func TestILUKAList(t *testing.T) {
	tr, _, _ := ilukaTree(t)
	vss := tr.VirtualServers()
	if len(vss) != 2 {
		t.Fatalf("got %d virtual servers, want 2: %+v", len(vss), vss)
	}
	web, dns := vss[0], vss[1]
	if web.Name != "192.168.0.10:80/tcp" || !web.Enabled || !web.Managed || web.ReadOnly != "" {
		t.Errorf("web = %+v", web)
	}
	if dns.Name != "192.168.0.10:53/udp" || dns.Enabled || !dns.Managed {
		t.Errorf("dns = %s enabled=%v managed=%v, want disabled managed", dns.Name, dns.Enabled, dns.Managed)
	}
	if web.Spec.Scheduler != "wrr" || web.Spec.Method != "NAT" || web.Spec.DelayLoop != "6" || *web.Spec.PersistenceTimeout != 300 ||
		web.Spec.SorryServer == nil || *web.Spec.SorryServer.Port != 80 {
		t.Errorf("web spec = %+v", web.Spec)
	}
	if len(web.RealServers) != 2 {
		t.Fatalf("web real servers: %+v", web.RealServers)
	}
	r1, r2 := web.RealServers[0], web.RealServers[1]
	if r1.Name != "192.168.0.21:80" || !r1.Enabled || !r1.Managed || *r1.Spec.Weight != 1 || len(r1.Spec.Checks) != 1 || r1.Spec.Checks[0].Keyword != "HTTP_GET" {
		t.Errorf("rs1 = %+v", r1)
	}
	if r2.Name != "192.168.0.22:80" || r2.Enabled {
		t.Errorf("rs2 = %+v, want disabled", r2)
	}
	if !strings.HasSuffix(r1.Location.File, "192.168.0.21_80.conf") || r1.Location.Line != 1 || r1.Location.EndLine != 17 {
		t.Errorf("rs1 location = %+v", r1.Location)
	}
	g := tr.Globals()
	if strings.Join(g.NotificationEmail, ",") != "admin@example.com,ops@example.com" || g.SMTPServer != "127.0.0.1" || *g.SMTPConnectTimeout != 30 {
		t.Errorf("globals = %+v", g)
	}
}

func TestILUKAToggleIsIncludeLine(t *testing.T) {
	tr, fs, dir := ilukaTree(t)
	dir = filepath.Dir(dir)
	index := filepath.Join(dir, "virtual_server.conf")
	out, err := tr.EnableVS(mvs(t, "192.168.0.10:53/udp"))
	if err != nil {
		t.Fatal(err)
	}
	if c := changed(fs, out); len(c) != 1 || c[0] != index {
		t.Fatalf("enable changed %v, want only %s", c, index)
	}
	want := "include virtual_server/192.168.0.10_80_0.conf\ninclude virtual_server/192.168.0.10_53_1.conf\n"
	if string(out[index]) != want {
		t.Fatalf("index = %q", out[index])
	}
	tr2 := mustOpen(t, tr.Main(), out)
	if !tr2.VirtualServers()[1].Enabled {
		t.Fatal("enabled VS still listed disabled")
	}
	back, err := tr2.DisableVS(mvs(t, "192.168.0.10:53/udp"))
	if err != nil {
		t.Fatal(err)
	}
	if c := changed(fs, back); len(c) != 0 {
		t.Fatalf("enable+disable changed %v", c)
	}
	// Real server: enable the disabled one.
	rsIndex := filepath.Join(dir, "virtual_server/192.168.0.10_80_0/real_server.conf")
	out, err = tr.EnableRS(mvs(t, "192.168.0.10:80"), mrs(t, "192.168.0.22:80"))
	if err != nil {
		t.Fatal(err)
	}
	if c := changed(fs, out); len(c) != 1 || c[0] != rsIndex || string(out[rsIndex]) != "include ./192.168.0.21_80.conf\ninclude ./192.168.0.22_80.conf\n" {
		t.Fatalf("enable rs changed %v: %q", c, out[rsIndex])
	}
}

func TestILUKAAddAndDelete(t *testing.T) {
	tr, fs, main := ilukaTree(t)
	dir := filepath.Dir(main)
	w := uint32(3)
	spec := RSSpec{ID: mrs(t, "192.168.0.23:80"), Weight: &w, Checks: []Param{{Keyword: "HTTP_GET", Block: []Param{
		{Keyword: "url", Block: []Param{{Keyword: "path", Args: []string{"/health"}}, {Keyword: "status_code", Args: []string{"200"}}}},
		{Keyword: "connect_timeout", Args: []string{"3"}},
	}}}}
	out, err := tr.AddRS(mvs(t, "192.168.0.10:80"), spec, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rsDir := filepath.Join(dir, "virtual_server/192.168.0.10_80_0")
	c := changed(fs, out)
	if len(c) != 2 {
		t.Fatalf("add rs changed %v", c)
	}
	if got := string(out[filepath.Join(rsDir, "real_server.conf")]); !strings.HasSuffix(got, "\ninclude ./192.168.0.23_80.conf\n") {
		t.Errorf("real_server.conf = %q", got)
	}
	wantRS := "real_server 192.168.0.23 80 {\n    weight 3\n    HTTP_GET {\n        url {\n            path /health\n            status_code 200\n        }\n        connect_timeout 3\n    }\n}\n"
	if got := string(out[filepath.Join(rsDir, "192.168.0.23_80.conf")]); got != wantRS {
		t.Errorf("rs file = %q", got)
	}
	// Delete the VS: include line and all its files go.
	out, err = tr.DeleteVS(mvs(t, "192.168.0.10:80"))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(out[filepath.Join(dir, "virtual_server.conf")]); got != "#include virtual_server/192.168.0.10_53_1.conf\n" {
		t.Errorf("index after delete = %q", got)
	}
	for _, p := range []string{"virtual_server/192.168.0.10_80_0.conf", "virtual_server/192.168.0.10_80_0/real_server.conf",
		"virtual_server/192.168.0.10_80_0/192.168.0.21_80.conf", "virtual_server/192.168.0.10_80_0/192.168.0.22_80.conf"} {
		if _, ok := out[filepath.Join(dir, p)]; ok {
			t.Errorf("%s survived the delete", p)
		}
	}
	if len(changed(fs, out)) != 5 {
		t.Errorf("delete changed %v", changed(fs, out))
	}
}

func TestILUKAAddVSAppendsIndexLine(t *testing.T) {
	tr, fs, main := ilukaTree(t)
	dir := filepath.Dir(main)
	out, err := tr.AddVS(VSSpec{ID: mvs(t, "192.168.0.11:443"), DelayLoop: "5", Scheduler: "rr", Method: "DR"}, nil, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, a := lineDiff(fs[filepath.Join(dir, "virtual_server.conf")], out[filepath.Join(dir, "virtual_server.conf")]); r != 0 || a != 1 {
		t.Errorf("index: -%d +%d lines, want +1", r, a)
	}
	if !bytes.Equal(fs[main], out[main]) {
		t.Error("main file changed although it already includes virtual_server.conf")
	}
	want := "virtual_server 192.168.0.11 443 {\n    delay_loop 5\n    lvs_sched rr\n    lvs_method DR\n    protocol TCP\n\n    include 192.168.0.11_443_0/real_server.conf\n}\n"
	if got := string(out[filepath.Join(dir, "virtual_server/192.168.0.11_443_0.conf")]); got != want {
		t.Errorf("vs file = %q", got)
	}
	if _, err := tr.AddVS(VSSpec{ID: mvs(t, "192.168.0.10:80")}, nil, AddOptions{}); err == nil {
		t.Error("adding an existing VS succeeded")
	}
	w := uint32(1)
	rss := []RSSpec{{ID: mrs(t, "192.168.0.51:443"), Weight: &w}, {ID: mrs(t, "[2001:db8::5]:443")}}
	out, err = tr.AddVS(VSSpec{ID: mvs(t, "192.168.0.11:443"), Scheduler: "rr"}, rss, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	vsDir := filepath.Join(dir, "virtual_server/192.168.0.11_443_0")
	if got := string(out[filepath.Join(vsDir, "real_server.conf")]); got != "include ./192.168.0.51_443.conf\ninclude ./2001:db8::5_443.conf\n" {
		t.Errorf("real_server.conf = %q", got)
	}
	if got := string(out[filepath.Join(vsDir, "192.168.0.51_443.conf")]); got != "real_server 192.168.0.51 443 {\n    weight 1\n}\n" {
		t.Errorf("rs file = %q", got)
	}
	v := mustOpen(t, main, out).VirtualServers()[2]
	if v.Name != "192.168.0.11:443/tcp" || len(v.RealServers) != 2 || !v.RealServers[1].Managed || v.RealServers[1].Name != "[2001:db8::5]:443" {
		t.Errorf("added VS listed as %+v", v)
	}
	if _, err := tr.AddVS(VSSpec{ID: mvs(t, "192.168.0.12:443")}, []RSSpec{rss[0], rss[0]}, AddOptions{}); err == nil {
		t.Error("a real server given twice was accepted")
	}
}

const plain = `! operator's own file
global_defs {
   router_id lb1   # the name
}

virtual_server 10.0.0.1 80 {
   delay_loop 6
   lb_algo rr
   # keep NAT
   lb_kind NAT
   protocol TCP

   real_server 10.0.1.1 80 {
      weight 1
      TCP_CHECK {
         connect_timeout 3
      }
   }
}
`

func plainTree(t *testing.T, extra ...string) (*Tree, FileSet) {
	t.Helper()
	fs := FileSet{"/etc/keepalived/keepalived.conf": []byte(plain + strings.Join(extra, ""))}
	return mustOpen(t, "/etc/keepalived/keepalived.conf", fs), fs
}

func TestPlainAddVSIncludesIndexOnce(t *testing.T) {
	tr, fs := plainTree(t)
	const main = "/etc/keepalived/keepalived.conf"
	out, err := tr.AddVS(VSSpec{ID: mvs(t, "10.0.0.2:80/udp"), Scheduler: "wrr", Method: "NAT"}, nil, AddOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r, a := lineDiff(fs[main], out[main]); r != 0 || a != 1 || !strings.HasSuffix(string(out[main]), "\ninclude ./virtual_server.conf\n") {
		t.Errorf("main: -%d +%d: %q", r, a, out[main])
	}
	if string(out["/etc/keepalived/virtual_server.conf"]) != "include virtual_server/10.0.0.2_80_1.conf\n" {
		t.Errorf("index = %q", out["/etc/keepalived/virtual_server.conf"])
	}
	// A second one only touches the index.
	tr2 := mustOpen(t, main, out)
	if n := len(tr2.VirtualServers()); n != 2 {
		t.Fatalf("after add: %d VS", n)
	}
	out2, err := tr2.AddVS(VSSpec{ID: mvs(t, "10.0.0.3:80")}, nil, AddOptions{Disabled: true})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out[main], out2[main]) {
		t.Error("second add changed the main file again")
	}
	if !strings.HasSuffix(string(out2["/etc/keepalived/virtual_server.conf"]), "\n#include virtual_server/10.0.0.3_80_0.conf\n") {
		t.Errorf("disabled add: %q", out2["/etc/keepalived/virtual_server.conf"])
	}
	if vs := mustOpen(t, main, out2).VirtualServers(); vs[2].Enabled {
		t.Error("VS added disabled is listed enabled")
	}
}

func TestPlainDisableEnableRestores(t *testing.T) {
	tr, fs := plainTree(t)
	const main = "/etc/keepalived/keepalived.conf"
	id := mvs(t, "10.0.0.1:80")
	out, err := tr.DisableVS(id)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out[main]), "\n")
	n := 0
	for _, l := range lines {
		if strings.HasPrefix(l, Marker) {
			n++
		}
	}
	if n != 14 {
		t.Errorf("%d marked lines, want the 14 of the block:\n%s", n, out[main])
	}
	tr2 := mustOpen(t, main, out)
	vs := tr2.VirtualServers()
	if len(vs) != 1 || vs[0].Enabled || len(vs[0].RealServers) != 1 {
		t.Fatalf("disabled VS listed as %+v", vs)
	}
	// Disabling its real server too, then enabling the VS, keeps the RS disabled.
	out2, err := tr2.DisableRS(id, mrs(t, "10.0.1.1:80"))
	if err != nil {
		t.Fatal(err)
	}
	tr3 := mustOpen(t, main, out2)
	out3, err := tr3.EnableVS(id)
	if err != nil {
		t.Fatal(err)
	}
	tr4 := mustOpen(t, main, out3)
	v := tr4.VirtualServers()[0]
	if !v.Enabled || v.RealServers[0].Enabled {
		t.Fatalf("after enable VS: vs %v rs %v", v.Enabled, v.RealServers[0].Enabled)
	}
	out5, err := tr4.EnableRS(id, mrs(t, "10.0.1.1:80"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out5[main], fs[main]) {
		t.Fatalf("disable/enable did not restore the text:\n%s", out5[main])
	}
}

func TestSetVSMinimal(t *testing.T) {
	tr, fs := plainTree(t)
	const main = "/etc/keepalived/keepalived.conf"
	spec := tr.VirtualServers()[0].Spec
	spec.Scheduler = "wlc"
	out, err := tr.SetVS(spec)
	if err != nil {
		t.Fatal(err)
	}
	if r, a := lineDiff(fs[main], out[main]); r != 1 || a != 1 || !strings.Contains(string(out[main]), "\n   lb_algo wlc\n") {
		t.Errorf("scheduler change: -%d +%d\n%s", r, a, out[main])
	}
	spec.DelayLoop = ""
	pt := uint32(60)
	spec.PersistenceTimeout = &pt
	out, err = tr.SetVS(spec)
	if err != nil {
		t.Fatal(err)
	}
	got := string(out[main])
	if strings.Contains(got, "delay_loop") || !strings.Contains(got, "   protocol TCP\n   persistence_timeout 60\n\n   real_server") || !strings.Contains(got, "# keep NAT") {
		t.Errorf("set: %s", got)
	}
	if len(splitLines(out[main])) != len(splitLines(fs[main])) {
		t.Errorf("one line removed and one added should keep the count")
	}
	// The real server's lines are untouched.
	if !strings.Contains(got, "   real_server 10.0.1.1 80 {\n      weight 1\n      TCP_CHECK {\n         connect_timeout 3\n      }\n   }\n}\n") {
		t.Errorf("real server changed:\n%s", got)
	}
}

func TestSetRSMinimal(t *testing.T) {
	tr, fs := plainTree(t)
	const main = "/etc/keepalived/keepalived.conf"
	rs := tr.VirtualServers()[0].RealServers[0].Spec
	w := uint32(5)
	rs.Weight = &w
	out, err := tr.SetRS(mvs(t, "10.0.0.1:80"), rs)
	if err != nil {
		t.Fatal(err)
	}
	if r, a := lineDiff(fs[main], out[main]); r != 1 || a != 1 || !strings.Contains(string(out[main]), "      weight 5\n") {
		t.Errorf("weight change: -%d +%d\n%s", r, a, out[main])
	}
	rs.Checks = []Param{{Keyword: "HTTP_GET", Block: []Param{{Keyword: "url", Block: []Param{{Keyword: "path", Args: []string{"/"}}, {Keyword: "digest", Args: []string{"9b3a0c85a887a256d6939da88aabd8cd"}}}}}}}
	out, err = tr.SetRS(mvs(t, "10.0.0.1:80"), rs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out[main]), "      HTTP_GET {\n         url {\n            path /\n            digest 9b3a0c85a887a256d6939da88aabd8cd\n         }\n      }\n") {
		t.Errorf("checker change:\n%s", out[main])
	}
}

func TestSetGlobals(t *testing.T) {
	tr, fs := plainTree(t)
	const main = "/etc/keepalived/keepalived.conf"
	to := uint32(30)
	port := uint16(25)
	g := Globals{NotificationEmail: []string{"a@example.com", "b@example.com"}, NotificationEmailFrom: "lb@example.com", SMTPServer: "192.0.2.1", SMTPPort: &port, SMTPConnectTimeout: &to}
	out, err := tr.SetGlobals(g)
	if err != nil {
		t.Fatal(err)
	}
	want := "global_defs {\n   router_id lb1   # the name\n   notification_email {\n      a@example.com\n      b@example.com\n   }\n   notification_email_from lb@example.com\n   smtp_server 192.0.2.1 25\n   smtp_connect_timeout 30\n}\n"
	if !strings.Contains(string(out[main]), want) {
		t.Fatalf("globals:\n%s", out[main])
	}
	tr2 := mustOpen(t, main, out)
	g2 := tr2.Globals()
	if strings.Join(g2.NotificationEmail, " ") != "a@example.com b@example.com" || *g2.SMTPPort != 25 {
		t.Errorf("read back %+v", g2)
	}
	g.NotificationEmail = []string{"a@example.com"}
	out2, err := tr2.SetGlobals(g)
	if err != nil {
		t.Fatal(err)
	}
	if r, a := lineDiff(out[main], out2[main]); r != 1 || a != 0 {
		t.Errorf("one address fewer: -%d +%d", r, a)
	}
	out3, err := mustOpen(t, main, out2).SetGlobals(Globals{})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out3[main], fs[main]) {
		t.Errorf("clearing the globals did not restore the file:\n%s", out3[main])
	}
	for _, bad := range []Globals{{NotificationEmail: []string{"a@b}\nx"}}, {NotificationEmailFrom: "x#y@z"}, {SMTPServer: "a b"}} {
		if _, err := tr.SetGlobals(bad); err == nil {
			t.Errorf("accepted %+v", bad)
		}
	}
}

func TestRejectsInjection(t *testing.T) {
	tr, _ := plainTree(t)
	id := mvs(t, "10.0.0.1:80")
	bad := []VSSpec{
		{ID: id, Virtualhost: "a\n}\nvirtual_server"},
		{ID: id, Virtualhost: "x{"},
		{ID: id, Scheduler: "bogus"},
		{ID: id, Method: "NATX"},
		{ID: id, QuorumUp: "relative/script"},
		{ID: id, QuorumUp: "/bin/../x"},
		{ID: id, Extra: []Param{{Keyword: "no_such_keyword"}}},
		{ID: id, Extra: []Param{{Keyword: "ha_suspend", Args: []string{"$X"}}}},
	}
	for _, s := range bad {
		if _, err := tr.SetVS(s); err == nil {
			t.Errorf("SetVS accepted %+v", s)
		}
	}
	badRS := []RSSpec{
		{ID: mrs(t, "10.0.1.1:80"), Checks: []Param{{Keyword: "HTTP_GET", Block: []Param{{Keyword: "bogus_field", Args: []string{"1"}}}}}},
		{ID: mrs(t, "10.0.1.1:80"), Checks: []Param{{Keyword: "HTTP_GET", Block: []Param{{Keyword: "url", Block: []Param{{Keyword: "path", Args: []string{"/a b"}}}}}}}},
		{ID: mrs(t, "10.0.1.1:80"), Checks: []Param{{Keyword: "TCP_CHECK", Block: []Param{{Keyword: "connect_port", Args: []string{"70000"}}}}}},
		{ID: mrs(t, "10.0.1.1:80"), Checks: []Param{{Keyword: "SMTP_CHECK", Block: []Param{{Keyword: "helo_name", Args: []string{"a!b"}}}}}},
		{ID: mrs(t, "10.0.1.1:80"), Checks: []Param{{Keyword: "NOT_A_CHECK"}}},
	}
	for _, s := range badRS {
		if _, err := tr.SetRS(id, s); err == nil {
			t.Errorf("SetRS accepted %+v", s)
		} else if !strings.Contains(err.Error(), "/") {
			t.Errorf("error does not name the field: %v", err)
		}
	}
}

func TestReadOnlyRefusals(t *testing.T) {
	fs := FileSet{
		"/k/keepalived.conf": []byte("$PORT=80\nvirtual_server 10.0.0.1 $PORT {\n  lb_algo rr\n}\n" +
			"virtual_server 10.0.0.2 80 {\n  lb_algo rr\n@host1 lb_kind DR\n}\n" +
			"include /k/conf.d/*.conf\n" +
			"virtual_server 10.0.0.4 80 { lb_algo rr }\n" +
			"virtual_server 10.0.0.5 80 {\n  lb_algo rr\n}\n"),
		"/k/conf.d/a.conf": []byte("virtual_server 10.0.0.3 80 {\n  lb_algo rr\n}\n"),
	}
	tr := mustOpen(t, "/k/keepalived.conf", fs)
	vss := tr.VirtualServers()
	reasons := map[string]string{}
	for _, v := range vss {
		reasons[strings.Join([]string{v.Location.String()}, "")] = v.ReadOnly
	}
	cases := []struct {
		id, where, why string
	}{
		{"10.0.0.2:80", "/k/keepalived.conf:7", "@id conditional"},
		{"10.0.0.3:80", "/k/keepalived.conf:9", "globbed include"},
		{"10.0.0.4:80", "/k/keepalived.conf:10", "share"},
	}
	for _, c := range cases {
		_, err := tr.DisableVS(mvs(t, c.id))
		if err == nil || !errors.Is(err, ErrReadOnly) || !strings.Contains(err.Error(), c.where) || !strings.Contains(err.Error(), c.why) {
			t.Errorf("disable %s: %v, want read-only naming %s and %q", c.id, err, c.where, c.why)
		}
		s := VSSpec{ID: mvs(t, c.id), Scheduler: "wrr"}
		if _, err := tr.SetVS(s); !errors.Is(err, ErrReadOnly) {
			t.Errorf("set %s: %v", c.id, err)
		}
	}
	// The macro VS: its header has $PORT, so its identity is not the text's.
	macro := vss[0]
	if macro.ReadOnly == "" || !strings.Contains(macro.ReadOnly, "$NAME macro") || !strings.Contains(macro.ReadOnly, "/k/keepalived.conf:2") {
		t.Errorf("macro VS read-only = %q", macro.ReadOnly)
	}
	// The plain one stays editable.
	if _, err := tr.DisableVS(mvs(t, "10.0.0.5:80")); err != nil {
		t.Error(err)
	}
}

func TestMoreReadOnlyAndGroups(t *testing.T) {
	fs := FileSet{
		"/k/keepalived.conf": []byte("virtual_server_group web {\n  10.0.0.1 80\n}\n" +
			"@host1 include /k/one.conf\n" +
			"~SEQ(i,1,2) virtual_server 10.0.1.$i 80 { lb_algo rr }\n" +
			"virtual_server group web {\n  lb_algo rr\n  lb_kind NAT\n}\n"),
		"/k/one.conf": []byte("virtual_server 10.0.0.9 80 {\n  lb_algo rr\n}\n"),
	}
	tr := mustOpen(t, "/k/keepalived.conf", fs)
	if g := tr.Groups(); len(g) != 1 || g[0].Name != "web" || g[0].Location.Line != 1 || len(g[0].Params) != 1 {
		t.Errorf("groups = %+v", g)
	}
	byName := map[string]VSInfo{}
	for _, v := range tr.VirtualServers() {
		byName[v.Name] = v
	}
	if v := byName["10.0.0.9:80/tcp"]; !strings.Contains(v.ReadOnly, "@id conditional") || !strings.Contains(v.ReadOnly, "/k/keepalived.conf:4") {
		t.Errorf("@id include: %q", v.ReadOnly)
	}
	var seq *VSInfo
	for _, v := range tr.VirtualServers() {
		if v.Location.Line == 5 {
			seq = &v
		}
	}
	if seq == nil || !strings.Contains(seq.ReadOnly, "~SEQ") {
		t.Errorf("~SEQ VS: %+v", seq)
	}
	grp := byName["group:web/tcp"]
	if grp.ReadOnly != "" || grp.Spec.Method != "NAT" {
		t.Fatalf("group VS: %+v", grp)
	}
	if _, err := tr.DeleteVS(mvs(t, "10.0.0.9:80")); !errors.Is(err, ErrReadOnly) {
		t.Errorf("delete from @id include: %v", err)
	}
	out, err := tr.DeleteVS(grp.ID)
	if err != nil {
		t.Fatal(err)
	}
	if r, a := lineDiff(fs["/k/keepalived.conf"], out["/k/keepalived.conf"]); r != 4 || a != 0 {
		t.Errorf("delete group VS: -%d +%d", r, a)
	}
}

func TestSetOnDisabledKeepsMarker(t *testing.T) {
	tr, _ := plainTree(t)
	const main = "/etc/keepalived/keepalived.conf"
	out, err := tr.DisableVS(mvs(t, "10.0.0.1:80"))
	if err != nil {
		t.Fatal(err)
	}
	tr2 := mustOpen(t, main, out)
	s := tr2.VirtualServers()[0].Spec
	s.Virtualhost = "www.example.com"
	out2, err := tr2.SetVS(s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out2[main]), "\n"+Marker+"   virtualhost www.example.com\n") {
		t.Fatalf("new line in a disabled VS lacks the marker:\n%s", out2[main])
	}
	v := mustOpen(t, main, out2).VirtualServers()[0]
	if v.Enabled || v.Spec.Virtualhost != "www.example.com" {
		t.Errorf("after set: %+v", v)
	}
}

func TestOverlayListsOnlyChanges(t *testing.T) {
	tr, fs, main := ilukaTree(t)
	out, err := tr.DeleteVS(mvs(t, "192.168.0.10:53/udp"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(main)
	ov := Overlay(tr.Files(), out)
	if len(ov.Files) != 1 || string(ov.Files[filepath.Join(dir, "virtual_server.conf")]) != "include virtual_server/192.168.0.10_80_0.conf\n" {
		t.Errorf("overlay files = %v", ov.Files)
	}
	want := []string{filepath.Join(dir, "virtual_server/192.168.0.10_53_1.conf"), filepath.Join(dir, "virtual_server/192.168.0.10_53_1/192.168.0.31_53.conf"), filepath.Join(dir, "virtual_server/192.168.0.10_53_1/real_server.conf")}
	if strings.Join(ov.Deleted, " ") != strings.Join(want, " ") {
		t.Errorf("deleted = %v", ov.Deleted)
	}
	if ov := Overlay(fs, tr.Files()); len(ov.Files)+len(ov.Deleted) != 0 {
		t.Errorf("no edit gives overlay %+v", ov)
	}
}
