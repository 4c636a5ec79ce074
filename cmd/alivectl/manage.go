package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/alived/alived/api"
	"github.com/alived/alived/config/edit"
	"github.com/alived/alived/internal/control"
)

// Exit codes of the management commands (documented in the usage text
// and the README).
const (
	exitOK       = 0
	exitFailed   = 1 // the daemon could not be reached or failed
	exitUsage    = 2 // bad command line or invalid input
	exitNotFound = 3 // no such virtual server, real server or revision
	exitConflict = 4 // files changed on disk, object read-only, edits staged
	exitRejected = 5 // the configuration would be (or was) refused
)

// cli is one invocation of a management command.
type cli struct {
	ctx            context.Context
	c              *api.Client
	stdout, stderr io.Writer
	json           bool
}

// parse parses args with fs, allowing flags after positional arguments
// ("vs add 10.0.0.1:80 --lb-algo rr"), and returns the positionals.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// fail reports err and maps it to an exit code.
func (x *cli) fail(err error) int {
	fmt.Fprintf(x.stderr, "alivectl: %v\n", err)
	var ae *api.APIError
	if errors.As(err, &ae) {
		for _, d := range ae.Body.Diagnostics {
			fmt.Fprintf(x.stderr, "  %s\n", d)
		}
		switch ae.Status {
		case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
			return exitUsage
		case http.StatusNotFound:
			return exitNotFound
		case http.StatusConflict:
			return exitConflict
		case http.StatusUnprocessableEntity:
			return exitRejected
		}
		return exitFailed
	}
	var ne *net.OpError
	if errors.As(err, &ne) && ne.Op == "dial" {
		fmt.Fprintln(x.stderr, "alivectl: is alived running with this --control-socket?")
	}
	return exitFailed
}

// out prints v as JSON with --json, else calls human.
func (x *cli) out(v any, human func(w io.Writer)) int {
	if x.json {
		enc := json.NewEncoder(x.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return exitFailed
		}
		return exitOK
	}
	human(x.stdout)
	return exitOK
}

func (x *cli) usage(msg string) int {
	fmt.Fprintf(x.stderr, "alivectl: %s\n", msg)
	return exitUsage
}

// stage sends one edit and shows what is now staged.
func (x *cli) stage(e control.Edit) int {
	p, err := x.c.Stage(x.ctx, e)
	if err != nil {
		return x.fail(err)
	}
	return x.out(p, func(w io.Writer) {
		fmt.Fprintf(w, "staged: %s\n", e.Summary())
		fmt.Fprintf(w, "%d edit(s) pending; review with `alivectl plan`, write and reload with `alivectl apply`\n", len(p.Changes))
	})
}

// vsFlags are the virtual-server settings on the command line.
type vsFlags struct {
	fs                                            *flag.FlagSet
	lbAlgo, lbKind, delayLoop, granularity, vhost string
	sorry, quorumUp, quorumDown                   string
	persistence, quorum, hysteresis               uint
	alpha, omega, inhibit, disabled               bool
	reals                                         stringList
}

func newVSFlags(name string, stderr io.Writer, add bool) *vsFlags {
	f := &vsFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(stderr)
	fs.StringVar(&f.lbAlgo, "lb-algo", "", "scheduler (lvs_sched): rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos")
	fs.StringVar(&f.lbKind, "lb-kind", "", "forwarding (lvs_method): NAT, DR or TUN")
	fs.StringVar(&f.delayLoop, "delay-loop", "", "seconds between checks")
	fs.UintVar(&f.persistence, "persistence-timeout", 0, "persistence timeout in seconds (0: not persistent)")
	fs.StringVar(&f.granularity, "persistence-granularity", "", "persistence netmask")
	fs.StringVar(&f.vhost, "virtualhost", "", "HTTP Host for the checks")
	fs.StringVar(&f.sorry, "sorry-server", "", "sorry server IP[:PORT] (empty: none)")
	fs.UintVar(&f.quorum, "quorum", 0, "minimum live weight")
	fs.UintVar(&f.hysteresis, "hysteresis", 0, "quorum hysteresis")
	fs.StringVar(&f.quorumUp, "quorum-up", "", "script run when quorum is gained")
	fs.StringVar(&f.quorumDown, "quorum-down", "", "script run when quorum is lost")
	fs.BoolVar(&f.alpha, "alpha", false, "real servers start down until checked")
	fs.BoolVar(&f.omega, "omega", false, "run notify_down when a server is removed")
	fs.BoolVar(&f.inhibit, "inhibit-on-failure", false, "failed servers stay at weight 0")
	if add {
		fs.BoolVar(&f.disabled, "disabled", false, "add it disabled (commented out)")
		fs.Var(&f.reals, "rs", "a first real server IP:PORT (repeatable; at least one, keepalived refuses a virtual server without)")
	}
	return f
}

// apply copies the flags the operator gave onto spec.
func (f *vsFlags) apply(spec *edit.VSSpec) error {
	var err error
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "lb-algo":
			spec.Scheduler = f.lbAlgo
		case "lb-kind":
			spec.Method = strings.ToUpper(f.lbKind)
		case "delay-loop":
			spec.DelayLoop = f.delayLoop
		case "persistence-timeout":
			spec.PersistenceTimeout = optU32(f.persistence)
		case "persistence-granularity":
			spec.PersistenceGranularity = f.granularity
		case "virtualhost":
			spec.Virtualhost = f.vhost
		case "sorry-server":
			spec.SorryServer = nil
			if f.sorry != "" {
				ep, perr := parseEndpoint(f.sorry)
				if perr != nil {
					err = perr
				}
				spec.SorryServer = ep
			}
		case "quorum":
			spec.Quorum = optU32(f.quorum)
		case "hysteresis":
			spec.Hysteresis = optU32(f.hysteresis)
		case "quorum-up":
			spec.QuorumUp = f.quorumUp
		case "quorum-down":
			spec.QuorumDown = f.quorumDown
		case "alpha":
			spec.Alpha = f.alpha
		case "omega":
			spec.Omega = f.omega
		case "inhibit-on-failure":
			spec.InhibitOnFailure = f.inhibit
		}
	})
	return err
}

// optU32 is nil for zero (the keyword is left out), else the value.
func optU32(v uint) *uint32 {
	if v == 0 {
		return nil
	}
	u := uint32(min(v, 1<<32-1))
	return &u
}

func parseEndpoint(s string) (*edit.Endpoint, error) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		p := ap.Port()
		return &edit.Endpoint{Addr: ap.Addr(), Port: &p}, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return nil, fmt.Errorf("sorry server %q: want IP or IP:PORT", s)
	}
	return &edit.Endpoint{Addr: a}, nil
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// rsFlags are the real-server settings on the command line.
type rsFlags struct {
	fs                                 *flag.FlagSet
	weight                             uint
	check, path, digest, status        string
	connectTimeout, connectPort, retry string
	delayBeforeRetry, helo, miscPath   string
	miscTimeout, dnsType, dnsName      string
	notifyUp, notifyDown               string
	inhibit, disabled, noCheck         bool
	opts                               stringList
}

func newRSFlags(name string, stderr io.Writer, add bool) *rsFlags {
	f := &rsFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError)}
	fs := f.fs
	fs.SetOutput(stderr)
	fs.UintVar(&f.weight, "weight", 1, "weight")
	fs.StringVar(&f.check, "check", "", "health check: HTTP_GET, SSL_GET, TCP_CHECK, SMTP_CHECK, DNS_CHECK, UDP_CHECK, MISC_CHECK, PING_CHECK, FILE_CHECK, BFD_CHECK")
	fs.BoolVar(&f.noCheck, "no-check", false, "remove the health checks")
	fs.StringVar(&f.path, "path", "", "HTTP_GET/SSL_GET: url path")
	fs.StringVar(&f.status, "status", "", "HTTP_GET/SSL_GET: expected status code")
	fs.StringVar(&f.digest, "digest", "", "HTTP_GET/SSL_GET: expected MD5 digest of the body")
	fs.StringVar(&f.connectTimeout, "connect-timeout", "", "seconds")
	fs.StringVar(&f.connectPort, "connect-port", "", "port to check instead of the real server's")
	fs.StringVar(&f.retry, "retry", "", "retries before a failure counts")
	fs.StringVar(&f.delayBeforeRetry, "delay-before-retry", "", "seconds between retries")
	fs.StringVar(&f.helo, "helo-name", "", "SMTP_CHECK: HELO name")
	fs.StringVar(&f.miscPath, "misc-path", "", "MISC_CHECK: script and arguments")
	fs.StringVar(&f.miscTimeout, "misc-timeout", "", "MISC_CHECK: seconds")
	fs.StringVar(&f.dnsType, "dns-type", "", "DNS_CHECK: query type (A, AAAA, SOA, NS, CNAME, MX, TXT)")
	fs.StringVar(&f.dnsName, "dns-name", "", "DNS_CHECK: name to query")
	fs.Var(&f.opts, "check-opt", "any other checker keyword, 'KEYWORD ARGS...' (repeatable)")
	fs.StringVar(&f.notifyUp, "notify-up", "", "script run when the server comes up")
	fs.StringVar(&f.notifyDown, "notify-down", "", "script run when the server goes down")
	fs.BoolVar(&f.inhibit, "inhibit-on-failure", false, "stay at weight 0 when failed")
	if add {
		fs.BoolVar(&f.disabled, "disabled", false, "add it disabled (commented out)")
	}
	return f
}

// checkKeys are the checker flags; giving any of them rewrites the check.
var checkKeys = map[string]bool{"check": true, "path": true, "status": true, "digest": true, "connect-timeout": true,
	"connect-port": true, "retry": true, "delay-before-retry": true, "helo-name": true, "misc-path": true,
	"misc-timeout": true, "dns-type": true, "dns-name": true, "check-opt": true}

// apply copies the flags the operator gave onto spec. A checker flag
// rebuilds the check from the flags (keeping the current checker type
// unless --check names another).
func (f *rsFlags) apply(spec *edit.RSSpec) error {
	rebuild := false
	f.fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "weight":
			w := uint32(min(f.weight, 65535))
			spec.Weight = &w
		case "notify-up":
			spec.NotifyUp = f.notifyUp
		case "notify-down":
			spec.NotifyDown = f.notifyDown
		case "inhibit-on-failure":
			spec.InhibitOnFailure = f.inhibit
		case "no-check":
			spec.Checks = nil
		}
		rebuild = rebuild || checkKeys[fl.Name]
	})
	if !rebuild {
		return nil
	}
	kind := strings.ToUpper(f.check)
	if kind == "" {
		if len(spec.Checks) != 1 {
			return errors.New("--check TYPE is needed to choose the health check")
		}
		kind = spec.Checks[0].Keyword
	}
	var body []edit.Param
	kw := func(k, v string) {
		if v != "" {
			body = append(body, edit.Param{Keyword: k, Args: strings.Fields(v)})
		}
	}
	if f.path != "" || f.status != "" || f.digest != "" {
		var url []edit.Param
		for _, kv := range [][2]string{{"path", f.path}, {"status_code", f.status}, {"digest", f.digest}} {
			if kv[1] != "" {
				url = append(url, edit.Param{Keyword: kv[0], Args: []string{kv[1]}})
			}
		}
		body = append(body, edit.Param{Keyword: "url", IsBlock: true, Block: url})
	}
	kw("connect_timeout", f.connectTimeout)
	kw("connect_port", f.connectPort)
	kw("retry", f.retry)
	kw("delay_before_retry", f.delayBeforeRetry)
	kw("helo_name", f.helo)
	if f.miscPath != "" {
		body = append(body, edit.Param{Keyword: "misc_path", Args: []string{f.miscPath}})
	}
	kw("misc_timeout", f.miscTimeout)
	kw("type", f.dnsType)
	kw("name", f.dnsName)
	for _, o := range f.opts {
		fields := strings.Fields(o)
		if len(fields) == 0 {
			return fmt.Errorf("--check-opt %q: empty", o)
		}
		body = append(body, edit.Param{Keyword: fields[0], Args: fields[1:]})
	}
	spec.Checks = []edit.Param{{Keyword: kind, IsBlock: true, Block: body}}
	return nil
}

// findVS returns the named virtual server of the configuration view.
func (x *cli) findVS(name string) (*edit.VSInfo, error) {
	v, err := x.c.Config(x.ctx)
	if err != nil {
		return nil, err
	}
	for i := range v.VirtualServers {
		if v.VirtualServers[i].Name == name || v.VirtualServers[i].ID.String() == canonicalVS(name) {
			return &v.VirtualServers[i], nil
		}
	}
	return nil, &api.APIError{Status: http.StatusNotFound, Body: api.ErrorBody{Error: "virtual server " + name + " is not in the configuration"}}
}

// canonicalVS normalises a virtual server name as the daemon spells it.
func canonicalVS(name string) string {
	if id, err := parseVS(name); err == nil {
		return id
	}
	return name
}

func findRS(vs *edit.VSInfo, name string) *edit.RSInfo {
	for i := range vs.RealServers {
		if vs.RealServers[i].Name == name {
			return &vs.RealServers[i]
		}
	}
	return nil
}

// cmdVS is `alivectl vs ...`.
func (x *cli) cmdVS(args []string) int {
	if len(args) == 0 {
		return x.usage("vs: list, show, add, set, rm, enable or disable")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		v, err := x.c.Config(x.ctx)
		if err != nil {
			return x.fail(err)
		}
		return x.out(v.VirtualServers, func(w io.Writer) { printVSList(w, v) })
	case "show":
		if len(args) != 1 {
			return x.usage("vs show VS")
		}
		vs, err := x.findVS(args[0])
		if err != nil {
			return x.fail(err)
		}
		return x.out(vs, func(w io.Writer) { printVS(w, vs) })
	case "add", "set":
		f := newVSFlags("vs "+sub, x.stderr, sub == "add")
		pos, err := parse(f.fs, args)
		if err != nil || len(pos) != 1 {
			return x.usage("vs " + sub + " VS [flags]")
		}
		var spec edit.VSSpec
		if sub == "set" {
			cur, err := x.findVS(pos[0])
			if err != nil {
				return x.fail(err)
			}
			spec = cur.Spec
		}
		if err := f.apply(&spec); err != nil {
			return x.usage(err.Error())
		}
		e := control.Edit{Op: control.SetVS, VS: pos[0], VirtualServer: &spec}
		if sub == "add" {
			e.Op, e.Disabled = control.AddVS, f.disabled
			for _, r := range f.reals {
				var rs edit.RSSpec
				if err := rs.ID.UnmarshalText([]byte(r)); err != nil {
					return x.usage(err.Error())
				}
				e.RealServers = append(e.RealServers, rs)
			}
		}
		return x.stage(e)
	case "drain", "maint", "ready":
		if len(args) != 1 {
			return x.usage("vs " + sub + " VS")
		}
		return x.override(sub, args)
	case "rm", "enable", "disable":
		if len(args) != 1 {
			return x.usage("vs " + sub + " VS")
		}
		op := map[string]control.Op{"rm": control.DeleteVS, "enable": control.EnableVS, "disable": control.DisableVS}[sub]
		return x.stage(control.Edit{Op: op, VS: args[0]})
	}
	return x.usage("vs: unknown command " + strconv.Quote(sub))
}

// cmdRS is `alivectl rs ...`.
func (x *cli) cmdRS(args []string) int {
	if len(args) == 0 {
		return x.usage("rs: list, show, add, set, rm, enable, disable, drain, maint, weight or ready")
	}
	sub, args := args[0], args[1:]
	switch sub {
	case "list":
		if len(args) != 1 {
			return x.usage("rs list VS")
		}
		vs, err := x.findVS(args[0])
		if err != nil {
			return x.fail(err)
		}
		return x.out(vs.RealServers, func(w io.Writer) { printRSList(w, vs) })
	case "show":
		if len(args) != 2 {
			return x.usage("rs show VS RS")
		}
		vs, err := x.findVS(args[0])
		if err != nil {
			return x.fail(err)
		}
		rs := findRS(vs, args[1])
		if rs == nil {
			return x.fail(&api.APIError{Status: http.StatusNotFound, Body: api.ErrorBody{Error: "real server " + args[1] + " is not in " + vs.Name}})
		}
		return x.out(rs, func(w io.Writer) { printRS(w, rs) })
	case "add", "set":
		f := newRSFlags("rs "+sub, x.stderr, sub == "add")
		pos, err := parse(f.fs, args)
		if err != nil || len(pos) != 2 {
			return x.usage("rs " + sub + " VS RS [flags]")
		}
		var spec edit.RSSpec
		if sub == "set" {
			vs, err := x.findVS(pos[0])
			if err != nil {
				return x.fail(err)
			}
			cur := findRS(vs, pos[1])
			if cur == nil {
				return x.fail(&api.APIError{Status: http.StatusNotFound, Body: api.ErrorBody{Error: "real server " + pos[1] + " is not in " + vs.Name}})
			}
			spec = cur.Spec
		}
		if err := f.apply(&spec); err != nil {
			return x.usage(err.Error())
		}
		e := control.Edit{Op: control.SetRS, VS: pos[0], RS: pos[1], RealServer: &spec}
		if sub == "add" {
			e.Op, e.Disabled = control.AddRS, f.disabled
		}
		return x.stage(e)
	case "rm", "enable", "disable":
		if len(args) != 2 {
			return x.usage("rs " + sub + " VS RS")
		}
		op := map[string]control.Op{"rm": control.DeleteRS, "enable": control.EnableRS, "disable": control.DisableRS}[sub]
		return x.stage(control.Edit{Op: op, VS: args[0], RS: args[1]})
	case "drain", "maint", "ready", "weight":
		return x.override(sub, args)
	}
	return x.usage("rs: unknown command " + strconv.Quote(sub))
}

// cmdGlobals is `alivectl globals show|set`.
func (x *cli) cmdGlobals(args []string) int {
	if len(args) == 0 {
		return x.usage("globals: show, set or test-mail")
	}
	v, err := x.c.Config(x.ctx)
	if err != nil {
		return x.fail(err)
	}
	switch args[0] {
	case "show":
		return x.out(v.Globals, func(w io.Writer) { printGlobals(w, v.Globals) })
	case "test-mail":
		r, err := x.c.TestMail(x.ctx)
		if err != nil {
			return x.fail(err)
		}
		code := x.out(r, func(w io.Writer) {
			fmt.Fprintf(w, "test mail to %s through %s\n", strings.Join(r.To, ", "), r.Server)
			for _, l := range r.Replies {
				fmt.Fprintf(w, "  %s\n", l)
			}
			if r.Sent {
				fmt.Fprintln(w, "accepted by the server")
			} else {
				fmt.Fprintf(w, "NOT sent: %s\n", r.Error)
			}
		})
		if code == exitOK && !r.Sent {
			return exitFailed
		}
		return code
	case "set":
		fs := flag.NewFlagSet("globals set", flag.ContinueOnError)
		fs.SetOutput(x.stderr)
		email := fs.String("email", "", "notification addresses, comma-separated (notification_email)")
		from := fs.String("from", "", "sender address (notification_email_from)")
		server := fs.String("smtp-server", "", "SMTP server address")
		port := fs.Uint("smtp-port", 0, "SMTP server port (0: keepalived's default, 25)")
		timeout := fs.Uint("smtp-timeout", 0, "SMTP connect timeout in seconds (0: default)")
		if pos, err := parse(fs, args[1:]); err != nil || len(pos) != 0 {
			return x.usage("globals set [--email A,B] [--from ADDR] [--smtp-server ADDR] [--smtp-port N] [--smtp-timeout N]")
		}
		g := v.Globals
		fs.Visit(func(fl *flag.Flag) {
			switch fl.Name {
			case "email":
				g.NotificationEmail = nil
				for _, a := range strings.Split(*email, ",") {
					if a = strings.TrimSpace(a); a != "" {
						g.NotificationEmail = append(g.NotificationEmail, a)
					}
				}
			case "from":
				g.NotificationEmailFrom = *from
			case "smtp-server":
				g.SMTPServer = *server
			case "smtp-port":
				g.SMTPPort = nil
				if *port != 0 {
					p := uint16(min(*port, 65535))
					g.SMTPPort = &p
				}
			case "smtp-timeout":
				g.SMTPConnectTimeout = optU32(*timeout)
			}
		})
		return x.stage(control.Edit{Op: control.SetGlobals, Globals: &g})
	}
	return x.usage("globals: unknown command " + strconv.Quote(args[0]))
}

// cmdPlan is `alivectl plan [-f FILE]`.
func (x *cli) cmdPlan(args []string) int {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(x.stderr)
	file := fs.String("f", "", "preview this file in place of the main keepalived.conf")
	if pos, err := parse(fs, args); err != nil || len(pos) != 0 {
		return x.usage("plan [-f FILE]")
	}
	p, err := x.c.Plan(x.ctx, *file)
	if err != nil {
		return x.fail(err)
	}
	return x.out(p, func(w io.Writer) { printPlan(w, p) })
}

// cmdApply is `alivectl apply [-f FILE] [-m MESSAGE]`.
func (x *cli) cmdApply(args []string) int {
	fs := flag.NewFlagSet("apply", flag.ContinueOnError)
	fs.SetOutput(x.stderr)
	file := fs.String("f", "", "apply this file in place of the main keepalived.conf")
	msg := fs.String("m", "", "message for the history and the audit log")
	if pos, err := parse(fs, args); err != nil || len(pos) != 0 {
		return x.usage("apply [-f FILE] [-m MESSAGE]")
	}
	r, err := x.c.Apply(x.ctx, api.ApplyRequest{File: *file, Message: *msg})
	if err != nil {
		return x.fail(err)
	}
	return x.out(r, func(w io.Writer) {
		fmt.Fprintf(w, "applied: revision %d, %d file(s) written, reloaded\n", r.Revision, len(r.Files))
		printPreview(w, r.Preview)
	})
}

// cmdChanges is `alivectl changes [discard]`.
func (x *cli) cmdChanges(args []string) int {
	if len(args) == 1 && args[0] == "discard" {
		if err := x.c.Discard(x.ctx); err != nil {
			return x.fail(err)
		}
		fmt.Fprintln(x.stdout, "staged edits discarded")
		return exitOK
	}
	if len(args) != 0 {
		return x.usage("changes [discard]")
	}
	p, err := x.c.Pending(x.ctx)
	if err != nil {
		return x.fail(err)
	}
	return x.out(p, func(w io.Writer) {
		if len(p.Changes) == 0 {
			fmt.Fprintln(w, "nothing staged")
			return
		}
		for _, c := range p.Changes {
			fmt.Fprintf(w, "%s  %-40s  by %s\n", c.At.Format("2006-01-02 15:04:05"), c.Summary, c.By)
		}
		fmt.Fprint(w, p.Diff)
	})
}

// cmdHistory is `alivectl history [REV]`.
func (x *cli) cmdHistory(args []string) int {
	switch len(args) {
	case 0:
		h, err := x.c.History(x.ctx)
		if err != nil {
			return x.fail(err)
		}
		return x.out(h, func(w io.Writer) {
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "REV\tTIME\tAUTHOR\tFILES\tMESSAGE")
			for _, r := range h {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%s\n", r.Number, r.Time.Local().Format("2006-01-02 15:04:05"), r.Author, len(r.Files), r.Message)
			}
			_ = tw.Flush()
		})
	case 1:
		n, err := strconv.Atoi(args[0])
		if err != nil {
			return x.usage("history REV: REV is a number")
		}
		r, err := x.c.Revision(x.ctx, n)
		if err != nil {
			return x.fail(err)
		}
		return x.out(r, func(w io.Writer) {
			fmt.Fprintf(w, "revision %d  %s  by %s\n%s\n\n%s", r.Number, r.Time.Local().Format("2006-01-02 15:04:05"), r.Author, r.Message, r.Diff)
		})
	}
	return x.usage("history [REV]")
}

// cmdRollback is `alivectl rollback REV [--dry-run]`.
func (x *cli) cmdRollback(args []string) int {
	fs := flag.NewFlagSet("rollback", flag.ContinueOnError)
	fs.SetOutput(x.stderr)
	dry := fs.Bool("dry-run", false, "only show what the rollback would change")
	pos, err := parse(fs, args)
	if err != nil || len(pos) != 1 {
		return x.usage("rollback REV [--dry-run]")
	}
	n, err := strconv.Atoi(pos[0])
	if err != nil {
		return x.usage("rollback REV: REV is a number")
	}
	r, err := x.c.Rollback(x.ctx, n, *dry)
	if err != nil {
		return x.fail(err)
	}
	return x.out(r, func(w io.Writer) {
		switch v := r.(type) {
		case *control.Plan:
			printPlan(w, v)
		case *control.ApplyResult:
			fmt.Fprintf(w, "rolled back to revision %d: revision %d written, reloaded\n", n, v.Revision)
			printPreview(w, v.Preview)
		}
	})
}

// override is `alivectl rs drain|maint|ready VS RS`, `rs weight VS RS N`
// and `vs drain|maint|ready VS`.
func (x *cli) override(action string, args []string) int {
	req := control.OverrideRequest{Action: action}
	switch {
	case action == "weight" && len(args) == 3:
		n, err := strconv.Atoi(args[2])
		if err != nil {
			return x.usage("rs weight VS RS N: N is a number")
		}
		req.Weight = &n
		req.VS, req.RS = args[0], args[1]
	case action != "weight" && len(args) == 2:
		req.VS, req.RS = args[0], args[1]
	case action != "weight" && len(args) == 1:
		req.VS = args[0]
	default:
		return x.usage("rs " + action + " VS RS" + map[bool]string{true: " N", false: ""}[action == "weight"])
	}
	set, err := x.c.Override(x.ctx, req)
	if err != nil {
		return x.fail(err)
	}
	return x.out(set, func(w io.Writer) {
		target := req.VS
		if req.RS != "" {
			target += " " + req.RS
		}
		switch action {
		case "ready":
			fmt.Fprintf(w, "%s: override cleared, health decides again\n", target)
		case "weight":
			fmt.Fprintf(w, "%s: weight %d (health still applies)\n", target, *req.Weight)
		case "drain":
			fmt.Fprintf(w, "%s: draining (weight 0; established and persistent connections continue; `alivectl status` counts them down)\n", target)
		case "maint":
			fmt.Fprintf(w, "%s: in maintenance (out of the table, no traffic)\n", target)
		}
	})
}

// cmdOverrides is `alivectl overrides`.
func (x *cli) cmdOverrides(args []string) int {
	if len(args) != 0 {
		return x.usage("overrides")
	}
	set, err := x.c.Overrides(x.ctx)
	if err != nil {
		return x.fail(err)
	}
	return x.out(set, func(w io.Writer) {
		if len(set.Overrides) == 0 {
			fmt.Fprintln(w, "no overrides")
			return
		}
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VIRTUAL SERVER\tREAL SERVER\tOVERRIDE\tSINCE")
		for _, o := range set.Overrides {
			kind := string(o.Kind)
			if o.Kind == "weight" {
				kind += " " + strconv.Itoa(o.Weight)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.VirtualServer, dash(o.RealServer), kind, o.Since.Local().Format("2006-01-02 15:04:05"))
		}
		_ = tw.Flush()
	})
}

// cmdAudit is `alivectl audit [-n N]`.
func (x *cli) cmdAudit(args []string) int {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	fs.SetOutput(x.stderr)
	n := fs.Int("n", 20, "how many records, newest first (0: all)")
	if pos, err := parse(fs, args); err != nil || len(pos) != 0 {
		return x.usage("audit [-n N]")
	}
	recs, err := x.c.AuditLog(x.ctx, *n)
	if err != nil {
		return x.fail(err)
	}
	return x.out(recs, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tAUTHOR\tRESULT\tREV\tWHAT")
		for _, r := range recs {
			rev := "-"
			if r.Revision > 0 {
				rev = strconv.Itoa(r.Revision)
			}
			what := r.Message
			if r.Error != "" {
				what += " (" + r.Error + ")"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Time.Local().Format("2006-01-02 15:04:05"), r.Author, r.Result, rev, what)
		}
		_ = tw.Flush()
	})
}
