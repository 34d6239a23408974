#!/usr/bin/python3
"""tests/integration/test_perf_tools.py -- the performance tools against a
real cluster (ZooKeeper, one controller, one broker): kctl-perf-producer,
kctl-perf-consumer and kctl-e2e-latency run a few thousand records each;
the checks are on their exit status, the shape of their output and the
record counts, never on timing. Also their usage errors.
"""

import json
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import kanal_cluster as kc  # noqa: E402
import kanal_harness as kh  # noqa: E402

cl = kc.Cluster(brokers=1)
N = 5000
NUM = r"[0-9]+(?:\.[0-9]+)?"


def tool(name, *args, status=0):
    return kh.run_program([kh.binary(name)] + [str(a) for a in args], timeout=120,
                          expect_status=status)


def last_json(out, name):
    js = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    js = [j for j in js if j.get("tool") == name]
    kh.check(js, "%s printed a JSON line:\n%s" % (name, out))
    return js[-1]


@kh.test
def usage_errors():
    out = tool("kctl-perf-producer", "--topic", "t", status=1)
    kh.check_in("num-records", out, "missing --num-records named")
    out = tool("kctl-perf-producer", "--topic", "t", "--num-records", "10", "--record-size", "1",
               "--payload-file", "/nonexistent", status=1)
    kh.check_in("exactly one of --record-size and --payload-file", out, "both payload flags")
    out = tool("kctl-perf-producer", "--topic", "t", "--num-records", "x", status=1)
    kh.check_in("--num-records", out, "bad number named")
    out = tool("kctl-perf-producer", "--topic", "t", "--num-records", "10", "--record-size", "10",
               status=1)
    kh.check_in("bootstrap.servers", out, "missing bootstrap named")
    out = tool("kctl-perf-consumer", "--bootstrap-server", "127.0.0.1:1", "--topic", "t",
               status=1)
    kh.check_in("messages", out, "missing --messages named")
    out = tool("kctl-e2e-latency", "--bootstrap-server", "127.0.0.1:1", "--topic", "t",
               "--num-records", "10", "--record-size", "8", status=1)
    kh.check_in("--record-size", out, "too small record named")
    for name in ("kctl-perf-producer", "kctl-perf-consumer", "kctl-e2e-latency"):
        kh.check_in("Usage:", tool(name, "--help"), "%s --help" % name)


@kh.test
def produce_then_consume():
    cl.create_topic("perf", 3)
    out = tool("kctl-perf-producer", "--topic", "perf", "--num-records", N, "--record-size", 100,
               "--throughput", -1, "--json", "--reporting-interval", 100,
               "--producer-props", "bootstrap.servers=" + cl.bootstrap(), "acks=1",
               "linger.ms=5")
    final = re.compile(r"^%d records sent, %s records/sec \(%s MB/sec\), %s ms avg latency, "
                       r"%s ms max latency, %s ms 50th, %s ms 95th, %s ms 99th, %s ms 99\.9th\.$"
                       % ((N,) + (NUM,) * 8), re.M)
    kh.check(final.search(out), "final summary line in Kafka's format:\n%s" % out)
    j = last_json(out, "kctl-perf-producer")
    kh.check_eq(j["records"], N, "acknowledged records")
    kh.check_eq(j["failed"], 0, "failed records")
    kh.check_eq(j["bytes"], N * 100, "acknowledged bytes")
    lat = j["latency_ms"]
    kh.check(lat["p50"] <= lat["p95"] <= lat["p99"] <= lat["p99_9"] <= lat["max"],
             "percentiles ordered: %s" % lat)

    out = tool("kctl-perf-consumer", "--bootstrap-server", cl.bootstrap(), "--topic", "perf",
               "--messages", N, "--timeout", 30000, "--json")
    kh.check_in("start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, "
                "nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec",
                out, "Kafka's header")
    row = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d:\d{3}, "
                     r"%s, %s, %d, %s, \d+, \d+, %s, %s$" % (NUM, NUM, N, NUM, NUM, NUM), re.M)
    kh.check(row.search(out), "result row in Kafka's format:\n%s" % out)
    j = last_json(out, "kctl-perf-consumer")
    kh.check_eq(j["records"], N, "consumed records")
    kh.check_eq(j["bytes"], N * 100, "consumed bytes")

    # Asking for more than the topic holds ends with the timeout, status 1.
    out = tool("kctl-perf-consumer", "--bootstrap-server", cl.bootstrap(), "--topic", "perf",
               "--messages", N + 10, "--timeout", 2000, status=1)
    kh.check_in("timeout (2000 ms) exceeded", out, "timeout warning")


@kh.test
def payload_file():
    cl.create_topic("perf-file", 1)
    path = os.path.join(kh.workdir(), "payloads.txt")
    with open(path, "w") as f:
        f.write("alpha\nbravo\n\ncharlie\n")
    out = tool("kctl-perf-producer", "--topic", "perf-file", "--num-records", 300,
               "--payload-file", path, "--json", "--bootstrap-server", cl.bootstrap())
    j = last_json(out, "kctl-perf-producer")
    kh.check_eq(j["records"], 300, "records from the payload file")
    out = tool("kctl-console-consumer", "--bootstrap-server", cl.bootstrap(), "--topic",
               "perf-file", "--from-beginning", "--max-messages", 300, "--timeout-ms", 30000)
    values = set(line for line in out.splitlines() if line and "Processed a total" not in line)
    kh.check(values <= {"alpha", "bravo", "charlie"} and len(values) >= 2,
             "records are the file's non-empty pieces: %s" % sorted(values))


@kh.test
def end_to_end_latency():
    cl.create_topic("perf-lat", 2)
    out = tool("kctl-e2e-latency", "--bootstrap-server", cl.bootstrap(), "--topic", "perf-lat",
               "--num-records", 300, "--warmup-records", 10, "--json")
    kh.check(re.search(r"^Avg latency: %s ms$" % NUM, out, re.M), "average line:\n%s" % out)
    kh.check(re.search(r"^Percentiles: 50th = %s, 95th = %s, 99th = %s, 99\.9th = %s, "
                       r"max = %s \(ms\)$" % ((NUM,) * 5), out, re.M),
             "percentiles line:\n%s" % out)
    j = last_json(out, "kctl-e2e-latency")
    kh.check_eq((j["mode"], j["records"]), ("pingpong", 300), "ping-pong mode, records measured")

    out = tool("kctl-e2e-latency", "--bootstrap-server", cl.bootstrap(), "--topic", "perf-lat",
               "--num-records", 3000, "--throughput", 2000, "--warmup-records", 100,
               "--record-size", 64, "--json")
    j = last_json(out, "kctl-e2e-latency")
    kh.check_eq((j["mode"], j["records"], j["record_size"]), ("rate", 3000, 64),
                "rate mode, every record measured")
    kh.check(j["latency_ms"]["p50"] <= j["latency_ms"]["max"], "p50 <= max")


if __name__ == "__main__":
    kh.run_tests(setup=cl.start)
