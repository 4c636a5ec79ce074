package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Class says which of keepalived's per-subsystem FIFOs an event belongs
// on; notify_fifo receives both classes.
type Class uint8

// FIFO classes.
const (
	ClassNone Class = iota // no FIFO line at all
	ClassVRRP              // vrrp_notify_fifo
	ClassLVS               // lvs_notify_fifo
)

// Class returns the FIFO class of e.
func (e Event) Class() Class {
	switch e.Kind {
	case KindInstance, KindGroup:
		return ClassVRRP
	case KindRealServer, KindVirtualServer:
		return ClassLVS
	}
	return ClassNone
}

// FIFOLine returns the newline-terminated line keepalived writes to its
// notify FIFOs for e, or "" when keepalived writes none:
//
//	INSTANCE "VI_1" MASTER 100
//	GROUP "VG_1" BACKUP 0
//	VS [192.168.201.15]:tcp:80 UP
//	RS [1.2.3.4]:tcp:80 [192.168.201.15]:tcp:80 DOWN
func (e Event) FIFOLine() string {
	switch e.Kind {
	case KindInstance:
		return fmt.Sprintf("INSTANCE %q %s %d\n", e.Name, e.State, e.Priority)
	case KindGroup:
		// keepalived prints 0 for groups whatever the members' priorities.
		return fmt.Sprintf("GROUP %q %s 0\n", e.Name, e.State)
	case KindVirtualServer:
		return "VS " + e.VS.String() + " " + upDown(e.Up) + "\n"
	case KindRealServer:
		return "RS " + e.RS.trio() + " " + e.VS.String() + " " + upDown(e.Up) + "\n"
	}
	return ""
}

// Command is one configured script: its argv exactly as the config split
// it (no shell is involved) and the user/group to run it as. Empty User
// means the global script_user.
type Command struct {
	Argv  []string
	User  string
	Group string
}

// String returns the program name only: arguments may carry secrets and
// are never logged.
func (c Command) String() string {
	if len(c.Argv) == 0 {
		return "<empty command>"
	}
	return c.Argv[0]
}

// withArgs returns a copy of c with args appended, never aliasing c.Argv.
func (c Command) withArgs(args ...string) Command {
	argv := make([]string, 0, len(c.Argv)+len(args))
	argv = append(argv, c.Argv...)
	c.Argv = append(argv, args...)
	return c
}

// VRRPScripts are the notify scripts of one vrrp_instance or
// vrrp_sync_group. Nil fields are not configured.
type VRRPScripts struct {
	Master, Backup, Fault, Stop, Deleted *Command
	// Generic is the plain "notify" script; it gets four extra arguments.
	Generic *Command
	// RxLowerPri is notify_master_rx_lower_pri.
	RxLowerPri *Command
}

// Commands returns, in keepalived's order, the commands to run for e: the
// state-specific script with its configured arguments only, then the
// generic notify script with "INSTANCE|GROUP name STATE priority"
// appended. Signal states (priority changes) run no script except
// MASTER_RX_LOWER_PRI, which runs notify_master_rx_lower_pri alone.
func (s VRRPScripts) Commands(e Event) []Command {
	if e.Kind != KindInstance && e.Kind != KindGroup {
		return nil
	}
	if e.State == StateMasterRxLowerPri {
		if s.RxLowerPri != nil && e.Kind == KindInstance {
			return []Command{s.RxLowerPri.withArgs()}
		}
		return nil
	}
	if !e.State.isTransition() {
		return nil
	}
	var out []Command
	var specific *Command
	switch e.State {
	case StateMaster:
		specific = s.Master
	case StateBackup:
		specific = s.Backup
	case StateFault:
		specific = s.Fault
	case StateStop:
		specific = s.Stop
	case StateDeleted:
		specific = s.Deleted
	}
	if specific != nil {
		out = append(out, specific.withArgs())
	}
	if s.Generic != nil {
		prio := e.Priority
		if e.Kind == KindGroup {
			prio = 0
		}
		out = append(out, s.Generic.withArgs(e.Kind.String(), e.Name, e.State.String(), strconv.Itoa(prio)))
	}
	return out
}

// UpDownScripts are notify_up/notify_down of a real server or
// quorum_up/quorum_down of a virtual server; keepalived passes them no
// extra arguments.
type UpDownScripts struct {
	Up, Down *Command
}

// Commands returns the script to run for e (real-server or quorum event).
func (s UpDownScripts) Commands(e Event) []Command {
	if e.Kind != KindRealServer && e.Kind != KindVirtualServer {
		return nil
	}
	c := s.Down
	if e.Up {
		c = s.Up
	}
	if c == nil {
		return nil
	}
	return []Command{c.withArgs()}
}

// Alert is the subject and body of one SMTP alert.
type Alert struct {
	Subject string
	Body    string
}

// vrrpAlertTexts holds keepalived's subject suffix and body per state for
// instances and groups.
var vrrpAlertTexts = map[Kind]map[State][2]string{
	KindInstance: {
		StateMaster:  {"Entering MASTER state", "=> VRRP Instance is now owning VRRP VIPs <="},
		StateBackup:  {"Entering BACKUP state", "=> VRRP Instance is no longer owning VRRP VIPs <="},
		StateFault:   {"Entering FAULT state", "=> VRRP Instance is no longer owning VRRP VIPs <="},
		StateStop:    {"Stopping", "=> VRRP Instance stopping <="},
		StateDeleted: {"Deleted", "=> VRRP Deleted at reload <="},
	},
	KindGroup: {
		StateMaster: {"Entering MASTER state", "=> All VRRP group instances are now in MASTER state <="},
		StateBackup: {"Entering BACKUP state", "=> All VRRP group instances are now in BACKUP state <="},
		StateFault:  {"Entering FAULT state", "=> All VRRP group instances are now in FAULT state <="},
		StateStop:   {"Stopping", "=> All VRRP group instances are now stopping <="},
	},
}

// AlertFor returns keepalived's mail for e with routerID in the subject,
// and false when keepalived sends no mail for this kind of event.
func AlertFor(e Event, routerID string) (Alert, bool) {
	switch e.Kind {
	case KindInstance, KindGroup:
		t, ok := vrrpAlertTexts[e.Kind][e.State]
		if !ok {
			return Alert{}, false
		}
		what := "VRRP Instance"
		if e.Kind == KindGroup {
			what = "VRRP Group"
		}
		return Alert{Subject: fmt.Sprintf("[%s] %s %s - %s", routerID, what, e.Name, t[0]), Body: t[1]}, true
	case KindRealServer:
		body := e.Detail
		if body == "" {
			body = CheckBody("", e.Up, "")
		}
		return Alert{
			Subject: fmt.Sprintf("[%s] Realserver %s of virtual server %s - %s", routerID, e.RS.trio(), e.VS, upDown(e.Up)),
			Body:    body,
		}, true
	case KindVirtualServer:
		body := e.Detail
		if body == "" {
			body = "=> " + map[bool]string{true: "Gained quorum", false: "Lost quorum"}[e.Up] + " <="
		}
		return Alert{Subject: fmt.Sprintf("[%s] Virtualserver %s - %s", routerID, e.VS, upDown(e.Up)), Body: body}, true
	}
	return Alert{}, false
}

// CheckBody returns the body keepalived's checkers put in real-server
// mails: "=> TCP CHECK succeed on service <=", or with a reason
// "=> CHECK failed on service : HTTP request failed <=". checker is the
// prefix keepalived uses for that checker ("TCP", "MISC", "" for HTTP).
func CheckBody(checker string, up bool, reason string) string {
	var b strings.Builder
	b.WriteString("=> ")
	if checker != "" {
		b.WriteString(checker + " ")
	}
	if up {
		b.WriteString("CHECK succeed on service")
	} else {
		b.WriteString("CHECK failed on service")
	}
	if reason != "" {
		b.WriteString(" : " + reason)
	}
	b.WriteString(" <=")
	return b.String()
}

// QuorumBody returns keepalived's body for a quorum mail:
// "=> Gained quorum 2+1=3 <= 4 <=". init selects the "Starting with
// quorum up/down" wording used at start-up.
func QuorumBody(up, init bool, quorum, hysteresis uint, threshold, weightSum int64) string {
	var what string
	switch {
	case up && init:
		what = "Starting with quorum up"
	case up:
		what = "Gained quorum"
	case init:
		what = "Starting with quorum down"
	default:
		what = "Lost quorum"
	}
	return fmt.Sprintf("=> %s %d+%d=%d <= %d <=", what, quorum, hysteresis, threshold, weightSum)
}

// ShutdownBody is the body keepalived uses for real-server and quorum
// mails sent while stopping.
const ShutdownBody = "=> Shutting down <="

// rfc822Date is the strftime("%a, %d %b %Y %H:%M:%S %z") layout keepalived
// uses for the Date header.
const rfc822Date = "Mon, 02 Jan 2006 15:04:05 -0700"

// Message renders the DATA part of an alert mail as keepalived does
// (CRLF line ends, without the terminating "."): Date, From, Subject,
// X-Mailer and To headers, a blank line, the body.
func Message(date time.Time, from string, to []string, a Alert) []byte {
	var b strings.Builder
	b.WriteString("Date: " + date.Format(rfc822Date) + "\r\n")
	b.WriteString("From: " + from + "\r\n")
	b.WriteString("Subject: " + a.Subject + "\r\n")
	b.WriteString("X-Mailer: Keepalived\r\n")
	b.WriteString("To: " + strings.Join(to, ", ") + "\r\n")
	b.WriteString("\r\n")
	b.WriteString(a.Body + "\r\n")
	return []byte(b.String())
}
