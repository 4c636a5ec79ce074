package ipvs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
	"net/netip"
)

// The IPVS generic-netlink vocabulary read by the table dump (numbers from
// the kernel's uapi linux/ip_vs.h, stable since 2.6.x).
const (
	ipvsCmdGetService = 4
	ipvsCmdGetDest    = 8
	ipvsGenlVersion   = 1

	ipvsCmdAttrService = 1
	ipvsCmdAttrDest    = 2

	svcAttrAF        = 1
	svcAttrProtocol  = 2
	svcAttrAddr      = 3
	svcAttrPort      = 4
	svcAttrFWMark    = 5
	svcAttrSchedName = 6
	svcAttrFlags     = 7
	svcAttrTimeout   = 8
	svcAttrNetmask   = 9
	svcAttrStats     = 10
	svcAttrStats64   = 12

	destAttrAddr        = 1
	destAttrPort        = 2
	destAttrFwdMethod   = 3
	destAttrWeight      = 4
	destAttrUThresh     = 5
	destAttrLThresh     = 6
	destAttrActiveConns = 7
	destAttrInactConns  = 8
	destAttrStats       = 10
	destAttrAddrFamily  = 11
	destAttrStats64     = 12
	destAttrTunType     = 13
	destAttrTunPort     = 14
	destAttrTunFlags    = 15

	statsAttrConns    = 1
	statsAttrInPkts   = 2
	statsAttrOutPkts  = 3
	statsAttrInBytes  = 4
	statsAttrOutBytes = 5

	// nlaTypeMask strips the nested and byte-order flags off an
	// attribute's type.
	nlaTypeMask = 0x3fff
	nlaNested   = 0x8000
)

// errShortAttr reports an attribute that does not fit its message: the
// reply is corrupt (or from a kernel speaking another layout), and a table
// read from it must not be trusted.
var errShortAttr = errors.New("ipvs: truncated netlink attribute")

// attrs walks the netlink attributes in b, calling fn with each one's type
// (flags stripped) and payload. It allocates nothing: payloads alias b.
func attrs(b []byte, fn func(typ uint16, v []byte) error) error {
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b))
		typ := binary.NativeEndian.Uint16(b[2:]) & nlaTypeMask
		if l < 4 || l > len(b) {
			return errShortAttr
		}
		if err := fn(typ, b[4:l]); err != nil {
			return err
		}
		l = (l + 3) &^ 3
		if l >= len(b) {
			return nil
		}
		b = b[l:]
	}
	if len(b) != 0 {
		return errShortAttr
	}
	return nil
}

func attrU16(v []byte) (uint16, error) {
	if len(v) < 2 {
		return 0, errShortAttr
	}
	return binary.NativeEndian.Uint16(v), nil
}

func attrU32(v []byte) (uint32, error) {
	if len(v) < 4 {
		return 0, errShortAttr
	}
	return binary.NativeEndian.Uint32(v), nil
}

func attrBE16(v []byte) (uint16, error) {
	if len(v) < 2 {
		return 0, errShortAttr
	}
	return binary.BigEndian.Uint16(v), nil
}

// addrOf reads an address attribute: the kernel always sends 16 bytes
// (union nf_inet_addr), of which an IPv4 address uses the first four.
func addrOf(v []byte, fam Family) (netip.Addr, error) {
	if fam == INET {
		if len(v) < 4 {
			return netip.Addr{}, errShortAttr
		}
		return netip.AddrFrom4([4]byte(v[:4])), nil
	}
	if len(v) < 16 {
		return netip.Addr{}, errShortAttr
	}
	a := netip.AddrFrom16([16]byte(v[:16]))
	if a.Is4In6() {
		a = a.Unmap()
	}
	return a, nil
}

// parseStats reads a STATS (32-bit packet and connection counters) or
// STATS64 nest.
func parseStats(b []byte, wide bool) (Counters, error) {
	var c Counters
	err := attrs(b, func(typ uint16, v []byte) error {
		if typ < statsAttrConns || typ > statsAttrOutBytes {
			return nil // rates, and the padding 64-bit values bring
		}
		var n uint64
		switch {
		case len(v) >= 8 && (wide || typ == statsAttrInBytes || typ == statsAttrOutBytes):
			n = binary.NativeEndian.Uint64(v)
		case len(v) >= 4:
			n = uint64(binary.NativeEndian.Uint32(v))
		default:
			return errShortAttr
		}
		switch typ {
		case statsAttrConns:
			c.Connections = n
		case statsAttrInPkts:
			c.InPackets = n
		case statsAttrOutPkts:
			c.OutPackets = n
		case statsAttrInBytes:
			c.InBytes = n
		case statsAttrOutBytes:
			c.OutBytes = n
		}
		return nil
	})
	return c, err
}

// pickStats prefers the 64-bit counters (kernel 4.1+); older kernels send
// only the 32-bit ones, which wrap.
func pickStats(s32, s64 Counters, have64 bool) Counters {
	if have64 {
		return s64
	}
	return s32
}

// parseService decodes the attributes of one IPVS_CMD_ATTR_SERVICE nest.
func parseService(b []byte) (Service, Counters, error) {
	var (
		s               Service
		proto           uint16
		addr, mask      []byte
		port            uint16
		s32, s64        Counters
		have64, hasFlag bool
	)
	err := attrs(b, func(typ uint16, v []byte) error {
		var err error
		switch typ {
		case svcAttrAF:
			var f uint16
			f, err = attrU16(v)
			s.Family = Family(f)
		case svcAttrProtocol:
			proto, err = attrU16(v)
		case svcAttrAddr:
			addr = v
		case svcAttrPort:
			port, err = attrBE16(v)
		case svcAttrFWMark:
			s.FWMark, err = attrU32(v)
		case svcAttrSchedName:
			s.Scheduler = cString(v)
		case svcAttrFlags:
			// struct ip_vs_flags {flags, mask}: the first word is the value.
			var f uint32
			f, err = attrU32(v)
			s.Flags, hasFlag = Flags(f), true
		case svcAttrTimeout:
			s.Timeout, err = attrU32(v)
		case svcAttrNetmask:
			mask = v
		case svcAttrStats:
			s32, err = parseStats(v, false)
		case svcAttrStats64:
			s64, err = parseStats(v, true)
			have64 = true
		}
		return err
	})
	if err != nil {
		return Service{}, Counters{}, err
	}
	if s.Family != INET && s.Family != INET6 {
		return Service{}, Counters{}, fmt.Errorf("ipvs: service with address family %d", s.Family)
	}
	if !hasFlag {
		return Service{}, Counters{}, fmt.Errorf("ipvs: service without flags attribute")
	}
	if s.FWMark == 0 {
		a, err := addrOf(addr, s.Family)
		if err != nil {
			return Service{}, Counters{}, err
		}
		s.Protocol, s.Addr, s.Port = Protocol(proto), a, port
	}
	if len(mask) >= 4 {
		if s.Family == INET {
			// A big-endian netmask; a non-contiguous one cannot be set
			// through this package, so its leading ones are its length.
			s.MaskBits = bits.LeadingZeros32(^binary.BigEndian.Uint32(mask))
		} else {
			s.MaskBits = int(binary.NativeEndian.Uint32(mask))
		}
	}
	return s, pickStats(s32, s64, have64), nil
}

// parseDest decodes the attributes of one IPVS_CMD_ATTR_DEST nest; fam is
// the service's family, used when the kernel predates ADDR_FAMILY. The
// counters include the active and inactive connection gauges.
func parseDest(b []byte, fam Family) (Destination, Counters, error) {
	var (
		d        Destination
		addr     []byte
		s32, s64 Counters
		have64   bool
		active   uint32
		inactive uint32
	)
	dfam := fam
	err := attrs(b, func(typ uint16, v []byte) error {
		var err error
		switch typ {
		case destAttrAddr:
			addr = v
		case destAttrPort:
			d.Port, err = attrBE16(v)
		case destAttrFwdMethod:
			var f uint32
			f, err = attrU32(v)
			d.Forward = Forward(f)
		case destAttrWeight:
			d.Weight, err = attrU32(v)
		case destAttrUThresh:
			d.UpperThreshold, err = attrU32(v)
		case destAttrLThresh:
			d.LowerThreshold, err = attrU32(v)
		case destAttrActiveConns:
			active, err = attrU32(v)
		case destAttrInactConns:
			inactive, err = attrU32(v)
		case destAttrAddrFamily:
			var f uint16
			f, err = attrU16(v)
			dfam = Family(f)
		case destAttrTunType:
			if len(v) < 1 {
				return errShortAttr
			}
			d.TunnelType = TunnelType(v[0])
		case destAttrTunPort:
			d.TunnelPort, err = attrBE16(v)
		case destAttrTunFlags:
			var f uint16
			f, err = attrU16(v)
			d.TunnelFlags = TunnelFlags(f)
		case destAttrStats:
			s32, err = parseStats(v, false)
		case destAttrStats64:
			s64, err = parseStats(v, true)
			have64 = true
		}
		return err
	})
	if err != nil {
		return Destination{}, Counters{}, err
	}
	a, err := addrOf(addr, dfam)
	if err != nil {
		return Destination{}, Counters{}, err
	}
	d.Addr = a
	c := pickStats(s32, s64, have64)
	c.ActiveConns, c.InactiveConns = uint64(active), uint64(inactive)
	return d, c, nil
}

// cString returns v up to its first NUL.
func cString(v []byte) string {
	for i, c := range v {
		if c == 0 {
			return string(v[:i])
		}
	}
	return string(v)
}

// appendAttr appends one attribute (padded to 4 bytes) to b.
func appendAttr(b []byte, typ uint16, v []byte) []byte {
	b = binary.NativeEndian.AppendUint16(b, uint16(4+len(v)))
	b = binary.NativeEndian.AppendUint16(b, typ)
	b = append(b, v...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// appendServiceKey appends the IPVS_CMD_ATTR_SERVICE nest that names a
// service in a destinations dump: family and either the firewall mark or
// protocol, address and port — all the kernel looks a service up by.
func appendServiceKey(b []byte, k ServiceKey) []byte {
	start := len(b)
	b = append(b, 0, 0, 0, 0) // nest header, filled in below
	b = appendAttr(b, svcAttrAF, binary.NativeEndian.AppendUint16(nil, uint16(k.Family)))
	if k.FWMark != 0 {
		b = appendAttr(b, svcAttrFWMark, binary.NativeEndian.AppendUint32(nil, k.FWMark))
	} else {
		b = appendAttr(b, svcAttrProtocol, binary.NativeEndian.AppendUint16(nil, uint16(k.Protocol)))
		b = appendAttr(b, svcAttrAddr, k.Addr.AsSlice())
		b = appendAttr(b, svcAttrPort, binary.BigEndian.AppendUint16(nil, k.Port))
	}
	binary.NativeEndian.PutUint16(b[start:], uint16(len(b)-start))
	binary.NativeEndian.PutUint16(b[start+2:], ipvsCmdAttrService|nlaNested)
	return b
}
