package vrrp

import (
	"encoding/binary"
	"fmt"
	"io"
	"net/netip"
	"time"
)

// Protocol constants from RFC 3768 and RFC 5798.
const (
	// Protocol is the IP protocol number of VRRP.
	Protocol = 112
	// TTL is the TTL/hop limit VRRP adverts are sent with and, for
	// multicast, must arrive with.
	TTL = 255
	// TypeAdvert is the only VRRP packet type.
	TypeAdvert = 1
	// headerLen is the fixed part of a VRRP message.
	headerLen = 8
	// authLen is the authentication data trailing every v2 message.
	authLen = 8
	// maxV3Interval is the largest 12-bit v3 interval, in centiseconds.
	maxV3Interval = 0x0fff
)

// Default multicast groups (RFC 5798 §5.1.1.2 and §5.1.2.2).
var (
	MulticastGroup4 = netip.AddrFrom4([4]byte{224, 0, 0, 18})
	MulticastGroup6 = netip.MustParseAddr("ff02::12")
)

// AuthType is the v2 authentication type field.
type AuthType uint8

// v2 authentication types (RFC 2338 §5.3.6; RFC 3768 keeps the field).
const (
	AuthNone AuthType = 0
	AuthPass AuthType = 1
	AuthAH   AuthType = 2
)

// String names the auth type as keepalived's configuration does.
func (t AuthType) String() string {
	switch t {
	case AuthNone:
		return "none"
	case AuthPass:
		return "PASS"
	case AuthAH:
		return "AH"
	}
	return fmt.Sprintf("auth(%d)", uint8(t))
}

// Advert is one VRRP message. The same type carries v2 and v3: v2 uses
// AuthType, an Interval in whole seconds and AuthData; v3 uses an Interval
// in centiseconds (12 bits) and Reserved.
//
// Decoding reuses the capacity of Addrs, so a receive loop that keeps one
// Advert decodes without allocating.
type Advert struct {
	Version  uint8 // 2 or 3
	Type     uint8 // TypeAdvert for every valid message
	VRID     uint8
	Priority uint8
	// AuthType is the v2 authentication type; zero in v3.
	AuthType AuthType
	// Interval is the advertisement interval field: seconds in v2 (8 bits),
	// centiseconds in v3 (12 bits). See IntervalDuration.
	Interval uint16
	// Reserved holds v3's four reserved bits, kept so that decoding and
	// encoding round-trip byte for byte; senders set it to zero.
	Reserved uint8
	// Checksum is the checksum field as received, or as computed by
	// AppendSealed.
	Checksum uint16
	// Addrs are the virtual addresses, all IPv4 or all IPv6.
	Addrs []netip.Addr
	// AuthData is the v2 authentication field, always present on the wire
	// (the PASS password, zero padded).
	AuthData [authLen]byte
}

// IntervalDuration is the advert interval as a duration.
func (a *Advert) IntervalDuration() time.Duration {
	if a.Version == 2 {
		return time.Duration(a.Interval) * time.Second
	}
	return time.Duration(a.Interval) * 10 * time.Millisecond
}

// IsIPv6 reports whether the advert carries IPv6 addresses.
func (a *Advert) IsIPv6() bool { return len(a.Addrs) > 0 && a.Addrs[0].Is6() }

// Len is the encoded length of the message.
func (a *Advert) Len() int { return messageLen(a.Version, len(a.Addrs), a.IsIPv6()) }

func messageLen(version uint8, n int, ipv6 bool) int {
	size := 4
	if ipv6 {
		size = 16
	}
	l := headerLen + n*size
	if version == 2 {
		l += authLen
	}
	return l
}

// UnmarshalBinary decodes a VRRP message. The address family is inferred
// from the length (v2 is always IPv4); callers that know the family from the
// socket should use Decode. Input shorter than the message announces yields
// io.ErrUnexpectedEOF, trailing bytes ErrLength, a version other than 2 or
// 3 ErrVersion. Type, checksum and authentication are not checked here: the
// receive checks ([Instance.Receive]) do that in keepalived's order.
func (a *Advert) UnmarshalBinary(b []byte) error {
	if len(b) < headerLen {
		return io.ErrUnexpectedEOF
	}
	n := int(b[3])
	ipv6 := b[0]>>4 == 3 && n > 0 && len(b) == messageLen(3, n, true)
	return a.Decode(b, ipv6)
}

// Decode decodes a VRRP message whose address family the caller knows
// (ipv6 is true for a message received on an IPv6 socket). See
// UnmarshalBinary for the errors.
func (a *Advert) Decode(b []byte, ipv6 bool) error {
	if len(b) < headerLen {
		return io.ErrUnexpectedEOF
	}
	version := b[0] >> 4
	if version != 2 && version != 3 || version == 2 && ipv6 {
		return fmt.Errorf("%w: %d", ErrVersion, version)
	}
	n := int(b[3])
	want := messageLen(version, n, ipv6)
	if len(b) < want {
		return io.ErrUnexpectedEOF
	}
	if len(b) > want {
		return fmt.Errorf("%w: %d bytes, %d addresses need %d", ErrLength, len(b), n, want)
	}
	a.Version = version
	a.Type = b[0] & 0x0f
	a.VRID = b[1]
	a.Priority = b[2]
	if version == 2 {
		a.AuthType = AuthType(b[4])
		a.Interval = uint16(b[5])
		a.Reserved = 0
	} else {
		a.AuthType = AuthNone
		v := binary.BigEndian.Uint16(b[4:6])
		a.Reserved = uint8(v >> 12)
		a.Interval = v & maxV3Interval
	}
	a.Checksum = binary.BigEndian.Uint16(b[6:8])
	a.Addrs = a.Addrs[:0]
	p := b[headerLen:]
	for range n {
		if ipv6 {
			a.Addrs = append(a.Addrs, netip.AddrFrom16([16]byte(p[:16])))
			p = p[16:]
		} else {
			a.Addrs = append(a.Addrs, netip.AddrFrom4([4]byte(p[:4])))
			p = p[4:]
		}
	}
	if version == 2 {
		copy(a.AuthData[:], p[:authLen])
	} else {
		a.AuthData = [authLen]byte{}
	}
	return nil
}

// MarshalBinary encodes the message with the Checksum field exactly as
// stored, so that decode → encode reproduces the input. To send, use
// AppendSealed, which computes the checksum.
func (a *Advert) MarshalBinary() ([]byte, error) {
	return a.AppendBinary(make([]byte, 0, a.Len()))
}

// AppendBinary appends the encoding of a (with the stored Checksum) to b.
func (a *Advert) AppendBinary(b []byte) ([]byte, error) {
	if err := a.validForEncoding(); err != nil {
		return b, err
	}
	b = append(b, a.Version<<4|a.Type&0x0f, a.VRID, a.Priority, uint8(len(a.Addrs)))
	if a.Version == 2 {
		b = append(b, uint8(a.AuthType), uint8(a.Interval))
	} else {
		b = binary.BigEndian.AppendUint16(b, uint16(a.Reserved&0x0f)<<12|a.Interval)
	}
	b = binary.BigEndian.AppendUint16(b, a.Checksum)
	for _, ip := range a.Addrs {
		// As4/As16 rather than AsSlice: the array stays on the stack, so
		// sending an advert does not allocate.
		if ip.Is4() {
			v := ip.As4()
			b = append(b, v[:]...)
		} else {
			v := ip.As16()
			b = append(b, v[:]...)
		}
	}
	if a.Version == 2 {
		b = append(b, a.AuthData[:]...)
	}
	return b, nil
}

// AppendSealed appends the encoding of a to b with a freshly computed
// checksum (stored back into a.Checksum). src and dst are the IP source and
// destination the message will be sent with; v3 covers them with its
// pseudo-header (pass the multicast group or the unicast peer as dst, or
// the group for keepalived's old_unicast_checksum). With asV2 a v3 checksum
// omits the pseudo-header (keepalived's v3_checksum_as_v2). v2 ignores src,
// dst and asV2.
func (a *Advert) AppendSealed(b []byte, src, dst netip.Addr, asV2 bool) ([]byte, error) {
	start := len(b)
	a.Checksum = 0
	b, err := a.AppendBinary(b)
	if err != nil {
		return b, err
	}
	msg := b[start:]
	sum, err := checksum(msg, a.Version, src, dst, asV2)
	if err != nil {
		return b[:start], err
	}
	binary.BigEndian.PutUint16(msg[6:8], sum)
	a.Checksum = sum
	return b, nil
}

func (a *Advert) validForEncoding() error {
	if a.Version != 2 && a.Version != 3 {
		return fmt.Errorf("%w: %d", ErrVersion, a.Version)
	}
	if len(a.Addrs) > 255 {
		return fmt.Errorf("vrrp: %d addresses do not fit the 8-bit count", len(a.Addrs))
	}
	if a.Version == 2 && a.Interval > 0xff || a.Interval > maxV3Interval {
		return fmt.Errorf("%w: %d does not fit the v%d field", ErrInterval, a.Interval, a.Version)
	}
	for _, ip := range a.Addrs {
		// A v4-mapped address is a valid 16-byte entry of an IPv6 list
		// (the fuzzer found one); only the wire family matters here.
		if !ip.IsValid() || ip.Zone() != "" || ip.Is6() != a.Addrs[0].Is6() {
			return fmt.Errorf("%w: %v", ErrFamily, a.Addrs)
		}
	}
	if a.Version == 2 && a.IsIPv6() {
		return fmt.Errorf("%w: v2 carries IPv4 only", ErrVersion)
	}
	return nil
}

// VerifyChecksum reports whether the encoded message b carries a correct
// checksum for the given IP source and destination (see AppendSealed for
// asV2).
func VerifyChecksum(b []byte, version uint8, src, dst netip.Addr, asV2 bool) bool {
	if len(b) < headerLen {
		return false
	}
	want := binary.BigEndian.Uint16(b[6:8])
	// Computing over the message with its own checksum in place gives zero
	// for a correct one; compute with the field zeroed instead so the
	// result is comparable without copying b.
	sum, err := checksumWith(b, version, src, dst, asV2, true)
	return err == nil && sum == want
}
