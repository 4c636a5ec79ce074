package notify

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

var (
	vs80  = Service{Addr: netip.MustParseAddr("192.168.201.15"), Port: 80, Proto: "tcp"}
	rs80  = Service{Addr: netip.MustParseAddr("1.2.3.4"), Port: 80, Proto: "tcp"}
	vs6   = Service{Addr: netip.MustParseAddr("2001:db8::1"), Port: 53, Proto: "udp"}
	rs6   = Service{Addr: netip.MustParseAddr("2001:db8::a"), Port: 53, Proto: "udp"}
	vsFWM = Service{FWMark: 7}
	vsGrp = Service{Group: "web", Port: 443}
)

func TestFIFOLine(t *testing.T) {
	tests := []struct {
		name string
		e    Event
		want string
	}{
		{"instance master", InstanceEvent("VI_1", StateMaster, 100), "INSTANCE \"VI_1\" MASTER 100\n"},
		{"instance backup", InstanceEvent("VI_1", StateBackup, 90), "INSTANCE \"VI_1\" BACKUP 90\n"},
		{"instance fault", InstanceEvent("VI_1", StateFault, 0), "INSTANCE \"VI_1\" FAULT 0\n"},
		{"instance stop", InstanceEvent("VI_1", StateStop, 100), "INSTANCE \"VI_1\" STOP 100\n"},
		{"instance deleted", InstanceEvent("VI_1", StateDeleted, 100), "INSTANCE \"VI_1\" DELETED 100\n"},
		{"rx lower pri", InstanceEvent("VI_1", StateMasterRxLowerPri, 150), "INSTANCE \"VI_1\" MASTER_RX_LOWER_PRI 150\n"},
		{"master priority", InstanceEvent("VI_1", StateMasterPriority, 80), "INSTANCE \"VI_1\" MASTER_PRIORITY 80\n"},
		{"backup priority", InstanceEvent("VI_1", StateBackupPriority, 70), "INSTANCE \"VI_1\" BACKUP_PRIORITY 70\n"},
		{"unknown state", InstanceEvent("VI_1", State(99), 1), "INSTANCE \"VI_1\" {UNKNOWN} 1\n"},
		{"group ignores priority", Event{Kind: KindGroup, Name: "VG_1", State: StateBackup, Priority: 50}, "GROUP \"VG_1\" BACKUP 0\n"},
		{"vs up", QuorumEvent(vs80, true, ""), "VS [192.168.201.15]:tcp:80 UP\n"},
		{"vs down v6", QuorumEvent(vs6, false, ""), "VS [2001:db8::1]:udp:53 DOWN\n"},
		{"vs fwmark", QuorumEvent(vsFWM, true, ""), "VS FWM 7 UP\n"},
		{"vs group", QuorumEvent(vsGrp, false, ""), "VS [web]:443 DOWN\n"},
		{"rs down", RealServerEvent(vs80, rs80, false, ""), "RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN\n"},
		{"rs up v6", RealServerEvent(vs6, rs6, true, ""), "RS [2001:db8::a]:udp:53 [2001:db8::1]:udp:53 UP\n"},
		{"rs of fwmark vs, no proto", RealServerEvent(vsFWM, Service{Addr: netip.MustParseAddr("10.0.0.2"), Port: 8080}, true, ""), "RS [10.0.0.2]:none:8080 FWM 7 UP\n"},
		{"script has no line", ScriptEvent("chk", true), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.e.FIFOLine(); got != tt.want {
				t.Errorf("FIFOLine() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestClass(t *testing.T) {
	for e, want := range map[*Event]Class{
		ptr(InstanceEvent("a", StateMaster, 1)):    ClassVRRP,
		ptr(GroupEvent("g", StateMaster)):          ClassVRRP,
		ptr(QuorumEvent(vs80, true, "")):           ClassLVS,
		ptr(RealServerEvent(vs80, rs80, true, "")): ClassLVS,
		ptr(ScriptEvent("s", true)):                ClassNone,
	} {
		if got := e.Class(); got != want {
			t.Errorf("%v.Class() = %v, want %v", e, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

func TestVRRPScriptsCommands(t *testing.T) {
	s := VRRPScripts{
		Master:     &Command{Argv: []string{"/bin/master.sh", "arg one"}},
		Backup:     &Command{Argv: []string{"/bin/backup.sh"}},
		Stop:       &Command{Argv: []string{"/bin/stop.sh"}, User: "nobody"},
		Generic:    &Command{Argv: []string{"/bin/notify.sh", "x"}},
		RxLowerPri: &Command{Argv: []string{"/bin/lower.sh"}},
	}
	tests := []struct {
		name string
		e    Event
		want [][]string
	}{
		{"master: specific then generic with 4 args", InstanceEvent("VI_1", StateMaster, 100),
			[][]string{{"/bin/master.sh", "arg one"}, {"/bin/notify.sh", "x", "INSTANCE", "VI_1", "MASTER", "100"}}},
		{"fault: no specific script configured", InstanceEvent("VI_1", StateFault, 0),
			[][]string{{"/bin/notify.sh", "x", "INSTANCE", "VI_1", "FAULT", "0"}}},
		{"group: priority always 0", Event{Kind: KindGroup, Name: "VG", State: StateBackup, Priority: 77},
			[][]string{{"/bin/backup.sh"}, {"/bin/notify.sh", "x", "GROUP", "VG", "BACKUP", "0"}}},
		{"deleted reaches generic", InstanceEvent("VI_1", StateDeleted, 100),
			[][]string{{"/bin/notify.sh", "x", "INSTANCE", "VI_1", "DELETED", "100"}}},
		{"rx lower pri runs only its script", InstanceEvent("VI_1", StateMasterRxLowerPri, 100),
			[][]string{{"/bin/lower.sh"}}},
		{"priority change runs nothing", InstanceEvent("VI_1", StateMasterPriority, 90), nil},
		{"real server event ignored", RealServerEvent(vs80, rs80, true, ""), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got [][]string
			for _, c := range s.Commands(tt.e) {
				got = append(got, c.Argv)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Commands() = %q, want %q", got, tt.want)
			}
		})
	}
	// The user of the configured command is kept, and appending the
	// generic arguments must not write into the configured slice.
	if c := s.Commands(InstanceEvent("VI_1", StateStop, 1)); c[0].User != "nobody" {
		t.Errorf("stop script user = %q, want nobody", c[0].User)
	}
	if len(s.Generic.Argv) != 2 {
		t.Errorf("generic argv mutated: %q", s.Generic.Argv)
	}
}

func TestUpDownScriptsCommands(t *testing.T) {
	s := UpDownScripts{Up: &Command{Argv: []string{"/up", "a"}}, Down: &Command{Argv: []string{"/down"}}}
	if got := s.Commands(RealServerEvent(vs80, rs80, true, "")); len(got) != 1 || !reflect.DeepEqual(got[0].Argv, []string{"/up", "a"}) {
		t.Errorf("rs up: %v", got)
	}
	if got := s.Commands(QuorumEvent(vs80, false, "")); len(got) != 1 || !reflect.DeepEqual(got[0].Argv, []string{"/down"}) {
		t.Errorf("quorum down: %v", got)
	}
	if got := (UpDownScripts{}).Commands(QuorumEvent(vs80, false, "")); got != nil {
		t.Errorf("no scripts: %v", got)
	}
	if got := s.Commands(InstanceEvent("VI", StateMaster, 1)); got != nil {
		t.Errorf("instance event: %v", got)
	}
}

func TestAlertFor(t *testing.T) {
	tests := []struct {
		e             Event
		subject, body string
	}{
		{InstanceEvent("VI_1", StateMaster, 100), "[lb1] VRRP Instance VI_1 - Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="},
		{InstanceEvent("VI_1", StateBackup, 100), "[lb1] VRRP Instance VI_1 - Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="},
		{InstanceEvent("VI_1", StateFault, 100), "[lb1] VRRP Instance VI_1 - Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="},
		{InstanceEvent("VI_1", StateStop, 100), "[lb1] VRRP Instance VI_1 - Stopping", "=> VRRP Instance stopping <="},
		{InstanceEvent("VI_1", StateDeleted, 100), "[lb1] VRRP Instance VI_1 - Deleted", "=> VRRP Deleted at reload <="},
		{GroupEvent("G", StateMaster), "[lb1] VRRP Group G - Entering MASTER state", "=> All VRRP group instances are now in MASTER state <="},
		{GroupEvent("G", StateStop), "[lb1] VRRP Group G - Stopping", "=> All VRRP group instances are now stopping <="},
		{RealServerEvent(vs80, rs80, false, CheckBody("TCP", false, "")),
			"[lb1] Realserver [1.2.3.4]:tcp:80 of virtual server [192.168.201.15]:tcp:80 - DOWN", "=> TCP CHECK failed on service <="},
		{RealServerEvent(vs80, rs80, true, CheckBody("", true, "")),
			"[lb1] Realserver [1.2.3.4]:tcp:80 of virtual server [192.168.201.15]:tcp:80 - UP", "=> CHECK succeed on service <="},
		{QuorumEvent(vs80, true, QuorumBody(true, false, 2, 1, 3, 4)),
			"[lb1] Virtualserver [192.168.201.15]:tcp:80 - UP", "=> Gained quorum 2+1=3 <= 4 <="},
	}
	for _, tt := range tests {
		a, ok := AlertFor(tt.e, "lb1")
		if !ok || a.Subject != tt.subject || a.Body != tt.body {
			t.Errorf("AlertFor(%v) = %+v, %v; want %q / %q", tt.e, a, ok, tt.subject, tt.body)
		}
	}
	for _, e := range []Event{InstanceEvent("VI", StateMasterPriority, 1), GroupEvent("G", StateDeleted), ScriptEvent("s", false)} {
		if a, ok := AlertFor(e, "x"); ok {
			t.Errorf("AlertFor(%v) = %+v, want no mail", e, a)
		}
	}
}

func TestBodies(t *testing.T) {
	for got, want := range map[string]string{
		CheckBody("", false, "HTTP request failed"): "=> CHECK failed on service : HTTP request failed <=",
		CheckBody("MISC", true, ""):                 "=> MISC CHECK succeed on service <=",
		QuorumBody(false, false, 3, 1, 2, 1):        "=> Lost quorum 3+1=2 <= 1 <=",
		QuorumBody(true, true, 1, 0, 1, 5):          "=> Starting with quorum up 1+0=1 <= 5 <=",
		QuorumBody(false, true, 1, 0, 1, 0):         "=> Starting with quorum down 1+0=1 <= 0 <=",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestMessage(t *testing.T) {
	date := time.Date(2026, 11, 28, 5, 6, 7, 0, time.FixedZone("", 3600))
	got := string(Message(date, "lb@example.test", []string{"a@example.test", "b@example.test"},
		Alert{Subject: "[lb1] VRRP Instance VI_1 - Entering MASTER state", Body: "=> VRRP Instance is now owning VRRP VIPs <="}))
	want := "Date: Sat, 28 Nov 2026 05:06:07 +0100\r\n" +
		"From: lb@example.test\r\n" +
		"Subject: [lb1] VRRP Instance VI_1 - Entering MASTER state\r\n" +
		"X-Mailer: Keepalived\r\n" +
		"To: a@example.test, b@example.test\r\n" +
		"\r\n" +
		"=> VRRP Instance is now owning VRRP VIPs <=\r\n"
	if got != want {
		t.Errorf("Message() =\n%q\nwant\n%q", got, want)
	}
}

func TestCommandStringHidesArguments(t *testing.T) {
	c := Command{Argv: []string{"/bin/notify", "--password=hunter2"}}
	if s := c.String(); strings.Contains(s, "hunter2") {
		t.Errorf("Command.String() leaks arguments: %q", s)
	}
}
