package bfd

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"time"
)

// Version is the only BFD protocol version (RFC 5880 §4.1).
const Version = 1

// HeaderLen is the length of a control packet without authentication.
const HeaderLen = 24

// Ports of RFC 5881 §4 (single hop) and RFC 5883 §5 (multihop), and the
// source port range RFC 5881 §4 requires.
const (
	ControlPort      = 3784
	MultihopPort     = 4784
	SourcePortMin    = 49152
	SourcePortMax    = 65535
	MaxTTL           = 255
	DefaultHopLimit6 = 64 // keepalived's default hoplimit for IPv6 sessions
)

// State is a session state as carried in the Sta field.
type State uint8

// Session states (RFC 5880 §4.1).
const (
	StateAdminDown State = 0
	StateDown      State = 1
	StateInit      State = 2
	StateUp        State = 3
)

var stateNames = [...]string{"AdminDown", "Down", "Init", "Up"}

// String is the state's name as keepalived logs it.
func (s State) String() string {
	if int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

// Diag is the diagnostic code of the Diag field: why the sender's session
// last left Up.
type Diag uint8

// Diagnostic codes (RFC 5880 §4.1).
const (
	DiagNone                 Diag = 0
	DiagDetectionExpired     Diag = 1
	DiagEchoFailed           Diag = 2
	DiagNeighborSignaledDown Diag = 3
	DiagForwardingReset      Diag = 4
	DiagPathDown             Diag = 5
	DiagConcatPathDown       Diag = 6
	DiagAdminDown            Diag = 7
	DiagReverseConcatDown    Diag = 8
)

var diagNames = [...]string{
	"No Diagnostic", "Control Detection Time Expired", "Echo Function Failed",
	"Neighbor Signaled Session Down", "Forwarding Plane Reset", "Path Down",
	"Concatenated Path Down", "Administratively Down", "Reverse Concatenated Path Down",
}

// String is the diagnostic's RFC name.
func (d Diag) String() string {
	if int(d) < len(diagNames) {
		return diagNames[d]
	}
	return fmt.Sprintf("Diag(%d)", uint8(d))
}

// Packet is a BFD control packet (RFC 5880 §4.1). Intervals are carried
// on the wire in microseconds; here they are durations (sub-microsecond
// parts are dropped when encoding).
type Packet struct {
	Version uint8
	Diag    Diag
	State   State
	// Flags: Poll, Final, Control Plane Independent, Authentication
	// Present, Demand, Multipoint.
	Poll, Final, CPI, Auth, Demand, Multipoint bool
	DetectMult                                 uint8
	// Length is the Length field: the whole packet including any
	// authentication section. MarshalBinary computes it.
	Length                                    uint8
	MyDiscr, YourDiscr                        uint32
	DesiredMinTx, RequiredMinRx, RequiredEcho time.Duration
	// AuthData is the authentication section when Auth is set (kept
	// opaque: alived configures no authentication and drops such packets).
	AuthData []byte
}

const (
	flagPoll       = 0x20
	flagFinal      = 0x10
	flagCPI        = 0x08
	flagAuth       = 0x04
	flagDemand     = 0x02
	flagMultipoint = 0x01
)

// ErrTooLong is returned when a packet would not fit the 8-bit Length.
var ErrTooLong = errors.New("bfd: packet longer than 255 bytes")

// micros converts a duration to the 32-bit microsecond wire form,
// saturating instead of wrapping.
func micros(d time.Duration) uint32 {
	us := d.Microseconds()
	switch {
	case us < 0:
		return 0
	case us > 0xffffffff:
		return 0xffffffff
	}
	return uint32(us)
}

// AppendBinary appends the encoded packet to b.
func (p *Packet) AppendBinary(b []byte) ([]byte, error) {
	n := HeaderLen + len(p.AuthData)
	if n > 255 {
		return b, ErrTooLong
	}
	var h [HeaderLen]byte
	h[0] = p.Version<<5 | uint8(p.Diag)&0x1f
	f := uint8(p.State&3) << 6
	for _, x := range []struct {
		on  bool
		bit uint8
	}{{p.Poll, flagPoll}, {p.Final, flagFinal}, {p.CPI, flagCPI}, {p.Auth, flagAuth}, {p.Demand, flagDemand}, {p.Multipoint, flagMultipoint}} {
		if x.on {
			f |= x.bit
		}
	}
	h[1] = f
	h[2] = p.DetectMult
	h[3] = uint8(n)
	binary.BigEndian.PutUint32(h[4:], p.MyDiscr)
	binary.BigEndian.PutUint32(h[8:], p.YourDiscr)
	binary.BigEndian.PutUint32(h[12:], micros(p.DesiredMinTx))
	binary.BigEndian.PutUint32(h[16:], micros(p.RequiredMinRx))
	binary.BigEndian.PutUint32(h[20:], micros(p.RequiredEcho))
	b = append(b, h[:]...)
	return append(b, p.AuthData...), nil
}

// MarshalBinary encodes the packet as it is (set Version to [Version]);
// Length is computed from AuthData.
func (p *Packet) MarshalBinary() ([]byte, error) {
	return p.AppendBinary(make([]byte, 0, HeaderLen+len(p.AuthData)))
}

// UnmarshalBinary decodes a control packet. Input shorter than the fixed
// header, or shorter than its own Length field, is io.ErrUnexpectedEOF;
// bytes beyond Length are ignored (RFC 5880 §6.8.6 only requires Length
// not to exceed the payload). Whether the packet is acceptable is
// [Validate]'s business, not the decoder's.
func (p *Packet) UnmarshalBinary(b []byte) error {
	if len(b) < HeaderLen {
		return io.ErrUnexpectedEOF
	}
	n := int(b[3])
	if n > len(b) {
		return io.ErrUnexpectedEOF
	}
	f := b[1]
	*p = Packet{
		Version:       b[0] >> 5,
		Diag:          Diag(b[0] & 0x1f),
		State:         State(f >> 6),
		Poll:          f&flagPoll != 0,
		Final:         f&flagFinal != 0,
		CPI:           f&flagCPI != 0,
		Auth:          f&flagAuth != 0,
		Demand:        f&flagDemand != 0,
		Multipoint:    f&flagMultipoint != 0,
		DetectMult:    b[2],
		Length:        b[3],
		MyDiscr:       binary.BigEndian.Uint32(b[4:]),
		YourDiscr:     binary.BigEndian.Uint32(b[8:]),
		DesiredMinTx:  time.Duration(binary.BigEndian.Uint32(b[12:])) * time.Microsecond,
		RequiredMinRx: time.Duration(binary.BigEndian.Uint32(b[16:])) * time.Microsecond,
		RequiredEcho:  time.Duration(binary.BigEndian.Uint32(b[20:])) * time.Microsecond,
	}
	if n > HeaderLen {
		p.AuthData = append([]byte(nil), b[HeaderLen:n]...)
	}
	return nil
}

// String renders every field, for logs and test failures.
func (p *Packet) String() string {
	return fmt.Sprintf("v%d diag=%d state=%v P=%t F=%t C=%t A=%t D=%t M=%t mult=%d len=%d my=%d your=%d tx=%v rx=%v echo=%v auth=%x",
		p.Version, p.Diag, p.State, p.Poll, p.Final, p.CPI, p.Auth, p.Demand, p.Multipoint, p.DetectMult, p.Length,
		p.MyDiscr, p.YourDiscr, p.DesiredMinTx, p.RequiredMinRx, p.RequiredEcho, p.AuthData)
}
