// Command alived is a keepalived-compatible load-balancer daemon. This
// file only parses keepalived's command line; `-t` and `-d` are handled
// here, the daemon itself lives in internal/daemon.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alived/alived/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseArgs(args)
	if err != nil {
		fmt.Fprintln(stderr, err)
		fmt.Fprint(stderr, usage)
		return 1
	}
	if len(o.unexpected) > 0 {
		fmt.Fprintf(stderr, "Unexpected argument(s): %s\n", strings.Join(o.unexpected, " "))
	}
	switch {
	case o.help:
		fmt.Fprint(stdout, usage)
		return 0
	case o.version:
		fmt.Fprintf(stdout, "alived %s (keepalived 2.2.7 configuration compatible)\n", version)
		return 0
	case o.configTest || o.dumpConf:
		return checkConfig(o, stdout, stderr)
	}
	return runDaemon(o, stderr)
}

// checkConfig implements -t and -d: config.Check, report, exit with
// keepalived's -t code.
func checkConfig(o *options, stdout, stderr io.Writer) int {
	path := o.configFile
	if path == "" {
		path = config.DefaultPath
	}
	c := config.Check(path, config.CheckOptions{ConfigID: o.configID, Hostname: shortHostname(), AllConfig: o.allConfig})
	out := stderr
	if o.configLog != "" {
		f, err := os.Create(o.configLog)
		if err != nil {
			fmt.Fprintf(stderr, "cannot open config test log: %v\n", err)
		} else {
			defer f.Close()
			out = f
		}
	}
	for _, d := range c.Diagnostics {
		fmt.Fprintln(out, config.Format(d))
	}
	if o.dumpConf && c.Config != nil {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(c.Config); err != nil {
			fmt.Fprintf(stderr, "dump configuration: %v\n", err)
			return config.ExitFatal
		}
	}
	return c.ExitCode()
}

// shortHostname is keepalived's default config id: the host name up to
// the first dot.
func shortHostname() string {
	h, err := os.Hostname()
	if err != nil {
		return ""
	}
	h, _, _ = strings.Cut(h, ".")
	return h
}
