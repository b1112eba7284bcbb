#!/usr/bin/env bash
# tests/deps.sh: tools/ensure-deps without installing anything. Packages are made "absent" by a
# PATH that hides their programs (jq, chromium) or a compiler that cannot find the C headers;
# the root path is checked with --dry-run, the ordinary-user path by running as user nobody
# (or as the current user when it is not root). Prints "ok - NAME" / "not ok - NAME", then
# "deps: N passed, M failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d) || exit 2
chmod 755 "$work"
trap 'rm -rf "$work"' EXIT
# A copy the ordinary user can read and run (the checkout may be in root's home, mode 700).
deps=$work/ensure-deps
cp "$here/../tools/ensure-deps" "$deps" && chmod 755 "$deps" || exit 2
# shellcheck source=lib.sh
. "$here/lib.sh"

# A PATH with the usual tools but without jq and chromium.
bin=$work/bin
mkdir -p "$bin"
for t in sh bash cat id mktemp tail rm printf gcc cc pkg-config apt-get sudo sed; do
    p=$(command -v "$t" 2>/dev/null) && ln -s "$p" "$bin/$t"
done
# A compiler without the C library's headers (gcc installed without libc6-dev).
cat >"$bin/nohdr-cc" <<'EOF'
#!/bin/sh
echo "<stdin>:1:10: fatal error: errno.h: No such file or directory" >&2
exit 1
EOF
chmod 755 "$bin/nohdr-cc"

# as_user CMD...: runs CMD as an ordinary user; output in $work/out, status in $rc.
as_user() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u nobody -- env PATH="$bin" CC="${CC:-gcc}" "$@" >"$work/out" 2>&1
    else
        env PATH="$bin" CC="${CC:-gcc}" "$@" >"$work/out" 2>&1
    fi
    rc=$?
}

begin "everything present: exit 0, nothing printed"
out=$("$deps" libcrypto jansson cunit 2>&1)
rc=$?
[ "$rc" = 0 ] && [ -z "$out" ] || problem "exit $rc, output: $out"
end

begin "--dry-run as root (or the user): one line naming every missing package, nothing installed"
out=$(env PATH="$bin" "$deps" --dry-run libcrypto jq chromium 2>&1)
rc=$?
[ "$rc" = 0 ] || problem "exit $rc"
if [ "$(id -u)" = 0 ]; then
    echo "$out" | grep -q "^ensure-deps: missing jq chromium; would run: apt-get update && apt-get install -y --no-install-recommends jq chromium$" ||
        problem "output: $out"
else
    echo "$out" | grep -q "su -c 'apt-get update && apt-get install -y --no-install-recommends jq chromium'" ||
        problem "output: $out"
fi
end

begin "an ordinary user: one command that works on a fresh Debian (su), the sudo form where sudo exists"
if [ "$(id -u)" = 0 ] && ! runuser -u nobody -- true 2>/dev/null; then
    problem "cannot run as user nobody"
else
    as_user "$deps" libcrypto jansson cunit jq chromium
    [ "$rc" = 1 ] || problem "exit $rc, expected 1"
    grep -q "^ensure-deps: missing jq chromium; install them with one command, as root:$" "$work/out" ||
        problem "no summary line: $(cat "$work/out")"
    grep -q "^    su -c 'apt-get update && apt-get install -y --no-install-recommends jq chromium'$" "$work/out" ||
        problem "no su command: $(cat "$work/out")"
    if [ -e "$bin/sudo" ]; then
        grep -q "^    sudo sh -c 'apt-get update && apt-get install -y --no-install-recommends jq chromium'$" "$work/out" ||
            problem "sudo exists but no sudo command: $(cat "$work/out")"
    fi
    [ "$(grep -c "apt-get install" "$work/out")" -le 2 ] || problem "more than one install line per form"
fi
end

begin "--also (make run): the user's one command also installs the tests' packages; nothing missing now: exit 0"
as_user "$deps" libcrypto chromium --also cunit jq
[ "$rc" = 1 ] || problem "exit $rc, expected 1"
grep -q "^ensure-deps: missing chromium (and, for the tests, jq); install them with one command, as root:$" "$work/out" &&
    grep -q "^    su -c 'apt-get update && apt-get install -y --no-install-recommends chromium jq'$" "$work/out" ||
    problem "output: $(cat "$work/out")"
as_user "$deps" libcrypto --also cunit jq
[ "$rc" = 0 ] && [ ! -s "$work/out" ] || problem "only --also modules missing: exit $rc, output: $(cat "$work/out")"
end

begin "a compiler without the C headers: libc6-dev is named"
out=$(env PATH="$bin" CC=nohdr-cc "$deps" --dry-run libcrypto 2>&1)
echo "$out" | grep -q "missing libc6-dev" || problem "output: $out"
end

if [ "$(id -u)" != 0 ]; then
    skip "as root: a quiet install" "not running as root"
else
    begin "as root: a quiet, non-interactive install that names what it installed (apt-get stubbed)"
    stub=$work/stub
    mkdir -p "$stub"
    for t in sh cat id mktemp tail rm printf gcc cc pkg-config sed; do
        [ -e "$bin/$t" ] && ln -s "$(readlink "$bin/$t")" "$stub/$t"
    done
    cat >"$stub/apt-get" <<EOF
#!/bin/sh
echo "\$DEBIAN_FRONTEND \$*" >>"$work/apt.log"
echo "debconf: delaying package configuration, since apt-utils is not installed" >&2
exit 0
EOF
    chmod 755 "$stub/apt-get"
    out=$(env PATH="$stub" "$deps" jq 2>&1)
    rc=$?
    [ "$rc" = 0 ] || problem "exit $rc"
    [ "$out" = "ensure-deps: installing jq"$'\n'"ensure-deps: installed jq" ] || problem "output: $out"
    grep -q "^noninteractive -qq update$" "$work/apt.log" &&
        grep -q "^noninteractive -qq -o Dpkg::Use-Pty=0 install -y --no-install-recommends jq$" "$work/apt.log" ||
        problem "apt-get was run as: $(cat "$work/apt.log")"
    end
fi

begin "unknown module: exit 2 with the known ones"
out=$("$deps" libfoo 2>&1)
rc=$?
[ "$rc" = 2 ] && echo "$out" | grep -q "unknown module 'libfoo' (known: " || problem "exit $rc: $out"
end

summary deps
