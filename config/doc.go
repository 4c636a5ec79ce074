// Package config turns the keyword tree produced by config/syntax into a
// typed keepalived configuration, applies keepalived 2.2.7's defaults and
// inheritance rules, and validates it with keepalived's severities.
//
// The entry points are:
//
//	Load(path, opts)        parse + decode + defaults (no checks against the host)
//	Decode(nodes)           decode an already parsed tree
//	(*Config).Validate(env) semantic checks that need the host (interfaces, users, files)
//	CheckScripts(cfg, sys)  keepalived's script-security rules (exit code 6)
//	ExitCode(report)        the `keepalived -t` exit code for a set of findings
//
// Every model object keeps the syntax.Pos of the keyword line that created
// it, so that diagnostics can point at the source and a later writer can
// put edits back where they came from.
//
// Keywords, their block, and how far alived implements them are listed in
// one registry (Keywords); the README compatibility table is generated from
// it, so a keyword cannot be parsed without also being documented.
package config
