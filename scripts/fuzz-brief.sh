#!/usr/bin/env bash
# Runs every fuzz target in the module for a short time (default 4s each):
# long enough to catch regressions on the committed corpus and a little more.
set -euo pipefail
fuzztime=${1:-4s}
cd "$(dirname "$0")/.."
grep -rl --include='*_test.go' '^func Fuzz' . | sort | while read -r file; do
  pkg=./$(dirname "${file#./}")
  for target in $(grep -o '^func Fuzz[A-Za-z0-9_]*' "$file" | cut -d' ' -f2); do
    echo "fuzz $pkg $target ($fuzztime)"
    run() { go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" -fuzzminimizetime=10x "$pkg" >/tmp/fuzz-$$.log 2>&1; }
    # Go's fuzz coordinator sometimes reports its own deadline as a failure
    # on a loaded machine, with no failing input: that one is run again.
    if ! run; then
      if grep -q 'context deadline exceeded' /tmp/fuzz-$$.log && ! grep -q 'Failing input written' /tmp/fuzz-$$.log; then
        echo "  (the fuzz engine's own deadline error; running it again)"
        run || { cat /tmp/fuzz-$$.log; exit 1; }
      else
        cat /tmp/fuzz-$$.log; exit 1
      fi
    fi
  done
done
rm -f /tmp/fuzz-$$.log
