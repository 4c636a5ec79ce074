package bfdd_test

import (
	"github.com/alived/alived/internal/bfdd"
	"github.com/alived/alived/internal/daemon"
)

// The daemon hosts the Subsystem as one of its components; this fails to
// compile the day the two drift apart.
var _ daemon.Component = (*bfdd.Subsystem)(nil)
