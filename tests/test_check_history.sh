#!/usr/bin/env bash
# tests/test_check_history.sh: checks tools/check_history.c (and tools/dbglog.c, the dbg.log
# reader it uses) on the hand-made histories in tests/check-history/, then on real runs. Builds
# the tool into a temp dir unless $CHECK_HISTORY names a built one; real runs use
# $APPLICATION (default: ./Application of the project). Prints "ok - name" / "not ok - name"
# per case (details on stderr), then "check-history: N passed, M failed"; exits 0 iff nothing
# failed.
#
# Fixtures: clean.log is a run on 5 nodes (joins at ticks 1-2): at 100 alpha, bravo, charlie,
# delta created (by 2, 3, 4, 5), at 150 bravo updated to newValue and charlie deleted, reads of
# alpha (200), bravo (210) and charlie (220, fails); clean.state its correct final state, with a
# tombstone of charlie on each replica and on one non-replica (allowed). A case named X uses
# X.log with clean.state, or clean.log with X.state, or both X.log and X.state.
# Ring (positions: printf '%s' ADDR | sha256sum): 2.0.0.0:0 32d88af4, 3.0.0.0:0 42f05dc0,
#   5.0.0.0:0 9214878f, 1.0.0.0:0 a333ecd4, 4.0.0.0:0 e83968db.
# Replicas: alpha 8ed3f6ad -> 5, 1, 4; bravo f144a690 (past the last node) -> 2, 3, 5;
#   charlie b9dd960c -> 4, 2, 3; delta 4f4a9410 -> 5, 1, 4.
# Versions: <tick << 16>.<coordinator id>: 6553600 is tick 100, 9830400 tick 150.

set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
fixtures=$here/check-history
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-history.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
name=""
problems=""

begin() {
    name=$1
    problems=""
}

problem() {
    problems+="    $1"$'\n'
}

end() {
    if [ -z "$problems" ]; then
        echo "ok - $name"
        passed=$((passed + 1))
    else
        echo "not ok - $name"
        printf '%s:\n%s' "$name" "$problems" >&2
        failed=$((failed + 1))
    fi
}

# run_in DIR STATUS ARGS...: runs the tool from DIR, wants exit STATUS.
run_in() {
    local dir=$1 want=$2 got
    shift 2
    (cd "$dir" && exec "$tool" "$@") >"$tmp/out" 2>"$tmp/err" </dev/null
    got=$?
    [ "$got" = "$want" ] || problem "exit status $got, wanted $want; stdout: $(head -c 600 "$tmp/out"); stderr: $(head -c 300 "$tmp/err")"
    if [ "$got" -ge 126 ]; then
        problem "crashed (status $got): $(head -c 600 "$tmp/err")"
    fi
    if grep -q 'Sanitizer\|runtime error' "$tmp/err"; then
        problem "sanitizer report: $(head -c 600 "$tmp/err")"
    fi
}
run() {
    run_in "$fixtures" "$@"
}

# out_is: stdout equals standard input exactly.
out_is() {
    diff -u - "$tmp/out" >"$tmp/diff" || problem "stdout differs:"$'\n'"$(cat "$tmp/diff")"
}

# err_is: stderr equals standard input exactly.
err_is() {
    diff -u - "$tmp/err" >"$tmp/diff" || problem "stderr differs:"$'\n'"$(cat "$tmp/diff")"
}

no_stdout() {
    [ ! -s "$tmp/out" ] || problem "stdout not empty: $(head -n 3 "$tmp/out")"
}

no_stderr() {
    [ ! -s "$tmp/err" ] || problem "stderr not empty: $(head -n 3 "$tmp/err")"
}

err_has() {
    grep -qF -- "$1" "$tmp/err" || problem "stderr lacks '$1': $(head -n 3 "$tmp/err")"
}

build_tool() {
    begin "check-history builds without warnings"
    tool=$tmp/check-history
    local libs
    libs=$(pkg-config --libs libcrypto 2>/dev/null) || libs=-lcrypto
    [ -n "$libs" ] || libs=-lcrypto
    # shellcheck disable=SC2086
    if ! gcc -std=c11 -O2 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -I"$root/tools" -o "$tool" \
        "$root/tools/check_history.c" "$root/tools/dbglog.c" $libs 2>"$tmp/build"; then
        problem "build failed: $(cat "$tmp/build")"
    elif [ -s "$tmp/build" ]; then
        problem "warnings: $(cat "$tmp/build")"
    fi
    end
    [ -x "$tool" ] || {
        echo "check-history: $passed passed, $((failed + 1)) failed"
        exit 1
    }
}

if [ -n "${CHECK_HISTORY:-}" ]; then
    tool=$CHECK_HISTORY
    [[ $tool == */* && $tool != /* ]] && tool=$PWD/$tool
    [ -x "$tool" ] || { echo "$0: CHECK_HISTORY='$CHECK_HISTORY' is not an executable" >&2; exit 2; }
else
    build_tool
fi

begin "the checker does not include or link the simulator's code (src/, include/)"
if grep -n '#include *"\(\.\./\)*\(src\|include\)/\|#include *"\(ring\|store\|kvnode\|addr\|log\|wire\|app\|membership\|quorum\|emulnet\|scenario\|rng\)\.h"' \
    "$root/tools/check_history.c" "$root/tools/dbglog.c" "$root/tools/dbglog.h" >"$tmp/inc"; then
    problem "includes: $(cat "$tmp/inc")"
fi
end

clean_summary="check-history: 9 operations (8 acknowledged), 4 keys; 0 violations"

# ------------------------------------------------------------ clean histories (exit 0)

begin "clean: the history and its final state, tombstones on replicas and a non-replica"
run 0 clean.log clean.state
out_is <<<"$clean_summary"
no_stderr
end

begin "clean: CRLF line endings in both files"
sed 's/$/\r/' "$fixtures/clean.log" >"$tmp/crlf.log"
sed 's/$/\r/' "$fixtures/clean.state" >"$tmp/crlf.state"
run_in "$tmp" 0 crlf.log crlf.state
out_is <<<"$clean_summary"
end

begin "clean: dump lines in any order"
{ head -n 1 "$fixtures/clean.state"; tail -n +2 "$fixtures/clean.state" | sort -r; } >"$tmp/shuffled.state"
run_in "$tmp" 0 "$fixtures/clean.log" shuffled.state
out_is <<<"$clean_summary"
end

begin "clean: other lines (stats, suspicions) are ignored"
sed '5a\ 3.0.0.0:0 [2] gossip round 17 sent 3 messages' "$fixtures/clean.log" >"$tmp/other.log"
run_in "$tmp" 0 other.log "$fixtures/clean.state"
out_is <<<"$clean_summary"
end

begin "clean: keys and values with commas and words of the format (a,b; k,; VALUE:)"
run 0 weird-keys.log weird-keys.state
out_is <<'EOF'
check-history: 5 operations (5 acknowledged), 3 keys; 0 violations
EOF
end

# ------------------------------------------------------------ violations (exit 1)

# violation NAME LOG STATE KIND SUMMARY [ARGS...]: exit 1, stdout is the violations of KIND
# (given on standard input) then SUMMARY, nothing on stderr.
violation() {
    local label=$1 log=$2 state=$3 kind=$4 summary=$5
    shift 5
    begin "$label"
    local expected
    expected=$(cat)
    run 1 "$@" "$log" "$state"
    printf '%s\n%s\n' "$expected" "$summary" | out_is
    grep -v "^check-history: $kind: \|^check-history: [0-9]* operations" "$tmp/out" >"$tmp/other" &&
        problem "lines of another kind: $(cat "$tmp/other")"
    no_stderr
    end
}

violation "lost-write: an acknowledged update gone, an older value newest" \
    clean.log lost-write.state lost-write \
    "check-history: 9 operations (8 acknowledged), 4 keys; 1 violation (lost-write=1)" <<'EOF'
check-history: lost-write: key bravo: update to newValue (transID 5, issued at 150 by 3.0.0.0:0, acknowledged at 152) is gone; newest copy is value2 (version 6553600.3: transID 2, issued at 100 by 3.0.0.0:0) on 2.0.0.0:0, 3.0.0.0:0, 5.0.0.0:0
EOF

violation "lost-write: an acknowledged create and no copy anywhere" \
    clean.log lost-write-no-copy.state lost-write \
    "check-history: 9 operations (8 acknowledged), 4 keys; 1 violation (lost-write=1)" <<'EOF'
check-history: lost-write: key alpha: create of value1 (transID 1, issued at 100 by 2.0.0.0:0, acknowledged at 102) is gone; no live node holds the key
EOF

violation "deleted-back: an acknowledged delete undone by the older value" \
    clean.log deleted-back.state deleted-back \
    "check-history: 9 operations (8 acknowledged), 4 keys; 1 violation (deleted-back=1)" <<'EOF'
check-history: deleted-back: key charlie: delete (transID 6, issued at 150 by 4.0.0.0:0, acknowledged at 152) is undone; newest copy is value3 (version 6553600.4: transID 3, issued at 100 by 4.0.0.0:0) on 2.0.0.0:0, 3.0.0.0:0, 4.0.0.0:0
EOF

violation "phantom-value: reads returning a value never written (value9), or written to another key" \
    phantom-read.log clean.state phantom-value \
    "check-history: 11 operations (10 acknowledged), 4 keys; 2 violations (phantom-value=2)" <<'EOF'
check-history: phantom-value: key alpha: read (transID 10, issued at 230 by 2.0.0.0:0, decided at 232) returned value9, which no create or update of the key issued at or before tick 232 wrote
check-history: phantom-value: key alpha: read (transID 11, issued at 240 by 3.0.0.0:0, decided at 242) returned newValue, which no create or update of the key issued at or before tick 242 wrote
EOF

violation "phantom-value: a dump version that maps to no write (node 7 wrote nothing)" \
    clean.log phantom-version.state phantom-value \
    "check-history: 9 operations (8 acknowledged), 4 keys; 1 violation (phantom-value=1)" <<'EOF'
check-history: phantom-value: key delta: version 6553600.7 of value value4 on 1.0.0.0:0, 4.0.0.0:0, 5.0.0.0:0 (phantom-version.state:9) maps to no write: no create or update of the key with that value by node id 7 issued at or before tick 100
EOF

begin "phantom-value: a read of a value written only after the read was decided"
sed 's/key=alpha, value=value9/key=alpha, value=late/' "$fixtures/phantom-read.log" | head -n 69 >"$tmp/late.log"
cat >>"$tmp/late.log" <<'EOF'
 5.0.0.0:0 [233] UPDATE OPERATION KEY: alpha VALUE: late at time: 233
 5.0.0.0:0 [235] coordinator: update fail at time 235, transID=11, key=alpha, value=late
EOF
run_in "$tmp" 1 late.log "$fixtures/clean.state"
grep -q '^check-history: phantom-value: key alpha: read (transID 10, issued at 230 by 2.0.0.0:0, decided at 232) returned late, which no create or update of the key issued at or before tick 232 wrote$' "$tmp/out" ||
    problem "no phantom-value line for the late value: $(cat "$tmp/out")"
end

begin "phantom-value: a tombstone that maps to no delete"
sed 's/^tomb 1.0.0.0:0 charlie 9830400.4$/tomb 1.0.0.0:0 charlie 9830400.2/' "$fixtures/clean.state" >"$tmp/tomb.state"
run_in "$tmp" 1 "$fixtures/clean.log" tomb.state
out_is <<'EOF'
check-history: phantom-value: key charlie: version 9830400.2, a deletion, on 1.0.0.0:0 (tomb.state:8) maps to no write: no delete of the key by node id 2 issued at or before tick 150
check-history: 9 operations (8 acknowledged), 4 keys; 1 violation (phantom-value=1)
EOF
end

violation "stale-read: a read returns the value an acknowledged update replaced, nothing changing" \
    stale-read.log clean.state stale-read \
    "check-history: 10 operations (9 acknowledged), 4 keys; 1 violation (stale-read=1)" <<'EOF'
check-history: stale-read: key bravo: read (transID 10, issued at 230 by 2.0.0.0:0, decided at 232) returned value2, written by transID 2 issued at 100, though the later update to newValue (transID 5, issued at 150 by 3.0.0.0:0, acknowledged at 152) was acknowledged before the read; no membership activity, and every live node listed every other, in ticks 130..232
EOF

begin "stale-read: after an acknowledged delete"
sed 's/READ OPERATION KEY: bravo VALUE: newValue at time: 230/READ OPERATION KEY: charlie at time: 230/; s/transID=10, key=bravo, value=value2/transID=10, key=charlie, value=value3/' \
    "$fixtures/stale-read.log" >"$tmp/stale-delete.log"
run_in "$tmp" 1 stale-delete.log "$fixtures/clean.state"
out_is <<'EOF'
check-history: stale-read: key charlie: read (transID 10, issued at 230 by 2.0.0.0:0, decided at 232) returned value3, written by transID 3 issued at 100, though the later delete (transID 6, issued at 150 by 4.0.0.0:0, acknowledged at 152) was acknowledged before the read; no membership activity, and every live node listed every other, in ticks 130..232
check-history: 10 operations (9 acknowledged), 4 keys; 1 violation (stale-read=1)
EOF
end

begin "stale-read: membership activity one tick before the window does not excuse it"
sed '21a\ 1.0.0.0:0 [129] Node 4.0.0.0:0 removed at time 129' "$fixtures/stale-read.log" |
    sed '22a\ 1.0.0.0:0 [129] Node 4.0.0.0:0 joined at time 129' >"$tmp/edge.log"
run_in "$tmp" 1 edge.log "$fixtures/clean.state"
grep -q '^check-history: stale-read: key bravo: .*no membership activity, and every live node listed every other, in ticks 130..232$' "$tmp/out" ||
    problem "no stale-read line: $(cat "$tmp/out")"
end

violation "under-replicated: a replica lacks the key" \
    clean.log under-replicated.state under-replicated \
    "check-history: 9 operations (8 acknowledged), 4 keys; 1 violation (under-replicated=1)" <<'EOF'
check-history: under-replicated: key delta: replica 4.0.0.0:0 holds nothing, the newest is value4 (version 6553600.5, transID 4); replicas 5.0.0.0:0, 1.0.0.0:0, 4.0.0.0:0
EOF

violation "stale-replica: a replica holds an older version" \
    clean.log stale-replica.state stale-replica \
    "check-history: 9 operations (8 acknowledged), 4 keys; 1 violation (stale-replica=1)" <<'EOF'
check-history: stale-replica: key bravo: replica 2.0.0.0:0 holds value2 (version 6553600.3, stale-replica.state:10), the newest is newValue (version 9830400.3, transID 5); replicas 2.0.0.0:0, 3.0.0.0:0, 5.0.0.0:0
EOF

violation "stale-replica: a value beside the newest version, a tombstone" \
    clean.log stale-replica-tomb.state stale-replica \
    "check-history: 9 operations (8 acknowledged), 4 keys; 1 violation (stale-replica=1)" <<'EOF'
check-history: stale-replica: key charlie: 3.0.0.0:0 holds value3 (version 6553600.4, stale-replica-tomb.state:13), the newest is a deletion (version 9830400.4, transID 6)
EOF

begin "stale-replica: a replica holding an older tombstone of a live key"
# delta: a delete at 300 fails (but reached 4.0.0.0:0), then a create at 310 succeeds.
cp "$fixtures/clean.log" "$tmp/tomb-replica.log"
cat >>"$tmp/tomb-replica.log" <<'EOF'
 5.0.0.0:0 [300] DELETE OPERATION KEY: delta at time: 300
 4.0.0.0:0 [301] server: delete success at time 301, transID=10, key=delta
 5.0.0.0:0 [310] coordinator: delete fail at time 310, transID=10, key=delta
 5.0.0.0:0 [310] CREATE OPERATION KEY: delta VALUE: value5 at time: 310
 5.0.0.0:0 [312] coordinator: create success at time 312, transID=11, key=delta, value=value5
EOF
sed 's/^item 4.0.0.0:0 delta value4 6553600.5$/tomb 4.0.0.0:0 delta 19660800.5/; s/delta value4 6553600.5/delta value5 20316160.5/' \
    "$fixtures/clean.state" >"$tmp/tomb-replica.state"
run_in "$tmp" 1 tomb-replica.log tomb-replica.state
out_is <<'EOF'
check-history: stale-replica: key delta: replica 4.0.0.0:0 holds a deletion (version 19660800.5, tomb-replica.state:16), the newest is value5 (version 20316160.5, transID 11); replicas 5.0.0.0:0, 1.0.0.0:0, 4.0.0.0:0
check-history: 11 operations (9 acknowledged), 4 keys; 1 violation (stale-replica=1)
EOF
end

violation "misplaced: a non-replica holds a value" \
    clean.log misplaced.state misplaced \
    "check-history: 9 operations (8 acknowledged), 4 keys; 1 violation (misplaced=1)" <<'EOF'
check-history: misplaced: key alpha: 2.0.0.0:0 holds value1 (version 6553600.2, misplaced.state:10) but is not a replica; replicas 5.0.0.0:0, 1.0.0.0:0, 4.0.0.0:0
EOF

violation "protocol: duplicate lines, unknown and early transIDs, wrong key, wrong coordinator" \
    protocol.log clean.state protocol \
    "check-history: 10 operations (9 acknowledged), 4 keys; 6 violations (protocol=6)" <<'EOF'
check-history: protocol: key alpha: transID 1: two server lines from 5.0.0.0:0 (protocol.log:11 and protocol.log:12)
check-history: protocol: key alpha: transID 1: two coordinator lines (protocol.log:24 at tick 102 and protocol.log:25 at tick 102)
check-history: protocol: key charlie: transID 9: the coordinator line (protocol.log:52) says read of key delta, its operation line (protocol.log:49) is read of key charlie
check-history: protocol: key alpha: transID 10: decided by 3.0.0.0:0 (protocol.log:56), but issued through 2.0.0.0:0 (protocol.log:54)
check-history: protocol: transID 10: a server line (protocol.log:53) comes before its operation line (protocol.log:54)
check-history: protocol: transID 99: a coordinator line (protocol.log:57) for a transaction never issued (10 operation lines)
EOF

begin "protocol: wrong value parts, a server line of another operation, a decision before the issue"
cp "$fixtures/clean.log" "$tmp/values.log"
cat >>"$tmp/values.log" <<'EOF'
 5.0.0.0:0 [300] UPDATE OPERATION KEY: delta VALUE: v2 at time: 300
 5.0.0.0:0 [300] READ OPERATION KEY: delta at time: 300
 5.0.0.0:0 [300] DELETE OPERATION KEY: alpha at time: 300
 5.0.0.0:0 [300] READ OPERATION KEY: bravo at time: 300
 1.0.0.0:0 [301] server: delete success at time 301, transID=10, key=delta
 5.0.0.0:0 [302] coordinator: update success at time 302, transID=10, key=delta, value=v3
 5.0.0.0:0 [302] coordinator: read success at time 302, transID=11, key=delta
 5.0.0.0:0 [302] coordinator: delete fail at time 302, transID=12, key=alpha, value=value1
EOF
sed -i 's/^ 1.0.0.0:0 \[212\] coordinator: read success at time 212, transID=8,/ 1.0.0.0:0 [209] coordinator: read success at time 209, transID=8,/' "$tmp/values.log"
sed 's/delta value4 6553600.5/delta v2 19660800.5/' "$fixtures/clean.state" >"$tmp/values.state"
run_in "$tmp" 1 values.log values.state
out_is <<'EOF'
check-history: protocol: key bravo: transID 8: decided at tick 209 (values.log:61), before it was issued at 210
check-history: protocol: key delta: transID 10: the server line of 1.0.0.0:0 (values.log:70) says delete of key delta, its operation line (values.log:66) is update of key delta
check-history: protocol: key delta: transID 10: the coordinator's update success (values.log:71) carries value v3, the operation writes v2
check-history: protocol: key delta: transID 11: the coordinator's read success (values.log:72) carries no value
check-history: protocol: key alpha: transID 12: the coordinator's delete fail line (values.log:73) carries a value (value1); it should end after the key
check-history: 13 operations (9 acknowledged), 4 keys; 5 violations (protocol=5)
EOF
end

begin "several kinds at once: grouped by kind, summary counts each"
cat "$fixtures/lost-write.state" >"$tmp/mixed.state"
echo 'item 2.0.0.0:0 alpha value1 6553600.2' >>"$tmp/mixed.state"
run_in "$tmp" 1 "$fixtures/stale-read.log" mixed.state
sed 's/: key .*//' "$tmp/out" >"$tmp/kinds"
diff -u - "$tmp/kinds" >"$tmp/diff" <<'EOF' || problem "kinds differ:"$'\n'"$(cat "$tmp/diff")"
check-history: lost-write
check-history: stale-read
check-history: misplaced
check-history: 10 operations (9 acknowledged), 4 keys; 3 violations (lost-write=1, stale-read=1, misplaced=1)
EOF
end

begin "many violations: 20 per kind shown, then a count"
{
    echo 131
    for i in $(seq 1 25); do echo " 1.0.0.0:0 [100] CREATE OPERATION KEY: k$i VALUE: v$i at time: 100"; done
    for i in $(seq 1 25); do echo " 1.0.0.0:0 [102] coordinator: create success at time 102, transID=$i, key=k$i, value=v$i"; done
} >"$tmp/many.log"
printf '# kvstate 2 tick=699 nodes=1\nnode 1.0.0.0:0 a333ecd4437dd455\n' >"$tmp/many.state"
run_in "$tmp" 1 many.log many.state
n=$(grep -c '^check-history: lost-write: key k[0-9]*: create of v[0-9]* (transID [0-9]*, issued at 100 by 1.0.0.0:0, acknowledged at 102) is gone; no live node holds the key$' "$tmp/out")
[ "$n" = 20 ] || problem "$n lost-write lines shown, wanted 20"
[ "$(tail -n 2 "$tmp/out" | head -n 1)" = "check-history: lost-write: ... and 5 more" ] ||
    problem "no '... and 5 more' line before the summary: $(tail -n 2 "$tmp/out")"
[ "$(tail -n 1 "$tmp/out")" = "check-history: 25 operations (25 acknowledged), 25 keys; 25 violations (lost-write=25)" ] ||
    problem "summary is '$(tail -n 1 "$tmp/out")'"
[ "$(wc -l <"$tmp/out")" = 22 ] || problem "$(wc -l <"$tmp/out") stdout lines, wanted 22"
end

# ------------------------------------------------------------ allowances (exit 0)

# allowed NAME LOG STATE SUMMARY [ARGS...]: exit 0 with exactly SUMMARY on stdout.
allowed() {
    begin "allowance: $1"
    run 0 "${@:5}" "$2" "$3"
    out_is <<<"$4"
    end
}

allowed "a write that failed its quorum but reached a replica wins" \
    allow-failed-write.log allow-failed-write.state \
    "check-history: 10 operations (8 acknowledged), 4 keys; 0 violations"
allowed "a write never decided (its coordinator crashed) wins; an undecided read" \
    allow-undecided-write.log allow-undecided-write.state \
    "check-history: 11 operations (8 acknowledged), 4 keys; 0 violations"
allowed "writes issued in one tick are concurrent: the lower version may win, reads see either" \
    allow-concurrent.log allow-concurrent.state \
    "check-history: 12 operations (11 acknowledged), 4 keys; 0 violations"
allowed "a stale read within Q ticks of a restart" \
    allow-stale-read-restart.log clean.state \
    "check-history: 10 operations (9 acknowledged), 4 keys; 0 violations"
allowed "--quiet 50: the restart at 185 still falls in ticks 180..232" \
    allow-stale-read-restart.log clean.state \
    "check-history: 10 operations (9 acknowledged), 4 keys; 0 violations" --quiet 50
allowed "reads may fail (charlie) and keys deleted with no tombstone left" \
    clean.log allow-deleted-absent.state "$clean_summary"
allowed "fewer than 3 live nodes: keys on both" \
    allow-two-nodes.log allow-two-nodes.state \
    "check-history: 9 operations (8 acknowledged), 4 keys; 0 violations"

begin "allowance: a stale read with membership activity exactly at the window's start (tr - Q)"
sed '21a\ 1.0.0.0:0 [130] Node 4.0.0.0:0 removed at time 130' "$fixtures/stale-read.log" >"$tmp/edge.log"
run_in "$tmp" 0 edge.log "$fixtures/clean.state"
out_is <<'EOF'
check-history: 10 operations (9 acknowledged), 4 keys; 0 violations
EOF
end

begin "stale-read: --quiet 40 leaves the restart at 185 outside ticks 190..232"
run 1 --quiet 40 allow-stale-read-restart.log clean.state
out_is <<'EOF'
check-history: stale-read: key bravo: read (transID 10, issued at 230 by 2.0.0.0:0, decided at 232) returned value2, written by transID 2 issued at 100, though the later update to newValue (transID 5, issued at 150 by 3.0.0.0:0, acknowledged at 152) was acknowledged before the read; no membership activity, and every live node listed every other, in ticks 190..232
check-history: 10 operations (9 acknowledged), 4 keys; 1 violation (stale-read=1)
EOF
end

# Views that disagree: a partition both sides detected removes live nodes from each other's
# lists; reads on either side may be stale for as long as it lasts, however long ago the last
# membership line was.
split_lines=' 1.0.0.0:0 [20] Node 4.0.0.0:0 removed at time 20\n 4.0.0.0:0 [20] Node 1.0.0.0:0 removed at time 20'
begin "allowance: a stale read while views disagree (a partition detected at 20, not healed)"
sed "21a\\$split_lines" "$fixtures/stale-read.log" >"$tmp/split.log"
run_in "$tmp" 0 split.log "$fixtures/clean.state"
out_is <<'EOF'
check-history: 10 operations (9 acknowledged), 4 keys; 0 violations
EOF
err_is <<'EOF'
check-history: final placement not judged: at the end some live node does not list another (views disagree since tick 20)
EOF
end

begin "stale-read: the partition healed at 120 (both rejoined), before ticks 130..232"
heal_lines=' 1.0.0.0:0 [120] Node 4.0.0.0:0 joined at time 120\n 4.0.0.0:0 [120] Node 1.0.0.0:0 joined at time 120'
sed "21a\\$split_lines\n$heal_lines" "$fixtures/stale-read.log" >"$tmp/healed.log"
run_in "$tmp" 1 healed.log "$fixtures/clean.state"
grep -q '^check-history: stale-read: key bravo: .*in ticks 130..232$' "$tmp/out" ||
    problem "no stale-read line: $(cat "$tmp/out")"
no_stderr
end

begin "allowance: one side rejoined, the other still does not list it: views still disagree"
sed "21a\\$split_lines\n 1.0.0.0:0 [120] Node 4.0.0.0:0 joined at time 120" \
    "$fixtures/stale-read.log" >"$tmp/half.log"
run_in "$tmp" 0 half.log "$fixtures/clean.state"
out_is <<'EOF'
check-history: 10 operations (9 acknowledged), 4 keys; 0 violations
EOF
end

begin "a failed node missing from lists is no disagreement: failed at 20, removed, stale read flagged"
fail_lines=' 4.0.0.0:0 [20] Node failed at time=20\n 1.0.0.0:0 [30] Node 4.0.0.0:0 removed at time 30'
sed "21a\\$fail_lines" "$fixtures/stale-read.log" >"$tmp/failed.log"
run_in "$tmp" 1 failed.log "$fixtures/clean.state"
grep -q '^check-history: stale-read: key bravo: ' "$tmp/out" || problem "no stale-read line: $(cat "$tmp/out")"
end

begin "allowance: a node that restarted serves a copy of a request its earlier life served"
awk '{ print }
     / 5\.0\.0\.0:0 \[101\] server: create success at time 101, transID=1,/ {
         print " 5.0.0.0:0 [101] Node failed at time=101"
         print " 5.0.0.0:0 [101] Node restarted at time=101"
         print " 5.0.0.0:0 [102] server: create success at time 102, transID=1, key=alpha, value=value1"
         for (i = 1; i <= 4; i++) printf " 5.0.0.0:0 [102] Node %d.0.0.0:0 joined at time 102\n", i
     }' "$fixtures/clean.log" >"$tmp/relife.log"
run_in "$tmp" 0 relife.log "$fixtures/clean.state"
grep -q "protocol" "$tmp/out" && problem "a protocol violation: $(cat "$tmp/out")"
end

begin "protocol: two server lines from one node in one life"
awk '{ print }
     / 5\.0\.0\.0:0 \[101\] server: create success at time 101, transID=1,/ {
         print " 5.0.0.0:0 [102] server: create success at time 102, transID=1, key=alpha, value=value1"
     }' "$fixtures/clean.log" >"$tmp/twice.log"
run_in "$tmp" 1 twice.log "$fixtures/clean.state"
grep -q "^check-history: protocol: key alpha: transID 1: two server lines from 5.0.0.0:0" "$tmp/out" ||
    problem "no protocol line: $(cat "$tmp/out")"
end

begin "not quiet: a failure at 650, placement not judged and stderr says why"
run 0 not-quiet.log not-quiet.state
out_is <<'EOF'
check-history: 9 operations (8 acknowledged), 4 keys; 0 violations
EOF
err_is <<'EOF'
check-history: final placement not judged: membership activity at tick 663, within the last 100 ticks of the run (ticks 600..699)
EOF
end

begin "not quiet: with --quiet=30 the same state is judged (under-replicated)"
run 1 --quiet=30 not-quiet.log not-quiet.state
out_is <<'EOF'
check-history: under-replicated: key alpha: replica 2.0.0.0:0 holds nothing, the newest is value1 (version 6553600.2, transID 1); replicas 5.0.0.0:0, 1.0.0.0:0, 2.0.0.0:0
check-history: under-replicated: key delta: replica 2.0.0.0:0 holds nothing, the newest is value4 (version 6553600.5, transID 4); replicas 5.0.0.0:0, 1.0.0.0:0, 2.0.0.0:0
check-history: 9 operations (8 acknowledged), 4 keys; 2 violations (under-replicated=2)
EOF
no_stderr
end

begin "not quiet: lost writes are judged all the same"
grep -v ' alpha ' "$fixtures/not-quiet.state" >"$tmp/nq.state"
run_in "$tmp" 1 "$fixtures/not-quiet.log" nq.state
grep -q '^check-history: lost-write: key alpha: create of value1 ' "$tmp/out" || problem "no lost-write: $(cat "$tmp/out")"
end

# ------------------------------------------------------------ malformed input (exit 2)

# malformed NAME LOG STATE MESSAGE: exit 2, nothing on stdout, stderr exactly MESSAGE.
malformed() {
    begin "malformed: $1"
    run 2 "$2" "$3"
    no_stdout
    err_is <<<"$4"
    end
}

malformed "dbg.log without the 131 header" no-header.log clean.state \
    "check-history: no-header.log:1: missing header line '131'"
malformed "dbg.log line without the leading space" unframed.log clean.state \
    "check-history: unframed.log:3: line does not start with a single space (expected ' <addr> [<tick>] <message>')"
malformed "dbg.log: the time in a message differs from the line's [tick]" malformed-time.log clean.state \
    "check-history: malformed-time.log:38: the message says time 101, the line's [tick] is 102"
malformed "dump format version 1 (no tombstones)" clean.log version-1.state \
    "check-history: version-1.state:1: format version 1, this tool reads version 2 (version 1 does not list tombstones)"
malformed "dump: a tomb line with a value" clean.log bad-tomb.state \
    "check-history: bad-tomb.state:11: tomb line: the version must be <stamp>.<node>, two whole numbers"

# A table of broken dbg.log lines: each replaces line 8 of clean.log (a CREATE line).
begin "malformed: dbg.log lines, each reported as file:line"
bad=""
while IFS='|' read -r line want; do
    sed "8s/.*/$line/" "$fixtures/clean.log" >"$tmp/t.log"
    run_in "$tmp" 2 t.log "$fixtures/clean.state"
    [ "$(cat "$tmp/err")" = "check-history: t.log:8: $want" ] || bad+=$'\n'"      '$line': $(cat "$tmp/err")"
    [ ! -s "$tmp/out" ] || bad+=$'\n'"      '$line': stdout $(head -c 200 "$tmp/out")"
done <<'EOF'
  3.0.0.0:0 [100] x|unparsable logger address (expected ' <addr> [<tick>] <message>')
 3.0.0.0:0 [1x] x|unparsable or out-of-range [tick] (at most 18 digits)
 3.0.0.0:0 (100) x|expected ' [<tick>]' after the logger address
 3.0.0.0:0 [100]x|expected one space and the message after the [tick]
 3.0.0.0:0 [1000000000000000000] x|unparsable or out-of-range [tick] (at most 18 digits)
 3.0.0.0:0 [100] CREATE OPERATION KEY: bravo at time: 100|a CREATE OPERATION line needs its ' VALUE: <v>'
 3.0.0.0:0 [100] UPDATE OPERATION KEY: bravo VALUE: v at 100|expected ' at time: <t>' after the key or value of an OPERATION line
 3.0.0.0:0 [100] READ OPERATION KEY:  at time: 100|empty key
 3.0.0.0:0 [100] READ OPERATION KEY: bravo at time: 100 extra|unexpected text after the time
 3.0.0.0:0 [100] coordinator: create success at time 100, key=bravo|expected ', transID=<id>' after the time
 3.0.0.0:0 [100] coordinator: create success at time 100, transID=x, key=bravo|unparsable or out-of-range transID
 3.0.0.0:0 [100] coordinator: create success at time 100, transID=99999999999999999999, key=b|unparsable or out-of-range transID
 3.0.0.0:0 [100] server: create maybe at time 100, transID=1, key=bravo|expected success or fail after the operation
 3.0.0.0:0 [100] server: insert success at time 100, transID=1, key=bravo|expected create, read, update or delete after the role
 3.0.0.0:0 [100] server: read success at time 100, transID=1, key=bravo value=x|expected ', value=<v>' or the end of the line after the key
 3.0.0.0:0 [100] server: read success at time 100, transID=1, key=bravo, value=|empty value
 3.0.0.0:0 [100] Node failed at time 100|expected '=<t>' after 'Node failed at time'
 3.0.0.0:0 [100] Node restarted at time=x|unparsable or out-of-range time in the message (at most 18 digits)
 3.0.0.0:0 [100] Node 4.0.0.0:0 joined at time|the message uses 'joined', which the log format reserves, but is not a membership or key-value line of the format
 3.0.0.0:0 [100] Node 4.0.0.0:0 removed at time 100 by probe|unexpected text after the time
 3.0.0.0:0 [100] Read success for bravo|the message uses 'read success', which the log format reserves, but is not a membership or key-value line of the format
 3.0.0.0:0 [100] an operation started|the message uses 'operation', which the log format reserves, but is not a membership or key-value line of the format
|line does not start with a single space (expected ' <addr> [<tick>] <message>')
EOF
[ -z "$bad" ] || problem "wrong errors:$bad"
end

begin "malformed: a NUL byte inside a dbg.log key"
sed '23s/KEY: bravo/KEY: bra\x00vo/' "$fixtures/clean.log" >"$tmp/nul.log"
run_in "$tmp" 2 nul.log "$fixtures/clean.state"
err_is <<<"check-history: nul.log:23: control character in the key"
end

begin "malformed: a dbg.log line after the run's last tick"
{ cat "$fixtures/clean.log"; echo ' 1.0.0.0:0 [700] Node 2.0.0.0:0 removed at time 700'; } >"$tmp/late.log"
run_in "$tmp" 2 late.log "$fixtures/clean.state"
no_stdout
err_is <<<"check-history: late.log:66: tick 700 is after the run's last tick, 699 ($fixtures/clean.state:1)"
end

# A table of broken dump lines: each replaces line 8 of clean.state (a tomb line).
begin "malformed: dump lines, each reported as file:line"
bad=""
while IFS='|' read -r line want; do
    sed "8s/.*/$line/" "$fixtures/clean.state" >"$tmp/t.state"
    run_in "$tmp" 2 "$fixtures/clean.log" t.state
    [ "$(cat "$tmp/err")" = "check-history: t.state:8: $want" ] || bad+=$'\n'"      '$line': $(cat "$tmp/err")"
done <<'EOF'
tomb 01.0.0.0:0 charlie 9830400.4|tomb line: expected an address like 1.0.0.0:0 (no leading zeros) after 'tomb '
tomb 1.0.0.0:0 charlie|tomb line: expected one space and the version <stamp>.<node> after the key
tomb 1.0.0.0:0 charlie 9830400|tomb line: the version must be <stamp>.<node>, two whole numbers
tomb 1.0.0.0:0 charlie 9830400.4 x|tomb line: unexpected text after the version
item 1.0.0.0:0 charlie 9830400.4|item line: expected one space and the version <stamp>.<node> after the value
item 1.0.0.0:0 charlie v|item line: expected one space and the version <stamp>.<node> after the value
item 1.0.0.0:0 charlie v 1.99999999999|item line: the version must be <stamp>.<node>, two whole numbers
node 6.0.0.0:0 0123|node line: the position must be 16 hex digits
node 6.0.0.0:0 0123456789abcdef|node 6.0.0.0:0 has position 0123456789abcdef, SHA-256 of its address gives 5fd595ff549e909f
|expected a 'node <addr> <position>', 'item <addr> <key> <value> <stamp>.<node>' or 'tomb <addr> <key> <stamp>.<node>' line
# comment|expected a 'node <addr> <position>', 'item <addr> <key> <value> <stamp>.<node>' or 'tomb <addr> <key> <stamp>.<node>' line
EOF
[ -z "$bad" ] || problem "wrong errors:$bad"
end

begin "malformed: a dump that contradicts itself"
bad=""
while IFS='|' read -r extra want; do
    { cat "$fixtures/clean.state"; printf '%s\n' "$extra"; } >"$tmp/t.state"
    run_in "$tmp" 2 "$fixtures/clean.log" t.state
    [ "$(cat "$tmp/err")" = "check-history: t.state:$want" ] || bad+=$'\n'"      '$extra': $(cat "$tmp/err")"
done <<'EOF'
node 3.0.0.0:0 42f05dc03422a691|20: node 3.0.0.0:0 is listed twice (first at line 4)
item 9.0.0.0:0 alpha value1 6553600.2|20: item on 9.0.0.0:0, which has no node line (not a live node)
tomb 5.0.0.0:0 alpha 6553600.2|20: node 5.0.0.0:0 holds key alpha twice (first at line 17)
EOF
sed '1s/nodes=5/nodes=6/' "$fixtures/clean.state" >"$tmp/t.state"
run_in "$tmp" 2 "$fixtures/clean.log" t.state
[ "$(cat "$tmp/err")" = "check-history: t.state:1: the header says nodes=6 but 5 nodes are listed" ] ||
    bad+=$'\n'"      header count: $(cat "$tmp/err")"
[ -z "$bad" ] || problem "wrong errors:$bad"
end

begin "malformed: both files bad, both reported"
run 2 no-header.log version-1.state
no_stdout
err_is <<'EOF'
check-history: no-header.log:1: missing header line '131'
check-history: version-1.state:1: format version 1, this tool reads version 2 (version 1 does not list tombstones)
EOF
end

begin "malformed: empty files"
: >"$tmp/empty"
run_in "$tmp" 2 empty empty
err_is <<'EOF'
check-history: empty:1: empty file (expected header line '131')
check-history: empty:1: empty file (expected header line '# kvstate 2 tick=<t> nodes=<n>')
EOF
end

begin "missing file and a directory"
run 2 nonexistent.log clean.state
err_is <<<"check-history: cannot open nonexistent.log: No such file or directory"
mkdir -p "$tmp/dir.log"
run_in "$tmp" 2 dir.log "$fixtures/clean.state"
err_has "dir.log:1: read error"
end

# ------------------------------------------------------------ garbage never crashes

begin "garbage: every truncation of clean.log and clean.state exits 0, 1 or 2"
bad=""
size=$(wc -c <"$fixtures/clean.log")
for ((i = 0; i < size; i += 23)); do
    head -c "$i" "$fixtures/clean.log" >"$tmp/cut.log"
    (cd "$tmp" && exec "$tool" cut.log "$fixtures/clean.state") >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    [ "$rc" -le 2 ] && ! grep -q 'Sanitizer\|runtime error' "$tmp/err" || bad+=" log:$i(rc $rc)"
done
size=$(wc -c <"$fixtures/clean.state")
for ((i = 0; i < size; i += 7)); do
    head -c "$i" "$fixtures/clean.state" >"$tmp/cut.state"
    (cd "$tmp" && exec "$tool" "$fixtures/clean.log" cut.state) >"$tmp/out" 2>"$tmp/err" </dev/null
    rc=$?
    [ "$rc" -le 2 ] && ! grep -q 'Sanitizer\|runtime error' "$tmp/err" || bad+=" state:$i(rc $rc)"
done
[ -z "$bad" ] || problem "bad exits or sanitizer reports at byte offsets:$bad"
end

# hexbytes SEED N: N*32 pseudo-random bytes (a SHA-256 chain), the same on every run.
hexbytes() {
    local h=$1 i
    for ((i = 0; i < $2; i++)); do
        h=$(printf '%s' "$h" | sha256sum | cut -c1-64)
        printf '%b' "$(printf '%s' "$h" | sed 's/../\\x&/g')"
    done
}

begin "garbage: random bytes after valid headers are refused (exit 2), never crash"
bad=""
for seed in 1 2 3 4; do
    hexbytes "history$seed" 40 >"$tmp/g.bin"
    { echo 131; cat "$tmp/g.bin"; } >"$tmp/g.log"
    { head -n 6 "$fixtures/clean.state"; cat "$tmp/g.bin"; } >"$tmp/g.state"
    for pair in "g.log $fixtures/clean.state" "$fixtures/clean.log g.state" "g.bin g.bin"; do
        # shellcheck disable=SC2086
        (cd "$tmp" && exec "$tool" $pair) >"$tmp/out" 2>"$tmp/err" </dev/null
        rc=$?
        if [ "$rc" != 2 ] || grep -q 'Sanitizer\|runtime error' "$tmp/err"; then
            bad+=" seed $seed ($pair): rc $rc"
        fi
    done
done
[ -z "$bad" ] || problem "crashes:$bad"
end

begin "garbage: a 1 MB dbg.log line and a 100,000-byte key"
{ cat "$fixtures/clean.log"; printf ' 1.0.0.0:0 [300] '; head -c 1000000 /dev/zero | tr '\0' x; echo; } >"$tmp/long.log"
run_in "$tmp" 0 long.log "$fixtures/clean.state"
out_is <<<"$clean_summary"
{ cat "$fixtures/clean.state"; printf 'item 1.0.0.0:0 '; head -c 100000 /dev/zero | tr '\0' k; printf ' v 6553600.1\n'; } >"$tmp/long.state"
run_in "$tmp" 1 "$fixtures/clean.log" long.state
grep -q '^check-history: phantom-value: key kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk\.\.\.: version 6553600.1 of value v on 1.0.0.0:0 (long.state:20) maps to no write' "$tmp/out" ||
    problem "no shortened report of the long key: $(head -c 300 "$tmp/out")"
end

# ------------------------------------------------------------ command line

begin "usage: no arguments"
run 2
no_stdout
err_has "usage: check-history [-q] [--quiet N] DBG_LOG STATE_DUMP"
end

begin "usage: one file, three files, an unknown option, a bad --quiet"
run 2 clean.log
err_has "expected DBG_LOG and STATE_DUMP, got 1 file"
run 2 clean.log clean.state clean.state
err_has "too many arguments"
run 2 --bogus clean.log clean.state
err_has "unknown option '--bogus'"
run 2 --quiet x clean.log clean.state
err_has "--quiet needs a number of ticks"
run 2 clean.log clean.state --quiet
err_has "--quiet needs a number of ticks (0 to 999999999999999999), got 'nothing'"
end

begin "--help explains the checks and the allowances, exit 0"
run 0 --help
for word in lost-write deleted-back phantom-value stale-read under-replicated stale-replica misplaced protocol \
    "Allowances" "failed its quorum" "same tick are concurrent" "membership changes" "availability is not judged" \
    "65,536" "Exit status"; do
    grep -qF -- "$word" "$tmp/out" || problem "--help does not mention '$word'"
done
no_stderr
end

begin "-q prints only the summary; options may follow the files; -- ends the options"
run 1 stale-read.log clean.state -q
out_is <<'EOF'
check-history: 10 operations (9 acknowledged), 4 keys; 1 violation (stale-read=1)
EOF
cp "$fixtures/clean.state" "$tmp/-s"
run_in "$tmp" 0 -- "$fixtures/clean.log" -s
out_is <<<"$clean_summary"
end

# ------------------------------------------------------------ scale

begin "scale: 1,000,000 join lines and 30,000 operations on 10,000 keys, within 30 s"
awk 'BEGIN {
    print "131"
    for (i = 0; i < 1000000; i++) {
        t = int(i / 4000) + 1
        printf " %d.%d.0.0:0 [%d] Node %d.3.0.0:0 joined at time %d\n", i % 250 + 1, i % 4, t, i % 241 + 1, t
    }
    for (k = 0; k < 10000; k++) printf " 1.0.0.0:0 [300] CREATE OPERATION KEY: k%d VALUE: a%d at time: 300\n", k, k
    for (k = 0; k < 10000; k++) printf " 1.0.0.0:0 [302] coordinator: create success at time 302, transID=%d, key=k%d, value=a%d\n", k + 1, k, k
    for (k = 0; k < 10000; k++) printf " 1.0.0.0:0 [400] UPDATE OPERATION KEY: k%d VALUE: b%d at time: 400\n", k, k
    for (k = 0; k < 10000; k++) printf " 1.0.0.0:0 [402] coordinator: update success at time 402, transID=%d, key=k%d, value=b%d\n", 10001 + k, k, k
    for (k = 0; k < 10000; k++) printf " 1.0.0.0:0 [500] READ OPERATION KEY: k%d at time: 500\n", k
    for (k = 0; k < 10000; k++) printf " 1.0.0.0:0 [502] coordinator: read success at time 502, transID=%d, key=k%d, value=b%d\n", 20001 + k, k, k
}' >"$tmp/big.log"
awk 'BEGIN {
    print "# kvstate 2 tick=699 nodes=1"
    print "node 1.0.0.0:0 a333ecd4437dd455"
    for (k = 0; k < 10000; k++) printf "item 1.0.0.0:0 k%d b%d %d.1\n", k, k, 400 * 65536 + k
}' >"$tmp/big.state"
start=$(date +%s)
run_in "$tmp" 0 big.log big.state
secs=$(($(date +%s) - start))
out_is <<'EOF'
check-history: 30000 operations (30000 acknowledged), 10000 keys; 0 violations
EOF
[ "$secs" -le 30 ] || problem "took $secs s"
end

# ------------------------------------------------------------ real runs

app=${APPLICATION:-$root/Application}
[[ $app == */* && $app != /* ]] && app=$PWD/$app
for t in create read update delete; do
    begin "real runs: testcases/$t.conf, seeds 1-3, are clean"
    if [ ! -x "$app" ]; then
        problem "no Application at $app (build it with make, or set APPLICATION)"
    else
        for seed in 1 2 3; do
            dir=$tmp/run-$t-$seed
            mkdir -p "$dir"
            if ! (cd "$dir" && exec "$app" "$root/testcases/$t.conf" --seed "$seed" --dump-state st) \
                >"$dir/app.out" 2>&1 </dev/null; then
                problem "seed $seed: the Application failed: $(tail -n 3 "$dir/app.out")"
                continue
            fi
            if head -n 1 "$dir/st" | grep -q '^# kvstate 1 '; then
                problem "seed $seed: $app writes dump format version 1 (rebuild it: make)"
                continue
            fi
            run_in "$dir" 0 dbg.log st
            grep -qE '^check-history: [0-9]+ operations \([0-9]+ acknowledged\), [0-9]+ keys?; 0 violations$' "$tmp/out" ||
                problem "seed $seed: $(cat "$tmp/out")"
        done
    fi
    end
done

echo "check-history: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
