package netio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"os"
	"testing"
	"time"
)

// loopbackPair builds two Conns over UDP sockets on loopback: no root
// needed, and the receive path (recvmsg, control messages, counters) is the
// same code the raw sockets use.
func loopbackPair(t *testing.T, ipv6 bool, ttl int) (tx, rx *Conn, dst netip.Addr) {
	t.Helper()
	network, host := "udp4", "127.0.0.1"
	if ipv6 {
		network, host = "udp6", "::1"
	}
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		t.Skipf("no loopback interface: %v", err)
	}
	rpc, err := net.ListenPacket(network, net.JoinHostPort(host, "0"))
	if err != nil {
		t.Skipf("cannot listen on %s: %v", host, err)
	}
	rx, err = NewConn(rpc, Config{Ifindex: lo.Index, IPv6: ipv6, Unicast: true})
	if err != nil {
		rpc.Close()
		t.Fatalf("NewConn(rx): %v", err)
	}
	t.Cleanup(func() { rx.Close() })
	port := uint16(rpc.LocalAddr().(*net.UDPAddr).Port)

	tpc, err := net.ListenPacket(network, net.JoinHostPort(host, "0"))
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	dst = netip.MustParseAddr(host)
	tx, err = NewConn(tpc, Config{Ifindex: lo.Index, IPv6: ipv6, Unicast: true, Source: dst, TTL: ttl, Port: port})
	if err != nil {
		tpc.Close()
		t.Fatalf("NewConn(tx): %v", err)
	}
	t.Cleanup(func() { tx.Close() })
	return tx, rx, dst
}

func readOne(t *testing.T, c *Conn, buf []byte) ([]byte, Meta) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	p, m, err := c.Read(buf)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return p, m
}

func TestConnLoopbackMetadata(t *testing.T) {
	for _, tc := range []struct {
		name    string
		ipv6    bool
		ttl     int
		wantTTL int
	}{
		{"ipv4 default ttl", false, 0, 255},
		{"ipv4 ttl 64", false, 64, 64},
		{"ipv6 default hop limit", true, 0, 255},
		{"ipv6 hop limit 1", true, 1, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tx, rx, dst := loopbackPair(t, tc.ipv6, tc.ttl)
			msg := []byte{0x31, 51, 100, 1, 0, 100, 0, 0, 10, 0, 0, 1}
			if _, err := tx.WriteTo(msg, dst); err != nil {
				t.Fatalf("WriteTo: %v", err)
			}
			p, m := readOne(t, rx, make([]byte, 1500))
			if !bytes.Equal(p, msg) {
				t.Errorf("payload = %x, want %x", p, msg)
			}
			lo, _ := net.InterfaceByName("lo")
			want := Meta{Src: dst, Dst: dst, TTL: tc.wantTTL, Ifindex: lo.Index}
			if m != want {
				t.Errorf("meta = %+v, want %+v", m, want)
			}
			if s := rx.Stats(); s.Received != 1 || s.Malformed+s.Truncated+s.WrongInterface != 0 {
				t.Errorf("stats = %+v, want exactly one received", s)
			}
		})
	}
}

func TestConnTruncatedIsCountedAndSkipped(t *testing.T) {
	tx, rx, dst := loopbackPair(t, false, 0)
	big := bytes.Repeat([]byte{0xaa}, 200)
	small := []byte{1, 2, 3, 4}
	if _, err := tx.WriteTo(big, dst); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.WriteTo(small, dst); err != nil {
		t.Fatal(err)
	}
	p, _ := readOne(t, rx, make([]byte, 64))
	if !bytes.Equal(p, small) {
		t.Fatalf("Read returned %x, want the second, fitting packet %x", p, small)
	}
	if s := rx.Stats(); s.Truncated != 1 || s.Received != 1 {
		t.Errorf("stats = %+v, want 1 truncated, 1 received", s)
	}
}

func TestConnReadDeadlineAndClose(t *testing.T) {
	_, rx, _ := loopbackPair(t, false, 0)
	if err := rx.SetReadDeadline(time.Now().Add(20 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := rx.Read(make([]byte, 100)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past deadline: err = %v, want ErrDeadlineExceeded", err)
	}
	if err := rx.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		_, _, err := rx.Read(make([]byte, 100))
		done <- err
	}()
	rx.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Read after Close: err = %v, want net.ErrClosed", err)
	}
}

func TestConnRejectsWrongFamily(t *testing.T) {
	tx, _, _ := loopbackPair(t, false, 0)
	if _, err := tx.WriteTo([]byte{1}, netip.MustParseAddr("::1")); err == nil {
		t.Fatal("WriteTo an IPv6 address on an IPv4 Conn succeeded")
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	if _, err := NewConn(pc, Config{IPv6: true, Unicast: true}); err == nil {
		t.Fatal("NewConn accepted an IPv4 socket for an IPv6 config")
	}
}

func TestConnReadDoesNotAllocate(t *testing.T) {
	tx, rx, dst := loopbackPair(t, false, 0)
	msg := make([]byte, 40)
	buf := make([]byte, 1500)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := tx.WriteTo(msg, dst); err != nil {
			t.Fatal(err)
		}
		if _, _, err := rx.Read(buf); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("WriteTo+Read allocate %.1f times per packet, want 0", allocs)
	}
}

func BenchmarkConnLoopbackRoundTrip(b *testing.B) {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		b.Skip(err)
	}
	rpc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Skip(err)
	}
	rx, err := NewConn(rpc, Config{Ifindex: lo.Index, Unicast: true})
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	tpc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	tx, err := NewConn(tpc, Config{Ifindex: lo.Index, Unicast: true, Port: uint16(rpc.LocalAddr().(*net.UDPAddr).Port)})
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Close()
	dst := netip.MustParseAddr("127.0.0.1")
	msg := make([]byte, 40)
	buf := make([]byte, 1500)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tx.WriteTo(msg, dst); err != nil {
			b.Fatal(err)
		}
		if _, _, err := rx.Read(buf); err != nil {
			b.Fatal(err)
		}
	}
}

func ipv4Packet(ttl byte, payload []byte, pad int) []byte {
	b := make([]byte, 20+len(payload)+pad)
	b[0] = 0x45
	binary.BigEndian.PutUint16(b[2:4], uint16(20+len(payload)))
	b[8] = ttl
	b[9] = IPProtoVRRP
	copy(b[12:16], []byte{10, 0, 0, 1})
	copy(b[16:20], []byte{224, 0, 0, 18})
	copy(b[20:], payload)
	return b
}

func TestStripIPv4(t *testing.T) {
	payload := []byte{0x21, 1, 2, 3}
	good := ipv4Packet(255, payload, 0)
	withOpts := func() []byte {
		b := make([]byte, 24+len(payload))
		copy(b, good[:20])
		b[0] = 0x46
		binary.BigEndian.PutUint16(b[2:4], uint16(len(b)))
		copy(b[24:], payload)
		return b
	}()
	tests := []struct {
		name    string
		in      []byte
		ok      bool
		payload []byte
		ttl     int
	}{
		{"plain", good, true, payload, 255},
		{"ethernet padding cut", ipv4Packet(3, payload, 6), true, payload, 3},
		{"options skipped", withOpts, true, payload, 255},
		{"empty", nil, false, nil, 0},
		{"short header", good[:19], false, nil, 0},
		{"total beyond data", good[:22], false, nil, 0},
		{"not ipv4", append([]byte{0x65}, good[1:]...), false, nil, 0},
		{"ihl below 5", append([]byte{0x44}, good[1:]...), false, nil, 0},
		{"ihl beyond data", append([]byte{0x4f}, good[1:]...), false, nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, h, ok := stripIPv4(tc.in)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if !bytes.Equal(p, tc.payload) || h.ttl != tc.ttl {
				t.Errorf("payload %x ttl %d, want %x ttl %d", p, h.ttl, tc.payload, tc.ttl)
			}
			if h.src != netip.MustParseAddr("10.0.0.1") || h.dst != DefaultGroup4 {
				t.Errorf("src/dst = %s/%s", h.src, h.dst)
			}
		})
	}
}

func FuzzStripIPv4(f *testing.F) {
	f.Add(ipv4Packet(255, []byte{1, 2, 3}, 0))
	// Seed: IHL 15 (60 bytes) on a 20-byte packet.
	f.Add(append([]byte{0x4f}, ipv4Packet(255, nil, 0)[1:]...))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, _, ok := stripIPv4(b)
		if ok && len(p) > len(b)-20 {
			t.Fatalf("payload of %d bytes from a %d-byte packet", len(p), len(b))
		}
	})
}

func FuzzParseCmsgs(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 16))
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 255, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		// Misaligned on purpose: parsing must not depend on alignment.
		buf := make([]byte, len(b)+1)
		copy(buf[1:], b)
		var m Meta
		_ = parseCmsgs(buf[1:], &m)
	})
}
