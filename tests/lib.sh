# tests/lib.sh: the check helpers of the newer test scripts (sourced). A check is
#   begin "NAME"; ...; problem "TEXT" (any number of times); end
# and prints "ok - NAME", or "not ok - NAME" with the problems indented on stderr. The script
# closes with summary NAME: "NAME: N passed, M failed[, K skipped]", and its exit status.
passed=0 failed=0 skipped=0 problems="" name=""

begin() { name=$1; problems=""; }
problem() { problems="$problems$1"$'\n'; }
end() {
    if [ -z "$problems" ]; then
        echo "ok - $name"; passed=$((passed + 1))
    else
        echo "not ok - $name"; printf '%s' "$problems" | sed 's/^/    /' >&2; failed=$((failed + 1))
    fi
}
# skip NAME WHY: a check that cannot run here.
skip() { echo "ok - $1 # SKIP $2"; skipped=$((skipped + 1)); }
summary() {
    if [ "$skipped" -gt 0 ]; then
        echo "$1: $passed passed, $failed failed, $skipped skipped"
    else
        echo "$1: $passed passed, $failed failed"
    fi
    [ "$failed" -eq 0 ]
}
