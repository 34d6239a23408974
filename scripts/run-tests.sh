#!/bin/bash
# scripts/run-tests.sh -- the whole Kanal test suite, from nothing.
#
# Installs missing Debian packages, builds twice (normal, and with
# AddressSanitizer + UndefinedBehaviorSanitizer), runs the unit tests and
# the integration suite (real ZooKeeper, brokers, controllers and clients)
# in both builds, then `make distcheck`. Ends with one summary line
# "N passed, N failed" and exits non-zero if anything failed.
#
# Options: --quick  skip the sanitizer build and distcheck (for iterating).
set -uo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
cd "$SRC"
QUICK=0
[ "${1:-}" = "--quick" ] && QUICK=1
JOBS="$(nproc 2>/dev/null || echo 2)"

PASS=0
FAIL=0
STEPS_FAILED=""

note() { printf '\n=== %s ===\n' "$*"; }

# Add the counts of an automake test-suite.log to the totals.
count_unit() {
    local log="$1" p f
    if [ ! -f "$log" ]; then
        FAIL=$((FAIL + 1)); return
    fi
    p=$(sed -n 's/^# PASS: *\([0-9]*\)/\1/p' "$log" | head -1)
    f=$(sed -n 's/^# FAIL: *\([0-9]*\)/\1/p' "$log" | head -1)
    e=$(sed -n 's/^# ERROR: *\([0-9]*\)/\1/p' "$log" | head -1)
    PASS=$((PASS + ${p:-0}))
    FAIL=$((FAIL + ${f:-0} + ${e:-0}))
}

# Add the counts of the integration runner's last summary line.
count_integration() {
    local out="$1" line p f
    line=$(grep -E '^integration: [0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
    if [ -z "$line" ]; then
        FAIL=$((FAIL + 1)); return
    fi
    p=$(echo "$line" | sed -E 's/^integration: ([0-9]+) passed.*/\1/')
    f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
    PASS=$((PASS + p))
    FAIL=$((FAIL + f))
}

step_failed() { STEPS_FAILED="$STEPS_FAILED $1"; }

note "dependencies"
"$SRC/scripts/deps.sh" || { echo "kanal: installing dependencies failed" >&2; exit 1; }

note "autoreconf"
if [ ! -x "$SRC/configure" ] || [ "$SRC/configure.ac" -nt "$SRC/configure" ]; then
    autoreconf -fi >/dev/null || { echo "kanal: autoreconf failed" >&2; exit 1; }
fi

# run_build NAME CONFIGURE-FLAGS...
run_build() {
    local name="$1"; shift
    local dir="$SRC/$name"
    note "$name: configure $*"
    mkdir -p "$dir"
    ( cd "$dir" && "$SRC/configure" -q "$@" ) || { step_failed "$name-configure"; FAIL=$((FAIL + 1)); return 1; }
    note "$name: build"
    if ! make -C "$dir" -j"$JOBS" >"$dir/build.out" 2>&1; then
        tail -50 "$dir/build.out"
        step_failed "$name-build"; FAIL=$((FAIL + 1)); return 1
    fi
    grep -E 'warning:' "$dir/build.out" | head -20
    note "$name: unit tests"
    rm -f "$dir/test-suite.log"
    make -C "$dir" -j"$JOBS" check >"$dir/check.out" 2>&1 || step_failed "$name-unit"
    grep -E '^(PASS|FAIL|ERROR|XFAIL|XPASS|SKIP):|^# ' "$dir/check.out"
    if grep -qE '^(FAIL|ERROR):' "$dir/check.out"; then
        # Show what failed, from the per-test logs.
        for t in $(sed -nE 's/^(FAIL|ERROR): (.*)$/\2/p' "$dir/check.out"); do
            echo "--- $t.log"; tail -40 "$dir/$t.log" 2>/dev/null
        done
    fi
    count_unit "$dir/test-suite.log"
    note "$name: integration tests"
    # The full failure matrix (5 bounces of each kind) in the plain build;
    # one bounce of each under the sanitizers, which are several times slower.
    local long=0
    [ "$name" = build ] && long=1
    KANAL_IT_LONG=$long make -C "$dir" check-integration 2>&1 | tee "$dir/integration.out"
    count_integration "$dir/integration.out"
    grep -qE '^integration: [0-9]+ passed, 0 failed' "$dir/integration.out" || step_failed "$name-integration"
}

# No strict_string_checks: librdkafka legally strndup()s strings straight
# out of its receive buffers (not NUL-terminated), which that mode reports
# as an overflow when the string ends the buffer.
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=0"
export LSAN_OPTIONS="suppressions=$SRC/tests/lsan.supp:print_suppressions=0"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

run_build build

if [ "$QUICK" -eq 0 ]; then
    run_build build-asan --enable-sanitizers --enable-werror

    note "distcheck"
    if make -C "$SRC/build" distcheck >"$SRC/build/distcheck.out" 2>&1; then
        PASS=$((PASS + 1))
        grep -E 'archives ready|\.tar\.gz' "$SRC/build/distcheck.out" | head -3
    else
        tail -40 "$SRC/build/distcheck.out"
        FAIL=$((FAIL + 1)); step_failed distcheck
    fi
fi

note "summary"
[ -n "$STEPS_FAILED" ] && echo "failed steps:$STEPS_FAILED"
echo "$PASS passed, $FAIL failed"
[ "$FAIL" -eq 0 ] && [ -z "$STEPS_FAILED" ]
