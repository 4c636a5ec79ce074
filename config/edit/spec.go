package edit

import (
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/ident"
)

// VSSpec is the complete set of a virtual server's own settings (its real
// servers are edited separately). Empty fields are not written; SetVS
// removes the lines of fields that are empty. Keywords the typed fields do
// not cover go in Extra.
type VSSpec struct {
	ID ident.VS `json:"id"`
	// DelayLoop is seconds, a decimal number ("6", "0.5").
	DelayLoop string `json:"delay_loop,omitempty"`
	// Scheduler is lvs_sched (lb_algo): rr, wrr, lc, wlc, ...
	Scheduler string `json:"lvs_sched,omitempty"`
	// Method is lvs_method (lb_kind): NAT, DR or TUN.
	Method                 string    `json:"lvs_method,omitempty"`
	PersistenceTimeout     *uint32   `json:"persistence_timeout,omitempty"`
	PersistenceGranularity string    `json:"persistence_granularity,omitempty"`
	Virtualhost            string    `json:"virtualhost,omitempty"`
	SorryServer            *Endpoint `json:"sorry_server,omitempty"`
	Quorum                 *uint32   `json:"quorum,omitempty"`
	Hysteresis             *uint32   `json:"hysteresis,omitempty"`
	QuorumUp               string    `json:"quorum_up,omitempty"`
	QuorumDown             string    `json:"quorum_down,omitempty"`
	Alpha                  bool      `json:"alpha,omitempty"`
	Omega                  bool      `json:"omega,omitempty"`
	InhibitOnFailure       bool      `json:"inhibit_on_failure,omitempty"`
	// Extra holds every other keyword line of the block, in order.
	Extra []Param `json:"extra,omitempty"`
}

// Endpoint is an address with an optional port (sorry_server IP [PORT]).
type Endpoint struct {
	Addr netip.Addr `json:"addr"`
	Port *uint16    `json:"port,omitempty"`
}

// RSSpec is the complete set of a real server's settings, its health
// checks included.
type RSSpec struct {
	ID               ident.RS `json:"id"`
	Weight           *uint32  `json:"weight,omitempty"`
	InhibitOnFailure bool     `json:"inhibit_on_failure,omitempty"`
	NotifyUp         string   `json:"notify_up,omitempty"`
	NotifyDown       string   `json:"notify_down,omitempty"`
	// Checks are checker blocks: Keyword HTTP_GET, SSL_GET, TCP_CHECK,
	// SMTP_CHECK, DNS_CHECK, UDP_CHECK, MISC_CHECK, PING_CHECK,
	// FILE_CHECK or BFD_CHECK, with their fields (and nested blocks such
	// as url { path ...; status_code ... }) in Block.
	Checks []Param `json:"checks,omitempty"`
	// Extra holds every other keyword line of the block, in order.
	Extra []Param `json:"extra,omitempty"`
}

// Globals is the notification part of global_defs.
type Globals struct {
	NotificationEmail     []string `json:"notification_email,omitempty"`
	NotificationEmailFrom string   `json:"notification_email_from,omitempty"`
	// SMTPServer is an address or host name; SMTPPort is optional.
	SMTPServer         string  `json:"smtp_server,omitempty"`
	SMTPPort           *uint16 `json:"smtp_port,omitempty"`
	SMTPConnectTimeout *uint32 `json:"smtp_connect_timeout,omitempty"`
}

// checkerTypes are the real server's health check keywords.
var checkerTypes = map[string]bool{"HTTP_GET": true, "SSL_GET": true, "TCP_CHECK": true, "SMTP_CHECK": true,
	"DNS_CHECK": true, "UDP_CHECK": true, "MISC_CHECK": true, "PING_CHECK": true, "FILE_CHECK": true, "BFD_CHECK": true}

// schedulers are the IPVS schedulers of current kernels.
var schedulers = map[string]bool{"rr": true, "wrr": true, "lc": true, "wlc": true, "lblc": true, "lblcr": true,
	"dh": true, "sh": true, "sed": true, "nq": true, "fo": true, "ovf": true, "mh": true, "twos": true}

// registry is the keyword registry, indexed by block path.
type registry struct {
	kw     map[string]map[string]string // block → keyword → canonical name
	blocks map[string]bool              // paths that are blocks
}

var loadRegistry = sync.OnceValue(func() *registry {
	r := &registry{kw: map[string]map[string]string{}, blocks: map[string]bool{}}
	for _, k := range config.Keywords() {
		m := r.kw[k.Block]
		if m == nil {
			m = map[string]string{}
			r.kw[k.Block] = m
		}
		canon := k.Name
		if k.AliasOf != "" {
			canon = k.AliasOf
		}
		m[k.Name] = canon
		r.blocks[k.Block] = true
	}
	return r
})

// canon is the canonical spelling of kw in block (kw itself if unknown).
func canon(block, kw string) string {
	if c, ok := loadRegistry().kw[block][kw]; ok {
		return c
	}
	return kw
}

var (
	reHost    = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)
	reDecimal = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?$`)
	reHex     = regexp.MustCompile(`^[0-9A-Fa-f]+$`)
	reStatus  = regexp.MustCompile(`^[1-5][0-9][0-9](-[1-5][0-9][0-9])?$`)
	reEmail   = regexp.MustCompile(`^[A-Za-z0-9._%+=-]+@[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)
	reURLPath = regexp.MustCompile(`^/[A-Za-z0-9._~%/?&=+,;:@*()-]*$`)
)

// checkText rejects a value that would change the configuration's
// structure when written: line breaks, braces, comment characters,
// quotes, macros and control characters.
func checkText(field, v string) error {
	if v == "" {
		return fmt.Errorf("%s: empty value", field)
	}
	for _, c := range v {
		if c < 0x20 || c == 0x7f {
			return fmt.Errorf("%s: %q contains a control character", field, v)
		}
	}
	if i := strings.IndexAny(v, "{}#!\"$\\"); i >= 0 {
		return fmt.Errorf("%s: %q: the character %q is not allowed (it is keepalived syntax)", field, v, v[i])
	}
	if strings.HasPrefix(v, "@") || strings.HasPrefix(v, "~") || strings.HasPrefix(v, "include") {
		return fmt.Errorf("%s: %q cannot start with @, ~ or include", field, v)
	}
	return nil
}

// checkWord is checkText for a value that must be one word.
func checkWord(field, v string) error {
	if err := checkText(field, v); err != nil {
		return err
	}
	if strings.ContainsAny(v, " \t") {
		return fmt.Errorf("%s: %q must be a single word", field, v)
	}
	return nil
}

func checkUint(field, v string, max uint64) error {
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > max {
		return fmt.Errorf("%s: %q is not a whole number from 0 to %d", field, v, max)
	}
	return nil
}

// checkPath accepts an absolute path (a script with arguments when args)
// without .. components.
func checkPath(field, v string, args bool) error {
	if err := checkText(field, v); err != nil {
		return err
	}
	p := v
	if args {
		p, _, _ = strings.Cut(v, " ")
	} else if strings.ContainsAny(v, " \t") {
		return fmt.Errorf("%s: %q must not contain blanks", field, v)
	}
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%s: %q must be an absolute path", field, v)
	}
	for _, part := range strings.Split(p, "/") {
		if part == ".." {
			return fmt.Errorf("%s: %q must not contain a .. component", field, v)
		}
	}
	return nil
}

// checkValues checks the arguments of the fields whose values alived
// knows; other fields only get checkText.
func checkValues(field, kw string, args []string) error {
	one := func() (string, error) {
		if len(args) != 1 {
			return "", fmt.Errorf("%s: takes exactly one value, got %d", field, len(args))
		}
		return args[0], nil
	}
	switch kw {
	case "connect_port", "bind_port":
		v, err := one()
		if err != nil {
			return err
		}
		return checkUint(field, v, 65535)
	case "connect_ip", "bindto":
		v, err := one()
		if err != nil {
			return err
		}
		if _, err := netip.ParseAddr(v); err != nil {
			return fmt.Errorf("%s: %q is not an IP address", field, v)
		}
	case "retry", "nb_get_retry", "misc_timeout", "fwmark":
		v, err := one()
		if err != nil {
			return err
		}
		return checkUint(field, v, 1<<32-1)
	case "delay_before_retry", "connect_timeout", "delay_loop", "warmup":
		v, err := one()
		if err != nil {
			return err
		}
		if !reDecimal.MatchString(v) {
			return fmt.Errorf("%s: %q is not a number of seconds", field, v)
		}
	case "status_code":
		for _, v := range args {
			if !reStatus.MatchString(v) {
				return fmt.Errorf("%s: %q is not an HTTP status code or range", field, v)
			}
		}
	case "digest":
		v, err := one()
		if err != nil {
			return err
		}
		if len(v) != 32 || !reHex.MatchString(v) {
			return fmt.Errorf("%s: %q is not an MD5 digest (32 hex digits)", field, v)
		}
	case "path":
		v, err := one()
		if err != nil {
			return err
		}
		if !reURLPath.MatchString(v) || strings.Contains(v, "/../") || strings.HasSuffix(v, "/..") {
			return fmt.Errorf("%s: %q is not a URL path (it starts with / and has no blanks or ..)", field, v)
		}
	case "virtualhost", "helo_name", "name", "sni_name":
		v, err := one()
		if err != nil {
			return err
		}
		if !reHost.MatchString(v) {
			return fmt.Errorf("%s: %q is not a host name", field, v)
		}
	case "type":
		v, err := one()
		if err != nil {
			return err
		}
		switch strings.ToUpper(v) {
		case "A", "NS", "CNAME", "SOA", "MX", "TXT", "AAAA":
		default:
			return fmt.Errorf("%s: %q is not a DNS type (A, NS, CNAME, SOA, MX, TXT, AAAA)", field, v)
		}
	case "misc_path", "notify_up", "notify_down", "quorum_up", "quorum_down":
		if len(args) != 1 {
			return fmt.Errorf("%s: give the command as one value", field)
		}
		return checkPath(field, args[0], true)
	case "track_file":
		v, err := one()
		if err != nil {
			return err
		}
		return checkWord(field, v)
	case "require_reply", "payload":
		v, err := one()
		if err != nil {
			return err
		}
		if !reHex.MatchString(v) {
			return fmt.Errorf("%s: %q is not hex data", field, v)
		}
	}
	return nil
}

// checkParams validates params against the keyword registry for block.
func checkParams(block string, ps []Param) error {
	reg := loadRegistry()
	for _, p := range ps {
		field := block + "/" + p.Keyword
		if _, ok := reg.kw[block][p.Keyword]; !ok {
			return fmt.Errorf("%s: unknown keyword %q in %s", field, p.Keyword, block)
		}
		if err := checkWord(field, p.Keyword); err != nil {
			return err
		}
		for _, a := range p.Args {
			if err := checkText(field, a); err != nil {
				return err
			}
		}
		if err := checkValues(field, p.Keyword, p.Args); err != nil {
			return err
		}
		sub := block + "/" + p.Keyword
		isBlock := reg.blocks[sub]
		switch {
		case (p.IsBlock || len(p.Block) > 0) && !isBlock:
			return fmt.Errorf("%s: %s does not take a block", field, p.Keyword)
		case isBlock && !p.IsBlock && len(p.Block) == 0 && !checkerTypes[p.Keyword]:
			return fmt.Errorf("%s: %s needs a block", field, p.Keyword)
		}
		if isBlock {
			if err := checkParams(sub, p.Block); err != nil {
				return err
			}
		}
	}
	return nil
}

func u32(v *uint32) string { return strconv.FormatUint(uint64(*v), 10) }

// params turns the spec into the block's keyword lines, validated.
func (s VSSpec) params() ([]Param, error) {
	if !s.ID.Valid() {
		return nil, fmt.Errorf("virtual server: identity missing or invalid")
	}
	var out []Param
	add := func(kw string, args ...string) { out = append(out, Param{Keyword: kw, Args: args}) }
	if s.DelayLoop != "" {
		if err := checkValues("delay_loop", "delay_loop", []string{s.DelayLoop}); err != nil {
			return nil, err
		}
		add("delay_loop", s.DelayLoop)
	}
	if s.Scheduler != "" {
		if !schedulers[s.Scheduler] {
			return nil, fmt.Errorf("lvs_sched: %q is not an IPVS scheduler", s.Scheduler)
		}
		add("lvs_sched", s.Scheduler)
	}
	if s.Method != "" {
		switch m := strings.ToUpper(s.Method); m {
		case "NAT", "DR", "TUN":
			add("lvs_method", m)
		default:
			return nil, fmt.Errorf("lvs_method: %q is not NAT, DR or TUN", s.Method)
		}
	}
	switch s.ID.Kind {
	case ident.ByAddr, ident.ByGroup:
		add("protocol", s.ID.Proto)
	case ident.ByFWMark:
		if s.ID.IPv6 {
			add("ip_family", "inet6")
		}
	}
	if s.PersistenceTimeout != nil {
		add("persistence_timeout", u32(s.PersistenceTimeout))
	}
	if g := s.PersistenceGranularity; g != "" {
		if _, err := netip.ParseAddr(g); err != nil {
			if checkUint("persistence_granularity", g, 128) != nil {
				return nil, fmt.Errorf("persistence_granularity: %q is neither a netmask nor a prefix length", g)
			}
		}
		add("persistence_granularity", g)
	}
	if s.Virtualhost != "" {
		if err := checkValues("virtualhost", "virtualhost", []string{s.Virtualhost}); err != nil {
			return nil, err
		}
		add("virtualhost", s.Virtualhost)
	}
	if ss := s.SorryServer; ss != nil {
		if !ss.Addr.IsValid() {
			return nil, fmt.Errorf("sorry_server: address missing")
		}
		if ss.Port != nil {
			add("sorry_server", ss.Addr.String(), strconv.Itoa(int(*ss.Port)))
		} else {
			add("sorry_server", ss.Addr.String())
		}
	}
	if s.Quorum != nil {
		if *s.Quorum == 0 {
			return nil, fmt.Errorf("quorum: must be at least 1")
		}
		add("quorum", u32(s.Quorum))
	}
	if s.Hysteresis != nil {
		add("hysteresis", u32(s.Hysteresis))
	}
	for _, f := range []struct{ kw, v string }{{"quorum_up", s.QuorumUp}, {"quorum_down", s.QuorumDown}} {
		if f.v != "" {
			if err := checkValues(f.kw, f.kw, []string{f.v}); err != nil {
				return nil, err
			}
			add(f.kw, f.v)
		}
	}
	if s.Alpha {
		add("alpha")
	}
	if s.Omega {
		add("omega")
	}
	if s.InhibitOnFailure {
		add("inhibit_on_failure")
	}
	for _, p := range s.Extra {
		k := canon("virtual_server", p.Keyword)
		identity := k == "protocol" && s.ID.Kind == ident.ByFWMark || k == "ip_family" && s.ID.Kind != ident.ByFWMark
		if p.Keyword == "real_server" || vsTyped[k] && !identity {
			return nil, fmt.Errorf("extra: %s is set through its own field", p.Keyword)
		}
	}
	if err := checkParams("virtual_server", s.Extra); err != nil {
		return nil, err
	}
	return append(out, s.Extra...), nil
}

// vsTyped are the keywords VSSpec's typed fields own.
var vsTyped = map[string]bool{"delay_loop": true, "lvs_sched": true, "lvs_method": true, "protocol": true, "ip_family": true,
	"persistence_timeout": true, "persistence_granularity": true, "virtualhost": true, "sorry_server": true,
	"quorum": true, "hysteresis": true, "quorum_up": true, "quorum_down": true, "alpha": true, "omega": true, "inhibit_on_failure": true}

var rsTyped = map[string]bool{"weight": true, "inhibit_on_failure": true, "notify_up": true, "notify_down": true}

// params turns the spec into the real server block's lines, validated.
func (s RSSpec) params() ([]Param, error) {
	if !s.ID.Addr.IsValid() {
		return nil, fmt.Errorf("real server: address missing")
	}
	var out []Param
	if s.Weight != nil {
		if *s.Weight > 1<<31-1 {
			return nil, fmt.Errorf("weight: %d is outside 0-2147483647", *s.Weight)
		}
		out = append(out, Param{Keyword: "weight", Args: []string{u32(s.Weight)}})
	}
	if s.InhibitOnFailure {
		out = append(out, Param{Keyword: "inhibit_on_failure"})
	}
	for _, f := range []struct{ kw, v string }{{"notify_up", s.NotifyUp}, {"notify_down", s.NotifyDown}} {
		if f.v != "" {
			if err := checkValues(f.kw, f.kw, []string{f.v}); err != nil {
				return nil, err
			}
			out = append(out, Param{Keyword: f.kw, Args: []string{f.v}})
		}
	}
	for _, p := range s.Extra {
		if rsTyped[p.Keyword] || checkerTypes[p.Keyword] {
			return nil, fmt.Errorf("extra: %s is set through its own field", p.Keyword)
		}
	}
	if err := checkParams("virtual_server/real_server", s.Extra); err != nil {
		return nil, err
	}
	out = append(out, s.Extra...)
	for _, c := range s.Checks {
		if !checkerTypes[c.Keyword] {
			return nil, fmt.Errorf("checks: %q is not a checker (HTTP_GET, SSL_GET, TCP_CHECK, SMTP_CHECK, DNS_CHECK, UDP_CHECK, MISC_CHECK, PING_CHECK, FILE_CHECK, BFD_CHECK)", c.Keyword)
		}
		c.IsBlock = true
		if err := checkParams("virtual_server/real_server", []Param{c}); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// vsSpecFrom reads a spec back from a block's lines.
func vsSpecFrom(id ident.VS, ps []Param) VSSpec {
	s := VSSpec{ID: id}
	for _, p := range ps {
		kw := canon("virtual_server", p.Keyword)
		a0 := ""
		if len(p.Args) > 0 {
			a0 = p.Args[0]
		}
		var n *uint32
		if v, err := strconv.ParseUint(a0, 10, 32); err == nil {
			x := uint32(v)
			n = &x
		}
		ok := !p.IsBlock
		switch {
		case !ok:
		case kw == "delay_loop" && len(p.Args) == 1:
			s.DelayLoop = a0
		case kw == "lvs_sched" && len(p.Args) == 1:
			s.Scheduler = a0
		case kw == "lvs_method" && len(p.Args) == 1:
			s.Method = a0
		case kw == "protocol" && id.Kind != ident.ByFWMark, kw == "ip_family" && id.Kind == ident.ByFWMark:
			// Part of the identity.
		case kw == "persistence_timeout" && len(p.Args) == 1 && n != nil:
			s.PersistenceTimeout = n
		case kw == "persistence_granularity" && len(p.Args) == 1:
			s.PersistenceGranularity = a0
		case kw == "virtualhost" && len(p.Args) == 1:
			s.Virtualhost = a0
		case kw == "sorry_server" && (len(p.Args) == 1 || len(p.Args) == 2):
			a, err := netip.ParseAddr(a0)
			if err != nil {
				ok = false
				break
			}
			e := &Endpoint{Addr: a}
			if len(p.Args) == 2 {
				v, err := strconv.ParseUint(p.Args[1], 10, 16)
				if err != nil {
					ok = false
					break
				}
				port := uint16(v)
				e.Port = &port
			}
			s.SorryServer = e
		case kw == "quorum" && len(p.Args) == 1 && n != nil:
			s.Quorum = n
		case kw == "hysteresis" && len(p.Args) == 1 && n != nil:
			s.Hysteresis = n
		case kw == "quorum_up" && len(p.Args) == 1:
			s.QuorumUp = a0
		case kw == "quorum_down" && len(p.Args) == 1:
			s.QuorumDown = a0
		case kw == "alpha" && len(p.Args) == 0:
			s.Alpha = true
		case kw == "omega" && len(p.Args) == 0:
			s.Omega = true
		case kw == "inhibit_on_failure" && len(p.Args) == 0:
			s.InhibitOnFailure = true
		default:
			ok = false
		}
		if !ok {
			s.Extra = append(s.Extra, p)
		}
	}
	return s
}

func rsSpecFrom(id ident.RS, ps []Param) RSSpec {
	s := RSSpec{ID: id}
	for _, p := range ps {
		a0 := ""
		if len(p.Args) > 0 {
			a0 = p.Args[0]
		}
		switch {
		case checkerTypes[p.Keyword] && p.IsBlock:
			s.Checks = append(s.Checks, p)
			continue
		case p.IsBlock:
		case p.Keyword == "weight" && len(p.Args) == 1:
			if v, err := strconv.ParseUint(a0, 10, 32); err == nil {
				x := uint32(v)
				s.Weight = &x
				continue
			}
		case p.Keyword == "inhibit_on_failure" && len(p.Args) == 0:
			s.InhibitOnFailure = true
			continue
		case p.Keyword == "notify_up" && len(p.Args) == 1:
			s.NotifyUp = a0
			continue
		case p.Keyword == "notify_down" && len(p.Args) == 1:
			s.NotifyDown = a0
			continue
		}
		s.Extra = append(s.Extra, p)
	}
	return s
}

// params turns the globals into global_defs lines, validated.
func (g Globals) params() ([]Param, error) {
	var out []Param
	if len(g.NotificationEmail) > 0 {
		p := Param{Keyword: "notification_email", IsBlock: true}
		for _, e := range g.NotificationEmail {
			if err := checkWord("notification_email", e); err != nil {
				return nil, err
			}
			if !reEmail.MatchString(e) {
				return nil, fmt.Errorf("notification_email: %q is not an e-mail address", e)
			}
			p.Block = append(p.Block, Param{Keyword: e})
		}
		out = append(out, p)
	}
	if e := g.NotificationEmailFrom; e != "" {
		if err := checkWord("notification_email_from", e); err != nil {
			return nil, err
		}
		if !reEmail.MatchString(e) {
			return nil, fmt.Errorf("notification_email_from: %q is not an e-mail address", e)
		}
		out = append(out, Param{Keyword: "notification_email_from", Args: []string{e}})
	}
	if h := g.SMTPServer; h != "" {
		if _, err := netip.ParseAddr(h); err != nil && !reHost.MatchString(h) {
			return nil, fmt.Errorf("smtp_server: %q is not an address or host name", h)
		}
		args := []string{h}
		if g.SMTPPort != nil {
			args = append(args, strconv.Itoa(int(*g.SMTPPort)))
		}
		out = append(out, Param{Keyword: "smtp_server", Args: args})
	} else if g.SMTPPort != nil {
		return nil, fmt.Errorf("smtp_server: a port without a server")
	}
	if g.SMTPConnectTimeout != nil {
		out = append(out, Param{Keyword: "smtp_connect_timeout", Args: []string{u32(g.SMTPConnectTimeout)}})
	}
	return out, nil
}

// globalsKW are the keywords Globals owns.
var globalsKW = map[string]bool{"notification_email": true, "notification_email_from": true, "smtp_server": true, "smtp_connect_timeout": true}
