// Command alivectl is the operator CLI for alived. It talks to the
// daemon's Unix control socket (--socket, default /run/alived/alived.sock;
// give each alived of a multi-namespace host its own socket and pass the
// same path here).
//
//	alivectl [--socket=PATH] status [--json]
//	alivectl [--socket=PATH] reload
//	alivectl check [-e] [-f FILE]  check a configuration like alived -t
//	alivectl user add|passwd|role|rm|list|token  manage web users
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/alived/alived/api"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, isTerminal(os.Stdout)))
}

const usage = `Usage: alivectl [--socket=PATH] COMMAND [ARGS]
Commands:
  status [--json]   show VRRP instances, sync groups, virtual and real servers
  reload            reload the daemon's configuration (like SIGHUP), report the verdict
  check [-e] [-f FILE]  check a configuration file like alived -t (exit codes as keepalived;
                    -e: every file must exist, as keepalived -e)
  user add|passwd|role|rm|list|token  manage the web UI/API users file
                    (alivectl user for details)
Options:
  --socket=PATH     the daemon's control socket (default ` + api.DefaultSocket + `)
`

// isTerminal reports whether f is a character device: colour is for
// people, never for pipes. NO_COLOR (no-color.org) turns it off.
func isTerminal(f *os.File) bool {
	if os.Getenv("NO_COLOR") != "" {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// run is main without the process; it returns the exit code.
func run(args []string, stdout, stderr io.Writer, color bool) int {
	fs := flag.NewFlagSet("alivectl", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	socket := fs.String("socket", api.DefaultSocket, "control socket path")
	asJSON := fs.Bool("json", false, "print JSON instead of tables (management commands)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	switch cmd {
	case "status":
		return cmdStatus(ctx, api.NewClient(*socket), rest, stdout, stderr, color)
	case "reload":
		if err := api.NewClient(*socket).Reload(ctx); err != nil {
			fmt.Fprintf(stderr, "alivectl: reload: %v\n", err)
			return 1
		}
		fmt.Fprintln(stdout, "reloaded")
		return 0
	case "check":
		return cmdCheck(rest, stdout, stderr)
	case "user":
		return cmdUser(rest, os.Stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	}
	// The commands that go through the control API's management
	// operations.
	manage := map[string]func(*cli, []string) int{
		"vs": (*cli).cmdVS, "rs": (*cli).cmdRS, "globals": (*cli).cmdGlobals, "plan": (*cli).cmdPlan,
		"apply": (*cli).cmdApply, "changes": (*cli).cmdChanges, "history": (*cli).cmdHistory,
		"rollback": (*cli).cmdRollback, "overrides": (*cli).cmdOverrides, "audit": (*cli).cmdAudit,
	}
	if f, ok := manage[cmd]; ok {
		return f(&cli{ctx: ctx, c: api.NewClient(*socket), stdout: stdout, stderr: stderr, json: *asJSON}, rest)
	}
	fmt.Fprintf(stderr, "alivectl: unknown command %q\n", cmd)
	fs.Usage()
	return 2
}

func cmdStatus(ctx context.Context, c *api.Client, args []string, stdout, stderr io.Writer, color bool) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print the daemon's JSON as is")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *asJSON {
		raw, err := c.StatusRaw(ctx)
		if err != nil {
			fmt.Fprintf(stderr, "alivectl: %v\n", err)
			return 1
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			fmt.Fprintf(stderr, "alivectl: %v\n", err)
			return 1
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(v); err != nil {
			return 1
		}
		return 0
	}
	s, err := c.Status(ctx)
	if err != nil {
		fmt.Fprintf(stderr, "alivectl: %v\n", err)
		var ne *net.OpError
		if errors.As(err, &ne) && ne.Op == "dial" {
			fmt.Fprintln(stderr, "alivectl: is alived running with this --control-socket?")
		}
		return 1
	}
	if err := printStatus(stdout, s, time.Now(), color); err != nil {
		fmt.Fprintf(stderr, "alivectl: %v\n", err)
		return 1
	}
	return 0
}
