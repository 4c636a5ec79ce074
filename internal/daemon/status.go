package daemon

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/alived/alived/internal/bfdd"
	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/internal/vrrpd"
	"github.com/alived/alived/status"
	"github.com/alived/alived/vrrp"
)

// StatusSource adapts a Daemon to status.Source for the control API and
// the Prometheus collectors, which must not import this package. It
// converts each published daemon snapshot once and hands the same
// immutable status.Snapshot to every reader until the loop publishes the
// next one.
type StatusSource struct {
	d       *Daemon
	build   status.Build
	started time.Time

	mu       sync.Mutex
	last     *Snapshot
	conv     *status.Snapshot
	reloadAt time.Time
	reloadOK bool
}

// NewStatusSource returns a status.Source over d; build identifies the
// binary in every snapshot and started is the daemon's start time.
func NewStatusSource(d *Daemon, build status.Build, started time.Time) *StatusSource {
	return &StatusSource{d: d, build: build, started: started, reloadOK: true}
}

// Snapshot returns the status view of the latest published state, nil
// before the loop has published anything.
func (s *StatusSource) Snapshot() *status.Snapshot {
	ds := s.d.Snapshot()
	if ds == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ds != s.last || s.conv == nil {
		s.conv = ConvertSnapshot(ds, s.build)
		s.last = ds
	}
	out := *s.conv
	out.Started, out.LastReload, out.LastReloadOK = s.started, s.reloadAt, s.reloadOK
	return &out
}

// RecordReload notes the outcome of a reload (SIGHUP, the API, an apply)
// for Snapshot's LastReload / LastReloadOK.
func (s *StatusSource) RecordReload(at time.Time, err error) {
	s.mu.Lock()
	s.reloadAt, s.reloadOK = at, err == nil
	s.mu.Unlock()
}

// ConvertSnapshot builds the canonical status view from a daemon snapshot
// by recognising the components' own snapshot types. Components it does
// not know are ignored, so a new component never breaks the API.
func ConvertSnapshot(ds *Snapshot, build status.Build) *status.Snapshot {
	out := &status.Snapshot{
		Taken: ds.Taken, ConfigFile: ds.ConfigFile, Reloads: ds.Reloads, LastReloadOK: true, Build: build,
		Instances: []status.Instance{}, SyncGroups: []status.SyncGroup{}, Scripts: []status.Script{},
		BFDSessions: []status.BFDSession{}, VirtualServers: []status.VirtualServer{},
	}
	names := make([]string, 0, len(ds.Components))
	for n := range ds.Components {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		switch c := ds.Components[n].(type) {
		case vrrpd.Snapshot:
			convertVRRP(out, &c)
		case *vrrpd.Snapshot:
			convertVRRP(out, c)
		case lvs.Snapshot:
			convertLVS(out, &c)
		case *lvs.Snapshot:
			convertLVS(out, c)
		case bfdd.Snapshot:
			out.BFDSessions = append(out.BFDSessions, c.Sessions...)
		}
	}
	return out
}

func convertVRRP(out *status.Snapshot, v *vrrpd.Snapshot) {
	scriptSeen := map[string]bool{}
	for _, is := range v.Instances {
		in := status.Instance{
			Name: is.Name, Interface: is.Interface, VRID: is.VRID, Version: is.Version,
			State: stateName(is.State), BasePriority: is.BasePriority, EffectivePriority: is.EffectivePriority,
			MasterPriority: is.MasterPriority, Since: is.Since,
			AdvertInterval: is.AdvertInterval, MasterAdvertInterval: is.MasterAdvertInterval,
			VIPs: make([]string, 0, len(is.VIPs)), Trackers: []status.Tracker{},
			Stats: convertStats(is.Stats), SyncGroup: is.SyncGroup,
		}
		if is.MasterAddr.IsValid() {
			in.MasterAddr = is.MasterAddr.String()
		}
		for _, t := range is.Trackers {
			tr := convertTracker(t)
			in.Trackers = append(in.Trackers, tr)
			if tr.Kind == status.TrackScript && !scriptSeen[tr.Name] {
				// The script's own state as the instance sees it; for a
				// script tracked with "reverse" this is the inverted state.
				scriptSeen[tr.Name] = true
				out.Scripts = append(out.Scripts, status.Script{Name: tr.Name, Up: tr.Up})
			}
		}
		for _, p := range is.VIPs {
			in.VIPs = append(in.VIPs, p.String())
		}
		out.Instances = append(out.Instances, in)
	}
	groups := make([]string, 0, len(v.Groups))
	for g := range v.Groups {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	for _, g := range groups {
		sg := status.SyncGroup{Name: g, State: v.Groups[g], Members: []string{}}
		for _, in := range out.Instances {
			if in.SyncGroup == g {
				sg.Members = append(sg.Members, in.Name)
			}
		}
		out.SyncGroups = append(out.SyncGroups, sg)
	}
}

// convertTracker turns the core's tracker (named by vrrpd's trackRef.id: "if:",
// "script:" or "file:" and the object's name) into a status.Tracker whose
// Weight is what it adds to the priority now, as the core computes it: a
// positive weight while up, a negative one while down.
func convertTracker(t vrrp.TrackerState) status.Tracker {
	kind, name, ok := strings.Cut(t.Name, ":")
	switch {
	case !ok:
		kind, name = "", t.Name
	case kind == "if":
		kind = status.TrackInterface
	}
	w := 0
	if t.Weight > 0 && t.Up || t.Weight < 0 && !t.Up {
		w = t.Weight
	}
	return status.Tracker{Kind: kind, Name: name, Up: t.Up, Weight: w}
}

// stateName maps the core's states onto keepalived's four; the transient
// DELETED and STOP states only exist while an instance is going away.
func stateName(s vrrp.State) string {
	switch s {
	case vrrp.StateBackup:
		return status.StateBackup
	case vrrp.StateMaster:
		return status.StateMaster
	case vrrp.StateFault:
		return status.StateFault
	}
	return status.StateInit
}

func convertStats(s vrrp.Stats) status.Stats {
	return status.Stats{
		AdvertRcvd: s.AdvertRcvd, AdvertSent: s.AdvertSent, BecomeMaster: s.BecomeMaster, ReleaseMaster: s.ReleaseMaster,
		PacketLenErr: s.PacketLenErr, AdvertIntervalErr: s.AdvertIntervalErr, IPTTLErr: s.IPTTLErr,
		InvalidTypeRcvd: s.InvalidTypeRcvd, AddrListErr: s.AddrListErr, InvalidAuthType: s.InvalidAuthType,
		AuthTypeMismatch: s.AuthTypeMismatch, AuthFailure: s.AuthFailure, PriZeroRcvd: s.PriZeroRcvd, PriZeroSent: s.PriZeroSent,
	}
}

// convertLVS takes the LVS side's status as it publishes it: the virtual
// servers are already the status package's values, immutable once
// published, so they are shared, not copied.
func convertLVS(out *status.Snapshot, l *lvs.Snapshot) {
	out.LVSError = l.LastError
	out.VirtualServers = append(out.VirtualServers, l.VirtualServers...)
}
