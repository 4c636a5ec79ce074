// Package notifyconf is the one place the configuration is translated
// into the notify package's own types: configured scripts into commands
// (honouring the script-security verdict config.Check recorded), the
// notify scripts of instances, groups and servers, and global_defs into
// the daemon-wide notification settings. The VRRP and LVS components and
// the daemon that owns the shared Notifier all use it, so that notify
// itself never sees a config type.
package notifyconf

import (
	"log/slog"
	"net"
	"slices"
	"strconv"

	"github.com/alived/alived/config"
	"github.com/alived/alived/notify"
)

// Command converts s, or returns nil when it is absent or script security
// disabled it (config.Check marks those).
func Command(s *config.Script) *notify.Command {
	if s == nil || len(s.Args) == 0 || s.Disabled {
		return nil
	}
	return &notify.Command{Argv: slices.Clone(s.Args), User: s.User, Group: s.Group}
}

// VRRPScripts converts the notify scripts of a vrrp_instance or a
// vrrp_sync_group.
func VRRPScripts(n *config.Notifies) notify.VRRPScripts {
	return notify.VRRPScripts{
		Master: Command(n.Master), Backup: Command(n.Backup), Fault: Command(n.Fault),
		Stop: Command(n.Stop), Deleted: Command(n.Deleted), Generic: Command(n.Any),
		RxLowerPri: Command(n.MasterRxLowPri),
	}
}

// UpDown converts a pair of up/down scripts (notify_up/notify_down of a
// real server, quorum_up/quorum_down of a virtual server).
func UpDown(up, down *config.Script) notify.UpDownScripts {
	return notify.UpDownScripts{Up: Command(up), Down: Command(down)}
}

// Settings converts global_defs into the notification settings.
func Settings(g *config.GlobalDefs) notify.Settings {
	fifo := func(f *config.FIFO) notify.FIFOSetting {
		if f == nil {
			return notify.FIFOSetting{}
		}
		return notify.FIFOSetting{Path: f.Path, Script: Command(f.Script)}
	}
	s := notify.Settings{
		RouterID: g.RouterID, ScriptUser: g.ScriptUser, ScriptGroup: g.ScriptGroup,
		FIFO: fifo(g.NotifyFIFO), VRRPFIFO: fifo(g.VRRPNotifyFIFO), LVSFIFO: fifo(g.LVSNotifyFIFO),
		SMTPHeloName: g.SMTPHeloName, From: g.NotificationEmailFrom, To: g.NotificationEmail,
		SMTPConnectTimeout: g.SMTPConnectTimeout, NoEmailFaults: g.NoEmailFaults,
	}
	if g.SMTPServer != "" {
		port := g.SMTPPort
		if port == 0 {
			port = 25
		}
		s.SMTPServer = net.JoinHostPort(g.SMTPServer, strconv.Itoa(int(port)))
	}
	return s
}

// Notifier builds the one Notifier cfg's global_defs configure and logs
// the FIFOs that could not be opened (keepalived carries on without them).
func Notifier(cfg *config.Config, log *slog.Logger) *notify.Notifier {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	n, errs := notify.Build(Settings(&cfg.Global), log)
	for _, err := range errs {
		log.Error("notify fifo", "err", err)
	}
	return n
}

// SameNotifier reports whether a and b configure the same Notifier, so
// that a reload can keep the running one.
func SameNotifier(a, b *config.Config) bool {
	return Settings(&a.Global).Equal(Settings(&b.Global))
}
