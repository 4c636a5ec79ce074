package syntax

import (
	"fmt"
	"strings"
)

// Pos is where a token came from. Included lists the include statements
// that led to File, outermost first, so that a diagnostic can show the chain.
type Pos struct {
	File     string
	Line     int
	Included []Pos
}

// String renders the position as "file:line".
func (p Pos) String() string {
	if p.File == "" {
		return fmt.Sprintf("line %d", p.Line)
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// Chain renders the include chain, innermost last, for messages such as
// "included from a.conf:3, b.conf:7". It is empty when File was not
// included from another file.
func (p Pos) Chain() string {
	if len(p.Included) == 0 {
		return ""
	}
	parts := make([]string, 0, len(p.Included))
	for i := len(p.Included) - 1; i >= 0; i-- {
		parts = append(parts, p.Included[i].String())
	}
	return "included from " + strings.Join(parts, ", ")
}

// Node is one keyword line of a configuration, with the block that follows
// it if any. For `virtual_server 10.0.0.1 80 { ... }` Keyword is
// "virtual_server", Args is ["10.0.0.1", "80"], Block is true and Children
// holds the lines inside the braces.
type Node struct {
	Keyword string
	Args    []string
	// Raw is the rest of the line after the keyword, preprocessed (macros
	// expanded) but not split, comments removed and surrounding blanks
	// trimmed; script keywords re-split it with SplitScript (argv plus
	// user/group, as keepalived does) or SplitCommand.
	Raw      string
	Pos      Pos
	Block    bool
	Children []*Node
}

// Severity of a Diagnostic, in keepalived's terms: a Warning is logged and
// parsing goes on; an Error makes `-t` fail (exit 5) but parsing still goes
// on so that every problem is reported at once; a Fatal stops the load
// (exit 4, e.g. the main file is missing).
type Severity int

// Severities, mildest first.
const (
	Warning Severity = iota
	Error
	Fatal
)

// String names the severity as it appears in messages.
func (s Severity) String() string {
	switch s {
	case Warning:
		return "warning"
	case Error:
		return "error"
	case Fatal:
		return "fatal"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// Diagnostic is one message about the configuration, anchored at a position.
type Diagnostic struct {
	Pos      Pos
	Severity Severity
	Msg      string
}

// String renders "file:line: severity: message (included from ...)".
func (d Diagnostic) String() string {
	s := fmt.Sprintf("%s: %s: %s", d.Pos, d.Severity, d.Msg)
	if c := d.Pos.Chain(); c != "" {
		s += " (" + c + ")"
	}
	return s
}

// Options control preprocessing. The zero value reads the real file system
// and environment.
type Options struct {
	// ConfigID selects `@ID` lines (keepalived's -i; the caller supplies
	// the default, the short host name).
	ConfigID string
	// Instance is the value of ${_INSTANCE}; empty means ConfigID, which is
	// what keepalived 2.2.7 substitutes.
	Instance string
	// AllConfig makes every include problem fatal (keepalived's
	// -e/--all-config, the same as `include_check` with no options).
	AllConfig bool
	// Random returns a number in [min, max] for ${_RANDOM}; nil means
	// math/rand/v2. Tests pass a deterministic one.
	Random func(min, max uint64) uint64
	// LookupEnv resolves ${_ENV NAME}; nil means os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// ReadFile and Glob give access to files. nil ReadFile reads regular,
	// non-executable files of at most 64 MiB from disk (as keepalived, it
	// refuses devices, FIFOs and executables); nil Glob is filepath.Glob.
	// Brace expansion is done before Glob is called. Tests and fuzzers
	// pass in-memory versions.
	ReadFile func(string) ([]byte, error)
	Glob     func(string) ([]string, error)
}
