package lvs_test

import (
	"github.com/alived/alived/internal/daemon"
	"github.com/alived/alived/internal/lvs"
)

// The daemon hosts the Subsystem as one of its components; this fails to
// compile the day the two drift apart.
var _ daemon.Component = (*lvs.Subsystem)(nil)
