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
type TCPChecker struct{ o TCPOptions }

// NewTCP validates o and returns a TCP_CHECK checker.
func NewTCP(o TCPOptions) (*TCPChecker, error) {
	if err := o.Conn.validate(); err != nil {
		return nil, fmt.Errorf("TCP_CHECK: %w", err)
	}
	return &TCPChecker{o: o}, nil
}

// Kind returns KindTCP.
func (c *TCPChecker) Kind() Kind { return KindTCP }

// Check passes when a TCP connection to the target is established before
// ctx's deadline.
func (c *TCPChecker) Check(ctx context.Context) Result {
	_, closeConn, err := c.o.Conn.dial(ctx, "tcp")
	if err != nil {
		return fail(err)
	}
	closeConn()
	return Result{}
}
