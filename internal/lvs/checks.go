package lvs

import (
	"fmt"
	"net/netip"

	"github.com/alived/alived/config"
	"github.com/alived/alived/healthcheck"
	"github.com/alived/alived/internal/notifyconf"
)

// checks maps the checker blocks of real server r onto healthcheck specs.
// The config layer has already applied keepalived's inheritance
// (virtual_server → real_server → checker) and the per-kind defaults; what
// is left here is the translation into option structs. A checker that
// healthcheck refuses becomes a warning at its file:line and is left out,
// as keepalived drops a checker it cannot parse. logAll holds the names of
// the checks with log_all_failures (or global checker_log_all_failures).
func (p *Plan) checks(cfg *config.Config, v *config.VirtualServer, r *config.RealServer) (out []healthcheck.CheckSpec, logAll map[string]bool) {
	logAll = map[string]bool{}
	add := func(ch *config.Checker, name, where string) {
		if spec, ok := p.check(cfg, ch, name, where); ok {
			out = append(out, spec)
			if ch.LogAllFailures || cfg.Global.CheckerLogAllFailures {
				logAll[name] = true
			}
		}
	}
	count := map[config.CheckerKind]int{}
	for _, ch := range r.Checkers {
		count[ch.Kind]++
		// Names count per kind so that adding a checker of another kind
		// on reload does not rename (and reset) the existing ones.
		name := fmt.Sprintf("%s#%d", ch.Kind, count[ch.Kind])
		where := fmt.Sprintf("virtual server %s real server [%s]:%d %s", v.ServiceString(), r.Addr, r.Port, ch.Kind)
		if ch.Kind == config.CheckSMTP && ch.SMTP != nil && len(ch.SMTP.Hosts) > 0 {
			// Each deprecated host{} block is a checker of its own in
			// keepalived 2.x.
			for i, h := range ch.SMTP.Hosts {
				hc := *h
				hc.Kind, hc.SMTP = config.CheckSMTP, &config.SMTPCheck{HeloName: ch.SMTP.HeloName}
				add(&hc, fmt.Sprintf("%s/host%d", name, i+1), where)
			}
			continue
		}
		add(ch, name, where)
	}
	return out, logAll
}

// check builds one spec; false means it was dropped with a warning.
func (p *Plan) check(cfg *config.Config, ch *config.Checker, name, where string) (healthcheck.CheckSpec, bool) {
	kind := healthcheck.Kind(ch.Kind)
	timeout := ch.ConnectTimeout
	if ch.Kind == config.CheckMisc && ch.Misc != nil {
		timeout = ch.Misc.Timeout
	}
	timing, err := healthcheck.ResolveTiming(kind, healthcheck.TimingOverride{
		DelayLoop:        &ch.DelayLoop,
		ConnectTimeout:   &timeout,
		Retry:            &ch.Retry,
		DelayBeforeRetry: &ch.DelayBeforeRetry,
		Warmup:           &ch.Warmup,
		Alpha:            &ch.Alpha,
	})
	if err == nil {
		err = timing.Validate()
	}
	if err != nil {
		p.warnf(ch.Pos, "%s: %v - checker ignored", where, err)
		return healthcheck.CheckSpec{}, false
	}
	if kind == healthcheck.KindFile || kind == healthcheck.KindBFD {
		// keepalived applies a track file's value, or a BFD session's
		// state, as soon as it changes: no retries, no warmup (alived
		// probes it when inotify or the BFD session reports a change, and
		// every delay_loop as a safety net).
		timing.Retry, timing.Warmup = 0, 0
	}
	c, err := newChecker(cfg, ch)
	if err != nil {
		p.warnf(ch.Pos, "%s: %v - checker ignored", where, err)
		return healthcheck.CheckSpec{}, false
	}
	return healthcheck.CheckSpec{Name: name, Checker: c, Timing: timing}, true
}

// conn fills keepalived's connection options; port is the default when
// neither connect_port nor the real server gave one.
func conn(ch *config.Checker, port uint16) healthcheck.Conn {
	p := ch.ConnectPort
	if p == 0 {
		p = port
	}
	return healthcheck.Conn{
		Addr:     netip.AddrPortFrom(ch.ConnectIP, p),
		BindTo:   ch.BindTo,
		BindPort: ch.BindPort,
		BindIf:   ch.BindIf,
		FWMark:   ch.FWMark,
	}
}

func newChecker(cfg *config.Config, ch *config.Checker) (healthcheck.Checker, error) {
	switch ch.Kind {
	case config.CheckTCP:
		return healthcheck.NewTCP(healthcheck.TCPOptions{Conn: conn(ch, 0)})
	case config.CheckHTTP, config.CheckSSL:
		return newHTTP(cfg, ch)
	case config.CheckSMTP:
		o := healthcheck.SMTPOptions{Conn: conn(ch, 25)}
		if ch.SMTP != nil {
			o.HeloName = ch.SMTP.HeloName
		}
		return healthcheck.NewSMTP(o)
	case config.CheckDNS:
		o := healthcheck.DNSOptions{Conn: conn(ch, 53)}
		if ch.DNS != nil {
			o.Type, o.Name = ch.DNS.Type, ch.DNS.Name
		}
		return healthcheck.NewDNS(o)
	case config.CheckUDP:
		o := healthcheck.UDPOptions{Conn: conn(ch, 0), MaxReplyLength: healthcheck.DefaultMaxReplyLength}
		if u := ch.UDP; u != nil {
			o.Payload, o.RequireReply = u.Payload, u.RequireReply
			o.ReplyPattern = healthcheck.HexPattern{Value: u.ReplyPattern, Mask: u.ReplyMask}
			o.MinReplyLength, o.MaxReplyLength = u.MinReplyLength, u.MaxReplyLength
		}
		return healthcheck.NewUDP(o)
	case config.CheckPing:
		return healthcheck.NewPing(healthcheck.PingOptions{Conn: conn(ch, 0)})
	case config.CheckMisc:
		if ch.Misc == nil || ch.Misc.Path == nil {
			return nil, fmt.Errorf("no misc_path")
		}
		if ch.Misc.Path.Disabled {
			// keepalived removes a MISC_CHECK whose script its script
			// security refuses; config.Check decided that.
			return nil, fmt.Errorf("misc_path %s is disabled by script security (not found, insecure or its user unknown)", ch.Misc.Path.Cmd)
		}
		user, group := ch.Misc.Path.User, ch.Misc.Path.Group
		if user == "" {
			r := notifyconf.Settings(&cfg.Global).Runner(nil)
			user, group = r.User, r.Group
		}
		return healthcheck.NewMisc(healthcheck.MiscOptions{
			Path: ch.Misc.Path.Cmd, Dynamic: ch.Misc.Dynamic, User: user, Group: group,
		})
	case config.CheckFile:
		if ch.File == nil {
			return nil, fmt.Errorf("no track_file")
		}
		path := ""
		for _, f := range cfg.TrackFiles {
			if f.Name == ch.File.TrackFile {
				path = f.File
			}
		}
		if path == "" {
			return nil, fmt.Errorf("track_file %q not found", ch.File.TrackFile)
		}
		return healthcheck.NewFile(healthcheck.FileOptions{Path: path, Weight: ch.File.Weight, Reverse: ch.File.Reverse})
	case config.CheckBFD:
		return newBFDChecker(ch)
	}
	return nil, fmt.Errorf("unknown checker %q", ch.Kind)
}

func newHTTP(cfg *config.Config, ch *config.Checker) (healthcheck.Checker, error) {
	o := healthcheck.HTTPOptions{Conn: conn(ch, 0), TLS: ch.Kind == config.CheckSSL}
	if h := ch.HTTP; h != nil {
		o.Protocol, o.VirtualHost, o.EnableSNI, o.SNIName = h.Protocol, h.VirtualHost, h.EnableSNI, h.SNIName
		for _, u := range h.URLs {
			url := healthcheck.URL{
				Path: u.Path, Digest: u.Digest, VirtualHost: u.VirtualHost,
				Regex: u.Regex, RegexNoMatch: u.RegexNoMatch, RegexOptions: u.RegexOptions,
				RegexMinOffset: u.RegexMinOffset, RegexMaxOffset: u.RegexMaxOffset,
			}
			for _, r := range u.StatusCodes {
				url.StatusCodes = append(url.StatusCodes, healthcheck.StatusRange{Lo: r.Min, Hi: r.Max})
			}
			o.URLs = append(o.URLs, url)
		}
	}
	if s := cfg.SSL; s != nil {
		o.SSL = healthcheck.SSLOptions{CA: s.CA, Certificate: s.Certificate, Key: s.Key, Password: s.Password}
	}
	return healthcheck.NewHTTP(o)
}
