package vrrp

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from a real keepalived (needs root and "+
	"ALIVED_TEST_NETNS=1)")

// goldenCase is one keepalived configuration whose first advert is stored
// in testdata/golden/<name>.hex. The same table drives the capture (root
// tier) and the decode/encode check (unit tier), so the expected fields are
// the configuration keepalived was given, not values read back from the
// capture.
type goldenCase struct {
	name     string
	version  uint8
	vrid     uint8
	priority uint8
	interval uint16 // wire units: seconds (v2) or centiseconds (v3)
	auth     AuthType
	pass     string
	vips     []string
	unicast  bool
	ipv6     bool
	// oldChecksum sets old_unicast_checksum: the v3 pseudo-header then
	// carries the multicast group even though the packet goes to the peer.
	// (keepalived 2.2.7 predates v3_checksum_as_v2; that flavour is tested
	// against a hand-computed sum in advert_test.go.)
	oldChecksum bool
}

var goldenCases = []goldenCase{
	{name: "v2-pass", version: 2, vrid: 51, priority: 150, interval: 1, auth: AuthPass, pass: "s3cret",
		vips: []string{"192.0.2.51"}},
	{name: "v2-none", version: 2, vrid: 52, priority: 255, interval: 2,
		vips: []string{"192.0.2.52", "198.51.100.7", "203.0.113.99"}},
	{name: "v3-ipv4", version: 3, vrid: 53, priority: 200, interval: 50,
		vips: []string{"192.0.2.53", "192.0.2.54"}},
	{name: "v3-ipv6", version: 3, vrid: 54, priority: 120, interval: 100, ipv6: true,
		vips: []string{"fd00:db8::54", "fd00:db8::55"}},
	{name: "v3-unicast", version: 3, vrid: 55, priority: 110, interval: 100, unicast: true,
		vips: []string{"192.0.2.55"}},
	{name: "v2-unicast", version: 2, vrid: 56, priority: 101, interval: 1, unicast: true,
		auth: AuthPass, pass: "longpassword", vips: []string{"192.0.2.56"}},
	{name: "v3-unicast-old-checksum", version: 3, vrid: 57, priority: 254, interval: 100, unicast: true,
		oldChecksum: true, vips: []string{"192.0.2.57"}},
}

// golden is one stored capture: the VRRP message and the IP header fields
// it was received with.
type golden struct {
	src, dst netip.Addr
	ttl      int
	msg      []byte
}

func goldenPath(name string) string { return filepath.Join("testdata", "golden", name+".hex") }

func readGolden(t *testing.T, name string) golden {
	t.Helper()
	g, err := loadGolden(name)
	if err != nil {
		t.Fatalf("golden capture (regenerate as root with -update): %v", err)
	}
	return g
}

func loadGolden(name string) (golden, error) {
	var g golden
	data, err := os.ReadFile(goldenPath(name))
	if err != nil {
		return g, err
	}
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, val, _ := strings.Cut(line, " ")
		switch key {
		case "src":
			g.src, err = netip.ParseAddr(val)
		case "dst":
			g.dst, err = netip.ParseAddr(val)
		case "ttl":
			g.ttl, err = strconv.Atoi(val)
		case "vrrp":
			g.msg, err = hex.DecodeString(val)
		default:
			err = fmt.Errorf("unknown key %q", key)
		}
		if err != nil {
			return g, fmt.Errorf("%s:%d: %w", goldenPath(name), i+1, err)
		}
	}
	return g, nil
}

func writeGolden(t *testing.T, c goldenCase, g golden) {
	t.Helper()
	var b bytes.Buffer
	fmt.Fprintf(&b, "# First advert of keepalived 2.2.7 for case %q, captured by TestCaptureKeepalivedGolden.\n", c.name)
	fmt.Fprintf(&b, "# Regenerate: ALIVED_TEST_NETNS=1 go test ./vrrp -run TestCaptureKeepalivedGolden -update (root)\n")
	fmt.Fprintf(&b, "src %s\ndst %s\nttl %d\nvrrp %x\n", g.src, g.dst, g.ttl, g.msg)
	if err := os.WriteFile(goldenPath(c.name), b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestGoldenKeepalivedAdverts decodes real keepalived adverts, checks every
// field against the configuration keepalived was given, verifies the
// checksum the way a receiver must, and re-encodes the same fields with a
// fresh checksum to the same bytes.
func TestGoldenKeepalivedAdverts(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			g := readGolden(t, c.name)
			var a Advert
			if err := a.Decode(g.msg, c.ipv6); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if a.Version != c.version || a.Type != TypeAdvert || a.VRID != c.vrid || a.Priority != c.priority ||
				a.Interval != c.interval || a.AuthType != c.auth {
				t.Errorf("decoded %+v, want version %d vrid %d prio %d interval %d auth %v",
					a, c.version, c.vrid, c.priority, c.interval, c.auth)
			}
			var want []netip.Addr
			for _, s := range c.vips {
				want = append(want, netip.MustParseAddr(s))
			}
			if !slices.Equal(a.Addrs, want) {
				t.Errorf("addresses %v, want %v", a.Addrs, want)
			}
			var pass [8]byte
			copy(pass[:], c.pass)
			if a.AuthData != pass {
				t.Errorf("auth data %q, want %q", a.AuthData, pass)
			}
			if g.ttl != TTL {
				t.Errorf("captured TTL %d, want %d", g.ttl, TTL)
			}
			if c.unicast == g.dst.IsMulticast() {
				t.Errorf("destination %v does not match unicast=%v", g.dst, c.unicast)
			}
			csumDst := g.dst
			if c.oldChecksum {
				csumDst = MulticastGroup4
			}
			if !VerifyChecksum(g.msg, a.Version, g.src, csumDst, false) {
				t.Errorf("checksum %#04x does not verify for %v → %v", a.Checksum, g.src, csumDst)
			}
			// The other flavours must not verify, or the test could not
			// tell them apart.
			if c.version == 3 && (VerifyChecksum(g.msg, a.Version, g.src, csumDst, true) ||
				c.unicast && VerifyChecksum(g.msg, a.Version, g.src, otherDst(g.dst, csumDst), false)) {
				t.Errorf("checksum also verifies in another flavour")
			}
			raw, err := a.MarshalBinary()
			if err != nil || !bytes.Equal(raw, g.msg) {
				t.Errorf("MarshalBinary = %x, %v; want %x", raw, err, g.msg)
			}
			fresh := Advert{Version: c.version, Type: TypeAdvert, VRID: c.vrid, Priority: c.priority,
				Interval: c.interval, AuthType: c.auth, Addrs: want, AuthData: pass}
			sealed, err := fresh.AppendSealed(nil, g.src, csumDst, false)
			if err != nil || !bytes.Equal(sealed, g.msg) {
				t.Errorf("AppendSealed = %x, %v; want %x", sealed, err, g.msg)
			}
		})
	}
}

// otherDst is the pseudo-header destination a unicast v3 checksum was not
// computed with: the group when it used the peer, the peer when it used the
// group.
func otherDst(peer, used netip.Addr) netip.Addr {
	if used == peer {
		return MulticastGroup4
	}
	return peer
}

// pcapPackets returns the link-layer frames of a pcap file (Ethernet).
func pcapPackets(data []byte) ([][]byte, error) {
	if len(data) < 24 {
		return nil, fmt.Errorf("pcap: short header")
	}
	var bo binary.ByteOrder
	switch binary.LittleEndian.Uint32(data) {
	case 0xa1b2c3d4, 0xa1b23c4d:
		bo = binary.LittleEndian
	case 0xd4c3b2a1, 0x4d3cb2a1:
		bo = binary.BigEndian
	default:
		return nil, fmt.Errorf("pcap: bad magic %x", data[:4])
	}
	if lt := bo.Uint32(data[20:]); lt != 1 {
		return nil, fmt.Errorf("pcap: link type %d, want Ethernet", lt)
	}
	var out [][]byte
	p := data[24:]
	for len(p) >= 16 {
		n := int(bo.Uint32(p[8:]))
		if len(p) < 16+n {
			return out, fmt.Errorf("pcap: truncated record")
		}
		out = append(out, p[16:16+n])
		p = p[16+n:]
	}
	return out, nil
}

// vrrpFromFrame extracts the VRRP message and its IP header fields from an
// Ethernet frame.
func vrrpFromFrame(f []byte) (golden, bool) {
	if len(f) < 14 {
		return golden{}, false
	}
	eth := binary.BigEndian.Uint16(f[12:])
	ip := f[14:]
	switch {
	case eth == 0x0800 && len(ip) >= 20 && ip[9] == Protocol:
		ihl := int(ip[0]&0x0f) * 4
		tot := int(binary.BigEndian.Uint16(ip[2:]))
		if tot > len(ip) || ihl > tot {
			return golden{}, false
		}
		return golden{src: netip.AddrFrom4([4]byte(ip[12:16])), dst: netip.AddrFrom4([4]byte(ip[16:20])),
			ttl: int(ip[8]), msg: slices.Clone(ip[ihl:tot])}, true
	case eth == 0x86dd && len(ip) >= 40 && ip[6] == Protocol:
		n := int(binary.BigEndian.Uint16(ip[4:]))
		if 40+n > len(ip) {
			return golden{}, false
		}
		return golden{src: netip.AddrFrom16([16]byte(ip[8:24])), dst: netip.AddrFrom16([16]byte(ip[24:40])),
			ttl: int(ip[7]), msg: slices.Clone(ip[40 : 40+n])}, true
	}
	return golden{}, false
}

// TestGoldenThroughReceive: every captured keepalived advert passes all
// receive checks of a matching backup instance, with the IP metadata it
// was captured with, and is counted as received.
func TestGoldenThroughReceive(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			g := readGolden(t, c.name)
			cfg := DefaultConfig()
			cfg.Name, cfg.VRID, cfg.Version, cfg.IPv6, cfg.Priority = c.name, c.vrid, c.version, c.ipv6, 1
			cfg.AdvertInterval = time.Duration(c.interval) * time.Second
			if c.version == 3 {
				cfg.AdvertInterval = time.Duration(c.interval) * 10 * time.Millisecond
			}
			cfg.AuthType, cfg.AuthPass = c.auth, c.pass
			for _, v := range c.vips {
				cfg.VIPs = append(cfg.VIPs, netip.MustParseAddr(v))
			}
			cfg.PrimaryAddr = netip.MustParseAddr("10.251.0.2")
			if c.ipv6 {
				cfg.PrimaryAddr = netip.MustParseAddr("fe80::2")
			}
			if c.unicast {
				cfg.UnicastPeers = []Peer{{Addr: g.src}}
				cfg.CheckUnicastSrc = true
			}
			in, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			_ = in.Start(t0)
			if err := in.Receive(t0, g.msg, RxMeta{Src: g.src, Dst: g.dst, TTL: g.ttl}); err != nil {
				t.Fatalf("Receive: %v", err)
			}
			if s := in.Snapshot(); s.Stats.AdvertRcvd != 1 || s.MasterAddr != g.src || s.MasterPriority != c.priority {
				t.Errorf("snapshot after the advert: %+v", s)
			}
		})
	}
}
