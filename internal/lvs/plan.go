package lvs

import (
	"fmt"
	"math/bits"
	"net/netip"
	"strings"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/syntax"
	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/internal/notifyconf"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/notify"
)

// Plan is what a configuration asks of the LVS side: the virtual servers
// as the IPVS pool sees them, the checks of every real server, and the
// scripts and alert switches of each. It is built without I/O (except
// that checker constructors look at the files they are given, as
// keepalived does while parsing) and holds no state of its own.
type Plan struct {
	VirtualServers []*VirtualServerPlan
	// Diagnostics are warnings, with the file:line of the offending
	// block, about parts that were dropped: checkers healthcheck refused
	// (bad regex, bad digest), unsupported checkers, unusable services.
	Diagnostics []syntax.Diagnostic
}

// VirtualServerPlan is one virtual_server block.
type VirtualServerPlan struct {
	// Name identifies the virtual server in the pool, the scheduler and
	// snapshots; it is derived from the service identity so it stays
	// stable across reloads ("TCP 10.0.0.1:80", "FWM 7 inet",
	// "group web TCP").
	Name string
	// Pool is the virtual server as ipvs.Pool takes it.
	Pool ipvs.VirtualServer
	// Notify names the virtual server in FIFO lines and mails.
	Notify notify.Service
	// Quorum holds quorum_up / quorum_down.
	Quorum    notify.UpDownScripts
	SMTPAlert bool
	Omega     bool
	Reals     []*RealServerPlan
	Pos       syntax.Pos
}

// RealServerPlan is one real_server block of a virtual server.
type RealServerPlan struct {
	// Key is the real server's identity within its virtual server
	// (ADDR:PORT), used as the scheduler's real-server key.
	Key    string
	Dest   ipvs.DestKey
	Weight int
	// Notify names the real server in FIFO lines and mails.
	Notify    notify.Service
	Scripts   notify.UpDownScripts
	SMTPAlert bool
	// Health is the scheduler's definition (checks with resolved timing).
	Health healthcheck.RealServer
	// LogAll names the checks with log_all_failures (or global
	// checker_log_all_failures).
	LogAll map[string]bool
	Pos    syntax.Pos
}

// BuildPlan turns the virtual_server blocks of cfg into a Plan. It never
// fails: whatever cannot be built becomes a warning in Plan.Diagnostics
// and is left out, which is what keepalived does with a checker it cannot
// parse.
func BuildPlan(cfg *config.Config) *Plan {
	p := &Plan{}
	if cfg == nil {
		return p
	}
	if d := cfg.Global.LVSSyncDaemon; d != nil && !hasVRRPInstance(cfg, d.Instance) {
		// keepalived 2.2.7 needs the instance to follow; without it the
		// sync daemon never starts.
		p.warnf(d.Pos, "lvs_sync_daemon: VRRP instance %q not found - the sync daemon is not started", d.Instance)
	}
	seen := map[string]bool{}
	owner := map[ipvs.ServiceKey]string{}
	for _, v := range cfg.VirtualServers {
		vp, ok := p.virtualServer(cfg, v)
		if !ok {
			continue
		}
		if seen[vp.Name] {
			p.warnf(v.Pos, "virtual server %s is defined twice - ignoring the second definition", v.ServiceString())
			continue
		}
		clash := ""
		for _, s := range vp.Pool.Services {
			if o, ok := owner[s.ServiceKey]; ok {
				clash = fmt.Sprintf("service %s is already part of %s", s.ServiceKey, o)
			}
		}
		if clash != "" {
			p.warnf(v.Pos, "virtual server %s: %s - ignoring it", v.ServiceString(), clash)
			continue
		}
		for _, s := range vp.Pool.Services {
			owner[s.ServiceKey] = vp.Name
		}
		seen[vp.Name] = true
		p.VirtualServers = append(p.VirtualServers, vp)
	}
	return p
}

// Lookup returns the virtual server named name, or nil.
func (p *Plan) Lookup(name string) *VirtualServerPlan {
	for _, v := range p.VirtualServers {
		if v.Name == name {
			return v
		}
	}
	return nil
}

// Real returns the real server with key, or nil.
func (v *VirtualServerPlan) Real(key string) *RealServerPlan {
	for _, r := range v.Reals {
		if r.Key == key {
			return r
		}
	}
	return nil
}

// PoolConfig returns the virtual servers in the form ipvs.Pool.SetConfig
// takes.
func (p *Plan) PoolConfig() []ipvs.VirtualServer {
	out := make([]ipvs.VirtualServer, 0, len(p.VirtualServers))
	for _, v := range p.VirtualServers {
		out = append(out, v.Pool)
	}
	return out
}

func (p *Plan) warnf(pos syntax.Pos, format string, args ...any) {
	p.Diagnostics = append(p.Diagnostics, syntax.Diagnostic{Pos: pos, Severity: syntax.Warning, Msg: fmt.Sprintf(format, args...)})
}

func family(name string, addr netip.Addr) ipvs.Family {
	if addr.IsValid() {
		return ipvs.FamilyOf(addr)
	}
	if name == "inet6" {
		return ipvs.INET6
	}
	return ipvs.INET
}

func protocol(p config.Protocol) ipvs.Protocol {
	switch p {
	case config.ProtoTCP:
		return ipvs.TCP
	case config.ProtoUDP:
		return ipvs.UDP
	case config.ProtoSCTP:
		return ipvs.SCTP
	}
	return 0
}

// virtualServer builds one virtual server; false means it was dropped
// (with a warning).
func (p *Plan) virtualServer(cfg *config.Config, v *config.VirtualServer) (*VirtualServerPlan, bool) {
	tmpl := ipvs.Service{Scheduler: v.Scheduler, Flags: serviceFlags(v)}
	if v.PersistenceTimeout > 0 {
		tmpl.Flags |= ipvs.Persistent
		tmpl.Timeout = uint32(v.PersistenceTimeout.Seconds())
		if g := v.PersistenceGranularity; g.IsValid() {
			tmpl.MaskBits = maskBits(g)
		}
	}
	if v.HASuspend {
		p.warnf(v.Pos, "virtual server %s: ha_suspend is not supported yet - its checks run whatever the VRRP state", v.ServiceString())
	}
	if v.PersistenceEngine != "" {
		p.warnf(v.Pos, "virtual server %s: persistence_engine %s is not supported - ignored", v.ServiceString(), v.PersistenceEngine)
	}
	proto := protocol(v.Protocol)
	vp := &VirtualServerPlan{
		SMTPAlert: v.SMTPAlert,
		Omega:     v.Omega,
		Pos:       v.Pos,
		Quorum:    notifyconf.UpDown(v.QuorumUp, v.QuorumDown),
		Notify:    notify.Service{Addr: v.Addr, Port: v.Port, Proto: strings.ToLower(string(v.Protocol)), FWMark: v.FWMark, Group: v.Group},
	}
	var services []ipvs.Service
	switch {
	case v.Group != "":
		g := cfg.VirtualServerGroup(v.Group)
		if g == nil {
			p.warnf(v.Pos, "virtual server group %s does not exist - virtual server ignored", v.Group)
			return nil, false
		}
		for _, e := range g.Entries {
			services = append(services, groupServices(tmpl, e, proto)...)
		}
		vp.Name = fmt.Sprintf("group %s %s", v.Group, strings.ToUpper(string(v.Protocol)))
		vp.Notify.Port = v.Port
	case v.FWMark != 0:
		s := tmpl
		s.ServiceKey = ipvs.ServiceKey{Family: family(v.Family, netip.Addr{}), FWMark: v.FWMark}
		services = append(services, s)
		vp.Name = fmt.Sprintf("FWM %d %s", v.FWMark, familyName(s.Family))
		vp.Notify.Proto = ""
	case v.Addr.IsValid():
		s := tmpl
		s.ServiceKey = ipvs.ServiceKey{Family: ipvs.FamilyOf(v.Addr), Protocol: proto, Addr: v.Addr, Port: v.Port}
		services = append(services, s)
		vp.Name = s.ServiceKey.String()
	default:
		p.warnf(v.Pos, "virtual server without address, fwmark or group - ignored")
		return nil, false
	}
	if len(services) == 0 {
		p.warnf(v.Pos, "virtual server %s has no service - ignored", v.ServiceString())
		return nil, false
	}
	nonNATPort, fwmarkOnly := servicePort(v, services)
	vp.Pool = ipvs.VirtualServer{
		Name:       vp.Name,
		Services:   services,
		Quorum:     clampU32(v.Quorum),
		Hysteresis: clampU32(v.Hysteresis),
	}
	if s := v.SorryServer; s != nil {
		fwd := v.Forwarding
		if s.Forwarding != nil {
			fwd = *s.Forwarding
		}
		d := destination(s.Addr, s.Port, 1, fwd, 0, 0, nonNATPort, fwmarkOnly)
		vp.Pool.Sorry = &ipvs.RealServer{Dest: d, Inhibit: s.Inhibit}
	}
	for _, r := range v.RealServers {
		d := destination(r.Addr, r.Port, r.Weight, r.Forwarding, r.UThreshold, r.LThreshold, nonNATPort, fwmarkOnly)
		if vp.Real(d.DestKey.String()) != nil {
			p.warnf(r.Pos, "virtual server %s: real server %s is duplicated - ignored", v.ServiceString(), d.DestKey)
			continue
		}
		rp := &RealServerPlan{
			Key:       d.DestKey.String(),
			Dest:      d.DestKey,
			Weight:    r.Weight,
			SMTPAlert: r.SMTPAlert,
			Pos:       r.Pos,
			Notify:    notify.Service{Addr: r.Addr, Port: r.Port, Proto: vp.Notify.Proto},
			Scripts:   notifyconf.UpDown(r.NotifyUp, r.NotifyDown),
		}
		checks, logAll := p.checks(cfg, v, r)
		rp.LogAll = logAll
		rp.Health = healthcheck.RealServer{
			VirtualServer: vp.Name,
			RealServer:    rp.Key,
			Weight:        r.Weight,
			Omega:         v.Omega,
			Checks:        checks,
		}
		vp.Reals = append(vp.Reals, rp)
		vp.Pool.Reals = append(vp.Pool.Reals, ipvs.RealServer{Dest: d, Inhibit: r.InhibitOnFailure})
	}
	return vp, true
}

// servicePort tells how real-server ports must be adjusted: with DR and
// TUN the packet reaches the real server unchanged, so keepalived resets
// a real server's port to the service's (nonNATPort, when the virtual
// server has one port) or to 0 for firewall-mark services (fwmarkOnly).
func servicePort(v *config.VirtualServer, services []ipvs.Service) (nonNATPort int, fwmarkOnly bool) {
	nonNATPort = -1
	fwmarkOnly = true
	for _, s := range services {
		if s.FWMark == 0 {
			fwmarkOnly = false
		}
	}
	if v.Addr.IsValid() {
		nonNATPort = int(v.Port)
	}
	return nonNATPort, fwmarkOnly
}

func destination(addr netip.Addr, port uint16, weight int, fwd config.Forwarding, upper, lower int, nonNATPort int, fwmarkOnly bool) ipvs.Destination {
	d := ipvs.Destination{
		DestKey:        ipvs.DestKey{Addr: addr, Port: port},
		Forward:        forward(fwd.Method),
		Weight:         clampU32(weight),
		UpperThreshold: clampU32(upper),
		LowerThreshold: clampU32(lower),
	}
	if d.Forward != ipvs.Masquerade {
		switch {
		case nonNATPort >= 0:
			d.Port = uint16(nonNATPort)
		case fwmarkOnly:
			d.Port = 0
		}
	}
	if d.Forward == ipvs.Tunnel {
		switch fwd.TunnelType {
		case "gue":
			d.TunnelType = ipvs.GUE
			d.TunnelPort = fwd.TunnelPort
		case "gre":
			d.TunnelType = ipvs.GRE
		}
		switch fwd.TunnelCsum {
		case "csum":
			d.TunnelFlags = ipvs.TunnelChecksum
		case "remcsum":
			d.TunnelFlags = ipvs.TunnelRemoteChecksum
		}
	}
	return d
}

func forward(m config.Method) ipvs.Forward {
	switch m {
	case config.MethodDR:
		return ipvs.DirectRoute
	case config.MethodTUN:
		return ipvs.Tunnel
	}
	return ipvs.Masquerade
}

// serviceFlags maps keepalived's scheduler flags onto the kernel's.
func serviceFlags(v *config.VirtualServer) ipvs.Flags {
	var f ipvs.Flags
	if v.OnePacket {
		f |= ipvs.OnePacket
	}
	for _, s := range v.SchedulerFlags {
		switch s {
		case "flag-1", "sh-fallback", "mh-fallback":
			f |= ipvs.SchedFlag1
		case "flag-2", "sh-port", "mh-port":
			f |= ipvs.SchedFlag2
		case "flag-3":
			f |= ipvs.SchedFlag3
		}
	}
	return f
}

// maskBits returns the prefix length of a netmask written as an address
// (persistence_granularity 255.255.255.0 → 24).
func maskBits(m netip.Addr) int {
	n := 0
	for _, b := range m.AsSlice() {
		if b == 0xff {
			n += 8
			continue
		}
		n += bits.LeadingZeros8(^b)
		break
	}
	return n
}

// groupServices expands one virtual_server_group line into services: a
// firewall mark, or every address of a range with the line's port.
func groupServices(tmpl ipvs.Service, e *config.VSGEntry, proto ipvs.Protocol) []ipvs.Service {
	if e.FWMark != 0 {
		s := tmpl
		s.ServiceKey = ipvs.ServiceKey{Family: family(e.Family, netip.Addr{}), FWMark: e.FWMark}
		return []ipvs.Service{s}
	}
	var out []ipvs.Service
	last := e.Last
	if !last.IsValid() {
		last = e.First
	}
	// A range is bounded by the config layer (same /24 or /64 at most,
	// as in keepalived); the cap keeps a bad model from looping long.
	for a, n := e.First, 0; a.IsValid() && a.Compare(last) <= 0 && n < 1<<16; a, n = a.Next(), n+1 {
		s := tmpl
		s.ServiceKey = ipvs.ServiceKey{Family: ipvs.FamilyOf(a), Protocol: proto, Addr: a, Port: e.Port}
		out = append(out, s)
	}
	return out
}

func familyName(f ipvs.Family) string {
	if f == ipvs.INET6 {
		return "inet6"
	}
	return "inet"
}

func clampU32(v int) uint32 {
	if v < 0 {
		return 0
	}
	return uint32(min(int64(v), 1<<32-1))
}

// syncDaemonOf converts lvs_sync_daemon into the ipvs package's form,
// with the VRRP instance whose state decides its role; nil when it is not
// configured.
func syncDaemonOf(g *config.GlobalDefs) (*ipvs.SyncDaemon, string) {
	sd := g.LVSSyncDaemon
	if sd == nil {
		return nil, ""
	}
	return &ipvs.SyncDaemon{
		Interface: sd.Interface, SyncID: uint32(max(sd.SyncID, 0)), MaxLen: uint16(max(sd.MaxLen, 0)),
		Port: sd.Port, TTL: uint8(max(sd.TTL, 0)), Group: sd.Group,
	}, sd.Instance
}

// hasVRRPInstance reports whether cfg has a vrrp_instance called name.
func hasVRRPInstance(cfg *config.Config, name string) bool {
	for _, v := range cfg.Instances {
		if v.Name == name {
			return true
		}
	}
	return false
}
