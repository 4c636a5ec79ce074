package healthcheck

import (
	"context"
	"fmt"
)

// TCPOptions configures TCP_CHECK: keepalived only connects (and closes).
type TCPOptions struct {
	Conn Conn
}

// TCPChecker is TCP_CHECK.
type TCPChecker struct {
	o   TCPOptions
	how closeHow
}

// NewTCP validates o and returns a TCP_CHECK checker.
func NewTCP(o TCPOptions) (*TCPChecker, error) {
	if err := o.Conn.validate(); err != nil {
		return nil, fmt.Errorf("TCP_CHECK: %w", err)
	}
	c := &TCPChecker{o: o, how: closeGraceful}
	if o.Conn.BindPort != 0 {
		// A fixed source port must be free again for the next probe a
		// delay_loop later: a FIN close would park the same 4-tuple in
		// TIME_WAIT for a minute and fail every other probe's bind with
		// EADDRINUSE. Otherwise close like keepalived, with FIN, so the
		// server logs no resets.
		c.how = closeAbort
	}
	return c, nil
}

// Kind returns KindTCP.
func (c *TCPChecker) Kind() Kind { return KindTCP }

// Check passes when a TCP connection to the target is established before
// ctx's deadline.
func (c *TCPChecker) Check(ctx context.Context) Result {
	_, closeConn, err := c.o.Conn.dialTCP(ctx)
	if err != nil {
		return fail(err)
	}
	closeConn(c.how)
	return Result{}
}
