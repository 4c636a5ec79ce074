// Package syntax is the first stage of the keepalived.conf front end: it
// reads files, applies keepalived's preprocessor (include, @conditional lines,
// $NAME definitions, ~SEQ/~LST expansion), splits lines into tokens that
// remember their file and line, and groups them into a tree of keyword nodes.
//
// It knows nothing about what keywords mean; package config turns the tree
// into a typed model.
package syntax

// The package's entry points (implemented in parse.go):
//
//	func Parse(path string, opts Options) ([]*Node, []Diagnostic)
//	func ParseBytes(name string, src []byte, opts Options) ([]*Node, []Diagnostic)
//	func SplitCommand(raw string) ([]string, error) // shell-style split for script keywords
//
// A file that cannot be read at all is reported as a Fatal diagnostic, never
// as a panic.
