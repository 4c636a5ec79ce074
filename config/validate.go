package config

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"time"

	"github.com/alived/alived/config/syntax"
)

// MsgNonExistentInterface is the summary Validate adds when a named
// interface does not exist. keepalived stops before its script checks in
// that case, so ExitCode gives it precedence over a security violation.
const MsgNonExistentInterface = "Non-existent interface specified in configuration"

// Env is what Validate needs to know about the host.
type Env struct {
	// Interface reports whether a network interface exists and whether it
	// is a loopback interface.
	Interface func(name string) (exists, loopback bool)
	// ResolveHost reports whether a host name resolves; nil skips the
	// check (keepalived resolves smtp_server while parsing).
	ResolveHost func(name string) bool
}

// HostEnv looks at the interfaces of the current network namespace.
func HostEnv() Env {
	return Env{
		Interface: func(name string) (bool, bool) {
			ifi, err := net.InterfaceByName(name)
			if err != nil {
				return false, false
			}
			return true, ifi.Flags&net.FlagLoopback != 0
		},
		ResolveHost: func(name string) bool {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			addrs, err := net.DefaultResolver.LookupHost(ctx, name)
			return err == nil && len(addrs) > 0
		},
	}
}

// Validate makes the checks keepalived makes against the host: interfaces
// named by instances, trackers, addresses and routes must exist, and VRRP
// cannot run on a loopback interface. Severities are keepalived's: each of
// these makes `keepalived -t` exit 5.
func (c *Config) Validate(env Env) []syntax.Diagnostic {
	var diags []syntax.Diagnostic
	report := func(pos syntax.Pos, format string, args ...any) {
		diags = append(diags, syntax.Diagnostic{Pos: pos, Severity: syntax.Error, Msg: fmt.Sprintf(format, args...)})
	}
	missingIf := false
	exists := func(name string) bool {
		ok, _ := env.Interface(name)
		return ok
	}
	checkVIPs := func(vips []*VirtualIP) {
		for _, ip := range vips {
			if ip.Dev != "" && !exists(ip.Dev) {
				report(ip.Pos, "WARNING - interface %s for ip address %s doesn't exist", ip.Dev, ip.Prefix.Addr())
				missingIf = true
			}
		}
	}
	checkRoutes := func(routes []*Route) {
		for _, r := range routes {
			if r.Dev != "" && !exists(r.Dev) {
				report(r.Pos, "WARNING - interface %s for VROUTE nexthop doesn't exist", r.Dev)
				missingIf = true
			}
		}
	}
	for _, v := range c.Instances {
		switch {
		case v.Interface == "":
			if len(v.UnicastPeers) == 0 {
				report(v.Pos, "(%s) Unknown interface!", v.Name)
			}
		default:
			ok, loop := env.Interface(v.Interface)
			switch {
			case !ok:
				report(v.InterfacePos, "WARNING - interface %s for vrrp_instance %s doesn't exist", v.Interface, v.Name)
				missingIf = true
			case loop:
				report(v.InterfacePos, "(%s) cannot use a loopback interface (%s) for vrrp - ignoring", v.Name, v.Interface)
				report(v.Pos, "(%s) Unknown interface!", v.Name)
			}
		}
		for _, t := range v.Track.Interfaces {
			if !exists(t.Name) {
				report(t.Pos, "(%s) tracked interface %s doesn't exist", v.Name, t.Name)
				missingIf = true
			}
		}
		checkVIPs(v.VIPs)
		checkVIPs(v.ExcludedVIPs)
		checkRoutes(v.Routes)
	}
	for _, g := range c.SyncGroups {
		for _, t := range g.Track.Interfaces {
			if !exists(t.Name) {
				report(t.Pos, "(%s) tracked interface %s doesn't exist", g.Name, t.Name)
				missingIf = true
			}
		}
	}
	for _, g := range c.GARPGroups {
		for _, name := range g.Interfaces {
			if !exists(name) {
				report(g.Pos, "WARNING - interface %s specified for garp_group doesn't exist", name)
				missingIf = true
			}
		}
	}
	for _, l := range c.LinkbeatInterfaces {
		if !exists(l.Name) {
			report(l.Pos, "unknown interface %s specified for linkbeat interface", l.Name)
			missingIf = true
		}
	}
	if h := c.Global.SMTPServer; h != "" && env.ResolveHost != nil {
		if _, err := netip.ParseAddr(h); err != nil && !env.ResolveHost(h) {
			report(c.Global.Pos, "Invalid smtp server %s specified", h)
		}
	}
	checkVIPs(c.StaticAddresses)
	checkRoutes(c.StaticRoutes)
	if missingIf {
		diags = append(diags, syntax.Diagnostic{Severity: syntax.Error, Msg: MsgNonExistentInterface})
	}
	return diags
}
