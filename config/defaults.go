package config

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/alived/alived/config/syntax"
)

// keepalived 2.2.7 defaults (vrrp_data.c, check_data.c, global_data.c).
const (
	defaultAdvertInterval   = time.Second
	defaultPriority         = 100
	defaultGARPDelay        = 5 * time.Second
	defaultGARPRepeat       = 5
	defaultGARPRefreshRep   = 1
	defaultDownTimerAdverts = 3
	defaultUnicastTTL       = 255
	defaultDelayLoop        = 60 * time.Second
	defaultConnectTimeout   = 5 * time.Second
	defaultDelayBeforeRetry = time.Second
	defaultHTTPRetryDelay   = 3 * time.Second
	defaultPersistence      = 360 * time.Second
)

// finish applies defaults and the checks keepalived makes while completing
// its data structures (vrrp_complete_init, validate_check_config); checks
// that need the host are in Validate.
func (d *decoder) finish() {
	c := d.cfg
	d.globalDefaults(&c.Global)
	if !d.isSet(&c.Root, "child_wait_time") {
		c.Root.ChildWaitTime = 5 * time.Second
	}
	d.finishScripts()
	d.finishTrackers()
	d.finishGARPGroups()
	d.finishInstances()
	d.finishSyncGroups()
	d.finishVirtualServers()
}

func (d *decoder) globalDefaults(g *GlobalDefs) {
	if g.SMTPPort == 0 {
		g.SMTPPort = 25
	}
	if !d.isSet(g, "smtp_connect_timeout") {
		g.SMTPConnectTimeout = 30 * time.Second
	}
	if !g.VRRPMcastGroup4.IsValid() {
		g.VRRPMcastGroup4 = netip.MustParseAddr("224.0.0.18")
	}
	if !g.VRRPMcastGroup6.IsValid() {
		g.VRRPMcastGroup6 = netip.MustParseAddr("ff02::12")
	}
	if g.VRRPVersion == 0 {
		g.VRRPVersion = 2
	}
	if !d.isSet(g, "vrrp_garp_master_delay") {
		g.GARPMasterDelay = defaultGARPDelay
	}
	if !d.isSet(g, "vrrp_garp_master_repeat") {
		g.GARPMasterRepeat = defaultGARPRepeat
	}
	if !d.isSet(g, "vrrp_garp_master_refresh_repeat") {
		g.GARPMasterRefreshRep = defaultGARPRefreshRep
	}
	if !d.isSet(g, "vrrp_garp_lower_prio_delay") {
		g.GARPLowerPrioDelay = g.GARPMasterDelay
	}
	if !d.isSet(g, "vrrp_garp_lower_prio_repeat") {
		g.GARPLowerPrioRepeat = g.GARPMasterRepeat
	}
	if !d.isSet(g, "vrrp_down_timer_adverts") {
		g.DownTimerAdverts = defaultDownTimerAdverts
	}
	if g.VMACPrefix == "" {
		g.VMACPrefix = "vrrp"
	}
	if !d.isSet(g, "startup_script_timeout") {
		g.StartupScriptTimeout = 10 * time.Second
	}
	if !d.isSet(g, "shutdown_script_timeout") {
		g.ShutdownScriptTimeout = 10 * time.Second
	}
	// smtp_alert is the default for the VRRP and checker specific switches.
	if !d.isSet(g, "smtp_alert_vrrp") {
		g.SMTPAlertVRRP = g.SMTPAlert
	}
	if !d.isSet(g, "smtp_alert_checker") {
		g.SMTPAlertChecker = g.SMTPAlert
	}
}

func (d *decoder) finishScripts() {
	c := d.cfg
	kept := c.Scripts[:0]
	for _, s := range c.Scripts {
		if s.Script == nil {
			d.report(s.Pos, syntax.Error, "No script set for vrrp_script %s - removing", s.Name)
			continue
		}
		if s.Interval == 0 {
			s.Interval = time.Second
		}
		if !d.isSet(s, "timeout") {
			s.Timeout = s.Interval
		}
		if s.Rise == 0 {
			s.Rise = 1
		}
		if s.Fall == 0 {
			s.Fall = 1
		}
		kept = append(kept, s)
	}
	c.Scripts = kept
}

func (d *decoder) finishTrackers() {
	c := d.cfg
	for _, f := range c.TrackFiles {
		if f.File == "" {
			d.report(f.Pos, syntax.Error, "No file set for track_file %s", f.Name)
		}
		if !d.isSet(f, "weight") {
			f.Weight = 1
		}
	}
	for _, p := range c.TrackProcesses {
		if p.Quorum == 0 {
			p.Quorum = 1
		}
		if p.Process == "" {
			d.report(p.Pos, syntax.Error, "No process set for vrrp_track_process %s", p.Name)
		}
	}
	for _, b := range c.BFDInstances {
		if !d.isSet(b, "min_rx") {
			b.MinRx = 10 * time.Millisecond
		}
		if !d.isSet(b, "min_tx") {
			b.MinTx = 10 * time.Millisecond
		}
		if !d.isSet(b, "idle_tx") {
			b.IdleTx = time.Second
		}
		if b.Multiplier == 0 {
			b.Multiplier = 5
		}
		if !d.isSet(b, "ttl") {
			// keepalived: ttl 255 for IPv4, hoplimit 64 for IPv6.
			b.TTL = 255
			if b.Neighbor.Is6() {
				b.TTL = 64
			}
		}
		if b.MaxHops > b.TTL {
			d.report(b.Pos, syntax.Error, "BFD instance %s: max_hops exceeds ttl/hoplimit - setting to ttl/hoplimit", b.Name)
			b.MaxHops = b.TTL
		}
		if !b.Neighbor.IsValid() {
			d.report(b.Pos, syntax.Error, "No neighbor_ip set for bfd_instance %s", b.Name)
		}
	}
}

// finishGARPGroups drops garp_group blocks that pace nothing.
func (d *decoder) finishGARPGroups() {
	c := d.cfg
	kept := c.GARPGroups[:0]
	for i, g := range c.GARPGroups {
		if g.GARPInterval == 0 && g.GNAInterval == 0 {
			d.report(g.Pos, syntax.Error, "garp group %d does not have any delay set - removing", i)
			continue
		}
		kept = append(kept, g)
	}
	c.GARPGroups = kept
}

func (d *decoder) finishInstances() {
	c := d.cfg
	g := &c.Global
	kept := c.Instances[:0]
	for _, v := range c.Instances {
		if v.VRID == 0 {
			d.report(v.Pos, syntax.Error, "(%s) the virtual router id must be set", v.Name)
			continue
		}
		d.instanceDefaults(g, v)
		kept = append(kept, v)
	}
	c.Instances = kept

	// Two instances on one interface, family and VRID cannot coexist.
	type key struct {
		ifname, family string
		vrid           int
	}
	seen := map[key]*VRRPInstance{}
	for _, v := range c.Instances {
		k := key{v.Interface, v.Family, v.VRID}
		if old, dup := seen[k]; dup {
			fam := "IPv4"
			if v.Family == "inet6" {
				fam = "IPv6"
			}
			d.report(v.Pos, syntax.Error, "%s and %s both use VRID %d with %s on interface %s", old.Name, v.Name, v.VRID, fam, v.Interface)
			continue
		}
		seen[k] = v
	}
}

func (d *decoder) instanceDefaults(g *GlobalDefs, v *VRRPInstance) {
	if v.Interface == "" && g.DefaultInterface != "" {
		v.Interface = g.DefaultInterface
	}
	// Family comes from native_ipv6 or the first VIP; the rest must match.
	v.Family = "inet"
	if d.isSet(v, "native_ipv6") || len(v.VIPs) > 0 && v.VIPs[0].Prefix.Addr().Is6() {
		v.Family = "inet6"
	}
	keptVIPs := v.VIPs[:0]
	for _, ip := range v.VIPs {
		if familyOf(ip.Prefix.Addr()) != v.Family {
			d.report(ip.Pos, syntax.Error, "(%s): address family must match VRRP instance [%s] - ignoring", v.Name, ip.Prefix.Addr())
			continue
		}
		keptVIPs = append(keptVIPs, ip)
	}
	v.VIPs = keptVIPs
	if len(v.VIPs) == 0 && !v.NoVIPs {
		d.report(v.Pos, syntax.Error, "(%s) No VIP specified; at least one is sensible", v.Name)
	}

	if v.State == "" {
		// Without a state keyword, the address owner starts as master.
		v.State = StateBackup
		if v.Priority == 255 {
			v.State = StateMaster
		}
	}
	if v.Priority < 0 {
		// keepalived: `state MASTER` without a priority means the address owner.
		if v.State == StateMaster {
			v.Priority = 255
		} else {
			v.Priority = defaultPriority
		}
	}
	if !d.isSet(v, "version") {
		v.Version = g.VRRPVersion
	}
	if v.Family == "inet6" {
		// VRRPv2 has no IPv6; keepalived switches silently.
		v.Version = 3
	}
	if v.AdvertInterval == 0 {
		v.AdvertInterval = defaultAdvertInterval
	}
	if v.UnicastTTL == 0 {
		v.UnicastTTL = defaultUnicastTTL
	}
	if !d.isSet(v, "strict_mode") {
		v.Strict = g.Strict
	}
	if !v.AcceptSet {
		// Strict mode (RFC) only lets the address owner accept packets
		// for the VIPs.
		v.Accept = !v.Strict || v.Priority == 255
	}
	if !d.isSet(v, "garp_master_delay") {
		v.GARPMasterDelay = g.GARPMasterDelay
	}
	if !d.isSet(v, "garp_master_repeat") {
		v.GARPMasterRepeat = g.GARPMasterRepeat
	}
	if !d.isSet(v, "garp_master_refresh") {
		v.GARPMasterRefresh = g.GARPMasterRefresh
	}
	if !d.isSet(v, "garp_master_refresh_repeat") {
		v.GARPMasterRefreshRep = g.GARPMasterRefreshRep
	}
	if !d.isSet(v, "garp_lower_prio_delay") {
		v.GARPLowerPrioDelay = g.GARPLowerPrioDelay
		if d.isSet(v, "garp_master_delay") && !d.isSet(g, "vrrp_garp_lower_prio_delay") {
			v.GARPLowerPrioDelay = v.GARPMasterDelay
		}
	}
	if !d.isSet(v, "garp_lower_prio_repeat") {
		v.GARPLowerPrioRepeat = g.GARPLowerPrioRepeat
		if d.isSet(v, "garp_master_repeat") && !d.isSet(g, "vrrp_garp_lower_prio_repeat") {
			v.GARPLowerPrioRepeat = v.GARPMasterRepeat
		}
	}
	if !d.isSet(v, "down_timer_adverts") {
		v.DownTimerAdverts = g.DownTimerAdverts
	}
	if !d.isSet(v, "lower_prio_no_advert") {
		v.LowerPrioNoAdvert = g.LowerPrioNoAdvert
	}
	if !d.isSet(v, "higher_prio_send_advert") {
		v.HigherPrioSendAdvert = g.HigherPrioSendAdvert
	}
	if !d.isSet(v, "smtp_alert") {
		v.SMTPAlert = g.SMTPAlertVRRP
	}
	if !d.isSet(v, "notify_priority_changes") {
		v.NotifyPriorityChanges = g.NotifyPriorityChanges
	}
	if !v.CheckUnicastSrc {
		v.CheckUnicastSrc = g.CheckUnicastSrc
	}
	if !v.SkipCheckAdvAddr {
		v.SkipCheckAdvAddr = g.SkipCheckAdvAddr
	}
	if !v.OwnerIgnoreAdverts {
		v.OwnerIgnoreAdverts = g.OwnerIgnoreAdverts
	}
	if !v.V3ChecksumAsV2 {
		v.V3ChecksumAsV2 = g.V3ChecksumAsV2
	}

	if v.Strict {
		d.strictChecks(v)
	}
	if v.Auth != nil {
		switch {
		case v.Version == 3:
			d.report(v.Auth.Pos, syntax.Error, "(%s) VRRP version 3 does not support authentication. Ignoring.", v.Name)
			v.Auth = nil
		case v.Auth.Type == "":
			v.Auth = nil
		case v.Auth.Type == "AH" && v.State == StateMaster:
			d.report(v.Pos, syntax.Error, "(%s) Initial state master is incompatible with AH authentication - clearing", v.Name)
			v.State = StateBackup
		}
	}
	for _, t := range v.Track.Interfaces {
		if t.Name == v.Interface {
			d.report(t.Pos, syntax.Error, "(%s) Ignoring track_interface %s since own interface", v.Name, t.Name)
		}
	}
	if len(v.UnicastPeers) == 0 && v.UnicastSrcIP.IsValid() {
		d.report(v.Pos, syntax.Error, "(%s) A unicast keyword has been specified without any unicast peers. Defaulting to multicast. This usage is deprecated - please update your configuration.", v.Name)
	}
	if d.isSet(v, "use_ipvlan") && v.Family == "inet" && !v.UnicastSrcIP.IsValid() && !v.McastSrcIP.IsValid() {
		d.report(v.Pos, syntax.Error, "(%s) IPv4 ipvlan requires a source ip address to be configured. setting instance to fault state", v.Name)
	}
	if len(v.UnicastPeers) > 0 && v.McastDstIP.IsValid() {
		d.report(v.Pos, syntax.Error, "(%s) multicast destination specified with unicast - ignoring", v.Name)
		v.McastDstIP = netip.Addr{}
	}
	if v.Priority == 255 && v.NoPreempt {
		d.report(v.Pos, syntax.Error, "(%s) nopreempt is incompatible with priority 255. resetting nopreempt", v.Name)
		v.NoPreempt = false
	}
	if v.NoPreempt && v.PreemptDelay > 0 {
		d.report(v.Pos, syntax.Error, "(%s) preempt_delay is incompatible with nopreempt mode - resetting", v.Name)
		v.PreemptDelay = 0
	}

	// keepalived tracks a virtual route through its interface; without one
	// it warns (and `-t` fails) and stops tracking it.
	for _, r := range v.Routes {
		if r.Dev == "" && !r.NoTrack {
			d.report(r.Pos, syntax.Error, "Warning - cannot track route %s with no interface specified, not tracking", r.Dst)
			r.NoTrack = true
		}
	}

}

// findNamed returns the first item whose name (as nameOf reads it) is
// name, or the zero value (nil for the model's pointers). Named objects
// are few per config, so a scan is enough.
func findNamed[T any](items []T, name string, nameOf func(T) string) T {
	for _, it := range items {
		if nameOf(it) == name {
			return it
		}
	}
	var zero T
	return zero
}

func findScript(c *Config, name string) *VRRPScript {
	return findNamed(c.Scripts, name, func(s *VRRPScript) string { return s.Name })
}

func findTrackFile(c *Config, name string) *TrackFile {
	return findNamed(c.TrackFiles, name, func(f *TrackFile) string { return f.Name })
}

func findTrackProcess(c *Config, name string) *TrackProcess {
	return findNamed(c.TrackProcesses, name, func(p *TrackProcess) string { return p.Name })
}

func findBFD(c *Config, name string) *BFDInstance {
	return findNamed(c.BFDInstances, name, func(b *BFDInstance) string { return b.Name })
}

// Instance returns the vrrp_instance called name, or nil.
func (c *Config) Instance(name string) *VRRPInstance {
	return findNamed(c.Instances, name, func(v *VRRPInstance) string { return v.Name })
}

// VirtualServerGroup returns the virtual_server_group called name, or nil.
func (c *Config) VirtualServerGroup(name string) *VirtualServerGroup {
	return findNamed(c.VirtualServerGroups, name, func(g *VirtualServerGroup) string { return g.Name })
}

func (d *decoder) finishSyncGroups() {
	c := d.cfg
	byName := make(map[string]bool, len(c.Instances))
	for _, v := range c.Instances {
		byName[v.Name] = true
	}
	member := map[string]string{}
	kept := c.SyncGroups[:0]
	for _, g := range c.SyncGroups {
		var ok []string
		for _, name := range g.Group {
			if !byName[name] {
				d.report(g.Pos, syntax.Error, "Virtual router %s specified in sync group %s doesn't exist - ignoring", name, g.Name)
				continue
			}
			if other, dup := member[name]; dup {
				d.report(g.Pos, syntax.Error, "Virtual router %s cannot exist in more than one sync group; it is in %s and %s", name, other, g.Name)
				continue
			}
			member[name] = g.Name
			ok = append(ok, name)
		}
		g.Group = ok
		if len(ok) == 0 {
			d.report(g.Pos, syntax.Error, "Sync group %s has no virtual router(s). removing", g.Name)
			continue
		}
		if len(ok) == 1 {
			d.report(g.Pos, syntax.Error, "Sync group %s has only 1 virtual router(s) - this probably isn't what you want", g.Name)
		}
		// An interface tracked by the group must not also be tracked by a
		// member (its own interface is tracked implicitly).
		for _, name := range ok {
			v := c.Instance(name)
			if !g.TrackingWeight {
				d.syncMemberWeights(v)
			}
			for _, t := range g.Track.Interfaces {
				own := t.Name == v.Interface && !v.DontTrackPrimary
				for _, vt := range v.Track.Interfaces {
					own = own || vt.Name == t.Name
				}
				if own {
					d.report(t.Pos, syntax.Error, "(%s) track_interface %s is configured on VRRP instance and sync group. Remove vrrp instance or sync group config", v.Name, t.Name)
				}
			}
		}
		if !d.isSet(g, "smtp_alert") && !g.SMTPAlert {
			g.SMTPAlert = c.Global.SMTPAlertVRRP
		}
		kept = append(kept, g)
	}
	c.SyncGroups = kept
}

// strictChecks applies vrrp_strict / strict_mode: what RFC 3768/5798 do
// not allow is reported and reset, as keepalived does.
func (d *decoder) strictChecks(v *VRRPInstance) {
	if v.Auth != nil {
		d.report(v.Auth.Pos, syntax.Error, "(%s) Strict mode does not support authentication. Ignoring.", v.Name)
		v.Auth = nil
	}
	if v.State == StateMaster && v.Priority != 255 {
		d.report(v.Pos, syntax.Error, "(%s) State MASTER must match being address owner", v.Name)
		v.State = StateBackup
	}
	if v.PreemptDelay > 0 {
		d.report(v.Pos, syntax.Error, "(%s) preempt_delay is incompatible with strict mode - resetting", v.Name)
		v.PreemptDelay = 0
	}
	if v.AcceptSet && v.Accept && v.Version == 2 {
		d.report(v.Pos, syntax.Error, "(%s) warning - accept mode for VRRP version 2 does not comply with RFC3768 - resetting", v.Name)
		v.Accept = false
	}
	if v.HigherPrioSendAdvert {
		d.report(v.Pos, syntax.Error, "(%s) strict mode requires higher_prio_send_advert to be clear. resetting", v.Name)
		v.HigherPrioSendAdvert = false
	}
}

// syncMemberWeights reports trackers of a sync-group member whose weight
// keepalived ignores (members only go to FAULT, unless the group has
// sync_group_tracking_weight).
func (d *decoder) syncMemberWeights(v *VRRPInstance) {
	c := d.cfg
	eff := func(t *Tracker, def int) int {
		if t.WeightSet {
			return t.Weight
		}
		return def
	}
	for _, t := range v.Track.Interfaces {
		if eff(t, 0) != 0 {
			d.report(t.Pos, syntax.Error, "(%s) ignoring %s tracked interface weight due to SYNC group", v.Name, t.Name)
		}
	}
	for _, t := range v.Track.Scripts {
		if s := findScript(c, t.Name); s != nil && eff(t, s.Weight) != 0 {
			d.report(t.Pos, syntax.Error, "(%s) ignoring tracked script %s with weights due to SYNC group", v.Name, t.Name)
		}
	}
	for _, t := range v.Track.Files {
		if f := findTrackFile(c, t.Name); f != nil && eff(t, f.Weight) != 0 {
			d.report(t.Pos, syntax.Error, "(%s) ignoring weight from tracked file %s due to SYNC group. specify weight 0", v.Name, t.Name)
		}
	}
	for _, t := range v.Track.Processes {
		if p := findTrackProcess(c, t.Name); p != nil && eff(t, p.Weight) != 0 {
			d.report(t.Pos, syntax.Error, "(%s) ignoring weight from tracked process %s due to SYNC group. specify weight 0", v.Name, t.Name)
		}
	}
	for _, t := range v.Track.BFDs {
		if b := findBFD(c, t.Name); b != nil && eff(t, b.Weight) != 0 {
			d.report(t.Pos, syntax.Error, "(%s) ignoring weight from tracked bfd %s due to SYNC group. specify weight 0", v.Name, t.Name)
		}
	}
}

// ServiceString renders a virtual server the way keepalived names it in
// messages: "[ADDR]:proto:PORT", "FWM N" or "[GROUP]".
func (v *VirtualServer) ServiceString() string {
	switch {
	case v.FWMark != 0:
		return fmt.Sprintf("FWM %d", v.FWMark)
	case v.Group != "":
		return fmt.Sprintf("[%s]:%d", v.Group, v.Port)
	}
	proto := "none"
	if v.Protocol != ProtoNone {
		proto = map[Protocol]string{ProtoTCP: "tcp", ProtoUDP: "udp", ProtoSCTP: "sctp"}[v.Protocol]
	}
	return fmt.Sprintf("[%s]:%s:%d", v.Addr, proto, v.Port)
}

func (d *decoder) finishVirtualServers() {
	c := d.cfg
	kept := c.VirtualServers[:0]
	for _, v := range c.VirtualServers {
		if v.Group != "" && c.VirtualServerGroup(v.Group) == nil {
			// keepalived drops a service whose group does not exist without
			// failing `-t`.
			d.report(v.Pos, syntax.Warning, "Virtual server group %s does not exist - ignoring virtual server", v.Group)
			continue
		}
		if len(v.RealServers) == 0 {
			d.report(v.Pos, syntax.Error, "Virtual server %s has no real servers - ignoring", v.ServiceString())
			continue
		}
		d.vsDefaults(v)
		kept = append(kept, v)
	}
	c.VirtualServers = kept
}

func (d *decoder) vsDefaults(v *VirtualServer) {
	c := d.cfg
	isFWMark := v.FWMark != 0
	if v.Family == "" {
		v.Family = "inet"
		if v.Addr.IsValid() {
			v.Family = familyOf(v.Addr)
		}
	}
	if isFWMark && v.ProtocolSet {
		d.report(v.Pos, syntax.Error, "Warning: Virtual server %s: protocol specified for fwmark - protocol will be ignored", v.ServiceString())
		v.Protocol = ProtoNone
	}
	if !isFWMark && !v.ProtocolSet {
		d.report(v.Pos, syntax.Error, "Virtual server %s: no protocol set - defaulting to UDP", v.ServiceString())
		v.Protocol = ProtoUDP
	}
	if v.Scheduler == "" {
		d.report(v.Pos, syntax.Error, "Virtual server %s: no scheduler set, setting default 'wlc'", v.ServiceString())
		v.Scheduler = "wlc"
	}
	if v.Forwarding.Method == "" {
		d.report(v.Pos, syntax.Error, "Virtual server %s: no forwarding method set, setting default NAT", v.ServiceString())
		v.Forwarding.Method = MethodNAT
	}
	if !d.isSet(v, "delay_loop") {
		v.DelayLoop = defaultDelayLoop
	}
	if !d.isSet(v, "connect_timeout") {
		v.ConnectTimeout = defaultConnectTimeout
	}
	if !d.isSet(v, "retry") {
		v.Retry = 1
	}
	if !d.isSet(v, "delay_before_retry") {
		v.DelayBeforeRetry = defaultDelayBeforeRetry
	}
	if !d.isSet(v, "warmup") {
		v.Warmup = v.DelayLoop
	}
	if v.Quorum == 0 {
		v.Quorum = 1
	}
	if !d.isSet(v, "smtp_alert") {
		v.SMTPAlert = c.Global.SMTPAlertChecker
	}
	if v.Port == 0 && v.Addr.IsValid() && v.PersistenceTimeout == 0 {
		// IPVS needs persistence for a port-0 (all ports) service.
		d.report(v.Pos, syntax.Error, "Virtual server %s: zero port only valid for persistent services - setting", v.ServiceString())
		v.PersistenceTimeout = defaultPersistence
	}

	group := c.VirtualServerGroup(v.Group)
	type rsKey struct {
		addr netip.Addr
		port uint16
	}
	seen := map[rsKey]bool{}
	kept := v.RealServers[:0]
	for _, r := range v.RealServers {
		k := rsKey{r.Addr, r.Port}
		if seen[k] {
			d.report(r.Pos, syntax.Error, "VS %s: real server [%s]:%d is duplicated - removing second rs", v.ServiceString(), r.Addr, r.Port)
			continue
		}
		seen[k] = true
		d.rsDefaults(v, r, group)
		kept = append(kept, r)
	}
	v.RealServers = kept

	// Quorum and hysteresis are bounded by the total real-server weight.
	total := 0
	for _, r := range v.RealServers {
		total += r.Weight
	}
	if v.Quorum > total {
		d.report(v.Pos, syntax.Error, "Warning - quorum %d for %s exceeds total weight of real servers %d, reducing quorum to %d", v.Quorum, v.ServiceString(), total, total)
		v.Quorum = total
	}
	if v.Hysteresis >= v.Quorum && (v.Hysteresis > 0 || v.Quorum == 0) {
		d.report(v.Pos, syntax.Error, "Virtual server %s: hysteresis %d >= quorum %d; setting hysteresis to 0", v.ServiceString(), v.Hysteresis, v.Quorum)
		v.Hysteresis = 0
	}
}

func (d *decoder) rsDefaults(v *VirtualServer, r *RealServer, group *VirtualServerGroup) {
	if !d.isSet(r, "weight") {
		r.Weight = 1
	}
	if !d.isSet(r, "lvs_method") {
		r.Forwarding = v.Forwarding
	}
	inheritD := func(key string, dst *time.Duration, from time.Duration) {
		if !d.isSet(r, key) {
			*dst = from
		}
	}
	inheritD("delay_loop", &r.DelayLoop, v.DelayLoop)
	inheritD("connect_timeout", &r.ConnectTimeout, v.ConnectTimeout)
	inheritD("delay_before_retry", &r.DelayBeforeRetry, v.DelayBeforeRetry)
	inheritD("warmup", &r.Warmup, v.Warmup)
	if !d.isSet(r, "retry") {
		r.Retry = v.Retry
	}
	if !d.isSet(r, "alpha") {
		r.Alpha = v.Alpha
	}
	if !d.isSet(r, "inhibit_on_failure") {
		r.InhibitOnFailure = v.InhibitOnFailure
	}
	if !d.isSet(r, "smtp_alert") {
		// keepalived 2.2.7 does not take a real server's smtp_alert from
		// its virtual server: global smtp_alert_checker, else global
		// smtp_alert, else on (the man page's "default yes", kept by
		// keepalived for backward compatibility).
		g := &d.cfg.Global
		r.SMTPAlert = true
		if d.isSet(g, "smtp_alert_checker") || d.isSet(g, "smtp_alert") {
			r.SMTPAlert = g.SMTPAlertChecker
		}
	}
	if !d.isSet(r, "virtualhost") {
		r.VirtualHost = v.VirtualHost
	}
	// With DR and TUN the real server receives the packet unchanged, so its
	// port must be the service's (and a fwmark service has no port).
	if r.Forwarding.Method != MethodNAT && r.Port != 0 {
		fwmark := v.FWMark != 0
		if group != nil {
			for _, e := range group.Entries {
				fwmark = fwmark || e.FWMark != 0
			}
		}
		if fwmark {
			d.report(r.Pos, syntax.Error, "WARNING - fwmark virtual server %s, real server [%s]:%d has port specified - port will be ignored", v.ServiceString(), r.Addr, r.Port)
		}
		if v.Addr.IsValid() && v.Port != r.Port {
			d.report(r.Pos, syntax.Error, "WARNING - virtual server %s and real server [%s]:%d ports don't match - resetting", v.ServiceString(), r.Addr, r.Port)
		}
		if group != nil {
			for _, e := range group.Entries {
				if e.FWMark == 0 && e.Port != r.Port {
					d.report(r.Pos, syntax.Error, "virtual server %s and real server [%s]:%d ports don't match", v.ServiceString(), r.Addr, r.Port)
					break
				}
			}
		}
	}
	for _, ch := range r.Checkers {
		d.checkerDefaults(v, r, ch)
	}
}

// checkerDefaults resolves a checker's values: its own, else the real
// server's (which already holds the virtual server's), else the kind's
// default.
func (d *decoder) checkerDefaults(v *VirtualServer, r *RealServer, ch *Checker) {
	inherited := func(key string) bool { return d.isSet(r, key) || d.isSet(v, key) }
	if !ch.ConnectIP.IsValid() && ch.Kind != CheckMisc && ch.Kind != CheckFile && ch.Kind != CheckBFD {
		ch.ConnectIP = r.Addr
	}
	if !d.isSet(ch, "connect_port") && ch.Kind != CheckMisc && ch.Kind != CheckFile && ch.Kind != CheckBFD {
		ch.ConnectPort = r.Port
	}
	if !d.isSet(ch, "delay_loop") {
		ch.DelayLoop = r.DelayLoop
	}
	if !d.isSet(ch, "connect_timeout") {
		ch.ConnectTimeout = r.ConnectTimeout
	}
	if !d.isSet(ch, "warmup") {
		ch.Warmup = r.Warmup
		if !inherited("warmup") {
			ch.Warmup = ch.DelayLoop
		}
	}
	if !d.isSet(ch, "alpha") {
		ch.Alpha = r.Alpha
	}
	if !d.isSet(ch, "retry") {
		switch {
		case inherited("retry"):
			ch.Retry = r.Retry
		case ch.Kind == CheckDNS:
			ch.Retry = 3
		case ch.Kind == CheckMisc:
			ch.Retry = 0
		default:
			ch.Retry = 1
		}
	}
	if !d.isSet(ch, "delay_before_retry") {
		switch {
		case inherited("delay_before_retry"):
			ch.DelayBeforeRetry = r.DelayBeforeRetry
		case ch.Kind == CheckHTTP || ch.Kind == CheckSSL:
			ch.DelayBeforeRetry = defaultHTTPRetryDelay
		case ch.Kind == CheckDNS:
			ch.DelayBeforeRetry = ch.DelayLoop
		default:
			ch.DelayBeforeRetry = defaultDelayBeforeRetry
		}
	}
	switch {
	case ch.HTTP != nil:
		if ch.HTTP.Protocol == "" {
			ch.HTTP.Protocol = "1.0"
		}
		if !d.isSet(ch, "virtualhost") {
			ch.HTTP.VirtualHost = r.VirtualHost
		}
		if len(ch.HTTP.URLs) == 0 {
			d.report(ch.Pos, syntax.Error, "HTTP/SSL_GET checker has no urls specified - ignoring")
		}
		for _, u := range ch.HTTP.URLs {
			if len(u.StatusCodes) == 0 && u.Digest == "" {
				u.StatusCodes = []StatusRange{{Min: 200, Max: 299}}
			}
		}
	case ch.DNS != nil:
		if ch.DNS.Type == "" {
			ch.DNS.Type = "SOA"
		}
		if ch.DNS.Name == "" {
			ch.DNS.Name = "."
		}
	case ch.UDP != nil:
		if !d.isSet(ch, "max_reply_length") {
			ch.UDP.MaxReplyLength = 255
		}
	case ch.Misc != nil:
		if ch.Misc.Path == nil {
			d.report(ch.Pos, syntax.Error, "MISC_CHECK has no misc_path")
		}
		if ch.Misc.Timeout == 0 {
			ch.Misc.Timeout = ch.DelayLoop
		}
	case ch.SMTP != nil:
		for _, h := range ch.SMTP.Hosts {
			d.checkerDefaults(v, r, h)
		}
	case ch.File != nil:
		if f := findTrackFile(d.cfg, ch.File.TrackFile); f == nil {
			d.report(ch.Pos, syntax.Error, "FILE_CHECK: track_file %s not found", ch.File.TrackFile)
		} else if !ch.File.WeightSet {
			ch.File.Weight = f.Weight
		}
	}
}
