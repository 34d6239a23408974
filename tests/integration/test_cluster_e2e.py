#!/usr/bin/python3
"""tests/integration/test_cluster_e2e.py -- the working cluster, end to end.

ZooKeeper + 2 kanal-controllers + 3 kanal-brokers (PLAINTEXT and SSL
listeners) on loopback, driven by unmodified clients: kcat and
confluent_kafka (librdkafka). Checks that what producers write is what
consumers read, byte for byte and in per-key order, over both listeners
and every compression codec; offset and timestamp seeks; controller
fail-over with the epoch growing by one; broker restart keeping data;
topic deletion removing directories and znodes.
"""

import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import kanal_cluster as kc  # noqa: E402
import kanal_harness as kh  # noqa: E402

cl = kc.Cluster(brokers=3, controllers=2, ssl=True)
N_RECORDS = 10000
N_KEYS = 97


def same(got, want, what):
    """Compare two lists, reporting sizes and a few differences, not the
    whole lists."""
    if got == want:
        return
    g, w = set(got), set(want)
    raise kh.TestFailure("%s: got %d items, wanted %d; missing %s; unexpected %s"
                         % (what, len(got), len(want), sorted(w - g)[:5], sorted(g - w)[:5]))


def kcat(args, input_text=None, timeout=120, ssl=False):
    r = subprocess.run(cl.kcat_args(ssl) + args, input=input_text, capture_output=True,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        raise kh.TestFailure("kcat %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                            r.stderr[-2000:]))
    return r.stdout


def produce_keyed(topic, ssl=False):
    lines = ["k%d:v-%d-%d" % (i % N_KEYS, i % N_KEYS, i) for i in range(N_RECORDS)]
    kcat(["-P", "-t", topic, "-K", ":"], "\n".join(lines) + "\n", ssl=ssl)
    return lines


def consume_all(topic, ssl=False, extra=None):
    out = kcat(["-C", "-t", topic, "-e", "-q", "-f", "%k\t%p\t%o\t%s\n"] + (extra or []),
               ssl=ssl)
    return [line.split("\t") for line in out.splitlines() if line]


def check_keyed(topic, lines, ssl=False):
    got = consume_all(topic, ssl)
    kh.check_eq(len(got), len(lines), "records consumed from %s" % topic)
    want_values = sorted(line.split(":", 1)[1] for line in lines)
    same(sorted(r[3] for r in got), want_values, "values byte-identical")
    by_key, part_of_key = {}, {}
    for key, part, off, val in got:
        kh.check(val.startswith("v-%s-" % key[1:]), "value %r belongs to key %r" % (val, key))
        if key in part_of_key:
            kh.check_eq(part_of_key[key], part, "key %s always in one partition" % key)
        part_of_key[key] = part
        by_key.setdefault(key, []).append((int(off), int(val.rsplit("-", 1)[1])))
    for key, recs in by_key.items():
        recs.sort()
        seqs = [s for _, s in recs]
        kh.check(seqs == sorted(seqs), "per-key order kept for %s" % key)
    kh.check(len(set(part_of_key.values())) > 1, "keys spread over several partitions")


@kh.test
def metadata_lists_brokers():
    out = kcat(["-L"])
    for i in (1, 2, 3):
        kh.check("broker %d at 127.0.0.1:%d" % (i, cl.broker_ports[i]) in out,
                 "kcat -L shows broker %d:\n%s" % (i, out))
    ids = cl.zk_children("/brokers/ids")
    kh.check_eq(ids, ["1", "2", "3"], "/brokers/ids")
    reg = cl.zk_json("/brokers/ids/1")
    kh.check_eq(reg.get("version"), 5, "registration version")
    kh.check("PLAINTEXT://127.0.0.1:%d" % cl.broker_ports[1] in reg.get("endpoints", []),
             "endpoints in registration: %s" % reg)


@kh.test
def keyed_roundtrip_plaintext():
    cl.create_topic("e2e", 6)
    out = kcat(["-L", "-t", "e2e"])
    kh.check("6 partitions" in out, "kcat -L shows 6 partitions:\n%s" % out)
    kh.check("leader" in out, "leaders listed")
    lines = produce_keyed("e2e")
    check_keyed("e2e", lines)


@kh.test
def keyed_roundtrip_ssl():
    cl.create_topic("e2e-ssl", 6)
    lines = produce_keyed("e2e-ssl", ssl=True)
    check_keyed("e2e-ssl", lines, ssl=True)
    # Data written over TLS reads back over plaintext too.
    kh.check_eq(len(consume_all("e2e-ssl")), N_RECORDS, "records over plaintext")


@kh.test
def large_fetches_over_ssl_arrive_intact():
    """Regression: with one write event covering several large output
    chains, a short SSL_write on one chain was followed by the next chain's
    bytes, and the consumer read Fetch answers out of order ("invalid
    AbortedTxnCnt"). Megabyte Fetch answers over TLS to a slow reader (so
    the socket fills) must arrive byte for byte."""
    from confluent_kafka import Consumer, Producer, TopicPartition
    n, size, parts = 40000, 1024, 8
    cl.create_topic("bigssl", parts)
    p = Producer(dict(cl.client_conf(), **{"linger.ms": 20, "batch.size": 1048576,
                                           "acks": "1"}))
    for i in range(n):
        while True:
            try:
                p.produce("bigssl", value=(b"%08d" % i) * (size // 8), key=b"%d" % i,
                          partition=i % parts)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    kh.check_eq(p.flush(120), 0, "every record acknowledged")
    c = Consumer(dict(cl.client_conf(ssl=True), **{
        "group.id": "bigssl", "enable.auto.commit": False,
        "max.partition.fetch.bytes": 1048576, "fetch.max.bytes": 8388608}))
    c.assign([TopicPartition("bigssl", i, 0) for i in range(parts)])
    seen, bad, deadline = set(), [], time.monotonic() + 240
    try:
        while len(seen) < n and time.monotonic() < deadline:
            for m in c.consume(500, 1.0):
                kh.check(m.error() is None, "consume error: %s" % m.error())
                i = int(m.key())
                if m.value() != (b"%08d" % i) * (size // 8) or i % parts != m.partition():
                    bad.append(i)
                seen.add(i)
            time.sleep(0.01)   # a slow reader: the broker's socket fills
    finally:
        c.close()
    kh.check_eq(bad[:5], [], "values intact")
    kh.check_eq(len(seen), n, "records read over TLS")


@kh.test
def compression_codecs():
    from confluent_kafka import Consumer, Producer, TopicPartition
    for codec in ("gzip", "snappy", "lz4", "zstd"):
        topic = "comp-" + codec
        cl.create_topic(topic, 2)
        conf = cl.client_conf()
        conf.update({"compression.type": codec, "linger.ms": 20, "acks": "all"})
        p = Producer(conf)
        errors = []
        sent = []
        for i in range(2000):
            v = ("%s-%d-" % (codec, i)) + "x" * (i % 50)
            sent.append(v)
            p.produce(topic, key=str(i % 10), value=v,
                      on_delivery=lambda err, msg: err and errors.append(err))
        p.flush(60)
        kh.check_eq(errors, [], "%s deliveries" % codec)
        cconf = cl.client_conf()
        cconf.update({"group.id": "unused", "enable.auto.commit": False})
        c = Consumer(cconf)
        c.assign([TopicPartition(topic, 0, 0), TopicPartition(topic, 1, 0)])
        got = []
        deadline = time.monotonic() + 60
        while len(got) < len(sent) and time.monotonic() < deadline:
            m = c.poll(1.0)
            if m is None or m.error():
                continue
            got.append(m.value().decode())
        c.close()
        same(sorted(got), sorted(sent), "%s records read back" % codec)


@kh.test
def seek_by_offset_timestamp_and_tail():
    cl.create_topic("seek", 1)
    before = int(time.time() * 1000)
    kcat(["-P", "-t", "seek", "-p", "0"], "\n".join("a%d" % i for i in range(100)) + "\n")
    time.sleep(1.0)  # a clear gap in record timestamps, not an assertion
    middle = int(time.time() * 1000)
    kcat(["-P", "-t", "seek", "-p", "0"], "\n".join("b%d" % i for i in range(100)) + "\n")
    vals = lambda extra: [r[3] for r in consume_all("seek", extra=extra)]
    kh.check_eq(vals(["-p", "0", "-o", "150"]), ["b%d" % i for i in range(50, 100)],
                "from offset 150")
    kh.check_eq(vals(["-p", "0", "-o", "-10"]), ["b%d" % i for i in range(90, 100)], "-o -10")
    kh.check_eq(vals(["-p", "0", "-o", "s@%d" % middle]), ["b%d" % i for i in range(100)],
                "from timestamp")
    kh.check_eq(len(vals(["-p", "0", "-o", "s@%d" % before])), 200, "from early timestamp")
    kh.check_eq(vals(["-p", "0", "-o", "beginning"])[:2], ["a0", "a1"], "from beginning")


@kh.test
def controller_failover():
    epoch = int(cl.zk_get("/controller_epoch"))
    active = cl.active_controller()
    kh.check(active in (1, 2), "an active controller: %s" % active)
    cl.kill_controller(active)
    standby = 2 if active == 1 else 1
    cl.wait_for(lambda: cl.active_controller() == standby, "controller %d takes over" % standby)
    kh.check_eq(int(cl.zk_get("/controller_epoch")), epoch + 1, "epoch grew by one")
    cl.create_topic("after-failover", 3)
    kcat(["-P", "-t", "after-failover"], "one\ntwo\nthree\n")
    kh.check_eq(len(consume_all("after-failover")), 3, "records after fail-over")
    cl.start_controller(active)   # back as a standby
    time.sleep(1)
    kh.check_eq(cl.active_controller(), standby, "returning controller stays standby")


@kh.test
def broker_restart_keeps_data():
    before = consume_all("e2e")
    cl.stop_broker(2)
    cl.start_broker(2)
    cl.wait_topic_ready("e2e", 6)
    after = consume_all("e2e")
    same(sorted(map(tuple, after)), sorted(map(tuple, before)), "same records after restart")


@kh.test
def delete_topic_removes_everything():
    cl.create_topic("doomed", 3)
    kcat(["-P", "-t", "doomed"], "x\ny\n")
    dirs = lambda: [d for i in (1, 2, 3)
                    for d in os.listdir(os.path.join(cl.dir, "broker-%d-data" % i))
                    if d.startswith("doomed-")]
    # Each leader makes its directory on LeaderAndIsr, which reaches it on
    # its own; wait for all three (never more) before deleting.
    cl.wait_for(lambda: len(dirs()) == 3, "3 partition directories of doomed")
    from confluent_kafka.admin import AdminClient
    admin = AdminClient(cl.client_conf())   # must outlive the future
    admin.delete_topics(["doomed"], operation_timeout=30)["doomed"].result(60)
    cl.wait_for(lambda: cl.zk_get("/brokers/topics/doomed") is None, "topic znode removed")
    cl.wait_for(lambda: cl.zk_get("/admin/delete_topics/doomed") is None, "delete marker removed")
    cl.wait_for(lambda: not [d for d in dirs() if not d.endswith("-delete")],
                "partition directories removed")
    # DeleteTopics answered once the answering broker's metadata dropped
    # the topic; kcat may ask another, which learns it from its own
    # UpdateMetadata.
    cl.wait_metadata(lambda md: "doomed" not in md["topics"],
                     "every broker's metadata without doomed")
    kh.check("doomed" not in kcat(["-L"]), "topic gone from metadata")


if __name__ == "__main__":
    kh.run_tests(setup=cl.start, teardown=cl.stop)
