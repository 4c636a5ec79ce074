// Package sdnotify implements systemd's service notification protocol
// (sd_notify(3)): newline-separated KEY=VALUE assignments sent as one
// datagram to the Unix socket named by $NOTIFY_SOCKET. It needs no
// library: the protocol is one sendto per state change.
//
// alived sends READY=1 once running, RELOADING=1 with MONOTONIC_USEC at
// the start of every reload and READY=1 when it is done (what
// Type=notify-reload requires, harmless under Type=notify), STOPPING=1 on
// shutdown and STATUS= with a one-line summary whenever it changes.
package sdnotify

import (
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Notifier sends notifications to the service manager. The zero value
// and a Notifier built without $NOTIFY_SOCKET do nothing, so callers need
// not check whether they run under systemd.
type Notifier struct {
	addr *net.UnixAddr
}

// FromEnv returns a notifier for $NOTIFY_SOCKET and unsets the variable,
// as sd_notify's unset_environment does, so that notify and check scripts
// the daemon starts cannot talk to systemd on its behalf.
func FromEnv() *Notifier {
	path := os.Getenv("NOTIFY_SOCKET")
	_ = os.Unsetenv("NOTIFY_SOCKET")
	return New(path)
}

// New returns a notifier for the socket at path; a leading '@' names an
// abstract socket. An empty path yields a notifier that does nothing.
func New(path string) *Notifier {
	if path == "" {
		return &Notifier{}
	}
	name := path
	if strings.HasPrefix(name, "@") {
		name = "\x00" + name[1:]
	}
	return &Notifier{addr: &net.UnixAddr{Name: name, Net: "unixgram"}}
}

// Enabled reports whether notifications go anywhere.
func (n *Notifier) Enabled() bool { return n != nil && n.addr != nil }

// Send delivers one notification made of the given assignments.
func (n *Notifier) Send(assignments ...string) error {
	if !n.Enabled() {
		return nil
	}
	conn, err := net.DialUnix("unixgram", nil, n.addr)
	if err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(strings.Join(assignments, "\n") + "\n")); err != nil {
		return fmt.Errorf("sd_notify: %w", err)
	}
	return nil
}

// status sanitises a STATUS= value: one line, as the protocol requires.
func status(s string) string {
	return "STATUS=" + strings.ReplaceAll(s, "\n", " ")
}

// Ready reports start-up (or a reload) complete with a status line.
func (n *Notifier) Ready(summary string) error {
	return n.Send("READY=1", status(summary), "MAINPID="+strconv.Itoa(os.Getpid()))
}

// Reloading reports that a reload has begun. MONOTONIC_USEC lets systemd
// match the notification to its own reload request (Type=notify-reload
// waits for it; without it systemctl reload can hang until timeout).
func (n *Notifier) Reloading() error {
	usec, err := monotonicUsec()
	if err != nil {
		return err
	}
	return n.Send("RELOADING=1", "MONOTONIC_USEC="+strconv.FormatUint(usec, 10), status("reloading"))
}

// Stopping reports that shutdown has begun.
func (n *Notifier) Stopping() error { return n.Send("STOPPING=1", status("stopping")) }

// Status updates the one-line status systemctl status shows.
func (n *Notifier) Status(summary string) error { return n.Send(status(summary)) }

// Errno reports the errno-style code of a failure.
func (n *Notifier) Errno(code int) error { return n.Send("ERRNO=" + strconv.Itoa(code)) }

// monotonicUsec reads CLOCK_MONOTONIC in microseconds, the clock systemd
// compares MONOTONIC_USEC against.
func monotonicUsec() (uint64, error) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return 0, fmt.Errorf("sd_notify: reading CLOCK_MONOTONIC: %w", err)
	}
	return uint64(ts.Sec)*1_000_000 + uint64(ts.Nsec)/1000, nil
}
