// Package syntax is the first stage of the keepalived.conf front end: it
// reads files, applies keepalived's preprocessor (include, @conditional lines,
// $NAME definitions, ~SEQ/~LST expansion), splits lines into tokens that
// remember their file and line, and groups them into a tree of keyword nodes.
//
// It knows nothing about what keywords mean; package config turns the tree
// into a typed model.
//
// # Fidelity
//
// The preprocessor follows keepalived 2.2.7's lib/parser.c read_line order:
// a line comes from the residue of a brace split, else from the innermost
// pending ~SEQ/~LST, else from a multi-line definition being expanded, else
// from the current file; it then goes through @id selection, $NAME=
// definitions, ~SEQ/~LST registration, substitution (repeated while it
// changes something, decommenting again after each round) and include
// handling, and is finally split at the first unquoted brace. The tests in
// keepalived_test.go run the real keepalived -t on testdata/diff and require
// the same keyword sequence and line numbers. Behaviours that follow from
// this and that users may not expect (each has a test):
//
//   - ${_HASH} and ${_BANG} only survive inside double quotes: the line is
//     decommented again after substitution.
//   - An undefined ${NAME} is left alone, so its braces split the line.
//   - $NAME is only replaced when followed by a blank, ',', ')' or the end of
//     the line; ${NAME} anywhere. Multi-line definitions only at line end.
//   - `@id include f` and `include $F` work (the man page says they do not).
//   - A trailing backslash after a comment still continues a definition.
//   - The text after a brace is a new line: `blk { @other x }` drops the
//     closing brace with the rest of "@other x }".
//   - A quoted "{" or "}" as the first word acts as a brace.
//   - ~SEQ arguments are C strtol base 0 numbers ("010" is 8); ~SEQ(I,0)
//     yields 1, 0.
//   - Includes named inside a ~SEQ/~LST are opened as the expansion runs, so
//     a later one is resolved relative to the file opened by an earlier one.
//   - include_check's first option is spelled "read" (not "readable").
//
// Deliberate differences from keepalived 2.2.7:
//
//   - ${_ENV NAME} is supported (added after 2.2.7, which leaves it as text).
//   - A physical line longer than 1023 bytes is kept whole, with an Error;
//     keepalived would silently split it into 1023-byte pieces.
//   - keepalived's child processes re-read a flattened copy of the
//     configuration that differs in corner cases (a comment line inside a
//     multi-line definition ends it there; `@id include` lines are included
//     twice); this package gives the parent's reading.
//   - Where keepalived hangs or exhausts memory (`$A=${A}`, include loops,
//     unbounded ~SEQ), parsing stops with an Error: see the limits in
//     parse.go and reader.go.
//
// Include problems are Warnings unless include_check (in global_defs), the
// includer/m/w/b/a variants or Options.AllConfig ask for the check, in which
// case they are Fatal: keepalived then refuses to run.
package syntax

// The package's entry points (implemented in parse.go and command.go):
//
//	func Parse(path string, opts Options) ([]*Node, []Diagnostic)
//	func ParseBytes(name string, src []byte, opts Options) ([]*Node, []Diagnostic)
//	func SplitCommand(raw string) ([]string, error) // shell-style split for script keywords
//	func SplitScript(raw string) (argv, rest []string, err error) // argv + user/group of a script keyword
//
// A file that cannot be read at all is reported as a Fatal diagnostic, never
// as a panic.
