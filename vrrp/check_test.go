package vrrp

import (
	"errors"
	"io"
	"net/netip"
	"testing"
	"time"
)

var (
	t0      = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	peerSrc = netip.MustParseAddr("10.0.0.9")
	vip1    = netip.MustParseAddr("192.0.2.1")
	vip2    = netip.MustParseAddr("192.0.2.2")
)

// checkConfig is a v2 PASS instance with two VIPs.
func checkConfig() Config {
	c := DefaultConfig()
	c.Name, c.VRID, c.PrimaryAddr = "VI_1", 7, netip.MustParseAddr("10.0.0.1")
	c.AuthType, c.AuthPass = AuthPass, "secret"
	c.VIPs = []netip.Addr{vip1, vip2}
	return c
}

func started(t *testing.T, c Config) *Instance {
	t.Helper()
	in, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	if err := in.Start(t0); err != nil {
		t.Fatal(err)
	}
	in.Ready()
	return in
}

// peerAdvert is what a correct peer of c would send.
func peerAdvert(c Config, prio uint8) Advert {
	var auth [8]byte
	copy(auth[:], c.AuthPass)
	return Advert{Version: c.Version, Type: TypeAdvert, VRID: c.VRID, Priority: prio, AuthType: c.AuthType,
		Interval: c.intervalField(), Addrs: c.VIPs, AuthData: auth}
}

func seal(t *testing.T, a Advert, src, dst netip.Addr) []byte {
	t.Helper()
	b, err := a.AppendSealed(nil, src, dst, false)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var mcastMeta = RxMeta{Src: peerSrc, Dst: MulticastGroup4, TTL: TTL}

// TestReceiveChecks: each malformed advert is refused with its own error and
// counted in keepalived's counter, and only the address-list mismatch is
// still accepted (it resets the master-down timer like a good advert).
func TestReceiveChecks(t *testing.T) {
	good := peerAdvert(checkConfig(), 150)
	tests := []struct {
		name     string
		cfg      func(*Config)
		msg      func(t *testing.T) []byte
		meta     RxMeta
		want     error
		counter  func(*Stats) uint64
		accepted bool
	}{
		{name: "good", want: nil, counter: func(s *Stats) uint64 { return s.AdvertRcvd }, accepted: true},
		{name: "short", msg: func(t *testing.T) []byte { return seal(t, good, peerSrc, MulticastGroup4)[:6] },
			want: io.ErrUnexpectedEOF, counter: func(s *Stats) uint64 { return s.PacketLenErr }},
		{name: "count beyond data", msg: func(t *testing.T) []byte {
			b := seal(t, good, peerSrc, MulticastGroup4)
			b[3] = 3
			return b
		}, want: io.ErrUnexpectedEOF, counter: func(s *Stats) uint64 { return s.PacketLenErr }},
		{name: "ttl", meta: RxMeta{Src: peerSrc, Dst: MulticastGroup4, TTL: 254}, want: ErrTTL,
			counter: func(s *Stats) uint64 { return s.IPTTLErr }},
		{name: "version", msg: func(t *testing.T) []byte {
			a := good
			a.Version, a.AuthType, a.AuthData = 3, 0, [8]byte{}
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: ErrVersion, counter: func(s *Stats) uint64 { return s.VersionErr }},
		{name: "auth type invalid", msg: func(t *testing.T) []byte {
			a := good
			a.AuthType = 3
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: ErrAuthType, counter: func(s *Stats) uint64 { return s.InvalidAuthType }},
		{name: "auth type mismatch", msg: func(t *testing.T) []byte {
			a := good
			a.AuthType = AuthNone
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: ErrAuthMismatch, counter: func(s *Stats) uint64 { return s.AuthTypeMismatch }},
		{name: "AH when PASS configured", msg: func(t *testing.T) []byte {
			a := good
			a.AuthType = AuthAH
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: ErrAuthMismatch, counter: func(s *Stats) uint64 { return s.AuthTypeMismatch }},
		{name: "password", msg: func(t *testing.T) []byte {
			a := good
			a.AuthData[0] ^= 1
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: ErrAuthFailure, counter: func(s *Stats) uint64 { return s.AuthFailure }},
		{name: "v2 interval dropped", msg: func(t *testing.T) []byte {
			a := good
			a.Interval = 2
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: ErrInterval, counter: func(s *Stats) uint64 { return s.AdvertIntervalErr }},
		{name: "type", msg: func(t *testing.T) []byte {
			a := good
			a.Type = 2
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: ErrType, counter: func(s *Stats) uint64 { return s.InvalidTypeRcvd }},
		{name: "vrid", msg: func(t *testing.T) []byte {
			a := good
			a.VRID = 8
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: ErrVRID, counter: func(s *Stats) uint64 { return s.VRIDErr }},
		{name: "checksum", msg: func(t *testing.T) []byte {
			b := seal(t, good, peerSrc, MulticastGroup4)
			b[7] ^= 0xff
			return b
		}, want: ErrChecksum, counter: func(s *Stats) uint64 { return s.ChecksumErr }},
		{name: "unicast to multicast instance", meta: RxMeta{Src: peerSrc, Dst: netip.MustParseAddr("10.0.0.1"),
			TTL: TTL}, want: ErrUnicastMismatch, counter: func(s *Stats) uint64 { return s.UnicastErr }},
		{name: "owner ignores adverts", cfg: func(c *Config) { c.Priority, c.OwnerIgnoreAdverts = 255, true },
			// keepalived has no counter for this drop; it must at least not
			// count as a received advert.
			want: ErrOwnerIgnore, counter: func(s *Stats) uint64 { return 1 - s.AdvertRcvd }},
		{name: "address list accepted", msg: func(t *testing.T) []byte {
			a := good
			a.Addrs = []netip.Addr{vip1}
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: ErrAddrList, counter: func(s *Stats) uint64 { return s.AddrListErr }, accepted: true},
		{name: "address list order ignored", msg: func(t *testing.T) []byte {
			a := good
			a.Addrs = []netip.Addr{vip2, vip1}
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: nil, counter: func(s *Stats) uint64 { return s.AdvertRcvd }, accepted: true},
		{name: "priority zero", msg: func(t *testing.T) []byte {
			return seal(t, peerAdvert(checkConfig(), 0), peerSrc, MulticastGroup4)
		}, want: nil, counter: func(s *Stats) uint64 { return s.PriZeroRcvd }, accepted: true},
		// Order: a packet wrong in several ways reports the first check.
		{name: "ttl before version", meta: RxMeta{Src: peerSrc, Dst: MulticastGroup4, TTL: 1},
			msg: func(t *testing.T) []byte {
				a := good
				a.Version, a.AuthType, a.AuthData = 3, 0, [8]byte{}
				return seal(t, a, peerSrc, MulticastGroup4)
			}, want: ErrTTL, counter: func(s *Stats) uint64 { return s.IPTTLErr }},
		{name: "auth before interval", msg: func(t *testing.T) []byte {
			a := good
			a.Interval, a.AuthData[0] = 9, 'x'
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: ErrAuthFailure, counter: func(s *Stats) uint64 { return s.AuthFailure }},
		{name: "interval before type", msg: func(t *testing.T) []byte {
			a := good
			a.Interval, a.Type = 9, 2
			return seal(t, a, peerSrc, MulticastGroup4)
		}, want: ErrInterval, counter: func(s *Stats) uint64 { return s.AdvertIntervalErr }},
		{name: "type before checksum", msg: func(t *testing.T) []byte {
			a := good
			a.Type = 2
			b := seal(t, a, peerSrc, MulticastGroup4)
			b[6] ^= 1
			return b
		}, want: ErrType, counter: func(s *Stats) uint64 { return s.InvalidTypeRcvd }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := checkConfig()
			if tt.cfg != nil {
				tt.cfg(&c)
			}
			in := started(t, c)
			msg := seal(t, good, peerSrc, MulticastGroup4)
			if tt.msg != nil {
				msg = tt.msg(t)
			}
			meta := mcastMeta
			if tt.meta.IsValid() {
				meta = tt.meta
			}
			before := in.NextDeadline()
			err := in.Receive(t0.Add(time.Second), msg, meta)
			if !errors.Is(err, tt.want) || tt.want == nil && err != nil {
				t.Fatalf("Receive = %v, want %v", err, tt.want)
			}
			if Dropped(err) == tt.accepted {
				t.Errorf("Dropped(%v) = %v, want accepted=%v", err, Dropped(err), tt.accepted)
			}
			st := in.Stats()
			if got := tt.counter(&st); got != 1 {
				t.Errorf("counter = %d, want 1 (stats %+v)", got, st)
			}
			// An accepted advert restarts the master-down timer (priority 0
			// cuts it to the skew time); a dropped one leaves it alone.
			moved := !in.NextDeadline().Equal(before)
			if moved != tt.accepted {
				t.Errorf("master-down timer moved=%v, want %v", moved, tt.accepted)
			}
		})
	}
}

// IsValid reports whether a test case set meta.
func (m RxMeta) IsValid() bool { return m.Src.IsValid() }

func TestReceiveUnicast(t *testing.T) {
	c := checkConfig()
	c.Version, c.AuthType, c.AuthPass, c.AdvertInterval = 3, AuthNone, "", time.Second
	peer := netip.MustParseAddr("10.0.0.2")
	c.UnicastPeers = []Peer{{Addr: peer, MinTTL: 250, MaxTTL: 254}}
	c.CheckUnicastSrc = true
	me := c.PrimaryAddr
	good := peerAdvert(c, 150)

	t.Run("ttl bounds are the peer's", func(t *testing.T) {
		in := started(t, c)
		msg := seal(t, good, peer, me)
		if err := in.Receive(t0, msg, RxMeta{Src: peer, Dst: me, TTL: 255}); !errors.Is(err, ErrTTL) {
			t.Errorf("TTL 255 above max_ttl 254: %v", err)
		}
		if err := in.Receive(t0, msg, RxMeta{Src: peer, Dst: me, TTL: 252}); err != nil {
			t.Errorf("TTL 252 within 250..254: %v", err)
		}
	})
	t.Run("multicast to unicast instance", func(t *testing.T) {
		in := started(t, c)
		msg := seal(t, good, peer, MulticastGroup4)
		if err := in.Receive(t0, msg, RxMeta{Src: peer, Dst: MulticastGroup4, TTL: 255}); !errors.Is(err, ErrUnicastMismatch) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("unknown source", func(t *testing.T) {
		in := started(t, c)
		other := netip.MustParseAddr("10.0.0.3")
		msg := seal(t, good, other, me)
		if err := in.Receive(t0, msg, RxMeta{Src: other, Dst: me, TTL: 252}); !errors.Is(err, ErrUnicastSource) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("old checksum is detected and then sent", func(t *testing.T) {
		in := started(t, c)
		buf, _ := in.AppendAdvert(nil, 100, me, peer)
		if !VerifyChecksum(buf, 3, me, peer, false) {
			t.Fatal("before detection adverts must carry the RFC checksum")
		}
		old := seal(t, good, peer, MulticastGroup4) // pseudo-header with the group
		if err := in.Receive(t0, old, RxMeta{Src: peer, Dst: me, TTL: 252}); err != nil {
			t.Fatalf("old checksum refused in auto mode: %v", err)
		}
		buf, _ = in.AppendAdvert(buf[:0], 100, me, peer)
		if !VerifyChecksum(buf, 3, me, MulticastGroup4, false) {
			t.Error("after detection adverts must carry the old checksum")
		}
	})
	t.Run("old checksum never", func(t *testing.T) {
		c := c
		c.OldUnicastChecksum = ChecksumCompatNever
		in := started(t, c)
		old := seal(t, good, peer, MulticastGroup4)
		if err := in.Receive(t0, old, RxMeta{Src: peer, Dst: me, TTL: 252}); !errors.Is(err, ErrChecksum) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("old checksum always", func(t *testing.T) {
		c := c
		c.OldUnicastChecksum = ChecksumCompatOld
		in := started(t, c)
		if err := in.Receive(t0, seal(t, good, peer, me), RxMeta{Src: peer, Dst: me, TTL: 252}); !errors.Is(err, ErrChecksum) {
			t.Errorf("new checksum accepted with old_unicast_checksum: %v", err)
		}
		buf, _ := in.AppendAdvert(nil, 100, me, peer)
		if !VerifyChecksum(buf, 3, me, MulticastGroup4, false) {
			t.Error("old_unicast_checksum adverts must use the group in the pseudo-header")
		}
	})
}

func TestReceiveV3IntervalMismatchAccepted(t *testing.T) {
	c := checkConfig()
	c.Version, c.AuthType, c.AuthPass, c.AdvertInterval = 3, AuthNone, "", time.Second
	in := started(t, c)
	a := peerAdvert(c, 150)
	a.Interval = 20 // 200ms, ours is 1s
	if err := in.Receive(t0, seal(t, a, peerSrc, MulticastGroup4), mcastMeta); err != nil {
		t.Fatalf("v3 interval mismatch must be accepted: %v", err)
	}
	if got := in.Snapshot().MasterAdvertInterval; got != 200*time.Millisecond {
		t.Errorf("backup did not adopt the master's interval: %v", got)
	}
}

func TestSkipCheckAdvAddr(t *testing.T) {
	c := checkConfig()
	c.SkipCheckAdvAddr = true
	in := started(t, c)
	a := peerAdvert(c, 150)
	a.Addrs = []netip.Addr{vip1}
	msg := seal(t, a, peerSrc, MulticastGroup4)
	if err := in.Receive(t0, msg, mcastMeta); !errors.Is(err, ErrAddrList) {
		t.Fatalf("first advert from a new master must be checked: %v", err)
	}
	if err := in.Receive(t0, msg, mcastMeta); err != nil {
		t.Fatalf("skip_check_adv_addr must skip the check for the current master: %v", err)
	}
}

// TestReceiveAllocs: the steady path (a backup hearing its master) does not
// allocate.
func TestReceiveAllocs(t *testing.T) {
	c := checkConfig()
	in := started(t, c)
	msg := seal(t, peerAdvert(c, 150), peerSrc, MulticastGroup4)
	now := t0
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(time.Second)
		if err := in.Receive(now, msg, mcastMeta); err != nil {
			t.Fatal(err)
		}
		in.Ready()
	})
	if allocs != 0 {
		t.Errorf("Receive allocates %v times per advert", allocs)
	}
}

// FuzzReceive feeds arbitrary bytes and metadata to a running backup: it
// must never panic, must count every packet exactly once (accepted adverts
// in advert_rcvd, dropped ones elsewhere), and must only accept messages
// whose checksum verifies for the VRID it serves.
func FuzzReceive(f *testing.F) {
	for _, v := range []uint8{2, 3} {
		c := checkConfig()
		if v == 3 {
			c.Version, c.AuthType, c.AuthPass = 3, AuthNone, ""
		}
		a := peerAdvert(c, 150)
		b, _ := a.AppendSealed(nil, peerSrc, MulticastGroup4, false)
		f.Add(b, uint8(TTL), false, v)
		f.Add(b[:len(b)-3], uint8(TTL), true, v)
	}
	f.Fuzz(func(t *testing.T, msg []byte, ttl uint8, unicast bool, version uint8) {
		c := checkConfig()
		if version%2 == 1 {
			c.Version, c.AuthType, c.AuthPass = 3, AuthNone, ""
		}
		in, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		_ = in.Start(t0)
		meta := RxMeta{Src: peerSrc, Dst: MulticastGroup4, TTL: int(ttl)}
		if unicast {
			meta.Dst = c.PrimaryAddr
		}
		before := in.Stats()
		err = in.Receive(t0.Add(time.Second), msg, meta)
		after := in.Stats()
		if Dropped(err) {
			if after.AdvertRcvd != before.AdvertRcvd {
				t.Fatalf("dropped (%v) but counted as received", err)
			}
			if after == before && !errors.Is(err, ErrOwnerIgnore) {
				t.Fatalf("dropped (%v) without counting it", err)
			}
			return
		}
		if after.AdvertRcvd != before.AdvertRcvd+1 {
			t.Fatalf("accepted but advert_rcvd went %d → %d", before.AdvertRcvd, after.AdvertRcvd)
		}
		if msg[1] != c.VRID || msg[0]>>4 != c.Version || !VerifyChecksum(msg, c.Version, meta.Src, meta.Dst, false) {
			t.Fatalf("accepted %x", msg)
		}
	})
}

func TestV3ChecksumAsV2(t *testing.T) {
	c := checkConfig()
	c.Version, c.AuthType, c.AuthPass, c.V3ChecksumAsV2 = 3, AuthNone, "", true
	in := started(t, c)
	a := peerAdvert(c, 150)
	asV2, _ := a.AppendSealed(nil, peerSrc, MulticastGroup4, true)
	if err := in.Receive(t0, asV2, mcastMeta); err != nil {
		t.Errorf("v2-style checksum refused: %v", err)
	}
	if err := in.Receive(t0, seal(t, a, peerSrc, MulticastGroup4), mcastMeta); !errors.Is(err, ErrChecksum) {
		t.Errorf("pseudo-header checksum accepted with v3_checksum_as_v2: %v", err)
	}
	out, _ := in.AppendAdvert(nil, 100, c.PrimaryAddr, MulticastGroup4)
	if !VerifyChecksum(out, 3, c.PrimaryAddr, MulticastGroup4, true) {
		t.Error("our advert does not carry the v2-style checksum")
	}
}
