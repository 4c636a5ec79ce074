package vrrp

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// ChecksumCompat is keepalived's old_unicast_checksum setting for VRRPv3
// over IPv4 unicast: before keepalived 1.3.6 the pseudo-header carried the
// multicast group instead of the unicast peer.
type ChecksumCompat uint8

// old_unicast_checksum settings.
const (
	// ChecksumCompatAuto sends the correct checksum, but switches to the
	// old one as soon as a peer's advert verifies only with it (keepalived's
	// default auto-detection).
	ChecksumCompatAuto ChecksumCompat = iota
	// ChecksumCompatOld always uses the old checksum (old_unicast_checksum).
	ChecksumCompatOld
	// ChecksumCompatNever never accepts or sends the old checksum
	// (old_unicast_checksum never).
	ChecksumCompatNever
)

// Peer is a unicast peer with the TTL range its adverts must arrive with.
type Peer struct {
	Addr netip.Addr
	// MinTTL and MaxTTL bound the received TTL/hop limit; 0 and 255 (or 0)
	// mean no bound.
	MinTTL, MaxTTL uint8
}

// Config is one vrrp_instance, in the core's own terms. The daemon maps the
// parsed keepalived.conf onto it; keepalived's configuration-level rules
// (state MASTER without priority means 255, strict mode, ...) belong to that
// mapping. Start from DefaultConfig: zero values here mean zero, not
// "keepalived's default".
type Config struct {
	// Name is the vrrp_instance name, used in notifies.
	Name string
	// VRID is virtual_router_id, 1..255.
	VRID uint8
	// Version is 2 or 3.
	Version uint8
	// IPv6 selects IPv6 adverts (v3 only).
	IPv6 bool
	// Priority is the base priority, 1..255. 255 is the address owner: it
	// is never changed by trackers, implies preemption and starts as
	// master at once.
	Priority uint8
	// InitialMaster is "state MASTER": become master after one advert
	// interval (plus the minimum skew) instead of a full master-down
	// interval.
	InitialMaster bool
	// AdvertInterval is advert_int. v2 carries whole seconds (1..255), v3
	// centiseconds (1..4095); Validate rejects anything else.
	AdvertInterval time.Duration
	// AuthType and AuthPass are the v2 authentication block; only the first
	// 8 bytes of AuthPass count. AH is recognised on the wire but not
	// implemented, so Validate rejects it.
	AuthType AuthType
	AuthPass string
	// VIPs are the advertised virtual addresses (virtual_ipaddress without
	// masks), all of the instance's family; their order is the advert's.
	VIPs []netip.Addr
	// HasVirtualRoutes and HasVirtualRules make transitions emit the route
	// and rule actions; the daemon owns the route and rule definitions.
	HasVirtualRoutes, HasVirtualRules bool
	// PrimaryAddr is the source address of our adverts (mcast_src_ip,
	// unicast_src_ip or the interface's primary address); it breaks ties
	// between equal priorities.
	PrimaryAddr netip.Addr
	// MulticastGroup is the destination of multicast adverts; zero means
	// 224.0.0.18 or ff02::12.
	MulticastGroup netip.Addr
	// UnicastPeers, when not empty, make the instance unicast.
	UnicastPeers []Peer
	// CheckUnicastSrc rejects unicast adverts from addresses that are not
	// peers.
	CheckUnicastSrc bool
	// OldUnicastChecksum is old_unicast_checksum.
	OldUnicastChecksum ChecksumCompat
	// V3ChecksumAsV2 computes v3 IPv4 checksums without the pseudo-header
	// (no effect over IPv6, where the kernel owns the checksum).
	V3ChecksumAsV2 bool
	// NoPreempt is nopreempt: a backup never takes over from a live master
	// of lower priority.
	NoPreempt bool
	// PreemptDelay is preempt_delay: a backup tolerates a lower-priority
	// master this long after first hearing it before preempting.
	PreemptDelay time.Duration
	// DownTimerAdverts is down_timer_adverts (1..100): how many advert
	// intervals make the master-down interval.
	DownTimerAdverts int
	// GARP schedule on becoming master: GARPMasterRepeat at once, again
	// after GARPMasterDelay (0: no second burst), and
	// GARPMasterRefreshRepeat every GARPMasterRefresh (0: never).
	GARPMasterDelay         time.Duration
	GARPMasterRepeat        int
	GARPMasterRefresh       time.Duration
	GARPMasterRefreshRepeat int
	// GARPLowerPrioRepeat GARPs are sent when a master hears a
	// lower-priority advert, and again after GARPLowerPrioDelay (0: none).
	GARPLowerPrioDelay  time.Duration
	GARPLowerPrioRepeat int
	// LowerPrioNoAdvert stops a master from answering a lower-priority
	// advert with an advert of its own.
	LowerPrioNoAdvert bool
	// HigherPrioSendAdvert makes a master send one advert before yielding
	// to a higher-priority one.
	HigherPrioSendAdvert bool
	// OwnerIgnoreAdverts makes a priority-255 instance drop all adverts.
	OwnerIgnoreAdverts bool
	// SkipCheckAdvAddr skips the address-list check for adverts from the
	// current master.
	SkipCheckAdvAddr bool
	// NotifyPriorityChanges emits ActNotifyPriority.
	NotifyPriorityChanges bool
}

// DefaultConfig returns keepalived's defaults for a v2 instance (priority
// 100, advert_int 1, down_timer_adverts 3, garp_master_delay 5,
// garp_master_repeat 5, garp_master_refresh_repeat 1).
func DefaultConfig() Config {
	return Config{
		Version:                 2,
		Priority:                100,
		AdvertInterval:          time.Second,
		DownTimerAdverts:        3,
		GARPMasterDelay:         5 * time.Second,
		GARPMasterRepeat:        5,
		GARPMasterRefreshRepeat: 1,
	}
}

// Validate reports every way c cannot describe a working instance.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.VRID == 0 {
		bad("virtual_router_id must be 1..255")
	}
	if c.Priority == 0 {
		bad("priority must be 1..255")
	}
	switch c.Version {
	case 2:
		if c.IPv6 {
			bad("VRRPv2 does not carry IPv6")
		}
		if c.AdvertInterval < time.Second || c.AdvertInterval > 255*time.Second || c.AdvertInterval%time.Second != 0 {
			bad("v2 advert_int must be whole seconds 1..255, have %v", c.AdvertInterval)
		}
	case 3:
		if c.AdvertInterval < 10*time.Millisecond || c.AdvertInterval > maxV3Interval*10*time.Millisecond ||
			c.AdvertInterval%(10*time.Millisecond) != 0 {
			bad("v3 advert_int must be whole centiseconds 0.01..40.95 s, have %v", c.AdvertInterval)
		}
		if c.AuthType != AuthNone {
			bad("VRRPv3 has no authentication")
		}
	default:
		bad("version must be 2 or 3, have %d", c.Version)
	}
	switch c.AuthType {
	case AuthNone, AuthPass:
	case AuthAH:
		bad("%w (auth_type AH)", ErrAHUnsupported)
	default:
		bad("unknown auth type %d", c.AuthType)
	}
	if len(c.VIPs) > 255 {
		bad("%d virtual addresses do not fit an advert (255 at most)", len(c.VIPs))
	}
	for _, ip := range c.VIPs {
		if !ip.IsValid() || ip.Is6() != c.IPv6 || ip.Is4In6() {
			bad("virtual address %v is not of the instance's family", ip)
		}
	}
	if !c.PrimaryAddr.IsValid() || c.PrimaryAddr.Is6() != c.IPv6 {
		bad("primary (source) address %v is not of the instance's family", c.PrimaryAddr)
	}
	if c.MulticastGroup.IsValid() && (!c.MulticastGroup.IsMulticast() || c.MulticastGroup.Is6() != c.IPv6) {
		bad("multicast group %v is not a multicast address of the instance's family", c.MulticastGroup)
	}
	for _, p := range c.UnicastPeers {
		if !p.Addr.IsValid() || p.Addr.Is6() != c.IPv6 || p.Addr.IsMulticast() {
			bad("unicast peer %v is not a unicast address of the instance's family", p.Addr)
		}
		if p.MaxTTL != 0 && p.MinTTL > p.MaxTTL {
			bad("unicast peer %v: min_ttl %d > max_ttl %d", p.Addr, p.MinTTL, p.MaxTTL)
		}
	}
	if c.DownTimerAdverts < 1 || c.DownTimerAdverts > 100 {
		bad("down_timer_adverts must be 1..100, have %d", c.DownTimerAdverts)
	}
	if c.PreemptDelay < 0 || c.PreemptDelay > 1000*time.Second {
		bad("preempt_delay must be 0..1000 s")
	}
	if c.GARPMasterRepeat < 0 || c.GARPMasterRefreshRepeat < 0 || c.GARPLowerPrioRepeat < 0 ||
		c.GARPMasterDelay < 0 || c.GARPMasterRefresh < 0 || c.GARPLowerPrioDelay < 0 {
		bad("GARP delays and repeats must not be negative")
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("vrrp_instance %s: %w", c.Name, err)
	}
	return nil
}

// group is the multicast destination of the instance's adverts.
func (c *Config) group() netip.Addr {
	switch {
	case c.MulticastGroup.IsValid():
		return c.MulticastGroup
	case c.IPv6:
		return MulticastGroup6
	}
	return MulticastGroup4
}

// intervalField is the advert interval in wire units.
func (c *Config) intervalField() uint16 {
	if c.Version == 2 {
		return uint16(c.AdvertInterval / time.Second)
	}
	return uint16(c.AdvertInterval / (10 * time.Millisecond))
}
