#!/usr/bin/env bash
# tests/examples.sh APP [CHECK_HISTORY]: the example scenarios of testcases/ (every file with an
# expectation) pass all their expectations on seeds 1..$SEEDS (default 20) and, when the history
# checker is given, leave a history it finds clean; --check accepts each of them and
# writes nothing; a wrong expectation makes the run print FAIL and exit 3; --check of a bad file
# exits 2 and writes nothing. Prints "ok - NAME" / "not ok - NAME", then
# "examples: N passed, M failed".
set -u
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 APP [CHECK_HISTORY]" >&2; exit 2; }
app=$(cd "$(dirname -- "$1")" && pwd)/$(basename -- "$1")
checker=${2:+$(cd "$(dirname -- "$2")" && pwd)/$(basename -- "$2")}
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
seeds=${SEEDS:-20}
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; printf '    %s\n' "$2" >&2; failed=$((failed + 1)); }

cd "$work" || exit 2
for f in "$top"/testcases/*.conf; do
    grep -q '^[[:space:]]*expect\|[[:space:]]expect[[:space:]]' "$f" || continue
    name=$(basename "$f")
    if out=$("$app" --check "$f" 2>&1) && [ ! -e dbg.log ] && echo "$out" | grep -q ': valid:'; then
        ok "$name: --check accepts it and writes nothing"
    else
        not_ok "$name: --check accepts it and writes nothing" "$out"
    fi
    bad=""
    for s in $(seq 1 "$seeds"); do
        "$app" "$f" --seed "$s" --dump-state state.txt >run.txt 2>&1
        rc=$?
        if [ $rc -ne 0 ] || grep -q '^FAIL' run.txt || ! grep -q '^expectations: [0-9]* passed, 0 failed' run.txt; then
            bad="seed $s (exit $rc): $(grep -m1 -E '^FAIL|rror' run.txt)"
            break
        fi
        if [ -n "$checker" ] && ! "$checker" -q dbg.log state.txt >check.txt 2>&1; then
            bad="seed $s: $(tail -n 1 check.txt)"
            break
        fi
    done
    what="every expectation passes on seeds 1-$seeds"
    [ -n "$checker" ] && what="$what, the history clean"
    if [ -z "$bad" ]; then
        ok "$name: $what"
    else
        not_ok "$name: $what" "$bad"
    fi
    rm -f dbg.log stats.log msgcount.log state.txt
done

# A wrong expectation is reported and sets the exit status.
printf 'MAX_NNB: 10\nat 100 create k1 v1 expect success\nat 120 read k1 expect value v2\n' >wrong.conf
"$app" wrong.conf --seed 1 >run.txt 2>&1
rc=$?
if [ $rc -eq 3 ] && grep -q '^FAIL wrong.conf:3: at 120 read k1 expect value v2: read v1' run.txt &&
   grep -q '^PASS wrong.conf:2:' run.txt && grep -q '^expectations: 1 passed, 1 failed' run.txt; then
    ok "a wrong expectation prints FAIL with the value read and exits 3"
else
    not_ok "a wrong expectation prints FAIL with the value read and exits 3" "exit $rc: $(cat run.txt)"
fi

# --check of a bad file: exit 2, file:line:col, nothing written, earlier logs intact.
rm -f dbg.log
echo "earlier" >dbg.log
printf 'MAX_NNB: 10\nat 100 fial node 3\n' >bad.conf
out=$("$app" --check bad.conf 2>&1)
rc=$?
if [ $rc -eq 2 ] && echo "$out" | grep -q '^bad.conf:2:8: .*did you mean fail' &&
   [ "$(cat dbg.log)" = earlier ]; then
    ok "--check of a bad file: exit 2, file:line:col with a suggestion, nothing written"
else
    not_ok "--check of a bad file: exit 2, file:line:col with a suggestion, nothing written" "exit $rc: $out"
fi

echo "examples: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
