#!/usr/bin/env bash
# tests/regressions.sh APP [CHECK_HISTORY]: every protocol bug found so far, as a minimal
# scenario in tests/regressions/ (its comment says what went wrong). Each must pass all its
# expectations on seeds 1..$SEEDS (default 20) and, when the history checker is given, leave a
# history it finds clean (dbg.log and the --dump-state file). REGRESSION_SEEDS overrides the
# seed count (make sanitize uses 5: the sanitizers make each run several times slower).
# Prints "ok - NAME" / "not ok - NAME", then "regressions: N passed, M failed".
set -u
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 APP [CHECK_HISTORY]" >&2; exit 2; }
abs() { (cd "$(dirname -- "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename -- "$1")"); }
app=$(abs "$1")
checker=${2:+$(abs "$2")}
here=$(cd "$(dirname "$0")" && pwd)
seeds=${REGRESSION_SEEDS:-${SEEDS:-20}}
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; printf '    %s\n' "$2" >&2; failed=$((failed + 1)); }

cd "$work" || exit 2
for f in "$here"/regressions/*.conf; do
    name=regressions/$(basename "$f")
    bad=""
    for s in $(seq 1 "$seeds"); do
        "$app" "$f" --seed "$s" --dump-state state.txt >run.txt 2>&1
        rc=$?
        if [ $rc -ne 0 ] || ! grep -q '^expectations: [0-9]* passed, 0 failed' run.txt; then
            bad="seed $s (exit $rc): $(grep -m1 -E '^FAIL|rror' run.txt)"
            break
        fi
        if [ -n "$checker" ] && ! "$checker" -q dbg.log state.txt >check.txt 2>&1; then
            bad="seed $s: $(tail -n 1 check.txt)"
            break
        fi
    done
    what="every expectation passes on seeds 1-$seeds"
    [ -n "$checker" ] && what="$what, and check-history finds the history clean"
    if [ -z "$bad" ]; then
        ok "$name: $what"
    else
        not_ok "$name: $what" "$bad"
    fi
done

echo "regressions: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
