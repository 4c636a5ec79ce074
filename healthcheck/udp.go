package healthcheck

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"syscall"
)

// DefaultMaxReplyLength is keepalived's max_reply_length default.
const DefaultMaxReplyLength = 255

// UDPOptions configures UDP_CHECK.
type UDPOptions struct {
	Conn Conn
	// Payload is the datagram (payload HEX_STR); nil sends random bytes, as
	// keepalived does. ParseHex reads keepalived's free-form hex.
	Payload []byte
	// RequireReply makes a reply mandatory (require_reply); without it the
	// check fails only on an ICMP error (port unreachable) before the
	// deadline.
	RequireReply bool
	// ReplyPattern is require_reply's HEX_STR with X nibble wildcards (see
	// ParseHexPattern); the reply must match it up to the shorter length.
	ReplyPattern HexPattern
	// MinReplyLength and MaxReplyLength bound the reply's length when a
	// reply is required (min_reply_length [0], max_reply_length [255]).
	MinReplyLength int
	MaxReplyLength int
}

// HexPattern is bytes where only the bits set in Mask are compared.
type HexPattern struct {
	Value []byte
	Mask  []byte
}

// ParseHex reads keepalived's hex strings: whitespace-separated groups of
// hex digits, each group read as byte pairs from the left with a lone last
// digit as the low nibble ("Ab12f 3" → AB 12 0F 03).
func ParseHex(s string) ([]byte, error) {
	p, err := ParseHexPattern(s)
	if err != nil {
		return nil, err
	}
	for _, m := range p.Mask {
		if m != 0xff {
			return nil, fmt.Errorf("hex %q: X wildcards are only allowed in require_reply", s)
		}
	}
	return p.Value, nil
}

// ParseHexPattern is ParseHex where an X (or x) digit matches any nibble.
func ParseHexPattern(s string) (HexPattern, error) {
	var p HexPattern
	for _, group := range strings.Fields(s) {
		if len(group)%2 == 1 {
			group = group[:len(group)-1] + "0" + group[len(group)-1:]
		}
		for i := 0; i < len(group); i += 2 {
			var v, m byte
			for _, ch := range []byte{group[i], group[i+1]} {
				n, mask, ok := hexNibble(ch)
				if !ok {
					return HexPattern{}, fmt.Errorf("hex %q: %q is not a hex digit", s, ch)
				}
				v, m = v<<4|n, m<<4|mask
			}
			p.Value = append(p.Value, v)
			p.Mask = append(p.Mask, m)
		}
	}
	if len(p.Value) == 0 {
		return HexPattern{}, fmt.Errorf("hex %q: no digits", s)
	}
	return p, nil
}

func hexNibble(c byte) (val, mask byte, ok bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', 0xf, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, 0xf, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, 0xf, true
	case c == 'x' || c == 'X':
		return 0, 0, true
	}
	return 0, 0, false
}

// match compares b with the pattern up to the shorter of the two.
func (p HexPattern) match(b []byte) bool {
	for i := 0; i < len(b) && i < len(p.Value); i++ {
		if b[i]&p.Mask[i] != p.Value[i]&p.Mask[i] {
			return false
		}
	}
	return true
}

// UDPChecker is UDP_CHECK.
type UDPChecker struct{ o UDPOptions }

// NewUDP validates o and returns a UDP_CHECK checker.
func NewUDP(o UDPOptions) (*UDPChecker, error) {
	if err := o.Conn.validate(); err != nil {
		return nil, fmt.Errorf("UDP_CHECK: %w", err)
	}
	if o.MaxReplyLength == 0 {
		o.MaxReplyLength = DefaultMaxReplyLength
	}
	if o.MinReplyLength < 0 || o.MaxReplyLength < o.MinReplyLength || o.MaxReplyLength > 65535 {
		return nil, fmt.Errorf("UDP_CHECK: reply length bounds %d..%d are invalid", o.MinReplyLength, o.MaxReplyLength)
	}
	if len(o.ReplyPattern.Value) != len(o.ReplyPattern.Mask) {
		return nil, errors.New("UDP_CHECK: require_reply pattern value and mask differ in length")
	}
	if len(o.ReplyPattern.Value) > 0 && !o.RequireReply {
		return nil, errors.New("UDP_CHECK: reply pattern without require_reply")
	}
	return &UDPChecker{o: o}, nil
}

// Kind returns KindUDP.
func (c *UDPChecker) Kind() Kind { return KindUDP }

// Check sends the payload on a connected socket, so the kernel reports the
// target's ICMP port-unreachable as a read error.
func (c *UDPChecker) Check(ctx context.Context) Result {
	conn, closeConn, err := c.o.Conn.dial(ctx, "udp")
	if err != nil {
		return fail(err)
	}
	defer closeConn()
	payload := c.o.Payload
	if payload == nil {
		payload = make([]byte, 16)
		if _, err := rand.Read(payload); err != nil {
			return fail(fmt.Errorf("random payload: %w", err))
		}
	}
	if _, err := conn.Write(payload); err != nil {
		return fail(ctxErr(ctx, "send", err))
	}
	buf := make([]byte, max(c.o.MaxReplyLength+1, 512))
	n, err := conn.Read(buf)
	if err != nil {
		if errors.Is(err, syscall.ECONNREFUSED) {
			return fail(fmt.Errorf("port unreachable: %w", err))
		}
		if !c.o.RequireReply && (isTimeout(err) || ctx.Err() != nil) {
			// No reply and no ICMP error within the deadline: keepalived
			// counts that as alive.
			return Result{}
		}
		return fail(ctxErr(ctx, "no reply", err))
	}
	if !c.o.RequireReply {
		return Result{}
	}
	reply := buf[:n]
	if n < c.o.MinReplyLength || n > c.o.MaxReplyLength {
		return fail(fmt.Errorf("reply of %d bytes outside %d..%d", n, c.o.MinReplyLength, c.o.MaxReplyLength))
	}
	if !c.o.ReplyPattern.match(reply) {
		return fail(fmt.Errorf("reply %x does not match require_reply", reply))
	}
	return Result{}
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
