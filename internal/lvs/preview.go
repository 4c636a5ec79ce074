package lvs

import (
	"reflect"

	"github.com/alived/alived/config"
	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/ipvs"
	"github.com/alived/alived/status"
)

// Preview reports what Reload(cfg) would do to the kernel table and the
// health checks, changing nothing: the candidate's plan is tried on a copy
// of the live pool (current health and quorum kept, as Reload keeps them),
// and its desired table is diffed against the one the daemon wants now.
// It runs on the loop goroutine like every other method.
func (s *Subsystem) Preview(cfg *config.Config, out *status.Preview) {
	plan := BuildPlan(cfg)
	for _, d := range plan.Diagnostics {
		out.Warnings = append(out.Warnings, config.Format(d))
	}
	var current ipvs.Table
	trial := ipvs.NewPool()
	old := s.plan
	if old == nil {
		old = &Plan{}
		current = ipvs.Table{}
	} else {
		current = s.pool.Desired()
		trial = s.pool.Clone()
	}
	trial.SetConfig(plan.PoolConfig())
	for _, op := range ipvs.Plan(trial.Desired(), current, ipvs.PlanOptions{Owned: func(ipvs.ServiceKey) bool { return true }}) {
		out.IPVSOps = append(out.IPVSOps, op.String())
	}
	out.Checks = checkChanges(old, plan)
}

// checkChanges compares the checks of two plans the way the scheduler's
// Update does: a check with the same name and kind keeps its state (and
// is "changed" when its settings differ), anything else starts or stops.
func checkChanges(old, plan *Plan) status.CheckPreview {
	var cp status.CheckPreview
	seen := map[string]bool{}
	for _, vp := range plan.VirtualServers {
		ov := old.Lookup(vp.Name)
		for _, rp := range vp.Reals {
			var or *RealServerPlan
			if ov != nil {
				or = ov.Real(rp.Key)
			}
			for _, c := range rp.Health.Checks {
				name := vp.Name + " / " + rp.Key + " / " + c.Name
				seen[name+"\x00"+string(c.Checker.Kind())] = true
				var prev *healthcheck.CheckSpec
				if or != nil {
					for i := range or.Health.Checks {
						if oc := &or.Health.Checks[i]; oc.Name == c.Name && oc.Checker.Kind() == c.Checker.Kind() {
							prev = oc
						}
					}
				}
				switch {
				case prev == nil:
					cp.Started = append(cp.Started, name)
				case !reflect.DeepEqual(*prev, c):
					cp.Changed = append(cp.Changed, name)
				}
			}
		}
	}
	for _, vp := range old.VirtualServers {
		for _, rp := range vp.Reals {
			for _, c := range rp.Health.Checks {
				name := vp.Name + " / " + rp.Key + " / " + c.Name
				// Same name but another kind is a stop plus a start.
				if seen[name+"\x00"+string(c.Checker.Kind())] {
					continue
				}
				cp.Stopped = append(cp.Stopped, name)
			}
		}
	}
	return cp
}
