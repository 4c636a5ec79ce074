package config

import (
	"bufio"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/alived/alived/config/syntax"
)

// decodeString parses and decodes an in-memory configuration.
func decodeString(t *testing.T, src string) (*Config, []syntax.Diagnostic) {
	t.Helper()
	nodes, diags := syntax.ParseBytes("test.conf", []byte(src), syntax.Options{ConfigID: "test"})
	cfg, more := Decode(nodes)
	return cfg, append(diags, more...)
}

// errorsOf returns the messages of diagnostics at Error or worse.
func errorsOf(diags []syntax.Diagnostic) []string {
	var out []string
	for _, d := range diags {
		if d.Severity >= syntax.Error {
			out = append(out, d.Msg)
		}
	}
	return out
}

func hasMsg(diags []syntax.Diagnostic, sev syntax.Severity, substr string) bool {
	for _, d := range diags {
		if d.Severity == sev && strings.Contains(d.Msg, substr) {
			return true
		}
	}
	return false
}

const vi = `vrrp_instance VI_1 {
    %s
    interface eth0
    virtual_router_id 51
    virtual_ipaddress {
        %s
    }
}
`

func TestStateMasterWithoutPriorityMeans255(t *testing.T) {
	cfg, diags := decodeString(t, fmt.Sprintf(vi, "state MASTER", "192.0.2.1"))
	if e := errorsOf(diags); len(e) > 0 {
		t.Fatalf("unexpected errors: %v", e)
	}
	if got := cfg.Instances[0].Priority; got != 255 {
		t.Errorf("priority = %d, want 255", got)
	}
	cfg, _ = decodeString(t, fmt.Sprintf(vi, "state BACKUP", "192.0.2.1"))
	if got := cfg.Instances[0].Priority; got != 100 {
		t.Errorf("BACKUP priority = %d, want 100", got)
	}
	cfg, _ = decodeString(t, fmt.Sprintf(vi, "state MASTER\npriority 150", "192.0.2.1"))
	if got := cfg.Instances[0].Priority; got != 150 {
		t.Errorf("explicit priority = %d, want 150", got)
	}
}

func TestInstanceDefaultsFromGlobals(t *testing.T) {
	src := "global_defs {\n vrrp_garp_master_delay 7\n vrrp_version 3\n}\n" + fmt.Sprintf(vi, "", "192.0.2.1")
	cfg, _ := decodeString(t, src)
	v := cfg.Instances[0]
	if v.GARPMasterDelay != 7*time.Second || v.GARPLowerPrioDelay != 7*time.Second {
		t.Errorf("garp delays = %v/%v, want 7s from global_defs", v.GARPMasterDelay, v.GARPLowerPrioDelay)
	}
	if v.Version != 3 || v.AdvertInterval != time.Second || v.GARPMasterRepeat != 5 || v.DownTimerAdverts != 3 || !v.Accept {
		t.Errorf("defaults wrong: %+v", v)
	}
}

func TestIPv6InstanceIsVersion3AndRejectsMixedFamilies(t *testing.T) {
	cfg, diags := decodeString(t, fmt.Sprintf(vi, "version 2", "2001:db8::1/64\n 192.0.2.1"))
	v := cfg.Instances[0]
	if v.Version != 3 || v.Family != "inet6" {
		t.Errorf("version/family = %d/%s, want 3/inet6", v.Version, v.Family)
	}
	if len(v.VIPs) != 1 || !hasMsg(diags, syntax.Error, "address family must match") {
		t.Errorf("mixed family VIP not rejected: vips=%d diags=%v", len(v.VIPs), diags)
	}
}

func TestVRRPErrorsAreReportedAndParsingContinues(t *testing.T) {
	src := `vrrp_instance VI_1 {
    virtual_router_id 300
    priority 0
    bogus_keyword 1
    version 3
    authentication {
        auth_type PASS
        auth_pass secret
    }
    virtual_ipaddress {
        192.0.2.1
    }
}
vrrp_instance VI_2 {
    interface eth0
    virtual_router_id 9
    virtual_ipaddress {
        192.0.2.2
    }
}
vrrp_instance VI_3 {
    interface eth0
    virtual_router_id 9
    virtual_ipaddress {
        192.0.2.3
    }
}
`
	cfg, diags := decodeString(t, src)
	for _, want := range []string{
		"number '300' outside range [1, 255]",
		"Priority not valid",
		"Unknown keyword 'bogus_keyword'",
		"(VI_1) the virtual router id must be set",
		"VI_2 and VI_3 both use VRID 9 with IPv4 on interface eth0",
	} {
		if !hasMsg(diags, syntax.Error, want) {
			t.Errorf("missing error %q in %v", want, diags)
		}
	}
	if len(cfg.Instances) != 2 || cfg.Instances[0].Name != "VI_2" {
		t.Errorf("instances = %d, want VI_2 and VI_3 kept", len(cfg.Instances))
	}
}

func TestAuthenticationNeedsVersion2(t *testing.T) {
	src := fmt.Sprintf(vi, "version 3\nauthentication {\nauth_type PASS\nauth_pass 123456789\n}", "192.0.2.1")
	cfg, diags := decodeString(t, src)
	if cfg.Instances[0].Auth != nil || !hasMsg(diags, syntax.Error, "version 3 does not support authentication") {
		t.Errorf("auth kept with v3: %+v %v", cfg.Instances[0].Auth, diags)
	}
	cfg, diags = decodeString(t, fmt.Sprintf(vi, "authentication {\nauth_type PASS\nauth_pass 123456789\n}", "192.0.2.1"))
	if a := cfg.Instances[0].Auth; a == nil || a.Pass != "12345678" || !hasMsg(diags, syntax.Error, "Truncating auth_pass") {
		t.Errorf("auth_pass not truncated to 8: %+v", a)
	}
}

const vs = `virtual_server 192.0.2.10 80 {
    %s
    real_server 192.0.2.11 8080 {
        %s
        %s
    }
}
`

func TestBarePersistenceTimeoutIs360(t *testing.T) {
	cfg, _ := decodeString(t, fmt.Sprintf(vs, "protocol TCP\nlvs_sched rr\nlvs_method NAT\npersistence_timeout", "", ""))
	if got := cfg.VirtualServers[0].PersistenceTimeout; got != 360*time.Second {
		t.Errorf("persistence_timeout = %v, want 6m0s", got)
	}
}

func TestLegacyAliasesAndServiceDefaults(t *testing.T) {
	cfg, diags := decodeString(t, fmt.Sprintf(vs, "lb_algo wrr\nlb_kind DR\nprotocol TCP", "", ""))
	v := cfg.VirtualServers[0]
	if v.Scheduler != "wrr" || v.Forwarding.Method != MethodDR {
		t.Errorf("lb_algo/lb_kind: got %s/%s", v.Scheduler, v.Forwarding.Method)
	}
	if v.DelayLoop != 60*time.Second || v.ConnectTimeout != 5*time.Second || v.Quorum != 1 {
		t.Errorf("VS defaults wrong: %+v", v)
	}
	r := v.RealServers[0]
	if r.Weight != 1 || r.Forwarding.Method != MethodDR {
		t.Errorf("RS defaults: weight %d method %s", r.Weight, r.Forwarding.Method)
	}
	// DR needs the real server on the service port.
	if !hasMsg(diags, syntax.Error, "ports don't match") {
		t.Errorf("DR with different RS port not reported: %v", diags)
	}

	cfg, diags = decodeString(t, fmt.Sprintf(vs, "", "", ""))
	v = cfg.VirtualServers[0]
	if v.Scheduler != "wlc" || v.Forwarding.Method != MethodNAT || v.Protocol != ProtoUDP {
		t.Errorf("missing sched/method/proto defaults: %s/%s/%s", v.Scheduler, v.Forwarding.Method, v.Protocol)
	}
	for _, want := range []string{"no scheduler set", "no forwarding method set", "no protocol set"} {
		if !hasMsg(diags, syntax.Error, want) {
			t.Errorf("missing %q", want)
		}
	}
}

func TestInheritanceVirtualToRealToChecker(t *testing.T) {
	src := fmt.Sprintf(vs, "protocol TCP\nlvs_sched rr\nlvs_method NAT\ndelay_loop 10\nretry 4\ninhibit_on_failure\nvirtualhost vs.example",
		"connect_timeout 2",
		`HTTP_GET {
            url {
                path /
            }
            delay_before_retry 7
        }
        DNS_CHECK {
            connect_port 53
        }
        TCP_CHECK {
            retry 9
            connect_ip 192.0.2.99
        }`)
	cfg, diags := decodeString(t, src)
	if e := errorsOf(diags); len(e) > 0 {
		t.Fatalf("unexpected errors %v", e)
	}
	r := cfg.VirtualServers[0].RealServers[0]
	if r.DelayLoop != 10*time.Second || r.Retry != 4 || !r.InhibitOnFailure || r.ConnectTimeout != 2*time.Second {
		t.Errorf("real server did not inherit: %+v", r)
	}
	http, dns, tcp := r.Checkers[0], r.Checkers[1], r.Checkers[2]
	if http.DelayLoop != 10*time.Second || http.ConnectTimeout != 2*time.Second || http.Retry != 4 || http.DelayBeforeRetry != 7*time.Second {
		t.Errorf("HTTP_GET resolved wrong: %+v", http)
	}
	if http.ConnectIP != netip.MustParseAddr("192.0.2.11") || http.ConnectPort != 8080 {
		t.Errorf("HTTP_GET connect target = %s:%d, want the real server", http.ConnectIP, http.ConnectPort)
	}
	if got := http.HTTP.URLs[0].StatusCodes; len(got) != 1 || got[0] != (StatusRange{200, 299}) {
		t.Errorf("status_code default = %v, want 200-299", got)
	}
	if http.HTTP.VirtualHost != "vs.example" || http.HTTP.Protocol != "1.0" {
		t.Errorf("virtualhost/protocol = %q/%q", http.HTTP.VirtualHost, http.HTTP.Protocol)
	}
	// retry was set on the VS, so the DNS default of 3 does not apply.
	if dns.Retry != 4 || dns.DNS.Type != "SOA" || dns.DNS.Name != "." || dns.ConnectPort != 53 {
		t.Errorf("DNS_CHECK resolved wrong: %+v %+v", dns, dns.DNS)
	}
	if tcp.Retry != 9 || tcp.ConnectIP != netip.MustParseAddr("192.0.2.99") || tcp.Warmup != 10*time.Second {
		t.Errorf("TCP_CHECK resolved wrong: %+v", tcp)
	}
}

func TestCheckerKindDefaults(t *testing.T) {
	src := fmt.Sprintf(vs, "protocol TCP\nlvs_sched rr\nlvs_method NAT", "",
		"DNS_CHECK {\n}\nHTTP_GET {\nurl {\npath /\n}\n}\nMISC_CHECK {\nmisc_path /bin/true\n}\nUDP_CHECK {\n}")
	cfg, _ := decodeString(t, src)
	cs := cfg.VirtualServers[0].RealServers[0].Checkers
	if cs[0].Retry != 3 || cs[0].DelayBeforeRetry != 60*time.Second {
		t.Errorf("DNS_CHECK retry/delay = %d/%v, want 3/60s", cs[0].Retry, cs[0].DelayBeforeRetry)
	}
	if cs[1].Retry != 1 || cs[1].DelayBeforeRetry != 3*time.Second {
		t.Errorf("HTTP_GET retry/delay = %d/%v, want 1/3s", cs[1].Retry, cs[1].DelayBeforeRetry)
	}
	if cs[2].Retry != 0 || cs[2].Misc.Timeout != 60*time.Second || cs[2].Misc.Path.Args[0] != "/bin/true" {
		t.Errorf("MISC_CHECK defaults = %+v", cs[2])
	}
	if cs[3].UDP.MaxReplyLength != 255 {
		t.Errorf("UDP_CHECK max_reply_length = %d", cs[3].UDP.MaxReplyLength)
	}
}

func TestVirtualServerGroupEntries(t *testing.T) {
	cfg, diags := decodeString(t, `virtual_server_group G {
    192.0.2.1 80
    192.0.2.10-20 80
    192.0.2.128/30 443
    2001:db8::1-1f 80
    fwmark 7 inet6
    300.0.0.1 80
}
`)
	g := cfg.VirtualServerGroups[0]
	if len(g.Entries) != 5 || !hasMsg(diags, syntax.Error, "invalid address range '300.0.0.1'") {
		t.Fatalf("entries=%d diags=%v", len(g.Entries), diags)
	}
	want := []struct{ first, last string }{
		{"192.0.2.1", "192.0.2.1"}, {"192.0.2.10", "192.0.2.20"}, {"192.0.2.128", "192.0.2.131"}, {"2001:db8::1", "2001:db8::1f"},
	}
	for i, w := range want {
		e := g.Entries[i]
		if e.First.String() != w.first || e.Last.String() != w.last {
			t.Errorf("entry %d = %s-%s, want %s-%s", i, e.First, e.Last, w.first, w.last)
		}
	}
	if e := g.Entries[4]; e.FWMark != 7 || e.Family != "inet6" {
		t.Errorf("fwmark entry = %+v", e)
	}
}

func TestParseHexString(t *testing.T) {
	b, _, ok := parseHexString("Ab12f 3 456", false)
	if !ok || fmt.Sprintf("% X", b) != "AB 12 0F 03 45 06" {
		t.Errorf("payload = % X (ok %v)", b, ok)
	}
	b, m, ok := parseHexString("aX", true)
	if !ok || b[0] != 0xa0 || m[0] != 0xf0 {
		t.Errorf("wildcard = %x mask %x", b, m)
	}
	if _, _, ok := parseHexString("zz", false); ok {
		t.Error("non-hex accepted")
	}
	// keepalived 2.2.7 refuses a last octet of ff (and only the last).
	for in, want := range map[string]bool{"00ff": false, "ff": false, "ff 00": true, "f": true, "fX": true, "abcd": true} {
		if _, _, ok := parseHexString(in, true); ok != want {
			t.Errorf("parseHexString(%q) ok = %v, want %v", in, ok, want)
		}
	}
}

func TestScriptsKeepArgvAndUser(t *testing.T) {
	cfg, _ := decodeString(t, fmt.Sprintf(vi, `notify_master "/usr/bin/logger -t 'a b'" nobody:nogroup`, "192.0.2.1")+
		"vrrp_script chk {\n script /bin/check arg1 arg2\n user nobody\n}\n")
	s := cfg.Instances[0].Notify.Master
	if s == nil || strings.Join(s.Args, "|") != "/usr/bin/logger|-t|a b" || s.User != "nobody" || s.Group != "nogroup" {
		t.Errorf("notify script = %+v", s)
	}
	c := cfg.Scripts[0]
	if strings.Join(c.Script.Args, "|") != "/bin/check|arg1|arg2" || c.Script.User != "nobody" || c.Interval != time.Second || c.Timeout != time.Second {
		t.Errorf("vrrp_script = %+v %+v", c, c.Script)
	}
}

func TestDiagnosticsCarryPositionAndIncludeChain(t *testing.T) {
	files := map[string]string{
		"/etc/ka/main.conf":   "global_defs {\n  router_id r\n}\ninclude sub/*.conf\n",
		"/etc/ka/sub/a.conf":  "\nno_such_keyword 1\n",
		"/etc/ka/sub/b.other": "",
	}
	opts := syntax.Options{
		ReadFile: func(p string) ([]byte, error) {
			if s, ok := files[p]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		},
		Glob: func(pattern string) ([]string, error) {
			var out []string
			for p := range files {
				if ok, _ := path.Match(pattern, p); ok {
					out = append(out, p)
				}
			}
			return out, nil
		},
	}
	cfg, diags := Load("/etc/ka/main.conf", LoadOptions{Syntax: opts, Stat: fakeStat(files)})
	if cfg == nil || cfg.Global.RouterID != "r" {
		t.Fatalf("config not loaded: %v", diags)
	}
	var got string
	for _, d := range diags {
		if strings.Contains(d.Msg, "no_such_keyword") {
			got = Format(d)
		}
	}
	if !strings.HasPrefix(got, "/etc/ka/sub/a.conf:2: error: Unknown keyword 'no_such_keyword'") || !strings.Contains(got, "included from /etc/ka/main.conf:4") {
		t.Errorf("diagnostic = %q", got)
	}
}

// fakeStat reports every file of files as a regular 0644 file.
func fakeStat(files map[string]string) func(string) (fs.FileInfo, error) {
	return func(p string) (fs.FileInfo, error) {
		if _, ok := files[p]; !ok {
			return nil, fs.ErrNotExist
		}
		return fakeInfo{name: path.Base(p)}, nil
	}
}

type fakeInfo struct{ name string }

func (f fakeInfo) Name() string       { return f.name }
func (f fakeInfo) Size() int64        { return 0 }
func (f fakeInfo) Mode() fs.FileMode  { return 0o644 }
func (f fakeInfo) ModTime() time.Time { return time.Time{} }
func (f fakeInfo) IsDir() bool        { return false }
func (f fakeInfo) Sys() any           { return nil }

func TestMissingMainFileIsReportedNotFatal(t *testing.T) {
	stat := func(string) (fs.FileInfo, error) { return nil, fs.ErrNotExist }
	cfg, diags := Load("/nonexistent.conf", LoadOptions{Stat: stat, Hostname: "h1"})
	if cfg == nil || cfg.Global.RouterID != "h1" || ExitCode(diags, ScriptReport{}) != ExitOK {
		t.Errorf("missing file: cfg=%v code=%d diags=%v", cfg, ExitCode(diags, ScriptReport{}), diags)
	}
	_, diags = Load("/nonexistent.conf", LoadOptions{Stat: stat, AllConfig: true})
	if ExitCode(diags, ScriptReport{}) != ExitFatal {
		t.Errorf("-e with missing file: code %d, want 4", ExitCode(diags, ScriptReport{}))
	}
}

func TestExitCodePrecedence(t *testing.T) {
	errD := syntax.Diagnostic{Severity: syntax.Error, Msg: "x"}
	fatal := syntax.Diagnostic{Severity: syntax.Fatal, Msg: "f"}
	badIf := syntax.Diagnostic{Severity: syntax.Error, Msg: MsgNonExistentInterface}
	warn := syntax.Diagnostic{Severity: syntax.Warning, Msg: "w"}
	viol := ScriptReport{Violation: true}
	cases := []struct {
		diags []syntax.Diagnostic
		rep   ScriptReport
		want  int
	}{
		{nil, ScriptReport{}, 0},
		{[]syntax.Diagnostic{warn}, ScriptReport{}, 0},
		{[]syntax.Diagnostic{errD}, ScriptReport{}, 5},
		{[]syntax.Diagnostic{errD}, viol, 6},
		{[]syntax.Diagnostic{badIf}, viol, 5},
		{[]syntax.Diagnostic{fatal, badIf}, viol, 4},
	}
	for i, c := range cases {
		if got := ExitCode(c.diags, c.rep); got != c.want {
			t.Errorf("case %d: got %d want %d", i, got, c.want)
		}
	}
}

func TestValidateInterfaces(t *testing.T) {
	src := fmt.Sprintf(vi, "track_interface {\n eth9\n}", "192.0.2.1 dev eth8") +
		"vrrp_instance VI_2 {\n interface lo\n virtual_router_id 2\n virtual_ipaddress {\n 192.0.2.2\n }\n}\n"
	cfg, _ := decodeString(t, src)
	env := Env{Interface: func(n string) (bool, bool) {
		switch n {
		case "eth0":
			return true, false
		case "lo":
			return true, true
		}
		return false, false
	}}
	diags := cfg.Validate(env)
	for _, want := range []string{
		"(VI_1) tracked interface eth9 doesn't exist",
		"interface eth8 for ip address 192.0.2.1 doesn't exist",
		"(VI_2) cannot use a loopback interface (lo) for vrrp",
		MsgNonExistentInterface,
	} {
		if !hasMsg(diags, syntax.Error, want) {
			t.Errorf("missing %q in %v", want, diags)
		}
	}
}

// TestRegistryCoversKeepalived checks that every keyword keepalived's
// parser registers (testdata/config/keepalived-keywords.tsv, taken from
// keepalived's source) is known to alived's registry.
func TestRegistryCoversKeepalived(t *testing.T) {
	f, err := os.Open("../testdata/config/keepalived-keywords.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	have := map[string]bool{}
	for _, k := range Keywords() {
		have[k.Block+" "+k.Name] = true
	}
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	n := 0
	for sc.Scan() {
		fields := strings.Split(sc.Text(), "\t")
		block := fields[0]
		if block == "(top)" {
			block = ""
		}
		n++
		if !have[block+" "+fields[1]] {
			t.Errorf("keyword %q in block %q is not in the registry", fields[1], fields[0])
		}
	}
	if n < 500 {
		t.Errorf("only %d keywords read from the list", n)
	}
}
