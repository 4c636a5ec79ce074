// Package demo keeps `make demo` working: its test runs scripts/demo.sh
// (fast mode) in the namespace tier and checks what the demo shows — the
// backup taking over after the master is killed, preemption after the
// restart, a clean teardown. The package has no code of its own.
package demo
