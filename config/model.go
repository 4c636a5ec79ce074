package config

import (
	"net/netip"
	"time"

	"github.com/alived/alived/config/syntax"
)

// Config is a whole keepalived.conf after includes, macros, defaults and
// inheritance have been applied. Slices keep the order of the source file.
type Config struct {
	Global GlobalDefs `json:"global_defs"`
	// Root holds the few keywords keepalived accepts outside global_defs.
	Root RootSettings `json:"root"`

	Scripts         []*VRRPScript   `json:"vrrp_scripts,omitempty"`
	TrackFiles      []*TrackFile    `json:"track_files,omitempty"`
	TrackProcesses  []*TrackProcess `json:"track_processes,omitempty"`
	BFDInstances    []*BFDInstance  `json:"bfd_instances,omitempty"`
	GARPGroups      []*GARPGroup    `json:"garp_groups,omitempty"`
	TrackGroups     []*TrackGroup   `json:"track_groups,omitempty"`
	SyncGroups      []*SyncGroup    `json:"vrrp_sync_groups,omitempty"`
	Instances       []*VRRPInstance `json:"vrrp_instances,omitempty"`
	StaticAddresses []*VirtualIP    `json:"static_ipaddress,omitempty"`
	StaticRoutes    []*Route        `json:"static_routes,omitempty"`
	StaticRules     []*Rule         `json:"static_rules,omitempty"`
	// LinkbeatInterfaces and InterfaceDelays are parsed for completeness.
	LinkbeatInterfaces []*LinkbeatInterface `json:"linkbeat_interfaces,omitempty"`
	InterfaceDelays    []*InterfaceDelay    `json:"interface_up_down_delays,omitempty"`

	VirtualServerGroups []*VirtualServerGroup `json:"virtual_server_groups,omitempty"`
	VirtualServers      []*VirtualServer      `json:"virtual_servers,omitempty"`
	SSL                 *SSLConfig            `json:"ssl,omitempty"`
}

// RootSettings are keywords that keepalived accepts at the top level.
type RootSettings struct {
	NetNamespace        string        `json:"net_namespace,omitempty"`
	NetNamespaceIPVS    string        `json:"net_namespace_ipvs,omitempty"`
	NamespaceWithIPsets bool          `json:"namespace_with_ipsets,omitempty"`
	Instance            string        `json:"instance,omitempty"`
	UsePIDDir           bool          `json:"use_pid_dir,omitempty"`
	LinkbeatUsePolling  bool          `json:"linkbeat_use_polling,omitempty"`
	ChildWaitTime       time.Duration `json:"child_wait_time"`
}

// Script is a command keepalived runs: a notify script, a vrrp_script, a
// MISC_CHECK path or a quorum script. Args is the command split the way
// keepalived splits it (quotes and escapes applied); User and Group are
// the optional "user [group]" that follows the command, empty when the
// global script_user applies.
type Script struct {
	Cmd   string     `json:"cmd"`
	Args  []string   `json:"args"`
	User  string     `json:"user,omitempty"`
	Group string     `json:"group,omitempty"`
	Pos   syntax.Pos `json:"-"`
	// Disabled is set by Check when keepalived's script security would
	// not run the script (not found, insecure under
	// enable_script_security, unknown user). Every runtime conversion of a
	// script honours it, so the rules are applied in one place.
	Disabled bool `json:"-"`
}

// GlobalDefs is the global_defs block with keepalived's defaults applied.
// Keywords the runtime has no use for yet are kept in Other so that they
// survive a dump and a rewrite.
type GlobalDefs struct {
	Pos syntax.Pos `json:"-"`

	RouterID               string        `json:"router_id"`
	NotificationEmail      []string      `json:"notification_email,omitempty"`
	NotificationEmailFrom  string        `json:"notification_email_from,omitempty"`
	SMTPServer             string        `json:"smtp_server,omitempty"`
	SMTPPort               uint16        `json:"smtp_port"`
	SMTPHeloName           string        `json:"smtp_helo_name,omitempty"`
	SMTPConnectTimeout     time.Duration `json:"smtp_connect_timeout"`
	SMTPAlert              bool          `json:"smtp_alert"`
	SMTPAlertVRRP          bool          `json:"smtp_alert_vrrp"`
	SMTPAlertChecker       bool          `json:"smtp_alert_checker"`
	NoEmailFaults          bool          `json:"no_email_faults"`
	CheckerLogAllFailures  bool          `json:"checker_log_all_failures"`
	DefaultInterface       string        `json:"default_interface"`
	DynamicInterfaces      bool          `json:"dynamic_interfaces"`
	DynamicInterfacesAllow bool          `json:"dynamic_interfaces_allow_if_changes,omitempty"`

	VRRPMcastGroup4       netip.Addr     `json:"vrrp_mcast_group4"`
	VRRPMcastGroup6       netip.Addr     `json:"vrrp_mcast_group6"`
	VRRPVersion           int            `json:"vrrp_version"`
	GARPMasterDelay       time.Duration  `json:"vrrp_garp_master_delay"`
	GARPMasterRepeat      int            `json:"vrrp_garp_master_repeat"`
	GARPMasterRefresh     time.Duration  `json:"vrrp_garp_master_refresh"`
	GARPMasterRefreshRep  int            `json:"vrrp_garp_master_refresh_repeat"`
	GARPLowerPrioDelay    time.Duration  `json:"vrrp_garp_lower_prio_delay"`
	GARPLowerPrioRepeat   int            `json:"vrrp_garp_lower_prio_repeat"`
	GARPInterval          time.Duration  `json:"vrrp_garp_interval"`
	GNAInterval           time.Duration  `json:"vrrp_gna_interval"`
	DownTimerAdverts      int            `json:"vrrp_down_timer_adverts"`
	LowerPrioNoAdvert     bool           `json:"vrrp_lower_prio_no_advert"`
	HigherPrioSendAdvert  bool           `json:"vrrp_higher_prio_send_advert"`
	CheckUnicastSrc       bool           `json:"vrrp_check_unicast_src"`
	SkipCheckAdvAddr      bool           `json:"vrrp_skip_check_adv_addr"`
	Strict                bool           `json:"vrrp_strict"`
	OwnerIgnoreAdverts    bool           `json:"vrrp_owner_ignore_adverts"`
	NotifyPriorityChanges bool           `json:"vrrp_notify_priority_changes"`
	V3ChecksumAsV2        bool           `json:"v3_checksum_as_v2"`
	StartupDelay          time.Duration  `json:"vrrp_startup_delay"`
	LogUnknownVRIDs       bool           `json:"log_unknown_vrids"`
	VMACPrefix            string         `json:"vmac_prefix"`
	MaxAutoPriority       int            `json:"max_auto_priority,omitempty"`
	ScriptUser            string         `json:"script_user,omitempty"`
	ScriptGroup           string         `json:"script_group,omitempty"`
	EnableScriptSecurity  bool           `json:"enable_script_security"`
	UseSymlinkPaths       bool           `json:"use_symlink_paths"`
	StartupScript         *Script        `json:"startup_script,omitempty"`
	StartupScriptTimeout  time.Duration  `json:"startup_script_timeout"`
	ShutdownScript        *Script        `json:"shutdown_script,omitempty"`
	ShutdownScriptTimeout time.Duration  `json:"shutdown_script_timeout"`
	NotifyFIFO            *FIFO          `json:"notify_fifo,omitempty"`
	VRRPNotifyFIFO        *FIFO          `json:"vrrp_notify_fifo,omitempty"`
	LVSNotifyFIFO         *FIFO          `json:"lvs_notify_fifo,omitempty"`
	FIFOWriteStatesReload bool           `json:"fifo_write_vrrp_states_on_reload"`
	LVSFlush              bool           `json:"lvs_flush"`
	LVSFlushOnStop        string         `json:"lvs_flush_on_stop,omitempty"`
	LVSTimeouts           LVSTimeouts    `json:"lvs_timeouts"`
	LVSSyncDaemon         *LVSSyncDaemon `json:"lvs_sync_daemon,omitempty"`
	RSInitNotifies        bool           `json:"rs_init_notifies"`
	NoCheckerEmails       bool           `json:"no_checker_emails"`
	EnableDBus            bool           `json:"enable_dbus"`
	EnableTraps           bool           `json:"enable_traps"`
	ReloadCheckConfig     string         `json:"reload_check_config,omitempty"`
	ReloadCheckConfigSet  bool           `json:"reload_check_config_set,omitempty"`

	// Other holds every other global_defs keyword keepalived accepts, by
	// name, with its arguments, in source order. The registry lists them.
	Other []*RawKeyword `json:"other,omitempty"`
}

// RawKeyword is a keyword the model keeps verbatim (parsed, not acted on).
type RawKeyword struct {
	Keyword string     `json:"keyword"`
	Args    []string   `json:"args,omitempty"`
	Pos     syntax.Pos `json:"-"`
}

// FIFO is a notify FIFO and the optional script keepalived starts to read it.
type FIFO struct {
	Path   string  `json:"path"`
	Script *Script `json:"script,omitempty"`
}

// LVSTimeouts is lvs_timeouts; zero means "kernel default".
type LVSTimeouts struct {
	TCP    time.Duration `json:"tcp,omitempty"`
	TCPFin time.Duration `json:"tcpfin,omitempty"`
	UDP    time.Duration `json:"udp,omitempty"`
}

// LVSSyncDaemon is the IPVS connection-sync daemon (global lvs_sync_daemon).
type LVSSyncDaemon struct {
	Interface string     `json:"interface"`
	Instance  string     `json:"instance,omitempty"`
	SyncID    int        `json:"id,omitempty"`
	MaxLen    int        `json:"maxlen,omitempty"`
	Port      uint16     `json:"port,omitempty"`
	TTL       int        `json:"ttl,omitempty"`
	Group     netip.Addr `json:"group,omitempty"`
	Pos       syntax.Pos `json:"-"`
}

// VRRPScript is a vrrp_script block: a command run periodically whose exit
// status adjusts the priority of instances that track it.
type VRRPScript struct {
	Name     string        `json:"name"`
	Script   *Script       `json:"script"`
	Interval time.Duration `json:"interval"`
	Timeout  time.Duration `json:"timeout"`
	Weight   int           `json:"weight"`
	Reverse  bool          `json:"weight_reverse"`
	Rise     int           `json:"rise"`
	Fall     int           `json:"fall"`
	InitFail bool          `json:"init_fail"`
	Pos      syntax.Pos    `json:"-"`
}

// TrackFile is a track_file (alias vrrp_track_file) block: a file whose
// integer content, multiplied by Weight, adjusts priorities.
type TrackFile struct {
	Name          string     `json:"name"`
	File          string     `json:"file"`
	Weight        int        `json:"weight"`
	Reverse       bool       `json:"weight_reverse"`
	InitFile      bool       `json:"init_file"`
	InitValue     int        `json:"init_value,omitempty"`
	InitOverwrite bool       `json:"init_overwrite,omitempty"`
	Pos           syntax.Pos `json:"-"`
}

// TrackProcess is a vrrp_track_process block.
type TrackProcess struct {
	Name           string        `json:"name"`
	Process        string        `json:"process"`
	Params         []string      `json:"params,omitempty"`
	ParamMatch     string        `json:"param_match,omitempty"`
	Weight         int           `json:"weight"`
	Reverse        bool          `json:"weight_reverse"`
	Quorum         int           `json:"quorum"`
	QuorumMax      int           `json:"quorum_max,omitempty"`
	Delay          time.Duration `json:"delay,omitempty"`
	TerminateDelay time.Duration `json:"terminate_delay,omitempty"`
	ForkDelay      time.Duration `json:"fork_delay,omitempty"`
	FullCommand    bool          `json:"full_command,omitempty"`
	Pos            syntax.Pos    `json:"-"`
}

// BFDInstance is a bfd_instance block (RFC 5880 session).
type BFDInstance struct {
	Name       string        `json:"name"`
	Neighbor   netip.Addr    `json:"neighbor_ip"`
	Source     netip.Addr    `json:"source_ip,omitempty"`
	MinRx      time.Duration `json:"min_rx"`
	MinTx      time.Duration `json:"min_tx"`
	IdleTx     time.Duration `json:"idle_tx"`
	Multiplier int           `json:"multiplier"`
	Passive    bool          `json:"passive"`
	TTL        int           `json:"ttl"`
	MaxHops    int           `json:"max_hops"`
	Weight     int           `json:"weight"`
	Reverse    bool          `json:"weight_reverse,omitempty"`
	Multihop   bool          `json:"multihop,omitempty"`
	// VRRP and Checker restrict the session to one side (both when neither is set).
	VRRP    bool       `json:"vrrp,omitempty"`
	Checker bool       `json:"checker,omitempty"`
	Pos     syntax.Pos `json:"-"`
}

// GARPGroup is a garp_group block pacing gratuitous ARP/NA on interfaces.
type GARPGroup struct {
	GARPInterval time.Duration `json:"garp_interval"`
	GNAInterval  time.Duration `json:"gna_interval"`
	Interfaces   []string      `json:"interfaces"`
	Pos          syntax.Pos    `json:"-"`
}

// TrackGroup is a track_group block: instances that static addresses or
// routes follow.
type TrackGroup struct {
	Name  string     `json:"name"`
	Group []string   `json:"group"`
	Pos   syntax.Pos `json:"-"`
}

// LinkbeatInterface is one line of linkbeat_interfaces.
type LinkbeatInterface struct {
	Name   string     `json:"name"`
	Method string     `json:"method,omitempty"`
	Pos    syntax.Pos `json:"-"`
}

// InterfaceDelay is one line of interface_up_down_delays.
type InterfaceDelay struct {
	Name string        `json:"name"`
	Down time.Duration `json:"down"`
	Up   time.Duration `json:"up"`
	Pos  syntax.Pos    `json:"-"`
}

// Tracker is one entry of a track_interface/track_script/track_file/
// track_process/track_bfd block. WeightSet tells whether the entry gave
// its own weight (otherwise the tracked object's weight applies).
type Tracker struct {
	Name      string     `json:"name"`
	Weight    int        `json:"weight"`
	WeightSet bool       `json:"weight_set"`
	Reverse   bool       `json:"reverse,omitempty"`
	Pos       syntax.Pos `json:"-"`
}

// Trackers groups the track_* blocks shared by instances and sync groups.
type Trackers struct {
	Interfaces []*Tracker `json:"track_interface,omitempty"`
	Scripts    []*Tracker `json:"track_script,omitempty"`
	Files      []*Tracker `json:"track_file,omitempty"`
	Processes  []*Tracker `json:"track_process,omitempty"`
	BFDs       []*Tracker `json:"track_bfd,omitempty"`
}

// Notifies holds the notify scripts of an instance or sync group.
type Notifies struct {
	Master         *Script `json:"notify_master,omitempty"`
	Backup         *Script `json:"notify_backup,omitempty"`
	Fault          *Script `json:"notify_fault,omitempty"`
	Stop           *Script `json:"notify_stop,omitempty"`
	Deleted        *Script `json:"notify_deleted,omitempty"`
	Any            *Script `json:"notify,omitempty"`
	MasterRxLowPri *Script `json:"notify_master_rx_lower_pri,omitempty"`
	// NotifyDeleted is set by a bare notify_deleted (report DELETED
	// instead of FAULT when an instance disappears on reload).
	NotifyDeleted bool `json:"notify_deleted_flag,omitempty"`
}

// SyncGroup is a vrrp_sync_group block.
type SyncGroup struct {
	Name                  string     `json:"name"`
	Group                 []string   `json:"group"`
	Track                 Trackers   `json:"track"`
	Notify                Notifies   `json:"notify"`
	SMTPAlert             bool       `json:"smtp_alert"`
	NotifyPriorityChanges bool       `json:"notify_priority_changes"`
	TrackingWeight        bool       `json:"sync_group_tracking_weight"`
	Pos                   syntax.Pos `json:"-"`
}

// State is the initial state an instance asks for.
type State string

// Initial states.
const (
	StateBackup State = "BACKUP"
	StateMaster State = "MASTER"
)

// VRRPInstance is a vrrp_instance block with defaults applied (priority
// 255 for `state MASTER` without a priority, global GARP and timer
// settings copied in, the IPv6 instances forced to version 3).
type VRRPInstance struct {
	Name                   string         `json:"name"`
	State                  State          `json:"state"`
	Interface              string         `json:"interface"`
	VRF                    string         `json:"vrf,omitempty"`
	VRID                   int            `json:"virtual_router_id"`
	Priority               int            `json:"priority"`
	AdvertInterval         time.Duration  `json:"advert_int"`
	Version                int            `json:"version"`
	Family                 string         `json:"family"` // "inet" or "inet6", from the first VIP
	Auth                   *Auth          `json:"authentication,omitempty"`
	VIPs                   []*VirtualIP   `json:"virtual_ipaddress,omitempty"`
	ExcludedVIPs           []*VirtualIP   `json:"virtual_ipaddress_excluded,omitempty"`
	NoVIPs                 bool           `json:"no_virtual_ipaddress,omitempty"`
	Routes                 []*Route       `json:"virtual_routes,omitempty"`
	Rules                  []*Rule        `json:"virtual_rules,omitempty"`
	Track                  Trackers       `json:"track"`
	DontTrackPrimary       bool           `json:"dont_track_primary"`
	TrackSrcIP             bool           `json:"track_src_ip"`
	McastSrcIP             netip.Addr     `json:"mcast_src_ip,omitempty"`
	UnicastSrcIP           netip.Addr     `json:"unicast_src_ip,omitempty"`
	McastDstIP             netip.Addr     `json:"mcast_dst_ip,omitempty"`
	UnicastPeers           []*UnicastPeer `json:"unicast_peer,omitempty"`
	UnicastTTL             int            `json:"unicast_ttl"`
	CheckUnicastSrc        bool           `json:"check_unicast_src"`
	UnicastFaultNoPeer     bool           `json:"unicast_fault_no_peer"`
	NoPreempt              bool           `json:"nopreempt"`
	PreemptDelay           time.Duration  `json:"preempt_delay"`
	Accept                 bool           `json:"accept"`
	AcceptSet              bool           `json:"-"`
	GARPMasterDelay        time.Duration  `json:"garp_master_delay"`
	GARPMasterRepeat       int            `json:"garp_master_repeat"`
	GARPMasterRefresh      time.Duration  `json:"garp_master_refresh"`
	GARPMasterRefreshRep   int            `json:"garp_master_refresh_repeat"`
	GARPLowerPrioDelay     time.Duration  `json:"garp_lower_prio_delay"`
	GARPLowerPrioRepeat    int            `json:"garp_lower_prio_repeat"`
	DownTimerAdverts       int            `json:"down_timer_adverts"`
	LowerPrioNoAdvert      bool           `json:"lower_prio_no_advert"`
	HigherPrioSendAdvert   bool           `json:"higher_prio_send_advert"`
	OwnerIgnoreAdverts     bool           `json:"owner_ignore_adverts"`
	SkipCheckAdvAddr       bool           `json:"skip_check_adv_addr"`
	Strict                 bool           `json:"strict_mode"`
	V3ChecksumAsV2         bool           `json:"v3_checksum_as_v2"`
	PromoteSecondaries     bool           `json:"promote_secondaries"`
	UseVMAC                *VMAC          `json:"use_vmac,omitempty"`
	Notify                 Notifies       `json:"notify"`
	NotifyPriorityChanges  bool           `json:"notify_priority_changes"`
	SMTPAlert              bool           `json:"smtp_alert"`
	LVSSyncDaemonInterface string         `json:"lvs_sync_daemon_interface,omitempty"`
	// Other keeps accepted keywords that have no typed field yet.
	Other []*RawKeyword `json:"other,omitempty"`
	Pos   syntax.Pos    `json:"-"`
	// InterfacePos is where `interface` was given (for interface errors).
	InterfacePos syntax.Pos `json:"-"`
}

// Auth is the authentication block (VRRPv2 only).
type Auth struct {
	Type string     `json:"auth_type"` // "PASS" or "AH"
	Pass string     `json:"auth_pass,omitempty"`
	Pos  syntax.Pos `json:"-"`
}

// VMAC is use_vmac: the instance sends from a macvlan with the VRRP MAC.
type VMAC struct {
	Name string `json:"name,omitempty"`
	MAC  string `json:"mac,omitempty"`
}

// UnicastPeer is one unicast_peer entry.
type UnicastPeer struct {
	Addr   netip.Addr `json:"addr"`
	MinTTL int        `json:"min_ttl,omitempty"`
	MaxTTL int        `json:"max_ttl,omitempty"`
	Pos    syntax.Pos `json:"-"`
}

// VirtualIP is one line of virtual_ipaddress, virtual_ipaddress_excluded
// or static_ipaddress. Prefix carries the address and its mask (/32 or
// /128 when none was given).
type VirtualIP struct {
	Prefix        netip.Prefix `json:"prefix"`
	Broadcast     netip.Addr   `json:"brd,omitempty"`
	Dev           string       `json:"dev,omitempty"`
	Scope         string       `json:"scope,omitempty"`
	Label         string       `json:"label,omitempty"`
	Peer          netip.Prefix `json:"peer,omitempty"`
	Home          bool         `json:"home,omitempty"`
	NoDAD         bool         `json:"nodad,omitempty"`
	MngTmpAddr    bool         `json:"mngtmpaddr,omitempty"`
	NoPrefixRoute bool         `json:"noprefixroute,omitempty"`
	AutoJoin      bool         `json:"autojoin,omitempty"`
	NoTrack       bool         `json:"no_track,omitempty"`
	UseVMAC       bool         `json:"use_vmac,omitempty"`
	PreferredLft  string       `json:"preferred_lft,omitempty"`
	TrackGroup    string       `json:"track_group,omitempty"`
	Pos           syntax.Pos   `json:"-"`
}

// Route is one line of virtual_routes or static_routes (ip route syntax).
// The common options are typed; Args keeps the whole line so that options
// without a field are not lost.
type Route struct {
	Type       string       `json:"type,omitempty"` // unicast (default), blackhole, unreachable, prohibit, ...
	Dst        netip.Prefix `json:"dst"`
	Src        netip.Addr   `json:"src,omitempty"`
	Via        netip.Addr   `json:"via,omitempty"`
	Dev        string       `json:"dev,omitempty"`
	Table      string       `json:"table,omitempty"`
	Metric     int          `json:"metric,omitempty"`
	Scope      string       `json:"scope,omitempty"`
	Protocol   string       `json:"proto,omitempty"`
	NoTrack    bool         `json:"no_track,omitempty"`
	TrackGroup string       `json:"track_group,omitempty"`
	Args       []string     `json:"args"`
	Pos        syntax.Pos   `json:"-"`
}

// Rule is one line of virtual_rules or static_rules (ip rule syntax).
type Rule struct {
	From       netip.Prefix `json:"from,omitempty"`
	To         netip.Prefix `json:"to,omitempty"`
	Table      string       `json:"table,omitempty"`
	Preference int          `json:"preference,omitempty"`
	FWMark     string       `json:"fwmark,omitempty"`
	IIF        string       `json:"iif,omitempty"`
	OIF        string       `json:"oif,omitempty"`
	Action     string       `json:"action,omitempty"`
	NoTrack    bool         `json:"no_track,omitempty"`
	Args       []string     `json:"args"`
	Pos        syntax.Pos   `json:"-"`
}
