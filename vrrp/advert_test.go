package vrrp

import (
	"bytes"
	"errors"
	"io"
	"net/netip"
	"path/filepath"
	"slices"
	"testing"
)

func TestDecodeErrors(t *testing.T) {
	v2, _ := (&Advert{Version: 2, Type: 1, VRID: 1, Priority: 100, Interval: 1,
		Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}).MarshalBinary()
	v3six, _ := (&Advert{Version: 3, Type: 1, VRID: 1, Priority: 100, Interval: 100,
		Addrs: []netip.Addr{netip.MustParseAddr("fd00::1")}}).MarshalBinary()
	tests := []struct {
		name string
		b    []byte
		ipv6 bool
		want error
	}{
		{"empty", nil, false, io.ErrUnexpectedEOF},
		{"short header", v2[:7], false, io.ErrUnexpectedEOF},
		{"address cut", v2[:10], false, io.ErrUnexpectedEOF},
		{"auth cut", v2[:len(v2)-1], false, io.ErrUnexpectedEOF},
		{"trailing byte", append(slices.Clone(v2), 0), false, ErrLength},
		{"version 1", append([]byte{0x11}, v2[1:]...), false, ErrVersion},
		{"version 4", append([]byte{0x41}, v2[1:]...), false, ErrVersion},
		{"v2 over IPv6", v2, true, ErrVersion},
		{"v3 IPv6 read as IPv4", v3six, false, ErrLength},
		{"v3 IPv6 cut", v3six[:20], true, io.ErrUnexpectedEOF},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var a Advert
			if err := a.Decode(tt.b, tt.ipv6); !errors.Is(err, tt.want) {
				t.Fatalf("Decode = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestUnmarshalInfersFamily(t *testing.T) {
	for _, addrs := range [][]netip.Addr{
		{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.2"), netip.MustParseAddr("192.0.2.3"),
			netip.MustParseAddr("192.0.2.4")},
		{netip.MustParseAddr("fd00::1")},
		nil,
	} {
		in := Advert{Version: 3, Type: 1, VRID: 9, Priority: 1, Interval: 4095, Addrs: addrs}
		b, err := in.AppendSealed(nil, netip.MustParseAddr("10.0.0.1"), MulticastGroup4, true)
		if err != nil {
			t.Fatal(err)
		}
		var out Advert
		if err := out.UnmarshalBinary(b); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(out.Addrs, addrs) || out.Interval != 4095 || out.Checksum != in.Checksum {
			t.Errorf("round trip of %v: got %+v", addrs, out)
		}
	}
}

func TestEncodeRejects(t *testing.T) {
	four, six := netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("fd00::1")
	for name, a := range map[string]Advert{
		"version":      {Version: 1},
		"mixed family": {Version: 3, Addrs: []netip.Addr{four, six}},
		"v2 IPv6":      {Version: 2, Addrs: []netip.Addr{six}},
		"v2 interval":  {Version: 2, Interval: 256},
		"v3 interval":  {Version: 3, Interval: 4096},
		"zone":         {Version: 3, Addrs: []netip.Addr{six.WithZone("eth0")}},
		"invalid addr": {Version: 3, Addrs: []netip.Addr{{}}},
	} {
		if _, err := a.MarshalBinary(); err == nil {
			t.Errorf("%s: MarshalBinary accepted %+v", name, a)
		}
	}
	a := Advert{Version: 3, Addrs: []netip.Addr{four}}
	if _, err := a.AppendSealed(nil, four, six, false); err == nil {
		t.Error("AppendSealed accepted a pseudo-header of mixed families")
	}
}

// TestChecksumByHand checks the checksum flavours against sums worked out
// independently of the code: RFC 1071 over the listed 16-bit words.
func TestChecksumByHand(t *testing.T) {
	src, dst := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("224.0.0.18")
	a := Advert{Version: 3, Type: 1, VRID: 1, Priority: 100, Interval: 100,
		Addrs: []netip.Addr{netip.MustParseAddr("192.0.2.1")}}
	// Message words: 3101 6401 0064 0000 c000 0201.
	msgSum := 0x3101 + 0x6401 + 0x0064 + 0xc000 + 0x0201
	// Pseudo-header: 0a00 0001 e000 0012 0070 000c (src, dst, proto, len).
	pseudo := 0x0a00 + 0x0001 + 0xe000 + 0x0012 + 0x0070 + 0x000c
	fold := func(s int) uint16 {
		for s>>16 != 0 {
			s = s&0xffff + s>>16
		}
		return ^uint16(s)
	}
	for _, tt := range []struct {
		asV2 bool
		want uint16
	}{{false, fold(msgSum + pseudo)}, {true, fold(msgSum)}} {
		b, err := a.AppendSealed(nil, src, dst, tt.asV2)
		if err != nil {
			t.Fatal(err)
		}
		if a.Checksum != tt.want {
			t.Errorf("asV2=%v: checksum %#04x, want %#04x", tt.asV2, a.Checksum, tt.want)
		}
		if !VerifyChecksum(b, 3, src, dst, tt.asV2) || VerifyChecksum(b, 3, src, dst, !tt.asV2) {
			t.Errorf("asV2=%v: VerifyChecksum does not tell the flavours apart", tt.asV2)
		}
	}
}

func TestDecodeReusesAddrs(t *testing.T) {
	g := readGolden(t, "v2-none")
	var a Advert
	if err := a.Decode(g.msg, false); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if err := a.Decode(g.msg, false); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("Decode allocates %v times per call with a warm Advert", allocs)
	}
}

// FuzzAdvert: any input that decodes must encode back to the same bytes,
// and decoding that must give the same advert. Crashers found by
// `go test -fuzz FuzzAdvert` land in testdata/fuzz/FuzzAdvert and run as
// unit tests from then on; the golden keepalived captures are the seeds.
func FuzzAdvert(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.hex"))
	for _, file := range files {
		name := filepath.Base(file)
		g, err := loadGolden(name[:len(name)-len(".hex")])
		if err != nil {
			f.Fatal(err)
		}
		f.Add(g.msg, g.src.Is6())
	}
	f.Add([]byte{0x21, 1, 100, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, false)
	f.Fuzz(func(t *testing.T, b []byte, ipv6 bool) {
		var a Advert
		if err := a.Decode(b, ipv6); err != nil {
			return
		}
		out, err := a.MarshalBinary()
		if err != nil {
			t.Fatalf("decoded %x to %+v, which does not encode: %v", b, a, err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip changed %x to %x", b, out)
		}
		var again Advert
		if err := again.UnmarshalBinary(out); err != nil {
			t.Fatalf("UnmarshalBinary(%x): %v", out, err)
		}
		if again.Version != a.Version || again.Priority != a.Priority || !slices.Equal(again.Addrs, a.Addrs) ||
			again.Checksum != a.Checksum || again.AuthData != a.AuthData || again.Interval != a.Interval {
			t.Fatalf("UnmarshalBinary gave %+v, Decode %+v", again, a)
		}
		_ = VerifyChecksum(b, a.Version, netip.MustParseAddr("10.0.0.1"), MulticastGroup4, false)
	})
}
