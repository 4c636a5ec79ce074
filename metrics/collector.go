package metrics

import (
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alived/alived/status"
)

// Label sets. VRRP labels are keepalived-exporter's; backend labels are
// node_exporter's IPVS collector's.
var (
	vrrpLabels    = []string{"iname", "intf", "vrid"}
	stateLabels   = []string{"iname", "intf", "vrid", "ip_address"}
	serviceLabels = []string{"local_address", "local_port", "proto", "local_mark"}
	backendLabels = []string{"local_address", "local_port", "remote_address", "remote_port", "proto", "local_mark"}
	// overrideLabels add the kind of runtime override ("drain", "maint",
	// "weight") to a backend's labels.
	overrideLabels = append(append([]string{}, backendLabels...), "override")
	checkLabels    = []string{"virtual_server", "remote_address", "remote_port", "check"}
)

// counterDef is one keepalived per-instance counter.
type counterDef struct {
	name, help string
	get        func(*status.Stats) uint64
}

// vrrpCounters are keepalived-exporter's counter names over keepalived's
// stats fields.
var vrrpCounters = []counterDef{
	{"keepalived_advertisements_received_total", "Advertisements received.", func(s *status.Stats) uint64 { return s.AdvertRcvd }},
	{"keepalived_advertisements_sent_total", "Advertisements sent.", func(s *status.Stats) uint64 { return s.AdvertSent }},
	{"keepalived_become_master_total", "Times the instance became master.", func(s *status.Stats) uint64 { return s.BecomeMaster }},
	{"keepalived_release_master_total", "Times the instance released master.", func(s *status.Stats) uint64 { return s.ReleaseMaster }},
	{"keepalived_packet_length_errors_total", "Adverts dropped for a bad packet length.", func(s *status.Stats) uint64 { return s.PacketLenErr }},
	{"keepalived_advertisements_interval_errors_total", "Adverts with a mismatching interval.", func(s *status.Stats) uint64 { return s.AdvertIntervalErr }},
	{"keepalived_ip_ttl_errors_total", "Adverts dropped for a TTL other than 255.", func(s *status.Stats) uint64 { return s.IPTTLErr }},
	{"keepalived_invalid_type_received_total", "Packets of an invalid VRRP type.", func(s *status.Stats) uint64 { return s.InvalidTypeRcvd }},
	{"keepalived_address_list_errors_total", "Adverts whose address list mismatches.", func(s *status.Stats) uint64 { return s.AddrListErr }},
	{"keepalived_authentication_invalid_total", "Adverts with an invalid authentication type.", func(s *status.Stats) uint64 { return s.InvalidAuthType }},
	{"keepalived_authentication_mismatch_total", "Adverts with a mismatching authentication type.", func(s *status.Stats) uint64 { return s.AuthTypeMismatch }},
	{"keepalived_authentication_failure_total", "Adverts failing authentication.", func(s *status.Stats) uint64 { return s.AuthFailure }},
	{"keepalived_priority_zero_received_total", "Priority 0 adverts received.", func(s *status.Stats) uint64 { return s.PriZeroRcvd }},
	{"keepalived_priority_zero_sent_total", "Priority 0 adverts sent.", func(s *status.Stats) uint64 { return s.PriZeroSent }},
}

// trafficDef is one IPVS counter or gauge read from status.Counters.
type trafficDef struct {
	suffix, help string
	valueType    prometheus.ValueType
	get          func(*status.Counters) uint64
}

var trafficDefs = []trafficDef{
	{"connections_total", "Connections scheduled.", prometheus.CounterValue, func(c *status.Counters) uint64 { return c.Connections }},
	{"incoming_packets_total", "Incoming packets.", prometheus.CounterValue, func(c *status.Counters) uint64 { return c.IncomingPackets }},
	{"outgoing_packets_total", "Outgoing packets.", prometheus.CounterValue, func(c *status.Counters) uint64 { return c.OutgoingPackets }},
	{"incoming_bytes_total", "Incoming bytes.", prometheus.CounterValue, func(c *status.Counters) uint64 { return c.IncomingBytes }},
	{"outgoing_bytes_total", "Outgoing bytes.", prometheus.CounterValue, func(c *status.Counters) uint64 { return c.OutgoingBytes }},
}

var backendConnDefs = []trafficDef{
	{"connections_active", "Active connections.", prometheus.GaugeValue, func(c *status.Counters) uint64 { return c.ActiveConns }},
	{"connections_inactive", "Inactive connections.", prometheus.GaugeValue, func(c *status.Counters) uint64 { return c.InactiveConns }},
}

// Failure reasons of alived_ipvs_backend_last_failure_reason. The reason
// is a value, not a label, so that a flapping error message cannot create
// new series.
const (
	ReasonNone = iota
	ReasonTimeout
	ReasonRefused
	ReasonUnreachable
	ReasonBadResponse
	ReasonOther
)

// FailureReason classifies a probe error message into one of the Reason
// constants.
func FailureReason(msg string) int {
	m := strings.ToLower(msg)
	switch {
	case m == "":
		return ReasonNone
	case strings.Contains(m, "timeout"), strings.Contains(m, "deadline"), strings.Contains(m, "timed out"):
		return ReasonTimeout
	case strings.Contains(m, "refused"), strings.Contains(m, "reset"):
		return ReasonRefused
	case strings.Contains(m, "unreachable"), strings.Contains(m, "no route"):
		return ReasonUnreachable
	case strings.Contains(m, "status"), strings.Contains(m, "digest"), strings.Contains(m, "response"),
		strings.Contains(m, "expect"), strings.Contains(m, "exit"):
		return ReasonBadResponse
	}
	return ReasonOther
}

// Collector turns status snapshots into metrics.
type Collector struct {
	src status.Source

	up, buildInfo, reloadOK, reloadTime, reloads    *prometheus.Desc
	vrrpState, effPrio, basePrio, lastTransition    *prometheus.Desc
	masterTransitions, trackerWeight, trackerUp     *prometheus.Desc
	scriptStatus, syncGroupState                    *prometheus.Desc
	counters                                        []*prometheus.Desc
	svcTraffic, rsTraffic, rsConns                  []*prometheus.Desc
	rsWeight, rsConfWeight, rsUp, rsReason, rsInTab *prometheus.Desc
	quorumUp, weightSum, sorryActive, lvsError      *prometheus.Desc
	rsOverride, rsDrained                           *prometheus.Desc

	// mu guards the histogram state: probe durations are observed once per
	// probe run seen in a snapshot (runs between two scrapes of the same
	// check are represented by the latest one only).
	mu       sync.Mutex
	checkDur *prometheus.HistogramVec
	lastRun  map[string]time.Time
}

// NewCollector returns a collector over src.
func NewCollector(src status.Source) *Collector {
	d := func(name, help string, labels []string) *prometheus.Desc {
		return prometheus.NewDesc(name, help, labels, nil)
	}
	c := &Collector{
		src:            src,
		up:             d("keepalived_up", "Whether alived is serving a state (1) or still starting (0).", nil),
		buildInfo:      d("alived_build_info", "Build information; the value is always 1.", []string{"version", "goversion", "revision"}),
		reloadOK:       d("alived_config_last_reload_successful", "Whether the last configuration reload succeeded.", nil),
		reloadTime:     d("alived_config_last_reload_timestamp_seconds", "When the last configuration reload was attempted.", nil),
		reloads:        d("alived_config_reloads_total", "Successful configuration reloads.", nil),
		vrrpState:      d("keepalived_vrrp_state", "VRRP state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.", stateLabels),
		effPrio:        d("alived_vrrp_effective_priority", "Priority advertised after tracker weights.", vrrpLabels),
		basePrio:       d("alived_vrrp_base_priority", "Configured priority.", vrrpLabels),
		lastTransition: d("alived_vrrp_last_transition_timestamp_seconds", "When the instance entered its current state.", vrrpLabels),
		masterTransitions: d("alived_vrrp_master_transitions_total", "Master transitions by reason.",
			append(append([]string{}, vrrpLabels...), "reason")),
		trackerWeight:  d("alived_vrrp_tracker_weight", "Weight a tracker currently adds to the instance's priority.", []string{"iname", "kind", "name"}),
		trackerUp:      d("alived_vrrp_tracker_up", "Whether a tracked object is healthy.", []string{"iname", "kind", "name"}),
		scriptStatus:   d("keepalived_script_status", "vrrp_script status: 1 GOOD, 0 BAD.", []string{"name"}),
		syncGroupState: d("alived_vrrp_sync_group_state", "Sync group state: 0 INIT, 1 BACKUP, 2 MASTER, 3 FAULT.", []string{"name"}),
		rsWeight:       d("alived_ipvs_backend_weight", "Weight of the real server in the kernel table (after health and drain).", backendLabels),
		rsConfWeight:   d("alived_ipvs_backend_weight_configured", "Weight of the real server in the configuration.", backendLabels),
		rsUp:           d("alived_ipvs_backend_up", "Whether the real server passes its checks.", backendLabels),
		rsInTab:        d("alived_ipvs_backend_in_table", "Whether the real server is in the kernel table.", backendLabels),
		rsReason: d("alived_ipvs_backend_last_failure_reason",
			"Latest probe failure: 0 none, 1 timeout, 2 refused/reset, 3 unreachable, 4 bad response, 5 other.", backendLabels),
		rsOverride: d("alived_ipvs_backend_override",
			"1 while an operator override (drain, maint or weight) is in force for the real server, its own or its virtual server's.", overrideLabels),
		rsDrained: d("alived_ipvs_backend_drain_completed_timestamp_seconds",
			"When a draining real server was first seen without active or inactive connections.", backendLabels),
		quorumUp:    d("alived_virtual_server_quorum_up", "Whether the virtual server's live weight reaches its quorum.", []string{"virtual_server"}),
		weightSum:   d("alived_virtual_server_live_weight", "Live weight sum the quorum is judged on.", []string{"virtual_server"}),
		sorryActive: d("alived_virtual_server_sorry_server_active", "Whether the sorry server takes the traffic.", []string{"virtual_server"}),
		lvsError:    d("alived_ipvs_update_failing", "Whether the last kernel update failed (1) and is being retried.", nil),
		checkDur: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "alived_check_duration_seconds",
			Help:    "Duration of health-check probes.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, checkLabels),
		lastRun: map[string]time.Time{},
	}
	for _, cd := range vrrpCounters {
		c.counters = append(c.counters, d(cd.name, cd.help, vrrpLabels))
	}
	for _, t := range trafficDefs {
		c.svcTraffic = append(c.svcTraffic, d("alived_ipvs_service_"+t.suffix, "Virtual service: "+t.help, serviceLabels))
		c.rsTraffic = append(c.rsTraffic, d("alived_ipvs_backend_"+t.suffix, "Real server: "+t.help, backendLabels))
	}
	for _, t := range backendConnDefs {
		c.rsConns = append(c.rsConns, d("alived_ipvs_backend_"+t.suffix, "Real server: "+t.help, backendLabels))
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{
		c.up, c.buildInfo, c.reloadOK, c.reloadTime, c.reloads, c.vrrpState, c.effPrio, c.basePrio,
		c.lastTransition, c.masterTransitions, c.trackerWeight, c.trackerUp, c.scriptStatus, c.syncGroupState,
		c.rsWeight, c.rsConfWeight, c.rsUp, c.rsInTab, c.rsReason, c.quorumUp, c.weightSum, c.sorryActive,
		c.lvsError, c.rsOverride, c.rsDrained,
	} {
		ch <- d
	}
	for _, ds := range [][]*prometheus.Desc{c.counters, c.svcTraffic, c.rsTraffic, c.rsConns} {
		for _, d := range ds {
			ch <- d
		}
	}
	c.checkDur.Describe(ch)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// Collect implements prometheus.Collector over one snapshot.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.src.Snapshot()
	if s == nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	gauge := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, lv...)
	}
	counter := func(d *prometheus.Desc, v float64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, lv...)
	}
	gauge(c.up, 1)
	gauge(c.buildInfo, 1, s.Build.Version, s.Build.GoVersion, s.Build.Revision)
	gauge(c.reloadOK, b2f(s.LastReloadOK))
	if !s.LastReload.IsZero() {
		gauge(c.reloadTime, float64(s.LastReload.UnixNano())/1e9)
	}
	counter(c.reloads, float64(s.Reloads))
	gauge(c.lvsError, b2f(s.LVSError != ""))

	for i := range s.Instances {
		in := &s.Instances[i]
		vrid := strconv.Itoa(int(in.VRID))
		lv := []string{in.Name, in.Interface, vrid}
		st := float64(status.StateNumber(in.State))
		if len(in.VIPs) == 0 {
			gauge(c.vrrpState, st, in.Name, in.Interface, vrid, "")
		}
		seen := map[string]bool{}
		for _, vip := range in.VIPs {
			addr, _, _ := strings.Cut(vip, "/")
			if seen[addr] {
				continue
			}
			seen[addr] = true
			gauge(c.vrrpState, st, in.Name, in.Interface, vrid, addr)
		}
		gauge(c.effPrio, float64(in.EffectivePriority), lv...)
		gauge(c.basePrio, float64(in.BasePriority), lv...)
		if !in.Since.IsZero() {
			gauge(c.lastTransition, float64(in.Since.UnixNano())/1e9, lv...)
		}
		for reason, n := range in.Transitions {
			counter(c.masterTransitions, float64(n), in.Name, in.Interface, vrid, reason)
		}
		for _, t := range in.Trackers {
			gauge(c.trackerWeight, float64(t.Weight), in.Name, t.Kind, t.Name)
			gauge(c.trackerUp, b2f(t.Up), in.Name, t.Kind, t.Name)
		}
		for j, cd := range vrrpCounters {
			counter(c.counters[j], float64(cd.get(&in.Stats)), lv...)
		}
	}
	for _, sc := range s.Scripts {
		gauge(c.scriptStatus, b2f(sc.Up), sc.Name)
	}
	for _, g := range s.SyncGroups {
		gauge(c.syncGroupState, float64(status.StateNumber(g.State)), g.Name)
	}
	c.collectLVS(s, gauge, counter)
	c.observeChecks(s)
	c.mu.Lock()
	c.checkDur.Collect(ch)
	c.mu.Unlock()
}

// serviceLabelValues are node_exporter's local_* labels for a service.
func serviceLabelValues(sv status.Service) []string {
	port, mark := "", ""
	if sv.FWMark != 0 {
		mark = strconv.FormatUint(uint64(sv.FWMark), 10)
	} else {
		port = strconv.Itoa(int(sv.Port))
	}
	return []string{sv.Address, port, strings.ToUpper(sv.Proto), mark}
}

func (c *Collector) collectLVS(s *status.Snapshot, gauge, counter func(*prometheus.Desc, float64, ...string)) {
	seenSvc := map[string]bool{}
	seenRS := map[string]bool{}
	for i := range s.VirtualServers {
		vs := &s.VirtualServers[i]
		gauge(c.quorumUp, b2f(vs.QuorumUp), vs.Name)
		gauge(c.weightSum, float64(vs.WeightSum), vs.Name)
		gauge(c.sorryActive, b2f(vs.SorryActive), vs.Name)
		for _, sv := range vs.Services {
			sl := serviceLabelValues(sv)
			key := strings.Join(sl, "\x00")
			if seenSvc[key] {
				continue
			}
			seenSvc[key] = true
			if vs.Counters.CountersAvailable {
				for j, t := range trafficDefs {
					counter(c.svcTraffic[j], float64(t.get(&vs.Counters)), sl...)
				}
			}
			for k := range vs.RealServers {
				rs := &vs.RealServers[k]
				bl := []string{sl[0], sl[1], rs.Address, strconv.Itoa(int(rs.Port)), sl[2], sl[3]}
				bkey := strings.Join(bl, "\x00")
				if seenRS[bkey] {
					continue
				}
				seenRS[bkey] = true
				gauge(c.rsWeight, float64(rs.EffectiveWeight), bl...)
				gauge(c.rsConfWeight, float64(rs.ConfiguredWeight), bl...)
				gauge(c.rsUp, b2f(rs.Up), bl...)
				gauge(c.rsInTab, b2f(rs.InTable), bl...)
				gauge(c.rsReason, float64(FailureReason(rs.LastError)), bl...)
				if o := rs.Override; o != nil {
					gauge(c.rsOverride, 1, append(bl, string(o.Kind))...)
					if !o.DrainedAt.IsZero() {
						gauge(c.rsDrained, float64(o.DrainedAt.UnixNano())/1e9, bl...)
					}
				}
				if rs.Counters.CountersAvailable {
					for j, t := range trafficDefs {
						counter(c.rsTraffic[j], float64(t.get(&rs.Counters)), bl...)
					}
					for j, t := range backendConnDefs {
						gauge(c.rsConns[j], float64(t.get(&rs.Counters)), bl...)
					}
				}
			}
		}
	}
}

// observeChecks feeds every probe run not seen before into the duration
// histogram.
func (c *Collector) observeChecks(s *status.Snapshot) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i := range s.VirtualServers {
		vs := &s.VirtualServers[i]
		for _, rs := range vs.RealServers {
			port := strconv.Itoa(int(rs.Port))
			for _, ck := range rs.Checks {
				if ck.LastRun.IsZero() {
					continue
				}
				key := vs.Name + "\x00" + rs.Address + "\x00" + port + "\x00" + ck.Name
				if c.lastRun[key].Equal(ck.LastRun) {
					continue
				}
				c.lastRun[key] = ck.LastRun
				c.checkDur.WithLabelValues(vs.Name, rs.Address, port, ck.Name).Observe(ck.Duration.Seconds())
			}
		}
	}
}
