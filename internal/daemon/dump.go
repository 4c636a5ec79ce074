package daemon

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/internal/atomicfile"
	"github.com/alived/alived/status"
)

// Default dump files, where keepalived writes them (KA_TMP_DIR is /tmp).
const (
	DefaultDataDump  = "/tmp/keepalived.data"
	DefaultStatsDump = "/tmp/keepalived.stats"
	DefaultJSONDump  = "/tmp/keepalived.json"
)

// DumpPaths are where the keepalived-style dumps go and which JSON
// layout to write.
type DumpPaths struct {
	Data, Stats, JSON string
	// JSONVersion is 1 (keepalived 2.2.x: an array of {data, stats}) or 2
	// (later keepalived: {"vrrp": [...], "track_process": [...]}).
	JSONVersion int
}

// DumpPathsFrom reads state_dump_file, stats_dump_file, json_dump_file
// and json_version from global_defs, with keepalived's defaults.
func DumpPathsFrom(cfg *config.Config) DumpPaths {
	p := DumpPaths{Data: DefaultDataDump, Stats: DefaultStatsDump, JSON: DefaultJSONDump, JSONVersion: 1}
	if cfg == nil {
		return p
	}
	for _, kw := range cfg.Global.Other {
		if len(kw.Args) == 0 {
			continue
		}
		switch kw.Keyword {
		case "state_dump_file":
			p.Data = kw.Args[0]
		case "stats_dump_file":
			p.Stats = kw.Args[0]
		case "json_dump_file":
			p.JSON = kw.Args[0]
		case "json_version":
			if v, err := strconv.Atoi(kw.Args[0]); err == nil && (v == 1 || v == 2) {
				p.JSONVersion = v
			}
		}
	}
	return p
}

// keepalivedTime formats t as keepalived's data file does:
// "1795844031.474471 (Sat Nov 28 05:33:51.474471 2026)".
func keepalivedTime(t time.Time) string {
	if t.IsZero() {
		return "0.000000"
	}
	return fmt.Sprintf("%d.%06d (%s.%06d %s)", t.Unix(), t.Nanosecond()/1000,
		t.Format("Mon Jan _2 15:04:05"), t.Nanosecond()/1000, t.Format("2006"))
}

// vipLine is a VIP as keepalived lists it: "ADDR dev IF scope global",
// with " set" while the address is installed (the instance is master).
func vipLine(in *status.Instance, vip string) string {
	addr, _, _ := strings.Cut(vip, "/")
	s := addr + " dev " + in.Interface + " scope global"
	if in.State == status.StateMaster {
		s += " set"
	}
	return s
}

// StateData renders the SIGUSR1 data dump in keepalived's layout (the
// parts alived has: topology and scripts; keepalived itself calls the
// format unstable, exporters parse the lines used here).
func StateData(s *status.Snapshot) []byte {
	var b bytes.Buffer
	b.WriteString("------< VRRP Topology >------\n")
	for i := range s.Instances {
		in := &s.Instances[i]
		fmt.Fprintf(&b, " VRRP Instance = %s\n", in.Name)
		fmt.Fprintf(&b, "   VRRP Version = %d\n", in.Version)
		fmt.Fprintf(&b, "   State = %s\n", in.State)
		if in.State == status.StateBackup && in.MasterAddr != "" {
			fmt.Fprintf(&b, "   Master router = %s\n", in.MasterAddr)
			fmt.Fprintf(&b, "   Master priority = %d\n", in.MasterPriority)
		}
		fmt.Fprintf(&b, "   Wantstate = %s\n", in.State)
		faults := 0
		for _, t := range in.Trackers {
			if !t.Up && t.Weight == 0 {
				faults++
			}
		}
		fmt.Fprintf(&b, "   Number of interface and track script faults = %d\n", faults)
		fmt.Fprintf(&b, "   Last transition = %s\n", keepalivedTime(in.Since))
		fmt.Fprintf(&b, "   Interface = %s\n", in.Interface)
		fmt.Fprintf(&b, "   Virtual Router ID = %d\n", in.VRID)
		fmt.Fprintf(&b, "   Priority = %d\n", in.BasePriority)
		fmt.Fprintf(&b, "   Effective priority = %d\n", in.EffectivePriority)
		fmt.Fprintf(&b, "   Total priority = %d\n", in.EffectivePriority)
		fmt.Fprintf(&b, "   Advert interval = %s\n", advertInterval(in.AdvertInterval))
		fmt.Fprintf(&b, "   Virtual IP (%d):\n", len(in.VIPs))
		for _, v := range in.VIPs {
			fmt.Fprintf(&b, "     %s\n", vipLine(in, v))
		}
		var scripts []status.Tracker
		for _, t := range in.Trackers {
			if t.Kind == status.TrackScript {
				scripts = append(scripts, t)
			}
		}
		if len(scripts) > 0 {
			b.WriteString("   Tracked scripts :\n")
			for _, t := range scripts {
				fmt.Fprintf(&b, "     %s weight %d\n", t.Name, t.Weight)
			}
		}
		for _, t := range in.Trackers {
			if t.Kind != status.TrackScript {
				fmt.Fprintf(&b, "   Tracked %s = %s %s weight %d\n", t.Kind, t.Name, upDown(t.Up), t.Weight)
			}
		}
	}
	if len(s.Scripts) > 0 {
		b.WriteString("------< VRRP Scripts >------\n")
		for _, sc := range s.Scripts {
			fmt.Fprintf(&b, " VRRP Script = %s\n", sc.Name)
			st := "BAD"
			if sc.Up {
				st = "GOOD"
			}
			fmt.Fprintf(&b, "   Status = %s\n", st)
			b.WriteString("   State = idle\n")
		}
	}
	if len(s.SyncGroups) > 0 {
		b.WriteString("------< VRRP Sync groups >------\n")
		for _, g := range s.SyncGroups {
			fmt.Fprintf(&b, " VRRP Sync Group = %s, %s\n", g.Name, g.State)
			for _, m := range g.Members {
				fmt.Fprintf(&b, "   monitor = %s\n", m)
			}
		}
	}
	if len(s.VirtualServers) > 0 {
		b.WriteString("------< LVS Topology >------\n")
		for _, vs := range s.VirtualServers {
			fmt.Fprintf(&b, " VS = %s\n", vs.Name)
			fmt.Fprintf(&b, "   Quorum = %d, hysteresis = %d, alive weight = %d, quorum %s\n", vs.Quorum, vs.Hysteresis, vs.WeightSum, upDown(vs.QuorumUp))
			for _, rs := range vs.RealServers {
				fmt.Fprintf(&b, "   RS = %s:%d, weight = %d, effective weight = %d, %s\n", rs.Address, rs.Port, rs.ConfiguredWeight, rs.EffectiveWeight, upDown(rs.Up))
			}
		}
	}
	return b.Bytes()
}

func upDown(up bool) string {
	if up {
		return "UP"
	}
	return "DOWN"
}

func advertInterval(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%d sec", int(d/time.Second))
	}
	return fmt.Sprintf("%d milli-sec", d.Milliseconds())
}

// StatsData renders the SIGUSR2 stats file exactly as keepalived 2.2.7
// lays it out (mehdy/keepalived-exporter parses it line by line).
func StatsData(s *status.Snapshot) []byte {
	var b bytes.Buffer
	for i := range s.Instances {
		in := &s.Instances[i]
		st := &in.Stats
		fmt.Fprintf(&b, "VRRP Instance: %s\n", in.Name)
		fmt.Fprintf(&b, "  Advertisements:\n    Received: %d\n    Sent: %d\n", st.AdvertRcvd, st.AdvertSent)
		fmt.Fprintf(&b, "  Became master: %d\n  Released master: %d\n", st.BecomeMaster, st.ReleaseMaster)
		fmt.Fprintf(&b, "  Packet Errors:\n    Length: %d\n    TTL: %d\n    Invalid Type: %d\n    Advertisement Interval: %d\n    Address List: %d\n",
			st.PacketLenErr, st.IPTTLErr, st.InvalidTypeRcvd, st.AdvertIntervalErr, st.AddrListErr)
		fmt.Fprintf(&b, "  Authentication Errors:\n    Invalid Type: %d\n    Type Mismatch: %d\n    Failure: %d\n",
			st.InvalidAuthType, st.AuthTypeMismatch, st.AuthFailure)
		fmt.Fprintf(&b, "  Priority Zero:\n    Received: %d\n    Sent: %d\n", st.PriZeroRcvd, st.PriZeroSent)
	}
	return b.Bytes()
}

// jsonData is one instance's "data" object under keepalived's field
// names, plus alived's "trackers" (every tracker with its state), which
// keepalived's parsers ignore.
type jsonData struct {
	IName             string           `json:"iname"`
	IfpIfname         string           `json:"ifp_ifname"`
	MasterPriority    uint8            `json:"master_priority"`
	LastTransition    float64          `json:"last_transition"`
	VRID              uint8            `json:"vrid"`
	BasePriority      uint8            `json:"base_priority"`
	EffectivePriority uint8            `json:"effective_priority"`
	VIPSet            bool             `json:"vipset"`
	AdverInt          float64          `json:"adver_int"`
	MasterAdverInt    float64          `json:"master_adver_int"`
	State             int              `json:"state"`
	WantState         int              `json:"wantstate"`
	Version           uint8            `json:"version"`
	VIPs              []string         `json:"vips"`
	TrackScript       []string         `json:"track_script"`
	Trackers          []status.Tracker `json:"trackers"`
}

type jsonInstance struct {
	Data  jsonData     `json:"data"`
	Stats status.Stats `json:"stats"`
}

// JSONData renders the JSON signal's dump; version 1 is keepalived
// 2.2.7's array, version 2 the later {"vrrp": [...]} object.
func JSONData(s *status.Snapshot, version int) ([]byte, error) {
	insts := make([]jsonInstance, 0, len(s.Instances))
	for i := range s.Instances {
		in := &s.Instances[i]
		d := jsonData{
			IName: in.Name, IfpIfname: in.Interface, MasterPriority: in.MasterPriority,
			VRID: in.VRID, BasePriority: in.BasePriority, EffectivePriority: in.EffectivePriority,
			VIPSet: in.State == status.StateMaster, AdverInt: in.AdvertInterval.Seconds(),
			MasterAdverInt: in.MasterAdvertInterval.Seconds(), State: status.StateNumber(in.State),
			WantState: status.StateNumber(in.State), Version: in.Version,
			VIPs: make([]string, 0, len(in.VIPs)), TrackScript: []string{}, Trackers: in.Trackers,
		}
		if d.Trackers == nil {
			d.Trackers = []status.Tracker{}
		}
		if !in.Since.IsZero() {
			d.LastTransition = float64(in.Since.UnixMicro()) / 1e6
		}
		for _, v := range in.VIPs {
			d.VIPs = append(d.VIPs, vipLine(in, v))
		}
		for _, t := range in.Trackers {
			if t.Kind == status.TrackScript {
				d.TrackScript = append(d.TrackScript, t.Name)
			}
		}
		insts = append(insts, jsonInstance{Data: d, Stats: in.Stats})
	}
	var v any = insts
	if version == 2 {
		v = struct {
			VRRP         []jsonInstance `json:"vrrp"`
			TrackProcess []any          `json:"track_process"`
		}{insts, []any{}}
	}
	out, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("json dump: %w", err)
	}
	return append(out, '\n'), nil
}

// WriteDumps writes the dump kind ("data", "stats" or "json") of s to its
// configured path.
func WriteDumps(kind string, s *status.Snapshot, p DumpPaths) (string, error) {
	switch kind {
	case "data":
		return p.Data, atomicfile.Write(p.Data, StateData(s), 0o644)
	case "stats":
		return p.Stats, atomicfile.Write(p.Stats, StatsData(s), 0o644)
	case "json":
		b, err := JSONData(s, p.JSONVersion)
		if err != nil {
			return p.JSON, err
		}
		return p.JSON, atomicfile.Write(p.JSON, b, 0o644)
	}
	return "", fmt.Errorf("unknown dump %q", kind)
}
