package config

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/alived/alived/config/syntax"
)

// parsePrefix accepts "ADDR" or "ADDR/LEN"; a bare address becomes a host
// prefix (/32 or /128), as keepalived does for VIPs.
func parsePrefix(s string) (netip.Prefix, bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(p.Addr().Unmap(), p.Bits()), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}

// vipOptions are the ip-address options that take a value.
var vipValueOptions = map[string]bool{
	"brd": true, "broadcast": true, "dev": true, "scope": true, "label": true,
	"peer": true, "preferred_lft": true, "track_group": true,
}

// decodeVIP parses one virtual_ipaddress / static_ipaddress line. The
// address is the node's keyword, the options its arguments.
func (d *decoder) decodeVIP(n *syntax.Node) *VirtualIP {
	p, ok := parsePrefix(n.Keyword)
	if !ok {
		d.errorf(n, "VRRP parsed invalid IP %s. skipping IP...", n.Keyword)
		return nil
	}
	v := &VirtualIP{Prefix: p, Pos: n.Pos}
	args := n.Args
	for i := 0; i < len(args); i++ {
		opt := args[i]
		if vipValueOptions[opt] {
			if i+1 >= len(args) {
				d.errorf(n, "%s: missing value for %s", n.Keyword, opt)
				break
			}
			i++
			val := args[i]
			switch opt {
			case "brd", "broadcast":
				a, err := netip.ParseAddr(val)
				if err != nil {
					d.errorf(n, "VRRP parsed invalid broadcast address %s", val)
					continue
				}
				v.Broadcast = a
			case "dev":
				v.Dev = val
			case "scope":
				v.Scope = val
			case "label":
				v.Label = val
			case "peer":
				pp, ok := parsePrefix(val)
				if !ok {
					d.errorf(n, "Invalid peer address %s", val)
					continue
				}
				v.Peer = pp
			case "preferred_lft":
				v.PreferredLft = val
			case "track_group":
				v.TrackGroup = val
			}
			continue
		}
		switch opt {
		case "home":
			v.Home = true
		case "-nodad":
			v.NoDAD = true
		case "mngtmpaddr":
			v.MngTmpAddr = true
		case "noprefixroute":
			v.NoPrefixRoute = true
		case "autojoin":
			v.AutoJoin = true
		case "no_track":
			v.NoTrack = true
		case "use_vmac":
			v.UseVMAC = true
		default:
			d.errorf(n, "Unknown configuration entry '%s' for ip address - ignoring", opt)
		}
	}
	return v
}

// routeTypes are the route types ip-route accepts before the destination.
var routeTypes = map[string]bool{
	"unicast": true, "blackhole": true, "unreachable": true, "prohibit": true,
	"throw": true, "local": true, "broadcast": true, "anycast": true, "multicast": true, "nat": true,
}

// routeValueOptions take one value; we keep them in Args only.
var routeValueOptions = map[string]bool{
	"tos": true, "dsfield": true, "mtu": true, "advmss": true, "rtt": true, "rttvar": true,
	"reordering": true, "window": true, "cwnd": true, "initcwnd": true, "initrwnd": true,
	"ssthresh": true, "realms": true, "rto_min": true, "features": true, "quickack": true,
	"congctl": true, "pref": true, "fastopen_no_cookie": true, "encap": true, "expires": true,
	"hoplimit": true, "nexthop": true, "weight": true, "from": true,
}

// routeFlags are options without a value.
var routeFlags = map[string]bool{
	"onlink": true, "pervasive": true, "lock": true, "ttl-propagate": true,
}

// decodeRoute parses one virtual_routes / static_routes line; the whole
// line is keyword + args.
func (d *decoder) decodeRoute(n *syntax.Node) *Route {
	toks := append([]string{n.Keyword}, n.Args...)
	r := &Route{Args: toks, Pos: n.Pos}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		val := func() (string, bool) {
			if i+1 >= len(toks) {
				d.errorf(n, "route: missing value for %s", t)
				return "", false
			}
			i++
			return toks[i], true
		}
		switch {
		case i == 0 && routeTypes[t]:
			r.Type = t
		case t == "src":
			if s, ok := val(); ok {
				a, err := netip.ParseAddr(s)
				if err != nil {
					d.errorf(n, "VRRP parsed invalid IP %s. skipping IP...", s)
					return nil
				}
				r.Src = a
			}
		case t == "via" || t == "gw" || t == "or":
			if t != "via" {
				d.warnf(n, "\"%s\" for routes is deprecated. Please use \"%s\"", t, map[string]string{"gw": "via", "or": "nexthop"}[t])
			}
			if s, ok := val(); ok {
				if t == "or" {
					continue
				}
				if strings.HasPrefix(s, "inet") { // "via inet6 ADDR"
					if s2, ok := val(); ok {
						s = s2
					}
				}
				a, err := netip.ParseAddr(s)
				if err != nil {
					d.errorf(n, "VRRP parsed invalid IP %s. skipping IP...", s)
					return nil
				}
				r.Via = a
			}
		case t == "dev" || t == "oif":
			if s, ok := val(); ok {
				r.Dev = s
			}
		case t == "table":
			if s, ok := val(); ok {
				r.Table = s
			}
		case t == "metric" || t == "preference" || t == "priority":
			if s, ok := val(); ok {
				m, err := strconv.ParseUint(s, 10, 32)
				if err != nil {
					d.errorf(n, "Invalid metric %s", s)
					continue
				}
				r.Metric = int(m)
			}
		case t == "scope":
			if s, ok := val(); ok {
				r.Scope = s
			}
		case t == "proto" || t == "protocol":
			if s, ok := val(); ok {
				r.Protocol = s
			}
		case t == "no_track":
			r.NoTrack = true
		case t == "track_group":
			if s, ok := val(); ok {
				r.TrackGroup = s
			}
		case routeValueOptions[t]:
			val()
		case routeFlags[t]:
		case t == "to":
			if s, ok := val(); ok && !d.routeDst(n, r, s) {
				return nil
			}
		default:
			if !r.Dst.IsValid() {
				if !d.routeDst(n, r, t) {
					return nil
				}
				continue
			}
			// Options ip-route knows and we do not model stay in Args.
		}
	}
	if !r.Dst.IsValid() {
		d.errorf(n, "Route has no destination - ignoring")
		return nil
	}
	return r
}

func (d *decoder) routeDst(n *syntax.Node, r *Route, s string) bool {
	if s == "default" {
		r.Dst = netip.PrefixFrom(netip.IPv4Unspecified(), 0)
		if r.Via.Is6() {
			r.Dst = netip.PrefixFrom(netip.IPv6Unspecified(), 0)
		}
		return true
	}
	p, ok := parsePrefix(s)
	if !ok {
		d.errorf(n, "VRRP parsed invalid IP %s. skipping IP...", s)
		return false
	}
	r.Dst = p.Masked()
	return true
}

// ruleValueOptions take one value in ip-rule syntax.
var ruleValueOptions = map[string]bool{
	"tos": true, "dsfield": true, "realms": true, "goto": true, "suppress_prefixlength": true,
	"suppress_ifgroup": true, "uidrange": true, "sport": true, "dport": true, "ipproto": true,
	"protocol": true, "nat": true, "map-to": true, "tun_id": true,
}

// decodeRule parses one virtual_rules / static_rules line.
func (d *decoder) decodeRule(n *syntax.Node) *Rule {
	toks := append([]string{n.Keyword}, n.Args...)
	r := &Rule{Args: toks, Pos: n.Pos}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		val := func() (string, bool) {
			if i+1 >= len(toks) {
				d.errorf(n, "rule: missing value for %s", t)
				return "", false
			}
			i++
			return toks[i], true
		}
		switch t {
		case "from", "to":
			s, ok := val()
			if !ok {
				continue
			}
			if s == "all" {
				continue
			}
			p, ok := parsePrefix(s)
			if !ok {
				d.errorf(n, "VRRP parsed invalid IP %s. skipping IP...", s)
				d.errorf(n, "Invalid rule %s address %s", t, s)
				return nil
			}
			if t == "from" {
				r.From = p
			} else {
				r.To = p
			}
		case "table", "lookup":
			if s, ok := val(); ok {
				r.Table = s
			}
		case "preference", "priority", "pref", "order":
			if s, ok := val(); ok {
				v, err := strconv.ParseUint(s, 10, 32)
				if err != nil {
					d.errorf(n, "Invalid rule preference %s", s)
					continue
				}
				r.Preference = int(v)
			}
		case "fwmark":
			if s, ok := val(); ok {
				r.FWMark = s
			}
		case "iif", "dev":
			if s, ok := val(); ok {
				r.IIF = s
			}
		case "oif":
			if s, ok := val(); ok {
				r.OIF = s
			}
		case "blackhole", "unreachable", "prohibit", "nop", "type":
			if t == "type" {
				t, _ = val()
			}
			r.Action = t
		case "no_track":
			r.NoTrack = true
		case "not", "l3mdev", "inet", "inet6":
		default:
			if ruleValueOptions[t] {
				val()
				continue
			}
			d.errorf(n, "Unknown rule option %s", t)
		}
	}
	if r.Preference == 0 {
		d.warnf(n, "Rule has no preference specified. This is probably not what you want.")
	}
	return r
}
