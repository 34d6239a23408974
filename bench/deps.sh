#!/bin/sh
# bench/deps.sh -- install what the benchmark's peers and machine-limit
# probes need, from Debian packages, if missing (idempotent: installed
# packages are left alone, so a second run does nothing).
#
#   redis-server, redis-tools  Redis 7 Streams peer (redis-benchmark)
#   nats-server, libnats-dev   NATS JetStream peer (bench/nats_bench.c)
#   iperf3                     loopback TCP throughput
#   linux-perf                 perf stat / perf record for --profile
#   valgrind                   callgrind instruction counts
#
# A package the distribution does not carry is reported and skipped; the
# benchmark then marks the case that needs it as "not run" with that note.

set -u

want="redis-server redis-tools nats-server libnats-dev iperf3 linux-perf valgrind"
missing=""
for p in $want; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
        missing="$missing $p"
    fi
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
    sudo=""
elif command -v sudo >/dev/null 2>&1; then
    sudo="sudo"
else
    echo "bench/deps.sh: missing packages:$missing (run as root or install sudo)" >&2
    exit 1
fi

available=""
for p in $missing; do
    if apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]'; then
        available="$available $p"
    else
        echo "bench/deps.sh: $p is not packaged for this distribution; its case is skipped" >&2
    fi
done
[ -z "$available" ] && exit 0

echo "bench/deps.sh: installing$available" >&2
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $available >&2 || {
    $sudo apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q $available >&2
}
