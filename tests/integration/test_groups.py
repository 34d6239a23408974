#!/usr/bin/python3
"""tests/integration/test_groups.py -- consumer groups and committed offsets.

ZooKeeper + a kanal-controller + 3 kanal-brokers on loopback, driven by
unmodified clients: confluent_kafka consumers (in child processes, so one
can be killed with SIGKILL), kcat's balanced consumer (-G), the
kctl-consumer-groups tool, and a few hand-made requests for bad input.

__consumer_offsets uses replication factor 3 when the cluster replicates
(probed: an acks=all write to a 3-replica topic succeeds), else 1; the
coordinator fail-over case needs the former and is skipped otherwise.
"""

import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import kanal_cluster as kc  # noqa: E402
import kanal_harness as kh  # noqa: E402

SESSION_MS = 6000
cl = kc.Cluster(brokers=3, controllers=1, broker_props={
    "offsets.topic.num.partitions": 10,
    "group.initial.rebalance.delay.ms": 500,
})
state = {"replicated": False}

# A consumer child: prints "ASSIGN t:p,..." on every assignment and
# "REC p o value" per record, committing each record synchronously after
# printing it (so a SIGKILL loses at most the record in flight).
CONSUMER = r"""
import sys
from confluent_kafka import Consumer
bootstrap, group, topic = sys.argv[1:4]
c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
              "enable.auto.commit": False, "session.timeout.ms": %d,
              "heartbeat.interval.ms": 500, "client.id": "child-" + sys.argv[4]})
def on_assign(cons, parts):
    print("ASSIGN " + ",".join("%%d" %% p.partition for p in parts), flush=True)
c.subscribe([topic], on_assign=on_assign)
while True:
    m = c.poll(0.5)
    if m is None or m.error():
        continue
    print("REC %%d %%d %%s" %% (m.partition(), m.offset(), m.value().decode()), flush=True)
    c.commit(message=m, asynchronous=False)
""" % SESSION_MS


def start_consumer(group, topic, tag):
    return kh.start_process(["/usr/bin/python3", "-c", CONSUMER,
                             cl.bootstrap(), group, topic, str(tag)],
                            name="consumer-%s" % tag, capture=True)


def last_assignment(proc):
    lines = [l for l in proc.output().splitlines() if l.startswith("ASSIGN")]
    if not lines:
        return None
    rest = lines[-1][len("ASSIGN"):].strip()
    return set(int(x) for x in rest.split(",") if x)


def records(proc):
    out = []
    for l in proc.output().splitlines():
        if l.startswith("REC "):
            _, p, o, v = l.split(" ", 3)
            out.append((int(p), int(o), v))
    return out


def produce(topic, values, partitions):
    from confluent_kafka import Producer
    p = Producer(dict(cl.client_conf(), **{"acks": "all"}))
    for i, v in enumerate(values):
        p.produce(topic, value=v.encode(), partition=i % partitions)
    kh.check_eq(p.flush(60), 0, "every record delivered")


def tool(args, expect_status=0):
    r = subprocess.run([kh.binary("kctl-consumer-groups"), "--bootstrap-server", cl.bootstrap()] + args,
                       capture_output=True, text=True, timeout=120)
    if r.returncode != expect_status:
        raise kh.TestFailure("kctl-consumer-groups %s: exit %d, wanted %d\nstdout: %s\nstderr: %s"
                             % (" ".join(args), r.returncode, expect_status, r.stdout, r.stderr))
    return r.stdout


def committed(group, topic, partitions):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer(dict(cl.client_conf(), **{"group.id": group, "enable.auto.commit": False}))
    try:
        got = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=30)
        return {tp.partition: tp.offset for tp in got}
    finally:
        c.close()


def commit(group, topic, offsets):
    from confluent_kafka import Consumer, TopicPartition
    c = Consumer(dict(cl.client_conf(), **{"group.id": group, "enable.auto.commit": False}))
    try:
        c.commit(offsets=[TopicPartition(topic, p, o) for p, o in offsets.items()],
                 asynchronous=False)
    finally:
        c.close()


def setup():
    cl.start()
    # Does the cluster replicate? Followers must hold a copy of what the
    # leader took (an acks=all answer alone proves nothing while the
    # leader answers without waiting).
    cl.create_topic("probe", 1, rf=3)
    from confluent_kafka import Producer
    p = Producer(dict(cl.client_conf(), **{"acks": "all", "message.timeout.ms": 15000}))
    p.produce("probe", value=b"x")
    p.flush(20)

    def copies():
        n = 0
        for i in cl.broker_ports:
            d = os.path.join(cl.dir, "broker-%d-data" % i, "probe-0")
            if os.path.isdir(d) and any(f.endswith(".log") and os.path.getsize(os.path.join(d, f)) > 0
                                        for f in os.listdir(d)):
                n += 1
        return n >= 3
    try:
        cl.wait_for(copies, "3 copies of the probe record", 15)
        state["replicated"] = True
    except kh.TestFailure:
        state["replicated"] = False
    rf = 3 if state["replicated"] else 1
    for i in sorted(cl.brokers):
        cl.stop_broker(i)
    cl.extra_broker["offsets.topic.replication.factor"] = rf
    for i in sorted(cl.broker_ports):
        cl.start_broker(i, wait=False)
    for i in sorted(cl.broker_ports):
        kh.wait_port(cl.broker_ports[i], timeout=60, proc=cl.brokers[i])
    cl.wait_brokers_registered(sorted(cl.broker_ports))
    cl.create_topic("six", 6)


@kh.test
def three_members_share_partitions_and_survive_kill9():
    procs = [start_consumer("g3", "six", i) for i in range(3)]

    def balanced(ps):
        asg = [last_assignment(p) for p in ps]
        if any(a is None or not a for a in asg):
            return False
        allp = [x for a in asg for x in a]
        return sorted(allp) == list(range(6))
    cl.wait_for(lambda: balanced(procs), "3 members owning 6 partitions, each exactly once", 90)

    first = ["a%d" % i for i in range(300)]
    produce("six", first, 6)
    seen = lambda ps: set(v for p in ps for (_, _, v) in records(p))
    cl.wait_for(lambda: set(first) <= seen(procs), "all 300 records consumed", 90)
    allrecs = [r for p in procs for r in records(p)]
    kh.check_eq(len(allrecs), 300, "each record consumed once (no rebalance happened)")

    procs[0].kill9()
    rest = procs[1:]
    cl.wait_for(lambda: balanced(rest), "the survivors own all 6 partitions", 90)
    second = ["b%d" % i for i in range(300)]
    produce("six", second, 6)
    cl.wait_for(lambda: set(second) <= seen(rest), "all later records consumed by the survivors", 90)
    # Nothing skipped: every record of both rounds was consumed by someone;
    # the survivors resumed the dead member's partitions at its commits, so
    # they re-read at most what it had not committed (one in flight each).
    total = seen(procs)
    kh.check(set(first) | set(second) <= total, "no record skipped")
    dead = set(v for (_, _, v) in records(procs[0]))
    again = [v for p in rest for (_, _, v) in records(p) if v in dead]
    kh.check(len(again) <= 2, "only the dead member's uncommitted records (one per partition) "
             "are read again, got %d" % len(again))
    # A child prints a record before committing it, synchronously: when the
    # last record shows, its commit may still be in flight, and stopping
    # the child then would lose it. Wait for the commits, then stop.
    cl.wait_for(lambda: sum((_try_committed("g3", "six", 6) or {}).values()) == 600,
                "the survivors' commits to reach 600 records")
    for p in rest:
        p.stop()
    offs = committed("g3", "six", 6)
    kh.check_eq(sum(offs.values()), 600, "committed offsets cover all 600 records")


@kh.test
def kcat_balanced_consumer_and_two_groups():
    cl.create_topic("two", 2)
    produce("two", ["k%d" % i for i in range(100)], 2)
    want = sorted("k%d" % i for i in range(100))
    for group in ("kc-a", "kc-b"):
        p = kh.start_process(cl.kcat_args() + ["-G", group, "-X", "auto.offset.reset=earliest",
                                               "-u", "-q", "-f", "%s\n", "two"],
                             name="kcat-%s" % group, capture=True)
        got = lambda: sorted(l for l in p.output().splitlines() if l.startswith("k"))
        cl.wait_for(lambda: len(got()) >= 100, "kcat -G %s reads the topic" % group, 90)
        p.stop()
        kh.check_eq(got(), want, "group %s gets every record exactly once" % group)


@kh.test
def describe_lag_and_reset_to_earliest():
    cl.create_topic("lagt", 3)
    produce("lagt", ["l%d" % i for i in range(90)], 3)   # 30 per partition
    commit("glag", "lagt", {0: 10, 1: 20, 2: 30})
    kh.check_in("glag", tool(["--list"]), "--list shows the group")
    out = tool(["--describe", "--group", "glag"])
    print(out)
    rows = [l.split() for l in out.splitlines() if l.startswith("glag ")]
    kh.check_eq(len(rows), 3, "one row per partition")
    for row in rows:
        part, cur, leo, lag = int(row[2]), int(row[3]), int(row[4]), int(row[5])
        kh.check_eq(leo, 30, "log end offset of lagt-%d" % part)
        kh.check_eq(cur, [10, 20, 30][part], "current offset of lagt-%d" % part)
        kh.check_eq(lag, leo - cur, "LAG = log end - committed for lagt-%d" % part)
    kh.check_in("Empty", tool(["--describe", "--group", "glag", "--state"]), "--state")
    kh.check_in("no active members", tool(["--describe", "--group", "glag", "--members"]), "--members")

    dry = tool(["--reset-offsets", "--group", "glag", "--topic", "lagt", "--to-earliest", "--dry-run"])
    kh.check_eq(committed("glag", "lagt", 3), {0: 10, 1: 20, 2: 30}, "dry run changes nothing")
    kh.check_in("NEW-OFFSET", dry, "dry run prints the plan")
    tool(["--reset-offsets", "--group", "glag", "--topic", "lagt", "--to-earliest", "--execute"])
    kh.check_eq(committed("glag", "lagt", 3), {0: 0, 1: 0, 2: 0}, "reset to earliest")
    tool(["--reset-offsets", "--group", "glag", "--topic", "lagt:1", "--shift-by", "5", "--execute"])
    kh.check_eq(committed("glag", "lagt", 3)[1], 5, "shift-by 5")
    tool(["--reset-offsets", "--group", "glag", "--all-topics", "--to-latest", "--execute"])
    kh.check_eq(committed("glag", "lagt", 3), {0: 30, 1: 30, 2: 30}, "reset to latest")
    tool(["--reset-offsets", "--group", "glag", "--topic", "lagt", "--to-earliest", "--execute"])

    # The group re-reads from the start.
    p = start_consumer("glag", "lagt", "lag")
    cl.wait_for(lambda: len(set(v for (_, _, v) in records(p))) >= 90, "group re-reads all 90", 90)
    kh.check_eq(min(o for (_, o, _) in records(p)), 0, "first offset read is 0")
    # A live group cannot be reset or deleted.
    tool(["--reset-offsets", "--group", "glag", "--topic", "lagt", "--to-earliest", "--execute"], 1)
    out = tool(["--describe", "--group", "glag", "--members"])
    kh.check_in("child-lag", out, "--members shows the client id")
    p.stop()
    # The child did not leave (SIGTERM): the group empties when its
    # session expires.
    cl.wait_for(lambda: "Empty" in tool(["--describe", "--group", "glag", "--state"]),
                "the group to become Empty", 60)
    tool(["--delete", "--group", "glag"])
    kh.check("glag" not in tool(["--list"]).split(), "deleted group is gone")


@kh.test
def offsets_survive_full_cluster_restart():
    commit("gres", "six", {0: 3, 1: 4, 5: 9})
    for i in sorted(cl.brokers):
        cl.stop_broker(i)
    for i in sorted(cl.broker_ports):
        cl.start_broker(i, wait=False)
    for i in sorted(cl.broker_ports):
        kh.wait_port(cl.broker_ports[i], timeout=60, proc=cl.brokers[i])
    cl.wait_brokers_registered(sorted(cl.broker_ports))
    cl.wait_topic_ready("six", 6)
    got = cl.wait_for(lambda: _try_committed("gres", "six", 6), "committed offsets readable", 90)
    kh.check_eq((got[0], got[1], got[5]), (3, 4, 9), "offsets after restart")


def _try_committed(group, topic, n):
    try:
        return committed(group, topic, n)
    except Exception:
        return None


def _offsets_partition(group):
    """Kafka's mapping: the __consumer_offsets partition holding group."""
    n = len(cl.zk_children("/brokers/topics/__consumer_offsets/partitions"))
    h = 0
    for ch in group.encode("utf-16-be")[1::2]:
        h = (31 * h + ch) & 0xffffffff
    return (h & 0x7fffffff) % n


def _offsets_state(part):
    return cl.zk_json("/brokers/topics/__consumer_offsets/partitions/%d/state" % part) or {}


def _wait_full_isr(part, what):
    """Wait until every broker is back in the ISR of offsets partition part
    (the controller's record in ZooKeeper), with a live leader."""
    want = sorted(cl.broker_ports)

    def full():
        st = _offsets_state(part)
        return sorted(st.get("isr", [])) == want and st.get("leader", -1) in cl.brokers
    cl.wait_for(full, what, 60)


@kh.test
def offsets_survive_coordinator_death():
    if not state["replicated"]:
        raise kh.SkipTest("no replication in this build: __consumer_offsets has one replica")
    part = _offsets_partition("gfail")
    # A commit is as safe as the ISR it was acknowledged under: after the
    # full restart one broker may lead with itself as the only in-sync
    # replica, and losing it would rightly lose what it alone holds.
    _wait_full_isr(part, "all 3 brokers in the ISR of __consumer_offsets-%d" % part)
    commit("gfail", "six", {0: 7, 2: 8})
    # The commit was acknowledged once every ISR member had it; kill the
    # broker leading the partition now (the coordinator).
    leader = _offsets_state(part)["leader"]
    cl.kill_broker(leader)
    try:
        got = cl.wait_for(lambda: _try_committed("gfail", "six", 6),
                          "offsets from the new coordinator", 90)
        kh.check_eq((got[0], got[2]), (7, 8), "offsets after the coordinator died")
        kh.check(_offsets_state(part).get("leader") not in (leader, -1, None),
                 "another broker leads __consumer_offsets-%d" % part)
    finally:
        # Leave the cluster as this case found it.
        cl.start_broker(leader)
    _wait_full_isr(part, "broker %d back in the ISR of __consumer_offsets-%d" % (leader, part))
    got = cl.wait_for(lambda: _try_committed("gfail", "six", 6), "offsets after the restart", 60)
    kh.check_eq((got[0], got[2]), (7, 8), "offsets after the old coordinator came back")


# ---- bad input, by hand ----------------------------------------------------------------

def _req(sock, key, ver, body, corr=7):
    hdr = struct.pack(">hhih", key, ver, corr, 4) + b"test"
    msg = hdr + body
    sock.sendall(struct.pack(">i", len(msg)) + msg)
    n = struct.unpack(">i", _recv(sock, 4))[0]
    data = _recv(sock, n)
    return data[4:]   # drop the correlation id


def _recv(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise kh.TestFailure("connection closed")
        buf += chunk
    return buf


def _s(text):
    b = text.encode()
    return struct.pack(">h", len(b)) + b


def _coordinator_socket(group):
    """A connection to group's coordinator (FindCoordinator v0 asked of
    each running broker in turn), or None while none is known."""
    for i in sorted(cl.brokers):
        try:
            with socket.create_connection(("127.0.0.1", cl.broker_ports[i]), timeout=30) as s:
                resp = _req(s, 10, 0, _s(group))
            err, node = struct.unpack(">hi", resp[:6])
            if err == 0:
                hlen = struct.unpack(">h", resp[6:8])[0]
                cport = struct.unpack(">i", resp[8 + hlen:12 + hlen])[0]
                return socket.create_connection(("127.0.0.1", cport), timeout=30)
        except OSError:
            continue   # that broker is restarting; ask another
    return None


def _loaded_coordinator_socket(group):
    """Like _coordinator_socket, but only once the coordinator has loaded
    its __consumer_offsets partition: FindCoordinator names a broker while
    it still reads the partition back (after the restarts of the cases
    above), and until then every group request is answered
    COORDINATOR_LOAD_IN_PROGRESS, as in Kafka."""
    s = _coordinator_socket(group)
    if s is None:
        return None
    body = _s(group) + struct.pack(">i", 1) + _s("probe")
    if struct.unpack(">h", _req(s, 12, 0, body)[:2])[0] in (14, 15, 16):
        s.close()   # loading, not available, not the coordinator (any more)
        return None
    return s


@kh.test
def bad_group_requests_get_kafka_errors():
    s = cl.wait_for(lambda: _loaded_coordinator_socket("gbad"), "a loaded coordinator for gbad",
                    60)
    with s:
        # JoinGroup v1 with an empty protocol list: INCONSISTENT_GROUP_PROTOCOL.
        body = _s("gbad") + struct.pack(">ii", 10000, 10000) + _s("") + _s("consumer") + struct.pack(">i", 0)
        err = struct.unpack(">h", _req(s, 11, 1, body)[:2])[0]
        kh.check_eq(err, 23, "JoinGroup without protocols")
        # SyncGroup for an unknown generation/member: UNKNOWN_MEMBER_ID.
        body = _s("gbad") + struct.pack(">i", 42) + _s("nobody") + struct.pack(">i", 0)
        err = struct.unpack(">h", _req(s, 14, 0, body)[:2])[0]
        kh.check_eq(err, 25, "SyncGroup from an unknown member")
        # Heartbeat with an illegal (empty) group id: INVALID_GROUP_ID.
        err = struct.unpack(">h", _req(s, 12, 0, _s("") + struct.pack(">i", 1) + _s("m"))[:2])[0]
        kh.check_eq(err, 24, "Heartbeat with an empty group id")
        # OffsetCommit v2 for an unknown topic: UNKNOWN_TOPIC_OR_PARTITION.
        body = (_s("gbad") + struct.pack(">i", -1) + _s("") + struct.pack(">q", -1) +
                struct.pack(">i", 1) + _s("no-such-topic") + struct.pack(">i", 1) +
                struct.pack(">iq", 0, 5) + _s(""))
        resp = _req(s, 8, 2, body)
        # topics[1] name partitions[1] (partition, error)
        off = 4 + 2 + len("no-such-topic") + 4 + 4
        kh.check_eq(struct.unpack(">h", resp[off:off + 2])[0], 3, "OffsetCommit to an unknown topic")
        # JoinGroup with an empty group id: INVALID_GROUP_ID, and the
        # coordinator still answers afterwards.
        body = _s("") + struct.pack(">ii", 10000, 10000) + _s("") + _s("consumer") + struct.pack(">i", 1) + _s("range") + struct.pack(">i", 0)
        kh.check_eq(struct.unpack(">h", _req(s, 11, 1, body)[:2])[0], 24, "JoinGroup with an empty group id")
    kh.check(all(p.running() for p in cl.brokers.values()), "every broker still running")


if __name__ == "__main__":
    kh.run_tests(setup=setup, teardown=cl.stop)
