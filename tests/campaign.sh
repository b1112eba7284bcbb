#!/usr/bin/env bash
# tests/campaign.sh APP CAMPAIGN: checks tools/campaign (random fault schedules) with the
# Application APP. Schedules are deterministic and valid (APP --check accepts 30 of each
# profile, and among them is every fault the scenario language has), W matches the probe
# timeout the simulator reports (with link loss, compound loss and reordering), usage errors
# exit 2, a small
# real campaign ends with its summary line, and with stand-in programs (an Application that
# reports a failed expectation, crashes or hangs; a checker that reports violations) failing
# schedules are saved, replay byte for byte, and shrink. Prints "ok - NAME" / "not ok - NAME"
# (details on stderr), then "campaign-tests: N passed, M failed"; exits 0 iff none failed.
set -u
[ $# -eq 2 ] || { echo "usage: $0 APP CAMPAIGN" >&2; exit 2; }
abs() { (cd "$(dirname -- "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename -- "$1")"); }
app=$(abs "$1")
campaign=$(abs "$2")
work=$(mktemp -d "${TMPDIR:-/tmp}/campaign-tests.XXXXXX") || exit 2
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
passed=0 failed=0

ok() { echo "ok - $1"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $1"; printf '    %s\n' "$2" >&2; failed=$((failed + 1)); }
check() { # NAME DETAIL CONDITION...: ok when the command in CONDITION succeeds
    local name=$1 detail=$2
    shift 2
    if "$@"; then ok "$name"; else not_ok "$name" "$detail"; fi
}
cd "$work" || exit 2

# ---- schedules: deterministic, distinct, valid

"$campaign" --print 3 --seed 42 >a.txt 2>&1
"$campaign" --print 3 --seed 42 >b.txt 2>&1
"$campaign" --print 4 --seed 42 >c.txt 2>&1
"$campaign" --print 3 --seed 42 --profile chaos >d.txt 2>&1
check "--print: the same seed and index give the same text" "$(diff a.txt b.txt | head -5)" \
    cmp -s a.txt b.txt
check "--print: another index or profile gives another schedule" "$(head -3 c.txt d.txt)" \
    bash -c '! cmp -s a.txt c.txt && ! cmp -s a.txt d.txt && grep -q "^MAX_NNB: " c.txt'
check "--print: a schedule has SEED, TICKS and the final checks" "$(head -12 a.txt)" \
    bash -c 'grep -q "^SEED: [0-9]" a.txt && grep -q "^TICKS: [0-9]" a.txt &&
             grep -q "^expect no lost writes$" a.txt && grep -q "update k1 k1.final expect success" a.txt'

bad=""
: >all.conf
for profile in standard chaos; do
    for i in $(seq 0 29); do
        "$campaign" --print "$i" --seed 7 --profile "$profile" >s.conf 2>err.txt ||
            { bad="$profile $i: --print failed: $(cat err.txt)"; break 2; }
        "$app" --check s.conf >out.txt 2>&1 ||
            { bad="$profile $i: $(cat out.txt)"; cp s.conf "bad-$profile-$i.conf"; break 2; }
        cat s.conf >>all.conf
    done
done
check "APP --check accepts 30 schedules of each profile" "$bad" test -z "$bad"

# Every fault of the scenario language appears among those 60 schedules, in each of its forms.
n='[0-9]+' g='[0-9,-]+' t='^(at [0-9]+|from [0-9]+ to [0-9]+)'
missing=""
while IFS=';' read -r name pattern; do
    grep -Eq "$pattern" all.conf || missing="$missing, $name"
done <<EOF
fail node;$t fail node $n\$
fail random node;$t fail 1 random node\$
fail replica role;$t fail (primary|secondary|tertiary) of k$n\$
fail non-replica;$t fail non-replica of k$n\$
restart (crash-stop);$t restart node $n\$
restart keep data;$t restart node $n keep data\$
pause;$t pause node $n for $n\$
add nodes;$t add $n nodes?\$
partition both ways;$t partition $g [|] $g\$
partition one way;$t partition $g -> $g\$
drop everywhere;$t drop [0-9.]+\$
drop between, both ways;$t drop [0-9.]+ between $g and $g\$
drop between, one way;$t drop [0-9.]+ between $g -> $g\$
delay everywhere;$t delay $n\$
delay between, both ways;$t delay $n between $g and $g\$
delay between, one way;$t delay $n between $g -> $g\$
duplicate everywhere;$t duplicate [0-9.]+\$
duplicate between, both ways;$t duplicate [0-9.]+ between $g and $g\$
duplicate between, one way;$t duplicate [0-9.]+ between $g -> $g\$
reorder everywhere;$t reorder $n\$
reorder between, both ways;$t reorder $n between $g and $g\$
reorder between, one way;$t reorder $n between $g -> $g\$
COORDINATOR_TIMEOUT;^COORDINATOR_TIMEOUT: $n\$
EOF
check "every fault of the scenario language appears in those 60 schedules" \
    "missing: ${missing#, }" test -z "$missing"

# Regression: chaos schedule 15 of seed 2026 once drew a slow-link window between all nodes and
# nobody ("delay 1 between  and 1-22"), which the Application rejects.
"$campaign" --print 15 --seed 2026 --profile chaos >r.conf 2>err.txt
check "a slow-link window never has an empty group (chaos 15, seed 2026)" "$(cat err.txt; grep between r.conf)" \
    bash -c '"$0" --check r.conf >/dev/null 2>&1 && ! grep -q "between  and\| and $" r.conf' "$app"

# W in the header is 2 * probe_timeout + 60 with the simulator's probe timeout, and a file
# with slow links sets COORDINATOR_TIMEOUT 2 * (1 + worst delay) + 10: on a schedule with loss
# on links and both delay and reordering, and on one whose worst loss compounds overlapping
# windows (not a multiple of 0.05).
w_check() { # NAME FILE: runs FILE in a directory of its own and compares
    local name=$1 file=$2 w probe d timeout
    w=$(sed -n 's/.* W = \([0-9]*\) ticks.*/\1/p' "$file")
    d=$(sed -n 's/.* worst delay \([0-9]*\):.*/\1/p' "$file")
    timeout=$(sed -n 's/^COORDINATOR_TIMEOUT: //p' "$file")
    rm -rf wrun && mkdir wrun && (cd wrun && "$app" "../$file" >/dev/null 2>&1)
    probe=$(grep -o 'probe_timeout=[0-9]*' wrun/stats.log 2>/dev/null | cut -d= -f2)
    check "W = 2 * probe_timeout + 60 as the simulator computes it, $name (W $w)" \
        "$(sed -n 2p "$file"); probe_timeout '$probe', COORDINATOR_TIMEOUT '$timeout'" \
        test -n "$probe" -a "$w" = "$((2 * ${probe:-0} + 60))" -a \
        "$timeout" = "$((2 * (1 + ${d:-0}) + 10))"
}
found=""
for i in $(seq 0 80); do
    "$campaign" --print "$i" --seed 5 >w.conf
    if grep -q "worst loss 0\.[1-9][0-9]*, worst delay [0-9]*: longest delay [1-9][0-9]*, reordering [1-9]" w.conf &&
        grep -Eq '^from .* drop [0-9.]+ between ' w.conf; then found=$i; break; fi
done
if [ -n "$found" ]; then w_check "with link loss, delay and reordering (standard $found)" w.conf
else not_ok "W: a schedule with link loss, delay and reordering" "none in seed 5, 0-80"; fi
found=""
for i in $(seq 0 200); do
    "$campaign" --print "$i" --seed 5 --profile chaos >c.conf
    if grep -Eq "worst loss 0\.[0-9]{2}[1-9]|worst loss 0\.[0-9]{3}[1-9]" c.conf; then found=$i; break; fi
done
if [ -n "$found" ]; then w_check "with compound loss (chaos $found)" c.conf
else not_ok "W: a schedule with compound loss" "none in chaos seed 5, 0-200"; fi

# ---- usage errors

usage_ok=true detail=""
for args in "" "--runs" "--runs 0" "--runs x" "--runs 2 --profile foo" "--runs 2 --jobs 0" \
    "--runs 2 --bogus" "--runs 2 --print 1"; do
    # shellcheck disable=SC2086
    "$campaign" $args >out.txt 2>err.txt
    rc=$?
    if [ $rc -ne 2 ] || ! grep -q '^campaign: ' err.txt; then
        usage_ok=false
        detail="'$args': exit $rc, stderr: $(cat err.txt)"
        break
    fi
done
check "usage errors exit 2 with a message" "$detail" $usage_ok
"$campaign" --runs 2 --checker none --app "$work/missing" >out.txt 2>err.txt
rc=$?
check "an Application that cannot run: exit 2 with a message" "exit $rc: $(cat err.txt)" \
    bash -c "[ $rc -eq 2 ] && grep -q 'cannot run' err.txt"

# ---- a small real campaign

"$campaign" --runs 6 --seed 11 --jobs 2 --checker none --app "$app" --out real >out.txt 2>&1
rc=$?
check "a real campaign of 6 schedules ends with its summary line (exit 0 or 1)" \
    "exit $rc: $(tail -3 out.txt)" \
    bash -c "[ $rc -le 1 ] && tail -1 out.txt | grep -Eq '^campaign: [0-6]/6 schedules clean, [0-9]+ violations?( \(.*\))?$' &&
             [ \$(grep -c '^campaign: ' out.txt) -eq 1 ] && head -1 out.txt | grep -q '^seed: 11 '"

# ---- stand-in Applications

# Runs the Application, then reports one failed expectation: the run is the real one.
cat >failing-app <<EOF
#!/bin/sh
case "\$1" in --check) exec "$app" "\$@";; esac
"$app" "\$@" >/dev/null 2>&1 || exit \$?
echo "FAIL \$1:1: an expectation this test made up"
echo "expectations: 0 passed, 1 failed"
exit 3
EOF
# Fails (without running anything) when the file has a 'fail node' statement.
cat >grep-app <<EOF
#!/bin/sh
case "\$1" in --check) exec "$app" "\$@";; esac
if grep -q '^at [0-9]* fail node' "\$1"; then echo "FAIL \$1: a named failure"; exit 3; fi
exit 0
EOF
# Fails when the file has a line matching each of the extended regular expressions in $NEED1
# and $NEED2.
cat >need-app <<EOF
#!/bin/sh
case "\$1" in --check) exec "$app" "\$@";; esac
if grep -Eq "\$NEED1" "\$1" && grep -Eq "\$NEED2" "\$1"; then echo "FAIL \$1: both"; exit 3; fi
exit 0
EOF
printf '#!/bin/sh\ncase "$1" in --check) exit 0;; esac\nkill -SEGV $$\n' >crash-app
printf '#!/bin/sh\ncase "$1" in --check) exit 0;; esac\nexec sleep 30\n' >hang-app
printf '#!/bin/sh\ncase "$1" in --check) exit 0;; esac\n: >dbg.log; : >state.txt; exit 0\n' >quiet-app
# A checker that echoes its arguments and reports two kinds (or fails on a second call style).
cat >fake-checker <<'EOF'
#!/bin/sh
echo "args: $*"
echo "check-history: lost-write: key w3: made up"
echo "check-history: 10 operations (5 acknowledged), 3 keys; 3 violations (stale-read=1, lost-write=2)"
exit 1
EOF
printf '#!/bin/sh\necho "check-history: dbg.log:1: unreadable" >&2\nexit 2\n' >broken-checker
chmod +x failing-app grep-app need-app crash-app hang-app quiet-app fake-checker broken-checker

"$campaign" --runs 2 --seed 3 --jobs 2 --checker none --app "$work/failing-app" --out out --keep \
    >out.txt 2>&1
rc=$?
check "a failing schedule: progress line, summary, exit 1" "exit $rc: $(cat out.txt)" \
    bash -c "[ $rc -eq 1 ] && grep -Eq '^schedule 0 \(seed [0-9]+\): expectation=1 -> out/fail-0.conf$' out.txt &&
             tail -1 out.txt | grep -qx 'campaign: 0/2 schedules clean, 2 violations (expectation=2)'"
check "DIR/fail-I.conf: header with seed, index, profile, violations and the FAIL line" \
    "$(head -8 out/fail-0.conf 2>&1)" \
    bash -c "grep -q '^# Failing schedule 0 of campaign seed 3, profile standard' out/fail-0.conf &&
             grep -q '^# Violations: expectation=1' out/fail-0.conf &&
             grep -q '^#   FAIL .*made up' out/fail-0.conf && grep -q '^SEED: ' out/fail-0.conf &&
             grep -q '^TICKS: ' out/fail-0.conf && [ -s out/fail-0.dbg.log ] && [ -s out/fail-0.state.txt ]"
mkdir -p replay && (cd replay && "$app" ../out/fail-0.conf --dump-state state.txt >/dev/null 2>&1)
check "./Application DIR/fail-I.conf alone replays the run byte for byte (--keep's dbg.log)" \
    "$(diff out/fail-0.dbg.log replay/dbg.log 2>&1 | head -3)" \
    bash -c 'cmp -s out/fail-0.dbg.log replay/dbg.log && cmp -s out/fail-0.state.txt replay/state.txt'

"$campaign" --runs 6 --seed 5 --jobs 1 --checker none --app "$work/grep-app" --out g1 >g1.txt 2>&1
"$campaign" --runs 6 --seed 5 --jobs 2 --checker none --app "$work/grep-app" --out g2 >g2.txt 2>&1
check "the same campaign with 1 or 2 jobs reports the same schedules in the same order" \
    "$(diff g1.txt g2.txt | head -6)" \
    bash -c "diff <(grep -v '^ran ' g1.txt | sed 's/ -> g[12]/ -> g/') <(grep -v '^ran ' g2.txt | sed 's/ -> g[12]/ -> g/') >/dev/null &&
             grep -q '^schedule ' g1.txt"

first=$(sed -n 's/^schedule \([0-9]*\) .*/\1/p' g1.txt | head -1)
"$campaign" --runs $((first + 1)) --seed 5 --jobs 2 --checker none --app "$work/grep-app" \
    --out sh --shrink >sh.txt 2>&1
min=sh/fail-$first.min.conf
nstat=$(grep -Ec '^(at|from|expect) ' "$min" 2>/dev/null)
check "--shrink: a failure that needs one 'fail node' shrinks to that one statement" \
    "$(cat sh.txt; cat "$min" 2>&1 | head -12)" \
    bash -c "[ '$nstat' = 1 ] && grep -Eq '^at [0-9]+ fail node [0-9]+$' $min &&
             grep -Eq '^schedule $first: shrunk to 1 statement \([0-9]+ of [0-9]+ removed, [0-9]+ runs, kind expectation\) -> $min$' sh.txt &&
             tail -1 sh.txt | grep -q '^campaign: '"
check "--shrink: the shrunk file is valid, keeps SEED and TICKS, and still fails" \
    "$("$app" --check "$min" 2>&1)" \
    bash -c "'$app' --check '$min' >/dev/null && grep -q '^SEED: ' '$min' && grep -q '^TICKS: ' '$min' &&
             ! '$work/grep-app' '$min' >/dev/null"

# The shrinker reads the new statements: a failure that needs a pause (or a keep-data restart)
# and a one-way window on links shrinks to those two (and the `add` statements that create
# the nodes they name).
export NEED1='^at [0-9]+ (pause node [0-9]+ for [0-9]+|restart node [0-9]+ keep data)$'
export NEED2='^from [0-9]+ to [0-9]+ (drop|delay|duplicate|reorder) [0-9.]+ between [0-9,-]+ -> [0-9,-]+$'
first=""
for i in $(seq 0 40); do
    "$campaign" --print "$i" --seed 5 --profile chaos >n.conf
    if grep -Eq "$NEED1" n.conf && grep -Eq "$NEED2" n.conf; then first=$i; break; fi
done
"$campaign" --runs $((${first:-0} + 1)) --seed 5 --profile chaos --jobs 2 --checker none \
    --app "$work/need-app" --out nd --shrink >nd.txt 2>&1
min=nd/fail-$first.min.conf
check "--shrink: a failure that needs a pause or keep-data restart and a one-way link window keeps just those" \
    "chaos $first: $(cat nd.txt; grep -Ev '^#' "$min" 2>&1 | head -12)" \
    bash -c "[ -n '$first' ] && [ \$(grep -Ec \"\$NEED1\" $min) = 1 ] && [ \$(grep -Ec \"\$NEED2\" $min) = 1 ] &&
             [ \$(grep -E '^(at|from|expect) ' $min | grep -Evc '^at [0-9]+ add [0-9]+ nodes?$') = 2 ] &&
             '$app' --check $min >/dev/null 2>&1 && ! '$work/need-app' $min >/dev/null"
unset NEED1 NEED2

"$campaign" --runs 1 --seed 1 --checker none --app "$work/crash-app" --out cr >cr.txt 2>&1
rc=$?
check "an Application killed by a signal counts as a crash" "exit $rc: $(cat cr.txt)" \
    bash -c "[ $rc -eq 1 ] && tail -1 cr.txt | grep -qx 'campaign: 0/1 schedules clean, 1 violation (crash=1)' &&
             grep -q 'killed by signal' cr/fail-0.conf"
"$campaign" --runs 1 --seed 1 --checker none --app "$work/hang-app" --out hg --timeout 1 >hg.txt 2>&1
rc=$?
check "an Application over the time limit is killed and counts as a timeout" "exit $rc: $(cat hg.txt)" \
    bash -c "[ $rc -eq 1 ] && tail -1 hg.txt | grep -qx 'campaign: 0/1 schedules clean, 1 violation (timeout=1)'"

# ---- the checker's verdict

"$campaign" --runs 1 --seed 9 --app "$work/quiet-app" --checker "$work/fake-checker" --out ck \
    >ck.txt 2>&1
rc=$?
w=$("$campaign" --print 0 --seed 9 | sed -n 's/.* W = \([0-9]*\) ticks.*/\1/p')
check "the checker's kinds are counted, sorted by name; it gets -q --quiet W dbg.log state.txt" \
    "exit $rc: $(cat ck.txt; head -12 ck/fail-0.conf 2>&1)" \
    bash -c "[ $rc -eq 1 ] && grep -Eq '^schedule 0 \(seed [0-9]+\): lost-write=2, stale-read=1 -> ck/fail-0.conf$' ck.txt &&
             tail -1 ck.txt | grep -qx 'campaign: 0/1 schedules clean, 3 violations (lost-write=2, stale-read=1)' &&
             grep -q '^#   args: -q --quiet $w dbg.log state.txt$' ck/fail-0.conf"
"$campaign" --runs 1 --seed 9 --app "$work/quiet-app" --checker "$work/broken-checker" --out ck2 \
    >ck2.txt 2>&1
rc=$?
check "a checker that cannot read its input counts as a checker-error" "exit $rc: $(cat ck2.txt)" \
    bash -c "[ $rc -eq 1 ] && tail -1 ck2.txt | grep -qx 'campaign: 0/1 schedules clean, 1 violation (checker-error=1)' &&
             grep -q 'unreadable' ck2/fail-0.conf"

echo "campaign-tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
