#!/usr/bin/env bash
# tests/test_grade_kv.sh: checks the KV grader (tools/grade_kv.c) on the logs in tests/grader-kv/.
# Builds it into a temp dir unless $GRADER_KV names a built grader; prints "ok - name" per case.

set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
fixtures=$here/grader-kv
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

# run_tmp STATUS ARGS...: the same from the temp dir, for generated logs.
run_tmp() {
    local want=$1 got
    shift
    (cd "$tmp" && "$grader" "$@") >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" = "$want" ] || problem "exit status $got, wanted $want"
}

# has_line TEXT: stdout has a line that is exactly TEXT.
has_line() {
    grep -qxF -- "$1" "$tmp/out" || problem "no stdout line '$1'"
}

# has_match REGEX: stdout has a line matching the extended REGEX.
has_match() {
    grep -qE -- "$1" "$tmp/out" || problem "no stdout line matching '$1'"
}

# err_has TEXT: stderr mentions TEXT.
err_has() {
    grep -qF -- "$1" "$tmp/err" || problem "stderr lacks '$1'"
}

# out_is: stdout equals standard input exactly.
out_is() {
    diff -u - "$tmp/out" >"$tmp/diff" || problem "stdout differs:"$'\n'"$(cat "$tmp/diff")"
}

# no_stdout: nothing was printed on stdout.
no_stdout() {
    [ ! -s "$tmp/out" ] || problem "stdout not empty: $(head -n 3 "$tmp/out")"
}

# checks_of TEST: the checks of a test as "name:max" words.
checks_of() {
    case $1 in
    create) echo "create_replicas:10 create_no_others:5" ;;
    delete) echo "delete_replicas:10 delete_invalidKey:5" ;;
    *) echo "step1_success:5 step2_success:5 step3_fail:5 step4_success:5 step5_success:5" \
        "step5_invalidKey:5" ;;
    esac
}

# graded FILE TEST LOST...: FILE was graded as TEST; the named checks (spaces as '_') scored 0,
# every other check full marks, and the file line and the total line carry the sum.
graded() {
    local file=$1 test=$2 got=0 max=0 item check points line
    shift 2
    for item in $(checks_of "$test"); do
        check=${item%:*} points=${item#*:}
        max=$((max + points))
        line=$(grep -E "^${check//_/ } \.+ [0-9]+/$points\$" "$tmp/out")
        if [[ " $* " == *" $check "* ]]; then
            [[ $line == *" 0/$points" ]] || problem "wanted ${check//_/ } 0/$points, got '$line'"
        else
            [[ $line == *" $points/$points" ]] ||
                problem "wanted ${check//_/ } $points/$points, got '$line'"
            got=$((got + points))
        fi
    done
    has_line "$file: $test $got/$max"
    has_line "total: $got/$max"
}

build_grader() {
    begin "grader builds without warnings"
    grader=$tmp/grade-kv
    if ! gcc -std=c11 -O2 -Wall -Wextra -D_POSIX_C_SOURCE=200809L -I"$root/tools" -o "$grader" \
        "$root/tools/grade_kv.c" "$root/tools/dbglog.c" 2>"$tmp/build"; then
        problem "build failed: $(cat "$tmp/build")"
    elif [ -s "$tmp/build" ]; then
        problem "warnings: $(cat "$tmp/build")"
    fi
    end
    [ -x "$grader" ] || {
        echo "grade-kv: $passed passed, $((failed + 1)) failed"
        exit 1
    }
}

if [ -n "${GRADER_KV:-}" ]; then
    grader=$GRADER_KV
    [[ $grader == */* && $grader != /* ]] && grader=$PWD/$grader
else
    build_grader
fi

# ------------------------------------------------------------ full marks

begin "create: full marks"
run 0 create-full.log
out_is <<'EOF'
create-full.log: create test, 3 keys created
create replicas ..... 10/10
create no others .... 5/5
create-full.log: create 15/15
total: 15/15
EOF
end

begin "read: full marks"
run 0 read-full.log
out_is <<'EOF'
read-full.log: read test, key 0QOnn value value8, operations at 150, 175, 225, 275, 285, invalidKey at 285
step1 success ....... 5/5
step2 success ....... 5/5
step3 fail .......... 5/5
step4 success ....... 5/5
step5 success ....... 5/5
step5 invalidKey .... 5/5
read-full.log: read 30/30
total: 30/30
EOF
end

begin "delete: full marks"
run 0 delete-full.log
has_line "delete-full.log: delete test, 2 keys deleted, and a delete of invalidKey"
graded delete-full.log delete
end

begin "update: full marks"
run 0 update-full.log
has_match "^update-full.log: update test, key AbC12 value newValue, operations at 150, 175, 225, "
graded update-full.log update
end

begin "all four: 90/90"
run 0 create-full.log delete-full.log read-full.log update-full.log
has_line "create replicas ..... 10/10"
has_line "step3 fail .......... 5/5"
has_line "create-full.log: create 15/15"
has_line "read-full.log: read 30/30"
has_line "delete-full.log: delete 15/15"
has_line "update-full.log: update 30/30"
has_line "total: 90/90"
end

begin "all four, quiet"
run 0 -q create-full.log delete-full.log read-full.log update-full.log
out_is <<'EOF'
create-full.log: create 15/15
delete-full.log: delete 15/15
read-full.log: read 30/30
update-full.log: update 30/30
total: 90/90
EOF
end

begin "all four, one step lost: 85/90"
run 1 --quiet update-full.log read-step1-two.log create-full.log delete-full.log
out_is <<'EOF'
update-full.log: update 30/30
read-step1-two.log: read 25/30
create-full.log: create 15/15
delete-full.log: delete 15/15
total: 85/90
EOF
end

begin "two runs of one test: the maxima add up"
run 1 -q read-full.log read-invalid-two.log
has_line "total: 55/60"
end

# ------------------------------------------------------------ create

begin "create: a key with 2 server lines"
run 1 create-missing-server.log
graded create-missing-server.log create create_replicas
has_line "  key 0QOnn (line 7): 2 server + 1 coordinator create success lines, wanted 3 + 1 (lines 10, 11, 18)"
end

begin "create: 4 server lines and no coordinator line"
run 1 create-no-coordinator.log
graded create-no-coordinator.log create create_replicas
has_line "  key AbC12 (line 8): 4 server + 0 coordinator create success lines, wanted 3 + 1 (lines 13, 14, 15, 20)"
end

begin "create: a create fail line"
run 1 create-fail-line.log
graded create-fail-line.log create create_no_others
has_line "  coordinator create fail line for key zz9Yx (line 22)"
end

begin "create: success lines for keys never created (AbC123 and AbC1 are not AbC12)"
run 1 create-stray-keys.log
graded create-stray-keys.log create create_no_others
has_line "  server create success line for key AbC123, which was never created (line 21)"
has_line "  server create success line for key AbC1, which was never created (line 22)"
end

begin "create: a 5th success line with another value"
run 1 create-wrong-value.log
graded create-wrong-value.log create create_no_others
has_line "  server create success line for key 0QOnn with value value80, created with value value8 (line 13)"
end

begin "create: a key created twice"
run 1 create-duplicate-op.log
graded create-duplicate-op.log create create_replicas
has_line "  key AbC12 has 2 CREATE OPERATION lines (lines 8, 10), wanted one"
end

begin "create: the largest tick (18 digits) on a result line and a membership line"
run 0 create-huge-ticks.log
graded create-huge-ticks.log create
end

begin "create: a 19-digit tick on a membership line is an error like any other line's"
sed 's/\[999999999999999999\] Node/[9999999999999999999] Node/' \
    "$fixtures/create-huge-ticks.log" >"$tmp/tick19.log"
run_tmp 2 tick19.log
err_has "tick19.log:23: unparsable or out-of-range [tick] (at most 18 digits)"
no_stdout
end

# ------------------------------------------------------------ delete

begin "delete: a key with 3 server lines and a coordinator fail"
run 1 delete-missing-success.log
graded delete-missing-success.log delete delete_replicas
has_line "  key zz9Yx (line 23): 3 server + 0 coordinator delete success lines, wanted 3 + 1 (lines 28, 29, 30)"
end

begin "delete: 3 invalidKey fail lines (invalidKey2 is another key)"
run 1 delete-invalid-count.log
graded delete-invalid-count.log delete delete_invalidKey
has_line "  3 delete fail lines with key=invalidKey, wanted exactly 4 (lines 31, 32, 36)"
end

# ------------------------------------------------------------ read

begin "read: step 1 with 2 success lines"
run 1 read-step1-two.log
graded read-step1-two.log read step1_success
has_line "  step 1 [150, 175): 2 read success lines with key=0QOnn value=value8, wanted 3 or 4 (lines 23, 24)"
end

begin "read: a line at tick 175 belongs to step 2, not step 1"
run 1 read-window-edge.log
graded read-window-edge.log read step2_success
has_line "  step 2 [175, 225): 4 read success lines with key=0QOnn value=value8, wanted exactly 3 (lines 25, 29, 30, 31)"
end

begin "read: step 3 fail line is a server's"
run 1 read-step3-server.log
graded read-step3-server.log read step3_fail
has_line "  step 3 [225, 275): the one read fail line with key=0QOnn is a server's (line 36), wanted the coordinator's"
end

begin "read: step 3 with two fail lines"
run 1 read-step3-two-fails.log
graded read-step3-two-fails.log read step3_fail
has_line "  step 3 [225, 275): 2 read fail lines with key=0QOnn, wanted exactly 1, the coordinator's (lines 35, 37)"
end

begin "read: step 4 reads another value"
run 1 read-wrong-value.log
graded read-wrong-value.log read step4_success
has_line "  step 4 [275, 285): 0 read success lines with key=0QOnn value=value8, wanted 3 or 4; 4 with another value"
end

begin "read: 2 invalidKey fail lines"
run 1 read-invalid-two.log
graded read-invalid-two.log read step5_invalidKey
has_line "  step 5 [285, end]: 2 read fail lines with key=invalidKey, wanted 3 or 4 (lines 48, 50)"
end

begin "read: lines for keys 0QOnnA, 0QOn, 0qonn, value80 and update lines do not count"
run 0 read-prefix-keys.log
graded read-prefix-keys.log read
end

begin "read: 4 operations on the key, so no step is graded"
run 1 read-four-ops.log
graded read-four-ops.log read step1_success step2_success step3_fail step4_success \
    step5_success step5_invalidKey
has_match "^read-four-ops.log: read test, but its READ OPERATION lines do not have the expected shape"
has_line "  4 READ OPERATION lines for key 0QOnn, wanted 5 (lines 22, 28, 34, 42)"
end

begin "read: invalidKey read not at the 5th operation's tick"
run 1 read-invalid-late.log
graded read-invalid-late.log read step1_success step2_success step3_fail step4_success \
    step5_success step5_invalidKey
has_line "  READ OPERATION for invalidKey at 290 (line 44), wanted 285, the tick of the 5th on key 0QOnn"
end

# ------------------------------------------------------------ update

begin "update: step 5 with 1 success line"
run 1 update-step5-low.log
graded update-step5-low.log update step5_success
has_line "  step 5 [285, end]: 1 update success line with key=AbC12 value=newValue, wanted 3 or 4 (line 48)"
end

begin "update: a line at tick 225 is past step 2's window [175, 225)"
run 1 update-late-coordinator.log
graded update-late-coordinator.log update step2_success
has_line "  step 2 [175, 225): 2 update success lines with key=AbC12 value=newValue, wanted exactly 3 (lines 29, 30)"
end

begin "update: step 3 without the coordinator's fail"
run 1 update-step3-missing.log
graded update-step3-missing.log update step3_fail
has_line "  step 3 [225, 275): 0 update fail lines with key=AbC12, wanted exactly 1, the coordinator's"
end

begin "update: invalidKey failures logged as read fail do not count"
run 1 update-invalid-as-read.log
graded update-invalid-as-read.log update step5_invalidKey
has_line "  step 5 [285, end]: 0 update fail lines with key=invalidKey, wanted 3 or 4"
end

# ------------------------------------------------------------ robustness

begin "CRLF line endings: all four at full marks"
for f in create-full delete-full read-full update-full; do
    sed 's/$/\r/' "$fixtures/$f.log" >"$tmp/$f-crlf.log"
done
run_tmp 0 -q create-full-crlf.log delete-full-crlf.log read-full-crlf.log update-full-crlf.log
has_line "total: 90/90"
end

begin "binary garbage (NUL, 0xff, ESC) in the message of a line is ignored"
{
    head -n 20 "$fixtures/read-full.log"
    printf ' 1.0.0.0:0 [5] \x00\xff\xfe garbage \x1b[31m\x00\n 1.0.0.0:0 [5] \xff\xff\xff\n'
    printf ' 1.0.0.0:0 [5] \x00\n 1.0.0.0:0 [5] '
    head -c 3000 /dev/urandom | tr -d '\n' | LC_ALL=C tr -d 'oOsSfF'
    printf '\n'
    tail -n +21 "$fixtures/read-full.log"
} >"$tmp/garbage.log"
run_tmp 0 garbage.log
graded garbage.log read
end

begin "an unframed line without a reserved phrase (binary garbage, blank) is skipped"
{
    head -n 20 "$fixtures/read-full.log"
    printf '\xff\xff\xff\n\n   \n'
    tail -n +21 "$fixtures/read-full.log"
} >"$tmp/garbage.log"
run_tmp 0 garbage.log
graded garbage.log read
end

begin "an unframed line with a reserved phrase is an error naming the line"
{
    head -n 20 "$fixtures/read-full.log"
    printf 'server: read success at time 160, transID=7, key=0QOnn, value=value8\n'
    tail -n +21 "$fixtures/read-full.log"
} >"$tmp/garbage.log"
run_tmp 2 garbage.log
err_has "garbage.log:21: line does not start with a single space"
no_stdout
end

begin "a NUL byte inside a key is an error naming the line"
{
    head -n 11 "$fixtures/create-full.log"
    printf ' 5.0.0.0:0 [101] server: create success at time 101, transID=0, key=0Q\x00Onn, value=value8\n'
    tail -n +12 "$fixtures/create-full.log"
} >"$tmp/nul-key.log"
run_tmp 2 nul-key.log
err_has "nul-key.log:12: control character in the key"
no_stdout
end

begin "a 2 MB line is ignored, a 1 MB key is graded and shortened"
{
    head -n 5 "$fixtures/create-full.log"
    printf ' 1.0.0.0:0 [5] '
    head -c 2000000 /dev/zero | tr '\0' 'x'
    printf '\n 2.0.0.0:0 [101] server: create success at time 101, transID=7, key='
    head -c 1000000 /dev/zero | tr '\0' 'k'
    printf ', value=value8\n'
    tail -n +6 "$fixtures/create-full.log"
} >"$tmp/long.log"
run_tmp 1 long.log
graded long.log create create_no_others
has_line "  server create success line for key kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk..., which was never created (line 7)"
end

begin "a long line that mentions an operation must parse"
{
    head -n 5 "$fixtures/create-full.log"
    printf ' 1.0.0.0:0 [5] '
    head -c 500000 /dev/zero | tr '\0' 'y'
    printf ' OPERATION\n'
    tail -n +6 "$fixtures/create-full.log"
} >"$tmp/long-op.log"
run_tmp 2 long-op.log
err_has "long-op.log:6: the message uses 'operation', which the log format reserves"
end

begin "a log without a final newline"
head -c -1 "$fixtures/update-full.log" >"$tmp/no-eol.log"
run_tmp 0 no-eol.log
graded no-eol.log update
end

# ------------------------------------------------------------ invalid input

begin "missing fields: a result line without key"
run 2 bad-missing-key.log
err_has "bad-missing-key.log:12: expected ', key=<k>' after the transID"
no_stdout
end

begin "missing fields: an OPERATION line without key"
run 2 bad-op-no-key.log
err_has "bad-op-no-key.log:9:"
end

begin "a 40-digit tick on a result line"
run 2 bad-huge-tick.log
err_has "bad-huge-tick.log:12: unparsable or out-of-range [tick]"
end

begin "'Server:' is not 'server:' (case-sensitive)"
run 2 bad-case.log
err_has "bad-case.log:12: the message uses 'create success', which the log format reserves"
end

# A log of another build of the classic framework has no header line: graded all the same.
begin "missing header: graded like the same log with it, with a note"
mkdir -p "$tmp/hdr"
{ echo 131; cat "$fixtures/missing-header.log"; } >"$tmp/hdr/missing-header.log"
(cd "$tmp/hdr" && "$grader" missing-header.log) >"$tmp/want" 2>&1
want_rc=$?
(cd "$fixtures" && "$grader" missing-header.log) >"$tmp/out" 2>"$tmp/err"
rc=$?
[ "$rc" = "$want_rc" ] || problem "exit status $rc, with the header $want_rc"
# (line numbers in the report differ by the header line, the grades do not)
[ "$(tail -n 1 "$tmp/out")" = "$(tail -n 1 "$tmp/want")" ] ||
    problem "graded differently: $(tail -n 1 "$tmp/out"), with the header $(tail -n 1 "$tmp/want")"
[ "$(cat "$tmp/err")" = "grade-kv: note: missing-header.log has no header line '131'; its first line is read as an entry" ] ||
    problem "stderr: $(cat "$tmp/err")"
end

begin "empty file"
run 2 empty.log
err_has "empty.log:1: empty file"
end

begin "no OPERATION line"
run 2 no-operations.log
err_has "no-operations.log: no OPERATION line"
end

begin "one bad file among good ones: no grades"
run 2 create-full.log bad-case.log read-full.log
err_has "bad-case.log:12:"
no_stdout
end

begin "missing file"
run 2 create-full.log no-such-dbg.log
err_has "cannot open no-such-dbg.log"
no_stdout
end

begin "a directory"
run 2 .
err_has "grade-kv: .:"
no_stdout
end

# ------------------------------------------------------------ command line

begin "no file"
run 2
err_has "no dbg.log given"
end

begin "unknown option"
run 2 --bogus create-full.log
err_has "unknown option '--bogus'"
no_stdout
end

begin "help"
run 0 --help
grep -q "^usage: grade-kv \[-q\] DBG_LOG\.\.\.$" "$tmp/out" || problem "no usage line"
end

begin "-- ends the options"
cp "$fixtures/create-full.log" "$tmp/-q"
run_tmp 0 -- -q
has_line "-q: create 15/15"
has_match "^create replicas"
end

echo "grade-kv: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
