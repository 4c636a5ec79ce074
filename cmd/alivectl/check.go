package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alived/alived/config"
	"github.com/alived/alived/config/syntax"
)

// cmdCheck is alived -t: load, validate, check script security, print
// every diagnostic and exit with keepalived's -t codes.
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", config.DefaultPath, "configuration file")
	id := fs.String("i", "", "config id for @id lines (default: short host name)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	if *id == "" {
		*id = host
	}
	cfg, diags := config.Load(*file, config.LoadOptions{Syntax: syntax.Options{ConfigID: *id}, Hostname: host})
	var scripts config.ScriptReport
	if cfg != nil {
		diags = append(diags, cfg.Validate(config.HostEnv())...)
		scripts = config.CheckScripts(cfg, config.HostSystem())
	}
	for _, d := range append(diags, scripts.Diagnostics...) {
		fmt.Fprintln(stderr, config.Format(d))
	}
	code := config.ExitCode(diags, scripts)
	if code == 0 {
		fmt.Fprintf(stdout, "%s: configuration OK\n", *file)
	}
	return code
}
