package main

import (
	"fmt"
	"strings"
)

// options are keepalived's command-line switches that alived understands.
type options struct {
	configFile  string
	configID    string
	configTest  bool
	configLog   string // --config-test=FILE
	dumpConf    bool
	allConfig   bool
	dontFork    bool
	logConsole  bool
	logDetail   bool
	logFacility string
	pidFile     string
	vrrpOnly    bool
	checkOnly   bool
	releaseVIPs bool
	dontRelVRRP bool
	dontRelIPVS bool
	version     bool
	help        bool
	unexpected  []string
	// alived additions (observability, see observe.go).
	controlSocket string
	stateDir      string
	webListen     string
	webListenSet  bool
	debugPprof    bool
	// web listener security (see internal/webauth).
	webUsersFile       string
	webTLSCert         string
	webTLSKey          string
	webAllowInsecLogin bool
	logFormat          string // --log-format; "" means ALIVED_LOG_FORMAT or text
}

// optSpec describes one option: its short letter, long name, and whether
// it takes an argument (required, optional, none).
type optSpec struct {
	short, long string
	arg         int // 0 none, 1 required, 2 optional (only as --long=VALUE or -xVALUE)
	set         func(o *options, val string)
}

var optSpecs = []optSpec{
	{"f", "use-file", 1, func(o *options, v string) { o.configFile = v }},
	{"i", "config-id", 1, func(o *options, v string) { o.configID = v }},
	{"t", "config-test", 2, func(o *options, v string) { o.configTest, o.configLog = true, v }},
	{"d", "dump-conf", 0, func(o *options, _ string) { o.dumpConf = true }},
	{"e", "all-config", 0, func(o *options, _ string) { o.allConfig = true }},
	{"n", "dont-fork", 0, func(o *options, _ string) { o.dontFork = true }},
	{"l", "log-console", 0, func(o *options, _ string) { o.logConsole = true }},
	{"D", "log-detail", 0, func(o *options, _ string) { o.logDetail = true }},
	{"S", "log-facility", 1, func(o *options, v string) { o.logFacility = v }},
	{"p", "pid", 1, func(o *options, v string) { o.pidFile = v }},
	{"P", "vrrp", 0, func(o *options, _ string) { o.vrrpOnly = true }},
	{"C", "check", 0, func(o *options, _ string) { o.checkOnly = true }},
	{"X", "release-vips", 0, func(o *options, _ string) { o.releaseVIPs = true }},
	{"V", "dont-release-vrrp", 0, func(o *options, _ string) { o.dontRelVRRP = true }},
	{"I", "dont-release-ipvs", 0, func(o *options, _ string) { o.dontRelIPVS = true }},
	{"v", "version", 0, func(o *options, _ string) { o.version = true }},
	{"h", "help", 0, func(o *options, _ string) { o.help = true }},
	{"", "control-socket", 1, func(o *options, v string) { o.controlSocket = v }},
	{"", "state-dir", 1, func(o *options, v string) { o.stateDir = v }},
	{"", "log-format", 1, func(o *options, v string) { o.logFormat = v }},
	{"", "web.listen-address", 1, func(o *options, v string) { o.webListen, o.webListenSet = v, true }},
	{"", "debug.pprof", 0, func(o *options, _ string) { o.debugPprof = true }},
	{"", "web.users-file", 1, func(o *options, v string) { o.webUsersFile = v }},
	{"", "web.tls-cert-file", 1, func(o *options, v string) { o.webTLSCert = v }},
	{"", "web.tls-key-file", 1, func(o *options, v string) { o.webTLSKey = v }},
	{"", "web.allow-insecure-login", 0, func(o *options, _ string) { o.webAllowInsecLogin = true }},
}

// parseArgs is a small getopt_long: "-f FILE", "-fFILE", "--use-file FILE",
// "--use-file=FILE", bundled short switches ("-nlD"), and "--" to end
// options. Arguments that are not options are collected (keepalived warns
// about them and carries on).
func parseArgs(args []string) (*options, error) {
	o := &options{}
	byShort := map[string]*optSpec{}
	byLong := map[string]*optSpec{}
	for i := range optSpecs {
		byShort[optSpecs[i].short] = &optSpecs[i]
		byLong[optSpecs[i].long] = &optSpecs[i]
	}
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "--":
			o.unexpected = append(o.unexpected, args[i+1:]...)
			return o, nil
		case strings.HasPrefix(a, "--"):
			name, val, hasVal := strings.Cut(a[2:], "=")
			s := byLong[name]
			if s == nil {
				return nil, fmt.Errorf("unknown option --%s", name)
			}
			switch {
			case s.arg == 0 && hasVal:
				return nil, fmt.Errorf("option --%s takes no argument", name)
			case s.arg == 1 && !hasVal:
				if i+1 >= len(args) {
					return nil, fmt.Errorf("option --%s requires an argument", name)
				}
				i++
				val = args[i]
			}
			s.set(o, val)
		case strings.HasPrefix(a, "-") && len(a) > 1:
			for j := 1; j < len(a); j++ {
				s := byShort[a[j:j+1]]
				if s == nil {
					return nil, fmt.Errorf("unknown option -%s", a[j:j+1])
				}
				if s.arg == 0 {
					s.set(o, "")
					continue
				}
				val := a[j+1:]
				if val == "" && s.arg == 1 {
					if i+1 >= len(args) {
						return nil, fmt.Errorf("option -%s requires an argument", s.short)
					}
					i++
					val = args[i]
				}
				s.set(o, val)
				break
			}
		default:
			o.unexpected = append(o.unexpected, a)
		}
	}
	if (o.webTLSCert == "") != (o.webTLSKey == "") {
		return nil, fmt.Errorf("--web.tls-cert-file and --web.tls-key-file go together: give both for HTTPS, or neither")
	}
	return o, nil
}

const usage = `Usage: alived [OPTION...]
  -f, --use-file=FILE          use the specified configuration file
                                 (default /etc/keepalived/keepalived.conf)
  -i, --config-id ID           use configuration lines starting @ID
                                 (default: short host name)
  -t, --config-test[=LOG_FILE] check the configuration and exit; messages go
                                 to stderr or LOG_FILE. Exit codes: 0 ok,
                                 4 unusable, 5 errors, 6 script security
  -d, --dump-conf              print the resolved configuration as JSON
  -e, --all-config             fail if any configuration file is missing
  -n, --dont-fork              do not fork the daemon process
  -l, --log-console            log messages to the console
  -D, --log-detail             detailed log messages
  -S, --log-facility=[0-7]     syslog facility LOG_LOCAL[0-7]
  -p, --pid=FILE               pid file
  -P, --vrrp                   only run the VRRP side
  -C, --check                  only run the health-check/IPVS side
  -X, --release-vips           drop VIPs and IPVS state on exit (default)
  -V, --dont-release-vrrp      keep VIPs on exit
  -I, --dont-release-ipvs      keep IPVS state on exit
  -v, --version                print the version and exit
  -h, --help                   print this help and exit
      --control-socket=PATH    status/control API socket, mode 0600
                                 (default: the -p file with .sock for .pid,
                                 else /run/alived/alived.sock)
      --log-format=FORMAT      log as text or json (default text, or
                                 $ALIVED_LOG_FORMAT when set)
      --web.listen-address=ADDR  web listener: /metrics, the web UI at /, the
                                 API at /api/v1/ (login needed)
                                 (default 127.0.0.1:9165; "" disables)
      --debug.pprof            also serve Go profiles at /debug/pprof/ there
      --web.users-file=FILE    web UI/API users (default /etc/alived/users.json;
                                 while it does not exist the UI and API are off;
                                 manage it with alivectl user)
      --web.tls-cert-file=FILE, --web.tls-key-file=FILE
                                 serve the web listener over HTTPS (both or neither;
                                 re-read when they change)
      --web.allow-insecure-login  allow logins over plain HTTP on a non-loopback
                                 address (passwords and cookies in clear)
`
