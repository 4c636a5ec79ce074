package config

import (
	"encoding/hex"
	"net/netip"
	"strconv"
	"strings"

	"github.com/alived/alived/config/syntax"
)

// Keyword tables for the IPVS side: virtual_server, real_server, the
// checkers, virtual_server_group and SSL.

// schedulers are the IPVS schedulers keepalived accepts.
var schedulers = map[string]bool{
	"rr": true, "wrr": true, "lc": true, "wlc": true, "lblc": true, "sh": true, "mh": true,
	"dh": true, "fo": true, "ovf": true, "lblcr": true, "sed": true, "nq": true, "twos": true,
}

// timing points at the fields that virtual_server, real_server and the
// checkers share; a value not given at a lower level is inherited from the
// level above (see checkerDefaults).
type timing struct {
	DelayLoop, ConnectTimeout, DelayBeforeRetry, Warmup *timeDur
	Retry                                               *int
	Alpha                                               *bool
}

// timingKeywords registers the keywords shared by virtual_server,
// real_server and the checkers. fields maps the target to its fields.
func timingKeywords[T any](fields func(*T) timing, which ...string) []*kwSpec {
	all := map[string]*kwSpec{
		"delay_loop": on("delay_loop", func(d *decoder, n *syntax.Node, t *T) {
			if v, ok := d.seconds(n, 0, 0.000001, 1<<31-1); ok {
				*fields(t).DelayLoop = v
				d.markSet(t, "delay_loop")
			}
		}),
		"connect_timeout": on("connect_timeout", func(d *decoder, n *syntax.Node, t *T) {
			if v, ok := d.seconds(n, 0, 0.000001, 1<<31-1); ok {
				*fields(t).ConnectTimeout = v
				d.markSet(t, "connect_timeout")
			}
		}),
		"delay_before_retry": on("delay_before_retry", func(d *decoder, n *syntax.Node, t *T) {
			if v, ok := d.seconds(n, 0, 0, 1<<31-1); ok {
				*fields(t).DelayBeforeRetry = v
				d.markSet(t, "delay_before_retry")
			}
		}),
		"warmup": on("warmup", func(d *decoder, n *syntax.Node, t *T) {
			if v, ok := d.seconds(n, 0, 0, 1<<31-1); ok {
				*fields(t).Warmup = v
				d.markSet(t, "warmup")
			}
		}),
		"retry": on("retry", func(d *decoder, n *syntax.Node, t *T) {
			// keepalived 2.2.7 takes retry 0 in a checker but not on a
			// virtual or real server, where it reports the value and
			// keeps the default.
			if _, checker := any(t).(*Checker); checker {
				if v, ok := d.integer(n, 0, 0, 1<<31-1); ok {
					*fields(t).Retry = v
					d.markSet(t, "retry")
				}
				return
			}
			v, ok := d.integer(n, 0, 1, 1<<32-1)
			if !ok {
				if len(n.Args) > 0 {
					d.errorf(n, "retry value invalid - %s", n.Args[0])
				}
				return
			}
			*fields(t).Retry = v
			d.markSet(t, "retry")
		}),
		"alpha": on("alpha", func(d *decoder, n *syntax.Node, t *T) {
			if b, ok := d.boolean(n); ok {
				*fields(t).Alpha = b
				d.markSet(t, "alpha")
			}
		}),
	}
	if len(which) == 0 {
		which = []string{"delay_loop", "connect_timeout", "delay_before_retry", "warmup", "retry", "alpha"}
	}
	out := make([]*kwSpec, 0, len(which))
	for _, w := range which {
		out = append(out, all[w].owner("healthcheck"))
	}
	return out
}

// parseMethod reads "NAT|DR|TUN [type ipip|gue port N|gre] [nocsum|csum|remcsum]".
func (d *decoder) parseMethod(n *syntax.Node, args []string) (Forwarding, bool) {
	if len(args) == 0 {
		d.needArgs(n, 1)
		return Forwarding{}, false
	}
	f := Forwarding{Method: Method(strings.ToUpper(args[0]))}
	switch f.Method {
	case MethodNAT, MethodDR:
		return f, true
	case MethodTUN:
	default:
		d.errorf(n, "PARSER : unknown [%s] routing method for virtual server.", args[0])
		return Forwarding{}, false
	}
	rest := args[1:]
	for i := 0; i < len(rest); i++ {
		switch rest[i] {
		case "type":
			if i+1 >= len(rest) {
				d.errorf(n, "tunnel type missing")
				return f, false
			}
			i++
			f.TunnelType = rest[i]
			if f.TunnelType != "ipip" && f.TunnelType != "gue" && f.TunnelType != "gre" {
				d.errorf(n, "unknown tunnel type %s", f.TunnelType)
			}
		case "port":
			if i+1 >= len(rest) {
				d.errorf(n, "tunnel port missing")
				return f, false
			}
			i++
			f.TunnelPort, _ = d.port(n, rest[i])
		case "nocsum", "csum", "remcsum":
			f.TunnelCsum = rest[i]
		default:
			d.errorf(n, "unknown tunnel option %s", rest[i])
		}
	}
	return f, true
}

func virtualServerBlock() *blockSpec {
	type V = VirtualServer
	rs := realServerBlock()
	b := newBlock("virtual_server",
		on("ip_family", func(d *decoder, n *syntax.Node, v *V) {
			s, _ := d.str(n)
			switch s {
			case "inet", "inet6":
				v.Family = s
				d.markSet(v, "ip_family")
			default:
				d.errorf(n, "unknown address family %s", s)
			}
		}),
		on("lvs_sched", lvsSched),
		on("lb_algo", lvsSched).alias("lvs_sched"),
		on("lvs_method", lvsMethod),
		on("lb_kind", lvsMethod).alias("lvs_method"),
		on("persistence_engine", func(d *decoder, n *syntax.Node, v *V) { v.PersistenceEngine, _ = d.str(n) }),
		on("persistence_timeout", func(d *decoder, n *syntax.Node, v *V) {
			if len(n.Args) == 0 {
				v.PersistenceTimeout = 360 * 1e9
				return
			}
			if t, ok := d.integer(n, 0, 1, 1<<31-1); ok {
				v.PersistenceTimeout = timeDur(t) * 1e9
			}
		}),
		on("persistence_granularity", func(d *decoder, n *syntax.Node, v *V) {
			if a, ok := d.addr(n, 0); ok {
				v.PersistenceGranularity = a
				// keepalived 2.2.7 (pgr_handler) makes the service
				// persistent with the default timeout; a later
				// persistence_timeout still sets its own.
				if v.PersistenceTimeout == 0 {
					v.PersistenceTimeout = defaultPersistence
				}
			}
		}),
		on("protocol", func(d *decoder, n *syntax.Node, v *V) {
			s, ok := d.str(n)
			if !ok {
				return
			}
			switch strings.ToUpper(s) {
			case "TCP":
				v.Protocol = ProtoTCP
			case "UDP":
				v.Protocol = ProtoUDP
			case "SCTP":
				v.Protocol = ProtoSCTP
			default:
				d.errorf(n, "Unknown protocol %s - ignoring", s)
				return
			}
			v.ProtocolSet = true
		}),
		on("ha_suspend", func(d *decoder, n *syntax.Node, v *V) { v.HASuspend = true }),
		on("ops", func(d *decoder, n *syntax.Node, v *V) { v.OnePacket = true }),
		on("smtp_alert", func(d *decoder, n *syntax.Node, v *V) {
			if b, ok := d.boolean(n); ok {
				v.SMTPAlert = b
				d.markSet(v, "smtp_alert")
			}
		}),
		on("virtualhost", func(d *decoder, n *syntax.Node, v *V) {
			if d.haveArgs(n, 1) {
				s := n.Args[0]
				v.VirtualHost = s
				d.markSet(v, "virtualhost")
			}
		}),
		on("snmp_name", func(d *decoder, n *syntax.Node, v *V) { v.SNMPName = d.optStr(n) }),
		on("omega", func(d *decoder, n *syntax.Node, v *V) { v.Omega = true }),
		on("quorum_up", func(d *decoder, n *syntax.Node, v *V) { v.QuorumUp = d.script(n) }).owner("notify"),
		on("quorum_down", func(d *decoder, n *syntax.Node, v *V) { v.QuorumDown = d.script(n) }).owner("notify"),
		on("quorum", func(d *decoder, n *syntax.Node, v *V) {
			if q, ok := d.integer(n, 0, 1, 1<<31-1); ok {
				v.Quorum = q
			}
		}),
		on("hysteresis", func(d *decoder, n *syntax.Node, v *V) {
			if h, ok := d.integer(n, 0, 0, 1<<31-1); ok {
				v.Hysteresis = h
			}
		}),
		on("weight", func(d *decoder, n *syntax.Node, v *V) {
			if w, ok := d.integer(n, 0, 0, 1<<31-1); ok {
				v.Weight = w
			}
		}),
		on("inhibit_on_failure", func(d *decoder, n *syntax.Node, v *V) {
			if b, ok := d.boolean(n); ok {
				v.InhibitOnFailure = b
				d.markSet(v, "inhibit_on_failure")
			}
		}),
		on("sorry_server", func(d *decoder, n *syntax.Node, v *V) {
			a, ok := d.addr(n, 0)
			if !ok {
				return
			}
			s := &SorryServer{Addr: a, Pos: n.Pos}
			if v.SorryServer != nil {
				s.Inhibit, s.Forwarding = v.SorryServer.Inhibit, v.SorryServer.Forwarding
			}
			if len(n.Args) > 1 {
				s.Port, _ = d.port(n, n.Args[1])
			}
			v.SorryServer = s
		}),
		on("sorry_server_inhibit", func(d *decoder, n *syntax.Node, v *V) {
			if v.SorryServer == nil {
				v.SorryServer = &SorryServer{Pos: n.Pos}
			}
			v.SorryServer.Inhibit = true
		}),
		on("sorry_server_lvs_method", func(d *decoder, n *syntax.Node, v *V) {
			if !d.haveArgs(n, 1) {
				return
			}
			f, ok := d.parseMethod(n, n.Args)
			if !ok {
				return
			}
			if v.SorryServer == nil {
				v.SorryServer = &SorryServer{Pos: n.Pos}
			}
			v.SorryServer.Forwarding = &f
		}),
		on("real_server", func(d *decoder, n *syntax.Node, v *V) {
			if r := d.decodeRealServer(rs, n); r != nil {
				v.RealServers = append(v.RealServers, r)
			}
		}).block(rs),
	)
	for _, flag := range []string{"hashed", "flag-1", "flag-2", "flag-3", "sh-port", "sh-fallback", "mh-port", "mh-fallback"} {
		b.add(on(flag, schedFlag).owner("ipvs"))
	}
	for _, k := range timingKeywords(func(v *V) timing {
		return timing{&v.DelayLoop, &v.ConnectTimeout, &v.DelayBeforeRetry, &v.Warmup, &v.Retry, &v.Alpha}
	}) {
		b.add(k)
	}
	for _, k := range b.order {
		if k.info.Owner == "" {
			k.owner("ipvs")
		}
	}
	return b
}

func lvsSched(d *decoder, n *syntax.Node, v *VirtualServer) {
	s, ok := d.str(n)
	if !ok {
		return
	}
	if !schedulers[s] {
		d.errorf(n, "Invalid lvs_scheduler '%s' - ignoring", s)
		return
	}
	v.Scheduler = s
	if len(n.Args) > 1 {
		// keepalived 2.2.7 (lbalgo_handler) silently ignores anything
		// after the name; flags are keywords of their own.
		d.report(n.Pos, syntax.Warning, "%s: %s ignored - scheduler flags are keywords of their own", n.Keyword, strings.Join(n.Args[1:], " "))
	}
}

// schedFlag records a scheduler flag keyword as keepalived 2.2.7's
// lbflags_handler does: flag-1..3 always; sh-* and mh-* only under the sh
// or mh scheduler chosen before them (and silently nothing under the
// other one of the two); any of them, or hashed, under another scheduler
// is an error.
func schedFlag(d *decoder, n *syntax.Node, v *VirtualServer) {
	f := n.Keyword
	switch {
	case strings.HasPrefix(f, "flag-"):
	case v.Scheduler == "sh" || v.Scheduler == "mh":
		if !strings.HasPrefix(f, v.Scheduler+"-") {
			return
		}
	default:
		d.errorf(n, "%s only applies to sh scheduler - ignoring", f)
		return
	}
	v.SchedulerFlags = append(v.SchedulerFlags, f)
}

func lvsMethod(d *decoder, n *syntax.Node, v *VirtualServer) {
	if f, ok := d.parseMethod(n, n.Args); ok {
		v.Forwarding = f
	}
}

// decodeVirtualServer reads `virtual_server IP [PORT] | fwmark N | group NAME { ... }`.
func (d *decoder) decodeVirtualServer(spec *blockSpec, n *syntax.Node) *VirtualServer {
	if !d.needArgs(n, 1) || !d.wantBlock(n) {
		return nil
	}
	v := &VirtualServer{Pos: n.Pos}
	switch n.Args[0] {
	case "fwmark":
		if !d.needArgs(n, 2) {
			return nil
		}
		m, err := strconv.ParseUint(n.Args[1], 10, 32)
		if err != nil || m == 0 {
			d.errorf(n, "virtual server fwmark '%s' is not valid - skipping", n.Args[1])
			return nil
		}
		v.FWMark = uint32(m)
	case "group":
		if !d.needArgs(n, 2) {
			return nil
		}
		v.Group = n.Args[1]
	default:
		a, err := netip.ParseAddr(n.Args[0])
		port := "0"
		if len(n.Args) > 1 {
			port = n.Args[1]
		}
		p, perr := strconv.ParseUint(port, 10, 16)
		if err != nil || perr != nil {
			d.errorf(n, "Invalid virtual server IP address/port %s/%s - skipping", n.Args[0], port)
			return nil
		}
		v.Addr, v.Port = a.Unmap(), uint16(p)
	}
	d.walk(spec, n.Children, v)
	return v
}

func realServerBlock() *blockSpec {
	type R = RealServer
	checkers := checkerBlocks()
	b := newBlock("virtual_server/real_server",
		on("weight", func(d *decoder, n *syntax.Node, r *R) {
			if !d.needArgs(n, 1) {
				return
			}
			if strings.HasPrefix(n.Args[0], "-") {
				d.errorf(n, "negative number '%s'", n.Args[0])
				d.errorf(n, "Real server weight %s is outside range 0-2147483647", n.Args[0])
				return
			}
			if w, ok := d.integer(n, 0, 0, 1<<31-1); ok {
				r.Weight = w
				d.markSet(r, "weight")
			}
		}),
		on("lvs_method", func(d *decoder, n *syntax.Node, r *R) {
			if f, ok := d.parseMethod(n, n.Args); ok {
				r.Forwarding = f
				d.markSet(r, "lvs_method")
			}
		}),
		on("uthreshold", func(d *decoder, n *syntax.Node, r *R) { r.UThreshold, _ = d.integer(n, 0, 0, 1<<31-1) }),
		on("lthreshold", func(d *decoder, n *syntax.Node, r *R) { r.LThreshold, _ = d.integer(n, 0, 0, 1<<31-1) }),
		on("inhibit_on_failure", func(d *decoder, n *syntax.Node, r *R) {
			if b, ok := d.boolean(n); ok {
				r.InhibitOnFailure = b
				d.markSet(r, "inhibit_on_failure")
			}
		}),
		on("notify_up", func(d *decoder, n *syntax.Node, r *R) { r.NotifyUp = d.script(n) }).owner("notify"),
		on("notify_down", func(d *decoder, n *syntax.Node, r *R) { r.NotifyDown = d.script(n) }).owner("notify"),
		on("smtp_alert", func(d *decoder, n *syntax.Node, r *R) {
			if b, ok := d.boolean(n); ok {
				r.SMTPAlert = b
				d.markSet(r, "smtp_alert")
			}
		}),
		on("virtualhost", func(d *decoder, n *syntax.Node, r *R) {
			if d.haveArgs(n, 1) {
				s := n.Args[0]
				r.VirtualHost = s
				d.markSet(r, "virtualhost")
			}
		}),
		on("snmp_name", func(d *decoder, n *syntax.Node, r *R) { r.SNMPName = d.optStr(n) }),
	)
	for _, k := range timingKeywords(func(r *R) timing {
		return timing{&r.DelayLoop, &r.ConnectTimeout, &r.DelayBeforeRetry, &r.Warmup, &r.Retry, &r.Alpha}
	}) {
		b.add(k)
	}
	for _, kind := range []CheckerKind{CheckHTTP, CheckSSL, CheckTCP, CheckSMTP, CheckDNS, CheckMisc, CheckUDP, CheckPing, CheckFile, CheckBFD} {
		spec := checkers[kind]
		b.add(on(string(kind), func(d *decoder, n *syntax.Node, r *R) {
			if !d.wantBlock(n) {
				return
			}
			c := newChecker(kind, n.Pos)
			d.walk(spec, n.Children, c)
			r.Checkers = append(r.Checkers, c)
		}).block(spec).owner("healthcheck"))
	}
	for _, k := range b.order {
		if k.info.Owner == "" {
			k.owner("ipvs")
		}
	}
	return b
}

func newChecker(kind CheckerKind, pos syntax.Pos) *Checker {
	c := &Checker{Kind: kind, Pos: pos}
	switch kind {
	case CheckHTTP, CheckSSL:
		c.HTTP = &HTTPCheck{}
	case CheckSMTP:
		c.SMTP = &SMTPCheck{}
	case CheckDNS:
		c.DNS = &DNSCheck{}
	case CheckMisc:
		c.Misc = &MiscCheck{}
	case CheckUDP:
		c.UDP = &UDPCheck{}
	case CheckFile:
		c.File = &FileCheck{}
	case CheckBFD:
		c.BFD = &BFDCheck{}
	}
	return c
}

// decodeRealServer reads `real_server IP [PORT] { ... }`.
func (d *decoder) decodeRealServer(spec *blockSpec, n *syntax.Node) *RealServer {
	if !d.needArgs(n, 1) {
		return nil
	}
	a, err := netip.ParseAddr(n.Args[0])
	if err != nil {
		d.errorf(n, "Invalid real server ip address/port %s - skipping", n.Args[0])
		return nil
	}
	r := &RealServer{Addr: a.Unmap(), Pos: n.Pos}
	if len(n.Args) > 1 {
		p, ok := d.port(n, n.Args[1])
		if !ok {
			return nil
		}
		r.Port = p
	}
	d.walk(spec, n.Children, r)
	return r
}

// connectionKeywords are the checker keywords about the connection itself.
func connectionKeywords() []*kwSpec {
	type C = Checker
	return []*kwSpec{
		on("connect_ip", func(d *decoder, n *syntax.Node, c *C) {
			if a, ok := d.addr(n, 0); ok {
				c.ConnectIP = a
			}
		}),
		on("connect_port", func(d *decoder, n *syntax.Node, c *C) {
			if p, ok := d.integer(n, 0, 1, 65535); ok {
				c.ConnectPort = uint16(p)
				d.markSet(c, "connect_port")
			} else if len(n.Args) > 0 {
				d.errorf(n, "Invalid checker connect_port '%s'", n.Args[0])
			}
		}),
		on("bindto", func(d *decoder, n *syntax.Node, c *C) {
			if a, ok := d.addr(n, 0); ok {
				c.BindTo = a
			}
		}),
		on("bind_port", func(d *decoder, n *syntax.Node, c *C) {
			if p, ok := d.integer(n, 0, 1, 65535); ok {
				c.BindPort = uint16(p)
			} else if len(n.Args) > 0 {
				d.errorf(n, "Invalid checker bind_port '%s'", n.Args[0])
			}
		}),
		on("bind_if", func(d *decoder, n *syntax.Node, c *C) { c.BindIf, _ = d.str(n) }),
		on("fwmark", func(d *decoder, n *syntax.Node, c *C) {
			if m, ok := d.integer(n, 0, 0, 1<<32-1); ok {
				c.FWMark = uint32(m)
			}
		}),
	}
}

func checkerTiming(which ...string) []*kwSpec {
	type C = Checker
	ks := timingKeywords(func(c *C) timing {
		return timing{&c.DelayLoop, &c.ConnectTimeout, &c.DelayBeforeRetry, &c.Warmup, &c.Retry, &c.Alpha}
	}, which...)
	return append(ks, on("log_all_failures", func(d *decoder, n *syntax.Node, c *C) {
		if b, ok := d.boolean(n); ok {
			c.LogAllFailures = b
		}
	}))
}

// commonChecker is the full set of keywords TCP-like checkers share.
func commonChecker(path string, extra ...*kwSpec) *blockSpec {
	b := newBlock(path, connectionKeywords()...)
	for _, k := range checkerTiming() {
		b.add(k)
	}
	for _, k := range extra {
		b.add(k)
	}
	for _, k := range b.order {
		k.owner("healthcheck")
	}
	return b
}

func checkerBlocks() map[CheckerKind]*blockSpec {
	type C = Checker
	out := map[CheckerKind]*blockSpec{}
	for _, kind := range []CheckerKind{CheckHTTP, CheckSSL} {
		path := "virtual_server/real_server/" + string(kind)
		url := urlBlock(path + "/url")
		out[kind] = commonChecker(path,
			on("url", func(d *decoder, n *syntax.Node, c *C) {
				if !d.wantBlock(n) {
					return
				}
				u := &URLCheck{Pos: n.Pos}
				d.walk(url, n.Children, u)
				if u.Path == "" {
					d.errorf(n, "url block without path")
				}
				c.HTTP.URLs = append(c.HTTP.URLs, u)
			}).block(url),
			on("nb_get_retry", func(d *decoder, n *syntax.Node, c *C) {
				d.errorf(n, "nb_get_retry is deprecated - please use 'retry'")
				if v, ok := d.integer(n, 0, 0, 1<<31-1); ok {
					c.Retry = v
					d.markSet(c, "retry")
				}
			}).alias("retry"),
			on("virtualhost", func(d *decoder, n *syntax.Node, c *C) {
				if s, ok := d.str(n); ok {
					c.HTTP.VirtualHost = s
					d.markSet(c, "virtualhost")
				}
			}),
			on("http_protocol", func(d *decoder, n *syntax.Node, c *C) {
				s, ok := d.str(n)
				if !ok {
					return
				}
				switch s {
				case "1.0", "1.1", "1.0C", "1.0c":
					c.HTTP.Protocol = strings.ToUpper(s)
				default:
					d.errorf(n, "Invalid http_protocol '%s'", s)
				}
			}),
			on("enable_sni", func(d *decoder, n *syntax.Node, c *C) {
				if b, ok := d.boolean(n); ok {
					c.HTTP.EnableSNI = b
				}
			}),
			on("sni_name", func(d *decoder, n *syntax.Node, c *C) { c.HTTP.SNIName, _ = d.str(n) }),
			on("fast_recovery", func(d *decoder, n *syntax.Node, c *C) {
				if b, ok := d.boolean(n); ok {
					c.HTTP.FastRecovery = b
				}
			}),
			on("tls_compliant", func(d *decoder, n *syntax.Node, c *C) {
				if b, ok := d.boolean(n); ok {
					c.HTTP.TLSCompliant = b
				}
			}),
		)
	}
	out[CheckTCP] = commonChecker("virtual_server/real_server/TCP_CHECK")
	out[CheckPing] = commonChecker("virtual_server/real_server/PING_CHECK")
	host := commonChecker("virtual_server/real_server/SMTP_CHECK/host")
	out[CheckSMTP] = commonChecker("virtual_server/real_server/SMTP_CHECK",
		on("helo_name", func(d *decoder, n *syntax.Node, c *C) { c.SMTP.HeloName = d.optStr(n) }),
		on("host", func(d *decoder, n *syntax.Node, c *C) {
			if !d.wantBlock(n) {
				return
			}
			h := &Checker{Kind: CheckSMTP, Pos: n.Pos}
			d.walk(host, n.Children, h)
			c.SMTP.Hosts = append(c.SMTP.Hosts, h)
		}).block(host),
	)
	out[CheckDNS] = commonChecker("virtual_server/real_server/DNS_CHECK",
		on("type", func(d *decoder, n *syntax.Node, c *C) {
			s, ok := d.str(n)
			if !ok {
				return
			}
			switch strings.ToUpper(s) {
			case "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA":
				c.DNS.Type = strings.ToUpper(s)
			default:
				d.errorf(n, "Unknown DNS check type %s - ignoring", s)
			}
		}),
		on("name", func(d *decoder, n *syntax.Node, c *C) { c.DNS.Name, _ = d.str(n) }),
	)
	out[CheckUDP] = commonChecker("virtual_server/real_server/UDP_CHECK",
		on("payload", func(d *decoder, n *syntax.Node, c *C) {
			b, _, ok := parseHexString(strings.Join(n.Args, " "), false)
			if !ok || len(n.Args) == 0 {
				d.errorf(n, "Invalid hex string for UDP_CHECK payload")
				return
			}
			c.UDP.Payload = b
		}),
		on("require_reply", func(d *decoder, n *syntax.Node, c *C) {
			c.UDP.RequireReply = true
			if len(n.Args) == 0 {
				return
			}
			b, mask, ok := parseHexString(strings.Join(n.Args, " "), true)
			if !ok {
				d.errorf(n, "Invalid hex string for UDP_CHECK reply")
				return
			}
			c.UDP.ReplyPattern, c.UDP.ReplyMask = b, mask
		}),
		on("min_reply_length", func(d *decoder, n *syntax.Node, c *C) {
			c.UDP.MinReplyLength, _ = d.integer(n, 0, 0, 65535)
		}),
		on("max_reply_length", func(d *decoder, n *syntax.Node, c *C) {
			if v, ok := d.integer(n, 0, 0, 65535); ok {
				c.UDP.MaxReplyLength = v
				d.markSet(c, "max_reply_length")
			}
		}),
	)
	misc := newBlock("virtual_server/real_server/MISC_CHECK", checkerTiming("retry", "delay_before_retry", "warmup", "delay_loop", "alpha")...)
	for _, k := range []*kwSpec{
		on("misc_path", func(d *decoder, n *syntax.Node, c *C) { c.Misc.Path = d.commandScript(n) }),
		on("misc_timeout", func(d *decoder, n *syntax.Node, c *C) {
			if t, ok := d.seconds(n, 0, 0.000001, 1<<31-1); ok {
				c.Misc.Timeout = t
			}
		}),
		on("misc_dynamic", func(d *decoder, n *syntax.Node, c *C) { c.Misc.Dynamic = true }),
		on("user", func(d *decoder, n *syntax.Node, c *C) {
			if !d.haveArgs(n, 1) {
				return
			}
			if c.Misc.Path == nil {
				d.errorf(n, "MISC_CHECK user given before misc_path")
				return
			}
			c.Misc.Path.User, c.Misc.Path.Group = splitUserGroup(n.Args)
		}),
	} {
		misc.add(k)
	}
	for _, k := range misc.order {
		k.owner("healthcheck")
	}
	out[CheckMisc] = misc
	out[CheckFile] = newBlock("virtual_server/real_server/FILE_CHECK",
		on("track_file", func(d *decoder, n *syntax.Node, c *C) { c.File.TrackFile, _ = d.str(n) }).owner("healthcheck"),
		on("weight", func(d *decoder, n *syntax.Node, c *C) {
			if !d.haveArgs(n, 1) {
				return
			}
			if w, rev, ok := d.weightArgs(n, 0, -254, 254); ok {
				c.File.Weight, c.File.Reverse, c.File.WeightSet = w, rev, true
			}
		}).owner("healthcheck"),
	)
	out[CheckBFD] = newBlock("virtual_server/real_server/BFD_CHECK",
		on("name", func(d *decoder, n *syntax.Node, c *C) {
			// Like tracked objects, the bfd_instance must come first.
			if d.haveArgs(n, 1) {
				s := n.Args[0]
				c.BFD.Name = s
				if findBFD(d.cfg, s) == nil {
					d.errorf(n, "BFD_CHECK - BFD %s not configured", s)
				}
			}
		}).owner("healthcheck"),
		on("alpha", func(d *decoder, n *syntax.Node, c *C) {
			if b, ok := d.boolean(n); ok {
				c.Alpha = b
				d.markSet(c, "alpha")
			}
		}).owner("healthcheck"),
	)
	return out
}

func urlBlock(path string) *blockSpec {
	type U = URLCheck
	b := newBlock(path,
		on("path", func(d *decoder, n *syntax.Node, u *U) { u.Path, _ = d.str(n) }),
		on("digest", func(d *decoder, n *syntax.Node, u *U) {
			s, ok := d.str(n)
			if !ok {
				return
			}
			if _, err := hex.DecodeString(s); err != nil || len(s) != 32 {
				d.errorf(n, "digest '%s' is not a valid MD5 hex string", s)
				return
			}
			u.Digest = strings.ToLower(s)
		}),
		on("status_code", func(d *decoder, n *syntax.Node, u *U) {
			for _, a := range n.Args {
				lo, hi, found := strings.Cut(a, "-")
				if !found {
					hi = lo
				}
				l, err1 := strconv.Atoi(lo)
				h, err2 := strconv.Atoi(hi)
				if err1 != nil || err2 != nil || l < 100 || h > 599 || l > h {
					d.errorf(n, "Invalid HTTP_GET status code '%s'", a)
					continue
				}
				u.StatusCodes = append(u.StatusCodes, StatusRange{Min: l, Max: h})
			}
		}),
		on("virtualhost", func(d *decoder, n *syntax.Node, u *U) { u.VirtualHost, _ = d.str(n) }),
		on("regex", func(d *decoder, n *syntax.Node, u *U) { u.Regex, _ = d.str(n) }),
		on("regex_no_match", func(d *decoder, n *syntax.Node, u *U) { u.RegexNoMatch = true }),
		on("regex_options", func(d *decoder, n *syntax.Node, u *U) { u.RegexOptions = append(u.RegexOptions, n.Args...) }),
		on("regex_stack", func(d *decoder, n *syntax.Node, u *U) {}),
		on("regex_min_offset", func(d *decoder, n *syntax.Node, u *U) { u.RegexMinOffset, _ = d.integer(n, 0, 0, 1<<31-1) }),
		on("regex_max_offset", func(d *decoder, n *syntax.Node, u *U) { u.RegexMaxOffset, _ = d.integer(n, 0, 0, 1<<31-1) }),
		on("tls_compliant", func(d *decoder, n *syntax.Node, u *U) {}),
	)
	for _, k := range b.order {
		k.owner("healthcheck")
	}
	return b
}

// parseHexString reads keepalived's free-format hex strings: whitespace
// separates groups, each group is read two digits at a time from the left
// and a last single digit is one byte ("Ab12f 3" is AB 12 0F 03). With
// wildcards, X or x stands for a nibble to ignore; mask has 0 there.
func parseHexString(s string, wildcards bool) (data, mask []byte, ok bool) {
	nibble := func(c byte) (v, m byte, ok bool) {
		switch {
		case c >= '0' && c <= '9':
			return c - '0', 0xf, true
		case c >= 'a' && c <= 'f':
			return c - 'a' + 10, 0xf, true
		case c >= 'A' && c <= 'F':
			return c - 'A' + 10, 0xf, true
		case wildcards && (c == 'x' || c == 'X'):
			return 0, 0, true
		}
		return 0, 0, false
	}
	for _, group := range strings.Fields(s) {
		for i := 0; i < len(group); i += 2 {
			pair := group[i:min(i+2, len(group))]
			if len(pair) == 1 {
				pair = "0" + pair
			}
			hi, hm, ok1 := nibble(pair[0])
			lo, lm, ok2 := nibble(pair[1])
			if !ok1 || !ok2 {
				return nil, nil, false
			}
			data = append(data, hi<<4|lo)
			mask = append(mask, hm<<4|lm)
		}
	}
	if n := len(data); n > 0 && data[n-1] == 0xff && mask[n-1] == 0xff {
		// keepalived 2.2.7 refuses a string whose last octet is ff: its
		// end-of-string test mistakes that value for its own marker of
		// an invalid character. alived refuses it too, so that a file
		// keepalived -t rejects is not accepted here.
		return nil, nil, false
	}
	if !wildcards {
		mask = nil
	}
	return data, mask, len(data) > 0
}

// vsgBlock documents virtual_server_group: its lines are addresses, not
// keywords, except fwmark.
func vsgBlock() *blockSpec {
	return newBlock("virtual_server_group",
		on("fwmark", func(*decoder, *syntax.Node, *VirtualServerGroup) {}).owner("ipvs"))
}

// decodeVSG reads the entries of a virtual_server_group.
func (d *decoder) decodeVSG(g *VirtualServerGroup, n *syntax.Node) {
	for _, c := range n.Children {
		if c.Keyword == "fwmark" {
			if !d.needArgs(c, 1) {
				continue
			}
			m, err := strconv.ParseUint(c.Args[0], 10, 32)
			if err != nil || m == 0 {
				d.errorf(c, "virtual server group %s: invalid fwmark '%s'", g.Name, c.Args[0])
				continue
			}
			e := &VSGEntry{FWMark: uint32(m), Family: "inet", Pos: c.Pos}
			if len(c.Args) > 1 && (c.Args[1] == "inet" || c.Args[1] == "inet6") {
				e.Family = c.Args[1]
			}
			g.Entries = append(g.Entries, e)
			continue
		}
		first, last, ok := parseRange(c.Keyword)
		if !ok {
			d.errorf(c, "virtual server group %s: invalid address range '%s'", g.Name, c.Keyword)
			continue
		}
		e := &VSGEntry{First: first, Last: last, Family: familyOf(first), Pos: c.Pos}
		if len(c.Args) > 0 {
			p, ok := d.port(c, c.Args[0])
			if !ok {
				continue
			}
			e.Port = p
		}
		g.Entries = append(g.Entries, e)
	}
}

// parseRange reads "A.B.C.D", "A.B.C.D-E", "A.B.C.D-E.F.G.H", "A.B.C.D/nn"
// and the IPv6 forms "X::Y-Z" (last group) and "X::Y/nn".
func parseRange(s string) (first, last netip.Addr, ok bool) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return first, last, false
		}
		p = p.Masked()
		first = p.Addr()
		last = lastInPrefix(p)
		return first, last, true
	}
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := netip.ParseAddr(lo)
	if err != nil {
		return first, last, false
	}
	a = a.Unmap()
	if !isRange {
		return a, a, true
	}
	if b, err := netip.ParseAddr(hi); err == nil {
		b = b.Unmap()
		return a, b, a.BitLen() == b.BitLen() && !b.Less(a)
	}
	// Only the last part changes: a byte for IPv4, a 16-bit group for IPv6.
	if a.Is4() {
		v, err := strconv.ParseUint(hi, 10, 8)
		if err != nil {
			return first, last, false
		}
		b4 := a.As4()
		b4[3] = byte(v)
		b := netip.AddrFrom4(b4)
		return a, b, !b.Less(a)
	}
	v, err := strconv.ParseUint(hi, 16, 16)
	if err != nil {
		return first, last, false
	}
	b16 := a.As16()
	b16[14], b16[15] = byte(v>>8), byte(v)
	b := netip.AddrFrom16(b16)
	return a, b, !b.Less(a)
}

func lastInPrefix(p netip.Prefix) netip.Addr {
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

func sslBlock() *blockSpec {
	type S = SSLConfig
	return newBlock("SSL",
		on("password", func(d *decoder, n *syntax.Node, s *S) { s.Password = d.optStr(n) }),
		on("ca", func(d *decoder, n *syntax.Node, s *S) { s.CA = d.optStr(n) }),
		on("certificate", func(d *decoder, n *syntax.Node, s *S) { s.Certificate = d.optStr(n) }),
		on("key", func(d *decoder, n *syntax.Node, s *S) { s.Key = d.optStr(n) }),
	)
}
