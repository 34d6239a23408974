#!/bin/sh
# scripts/deps.sh -- install the Debian packages Kanal needs to build, test
# and run a local cluster. Idempotent and quiet: it asks dpkg what is
# missing and calls apt-get only for that.
set -eu

PACKAGES="
build-essential autoconf automake libtool pkg-config make
libzookeeper-mt-dev libevent-dev libssl-dev libjansson-dev
libprotobuf-c-dev protobuf-c-compiler zlib1g-dev liblz4-dev libzstd-dev
libsnappy-dev libcmocka-dev librdkafka-dev
zookeeper libslf4j-java default-jre-headless
kcat python3 python3-confluent-kafka python3-kazoo openssl procps iproute2
"

missing=""
for p in $PACKAGES; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

echo "kanal: installing missing Debian packages:$missing" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
