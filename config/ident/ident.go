// Package ident names virtual and real servers the way operators write
// them on alivectl's command line and in the API: a virtual server is
// IP:PORT[/PROTO], fwmark:N[/inet6] or group:NAME[/PROTO], a real server
// IP:PORT. It is the one translation between those strings and a server's
// identity; every layer that takes a name from an operator (the control
// API, alivectl, the config editor, runtime overrides) parses it here.
//
// The package has no dependencies beyond the standard library so that the
// config model itself can hand out identities.
package ident

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// Kind says how a virtual server is named.
type Kind uint8

// The three ways keepalived names a virtual server.
const (
	ByAddr   Kind = iota + 1 // virtual_server IP PORT
	ByFWMark                 // virtual_server fwmark N
	ByGroup                  // virtual_server group NAME
)

// VS identifies a virtual_server block. Exactly the fields of its Kind are
// set; the zero value is invalid.
type VS struct {
	Kind Kind
	// Addr and Port for ByAddr.
	Addr netip.Addr
	Port uint16
	// Proto is "TCP", "UDP" or "SCTP" for ByAddr and ByGroup (TCP when the
	// operator gave none); empty for ByFWMark, whose protocol IPVS ignores.
	Proto string
	// FWMark and IPv6 (ip_family inet6) for ByFWMark.
	FWMark uint32
	IPv6   bool
	// Group for ByGroup.
	Group string
}

// RS identifies a real_server within its virtual server.
type RS struct {
	Addr netip.Addr
	Port uint16
}

// ParseVS parses a virtual server's name: "10.0.0.1:80", "10.0.0.1:80/udp",
// "[2001:db8::1]:443/tcp", "fwmark:7", "fwmark:7/inet6", "group:web",
// "group:web/udp". Protocol names are case-insensitive.
func ParseVS(s string) (VS, error) {
	body, suffix, hasSuffix := strings.Cut(s, "/")
	switch {
	case strings.HasPrefix(body, "fwmark:"):
		n, err := strconv.ParseUint(strings.TrimPrefix(body, "fwmark:"), 10, 32)
		if err != nil || n == 0 {
			return VS{}, fmt.Errorf("virtual server %q: fwmark must be a number from 1 to 4294967295", s)
		}
		v := VS{Kind: ByFWMark, FWMark: uint32(n)}
		if hasSuffix {
			switch strings.ToLower(suffix) {
			case "inet":
			case "inet6":
				v.IPv6 = true
			default:
				return VS{}, fmt.Errorf("virtual server %q: a fwmark service takes /inet or /inet6, not /%s", s, suffix)
			}
		}
		return v, nil
	case strings.HasPrefix(body, "group:"):
		name := strings.TrimPrefix(body, "group:")
		if name == "" || strings.ContainsAny(name, " \t{}\"#!") {
			return VS{}, fmt.Errorf("virtual server %q: group name missing or not a single word", s)
		}
		proto, err := parseProto(s, suffix, hasSuffix)
		if err != nil {
			return VS{}, err
		}
		return VS{Kind: ByGroup, Group: name, Proto: proto}, nil
	}
	ap, err := netip.ParseAddrPort(body)
	if err != nil {
		return VS{}, fmt.Errorf("virtual server %q: want IP:PORT[/PROTO], fwmark:N or group:NAME (IPv6 as [ADDR]:PORT)", s)
	}
	proto, err := parseProto(s, suffix, hasSuffix)
	if err != nil {
		return VS{}, err
	}
	return VS{Kind: ByAddr, Addr: ap.Addr().Unmap(), Port: ap.Port(), Proto: proto}, nil
}

func parseProto(s, suffix string, given bool) (string, error) {
	if !given {
		return "TCP", nil
	}
	switch p := strings.ToUpper(suffix); p {
	case "TCP", "UDP", "SCTP":
		return p, nil
	}
	return "", fmt.Errorf("virtual server %q: protocol must be tcp, udp or sctp, not %q", s, suffix)
}

// String is the canonical name, which ParseVS reads back to the same VS.
func (v VS) String() string {
	switch v.Kind {
	case ByAddr:
		return netip.AddrPortFrom(v.Addr, v.Port).String() + "/" + strings.ToLower(v.Proto)
	case ByFWMark:
		s := "fwmark:" + strconv.FormatUint(uint64(v.FWMark), 10)
		if v.IPv6 {
			s += "/inet6"
		}
		return s
	case ByGroup:
		return "group:" + v.Group + "/" + strings.ToLower(v.Proto)
	}
	return "invalid"
}

// Valid reports whether v names a virtual server.
func (v VS) Valid() bool {
	switch v.Kind {
	case ByAddr:
		return v.Addr.IsValid() && v.Proto != ""
	case ByFWMark:
		return v.FWMark != 0
	case ByGroup:
		return v.Group != "" && v.Proto != ""
	}
	return false
}

// ParseRS parses a real server's name, "10.0.0.2:8080" or "[2001:db8::2]:80".
func ParseRS(s string) (RS, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return RS{}, fmt.Errorf("real server %q: want IP:PORT (IPv6 as [ADDR]:PORT)", s)
	}
	return RS{Addr: ap.Addr().Unmap(), Port: ap.Port()}, nil
}

// String is the canonical name, which ParseRS reads back to the same RS.
func (r RS) String() string { return netip.AddrPortFrom(r.Addr, r.Port).String() }

// MarshalText writes the canonical name, so JSON carries "10.0.0.1:80/tcp".
func (v VS) MarshalText() ([]byte, error) {
	if !v.Valid() {
		return []byte{}, nil
	}
	return []byte(v.String()), nil
}

// UnmarshalText parses a name as ParseVS does; empty text is the zero VS.
func (v *VS) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*v = VS{}
		return nil
	}
	p, err := ParseVS(string(b))
	if err != nil {
		return err
	}
	*v = p
	return nil
}

// MarshalText writes the canonical name, "10.0.0.2:8080".
func (r RS) MarshalText() ([]byte, error) {
	if !r.Addr.IsValid() {
		return []byte{}, nil
	}
	return []byte(r.String()), nil
}

// UnmarshalText parses a name as ParseRS does; empty text is the zero RS.
func (r *RS) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*r = RS{}
		return nil
	}
	p, err := ParseRS(string(b))
	if err != nil {
		return err
	}
	*r = p
	return nil
}
