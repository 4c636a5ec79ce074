package control

import (
	"errors"
	"fmt"
)

// Kind classifies a failed operation, so every front end (the control
// socket, the web listener, alivectl's exit codes) maps it the same way.
type Kind int

// The kinds of failure. Each says whether anything changed: none of them
// leaves a half-done change behind.
const (
	// Invalid input: an unknown field, a bad address, an out-of-range
	// weight. Nothing changed.
	Invalid Kind = iota + 1
	// NotFound: the named virtual server, real server or revision does
	// not exist. Nothing changed.
	NotFound
	// Conflict: the files changed on disk since they were read, or the
	// object is read-only. Nothing changed.
	Conflict
	// Rejected: the candidate configuration failed validation or the
	// reload refused it; the files on disk and the running configuration
	// are as they were.
	Rejected
	// Unavailable: the daemon is not running or the write failed; the
	// message says what is intact.
	Unavailable
)

// Error is a failed operation with its kind and, for a rejected
// configuration, every diagnostic as "file:line: severity: message".
type Error struct {
	Kind        Kind
	Msg         string
	Diagnostics []string
	Err         error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

// Unwrap gives errors.Is/As the cause.
func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the kind of err (Unavailable when err is not an *Error).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Unavailable
}

func errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...)}
}

func wrap(k Kind, err error, format string, args ...any) *Error {
	return &Error{Kind: k, Msg: fmt.Sprintf(format, args...), Err: err}
}
