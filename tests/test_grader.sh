#!/usr/bin/env bash
# tests/test_grader.sh: checks the membership grader (tools/grade_membership.c) on tests/grader/.
# Builds it into a temp dir unless $GRADER names a built grader; prints "ok - name" per case.

set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
fixtures=$here/grader
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

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

# run STATUS ARGS...: runs the grader from the fixture dir, wants exit STATUS.
run() {
    local want=$1 got
    shift
    (cd "$fixtures" && "$grader" "$@") >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" = "$want" ] || problem "exit status $got, wanted $want"
}

# has_line TEXT: stdout has a line that is exactly TEXT.
has_line() {
    grep -qxF -- "$1" "$tmp/out" || problem "no stdout line '$1'"
}

# err_has TEXT: stderr mentions TEXT.
err_has() {
    grep -qF -- "$1" "$tmp/err" || problem "stderr lacks '$1'"
}

# out_is: stdout equals standard input exactly.
out_is() {
    diff -u - "$tmp/out" >"$tmp/diff" || problem "stdout differs:"$'\n'"$(cat "$tmp/diff")"
}

# line_count N: stdout has N lines.
line_count() {
    local got
    got=$(wc -l <"$tmp/out")
    [ "$got" -eq "$1" ] || problem "stdout has $got lines, wanted $1"
}

# lost_only CHECK: CHECK scored 0 and the other checks full marks, total 20/30.
lost_only() {
    local check line
    for check in join completeness accuracy; do
        line=$(grep -E "^$check \.+ [0-9]+/10$" "$tmp/out")
        if [ "$check" = "$1" ]; then
            [[ $line == *" 0/10" ]] || problem "wanted $check 0/10, got '$line'"
        else
            [[ $line == *" 10/10" ]] || problem "wanted $check 10/10, got '$line'"
        fi
    done
    has_line "total ........... 20/30"
}

build_grader() {
    begin "grader builds without warnings"
    grader=$tmp/grade-membership
    if ! gcc -std=c11 -O2 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -I"$root/tools" -o "$grader" \
        "$root/tools/grade_membership.c" "$root/tools/dbglog.c" 2>"$tmp/build"; then
        problem "build failed: $(cat "$tmp/build")"
    elif [ -s "$tmp/build" ]; then
        problem "warnings: $(cat "$tmp/build")"
    fi
    end
    [ -x "$grader" ] || {
        echo "grader: $passed passed, $((failed + 1)) failed"
        exit 1
    }
}

# A 1,000-node run of about 1.5 million lines: 10 nodes fail at tick 500.
make_large_log() {
    awk 'function addr(i) { return sprintf("%d.%d.0.0:0", i % 256, int(i / 256)) }
    BEGIN {
        n = 1000
        join = " %s [%d] Node %s joined at time %d\n"
        kv = " %s [%d] server: read success at time %d, transID=%d, key=k%d, value=v\n"
        removal = " %s [%d] Node %s removed at time %d\n"
        print "131"
        for (l = 1; l <= n; l++)
            for (t = 1; t <= n; t++)
                printf join, addr(l), int(t / 10), addr(t), int(t / 10)
        for (k = 0; k < 500000; k++)
            printf kv, addr(k % n + 1), 200 + k % 300, 200 + k % 300, k, k
        for (f = 100; f <= n; f += 100)
            printf " %s [500] Node failed at time=500\n", addr(f)
        for (s = 1; s <= n; s++) {
            if (s % 100 == 0)
                continue
            for (f = 100; f <= n; f += 100)
                printf removal, addr(s), 510 + s % 20, addr(f), 510 + s % 20
        }
    }' >"$1"
}

if [ -n "${GRADER:-}" ]; then
    grader=$GRADER
    [[ $grader == */* && $grader != /* ]] && grader=$PWD/$grader
else
    build_grader
fi

begin "full marks"
run 0 full.log
out_is <<'EOF'
full.log: 6 nodes, 1 failed (4.0.0.0:0 at 100), 5 survivors
join ............ 10/10
completeness .... 10/10
accuracy ........ 10/10
total ........... 30/30
EOF
end

begin "full marks with two failures"
run 0 full-two-failures.log
both="4.0.0.0:0 at 100, 6.0.0.0:0 at 200"
has_line "full-two-failures.log: 6 nodes, 2 failed ($both), 4 survivors"
has_line "total ........... 30/30"
end

begin "a node failed before it booted owes no joins"
run 0 join-doa-failed.log
has_line "total ........... 30/30"
end

begin "join missing pair"
run 1 join-missing.log
lost_only join
has_line "  3.0.0.0:0 never logged the join of 5.0.0.0:0 (1 pair missing in all)"
end

begin "join missing pair of a failed node"
run 1 join-failed-node-missing.log
lost_only join
has_line "  4.0.0.0:0 never logged the join of 2.0.0.0:0 (1 pair missing in all)"
end

begin "duplicate join"
run 1 join-duplicate.log
lost_only join
has_line "  2.0.0.0:0 logged the join of 5.0.0.0:0 twice (lines 24 and 46)"
end

begin "completeness missing removal"
run 1 completeness-missing.log
lost_only completeness
has_line "  5.0.0.0:0 never logged the removal of 4.0.0.0:0 (1 pair missing in all)"
end

begin "false removal of a live node"
run 1 false-removal.log
lost_only accuracy
has_line "  2.0.0.0:0 removed 3.0.0.0:0 which never failed (line 46)"
end

begin "duplicate removal"
run 1 duplicate-removal.log
lost_only accuracy
has_line "  1.0.0.0:0 removed 4.0.0.0:0 twice (lines 40 and 46)"
end

begin "a log read from a pipe grades as the file does (the second pass reads a copy)"
for log in join-duplicate.log duplicate-removal.log false-removal.log full.log; do
    (cd "$fixtures" && "$grader" "$log") >"$tmp/file.out" 2>&1
    want=$?
    (cd "$fixtures" && cat "$log" | "$grader" /dev/stdin) >"$tmp/pipe.out" 2>&1
    got=$?
    [ "$got" = "$want" ] || problem "$log: exit status $got from a pipe, $want from the file"
    sed "s|^/dev/stdin:|$log:|" "$tmp/pipe.out" | diff -u "$tmp/file.out" - >"$tmp/diff" ||
        problem "$log: a pipe grades differently:"$'\n'"$(cat "$tmp/diff")"
done
end

begin "removal lines with blanks after the time are judged like the others"
sed 's/\(removed at time [0-9]*\)$/\1 \t /' "$fixtures/false-removal.log" >"$tmp/blanks.log"
(cd "$tmp" && "$grader" blanks.log) >"$tmp/out" 2>"$tmp/err"
[ $? = 1 ] || problem "exit status $?, wanted 1"
has_line "  2.0.0.0:0 removed 3.0.0.0:0 which never failed (line 46)"
end

begin "removal before the failure tick"
run 1 early-removal.log
lost_only accuracy
has_line "  1.0.0.0:0 removed 4.0.0.0:0 at 95, before it failed at 100 (line 40)"
end

begin "removal by a node after its own failure"
run 1 removal-after-own-failure.log
lost_only accuracy
has_line "  4.0.0.0:0 removed 6.0.0.0:0 at 215, after itself failing at 100 (line 51)"
end

begin "malformed target address"
run 2 malformed-address.log
err_has "malformed-address.log:25:"
line_count 0
end

begin "malformed logger address"
run 2 malformed-logger.log
err_has "malformed-logger.log:51:"
end

# Every line is checked (by tools/dbglog.c, as in every checker): a line that uses a phrase the
# format reserves must be a framed line of the format. Each broken line replaces line 31 of
# full.log (a line of no known form).
begin "malformed: a line using a reserved phrase is an error naming file:line"
bad=""
while IFS='|' read -r line want; do
    awk -v line="$line" 'NR == 31 { print line; next } { print }' "$fixtures/full.log" >"$tmp/t.log"
    (cd "$tmp" && "$grader" t.log) >"$tmp/out" 2>"$tmp/err"
    status=$?
    [ "$status" = 2 ] && [ "$(cat "$tmp/err")" = "grade-membership: t.log:31: $want" ] &&
        [ ! -s "$tmp/out" ] || bad+=$'\n'"      '$line': exit $status, $(cat "$tmp/err")"
done <<'EOF'
 6.0.0.0:0 [80] Nodes were joined in the morning|the message uses 'joined', which the log format reserves, but is not a membership or key-value line of the format
 6.0.0.0:0 [200] Node failed at time = 200|expected '=<t>' after 'Node failed at time'
 1.0.0.0:0 [20] server: create success, transID=1, key=alpha, value=one|expected ' at time <t>' after the outcome
 2.0.0.0:0 [21] client: read success, transID=2, key=alpha, value=one|the message uses 'read success', which the log format reserves, but is not a membership or key-value line of the format
Node 2.0.0.0:0 joined at time 5|line does not start with a single space (expected ' <addr> [<tick>] <message>')
 [7] Node 4.0.0.0:0 removed at time 7|unparsable logger address (expected ' <addr> [<tick>] <message>')
 9.9.9.9:0 [x] Node 1.0.0.0:0 joined at time 3|unparsable or out-of-range [tick] (at most 18 digits)
EOF
[ -z "$bad" ] || problem "wrong errors:$bad"
end

# A line without the frame that uses no reserved phrase says nothing a checker counts: skipped,
# as the classic framework's own logs need (a blank line after the header, a first entry
# written without its address, no line break at the end).
begin "unframed lines without a reserved phrase are skipped; a classic writer's log grades"
bad=""
(cd "$fixtures" && "$grader" full.log) >"$tmp/want" 2>&1
while IFS= read -r line; do
    awk -v line="$line" 'NR == 31 { print line; next } { print }' "$fixtures/full.log" >"$tmp/full.log"
    (cd "$tmp" && "$grader" full.log) >"$tmp/out" 2>&1 || bad+=$'\n'"      '$line': exit $?"
    cmp -s "$tmp/out" "$tmp/want" || bad+=$'\n'"      '$line': $(tail -n 1 "$tmp/out")"
done <<'EOF'

   
random garbage ]] [[ 1.2.3 :: no structure
\t Nodes were greeted in the morning
 9.9.9.9:0 [x] hello, this is not a membership line
 [0] Starting up group...
EOF
{ echo 131; echo; echo " [0] Starting up group..."; tail -n +2 "$fixtures/full.log"; } |
    head -c -1 >"$tmp/full.log"
(cd "$tmp" && "$grader" full.log) >"$tmp/out" 2>&1 || bad+=$'\n'"      classic writer: exit $?"
cmp -s "$tmp/out" "$tmp/want" || bad+=$'\n'"      classic writer: $(tail -n 1 "$tmp/out")"
[ -z "$bad" ] || problem "not graded like full.log:$bad"
end

# Logs of other builds of the classic framework: no header line, another port. Each is graded
# like the same log written by this simulator (a note on stderr for the missing header).
begin "a log without the header line is graded all the same, with a note"
mkdir -p "$tmp/hdr"
{ echo 131; cat "$fixtures/missing-header.log"; } >"$tmp/hdr/missing-header.log"
(cd "$tmp/hdr" && "$grader" missing-header.log) >"$tmp/want" 2>&1
want_rc=$?
(cd "$fixtures" && "$grader" missing-header.log) >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = "$want_rc" ] || problem "exit status $rc, with the header $want_rc"
cmp -s "$tmp/out" "$tmp/want" || problem "graded differently: $(tail -n 1 "$tmp/out")"
[ "$(cat "$tmp/err")" = "grade-membership: note: missing-header.log has no header line '131'; its first line is read as an entry" ] ||
    problem "stderr: $(cat "$tmp/err")"
end

begin "a log with another port (8001) grades like one with port 0"
sed 's/\([0-9]\):0\b/\1:8001/g' "$fixtures/full.log" >"$tmp/port.log"
grep -q '1.0.0.0:8001 \[' "$tmp/port.log" || problem "the test log has no port 8001"
(cd "$tmp" && "$grader" -q port.log) >"$tmp/out" 2>&1 || problem "exit status $?: $(cat "$tmp/out")"
[ "$(tail -n 1 "$tmp/out")" = "total ........... 30/30" ] || problem "$(cat "$tmp/out")"
end

begin "empty file"
run 2 empty.log
err_has "empty.log:1:"
end

begin "missing file"
run 2 no-such-dbg.log
err_has "no-such-dbg.log"
line_count 0
end

begin "missing default dbg.log"
run 2
err_has "dbg.log"
end

begin "--nodes adds a silent node"
run 1 --nodes 7 full.log
has_line "full.log: 7 nodes, 1 failed (4.0.0.0:0 at 100), 6 survivors"
has_line "join ............ 0/10"
has_line "  1.0.0.0:0 never logged the join of 7.0.0.0:0 (11 pairs missing in all)"
has_line "  ... and 6 more"
has_line "completeness .... 0/10"
has_line "total ........... 10/30"
end

begin "--nodes below the largest id"
run 2 -n 5 full.log
err_has "full.log:"
end

begin "quiet prints only the total"
run 1 -q join-missing.log
out_is <<<"total ........... 20/30"
end

begin "help"
run 0 --help
grep -q "usage: grade-membership" "$tmp/out" || problem "no usage line"
end

begin "unknown option"
run 2 --bogus full.log
err_has "unknown option"
end

begin "large log (1000 nodes, ~1.5M lines)"
make_large_log "$tmp/large.log"
(cd "$tmp" && "$grader" large.log) >"$tmp/out" 2>"$tmp/err"
status=$?
[ "$status" = 0 ] || problem "exit status $status, wanted 0: $(cat "$tmp/err")"
shown="100.0.0.0:0 at 500, 200.0.0.0:0 at 500, 44.1.0.0:0 at 500, 144.1.0.0:0 at 500"
shown+=", 244.1.0.0:0 at 500"
has_line "large.log: 1000 nodes, 10 failed ($shown, and 5 more), 990 survivors"
has_line "total ........... 30/30"
end

echo "grader: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
