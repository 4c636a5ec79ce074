package config

import (
	"fmt"
	"strings"

	"github.com/alived/alived/config/syntax"
)

// Exit codes of `keepalived -t` in 2.2.7 (the man page's 3/4/5 are wrong,
// keepalived issue #2457).
const (
	ExitOK           = 0
	ExitMissingParam = 2 // a keyword without its required argument aborted the load
	ExitFatal        = 4 // configuration unusable (e.g. -e and a missing file)
	ExitConfig       = 5 // configuration errors; keepalived would still run
	ExitSecurity     = 6 // scripts would run as root without enable_script_security
)

// ExitCode is the `-t` exit code for a set of diagnostics and the script
// check: fatal beats a missing parameter, which beats a missing interface,
// which beats a security violation, which beats plain errors.
func ExitCode(diags []syntax.Diagnostic, scripts ScriptReport) int {
	worst := syntax.Warning
	badIf, missingParam := false, false
	for _, d := range diags {
		if d.Severity > worst {
			worst = d.Severity
		}
		badIf = badIf || d.Msg == MsgNonExistentInterface
		missingParam = missingParam || strings.HasPrefix(d.Msg, MsgMissingParameter)
	}
	for _, d := range scripts.Diagnostics {
		if d.Severity > worst {
			worst = d.Severity
		}
	}
	switch {
	case worst == syntax.Fatal:
		return ExitFatal
	case missingParam:
		return ExitMissingParam
	case badIf:
		return ExitConfig
	case scripts.Violation:
		return ExitSecurity
	case worst == syntax.Error:
		return ExitConfig
	}
	return ExitOK
}

// Format renders a diagnostic as "file:line: severity: message (included
// from ...)", or "severity: message" when it has no position (checks on
// the configuration as a whole).
func Format(d syntax.Diagnostic) string {
	if d.Pos.File == "" && d.Pos.Line == 0 {
		return fmt.Sprintf("%s: %s", d.Severity, d.Msg)
	}
	if d.Pos.Line == 0 {
		return fmt.Sprintf("%s: %s: %s", d.Pos.File, d.Severity, d.Msg)
	}
	return d.String()
}
