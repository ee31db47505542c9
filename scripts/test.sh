#!/usr/bin/env bash
# test.sh BUILD_DIR [--quick]: the whole test suite against one build.
#   1. every cmocka unit test binary in BUILD_DIR/tests
#   2. the command-line checks in tests/cli (exit statuses and file:line:col messages)
#   3. the scenario suite over seeds 1..100 (1..20 with --quick), run twice in separate
#      processes and once twice within one process; all three outputs must agree byte for byte
#   4. the suite as swarm runs (drawn faults and background players) over the same seeds;
#      `make swarm` runs the full sweep over seeds 1..2000
# Ends with one line "tests: N passed, M failed" and exits non-zero when anything failed.
set -u
build=${1:?usage: scripts/test.sh BUILD_DIR [--quick]}
quick=${2:-}
seeds=1..100
[ "$quick" = "--quick" ] && seeds=1..20
vstore="$build/vstore"
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAILED: $*"; }

echo "== unit tests"
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    out="$tmp/$(basename "$t").out"
    "$t" >"$out" 2>&1
    status=$?
    n_pass=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test(s)\./\1/p' "$out" | tail -1)
    n_fail=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below:/\1/p' "$out" | tail -1)
    passed=$((passed + ${n_pass:-0}))
    failed=$((failed + ${n_fail:-0}))
    if [ "$status" -ne 0 ] || [ -n "${n_fail:-}" ] || [ -z "${n_pass:-}" ]; then
        cat "$out"
        [ -z "${n_fail:-}" ] && bad "$(basename "$t") exited with status $status"
    else
        echo "$(basename "$t"): ${n_pass} passed"
    fi
done

echo "== command-line checks"
if VSTORE="$vstore" tests/cli/run.sh >"$tmp/cli.out" 2>&1; then :; fi
cat "$tmp/cli.out"
n_pass=$(sed -n 's/^cli: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$tmp/cli.out")
n_fail=$(sed -n 's/^cli: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$tmp/cli.out")
if [ -z "$n_pass" ]; then bad "tests/cli/run.sh did not finish"; else
    passed=$((passed + n_pass)); failed=$((failed + n_fail)); fi

echo "== scenario suite, seeds $seeds"
"$vstore" run scenarios/ --seeds "$seeds" --json "$tmp/a.json" >"$tmp/a.txt" 2>&1
status_a=$?
"$vstore" run scenarios/ --seeds "$seeds" --json "$tmp/b.json" >"$tmp/b.txt" 2>&1
tail -n 1 "$tmp/a.txt"
grep -E '^(FAIL|  )' "$tmp/a.txt" | head -n 40
if [ "$status_a" -eq 0 ]; then ok; else bad "vstore run scenarios/ --seeds $seeds exited $status_a"; fi
if cmp -s "$tmp/a.txt" "$tmp/b.txt" && cmp -s "$tmp/a.json" "$tmp/b.json"; then ok; else
    bad "two processes gave different output for the same seeds"; diff "$tmp/a.txt" "$tmp/b.txt" | head; fi
# The same scenarios twice in one process: the second half of the output repeats the first.
"$vstore" run scenarios/ scenarios/ --seeds "$seeds" >"$tmp/c.txt" 2>&1
lines=$(($(wc -l <"$tmp/c.txt") - 1))
half=$((lines / 2))
if [ "$lines" -gt 0 ] && [ $((half * 2)) -eq "$lines" ] &&
    cmp -s <(head -n "$half" "$tmp/c.txt") <(sed -n "$((half + 1)),${lines}p" "$tmp/c.txt") &&
    cmp -s <(head -n "$half" "$tmp/c.txt") <(head -n "$half" "$tmp/a.txt"); then ok; else
    bad "running the same scenarios twice in one process gave different output"; fi

echo "== swarm runs, seeds $seeds"
"$vstore" run scenarios/ --seeds "$seeds" --swarm >"$tmp/s.txt" 2>&1
status_s=$?
tail -n 1 "$tmp/s.txt"
grep -E '^(FAIL|  )' "$tmp/s.txt" | head -n 60
if [ "$status_s" -eq 0 ]; then ok; else bad "vstore run scenarios/ --seeds $seeds --swarm exited $status_s"; fi

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
