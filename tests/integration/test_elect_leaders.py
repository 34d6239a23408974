#!/usr/bin/python3
"""ElectLeaders (API key 43) end to end: a real ZooKeeper, one controller
(automatic leader rebalancing off, so only an on-demand election can move
leadership back) and three brokers.

  - a preferred leader stopped and started again comes back as a follower
    in the ISR; `kctl-leader-election --bootstrap-server` makes it leader
    again, and a second run reports that no election was needed;
  - with the preferred replica down, the answer is
    PREFERRED_LEADER_NOT_AVAILABLE; an unknown partition is
    UNKNOWN_TOPIC_OR_PARTITION; --all-topic-partitions (a null partition
    list) covers every topic;
  - a raw ElectLeaders v0 request over a plain socket gets a well-formed
    v0 response.
"""

import os
import socket
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kanal_cluster as kc  # noqa: E402
import kanal_harness as kh  # noqa: E402
import repl_util as ru  # noqa: E402

cl = kc.Cluster(brokers=3, controllers=1,
                controller_props={"auto.leader.rebalance.enable": "false"},
                broker_props={"default.replication.factor": 3,
                              "replica.fetch.wait.max.ms": 200,
                              "replica.fetch.backoff.ms": 200})


def all_brokers_up():
    for b in (1, 2, 3):
        if b not in cl.brokers:
            cl.start_broker(b)
    cl.wait_brokers_registered([1, 2, 3])


def tool(*args, expect_status=0):
    argv = [kh.binary("kctl-leader-election"), "--bootstrap-server", cl.bootstrap(),
            "--election-type", "PREFERRED"] + list(args)
    return kh.run_program(argv, timeout=120, expect_status=expect_status)


def wait_brokers_see(topic, pred, what):
    """The broker answering ElectLeaders decides from its own metadata
    cache, which learns of a change (the controller's UpdateMetadata)
    after ZooKeeper holds it: wait until every broker's metadata shows
    every partition of topic satisfying pred(partition, live broker ids)."""
    def holds(md):
        t = md["topics"].get(topic)
        return (t is not None and t["error"] == 0 and t["partitions"] and
                all(pred(p, md["brokers"]) for p in t["partitions"].values()))
    cl.wait_metadata(holds, "every broker's metadata: %s" % what)


def in_sync(p, live):
    return p["leader"] >= 0 and sorted(p["isr"]) == sorted(p["replicas"]) and \
        all(r in live for r in p["replicas"])


def bounce_preferred(topic, nparts):
    """Stop and restart partition 0's preferred leader; return its id once it
    is back in every ISR, with leadership elsewhere."""
    preferred = cl.zk_json("/brokers/topics/%s" % topic)["partitions"]["0"][0]
    cl.stop_broker(preferred)
    ru.wait_leader_not(cl, topic, nparts, preferred)
    cl.start_broker(preferred)
    ru.wait_isr(cl, topic, nparts, [1, 2, 3])
    kh.check(ru.leader_of(cl, topic, 0) != preferred,
             "leadership stayed away (auto rebalance is off): %s" % ru.state(cl, topic, 0))
    wait_brokers_see(topic, in_sync, "%s with every replica live and in sync" % topic)
    return preferred


@kh.test
def preferred_leader_restored_then_not_needed():
    all_brokers_up()
    cl.create_topic("elect", 1, rf=3)
    ru.wait_isr(cl, "elect", 1, [1, 2, 3])
    preferred = bounce_preferred("elect", 1)
    out = tool("--topic", "elect", "--partition", "0")
    kh.check_in("Successfully completed leader election (PREFERRED) for partitions elect-0",
                out, "tool output")
    kh.check_eq(ru.leader_of(cl, "elect", 0), preferred, "elect-0 led by its preferred replica")
    out = tool("--topic", "elect", "--partition", "0")
    kh.check_in("Valid replica already elected for partitions elect-0", out, "second run")
    kh.check_eq(ru.leader_of(cl, "elect", 0), preferred, "leadership unchanged")


@kh.test
def json_file_and_all_partitions():
    all_brokers_up()
    cl.create_topic("elect-many", 2, rf=3)
    ru.wait_isr(cl, "elect-many", 2, [1, 2, 3])
    bounce_preferred("elect-many", 2)
    path = os.path.join(kh.workdir(), "elect.json")
    with open(path, "w") as f:
        f.write('{"partitions":[{"topic":"elect-many","partition":0},'
                '{"topic":"elect-many","partition":1}]}')
    out = tool("--path-to-json-file", path)
    kh.check("elect-many-0" in out and "Error" not in out, "file-listed partitions: %s" % out)
    assign = cl.zk_json("/brokers/topics/elect-many")["partitions"]
    for p in (0, 1):
        kh.check_eq(ru.leader_of(cl, "elect-many", p), assign[str(p)][0],
                    "elect-many-%d led by its preferred replica" % p)
    # A null partition list covers every topic: the bounce may also have
    # moved partitions of the other topics, which this run moves back too
    # -- once their preferred replicas are back in sync everywhere.
    for topic in cl.zk_children("/brokers/topics"):
        wait_brokers_see(topic, in_sync, "%s with every replica live and in sync" % topic)
    out = tool("--all-topic-partitions")
    kh.check_in("Valid replica already elected for partitions", out, "all partitions")
    kh.check("elect-many-0" in out and "elect-many-1" in out and "Error" not in out,
             "every partition answered: %s" % out)
    for topic in cl.zk_children("/brokers/topics"):
        assign = cl.zk_json("/brokers/topics/%s" % topic)["partitions"]
        for p, replicas in assign.items():
            kh.check_eq(ru.leader_of(cl, topic, int(p)), replicas[0],
                        "%s-%s led by its preferred replica" % (topic, p))


@kh.test
def errors_per_partition():
    all_brokers_up()
    out = tool("--topic", "no-such-topic", "--partition", "0", expect_status=1)
    kh.check_in("no-such-topic-0: UNKNOWN_TOPIC_OR_PARTITION", out, "unknown partition")
    cl.create_topic("elect-down", 1, rf=3)
    ru.wait_isr(cl, "elect-down", 1, [1, 2, 3])
    preferred = cl.zk_json("/brokers/topics/elect-down")["partitions"]["0"][0]
    cl.stop_broker(preferred)
    try:
        ru.wait_leader_not(cl, "elect-down", 1, preferred)
        wait_brokers_see("elect-down", lambda p, live: p["leader"] not in (-1, preferred) and
                         (preferred not in live or preferred not in p["isr"]),
                         "elect-down led elsewhere, broker %d gone or out of the ISR"
                         % preferred)
        out = tool("--topic", "elect-down", "--partition", "0", expect_status=1)
        kh.check_in("elect-down-0: PREFERRED_LEADER_NOT_AVAILABLE", out, "preferred replica down")
    finally:
        cl.start_broker(preferred)
    # Usage errors never reach the broker.
    tool("--topic", "elect-down", expect_status=1)
    kh.run_program([kh.binary("kctl-leader-election"), "--bootstrap-server", cl.bootstrap(),
                    "--election-type", "unclean", "--all-topic-partitions"], expect_status=1)


def raw_request(port, payload, version):
    """Send one ElectLeaders request (header v1) and return the response
    body after the correlation id."""
    client = b"raw"
    header = struct.pack(">hhih", 43, version, 7, len(client)) + client
    frame = header + payload
    with socket.create_connection(("127.0.0.1", port), timeout=120) as s:
        s.sendall(struct.pack(">i", len(frame)) + frame)
        size = struct.unpack(">i", _recv(s, 4))[0]
        body = _recv(s, size)
    kh.check_eq(struct.unpack(">i", body[:4])[0], 7, "correlation id")
    return body[4:]


def _recv(s, n):
    data = b""
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise kh.TestFailure("connection closed after %d of %d bytes" % (len(data), n))
        data += chunk
    return data


@kh.test
def raw_v0_request():
    all_brokers_up()
    cl.create_topic("elect-raw", 1, rf=3)
    ru.wait_isr(cl, "elect-raw", 1, [1, 2, 3])
    topic = b"elect-raw"
    # v0: no election type; [topic, [partition 0]], timeout 30000.
    payload = (struct.pack(">i", 1) + struct.pack(">h", len(topic)) + topic +
               struct.pack(">ii", 1, 0) + struct.pack(">i", 30000))
    body = raw_request(cl.broker_ports[1], payload, 0)
    throttle, ntopics = struct.unpack(">ii", body[:8])
    kh.check_eq(ntopics, 1, "one topic in the v0 response")
    off = 8
    tlen = struct.unpack(">h", body[off:off + 2])[0]
    kh.check_eq(body[off + 2:off + 2 + tlen], topic, "topic name")
    off += 2 + tlen
    nparts, pid, err = struct.unpack(">iih", body[off:off + 10])
    kh.check_eq((nparts, pid, err), (1, 0, 84), "partition 0: ELECTION_NOT_NEEDED")


if __name__ == "__main__":
    kh.run_tests(setup=cl.start, teardown=cl.stop)
