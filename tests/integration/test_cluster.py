#!/usr/bin/python3
"""tests/integration/test_cluster.py -- broker membership, metadata and the
topic admin APIs against real processes.

ZooKeeper + one kanal-controller + two kanal-brokers on loopback. Checks
the /brokers/ids/<id> registration (Kafka's v5 JSON, ephemeral, czxid as
the broker epoch), Metadata as kcat sees it, CreateTopics / CreatePartitions
/ DescribeConfigs / DeleteTopics through librdkafka's admin client
(confluent_kafka) with their znodes and log directories, auto-creation from
Metadata, and restarts (clean and after kill -9) keeping topics.
"""

import json
import os
import signal
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
import kanal_cluster as kc  # noqa: E402
import kanal_harness as kh  # noqa: E402

cl = kc.Cluster(brokers=2, controllers=1)


def kcat(args, input_text=None, timeout=120):
    r = subprocess.run(cl.kcat_args() + args, input=input_text, capture_output=True,
                       text=True, timeout=timeout)
    if r.returncode != 0:
        raise kh.TestFailure("kcat %s failed (%d): %s" % (" ".join(args), r.returncode,
                                                            r.stderr[-2000:]))
    return r.stdout


_admin = []


def admin():
    """One AdminClient for the script: a client destroyed while its
    futures are pending fails them with _DESTROY, so keep it alive."""
    if not _admin:
        from confluent_kafka.admin import AdminClient
        _admin.append(AdminClient(cl.client_conf()))
    return _admin[0]


def create(name, partitions=1, rf=1, config=None, validate_only=False, assignment=None):
    """CreateTopics; returns None on success, else the KafkaError."""
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import NewTopic
    if assignment is not None:
        nt = NewTopic(name, num_partitions=len(assignment), replica_assignment=assignment,
                      config=config or {})
    else:
        nt = NewTopic(name, num_partitions=partitions, replication_factor=rf,
                      config=config or {})
    fs = admin().create_topics([nt], operation_timeout=30, request_timeout=40,
                               validate_only=validate_only)
    try:
        fs[name].result(timeout=60)
        return None
    except KafkaException as e:
        return e.args[0]


def err_name(e):
    return e.name() if e is not None else "NONE"


def partition_dirs(topic):
    out = []
    for i in cl.broker_ports:
        d = os.path.join(cl.dir, "broker-%d-data" % i)
        if os.path.isdir(d):
            out += [x for x in os.listdir(d) if x.rsplit("-", 1)[0] == topic]
    return out


def metadata_json():
    """kcat's view of the cluster, or None if kcat could not get it."""
    try:
        return json.loads(kcat(["-L", "-J"]))
    except kh.TestFailure:
        return None


@kh.test
def broker_registration():
    for i in (1, 2):
        path = "/brokers/ids/%d" % i
        j = cl.zk_json(path)
        kh.check(j is not None, "%s exists" % path)
        ep = "PLAINTEXT://127.0.0.1:%d" % cl.broker_ports[i]
        kh.check_eq(j["version"], 5, "registration version")
        kh.check_eq(j["endpoints"], [ep], "endpoints")
        kh.check_eq(j["host"], "127.0.0.1", "host")
        kh.check_eq(j["port"], cl.broker_ports[i], "port")
        kh.check_eq(j["listener_security_protocol_map"], {"PLAINTEXT": "PLAINTEXT"},
                    "listener_security_protocol_map")
        kh.check("rack" not in j or j["rack"] is None, "no rack configured")
        kh.check(isinstance(j["timestamp"], str) and j["timestamp"].isdigit(),
                 "timestamp is a decimal string")
        stat = cl.zkc().exists(path)
        kh.check(stat.ephemeralOwner != 0, "%s is ephemeral" % path)
    cid = cl.zk_json("/cluster/id")
    kh.check(cid is not None and len(cid["id"]) == 22, "cluster id is a 22-char base64 uuid")
    kh.check_eq(cid["version"], "1", "cluster id version")


@kh.test
def metadata_shows_brokers_and_controller():
    md = cl.wait_for(lambda: (lambda m: m if m and len(m["brokers"]) == 2 else None)(
        metadata_json()), "both brokers in Metadata")
    got = sorted((b["id"], b["name"]) for b in md["brokers"])
    want = sorted((i, "127.0.0.1:%d" % p) for i, p in cl.broker_ports.items())
    kh.check_eq(got, want, "brokers with their PLAINTEXT endpoints")
    kh.check_eq(md["controllerid"], cl.active_controller(), "controller id")


@kh.test
def create_topic_writes_znodes():
    kh.check_eq(err_name(create("orders", partitions=4, rf=2)), "NONE", "create orders")
    assign = cl.zk_json("/brokers/topics/orders")
    kh.check(assign is not None, "/brokers/topics/orders exists")
    parts = assign["partitions"]
    kh.check_eq(sorted(parts, key=int), ["0", "1", "2", "3"], "four partitions")
    for p, reps in parts.items():
        kh.check_eq(sorted(reps), [1, 2], "partition %s has both brokers" % p)
    leaders = sorted(reps[0] for reps in parts.values())
    kh.check_eq(leaders, [1, 1, 2, 2], "preferred leaders spread over the brokers")
    kh.check(cl.zk_json("/config/topics/orders") is not None, "/config/topics/orders exists")
    for p in range(4):
        st = cl.wait_for(lambda: cl.zk_json("/brokers/topics/orders/partitions/%d/state" % p),
                         "state znode of orders-%d" % p)
        kh.check(st["leader"] in (1, 2), "orders-%d has a leader" % p)
    # CreateTopics answered after the answering broker's metadata showed
    # the topic; the other broker may hear of it a moment later.
    cl.wait_topic_ready("orders", 4)
    md = admin().list_topics(topic="orders", timeout=10)
    kh.check_eq(len(md.topics["orders"].partitions), 4, "metadata lists 4 partitions")
    kh.check(all(p.leader in (1, 2) for p in md.topics["orders"].partitions.values()),
             "every partition led")
    kcat(["-P", "-t", "orders", "-p", "0"], "hello\n")
    out = kcat(["-C", "-t", "orders", "-p", "0", "-o", "beginning", "-e", "-q"])
    kh.check_eq(out.splitlines(), ["hello"], "produce/consume right after create")


@kh.test
def create_topic_errors():
    kh.check_eq(err_name(create("orders", 1)), "TOPIC_ALREADY_EXISTS", "duplicate topic")
    kh.check_eq(err_name(create("bad name", 1)), "TOPIC_EXCEPTION", "bad name")
    kh.check_eq(err_name(create("x" * 250, 1)), "TOPIC_EXCEPTION", "long name")
    kh.check_eq(err_name(create("rf3", 1, rf=3)), "INVALID_REPLICATION_FACTOR",
                "rf above live brokers")
    kh.check_eq(err_name(create("badcfg", 1, config={"retention.ms": "soon"})),
                "INVALID_CONFIG", "bad config value")
    kh.check_eq(err_name(create("badkey", 1, config={"no.such.key": "1"})),
                "INVALID_CONFIG", "unknown config key")
    kh.check_eq(err_name(create("dry", 2, validate_only=True)), "NONE", "validate only")
    kh.check(cl.zk_get("/brokers/topics/dry") is None, "validate only creates nothing")
    for t in ("rf3", "badcfg", "badkey"):
        kh.check(cl.zk_get("/brokers/topics/%s" % t) is None, "%s not created" % t)


@kh.test
def create_topic_manual_assignment_and_config():
    kh.check_eq(err_name(create("manual", assignment=[[2], [2], [1]],
                                config={"retention.ms": "12345"})), "NONE", "create manual")
    parts = cl.zk_json("/brokers/topics/manual")["partitions"]
    kh.check_eq(parts, {"0": [2], "1": [2], "2": [1]}, "assignment as requested")
    kh.check_eq(cl.zk_json("/config/topics/manual")["config"], {"retention.ms": "12345"},
                "topic config override stored")

    from confluent_kafka.admin import ConfigResource
    res = ConfigResource(ConfigResource.Type.TOPIC, "manual")
    entries = admin().describe_configs([res])[res].result(timeout=30)
    kh.check_eq(entries["retention.ms"].value, "12345", "override described")
    kh.check(not entries["retention.ms"].is_default, "override is not a default")
    kh.check(entries["segment.bytes"].is_default, "segment.bytes is a default")
    kh.check_eq(entries["cleanup.policy"].value, "delete", "default cleanup.policy")

    bres = ConfigResource(ConfigResource.Type.BROKER, "1")
    bentries = admin().describe_configs([bres])[bres].result(timeout=30)
    kh.check_eq(bentries["broker.id"].value, "1", "broker config described")


@kh.test
def create_partitions():
    from confluent_kafka import KafkaException
    from confluent_kafka.admin import NewPartitions
    kh.check_eq(err_name(create("grow", 2, rf=1)), "NONE", "create grow")
    admin().create_partitions([NewPartitions("grow", 5)], operation_timeout=30)["grow"].result(60)
    parts = cl.zk_json("/brokers/topics/grow")["partitions"]
    kh.check_eq(sorted(parts, key=int), ["0", "1", "2", "3", "4"], "five partitions")
    cl.wait_topic_ready("grow", 5)
    md = admin().list_topics(topic="grow", timeout=10)
    kh.check_eq(len(md.topics["grow"].partitions), 5, "metadata shows five")
    try:
        admin().create_partitions([NewPartitions("grow", 3)])["grow"].result(60)
        kh.check(False, "shrinking must fail")
    except KafkaException as e:
        kh.check_eq(e.args[0].name(), "INVALID_PARTITIONS", "shrink refused")


@kh.test
def metadata_errors_and_auto_create():
    md = admin().list_topics(topic="auto-made", timeout=10)
    # the first request may already see it or answer LEADER_NOT_AVAILABLE
    cl.wait_for(lambda: cl.zk_json("/brokers/topics/auto-made"), "auto-created topic")
    cl.wait_topic_ready("auto-made", 1)
    kh.check(md is not None, "metadata answered")


@kh.test
def delete_topic_removes_znodes_and_logs():
    kh.check_eq(err_name(create("doomed", 2, rf=2)), "NONE", "create doomed")
    kcat(["-P", "-t", "doomed", "-p", "0"], "a\nb\n")
    cl.wait_for(lambda: len([d for d in partition_dirs("doomed")]) == 4,
                "four partition directories (2 partitions x 2 replicas)")
    admin().delete_topics(["doomed"], operation_timeout=30)["doomed"].result(60)
    cl.wait_for(lambda: cl.zk_get("/brokers/topics/doomed") is None, "topic znode removed")
    cl.wait_for(lambda: cl.zk_get("/admin/delete_topics/doomed") is None, "marker removed")
    cl.wait_for(lambda: cl.zk_get("/config/topics/doomed") is None, "config removed")
    cl.wait_for(lambda: not [d for d in partition_dirs("doomed") if not d.endswith("-delete")],
                "partition directories removed")
    # the admin client may ask either broker; each drops the topic on its
    # own UpdateMetadata
    cl.wait_metadata(lambda md: "doomed" not in md["topics"],
                     "every broker's metadata without doomed")
    kh.check("doomed" not in admin().list_topics(timeout=10).topics, "topic gone from metadata")
    from confluent_kafka import KafkaException
    try:
        admin().delete_topics(["doomed"], operation_timeout=30)["doomed"].result(60)
        kh.check(False, "deleting a missing topic must fail")
    except KafkaException as e:
        kh.check_eq(e.args[0].name(), "UNKNOWN_TOPIC_OR_PART", "unknown topic")


@kh.test
def clean_restart_keeps_topics():
    epoch = cl.zkc().exists("/brokers/ids/1").czxid
    cl.stop_broker(1)
    cl.wait_for(lambda: cl.zk_get("/brokers/ids/1") is None, "deregistered on stop")
    cl.start_broker(1)
    new_epoch = cl.zkc().exists("/brokers/ids/1").czxid
    kh.check(new_epoch > epoch, "new broker epoch after restart")
    cl.wait_topic_ready("orders", 4)
    out = kcat(["-C", "-t", "orders", "-p", "0", "-o", "beginning", "-e", "-q"])
    kh.check_eq(out.splitlines(), ["hello"], "data kept across restart")


@kh.test
def restart_after_kill9_waits_for_old_session():
    owner = cl.zkc().exists("/brokers/ids/2").ephemeralOwner
    cl.kill_broker(2)
    # The dead session still owns /brokers/ids/2: the new process waits for
    # it to expire, then registers.
    cl.start_broker(2)
    cl.wait_for(lambda: (lambda s: s is not None and s.ephemeralOwner != owner)(
        cl.zkc().exists("/brokers/ids/2")), "registration by the new process")
    j = cl.zk_json("/brokers/ids/2")
    kh.check_eq(j["port"], cl.broker_ports[2], "re-registered")
    cl.wait_topic_ready("manual", 3)


@kh.test
def session_expiry_reregisters():
    stat = cl.zkc().exists("/brokers/ids/1")
    proc = cl.brokers[1]
    os.kill(proc.pid, signal.SIGSTOP)   # a long pause: ZooKeeper expires the session
    try:
        cl.wait_for(lambda: cl.zk_get("/brokers/ids/1") is None,
                    "ZooKeeper to expire the paused broker's session")
    finally:
        os.kill(proc.pid, signal.SIGCONT)
    new = cl.wait_for(lambda: cl.zkc().exists("/brokers/ids/1"), "re-registration")
    kh.check(new.czxid > stat.czxid, "new broker epoch after expiry")
    kh.check(new.ephemeralOwner != stat.ephemeralOwner, "registered by the new session")
    # The controller took the broker back: its partitions get leaders again.
    cl.wait_topic_ready("orders", 4)
    md = cl.wait_for(lambda: (lambda m: m if m and len(m["brokers"]) == 2 else None)(
        metadata_json()), "both brokers in Metadata again")
    kh.check_eq(sorted(b["id"] for b in md["brokers"]), [1, 2], "broker ids")


@kh.test
def tls_controller_channel():
    """A controller whose endpoint is SSL://: brokers connect with TLS."""
    tcl = kc.Cluster(brokers=1, controllers=1, ssl=True)
    tcl.extra_controller.update({
        "listeners": "SSL://127.0.0.1:%d" % tcl.controller_ports[1],
        "ssl.certificate.location": tcl.tls["cert"],
        "ssl.key.location": tcl.tls["key"],
        "ssl.ca.location": tcl.tls["ca"],
    })
    try:
        tcl.start()
        ctl = tcl.zk_json("/controller")
        kh.check(ctl["endpoint"].startswith("SSL://"), "controller endpoint is SSL")
        tcl.create_topic("over-tls", 2)   # needs LeaderAndIsr/UpdateMetadata over TLS
        kh.check_eq(tcl.zk_json("/brokers/ids/1")["listener_security_protocol_map"],
                    {"PLAINTEXT": "PLAINTEXT", "SSL": "SSL"}, "both listeners registered")
    finally:
        tcl.stop()
        tcl.zk.stop()


if __name__ == "__main__":
    kh.run_tests(setup=cl.start, teardown=cl.stop)
