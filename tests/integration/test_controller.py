"""tests/integration/test_controller.py -- kanal-controller against a real
ZooKeeper, with real processes.

Brokers are played by tests/integration/fake_broker (it registers
/brokers/ids/<id> like a broker, follows /controller, sends Register and
prints every control message it receives as "MSG {json}"), so these cases
check the controller alone:

  * two controllers: exactly one wins; /controller, /controller_epoch and
    /cluster/id hold what they must; kill -9 of the active one makes the
    standby win with the epoch grown by exactly one;
  * a topic assignment written by hand gets its partition states and the
    brokers get LeaderAndIsr and UpdateMetadata;
  * broker death and return move leadership (never outside the ISR);
  * AlterIsr, ControlledShutdown and topic deletion;
  * fencing: a deposed controller's state write fails its multi, and a
    controller paused past its session resigns when it wakes up.

Every case uses its own chroot; every process is stopped by PID (the
harness does it when the case ends, pass or fail).
"""

import json
import os
import re
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("KANAL_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests", "harness"))

import kanal_harness as kh  # noqa: E402

zk = kh.ZooKeeper()
SESSION_MS = 4000


def fake_broker():
    return kh.binary("tests/integration/fake_broker")


def zk_get(connect, path):
    """(data, version) of a znode, or (None, -1) if it does not exist."""
    out = kh.run_program([fake_broker(), "zk", connect, "get", path], name="zk-get")
    m = re.search(r"rc=(\S+) version=(-?\d+) data=(.*)", out)
    kh.check(m is not None, "zk get %s: unexpected output %r" % (path, out))
    if m.group(1) == "ZNONODE":
        return None, -1
    kh.check_eq(m.group(1), "ZOK", "zk get %s" % path)
    return m.group(3), int(m.group(2))


def zk_json(connect, path):
    data, _ = zk_get(connect, path)
    return json.loads(data) if data else None


def zk_do(connect, *args):
    out = kh.run_program([fake_broker(), "zk", connect] + list(args), name="zk-" + args[0])
    kh.check("rc=ZOK" in out, "zk %s: %s" % (" ".join(args), out))


def wait_for(cond, what, timeout=60.0):
    """Poll cond() until it returns something true (bounded, never a fixed
    sleep standing in for a condition)."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > deadline:
            raise kh.TestFailure("timed out waiting for %s" % what)
        time.sleep(0.2)


def start_controller(connect, cid, extra=None):
    port = kh.free_port()
    props = {
        "controller.id": cid,
        "listeners": "PLAINTEXT://127.0.0.1:%d" % port,
        "zookeeper.connect": connect,
        "zookeeper.session.timeout.ms": SESSION_MS,
        "log.level": "debug",
    }
    props.update(extra or {})
    cfg = kh.write_properties(os.path.join(kh.workdir(), "controller-%d-%d.properties"
                                           % (cid, port)), props)
    p = kh.start_process([kh.binary("kanal-controller"), "--config", cfg],
                         name="controller-%d" % cid, capture=True)
    p.port = port
    p.cid = cid
    kh.wait_port(port, timeout=60, proc=p)
    return p


def start_broker(connect, bid, tls=None):
    """A fake broker; tls = [ca] or [ca, cert, key] for an SSL endpoint."""
    fifo = os.path.join(kh.workdir(), "broker-%d-%d.cmd" % (bid, kh.free_port()))
    os.mkfifo(fifo)
    p = kh.start_process([fake_broker(), "broker", connect, bid, fifo] + list(tls or []),
                         name="fake-broker-%d" % bid, capture=True)
    p.fifo = fifo
    p.expect(r"REGISTERED id=%d" % bid, timeout=60)
    return p


def command(broker, line):
    with open(broker.fifo, "w") as f:
        f.write(line + "\n")


def messages(proc, mtype):
    out = []
    for line in proc.output().splitlines():
        if line.startswith("MSG "):
            j = json.loads(line[4:])
            if j.get("type") == mtype:
                out.append(j)
    return out


def find_part(msg, topic, partition):
    for p in msg.get("partitions", []):
        if p["topic"] == topic and p["partition"] == partition:
            return p
    return None


def wait_msg(proc, mtype, pred, what, timeout=60.0):
    return wait_for(lambda: next((m for m in messages(proc, mtype) if pred(m)), None),
                    what, timeout)


def wait_state(connect, topic, partition, pred, what, timeout=60.0):
    path = "/brokers/topics/%s/partitions/%d/state" % (topic, partition)

    def ok():
        j = zk_json(connect, path)
        return j if j is not None and pred(j) else None
    return wait_for(ok, what, timeout)


def active_controller(connect):
    j = zk_json(connect, "/controller")
    return j["controllerid"] if j else None


# ------------------------------------------------------------------ cases

@kh.test
def one_of_two_wins_and_standby_takes_over_after_kill9():
    connect = zk.connect("/ctl-election")
    c1 = start_controller(connect, 1)
    c2 = start_controller(connect, 2)
    procs = {1: c1, 2: c2}
    winner = wait_for(lambda: active_controller(connect), "a controller to be elected")
    kh.check(winner in (1, 2), "winner is one of ours")
    active, standby = procs[winner], procs[3 - winner]

    ctl = zk_json(connect, "/controller")
    kh.check_eq(ctl["version"], 1, "/controller version")
    kh.check_eq(ctl["brokerid"], winner, "/controller brokerid")
    kh.check_eq(ctl["endpoint"], "PLAINTEXT://127.0.0.1:%d" % active.port, "/controller endpoint")
    kh.check(isinstance(ctl["timestamp"], str) and ctl["timestamp"].isdigit(),
             "/controller timestamp is a string of digits")
    epoch, _ = zk_get(connect, "/controller_epoch")
    kh.check_eq(epoch, "1", "/controller_epoch after the first election")
    cid = zk_json(connect, "/cluster/id")
    kh.check_eq(cid["version"], "1", "/cluster/id version")
    kh.check(re.fullmatch(r"[A-Za-z0-9_-]{22}", cid["id"]) is not None,
             "/cluster/id id is a 22-char url-safe base64 uuid: %r" % cid["id"])
    active.expect(r"controller %d elected with epoch 1" % winner)
    standby.expect(r"standing by: controller %d is active" % winner)

    # A crash: the ephemeral node goes with the session, the standby wins.
    active.kill9()
    wait_for(lambda: active_controller(connect) == 3 - winner, "the standby to take over")
    epoch, _ = zk_get(connect, "/controller_epoch")
    kh.check_eq(epoch, "2", "/controller_epoch grew by exactly one")
    ctl = zk_json(connect, "/controller")
    kh.check_eq(ctl["endpoint"], "PLAINTEXT://127.0.0.1:%d" % standby.port, "new endpoint")
    standby.expect(r"controller %d elected with epoch 2" % (3 - winner))
    # The cluster id survives controllers.
    kh.check_eq(zk_json(connect, "/cluster/id")["id"], cid["id"], "cluster id unchanged")


@kh.test
def topic_assignment_broker_death_and_return():
    connect = zk.connect("/ctl-topics")
    ctl = start_controller(connect, 1)
    wait_for(lambda: active_controller(connect) == 1, "controller 1 active")
    b1 = start_broker(connect, 1)
    b2 = start_broker(connect, 2)
    for b in (b1, b2):
        wait_msg(b, "RegisterResponse", lambda m: m["error_code"] == 0, "registration accepted")

    # An assignment written by hand, as the admin path does.
    zk_do(connect, "create", "/brokers/topics/orders",
          json.dumps({"version": 2, "partitions": {"0": [1, 2], "1": [2, 1]}}))
    s0 = wait_state(connect, "orders", 0, lambda j: True, "orders-0 state")
    s1 = wait_state(connect, "orders", 1, lambda j: True, "orders-1 state")
    kh.check_eq((s0["leader"], s0["leader_epoch"], s0["isr"], s0["controller_epoch"],
                 s0["version"]), (1, 0, [1, 2], 1, 1), "orders-0 first state")
    kh.check_eq((s1["leader"], s1["isr"]), (2, [2, 1]), "orders-1 first state")

    lai = wait_msg(b1, "LeaderAndIsr", lambda m: find_part(m, "orders", 0) is not None,
                   "LeaderAndIsr for orders-0 at broker 1")
    p0 = find_part(lai, "orders", 0)
    kh.check_eq((p0["leader"], p0["isr"], p0["replicas"], p0["is_new"], lai["controller_epoch"]),
                (1, [1, 2], [1, 2], True, 1), "LeaderAndIsr content")
    um = wait_msg(b2, "UpdateMetadata", lambda m: find_part(m, "orders", 1) is not None,
                  "UpdateMetadata with the topic at broker 2")
    kh.check_eq(sorted(b["id"] for b in um["live_brokers"]), [1, 2], "live brokers")
    kh.check_eq(um["cluster_id"], zk_json(connect, "/cluster/id")["id"], "cluster id pushed")

    # Broker 2 dies (its session closes): it led orders-1, 1 takes over
    # from the ISR, and 2 leaves every ISR.
    b2.stop()
    s1 = wait_state(connect, "orders", 1, lambda j: j["leader"] == 1, "orders-1 leader moves to 1")
    kh.check_eq((s1["leader_epoch"], s1["isr"]), (1, [1]), "orders-1 after broker 2 died")
    s0 = wait_state(connect, "orders", 0, lambda j: j["isr"] == [1], "orders-0 ISR shrinks")
    kh.check_eq((s0["leader"], s0["leader_epoch"]), (1, 1), "orders-0 keeps its leader")
    wait_msg(b1, "LeaderAndIsr",
             lambda m: (find_part(m, "orders", 1) or {}).get("leader") == 1 and
             find_part(m, "orders", 1)["leader_epoch"] == 1, "LeaderAndIsr: broker 1 leads orders-1")

    # Broker 2 returns: it is out of the ISR, so nothing moves to it.
    b2 = start_broker(connect, 2)
    wait_msg(b2, "LeaderAndIsr", lambda m: find_part(m, "orders", 1) is not None,
             "returning broker gets its partitions")
    # Now broker 1, the last ISR member, dies: offline, ISR kept.
    b1.stop()
    s1 = wait_state(connect, "orders", 1, lambda j: j["leader"] == -1, "orders-1 goes offline")
    kh.check_eq((s1["isr"], s1["leader_epoch"]), ([1], 2), "ISR never emptied, epoch bumped")
    # ... until broker 1 returns: it is in the ISR, so it leads again.
    b1 = start_broker(connect, 1)
    s1 = wait_state(connect, "orders", 1, lambda j: j["leader"] == 1, "broker 1 leads again")
    kh.check_eq((s1["isr"], s1["leader_epoch"]), ([1], 3), "orders-1 back online")
    wait_msg(b1, "LeaderAndIsr", lambda m: (find_part(m, "orders", 1) or {}).get("leader") == 1,
             "returning ISR member told it leads")
    ctl.expect(r"broker 2 is gone")

    # Partitions added to the assignment (CreatePartitions) get a state.
    zk_do(connect, "set", "/brokers/topics/orders",
          json.dumps({"version": 2, "partitions": {"0": [1, 2], "1": [2, 1], "2": [2, 1]}}))
    s2 = wait_state(connect, "orders", 2, lambda j: True, "orders-2 state")
    kh.check_eq((s2["leader"], s2["isr"], s2["leader_epoch"]), (2, [2, 1], 0), "orders-2 state")
    wait_msg(b2, "LeaderAndIsr", lambda m: (find_part(m, "orders", 2) or {}).get("is_new"),
             "LeaderAndIsr for the new partition")
    # A clean stop; under the sanitizers a leak would make this non-zero.
    kh.check_eq(ctl.stop(), 0, "controller exit status")


@kh.test
def unclean_election_when_enabled():
    connect = zk.connect("/ctl-unclean")
    start_controller(connect, 1, {"unclean.leader.election.enable": "true"})
    wait_for(lambda: active_controller(connect) == 1, "controller active")
    b1 = start_broker(connect, 1)
    wait_msg(b1, "RegisterResponse", lambda m: m["error_code"] == 0, "broker 1 registered")
    zk_do(connect, "create", "/brokers/topics/u",
          json.dumps({"version": 2, "partitions": {"0": [1, 2]}}))
    wait_state(connect, "u", 0, lambda j: j["isr"] == [1], "u-0 state with ISR [1]")
    b2 = start_broker(connect, 2)
    wait_msg(b2, "RegisterResponse", lambda m: m["error_code"] == 0, "broker 2 registered")
    b1.stop()
    s = wait_state(connect, "u", 0, lambda j: j["leader"] == 2, "unclean leader 2")
    kh.check_eq(s["isr"], [2], "unclean leader alone in the ISR")


@kh.test
def leadership_returns_to_the_preferred_replica():
    connect = zk.connect("/ctl-rebalance")
    start_controller(connect, 1, {"leader.imbalance.check.interval.seconds": 1})
    wait_for(lambda: active_controller(connect) == 1, "controller active")
    b1 = start_broker(connect, 1)
    b2 = start_broker(connect, 2)
    for b in (b1, b2):
        wait_msg(b, "RegisterResponse", lambda m: m["error_code"] == 0, "registered")
    zk_do(connect, "create", "/brokers/topics/r",
          json.dumps({"version": 2, "partitions": {"0": [1, 2]}}))
    wait_state(connect, "r", 0, lambda j: j["leader"] == 1 and j["isr"] == [1, 2], "r-0 led by 1")
    b1.stop()
    s = wait_state(connect, "r", 0, lambda j: j["leader"] == 2, "fail-over to 2")
    kh.check_eq(s["isr"], [2], "ISR after fail-over")
    b1 = start_broker(connect, 1)
    wait_msg(b1, "RegisterResponse", lambda m: m["error_code"] == 0, "broker 1 back")
    # Out of the ISR, broker 1 does not get leadership back...
    kh.check_eq(zk_json(connect, "/brokers/topics/r/partitions/0/state")["leader"], 2,
                "no move to an out-of-sync replica")
    # ... until the leader reports it caught up.
    data, version = zk_get(connect, "/brokers/topics/r/partitions/0/state")
    command(b2, "alter_isr r 0 %d %d 2,1" % (json.loads(data)["leader_epoch"], version))
    wait_msg(b2, "AlterIsrResponse", lambda m: m["error_code"] == 0 and m["errors"] == [],
             "ISR expanded")
    s = wait_state(connect, "r", 0, lambda j: j["leader"] == 1, "leadership back on broker 1")
    kh.check_eq((s["isr"], s["leader_epoch"]), ([2, 1], json.loads(data)["leader_epoch"] + 1),
                "preferred leader elected with a new epoch")
    wait_msg(b1, "LeaderAndIsr", lambda m: (find_part(m, "r", 0) or {}).get("leader") == 1,
             "broker 1 told it leads again")


@kh.test
def alter_isr_controlled_shutdown_and_delete():
    connect = zk.connect("/ctl-requests")
    start_controller(connect, 1)
    wait_for(lambda: active_controller(connect) == 1, "controller active")
    b1 = start_broker(connect, 1)
    wait_msg(b1, "RegisterResponse", lambda m: m["error_code"] == 0, "broker 1 registered")
    zk_do(connect, "create", "/brokers/topics/pay",
          json.dumps({"version": 2, "partitions": {"0": [1, 2]}}))
    wait_state(connect, "pay", 0, lambda j: j["isr"] == [1], "pay-0 with ISR [1]")
    b2 = start_broker(connect, 2)
    wait_msg(b2, "RegisterResponse", lambda m: m["error_code"] == 0, "broker 2 registered")
    lai = wait_msg(b1, "LeaderAndIsr", lambda m: find_part(m, "pay", 0) is not None, "pay-0 LAI")
    p = find_part(lai, "pay", 0)

    # The leader adds the caught-up follower.
    command(b1, "alter_isr pay 0 %d %d 1,2" % (p["leader_epoch"], p["zk_version"]))
    r = wait_msg(b1, "AlterIsrResponse", lambda m: True, "AlterIsr response")
    kh.check_eq(r["error_code"], 0, "AlterIsr accepted")
    kh.check_eq(r["errors"], [], "no partition errors")
    kh.check_eq((r["partitions"][0]["isr"], r["partitions"][0]["leader_epoch"],
                 r["partitions"][0]["zk_version"]),
                ([1, 2], p["leader_epoch"], p["zk_version"] + 1), "new state in the response")
    wait_state(connect, "pay", 0, lambda j: j["isr"] == [1, 2], "ISR [1,2] written")
    # A proposal based on the old version is refused.
    command(b1, "alter_isr pay 0 %d %d 1" % (p["leader_epoch"], p["zk_version"]))
    r = wait_msg(b1, "AlterIsrResponse", lambda m: m["errors"] != [], "stale AlterIsr answered")
    kh.check_eq(r["errors"][0]["error_code"], 95, "INVALID_UPDATE_VERSION")
    # Only the leader may propose.
    command(b2, "alter_isr pay 0 %d %d 2" % (p["leader_epoch"], p["zk_version"] + 1))
    r = wait_msg(b2, "AlterIsrResponse", lambda m: True, "follower's AlterIsr answered")
    kh.check_eq(r["errors"][0]["error_code"], 6, "NOT_LEADER_OR_FOLLOWER")

    # Controlled shutdown of the leader: leadership moves to 2.
    command(b1, "shutdown")
    r = wait_msg(b1, "ControlledShutdownResponse", lambda m: True, "shutdown response")
    kh.check_eq((r["error_code"], r["remaining"]), (0, []), "nothing left on broker 1")
    s = wait_state(connect, "pay", 0, lambda j: j["leader"] == 2, "pay-0 led by 2")
    kh.check_eq(s["isr"], [2], "shutting-down broker left the ISR")
    wait_msg(b2, "LeaderAndIsr", lambda m: (find_part(m, "pay", 0) or {}).get("leader") == 2,
             "broker 2 told it leads")
    # Broker 2 is the last one: its shutdown cannot move anything.
    command(b2, "shutdown")
    r = wait_msg(b2, "ControlledShutdownResponse", lambda m: True, "second shutdown response")
    kh.check_eq([(x["topic"], x["partition"]) for x in r["remaining"]], [("pay", 0)],
                "partition that could not move")

    # Topic deletion through the admin marker.
    zk_do(connect, "create", "/config/topics/pay", json.dumps({"version": 1, "config": {}}))
    zk_do(connect, "create", "/admin/delete_topics/pay", "")
    sr = wait_msg(b2, "StopReplica", lambda m: True, "StopReplica at broker 2")
    kh.check_eq(sr["partitions"], [{"topic": "pay", "partition": 0, "delete": True}],
                "StopReplica deletes the partition")
    wait_for(lambda: zk_get(connect, "/admin/delete_topics/pay")[0] is None, "marker removed")
    kh.check_eq(zk_get(connect, "/brokers/topics/pay")[0], None, "topic znodes deleted")
    kh.check_eq(zk_get(connect, "/config/topics/pay")[0], None, "topic config deleted")
    wait_msg(b1, "UpdateMetadata", lambda m: m["deleted_topics"] == ["pay"],
             "UpdateMetadata announces the deletion")


@kh.test
def deposed_controller_is_fenced():
    connect = zk.connect("/ctl-fencing")
    c1 = start_controller(connect, 1)
    wait_for(lambda: active_controller(connect) == 1, "controller 1 active")
    b1 = start_broker(connect, 1)
    wait_msg(b1, "RegisterResponse", lambda m: m["error_code"] == 0, "broker registered")
    zk_do(connect, "create", "/brokers/topics/f",
          json.dumps({"version": 2, "partitions": {"0": [1]}}))
    before = wait_state(connect, "f", 0, lambda j: j["leader"] == 1, "f-0 state")
    _, old_epoch_version = zk_get(connect, "/controller_epoch")
    c2 = start_controller(connect, 2)
    c2.expect(r"standing by: controller 1 is active")

    # Pause controller 1 past its session timeout: controller 2 wins.
    os.kill(c1.pid, signal.SIGSTOP)
    try:
        wait_for(lambda: active_controller(connect) == 2, "controller 2 takes over")
        epoch, new_version = zk_get(connect, "/controller_epoch")
        kh.check_eq((epoch, new_version), ("2", old_epoch_version + 1), "epoch 2")
        # A write as controller 1 would make it, with the epoch version it
        # was elected with, fails as a whole.
        out = kh.run_program([fake_broker(), "fenced-write", connect, str(old_epoch_version),
                              "f", "0", "7"], name="zombie-write")
        kh.check_in("result=FENCED", out, "zombie write fenced")
        after = zk_json(connect, "/brokers/topics/f/partitions/0/state")
        kh.check_eq((after["leader"], after["leader_epoch"]), (before["leader"],
                                                                before["leader_epoch"]),
                    "state unchanged by the fenced write")
        # The broker follows /controller to the new controller.
        wait_msg(b1, "RegisterResponse", lambda m: m["controller_epoch"] == 2,
                 "broker registered with controller 2")
        wait_msg(b1, "UpdateMetadata", lambda m: m["controller_epoch"] == 2,
                 "UpdateMetadata from epoch 2")
    finally:
        os.kill(c1.pid, signal.SIGCONT)
    # Woken up, controller 1 finds its session gone and resigns; it does
    # not take the controllership back.
    c1.expect(r"resigning \(epoch 1\)")
    c1.expect(r"standing by: controller 2 is active")
    kh.check_eq(active_controller(connect), 2, "controller 2 still active")
    kh.check_eq(zk_get(connect, "/controller_epoch")[0], "2", "epoch unchanged")
    kh.check("IGNORED" not in b1.output(), "no stale message reached the broker")
    kh.check_eq(c1.stop(), 0, "resigned controller exits cleanly")
    kh.check_eq(c2.stop(), 0, "active controller exits cleanly")


@kh.test
def ssl_listener_with_client_certificates():
    import kanal_cluster as kc
    tls = kc.make_tls(os.path.join(kh.workdir(), "tls"))
    connect = zk.connect("/ctl-ssl")
    port = kh.free_port()
    props = {"controller.id": 1, "listeners": "SSL://127.0.0.1:%d" % port,
             "zookeeper.connect": connect, "zookeeper.session.timeout.ms": SESSION_MS,
             "ssl.certificate.location": tls["cert"], "ssl.key.location": tls["key"],
             "ssl.ca.location": tls["ca"], "ssl.client.auth": "required"}
    cfg = kh.write_properties(os.path.join(kh.workdir(), "controller-ssl.properties"), props)
    c = kh.start_process([kh.binary("kanal-controller"), "--config", cfg],
                         name="controller-ssl", capture=True)
    kh.wait_port(port, timeout=60, proc=c)
    wait_for(lambda: (zk_json(connect, "/controller") or {}).get("endpoint") ==
             "SSL://127.0.0.1:%d" % port, "SSL endpoint published")

    # With a client certificate the session works end to end.
    b1 = start_broker(connect, 1, [tls["ca"], tls["client_cert"], tls["client_key"]])
    wait_msg(b1, "RegisterResponse", lambda m: m["error_code"] == 0, "TLS broker registered")
    zk_do(connect, "create", "/brokers/topics/s", json.dumps({"version": 2,
                                                              "partitions": {"0": [1]}}))
    wait_msg(b1, "LeaderAndIsr", lambda m: find_part(m, "s", 0) is not None, "LAI over TLS")
    # Without one the handshake is refused and nothing is delivered.
    b2 = start_broker(connect, 2, [tls["ca"]])
    b2.expect(r"DISCONNECTED SSL://")
    kh.check(messages(b2, "RegisterResponse") == [], "no registration without a certificate")
    kh.check_eq(c.stop(), 0, "controller exit status")


@kh.test
def clean_stop_hands_over_at_once():
    connect = zk.connect("/ctl-stop")
    c1 = start_controller(connect, 1)
    wait_for(lambda: active_controller(connect) == 1, "controller 1 active")
    c2 = start_controller(connect, 2)
    c2.expect(r"standing by")
    kh.check_eq(c1.stop(), 0, "clean exit status")
    wait_for(lambda: active_controller(connect) == 2, "controller 2 takes over")
    kh.check_eq(zk_get(connect, "/controller_epoch")[0], "2", "epoch 2")


@kh.test
def bad_configuration_is_refused():
    out = kh.run_program([kh.binary("kanal-controller"), "--override", "controller.id=1",
                          "--override", "zookeeper.connect=127.0.0.1:1",
                          "--override", "listeners=HTTP://127.0.0.1:1"], expect_status=2,
                         name="bad-config")
    kh.check_in("listeners", out, "error names the key")
    out = kh.run_program([kh.binary("kanal-controller"), "--override",
                          "zookeeper.connect=127.0.0.1:1"], expect_status=2, name="no-id")
    kh.check_in("controller.id", out, "missing controller.id named")


if __name__ == "__main__":
    kh.run_tests(setup=zk.start)
