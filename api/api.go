// Package api serves alived's status and control API as JSON over HTTP.
//
// Read-only endpoints (status) are served wherever a handler is built;
// state-changing ones exist only on a handler built with a Controller,
// which the daemon gives to its Unix socket (mode 0600: the socket's file
// mode is the authentication) and never to an unauthenticated TCP
// listener. Every route is versioned under /api/v1 and described by the
// OpenAPI document served at /api/v1/openapi.json (openapi.json in this
// package; a test keeps the two in step).
//
// The package never imports the daemon: it reads a status.Source and
// drives a Controller.
package api

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/alived/alived/internal/control"
	"github.com/alived/alived/status"
)

// OpenAPI is the API's OpenAPI 3.1 document.
//
//go:embed openapi.json
var OpenAPI []byte

// Controller carries out the state-changing operations. The daemon's
// control service implements it; tests pass fakes.
type Controller interface {
	// Reload asks the daemon to reload its configuration (as SIGHUP).
	Reload(ctx context.Context) error
}

// Options configure a handler.
type Options struct {
	// Controller enables the state-changing endpoints. Only set it for a
	// listener whose access is already restricted (the 0600 Unix socket)
	// or authenticated.
	Controller Controller
	// Logger receives one line per state-changing request; nil discards.
	Logger *slog.Logger
}

// ErrorBody is the JSON body of every non-2xx response.
type ErrorBody struct {
	Error string `json:"error"`
	// Diagnostics are a rejected configuration's messages, each
	// "file:line: severity: message".
	Diagnostics []string `json:"diagnostics,omitempty"`
}

// ReloadResult is the JSON body of a successful reload.
type ReloadResult struct {
	OK bool `json:"ok"`
}

// maxBody bounds every request body: the largest legitimate one is a
// configuration edit of a few kilobytes.
const maxBody = 1 << 20

// route is one endpoint; the table is what the OpenAPI test walks.
type route struct {
	method, path string
	// control routes change state: served only with a Controller;
	// manage routes need one that is also a Manager.
	control, manage bool
	handle          func(w http.ResponseWriter, r *http.Request)
}

// handler holds what the routes need.
type handler struct {
	src status.Source
	ctl Controller
	log *slog.Logger
	// eventEnc is the events stream's shared encoding (events.go).
	eventEnc eventCache
}

// NewHandler returns the API over src, with the control endpoints when
// opts.Controller is set.
func NewHandler(src status.Source, opts Options) http.Handler {
	h := &handler{src: src, ctl: opts.Controller, log: opts.Logger}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	_, manage := h.ctl.(Manager)
	for _, rt := range h.routes() {
		if rt.control && h.ctl == nil {
			continue
		}
		if rt.manage && !manage {
			continue
		}
		mux.HandleFunc(rt.method+" "+rt.path, rt.handle)
	}
	return mux
}

// routes lists every endpoint.
func (h *handler) routes() []route {
	rts := []route{
		{method: "GET", path: "/healthz", handle: h.healthz},
		{method: "GET", path: "/readyz", handle: h.readyz},
		{method: "GET", path: "/api/v1/openapi.json", handle: func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(OpenAPI)
		}},
		{method: "GET", path: "/api/v1/status", handle: h.get(func(s *status.Snapshot) any { return s })},
		{method: "GET", path: "/api/v1/instances", handle: h.get(func(s *status.Snapshot) any { return s.Instances })},
		{method: "GET", path: "/api/v1/sync-groups", handle: h.get(func(s *status.Snapshot) any { return s.SyncGroups })},
		{method: "GET", path: "/api/v1/virtual-servers", handle: h.get(func(s *status.Snapshot) any { return s.VirtualServers })},
		{method: "GET", path: "/api/v1/events", handle: h.events},
		{method: "POST", path: "/api/v1/reload", control: true, handle: h.reload},
	}
	for _, rt := range h.managerRoutes() {
		rt.manage = true
		rts = append(rts, rt)
	}
	return rts
}

func (h *handler) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func (h *handler) readyz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if h.src.Snapshot() == nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("starting\n"))
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// get serves a part of the latest snapshot.
func (h *handler) get(pick func(*status.Snapshot) any) func(http.ResponseWriter, *http.Request) {
	return func(w http.ResponseWriter, _ *http.Request) {
		s := h.src.Snapshot()
		if s == nil {
			writeJSON(w, http.StatusServiceUnavailable, ErrorBody{Error: "daemon is starting"})
			return
		}
		writeJSON(w, http.StatusOK, pick(s))
	}
}

func (h *handler) reload(w http.ResponseWriter, r *http.Request) {
	err := h.ctl.Reload(r.Context())
	h.log.Info("api: reload requested", "by", Caller(r.Context()), "ok", err == nil, "err", err)
	if err != nil {
		code := http.StatusUnprocessableEntity
		if errors.Is(err, r.Context().Err()) && r.Context().Err() != nil {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, ErrorBody{Error: err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, ReloadResult{OK: true})
}

// decode reads a JSON request body into v: bounded in size, unknown
// fields refused (a misspelt field must not be silently ignored).
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.Decode(&struct{}{}) != io.EOF {
		err = errors.New("more than one JSON value")
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		code := http.StatusBadRequest
		if errors.As(err, &tooBig) {
			code = http.StatusRequestEntityTooLarge
		}
		writeJSON(w, code, ErrorBody{Error: fmt.Sprintf("request body: %v", err)})
		return false
	}
	return true
}

// fail writes a control error with the status code its kind maps to.
func fail(w http.ResponseWriter, err error) {
	body := ErrorBody{Error: err.Error()}
	var ce *control.Error
	if errors.As(err, &ce) {
		body.Diagnostics = ce.Diagnostics
	}
	writeJSON(w, StatusCode(control.KindOf(err)), body)
}

// StatusCode maps a control failure kind to its HTTP status.
func StatusCode(k control.Kind) int {
	switch k {
	case control.Invalid:
		return http.StatusBadRequest
	case control.NotFound:
		return http.StatusNotFound
	case control.Conflict:
		return http.StatusConflict
	case control.Rejected:
		return http.StatusUnprocessableEntity
	}
	return http.StatusServiceUnavailable
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
