package control

import (
	"context"
	"errors"

	"github.com/alived/alived/config/ident"
	"github.com/alived/alived/internal/lvs"
	"github.com/alived/alived/status"
)

// OverrideRequest asks for a runtime override of a real server, or of
// every real server of a virtual server when RS is empty.
type OverrideRequest struct {
	VS string `json:"vs"`
	RS string `json:"rs,omitempty"`
	// Action is drain, maint, weight or ready (clear).
	Action string `json:"action"`
	// Weight is the weight for the weight action (0..65535).
	Weight *int `json:"weight,omitempty"`
}

// Overrider is the daemon's side of overrides; *daemon.Daemon implements
// it.
type Overrider interface {
	SetOverride(ctx context.Context, vs ident.VS, rs *ident.RS, o lvs.Override) (lvs.OverrideSet, error)
	Overrides(ctx context.Context) (lvs.OverrideSet, error)
}

// Override carries out req: the kernel table has changed when it returns
// and the override will survive a restart. Errors change nothing.
func (s *Service) Override(ctx context.Context, who string, req OverrideRequest) (lvs.OverrideSet, error) {
	ov, ok := s.opt.Loop.(Overrider)
	if !ok {
		return lvs.OverrideSet{}, errorf(Unavailable, "this daemon takes no runtime overrides")
	}
	vs, err := ident.ParseVS(req.VS)
	if err != nil {
		return lvs.OverrideSet{}, wrap(Invalid, err, "%s", req.Action)
	}
	var rs *ident.RS
	if req.RS != "" {
		r, err := ident.ParseRS(req.RS)
		if err != nil {
			return lvs.OverrideSet{}, wrap(Invalid, err, "%s", req.Action)
		}
		rs = &r
	}
	var o lvs.Override
	switch req.Action {
	case "drain":
		o.Kind = status.OverrideDrain
	case "maint":
		o.Kind = status.OverrideMaint
	case "weight":
		if req.Weight == nil {
			return lvs.OverrideSet{}, errorf(Invalid, "weight: a weight is required")
		}
		o.Kind, o.Weight = status.OverrideWeight, *req.Weight
	case "ready":
	default:
		return lvs.OverrideSet{}, errorf(Invalid, "override %q: want drain, maint, weight or ready", req.Action)
	}
	set, err := ov.SetOverride(ctx, vs, rs, o)
	target := vs.String()
	if rs != nil {
		target += " " + rs.String()
	}
	if err != nil {
		var nf *lvs.NotFoundError
		if errors.As(err, &nf) {
			return lvs.OverrideSet{}, wrap(NotFound, err, "%s %s", req.Action, target)
		}
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return lvs.OverrideSet{}, wrap(Unavailable, err, "%s %s", req.Action, target)
		}
		return lvs.OverrideSet{}, wrap(Invalid, err, "%s %s", req.Action, target)
	}
	s.log.Info("control: override", "action", req.Action, "target", target, "weight", req.Weight, "by", who)
	if s.opt.Store != nil {
		if err := s.opt.Store.Audit(who, req.Action+" "+target, nil); err != nil {
			s.log.Warn("control: audit log", "err", err)
		}
	}
	return set, nil
}

// Overrides lists the overrides in force.
func (s *Service) Overrides(ctx context.Context) (lvs.OverrideSet, error) {
	ov, ok := s.opt.Loop.(Overrider)
	if !ok {
		return lvs.OverrideSet{Version: lvs.OverrideSetVersion}, nil
	}
	set, err := ov.Overrides(ctx)
	if err != nil {
		return lvs.OverrideSet{}, wrap(Unavailable, err, "overrides")
	}
	return set, nil
}
