#!/usr/bin/env bash
# run.sh: checks of the vstore command as a user meets it: exit statuses, error messages with
# file:line:col, the reproduce line of a failure, the JSON report. VSTORE names the binary.
# Ends with "cli: N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
vstore=${VSTORE:-build/vstore}
here=tests/cli
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass() { passed=$((passed + 1)); }
fail() { failed=$((failed + 1)); echo "cli FAILED: $*"; }

# expect_status WANT CMD...: runs CMD, keeps its stdout/stderr in $tmp/out and $tmp/err.
expect_status() {
    local want=$1; shift
    timeout 20 "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then return 0; fi
    fail "'$*' exited $got, expected $want"; sed 's/^/    /' "$tmp/err" | head -5
    return 1
}

# bad_input NAME WHERE FRAGMENT CMD...: exit 2, and stderr has "WHERE: ...FRAGMENT..." on a line.
bad_input() {
    local name=$1 where=$2 fragment=$3; shift 3
    expect_status 2 "$@" || return
    if grep -F -- "$where: " "$tmp/err" | grep -qF -- "$fragment"; then pass; else
        fail "$name: stderr lacks '$where: ...$fragment...'"; sed 's/^/    /' "$tmp/err" | head -5; fi
}

# Generated fixtures (bytes a text editor would not keep).
printf 'name: bad bytes\nduration: 1m\n# caf\xc3\xa9 is fine, \xff is not\n' >"$tmp/invalid-utf8.yaml"
printf 'name: nul\nduration: 1m\nstore: {name: P\000, template: {}}\n' >"$tmp/nul.yaml"

bad_input "bad indentation" "$here/bad/bad-indent.yaml:4:9" "YAML syntax error" "$vstore" run "$here/bad/bad-indent.yaml"
bad_input "wrong type" "$here/bad/wrong-type.yaml:2:7" "expected an integer" "$vstore" run "$here/bad/wrong-type.yaml"
bad_input "unknown key" "$here/bad/unknown-key.yaml:2:1" "did you mean 'duration'" "$vstore" run "$here/bad/unknown-key.yaml"
bad_input "missing key" "$here/bad/missing-key.yaml:1:1" "'duration'" "$vstore" run "$here/bad/missing-key.yaml"
bad_input "invalid UTF-8" "$tmp/invalid-utf8.yaml:3:17" "UTF-8" "$vstore" run "$tmp/invalid-utf8.yaml"
bad_input "NUL byte" "$tmp/nul.yaml:3:16" "NUL" "$vstore" run "$tmp/nul.yaml"
bad_input "empty file" "$here/bad/empty.yaml:1:1" "empty" "$vstore" run "$here/bad/empty.yaml"
bad_input "missing file" "$here/bad/nope.yaml:1:1" "cannot open" "$vstore" run "$here/bad/nope.yaml"
bad_input "folder without scenarios" "$here/no-scenarios:1:1" "no scenario" "$vstore" run "$here/no-scenarios"
bad_input "check reports too" "$here/bad/wrong-type.yaml:2:7" "expected an integer" "$vstore" check "$here/bad/wrong-type.yaml"
# every bad file is reported, not just the first
if expect_status 2 "$vstore" check "$here/bad"; then
    n=$(grep -c '^tests/cli/bad/.*:[0-9]*:[0-9]*: ' "$tmp/err")
    if [ "$n" -eq 5 ]; then pass; else fail "check of tests/cli/bad reported $n errors, expected 5"; fi
fi

# Usage errors.
for args in "" "frobnicate" "run" "run scenarios/ --seeds 5..1" "run scenarios/ --seed x" \
            "run scenarios/ --bogus" "run scenarios/ --seed 1 --seeds 1..2" "check scenarios/ --seed 1"; do
    # shellcheck disable=SC2086
    if expect_status 2 "$vstore" $args; then
        if [ -s "$tmp/err" ]; then pass; else fail "'vstore $args' said nothing on stderr"; fi
    fi
done

# A good folder checks clean.
if expect_status 0 "$vstore" check scenarios/; then pass; fi

# A failing scenario: exit 1, each failure names its check and place, and the reproduce line
# reproduces the same run byte for byte.
if expect_status 1 "$vstore" run "$here/failing.yaml" --json "$tmp/fail.json"; then
    if grep -q "^FAIL $here/failing.yaml seed=3 " "$tmp/out" &&
        grep -qF "script: $here/failing.yaml:11:5: at 1s, add Coins for player 1: the profile is not loaded" "$tmp/out" &&
        grep -qF "expect: $here/failing.yaml:15:5: stored profile of player 1 at 'Coins': expected 11, found 10" "$tmp/out"; then
        pass; else fail "failing scenario output"; sed 's/^/    /' "$tmp/out"; fi
    repro=$(sed -n 's/^  reproduce: //p' "$tmp/out")
    head -n 1 "$tmp/out" >"$tmp/first"
    if [ -n "$repro" ] && $repro >"$tmp/again" 2>&1; then fail "reproduce command passed: $repro"
    elif head -n 1 "$tmp/again" | cmp -s - "$tmp/first"; then pass
    else fail "reproduce command gave another run: $repro"; fi
    if grep -q '"summary":{"runs":1,"passed":0,"failed":1}' "$tmp/fail.json" &&
        grep -q '"check":"expect"' "$tmp/fail.json" && grep -q '"status":"fail"' "$tmp/fail.json"; then
        pass; else fail "JSON report of the failing run"; cat "$tmp/fail.json"; fi
fi

# --trace: the same seed gives the same trace, byte for byte; one run only.
if expect_status 0 "$vstore" run scenarios/platform/server-crash.yaml --seed 9 --trace "$tmp/t1.jsonl" &&
    expect_status 0 "$vstore" run scenarios/platform/server-crash.yaml --seed 9 --trace "$tmp/t2.jsonl"; then
    if [ -s "$tmp/t1.jsonl" ] && cmp -s "$tmp/t1.jsonl" "$tmp/t2.jsonl" &&
        grep -q '"what":"server.crash"' "$tmp/t1.jsonl" && grep -q '"what":"engine.join","outcome":"invoke"' "$tmp/t1.jsonl"; then
        pass; else fail "trace of seed 9 differs between runs or lacks records"; fi
fi
if expect_status 0 "$vstore" run scenarios/platform/server-crash.yaml --seed 10 --trace "$tmp/t3.jsonl"; then
    if cmp -s "$tmp/t1.jsonl" "$tmp/t3.jsonl"; then fail "another seed gave the same trace"; else pass; fi
fi
if expect_status 2 "$vstore" run scenarios/platform --seed 1 --trace "$tmp/t.jsonl"; then
    if grep -q "one scenario" "$tmp/err"; then pass; else fail "--trace over many runs: unclear message"; fi
fi
# --swarm: a failing swarm run prints its drawn faults and workload and a reproduce line with --swarm, and
# the reproduce line gives the same run again.
"$vstore" run "$here/failing.yaml" --seeds 1..5 --swarm >"$tmp/swarm.out" 2>&1
line=$(grep -m1 '^  reproduce: .* --swarm$' "$tmp/swarm.out" | sed 's/^  reproduce: //')
if [ -n "$line" ] && grep -q '^  drawn faults:' "$tmp/swarm.out" &&
    grep -qE '^  drawn workload: (none|[0-9] players? \(ids 900001\.\.9000[0-9]{2}\), an event every [0-9]+ms)' "$tmp/swarm.out"; then
    seed=$(echo "$line" | sed 's/.*--seed \([0-9]*\).*/\1/')
    $line >"$tmp/swarm.again" 2>&1
    if grep "^FAIL $here/failing.yaml seed=$seed " "$tmp/swarm.out" | cmp -s - <(head -n 1 "$tmp/swarm.again"); then
        pass; else fail "the swarm reproduce line gave another run"; fi
else
    fail "no failing swarm run with drawn faults and a --swarm reproduce line among seeds 1..5"
fi

# An oracle's violation comes with the history about its subject, in plain words and in order,
# in the text report and in the JSON report.
if expect_status 1 "$vstore" run "$here/oracle-explained.yaml" --seed 3 --json "$tmp/explained.json"; then
    if grep -q '^  liveness: at 60s: player 1 joined server 1 after the heal' "$tmp/out" &&
        grep -q '^    what led to it:$' "$tmp/out" &&
        awk '/what led to it/ { on = 1 } on && $0 == "      1s  player 1 joins server 1" { j = NR }
             on && $0 == "      10s  server 1 crashes" { c = NR } END { exit !(j && c && j < c) }' "$tmp/out"; then
        pass; else fail "the liveness violation's history excerpt"; cat "$tmp/out"; fi
    if grep -qF '"history":["0s  server 1 starts (incarnation 1)","1s  player 1 joins server 1"' "$tmp/explained.json" &&
        grep -qF '"10s  server 1 crashes"' "$tmp/explained.json"; then
        pass; else fail "the JSON report's history lines"; cat "$tmp/explained.json"; fi
fi

# docs/platform.md is what `vstore docs platform` writes from the tables: it must not drift.
if expect_status 0 "$vstore" docs platform; then
    if cmp -s "$tmp/out" docs/platform.md; then pass; else
        fail "docs/platform.md differs from 'vstore docs platform' (regenerate it)"; fi
fi

echo "cli: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
