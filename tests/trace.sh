#!/usr/bin/env bash
# tests/trace.sh APP CHECK_HISTORY: the JSON Lines trace (--trace, --trace-messages). Every line parses with
# jq and has the documented fields; the trace agrees with dbg.log, stats.log and the PASS/FAIL
# lines of the same run (counted independently); dbg.log is byte for byte the same with and
# without a trace; same seed, same trace; bad flags fail before any output is touched;
# check-history reads a trace as it reads dbg.log, with the same verdicts.
# Prints "ok - NAME" / "not ok - NAME", then "trace: N passed, M failed".
set -u
[ $# -eq 2 ] || { echo "usage: $0 APP CHECK_HISTORY" >&2; exit 2; }
abs() { (cd "$(dirname -- "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename -- "$1")"); }
app=$(abs "$1")
checker=$(abs "$2")
here=$(cd "$(dirname "$0")" && pwd)
cases=$here/../testcases
command -v jq >/dev/null || { echo "trace: jq is missing (tools/ensure-deps jq)" >&2; exit 2; }
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT
# shellcheck source=lib.sh
. "$here/lib.sh"
# want A B WHAT: A equals B, else a problem naming WHAT.
want() { [ "$1" = "$2" ] || problem "$3: trace says $1, expected $2"; }
# stat NAME FILE: the value of NAME=... in stats.log.
stat() { grep -o "$1=[0-9]*" "$2" | head -n 1 | cut -d= -f2; }

# The schema: every line an object with t (a number) and ev (a known name), and the fields each
# kind must have; prints the lines that break it.
schema='
def has_all($f): . as $o | all($f[]; . as $k | $o | has($k));
if (type != "object") or ((.t | type) != "number") then "bad line"
elif .ev == "run" then (if has_all(["schema","testcase","seed","nodes","ticks","kv","t_fail","t_remove","probe_timeout","messages"]) then empty else "run" end)
elif .ev == "node" then (if has_all(["node","what"]) and (.what | IN("start","fail","restart","pause","resume")) then empty else "node" end)
elif .ev == "member" then (if has_all(["node","member","what","incarnation"]) and (.what | IN("joined","suspected","refuted","removed","reincarnated")) then empty else "member" end)
elif .ev == "op" then (if has_all(["coordinator","txid","op","key","version","asked"]) then empty else "op" end)
elif .ev == "result" then (if has_all(["coordinator","txid","op","key","ok","version","latency","asked","answered"]) then empty else "result" end)
elif .ev == "serve" then (if has_all(["replica","coordinator","txid","op","key","ok","what","version"]) and (.what | IN("applied","superseded","read","refused")) then empty else "serve" end)
elif .ev == "transfer" then (if has_all(["node","peer","what","key","version"]) and (.what | IN("sent","received","acked")) then empty else "transfer" end)
elif .ev == "repair" then (if has_all(["node","peer","key","version"]) then empty else "repair" end)
elif .ev == "window" then (if has_all(["kind","until","line","detail"]) then empty else "window" end)
elif .ev == "verdict" then (if has_all(["line","pass","expect","detail"]) then empty else "verdict" end)
elif .ev == "msg" then (if has_all(["what","src","dst","type","bytes"]) and (.what | IN("sent","delivered","lost","undeliverable","duplicated")) then empty else "msg" end)
elif .ev == "end" then (if has_all(["lines"]) then empty else "end" end)
else "unknown ev" end'

# check_trace DIR: DIR has dbg.log, stats.log, run.out (stdout) and t.jsonl of one run.
check_trace() {
    local d=$1 bad n
    if ! jq -c . "$d/t.jsonl" >/dev/null 2>"$d/jq.err"; then
        problem "jq cannot parse the trace: $(head -c 200 "$d/jq.err")"
        return
    fi
    if ! jq -r "$schema" "$d/t.jsonl" >"$d/schema.out" 2>&1; then
        problem "the schema check failed: $(head -n 2 "$d/schema.out")"
        return
    fi
    bad=$(sort "$d/schema.out" | uniq -c | head -n 5)
    [ -z "$bad" ] || problem "lines missing documented fields: $bad"
    n=$(wc -l <"$d/t.jsonl")
    want "$(head -n 1 "$d/t.jsonl" | jq -r '.ev + " " + (.schema|tostring)')" "run 1" "first line"
    want "$(tail -n 1 "$d/t.jsonl" | jq -r '.ev + " " + (.lines|tostring)')" "end $n" "last line"
    want "$(jq -s '[.[] | select(.ev == "member" and .what == "joined")] | length' "$d/t.jsonl")" \
        "$(grep -c '\] Node .* joined at time' "$d/dbg.log")" "joins (dbg.log 'joined' lines)"
    want "$(jq -s '[.[] | select(.ev == "member" and .what == "removed")] | length' "$d/t.jsonl")" \
        "$(grep -c '\] Node .* removed at time' "$d/dbg.log")" "removals (dbg.log 'removed' lines)"
    want "$(jq -s '[.[] | select(.ev == "member" and .what == "refuted")] | length' "$d/t.jsonl")" \
        "$(stat suspicions_refuted "$d/stats.log")" "refuted suspicions (stats.log)"
    want "$(jq -s '[.[] | select(.ev == "node" and .what == "fail")] | length' "$d/t.jsonl")" \
        "$(grep -c 'Node failed at time=' "$d/dbg.log")" "failures (dbg.log)"
    want "$(jq -s '[.[] | select(.ev == "result")] | length' "$d/t.jsonl")" \
        "$(grep -c '\] coordinator: ' "$d/dbg.log")" "results (dbg.log coordinator lines)"
    want "$(jq -s '[.[] | select(.ev == "result" and .ok)] | length' "$d/t.jsonl")" \
        "$(grep -c '\] coordinator: [a-z]* success' "$d/dbg.log")" "successful results"
    want "$(jq -s '[.[] | select(.ev == "serve")] | length' "$d/t.jsonl")" \
        "$(grep -c '\] server: ' "$d/dbg.log")" "requests served (dbg.log server lines)"
    want "$(jq -s '[.[] | select(.ev == "op")] | length' "$d/t.jsonl")" \
        "$(grep -c ' OPERATION KEY: ' "$d/dbg.log")" "operations issued (dbg.log OPERATION lines)"
    want "$(jq -s '[.[] | select(.ev == "verdict" and .pass)] | length' "$d/t.jsonl")" \
        "$(grep -c '^PASS ' "$d/run.out")" "passed verdicts (PASS lines)"
    want "$(jq -s '[.[] | select(.ev == "verdict" and (.pass | not))] | length' "$d/t.jsonl")" \
        "$(grep -c '^FAIL ' "$d/run.out")" "failed verdicts (FAIL lines)"
}

# run DIR ARGS...: runs APP in DIR (created) with ARGS; stdout in DIR/run.out; sets rc.
run() {
    local d=$1; shift
    mkdir -p "$d"
    (cd "$d" && "$app" "$@" >run.out 2>run.err)
    rc=$?
}

begin "partition-heal.conf --seed 3 --trace: jq parses every line; the trace agrees with dbg.log and stats.log"
d=$work/ph
run "$d" "$cases/partition-heal.conf" --seed 3 --trace t.jsonl
want "$rc" 0 "exit status"
check_trace "$d"
want "$(jq -s '[.[] | select(.ev == "window")] | map(.kind + " " + (.t|tostring) + "-" + (.until|tostring) + " " + .detail) | join(";")' -r "$d/t.jsonl")" \
    "partition 150-250 a=1-5 b=6-10" "the partition window"
end

begin "--trace-messages: message lines agree with stats.log's network counters"
d=$work/msgs
run "$d" "$cases/partition-heal.conf" --seed 3 --trace t.jsonl --trace-messages
want "$rc" 0 "exit status"
check_trace "$d"
counts=$(jq -r 'select(.ev == "msg") | .what' "$d/t.jsonl" | sort | uniq -c | awk '{print $2 "=" $1}' | tr '\n' ' ')
get() { echo "$counts" | grep -o "$1=[0-9]*" | cut -d= -f2; }
sent=$(get sent) lost=$(get lost) undel=$(get undeliverable) deliv=$(get delivered) dup=$(get duplicated)
want "$deliv" "$(stat delivered "$d/stats.log")" "delivered messages"
want "${lost:-0}" "$(stat dropped "$d/stats.log")" "lost messages (stats.log dropped)"
want "${undel:-0}" "$(stat undeliverable "$d/stats.log")" "undeliverable messages"
# every send is queued, lost, or refused at once for a node that is down (undeliverable at send)
total=$((sent + ${lost:-0}))
[ "$total" -le "$(stat messages_sent "$d/stats.log")" ] || problem "more sends in the trace than in stats.log"
[ "${dup:-0}" = 0 ] || problem "duplicated messages in a run without duplication"
cmp -s "$d/dbg.log" "$work/ph/dbg.log" || problem "dbg.log differs from the run with --trace alone"
end

begin "dbg.log, stats.log and msgcount.log are byte for byte the same without --trace"
d=$work/plain
run "$d" "$cases/partition-heal.conf" --seed 3
for f in dbg.log stats.log msgcount.log; do
    cmp -s "$d/$f" "$work/ph/$f" || problem "$f differs with --trace"
done
end

begin "same scenario and seed: the same trace, byte for byte"
d=$work/again
run "$d" "$cases/partition-heal.conf" --seed 3 --trace t.jsonl
cmp -s "$d/t.jsonl" "$work/ph/t.jsonl" || problem "the trace of a second run differs"
end

begin "every example scenario: the trace parses and agrees with dbg.log"
for f in "$cases"/*.conf; do
    b=$(basename "$f" .conf)
    d=$work/ex/$b
    run "$d" "$f" --seed 1 --trace t.jsonl
    [ "$rc" = 0 ] || [ "$rc" = 3 ] || { problem "$b: exit $rc"; continue; }
    before=$problems
    check_trace "$d"
    [ "$problems" = "$before" ] || problems="$problems(in $b)"$'\n'
done
end

begin "a scenario with every fault window kind: one window line each, with its line number"
d=$work/windows
mkdir -p "$d"
cat >"$d/w.conf" <<'EOF'
MAX_NNB: 10
TICKS: 200
from 50 to 60 drop 0.5
from 60 to 70 partition 1-3 | 4-10
from 70 to 80 partition 1 -> 2
from 80 to 90 delay 3
from 90 to 100 drop 0.2 between 1-5 and 6-10
from 100 to 110 duplicate 0.5
from 110 to 120 reorder 4 between 2 and 3
EOF
run "$d" w.conf --seed 2 --trace t.jsonl
want "$rc" 0 "exit status"
check_trace "$d"
got=$(jq -r 'select(.ev == "window") | [.line, .kind, .t, .until, .detail] | map(tostring) | join(" ")' "$d/t.jsonl" | sort -n | tr '\n' ';')
want "$got" "3 loss 50 60 p=0.5;4 partition 60 70 a=1-3 b=4-10;5 partition 70 80 a=1 b=2 one_way;6 delay 80 90 a=all b=all ticks=3;7 link_loss 90 100 a=1-5 b=6-10 p=0.2;8 duplicate 100 110 a=all b=all p=0.5;9 reorder 110 120 a=2 b=3 ticks=4;" "windows"
end

begin "check-history --trace: the same verdict as on dbg.log for every key-value example, errors name the line"
for f in "$cases"/*.conf; do
    b=$(basename "$f" .conf)
    d=$work/ex/$b
    grep -q 'coordinator: ' "$d/dbg.log" || continue
    (cd "$d" && "$app" "$f" --seed 1 --trace t.jsonl --dump-state state.txt >/dev/null 2>&1)
    a=$("$checker" -q "$d/dbg.log" "$d/state.txt" 2>/dev/null | tail -n 1)
    t=$("$checker" -q --trace "$d/t.jsonl" "$d/state.txt" 2>/dev/null | tail -n 1)
    [ -n "$a" ] && [ "$a" = "$t" ] || problem "$b: dbg.log: '$a'; trace: '$t'"
done
d=$work/ph
bad_trace() { # NAME CONTENT WANT: a broken trace is refused (exit 2) with WANT on stderr
    printf '%s' "$2" >"$d/bad.jsonl"
    "$checker" --trace "$d/bad.jsonl" "$d/state.txt" >/dev/null 2>"$d/bad.err"
    local rc=$?
    [ $rc = 2 ] && grep -q -- "$3" "$d/bad.err" || problem "$1: exit $rc, stderr: $(head -c 200 "$d/bad.err")"
}
(cd "$d" && "$app" "$cases/partition-heal.conf" --seed 3 --dump-state state.txt >/dev/null 2>&1)
run_line=$(head -n 1 "$d/t.jsonl")
bad_trace "not JSON" "$run_line"$'\n''{"t":1,' 'bad.jsonl:2: not JSON'
bad_trace "no run line" '{"t":0,"ev":"node","node":"1.0.0.0:0","what":"start"}'$'\n' 'bad.jsonl:1: not a trace of schema 1'
bad_trace "cut short" "$(head -n 20 "$d/t.jsonl")"$'\n' 'has no "end" line'
bad_trace "txids out of order" "$run_line"$'\n''{"t":5,"ev":"op","coordinator":"1.0.0.0:0","txid":7,"op":"read","key":"k","version":"0.0","asked":[]}'$'\n' 'bad.jsonl:2: operation txid 7, expected 1'
bad_trace "bad address" "$run_line"$'\n''{"t":5,"ev":"member","node":"1.0.0.0:0","member":"x","what":"joined","incarnation":0}'$'\n' 'bad.jsonl:2: a member event without a valid'
blank=$d/blank.jsonl # blank lines, inside and after the end, hold no event: same verdict
{ head -n 5 "$d/t.jsonl"; printf '\n  \n'; tail -n +6 "$d/t.jsonl"; printf '\n'; } >"$blank"
a=$("$checker" -q --trace "$d/t.jsonl" "$d/state.txt" 2>&1 | tail -n 1)
t=$("$checker" -q --trace "$blank" "$d/state.txt" 2>&1 | tail -n 1)
[ -n "$a" ] && [ "$a" = "$t" ] || problem "blank lines: '$a' without them, '$t' with them"
end

begin "node events: added nodes start with added true, restarts say whether data was kept"
d=$work/nodes
mkdir -p "$d"
cat >"$d/n.conf" <<'EOF'
MAX_NNB: 6
TICKS: 300
at 100 add 2 nodes
at 150 fail node 3
at 200 restart node 3 keep data
at 210 fail node 4
at 220 restart node 4
at 230 pause node 5 for 10
EOF
run "$d" n.conf --seed 4 --trace t.jsonl
want "$rc" 0 "exit status"
check_trace "$d"
got=$(jq -r 'select(.ev == "node" and .t >= 100) | [.t, .node, .what, (if has("added") then .added elif has("keep_data") then .keep_data elif has("for") then .for else "" end | tostring)] | join(" ")' "$d/t.jsonl" | tr '\n' ';')
want "$got" "101 7.0.0.0:0 start true;101 8.0.0.0:0 start true;150 3.0.0.0:0 fail ;200 3.0.0.0:0 restart true;201 3.0.0.0:0 start false;210 4.0.0.0:0 fail ;220 4.0.0.0:0 restart false;221 4.0.0.0:0 start false;230 5.0.0.0:0 pause 10;241 5.0.0.0:0 resume ;" "node events"
end

begin "bad trace flags: exit 2, earlier outputs untouched"
d=$work/bad
run "$d" "$cases/singlefailure.conf" --seed 1
cp "$d/dbg.log" "$d/dbg.before"
for args in "--trace-messages" "--trace" "--trace dbg.log" "--trace stats.log" \
            "--trace x.json --trace y.json" "--trace s.txt --dump-state s.txt"; do
    # shellcheck disable=SC2086
    run "$d" "$cases/singlefailure.conf" --seed 1 $args
    [ "$rc" = 2 ] || problem "'$args': exit $rc, expected 2"
    grep -q "Application: " "$d/run.err" || problem "'$args': no message on stderr"
done
run "$d" "$cases/singlefailure.conf" --seed 1 --trace /nonexistent/dir/t.jsonl
[ "$rc" = 1 ] || problem "unwritable trace: exit $rc, expected 1"
grep -q "cannot write /nonexistent/dir/t.jsonl" "$d/run.err" || problem "unwritable trace: $(cat "$d/run.err")"
cmp -s "$d/dbg.log" "$d/dbg.before" || problem "a run that could not start changed dbg.log"
end

begin "two names for one file, or a run that cannot start: every earlier output left as it was"
d=$work/same
run "$d" "$cases/singlefailure.conf" --seed 1 --trace t.jsonl
for f in dbg.log stats.log t.jsonl; do cp "$d/$f" "$d/$f.before"; done
run "$d" "$cases/singlefailure.conf" --seed 2 --trace ./dbg.log
[ "$rc" = 1 ] || problem "--trace ./dbg.log: exit $rc, expected 1"
grep -q "dbg.log and ./dbg.log are the same file" "$d/run.err" || problem "--trace ./dbg.log: $(cat "$d/run.err")"
ln -s t.jsonl "$d/link.html"
run "$d" "$cases/singlefailure.conf" --seed 2 --trace t.jsonl --report link.html
[ "$rc" = 1 ] || problem "--report through a link to the trace: exit $rc, expected 1"
printf 'MAX_NNB: 10000\nTICKS: 200\n' >"$d/big.conf"
# 40 MB of address space: too little for 10,000 nodes' setup. Not under AddressSanitizer,
# which reserves terabytes of address space up front.
if [ -z "${ASAN_OPTIONS:-}" ]; then
    (cd "$d" && ulimit -v 40000 && "$app" big.conf --seed 1 --trace t.jsonl --report r.html >run.out 2>run.err)
    rc=$?
    [ "$rc" = 1 ] && grep -q "out of memory" "$d/run.err" || problem "a run out of memory at setup: exit $rc: $(head -c 300 "$d/run.err")"
    [ -e "$d/r.html" ] && problem "a run that could not start left a report behind"
fi
for f in dbg.log stats.log t.jsonl; do
    cmp -s "$d/$f" "$d/$f.before" || problem "$f changed"
done
end

summary trace
