//go:build !linux

package healthcheck

import (
	"errors"
	"syscall"
)

// setSockOpts is Linux-only: bind_if and fwmark have no portable equivalent.
func setSockOpts(_ syscall.RawConn, _ string, _ uint32) error {
	return errors.New("bind_if and fwmark need Linux")
}
