package healthcheck

import (
	"bytes"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"
)

// udpServer replies to every datagram with reply(datagram) (nil: no reply).
func udpServer(t *testing.T, reply func([]byte) []byte) netip.AddrPort {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pc.Close() })
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			if r := reply(append([]byte(nil), buf[:n]...)); r != nil {
				pc.WriteTo(r, from)
			}
		}
	}()
	return addrOf(t, pc.LocalAddr())
}

func TestParseHex(t *testing.T) {
	got, err := ParseHex("Ab12f 3 456 546443123")
	if err != nil {
		t.Fatal(err)
	}
	// The example in keepalived.conf(5).
	if want := []byte{0xAB, 0x12, 0x0F, 0x03, 0x45, 0x06, 0x54, 0x64, 0x43, 0x12, 0x03}; !bytes.Equal(got, want) {
		t.Errorf("got % X, want % X", got, want)
	}
	for _, bad := range []string{"", "zz", "1X"} {
		if _, err := ParseHex(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	p, err := ParseHexPattern("01xX 3x")
	if err != nil {
		t.Fatal(err)
	}
	if !p.match([]byte{0x01, 0x77, 0x3F}) || p.match([]byte{0x02, 0x77, 0x3F}) || p.match([]byte{0x01, 0x00, 0x4F}) {
		t.Error("wildcard pattern matched wrongly")
	}
}

func TestUDPEcho(t *testing.T) {
	ap := udpServer(t, func(b []byte) []byte { return b })
	payload, _ := ParseHex("DEADBEEF 01")
	pat, _ := ParseHexPattern("DEADxxEF")
	c, err := NewUDP(UDPOptions{Conn: Conn{Addr: ap}, Payload: payload, RequireReply: true, ReplyPattern: pat})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := checkWithin(t, c, time.Second)
	mustPass(t, r)

	wrong, _ := ParseHexPattern("CAFE")
	c, _ = NewUDP(UDPOptions{Conn: Conn{Addr: ap}, Payload: payload, RequireReply: true, ReplyPattern: wrong})
	r, _ = checkWithin(t, c, time.Second)
	mustFail(t, r, "reply does not match")

	c, _ = NewUDP(UDPOptions{Conn: Conn{Addr: ap}, Payload: payload, RequireReply: true, MinReplyLength: 8})
	r, _ = checkWithin(t, c, time.Second)
	mustFail(t, r, "reply shorter than min_reply_length")
	c, _ = NewUDP(UDPOptions{Conn: Conn{Addr: ap}, Payload: payload, RequireReply: true, MaxReplyLength: 4})
	r, _ = checkWithin(t, c, time.Second)
	mustFail(t, r, "reply longer than max_reply_length")
}

func TestUDPNoReply(t *testing.T) {
	ap := udpServer(t, func([]byte) []byte { return nil })
	// Without require_reply, silence until the deadline is alive.
	c, _ := NewUDP(UDPOptions{Conn: Conn{Addr: ap}})
	r, _ := checkWithin(t, c, 200*time.Millisecond)
	mustPass(t, r)
	c, _ = NewUDP(UDPOptions{Conn: Conn{Addr: ap}, RequireReply: true})
	r, _ = checkWithin(t, c, 200*time.Millisecond)
	mustFail(t, r, "reply required")
	if !errors.Is(r.Err, ErrTimeout) {
		t.Errorf("%v is not a timeout", r.Err)
	}
}

func TestUDPPortUnreachable(t *testing.T) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ap := addrOf(t, pc.LocalAddr())
	pc.Close()
	c, _ := NewUDP(UDPOptions{Conn: Conn{Addr: ap}})
	r, took := checkWithin(t, c, 3*time.Second)
	mustFail(t, r, "ICMP port unreachable")
	if took > time.Second {
		t.Errorf("took %v: the ICMP error should end the probe early", took)
	}
}

func TestUDPBadInput(t *testing.T) {
	ap := netip.MustParseAddrPort("127.0.0.1:9")
	pat, _ := ParseHexPattern("01")
	for _, o := range []UDPOptions{
		{MinReplyLength: 10, MaxReplyLength: 5},
		{MinReplyLength: -1},
		{ReplyPattern: pat},
	} {
		o.Conn.Addr = ap
		if _, err := NewUDP(o); err == nil {
			t.Errorf("%+v accepted", o)
		}
	}
}
