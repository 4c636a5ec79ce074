package healthcheck

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// setSockOpts applies bind_if (SO_BINDTODEVICE) and fwmark (SO_MARK) before
// connect, as keepalived does for its checker sockets.
func setSockOpts(rc syscall.RawConn, ifname string, mark uint32) error {
	var opErr error
	err := rc.Control(func(fd uintptr) { opErr = applySockOpts(int(fd), ifname, mark) })
	if err != nil {
		return fmt.Errorf("socket control: %w", err)
	}
	return opErr
}

// applySockOpts sets bind_if and fwmark on a raw socket.
func applySockOpts(fd int, ifname string, mark uint32) error {
	if ifname != "" {
		if err := unix.BindToDevice(fd, ifname); err != nil {
			return fmt.Errorf("bind_if %s: %w", ifname, err)
		}
	}
	if mark != 0 {
		if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_MARK, int(mark)); err != nil {
			return fmt.Errorf("fwmark %d: %w", mark, err)
		}
	}
	return nil
}

// dialTCP opens a probe's TCP connection the way keepalived does, with a
// handful of raw syscalls instead of net.Dialer: a non-blocking socket,
// only the options the configuration asks for (bind_if, fwmark, bindto,
// bind_port — net.Dialer would add TCP_NODELAY and four keepalive options a
// probe never uses, then getsockname and getpeername), connect, and a wait
// for writability on Go's netpoller bounded by ctx's deadline. At 10,000
// probes a second these syscalls are most of the checker's CPU.
//
// The connection's absolute deadline is ctx's, so a server trickling bytes
// cannot extend the probe, and a cancelled ctx ends a blocked read or write
// at once. The returned close function must be called; its argument says
// how the connection ends (FIN, plain close, RST).
func (c Conn) dialTCP(ctx context.Context) (net.Conn, func(closeHow), error) {
	dst, family, err := sockaddrOf(c.Addr, c.BindIf)
	if err != nil {
		return nil, nil, fmt.Errorf("connect %s: %w", c.Addr, err)
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return nil, nil, fmt.Errorf("socket: %w", os.NewSyscallError("socket", err))
	}
	if err := c.bindSocket(fd); err != nil {
		unix.Close(fd)
		return nil, nil, err
	}
	switch err := connectRaw(fd, dst); err {
	case nil, unix.EINPROGRESS, unix.EINTR:
		// EINTR: the kernel carries on connecting; the wait below sees
		// the outcome, as Go's own net package assumes.
	default:
		unix.Close(fd)
		return nil, nil, ctxErr(ctx, "connect "+c.Addr.String(), os.NewSyscallError("connect", err))
	}
	// From here the *os.File owns fd: it registers it with the netpoller and
	// closes it.
	f := os.NewFile(uintptr(fd), "tcp-probe")
	rc, err := f.SyscallConn()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("socket: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		if err := f.SetDeadline(dl); err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("set deadline: %w", err)
		}
	}
	// Cancelling ctx (the scheduler stopping) ends the wait and any later
	// read or write at once instead of at the deadline.
	stop := context.AfterFunc(ctx, func() { f.SetDeadline(time.Unix(1, 0)) })
	closeConn := func(how closeHow) {
		stop()
		rc.Control(func(fd uintptr) { setCloseLinger(int(fd), how) })
		f.Close()
	}
	var connErr error
	werr := rc.Write(func(fd uintptr) bool {
		// Asking connect again is one syscall that tells all three
		// outcomes on Linux: 0 or EISCONN once established, EALREADY
		// while the handshake runs, the pending error (ECONNREFUSED,
		// ETIMEDOUT, …) once it failed. It also copes with a spurious
		// wake-up, which SO_ERROR alone would mistake for success.
		switch err := unix.Connect(int(fd), dst); err {
		case nil, unix.EISCONN:
			return true
		case unix.EALREADY, unix.EINPROGRESS, unix.EINTR:
			return false
		default:
			connErr = os.NewSyscallError("connect", err)
			return true
		}
	})
	if werr == nil {
		werr = connErr
	}
	if werr != nil {
		closeConn(closeGraceful)
		return nil, nil, ctxErr(ctx, "connect "+c.Addr.String(), werr)
	}
	return probeConn{File: f, remote: c.Addr}, closeConn, nil
}

// bindSocket applies bind_if, fwmark, bindto and bind_port to a fresh socket.
func (c Conn) bindSocket(fd int) error {
	if err := applySockOpts(fd, c.BindIf, c.FWMark); err != nil {
		return err
	}
	if !c.BindTo.IsValid() && c.BindPort == 0 {
		return nil
	}
	src := c.BindTo
	if !src.IsValid() {
		src = netip.IPv4Unspecified()
		if !c.Addr.Addr().Unmap().Is4() {
			src = netip.IPv6Unspecified()
		}
	}
	sa, _, err := sockaddrOf(netip.AddrPortFrom(src, c.BindPort), "")
	if err != nil {
		return fmt.Errorf("bindto %s: %w", src, err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fmt.Errorf("bind %s: %w", netip.AddrPortFrom(src, c.BindPort), os.NewSyscallError("bind", err))
	}
	return nil
}

// setCloseLinger prepares fd's close as how says: closeAbort sets
// SO_LINGER 0 (close sends RST and frees the socket now, so no TIME_WAIT
// entry outlives the probe); closeGraceful lingers up to 5 s, as keepalived
// 2.2.7 does (see closeProbe: when the TIME_WAIT table is full an
// unlingered socket vanishes at once and a later probe may reuse its port
// too early); closeQuiet leaves the default, the server having closed
// first.
func setCloseLinger(fd int, how closeHow) {
	var linger unix.Linger
	switch how {
	case closeQuiet:
		return
	case closeAbort:
		linger = unix.Linger{Onoff: 1, Linger: 0}
	default:
		linger = unix.Linger{Onoff: 1, Linger: 5}
	}
	unix.SetsockoptLinger(fd, unix.SOL_SOCKET, unix.SO_LINGER, &linger)
}

// connectRaw starts a non-blocking connect without telling the Go
// runtime it is in a system call (the epoll poller's epollAddRaw likewise
// registers the socket). Neither can block (the socket is non-blocking; on loopback the
// kernel runs the whole handshake inside connect, ~100 µs of CPU on the
// benchmark VM), so the runtime's bookkeeping is pure cost: a call that
// long lets the runtime's monitor hand the scheduler's P to another
// thread, and with one CPU every batch of probe starts then paid futex
// wake-ups and thread switches. Closes, which can wait for the peer
// (SO_LINGER), stay ordinary system calls.
func connectRaw(fd int, sa unix.Sockaddr) error {
	var e unix.Errno
	switch a := sa.(type) {
	case *unix.SockaddrInet4:
		raw := unix.RawSockaddrInet4{Family: unix.AF_INET, Addr: a.Addr}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&raw.Port))[:], uint16(a.Port))
		_, _, e = unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&raw)), unix.SizeofSockaddrInet4)
	case *unix.SockaddrInet6:
		raw := unix.RawSockaddrInet6{Family: unix.AF_INET6, Addr: a.Addr, Scope_id: a.ZoneId}
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&raw.Port))[:], uint16(a.Port))
		_, _, e = unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&raw)), unix.SizeofSockaddrInet6)
	default:
		return unix.Connect(fd, sa)
	}
	if e != 0 {
		return e
	}
	return nil
}

// sockaddrOf converts ap for the socket calls: IPv4 and IPv4-mapped
// addresses become AF_INET (as net.Dial treats them), an IPv6 zone becomes
// its interface index, and a link-local IPv6 address without a zone takes
// bind_if's (needed to route it at all).
func sockaddrOf(ap netip.AddrPort, bindIf string) (unix.Sockaddr, int, error) {
	a := ap.Addr()
	if a.Unmap().Is4() {
		return &unix.SockaddrInet4{Port: int(ap.Port()), Addr: a.Unmap().As4()}, unix.AF_INET, nil
	}
	sa := &unix.SockaddrInet6{Port: int(ap.Port()), Addr: a.As16()}
	zone := a.Zone()
	if zone == "" && a.IsLinkLocalUnicast() {
		zone = bindIf
	}
	if zone != "" {
		idx, err := zoneIndex(zone)
		if err != nil {
			return nil, 0, err
		}
		sa.ZoneId = idx
	}
	return sa, unix.AF_INET6, nil
}

// zoneIndex resolves an IPv6 zone (interface name or number).
func zoneIndex(zone string) (uint32, error) {
	if n, err := strconv.ParseUint(zone, 10, 32); err == nil {
		return uint32(n), nil
	}
	ifi, err := net.InterfaceByName(zone)
	if err != nil {
		return 0, fmt.Errorf("zone %s: %w", zone, err)
	}
	if ifi.Index <= 0 {
		return 0, errors.New("zone " + zone + ": no interface index")
	}
	return uint32(ifi.Index), nil
}

// probeConn is a connected probe socket as a net.Conn, for the HTTP and
// TLS code: *os.File already reads, writes and keeps deadlines on the
// netpoller; only the addresses are added.
type probeConn struct {
	*os.File
	remote netip.AddrPort
}

// LocalAddr is not tracked (no getsockname per probe); nothing reads it.
func (probeConn) LocalAddr() net.Addr { return &net.TCPAddr{} }

// RemoteAddr is the probe target.
func (p probeConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(p.remote) }
