package vrrp

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// RxMeta is what the I/O layer knows about a received advert beyond its
// bytes.
type RxMeta struct {
	// Src and Dst are the IP source and destination. A destination that is
	// not multicast means the advert came by unicast.
	Src, Dst netip.Addr
	// TTL is the IPv4 TTL or IPv6 hop limit the packet arrived with.
	TTL int
}

// Receive checks a received VRRP message (the IP payload) in keepalived's
// order (vrrp_check_packet), counts the outcome in Stats, and steps the
// state machine with it if it is accepted.
//
// The result is nil or ErrAddrList when the advert was accepted (an
// address-list mismatch is counted and logged, but, as in keepalived, does
// not reject the advert); any other error means it was dropped, and
// errors.Is tells which check failed. The valid path does not allocate.
func (in *Instance) Receive(now time.Time, msg []byte, meta RxMeta) error {
	if !in.started || in.stepFn == nil {
		return ErrNotRunning
	}
	err := in.check(msg, meta)
	if err != nil && err != ErrAddrList {
		return err
	}
	in.stepFn(in, now, &in.rx, meta.Src)
	in.finish()
	return err
}

// check runs the receive checks; on success in.rx holds the advert.
func (in *Instance) check(msg []byte, meta RxMeta) error {
	c := &in.cfg
	st := &in.stats
	// 1. Length: at least a header.
	if len(msg) < headerLen {
		st.PacketLenErr++
		return io.ErrUnexpectedEOF
	}
	// 2. TTL: 255 for multicast; unicast peers may set their own bounds.
	unicast := !meta.Dst.IsMulticast()
	if !unicast && meta.TTL != TTL || unicast && !in.peerTTLOK(meta) {
		st.IPTTLErr++
		return fmt.Errorf("%w: %d", ErrTTL, meta.TTL)
	}
	// 3. Version.
	if v := msg[0] >> 4; v != c.Version {
		st.VersionErr++
		return fmt.Errorf("%w: %d, instance speaks %d", ErrVersion, v, c.Version)
	}
	// 1 (continued). The full length, now that the version is known.
	a := &in.rx
	if err := a.Decode(msg, c.IPv6); err != nil {
		st.PacketLenErr++
		return err
	}
	if c.Version == 2 {
		// 5. Authentication.
		switch a.AuthType {
		case AuthNone, AuthPass, AuthAH:
		default:
			st.InvalidAuthType++
			return fmt.Errorf("%w: %d", ErrAuthType, a.AuthType)
		}
		if a.AuthType != c.AuthType {
			st.AuthTypeMismatch++
			return fmt.Errorf("%w: received %v, configured %v", ErrAuthMismatch, a.AuthType, c.AuthType)
		}
		if c.AuthType == AuthPass && subtle.ConstantTimeCompare(a.AuthData[:], in.tx.AuthData[:]) != 1 {
			st.AuthFailure++
			return ErrAuthFailure
		}
		// 6. v2 interval must match, or the advert is dropped.
		if a.Interval != in.tx.Interval {
			st.AdvertIntervalErr++
			return fmt.Errorf("%w: received %d s, configured %d s", ErrInterval, a.Interval, in.tx.Interval)
		}
	}
	// 7. Type.
	if a.Type != TypeAdvert {
		st.InvalidTypeRcvd++
		return fmt.Errorf("%w: %d", ErrType, a.Type)
	}
	if a.VRID != c.VRID {
		st.VRIDErr++
		return fmt.Errorf("%w: %d, instance has %d", ErrVRID, a.VRID, c.VRID)
	}
	// 8. A v3 interval mismatch is only logged by keepalived (backups
	// adopt the master's interval), so it is not an error here.
	// 9. Checksum.
	if !in.checksumOK(msg, meta, unicast) {
		st.ChecksumErr++
		return ErrChecksum
	}
	// 10. Unicast/multicast must match the configuration.
	if unicast != (len(c.UnicastPeers) > 0) {
		st.UnicastErr++
		return ErrUnicastMismatch
	}
	// 11. An owner told to ignore adverts drops them.
	if c.OwnerIgnoreAdverts && c.Priority == 255 {
		return ErrOwnerIgnore
	}
	st.AdvertRcvd++
	var result error
	// 12. Address list: counted, not rejected.
	if !(c.SkipCheckAdvAddr && meta.Src == in.masterAddr) && !sameAddrs(a.Addrs, c.VIPs) {
		st.AddrListErr++
		result = ErrAddrList
	}
	// 13. Unicast source must be a peer when asked to check.
	if unicast && c.CheckUnicastSrc && !in.isPeer(meta.Src) {
		st.UnicastErr++
		return ErrUnicastSource
	}
	if a.Priority == 0 {
		st.PriZeroRcvd++
	}
	return result
}

// checksumOK verifies the checksum; for v3 IPv4 unicast it falls back to
// the pre-1.3.6 pseudo-header (group as destination) and, in auto mode,
// switches our own adverts to it, as keepalived does.
func (in *Instance) checksumOK(msg []byte, meta RxMeta, unicast bool) bool {
	c := &in.cfg
	v := c.Version
	if c.Version == 2 || in.asV2() {
		return VerifyChecksum(msg, v, meta.Src, meta.Dst, true)
	}
	dst := meta.Dst
	oldOnly := unicast && !c.IPv6 && c.OldUnicastChecksum == ChecksumCompatOld
	if oldOnly {
		dst = c.group()
	}
	if VerifyChecksum(msg, v, meta.Src, dst, false) {
		return true
	}
	if unicast && !c.IPv6 && c.OldUnicastChecksum == ChecksumCompatAuto &&
		VerifyChecksum(msg, v, meta.Src, c.group(), false) {
		in.oldChecksum = true
		return true
	}
	return false
}

func (in *Instance) peerTTLOK(meta RxMeta) bool {
	for _, p := range in.cfg.UnicastPeers {
		if p.Addr == meta.Src {
			return meta.TTL >= int(p.MinTTL) && (p.MaxTTL == 0 || meta.TTL <= int(p.MaxTTL))
		}
	}
	return true
}

func (in *Instance) isPeer(a netip.Addr) bool {
	for _, p := range in.cfg.UnicastPeers {
		if p.Addr == a {
			return true
		}
	}
	return false
}

// sameAddrs reports whether the advert lists exactly the configured VIPs:
// the same count, and every configured VIP present (keepalived's check,
// which ignores order).
func sameAddrs(got, want []netip.Addr) bool {
	if len(got) != len(want) {
		return false
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			if g == w {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// Dropped reports whether err from Receive means the advert was not
// accepted.
func Dropped(err error) bool { return err != nil && !errors.Is(err, ErrAddrList) }
