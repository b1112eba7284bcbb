#!/usr/bin/env bash
# tests/report.sh APP: the HTML report (--report), checked in a real browser. Every example
# scenario's report is rendered by headless Chromium (--dump-dom): the DOM must have every view,
# as many verdict rows as the run printed PASS/FAIL lines, one table row per node, the failures
# of the run, and (for key-value runs with named keys) a message diagram; a few are also
# screenshotted (a non-trivial PNG). Each run also writes a trace (--trace with --report), which
# jq must parse. A truncated report must fail the same check. The report
# fetches nothing and runs no script. Prints "ok - NAME" / "not ok - NAME", then
# "report: N passed, M failed".
set -u
[ $# -eq 1 ] || { echo "usage: $0 APP" >&2; exit 2; }
abs() { (cd "$(dirname -- "$1")" && printf '%s/%s\n' "$(pwd)" "$(basename -- "$1")"); }
app=$(abs "$1")
here=$(cd "$(dirname "$0")" && pwd)
cases=$here/../testcases
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "report: chromium is missing (tools/ensure-deps chromium)" >&2; exit 2; }
work=$(mktemp -d) || exit 2
trap 'rm -rf "$work"' EXIT
# shellcheck source=lib.sh
. "$here/lib.sh"

# Headless Chromium without a sandbox (tests may run as root), a profile of its own, no network,
# shared memory in /tmp (containers and chroots often have no usable /dev/shm).
chrome() {
    timeout 60 "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage --hide-scrollbars \
        --no-first-run --user-data-dir="$work/profile" --proxy-server=127.0.0.1:9 "$@" \
        2>>"$work/chromium.log"
}

# check_dom DOM RUN_OUT NODES FAILED KV FOCUS: what the browser built from the report.
check_dom() {
    local dom=$1 out=$2 nodes=$3 nfail=$4 kv=$5 focus=$6 sec n want
    [ -s "$dom" ] || { problem "the browser produced no DOM: $(tail -n 2 "$work/chromium.log" 2>/dev/null)"; return; }
    for sec in summary membership traffic ring nodes; do
        grep -q "<section id=\"$sec\">" "$dom" || problem "no '$sec' view"
    done
    if [ "$kv" = 1 ]; then
        grep -q '<section id="operations">' "$dom" || problem "no 'operations' view"
    fi
    grep -q '</body></html>' "$dom" || problem "the page does not end"
    n=$(grep -o '<td>PASS</td>' "$dom" | wc -l)
    want=$(grep -c '^PASS ' "$out")
    [ "$n" = "$want" ] || problem "$n PASS rows, the run printed $want PASS lines"
    n=$(grep -o '<td>FAIL</td>' "$dom" | wc -l)
    want=$(grep -c '^FAIL ' "$out")
    [ "$n" = "$want" ] || problem "$n FAIL rows, the run printed $want FAIL lines"
    n=$(grep -oE '<td>(running|down|never started)</td></tr>' "$dom" | wc -l)
    want=$((nodes < 1000 ? nodes : 1000))
    [ "$n" = "$want" ] || problem "$n rows in the node table, expected $want"
    grep -q "<th>failures</th><td>$nfail</td>" "$dom" || problem "the summary does not say $nfail failures"
    if [ "$focus" = 1 ]; then
        grep -q '<figure class="seq">' "$dom" || problem "no message sequence diagram"
    fi
    if grep -qiE '<script|https?://' "$dom"; then problem "the report has a script or a URL"; fi
}

# report_case FILE SEED: runs FILE with --report, renders it, checks it.
report_case() {
    local f=$1 seed=$2 d nodes nfail kv focus
    d=$work/$(basename "$f" .conf)
    mkdir -p "$d"
    (cd "$d" && "$app" "$f" --seed "$seed" --report r.html --trace t.jsonl >run.out 2>run.err)
    local rc=$?
    [ "$rc" = 0 ] || [ "$rc" = 3 ] || { problem "$(basename "$f"): exit $rc"; return; }
    jq -c . "$d/t.jsonl" >/dev/null 2>&1 || problem "$(basename "$f"): jq cannot parse its trace"
    nodes=$(grep -o 'nodes=[0-9]*' "$d/stats.log" | head -n 1 | cut -d= -f2)
    nfail=$(grep -c 'Node failed at time=' "$d/dbg.log")
    kv=0
    grep -q 'operations_ok=\|ops_ok=\|coordinator: ' "$d/dbg.log" && kv=1
    focus=0
    grep -qE '^(at|from) .* (create|read|update|delete) [^ ]+.* expect ' "$f" && focus=1
    chrome --dump-dom "file://$d/r.html" >"$d/dom.html"
    local before=$problems
    check_dom "$d/dom.html" "$d/run.out" "$nodes" "$nfail" "$kv" "$focus"
    [ "$problems" = "$before" ] || problems="$problems(in $(basename "$f"))"$'\n'
}

begin "every example scenario: the browser renders its report with every view and the run's numbers"
for f in "$cases"/*.conf; do
    report_case "$f" 1
done
end

begin "partition-heal.conf --seed 3 and a 1,000-node key-value run: reports under 5 MB, screenshots"
report_case "$cases/partition-heal.conf" 3
printf 'MAX_NNB: 1000\nCRUD_TEST: READ\n' >"$work/read1000.conf"
report_case "$work/read1000.conf" 1
for d in "$work/partition-heal" "$work/read1000"; do
    size=$(wc -c <"$d/r.html")
    [ "$size" -lt 5000000 ] || problem "$(basename "$d"): report of $size bytes"
    chrome --window-size=1000,2000 --screenshot="$d/shot.png" "file://$d/r.html" >/dev/null
    [ -s "$d/shot.png" ] && [ "$(wc -c <"$d/shot.png")" -gt 30000 ] ||
        problem "$(basename "$d"): screenshot missing or trivial ($(wc -c <"$d/shot.png" 2>/dev/null) bytes)"
    head -c 8 "$d/shot.png" | od -An -c | grep -q 'P   N   G' || problem "$(basename "$d"): not a PNG"
done
grep -q '<section id="sequences">' "$work/partition-heal/dom.html" || problem "partition-heal: no diagrams"
end

begin "a key-value run that ends holding no key: the report renders (the ring has no keys)"
printf 'MAX_NNB: 3\nTICKS: 60\nat 20 read nokey\nat 30 delete nokey\n' >"$work/nokeys.conf"
report_case "$work/nokeys.conf" 1
grep -q '0 keys (ticks inside)' "$work/nokeys/dom.html" || problem "the ring does not say 0 keys"
end

begin "a malformed report (cut in half) fails the browser check"
d=$work/partition-heal
head -c $(($(wc -c <"$d/r.html") / 2)) "$d/r.html" >"$d/half.html"
chrome --dump-dom "file://$d/half.html" >"$d/half.dom"
saved=$problems
check_dom "$d/half.dom" "$d/run.out" 10 0 1 1
if [ "$problems" = "$saved" ]; then
    problems="$saved""the check accepted a truncated report"$'\n'
else
    problems=$saved
fi
end

begin "--report-key: operations on that key get diagrams; without it, a run with no expectations has none"
d=$work/key
mkdir -p "$d"
(cd "$d" && "$app" "$cases/create.conf" --seed 1 --report plain.html >/dev/null 2>&1)
grep -q '<figure class="seq">' "$d/plain.html" && problem "diagrams without expectations or --report-key"
key=$(grep -m1 -o 'CREATE OPERATION KEY: [^ ]*' "$d/dbg.log" | awk '{print $4}')
(cd "$d" && "$app" "$cases/create.conf" --seed 1 --report keyed.html --report-key "$key" >/dev/null 2>&1)
grep -q "<figcaption>txid [0-9]*: create $key via" "$d/keyed.html" || problem "no diagram for key $key"
(cd "$d" && "$app" "$cases/create.conf" --seed 1 --report-key "$key" >/dev/null 2>"$d/err"; echo $? >"$d/rc")
[ "$(cat "$d/rc")" = 2 ] || problem "--report-key without --report: exit $(cat "$d/rc")"
end

summary report
