#!/bin/sh
# Runs every fuzz target in the module for FUZZTIME each (default 5s): `make test`
# runs this short pass, `make fuzz` a long one. Seed corpora live in each package's
# testdata/fuzz and also run in plain `go test`.
set -eu
t=${1:-5s}
grep -rl --include='*_test.go' '^func Fuzz' . | while read -r f; do
	dir=$(dirname "$f")
	grep -h '^func Fuzz' "$f" | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/' | while read -r name; do
		echo "fuzz $dir $name ($t)"
		go test -run '^$' -fuzz "^${name}\$" -fuzztime "$t" "$dir" >/tmp/countertop-fuzz.log 2>&1 || { cat /tmp/countertop-fuzz.log; exit 1; }
	done
done
