package netio

import (
	"bytes"
	"encoding/binary"
	"net"
	"net/netip"
	"testing"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ndp"
	"github.com/mdlayher/packet"
)

// recorder is a FrameConn that keeps what it is given, so announcements can
// be checked byte by byte without root.
type recorder struct {
	frames [][]byte
	to     []net.HardwareAddr
	closed bool
}

func (r *recorder) WriteTo(b []byte, addr net.Addr) (int, error) {
	r.frames = append(r.frames, append([]byte(nil), b...))
	r.to = append(r.to, addr.(*packet.Addr).HardwareAddr)
	return len(b), nil
}

func (r *recorder) Close() error { r.closed = true; return nil }

var testMAC = net.HardwareAddr{0x02, 0x00, 0x5e, 0x00, 0x01, 0x33}

func TestGratuitousARPIsKeepalivedStyleRequest(t *testing.T) {
	ac, nc := &recorder{}, &recorder{}
	a, err := NewAnnouncerConn(testMAC, ac, nc)
	if err != nil {
		t.Fatal(err)
	}
	vip := netip.MustParseAddr("192.0.2.10")
	if err := a.GratuitousARP(vip); err != nil {
		t.Fatal(err)
	}
	if len(ac.frames) != 1 || len(nc.frames) != 0 {
		t.Fatalf("frames: arp %d, nd %d; want 1, 0", len(ac.frames), len(nc.frames))
	}
	if !bytes.Equal(ac.to[0], broadcastMAC) {
		t.Errorf("sent to %s, want broadcast", ac.to[0])
	}
	var p arp.Packet
	if err := p.UnmarshalBinary(ac.frames[0]); err != nil {
		t.Fatal(err)
	}
	if p.Operation != arp.OperationRequest || !bytes.Equal(p.SenderHardwareAddr, testMAC) ||
		p.SenderIP != vip || p.TargetIP != vip || !bytes.Equal(p.TargetHardwareAddr, broadcastMAC) {
		t.Errorf("GARP = %+v, want request %s is-at %s, target %s/broadcast", p, vip, testMAC, vip)
	}
	if err := a.GratuitousARP(netip.MustParseAddr("2001:db8::1")); err == nil {
		t.Error("GratuitousARP accepted an IPv6 address")
	}
}

func TestUnsolicitedNA(t *testing.T) {
	for _, router := range []bool{false, true} {
		nc := &recorder{}
		a, err := NewAnnouncerConn(testMAC, nil, nc)
		if err != nil {
			t.Fatal(err)
		}
		vip := netip.MustParseAddr("2001:db8::10")
		if err := a.UnsolicitedNA(vip, router); err != nil {
			t.Fatal(err)
		}
		if len(nc.frames) != 1 || !bytes.Equal(nc.to[0], allNodesMAC) {
			t.Fatalf("frames %d to %v, want 1 to %s", len(nc.frames), nc.to, allNodesMAC)
		}
		b := nc.frames[0]
		if b[0]>>4 != 6 || b[6] != 58 || b[7] != 255 {
			t.Errorf("IPv6 header version %d next %d hop limit %d, want 6, 58, 255", b[0]>>4, b[6], b[7])
		}
		if int(binary.BigEndian.Uint16(b[4:6])) != len(b)-40 {
			t.Errorf("payload length %d, packet carries %d", binary.BigEndian.Uint16(b[4:6]), len(b)-40)
		}
		if src, dst := netip.AddrFrom16([16]byte(b[8:24])), netip.AddrFrom16([16]byte(b[24:40])); src != vip || dst != allNodes {
			t.Errorf("src %s dst %s, want %s -> ff02::1", src, dst, vip)
		}
		m, err := ndp.ParseMessage(b[40:])
		if err != nil {
			t.Fatal(err)
		}
		na, ok := m.(*ndp.NeighborAdvertisement)
		if !ok {
			t.Fatalf("message %T, want NeighborAdvertisement", m)
		}
		if !na.Override || na.Solicited || na.Router != router || na.TargetAddress != vip {
			t.Errorf("NA = %+v, want Override, not Solicited, Router=%v, target %s", na, router, vip)
		}
		if len(na.Options) != 1 {
			t.Fatalf("options %v, want one target link-layer address", na.Options)
		}
		if lla, ok := na.Options[0].(*ndp.LinkLayerAddress); !ok || lla.Direction != ndp.Target || !bytes.Equal(lla.Addr, testMAC) {
			t.Errorf("option %+v, want target LLA %s", na.Options[0], testMAC)
		}
		// The checksum must match one recomputed over the pseudo-header.
		want, err := ndp.MarshalMessageChecksum(na, vip, allNodes)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(b[40:], want) {
			t.Errorf("ICMPv6 bytes %x, want %x", b[40:], want)
		}
		if err := a.UnsolicitedNA(netip.MustParseAddr("192.0.2.1"), false); err == nil {
			t.Error("UnsolicitedNA accepted an IPv4 address")
		}
		if err := a.GratuitousARP(netip.MustParseAddr("192.0.2.1")); err == nil {
			t.Error("GratuitousARP without an ARP conn succeeded")
		}
		if err := a.Close(); err != nil || !nc.closed {
			t.Errorf("Close: %v, conn closed %v", err, nc.closed)
		}
	}
}

func TestNewAnnouncerConnRejectsNonEthernet(t *testing.T) {
	if _, err := NewAnnouncerConn(make(net.HardwareAddr, 20), &recorder{}, nil); err == nil {
		t.Fatal("20-byte hardware address accepted")
	}
}
