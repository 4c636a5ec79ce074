package notify

// Mail sends only e's alert mail: no scripts, no FIFO line. keepalived
// mails a checker's own up/down change even when the real server's state
// (and so its scripts and FIFO line) does not change, unless
// no_checker_emails is set; the LVS side uses Mail for those. It reports
// false when the mail queue is full.
func (n *Notifier) Mail(e Event) bool {
	if n.cfg.Mailer == nil || !n.shouldMail(e) {
		return true
	}
	a, has := AlertFor(e, n.cfg.RouterID)
	if !has {
		return true
	}
	return n.cfg.Mailer.Send(a)
}
