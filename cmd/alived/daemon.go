package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"log/syslog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/alived/alived/internal/daemon"
	"github.com/alived/alived/internal/sdnotify"
)

// defaultPIDFile is used without -p. It differs from keepalived's
// /run/keepalived.pid so that alived and keepalived can share a host.
const defaultPIDFile = "/run/alived.pid"

// runDaemon is daemon mode: alived never forks (-n is accepted and
// implied), logs through slog, holds the pid file, and turns signals into
// loop commands: SIGHUP reloads, SIGTERM and SIGINT stop.
func runDaemon(o *options, stderr io.Writer) int {
	log, closeLog, err := newLogger(o, stderr)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	defer closeLog()

	pidPath := o.pidFile
	if pidPath == "" {
		pidPath = defaultPIDFile
	}
	pid, err := daemon.CreatePIDFile(pidPath)
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	defer func() {
		if err := pid.Remove(); err != nil {
			log.Warn("pid file", "err", err)
		}
	}()

	noVRRP, noLVS := sides(o)
	d, err := daemon.New(daemon.Options{
		ConfigFile: o.configFile,
		ConfigID:   o.configID,
		Hostname:   shortHostname(),
		KeepVIPs:   o.dontRelVRRP,
		NoVRRP:     noVRRP,
		NoLVS:      noLVS,
		KeepIPVS:   o.dontRelIPVS,
		Logger:     log,
		// Beside the configuration history (--state-dir).
		OverridesFile: filepath.Join(observeFrom(o).StateDir, "overrides.json"),
	})
	if err != nil {
		log.Error("cannot start", "err", err)
		return 1
	}
	obs := startObserve(observeFrom(o), d, sdnotify.FromEnv(), log)
	defer obs.close()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			select {
			case <-done:
				return
			case s := <-sigs:
				if s != syscall.SIGHUP {
					log.Info("signal, stopping", "signal", s.String())
					obs.stopping()
					cancel()
					continue
				}
				log.Info("SIGHUP, reloading")
				if err := obs.Reload(ctx); err != nil {
					log.Error("reload failed; still running the previous configuration", "err", err)
				}
			}
		}
	}()
	if err := d.Run(ctx); err != nil {
		log.Error("daemon", "err", err)
		return 1
	}
	return 0
}

// newLogger builds the slog logger: text or JSON on stderr (see
// logFormat), debug with -D, and also syslog with -S N (LOG_LOCALN) since
// keepalived logs there.
func newLogger(o *options, stderr io.Writer) (*slog.Logger, func(), error) {
	format, err := logFormat(o.logFormat, os.Getenv("ALIVED_LOG_FORMAT"))
	if err != nil {
		return nil, nil, err
	}
	level := slog.LevelInfo
	if o.logDetail {
		level = slog.LevelDebug
	}
	hopts := &slog.HandlerOptions{Level: level}
	var w io.Writer = stderr
	closeFn := func() {}
	if o.logFacility != "" {
		n, err := strconv.Atoi(o.logFacility)
		if err != nil || n < 0 || n > 7 {
			return nil, nil, fmt.Errorf("-S %s: facility must be 0..7", o.logFacility)
		}
		sw, err := syslog.New(syslog.LOG_LOCAL0+syslog.Priority(n<<3)|syslog.LOG_INFO, "alived")
		if err != nil {
			fmt.Fprintf(stderr, "syslog unavailable, logging to stderr only: %v\n", err)
		} else {
			w = io.MultiWriter(stderr, sw)
			closeFn = func() { _ = sw.Close() }
		}
	}
	var h slog.Handler = slog.NewTextHandler(w, hopts)
	if format == "json" {
		h = slog.NewJSONHandler(w, hopts)
	}
	return slog.New(h), closeFn, nil
}

// logFormat picks the log format: the --log-format flag wins, then the
// ALIVED_LOG_FORMAT environment variable (the older way, kept so existing
// unit files keep working), then text. A bad flag value is an error, since
// the operator asked for it explicitly; the environment variable keeps its
// old lenient meaning (only "json" switches).
func logFormat(flag, env string) (string, error) {
	switch flag {
	case "text", "json":
		return flag, nil
	case "":
		if env == "json" {
			return "json", nil
		}
		return "text", nil
	}
	return "", fmt.Errorf("--log-format %q: must be text or json", flag)
}

// sides maps -P (--vrrp) and -C (--check) onto the sides left out: each
// flag selects its side alone; given both, keepalived runs both.
func sides(o *options) (noVRRP, noLVS bool) {
	return o.checkOnly && !o.vrrpOnly, o.vrrpOnly && !o.checkOnly
}
