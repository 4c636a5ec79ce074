// Package status holds the canonical, immutable view of a running alived
// that the control API, the Prometheus collectors, alivectl and the
// keepalived-style dumps all read. The daemon builds one Snapshot per
// published loop state; readers never modify it, so it can be shared
// between goroutines without locks.
//
// Names follow keepalived where keepalived has a name (state strings,
// the stats counters of its JSON dump), so operators moving from
// keepalived recognise them.
package status

import (
	"strconv"
	"time"
)

// Source is what the API's read-only endpoints, the collectors and the
// dumps read: the latest snapshot, and nothing that can change the daemon
// (state-changing commands go through the control API's controller, which
// readers never hold).
type Source interface {
	// Snapshot returns the latest published state; nil before the daemon
	// has started.
	Snapshot() *Snapshot
}

// Snapshot is the whole daemon at one instant.
type Snapshot struct {
	// Taken is when the daemon published the state.
	Taken time.Time `json:"taken"`
	// Started is when the daemon started.
	Started    time.Time `json:"started"`
	ConfigFile string    `json:"config_file"`
	// Reloads counts successful reloads; LastReload is the time of the
	// latest attempt and LastReloadOK whether it succeeded.
	Reloads      int       `json:"reloads"`
	LastReload   time.Time `json:"last_reload,omitzero"`
	LastReloadOK bool      `json:"last_reload_ok"`
	Build        Build     `json:"build"`

	Instances      []Instance      `json:"instances"`
	SyncGroups     []SyncGroup     `json:"sync_groups"`
	Scripts        []Script        `json:"scripts"`
	BFDSessions    []BFDSession    `json:"bfd_sessions"`
	VirtualServers []VirtualServer `json:"virtual_servers"`
	// LVSError is the last failed kernel update (empty if none).
	LVSError string `json:"lvs_error,omitempty"`
}

// Build identifies the binary.
type Build struct {
	Version   string `json:"version"`
	GoVersion string `json:"go_version"`
	Revision  string `json:"revision,omitempty"`
}

// VRRP states as keepalived names them (and numbers them in its JSON dump
// and the exporters' keepalived_vrrp_state).
const (
	StateInit   = "INIT"
	StateBackup = "BACKUP"
	StateMaster = "MASTER"
	StateFault  = "FAULT"
)

// StateNumber is keepalived's integer for a state name: 0 INIT, 1 BACKUP,
// 2 MASTER, 3 FAULT; -1 for anything else.
func StateNumber(state string) int {
	switch state {
	case StateInit:
		return 0
	case StateBackup:
		return 1
	case StateMaster:
		return 2
	case StateFault:
		return 3
	}
	return -1
}

// Instance is one vrrp_instance.
type Instance struct {
	Name      string `json:"iname"`
	Interface string `json:"ifp_ifname"`
	VRID      uint8  `json:"vrid"`
	Version   uint8  `json:"version"`
	// State is "INIT", "BACKUP", "MASTER" or "FAULT".
	State             string `json:"state"`
	BasePriority      uint8  `json:"base_priority"`
	EffectivePriority uint8  `json:"effective_priority"`
	// MasterAddr is the current master's address (empty until known).
	MasterAddr     string `json:"master_address,omitempty"`
	MasterPriority uint8  `json:"master_priority"`
	// Since is when State was entered.
	Since                time.Time     `json:"last_transition"`
	AdvertInterval       time.Duration `json:"advert_interval_ns"`
	MasterAdvertInterval time.Duration `json:"master_advert_interval_ns"`
	// VIPs are the virtual addresses in CIDR form.
	VIPs []string `json:"vips"`
	// SyncGroup is the group the instance belongs to, if any.
	SyncGroup string `json:"sync_group,omitempty"`
	// Trackers are the objects that move the priority or force FAULT.
	Trackers []Tracker `json:"trackers"`
	Stats    Stats     `json:"stats"`
	// Transitions counts master transitions by reason (alived addition;
	// keepalived only counts become/release master).
	Transitions map[string]uint64 `json:"transitions,omitempty"`
}

// Tracker kinds.
const (
	TrackScript    = "script"
	TrackFile      = "file"
	TrackInterface = "interface"
	TrackProcess   = "process"
)

// Tracker is one tracked object of an instance.
type Tracker struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Up is the tracked object's health; Weight what it currently adds to
	// the priority (0 when it has no weight or is healthy and negative).
	Up     bool `json:"up"`
	Weight int  `json:"weight"`
}

// Stats are keepalived's per-instance counters under the names of its JSON
// dump's "stats" object.
type Stats struct {
	AdvertRcvd        uint64 `json:"advert_rcvd"`
	AdvertSent        uint64 `json:"advert_sent"`
	BecomeMaster      uint64 `json:"become_master"`
	ReleaseMaster     uint64 `json:"release_master"`
	PacketLenErr      uint64 `json:"packet_len_err"`
	AdvertIntervalErr uint64 `json:"advert_interval_err"`
	IPTTLErr          uint64 `json:"ip_ttl_err"`
	InvalidTypeRcvd   uint64 `json:"invalid_type_rcvd"`
	AddrListErr       uint64 `json:"addr_list_err"`
	InvalidAuthType   uint64 `json:"invalid_authtype"`
	AuthTypeMismatch  uint64 `json:"authtype_mismatch"`
	AuthFailure       uint64 `json:"auth_failure"`
	PriZeroRcvd       uint64 `json:"pri_zero_rcvd"`
	PriZeroSent       uint64 `json:"pri_zero_sent"`
}

// SyncGroup is one vrrp_sync_group.
type SyncGroup struct {
	Name    string   `json:"name"`
	State   string   `json:"state"`
	Members []string `json:"members"`
}

// Script is one vrrp_script (keepalived_script_status in the exporters).
type Script struct {
	Name string `json:"name"`
	// Up is the script's state after rise/fall counting.
	Up bool `json:"up"`
}

// BFDSession is one bfd_instance's session.
type BFDSession struct {
	Name     string `json:"name"`
	Neighbor string `json:"neighbor"`
	// State is the RFC 5880 state as keepalived logs it: AdminDown,
	// Down, Init or Up.
	State string `json:"state"`
	// Diag is the local diagnostic of the latest change.
	Diag string `json:"diag"`
	// Since is when the session entered State (zero: no change yet).
	Since time.Time `json:"since,omitzero"`
	// Transitions counts state changes since start.
	Transitions int `json:"transitions"`
}

// VirtualServer is one virtual_server (or group) with its real servers.
type VirtualServer struct {
	Name string `json:"name"`
	// ID is the name operators address the virtual server by on
	// alivectl's command line and in the API ("10.0.0.1:80/tcp",
	// "fwmark:7", "group:web/tcp"; see package config/ident).
	ID string `json:"id"`
	// Override is the operator's runtime override of the whole virtual
	// server (drain or maint), nil if none.
	Override *Override `json:"override,omitempty"`
	// Services are the kernel services it expands to, each with its
	// identity split out for metric labels.
	Services []Service `json:"services"`
	// QuorumUp tells whether the live weight sum reaches the quorum.
	QuorumUp   bool   `json:"quorum_up"`
	Quorum     uint32 `json:"quorum"`
	Hysteresis uint32 `json:"hysteresis"`
	WeightSum  int64  `json:"weight_sum"`
	// SorryActive tells whether the sorry server is taking the traffic.
	SorryActive bool         `json:"sorry_active"`
	RealServers []RealServer `json:"real_servers"`
	// Counters are the kernel's service counters (zero when unknown).
	Counters Counters `json:"counters"`
}

// Service is one kernel service: address, port and protocol, or a
// firewall mark.
type Service struct {
	Proto   string `json:"proto"`
	Address string `json:"address,omitempty"`
	Port    uint16 `json:"port,omitempty"`
	FWMark  uint32 `json:"fwmark,omitempty"`
}

// RealServer is one real_server of a virtual server.
type RealServer struct {
	// Address and Port are the destination in the kernel table (with DR
	// and TUN the port is the service's, as keepalived sets it).
	Address string `json:"address"`
	Port    uint16 `json:"port"`
	// ID is the name operators address the real server by within its
	// virtual server ("10.0.0.2:8080", the configured address and port).
	ID string `json:"id"`
	// HealthWeight is the weight health left the server (the configured
	// one, or what a MISC_CHECK dynamic weight set), before overrides.
	HealthWeight int `json:"health_weight"`
	// Override is the runtime override in force for this server: its
	// own, or its virtual server's drain or maint (Inherited); nil if
	// none.
	Override *Override `json:"override,omitempty"`
	// ConfiguredWeight is the weight in the file; EffectiveWeight the
	// weight in the kernel table (0 when drained or inhibited); InTable
	// whether the server is in the table at all.
	ConfiguredWeight int    `json:"configured_weight"`
	EffectiveWeight  uint32 `json:"effective_weight"`
	InTable          bool   `json:"in_table"`
	Up               bool   `json:"up"`
	// Reason is why it last changed state; LastError the latest failing
	// probe's message.
	Reason    string `json:"reason,omitempty"`
	LastError string `json:"last_error,omitempty"`
	// CheckDuration is how long the latest probe took.
	CheckDuration time.Duration `json:"check_duration_ns"`
	Checks        []Check       `json:"checks"`
	Counters      Counters      `json:"counters"`
}

// OverrideKind is an operator's runtime override of a real or virtual
// server.
type OverrideKind string

// The override kinds (see internal/lvs for what each does in IPVS).
const (
	// OverrideDrain keeps the server in the kernel table at weight 0:
	// no new connections are scheduled to it, established ones and
	// clients with a persistence template keep going.
	OverrideDrain OverrideKind = "drain"
	// OverrideMaint removes the server from the kernel table: no traffic
	// at all.
	OverrideMaint OverrideKind = "maint"
	// OverrideWeight replaces the configured weight; health still applies.
	OverrideWeight OverrideKind = "weight"
)

// Override is a runtime override as the status shows it.
type Override struct {
	Kind OverrideKind `json:"kind"`
	// Weight is the weight that replaces the configured one (kind
	// "weight" only).
	Weight int `json:"weight,omitempty"`
	// Since is when the operator set the override.
	Since time.Time `json:"since"`
	// Inherited is set on a real server whose override is its virtual
	// server's.
	Inherited bool `json:"inherited,omitempty"`
	// ActiveConns and InactiveConns are the kernel's connection counts
	// of a draining real server as last read (kind "drain" only); on a
	// virtual server, the sum over its real servers.
	ActiveConns   uint64 `json:"active_conns"`
	InactiveConns uint64 `json:"inactive_conns"`
	// DrainedAt is when a drain completed: the first counters read after
	// the drain started in which the server had no active and no inactive
	// connections (zero until then, and again if connections come back,
	// as persistence templates may bring them). On a virtual server, when
	// the last of its real servers drained.
	DrainedAt time.Time `json:"drained_at,omitzero"`
}

// Check is one health checker of a real server.
type Check struct {
	Name      string        `json:"name"`
	Kind      string        `json:"kind"`
	Up        bool          `json:"up"`
	Runs      int           `json:"runs"`
	LastError string        `json:"last_error,omitempty"`
	Duration  time.Duration `json:"duration_ns"`
	LastRun   time.Time     `json:"last_run,omitzero"`
}

// Counters are IPVS traffic counters as the kernel keeps them.
type Counters struct {
	Connections       uint64 `json:"connections"`
	ActiveConns       uint64 `json:"active_conns"`
	InactiveConns     uint64 `json:"inactive_conns"`
	IncomingPackets   uint64 `json:"incoming_packets"`
	OutgoingPackets   uint64 `json:"outgoing_packets"`
	IncomingBytes     uint64 `json:"incoming_bytes"`
	OutgoingBytes     uint64 `json:"outgoing_bytes"`
	CountersAvailable bool   `json:"counters_available"`
}

// Summary is a one-line description of the state ("VI_1 MASTER, VI_2
// BACKUP; 3/4 real servers up"), used for systemd's STATUS= and logs.
func (s *Snapshot) Summary() string {
	if s == nil {
		return "starting"
	}
	out := ""
	for i, in := range s.Instances {
		if i == 4 {
			out += ", …"
			break
		}
		if i > 0 {
			out += ", "
		}
		out += in.Name + " " + in.State
	}
	up, total := 0, 0
	for _, vs := range s.VirtualServers {
		for _, rs := range vs.RealServers {
			total++
			if rs.Up {
				up++
			}
		}
	}
	if total > 0 {
		if out != "" {
			out += "; "
		}
		out += strconv.Itoa(up) + "/" + strconv.Itoa(total) + " real servers up"
	}
	if out == "" {
		out = "running, nothing configured"
	}
	return out
}
