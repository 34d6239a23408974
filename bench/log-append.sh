#!/bin/sh
# bench/log-append.sh -- run the storage append/read benchmark from a build
# directory and print its two ratios (log / raw). Builds nothing: run
# `make bench/log_append` in the build directory first.
#
# usage: bench/log-append.sh [BUILD_DIR] [-- extra options for log_append]
#   BUILD_DIR defaults to the current directory. Scratch files go to
#   $BENCH_DIR (default: a directory under BUILD_DIR), which should be on
#   the filesystem you want to measure.
set -eu
build=${1:-.}
[ $# -gt 0 ] && shift
[ "${1:-}" = "--" ] && shift
prog=$build/bench/log_append
if [ ! -x "$prog" ]; then
    echo "log-append.sh: $prog not found; build it with 'make bench/log_append'" >&2
    exit 1
fi
dir=${BENCH_DIR:-$build/bench-log-append.dir}
out=$("$prog" -d "$dir" "$@")
echo "$out"
echo "$out" | awk '/^append/ { a = $NF } /^read/ { r = $NF }
    END { printf "append ratio (log/raw write): %s   (goal >= 0.80)\n", a;
          printf "read ratio (log sendfile/raw read): %s\n", r }'
