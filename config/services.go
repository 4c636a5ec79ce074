package config

import "net/netip"

// ServiceKey identifies one IPVS virtual service: either an address, port
// and protocol, or a firewall mark with an address family.
type ServiceKey struct {
	Addr     netip.Addr
	Port     uint16
	Protocol Protocol
	FWMark   uint32
	Family   string
}

// Services expands v into the IPVS services it stands for: one for an
// address or fwmark service, one per address (and per fwmark entry) for a
// virtual_server_group. A group that does not exist yields nothing.
func (c *Config) Services(v *VirtualServer) []ServiceKey {
	switch {
	case v.FWMark != 0:
		return []ServiceKey{{FWMark: v.FWMark, Family: v.Family}}
	case v.Group == "":
		return []ServiceKey{{Addr: v.Addr, Port: v.Port, Protocol: v.Protocol, Family: v.Family}}
	}
	g := c.VirtualServerGroup(v.Group)
	if g == nil {
		return nil
	}
	var out []ServiceKey
	for _, e := range g.Entries {
		if e.FWMark != 0 {
			out = append(out, ServiceKey{FWMark: e.FWMark, Family: e.Family})
			continue
		}
		for a := e.First; a.IsValid() && !e.Last.Less(a); a = a.Next() {
			out = append(out, ServiceKey{Addr: a, Port: e.Port, Protocol: v.Protocol, Family: e.Family})
			if a == e.Last {
				break
			}
		}
	}
	return out
}
