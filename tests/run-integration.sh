#!/bin/sh
# tests/run-integration.sh SRCDIR BUILDDIR -- run the integration suite.
#
# Runs every tests/integration/test_*.py (with /usr/bin/python3, which has
# the Debian modules the tests may use) and test_*.sh, each under a time
# limit, with KANAL_SRCDIR and KANAL_BUILDDIR exported. Each script prints
# its own cases and ends with "N passed, N failed"; this adds them up. A
# script that crashes, times out or prints no summary counts as 1 failed.
# Ends with "integration: N passed, N failed"; exits 1 if any failed.
#
# KANAL_IT_TIMEOUT (seconds, default 600) bounds each script;
# KANAL_IT_FILTER (a shell pattern, e.g. 'test_zk*') selects scripts.

set -u

if [ $# -ne 2 ]; then
    echo "usage: $0 SRCDIR BUILDDIR" >&2
    exit 2
fi

KANAL_SRCDIR=$(cd "$1" && pwd) || exit 2
KANAL_BUILDDIR=$(cd "$2" && pwd) || exit 2
export KANAL_SRCDIR KANAL_BUILDDIR

PYTHON=${KANAL_PYTHON:-/usr/bin/python3}
limit=${KANAL_IT_TIMEOUT:-600}
filter=${KANAL_IT_FILTER:-test_*}

total_pass=0
total_fail=0
out=$(mktemp "${TMPDIR:-/tmp}/kanal-it-out.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT

for script in "$KANAL_SRCDIR"/tests/integration/test_*.py "$KANAL_SRCDIR"/tests/integration/test_*.sh; do
    [ -f "$script" ] || continue
    name=$(basename "$script")
    case "$name" in
        $filter) ;;
        *) continue ;;
    esac
    echo "=== $name"
    case "$script" in
        *.py) set -- "$PYTHON" "$script" ;;
        *)    set -- /bin/sh "$script" ;;
    esac
    # --kill-after: a script ignoring SIGTERM is killed anyway.
    (cd "$KANAL_BUILDDIR" && timeout --kill-after=30 "$limit" "$@") >"$out" 2>&1
    status=$?
    cat "$out"
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$out" | tail -n 1)
    if [ -z "$summary" ]; then
        if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
            echo "not ok - $name: timed out after $limit s"
        else
            echo "not ok - $name: ended (status $status) without a summary line"
        fi
        total_fail=$((total_fail + 1))
        continue
    fi
    p=${summary%% passed,*}
    f=${summary#*passed, }
    f=${f%% failed}
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then
        # Reported success but exited non-zero (a crash at exit, a leak
        # report): count it.
        echo "not ok - $name: exited with status $status after its summary"
        total_fail=$((total_fail + 1))
    fi
done

echo "integration: $total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
