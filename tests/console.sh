#!/usr/bin/env bash
# tests/console.sh APP: ./Application --console, driven through stdin (every command, every
# error path), `save` then replay giving a byte-identical dbg.log (hand-written sessions and
# random ones), the end of input, bad starts, and the terminal mode through a pseudo-terminal
# (script(1)): line editing, history and completion with libedit.
# Prints "ok - NAME" / "not ok - NAME", then "console: N passed, M failed[, K skipped]".
set -u
[ $# -eq 1 ] || { echo "usage: $0 APP" >&2; exit 2; }
abs() { (cd "$(dirname -- "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename -- "$1")"); }
app=$(abs "$1")
here=$(cd "$(dirname "$0")" && pwd)
cases=$here/../testcases
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$work" || exit 2

# session NAME ARGS...: runs the console with stdin from $NAME.in; output in $NAME.out, status in
# $NAME.rc, and the dbg.log it left in $NAME.log.
session() {
    local n=$1
    shift
    "$app" --console "$@" < "$n.in" > "$n.out" 2> "$n.err"
    echo $? > "$n.rc"
    cp dbg.log "$n.log" 2>/dev/null
}
# has NAME TEXT: the session's output has a line containing TEXT.
has() { grep -qF -- "$2" "$1.out" || problem "no line with '$2' in the output of $1"; }
hasnt() { ! grep -qF -- "$2" "$1.out" || problem "a line with '$2' in the output of $1"; }
# hasre NAME REGEX: the same with an extended regular expression.
hasre() { grep -qE -- "$2" "$1.out" || problem "no line matching '$2' in the output of $1"; }
# replays NAME FILE: FILE (saved by the session) replays to the session's dbg.log.
replays() {
    if ! "$app" "$2" > "$1.replay.out" 2>&1; then
        [ "$(cat "$1.rc")" = 3 ] || problem "$2 did not replay: $(head -n 3 "$1.replay.out")"
    fi
    cmp -s dbg.log "$1.log" || problem "$2 replays to a different dbg.log ($(cmp dbg.log "$1.log" | head -n 1))"
}

begin "every command works from stdin, and a piped session without errors exits 0"
cat > all.in <<'EOF'
help
help where
step
step 3
until 20
create k1 v1
read k1
update k1 v2 via 4
read k1 via 2
where k1
ring
members 2
stats
stats 3
log 2 3
log all 2
fail node 3
step 30
restart node 3 keep data
pause node 2 for 5
add 2 nodes
partition 1-5 | 6-12 for 10
drop 0.1 for 10
delay 2 for 10
reorder 2 between 1-4 and 5-8 for 10
duplicate 0.2 for 10
workload 2 per tick on 5 keys for 10
at 80 fail node 4
from 90 to 95 drop 0.3 between 1 and 2
expect node 4 removed by 120
delete k1
step 10
check
save all.conf
run
quit
EOF
session all --seed 11
[ "$(cat all.rc)" = 0 ] || problem "exit status $(cat all.rc), expected 0: $(grep error all.out | head -n 2)"
has all "the ring has formed"
has all "  step      [N]"
has all "  where     K"
has all "create k1 v1: ok (version"
has all "read k1: v1 (version"
has all "update k1 v2 via 4: ok"
has all "read k1 via 2: v2"
has all "; coordinator 2;"
has all "replicas on the ring of the running nodes:"
has all "held by:"
has all "running nodes on the ring, in ring order"
has all "node 2 (live) lists"
has all "heartbeat  incarnation"
has all "  node  state"
has all " 2.0.0.0:0 ["
has all "+ at 28 fail node 3"
has all "node 3 fails"
has all "node 3 removed by every live node"
has all "node 3 restarts with its data"
has all "node 2 pauses for 5 ticks"
has all "node 2 resumes"
has all "node 11 starts (added)"
has all "+ from 59 to 69 partition 1-5 | 6-12"
has all "+ from 59 to 69 drop 0.1"
has all "+ from 59 to 69 delay 2"
has all "+ from 59 to 69 reorder 2 between 1-4 and 5-8"
has all "+ from 59 to 69 duplicate 0.2"
has all "+ from 59 to 69 workload 2 per tick on 5 keys"
has all "operations decided"
# the coordinator is drawn by the run (the partition may cut it off), and the check comes 3 ticks
# after a partition healed and nodes joined (keys may still be moving): either outcome
hasre all "delete k1: (ok \(version [0-9]+\.[0-9]+\)|failed) after [0-9]+ ticks; coordinator [0-9]+"
hasre all "^no lost writes now: (yes|NO: [0-9]+ of [0-9]+ keys)"
has all "history: clean"
has all "saved all.conf"
has all "PASS expect node 4 removed by 120"
hasnt all "error:"
[ -s stats.log ] && grep -q "ticks=" stats.log || problem "stats.log was not written at the end"
replays all all.conf
"$app" --check all.conf > /dev/null 2>&1 || problem "the saved file does not pass --check"
end

begin "every error is named and the session goes on; a piped session with errors exits 1"
cat > bad.in <<'EOF'
fial node 3
fail node 99
fail nod 3
at 1 fail node 3
from 2 to 9 drop 0.5
drop 0.5
drop for 5
partition 1-5 | 6-10 for x
step 0
step x
until 2
members
members 99
stats 99
log 99
log 1 0
where
ring x
save
save dbg.log
save /nonexistent-dir/x.conf
help nosuch
restart node 5
create k1
read k2 via 3
fail node 3
read k3 via 3
step 2
check x
save ./dbg.log
at 10000000 fail node 1
   fail node 99
add 1 node
members 11
create k4 v4
quit
EOF
session bad --seed 5
[ "$(cat bad.rc)" = 1 ] || problem "exit status $(cat bad.rc), expected 1"
has bad "error: unknown command 'fial' (did you mean fail?)"
has bad "error: column 11: no node 99: there are 10 nodes"
has bad "error: column 6: expected 'node N', 'K random nodes', 'primary|secondary|tertiary of KEY' or 'non-replica of KEY', found 'nod' (did you mean node?)"
has bad "error: tick 1 has passed: the console is at tick"
has bad "error: the window starts at tick 2, which has passed"
has bad "error: say for how long, in ticks: 'drop ... for D'"
has bad "error: usage: step [N]"
has bad "error: tick 2 has passed"
has bad "error: usage: members N"
has bad "error: no node '99': nodes are numbered 1 to 10"
has bad "error: log: '0' is not a number of lines"
has bad "error: usage: where KEY"
has bad "error: usage: ring"
has bad "error: usage: save FILE"
has bad "error: 'dbg.log' is one of the run's own outputs"
has bad "error: cannot write /nonexistent-dir/x.conf"
has bad "error: no command 'nosuch'"
has bad "warning: node 5 is running at tick"
has bad "error: column"
has bad "error: not issued: node 3 is not a live member, it cannot coordinate"
has bad "error: usage: check"
has bad "error: './dbg.log' is one of the run's own outputs"
has bad "error: tick 10000000 is past the longest run"
has bad "error: column 14: no node 99"
has bad "node 11 (not started) lists 0 members"
has bad "create k4 v4: ok"
[ "$(grep -c '^error:' bad.out)" -ge 27 ] || problem "$(grep -c '^error:' bad.out) error lines, expected at least 24"
end

begin "save replays to the same dbg.log: from classic files, statement files, names, workloads"
i=0
for spec in "multifailure.conf|step 50;fail node 7;step 60;add 1 node;step 20" \
            "msgdropsinglefailure.conf|step 20;drop 0.3 for 40;create a 1;step 120;read a" \
            "read.conf|step 120;fail random node as x;pause node 2 for 9;step 20;restart node x;run" \
            "delete.conf|until 200;create z 1 via 3;partition 1-3 -> 4-10 for 30;step 40;where z" \
            "churn.conf|step 140;fail 2 random nodes as a,b;workload 4 per tick on 9 keys mix 50/25/25 for 60;step 61;restart node a keep data;at 300 restart node b;expect node b listed by 400" \
            "pause.conf|step 10;fail primary of k1 as p;step 5;restart node p;expect no lost writes" \
            "|delay 14 for 30;duplicate 1 for 30;step 30;delay 40 for 5" \
            "|add 3 nodes;step 5;fail non-replica of k as q;create k v;reorder 3 for 20;update k w;step 30;at 200 expect no lost writes"; do
    i=$((i + 1))
    file=${spec%%|*}
    tr ';' '\n' <<< "${spec#*|}" > "s$i.in"
    printf 'save s%s.conf\nquit\n' "$i" >> "s$i.in"
    if [ -n "$file" ]; then session "s$i" "$cases/$file" --seed "$i"; else session "s$i" --seed "$i"; fi
    grep -q "^saved s$i.conf" "s$i.out" || { problem "session $i ($file) did not save: $(grep error "s$i.out" | head -n 2)"; continue; }
    replays "s$i" "s$i.conf"
done
end

begin "random sessions: save then replay gives the same dbg.log (40 sessions)"
words=(fail restart pause add partition drop delay reorder duplicate create read update delete step where stats check workload)
bad=0
for seed in $(seq 1 40); do
    RANDOM=$seed
    files=("" multifailure.conf read.conf churn.conf lossy-links.conf crash-recovery.conf)
    file=${files[RANDOM % ${#files[@]}]}
    : > "r$seed.in"
    for _ in $(seq 1 $((5 + RANDOM % 15))); do
        n=$((1 + RANDOM % 10)) m=$((1 + RANDOM % 10)) d=$((1 + RANDOM % 40)) k=k$((RANDOM % 4))
        case ${words[RANDOM % ${#words[@]}]} in
        fail) echo "fail node $n" ;;
        restart) echo "restart node $n$([ $((RANDOM % 2)) = 0 ] && echo ' keep data')" ;;
        pause) echo "pause node $n for $d" ;;
        add) echo "add $((1 + RANDOM % 2)) nodes" ;;
        partition) echo "partition 1-$n | $((n + 1))-12 for $d" ;;
        drop) echo "drop 0.$((RANDOM % 5)) for $d" ;;
        delay) echo "delay $((1 + RANDOM % 3)) between $n and $m for $d" ;;
        reorder) echo "reorder $((1 + RANDOM % 3)) for $d" ;;
        duplicate) echo "duplicate 0.3 for $d" ;;
        create) echo "create $k v$RANDOM" ;;
        read) echo "read $k via $n" ;;
        update) echo "update $k u$RANDOM" ;;
        delete) echo "delete $k" ;;
        step) echo "step $d" ;;
        where) echo "where $k" ;;
        stats) echo "stats" ;;
        check) echo "check" ;;
        workload) echo "workload 2 per tick on 6 keys for $d" ;;
        esac >> "r$seed.in"
    done
    printf 'save r%s.conf\nquit\n' "$seed" >> "r$seed.in"
    if [ -n "$file" ]; then session "r$seed" "$cases/$file" --seed "$seed"; else session "r$seed" --seed "$seed"; fi
    if ! grep -q "^saved r$seed.conf" "r$seed.out"; then
        problem "random session $seed did not save"; bad=$((bad + 1)); continue
    fi
    before=$problems
    replays "r$seed" "r$seed.conf"
    [ "$problems" = "$before" ] || { bad=$((bad + 1)); problem "session $seed (${file:-10 nodes}): $(tr '\n' ';' < "r$seed.in")"; }
done
[ "$bad" = 0 ] || problem "$bad of 40 random sessions did not replay"
end

begin "a file's own lines keep their numbers, and its TICKS ends the session"
printf 'quit\n' > lines.in
session lines "$cases/replica-pair-failure.conf" --seed 3
grep -q "^PASS $cases/replica-pair-failure.conf:5: at 100 create k1 v1" lines.out ||
    problem "the verdict does not name line 5 of the file: $(grep -m 1 '^PASS' lines.out)"
printf 'MAX_NNB: 10\nTICKS: 200\nfrom 150 to 400 drop 0.5\n' > t200.conf
printf 'save t200s.conf\nquit\n' > t200.in
session t200 t200.conf --seed 1
has t200 "running ticks 7 to 199, to the end of the run"
grep -q "^TICKS: 200$" t200s.conf || problem "the saved file does not end the run at the file's TICKS"
replays t200 t200s.conf
end

begin "the end of input ends the session cleanly and finishes the run"
printf 'step 5\nfail node 2\n' > eof.in
session eof --seed 3
[ "$(cat eof.rc)" = 0 ] || problem "exit status $(cat eof.rc) at the end of input"
grep -q "removals_logged=" stats.log || problem "stats.log not written at the end of input"
tail -n 1 eof.out | grep -q "nodes, .* ticks" || problem "no run summary at the end: $(tail -n 1 eof.out)"
end

begin "a console that cannot start leaves the earlier outputs alone"
echo "earlier" > dbg.log
printf 'MAX_NNB: 10\nat 5 fial node 3\n' > broken.conf
"$app" --console broken.conf < /dev/null > broken.out 2>&1
rc=$?
[ "$rc" = 2 ] || problem "exit status $rc for a bad file, expected 2"
grep -q "broken.conf:2:6: " broken.out || problem "the error does not name file, line and column: $(head -n 1 broken.out)"
"$app" --console --trace t.jsonl < /dev/null > flags.out 2>&1
rc=$?
[ "$rc" = 2 ] || problem "exit status $rc for --console --trace, expected 2"
grep -q "no trace or report" flags.out || problem "--console --trace: $(head -n 1 flags.out)"
"$app" --console "$work/missing.conf" < /dev/null > missing.out 2>&1
[ $? = 2 ] || problem "a missing file does not exit 2"
[ "$(cat dbg.log)" = earlier ] || problem "dbg.log was changed by consoles that could not start"
end

# The terminal mode: script(1) gives the console a pseudo-terminal; keys are typed with pauses.
if command -v script > /dev/null; then
    begin "on a terminal: line editing, history and completion (libedit)"
    {
        sleep 1
        printf 'crete k1 v1'; sleep 0.3
        printf '\033[D\033[D\033[D\033[D\033[D\033[D\033[D\033[Da'; sleep 0.3   # fix the typo
        printf '\r'; sleep 0.6
        printf 'step 2\r'; sleep 0.4
        printf '\033[A\033[A\r'; sleep 0.6   # two lines back: the create again
        printf 'fa\t'; sleep 0.3             # completes the command word
        printf 'node 3\r'; sleep 0.5
        printf 'quit\r'; sleep 1
    } | TERM=xterm timeout 30 script -qfec "'$app' --console --seed 7" tty.out > /dev/null 2>&1
    # The create is issued when the ring has formed (a tick that depends on the run's draws),
    # and again 4 ticks later (its 2 ticks, then step 2).
    t0=$(sed -n 's/^[^0-9]*\([0-9][0-9]*\)  the ring has formed.*/\1/p' tty.out | head -n 1)
    [ -n "$t0" ] || { problem "no 'the ring has formed' line in the output of tty"; t0=0; }
    has tty "+ at $t0 create k1 v1"
    has tty "create k1 v1: ok"
    has tty "+ at $((t0 + 4)) create k1 v1"   # the history brought the create back
    grep -q "+ at [0-9]* fail  *node 3" tty.out || problem "'fa<TAB>' did not complete to fail"
    end
else
    skip "on a terminal: line editing, history and completion (libedit)" "script(1) is missing"
fi

summary console
