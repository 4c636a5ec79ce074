package healthcheck

import (
	"context"
	"fmt"
	"io"
	"net/textproto"
	"strings"
)

// DefaultHeloName is keepalived's SMTP_CHECK helo_name default.
const DefaultHeloName = "smtpchecker.keepalived.org"

// SMTPOptions configures SMTP_CHECK. The daemon uses port 25 when neither
// connect_port nor the real server gives one, as keepalived does.
type SMTPOptions struct {
	Conn Conn
	// HeloName is sent in HELO (helo_name, default DefaultHeloName).
	HeloName string
}

// SMTPChecker is SMTP_CHECK.
type SMTPChecker struct{ o SMTPOptions }

// NewSMTP validates o and returns an SMTP_CHECK checker.
func NewSMTP(o SMTPOptions) (*SMTPChecker, error) {
	if err := o.Conn.validate(); err != nil {
		return nil, fmt.Errorf("SMTP_CHECK: %w", err)
	}
	if o.HeloName == "" {
		o.HeloName = DefaultHeloName
	}
	if strings.ContainsAny(o.HeloName, " \r\n") {
		return nil, fmt.Errorf("SMTP_CHECK: helo_name %q contains spaces or line breaks", o.HeloName)
	}
	return &SMTPChecker{o: o}, nil
}

// maxSMTPReply bounds everything read during one SMTP dialogue.
const maxSMTPReply = 16 << 10

// limitedConn is a connection whose reads are bounded.
type limitedConn struct {
	io.Reader
	io.Writer
	io.Closer
}

// Kind returns KindSMTP.
func (c *SMTPChecker) Kind() Kind { return KindSMTP }

// Check runs keepalived's dialogue: banner 220, HELO → 250, QUIT → 221.
// Multi-line replies are accepted.
func (c *SMTPChecker) Check(ctx context.Context) Result {
	conn, closeConn, err := c.o.Conn.dial(ctx, "tcp")
	if err != nil {
		return fail(err)
	}
	defer closeConn()
	// keepalived reads replies into a 512-byte buffer; bounding the whole
	// dialogue keeps an endless reply line from growing memory.
	lr := &io.LimitedReader{R: conn, N: maxSMTPReply}
	tp := textproto.NewConn(limitedConn{Reader: lr, Writer: conn, Closer: conn})
	steps := []struct {
		send string
		want int
		what string
	}{
		{"", 220, "banner"},
		{"HELO " + c.o.HeloName, 250, "HELO"},
		{"QUIT", 221, "QUIT"},
	}
	for _, s := range steps {
		if s.send != "" {
			if err := tp.PrintfLine("%s", s.send); err != nil {
				return fail(ctxErr(ctx, "send "+s.what, err))
			}
		}
		if _, _, err := tp.ReadResponse(s.want); err != nil {
			if _, ok := err.(*textproto.Error); ok {
				return fail(fmt.Errorf("%s: %w", s.what, err))
			}
			if lr.N <= 0 {
				return fail(fmt.Errorf("%s: replies longer than %d bytes", s.what, maxSMTPReply))
			}
			return fail(ctxErr(ctx, "read "+s.what+" reply", err))
		}
	}
	return Result{}
}
