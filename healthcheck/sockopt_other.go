//go:build !linux

package healthcheck

import (
	"context"
	"errors"
	"net"
	"syscall"
)

// setSockOpts is Linux-only: bind_if and fwmark have no portable equivalent.
func setSockOpts(_ syscall.RawConn, _ string, _ uint32) error {
	return errors.New("bind_if and fwmark need Linux")
}

// dialTCP falls back to net.Dialer where the raw-socket path (Linux) is not
// available; the close mode is not applied.
func (c Conn) dialTCP(ctx context.Context) (net.Conn, func(closeHow), error) {
	conn, closeConn, err := c.dial(ctx, "tcp")
	if err != nil {
		return nil, nil, err
	}
	return conn, func(closeHow) { closeConn() }, nil
}

// newConnectPoller: without epoll, TCP_CHECK runs on goroutines like the
// other checkers.
func newConnectPoller(chan<- []probeDone) (connectPoller, error) {
	return nil, errors.New("no epoll on this platform")
}
