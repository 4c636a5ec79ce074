package vrrpd

import (
	"fmt"
	"net/netip"
	"strconv"

	"github.com/alived/alived/config"
	"github.com/alived/alived/internal/notifyconf"
	"github.com/alived/alived/notify"
	"github.com/alived/alived/vrrp"
	"github.com/alived/alived/vrrp/netio"
)

// ifaceInfo is what the mapping needs to know about an interface.
type ifaceInfo struct {
	Index int
	// Addrs are the interface's addresses, primary first, as the kernel
	// lists them.
	Addrs []netip.Prefix
}

// ifaceLookup finds an interface by name; the VRRP component passes one
// that reads the current namespace, tests a fake.
type ifaceLookup func(name string) (ifaceInfo, error)

// instanceSpec is everything the daemon derives from one vrrp_instance:
// the pure core's configuration plus the I/O parameters around it.
type instanceSpec struct {
	Name    string
	Iface   string
	Ifindex int
	Core    vrrp.Config
	Sock    netio.Config
	// VIPs are virtual_ipaddress followed by virtual_ipaddress_excluded:
	// what ActAddVIPs adds and ActRemoveVIPs removes.
	VIPs []netio.VIP
	// Advertised is how many of VIPs appear in adverts (the rest are
	// excluded addresses).
	Advertised int
	// Routes and Rules are virtual_routes and virtual_rules.
	Routes    []netio.Route
	Rules     []netio.Rule
	Scripts   notify.VRRPScripts
	SMTPAlert bool
	// Trackers are the instance's own track_* entries, resolved.
	Trackers []trackRef
	// Key is keepalived's identity of an instance across reloads.
	Key instanceKey
}

// instanceKey is how keepalived matches an old instance to a new one on
// reload (vrrp_reload.c): VRID, family, interface, unicast-ness, source
// address, multicast group and VMAC.
type instanceKey struct {
	VRID    int
	IPv6    bool
	Iface   string
	Unicast bool
	Source  netip.Addr
	Group   netip.Addr
	VMAC    string
}

// trackKind is what a trackRef follows.
type trackKind int

const (
	trackInterface trackKind = iota + 1
	trackScript
	trackFile
	trackBFD
)

// trackRef is one tracked object as an instance sees it: weight 0 means a
// failure puts the instance into FAULT.
type trackRef struct {
	Kind    trackKind
	Name    string
	Weight  int
	Reverse bool
}

// id is the tracker's name inside the vrrp core (unique per kind).
func (t trackRef) id() string {
	switch t.Kind {
	case trackInterface:
		return "if:" + t.Name
	case trackScript:
		return "script:" + t.Name
	case trackBFD:
		return "bfd:" + t.Name
	}
	return "file:" + t.Name
}

// mapInstance turns one parsed vrrp_instance into an instanceSpec. It is
// pure apart from lookup.
func mapInstance(g *config.GlobalDefs, cfg *config.Config, v *config.VRRPInstance, lookup ifaceLookup) (*instanceSpec, error) {
	if v.UseVMAC != nil {
		return nil, fmt.Errorf("vrrp_instance %s: use_vmac is not supported yet", v.Name)
	}
	if v.Interface == "" {
		return nil, fmt.Errorf("vrrp_instance %s: no interface", v.Name)
	}
	ifi, err := lookup(v.Interface)
	if err != nil {
		return nil, fmt.Errorf("vrrp_instance %s: interface %s: %w", v.Name, v.Interface, err)
	}
	ipv6 := v.Family == "inet6"
	c := vrrp.DefaultConfig()
	c.Name = v.Name
	c.VRID = uint8(v.VRID)
	c.Version = uint8(v.Version)
	c.IPv6 = ipv6
	c.Priority = uint8(v.Priority)
	c.InitialMaster = v.State == config.StateMaster
	c.AdvertInterval = v.AdvertInterval
	if v.Auth != nil {
		switch v.Auth.Type {
		case "PASS":
			c.AuthType, c.AuthPass = vrrp.AuthPass, v.Auth.Pass
		case "AH":
			c.AuthType = vrrp.AuthAH
		}
	}
	c.HasVirtualRoutes = len(v.Routes) > 0
	c.HasVirtualRules = len(v.Rules) > 0

	spec := &instanceSpec{Name: v.Name, Iface: v.Interface, Ifindex: ifi.Index, SMTPAlert: v.SMTPAlert}
	for _, ip := range v.VIPs {
		c.VIPs = append(c.VIPs, ip.Prefix.Addr())
	}
	for _, list := range [][]*config.VirtualIP{v.VIPs, v.ExcludedVIPs} {
		for _, ip := range list {
			nv, err := mapVIP(ip, ifi.Index, lookup)
			if err != nil {
				return nil, fmt.Errorf("vrrp_instance %s: %w", v.Name, err)
			}
			spec.VIPs = append(spec.VIPs, nv)
		}
	}
	spec.Advertised = len(v.VIPs)
	for _, r := range v.Routes {
		nr, err := mapRoute(r, lookup)
		if err != nil {
			return nil, fmt.Errorf("vrrp_instance %s: %w", v.Name, err)
		}
		spec.Routes = append(spec.Routes, nr)
	}
	for _, r := range v.Rules {
		nr, err := mapRule(r)
		if err != nil {
			return nil, fmt.Errorf("vrrp_instance %s: %w", v.Name, err)
		}
		spec.Rules = append(spec.Rules, nr)
	}

	unicast := len(v.UnicastPeers) > 0
	src := v.McastSrcIP
	if unicast && v.UnicastSrcIP.IsValid() {
		src = v.UnicastSrcIP
	}
	if !src.IsValid() {
		src = primaryAddr(ifi.Addrs, ipv6, c.VIPs)
	}
	if !src.IsValid() {
		return nil, fmt.Errorf("vrrp_instance %s: interface %s has no %s address to send adverts from", v.Name, v.Interface, v.Family)
	}
	c.PrimaryAddr = src
	group := v.McastDstIP
	if !group.IsValid() {
		if ipv6 {
			group = g.VRRPMcastGroup6
		} else {
			group = g.VRRPMcastGroup4
		}
	}
	if group.IsValid() && group.Is6() == ipv6 {
		c.MulticastGroup = group
	}
	for _, p := range v.UnicastPeers {
		c.UnicastPeers = append(c.UnicastPeers, vrrp.Peer{Addr: p.Addr, MinTTL: uint8(p.MinTTL), MaxTTL: uint8(p.MaxTTL)})
	}
	c.CheckUnicastSrc = v.CheckUnicastSrc
	c.V3ChecksumAsV2 = v.V3ChecksumAsV2
	c.NoPreempt = v.NoPreempt
	c.PreemptDelay = v.PreemptDelay
	c.DownTimerAdverts = v.DownTimerAdverts
	c.GARPMasterDelay = v.GARPMasterDelay
	c.GARPMasterRepeat = v.GARPMasterRepeat
	c.GARPMasterRefresh = v.GARPMasterRefresh
	c.GARPMasterRefreshRepeat = v.GARPMasterRefreshRep
	c.GARPLowerPrioDelay = v.GARPLowerPrioDelay
	c.GARPLowerPrioRepeat = v.GARPLowerPrioRepeat
	c.LowerPrioNoAdvert = v.LowerPrioNoAdvert
	c.HigherPrioSendAdvert = v.HigherPrioSendAdvert
	c.OwnerIgnoreAdverts = v.OwnerIgnoreAdverts
	c.SkipCheckAdvAddr = v.SkipCheckAdvAddr
	c.NotifyPriorityChanges = v.NotifyPriorityChanges
	if err := c.Validate(); err != nil {
		return nil, err
	}
	spec.Core = c
	spec.Sock = netio.Config{Ifindex: ifi.Index, IPv6: ipv6, Source: src, Group: c.MulticastGroup,
		Unicast: unicast, TTL: v.UnicastTTL}
	spec.Key = instanceKey{VRID: v.VRID, IPv6: ipv6, Iface: v.Interface, Unicast: unicast,
		Source: src, Group: c.MulticastGroup}
	spec.Scripts = notifyconf.VRRPScripts(&v.Notify)

	// The instance's own interface is always tracked (as keepalived does
	// unless dont_track_primary), with weight 0: link down means FAULT.
	if !v.DontTrackPrimary {
		spec.Trackers = append(spec.Trackers, trackRef{Kind: trackInterface, Name: v.Interface})
	}
	for _, t := range v.Track.Interfaces {
		if t.Name == v.Interface && !v.DontTrackPrimary {
			continue
		}
		spec.Trackers = append(spec.Trackers, trackRef{Kind: trackInterface, Name: t.Name, Weight: t.Weight, Reverse: t.Reverse})
	}
	for _, t := range v.Track.Scripts {
		s := findVRRPScript(cfg, t.Name)
		if s == nil {
			continue // the decoder already reported it
		}
		// An entry with its own weight also brings its own direction;
		// otherwise the object's weight and "reverse" apply.
		w, rev := s.Weight, s.Reverse
		if t.WeightSet {
			w, rev = t.Weight, t.Reverse
		}
		spec.Trackers = append(spec.Trackers, trackRef{Kind: trackScript, Name: t.Name, Weight: w, Reverse: rev})
	}
	for _, t := range v.Track.Files {
		f := findTrackFile(cfg, t.Name)
		if f == nil {
			continue
		}
		// An entry with its own weight also brings its own direction;
		// otherwise the object's weight and "reverse" apply.
		w, rev := f.Weight, f.Reverse
		if t.WeightSet {
			w, rev = t.Weight, t.Reverse
		}
		spec.Trackers = append(spec.Trackers, trackRef{Kind: trackFile, Name: t.Name, Weight: w, Reverse: rev})
	}
	spec.Trackers = append(spec.Trackers, trackBFDs(cfg, v)...)
	return spec, nil
}

// mapVIP converts a virtual_ipaddress line.
func mapVIP(ip *config.VirtualIP, defIndex int, lookup ifaceLookup) (netio.VIP, error) {
	nv := netio.VIP{Prefix: ip.Prefix, Ifindex: defIndex, Label: ip.Label, Broadcast: ip.Broadcast,
		Peer: ip.Peer, NoDAD: ip.NoDAD, NoPrefixRoute: ip.NoPrefixRoute, Home: ip.Home,
		AutoJoin: ip.AutoJoin, NoTrack: ip.NoTrack}
	if ip.Dev != "" {
		ifi, err := lookup(ip.Dev)
		if err != nil {
			return nv, fmt.Errorf("virtual address %s: dev %s: %w", ip.Prefix, ip.Dev, err)
		}
		nv.Ifindex = ifi.Index
	}
	scope, err := parseScope(ip.Scope)
	if err != nil {
		return nv, fmt.Errorf("virtual address %s: %w", ip.Prefix, err)
	}
	nv.Scope = scope
	if ip.Prefix.Addr().Is6() {
		// keepalived 2.2.7 adds IPv6 VIPs with IFA_F_NODAD and preferred
		// lifetime forever (seen with `ip addr` on its VIPs): a new master
		// must answer at once, not after a second of DAD.
		nv.NoDAD = true
		forever := uint32(netio.LifetimeForever)
		nv.PreferredLft = &forever
	}
	if ip.PreferredLft != "" {
		var lft uint32 = netio.LifetimeForever
		if ip.PreferredLft != "forever" {
			n, err := strconv.ParseUint(ip.PreferredLft, 10, 32)
			if err != nil {
				return nv, fmt.Errorf("virtual address %s: bad preferred_lft %q", ip.Prefix, ip.PreferredLft)
			}
			lft = uint32(n)
		}
		nv.PreferredLft = &lft
	}
	return nv, nil
}

// primaryAddr picks keepalived's default advert source: the interface's
// first IPv4 address, or its link-local IPv6 address, never a VIP (a VIP
// left over from a previous run must not become the source).
func primaryAddr(addrs []netip.Prefix, ipv6 bool, vips []netip.Addr) netip.Addr {
	isVIP := func(a netip.Addr) bool {
		for _, v := range vips {
			if v == a {
				return true
			}
		}
		return false
	}
	for _, p := range addrs {
		a := p.Addr()
		if isVIP(a) || a.Is6() != ipv6 || (ipv6 && !a.IsLinkLocalUnicast()) {
			continue
		}
		return a
	}
	return netip.Addr{}
}

func findVRRPScript(cfg *config.Config, name string) *config.VRRPScript {
	for _, s := range cfg.Scripts {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func findTrackFile(cfg *config.Config, name string) *config.TrackFile {
	for _, f := range cfg.TrackFiles {
		if f.Name == name {
			return f
		}
	}
	return nil
}
