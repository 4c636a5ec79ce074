package ipvs

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"testing"
)

// The kernel's layouts, built the way ip_vs_ctl.c fills them: addresses
// as 16-byte unions, ports big-endian, STATS with 32-bit packet counters
// and 64-bit byte counters, STATS64 with 64-bit values and padding
// attributes between them.

func ne16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
func ne32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func ne64(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }

func union(a netip.Addr) []byte {
	b := make([]byte, 16)
	copy(b, a.AsSlice())
	return b
}

func stats32(c Counters) []byte {
	var b []byte
	b = appendAttr(b, statsAttrConns, ne32(uint32(c.Connections)))
	b = appendAttr(b, statsAttrInPkts, ne32(uint32(c.InPackets)))
	b = appendAttr(b, statsAttrOutPkts, ne32(uint32(c.OutPackets)))
	b = appendAttr(b, statsAttrInBytes, ne64(c.InBytes))
	b = appendAttr(b, statsAttrOutBytes, ne64(c.OutBytes))
	b = appendAttr(b, 6, ne32(7)) // CPS: a rate, ignored
	return b
}

func stats64(c Counters) []byte {
	var b []byte
	for i, v := range []uint64{c.Connections, c.InPackets, c.OutPackets, c.InBytes, c.OutBytes} {
		b = appendAttr(b, 11, nil) // IPVS_STATS_ATTR_PAD
		b = appendAttr(b, uint16(statsAttrConns+i), ne64(v))
	}
	return b
}

func TestParseService(t *testing.T) {
	c64 := Counters{Connections: 1 << 33, InPackets: 5, OutPackets: 6, InBytes: 7, OutBytes: 8}
	c32 := Counters{Connections: 1, InPackets: 2, OutPackets: 3, InBytes: 4, OutBytes: 5}
	flags := append(ne32(uint32(Persistent|Hashed)), 0xff, 0xff, 0xff, 0xff)
	var b []byte
	b = appendAttr(b, svcAttrAF, ne16(uint16(INET)))
	b = appendAttr(b, svcAttrProtocol, ne16(uint16(TCP)))
	b = appendAttr(b, svcAttrAddr, union(netip.MustParseAddr("10.2.0.1")))
	b = appendAttr(b, svcAttrPort, binary.BigEndian.AppendUint16(nil, 80))
	b = appendAttr(b, svcAttrSchedName, []byte("wlc\x00"))
	b = appendAttr(b, svcAttrFlags, flags)
	b = appendAttr(b, svcAttrTimeout, ne32(300))
	b = appendAttr(b, svcAttrNetmask, []byte{255, 255, 255, 0})
	b = appendAttr(b, svcAttrStats|nlaNested, stats32(c32))
	b = appendAttr(b, 11, []byte("ignored")) // PE_NAME
	withoutStats64 := b
	b = appendAttr(b, svcAttrStats64|nlaNested, stats64(c64))

	s, c, err := parseService(b)
	if err != nil {
		t.Fatal(err)
	}
	want := Service{ServiceKey: ServiceKey{Family: INET, Protocol: TCP, Addr: netip.MustParseAddr("10.2.0.1"), Port: 80},
		Scheduler: "wlc", Flags: Persistent | Hashed, Timeout: 300, MaskBits: 24}
	if s != want {
		t.Errorf("service = %+v, want %+v", s, want)
	}
	if c != c64 {
		t.Errorf("counters = %+v, want the 64-bit ones %+v", c, c64)
	}
	// A kernel before 4.1 sends only the 32-bit counters.
	if _, c, err := parseService(withoutStats64); err != nil || c != c32 {
		t.Errorf("32-bit counters = %+v, %v; want %+v", c, err, c32)
	}

	// A firewall-mark IPv6 service: no address, the mask as a length.
	b = nil
	b = appendAttr(b, svcAttrAF, ne16(uint16(INET6)))
	b = appendAttr(b, svcAttrFWMark, ne32(9))
	b = appendAttr(b, svcAttrProtocol, ne16(0))
	b = appendAttr(b, svcAttrAddr, make([]byte, 16))
	b = appendAttr(b, svcAttrPort, []byte{0, 0})
	b = appendAttr(b, svcAttrSchedName, []byte("rr\x00"))
	b = appendAttr(b, svcAttrFlags, flags)
	b = appendAttr(b, svcAttrNetmask, ne32(64))
	s, _, err = parseService(b)
	if err != nil {
		t.Fatal(err)
	}
	want = Service{ServiceKey: ServiceKey{Family: INET6, FWMark: 9}, Scheduler: "rr", Flags: Persistent | Hashed, MaskBits: 64}
	if s != want {
		t.Errorf("fwmark service = %+v, want %+v", s, want)
	}
}

func TestParseDest(t *testing.T) {
	c := Counters{Connections: 10, InPackets: 20, OutPackets: 30, InBytes: 40, OutBytes: 50}
	var b []byte
	b = appendAttr(b, destAttrAddr, union(netip.MustParseAddr("2001:db8::7")))
	b = appendAttr(b, destAttrPort, binary.BigEndian.AppendUint16(nil, 8080))
	b = appendAttr(b, destAttrFwdMethod, ne32(uint32(Tunnel)))
	b = appendAttr(b, destAttrWeight, ne32(3))
	b = appendAttr(b, destAttrUThresh, ne32(100))
	b = appendAttr(b, destAttrLThresh, ne32(10))
	b = appendAttr(b, destAttrActiveConns, ne32(4))
	b = appendAttr(b, destAttrInactConns, ne32(5))
	b = appendAttr(b, 9, ne32(6)) // PERSIST_CONNS
	b = appendAttr(b, destAttrStats|nlaNested, stats32(Counters{}))
	b = appendAttr(b, destAttrAddrFamily, ne16(uint16(INET6)))
	b = appendAttr(b, destAttrStats64|nlaNested, stats64(c))
	b = appendAttr(b, destAttrTunType, []byte{uint8(GUE)})
	b = appendAttr(b, destAttrTunPort, binary.BigEndian.AppendUint16(nil, 6080))
	b = appendAttr(b, destAttrTunFlags, ne16(uint16(TunnelRemoteChecksum)))
	// The service is IPv4: the destination's own family decides.
	d, got, err := parseDest(b, INET)
	if err != nil {
		t.Fatal(err)
	}
	want := Destination{DestKey: DestKey{Addr: netip.MustParseAddr("2001:db8::7"), Port: 8080}, Forward: Tunnel,
		Weight: 3, UpperThreshold: 100, LowerThreshold: 10, TunnelType: GUE, TunnelPort: 6080, TunnelFlags: TunnelRemoteChecksum}
	if d != want {
		t.Errorf("dest = %+v, want %+v", d, want)
	}
	wc := c
	wc.ActiveConns, wc.InactiveConns = 4, 5
	if got != wc {
		t.Errorf("counters = %+v, want %+v", got, wc)
	}

	// An old kernel without ADDR_FAMILY: the service's family is used.
	b = nil
	b = appendAttr(b, destAttrAddr, union(netip.MustParseAddr("192.0.2.9")))
	b = appendAttr(b, destAttrPort, binary.BigEndian.AppendUint16(nil, 80))
	d, _, err = parseDest(b, INET)
	if err != nil || d.DestKey != (DestKey{Addr: netip.MustParseAddr("192.0.2.9"), Port: 80}) {
		t.Errorf("dest without family = %+v, %v", d, err)
	}
}

// A reply cut short is an error, never a table with holes in it.
func TestParseTruncated(t *testing.T) {
	var b []byte
	b = appendAttr(b, destAttrAddr, union(netip.MustParseAddr("192.0.2.9")))
	b = appendAttr(b, destAttrPort, binary.BigEndian.AppendUint16(nil, 80))
	b = appendAttr(b, destAttrWeight, ne32(1))
	for _, cut := range []int{len(b) - 2, len(b) - 3, len(b) - 6, 10} {
		if _, _, err := parseDest(b[:cut], INET); !errors.Is(err, errShortAttr) {
			t.Errorf("cut at %d of %d: err = %v, want errShortAttr", cut, len(b), err)
		}
	}
	short := appendAttr(nil, destAttrWeight, []byte{1, 2})
	if _, _, err := parseDest(append(appendAttr(nil, destAttrAddr, make([]byte, 16)), short...), INET); !errors.Is(err, errShortAttr) {
		t.Errorf("2-byte weight: err = %v, want errShortAttr", err)
	}
	if _, _, err := parseService(appendAttr(nil, svcAttrAF, ne16(uint16(INET)))); err == nil {
		t.Error("service without address or flags parsed")
	}
}

func TestAppendServiceKey(t *testing.T) {
	k := ServiceKey{Family: INET, Protocol: UDP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 53}
	b := appendServiceKey(nil, k)
	var nest []byte
	err := attrs(b, func(typ uint16, v []byte) error {
		if typ != ipvsCmdAttrService {
			t.Errorf("outer attribute type %d", typ)
		}
		nest = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The nest carries what parseService needs for the key (plus flags,
	// which a lookup does not send).
	nest = appendAttr(nest, svcAttrFlags, make([]byte, 8))
	s, _, err := parseService(nest)
	if err != nil || s.ServiceKey != k {
		t.Errorf("key round trip = %+v, %v; want %+v", s.ServiceKey, err, k)
	}
}

func FuzzParseDump(f *testing.F) {
	f.Add(appendServiceKey(nil, ServiceKey{Family: INET6, FWMark: 3}), true)
	f.Add(appendAttr(appendAttr(nil, destAttrAddr, make([]byte, 16)), destAttrStats64|nlaNested, stats64(Counters{Connections: 1})), false)
	f.Fuzz(func(t *testing.T, b []byte, svc bool) {
		if svc {
			_, _, _ = parseService(b)
		} else {
			_, _, _ = parseDest(b, INET)
		}
	})
}
