package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"sync/atomic"
	"time"
)

// DefaultSMTPTimeout is keepalived's smtp_connect_timeout default.
const DefaultSMTPTimeout = 30 * time.Second

// MailerConfig is the global_defs part that SMTP alerts use.
type MailerConfig struct {
	// Server is smtp_server as "host:port" (keepalived's default port is 25).
	Server string
	// HeloName is smtp_helo_name; empty sends "localhost" as keepalived does.
	HeloName string
	// From is notification_email_from.
	From string
	// To is notification_email; every address gets its own RCPT TO.
	To []string
	// ConnectTimeout is smtp_connect_timeout; it bounds the connection and
	// each reply, as in keepalived. Zero means DefaultSMTPTimeout.
	ConnectTimeout time.Duration
	// QueueLen bounds mails waiting to be sent; zero means DefaultQueueLen.
	QueueLen int
	// Now stamps the Date header; nil means time.Now.
	Now func() time.Time
	// Logger receives one line per mail sent or failed; nil discards.
	Logger *slog.Logger
}

// MailerStats are a Mailer's counters.
type MailerStats struct {
	Sent    uint64 // accepted by the server (250 after DATA)
	Failed  uint64 // connection or protocol failures
	Dropped uint64 // refused because the queue was full or closed
}

// Mailer sends alert mails in the background, one at a time in the order
// queued, through a bounded queue: Send never blocks, and a dead or slow
// server costs at most ConnectTimeout per step of the dialogue, never the
// caller's time.
type Mailer struct {
	cfg    MailerConfig
	logger *slog.Logger
	queue  *Dispatcher

	sent, failed atomic.Uint64
}

// NewMailer returns a Mailer; Close stops it.
func NewMailer(cfg MailerConfig) *Mailer {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultSMTPTimeout
	}
	if cfg.HeloName == "" {
		cfg.HeloName = "localhost"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.To = append([]string(nil), cfg.To...)
	l := cfg.Logger
	if l == nil {
		l = slog.New(slog.DiscardHandler)
	}
	return &Mailer{cfg: cfg, logger: l, queue: NewDispatcher(cfg.QueueLen)}
}

// Enabled reports whether mails can be sent at all: keepalived sends none
// without both a server and at least one recipient.
func (m *Mailer) Enabled() bool { return m.cfg.Server != "" && len(m.cfg.To) > 0 }

// Send queues a. It reports false, counting a drop, when the queue is full
// or the Mailer is closed, and false without counting when the Mailer is
// not Enabled.
func (m *Mailer) Send(a Alert) bool {
	if !m.Enabled() {
		return false
	}
	return m.queue.Submit("smtp", func(ctx context.Context) {
		if err := m.deliver(ctx, a); err != nil {
			m.failed.Add(1)
			m.logger.Warn("SMTP alert failed", "server", m.cfg.Server, "subject", a.Subject, "err", err)
			return
		}
		m.sent.Add(1)
		m.logger.Info("SMTP alert successfully sent", "server", m.cfg.Server, "subject", a.Subject)
	})
}

// Stats returns the counters.
func (m *Mailer) Stats() MailerStats {
	return MailerStats{Sent: m.sent.Load(), Failed: m.failed.Load(), Dropped: m.queue.Stats().Dropped}
}

// Close stops accepting mails and waits for queued ones until ctx ends,
// then abandons the rest.
func (m *Mailer) Close(ctx context.Context) error {
	if err := m.queue.Close(ctx); err != nil {
		return fmt.Errorf("smtp mailer: %w", err)
	}
	return nil
}

// smtpError is a reply with an unexpected code.
type smtpError struct {
	step string
	code int
	msg  string
}

func (e *smtpError) Error() string {
	return fmt.Sprintf("%s: server replied %d %s", e.step, e.code, e.msg)
}

// deliver runs one SMTP dialogue: HELO, MAIL FROM, RCPT TO per recipient,
// DATA, QUIT — the commands keepalived sends, one at a time (no
// pipelining, no EHLO extensions).
func (m *Mailer) deliver(ctx context.Context, a Alert) error {
	return deliver(ctx, m.cfg, a, nil)
}

// TestMail sends a one-off mail through cfg's server now, in the caller's
// goroutine, and returns every reply the server gave (one line each,
// "250 2.0.0 Ok"), so an operator checking the settings sees what the
// server said, including the refusal when there is one.
func TestMail(ctx context.Context, cfg MailerConfig, a Alert) ([]string, error) {
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = DefaultSMTPTimeout
	}
	if cfg.HeloName == "" {
		cfg.HeloName = "localhost"
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var replies []string
	err := deliver(ctx, cfg, a, func(step string, code int, msg string) {
		replies = append(replies, fmt.Sprintf("%s: %d %s", step, code, msg))
	})
	return replies, err
}

// deliver runs one SMTP dialogue with cfg; reply, if not nil, hears every
// server reply.
func deliver(ctx context.Context, cfg MailerConfig, a Alert, reply func(step string, code int, msg string)) error {
	m := &Mailer{cfg: cfg}
	d := net.Dialer{Timeout: m.cfg.ConnectTimeout}
	conn, err := d.DialContext(ctx, "tcp", m.cfg.Server)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer conn.Close()
	// Cancelling ctx (Close deadline) unblocks any read or write.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	tp := textproto.NewConn(conn)
	step := func(name string, want int, format string, args ...any) error {
		if err := conn.SetDeadline(time.Now().Add(m.cfg.ConnectTimeout)); err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if format != "" {
			if err := tp.PrintfLine(format, args...); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		code, msg, err := tp.ReadResponse(want)
		if reply != nil && code != 0 {
			reply(name, code, msg)
		}
		if err != nil {
			var perr *textproto.Error
			if errors.As(err, &perr) {
				return &smtpError{step: name, code: code, msg: msg}
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	}

	if err := step("greeting", 220, ""); err != nil {
		return err
	}
	if err := step("HELO", 250, "HELO %s", m.cfg.HeloName); err != nil {
		return err
	}
	if err := step("MAIL", 250, "MAIL FROM:<%s>", m.cfg.From); err != nil {
		return err
	}
	for _, to := range m.cfg.To {
		if err := step("RCPT", 250, "RCPT TO:<%s>", to); err != nil {
			return err
		}
	}
	if err := step("DATA", 354, "DATA"); err != nil {
		return err
	}
	if err := conn.SetDeadline(time.Now().Add(m.cfg.ConnectTimeout)); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	w := tp.DotWriter()
	msg := Message(m.cfg.Now(), m.cfg.From, m.cfg.To, a)
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("body: %w", err)
	}
	if err := step("end of DATA", 250, ""); err != nil {
		return err
	}
	// The mail is accepted; a failing QUIT does not undo that.
	_ = step("QUIT", 221, "QUIT")
	return nil
}
