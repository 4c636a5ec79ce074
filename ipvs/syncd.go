package ipvs

import (
	"errors"
	"fmt"
	"net/netip"
	"syscall"
)

// SyncState is the role of the kernel's connection-synchronisation daemon
// (kernel values IP_VS_STATE_MASTER / IP_VS_STATE_BACKUP).
type SyncState uint32

// Sync daemon roles.
const (
	SyncMaster SyncState = 1
	SyncBackup SyncState = 2
)

// String names the role as ipvsadm does.
func (s SyncState) String() string {
	switch s {
	case SyncMaster:
		return "master"
	case SyncBackup:
		return "backup"
	}
	return fmt.Sprintf("syncstate(%d)", uint32(s))
}

// SyncDaemon is lvs_sync_daemon: the interface the daemon multicasts on
// and its options (zero values leave the kernel's defaults).
type SyncDaemon struct {
	Interface string
	SyncID    uint32
	MaxLen    uint16
	Port      uint16
	TTL       uint8
	Group     netip.Addr
}

// SyncDaemonClient starts and stops the kernel's sync daemons.
type SyncDaemonClient interface {
	StartSyncDaemon(SyncState, SyncDaemon) error
	StopSyncDaemon(SyncState) error
}

// FollowVRRP puts the sync daemon in the role that matches the VRRP
// instance lvs_sync_daemon names: master while the instance is MASTER,
// backup otherwise, as keepalived does. The other role is stopped first;
// stopping a role that is not running and starting one that already runs
// are not errors, so FollowVRRP can be called on every transition.
func FollowVRRP(c SyncDaemonClient, d SyncDaemon, master bool) error {
	want, other := SyncBackup, SyncMaster
	if master {
		want, other = SyncMaster, SyncBackup
	}
	if err := c.StopSyncDaemon(other); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("ipvs: stopping %s sync daemon: %w", other, err)
	}
	if err := c.StartSyncDaemon(want, d); err != nil && !errors.Is(err, syscall.EEXIST) {
		return fmt.Errorf("ipvs: starting %s sync daemon on %s: %w", want, d.Interface, err)
	}
	return nil
}

// StartSyncDaemon implements SyncDaemonClient on the fake kernel,
// answering like the real one: EEXIST when the role already runs.
func (f *Fake) StartSyncDaemon(s SyncState, d SyncDaemon) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.syncd == nil {
		f.syncd = map[SyncState]SyncDaemon{}
	}
	if _, ok := f.syncd[s]; ok {
		return syscall.EEXIST
	}
	f.syncd[s] = d
	return nil
}

// StopSyncDaemon implements SyncDaemonClient on the fake kernel: ESRCH
// when the role is not running.
func (f *Fake) StopSyncDaemon(s SyncState) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.syncd[s]; !ok {
		return syscall.ESRCH
	}
	delete(f.syncd, s)
	return nil
}

// SyncDaemons returns the sync daemons running in the fake kernel.
func (f *Fake) SyncDaemons() map[SyncState]SyncDaemon {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[SyncState]SyncDaemon{}
	for k, v := range f.syncd {
		out[k] = v
	}
	return out
}
