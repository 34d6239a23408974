#!/bin/bash
# scripts/local-cluster.sh -- build Kanal and run a one-machine cluster:
# ZooKeeper on 127.0.0.1, one kanal-controller and one kanal-broker, all
# in .local-cluster/ (data, logs, configs, PID files).
#
#   scripts/local-cluster.sh           install deps, build, start (default)
#   scripts/local-cluster.sh stop      stop everything it started (by PID)
#   scripts/local-cluster.sh status    show what is running
#
# Ports (override with the environment): KANAL_ZK_PORT=2181,
# KANAL_BROKER_PORT=9092, KANAL_CONTROLLER_PORT=9095.
set -euo pipefail

SRC="$(cd "$(dirname "$0")/.." && pwd)"
DIR="$SRC/.local-cluster"
BUILD="$SRC/build"
ZK_PORT="${KANAL_ZK_PORT:-2181}"
BROKER_PORT="${KANAL_BROKER_PORT:-9092}"
CTL_PORT="${KANAL_CONTROLLER_PORT:-9095}"
ZK_CP="/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar"

running() { [ -f "$DIR/$1.pid" ] && kill -0 "$(cat "$DIR/$1.pid")" 2>/dev/null; }

stop_one() {
    local name="$1" pid i
    [ -f "$DIR/$name.pid" ] || return 0
    pid="$(cat "$DIR/$name.pid")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        for i in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
        echo "stopped $name (pid $pid)"
    fi
    rm -f "$DIR/$name.pid"
}

do_stop() {
    stop_one broker
    stop_one controller
    stop_one zookeeper
}

do_status() {
    for n in zookeeper controller broker; do
        if running "$n"; then echo "$n: running (pid $(cat "$DIR/$n.pid"))"; else echo "$n: stopped"; fi
    done
}

# wait_port PORT SECONDS
wait_port() {
    local i
    for i in $(seq 1 $(($2 * 10))); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

zk_ruok() {
    local reply
    reply=$(exec 2>/dev/null; exec 3<>"/dev/tcp/127.0.0.1/$ZK_PORT" && printf ruok >&3 && cat <&3) || true
    [ "$reply" = "imok" ]
}

do_start() {
    "$SRC/scripts/deps.sh"
    if [ ! -x "$SRC/configure" ] || [ "$SRC/configure.ac" -nt "$SRC/configure" ]; then
        (cd "$SRC" && autoreconf -fi >/dev/null)
    fi
    mkdir -p "$BUILD"
    [ -f "$BUILD/Makefile" ] || (cd "$BUILD" && "$SRC/configure" -q)
    make -C "$BUILD" -j"$(nproc)" >"$BUILD/build.out" 2>&1 || { tail -30 "$BUILD/build.out"; exit 1; }

    mkdir -p "$DIR/zookeeper-data" "$DIR/logs" "$DIR/kafka-logs"

    if running zookeeper; then
        echo "zookeeper already running (pid $(cat "$DIR/zookeeper.pid"))"
    else
        cat >"$DIR/zoo.cfg" <<CFG
tickTime=2000
dataDir=$DIR/zookeeper-data
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
4lw.commands.whitelist=*
admin.enableServer=false
CFG
        # exec: the PID recorded is ZooKeeper's own, so stop reaches it.
        (cd "$DIR" && exec java -cp "$ZK_CP" org.apache.zookeeper.server.ZooKeeperServerMain \
            "$DIR/zoo.cfg") </dev/null >"$DIR/logs/zookeeper.log" 2>&1 &
        echo $! >"$DIR/zookeeper.pid"
        for i in $(seq 1 100); do zk_ruok && break; sleep 0.2; done
        zk_ruok || { echo "ZooKeeper did not answer ruok; see $DIR/logs/zookeeper.log"; exit 1; }
        echo "zookeeper: 127.0.0.1:$ZK_PORT (pid $(cat "$DIR/zookeeper.pid"))"
    fi

    if [ -x "$BUILD/kanal-controller" ]; then
        if ! running controller; then
            sed -e "s#^controller.id=.*#controller.id=1#" \
                -e "s#^listeners=.*#listeners=PLAINTEXT://127.0.0.1:$CTL_PORT#" \
                -e "s#^zookeeper.connect=.*#zookeeper.connect=127.0.0.1:$ZK_PORT/kanal#" \
                "$SRC/etc/controller.properties" >"$DIR/controller.properties"
            nohup "$BUILD/kanal-controller" --config "$DIR/controller.properties" \
                </dev/null >"$DIR/logs/controller.log" 2>&1 & echo $! >"$DIR/controller.pid"
            wait_port "$CTL_PORT" 20 || { echo "controller did not start; see $DIR/logs/controller.log"; exit 1; }
        fi
        echo "controller: 127.0.0.1:$CTL_PORT (pid $(cat "$DIR/controller.pid"))"
    else
        echo "kanal-controller is not built yet: skipped"
    fi

    if [ -x "$BUILD/kanal-broker" ]; then
        if ! running broker; then
            sed -e "s#^broker.id=.*#broker.id=1#" \
                -e "s#^listeners=.*#listeners=PLAINTEXT://127.0.0.1:$BROKER_PORT#" \
                -e "s#^log.dirs=.*#log.dirs=$DIR/kafka-logs#" \
                -e "s#^zookeeper.connect=.*#zookeeper.connect=127.0.0.1:$ZK_PORT/kanal#" \
                -e "s#^offsets.topic.replication.factor=.*#offsets.topic.replication.factor=1#" \
                "$SRC/etc/broker.properties" >"$DIR/broker.properties"
            nohup "$BUILD/kanal-broker" --config "$DIR/broker.properties" \
                </dev/null >"$DIR/logs/broker.log" 2>&1 & echo $! >"$DIR/broker.pid"
            wait_port "$BROKER_PORT" 20 || { echo "broker did not start; see $DIR/logs/broker.log"; exit 1; }
        fi
        echo "broker: 127.0.0.1:$BROKER_PORT (pid $(cat "$DIR/broker.pid"))"
    else
        echo "kanal-broker is not built yet: skipped"
    fi

    cat <<MSG

Kanal is running. Clients connect to:  127.0.0.1:$BROKER_PORT
  e.g.  kcat -b 127.0.0.1:$BROKER_PORT -L
        $BUILD/kctl-topics --bootstrap-server 127.0.0.1:$BROKER_PORT --list
Logs and data: $DIR
Stop everything:  scripts/local-cluster.sh stop
MSG
}

case "${1:-start}" in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) echo "usage: $0 [start|stop|status]" >&2; exit 2 ;;
esac
