package daemon

import (
	"context"
	"time"

	"github.com/alived/alived/config"
	"github.com/alived/alived/internal/notifyconf"
	"github.com/alived/alived/notify"
)

// NotifierUser is implemented by a component that notifies through the
// daemon's one Notifier (the VRRP and LVS sides), so each FIFO has one
// writer. The daemon hands it the Notifier, on the loop goroutine, before
// Start and again when a reload replaces it; the component never closes
// it.
type NotifierUser interface {
	// SetNotifier makes n the Notifier the component notifies through.
	SetNotifier(n *notify.Notifier)
}

// buildNotifier builds the daemon's one Notifier from cfg's global_defs.
func (d *Daemon) buildNotifier(cfg *config.Config) *notify.Notifier {
	return notifyconf.Notifier(cfg, d.log)
}

// setNotifier makes n the Notifier of the daemon and of every component.
func (d *Daemon) setNotifier(n *notify.Notifier) {
	d.notifier = n
	for _, c := range d.comps {
		if u, ok := c.(NotifierUser); ok {
			u.SetNotifier(n)
		}
	}
}

// closeNotifier lets n finish its queued scripts and mails for at most
// wait.
func closeNotifier(n *notify.Notifier, wait time.Duration) {
	if n == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_ = n.Close(ctx)
}
