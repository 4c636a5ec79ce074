package vrrpd

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/alived/alived/config"
	"github.com/alived/alived/vrrp/netio"
)

// routeTables are the iproute2 table names every system has.
var routeTables = map[string]int{"default": 253, "main": 254, "local": 255}

// routeProtocols are the iproute2 protocol names keepalived users write.
var routeProtocols = map[string]int{"redirect": 1, "kernel": 2, "boot": 3, "static": 4, "keepalived": 18}

// routeTypes are the route types of virtual_routes.
var routeTypes = map[string]netio.RouteType{
	"unicast": netio.RouteUnicast, "local": netio.RouteLocal, "broadcast": netio.RouteBroadcast,
	"blackhole": netio.RouteBlackhole, "unreachable": netio.RouteUnreachable,
	"prohibit": netio.RouteProhibit, "throw": netio.RouteThrow,
}

// named resolves a number or one of names.
func named(what, s string, names map[string]int) (int, error) {
	if v, ok := names[s]; ok {
		return v, nil
	}
	v, err := strconv.ParseUint(s, 0, 32)
	if err != nil {
		return 0, fmt.Errorf("unknown %s %q", what, s)
	}
	return int(v), nil
}

// parseScope maps a scope name or number.
func parseScope(s string) (netio.Scope, error) {
	switch s {
	case "", "global", "universe":
		return netio.ScopeUniverse, nil
	case "site":
		return netio.ScopeSite, nil
	case "link":
		return netio.ScopeLink, nil
	case "host":
		return netio.ScopeHost, nil
	case "nowhere":
		return netio.ScopeNowhere, nil
	}
	n, err := strconv.ParseUint(s, 0, 8)
	if err != nil {
		return 0, fmt.Errorf("unknown scope %q", s)
	}
	return netio.Scope(n), nil
}

// mapRoute converts one virtual_routes line.
func mapRoute(r *config.Route, lookup ifaceLookup) (netio.Route, error) {
	nr := netio.Route{Dst: r.Dst, Src: r.Src, Gw: r.Via, Metric: r.Metric, NoTrack: r.NoTrack}
	var err error
	if r.Dev != "" {
		ifi, lerr := lookup(r.Dev)
		if lerr != nil {
			return nr, fmt.Errorf("%s: route %s: dev %s: %w", r.Pos, r.Dst, r.Dev, lerr)
		}
		nr.Ifindex = ifi.Index
	}
	if r.Table != "" {
		if nr.Table, err = named("table", r.Table, routeTables); err != nil {
			return nr, fmt.Errorf("%s: route %s: %w", r.Pos, r.Dst, err)
		}
	}
	if r.Protocol != "" {
		if nr.Protocol, err = named("protocol", r.Protocol, routeProtocols); err != nil {
			return nr, fmt.Errorf("%s: route %s: %w", r.Pos, r.Dst, err)
		}
	}
	if nr.Scope, err = parseScope(r.Scope); err != nil {
		return nr, fmt.Errorf("%s: route %s: %w", r.Pos, r.Dst, err)
	}
	if r.Type != "" {
		t, ok := routeTypes[r.Type]
		if !ok {
			return nr, fmt.Errorf("%s: route %s: unknown type %q", r.Pos, r.Dst, r.Type)
		}
		nr.Type = t
	}
	return nr, nil
}

// mapRule converts one virtual_rules line. Rules that do more than look
// up a table (blackhole, goto, ...) are refused rather than installed
// half-right.
func mapRule(r *config.Rule) (netio.Rule, error) {
	nr := netio.Rule{Src: r.From, Dst: r.To, Priority: -1, Iif: r.IIF, Oif: r.OIF, NoTrack: r.NoTrack}
	if r.Preference > 0 {
		nr.Priority = r.Preference
	}
	nr.IPv6 = (r.From.IsValid() && r.From.Addr().Is6()) || (r.To.IsValid() && r.To.Addr().Is6())
	if r.Action != "" {
		return nr, fmt.Errorf("%s: rule action %q is not supported yet", r.Pos, r.Action)
	}
	if r.Table == "" {
		return nr, fmt.Errorf("%s: rule without a table", r.Pos)
	}
	var err error
	if nr.Table, err = named("table", r.Table, routeTables); err != nil {
		return nr, fmt.Errorf("%s: rule: %w", r.Pos, err)
	}
	if r.FWMark != "" {
		mark, mask, _ := strings.Cut(r.FWMark, "/")
		m, err := strconv.ParseUint(mark, 0, 32)
		if err != nil {
			return nr, fmt.Errorf("%s: rule: bad fwmark %q", r.Pos, r.FWMark)
		}
		nr.Mark = uint32(m)
		if mask != "" {
			k, err := strconv.ParseUint(mask, 0, 32)
			if err != nil {
				return nr, fmt.Errorf("%s: rule: bad fwmark mask %q", r.Pos, r.FWMark)
			}
			nr.Mask = uint32(k)
		}
	}
	return nr, nil
}
