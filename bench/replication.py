#!/usr/bin/python3
"""bench/replication.py -- replication benchmark: the price of durability
and the speed of fail-over, on 3 local brokers (1 controller, ZooKeeper).

  throughput   kctl-perf-producer, 100-byte records, same run:
               RF=3 acks=all versus RF=1 acks=1 (goal: ratio >= 0.5)
  failover     time from kill -9 of the leader of a partition to the first
               acks=all record acknowledged on that partition, with
               zookeeper.session.timeout.ms=6000 (goal <= 7 s)
  controlled   the longest time without an acknowledgement on that
               partition while its leader stops cleanly (controlled
               shutdown), under the same continuous load (goal <= 1 s)

Usage (from a build tree, or with KANAL_BUILDDIR set):
    /usr/bin/python3 bench/replication.py [--records N] [--rounds N] [--json FILE]
Prints one table, and with --json the figures as one JSON object.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "harness"))
import kanal_cluster as kc  # noqa: E402
import kanal_harness as kh  # noqa: E402


def perf(cl, topic, n, acks):
    out = subprocess.run(
        [kh.binary("kctl-perf-producer"), "--topic", topic, "--num-records", str(n),
         "--record-size", "100", "--json", "--bootstrap-server", cl.bootstrap(),
         "--producer-props", "acks=%s" % acks, "linger.ms=5", "batch.size=1000000",
         "queue.buffering.max.messages=1000000", "compression.type=none"],
        capture_output=True, text=True, timeout=600)
    for line in reversed(out.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("kctl-perf-producer gave no JSON:\n%s%s" % (out.stdout, out.stderr))


def rate(fig):
    for k in ("records_per_sec", "records_per_second", "rps"):
        if k in fig:
            return float(fig[k])
    raise RuntimeError("no rate in %s" % fig)


def leader_of(cl, topic, p):
    s = cl.zk_json("/brokers/topics/%s/partitions/%d/state" % (topic, p))
    return s["leader"] if s else -1


def unavailability(cl, topic, stop_fn):
    """Produce acks=all to partition 0 without pause while its leader is
    stopped with stop_fn(broker); return the longest time, from the stop
    on, without any acknowledgement: for kill -9, the time from the kill to
    the first record acknowledged after it; for a clean stop, the window
    in which leadership moved."""
    from confluent_kafka import Producer
    p = Producer({"bootstrap.servers": cl.bootstrap(), "acks": "all", "linger.ms": 0,
                  "enable.idempotence": False, "message.timeout.ms": 30000,
                  "retry.backoff.ms": 20, "reconnect.backoff.ms": 20,
                  "reconnect.backoff.max.ms": 200, "topic.metadata.refresh.fast.interval.ms": 50})
    acked = []

    def dr(err, msg):
        if err is None:
            acked.append(time.monotonic())

    for _ in range(20):   # warm: connections and metadata in place
        p.produce(topic, b"warm", partition=0, on_delivery=dr)
    p.flush(30)
    victim = leader_of(cl, topic, 0)
    t0 = time.monotonic()
    th = threading.Thread(target=stop_fn, args=(victim,))
    th.start()
    settle = None
    while True:
        p.produce(topic, b"x" * 100, partition=0, on_delivery=dr)
        p.poll(0.002)
        if not th.is_alive() and settle is None:
            settle = time.monotonic() + 2.0
        if settle is not None and time.monotonic() > settle and acked and acked[-1] > t0:
            break
        if time.monotonic() - t0 > 90:
            raise RuntimeError("no acknowledgement within 90 s of stopping broker %d" % victim)
    p.flush(30)
    th.join()
    times = sorted(a for a in acked if a >= t0)
    gap = max([times[0] - t0] + [b - a for a, b in zip(times, times[1:])])
    cl.start_broker(victim)
    cl.wait_for(lambda: all(sorted(cl.zk_json("/brokers/topics/%s/partitions/%d/state"
                                              % (topic, q))["isr"]) == [1, 2, 3]
                            for q in range(3)), "ISR whole again", 120)
    return gap


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, default=2000000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    os.environ.setdefault("KANAL_BUILDDIR", os.getcwd())

    cl = kc.Cluster(brokers=3, controllers=1, session_timeout_ms=6000,
                    broker_props={"min.insync.replicas": 2, "num.network.threads": 3})
    res = {}
    try:
        cl.start()
        cl.create_topic("bench-rf1", 3, rf=1)
        cl.create_topic("bench-rf3", 3, rf=3)
        r1 = perf(cl, "bench-rf1", args.records, "1")
        r3 = perf(cl, "bench-rf3", args.records, "all")
        res["rf1_acks1_records_per_sec"] = rate(r1)
        res["rf3_acksall_records_per_sec"] = rate(r3)
        res["ratio"] = rate(r3) / rate(r1)

        cl.create_topic("bench-fo", 3, rf=3)
        kill = [unavailability(cl, "bench-fo", cl.kill_broker) for _ in range(args.rounds)]
        clean = [unavailability(cl, "bench-fo", cl.stop_broker) for _ in range(args.rounds)]
        res["failover_kill9_s"] = kill
        res["failover_controlled_s"] = clean
    finally:
        cl.stop()

    print("%-48s %s" % ("RF=1 acks=1, 100 B (records/s)", "%.0f" % res["rf1_acks1_records_per_sec"]))
    print("%-48s %s" % ("RF=3 acks=all, 100 B (records/s)",
                        "%.0f" % res["rf3_acksall_records_per_sec"]))
    print("%-48s %.2f (goal >= 0.5)" % ("ratio", res["ratio"]))
    print("%-48s median %.2f, max %.2f (goal <= 7)" % (
        "kill -9 leader -> first acks=all ack (s)", statistics.median(res["failover_kill9_s"]),
        max(res["failover_kill9_s"])))
    print("%-48s median %.2f, max %.2f (goal <= 1)" % (
        "controlled shutdown: longest gap in acks (s)",
        statistics.median(res["failover_controlled_s"]), max(res["failover_controlled_s"])))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(res, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
