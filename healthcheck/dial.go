package healthcheck

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"
)

// Conn holds keepalived's generic connection options, shared by every
// checker except MISC_CHECK and FILE_CHECK. The daemon fills Addr from
// connect_ip/connect_port, falling back to the real server's address and
// port as keepalived does.
type Conn struct {
	// Addr is where the probe goes (connect_ip / connect_port, default the
	// real server's IP and port). Required.
	Addr netip.AddrPort
	// BindTo is the source address (bindto); invalid means "let the kernel
	// choose".
	BindTo netip.Addr
	// BindPort is the source port (bind_port); 0 means ephemeral.
	BindPort uint16
	// BindIf is the interface to send from (bind_if, SO_BINDTODEVICE);
	// needed for IPv6 link-local targets.
	BindIf string
	// FWMark marks every probe packet (fwmark, SO_MARK); 0 means none.
	FWMark uint32
}

// validate reports options keepalived would reject. PING_CHECK, which has
// no port, does not call it.
func (c Conn) validate() error {
	if !c.Addr.IsValid() {
		return errors.New("no address to connect to (connect_ip/connect_port or real server address)")
	}
	if c.Addr.Port() == 0 {
		// A real server without a port (fwmark services) needs connect_port.
		return fmt.Errorf("no port to connect to on %s: set connect_port", c.Addr.Addr())
	}
	if c.BindTo.IsValid() && c.BindTo.Is4() != c.Addr.Addr().Unmap().Is4() {
		return fmt.Errorf("bindto %s and connect address %s are of different families", c.BindTo, c.Addr.Addr())
	}
	return nil
}

// closeHow says how a probe ends its TCP connection.
type closeHow int

const (
	// closeGraceful sends FIN, as keepalived 2.x does (SO_LINGER 5 s, then
	// close): the server sees an orderly end, the checker's side of the
	// connection waits in TIME_WAIT.
	closeGraceful closeHow = iota
	// closeQuiet is a plain close, for a connection the server has
	// closed already (its FIN read): there is no FIN of ours to wait for
	// and no TIME_WAIT on our side.
	closeQuiet
	// closeAbort sends RST (SO_LINGER 0): nothing lingers in TIME_WAIT,
	// at the price of a "connection reset" on the server.
	closeAbort
)

// dialer builds a net.Dialer honouring bindto, bind_port, bind_if and fwmark.
// network is "tcp" or "udp" (for the local address type).
func (c Conn) dialer(network string) *net.Dialer {
	d := &net.Dialer{}
	if c.BindTo.IsValid() || c.BindPort != 0 {
		ip := net.IP(nil)
		if c.BindTo.IsValid() {
			ip = c.BindTo.AsSlice()
		}
		switch network {
		case "udp":
			d.LocalAddr = &net.UDPAddr{IP: ip, Port: int(c.BindPort), Zone: c.BindTo.Zone()}
		default:
			d.LocalAddr = &net.TCPAddr{IP: ip, Port: int(c.BindPort), Zone: c.BindTo.Zone()}
		}
	}
	if c.BindIf != "" || c.FWMark != 0 {
		d.Control = func(_, _ string, rc syscall.RawConn) error {
			return setSockOpts(rc, c.BindIf, c.FWMark)
		}
	}
	return d
}

// target is the probe address with the zone of bind_if applied to IPv6
// link-local targets, in a form net.Dial accepts.
func (c Conn) target() string {
	a := c.Addr.Addr()
	if a.Is6() && a.Zone() == "" && c.BindIf != "" && a.IsLinkLocalUnicast() {
		a = a.WithZone(c.BindIf)
	}
	return net.JoinHostPort(a.String(), strconv.Itoa(int(c.Addr.Port())))
}

// dial opens a connection bounded by ctx and sets the connection's absolute
// deadline to ctx's deadline, so a server trickling bytes can never extend
// the probe; a cancelled ctx also closes the connection. The returned stop
// function must be called (it releases the close-on-cancel hook).
func (c Conn) dial(ctx context.Context, network string) (net.Conn, func(), error) {
	conn, err := c.dialer(network).DialContext(ctx, network, c.target())
	if err != nil {
		return nil, nil, ctxErr(ctx, "connect", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		if err := conn.SetDeadline(dl); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("set deadline: %w", err)
		}
	}
	// Closing on cancel makes a blocked read or write return at once when
	// the scheduler stops, not at the deadline.
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return conn, func() { stop(); conn.Close() }, nil
}
