#!/usr/bin/env bash
# tests/udp.sh APP: nodes as real processes over UDP on 127.0.0.1 (./Application --node): five
# nodes join one another, tools/kv writes 200 keys and reads them back, a SIGKILLed node is
# removed by every other and every key stays readable, garbage datagrams are counted as
# malformed and change nothing, SIGTERM stops a node cleanly, bad flags are refused.
# Every process started is killed on exit. Prints "udp: N passed, M failed[, K skipped]".
set -u
[ $# -eq 1 ] || { echo "usage: $0 APP" >&2; exit 2; }
# (tools/kv and tools/grade-membership are taken from the tree)
abs() { (cd "$(dirname -- "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename -- "$1")"); }
app=$(abs "$1")
here=$(cd "$(dirname "$0")" && pwd)
kv=$here/../tools/kv
grader=$here/../tools/grade-membership
for t in "$kv" "$grader"; do
    [ -x "$t" ] || { echo "udp: $t is missing (make)" >&2; exit 2; }
done
work=$(mktemp -d) || exit 2
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    rm -rf "$work"
}
trap cleanup EXIT
# shellcheck source=lib.sh
. "$here/lib.sh"
cd "$work" || exit 2
TICK=50

# start I [JOIN_PORT]: node I on port base+I, in directory nI (node 3 keeps its store and its
# log in nI/data).
start() {
    mkdir -p "n$1"
    local join=() data=()
    [ $# -gt 1 ] && join=(--join "127.0.0.1:$2")
    [ "$1" = 3 ] && data=(--data-dir data)
    (cd "n$1" && exec "$app" --node --listen "127.0.0.1:$((base + $1))" "${join[@]}" \
        "${data[@]}" --tick-ms $TICK >> out 2>&1) &
    pids[$1]=$!
    disown "$!" # not a job of this shell: no "Killed" notices
}
log_of() { if [ "$1" = 3 ]; then echo "n3/data/dbg.log"; else echo "n$1/dbg.log"; fi; }
# wait_for SECONDS COMMAND...: until the command succeeds, at most SECONDS.
wait_for() {
    local end=$((SECONDS + $1))
    shift
    until "$@"; do
        [ $SECONDS -ge $end ] && return 1
        sleep 0.2
    done
}
joined_all() {
    for i in 1 2 3 4 5; do
        [ "$(grep -c ' joined at time ' "$(log_of "$i")" 2>/dev/null)" -ge 4 ] || return 1
    done
}
removed_by_all() {
    for i in 1 2 4 5; do
        grep -q "Node 127.0.0.1:$((base + 3)) removed at time" "n$i/dbg.log" 2>/dev/null || return 1
    done
}

begin "five node processes join one another over UDP"
started=0
for try in 1 2 3; do
    base=$((20000 + (RANDOM % 1000) * 10))
    start 1
    sleep 0.3
    if grep -q "cannot listen" n1/out 2>/dev/null; then rm -rf n1; continue; fi
    for i in 2 3 4 5; do start "$i" $((base + 1)); done
    started=1
    break
done
[ "$started" = 1 ] || problem "no free ports found for node 1"
wait_for 20 joined_all || problem "not every node logged the 4 others joining: $(for i in 1 2 3 4 5; do printf 'n%s=%s ' "$i" "$(grep -c ' joined at time ' "$(log_of "$i")" 2>/dev/null)"; done)"
grep -q "^ 127.0.0.1:$((base + 2)) \[[0-9]*\] Node 127.0.0.1:$((base + 1)) joined at time [0-9]*$" n2/dbg.log ||
    problem "dbg.log lines do not carry the real addresses: $(sed -n 2p n2/dbg.log)"
end

# kv_all OP NODE: OP (create or read) of keys k1..k200 through node NODE, ten clients at a time;
# one line "KEY STATUS OUTPUT" per key in OP.NODE.txt.
kv_all() {
    seq 1 200 | xargs -P 10 -I{} sh -c \
        'out=$("$0" --node "127.0.0.1:$1" '"$1"' k{} $2); echo "k{} $? $out"' \
        "$kv" "$((base + $2))" "$([ "$1" = create ] && echo 'v{}')" > "$1.$2.txt"
}
bad_lines() { awk -v op="$1" '$2 != 0 || (op == "read" && $3 != "v" substr($1, 2))' "$2"; }

begin "tools/kv writes 200 keys through one node and reads them back through another"
kv_all create 2
[ -z "$(bad_lines create create.2.txt)" ] || problem "creates that failed: $(bad_lines create create.2.txt | head -n 3)"
kv_all read 4
[ -z "$(bad_lines read read.4.txt)" ] || problem "reads that failed or read another value: $(bad_lines read read.4.txt | head -n 3)"
out=$("$kv" --node "127.0.0.1:$((base + 5))" where k7)
case $out in "replicas 127.0.0.1:"*) ;; *) problem "where: $out" ;; esac
out=$("$kv" --node "127.0.0.1:$((base + 5))" members)
case $out in "4 127.0.0.1:"*) ;; *) problem "members: $out" ;; esac
"$kv" --node "127.0.0.1:$((base + 5))" stats | grep -q "^node=127.0.0.1:$((base + 5)) members=4 " ||
    problem "stats: $("$kv" --node "127.0.0.1:$((base + 5))" stats)"
"$kv" --node "127.0.0.1:$((base + 2))" read nosuchkey > /dev/null; [ $? = 1 ] || problem "a failed read does not exit 1"
"$kv" --node "127.0.0.1:$((base + 9))" --timeout 300 stats > /dev/null 2>&1; [ $? = 2 ] || problem "no answer does not exit 2"
"$kv" read > /dev/null 2>&1; [ $? = 2 ] || problem "bad usage does not exit 2"
end

begin "a SIGKILLed node is removed by every other node, and every key stays readable"
kill -KILL "${pids[3]}"
wait_for 20 removed_by_all || problem "node 3 was not removed by every other node"
sleep 1 # stabilization: every key back on 3 replicas
kv_all read 5
if [ -n "$(bad_lines read read.5.txt)" ]; then # a second chance for keys still moving
    sleep 2
    kv_all read 5
fi
[ "$(wc -l < read.5.txt)" = 200 ] || problem "$(wc -l < read.5.txt) reads, expected 200"
[ -z "$(bad_lines read read.5.txt)" ] || problem "keys unreadable after the failure: $(bad_lines read read.5.txt | wc -l), e.g. $(bad_lines read read.5.txt | head -n 2)"
end

begin "node 3 restarts with its data dir: a torn tail dropped, its keys back, it rejoins and serves"
held=$(grep -c "server: create success" n3/data/dbg.log)
[ "$held" -gt 0 ] || problem "node 3 served no create before it was killed"
printf 'J\001\000\005\000' >> n3/data/store.log   # a record cut short by the crash
start 3 $((base + 1))
restarted() { [ "$(grep -c "keys back" n3/out)" = 2 ]; }
wait_for 10 restarted || problem "node 3 did not read its store back: $(cat n3/out)"
grep "keys back" n3/out | tail -n 1 | grep -q "a torn tail was dropped" || problem "the torn tail was not reported: $(grep 'keys back' n3/out)"
back=$(sed -n 's/.*store.log: \([0-9]*\) keys back.*/\1/p' n3/out | tail -n 1)
[ "${back:-0}" -ge "$held" ] || problem "node 3 got ${back:-0} keys back, it had created $held"
members_4() { [ "$("$kv" --node "127.0.0.1:$((base + 2))" members | cut -d' ' -f1)" = 4 ]; }
wait_for 10 members_4 || problem "node 3 is not listed again: $("$kv" --node "127.0.0.1:$((base + 2))" members)"
kv_all read 3
[ -z "$(bad_lines read read.3.txt)" ] || problem "reads through node 3 failed: $(bad_lines read read.3.txt | head -n 2)"
[ "$(grep -c '^131$' n3/data/dbg.log)" = 1 ] || problem "node 3's log has a second header after the restart"
end

begin "garbage datagrams are counted as malformed; on SIGTERM a node leaves and the others hear it"
for _ in 1 2 3; do printf 'garbage' > "/dev/udp/127.0.0.1/$((base + 1))"; done
printf '\x4b\x56\x01\x03' > "/dev/udp/127.0.0.1/$((base + 1))"   # a truncated header
sleep 0.5
kill -TERM "${pids[1]}"
wait_for 5 grep -q "stopped at tick" n1/out || problem "node 1 did not stop on SIGTERM"
grep -q "leaving: told [1-9]" n1/out || problem "node 1 told nobody it was leaving: $(grep leaving n1/out)"
stop=$(sed -n 's/.*stopped at tick \([0-9]*\).*/\1/p' n1/out)
heard_leave() {
    for i in 2 4 5; do
        grep -q "Node 127.0.0.1:$((base + 1)) removed at time" "n$i/dbg.log" || return 1
    done
}
if wait_for 5 heard_leave; then
    for i in 2 4 5; do # a notice takes a tick or two; a probe would take 10 ticks, a timeout 52
        t=$(sed -n "s/.*Node 127.0.0.1:$((base + 1)) removed at time \([0-9]*\)/\1/p" "n$i/dbg.log" | tail -n 1)
        [ "$t" -le $((stop + 4)) ] || problem "node $i removed node 1 at tick $t, $((t - stop)) ticks after it left: it did not hear it leave"
    done
else
    problem "the others did not remove node 1 after it left"
fi
m=$(sed -n 's/.* \([0-9]*\) malformed .*/\1/p' n1/out)
[ "${m:-0}" -ge 4 ] || problem "node 1 counted ${m:-no} malformed datagrams, expected at least 4: $(tail -n 1 n1/out)"
for i in 2 4 5; do kill -0 "${pids[$i]}" 2>/dev/null || problem "node $i died"; done
end

# A second cluster with a key: nodes 11-13 sign with key A; node 14 (no key) and node 15 (key
# B) try to join through node 11.
begin "with --cluster-key, unsigned and wrongly signed datagrams are dropped and counted"
head -c 32 /dev/urandom | base64 > keyA
head -c 32 /dev/urandom | base64 > keyB
keyed() { # keyed I KEYFILE|- [JOIN_PORT]
    mkdir -p "n$1"
    local key=() join=()
    [ "$2" != - ] && key=(--cluster-key "../$2")
    [ $# -gt 2 ] && join=(--join "127.0.0.1:$3")
    (cd "n$1" && exec "$app" --node --listen "127.0.0.1:$((base + $1))" "${join[@]}" "${key[@]}" \
        --tick-ms $TICK > out 2>&1) &
    pids[$1]=$!
    disown "$!"
}
keyed 11 keyA
sleep 0.3
keyed 12 keyA $((base + 11))
keyed 13 keyA $((base + 11))
keyed 14 - $((base + 11))
keyed 15 keyB $((base + 11))
three() { [ "$("$kv" --cluster-key keyA --node "127.0.0.1:$((base + 11))" members | cut -d' ' -f1)" = 2 ]; }
wait_for 10 three || problem "the keyed nodes did not form a group of 3"
sleep 1
out=$("$kv" --cluster-key keyA --node "127.0.0.1:$((base + 11))" members)
case $out in *":$((base + 14))"* | *":$((base + 15))"*) problem "an unsigned or wrongly signed node got in: $out" ;; esac
"$kv" --cluster-key keyA --node "127.0.0.1:$((base + 12))" create sk sv > /dev/null || problem "a signed create failed"
[ "$("$kv" --cluster-key keyA --node "127.0.0.1:$((base + 13))" read sk)" = sv ] || problem "a signed read failed"
"$kv" --node "127.0.0.1:$((base + 12))" --timeout 600 update sk evil > /dev/null 2>&1
[ $? = 2 ] || problem "an unsigned client got an answer"
"$kv" --cluster-key keyB --node "127.0.0.1:$((base + 12))" --timeout 600 update sk evil > /dev/null 2>&1
[ $? = 2 ] || problem "a client with another key got an answer"
[ "$("$kv" --cluster-key keyA --node "127.0.0.1:$((base + 13))" read sk)" = sv ] || problem "the unsigned update changed the value"
u=$("$kv" --cluster-key keyA --node "127.0.0.1:$((base + 11))" stats | sed -n 's/.*unauthenticated=\([0-9]*\).*/\1/p')
[ "${u:-0}" -gt 0 ] || problem "node 11 counted no unauthenticated datagram"
printf 'short\n' > shortkey
"$app" --node --listen 127.0.0.1:7000 --cluster-key shortkey > bad6.out 2>&1
[ $? = 2 ] && grep -q "a cluster key is 16 to" bad6.out || problem "a short key: $(cat bad6.out)"
end

# A third cluster, nodes 21-25, graded: its logs merged in tick order, with the failure line a
# simulation would write for the node killed (a real crash writes none), get full marks.
begin "grade-membership --by-address gives the merged logs of a cluster 30/30"
plain() { # plain I [JOIN_PORT]
    mkdir -p "n$1"
    local join=()
    [ $# -gt 1 ] && join=(--join "127.0.0.1:$2")
    (cd "n$1" && exec "$app" --node --listen "127.0.0.1:$((base + $1))" "${join[@]}" \
        --tick-ms $TICK > out 2>&1) &
    pids[$1]=$!
    disown "$!"
}
plain 21
sleep 0.3
for i in 22 23 24 25; do plain "$i" $((base + 21)); done
all_joined() {
    for i in 21 22 23 24 25; do
        [ "$(grep -c ' joined at time ' "n$i/dbg.log" 2>/dev/null)" -ge 4 ] || return 1
    done
}
wait_for 20 all_joined || problem "the third cluster did not form"
sleep 0.5
kill -KILL "${pids[23]}"
killed=$(( ($(date +%s%3N) - 1767225600000) / TICK ))
gone() {
    for i in 21 22 24 25; do
        grep -q "Node 127.0.0.1:$((base + 23)) removed" "n$i/dbg.log" || return 1
    done
}
wait_for 20 gone || problem "node 23 was not removed by the others"
sleep 0.5
for i in 21 22 24 25; do kill -KILL "${pids[$i]}"; done
{
    echo 131
    {
        for i in 21 22 23 24 25; do tail -n +2 "n$i/dbg.log"; done
        echo " 127.0.0.1:$((base + 23)) [$killed] Node failed at time=$killed"
    } | sort -s -t'[' -k2,2n
} > merged.log
"$grader" --by-address merged.log > grade.out 2>&1
[ $? = 0 ] && grep -q "30/30" grade.out || problem "grade-membership: $(tr '\n' ' ' < grade.out)"
"$grader" merged.log > grade2.out 2>&1
[ $? != 0 ] || problem "without --by-address the real addresses should not grade: $(tail -n 1 grade2.out)"
end

begin "bad --node flags are refused before anything starts"
"$app" --node > bad1.out 2>&1; [ $? = 2 ] && grep -q "needs --listen" bad1.out || problem "--node without --listen: $(cat bad1.out)"
"$app" --node --listen 127.0.0.1:99999 > bad2.out 2>&1; [ $? = 2 ] && grep -q "port '99999'" bad2.out || problem "a bad port: $(cat bad2.out)"
"$app" --node --listen localhost:7000 > bad3.out 2>&1; [ $? = 2 ] && grep -q "not an IPv4 address" bad3.out || problem "a host name: $(cat bad3.out)"
"$app" --node --listen 127.0.0.1:7000 --tick-ms 5 > bad4.out 2>&1; [ $? = 2 ] || problem "--tick-ms 5 accepted"
"$app" --listen 127.0.0.1:7000 > bad5.out 2>&1; [ $? = 2 ] && grep -q "needs --node" bad5.out || problem "--listen without --node: $(cat bad5.out)"
"$app" --node --listen 127.0.0.1:7000 --size 0 > bad7.out 2>&1; [ $? = 2 ] && grep -q "^Application: --size: '0'" bad7.out || problem "--size 0: $(cat bad7.out)"
end

summary udp
