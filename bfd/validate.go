package bfd

import (
	"errors"
	"fmt"
)

// Reasons a received control packet is discarded (RFC 5880 §6.8.6, RFC
// 5881 §5). Validate and CheckTTL wrap one of them, so callers can count
// drops per reason with errors.Is.
var (
	ErrVersion     = errors.New("version is not 1")
	ErrLength      = errors.New("length field too short")
	ErrDetectMult  = errors.New("detect multiplier is zero")
	ErrMultipoint  = errors.New("multipoint bit is set")
	ErrMyDiscr     = errors.New("my discriminator is zero")
	ErrYourDiscr   = errors.New("your discriminator is zero but state is not Down or AdminDown")
	ErrAuth        = errors.New("authentication present but none configured")
	ErrPollFinal   = errors.New("poll and final both set")
	ErrTTL         = errors.New("ttl/hop limit reduced by more than max_hops")
	ErrNoSession   = errors.New("no session for this packet")
	ErrAdminDown   = errors.New("session is AdminDown")
	ErrWrongSource = errors.New("packet source does not match the session's neighbor")
)

// Validate applies the checks RFC 5880 §6.8.6 makes before a packet is
// matched to a session (and keepalived's extra check that Poll and Final
// are not both set); nil means the packet may be processed. Length was
// already checked against the payload by UnmarshalBinary.
func Validate(p *Packet) error {
	switch {
	case p.Version != Version:
		return fmt.Errorf("bfd: discarded: %w (%d)", ErrVersion, p.Version)
	case p.Auth && p.Length < HeaderLen+2, !p.Auth && p.Length < HeaderLen:
		return fmt.Errorf("bfd: discarded: %w (%d)", ErrLength, p.Length)
	case p.DetectMult == 0:
		return fmt.Errorf("bfd: discarded: %w", ErrDetectMult)
	case p.Multipoint:
		return fmt.Errorf("bfd: discarded: %w", ErrMultipoint)
	case p.MyDiscr == 0:
		return fmt.Errorf("bfd: discarded: %w", ErrMyDiscr)
	case p.YourDiscr == 0 && p.State != StateDown && p.State != StateAdminDown:
		return fmt.Errorf("bfd: discarded: %w (state %v)", ErrYourDiscr, p.State)
	case p.Auth:
		// alived, like keepalived, implements no authentication: RFC 5880
		// says to discard a packet with A set when none is in use.
		return fmt.Errorf("bfd: discarded: %w", ErrAuth)
	case p.Poll && p.Final:
		return fmt.Errorf("bfd: discarded: %w", ErrPollFinal)
	}
	return nil
}

// CheckTTL is the Generalized TTL Security Mechanism check of RFC 5881 §5
// as keepalived extends it: the received TTL (IPv4) or hop limit (IPv6)
// may be at most maxHops below the value the session sends with (ttl).
// received 0 means the socket did not report it (not checked); maxHops of
// 255 or more disables the check.
func CheckTTL(received, ttl, maxHops int) error {
	if received == 0 || maxHops >= MaxTTL {
		return nil
	}
	if received+maxHops < ttl {
		return fmt.Errorf("bfd: discarded: %w (received %d, need at least %d)", ErrTTL, received, ttl-maxHops)
	}
	return nil
}
