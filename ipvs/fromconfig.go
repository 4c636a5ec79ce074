package ipvs

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/alived/alived/config"
)

// Setup is what the configuration asks of the IPVS side: the virtual
// servers for a Pool and the reconciler's global options.
type Setup struct {
	VirtualServers []VirtualServer
	// Flush is lvs_flush.
	Flush bool
	// StopMode follows lvs_flush_on_stop: FlushAll for "all", Release
	// otherwise (also for "VS", which only changes how keepalived removes
	// its own services). The daemon switches to Keep for -I.
	StopMode StopMode
	Timeouts Timeouts
	// SyncDaemon is lvs_sync_daemon, nil if not configured; its role
	// follows the VRRP instance SyncInstance (see FollowVRRP).
	SyncDaemon   *SyncDaemon
	SyncInstance string
	// Warnings name settings the kernel interface here cannot apply.
	Warnings []string
}

// FromConfig builds the IPVS setup from a decoded configuration.
func FromConfig(cfg *config.Config) (Setup, error) {
	s := Setup{Flush: cfg.Global.LVSFlush, StopMode: Release}
	if strings.EqualFold(cfg.Global.LVSFlushOnStop, "all") {
		s.StopMode = FlushAll
	}
	t := cfg.Global.LVSTimeouts
	s.Timeouts = Timeouts{TCP: secs(t.TCP), TCPFin: secs(t.TCPFin), UDP: secs(t.UDP)}
	if sd := cfg.Global.LVSSyncDaemon; sd != nil {
		s.SyncDaemon = &SyncDaemon{Interface: sd.Interface, SyncID: uint32(max(sd.SyncID, 0)),
			MaxLen: uint16(max(sd.MaxLen, 0)), Port: sd.Port, TTL: uint8(max(sd.TTL, 0)), Group: sd.Group}
		s.SyncInstance = sd.Instance
	}
	groups := map[string]*config.VirtualServerGroup{}
	for _, g := range cfg.VirtualServerGroups {
		groups[g.Name] = g
	}
	for _, v := range cfg.VirtualServers {
		vs, warn, err := virtualServer(v, groups)
		if err != nil {
			return Setup{}, fmt.Errorf("%s: %w", v.Pos, err)
		}
		s.Warnings = append(s.Warnings, warn...)
		s.VirtualServers = append(s.VirtualServers, vs)
	}
	return s, nil
}

func secs(d time.Duration) uint32 { return uint32(d / time.Second) }

func family(f string, a netip.Addr) Family {
	if a.IsValid() {
		return FamilyOf(a)
	}
	if f == "inet6" {
		return INET6
	}
	return INET
}

var protocols = map[config.Protocol]Protocol{config.ProtoTCP: TCP, config.ProtoUDP: UDP, config.ProtoSCTP: SCTP}

// schedFlags maps keepalived's scheduler flag names to kernel flags;
// "hashed" is kernel-owned and has no effect.
var schedFlags = map[string]Flags{
	"hashed": 0, "flag-1": SchedFlag1, "sh-fallback": SchedFlag1, "mh-fallback": SchedFlag1,
	"flag-2": SchedFlag2, "sh-port": SchedFlag2, "mh-port": SchedFlag2, "flag-3": SchedFlag3,
}

func virtualServer(v *config.VirtualServer, groups map[string]*config.VirtualServerGroup) (VirtualServer, []string, error) {
	var warn []string
	tmpl := Service{Scheduler: v.Scheduler}
	if tmpl.Scheduler == "" {
		tmpl.Scheduler = "wlc"
	}
	for _, f := range v.SchedulerFlags {
		fl, ok := schedFlags[f]
		if !ok {
			return VirtualServer{}, nil, fmt.Errorf("unknown scheduler flag %q", f)
		}
		tmpl.Flags |= fl
	}
	if v.OnePacket {
		tmpl.Flags |= OnePacket
	}
	if v.PersistenceTimeout > 0 {
		tmpl.Flags |= Persistent
		tmpl.Timeout = secs(v.PersistenceTimeout)
	}
	if g := v.PersistenceGranularity; g.IsValid() {
		tmpl.MaskBits = maskBits(g)
	}
	if v.PersistenceEngine != "" {
		warn = append(warn, fmt.Sprintf("%s: persistence_engine %s is not applied (the netlink library cannot set it)", v.Pos, v.PersistenceEngine))
	}
	proto := protocols[v.Protocol]

	out := VirtualServer{Quorum: uint32(max(v.Quorum, 0)), Hysteresis: uint32(max(v.Hysteresis, 0))}
	switch {
	case v.Group != "":
		g, ok := groups[v.Group]
		if !ok {
			return VirtualServer{}, nil, fmt.Errorf("virtual_server_group %q is not defined", v.Group)
		}
		out.Name = "group " + v.Group
		for _, e := range g.Entries {
			if e.FWMark != 0 {
				s := tmpl
				s.ServiceKey = ServiceKey{Family: family(e.Family, netip.Addr{}), FWMark: e.FWMark}
				out.Services = append(out.Services, s)
				continue
			}
			for a := e.First; a.IsValid() && a.Compare(e.Last) <= 0; a = a.Next() {
				s := tmpl
				s.ServiceKey = ServiceKey{Family: FamilyOf(a), Protocol: proto, Addr: a, Port: e.Port}
				out.Services = append(out.Services, s)
			}
		}
	case v.FWMark != 0:
		s := tmpl
		s.ServiceKey = ServiceKey{Family: family(v.Family, netip.Addr{}), FWMark: v.FWMark}
		out.Name = s.ServiceKey.String()
		out.Services = []Service{s}
	default:
		s := tmpl
		s.ServiceKey = ServiceKey{Family: FamilyOf(v.Addr), Protocol: proto, Addr: v.Addr, Port: v.Port}
		out.Name = s.ServiceKey.String()
		out.Services = []Service{s}
	}
	for _, r := range v.RealServers {
		d, err := dest(r.Addr, r.Port, r.Forwarding)
		if err != nil {
			return VirtualServer{}, nil, fmt.Errorf("%s: %w", r.Pos, err)
		}
		d.Weight = uint32(max(r.Weight, 0))
		d.UpperThreshold, d.LowerThreshold = uint32(max(r.UThreshold, 0)), uint32(max(r.LThreshold, 0))
		out.Reals = append(out.Reals, RealServer{Dest: d, Inhibit: r.InhibitOnFailure, Alpha: r.Alpha})
	}
	// keepalived lowers a quorum no pool could reach to the total weight.
	var total uint32
	for _, r := range out.Reals {
		total += r.Dest.Weight
	}
	if len(out.Reals) > 0 && out.Quorum > total {
		warn = append(warn, fmt.Sprintf("%s: quorum %d exceeds total weight of real servers %d, reducing quorum to %d", v.Pos, out.Quorum, total, total))
		out.Quorum = total
	}
	if ss := v.SorryServer; ss != nil {
		fwd := v.Forwarding
		if ss.Forwarding != nil {
			fwd = *ss.Forwarding
		}
		d, err := dest(ss.Addr, ss.Port, fwd)
		if err != nil {
			return VirtualServer{}, nil, fmt.Errorf("%s: sorry_server: %w", ss.Pos, err)
		}
		d.Weight = 1
		out.Sorry = &RealServer{Dest: d, Inhibit: ss.Inhibit}
	}
	return out, warn, nil
}

func maskBits(m netip.Addr) int {
	bits := 0
	for _, b := range m.AsSlice() {
		for i := 7; i >= 0 && b&(1<<i) != 0; i-- {
			bits++
		}
		if b != 0xff {
			break
		}
	}
	return bits
}

var tunnelTypes = map[string]TunnelType{"": IPIP, "ipip": IPIP, "gue": GUE, "gre": GRE}
var tunnelCsums = map[string]TunnelFlags{"": TunnelNoChecksum, "nocsum": TunnelNoChecksum, "csum": TunnelChecksum, "remcsum": TunnelRemoteChecksum}

func dest(a netip.Addr, port uint16, f config.Forwarding) (Destination, error) {
	d := Destination{DestKey: DestKey{Addr: a, Port: port}}
	switch f.Method {
	case config.MethodNAT, "":
		d.Forward = Masquerade
	case config.MethodDR:
		d.Forward = DirectRoute
	case config.MethodTUN:
		d.Forward = Tunnel
		tt, ok1 := tunnelTypes[strings.ToLower(f.TunnelType)]
		tf, ok2 := tunnelCsums[strings.ToLower(f.TunnelCsum)]
		if !ok1 || !ok2 {
			return Destination{}, fmt.Errorf("unknown tunnel type %q or checksum %q", f.TunnelType, f.TunnelCsum)
		}
		d.TunnelType, d.TunnelPort, d.TunnelFlags = tt, f.TunnelPort, tf
	default:
		return Destination{}, fmt.Errorf("unknown forwarding method %q", f.Method)
	}
	return d, nil
}
