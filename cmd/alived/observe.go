package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/alived/alived/api"
	"github.com/alived/alived/config"
	"github.com/alived/alived/internal/confstore"
	"github.com/alived/alived/internal/control"
	"github.com/alived/alived/internal/daemon"
	"github.com/alived/alived/internal/sdnotify"
	"github.com/alived/alived/internal/webauth"
	"github.com/alived/alived/metrics"
	"github.com/alived/alived/status"
	"github.com/alived/alived/webui"
)

// defaultWebListen is the web listener's address: the port the common
// keepalived exporter uses, so existing scrape configs keep working;
// loopback only, since metrics reveal topology and remote logins need
// TLS.
const defaultWebListen = "127.0.0.1:9165"

// sigJSON is keepalived's JSON dump signal (SIGRTMIN+2 with glibc's
// SIGRTMIN of 34; `keepalived --signum=JSON` prints 36).
const sigJSON = syscall.Signal(36)

// observeOptions are the observability settings from the command line.
type observeOptions struct {
	// ControlSocket is the API socket; empty means api.DefaultSocket.
	ControlSocket string
	// WebListen is the web listener's address (/metrics, the UI, the
	// API); empty disables it.
	WebListen string
	// UsersFile is the web users file (webauth.DefaultUsersFile when
	// empty); while it does not exist the UI and API are off.
	UsersFile string
	// TLSCert and TLSKey make the web listener serve HTTPS (both or
	// neither; parseArgs checks).
	TLSCert, TLSKey string
	// AllowInsecureLogin allows logins over plain HTTP on a non-loopback
	// address.
	AllowInsecureLogin bool
	// UI is the web UI served at / once users exist; nil serves a
	// plain-text pointer to the API. The integrator plugs the webui
	// package in here.
	UI http.Handler
	// Pprof adds Go's /debug/pprof/ handlers to the metrics listener.
	Pprof bool
	// ConfigFile is the main keepalived.conf the control API edits.
	ConfigFile string
	// StateDir holds the configuration history, the audit log and the
	// runtime overrides; DefaultStateDir when empty.
	StateDir string
}

// DefaultStateDir is where alived keeps state that must survive a
// restart (--state-dir).
const DefaultStateDir = "/var/lib/alived"

// observeFrom takes the observability settings from the command line.
func observeFrom(o *options) observeOptions {
	web := defaultWebListen
	if o.webListenSet {
		web = o.webListen
	}
	sock := o.controlSocket
	if sock == "" && o.pidFile != "" {
		// Nodes sharing a host (one per namespace) already need distinct
		// pid files; deriving the socket from the pid file keeps their
		// sockets apart without another flag.
		sock = strings.TrimSuffix(o.pidFile, ".pid") + ".sock"
	}
	file := o.configFile
	if file == "" {
		file = config.DefaultPath
	}
	state := o.stateDir
	if state == "" {
		state = DefaultStateDir
	}
	users := o.webUsersFile
	if users == "" {
		users = webauth.DefaultUsersFile
	}
	return observeOptions{ControlSocket: sock, WebListen: web, Pprof: o.debugPprof, ConfigFile: file, StateDir: state,
		UsersFile: users, TLSCert: o.webTLSCert, TLSKey: o.webTLSKey, AllowInsecureLogin: o.webAllowInsecLogin,
		UI: webui.Handler()}
}

// observer owns everything that watches the daemon from outside the loop:
// the control socket, the metrics listener, the dump signals and the
// systemd notifications. Its goroutines stop in close.
type observer struct {
	d      *daemon.Daemon
	src    *daemon.StatusSource
	notify *sdnotify.Notifier
	log    *slog.Logger
	opts   observeOptions

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// buildInfo describes this binary for alived_build_info and the API.
func buildInfo() status.Build {
	b := status.Build{Version: version, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" {
				b.Revision = s.Value
			}
		}
	}
	return b
}

// startObserve opens the control socket and the metrics listener and
// starts the notification and dump goroutines. A socket or port that
// cannot be opened is logged as an error and the daemon runs on:
// failover must not depend on its observers.
func startObserve(opts observeOptions, d *daemon.Daemon, notify *sdnotify.Notifier, log *slog.Logger) *observer {
	ctx, cancel := context.WithCancel(context.Background())
	o := &observer{d: d, src: daemon.NewStatusSource(d, buildInfo(), time.Now()), notify: notify, log: log, opts: opts, cancel: cancel}
	path := opts.ControlSocket
	if path == "" {
		path = api.DefaultSocket
	}
	var ctl api.Controller = o
	var staged webauth.Staged
	if store, err := confstore.Open(confstore.Options{Dir: filepath.Join(opts.StateDir, "history")}); err != nil {
		log.Error("configuration history unavailable; the control API cannot edit the configuration", "err", err)
	} else {
		svc := control.New(control.Options{ConfigFile: opts.ConfigFile, Loop: controlLoop{Daemon: o.d, o: o}, Store: store, Logger: log})
		ctl, staged = svc, svc
	}
	if sock, err := api.ListenUnix(path, api.NewHandler(o, api.Options{Controller: ctl, Logger: log})); err != nil {
		log.Error("control socket unavailable; alivectl cannot reach this daemon", "err", err)
	} else {
		o.goRun(func() {
			if err := sock.Serve(ctx); err != nil {
				log.Error("control socket", "err", err)
			}
		})
	}
	if opts.WebListen != "" {
		if _, err := o.serveWeb(ctx, opts.WebListen, ctl, staged); err != nil {
			log.Error("web listener unavailable (metrics, UI, API)", "err", err)
		}
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGUSR1, syscall.SIGUSR2, sigJSON)
	o.goRun(func() {
		defer signal.Stop(sigs)
		for {
			select {
			case <-ctx.Done():
				return
			case s := <-sigs:
				o.dump(s)
			}
		}
	})
	o.goRun(func() { o.watch(ctx) })
	log.Info("observability", "control_socket", path, "metrics", opts.WebListen)
	return o
}

func (o *observer) goRun(fn func()) {
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		fn()
	}()
}

// serveWeb runs the web listener on addr until ctx ends: /metrics,
// the UI and the API behind logins (webHandler), over HTTPS when a
// certificate is given. The control socket is separate and unchanged.
// It returns the address it listens on.
func (o *observer) serveWeb(ctx context.Context, addr string, ctl api.Controller, staged webauth.Staged) (net.Addr, error) {
	reg, err := metrics.NewRegistry(o.src)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	var tlsCfg *tls.Config
	if o.opts.TLSCert != "" {
		if tlsCfg, err = webauth.TLSConfig(o.opts.TLSCert, o.opts.TLSKey); err != nil {
			return nil, err
		}
	}
	auth := webauth.New(webauth.Options{UsersFile: o.opts.UsersFile, Staged: staged,
		AllowInsecureLogin: o.opts.AllowInsecureLogin, Logger: o.log})
	h := webHandler(webParts{
		metrics: metrics.Handler(reg),
		pprof:   o.opts.Pprof,
		api:     api.NewHandler(o, api.Options{Controller: ctl, Logger: o.log}),
		auth:    auth,
		ui:      o.opts.UI,
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("web listener: %w", err)
	}
	if tlsCfg != nil {
		ln = tls.NewListener(ln, tlsCfg)
	} else if !isLoopbackListen(ln.Addr()) && !o.opts.AllowInsecureLogin {
		o.log.Warn("web listener is plain HTTP on a non-loopback address: logins from the network are refused; "+
			"give --web.tls-cert-file and --web.tls-key-file", "address", ln.Addr().String())
	}
	// No write timeout: the UI's event stream stays open.
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, TLSConfig: tlsCfg}
	o.goRun(func() {
		if err := api.Serve(ctx, srv, ln); err != nil {
			o.log.Error("web listener", "err", err)
		}
	})
	o.log.Info("web listener", "address", ln.Addr().String(), "tls", tlsCfg != nil, "users_file", o.opts.UsersFile,
		"api", auth.Enabled())
	return ln.Addr(), nil
}

// isLoopbackListen reports whether a listener only accepts loopback
// connections.
func isLoopbackListen(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// webParts are what the web listener serves.
type webParts struct {
	metrics http.Handler
	// pprof adds Go's /debug/pprof/ handlers.
	pprof bool
	// api is api.NewHandler with the Controller; auth guards it.
	api  http.Handler
	auth *webauth.Auth
	// ui is the web UI (nil: none built in).
	ui http.Handler
}

// webHandler composes the web listener: /metrics unchanged, the API
// under /api/v1/ (and /healthz, /readyz) behind webauth, and the UI at /
// — both off, with / saying how to turn them on, while no users file
// exists. Every response goes through webauth.Protect (cross-origin
// protection for unsafe methods).
func webHandler(p webParts) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", p.metrics)
	if p.pprof {
		// Off by default: profiles show internals and cost CPU while
		// they run. They exist to measure alived where it runs, e.g. in
		// the checker benchmark's VM.
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
		mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	}
	guarded := p.auth.Handler(p.api)
	mux.Handle("/api/", guarded)
	mux.Handle("GET /healthz", guarded)
	mux.Handle("GET /readyz", guarded)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		switch {
		case !p.auth.Enabled():
			if r.URL.Path != "/" {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte(webauth.OffText(p.auth.UsersFile()) + "\nMetrics are at /metrics.\n"))
		case p.ui != nil:
			p.ui.ServeHTTP(w, r)
		case r.URL.Path == "/":
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			_, _ = w.Write([]byte("alived: metrics at /metrics, the API at /api/v1/ (log in with POST /api/v1/login; " +
				"document at /api/v1/openapi.json); this binary has no web UI built in\n"))
		default:
			http.NotFound(w, r)
		}
	})
	return webauth.Protect(mux)
}

// Snapshot implements status.Source for the API.
func (o *observer) Snapshot() *status.Snapshot { return o.src.Snapshot() }

// controlLoop is the daemon as the control service drives it: its own
// methods, except that reloads go through the observer so systemd hears of
// them and the status records them.
type controlLoop struct {
	*daemon.Daemon
	o *observer
}

func (l controlLoop) Reload(ctx context.Context) error { return l.o.Reload(ctx) }

// ReloadWith is an apply's reload, announced and recorded like any other.
func (l controlLoop) ReloadWith(ctx context.Context, cfg *config.Config) error {
	return l.o.reloadVia(func() error { return l.Daemon.ReloadWith(ctx, cfg) })
}

// Reload implements status.Source: a reload from the API or SIGHUP,
// announced to systemd as RELOADING=1 … READY=1.
func (o *observer) Reload(ctx context.Context) error {
	return o.reloadVia(func() error { return o.d.Reload(ctx) })
}

// reloadVia runs a reload announced to systemd as RELOADING=1 … READY=1
// and recorded for the status's LastReload.
func (o *observer) reloadVia(reload func() error) error {
	if err := o.notify.Reloading(); err != nil {
		o.log.Warn("sd_notify", "err", err)
	}
	err := reload()
	o.src.RecordReload(time.Now(), err)
	if nerr := o.notify.Ready(o.src.Snapshot().Summary()); nerr != nil {
		o.log.Warn("sd_notify", "err", nerr)
	}
	return err
}

// watch sends READY=1 once the loop has published its first state and
// STATUS= whenever the one-line summary changes. The loop publishes no
// event for outsiders, so it samples once a second: systemctl status
// being a second late is harmless.
func (o *observer) watch(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	ready, last := false, ""
	for {
		if s := o.src.Snapshot(); s != nil {
			sum := s.Summary()
			switch {
			case !ready:
				ready = true
				if err := o.notify.Ready(sum); err != nil {
					o.log.Warn("sd_notify", "err", err)
				}
			case sum != last:
				if err := o.notify.Status(sum); err != nil {
					o.log.Warn("sd_notify", "err", err)
				}
			}
			last = sum
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// dump writes the keepalived-style file a signal asks for, at the path
// the running configuration's global_defs names: the file on disk may
// hold an edit not yet reloaded, or not load at all.
func (o *observer) dump(sig os.Signal) {
	kind := map[os.Signal]string{syscall.SIGUSR1: "data", syscall.SIGUSR2: "stats", sigJSON: "json"}[sig]
	s := o.src.Snapshot()
	if s == nil || kind == "" {
		return
	}
	ds := o.d.Snapshot()
	if ds == nil || ds.Config == nil {
		o.log.Error("dump", "signal", sig.String(), "err", "no running configuration yet")
		return
	}
	path, err := daemon.WriteDumps(kind, s, daemon.DumpPathsFrom(ds.Config))
	if err != nil {
		o.log.Error("dump", "signal", sig.String(), "err", err)
		return
	}
	o.log.Info("dump written", "signal", sig.String(), "file", path)
}

// stopping announces STOPPING=1 when shutdown begins: handing over
// mastership can take a few adverts, and systemd should know meanwhile.
func (o *observer) stopping() {
	if err := o.notify.Stopping(); err != nil {
		o.log.Warn("sd_notify", "err", err)
	}
}

// close stops every listener and goroutine.
func (o *observer) close() {
	o.cancel()
	o.wg.Wait()
}
