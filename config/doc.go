// Package config turns the keyword tree produced by config/syntax into a
// typed keepalived configuration, applies keepalived 2.2.7's defaults and
// inheritance rules, and validates it with keepalived's severities.
//
// The entry points are:
//
//	Check(path, opts)         load + validate + script security, the one way
//	                          the daemon, -t and alivectl read a configuration;
//	                          opts.Overlay checks a candidate held in memory
//	Load(path, opts)          parse + decode + defaults (no checks against the host)
//	Decode(nodes)             decode an already parsed tree
//	(*Config).Validate(env)   checks that need the host (interfaces)
//	CheckScripts(cfg, sys)    keepalived's script-security rules (exit code 6)
//	CheckScript(s, uid, gid, sys)  the same rules for one script, for the runtime
//	ExitCode(diags, scripts)  the `keepalived -t` exit code: 0, 2, 4, 5 or 6
//
// Values in the model are resolved: a field holds what keepalived would
// use, with defaults filled in and virtual_server values inherited by real
// servers and checkers. Every model object keeps the syntax.Pos of the
// keyword line that created it (not serialised), so that diagnostics point
// at the source and a writer can put edits back where they came from.
//
// Severities follow keepalived: a Warning is only logged; an Error is
// what makes `keepalived -t` exit 5 (unknown keywords and bad values are
// Errors, and decoding goes on, as in keepalived); Fatal stops the load.
//
// Keywords, their block, and how far alived implements them are listed in
// one registry (Keywords). The README compatibility table is generated
// from it (go run ./config/internal/compatgen) and a test fails when the
// two differ. A runtime package that starts acting on a keyword changes
// its registration to .status(StatusSupported) and regenerates the table.
package config
