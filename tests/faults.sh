#!/usr/bin/env bash
# tests/faults.sh FAULTY_APP CHECK_HISTORY CAMPAIGN: proof that the checkers can fail. FAULTY_APP
# is the test build (make build/faulty/Application) that misbehaves on demand (KV_FAULTS):
#   early-drop       a node that is not a replica drops its copy at once, counting on others
#   quorum-one       operations succeed at the first success
#   no-anti-entropy  nothing repairs a replica that missed a write
#   read-first       a read returns the first success, not the newest version (judged on the
#                    trace: check-history --trace reports read-version)
# For each: a scenario that the correct store passes (the same build, no KV_FAULTS) leaves a
# history check-history finds clean, and with the fault it reports the violation; and a small
# campaign run against the faulty build finds violations and exits 1. Prints "ok - NAME" /
# "not ok - NAME", then "faults: N passed, M failed".
set -u
[ $# -eq 3 ] || { echo "usage: $0 FAULTY_APP CHECK_HISTORY CAMPAIGN" >&2; exit 2; }
abs() { (cd "$(dirname -- "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename -- "$1")"); }
app=$(abs "$1")
checker=$(abs "$2")
campaign=$(abs "$3")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT
passed=0 failed=0

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; printf '    %s\n' "$2" >&2; failed=$((failed + 1)); }

cd "$work" || exit 2

# judge FAULTS FILE SEED: runs FILE with KV_FAULTS=FAULTS; leaves check-history's output in
# check.txt and returns its exit status.
judge() {
    rm -f dbg.log state.txt
    KV_FAULTS=$1 "$app" "$2" --seed "$3" --dump-state state.txt >run.txt 2>&1
    "$checker" dbg.log state.txt >check.txt 2>&1
}

# fault FAULT FILE KIND: clean without the fault, KIND reported with it.
fault() {
    local name=$1 file=$2 kind=$3 rc
    judge "" "$file" 1
    rc=$?
    if [ $rc -eq 0 ]; then
        ok "$name: $(basename "$file") without the fault: check-history finds the history clean"
    else
        not_ok "$name: $(basename "$file") without the fault: check-history finds the history clean" \
            "exit $rc: $(tail -n 3 check.txt)"
    fi
    judge "$name" "$file" 1
    rc=$?
    if [ $rc -eq 1 ] && grep -q "^check-history: $kind: " check.txt &&
        tail -n 1 check.txt | grep -q "$kind="; then
        ok "$name: check-history reports $kind"
    else
        not_ok "$name: check-history reports $kind" "exit $rc: $(tail -n 3 check.txt)"
    fi
}

# fault_trace FAULT FILE KIND: the same, judged by check-history --trace on the run's trace.
fault_trace() {
    local name=$1 file=$2 kind=$3 rc f
    for f in "" "$name"; do
        rm -f t.jsonl state.txt
        KV_FAULTS=$f "$app" "$file" --seed 1 --dump-state state.txt --trace t.jsonl >run.txt 2>&1
        "$checker" --trace t.jsonl state.txt >check.txt 2>&1
        rc=$?
        if [ -z "$f" ]; then
            [ $rc -eq 0 ] && ok "$name: $(basename "$file") without the fault: check-history --trace finds it clean" ||
                not_ok "$name: $(basename "$file") without the fault: check-history --trace finds it clean" \
                    "exit $rc: $(tail -n 3 check.txt)"
        elif [ $rc -eq 1 ] && grep -q "^check-history: $kind: " check.txt; then
            ok "$name: check-history --trace reports $kind"
        else
            not_ok "$name: check-history --trace reports $kind" "exit $rc: $(tail -n 3 check.txt)"
        fi
    done
}

fault early-drop "$here/regressions/presumed-holder.conf" lost-write
fault quorum-one "$here/faults/quorum-one.conf" stale-read
fault no-anti-entropy "$here/faults/no-anti-entropy.conf" stale-replica
fault_trace read-first "$here/faults/read-first.conf" read-version

# A small campaign against each fault: it must find violations. The schedules are deterministic
# for the seed; a quorum of one is the hardest to catch (about one schedule in twelve shows a
# stale read), so 48 schedules: with this seed each fault is caught by at least 6 of them.
for f in early-drop quorum-one no-anti-entropy; do
    KV_FAULTS=$f "$campaign" --runs 48 --seed 3 --jobs 2 --app "$app" --checker "$checker" \
        --out "out-$f" >campaign.txt 2>&1
    rc=$?
    last=$(tail -n 1 campaign.txt)
    if [ $rc -eq 1 ] && echo "$last" | grep -q '^campaign: [0-9]*/48 schedules clean, [1-9][0-9]* violations\{0,1\} ' &&
        ls "out-$f"/fail-*.conf >/dev/null 2>&1; then
        ok "$f: a 48-schedule campaign finds violations ($last)"
    else
        not_ok "$f: a 48-schedule campaign finds violations" "exit $rc: $last"
    fi
done

echo "faults: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
