package config

import (
	"cmp"
	"io/fs"
	"slices"

	"github.com/alived/alived/config/syntax"
)

// CheckOptions control Check.
type CheckOptions struct {
	// ConfigID selects `@ID` lines (keepalived's -i); empty means
	// Hostname, keepalived's default.
	ConfigID string
	// Hostname is the short host name: the default router_id and config
	// id.
	Hostname string
	// AllConfig is keepalived's -e: a missing main file and every include
	// problem are fatal.
	AllConfig bool
	// Overlay replaces, adds or deletes files in memory, so that a
	// candidate configuration is checked before it is written.
	Overlay Overlay
	// Syntax carries the parser's remaining hooks (environment, random
	// numbers, file access under the overlay); its ConfigID and AllConfig
	// are taken from the fields above.
	Syntax syntax.Options
	// Stat inspects the main file under the overlay; nil means os.Stat.
	Stat func(string) (fs.FileInfo, error)
	// Env is what Validate asks the host; nil means HostEnv. In a given
	// Env a nil Interface is the host's and a nil ResolveHost skips the
	// check, so tests need not depend on the host.
	Env *Env
	// Scripts is what the script-security check asks the host; nil means
	// HostSystem.
	Scripts ScriptSystem
}

// Checked is a configuration read the one way the daemon, `alived -t`
// and `alivectl check` read it: loaded, validated against the host and
// with keepalived's script security applied.
type Checked struct {
	// Config is nil when the configuration is unusable (a Fatal
	// diagnostic). Scripts script security refuses have Disabled set.
	Config *Config
	// Diagnostics are every problem found, loading, validating and
	// checking scripts, worst first; within a severity they keep the order
	// they were found in (file order). A diagnostic about the whole
	// configuration names the main file.
	Diagnostics []syntax.Diagnostic
	// Scripts is the script-security report (its diagnostics are also in
	// Diagnostics).
	Scripts ScriptReport

	// config are the load and validation diagnostics, the ones a reload
	// is refused for (script problems disable scripts, they do not refuse
	// a configuration).
	config []syntax.Diagnostic
	path   string
}

// Check loads the configuration at path (under opts.Overlay), validates it
// against the host and applies keepalived's script security: scripts it
// refuses are marked Disabled in the returned Config, which every runtime
// conversion of a script honours.
func Check(path string, opts CheckOptions) *Checked {
	id := opts.ConfigID
	if id == "" {
		id = opts.Hostname
	}
	so := opts.Syntax
	so.ConfigID, so.AllConfig = id, opts.AllConfig
	lo := LoadOptions{Syntax: so, Hostname: opts.Hostname, AllConfig: opts.AllConfig, Stat: opts.Stat}
	opts.Overlay.apply(&lo)
	cfg, diags := Load(path, lo)
	c := &Checked{Config: cfg, path: path}
	if cfg != nil {
		env := HostEnv()
		if opts.Env != nil {
			env = mergeEnv(*opts.Env, env)
		}
		diags = append(diags, cfg.Validate(env)...)
		sys := opts.Scripts
		if sys == nil {
			sys = HostSystem()
		}
		c.Scripts = CheckScripts(cfg, sys)
		for _, v := range c.Scripts.Verdicts {
			if v.Disabled && v.Ref.Script != nil {
				v.Ref.Script.Disabled = true
			}
		}
	}
	c.config = diags
	all := append(slices.Clone(diags), c.Scripts.Diagnostics...)
	for i := range all {
		if all[i].Pos.File == "" {
			// Checks on the configuration as a whole name the main file.
			all[i].Pos.File = path
		}
	}
	slices.SortStableFunc(all, func(a, b syntax.Diagnostic) int { return cmp.Compare(b.Severity, a.Severity) })
	c.Diagnostics = all
	return c
}

// mergeEnv fills the nil hooks of e from def.
func mergeEnv(e, def Env) Env {
	if e.Interface == nil {
		e.Interface = def.Interface
	}
	return e
}

// ExitCode is keepalived's `-t` exit code for the result: 0, 2, 4, 5 or 6.
func (c *Checked) ExitCode() int { return ExitCode(c.config, c.Scripts) }

// Worst is the highest severity among the diagnostics (Warning when there
// are none).
func (c *Checked) Worst() syntax.Severity {
	if len(c.Diagnostics) == 0 {
		return syntax.Warning
	}
	return c.Diagnostics[0].Severity
}

// Refusals are the diagnostics a running daemon refuses the configuration
// for. At start-up (reload false) only Fatal ones: keepalived starts with
// errors logged and the offending parts dropped. On reload any load or
// validation Error: the running configuration is known good and a typo
// must not take instances down. Script-security problems never refuse a
// configuration; they disable the scripts. An unusable configuration
// always has at least one refusal.
func (c *Checked) Refusals(reload bool) []syntax.Diagnostic {
	var out []syntax.Diagnostic
	for _, d := range c.config {
		if d.Severity == syntax.Fatal || (reload && d.Severity >= syntax.Error) {
			out = append(out, d)
		}
	}
	if c.Config == nil && len(out) == 0 {
		out = append(out, syntax.Diagnostic{Pos: syntax.Pos{File: c.path}, Severity: syntax.Fatal, Msg: "unusable configuration"})
	}
	return out
}
