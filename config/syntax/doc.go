// Package syntax is the first stage of the keepalived.conf front end: it
// reads files, applies keepalived's preprocessor (include, @conditional lines,
// $NAME definitions, ~SEQ/~LST expansion), splits lines into tokens that
// remember their file and line, and groups them into a tree of keyword nodes.
//
// It knows nothing about what keywords mean; package config turns the tree
// into a typed model.
package syntax
