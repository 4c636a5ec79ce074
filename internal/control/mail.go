package control

import (
	"context"
	"fmt"
	"strings"

	"github.com/alived/alived/internal/notifyconf"
	"github.com/alived/alived/notify"
)

// TestMailResult is what the SMTP server answered to a test mail.
type TestMailResult struct {
	// Server and To are where the mail went (smtp_server,
	// notification_email).
	Server string   `json:"server"`
	To     []string `json:"to"`
	// Sent is true when the server accepted the mail (250 after DATA).
	Sent bool `json:"sent"`
	// Replies are the server's replies, one per step ("RCPT: 250 2.1.5 Ok").
	Replies []string `json:"replies"`
	// Error is why the mail was not sent.
	Error string `json:"error,omitempty"`
}

// TestMail sends a test mail with the notification settings as they would
// be after an apply (the staged ones, else those on disk) and reports what
// the server answered. A server that refuses is a result, not an error:
// only settings without a server or recipients are.
func (s *Service) TestMail(ctx context.Context, who string) (*TestMailResult, error) {
	s.mu.Lock()
	p, err := s.current()
	var cfgErr error
	var settings notify.Settings
	if err == nil {
		cfg, cerr := s.opt.Loop.CheckCandidate(ctx, p.overlay())
		if cerr != nil {
			cfgErr = candidateError(cerr, "test mail")
		} else {
			settings = notifyconf.Settings(&cfg.Global)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	if cfgErr != nil {
		return nil, cfgErr
	}
	mc := settings.MailerConfig()
	if mc.Server == "" || len(mc.To) == 0 {
		return nil, errorf(Invalid, "test mail: set smtp_server and notification_email first")
	}
	replies, err := notify.TestMail(ctx, mc, notify.Alert{
		Subject: "[" + settings.RouterID + "] alived test mail",
		Body:    fmt.Sprintf("This is a test of the notification settings, sent by %s.\n", who),
	})
	res := &TestMailResult{Server: mc.Server, To: mc.To, Sent: err == nil, Replies: replies}
	if res.Replies == nil {
		res.Replies = []string{}
	}
	if err != nil {
		res.Error = err.Error()
	}
	s.log.Info("control: test mail", "server", mc.Server, "to", strings.Join(mc.To, ","), "sent", res.Sent, "by", who, "err", err)
	return res, nil
}
