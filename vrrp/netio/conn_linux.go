package netio

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// oobSize holds IP_PKTINFO/IPV6_PKTINFO plus IP_TTL/IPV6_HOPLIMIT with room
// to spare; anything larger is flagged MSG_CTRUNC and counted as malformed.
const oobSize = 128

// TOS 0xc0 (DSCP CS6, "network control") is what keepalived sets on
// adverts so that they survive congested links.
const advertTOS = 0xc0

// group returns the multicast group for c, defaulted by family.
func (c Config) group() netip.Addr {
	if c.Group.IsValid() {
		return c.Group
	}
	if c.IPv6 {
		return DefaultGroup6
	}
	return DefaultGroup4
}

// ttl returns the unicast TTL for c, defaulted to 255.
func (c Config) ttl() int {
	if c.TTL > 0 && c.TTL <= MaxTTL {
		return c.TTL
	}
	return MaxTTL
}

// Conn is a VRRP socket bound to one interface and one address family.
//
// Read may be called by one goroutine at a time and WriteTo by any number;
// Close unblocks a pending Read.
type Conn struct {
	pc    net.PacketConn
	rc    syscall.RawConn
	cfg   Config
	group netip.Addr
	raw   bool // raw IP socket: IPv4 reads include the IP header

	stats struct {
		received, malformed, truncated, wrongIf atomic.Uint64
	}

	// Receive state, reused across calls so that Read does not allocate:
	// the syscall arguments live here and the RawConn callback is a method
	// value bound once in NewConn.
	rmsg    unix.Msghdr
	riov    unix.Iovec
	rfrom   unix.RawSockaddrAny
	roob    [oobSize]byte
	rn      int
	rerrno  syscall.Errno
	recvFn  func(fd uintptr) bool
	sendFn  func(fd uintptr) bool
	wmu     sync.Mutex // guards the send state below
	wbuf    []byte
	wto     unix.Sockaddr
	wsa4    unix.SockaddrInet4
	wsa6    unix.SockaddrInet6
	woob    []byte // IP_PKTINFO/IPV6_PKTINFO selecting source and interface
	werr    error
	wfamily int
}

// Listen opens a raw IP protocol-112 socket for cfg (root or CAP_NET_RAW
// needed) and configures it as keepalived does: bound to the interface,
// TTL/hop limit 255, TOS/traffic class 0xc0, multicast loop and
// IP_MULTICAST_ALL off, joined to the VRRP group unless cfg.Unicast.
func Listen(ctx context.Context, cfg Config) (*Conn, error) {
	network, laddr := "ip4:112", "0.0.0.0"
	if cfg.IPv6 {
		network, laddr = "ip6:112", "::"
	}
	var lc net.ListenConfig
	pc, err := lc.ListenPacket(ctx, network, laddr)
	if err != nil {
		return nil, fmt.Errorf("netio: opening %s socket: %w", network, err)
	}
	c, err := NewConn(pc, cfg)
	if err != nil {
		_ = pc.Close()
		return nil, err
	}
	return c, nil
}

// NewConn configures an existing socket as a VRRP Conn and takes ownership
// of it. pc must be a raw IP socket (as Listen opens) or a UDP socket of the
// same family; the UDP case lets tests run on loopback without root, with
// cfg.Port as the destination port.
func NewConn(pc net.PacketConn, cfg Config) (*Conn, error) {
	sc, ok := pc.(syscall.Conn)
	if !ok {
		return nil, fmt.Errorf("netio: %T does not expose its file descriptor", pc)
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("netio: raw conn: %w", err)
	}
	c := &Conn{pc: pc, rc: rc, cfg: cfg, group: cfg.group()}
	c.recvFn = c.recv
	c.sendFn = c.send
	if err := c.setup(); err != nil {
		return nil, err
	}
	return c, nil
}

// setup applies every socket option; the first failure aborts.
func (c *Conn) setup() error {
	var serr error
	err := c.rc.Control(func(fd uintptr) {
		serr = c.setupFD(int(fd))
	})
	if err != nil {
		return fmt.Errorf("netio: socket control: %w", err)
	}
	return serr
}

func (c *Conn) setupFD(fd int) error {
	typ, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_TYPE)
	if err != nil {
		return fmt.Errorf("netio: SO_TYPE: %w", err)
	}
	dom, err := unix.GetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_DOMAIN)
	if err != nil {
		return fmt.Errorf("netio: SO_DOMAIN: %w", err)
	}
	c.raw = typ == unix.SOCK_RAW
	want := unix.AF_INET
	if c.cfg.IPv6 {
		want = unix.AF_INET6
	}
	if dom != want {
		return fmt.Errorf("netio: socket family %d does not match config (IPv6=%v)", dom, c.cfg.IPv6)
	}
	c.wfamily = dom
	if c.cfg.Source.IsValid() && c.cfg.Source.Is6() != c.cfg.IPv6 {
		return fmt.Errorf("netio: source %s does not match config family", c.cfg.Source)
	}

	if c.cfg.Ifindex != 0 {
		// Without the device binding a raw proto-112 socket sees adverts
		// from every interface of the host.
		if err := bindToIfindex(fd, c.cfg.Ifindex); err != nil {
			return err
		}
	}
	if c.cfg.IPv6 {
		return c.setup6(fd)
	}
	return c.setup4(fd)
}

// bindToIfindex binds fd to an interface by index, falling back to the
// name-based SO_BINDTODEVICE on kernels before 5.0.
func bindToIfindex(fd, ifindex int) error {
	err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BINDTOIFINDEX, ifindex)
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.ENOPROTOOPT) {
		return fmt.Errorf("netio: SO_BINDTOIFINDEX %d: %w", ifindex, err)
	}
	ifi, err := net.InterfaceByIndex(ifindex)
	if err != nil {
		return fmt.Errorf("netio: interface %d: %w", ifindex, err)
	}
	if err := unix.BindToDevice(fd, ifi.Name); err != nil {
		return fmt.Errorf("netio: SO_BINDTODEVICE %s: %w", ifi.Name, err)
	}
	return nil
}

type sockopt struct {
	name      string
	level, op int
	val       int
	optional  bool // older kernels lack it; the ifindex filter still holds
}

func applyOpts(fd int, opts []sockopt) error {
	for _, o := range opts {
		err := unix.SetsockoptInt(fd, o.level, o.op, o.val)
		if err != nil && !(o.optional && errors.Is(err, unix.ENOPROTOOPT)) {
			return fmt.Errorf("netio: setsockopt %s=%d: %w", o.name, o.val, err)
		}
	}
	return nil
}

func (c *Conn) setup4(fd int) error {
	opts := []sockopt{
		{"IP_PKTINFO", unix.IPPROTO_IP, unix.IP_PKTINFO, 1, false},
		{"IP_RECVTTL", unix.IPPROTO_IP, unix.IP_RECVTTL, 1, false},
		{"IP_TOS", unix.IPPROTO_IP, unix.IP_TOS, advertTOS, false},
		{"IP_TTL", unix.IPPROTO_IP, unix.IP_TTL, c.cfg.ttl(), false},
		{"IP_MULTICAST_TTL", unix.IPPROTO_IP, unix.IP_MULTICAST_TTL, MaxTTL, false},
		{"IP_MULTICAST_LOOP", unix.IPPROTO_IP, unix.IP_MULTICAST_LOOP, 0, false},
		// Without this a socket receives traffic for groups joined by any
		// socket on the host, not only its own.
		{"IP_MULTICAST_ALL", unix.IPPROTO_IP, unix.IP_MULTICAST_ALL, 0, true},
	}
	if err := applyOpts(fd, opts); err != nil {
		return err
	}
	if c.cfg.Ifindex != 0 {
		mreq := &unix.IPMreqn{Ifindex: int32(c.cfg.Ifindex)}
		if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_MULTICAST_IF, mreq); err != nil {
			return fmt.Errorf("netio: IP_MULTICAST_IF %d: %w", c.cfg.Ifindex, err)
		}
	}
	if !c.cfg.Unicast {
		if !c.group.Is4() || !c.group.IsMulticast() {
			return fmt.Errorf("netio: group %s is not an IPv4 multicast address", c.group)
		}
		mreq := &unix.IPMreqn{Multiaddr: c.group.As4(), Ifindex: int32(c.cfg.Ifindex)}
		if err := unix.SetsockoptIPMreqn(fd, unix.IPPROTO_IP, unix.IP_ADD_MEMBERSHIP, mreq); err != nil {
			return fmt.Errorf("netio: joining %s on ifindex %d: %w", c.group, c.cfg.Ifindex, err)
		}
	}
	if c.cfg.Source.IsValid() || c.cfg.Ifindex != 0 {
		// ipi_spec_dst is the source address of what we send.
		pi := unix.Inet4Pktinfo{Ifindex: int32(c.cfg.Ifindex)}
		if c.cfg.Source.IsValid() {
			pi.Spec_dst = c.cfg.Source.As4()
		}
		c.woob = unix.PktInfo4(&pi)
	}
	return nil
}

func (c *Conn) setup6(fd int) error {
	opts := []sockopt{
		{"IPV6_RECVPKTINFO", unix.IPPROTO_IPV6, unix.IPV6_RECVPKTINFO, 1, false},
		{"IPV6_RECVHOPLIMIT", unix.IPPROTO_IPV6, unix.IPV6_RECVHOPLIMIT, 1, false},
		{"IPV6_TCLASS", unix.IPPROTO_IPV6, unix.IPV6_TCLASS, advertTOS, false},
		{"IPV6_UNICAST_HOPS", unix.IPPROTO_IPV6, unix.IPV6_UNICAST_HOPS, c.cfg.ttl(), false},
		{"IPV6_MULTICAST_HOPS", unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_HOPS, MaxTTL, false},
		{"IPV6_MULTICAST_LOOP", unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_LOOP, 0, false},
		{"IPV6_MULTICAST_ALL", unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_ALL, 0, true},
	}
	if c.raw {
		// The kernel computes the VRRPv3 checksum (at offset 6, over the
		// RFC 2460 pseudo-header) on send and verifies it on receive.
		opts = append(opts, sockopt{"IPV6_CHECKSUM", unix.IPPROTO_IPV6, unix.IPV6_CHECKSUM, 6, false})
	}
	if c.cfg.Ifindex != 0 {
		opts = append(opts, sockopt{"IPV6_MULTICAST_IF", unix.IPPROTO_IPV6, unix.IPV6_MULTICAST_IF, c.cfg.Ifindex, false})
	}
	if err := applyOpts(fd, opts); err != nil {
		return err
	}
	if !c.cfg.Unicast {
		if !c.group.Is6() || !c.group.IsMulticast() {
			return fmt.Errorf("netio: group %s is not an IPv6 multicast address", c.group)
		}
		mreq := &unix.IPv6Mreq{Multiaddr: c.group.As16(), Interface: uint32(c.cfg.Ifindex)}
		if err := unix.SetsockoptIPv6Mreq(fd, unix.IPPROTO_IPV6, unix.IPV6_JOIN_GROUP, mreq); err != nil {
			return fmt.Errorf("netio: joining %s on ifindex %d: %w", c.group, c.cfg.Ifindex, err)
		}
	}
	if c.cfg.Source.IsValid() || c.cfg.Ifindex != 0 {
		var pi unix.Inet6Pktinfo
		pi.Ifindex = uint32(c.cfg.Ifindex)
		if c.cfg.Source.IsValid() {
			pi.Addr = c.cfg.Source.As16()
		}
		c.woob = unix.PktInfo6(&pi)
	}
	return nil
}

// Group returns the multicast group this Conn joined (or would join).
func (c *Conn) Group() netip.Addr { return c.group }

// Stats returns a snapshot of the receive counters.
func (c *Conn) Stats() Stats {
	return Stats{
		Received:       c.stats.received.Load(),
		Malformed:      c.stats.malformed.Load(),
		Truncated:      c.stats.truncated.Load(),
		WrongInterface: c.stats.wrongIf.Load(),
	}
}

// Close closes the socket and unblocks a pending Read.
func (c *Conn) Close() error {
	return c.pc.Close()
}

// LocalAddr returns the socket's local address.
func (c *Conn) LocalAddr() net.Addr { return c.pc.LocalAddr() }

// SetReadDeadline sets the deadline for Read, as net.Conn does; a Read
// past the deadline fails with an error wrapping os.ErrDeadlineExceeded.
func (c *Conn) SetReadDeadline(t time.Time) error {
	return c.pc.SetReadDeadline(t)
}

// WriteTo sends one VRRP message b (without IP header) to dst, which is the
// multicast group or a unicast peer. The kernel adds the IP header with the
// configured source, TTL and TOS. For VRRPv3 over IPv4 the checksum covers
// dst, so callers marshal b per destination.
func (c *Conn) WriteTo(b []byte, dst netip.Addr) (int, error) {
	if !dst.IsValid() || dst.Is6() != c.cfg.IPv6 || (dst.Is4In6()) {
		return 0, fmt.Errorf("netio: destination %s does not match the socket family", dst)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wfamily == unix.AF_INET {
		c.wsa4 = unix.SockaddrInet4{Addr: dst.As4()}
		if !c.raw {
			c.wsa4.Port = int(c.cfg.Port)
		}
		c.wto = &c.wsa4
	} else {
		c.wsa6 = unix.SockaddrInet6{Addr: dst.As16()}
		if !c.raw {
			c.wsa6.Port = int(c.cfg.Port)
		}
		c.wto = &c.wsa6
	}
	c.wbuf = b
	c.werr = nil
	err := c.rc.Write(c.sendFn)
	c.wbuf = nil
	if err == nil {
		err = c.werr
	}
	if err != nil {
		return 0, fmt.Errorf("netio: sending to %s: %w", dst, err)
	}
	return len(b), nil
}

// send is the RawConn.Write callback; it runs with wmu held.
func (c *Conn) send(fd uintptr) bool {
	_, err := unix.SendmsgN(int(fd), c.wbuf, c.woob, c.wto, unix.MSG_DONTWAIT)
	if err == unix.EAGAIN {
		return false
	}
	c.werr = err
	return true
}

// Read waits for the next well-formed packet addressed to this socket and
// returns its VRRP message (a subslice of b, IP header removed) and metadata.
// Malformed, truncated and foreign-interface packets are counted in Stats and
// skipped. Read does not allocate.
func (c *Conn) Read(b []byte) ([]byte, Meta, error) {
	if len(b) == 0 {
		return nil, Meta{}, errors.New("netio: Read needs a non-empty buffer")
	}
	for {
		c.riov.Base = &b[0]
		c.riov.SetLen(len(b))
		c.rn, c.rerrno = 0, 0
		if err := c.rc.Read(c.recvFn); err != nil {
			c.riov.Base = nil
			return nil, Meta{}, fmt.Errorf("netio: read: %w", err)
		}
		c.riov.Base = nil
		if c.rerrno != 0 {
			return nil, Meta{}, fmt.Errorf("netio: recvmsg: %w", c.rerrno)
		}
		payload, m, drop := c.parse(b[:c.rn])
		switch drop {
		case dropNone:
			if c.cfg.Ifindex != 0 && m.Ifindex != c.cfg.Ifindex {
				c.stats.wrongIf.Add(1)
				continue
			}
			c.stats.received.Add(1)
			return payload, m, nil
		case dropTruncated:
			c.stats.truncated.Add(1)
		default:
			c.stats.malformed.Add(1)
		}
	}
}

// recv is the RawConn.Read callback: one non-blocking recvmsg(2) into the
// buffers prepared by Read.
func (c *Conn) recv(fd uintptr) bool {
	c.rmsg = unix.Msghdr{
		Name:    (*byte)(unsafe.Pointer(&c.rfrom)),
		Namelen: unix.SizeofSockaddrAny,
		Iov:     &c.riov,
		Control: &c.roob[0],
	}
	c.rmsg.SetIovlen(1)
	c.rmsg.SetControllen(len(c.roob))
	n, _, errno := unix.Syscall(unix.SYS_RECVMSG, fd, uintptr(unsafe.Pointer(&c.rmsg)), unix.MSG_DONTWAIT)
	if errno == unix.EAGAIN || errno == unix.EINTR {
		return false
	}
	c.rn, c.rerrno = int(n), errno
	return true
}

type dropReason int

const (
	dropNone dropReason = iota
	dropTruncated
	dropMalformed
)

// parse turns the last recvmsg result into payload and metadata.
func (c *Conn) parse(b []byte) ([]byte, Meta, dropReason) {
	if c.rmsg.Flags&unix.MSG_TRUNC != 0 {
		return nil, Meta{}, dropTruncated
	}
	if c.rmsg.Flags&unix.MSG_CTRUNC != 0 {
		return nil, Meta{}, dropMalformed
	}
	m := Meta{TTL: -1}
	m.Src = sockaddrAddr(&c.rfrom)
	if !parseCmsgs(c.roob[:c.rmsg.Controllen], &m) {
		return nil, Meta{}, dropMalformed
	}
	payload := b
	if c.raw && !c.cfg.IPv6 {
		p, h, ok := stripIPv4(b)
		if !ok {
			return nil, Meta{}, dropMalformed
		}
		payload = p
		// The header is what was on the wire; prefer it to the cmsgs.
		m.Src, m.Dst, m.TTL = h.src, h.dst, h.ttl
	}
	if !m.Src.IsValid() || !m.Dst.IsValid() || m.Ifindex == 0 {
		return nil, Meta{}, dropMalformed
	}
	return payload, m, dropNone
}

// sockaddrAddr returns the address in a raw sockaddr, or the zero Addr.
func sockaddrAddr(sa *unix.RawSockaddrAny) netip.Addr {
	switch sa.Addr.Family {
	case unix.AF_INET:
		p := (*unix.RawSockaddrInet4)(unsafe.Pointer(sa))
		return netip.AddrFrom4(p.Addr)
	case unix.AF_INET6:
		p := (*unix.RawSockaddrInet6)(unsafe.Pointer(sa))
		return netip.AddrFrom16(p.Addr)
	}
	return netip.Addr{}
}

// parseCmsgs fills m from IP_PKTINFO/IP_TTL or IPV6_PKTINFO/IPV6_HOPLIMIT
// control messages. It reports false for a malformed control buffer.
func parseCmsgs(oob []byte, m *Meta) bool {
	// struct cmsghdr { size_t len; int level; int type; }, read field by
	// field so that the buffer needs no particular alignment.
	lenSize := int(unsafe.Sizeof(unix.Cmsghdr{}.Len))
	hdr := unix.CmsgLen(0)
	for len(oob) > 0 {
		if len(oob) < unix.SizeofCmsghdr {
			return false
		}
		var l64 uint64
		if lenSize == 8 {
			l64 = binary.NativeEndian.Uint64(oob)
		} else {
			l64 = uint64(binary.NativeEndian.Uint32(oob))
		}
		if l64 < uint64(hdr) || l64 > uint64(len(oob)) {
			return false
		}
		l := int(l64)
		level := int32(binary.NativeEndian.Uint32(oob[lenSize:]))
		typ := int32(binary.NativeEndian.Uint32(oob[lenSize+4:]))
		data := oob[hdr:l]
		switch {
		case level == unix.IPPROTO_IP && typ == unix.IP_PKTINFO && len(data) >= 12:
			// struct in_pktinfo { int ifindex; in_addr spec_dst; in_addr addr; }
			m.Ifindex = int(int32(binary.NativeEndian.Uint32(data[0:4])))
			m.Dst = netip.AddrFrom4([4]byte(data[8:12]))
		case level == unix.IPPROTO_IP && typ == unix.IP_TTL && len(data) >= 4:
			m.TTL = int(int32(binary.NativeEndian.Uint32(data[0:4])))
		case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_PKTINFO && len(data) >= 20:
			// struct in6_pktinfo { in6_addr addr; unsigned ifindex; }
			m.Dst = netip.AddrFrom16([16]byte(data[0:16]))
			m.Ifindex = int(binary.NativeEndian.Uint32(data[16:20]))
		case level == unix.IPPROTO_IPV6 && typ == unix.IPV6_HOPLIMIT && len(data) >= 4:
			m.TTL = int(int32(binary.NativeEndian.Uint32(data[0:4])))
		}
		next := unix.CmsgSpace(l - hdr)
		if next >= len(oob) {
			break
		}
		oob = oob[next:]
	}
	return true
}

// ipv4Header holds the fields of a received IPv4 header that Meta needs.
type ipv4Header struct {
	src, dst netip.Addr
	ttl      int
}

// stripIPv4 validates the IPv4 header at the start of b and returns the
// payload after it. Trailing bytes beyond the header's total length
// (Ethernet padding) are cut off; a total length larger than b, an IHL below
// 5 or beyond b, or a version other than 4 are malformed.
func stripIPv4(b []byte) ([]byte, ipv4Header, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return nil, ipv4Header{}, false
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:4]))
	if ihl < 20 || ihl > len(b) || total < ihl || total > len(b) {
		return nil, ipv4Header{}, false
	}
	h := ipv4Header{
		ttl: int(b[8]),
		src: netip.AddrFrom4([4]byte(b[12:16])),
		dst: netip.AddrFrom4([4]byte(b[16:20])),
	}
	return b[ihl:total], h, true
}
