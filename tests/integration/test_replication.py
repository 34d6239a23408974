#!/usr/bin/python3
"""tests/integration/test_replication.py -- replication with real processes.

ZooKeeper + 1 kanal-controller + 3 kanal-brokers on loopback,
min.insync.replicas=2. Records are written by kctl-verifiable-producer
(librdkafka, acks=all, idempotence off) and read back by
kctl-verifiable-consumer, which checks that every acknowledged record is
there exactly as written with per-key order kept. Cases:
  - RF=3 round trip: replicas byte-identical, ISR of all three;
  - a follower killed: the ISR shrinks, writes go on, the follower returns,
    truncates nothing it should keep, rejoins the ISR (AlterIsr), and the
    logs are identical again;
  - a follower frozen (SIGSTOP) past replica.lag.time.max.ms: the leader
    drops it from the ISR itself, and takes it back once it catches up;
  - controlled shutdown: a stopping leader hands its partitions over and
    leaves the ISRs before it goes, no delivery fails;
  - preferred-leader election on demand (kctl-leader-election) moves
    leadership back to the first assigned replica;
  - min.insync.replicas: with 2 of 3 brokers down acks=all is refused with
    NOT_ENOUGH_REPLICAS, and nothing acknowledged is lost when they return;
  - follower truncation (KIP-101): a stale leader comes back with records
    nobody else has, after a new leader took writes; it truncates them and
    the replicas converge byte for byte;
  - unclean leader election: off, a partition whose only ISR member is dead
    stays offline; on (controller-wide, or for one topic), it comes back --
    with the loss the setting allows.
"""

import os
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kanal_cluster as kc  # noqa: E402
import kanal_harness as kh  # noqa: E402
import repl_util as ru  # noqa: E402

BROKER_PROPS = {
    "min.insync.replicas": 2,
    "default.replication.factor": 3,
    "replica.lag.time.max.ms": 4000,
    "replica.fetch.wait.max.ms": 200,
    "replica.fetch.backoff.ms": 200,
}
# Automatic leader rebalancing off: its timer (every 300 s by default,
# counted from the controller's start) could move leadership back to a
# preferred replica at any moment of a case that checks it stayed away.
cl = kc.Cluster(brokers=3, controllers=1, broker_props=BROKER_PROPS,
                controller_props={"auto.leader.rebalance.enable": "false"})


def all_brokers_up():
    for b in (1, 2, 3):
        if b not in cl.brokers:
            cl.start_broker(b)


@kh.test
def rf3_roundtrip_identical_replicas():
    cl.create_topic("rt", 3, rf=3)
    vp = ru.VerifiableProducer(cl, "rt", throughput=-1, max_messages=3000, keys=7)
    sent, acked, failed = vp.finish()
    kh.check_eq((sent, acked, failed), (3000, 3000, 0), "every record acknowledged")
    counts = ru.verify(cl, "rt", vp)
    kh.check_eq(counts["unique"], 3000, "records read back")
    ru.wait_isr(cl, "rt", 3, [1, 2, 3])
    ru.wait_logs_identical(cl, "rt", 3)
    # Leaders and followers alike checkpoint the high watermark
    # (replication-offset-checkpoint): every record is committed.
    cl.wait_for(lambda: all(sum(v for (t, _), v in ru.hw_checkpoint(cl, b).items() if t == "rt")
                            == 3000 for b in (1, 2, 3)),
                "high watermarks checkpointed on every replica (%s)"
                % [ru.hw_checkpoint(cl, b) for b in (1, 2, 3)])


@kh.test
def follower_killed_and_back():
    cl.create_topic("fk", 1, rf=3)
    leader = ru.leader_of(cl, "fk")
    follower = [b for b in (1, 2, 3) if b != leader][0]
    vp = ru.VerifiableProducer(cl, "fk")
    vp.wait_acked(200)
    cl.kill_broker(follower)
    # The controller drops the dead broker once its session expires.
    ru.wait_isr(cl, "fk", 1, [b for b in (1, 2, 3) if b != follower])
    vp.wait_progress(200, what="writes with one follower down")
    cl.start_broker(follower)
    # Back in the ISR only through the leader's AlterIsr.
    ru.wait_isr(cl, "fk", 1, [1, 2, 3])
    vp.wait_progress(100)
    vp.finish()
    ru.verify(cl, "fk", vp)
    ru.wait_logs_identical(cl, "fk", 1)


@kh.test
def lagging_follower_leaves_and_rejoins_isr():
    cl.create_topic("lag", 1, rf=3)
    leader = ru.leader_of(cl, "lag")
    follower = [b for b in (1, 2, 3) if b != leader][0]
    vp = ru.VerifiableProducer(cl, "lag")
    vp.wait_acked(100)
    # Frozen, the follower stops fetching while its ZooKeeper session may
    # still be alive: only the leader's lag check can drop it.
    os.kill(cl.brokers[follower].pid, signal.SIGSTOP)
    try:
        ru.wait_isr(cl, "lag", 1, [b for b in (1, 2, 3) if b != follower])
    finally:
        os.kill(cl.brokers[follower].pid, signal.SIGCONT)
    vp.wait_progress(100, what="writes with the lagging follower out of the ISR")
    if ru.state(cl, "lag", 0)["leader"] != leader:
        raise kh.TestFailure("leadership moved: %s" % ru.state(cl, "lag", 0))
    # Its session may have expired meanwhile; either way it must come back.
    cl.wait_brokers_registered([1, 2, 3])
    ru.wait_isr(cl, "lag", 1, [1, 2, 3])
    vp.finish()
    ru.verify(cl, "lag", vp)
    ru.wait_logs_identical(cl, "lag", 1)


@kh.test
def controlled_shutdown_moves_leadership_first():
    all_brokers_up()
    cl.create_topic("cs", 3, rf=3)
    victim = ru.leader_of(cl, "cs", 0)
    vp = ru.VerifiableProducer(cl, "cs")
    vp.wait_acked(200)
    cl.stop_broker(victim)
    with open(os.path.join(cl.dir, "broker-%d.log" % victim), errors="replace") as f:
        kh.check("controlled shutdown done" in f.read(),
                 "broker %d moved its leadership away before stopping" % victim)
    # Leadership left before the broker did, so it is elsewhere now, and
    # the broker is out of every ISR.
    kh.check(all(ru.leader_of(cl, "cs", p) not in (-1, victim) for p in range(3)),
             "partitions led elsewhere: %s" % [ru.state(cl, "cs", p) for p in range(3)])
    ru.wait_isr(cl, "cs", 3, [b for b in (1, 2, 3) if b != victim])
    vp.wait_progress(100, what="writes after the controlled shutdown")
    cl.start_broker(victim)
    ru.wait_isr(cl, "cs", 3, [1, 2, 3])
    vp.wait_progress(50)
    sent, acked, failed = vp.finish()
    kh.check_eq(failed, 0, "no delivery failed across the controlled shutdown")
    ru.verify(cl, "cs", vp)
    ru.wait_logs_identical(cl, "cs", 3)


@kh.test
def preferred_leader_election_on_demand():
    all_brokers_up()
    cl.create_topic("pref", 3, rf=3)
    assign = cl.zk_json("/brokers/topics/pref")["partitions"]
    preferred = assign["0"][0]
    vp = ru.VerifiableProducer(cl, "pref")
    vp.wait_acked(100)
    cl.stop_broker(preferred)
    ru.wait_leader_not(cl, "pref", 3, preferred)
    cl.start_broker(preferred)
    ru.wait_isr(cl, "pref", 3, [1, 2, 3])
    kh.check(ru.leader_of(cl, "pref", 0) != preferred, "leadership stayed away")
    tool = [kh.binary("kctl-leader-election"), "--zookeeper", cl.zk.connect(kc.CHROOT),
            "--election-type", "preferred"]
    out = kh.run_program(tool + ["--topic", "pref"], timeout=120)
    for p in range(3):
        kh.check_eq(ru.leader_of(cl, "pref", p), assign[str(p)][0],
                    "pref-%d led by its preferred replica" % p)
        kh.check_in("pref-%d: leader %d (preferred)" % (p, assign[str(p)][0]), out, "report")
    # Writes went on across both moves, nothing acknowledged was lost.
    vp.wait_progress(100)
    sent, acked, failed = vp.finish()
    kh.check_eq(failed, 0, "no delivery failed")
    ru.verify(cl, "pref", vp)
    ru.wait_logs_identical(cl, "pref", 3)
    # Misuse is refused.
    kh.run_program(tool + ["--topic", "no-such-topic"], expect_status=1)
    kh.run_program(tool[:-2] + ["--election-type", "unclean", "--all-topic-partitions"],
                   expect_status=1)


@kh.test
def min_insync_replicas_refuses_then_recovers():
    all_brokers_up()
    cl.create_topic("minisr", 1, rf=3)
    vp = ru.VerifiableProducer(cl, "minisr", throughput=-1, max_messages=500)
    kh.check_eq(vp.finish()[1], 500, "acknowledged before the failure")
    leader = ru.leader_of(cl, "minisr")
    others = [b for b in (1, 2, 3) if b != leader]
    for b in others:
        cl.stop_broker(b)
    ru.wait_isr(cl, "minisr", 1, [leader])
    # ZooKeeper holds the shrunken ISR a moment before the leader's own copy
    # does (the controller writes it, then answers the leader), as in Kafka;
    # in that moment a produce is appended and then refused with
    # NOT_ENOUGH_REPLICAS_AFTER_APPEND.  Wait until the leader itself
    # refuses up front before counting.
    def leader_refuses_up_front():
        probe = ru.VerifiableProducer(cl, "minisr", throughput=-1, max_messages=1,
                                      props={"retries": 0, "message.timeout.ms": 10000})
        probe.finish()
        return "NOT_ENOUGH_REPLICAS" in probe.failed_errors()
    cl.wait_for(leader_refuses_up_front, "the leader refusing with NOT_ENOUGH_REPLICAS", 60.0)
    refused = ru.VerifiableProducer(cl, "minisr", throughput=-1, max_messages=20,
                                    props={"retries": 0, "message.timeout.ms": 10000})
    sent, acked, failed = refused.finish()
    kh.check_eq((acked, failed), (0, 20), "acks=all refused with one in-sync replica")
    errs = set(refused.failed_errors())
    kh.check(errs <= {"NOT_ENOUGH_REPLICAS", "NOT_ENOUGH_REPLICAS_AFTER_APPEND"},
             "errors were NOT_ENOUGH_REPLICAS: %s" % errs)
    kh.check("NOT_ENOUGH_REPLICAS" in errs, "NOT_ENOUGH_REPLICAS seen: %s" % errs)
    for b in others:
        cl.start_broker(b)
    ru.wait_isr(cl, "minisr", 1, [1, 2, 3])
    after = ru.VerifiableProducer(cl, "minisr", throughput=-1, max_messages=300)
    kh.check_eq(after.finish()[1], 300, "acknowledged after the brokers returned")
    ru.verify(cl, "minisr", vp)
    ru.verify(cl, "minisr", after)
    ru.wait_logs_identical(cl, "minisr", 1)


@kh.test
def stale_leader_truncates_and_converges():
    all_brokers_up()
    # min.insync.replicas=1 and acks=1: the leader may hold records no
    # follower has -- exactly what KIP-101 must clean up.
    cl.create_topic("trunc", 1, rf=3, config={"min.insync.replicas": "1"})
    old = ru.leader_of(cl, "trunc")
    others = [b for b in (1, 2, 3) if b != old]
    base = ru.VerifiableProducer(cl, "trunc", throughput=-1, max_messages=300)
    kh.check_eq(base.finish()[1], 300, "replicated records")
    ru.wait_logs_identical(cl, "trunc", 1)
    # An acks=1 producer under way; then the followers freeze for a moment
    # (well within the lag allowance and the session timeout): what the
    # leader takes now stays on it alone, and then it dies.
    lone = ru.VerifiableProducer(cl, "trunc", throughput=100, props={"acks": 1})
    lone.wait_acked(20)
    for b in others:
        os.kill(cl.brokers[b].pid, signal.SIGSTOP)
    try:
        lone.wait_progress(20, what="acks=1 records on the leader alone")
        cl.kill_broker(old)
    finally:
        for b in others:
            os.kill(cl.brokers[b].pid, signal.SIGCONT)
    ru.wait_leader_not(cl, "trunc", 1, old)
    lone.wait_progress(50, what="records taken by the new leader")
    lone.finish()
    cl.start_broker(old)
    ru.wait_isr(cl, "trunc", 1, [1, 2, 3])
    ru.wait_logs_identical(cl, "trunc", 1)
    ru.verify(cl, "trunc", base)
    # What only the stale leader had was truncated away everywhere; the
    # rest reads back in order.
    counts = ru.verify(cl, "trunc", lone, expect_ok=False)
    kh.check(counts["lost"] + counts["mismatched"] > 0,
             "the stale leader's unreplicated records are gone: %s" % counts)
    kh.check_eq((counts["out_of_order"], counts["corrupt"]), (0, 0), "order and values")
    with open(cl.brokers[old].log_path, errors="replace") as f:
        kh.check("trunc-0: truncated from" in f.read(), "the returning leader truncated")


@kh.test
def unclean_election_off_then_on():
    all_brokers_up()
    cl.create_topic("unclean", 1, rf=3, config={"min.insync.replicas": "1"})
    leader = ru.leader_of(cl, "unclean")
    others = [b for b in (1, 2, 3) if b != leader]
    for b in others:
        cl.stop_broker(b)
    ru.wait_isr(cl, "unclean", 1, [leader])
    only = ru.VerifiableProducer(cl, "unclean", throughput=-1, max_messages=100)
    kh.check_eq(only.finish()[1], 100, "records on the only in-sync replica")
    cl.kill_broker(leader)
    for b in others:
        cl.start_broker(b)
    cl.wait_for(lambda: ru.leader_of(cl, "unclean") == -1, "partition offline")
    time.sleep(3)   # give a wrong election every chance to happen
    kh.check_eq(ru.leader_of(cl, "unclean"), -1, "no leader from outside the ISR")
    # Now allow unclean elections: a restarted controller applies it.
    cl.extra_controller["unclean.leader.election.enable"] = "true"
    try:
        cl.stop_controller(1)
        cl.start_controller(1)
        cl.wait_for(lambda: ru.leader_of(cl, "unclean") in others, "unclean leader elected")
        after = ru.VerifiableProducer(cl, "unclean", throughput=-1, max_messages=50,
                                      props={"acks": 1})
        kh.check_eq(after.finish()[1], 50, "writes after the unclean election")
        counts = ru.verify(cl, "unclean", only, expect_ok=False)
        kh.check(counts["lost"] + counts["mismatched"] > 0,
                 "the data loss unclean election allows is visible: %s" % counts)
        ru.verify(cl, "unclean", after)
        # The old leader returns, truncates to the new leader's log.
        cl.start_broker(leader)
        ru.wait_isr(cl, "unclean", 1, [1, 2, 3])
        ru.wait_logs_identical(cl, "unclean", 1)
    finally:
        cl.extra_controller.pop("unclean.leader.election.enable", None)
        cl.stop_controller(1)
        cl.start_controller(1)
        all_brokers_up()


@kh.test
def unclean_election_topic_level():
    all_brokers_up()
    # The controller keeps unclean election off; this topic turns it on.
    cl.create_topic("unclean-t", 1, rf=3, config={"min.insync.replicas": "1",
                                                  "unclean.leader.election.enable": "true"})
    leader = ru.leader_of(cl, "unclean-t")
    others = [b for b in (1, 2, 3) if b != leader]
    for b in others:
        cl.stop_broker(b)
    ru.wait_isr(cl, "unclean-t", 1, [leader])
    only = ru.VerifiableProducer(cl, "unclean-t", throughput=-1, max_messages=100)
    kh.check_eq(only.finish()[1], 100, "records on the only in-sync replica")
    cl.kill_broker(leader)
    cl.wait_for(lambda: ru.leader_of(cl, "unclean-t") == -1, "partition offline")
    for b in others:
        cl.start_broker(b)
    cl.wait_for(lambda: ru.leader_of(cl, "unclean-t") in others,
                "leader elected from outside the ISR, as the topic allows")
    counts = ru.verify(cl, "unclean-t", only, expect_ok=False)
    kh.check(counts["lost"] + counts["mismatched"] > 0,
             "the data loss unclean election allows is visible: %s" % counts)
    cl.start_broker(leader)
    ru.wait_isr(cl, "unclean-t", 1, [1, 2, 3])
    ru.wait_logs_identical(cl, "unclean-t", 1)


if __name__ == "__main__":
    kh.run_tests(setup=cl.start, teardown=cl.stop)
