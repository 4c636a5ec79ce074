package config

import (
	"errors"
	"io/fs"
	"os"

	"github.com/alived/alived/config/syntax"
)

// DefaultPath is where keepalived (and alived) look for the configuration.
const DefaultPath = "/etc/keepalived/keepalived.conf"

// LoadOptions control Load.
type LoadOptions struct {
	// Syntax is passed to the parser (config id, file access).
	Syntax syntax.Options
	// Hostname is the default router_id (keepalived uses the local host
	// name); empty leaves router_id empty when the file does not set it.
	Hostname string
	// AllConfig makes a missing main file fatal (keepalived's -e).
	AllConfig bool
	// Stat inspects the main file; nil means os.Stat.
	Stat func(string) (fs.FileInfo, error)
}

// Load reads the configuration at path, expands includes and macros,
// decodes it and applies defaults. Like keepalived 2.2.7, a main file that
// is missing, a directory or executable is reported and skipped (the
// result is the empty configuration), not a fatal error, unless
// opts.AllConfig is set.
func Load(path string, opts LoadOptions) (*Config, []syntax.Diagnostic) {
	stat := opts.Stat
	if stat == nil {
		stat = os.Stat
	}
	var diags []syntax.Diagnostic
	skip := func(format string) (*Config, []syntax.Diagnostic) {
		sev := syntax.Warning
		if opts.AllConfig {
			sev = syntax.Fatal
		}
		diags = append(diags, syntax.Diagnostic{Pos: syntax.Pos{File: path}, Severity: sev, Msg: format})
		cfg, more := Decode(nil)
		cfg.Global.RouterID = opts.Hostname
		return cfg, append(diags, more...)
	}
	fi, err := stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return skip("Config files missing '" + path + "'.")
	case err != nil:
		diags = append(diags, syntax.Diagnostic{Pos: syntax.Pos{File: path}, Severity: syntax.Fatal, Msg: "cannot read configuration: " + err.Error()})
		return nil, diags
	case fi.IsDir():
		return skip("Configuration file '" + path + "' is a directory - skipping")
	case !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 != 0:
		return skip("Configuration file '" + path + "' is not a regular non-executable file - skipping")
	}
	nodes, pdiags := syntax.Parse(path, opts.Syntax)
	diags = append(diags, pdiags...)
	for _, d := range pdiags {
		if d.Severity == syntax.Fatal {
			return nil, diags
		}
	}
	cfg, ddiags := Decode(nodes)
	if cfg.Global.RouterID == "" {
		cfg.Global.RouterID = opts.Hostname
	}
	return cfg, append(diags, ddiags...)
}
