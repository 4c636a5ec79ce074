package vrrp

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// checksum computes the VRRP checksum of msg, whose checksum field must be
// zero. v2 (and v3 with asV2) sums the message alone; v3 prefixes the IPv4
// or IPv6 pseudo-header built from src and dst (RFC 5798 §5.2.8).
func checksum(msg []byte, version uint8, src, dst netip.Addr, asV2 bool) (uint16, error) {
	return checksumWith(msg, version, src, dst, asV2, false)
}

// checksumWith is checksum; skipField treats bytes 6-7 of msg as zero so
// that a received message can be verified in place.
func checksumWith(msg []byte, version uint8, src, dst netip.Addr, asV2, skipField bool) (uint16, error) {
	var sum uint32
	if version == 3 && !asV2 {
		if !src.IsValid() || !dst.IsValid() || src.Is4() != dst.Is4() {
			return 0, fmt.Errorf("vrrp: v3 checksum needs source and destination of one family, have %v and %v", src, dst)
		}
		if src.Is4() {
			s, d := src.As4(), dst.As4()
			sum = sumBytes(sum, s[:])
			sum = sumBytes(sum, d[:])
			sum += Protocol
			sum += uint32(len(msg))
		} else {
			s, d := src.As16(), dst.As16()
			sum = sumBytes(sum, s[:])
			sum = sumBytes(sum, d[:])
			sum += uint32(len(msg)) >> 16
			sum += uint32(len(msg)) & 0xffff
			sum += Protocol
		}
	}
	if skipField && len(msg) >= headerLen {
		sum = sumBytes(sum, msg[:6])
		sum = sumBytes(sum, msg[8:])
	} else {
		sum = sumBytes(sum, msg)
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum), nil
}

// sumBytes adds b to a ones-complement sum as big-endian 16-bit words. An
// odd trailing byte is padded with zero; callers only pass an odd slice
// last.
func sumBytes(sum uint32, b []byte) uint32 {
	for len(b) >= 2 {
		sum += uint32(binary.BigEndian.Uint16(b))
		b = b[2:]
	}
	if len(b) == 1 {
		sum += uint32(b[0]) << 8
	}
	return sum
}
