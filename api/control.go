package api

import (
	"context"
	"net/http"
	"strconv"

	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/internal/confstore"
	"github.com/alived/alived/internal/control"
	"github.com/alived/alived/internal/lvs"
)

// Manager is the management side of a Controller: configuration edits
// with preview, apply, history and rollback. *control.Service implements
// it; the same operations serve alivectl and the web UI.
type Manager interface {
	Config() (*control.ConfigView, error)
	VirtualServer(name string) (*edit.VSInfo, error)
	Pending() *control.Pending
	Stage(ctx context.Context, who string, e control.Edit) (*control.Pending, error)
	Discard(who string)
	PlanPending(ctx context.Context) (*control.Plan, error)
	PlanFile(ctx context.Context, path string) (*control.Plan, error)
	Apply(ctx context.Context, who, message string) (*control.ApplyResult, error)
	ApplyFile(ctx context.Context, who, path, message string) (*control.ApplyResult, error)
	History() ([]confstore.RevisionInfo, error)
	Revision(n int) (*control.RevisionDetail, error)
	PlanRollback(ctx context.Context, n int) (*control.Plan, error)
	Rollback(ctx context.Context, who string, n int) (*control.ApplyResult, error)
	Override(ctx context.Context, who string, req control.OverrideRequest) (lvs.OverrideSet, error)
	Overrides(ctx context.Context) (lvs.OverrideSet, error)
	TestMail(ctx context.Context, who string) (*control.TestMailResult, error)
	AuditLog(limit int) ([]confstore.AuditRecord, error)
}

// PlanRequest is the body of POST /api/v1/plan: empty previews the staged
// edits, File previews that file in place of the main keepalived.conf.
type PlanRequest struct {
	File string `json:"file,omitempty"`
}

// ApplyRequest is the body of POST /api/v1/apply.
type ApplyRequest struct {
	// File applies that file in place of the main keepalived.conf
	// instead of the staged edits.
	File string `json:"file,omitempty"`
	// Message goes into the history and the audit log.
	Message string `json:"message,omitempty"`
}

// RollbackRequest is the body of POST /api/v1/history/{rev}/rollback.
type RollbackRequest struct {
	// DryRun only previews the rollback.
	DryRun bool `json:"dry_run,omitempty"`
}

// managerRoutes are the configuration-management endpoints.
func (h *handler) managerRoutes() []route {
	return []route{
		{method: "GET", path: "/api/v1/overrides", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			replyTo(w)(h.mgr().Overrides(r.Context()))
		}},
		{method: "POST", path: "/api/v1/overrides", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			var req control.OverrideRequest
			if !decode(w, r, &req) {
				return
			}
			set, err := h.mgr().Override(r.Context(), Caller(r.Context()), req)
			h.log.Info("api: override", "action", req.Action, "vs", req.VS, "rs", req.RS, "by", Caller(r.Context()), "ok", err == nil, "err", err)
			reply(w, set, err)
		}},
		{method: "GET", path: "/api/v1/config", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			replyTo(w)(h.mgr().Config())
		}},
		{method: "GET", path: "/api/v1/config/virtual-servers/{vs}", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			replyTo(w)(h.mgr().VirtualServer(r.PathValue("vs")))
		}},
		{method: "GET", path: "/api/v1/changes", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, h.mgr().Pending())
		}},
		{method: "POST", path: "/api/v1/changes", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			var e control.Edit
			if !decode(w, r, &e) {
				return
			}
			p, err := h.mgr().Stage(r.Context(), Caller(r.Context()), e)
			h.log.Info("api: edit", "edit", e.Summary(), "by", Caller(r.Context()), "ok", err == nil, "err", err)
			reply(w, p, err)
		}},
		{method: "DELETE", path: "/api/v1/changes", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			h.mgr().Discard(Caller(r.Context()))
			writeJSON(w, http.StatusOK, h.mgr().Pending())
		}},
		{method: "POST", path: "/api/v1/plan", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			var req PlanRequest
			if !decode(w, r, &req) {
				return
			}
			if req.File != "" {
				replyTo(w)(h.mgr().PlanFile(r.Context(), req.File))
				return
			}
			replyTo(w)(h.mgr().PlanPending(r.Context()))
		}},
		{method: "POST", path: "/api/v1/apply", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			var req ApplyRequest
			if !decode(w, r, &req) {
				return
			}
			who := Caller(r.Context())
			var res *control.ApplyResult
			var err error
			if req.File != "" {
				res, err = h.mgr().ApplyFile(r.Context(), who, req.File, req.Message)
			} else {
				res, err = h.mgr().Apply(r.Context(), who, req.Message)
			}
			h.log.Info("api: apply", "by", who, "ok", err == nil, "err", err)
			reply(w, res, err)
		}},
		{method: "GET", path: "/api/v1/audit", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			limit := 100
			if v := r.URL.Query().Get("limit"); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || n < 0 {
					writeJSON(w, http.StatusBadRequest, ErrorBody{Error: "limit must be a number >= 0 (0: all)"})
					return
				}
				limit = n
			}
			replyTo(w)(h.mgr().AuditLog(limit))
		}},
		{method: "POST", path: "/api/v1/test-mail", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			replyTo(w)(h.mgr().TestMail(r.Context(), Caller(r.Context())))
		}},
		{method: "GET", path: "/api/v1/history", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			replyTo(w)(h.mgr().History())
		}},
		{method: "GET", path: "/api/v1/history/{rev}", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			n, ok := revision(w, r)
			if ok {
				replyTo(w)(h.mgr().Revision(n))
			}
		}},
		{method: "POST", path: "/api/v1/history/{rev}/rollback", control: true, handle: func(w http.ResponseWriter, r *http.Request) {
			n, ok := revision(w, r)
			var req RollbackRequest
			if !ok || !decode(w, r, &req) {
				return
			}
			if req.DryRun {
				replyTo(w)(h.mgr().PlanRollback(r.Context(), n))
				return
			}
			res, err := h.mgr().Rollback(r.Context(), Caller(r.Context()), n)
			h.log.Info("api: rollback", "revision", n, "by", Caller(r.Context()), "ok", err == nil, "err", err)
			reply(w, res, err)
		}},
	}
}

// mgr is the controller's management side (routes are only registered
// when the controller has one).
func (h *handler) mgr() Manager { return h.ctl.(Manager) }

// revision reads the {rev} path parameter.
func revision(w http.ResponseWriter, r *http.Request) (int, bool) {
	n, err := strconv.Atoi(r.PathValue("rev"))
	if err != nil || n < 0 {
		writeJSON(w, http.StatusBadRequest, ErrorBody{Error: "revision must be a number >= 0"})
		return 0, false
	}
	return n, true
}

// reply writes v, or the error with its status code.
func reply(w http.ResponseWriter, v any, err error) {
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, v)
}

// replyTo is reply for a call's two results: replyTo(w)(op()).
func replyTo(w http.ResponseWriter) func(any, error) {
	return func(v any, err error) { reply(w, v, err) }
}
