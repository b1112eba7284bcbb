#!/usr/bin/env bash
# tests/campaign-run.sh APP CHECK_HISTORY CAMPAIGN: a short campaign of random fault schedules
# (CAMPAIGN_RUNS, default 100, of the standard profile, plus a quarter as many chaos ones), each
# judged by its own expectations and by check-history; every schedule must be clean. The campaign
# seeds are fixed, so a failure replays: the failing schedules are copied to
# ${CAMPAIGN_OUT:-campaign-out} in the current directory. Prints "campaign: N passed, M failed"
# with one check per profile.
set -u
[ $# -eq 3 ] || { echo "usage: $0 APP CHECK_HISTORY CAMPAIGN" >&2; exit 2; }
abs() { (cd "$(dirname -- "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename -- "$1")"); }
app=$(abs "$1") checker=$(abs "$2") campaign=$(abs "$3")
runs=${CAMPAIGN_RUNS:-100}
out=${CAMPAIGN_OUT:-$PWD/campaign-out}
passed=0 failed=0
for spec in "standard $runs 1" "chaos $(( (runs + 3) / 4 )) 2"; do
    set -- $spec
    profile=$1 n=$2 seed=$3
    work=$(mktemp -d) || exit 2
    "$campaign" --runs "$n" --seed "$seed" --profile "$profile" --app "$app" \
        --checker "$checker" --out "$work/out" >"$work/log" 2>&1
    rc=$?
    last=$(tail -n 1 "$work/log")
    if [ $rc -eq 0 ]; then
        echo "ok - $profile: $last"
        passed=$((passed + 1))
    else
        echo "not ok - $profile (seed $seed): $last"
        grep '^schedule ' "$work/log" | head -n 10 | sed 's/^/    /' >&2
        mkdir -p "$out" && cp "$work"/out/*.conf "$out"/ 2>/dev/null &&
            echo "    failing schedules copied to $out" >&2
        failed=$((failed + 1))
    fi
    rm -rf "$work"
done
echo "campaign: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
