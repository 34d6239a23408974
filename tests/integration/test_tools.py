"""tests/integration/test_tools.py -- the operator CLIs (kctl-topics,
kctl-console-producer, kctl-console-consumer) as an operator runs them.

Two groups of cases:

  * command-line handling, needing no cluster: --help, usage errors (exit 1,
    usage on stderr), client settings refused before connecting, and an
    unreachable broker reported as an error;
  * against a real cluster -- ZooKeeper, one kanal-controller and two
    kanal-brokers started here: create / list / describe / alter / delete,
    the describe filters after a broker stops, and console produce/consume
    round trips. These are skipped only when kanal-broker or
    kanal-controller is not built; a cluster that is built but does not
    work fails them.

Each tool runs as its own process, its stdout and stderr kept apart (the
split matters: data on stdout, diagnostics on stderr, as in Kafka).
"""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.environ.get("KANAL_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..")), "tests", "harness"))

import kanal_harness as kh  # noqa: E402

TOPICS = "kctl-topics"
PRODUCER = "kctl-console-producer"
CONSUMER = "kctl-console-consumer"

# Upper bound for one tool run; a tool still running after it is a failure.
TOOL_TIMEOUT = 150.0
# Upper bound for the cluster to reach a state (leaders elected, topic gone).
SETTLE_TIMEOUT = 90.0


class Result:
    def __init__(self, status, out, err):
        self.status = status
        self.out = out
        self.err = err

    def __repr__(self):
        return "status %s\n--- stdout:\n%s\n--- stderr:\n%s" % (self.status, self.out, self.err)


_runs = 0


def kctl(tool, *args, stdin="", status=0):
    """Run a tool to completion with stdin text; return its Result. Fails the
    case if the exit status is not `status` (None: any)."""
    global _runs
    _runs += 1
    if tool == PRODUCER and "--help" not in args and "message.timeout.ms" not in " ".join(
            str(a) for a in args):
        # Bound how long a record that cannot be written keeps a case busy
        # (the default is two minutes); not a timing assertion.
        args = args + ("--producer-property", "message.timeout.ms=60000")
    base = os.path.join(kh.workdir(), "%s-%d" % (tool, _runs))
    with open(base + ".in", "w") as f:
        f.write(stdin)
    # The shell only wires the files and execs, so the PID the harness
    # stops is the tool itself.
    argv = ["/bin/sh", "-c", 'exec "$0" "$@" <"$KN_IN" >"$KN_OUT" 2>"$KN_ERR"', kh.binary(tool)]
    argv += [str(a) for a in args]
    p = kh.start_process(argv, name=tool, env={"KN_IN": base + ".in", "KN_OUT": base + ".out",
                                               "KN_ERR": base + ".err"})
    rc = p.wait(timeout=TOOL_TIMEOUT)
    p.stop()
    with open(base + ".out") as f:
        out = f.read()
    with open(base + ".err") as f:
        err = f.read()
    res = Result(rc, out, err)
    if status is not None and rc != status:
        raise kh.TestFailure("%s %s: wanted status %s, got %r"
                             % (tool, " ".join(str(a) for a in args), status, res))
    return res


def misuse(tool, *args, message=None):
    """A usage error: exit 1, nothing on stdout, the message and the usage
    on stderr."""
    r = kctl(tool, *args, status=1)
    kh.check_eq(r.out, "", "stdout of a usage error")
    kh.check_in("Usage: " + tool, r.err, "usage on stderr")
    if message:
        kh.check_in(message, r.err, "error message")
    return r


def wait_until(fn, what, timeout=SETTLE_TIMEOUT):
    """Poll fn() until it returns a true value (returned) or the deadline
    passes (the case fails, with the last value seen)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = fn()
        if last:
            return last
        if time.monotonic() > deadline:
            raise kh.TestFailure("%s: not reached within %.0f s; last: %r" % (what, timeout, last))
        time.sleep(0.5)


# ------------------------------------------------- command line, no cluster


@kh.test
def help_goes_to_stdout():
    for tool in (TOPICS, PRODUCER, CONSUMER):
        r = kctl(tool, "--help")
        kh.check_in("Usage: " + tool, r.out, tool + " --help")
        kh.check_in("--bootstrap-server", r.out, tool + " --help lists flags")
        kh.check_eq(r.err, "", tool + " --help stderr")
        r = kctl(tool, "--version")
        kh.check(r.out.startswith(tool + " "), tool + " --version: " + r.out)


@kh.test
def topics_usage_errors():
    bs = ("--bootstrap-server", "127.0.0.1:1")
    misuse(TOPICS, message="exactly one action")
    misuse(TOPICS, *bs, message="exactly one action")
    misuse(TOPICS, *bs, "--list", "--create", "--topic", "t", message="exactly one action")
    misuse(TOPICS, "--list", message="bootstrap-server")
    misuse(TOPICS, *bs, "--create", message="topic")
    misuse(TOPICS, *bs, "--delete", message="topic")
    misuse(TOPICS, *bs, "--alter", "--topic", "t", message="--partitions")
    misuse(TOPICS, *bs, "--list", "--no-such-flag", message="unrecognized option '--no-such-flag'")
    misuse(TOPICS, *bs, "--create", "--topic", "t", "--partitions", "zero",
           message="--partitions")
    misuse(TOPICS, *bs, "--create", "--topic", "t", "--partitions", "0", message="--partitions")
    misuse(TOPICS, *bs, "--create", "--topic", "t", "--replication-factor", "70000",
           message="--replication-factor")
    misuse(TOPICS, *bs, "--create", "--topic", "t", "--config", "novalue", message="novalue")
    misuse(TOPICS, *bs, "--list", "--partitions", "3", message="partitions")
    misuse(TOPICS, *bs, "--list", "--under-replicated-partitions", message="--describe")
    misuse(TOPICS, *bs, "--create", "--topic", "t", "--replica-assignment", "1:2",
           "--partitions", "2", message="replica-assignment")
    misuse(TOPICS, *bs, "--list", "stray", message="unexpected argument 'stray'")
    misuse(TOPICS, *bs, "--list", "--topic", message="requires an argument")


@kh.test
def console_usage_errors():
    bs = ("--bootstrap-server", "127.0.0.1:1")
    misuse(PRODUCER, message="bootstrap-server")
    misuse(PRODUCER, *bs, message="topic")
    misuse(PRODUCER, *bs, "--topic", "t", "--property", "parse.key=maybe",
           message="parse.key")
    misuse(PRODUCER, *bs, "--topic", "t", "--property", "no.such.reader.key=1",
           message="no.such.reader.key")
    misuse(PRODUCER, *bs, "--topic", "t", "--compression-codec", "brotli",
           message="--compression-codec")
    misuse(PRODUCER, *bs, "--topic", "t", "--request-required-acks", "2",
           message="--request-required-acks")
    misuse(PRODUCER, *bs, "--topic", "t", "--bogus", message="unrecognized option")
    misuse(CONSUMER, message="bootstrap-server")
    misuse(CONSUMER, *bs, message="topic")
    misuse(CONSUMER, *bs, "--topic", "t", "--offset", "5",
           message="The partition is required when offset is specified.")
    misuse(CONSUMER, *bs, "--topic", "t", "--partition", "0", "--offset", "1",
           "--from-beginning", message="from-beginning and offset")
    misuse(CONSUMER, *bs, "--topic", "t", "--partition", "0", "--group", "g",
           message="group and partition")
    misuse(CONSUMER, *bs, "--topic", "t", "--offset", "first", "--partition", "0",
           message="--offset")
    misuse(CONSUMER, *bs, "--topic", "t", "--max-messages", "-3", message="--max-messages")
    misuse(CONSUMER, *bs, "--topic", "t", "--property", "print.color=true",
           message="print.color")


@kh.test
def client_settings_checked_before_connecting():
    bad = kh.write_properties(os.path.join(kh.workdir(), "jks.properties"), {
        "security.protocol": "SSL",
        "ssl.truststore.location": "/nonexistent/truststore.jks",
    })
    r = kctl(TOPICS, "--bootstrap-server", "127.0.0.1:1", "--list", "--command-config", bad,
             status=1)
    kh.check_in("jks.properties:2: ssl.truststore.location", r.err, "file and line named")
    kh.check_in("ssl.ca.location", r.err, "PEM alternative suggested")

    unknown = kh.write_properties(os.path.join(kh.workdir(), "unknown.properties"),
                                  {"linger.ms": 5, "no.such.client.key": 1})
    r = kctl(PRODUCER, "--bootstrap-server", "127.0.0.1:1", "--topic", "t",
             "--producer.config", unknown, status=1)
    kh.check_in("no.such.client.key", r.err, "unknown key named")
    r = kctl(CONSUMER, "--bootstrap-server", "127.0.0.1:1", "--topic", "t",
             "--consumer-property", "fetch.wait.max.ms=abc", status=1)
    kh.check_in("fetch.wait.max.ms", r.err, "bad value named")
    r = kctl(TOPICS, "--bootstrap-server", "127.0.0.1:1", "--list", "--command-config",
             os.path.join(kh.workdir(), "missing.properties"), status=1)
    kh.check_in("missing.properties", r.err, "missing file named")


@kh.test
def unreachable_broker_is_an_error():
    port = kh.free_port()  # nothing listens there
    r = kctl(TOPICS, "--bootstrap-server", "127.0.0.1:%d" % port, "--list", status=1)
    kh.check_in("Error while executing topic command : ", r.err, "error line")
    kh.check_eq(r.out, "", "no topics printed")


# ------------------------------------------- librdkafka's mock cluster
# The tools as Kafka clients, against librdkafka's own mock brokers run as
# a separate process (tests/integration/rdkafka_mock): metadata, produce,
# fetch and groups, but no admin requests. Independent of kanal-broker.

_mock = {}


def mock():
    """Start the mock cluster once (stopped at exit); return its bootstrap."""
    if "bootstrap" not in _mock:
        p = kh.start_process([kh.binary("tests/integration/rdkafka_mock"), 3,
                              "topic=mock-a:3:3", "leaderless=mock-a:1",
                              "topic=mock-b:1:1", "topic=mock-c:3:1",
                              "topic=mock-dead:1:1", "leaderless=mock-dead:0"],
                             name="rdkafka_mock", capture=True, scope="global")
        _mock["bootstrap"] = p.expect(r"^bootstrap=(\S+)$").group(1)
    return _mock["bootstrap"]


@kh.test
def mock_list_and_describe():
    bs = mock()
    r = kctl(TOPICS, "--bootstrap-server", bs, "--list")
    kh.check_eq([t for t in r.out.splitlines() if t.startswith("mock-")],
                ["mock-a", "mock-b", "mock-c", "mock-dead"], "sorted topic names")
    r = kctl(TOPICS, "--bootstrap-server", bs, "--list", "--topic", "mock-[bc]")
    kh.check_eq(r.out, "mock-b\nmock-c\n", "--list with a pattern")

    r = kctl(TOPICS, "--bootstrap-server", bs, "--describe", "--topic", "mock-a")
    lines = r.out.splitlines()
    m = TOPIC_RX.match(lines[0])
    kh.check(m is not None, "topic line in Kafka's format: %r" % lines[0])
    kh.check_eq((m.group(1), m.group(2), m.group(3)), ("mock-a", "3", "3"), "topic line")
    rows = partitions(r.out)
    kh.check_eq([row[1] for row in rows], [0, 1, 2], "partition lines in order")
    kh.check_eq(rows[1][2], "none", "leaderless partition shows Leader: none")
    kh.check(all(sorted(row[3]) == [1, 2, 3] for row in rows), "three replicas each")
    # The mock cannot describe configs: a warning, not a failure.
    kh.check_in("warning", r.err, "configs warning")

    r = kctl(TOPICS, "--bootstrap-server", bs, "--describe", "--unavailable-partitions")
    kh.check_eq(sorted((row[0], row[1]) for row in partitions(r.out)),
                [("mock-a", 1), ("mock-dead", 0)], "only leaderless partitions")
    kh.check(all(line.startswith("\t") for line in r.out.splitlines()),
             "no topic lines with a filter")
    r = kctl(TOPICS, "--bootstrap-server", bs, "--describe", "--topic", "mock-[ab]")
    kh.check_eq([line.split("\t")[0] for line in r.out.splitlines() if line.startswith("Topic")],
                ["Topic: mock-a", "Topic: mock-b"], "two topics by pattern")


@kh.test
def mock_round_trip():
    bs = mock()
    r = kctl(PRODUCER, "--bootstrap-server", bs, "--topic", "mock-b",
             "--property", "parse.key=true", "--property", "key.separator=|",
             "--property", "parse.headers=true", "--property", "null.marker=NULL",
             stdin="h1:x,h2:y\tk1|first\n\tk2|second line\n\tk3|NULL\n")
    kh.check_eq(r.err, "", "producer stderr")
    r = kctl(CONSUMER, "--bootstrap-server", bs, "--topic", "mock-b", "--from-beginning",
             "--max-messages", 3, "--timeout-ms", 60000, "--property", "print.key=true",
             "--property", "print.headers=true", "--property", "key.separator=,")
    kh.check_eq(r.out, "h1:x,h2:y,k1,first\nNO_HEADERS,k2,second line\nNO_HEADERS,k3,null\n",
                "headers, keys, a tombstone")
    kh.check_in("Processed a total of 3 messages", r.err, "total")

    r = kctl(CONSUMER, "--bootstrap-server", bs, "--topic", "mock-b", "--partition", 0,
             "--offset", 1, "--max-messages", 1, "--timeout-ms", 60000,
             "--property", "print.offset=true")
    kh.check_eq(r.out, "Offset:1\tsecond line\n", "read from an offset")


@kh.test
def mock_all_partitions_and_group():
    bs = mock()
    values = ["m%02d" % i for i in range(30)]
    kctl(PRODUCER, "--bootstrap-server", bs, "--topic", "mock-c", "--property", "parse.key=true",
         "--compression-codec", "zstd", "--sync",
         stdin="".join("key%d\t%s\n" % (i, v) for i, v in enumerate(values)))
    r = kctl(CONSUMER, "--bootstrap-server", bs, "--topic", "mock-c", "--from-beginning",
             "--max-messages", 30, "--timeout-ms", 60000, "--property", "print.partition=true")
    got = [line.split("\t") for line in r.out.splitlines()]
    kh.check_eq(sorted(v for _, v in got), values, "every record once, no group")
    kh.check(len(set(p for p, _ in got)) > 1, "more than one partition read")
    # The same through a consumer group.
    r = kctl(CONSUMER, "--bootstrap-server", bs, "--topic", "mock-c", "--group", "kctl-g",
             "--from-beginning", "--max-messages", 30, "--timeout-ms", 60000)
    kh.check_eq(sorted(r.out.splitlines()), values, "every record once, --group")


@kh.test
def mock_failed_delivery():
    bs = mock()
    r = kctl(PRODUCER, "--bootstrap-server", bs, "--topic", "mock-dead",
             "--producer-property", "message.timeout.ms=3000", stdin="lost\n", status=1)
    kh.check_in("Error when sending message to topic mock-dead with key: null, value: 4 bytes",
                r.err, "Kafka-style failure line")
    kh.check_in("1 of 1 records were not written", r.err, "summary")


# ----------------------------------------------------------- the cluster

zk = kh.ZooKeeper()
_cluster = {}


def _built(name):
    return os.access(os.path.join(kh.builddir(), name), os.X_OK)


def cluster():
    """Start ZooKeeper, a controller and brokers 1 and 2 once (stopped at
    exit); return the bootstrap address. Skips only if a server binary is
    not built."""
    if "bootstrap" in _cluster:
        return _cluster["bootstrap"]
    if "error" in _cluster:
        raise kh.TestFailure("cluster did not start: %s" % _cluster["error"])
    for name in ("kanal-controller", "kanal-broker"):
        if not _built(name):
            raise kh.SkipTest("%s is not built" % name)
    try:
        _start_cluster()
    except Exception as e:
        _cluster.pop("bootstrap", None)
        _cluster["error"] = str(e).splitlines()[0]
        raise
    return _cluster["bootstrap"]


def _start_cluster():
    if not zk.running():
        zk.scope = "global"   # first started inside a case, it serves them all
        zk.start()
    connect = zk.connect("/kanal-tools")
    wd = kh.workdir()
    cport = kh.free_port()
    ccfg = kh.write_properties(os.path.join(wd, "controller.properties"), {
        "controller.id": 1,
        "listeners": "PLAINTEXT://127.0.0.1:%d" % cport,
        "zookeeper.connect": connect,
    })
    ctl = kh.start_process([kh.binary("kanal-controller"), "--config", ccfg],
                           name="kanal-controller", scope="global")
    ctl.wait_port(cport)
    _cluster["controller"] = ctl
    ports = []
    for bid in (1, 2):
        port = kh.free_port()
        bcfg = kh.write_properties(os.path.join(wd, "broker%d.properties" % bid), {
            "broker.id": bid,
            "listeners": "PLAINTEXT://127.0.0.1:%d" % port,
            "log.dirs": os.path.join(wd, "data%d" % bid),
            "zookeeper.connect": connect,
            "num.partitions": 1,
            "default.replication.factor": 1,
            "offsets.topic.replication.factor": 1,
            # Tools must not create topics by side effect in these tests.
            "auto.create.topics.enable": False,
        })
        b = kh.start_process([kh.binary("kanal-broker"), "--config", bcfg],
                             name="kanal-broker-%d" % bid, scope="global")
        b.wait_port(port)
        _cluster["broker%d" % bid] = b
        _cluster["port%d" % bid] = port
        ports.append(port)
    bs = ",".join("127.0.0.1:%d" % p for p in ports)
    # Ready when the cluster answers metadata and a 2-replica topic can be
    # placed, i.e. both brokers are registered.
    probe = "kctl-ready"
    last = {}

    def created():
        last["run"] = kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", probe,
                           "--partitions", 1, "--replication-factor", 2, "--if-not-exists",
                           status=None)
        return last["run"].status == 0
    try:
        wait_until(created, "cluster accepts a replication-factor-2 topic")
    except kh.TestFailure as e:
        raise kh.TestFailure("%s; last attempt: %r" % (e, last.get("run")))
    _cluster["bootstrap"] = bs
    wait_for_leaders(probe)


def describe(topic, *extra):
    return kctl(TOPICS, "--bootstrap-server", cluster(), "--describe", "--topic", topic,
                *extra).out


PART_RX = re.compile(r"^\tTopic: (\S+)\tPartition: (\d+)\tLeader: (\S+)\tReplicas: ([\d,]*)"
                     r"\tIsr: ([\d,]*)$")
TOPIC_RX = re.compile(r"^Topic: (\S+)\t(?:TopicId: \S+\t)?PartitionCount: (\d+)\t"
                      r"ReplicationFactor: (\d+)\tConfigs: (.*)$")


def partitions(text):
    """Parsed partition lines: [(topic, partition, leader, [replicas], [isr])]."""
    rows = []
    for line in text.splitlines():
        m = PART_RX.match(line)
        if m:
            rows.append((m.group(1), int(m.group(2)), m.group(3),
                         [int(x) for x in m.group(4).split(",") if x],
                         [int(x) for x in m.group(5).split(",") if x]))
    return rows


def wait_brokers_see(topic, n=None):
    """Wait until the metadata of every running broker, each asked
    directly, shows topic with every partition led (and n of them, if
    given; n=0: the topic absent). A tool asks whichever broker its client
    library picks, and each broker learns of a topic change from its own
    UpdateMetadata after the request that made it was answered."""
    def everywhere():
        for bid in (1, 2):
            if not _cluster["broker%d" % bid].running():
                continue
            md = kh.kafka_metadata(_cluster["port%d" % bid])
            if md is None or not kh.topic_led(md, topic, n):
                return False
        return True
    wait_until(everywhere, "every broker's metadata showing %s with %s led partitions"
               % (topic, "any number of" if n is None else n))


def wait_for_leaders(topic):
    wait_brokers_see(topic)

    def ready():
        rows = partitions(describe(topic))
        return rows if rows and all(r[2] != "none" for r in rows) else None
    return wait_until(ready, "every partition of %s has a leader" % topic)


def topic_list():
    return kctl(TOPICS, "--bootstrap-server", cluster(), "--list").out.splitlines()


@kh.test
def create_list_describe():
    bs = cluster()
    r = kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "orders",
             "--partitions", 3, "--replication-factor", 2, "--config", "retention.ms=86400000",
             "--config", "cleanup.policy=delete")
    kh.check_eq(r.out, "Created topic orders.\n", "create output")
    wait_brokers_see("orders", 3)
    kh.check("orders" in topic_list(), "orders listed")
    kh.check_eq([t for t in topic_list() if t.startswith("ord")], ["orders"], "one orders")

    rows = wait_for_leaders("orders")
    text = describe("orders")
    first = text.splitlines()[0]
    m = TOPIC_RX.match(first)
    kh.check(m is not None, "topic line in Kafka's format: %r" % first)
    kh.check_eq(m.group(1), "orders", "topic name")
    kh.check_eq(m.group(2), "3", "PartitionCount")
    kh.check_eq(m.group(3), "2", "ReplicationFactor")
    kh.check_in("retention.ms=86400000", m.group(4), "topic config shown")
    kh.check_eq([r[1] for r in rows], [0, 1, 2], "partitions in order")
    for _, p, leader, replicas, isr in rows:
        kh.check_eq(sorted(replicas), [1, 2], "partition %d replicas" % p)
        kh.check(int(leader) in replicas, "partition %d leader is a replica" % p)
        kh.check(set(isr) <= set(replicas), "partition %d isr within replicas" % p)

    # A regular expression selects topics, as in Kafka.
    r = kctl(TOPICS, "--bootstrap-server", bs, "--list", "--topic", "ord.*")
    kh.check_eq(r.out, "orders\n", "--list --topic pattern")
    kh.check_eq(partitions(describe("orders", "--under-replicated-partitions")), [],
                "a healthy topic has no under-replicated partitions")


@kh.test
def create_existing_topic():
    bs = cluster()
    kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "dup", "--partitions", 1,
         "--replication-factor", 1)
    r = kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "dup", "--partitions", 1,
             "--replication-factor", 1, status=1)
    kh.check_in("Error while executing topic command : Topic 'dup' already exists.", r.err,
                "Kafka's message")
    r = kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "dup", "--partitions", 1,
             "--replication-factor", 1, "--if-not-exists")
    kh.check_eq(r.out, "", "--if-not-exists is quiet")


@kh.test
def invalid_requests_are_refused():
    bs = cluster()
    r = kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "toomany",
             "--partitions", 1, "--replication-factor", 3, status=1)
    kh.check_in("Error while executing topic command : ", r.err, "replication factor 3 of 2")
    r = kctl(TOPICS, "--bootstrap-server", bs, "--describe", "--topic", "no-such-topic",
             status=1)
    kh.check_in("Topic 'no-such-topic' does not exist as expected", r.err, "describe missing")
    kctl(TOPICS, "--bootstrap-server", bs, "--describe", "--topic", "no-such-topic",
         "--if-exists")
    r = kctl(TOPICS, "--bootstrap-server", bs, "--delete", "--topic", "no-such-topic", status=1)
    kh.check_in("does not exist as expected", r.err, "delete missing")
    r = kctl(CONSUMER, "--bootstrap-server", bs, "--topic", "no-such-topic", "--timeout-ms",
             5000, status=1)
    kh.check_in("cannot read the partitions of topic 'no-such-topic'", r.err, "consume missing")


@kh.test
def alter_adds_partitions():
    bs = cluster()
    kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "grow", "--partitions", 1,
         "--replication-factor", 2)
    kctl(TOPICS, "--bootstrap-server", bs, "--alter", "--topic", "grow", "--partitions", 4)
    wait_brokers_see("grow", 4)
    rows = partitions(describe("grow"))
    kh.check_eq([r[1] for r in rows], [0, 1, 2, 3], "partition ids")
    m = TOPIC_RX.match(describe("grow").splitlines()[0])
    kh.check_eq(m.group(2), "4", "PartitionCount after --alter")
    # Fewer partitions than now is refused by the cluster.
    r = kctl(TOPICS, "--bootstrap-server", bs, "--alter", "--topic", "grow", "--partitions", 2,
             status=1)
    kh.check_in("Error while executing topic command : ", r.err, "shrinking refused")


@kh.test
def delete_topic():
    bs = cluster()
    kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "doomed", "--partitions", 2,
         "--replication-factor", 1)
    wait_brokers_see("doomed", 2)
    kh.check("doomed" in topic_list(), "doomed listed")
    kctl(TOPICS, "--bootstrap-server", bs, "--delete", "--topic", "doomed")
    wait_brokers_see("doomed", 0)
    kh.check("doomed" not in topic_list(), "doomed gone from --list")
    r = kctl(TOPICS, "--bootstrap-server", bs, "--describe", "--topic", "doomed", status=1)
    kh.check_in("does not exist as expected", r.err, "deleted topic")


def consume(topic, *args):
    r = kctl(CONSUMER, "--bootstrap-server", cluster(), "--topic", topic, *args)
    return r


@kh.test
def produce_consume_round_trip():
    bs = cluster()
    kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "chat", "--partitions", 1,
         "--replication-factor", 2)
    wait_for_leaders("chat")
    lines = ["alice:hello", "bob:hi there", "carol:x:y"]
    r = kctl(PRODUCER, "--bootstrap-server", bs, "--topic", "chat", "--property",
             "parse.key=true", "--property", "key.separator=:", stdin="\n".join(lines) + "\n")
    kh.check_eq(r.err, "", "producer stderr")

    r = consume("chat", "--from-beginning", "--max-messages", 3, "--timeout-ms", 60000,
                "--property", "print.key=true")
    kh.check_eq(r.out, "alice\thello\nbob\thi there\ncarol\tx:y\n", "consumed key<TAB>value")
    kh.check_in("Processed a total of 3 messages", r.err, "total on stderr")

    # Values only, from an offset of one partition, with Kafka's columns.
    r = consume("chat", "--partition", 0, "--offset", 1, "--max-messages", 2,
                "--timeout-ms", 60000, "--property", "print.offset=true",
                "--property", "print.partition=true")
    kh.check_eq(r.out, "Partition:0\tOffset:1\thi there\nPartition:0\tOffset:2\tx:y\n",
                "partition and offset columns")

    # Timestamps are the producer's create time.
    r = consume("chat", "--partition", 0, "--offset", "earliest", "--max-messages", 1,
                "--timeout-ms", 60000, "--property", "print.timestamp=true")
    kh.check(re.match(r"^CreateTime:\d{13}\thello\n$", r.out) is not None,
             "timestamp column: %r" % r.out)

    # Nothing new after the end: --timeout-ms ends the run with a count of 0.
    r = consume("chat", "--timeout-ms", 2000)
    kh.check_eq(r.out, "", "latest offset: nothing printed")
    kh.check_in("Processed a total of 0 messages", r.err, "zero total")


@kh.test
def consume_all_partitions_without_group():
    bs = cluster()
    kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "spread", "--partitions", 3,
         "--replication-factor", 1)
    wait_for_leaders("spread")
    values = ["v%03d" % i for i in range(60)]
    kctl(PRODUCER, "--bootstrap-server", bs, "--topic", "spread", "--property",
         "parse.key=true", "--compression-codec", "lz4",
         stdin="".join("k%d\t%s\n" % (i, v) for i, v in enumerate(values)))
    r = consume("spread", "--from-beginning", "--max-messages", len(values), "--timeout-ms",
                60000, "--property", "print.partition=true")
    got = r.out.splitlines()
    kh.check_eq(sorted(line.split("\t")[1] for line in got), values, "every record once")
    kh.check(len(set(line.split("\t")[0] for line in got)) > 1,
             "records came from more than one partition")
    kh.check_in("Processed a total of 60 messages", r.err, "total")


@kh.test
def producer_sync_and_bad_line():
    bs = cluster()
    kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "strict", "--partitions", 1,
         "--replication-factor", 1)
    wait_for_leaders("strict")
    kctl(PRODUCER, "--bootstrap-server", bs, "--topic", "strict", "--sync",
         "--request-required-acks", 1, stdin="one\ntwo\n")
    # A line without the key separator stops the producer with exit 1; the
    # lines before it are still delivered.
    r = kctl(PRODUCER, "--bootstrap-server", bs, "--topic", "strict", "--property",
             "parse.key=true", stdin="k\tthree\nno separator here\nk\tfour\n", status=1)
    kh.check_in("No key separator found on line number 2", r.err, "bad line named")
    r = consume("strict", "--from-beginning", "--max-messages", 3, "--timeout-ms", 60000)
    kh.check_eq(r.out, "one\ntwo\nthree\n", "records before the bad line")


@kh.test
def producer_reports_failed_delivery():
    bs = cluster()
    # No such topic and no auto-creation: every record fails, exit 1.
    r = kctl(PRODUCER, "--bootstrap-server", bs, "--topic", "never-created",
             "--producer-property", "message.timeout.ms=5000", stdin="lost\n", status=1)
    kh.check_in("Error when sending message to topic never-created", r.err, "failure printed")


@kh.test
def describe_filters_after_broker_stops():
    bs = cluster()
    # "solo" lives only on broker 2; "pair" on both.
    kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "solo",
         "--replica-assignment", "2")
    kctl(TOPICS, "--bootstrap-server", bs, "--create", "--topic", "pair",
         "--replica-assignment", "1:2,2:1")
    wait_for_leaders("solo")
    wait_for_leaders("pair")
    kh.check_eq(partitions(describe("solo"))[0][3], [2], "solo replicas")
    _cluster["broker2"].stop()
    _cluster["bootstrap"] = bs.split(",")[0]

    def unavailable():
        rows = partitions(kctl(TOPICS, "--bootstrap-server", cluster(), "--describe",
                               "--unavailable-partitions").out)
        return [r for r in rows if r[0] == "solo"]
    rows = wait_until(unavailable, "solo reported unavailable")
    kh.check_eq(rows[0][1], 0, "solo partition 0")

    def under():
        rows = partitions(describe("pair", "--under-replicated-partitions"))
        return rows if len(rows) == 2 and all(r[4] == [1] for r in rows) else None
    rows = wait_until(under, "pair under-replicated with ISR [1]")
    for r in rows:
        kh.check_eq(r[2], "1", "broker 1 leads partition %d" % r[1])
    # With a filter, the topic line is left out, as in Kafka.
    text = describe("pair", "--under-replicated-partitions")
    kh.check(all(line.startswith("\t") for line in text.splitlines()), "only partition lines")


if __name__ == "__main__":
    kh.run_tests()
