package config

import (
	"net/netip"
	"strings"
	"time"

	"github.com/alived/alived/config/syntax"
)

// Keyword tables for the VRRP side: vrrp_instance, vrrp_sync_group,
// vrrp_script, track_file, vrrp_track_process and the address/route/rule
// blocks shared with static_*.

// decodeChildren decodes each line of a block with one, dropping the
// lines it rejects (it has already reported them).
func decodeChildren[T any](n *syntax.Node, one func(*syntax.Node) *T) []*T {
	var out []*T
	for _, c := range n.Children {
		if v := one(c); v != nil {
			out = append(out, v)
		}
	}
	return out
}

func vipBlock(n *syntax.Node, d *decoder) []*VirtualIP { return decodeChildren(n, d.decodeVIP) }

func routeBlock(n *syntax.Node, d *decoder) []*Route { return decodeChildren(n, d.decodeRoute) }

func ruleBlock(n *syntax.Node, d *decoder) []*Rule { return decodeChildren(n, d.decodeRule) }

// trackerBlock decodes a track_* block: each line is "NAME [weight N]
// [reverse|noreverse]".
func trackerBlock(d *decoder, n *syntax.Node, lo, hi int64) []*Tracker {
	var out []*Tracker
	if !d.wantBlock(n) {
		return nil
	}
	for _, c := range n.Children {
		t := &Tracker{Name: c.Keyword, Pos: c.Pos}
		args := c.Args
		for i := 0; i < len(args); i++ {
			switch args[i] {
			case "weight":
				if i+1 >= len(args) {
					d.errorf(c, "%s %s: weight needs a value", n.Keyword, c.Keyword)
					continue
				}
				i++
				if w, ok := d.parseInt(c, args[i], lo, hi); ok {
					t.Weight, t.WeightSet = w, true
				}
			case "reverse":
				t.Reverse = true
			case "noreverse":
				t.Reverse = false
			default:
				d.errorf(c, "%s %s: unknown option '%s'", n.Keyword, c.Keyword, args[i])
			}
		}
		out = append(out, t)
	}
	return out
}

// trackKeywords are the track_* keywords of instances and sync groups.
// keepalived resolves tracked names while parsing, so an object must be
// defined before the block that tracks it; the check is made here, against
// what has been decoded so far.
func trackKeywords[T any](get func(*T) *Trackers, owner func(*T) string) []*kwSpec {
	check := func(d *decoder, ts []*Tracker, t *T, what string, exists func(string) bool) []*Tracker {
		for _, tr := range ts {
			if !exists(tr.Name) {
				d.report(tr.Pos, syntax.Error, "(%s) track %s %s not found, ignoring...", owner(t), what, tr.Name)
			}
		}
		return ts
	}
	return []*kwSpec{
		on("track_interface", func(d *decoder, n *syntax.Node, t *T) {
			get(t).Interfaces = append(get(t).Interfaces, trackerBlock(d, n, -253, 253)...)
		}).owner("internal/vrrpd"),
		on("track_script", func(d *decoder, n *syntax.Node, t *T) {
			ts := check(d, trackerBlock(d, n, -253, 253), t, "script", func(s string) bool { return findScript(d.cfg, s) != nil })
			get(t).Scripts = append(get(t).Scripts, ts...)
		}).owner("internal/vrrpd"),
		on("track_file", func(d *decoder, n *syntax.Node, t *T) {
			ts := check(d, trackerBlock(d, n, -254, 254), t, "file", func(s string) bool { return findTrackFile(d.cfg, s) != nil })
			get(t).Files = append(get(t).Files, ts...)
		}).owner("internal/vrrpd"),
		on("track_process", func(d *decoder, n *syntax.Node, t *T) {
			ts := check(d, trackerBlock(d, n, -254, 254), t, "process", func(s string) bool { return findTrackProcess(d.cfg, s) != nil })
			get(t).Processes = append(get(t).Processes, ts...)
		}).owner("internal/vrrpd"),
		on("track_bfd", func(d *decoder, n *syntax.Node, t *T) {
			ts := check(d, trackerBlock(d, n, -253, 253), t, "bfd", func(s string) bool { return findBFD(d.cfg, s) != nil })
			get(t).BFDs = append(get(t).BFDs, ts...)
		}).owner("internal/vrrpd"),
	}
}

// notifyKeywords are the notify scripts of instances and sync groups.
func notifyKeywords[T any](get func(*T) *Notifies, withInstanceOnly bool) []*kwSpec {
	ks := []*kwSpec{
		on("notify_master", func(d *decoder, n *syntax.Node, t *T) { get(t).Master = d.script(n) }),
		on("notify_backup", func(d *decoder, n *syntax.Node, t *T) { get(t).Backup = d.script(n) }),
		on("notify_fault", func(d *decoder, n *syntax.Node, t *T) { get(t).Fault = d.script(n) }),
		on("notify_stop", func(d *decoder, n *syntax.Node, t *T) { get(t).Stop = d.script(n) }),
		on("notify", func(d *decoder, n *syntax.Node, t *T) { get(t).Any = d.script(n) }),
	}
	if withInstanceOnly {
		ks = append(ks,
			on("notify_deleted", func(d *decoder, n *syntax.Node, t *T) {
				if len(n.Args) == 0 {
					get(t).NotifyDeleted = true
					return
				}
				get(t).Deleted = d.script(n)
				get(t).NotifyDeleted = true
			}),
			on("notify_master_rx_lower_pri", func(d *decoder, n *syntax.Node, t *T) { get(t).MasterRxLowPri = d.script(n) }),
		)
	}
	for _, k := range ks {
		k.owner("notify")
	}
	return ks
}

func vrrpInstanceBlock() *blockSpec {
	type I = VRRPInstance
	auth := authBlock()
	b := newBlock("vrrp_instance",
		on("state", func(d *decoder, n *syntax.Node, v *I) {
			s, ok := d.str(n)
			if !ok {
				return
			}
			switch s {
			case "MASTER":
				v.State = StateMaster
			case "BACKUP":
				v.State = StateBackup
			default:
				d.errorf(n, "(%s) unknown state '%s', defaulting to BACKUP", v.Name, s)
				v.State = StateBackup
			}
			d.markSet(v, "state")
		}),
		on("interface", func(d *decoder, n *syntax.Node, v *I) {
			if s, ok := d.str(n); ok {
				v.Interface, v.InterfacePos = s, n.Pos
			}
		}),
		on("vrf", func(d *decoder, n *syntax.Node, v *I) { v.VRF, _ = d.str(n) }),
		on("virtual_router_id", func(d *decoder, n *syntax.Node, v *I) {
			if id, ok := d.integer(n, 0, 1, 255); ok {
				v.VRID = id
				return
			}
			if len(n.Args) > 0 {
				d.errorf(n, "(%s): VRID '%s' not valid - must be between 1 & 255", v.Name, n.Args[0])
			}
		}),
		on("priority", func(d *decoder, n *syntax.Node, v *I) {
			if p, ok := d.integer(n, 0, 1, 255); ok {
				v.Priority = p
				d.markSet(v, "priority")
				return
			}
			d.errorf(n, "(%s) Priority not valid! must be between 1 & 255. Using default 100", v.Name)
		}),
		on("advert_int", func(d *decoder, n *syntax.Node, v *I) {
			if t, ok := d.seconds(n, 0, 0.01, 255); ok {
				v.AdvertInterval = t
				return
			}
			if len(n.Args) > 0 {
				d.errorf(n, "(%s) Advert interval (%s) not valid! Must be > 0 - ignoring", v.Name, n.Args[0])
			}
		}),
		on("version", func(d *decoder, n *syntax.Node, v *I) {
			if ver, ok := d.integer(n, 0, 2, 3); ok {
				v.Version = ver
				d.markSet(v, "version")
				return
			}
			d.errorf(n, "(%s): Version must be either 2 or 3", v.Name)
		}),
		on("authentication", func(d *decoder, n *syntax.Node, v *I) {
			if !d.wantBlock(n) {
				return
			}
			a := &Auth{Pos: n.Pos}
			d.walk(auth, n.Children, a)
			v.Auth = a
		}).block(auth),
		on("auth_hmac", func(d *decoder, n *syntax.Node, v *I) {}).status(StatusNotYet).block(authHMACBlock()),
		on("virtual_ipaddress", func(d *decoder, n *syntax.Node, v *I) {
			if d.wantBlock(n) {
				v.VIPs = append(v.VIPs, vipBlock(n, d)...)
			}
		}).owner("vrrp"),
		on("virtual_ipaddress_excluded", func(d *decoder, n *syntax.Node, v *I) {
			if d.wantBlock(n) {
				v.ExcludedVIPs = append(v.ExcludedVIPs, vipBlock(n, d)...)
			}
		}).owner("vrrp"),
		on("no_virtual_ipaddress", func(d *decoder, n *syntax.Node, v *I) { v.NoVIPs = true }),
		on("virtual_routes", func(d *decoder, n *syntax.Node, v *I) {
			if d.wantBlock(n) {
				v.Routes = append(v.Routes, routeBlock(n, d)...)
			}
		}),
		on("virtual_rules", func(d *decoder, n *syntax.Node, v *I) {
			if d.wantBlock(n) {
				v.Rules = append(v.Rules, ruleBlock(n, d)...)
			}
		}),
		on("dont_track_primary", func(d *decoder, n *syntax.Node, v *I) { v.DontTrackPrimary = true }),
		on("track_src_ip", func(d *decoder, n *syntax.Node, v *I) { v.TrackSrcIP = true }),
		on("mcast_src_ip", func(d *decoder, n *syntax.Node, v *I) { v.McastSrcIP, _ = d.addr(n, 0) }),
		on("unicast_src_ip", func(d *decoder, n *syntax.Node, v *I) { v.UnicastSrcIP, _ = d.addr(n, 0) }),
		on("mcast_dst_ip", func(d *decoder, n *syntax.Node, v *I) { v.McastDstIP, _ = d.addr(n, 0) }),
		on("unicast_peer", func(d *decoder, n *syntax.Node, v *I) {
			if !d.wantBlock(n) {
				return
			}
			for _, c := range n.Children {
				a, err := netip.ParseAddr(c.Keyword)
				if err != nil {
					d.errorf(c, "(%s) unicast_peer: invalid IP address '%s' - ignoring", v.Name, c.Keyword)
					continue
				}
				p := &UnicastPeer{Addr: a.Unmap(), Pos: c.Pos}
				for i := 0; i+1 < len(c.Args); i += 2 {
					val, ok := d.parseInt(c, c.Args[i+1], 1, 255)
					if !ok {
						continue
					}
					switch c.Args[i] {
					case "min_ttl":
						p.MinTTL = val
					case "max_ttl":
						p.MaxTTL = val
					default:
						d.errorf(c, "(%s) unicast_peer: unknown option '%s'", v.Name, c.Args[i])
					}
				}
				v.UnicastPeers = append(v.UnicastPeers, p)
			}
		}),
		on("unicast_ttl", func(d *decoder, n *syntax.Node, v *I) {
			if t, ok := d.integer(n, 0, 1, 255); ok {
				v.UnicastTTL = t
			}
		}),
		on("check_unicast_src", func(d *decoder, n *syntax.Node, v *I) { v.CheckUnicastSrc = true }),
		on("unicast_fault_no_peer", func(d *decoder, n *syntax.Node, v *I) { v.UnicastFaultNoPeer = true }),
		on("old_unicast_checksum", rawInstance),
		on("native_ipv6", func(d *decoder, n *syntax.Node, v *I) {
			d.markSet(v, "native_ipv6")
			rawInstance(d, n, v)
		}),
		on("nopreempt", func(d *decoder, n *syntax.Node, v *I) { v.NoPreempt = true }),
		on("preempt", func(d *decoder, n *syntax.Node, v *I) { v.NoPreempt = false }),
		on("preempt_delay", func(d *decoder, n *syntax.Node, v *I) {
			if t, ok := d.seconds(n, 0, 0, 1000); ok {
				v.PreemptDelay = t
			}
		}),
		on("accept", func(d *decoder, n *syntax.Node, v *I) { v.Accept, v.AcceptSet = true, true }),
		on("no_accept", func(d *decoder, n *syntax.Node, v *I) { v.Accept, v.AcceptSet = false, true }),
		on("garp_master_delay", func(d *decoder, n *syntax.Node, v *I) {
			if t, ok := d.seconds(n, 0, 0, 86400); ok {
				v.GARPMasterDelay = t
				d.markSet(v, n.Keyword)
			}
		}),
		on("garp_master_repeat", func(d *decoder, n *syntax.Node, v *I) {
			if r, ok := d.integer(n, 0, 0, 1<<31-1); ok {
				v.GARPMasterRepeat = r
				d.markSet(v, n.Keyword)
			}
		}),
		on("garp_master_refresh", func(d *decoder, n *syntax.Node, v *I) {
			if t, ok := d.seconds(n, 0, 0, 86400*365); ok {
				v.GARPMasterRefresh = t
				d.markSet(v, n.Keyword)
			}
		}),
		on("garp_master_refresh_repeat", func(d *decoder, n *syntax.Node, v *I) {
			if r, ok := d.integer(n, 0, 0, 1<<31-1); ok {
				v.GARPMasterRefreshRep = r
				d.markSet(v, n.Keyword)
			}
		}),
		on("garp_lower_prio_delay", func(d *decoder, n *syntax.Node, v *I) {
			if t, ok := d.seconds(n, 0, 0, 86400); ok {
				v.GARPLowerPrioDelay = t
				d.markSet(v, n.Keyword)
			}
		}),
		on("garp_lower_prio_repeat", func(d *decoder, n *syntax.Node, v *I) {
			if r, ok := d.integer(n, 0, 0, 1<<31-1); ok {
				v.GARPLowerPrioRepeat = r
				d.markSet(v, n.Keyword)
			}
		}),
		on("down_timer_adverts", func(d *decoder, n *syntax.Node, v *I) {
			if r, ok := d.integer(n, 0, 1, 100); ok {
				v.DownTimerAdverts = r
				d.markSet(v, n.Keyword)
			}
		}),
		on("lower_prio_no_advert", func(d *decoder, n *syntax.Node, v *I) {
			if b, ok := d.boolean(n); ok {
				v.LowerPrioNoAdvert = b
				d.markSet(v, n.Keyword)
			}
		}),
		on("higher_prio_send_advert", func(d *decoder, n *syntax.Node, v *I) {
			if b, ok := d.boolean(n); ok {
				v.HigherPrioSendAdvert = b
				d.markSet(v, n.Keyword)
			}
		}),
		on("owner_ignore_adverts", func(d *decoder, n *syntax.Node, v *I) { v.OwnerIgnoreAdverts = true }),
		on("skip_check_adv_addr", func(d *decoder, n *syntax.Node, v *I) {
			if b, ok := d.boolean(n); ok {
				v.SkipCheckAdvAddr = b
			}
		}),
		on("strict_mode", func(d *decoder, n *syntax.Node, v *I) {
			if b, ok := d.boolean(n); ok {
				v.Strict = b
				d.markSet(v, n.Keyword)
			}
		}),
		on("v3_checksum_as_v2", func(d *decoder, n *syntax.Node, v *I) {
			if b, ok := d.boolean(n); ok {
				v.V3ChecksumAsV2 = b
			}
		}),
		on("promote_secondaries", func(d *decoder, n *syntax.Node, v *I) { v.PromoteSecondaries = true }),
		on("use_vmac", func(d *decoder, n *syntax.Node, v *I) {
			m := &VMAC{}
			for _, a := range n.Args {
				if strings.Count(a, ":") == 5 {
					m.MAC = a
				} else if m.Name == "" {
					m.Name = a
				}
			}
			v.UseVMAC = m
		}),
		on("use_vmac_addr", rawInstance),
		on("vmac_xmit_base", rawInstance),
		on("use_ipvlan", func(d *decoder, n *syntax.Node, v *I) {
			d.markSet(v, "use_ipvlan")
			rawInstance(d, n, v)
		}),
		on("linkbeat_use_polling", func(d *decoder, n *syntax.Node, v *I) {
			d.errorf(n, "(%s) 'linkbeat_use_polling' in vrrp instance deprecated - use linkbeat_interfaces block", v.Name)
			rawInstance(d, n, v)
		}),
		on("kernel_rx_buf_size", rawInstance),
		on("debug", func(d *decoder, n *syntax.Node, v *I) {
			if d.needArgs(n, 1) {
				rawInstance(d, n, v)
			}
		}),
		on("timer_expired_backup", rawInstance),
		on("thread_timer_expired", rawInstance).alias("timer_expired_backup"),
		on("garp_extra_if", rawInstance),
		on("vmac_garp_intvl", func(d *decoder, n *syntax.Node, v *I) {
			d.errorf(n, "Keyword \"vmac_garp_intvl\" is deprecated - please use \"garp_extra_if\"")
			rawInstance(d, n, v)
		}).alias("garp_extra_if"),
		on("smtp_alert", func(d *decoder, n *syntax.Node, v *I) {
			if b, ok := d.boolean(n); ok {
				v.SMTPAlert = b
				d.markSet(v, n.Keyword)
			}
		}).owner("notify"),
		on("notify_priority_changes", func(d *decoder, n *syntax.Node, v *I) {
			if b, ok := d.boolean(n); ok {
				v.NotifyPriorityChanges = b
				d.markSet(v, n.Keyword)
			}
		}).owner("notify"),
		on("lvs_sync_daemon_interface", func(d *decoder, n *syntax.Node, v *I) {
			v.LVSSyncDaemonInterface, _ = d.str(n)
			d.errorf(n, "(%s) Specifying lvs_sync_daemon_interface against a vrrp is deprecated. Please use global lvs_sync_daemon", v.Name)
		}),
	)
	for _, k := range trackKeywords(func(v *I) *Trackers { return &v.Track }, func(v *I) string { return v.Name }) {
		b.add(k)
	}
	for _, k := range notifyKeywords(func(v *I) *Notifies { return &v.Notify }, true) {
		b.add(k)
	}
	return b
}

func rawInstance(d *decoder, n *syntax.Node, v *VRRPInstance) {
	v.Other = append(v.Other, raw(n))
}

func authBlock() *blockSpec {
	return newBlock("vrrp_instance/authentication",
		on("auth_type", func(d *decoder, n *syntax.Node, a *Auth) {
			s, ok := d.str(n)
			if !ok {
				return
			}
			switch s {
			case "PASS", "AH":
				a.Type = s
			default:
				d.errorf(n, "unknown authentication type '%s'", s)
			}
		}),
		on("auth_pass", func(d *decoder, n *syntax.Node, a *Auth) {
			s, ok := d.str(n)
			if !ok {
				return
			}
			if len(s) > 8 {
				d.errorf(n, "Truncating auth_pass to 8 characters")
				s = s[:8]
			}
			a.Pass = s
		}),
	)
}

// authHMACBlock lists keepalived 2.4's auth_hmac keywords for the
// compatibility table; alived does not implement them yet.
func authHMACBlock() *blockSpec {
	b := newBlock("vrrp_instance/auth_hmac")
	for _, name := range []string{"key", "active_key", "time_window", "anti_replay", "mode"} {
		b.add(on(name, func(*decoder, *syntax.Node, *VRRPInstance) {}).status(StatusNotYet))
	}
	return b
}

func vrrpScriptBlock() *blockSpec {
	type S = VRRPScript
	return newBlock("vrrp_script",
		on("script", func(d *decoder, n *syntax.Node, s *S) { s.Script = d.commandScript(n) }),
		on("interval", func(d *decoder, n *syntax.Node, s *S) {
			if t, ok := d.seconds(n, 0, 0.000001, 1<<31-1); ok {
				s.Interval = t
			}
		}),
		on("timeout", func(d *decoder, n *syntax.Node, s *S) {
			if t, ok := d.seconds(n, 0, 0.000001, 1<<31-1); ok {
				s.Timeout = t
				d.markSet(s, "timeout")
			}
		}),
		on("weight", func(d *decoder, n *syntax.Node, s *S) {
			if w, rev, ok := d.weightArgs(n, 0, -253, 253); ok {
				s.Weight, s.Reverse = w, rev
			}
		}),
		on("rise", func(d *decoder, n *syntax.Node, s *S) {
			if r, ok := d.integer(n, 0, 1, 1<<31-1); ok {
				s.Rise = r
			}
		}),
		on("fall", func(d *decoder, n *syntax.Node, s *S) {
			if r, ok := d.integer(n, 0, 1, 1<<31-1); ok {
				s.Fall = r
			}
		}),
		on("user", func(d *decoder, n *syntax.Node, s *S) {
			if !d.needArgs(n, 1) || s.Script == nil {
				if s.Script == nil {
					d.errorf(n, "vrrp_script %s: user given before script", s.Name)
				}
				return
			}
			s.Script.User, s.Script.Group = splitUserGroup(n.Args)
		}),
		on("init_fail", func(d *decoder, n *syntax.Node, s *S) { s.InitFail = true }),
	)
}

func trackFileBlock(path string) *blockSpec {
	type F = TrackFile
	return newBlock(path,
		on("file", func(d *decoder, n *syntax.Node, f *F) { f.File = d.optStr(n) }),
		on("weight", func(d *decoder, n *syntax.Node, f *F) {
			if !d.haveArgs(n, 1) {
				return
			}
			if w, rev, ok := d.weightArgs(n, 0, -254, 254); ok {
				f.Weight, f.Reverse = w, rev
				d.markSet(f, "weight")
			}
		}),
		on("init_file", func(d *decoder, n *syntax.Node, f *F) {
			f.InitFile = true
			for _, a := range n.Args {
				if a == "overwrite" {
					f.InitOverwrite = true
					continue
				}
				if v, ok := d.parseInt(n, a, -1<<31, 1<<31-1); ok {
					f.InitValue = v
				}
			}
		}),
	)
}

func trackProcessBlock() *blockSpec {
	type P = TrackProcess
	return newBlock("vrrp_track_process",
		on("process", func(d *decoder, n *syntax.Node, p *P) {
			if d.needArgs(n, 1) {
				p.Process, p.Params = n.Args[0], append([]string(nil), n.Args[1:]...)
			}
		}),
		on("param_match", func(d *decoder, n *syntax.Node, p *P) {
			s, ok := d.optStr(n), len(n.Args) > 0
			if ok && s != "initial" && s != "partial" {
				d.errorf(n, "Invalid param_match '%s'", s)
				return
			}
			p.ParamMatch = s
		}),
		on("weight", func(d *decoder, n *syntax.Node, p *P) {
			if !d.haveArgs(n, 1) {
				return
			}
			if w, rev, ok := d.weightArgs(n, 0, -254, 254); ok {
				p.Weight, p.Reverse = w, rev
			}
		}),
		on("quorum", func(d *decoder, n *syntax.Node, p *P) {
			if q, ok := d.integer(n, 0, 1, 1<<31-1); ok {
				p.Quorum = q
			}
		}),
		on("quorum_max", func(d *decoder, n *syntax.Node, p *P) {
			if q, ok := d.integer(n, 0, 1, 1<<31-1); ok {
				p.QuorumMax = q
			}
		}),
		on("delay", func(d *decoder, n *syntax.Node, p *P) { p.Delay = d.secondsOr(n, p.Delay) }),
		on("terminate_delay", func(d *decoder, n *syntax.Node, p *P) { p.TerminateDelay = d.secondsOr(n, p.TerminateDelay) }),
		on("fork_delay", func(d *decoder, n *syntax.Node, p *P) { p.ForkDelay = d.secondsOr(n, p.ForkDelay) }),
		on("full_command", func(d *decoder, n *syntax.Node, p *P) { p.FullCommand = true }),
	)
}

// secondsOr parses a non-negative time, keeping old on error.
func (d *decoder) secondsOr(n *syntax.Node, old time.Duration) time.Duration {
	if t, ok := d.seconds(n, 0, 0, 1<<31-1); ok {
		return t
	}
	return old
}

func syncGroupBlock() *blockSpec {
	type G = SyncGroup
	b := newBlock("vrrp_sync_group",
		on("group", func(d *decoder, n *syntax.Node, g *G) {
			if !d.wantBlock(n) {
				return
			}
			for _, c := range n.Children {
				g.Group = append(g.Group, c.Keyword)
				g.Group = append(g.Group, c.Args...)
			}
		}),
		on("smtp_alert", func(d *decoder, n *syntax.Node, g *G) {
			if b, ok := d.boolean(n); ok {
				g.SMTPAlert = b
			}
		}),
		on("notify_priority_changes", func(d *decoder, n *syntax.Node, g *G) {
			if b, ok := d.boolean(n); ok {
				g.NotifyPriorityChanges = b
			}
		}),
		on("sync_group_tracking_weight", func(d *decoder, n *syntax.Node, g *G) { g.TrackingWeight = true }),
		on("global_tracking", func(d *decoder, n *syntax.Node, g *G) {
			d.errorf(n, "(%s) global_tracking is deprecated. Use track_interface/script/file on the sync group", g.Name)
			g.TrackingWeight = true
		}).alias("sync_group_tracking_weight"),
	)
	for _, k := range trackKeywords(func(g *G) *Trackers { return &g.Track }, func(g *G) string { return g.Name }) {
		b.add(k)
	}
	for _, k := range notifyKeywords(func(g *G) *Notifies { return &g.Notify }, false) {
		b.add(k)
	}
	return b
}
