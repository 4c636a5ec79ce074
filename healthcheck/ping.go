package healthcheck

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"time"

	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"
)

// PingOptions configures PING_CHECK (ICMP echo). Conn.Addr's port is
// ignored; bind_if and fwmark are not supported for PING_CHECK yet.
type PingOptions struct {
	Conn Conn
}

// PingChecker is PING_CHECK. It uses an unprivileged ICMP datagram socket
// where net.ipv4.ping_group_range allows it and a raw socket otherwise
// (root or CAP_NET_RAW).
type PingChecker struct {
	o   PingOptions
	seq atomic.Uint32
}

// NewPing validates o and returns a PING_CHECK checker.
func NewPing(o PingOptions) (*PingChecker, error) {
	if !o.Conn.Addr.Addr().IsValid() {
		return nil, errors.New("PING_CHECK: no address to ping")
	}
	if o.Conn.BindIf != "" || o.Conn.FWMark != 0 {
		return nil, errors.New("PING_CHECK: bind_if and fwmark are not supported")
	}
	return &PingChecker{o: o}, nil
}

// Kind returns KindPing.
func (c *PingChecker) Kind() Kind { return KindPing }

// Check sends one echo request and waits for the matching reply.
func (c *PingChecker) Check(ctx context.Context) Result {
	dst := c.o.Conn.Addr.Addr().Unmap()
	v6 := dst.Is6()
	bind := ""
	if c.o.Conn.BindTo.IsValid() {
		bind = c.o.Conn.BindTo.String()
	}
	pc, raw, err := listenICMP(v6, bind)
	if err != nil {
		return fail(fmt.Errorf("open ICMP socket: %w", err))
	}
	defer pc.Close()
	if dl, ok := ctx.Deadline(); ok {
		pc.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { pc.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	var typ, replyTyp icmp.Type = ipv4.ICMPTypeEcho, ipv4.ICMPTypeEchoReply
	proto := 1
	if v6 {
		typ, replyTyp, proto = ipv6.ICMPTypeEchoRequest, ipv6.ICMPTypeEchoReply, 58
	}
	id := os.Getpid() & 0xffff
	seq := int(c.seq.Add(1) & 0xffff)
	data := make([]byte, 16)
	if _, err := rand.Read(data); err != nil {
		return fail(fmt.Errorf("echo payload: %w", err))
	}
	msg, err := (&icmp.Message{Type: typ, Body: &icmp.Echo{ID: id, Seq: seq, Data: data}}).Marshal(nil)
	if err != nil {
		return fail(fmt.Errorf("build echo: %w", err))
	}
	var to net.Addr = &net.UDPAddr{IP: dst.AsSlice(), Zone: dst.Zone()}
	if raw {
		to = &net.IPAddr{IP: dst.AsSlice(), Zone: dst.Zone()}
	}
	if _, err := pc.WriteTo(msg, to); err != nil {
		return fail(ctxErr(ctx, "send echo", err))
	}
	buf := make([]byte, 1500)
	for {
		n, _, err := pc.ReadFrom(buf)
		if err != nil {
			return fail(ctxErr(ctx, "no echo reply", err))
		}
		m, err := icmp.ParseMessage(proto, buf[:n])
		if err != nil || m.Type != replyTyp {
			continue
		}
		e, ok := m.Body.(*icmp.Echo)
		// A datagram socket gets its ID rewritten by the kernel (and only
		// sees its own replies); a raw socket sees every reply on the host.
		if !ok || e.Seq != seq || !bytes.Equal(e.Data, data) || (raw && e.ID != id) {
			continue
		}
		return Result{}
	}
}

// listenICMP prefers the unprivileged datagram socket.
func listenICMP(v6 bool, bind string) (*icmp.PacketConn, bool, error) {
	dgram, rawNet := "udp4", "ip4:icmp"
	if v6 {
		dgram, rawNet = "udp6", "ip6:ipv6-icmp"
	}
	if bind == "" {
		bind = map[bool]string{false: "0.0.0.0", true: "::"}[v6]
	}
	pc, err := icmp.ListenPacket(dgram, bind)
	if err == nil {
		return pc, false, nil
	}
	pc, rerr := icmp.ListenPacket(rawNet, bind)
	if rerr != nil {
		return nil, false, fmt.Errorf("datagram: %v; raw: %w", err, rerr)
	}
	return pc, true, nil
}
