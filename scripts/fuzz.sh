#!/bin/sh
# Runs every fuzz target in the module for the given time each (default 30s).
# New crashers land in the package's testdata/fuzz/<Target>/ and then run as
# ordinary unit tests: give them a name that says what they found.
set -eu
t="${1:-30s}"
cd "$(dirname "$0")/.."
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
	pkg="./$(dirname "${f#./}")"
	grep -o '^func Fuzz[A-Za-z0-9_]*' "$f" | sed 's/^func //' | while read -r target; do
		echo "== $pkg $target ($t)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$t" "$pkg"
	done
done
