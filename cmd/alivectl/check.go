package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/alived/alived/config"
)

// cmdCheck is alived -t: config.Check (load, validate, script security),
// print every diagnostic and exit with keepalived's -t codes.
func cmdCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("f", config.DefaultPath, "configuration file")
	id := fs.String("i", "", "config id for @id lines (default: short host name)")
	all := fs.Bool("e", false, "all configuration files must be present and readable (keepalived's -e)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	host, _ := os.Hostname()
	host, _, _ = strings.Cut(host, ".")
	c := config.Check(*file, config.CheckOptions{ConfigID: *id, Hostname: host, AllConfig: *all})
	for _, d := range c.Diagnostics {
		fmt.Fprintln(stderr, config.Format(d))
	}
	code := c.ExitCode()
	if code == 0 {
		fmt.Fprintf(stdout, "%s: configuration OK\n", *file)
	}
	return code
}
