// Package api serves alived's status and control API as JSON over HTTP.
//
// This round it is served only on a Unix socket (alived --control-socket,
// default /run/alived/alived.sock, mode 0600): the socket's file mode is
// the authentication, so state-changing endpoints (reload) exist only on
// a handler built with Options.Control, which the daemon gives to the
// Unix socket and never to a TCP listener. The routes live under /api/v1
// so that the management UI of a later round can grow beside them.
//
//	GET  /healthz                  the process is alive (always 200)
//	GET  /readyz                   the daemon has published its state (200) or not yet (503)
//	GET  /api/v1/status            the whole status.Snapshot
//	GET  /api/v1/instances         VRRP instances
//	GET  /api/v1/sync-groups       VRRP sync groups
//	GET  /api/v1/virtual-servers   virtual servers with their real servers
//	POST /api/v1/reload            reload the configuration (control only)
//
// The package never imports the daemon: it reads a status.Source.
package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/alived/alived/status"
)

// Options configure a handler.
type Options struct {
	// Control enables state-changing endpoints. Only set it for a
	// listener whose access is already restricted (the 0600 Unix socket).
	Control bool
	// Logger receives one line per state-changing request; nil discards.
	Logger *slog.Logger
}

// ErrorBody is the JSON body of every non-2xx response.
type ErrorBody struct {
	Error string `json:"error"`
}

// ReloadResult is the JSON body of a successful reload.
type ReloadResult struct {
	OK bool `json:"ok"`
}

// NewHandler returns the API over src.
func NewHandler(src status.Source, opts Options) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if src.Snapshot() == nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte("starting\n"))
			return
		}
		_, _ = w.Write([]byte("ready\n"))
	})
	get := func(path string, pick func(*status.Snapshot) any) {
		mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
			s := src.Snapshot()
			if s == nil {
				writeJSON(w, http.StatusServiceUnavailable, ErrorBody{Error: "daemon is starting"})
				return
			}
			writeJSON(w, http.StatusOK, pick(s))
		})
	}
	get("/api/v1/status", func(s *status.Snapshot) any { return s })
	get("/api/v1/instances", func(s *status.Snapshot) any { return s.Instances })
	get("/api/v1/sync-groups", func(s *status.Snapshot) any { return s.SyncGroups })
	get("/api/v1/virtual-servers", func(s *status.Snapshot) any { return s.VirtualServers })
	if opts.Control {
		mux.HandleFunc("POST /api/v1/reload", func(w http.ResponseWriter, r *http.Request) {
			err := src.Reload(r.Context())
			log.Info("api: reload requested", "ok", err == nil, "err", err)
			if err != nil {
				code := http.StatusUnprocessableEntity
				if errors.Is(err, r.Context().Err()) && r.Context().Err() != nil {
					code = http.StatusServiceUnavailable
				}
				writeJSON(w, code, ErrorBody{Error: err.Error()})
				return
			}
			writeJSON(w, http.StatusOK, ReloadResult{OK: true})
		})
	}
	return mux
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}
