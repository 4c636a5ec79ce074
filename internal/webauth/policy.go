package webauth

import "github.com/alived/alived/internal/control"

// Access is what a route requires on the web listener.
type Access string

// The kinds of access a route can require.
const (
	// Public routes need no login (liveness, the OpenAPI document,
	// login itself).
	Public Access = "public"
	// View needs any role.
	View Access = "viewer"
	// Operate needs operator or admin.
	Operate Access = "operator"
	// OperateEdits needs operator when the request only switches
	// servers on or off (an enable/disable edit, or an apply, plan or
	// discard of staged edits that are all enable/disable), admin
	// otherwise.
	OperateEdits Access = "operator-edits"
	// Administer needs admin.
	Administer Access = "admin"
)

// Policy is the one route → access table of the web listener, keyed by
// "METHOD PATH" as api.Routes and api.WebSessionRoutes name the routes.
// A test fails when a route has no entry, so a new endpoint cannot be
// served without a decision; a route missing here anyway is admin-only.
func Policy() map[string]Access {
	return map[string]Access{
		"GET /healthz":             Public,
		"GET /readyz":              Public,
		"GET /api/v1/openapi.json": Public,
		"POST /api/v1/login":       Public,
		"POST /api/v1/logout":      Public,
		"GET /api/v1/whoami":       View,

		"GET /api/v1/status":                      View,
		"GET /api/v1/instances":                   View,
		"GET /api/v1/sync-groups":                 View,
		"GET /api/v1/virtual-servers":             View,
		"GET /api/v1/events":                      View,
		"GET /api/v1/overrides":                   View,
		"GET /api/v1/config":                      View,
		"GET /api/v1/config/virtual-servers/{vs}": View,
		"GET /api/v1/changes":                     View,
		"GET /api/v1/history":                     View,
		"GET /api/v1/history/{rev}":               View,
		"GET /api/v1/audit":                       View,

		"POST /api/v1/overrides": Operate,

		"POST /api/v1/changes":   OperateEdits,
		"DELETE /api/v1/changes": OperateEdits,
		"POST /api/v1/plan":      OperateEdits,
		"POST /api/v1/apply":     OperateEdits,

		"POST /api/v1/reload":                 Administer,
		"POST /api/v1/test-mail":              Administer,
		"POST /api/v1/history/{rev}/rollback": Administer,
	}
}

// OperatorOps are the edits an operator may stage: they switch an
// existing object on or off and change nothing else.
func OperatorOps() []control.Op {
	return []control.Op{control.EnableVS, control.DisableVS, control.EnableRS, control.DisableRS}
}

// operatorOp reports whether an operator may stage op.
func operatorOp(op control.Op) bool {
	for _, o := range OperatorOps() {
		if o == op {
			return true
		}
	}
	return false
}

// Staged tells the policy which edits are staged; *control.Service
// implements it (StagedOps).
type Staged interface {
	StagedOps() []control.Op
}

// allOperatorOps reports whether every staged edit is an operator's.
func allOperatorOps(ops []control.Op) bool {
	for _, op := range ops {
		if !operatorOp(op) {
			return false
		}
	}
	return true
}
