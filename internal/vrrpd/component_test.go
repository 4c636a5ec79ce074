package vrrpd_test

import (
	"github.com/alived/alived/internal/daemon"
	"github.com/alived/alived/internal/vrrpd"
)

// The daemon hosts the Subsystem as one of its components, which also
// observes BFD sessions (track_bfd), notifies through the daemon's
// Notifier and previews reloads; this fails to compile the day they drift
// apart.
var (
	_ daemon.Component    = (*vrrpd.Subsystem)(nil)
	_ daemon.BFDObserver  = (*vrrpd.Subsystem)(nil)
	_ daemon.NotifierUser = (*vrrpd.Subsystem)(nil)
	_ daemon.Previewer    = (*vrrpd.Subsystem)(nil)
)
