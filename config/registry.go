package config

import (
	"sort"
	"strings"
	"sync"

	"github.com/alived/alived/config/syntax"
)

// Status says how far alived implements a keyword.
type Status int

// Keyword statuses, as shown in the README compatibility table.
const (
	// StatusParsed: accepted, validated and kept in the model; no
	// runtime part acts on it yet.
	StatusParsed Status = iota
	// StatusSupported: a runtime part acts on it.
	StatusSupported
	// StatusNotYet: recognised so that it is not reported as unknown, but
	// ignored with a warning.
	StatusNotYet
)

// String is the word used in the compatibility table.
func (s Status) String() string {
	switch s {
	case StatusSupported:
		return "supported"
	case StatusNotYet:
		return "not yet"
	}
	return "parsed"
}

// KeywordInfo describes one keyword of the registry.
type KeywordInfo struct {
	// Block is the slash-separated path of the enclosing block, "" for
	// the top level, e.g. "virtual_server/real_server/HTTP_GET/url".
	Block string
	// Name is the keyword as written in keepalived.conf.
	Name string
	// Status is how far alived implements it.
	Status Status
	// AliasOf names the preferred keyword when this one is a legacy alias.
	AliasOf string
	// NotIn227 is set for keywords that the reference binary (keepalived
	// 2.2.7 as packaged by Debian 12) reports as unknown: newer keywords
	// and features Debian does not compile in. alived accepts them, so a
	// file using them passes `alived -t` but not `keepalived -t`.
	NotIn227 bool
	// Owner is the runtime package expected to act on the keyword; later
	// work sets Status to StatusSupported when it does.
	Owner string
	// Note qualifies Status for operators: how support is partial, or
	// what the runtime does instead (warns, refuses the configuration).
	Note string
}

// handler decodes one keyword line into target (a pointer to the model
// object of the enclosing block).
type handler func(d *decoder, n *syntax.Node, target any)

// kwSpec is a keyword in a block specification.
type kwSpec struct {
	info KeywordInfo
	fn   handler
	// sub lists the keywords of the block the keyword opens, when the
	// registry knows them; it is used for documentation only, the handler
	// walks the children itself.
	sub *blockSpec
}

// blockSpec is the set of keywords one block accepts.
type blockSpec struct {
	path  string
	order []*kwSpec
	index map[string]*kwSpec
}

func newBlock(path string, kws ...*kwSpec) *blockSpec {
	b := &blockSpec{path: path, index: map[string]*kwSpec{}}
	for _, k := range kws {
		b.add(k)
	}
	return b
}

func (b *blockSpec) add(k *kwSpec) {
	k.info.Block = b.path
	k.info.NotIn227 = notIn227[b.path+" "+k.info.Name]
	if _, dup := b.index[k.info.Name]; dup {
		panic("config: keyword registered twice: " + b.path + "/" + k.info.Name)
	}
	b.order = append(b.order, k)
	b.index[k.info.Name] = k
}

func (b *blockSpec) lookup(name string) *kwSpec { return b.index[name] }

// on registers a keyword whose handler works on a *T target.
func on[T any](name string, fn func(d *decoder, n *syntax.Node, t *T)) *kwSpec {
	return &kwSpec{
		info: KeywordInfo{Name: name},
		fn: func(d *decoder, n *syntax.Node, t any) {
			fn(d, n, t.(*T))
		},
	}
}

// alias marks k as a legacy spelling of another keyword.
func (k *kwSpec) alias(of string) *kwSpec { k.info.AliasOf = of; return k }

// owner records which runtime package will act on the keyword.
func (k *kwSpec) owner(pkg string) *kwSpec { k.info.Owner = pkg; return k }

// status sets the implementation status.
func (k *kwSpec) status(s Status) *kwSpec { k.info.Status = s; return k }

// block attaches the keyword list of the block the keyword opens.
func (k *kwSpec) block(b *blockSpec) *kwSpec { k.sub = b; return k }

// registryOnce builds the keyword tables once; they are never modified
// afterwards.
var registryOnce = sync.OnceValue(buildRegistry)

// Keywords lists every keyword alived recognises, sorted by block and name.
func Keywords() []KeywordInfo {
	var out []KeywordInfo
	var walk func(b *blockSpec, path string)
	walk = func(b *blockSpec, path string) {
		for _, k := range b.order {
			info := k.info
			info.Block = path
			applyRuntimeStatus(&info)
			out = append(out, info)
			if k.sub != nil {
				sub := k.info.Name
				if path != "" {
					sub = path + "/" + sub
				}
				walk(k.sub, sub)
			}
		}
	}
	walk(registryOnce(), "")
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Block != out[j].Block {
			return blockLess(out[i].Block, out[j].Block)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// blockLess orders the top level first, then blocks alphabetically.
func blockLess(a, b string) bool {
	if a == "" || b == "" {
		return a == ""
	}
	return strings.ToLower(a) < strings.ToLower(b)
}

// notIn227 lists the keywords keepalived 2.2.7 (Debian 12 build) rejects
// as unknown, found by feeding every keyword of keepalived's current parser
// tables to `keepalived -t`.
var notIn227 = map[string]bool{
	"virtual_server/real_server/HTTP_GET sni_name":          true,
	"virtual_server/real_server/SSL_GET sni_name":           true,
	"virtual_server/real_server/HTTP_GET tls_compliant":     true,
	"virtual_server/real_server/SSL_GET tls_compliant":      true,
	"virtual_server/real_server/HTTP_GET/url tls_compliant": true,
	"virtual_server/real_server/SSL_GET/url tls_compliant":  true,
	"global_defs use_symlink_paths":                         true,
	"global_defs set_supplementary_groups":                  true,
	"global_defs v3_checksum_as_v2":                         true,
	"global_defs vrrp_ipsets":                               true,
	"global_defs snmp_vs_stats_update_interval":             true,
	"global_defs snmp_rs_stats_update_interval":             true,
	"global_defs dbus_no_interface_name":                    true,
	"global_defs vrrp_delay_after_boot":                     true,
	"global_defs vrrp_owner_ignore_adverts":                 true,
	"global_defs json_version":                              true,
	"global_defs iproute_usr_dir":                           true,
	"global_defs iproute_etc_dir":                           true,
	"global_defs state_dump_file":                           true,
	"global_defs stats_dump_file":                           true,
	"global_defs json_dump_file":                            true,
	"vrrp_instance no_virtual_ipaddress":                    true,
	"vrrp_instance v3_checksum_as_v2":                       true,
	"vrrp_instance timer_expired_backup":                    true,
	"vrrp_instance thread_timer_expired":                    true,
	"vrrp_instance owner_ignore_adverts":                    true,
	"vrrp_instance auth_hmac":                               true,
	"bfd_instance multihop":                                 true,
}

// runtimeEntry is the audited runtime status of one keyword.
type runtimeEntry struct {
	status Status
	note   string
}

// runtimeOnce holds the audit table; like the registry it is built once
// and never modified.
var runtimeOnce = sync.OnceValue(buildRuntimeStatus)

// applyRuntimeStatus sets info's Status and Note from the runtime audit.
// A keyword the decoder itself drops (registered StatusNotYet) keeps that
// status; an alias without an entry of its own shares its target's.
//
// The audit is kept here rather than in the decoder registrations because
// it describes the runtime packages (internal/daemon, internal/vrrpd,
// internal/bfdd, internal/lvs, ipvs, healthcheck, notify, cmd/alived), not
// the parser: "not yet" in it means
// the runtime warns and ignores, or refuses, while the decoder still
// accepts and keeps the value.
func applyRuntimeStatus(info *KeywordInfo) {
	if info.Status == StatusNotYet {
		return
	}
	rt := runtimeOnce()
	e, ok := rt[info.Block+" "+info.Name]
	if !ok && info.AliasOf != "" {
		e, ok = rt[info.Block+" "+info.AliasOf]
	}
	if ok {
		info.Status, info.Note = e.status, e.note
	}
}

// checkerCommon are the connection and timing keywords every network
// checker shares (healthcheck.Conn and healthcheck.Timing).
var checkerCommon = []string{"alpha", "bind_if", "bind_port", "bindto", "connect_ip", "connect_port",
	"connect_timeout", "delay_before_retry", "delay_loop", "fwmark", "retry", "warmup"}

// buildRuntimeStatus is the result of auditing, keyword by keyword, which
// model fields the runtime reads and acts on. Keys are "block keyword" as
// in KeywordInfo. A keyword that is absent stays "parsed": accepted,
// validated and kept, but nothing at run time changes because of it (a
// field that is only copied into dumps or snapshots does not count).
// Whoever makes the runtime act on a keyword adds it here and runs
// `go run ./config/internal/compatgen`.
func buildRuntimeStatus() map[string]runtimeEntry {
	m := map[string]runtimeEntry{}
	sup := func(block string, names ...string) {
		for _, n := range names {
			m[block+" "+n] = runtimeEntry{status: StatusSupported}
		}
	}
	set := func(block, name string, s Status, note string) {
		m[block+" "+name] = runtimeEntry{status: s, note: note}
	}
	const (
		top = ""
		gd  = "global_defs"
		vi  = "vrrp_instance"
		sg  = "vrrp_sync_group"
		vs  = "virtual_server"
		rs  = "virtual_server/real_server"
	)

	// Top-level blocks whose contents the runtime uses.
	sup(top, "global_defs", "vrrp_instance", "vrrp_sync_group", "vrrp_script", "track_file", "virtual_server",
		"virtual_server_group", "SSL")

	// global_defs: notify (scripts, FIFOs, SMTP), VRRP defaults that the
	// decoder copies into every instance, IPVS options, dump paths.
	sup(gd, "router_id", "notification_email", "notification_email_from", "smtp_server",
		"smtp_connect_timeout", "smtp_helo_name", "smtp_alert", "smtp_alert_vrrp", "smtp_alert_checker",
		"no_email_faults", "notify_fifo", "notify_fifo_script", "vrrp_notify_fifo",
		"vrrp_notify_fifo_script", "lvs_notify_fifo", "lvs_notify_fifo_script", "script_user",
		"enable_script_security", "default_interface", "vrrp_mcast_group4", "vrrp_mcast_group6",
		"vrrp_version", "vrrp_garp_master_delay", "vrrp_garp_master_repeat", "vrrp_garp_master_refresh",
		"vrrp_garp_master_refresh_repeat", "vrrp_garp_lower_prio_delay", "vrrp_garp_lower_prio_repeat",
		"vrrp_down_timer_adverts", "vrrp_lower_prio_no_advert", "vrrp_higher_prio_send_advert",
		"vrrp_check_unicast_src", "vrrp_skip_check_adv_addr", "vrrp_owner_ignore_adverts",
		"vrrp_notify_priority_changes", "v3_checksum_as_v2", "lvs_flush", "lvs_timeouts",
		"rs_init_notifies", "json_version")
	set(gd, "lvs_flush_on_stop", StatusSupported, "`VS` removes alived's own services, `ALL` every service")
	for _, k := range []string{"state_dump_file", "stats_dump_file", "json_dump_file"} {
		set(gd, k, StatusSupported, "read when the dump signal arrives")
	}
	set(gd, "lvs_sync_daemon", StatusSupported, "the kernel's sync daemon runs as master while the named VRRP instance is MASTER, as backup otherwise (not with -C: the VRRP side drives it)")
	set(gd, "vrrp_strict", StatusParsed, "only the parse-time checks (authentication dropped); no firewall rules")

	// Parsed keywords an operator is most likely to rely on: say plainly
	// that nothing happens, since the runtime does not warn about them.
	gap := func(block, name, note string) { set(block, name, StatusParsed, note) }
	gap(top, "net_namespace", "not applied: alived runs in the namespace it was started in")
	gap(top, "net_namespace_ipvs", "not applied: alived runs in the namespace it was started in")
	for _, k := range []string{"static_ipaddress", "static_routes", "static_rules"} {
		gap(top, k, "not installed")
	}
	gap(top, "vrrp_track_process", "processes are not tracked")
	// bfd_instance (bfd, bfd/netio, internal/bfdd, internal/vrrpd/bfd_vrrp.go): asynchronous
	// mode as keepalived runs it.
	set(top, "bfd_instance", StatusSupported, "asynchronous mode; no authentication, echo or demand mode (keepalived has none either)")
	sup("bfd_instance", "neighbor_ip", "source_ip", "min_rx", "min_tx", "idle_tx", "multiplier", "passive",
		"ttl", "max_hops", "weight", "vrrp", "checker")
	set("bfd_instance", "multihop", StatusSupported, "RFC 5883 port 4784; the TTL check is max_hops as for single hop")
	gap(gd, "startup_script", "not run")
	gap(gd, "shutdown_script", "not run")
	gap(gd, "vrrp_startup_delay", "instances start at once")
	gap(vi, "track_process", "not tracked")
	sup(vi, "track_bfd")
	gap(vi, "unicast_fault_no_peer", "without peers the instance uses multicast instead of going to FAULT")
	for _, k := range []string{"track_interface", "track_script", "track_file", "track_process", "track_bfd"} {
		gap(sg, k, "group-level tracking is not applied; track in the member instances")
	}

	// vrrp_instance (internal/vrrpd/vrrpconfig.go, routes.go, trackers.go).
	sup(vi, "state", "interface", "virtual_router_id", "priority", "advert_int", "version",
		"authentication", "virtual_ipaddress_excluded", "track_interface", "track_script", "track_file",
		"dont_track_primary", "mcast_src_ip", "unicast_src_ip", "mcast_dst_ip", "unicast_peer",
		"unicast_ttl", "check_unicast_src", "nopreempt", "preempt", "preempt_delay",
		"garp_master_delay", "garp_master_repeat", "garp_master_refresh", "garp_master_refresh_repeat",
		"garp_lower_prio_delay", "garp_lower_prio_repeat", "down_timer_adverts", "lower_prio_no_advert",
		"higher_prio_send_advert", "owner_ignore_adverts", "skip_check_adv_addr", "v3_checksum_as_v2",
		"notify", "notify_master", "notify_backup", "notify_fault", "notify_stop", "notify_deleted",
		"notify_master_rx_lower_pri", "notify_priority_changes", "smtp_alert")
	set(vi, "virtual_ipaddress", StatusSupported, "address options `mngtmpaddr`, `use_vmac` and `track_group` are not applied")
	set(vi, "virtual_routes", StatusSupported, "`track_group` is not applied")
	set(vi, "virtual_rules", StatusSupported, "table lookups only: a rule with an action (blackhole, goto, …) makes the daemon refuse the configuration")
	set(vi, "use_vmac", StatusNotYet, "the daemon refuses a configuration that uses it")
	set(vi, "accept", StatusParsed, "alived installs no firewall rules, so VIPs always accept traffic")
	set(vi, "no_accept", StatusParsed, "alived installs no firewall rules, so VIPs always accept traffic")
	set(vi, "strict_mode", StatusParsed, "only the parse-time checks (authentication dropped); no firewall rules")
	set(vi, "lvs_sync_daemon_interface", StatusParsed, "see global_defs `lvs_sync_daemon`")
	sup(vi+"/authentication", "auth_pass")
	set(vi+"/authentication", "auth_type", StatusSupported, "PASS; AH makes the daemon refuse the configuration")

	// vrrp_sync_group: members, notify scripts and mail; the decoder
	// applies the tracking-weight rule to the members' trackers.
	sup(sg, "group", "notify", "notify_master", "notify_backup", "notify_fault", "notify_stop",
		"smtp_alert", "sync_group_tracking_weight")

	// vrrp_script and track_file objects (internal/vrrpd/trackers.go).
	sup("vrrp_script", "script", "interval", "timeout", "weight", "rise", "fall", "init_fail", "user")
	for _, b := range []string{"track_file", "vrrp_track_file"} {
		sup(b, "weight")
		set(b, "file", StatusSupported, "watched with inotify: edits, renames over it and deletes apply at once")
		set(b, "init_file", StatusSupported, "applied before VRRP and FILE_CHECK read the file; overwrite only at start, not on reload")
	}

	// virtual_server (internal/lvs/plan.go, ipvs reconciler).
	sup(vs, "lvs_sched", "lvs_method", "protocol", "ip_family", "ops", "flag-1", "flag-2", "flag-3",
		"sh-fallback", "sh-port", "mh-fallback", "mh-port", "persistence_timeout",
		"persistence_granularity", "quorum", "hysteresis", "quorum_up", "quorum_down", "alpha", "omega",
		"inhibit_on_failure", "smtp_alert", "virtualhost", "delay_loop", "connect_timeout", "retry",
		"delay_before_retry", "warmup", "real_server", "sorry_server", "sorry_server_inhibit",
		"sorry_server_lvs_method")
	set(vs, "hashed", StatusParsed, "no effect on the kernel's service")
	set(vs, "ha_suspend", StatusNotYet, "warned about and ignored: checks run whatever the VRRP state")
	set(vs, "persistence_engine", StatusNotYet, "warned about and ignored")
	set("virtual_server_group", "fwmark", StatusSupported, "")

	// real_server and its checkers (internal/lvs/checks.go, healthcheck).
	sup(rs, "weight", "lvs_method", "uthreshold", "lthreshold", "inhibit_on_failure", "alpha", "retry",
		"delay_before_retry", "warmup", "connect_timeout", "delay_loop", "smtp_alert", "virtualhost",
		"notify_up", "notify_down", "HTTP_GET", "SSL_GET", "TCP_CHECK", "SMTP_CHECK", "DNS_CHECK",
		"MISC_CHECK", "UDP_CHECK", "PING_CHECK", "FILE_CHECK")
	set(rs, "BFD_CHECK", StatusSupported, "follows its bfd_instance's Up/Down events; up (down with alpha) until the session first reports")
	sup(rs+"/BFD_CHECK", "alpha", "name")
	for _, c := range []string{"HTTP_GET", "SSL_GET", "TCP_CHECK", "SMTP_CHECK", "SMTP_CHECK/host",
		"DNS_CHECK", "UDP_CHECK"} {
		sup(rs+"/"+c, checkerCommon...)
	}
	ping := rs + "/PING_CHECK"
	sup(ping, "alpha", "bindto", "connect_ip", "connect_timeout", "delay_before_retry", "delay_loop", "retry", "warmup")
	set(ping, "bind_if", StatusNotYet, "a PING_CHECK using it is dropped with a warning")
	set(ping, "fwmark", StatusNotYet, "a PING_CHECK using it is dropped with a warning")
	for _, c := range []string{"HTTP_GET", "SSL_GET"} {
		b := rs + "/" + c
		sup(b, "http_protocol", "virtualhost", "enable_sni", "sni_name", "url")
		u := b + "/url"
		sup(u, "path", "digest", "status_code", "virtualhost", "regex_no_match", "regex_min_offset", "regex_max_offset")
		set(u, "regex", StatusSupported, "RE2 syntax, not PCRE")
		set(u, "regex_options", StatusSupported, "caseless, multiline, dotall, ungreedy; options RE2 cannot honour drop the checker with a warning")
		set(u, "regex_stack", StatusParsed, "no effect: RE2 needs no match stack")
	}
	sup(rs+"/SMTP_CHECK", "helo_name", "host")
	sup(rs+"/DNS_CHECK", "type", "name")
	sup(rs+"/UDP_CHECK", "payload", "require_reply", "min_reply_length", "max_reply_length")
	sup(rs+"/MISC_CHECK", "alpha", "delay_before_retry", "delay_loop", "retry", "warmup", "misc_path",
		"misc_timeout", "misc_dynamic", "user")
	sup(rs+"/FILE_CHECK", "weight")
	set(rs+"/FILE_CHECK", "track_file", StatusSupported, "watched with inotify: a change is probed at once, delay_loop is only a safety net")

	// Per-checker log lines and mails (internal/lvs/checkwatch.go).
	set(gd, "no_checker_emails", StatusSupported, "only checker changes that take a real server out of or back into IPVS are mailed")
	sup(gd, "checker_log_all_failures")
	for _, c := range []string{"HTTP_GET", "SSL_GET", "TCP_CHECK", "SMTP_CHECK", "SMTP_CHECK/host",
		"DNS_CHECK", "UDP_CHECK", "PING_CHECK", "MISC_CHECK"} {
		sup(rs+"/"+c, "log_all_failures")
	}

	sup("SSL", "ca", "certificate", "key")
	set("SSL", "password", StatusNotYet, "encrypted keys are not supported: with a password every SSL_GET checker is dropped with a warning")
	return m
}
