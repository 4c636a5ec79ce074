package config

import (
	"net/netip"
	"strconv"
	"strings"

	"github.com/alived/alived/config/syntax"
)

// rawGlobalKeywords are global_defs keywords keepalived accepts that have
// no typed field yet: process tuning, SNMP, firewall integration, dump
// files, netlink buffer sizes. They are kept verbatim in GlobalDefs.Other.
var rawGlobalKeywords = []string{
	"process_names", "process_name", "vrrp_process_name", "checker_process_name",
	"lvs_process_name", "bfd_process_name", "set_supplementary_groups",
	"min_auto_priority_delay", "disable_local_igmp", "vrrp_min_garp", "vrrp_garp_extra_if",
	"vrrp_ipsets", "nftables", "nftables_priority",
	"nftables_ifindex", "vrrp_priority", "vrrp_no_swap", "vrrp_rt_priority", "vrrp_cpu_affinity",
	"vrrp_rlimit_rttime", "vrrp_rlimit_rtime", "nftables_ipvs", "nftables_ipvs_priority",
	"nftables_ipvs_start_fwmark", "nftables_counters", "checker_priority", "checker_no_swap",
	"checker_rt_priority", "checker_cpu_affinity", "checker_rlimit_rttime", "checker_rlimit_rtime",
	"bfd_priority", "bfd_no_swap", "bfd_rt_priority", "bfd_cpu_affinity", "bfd_rlimit_rttime",
	"bfd_rlimit_rtime", "snmp_socket", "enable_snmp_vrrp", "enable_snmp_keepalived",
	"enable_snmp_rfc", "enable_snmp_rfcv2", "enable_snmp_rfcv3", "enable_snmp_checker",
	"snmp_vs_stats_update_interval", "snmp_rs_stats_update_interval", "dbus_service_name",
	"dbus_no_interface_name", "vrrp_netlink_cmd_rcv_bufs", "vrrp_netlink_cmd_rcv_bufs_force",
	"vrrp_netlink_monitor_rcv_bufs", "vrrp_netlink_monitor_rcv_bufs_force",
	"process_monitor_rcv_bufs", "process_monitor_rcv_bufs_force", "lvs_netlink_cmd_rcv_bufs",
	"lvs_netlink_cmd_rcv_bufs_force", "lvs_netlink_monitor_rcv_bufs",
	"lvs_netlink_monitor_rcv_bufs_force", "vrrp_rx_bufs_policy", "vrrp_rx_bufs_multiplier",
	"vrrp_delay_after_boot", "vmac_addr_prefix", "umask", "random_seed", "reload_time_file",
	"reload_repeat", "reload_file", "include_check", "config_save_dir", "tmp_config_directory",
	"data_use_instance", "json_version", "iproute_usr_dir", "iproute_etc_dir", "state_dump_file",
	"stats_dump_file", "json_dump_file",
}

// globalAliases maps legacy global keywords to their current names.
var globalAliases = map[string]string{
	"lvs_process_name": "checker_process_name", "vrrp_vmac_garp_intvl": "vrrp_garp_extra_if",
	"vrrp_rlimit_rtime": "vrrp_rlimit_rttime", "checker_rlimit_rtime": "checker_rlimit_rttime",
	"bfd_rlimit_rtime": "bfd_rlimit_rttime", "enable_snmp_keepalived": "enable_snmp_vrrp",
}

// flagField registers a keyword that is set by its presence; keepalived
// ignores anything after it.
func flagField[T any](name string, f func(*T) *bool) *kwSpec {
	return on(name, func(d *decoder, n *syntax.Node, t *T) {
		*f(t) = true
		d.markSet(t, name)
	})
}

func lvsFlushOnStop(d *decoder, n *syntax.Node, g *GlobalDefs) {
	g.LVSFlushOnStop = "all"
	if len(n.Args) == 0 {
		return
	}
	switch strings.ToUpper(n.Args[0]) {
	case "VS":
		g.LVSFlushOnStop = "VS"
	case "ALL":
	default:
		d.errorf(n, "Unknown lvs_flush_on_stop type %s", n.Args[0])
	}
}

// rawGlobalKinds says how keepalived checks the value of a keyword kept
// verbatim: "int" (decimal, or octal with a leading 0), "bool" (optional
// on/off), "cpus" (CPU list), "garp" ([all] SECS), "policy" (MTU, ADVERT
// or a size). Keywords not listed are not checked.
var rawGlobalKinds = map[string]string{
	"vrrp_priority": "int", "checker_priority": "int", "bfd_priority": "int",
	"vrrp_rt_priority": "int", "checker_rt_priority": "int", "bfd_rt_priority": "int",
	"vrrp_rlimit_rttime": "int", "checker_rlimit_rttime": "int", "bfd_rlimit_rttime": "int",
	"vrrp_rlimit_rtime": "int", "checker_rlimit_rtime": "int", "bfd_rlimit_rtime": "int",
	"vrrp_cpu_affinity": "cpus", "checker_cpu_affinity": "cpus", "bfd_cpu_affinity": "cpus",
	"nftables_priority": "int", "nftables_ipvs_priority": "int", "nftables_ipvs_start_fwmark": "int",
	"min_auto_priority_delay": "int", "vrrp_rx_bufs_multiplier": "int", "umask": "int", "random_seed": "int",
	"vrrp_netlink_cmd_rcv_bufs": "int", "vrrp_netlink_monitor_rcv_bufs": "int", "process_monitor_rcv_bufs": "int",
	"lvs_netlink_cmd_rcv_bufs": "int", "lvs_netlink_monitor_rcv_bufs": "int",
	"vrrp_netlink_cmd_rcv_bufs_force": "bool", "vrrp_netlink_monitor_rcv_bufs_force": "bool",
	"process_monitor_rcv_bufs_force": "bool", "lvs_netlink_cmd_rcv_bufs_force": "bool",
	"lvs_netlink_monitor_rcv_bufs_force": "bool", "data_use_instance": "bool", "vrrp_min_garp": "bool",
	"vrrp_garp_extra_if": "garp", "vrrp_rx_bufs_policy": "policy",
}

// rawNeedsParam are verbatim keywords whose missing argument aborts
// keepalived's load (exit 2); rawEmptyIsError are those where it is an
// ordinary error (exit 5). Found by running keepalived 2.2.7 -t.
var (
	rawNeedsParam = map[string]bool{
		"process_name": true, "vrrp_process_name": true, "checker_process_name": true,
		"lvs_process_name": true, "bfd_process_name": true, "nftables_priority": true,
		"vrrp_rlimit_rttime": true, "vrrp_rlimit_rtime": true, "checker_rlimit_rttime": true,
		"checker_rlimit_rtime": true, "bfd_rlimit_rttime": true, "bfd_rlimit_rtime": true,
		"nftables_ipvs_priority": true, "nftables_ipvs_start_fwmark": true, "vmac_addr_prefix": true,
		"umask": true, "random_seed": true, "config_save_dir": true,
	}
	rawEmptyIsError = map[string]bool{
		"vrrp_cpu_affinity": true, "checker_cpu_affinity": true, "bfd_cpu_affinity": true,
		"snmp_socket": true, "dbus_service_name": true, "reload_time_file": true, "tmp_config_directory": true,
	}
)

// checkRawGlobal validates a verbatim keyword's value; false means the
// keyword is dropped (keepalived ignores it after reporting).
func checkRawGlobal(d *decoder, n *syntax.Node) bool {
	isInt := func(s string) bool {
		_, err := strconv.ParseInt(s, 0, 64)
		return err == nil
	}
	bad := func() bool {
		d.errorf(n, "Invalid value '%s' for %s", strings.Join(n.Args, " "), n.Keyword)
		return false
	}
	if len(n.Args) == 0 {
		switch {
		case rawNeedsParam[n.Keyword]:
			return d.needArgs(n, 1)
		case rawEmptyIsError[n.Keyword]:
			return d.haveArgs(n, 1)
		}
	}
	switch rawGlobalKinds[n.Keyword] {
	case "int":
		if len(n.Args) == 0 || !isInt(n.Args[0]) {
			return bad()
		}
	case "bool":
		_, ok := d.boolean(n)
		return ok
	case "cpus":
		for _, a := range n.Args {
			for _, part := range strings.Split(a, ",") {
				lo, hi, _ := strings.Cut(part, "-")
				if !isInt(lo) || (hi != "" && !isInt(hi)) {
					return bad()
				}
			}
		}
	case "garp":
		args := n.Args
		if len(args) > 0 && args[0] == "all" {
			args = args[1:]
		}
		if len(args) == 0 || !isInt(args[0]) {
			return bad()
		}
	case "policy":
		if len(n.Args) == 0 {
			return bad()
		}
		switch strings.ToUpper(n.Args[0]) {
		case "MTU", "ADVERT":
		default:
			if !isInt(n.Args[0]) {
				return bad()
			}
		}
	}
	return true
}

// boolField registers a keyword that sets a bool (bare keyword = true).
func boolField[T any](name string, f func(*T) *bool) *kwSpec {
	return on(name, func(d *decoder, n *syntax.Node, t *T) {
		if b, ok := d.boolean(n); ok {
			*f(t) = b
			d.markSet(t, name)
		}
	})
}

func globalDefsBlock() *blockSpec {
	type G = GlobalDefs
	secs := func(name string, f func(*G) *timeDur, lo, hi float64) *kwSpec {
		return on(name, func(d *decoder, n *syntax.Node, g *G) {
			if t, ok := d.seconds(n, 0, lo, hi); ok {
				*f(g) = t
				d.markSet(g, name)
			}
		})
	}
	// keepalived's startup/shutdown timeouts report a missing value as an
	// ordinary error.
	scriptTimeout := func(name string, f func(*G) *timeDur) *kwSpec {
		return on(name, func(d *decoder, n *syntax.Node, g *G) {
			if !d.haveArgs(n, 1) {
				return
			}
			if t, ok := d.seconds(n, 0, 1, 1000); ok {
				*f(g) = t
				d.markSet(g, name)
			}
		})
	}
	count := func(name string, f func(*G) *int, lo, hi int64) *kwSpec {
		return on(name, func(d *decoder, n *syntax.Node, g *G) {
			if v, ok := d.integer(n, 0, lo, hi); ok {
				*f(g) = v
				d.markSet(g, name)
			}
		})
	}
	b := newBlock("global_defs",
		on("router_id", func(d *decoder, n *syntax.Node, g *G) {
			if len(n.Args) == 0 {
				d.errorf(n, "routerid name missing - ignoring")
				return
			}
			g.RouterID = n.Args[0]
		}),
		on("notification_email", func(d *decoder, n *syntax.Node, g *G) {
			if !d.wantBlock(n) {
				return
			}
			for _, c := range n.Children {
				g.NotificationEmail = append(g.NotificationEmail, c.Keyword)
				g.NotificationEmail = append(g.NotificationEmail, c.Args...)
			}
		}).owner("notify"),
		on("notification_email_from", func(d *decoder, n *syntax.Node, g *G) {
			if d.haveArgs(n, 1) {
				g.NotificationEmailFrom = n.Args[0]
			}
		}).owner("notify"),
		on("smtp_server", func(d *decoder, n *syntax.Node, g *G) {
			if !d.needArgs(n, 1) {
				return
			}
			g.SMTPServer = n.Args[0]
			if len(n.Args) > 1 {
				if p, ok := d.port(n, n.Args[1]); ok {
					g.SMTPPort = p
				}
			}
		}).owner("notify"),
		on("smtp_helo_name", func(d *decoder, n *syntax.Node, g *G) {
			if len(n.Args) > 0 {
				g.SMTPHeloName = n.Args[0]
			}
		}).owner("notify"),
		secs("smtp_connect_timeout", func(g *G) *timeDur { return &g.SMTPConnectTimeout }, 0, 1<<31-1).owner("notify"),
		boolField("smtp_alert", func(g *G) *bool { return &g.SMTPAlert }).owner("notify"),
		boolField("smtp_alert_vrrp", func(g *G) *bool { return &g.SMTPAlertVRRP }).owner("notify"),
		boolField("smtp_alert_checker", func(g *G) *bool { return &g.SMTPAlertChecker }).owner("notify"),
		flagField("no_email_faults", func(g *G) *bool { return &g.NoEmailFaults }).owner("notify"),
		boolField("checker_log_all_failures", func(g *G) *bool { return &g.CheckerLogAllFailures }),
		on("default_interface", func(d *decoder, n *syntax.Node, g *G) {
			if d.haveArgs(n, 1) {
				g.DefaultInterface = n.Args[0]
			}
		}),
		on("dynamic_interfaces", func(d *decoder, n *syntax.Node, g *G) {
			g.DynamicInterfaces = true
			if len(n.Args) > 0 {
				if n.Args[0] != "allow_if_changes" {
					d.errorf(n, "Unknown dynamic_interfaces option '%s'", n.Args[0])
					return
				}
				g.DynamicInterfacesAllow = true
			}
		}),
		on("vrrp_mcast_group4", func(d *decoder, n *syntax.Node, g *G) {
			if a, ok := d.addr(n, 0); ok {
				if !a.Is4() || !a.IsMulticast() {
					d.errorf(n, "vrrp_mcast_group4 '%s' is not an IPv4 multicast address", a)
					return
				}
				g.VRRPMcastGroup4 = a
			}
		}),
		on("vrrp_mcast_group6", func(d *decoder, n *syntax.Node, g *G) {
			if a, ok := d.addr(n, 0); ok {
				if !a.Is6() || !a.IsMulticast() {
					d.errorf(n, "vrrp_mcast_group6 '%s' is not an IPv6 multicast address", a)
					return
				}
				g.VRRPMcastGroup6 = a
			}
		}),
		count("vrrp_version", func(g *G) *int { return &g.VRRPVersion }, 2, 3),
		secs("vrrp_garp_master_delay", func(g *G) *timeDur { return &g.GARPMasterDelay }, 0, 86400),
		count("vrrp_garp_master_repeat", func(g *G) *int { return &g.GARPMasterRepeat }, 0, 1<<31-1),
		secs("vrrp_garp_master_refresh", func(g *G) *timeDur { return &g.GARPMasterRefresh }, 0, 86400*365),
		count("vrrp_garp_master_refresh_repeat", func(g *G) *int { return &g.GARPMasterRefreshRep }, 0, 1<<31-1),
		secs("vrrp_garp_lower_prio_delay", func(g *G) *timeDur { return &g.GARPLowerPrioDelay }, 0, 86400),
		count("vrrp_garp_lower_prio_repeat", func(g *G) *int { return &g.GARPLowerPrioRepeat }, 0, 1<<31-1),
		secs("vrrp_garp_interval", func(g *G) *timeDur { return &g.GARPInterval }, 0, 1),
		secs("vrrp_gna_interval", func(g *G) *timeDur { return &g.GNAInterval }, 0, 1),
		count("vrrp_down_timer_adverts", func(g *G) *int { return &g.DownTimerAdverts }, 1, 100),
		boolField("vrrp_lower_prio_no_advert", func(g *G) *bool { return &g.LowerPrioNoAdvert }),
		boolField("vrrp_higher_prio_send_advert", func(g *G) *bool { return &g.HigherPrioSendAdvert }),
		flagField("vrrp_check_unicast_src", func(g *G) *bool { return &g.CheckUnicastSrc }),
		flagField("vrrp_skip_check_adv_addr", func(g *G) *bool { return &g.SkipCheckAdvAddr }),
		flagField("vrrp_strict", func(g *G) *bool { return &g.Strict }),
		boolField("vrrp_owner_ignore_adverts", func(g *G) *bool { return &g.OwnerIgnoreAdverts }),
		boolField("vrrp_notify_priority_changes", func(g *G) *bool { return &g.NotifyPriorityChanges }),
		boolField("v3_checksum_as_v2", func(g *G) *bool { return &g.V3ChecksumAsV2 }),
		secs("vrrp_startup_delay", func(g *G) *timeDur { return &g.StartupDelay }, 0, 3600),
		flagField("log_unknown_vrids", func(g *G) *bool { return &g.LogUnknownVRIDs }),
		on("vmac_prefix", func(d *decoder, n *syntax.Node, g *G) { g.VMACPrefix, _ = d.str(n) }),
		on("max_auto_priority", func(d *decoder, n *syntax.Node, g *G) {
			// Without a value keepalived uses the highest realtime priority.
			if len(n.Args) == 0 {
				g.MaxAutoPriority = 99
				return
			}
			if v, ok := d.integer(n, 0, -1, 99); ok {
				g.MaxAutoPriority = v
			}
		}),
		on("script_user", func(d *decoder, n *syntax.Node, g *G) {
			if d.haveArgs(n, 1) {
				g.ScriptUser, g.ScriptGroup = splitUserGroup(n.Args)
				d.markSet(g, "script_user")
			}
		}).owner("notify"),
		flagField("enable_script_security", func(g *G) *bool { return &g.EnableScriptSecurity }).owner("notify"),
		boolField("use_symlink_paths", func(g *G) *bool { return &g.UseSymlinkPaths }),
		on("startup_script", func(d *decoder, n *syntax.Node, g *G) {
			if d.haveArgs(n, 1) {
				g.StartupScript = d.script(n)
			}
		}),
		scriptTimeout("startup_script_timeout", func(g *G) *timeDur { return &g.StartupScriptTimeout }),
		on("shutdown_script", func(d *decoder, n *syntax.Node, g *G) {
			if d.haveArgs(n, 1) {
				g.ShutdownScript = d.script(n)
			}
		}),
		scriptTimeout("shutdown_script_timeout", func(g *G) *timeDur { return &g.ShutdownScriptTimeout }),
		on("notify_fifo", func(d *decoder, n *syntax.Node, g *G) { g.NotifyFIFO = fifoPath(d, n, g.NotifyFIFO) }).owner("notify"),
		on("notify_fifo_script", func(d *decoder, n *syntax.Node, g *G) { g.NotifyFIFO = fifoScript(d, n, g.NotifyFIFO) }).owner("notify"),
		on("vrrp_notify_fifo", func(d *decoder, n *syntax.Node, g *G) { g.VRRPNotifyFIFO = fifoPath(d, n, g.VRRPNotifyFIFO) }).owner("notify"),
		on("vrrp_notify_fifo_script", func(d *decoder, n *syntax.Node, g *G) { g.VRRPNotifyFIFO = fifoScript(d, n, g.VRRPNotifyFIFO) }).owner("notify"),
		on("lvs_notify_fifo", func(d *decoder, n *syntax.Node, g *G) { g.LVSNotifyFIFO = fifoPath(d, n, g.LVSNotifyFIFO) }).owner("notify"),
		on("lvs_notify_fifo_script", func(d *decoder, n *syntax.Node, g *G) { g.LVSNotifyFIFO = fifoScript(d, n, g.LVSNotifyFIFO) }).owner("notify"),
		flagField("fifo_write_vrrp_states_on_reload", func(g *G) *bool { return &g.FIFOWriteStatesReload }),
		flagField("lvs_flush", func(g *G) *bool { return &g.LVSFlush }).owner("ipvs"),
		on("lvs_flush_on_stop", lvsFlushOnStop).owner("ipvs"),
		on("lvs_flush_onstop", lvsFlushOnStop).alias("lvs_flush_on_stop").owner("ipvs"),
		on("lvs_timeouts", func(d *decoder, n *syntax.Node, g *G) {
			if !d.haveArgs(n, 1) {
				return
			}
			for i := 0; i+1 < len(n.Args); i += 2 {
				t, ok := d.parseSeconds(n, n.Args[i+1], 0, 86400*31)
				if !ok {
					continue
				}
				switch n.Args[i] {
				case "tcp":
					g.LVSTimeouts.TCP = t
				case "tcpfin":
					g.LVSTimeouts.TCPFin = t
				case "udp":
					g.LVSTimeouts.UDP = t
				default:
					d.errorf(n, "Unknown option %s specified for lvs_timeouts", n.Args[i])
				}
			}
			if len(n.Args)%2 != 0 {
				d.errorf(n, "lvs_timeouts: %s needs a value", n.Args[len(n.Args)-1])
			}
		}).owner("ipvs"),
		on("lvs_sync_daemon", func(d *decoder, n *syntax.Node, g *G) { g.LVSSyncDaemon = decodeSyncDaemon(d, n) }).owner("ipvs"),
		boolField("rs_init_notifies", func(g *G) *bool { return &g.RSInitNotifies }),
		boolField("no_checker_emails", func(g *G) *bool { return &g.NoCheckerEmails }),
		flagField("enable_dbus", func(g *G) *bool { return &g.EnableDBus }),
		flagField("enable_traps", func(g *G) *bool { return &g.EnableTraps }),
		on("vrrp_vmac_garp_intvl", func(d *decoder, n *syntax.Node, g *G) {
			d.errorf(n, "Keyword \"vrrp_vmac_garp_intvl\" is deprecated - please use \"vrrp_garp_extra_if\"")
			g.Other = append(g.Other, raw(n))
		}).alias("vrrp_garp_extra_if"),
		on("vrrp_iptables", func(d *decoder, n *syntax.Node, g *G) {
			// Like keepalived built without iptables support (Debian's
			// 2.2.7): nftables is used instead and -t reports it.
			d.errorf(n, "iptables not supported, using nftables instead. Please replace 'vrrp_iptables and 'vrrp_ipsets' with 'nftables' config option")
			g.Other = append(g.Other, raw(n))
		}),
		on("reload_check_config", func(d *decoder, n *syntax.Node, g *G) {
			g.ReloadCheckConfigSet = true
			if len(n.Args) > 0 {
				g.ReloadCheckConfig = n.Args[0]
			}
		}),
	)
	for _, name := range rawGlobalKeywords {
		k := on(name, func(d *decoder, n *syntax.Node, g *G) {
			if checkRawGlobal(d, n) {
				g.Other = append(g.Other, raw(n))
			}
		})
		if a, ok := globalAliases[name]; ok {
			k.alias(a)
		}
		b.add(k)
	}
	return b
}

func fifoPath(d *decoder, n *syntax.Node, f *FIFO) *FIFO {
	if f == nil {
		f = &FIFO{}
	}
	if d.haveArgs(n, 1) {
		f.Path = n.Args[0]
		if len(n.Args) > 1 {
			// keepalived accepts "notify_fifo PATH [user [group]]" for the FIFO owner.
			_ = n.Args[1:]
		}
	}
	return f
}

func fifoScript(d *decoder, n *syntax.Node, f *FIFO) *FIFO {
	if f == nil {
		f = &FIFO{}
	}
	if !d.haveArgs(n, 1) {
		return f
	}
	f.Script = d.script(n)
	return f
}

func decodeSyncDaemon(d *decoder, n *syntax.Node) *LVSSyncDaemon {
	if !d.haveArgs(n, 1) {
		return nil
	}
	s := &LVSSyncDaemon{Interface: n.Args[0], Pos: n.Pos}
	args := n.Args[1:]
	if len(args) > 0 && !isSyncOption(args[0]) {
		s.Instance, args = args[0], args[1:]
	}
	for i := 0; i < len(args); i++ {
		opt := args[i]
		if i+1 >= len(args) {
			d.errorf(n, "lvs_sync_daemon: %s needs a value", opt)
			break
		}
		i++
		val := args[i]
		switch opt {
		case "id":
			s.SyncID, _ = d.parseInt(n, val, 0, 255)
		case "maxlen":
			s.MaxLen, _ = d.parseInt(n, val, 1, 65535-20-8)
		case "port":
			s.Port, _ = d.port(n, val)
		case "ttl":
			s.TTL, _ = d.parseInt(n, val, 1, 255)
		case "group":
			a, err := netip.ParseAddr(val)
			if err != nil || !a.IsMulticast() {
				d.errorf(n, "lvs_sync_daemon: invalid group %s", val)
				continue
			}
			s.Group = a
		default:
			d.errorf(n, "Unknown option %s for lvs_sync_daemon", opt)
		}
	}
	return s
}

func isSyncOption(s string) bool {
	switch s {
	case "id", "maxlen", "port", "ttl", "group":
		return true
	}
	return false
}

// blockOrNothing reports whether n has a block. keepalived ignores these
// keywords silently when they stand alone, but reports arguments without
// a block.
func blockOrNothing(d *decoder, n *syntax.Node) bool {
	if n.Block {
		return true
	}
	if len(n.Args) > 0 {
		d.errorf(n, "%s: expected a '{' block", n.Keyword)
	}
	return false
}

// rootBlock is the top level of keepalived.conf.
func rootBlock() *blockSpec {
	type C = Config
	global := globalDefsBlock()
	inst := vrrpInstanceBlock()
	script := vrrpScriptBlock()
	sync := syncGroupBlock()
	tfile := trackFileBlock("track_file")
	tproc := trackProcessBlock()
	bfd := bfdInstanceBlock()
	garp := garpGroupBlock()
	vsg := vsgBlock()
	vs := virtualServerBlock()
	ssl := sslBlock()

	// keepalived aborts (exit 2) on these blocks without a name.
	nameRequired := map[string]bool{"vrrp_script": true, "track_file": true, "vrrp_track_file": true,
		"virtual_server_group": true, "vrrp_track_process": true}
	named := func(n *syntax.Node, d *decoder, what string) (string, bool) {
		if len(n.Args) == 0 {
			if nameRequired[n.Keyword] {
				d.needArgs(n, 1)
			} else {
				d.errorf(n, "%s: missing name", what)
			}
			return "", false
		}
		if !d.wantBlock(n) {
			return "", false
		}
		return n.Args[0], true
	}
	trackFile := func(d *decoder, n *syntax.Node, c *C) {
		name, ok := named(n, d, n.Keyword)
		if !ok {
			return
		}
		f := &TrackFile{Name: name, Pos: n.Pos}
		d.walk(tfile, n.Children, f)
		c.TrackFiles = append(c.TrackFiles, f)
	}
	return newBlock("",
		on("global_defs", func(d *decoder, n *syntax.Node, c *C) {
			// keepalived silently ignores the keyword without a block.
			if !n.Block {
				return
			}
			if c.Global.Pos.Line == 0 {
				c.Global.Pos = n.Pos
			}
			d.walk(global, n.Children, &c.Global)
		}).block(global),
		on("vrrp_instance", func(d *decoder, n *syntax.Node, c *C) {
			name, ok := named(n, d, "vrrp_instance")
			if !ok {
				return
			}
			if d.instanceNames[name] {
				d.errorf(n, "vrrp instance %s already defined", name)
				return
			}
			d.instanceNames[name] = true
			v := &VRRPInstance{Name: name, Pos: n.Pos, Priority: -1}
			d.walk(inst, n.Children, v)
			c.Instances = append(c.Instances, v)
		}).block(inst).owner("vrrp"),
		on("vrrp_script", func(d *decoder, n *syntax.Node, c *C) {
			name, ok := named(n, d, "vrrp_script")
			if !ok {
				return
			}
			s := &VRRPScript{Name: name, Pos: n.Pos}
			d.walk(script, n.Children, s)
			c.Scripts = append(c.Scripts, s)
		}).block(script),
		on("vrrp_sync_group", func(d *decoder, n *syntax.Node, c *C) {
			name, ok := named(n, d, "vrrp_sync_group")
			if !ok {
				return
			}
			g := &SyncGroup{Name: name, Pos: n.Pos}
			d.walk(sync, n.Children, g)
			c.SyncGroups = append(c.SyncGroups, g)
		}).block(sync),
		on("track_file", trackFile).block(tfile),
		on("vrrp_track_file", trackFile).block(tfile).alias("track_file"),
		on("vrrp_track_process", func(d *decoder, n *syntax.Node, c *C) {
			name, ok := named(n, d, "vrrp_track_process")
			if !ok {
				return
			}
			p := &TrackProcess{Name: name, Pos: n.Pos}
			d.walk(tproc, n.Children, p)
			c.TrackProcesses = append(c.TrackProcesses, p)
		}).block(tproc),
		on("bfd_instance", func(d *decoder, n *syntax.Node, c *C) {
			name, ok := named(n, d, "bfd_instance")
			if !ok {
				return
			}
			b := &BFDInstance{Name: name, Pos: n.Pos}
			d.walk(bfd, n.Children, b)
			c.BFDInstances = append(c.BFDInstances, b)
		}).block(bfd),
		on("garp_group", func(d *decoder, n *syntax.Node, c *C) {
			if !d.wantBlock(n) {
				return
			}
			g := &GARPGroup{Pos: n.Pos}
			d.walk(garp, n.Children, g)
			c.GARPGroups = append(c.GARPGroups, g)
		}).block(garp),
		on("track_group", func(d *decoder, n *syntax.Node, c *C) {
			if len(n.Args) > 0 && !n.Block {
				return // keepalived ignores a track_group without a block
			}
			name, ok := named(n, d, "track_group")
			if !ok {
				return
			}
			g := &TrackGroup{Name: name, Pos: n.Pos}
			for _, ch := range n.Children {
				if ch.Keyword != "group" {
					d.errorf(ch, "Unknown keyword '%s'", ch.Keyword)
					continue
				}
				if !ch.Block {
					d.errorf(ch, "track_group %s: group needs a '{' block", g.Name)
					continue
				}
				for _, m := range ch.Children {
					g.Group = append(g.Group, m.Keyword)
				}
			}
			c.TrackGroups = append(c.TrackGroups, g)
		}).block(newBlock("track_group", on("group", func(*decoder, *syntax.Node, *TrackGroup) {}))),
		on("static_ipaddress", func(d *decoder, n *syntax.Node, c *C) {
			if blockOrNothing(d, n) {
				c.StaticAddresses = append(c.StaticAddresses, vipBlock(n, d)...)
			}
		}),
		on("static_routes", func(d *decoder, n *syntax.Node, c *C) {
			if blockOrNothing(d, n) {
				c.StaticRoutes = append(c.StaticRoutes, routeBlock(n, d)...)
			}
		}),
		on("static_rules", func(d *decoder, n *syntax.Node, c *C) {
			if blockOrNothing(d, n) {
				c.StaticRules = append(c.StaticRules, ruleBlock(n, d)...)
			}
		}),
		on("linkbeat_interfaces", func(d *decoder, n *syntax.Node, c *C) {
			if !blockOrNothing(d, n) {
				return
			}
			for _, ch := range n.Children {
				l := &LinkbeatInterface{Name: ch.Keyword, Pos: ch.Pos}
				if len(ch.Args) > 0 {
					l.Method = strings.ToUpper(ch.Args[0])
				}
				c.LinkbeatInterfaces = append(c.LinkbeatInterfaces, l)
			}
		}),
		on("interface_up_down_delays", func(d *decoder, n *syntax.Node, c *C) {
			if !blockOrNothing(d, n) {
				return
			}
			for _, ch := range n.Children {
				if !d.needArgs(ch, 1) {
					continue
				}
				dl := &InterfaceDelay{Name: ch.Keyword, Pos: ch.Pos}
				dl.Down, _ = d.seconds(ch, 0, 0, 255)
				if len(ch.Args) > 1 {
					dl.Up, _ = d.seconds(ch, 1, 0, 255)
				}
				c.InterfaceDelays = append(c.InterfaceDelays, dl)
			}
		}),
		on("net_namespace", func(d *decoder, n *syntax.Node, c *C) { c.Root.NetNamespace = d.optStr(n) }),
		on("net_namespace_ipvs", func(d *decoder, n *syntax.Node, c *C) {
			// Without a name: IPVS stays in the default namespace.
			if len(n.Args) > 0 {
				c.Root.NetNamespaceIPVS = n.Args[0]
			}
		}),
		on("namespace_with_ipsets", func(d *decoder, n *syntax.Node, c *C) { c.Root.NamespaceWithIPsets = true }),
		on("instance", func(d *decoder, n *syntax.Node, c *C) { c.Root.Instance = d.optStr(n) }),
		on("use_pid_dir", func(d *decoder, n *syntax.Node, c *C) { c.Root.UsePIDDir = true }),
		on("linkbeat_use_polling", func(d *decoder, n *syntax.Node, c *C) { c.Root.LinkbeatUsePolling = true }),
		on("child_wait_time", func(d *decoder, n *syntax.Node, c *C) {
			if t, ok := d.seconds(n, 0, 0, 1<<31-1); ok {
				c.Root.ChildWaitTime = t
				d.markSet(&c.Root, "child_wait_time")
			}
		}),
		on("virtual_server_group", func(d *decoder, n *syntax.Node, c *C) {
			name, ok := named(n, d, "virtual_server_group")
			if !ok {
				return
			}
			g := &VirtualServerGroup{Name: name, Pos: n.Pos}
			d.decodeVSG(g, n)
			c.VirtualServerGroups = append(c.VirtualServerGroups, g)
		}).block(vsg).owner("ipvs"),
		on("virtual_server", func(d *decoder, n *syntax.Node, c *C) {
			if v := d.decodeVirtualServer(vs, n); v != nil {
				c.VirtualServers = append(c.VirtualServers, v)
			}
		}).block(vs).owner("ipvs"),
		on("SSL", func(d *decoder, n *syntax.Node, c *C) {
			// keepalived silently ignores the keyword without a block.
			if !n.Block {
				return
			}
			if c.SSL == nil {
				c.SSL = &SSLConfig{Pos: n.Pos}
			}
			d.walk(ssl, n.Children, c.SSL)
		}).block(ssl).owner("healthcheck"),
	)
}
