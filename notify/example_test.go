package notify_test

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/alived/alived/notify"
)

// The generic notify script gets keepalived's four extra arguments; the
// state-specific script only its configured ones.
func ExampleVRRPScripts_Commands() {
	s := notify.VRRPScripts{
		Master:  &notify.Command{Argv: []string{"/etc/keepalived/master.sh", "eth0"}},
		Generic: &notify.Command{Argv: []string{"/etc/keepalived/notify.sh"}},
	}
	for _, c := range s.Commands(notify.InstanceEvent("VI_1", notify.StateMaster, 100)) {
		fmt.Println(c.Argv)
	}
	// Output:
	// [/etc/keepalived/master.sh eth0]
	// [/etc/keepalived/notify.sh INSTANCE VI_1 MASTER 100]
}

func ExampleEvent_FIFOLine() {
	vs := notify.Service{Addr: netip.MustParseAddr("192.168.201.15"), Port: 80, Proto: "tcp"}
	rs := notify.Service{Addr: netip.MustParseAddr("1.2.3.4"), Port: 80, Proto: "tcp"}
	fmt.Print(notify.InstanceEvent("VI_1", notify.StateMaster, 100).FIFOLine())
	fmt.Print(notify.GroupEvent("VG_1", notify.StateBackup).FIFOLine())
	fmt.Print(notify.QuorumEvent(vs, true, "").FIFOLine())
	fmt.Print(notify.RealServerEvent(vs, rs, false, "").FIFOLine())
	// Output:
	// INSTANCE "VI_1" MASTER 100
	// GROUP "VG_1" BACKUP 0
	// VS [192.168.201.15]:tcp:80 UP
	// RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN
}

// How the daemon wires a Notifier from global_defs and calls it from its
// loop: Notify never blocks.
func ExampleNotifier() {
	fifo, err := notify.OpenFIFO("/run/keepalived.fifo", notify.FIFOOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	n := notify.NewNotifier(notify.Config{
		RouterID: "lb1",
		Runner:   &notify.Runner{User: notify.DefaultScriptUser(), Timeout: 10 * time.Second},
		FIFO:     fifo,
		Mailer: notify.NewMailer(notify.MailerConfig{
			Server: "127.0.0.1:25", From: "keepalived@lb1", To: []string{"ops@example.com"},
			ConnectTimeout: 30 * time.Second,
		}),
	})
	scripts := notify.VRRPScripts{Generic: &notify.Command{Argv: []string{"/etc/keepalived/notify.sh"}}}

	e := notify.InstanceEvent("VI_1", notify.StateMaster, 100)
	n.Notify(e, scripts.Commands(e), true)

	// Shutdown: give scripts and mails a bounded time to finish.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = n.Close(ctx)
}
