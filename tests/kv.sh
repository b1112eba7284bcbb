#!/usr/bin/env bash
# tests/kv.sh APP GRADER_KV CHECK_STATE: scenario-level tests of the key-value store.
#   - the four classic CRUD testcases (testcases/{create,read,update,delete}.conf) on seeds
#     1..$SEEDS (default 20): each run graded by grade-kv at full marks, and its final-state dump
#     (--dump-state) passing check-state (every live key on exactly its 3 replicas with the
#     newest acknowledged value, deleted keys gone);
#   - determinism: the same seed twice gives byte-identical dbg.log and dump;
#   - --dump-state without a file name, or with a path that cannot be written: non-zero exit, a
#     message, an existing dbg.log untouched;
#   - NUM_KEYS: a 500-key READ run on 20 nodes grades fully and passes check-state; too few keys
#     for DELETE is refused with exit 2 and a file:line:col message;
#   - 100-node READ and UPDATE runs grade fully and pass check-state.
# Everything runs in a fresh temporary directory; the repository's logs are never touched.
# Prints "ok - NAME" / "not ok - NAME" (with indented details) per check, then
# "kv: N passed, M failed"; exits 1 if any check failed, 2 on a usage error.

set -u

if [ $# -ne 3 ]; then
    echo "usage: $0 APP GRADER_KV CHECK_STATE   (the Application, grade-kv and check-state)" >&2
    exit 2
fi

# abs PATH: PATH made absolute (the file must exist).
abs() {
    local d
    d=$(cd "$(dirname -- "$1")" 2>/dev/null && pwd) || return 1
    printf '%s/%s\n' "$d" "$(basename -- "$1")"
}

APP=$(abs "$1") && [ -f "$APP" ] && [ -x "$APP" ] || { echo "$0: no executable '$1'" >&2; exit 2; }
GRADER=$(abs "$2") && [ -f "$GRADER" ] && [ -x "$GRADER" ] || { echo "$0: no executable '$2'" >&2; exit 2; }
CHECK=$(abs "$3") && [ -f "$CHECK" ] && [ -x "$CHECK" ] || { echo "$0: no executable '$3'" >&2; exit 2; }

SEEDS=${SEEDS:-20}
case $SEEDS in
'' | *[!0-9]*) echo "$0: SEEDS must be a whole number, not '$SEEDS'" >&2; exit 2 ;;
esac
SEEDS=$((10#$SEEDS))

here=$(cd "$(dirname -- "$0")" && pwd)
root=$(dirname -- "$here")
cases=$root/testcases
tests=(create read update delete)
for c in "${tests[@]}"; do
    [ -f "$cases/$c.conf" ] || { echo "$0: missing $cases/$c.conf" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/kv.XXXXXX") || exit 2
trap 'chmod -R u+rwx "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM

# A run that hangs is a failure, not a stuck test suite.
if command -v timeout >/dev/null 2>&1; then
    limit=(timeout 120)
else
    limit=()
fi

passed=0
failed=0
name=""
problems=""

begin() {
    name=$1
    problems=""
}

# problem TEXT: records a failure of the current check (TEXT may hold several lines).
problem() {
    local line
    while IFS= read -r line; do
        problems+="    $line"$'\n'
    done <<<"$1"
}

end() {
    if [ -z "$problems" ]; then
        echo "ok - $name"
        passed=$((passed + 1))
    else
        echo "not ok - $name"
        printf '%s' "$problems"
        failed=$((failed + 1))
    fi
}

# show FILE [N]: the first N (default 6) lines of FILE, control characters made visible.
show() {
    head -n "${2:-6}" -- "$1" | cat -v
}

# run DIR ARGS...: runs APP with ARGS in DIR (created if needed), stdin closed; stdout and
# stderr go to DIR.out and DIR.err; the exit status is left in $rc.
rc=0
run() {
    local dir=$1
    shift
    mkdir -p -- "$dir"
    (cd -- "$dir" && exec ${limit[@]+"${limit[@]}"} "$APP" "$@") >"$dir.out" 2>"$dir.err" </dev/null
    rc=$?
}

# want_rc WANT WHAT DIR: the last run exited WANT, else a problem with its stderr.
want_rc() {
    if [ "$rc" != "$1" ]; then
        problem "$2: exit status $rc, wanted $1; stderr:"
        problem "$(show "$3.err" | sed 's/^/  /')"
        return 1
    fi
    return 0
}

# points TEST: grade-kv's maximum for a test.
points() {
    case $1 in
    create | delete) echo 15 ;;
    *) echo 30 ;;
    esac
}

# grade DIR TEST: grades DIR/dbg.log into DIR.grade; "" if at full marks, else why.
grade() {
    local dir=$1 max grc
    max=$(points "$2")
    (cd -- "$dir" && exec ${limit[@]+"${limit[@]}"} "$GRADER" dbg.log) >"$dir.grade" 2>&1 </dev/null
    grc=$?
    if [ "$grc" != 0 ] || ! grep -qx "dbg.log: $2 $max/$max" "$dir.grade" ||
        ! grep -qx "total: $max/$max" "$dir.grade"; then
        printf 'grade-kv exit status %s, %s' "$grc" \
            "$(grep -E '^total: ' "$dir.grade" | head -n 1 || true)"
    fi
}

# check DIR SUMMARY: runs check-state on DIR/state.txt and DIR/dbg.log into DIR.check; "" if
# it passes with a summary line matching the extended regex SUMMARY, else why.
check() {
    local dir=$1 want=$2 crc last
    (cd -- "$dir" && exec ${limit[@]+"${limit[@]}"} "$CHECK" state.txt dbg.log) >"$dir.check" 2>&1 </dev/null
    crc=$?
    last=$(tail -n 1 "$dir.check")
    if [ "$crc" != 0 ]; then
        printf 'check-state exit status %s' "$crc"
    elif ! [[ $last =~ $want ]]; then
        printf "check-state summary '%s' does not match /%s/" "$last" "$want"
    fi
}

# summary TEST: the check-state summary a classic run of TEST must end with.
summary() {
    local keys=100 deleted=0
    [ "$1" = delete ] && keys=50 deleted=50
    printf '^check-state: %s keys, [0-9]+ nodes: all on exactly their 3 replicas with the newest value; %s deleted keys absent' "$keys" "$deleted"
}

# join_list WORDS: "a, b, c" from the words, at most 10 shown.
join_list() {
    local -a a
    read -ra a <<<"$1"
    local n=${#a[@]}
    local IFS=,
    local s="${a[*]:0:10}"
    s=${s//,/, }
    [ "$n" -gt 10 ] && s+=", ... ($n in all)"
    printf '%s' "$s"
}

# ------------------------------------------------------------------------------------------
# 1. The classic CRUD testcases, seeds 1..SEEDS: grade-kv at full marks, check-state passes.

for c in "${tests[@]}"; do
    max=$(points "$c")
    graded_bad="" checked_bad="" graded_first="" checked_first=""
    for ((s = 1; s <= SEEDS; s++)); do
        d=$tmp/classic/$c/$s
        run "$d" "$cases/$c.conf" --seed "$s" --dump-state state.txt
        if [ "$rc" != 0 ]; then
            why="seed $s: Application exit status $rc; stderr: $(show "$d.err" 3)"
            graded_bad+=" $s" checked_bad+=" $s"
            [ -n "$graded_first" ] || graded_first=$why
            [ -n "$checked_first" ] || checked_first=$why
            continue
        fi
        why=$(grade "$d" "$c")
        if [ -n "$why" ]; then
            graded_bad+=" $s"
            [ -n "$graded_first" ] || graded_first=$(printf 'seed %s: %s; grade-kv report (testcases/%s.conf --seed %s):\n%s' \
                "$s" "$why" "$c" "$s" "$(show "$d.grade" 14)")
        fi
        why=$(check "$d" "$(summary "$c")")
        if [ -n "$why" ]; then
            checked_bad+=" $s"
            [ -n "$checked_first" ] || checked_first=$(printf 'seed %s: %s; check-state report (testcases/%s.conf --seed %s --dump-state):\n%s' \
                "$s" "$why" "$c" "$s" "$(show "$d.check" 12)")
        fi
    done
    nbad=$(wc -w <<<"$graded_bad")
    begin "$c: $((SEEDS - nbad))/$SEEDS seeds graded $max/$max by grade-kv"
    if [ "$nbad" -gt 0 ]; then
        problem "failing seeds: $(join_list "$graded_bad")"
        problem "$graded_first"
    fi
    end
    nbad=$(wc -w <<<"$checked_bad")
    begin "$c: $((SEEDS - nbad))/$SEEDS seeds' final states pass check-state"
    if [ "$nbad" -gt 0 ]; then
        problem "failing seeds: $(join_list "$checked_bad")"
        problem "$checked_first"
    fi
    end
done

# ------------------------------------------------------------------------------------------
# 2. Determinism: the same seed twice gives the same dbg.log and the same dump.

for c in "${tests[@]}"; do
    d=$tmp/det/$c
    begin "$c: the same seed twice gives an identical dbg.log and state dump"
    run "$d/a" "$cases/$c.conf" --seed 1 --dump-state state.txt; want_rc 0 "first run" "$d/a"
    run "$d/b" "$cases/$c.conf" --seed 1 --dump-state state.txt; want_rc 0 "second run" "$d/b"
    if [ -z "$problems" ]; then
        for f in dbg.log state.txt; do
            if [ ! -s "$d/a/$f" ]; then
                problem "$f is missing or empty"
            elif ! cmp -s "$d/a/$f" "$d/b/$f"; then
                problem "$f differs between two runs with --seed 1: $(cd "$d" && cmp "a/$f" "b/$f" 2>&1 | head -n 1)"
            fi
        done
    fi
    end
done

begin "read: seeds 1 and 2 give different dumps"
d=$tmp/det/read
run "$d/c" "$cases/read.conf" --seed 2 --dump-state state.txt
if want_rc 0 "run with --seed 2" "$d/c" && [ -f "$d/a/state.txt" ]; then
    ! cmp -s "$d/a/state.txt" "$d/c/state.txt" || problem "the dump is the same for --seed 1 and --seed 2"
fi
end

begin "--dump-state does not change dbg.log"
d=$tmp/det/nodump
run "$d" "$cases/update.conf" --seed 1
if want_rc 0 "run without --dump-state" "$d"; then
    cmp -s "$d/dbg.log" "$tmp/det/update/a/dbg.log" ||
        problem "dbg.log with and without --dump-state differ (testcases/update.conf --seed 1)"
    [ ! -e "$d/state.txt" ] || problem "state.txt written without --dump-state"
fi
end

# ------------------------------------------------------------------------------------------
# 3. --dump-state refusals: no file name, or a path that cannot be written.

# dump_fails LABEL WORDS ARGS...: APP ARGS (run where dbg.log holds "previous run") must exit
# non-zero with stderr matching the extended regex WORDS, leave dbg.log as it was and create
# neither stats.log nor msgcount.log.
dumpn=0
dump_fails() {
    local label=$1 words=$2
    shift 2
    dumpn=$((dumpn + 1))
    local d=$tmp/dump/$dumpn f
    begin "--dump-state $label: non-zero exit, a message, dbg.log untouched"
    mkdir -p "$d"
    mkdir -p "$d/adir"
    printf 'previous run\n' >"$d/dbg.log"
    run "$d" "$@"
    [ "$rc" != 0 ] || problem "exit status 0, wanted non-zero"
    [ "$rc" -lt 126 ] || problem "exit status $rc: a crash or a signal"
    if [ ! -s "$d.err" ]; then
        problem "nothing on stderr"
    else
        grep -Eiq -- "$words" "$d.err" || problem "stderr does not name the problem (/$words/):"$'\n'"$(show "$d.err" 3)"
    fi
    [ "$(cat "$d/dbg.log")" = "previous run" ] || problem "dbg.log was changed"
    for f in stats.log msgcount.log; do
        [ ! -e "$d/$f" ] || problem "$f was created"
    done
    end
}

conf=$cases/read.conf
dump_fails "without a file name (last argument)" 'dump-state' "$conf" --seed 1 --dump-state
dump_fails "= with an empty file name" 'dump-state' "$conf" --seed 1 --dump-state=
dump_fails "in a missing directory" 'nodir/state\.txt' "$conf" --seed 1 --dump-state nodir/state.txt
dump_fails "naming a directory" 'adir' "$conf" --seed 1 --dump-state adir

if [ -w /dev/full ]; then
    begin "--dump-state /dev/full (a full disk): non-zero exit and a message"
    d=$tmp/dump/full
    run "$d" "$conf" --seed 1 --dump-state /dev/full
    [ "$rc" != 0 ] || problem "exit status 0, wanted non-zero"
    [ "$rc" -lt 126 ] || problem "exit status $rc: a crash or a signal"
    grep -q '/dev/full' "$d.err" || problem "stderr does not name /dev/full:"$'\n'"$(show "$d.err" 3)"
    end
fi

# ------------------------------------------------------------------------------------------
# 4. NUM_KEYS.

begin "NUM_KEYS: 500 (MAX_NNB: 20, CRUD_TEST: READ) grades 30/30 and passes check-state"
d=$tmp/numkeys/500
mkdir -p "$d"
printf 'MAX_NNB: 20\nCRUD_TEST: READ\nNUM_KEYS: 500\n' >"$d.conf"
for s in 1 2 3; do
    run "$d/$s" "$d.conf" --seed "$s" --dump-state state.txt
    want_rc 0 "--seed $s" "$d/$s" || continue
    why=$(grade "$d/$s" read)
    [ -z "$why" ] || problem "--seed $s: $why:"$'\n'"$(show "$d/$s.grade" 12)"
    why=$(check "$d/$s" '^check-state: 500 keys, [0-9]+ nodes: all on exactly their 3 replicas with the newest value; 0 deleted keys absent')
    [ -z "$why" ] || problem "--seed $s: $why:"$'\n'"$(show "$d/$s.check" 8)"
    n=$(grep -c ' CREATE OPERATION KEY: ' "$d/$s/dbg.log")
    [ "$n" = 500 ] || problem "--seed $s: $n CREATE OPERATION lines, wanted 500"
done
end

begin "NUM_KEYS: 51 (the fewest DELETE needs) grades 15/15; 1 key left, 50 deleted"
d=$tmp/numkeys/51
mkdir -p "$d"
printf 'MAX_NNB: 10\nCRUD_TEST: DELETE\nNUM_KEYS: 51\n' >"$d.conf"
run "$d/1" "$d.conf" --seed 1 --dump-state state.txt
if want_rc 0 "--seed 1" "$d/1"; then
    why=$(grade "$d/1" delete)
    [ -z "$why" ] || problem "$why:"$'\n'"$(show "$d/1.grade" 12)"
    why=$(check "$d/1" '^check-state: 1 key, [0-9]+ nodes: all on exactly their 3 replicas with the newest value; 50 deleted keys absent')
    [ -z "$why" ] || problem "$why:"$'\n'"$(show "$d/1.check" 8)"
fi
end

begin "NUM_KEYS: 50 with CRUD_TEST: DELETE is refused: exit 2, file:line:col, dbg.log untouched"
d=$tmp/numkeys/50
mkdir -p "$d"
printf 'MAX_NNB: 10\nCRUD_TEST: DELETE\nNUM_KEYS: 50\n' >"$d/t.conf"
printf 'previous run\n' >"$d/dbg.log"
run "$d" t.conf --seed 1 --dump-state state.txt
[ "$rc" = 2 ] || problem "exit status $rc, wanted 2"
[ ! -s "$d.out" ] || problem "stdout is not empty:"$'\n'"$(show "$d.out" 3)"
if [ "$(wc -l <"$d.err")" != 1 ]; then
    problem "stderr is not exactly one line:"$'\n'"$(show "$d.err")"
fi
msg=$(head -n 1 "$d.err")
[[ $msg =~ ^t\.conf:3:[0-9]+:\ .*NUM_KEYS.*50 ]] ||
    problem "stderr is not 't.conf:3:<col>: ...NUM_KEYS...50...': $(printf '%s' "$msg" | cat -v)"
[ "$(cat "$d/dbg.log")" = "previous run" ] || problem "dbg.log was changed"
for f in stats.log msgcount.log state.txt; do
    [ ! -e "$d/$f" ] || problem "$f was created"
done
end

# ------------------------------------------------------------------------------------------
# 5. 100 nodes.

for c in read update; do
    max=$(points "$c")
    begin "$c on 100 nodes: graded $max/$max and passes check-state"
    d=$tmp/big/$c
    mkdir -p "$d"
    printf 'MAX_NNB: 100\nCRUD_TEST: %s\n' "${c^^}" >"$d.conf"
    run "$d/1" "$d.conf" --seed 1 --dump-state state.txt
    if want_rc 0 "--seed 1" "$d/1"; then
        why=$(grade "$d/1" "$c")
        [ -z "$why" ] || problem "$why:"$'\n'"$(show "$d/1.grade" 14)"
        why=$(check "$d/1" "$(summary "$c")")
        [ -z "$why" ] || problem "$why:"$'\n'"$(show "$d/1.check" 8)"
        n=$(grep -c '^node ' "$d/1/state.txt")
        [ "$n" -ge 90 ] || problem "only $n live nodes in the dump"
    fi
    end
done

# ------------------------------------------------------------------------------------------

echo "kv: $passed passed, $failed failed"
[ "$failed" = 0 ]
