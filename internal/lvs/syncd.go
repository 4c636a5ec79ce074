package lvs

import (
	"fmt"
	"io"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/ipvs"
)

// syncDaemon runs the kernel's IPVS connection-sync daemon
// (lvs_sync_daemon) in the role that follows a VRRP instance: master
// while the instance is MASTER, backup otherwise, as keepalived does. It
// is owned by the loop goroutine, like the rest of the Subsystem.
//
// It acts only on states the VRRP side reported: with no VRRP side (-C)
// no state arrives and no sync daemon runs, as in keepalived, where the
// VRRP process drives it.
type syncDaemon struct {
	// states is the last state reported per VRRP instance name (true:
	// MASTER). It is kept from before Start, since the VRRP side may
	// report its first transitions before the LVS side has started.
	states map[string]bool
	// want is the configured daemon and instance (nil: none).
	want     *ipvs.SyncDaemon
	instance string
	// running is the daemon the kernel runs for alived and in which role
	// (nil: none).
	running *ipvs.SyncDaemon
	role    ipvs.SyncState
	// client is the connection the daemon is driven through; closeFn
	// closes it when syncDaemon opened it itself.
	client  ipvs.SyncDaemonClient
	closeFn func() error
}

// VRRPStateChanged implements the daemon's VRRPStateObserver: the VRRP
// side reports every state change of an instance (master true when the
// new state is MASTER). The sync daemon's role follows the instance that
// lvs_sync_daemon names.
func (s *Subsystem) VRRPStateChanged(now time.Time, instance string, master bool) {
	if s.syncd.states == nil {
		s.syncd.states = map[string]bool{}
	}
	s.syncd.states[instance] = master
	if s.started && !s.stopping && !s.stopped && instance == s.syncd.instance {
		s.syncApply()
	}
}

// syncConfigure takes lvs_sync_daemon from cfg and applies it (at Start
// and on every reload).
func (s *Subsystem) syncConfigure(cfg *config.Config) {
	s.syncd.want, s.syncd.instance = syncDaemonOf(&cfg.Global)
	s.syncApply()
}

// syncApply brings the kernel's sync daemon to the wanted role: stopped
// without lvs_sync_daemon, restarted when its settings changed, else
// master or backup after the instance's last reported state.
func (s *Subsystem) syncApply() {
	sd := &s.syncd
	master, known := sd.states[sd.instance]
	if sd.want == nil || !known {
		if sd.want == nil && sd.running != nil {
			s.syncStop()
		}
		return
	}
	role := ipvs.SyncBackup
	if master {
		role = ipvs.SyncMaster
	}
	if sd.running != nil && *sd.running == *sd.want && sd.role == role {
		return
	}
	if sd.running != nil && *sd.running != *sd.want {
		s.syncStop() // new interface or options: the kernel needs a restart
	}
	if sd.client == nil {
		if err := s.syncOpen(); err != nil {
			s.log.Error("lvs: sync daemon", "err", err)
			return
		}
	}
	if err := ipvs.FollowVRRP(sd.client, *sd.want, master); err != nil {
		s.log.Error("lvs: sync daemon", "instance", sd.instance, "err", err)
		return
	}
	d := *sd.want
	sd.running, sd.role = &d, role
	s.snapDirty = true
	s.log.Info("lvs: sync daemon", "role", role, "interface", d.Interface, "instance", sd.instance)
}

// syncOpen finds a client that can drive the sync daemon: the one the
// Subsystem was given, else a connection of its own, since the sync
// daemon runs even without virtual servers (when the table's connection
// is never opened).
func (s *Subsystem) syncOpen() error {
	var c ipvs.Client
	if s.opt.Client != nil {
		c = s.opt.Client
	} else {
		dial := s.opt.Dial
		if dial == nil {
			dial = func() (ipvs.Client, error) { return ipvs.Dial() }
		}
		n, err := dial()
		if err != nil {
			return fmt.Errorf("opening IPVS (is the ip_vs module loaded?): %w", err)
		}
		c = n
		if cl, ok := n.(io.Closer); ok {
			s.syncd.closeFn = cl.Close
		}
	}
	sc, ok := c.(ipvs.SyncDaemonClient)
	if !ok {
		if s.syncd.closeFn != nil {
			_ = s.syncd.closeFn()
			s.syncd.closeFn = nil
		}
		return fmt.Errorf("the IPVS client %T cannot drive the sync daemon", c)
	}
	s.syncd.client = sc
	return nil
}

// syncStop stops the sync daemon alived started (at Stop, as keepalived
// does on exit, and when lvs_sync_daemon changes or goes away).
func (s *Subsystem) syncStop() {
	sd := &s.syncd
	if sd.running != nil && sd.client != nil {
		if err := sd.client.StopSyncDaemon(sd.role); err != nil {
			s.log.Warn("lvs: stopping sync daemon", "role", sd.role, "err", err)
		} else {
			s.log.Info("lvs: sync daemon stopped", "role", sd.role)
		}
	}
	sd.running = nil
	s.snapDirty = true
}

// syncClose stops the sync daemon and closes its own connection.
func (s *Subsystem) syncClose() {
	s.syncStop()
	if s.syncd.closeFn != nil {
		_ = s.syncd.closeFn()
		s.syncd.closeFn = nil
	}
	s.syncd.client = nil
}
