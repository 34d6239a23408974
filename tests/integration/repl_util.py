"""tests/integration/repl_util.py -- shared code of the replication tests
(test_replication*.py): the verifiable producer running in the background,
the verifiable consumer's check, partition state from ZooKeeper, and a
byte-for-byte comparison of the replicas' logs.

The producer and consumer are our own tools (kctl-verifiable-producer and
kctl-verifiable-consumer, librdkafka clients); every process goes through
kanal_harness so it is stopped by PID when the case ends, also on failure.
"""

import hashlib
import os
import re
import time

import kanal_harness as kh

_seq = [0]


class VerifiableProducer:
    """kctl-verifiable-producer in the background, its output in a file."""

    def __init__(self, cl, topic, ssl=False, throughput=200, max_messages=-1, keys=10,
                 props=None):
        _seq[0] += 1
        self.path = os.path.join(kh.workdir(), "vp-%s-%d.out" % (topic, _seq[0]))
        argv = [kh.binary("kctl-verifiable-producer"), "--bootstrap-server", cl.bootstrap(ssl),
                "--topic", topic, "--throughput", throughput, "--max-messages", max_messages,
                "--keys", keys, "--run-id", "run%d" % _seq[0]]
        settings = {"message.timeout.ms": 30000, "request.timeout.ms": 10000}
        if ssl:
            settings.update({"security.protocol": "ssl", "ssl.ca.location": cl.tls["ca"],
                             "ssl.certificate.location": cl.tls["client_cert"],
                             "ssl.key.location": cl.tls["client_key"]})
        settings.update(props or {})
        for k, v in settings.items():
            argv += ["--producer-property", "%s=%s" % (k, v)]
        self.unbounded = max_messages < 0
        self.proc = kh.start_process(argv, name="vproducer-%d" % _seq[0], log_path=self.path)

    def _lines(self):
        with open(self.path, "r", errors="replace") as f:
            return f.read().splitlines()

    def acked(self):
        return sum(1 for line in self._lines() if line.startswith("acked "))

    def failed_errors(self):
        return [line.split()[3] for line in self._lines()
                if line.startswith("failed ") and len(line.split()) >= 4]

    def wait_acked(self, n, timeout=60.0, what=None):
        deadline = time.monotonic() + timeout
        while self.acked() < n:
            if not self.proc.running():
                raise kh.TestFailure("producer ended early; output:\n%s"
                                     % "\n".join(self._lines()[-20:]))
            if time.monotonic() > deadline:
                raise kh.TestFailure("timed out waiting for %s (%d acked records, have %d)"
                                     % (what or "acknowledgements", n, self.acked()))
            time.sleep(0.2)

    def wait_progress(self, more, timeout=90.0, what="the producer to make progress"):
        """Wait until `more` records beyond those acked now are acked."""
        self.wait_acked(self.acked() + more, timeout, what)

    def finish(self, timeout=120.0):
        """Stop (SIGTERM: stop sending, wait for every delivery report) or
        wait for a bounded run to end; returns (sent, acked, failed)."""
        if self.proc.running() and self.unbounded:
            self.proc.stop(grace=timeout)
        else:
            self.proc.wait(timeout=timeout)
            self.proc.stop()
        for line in reversed(self._lines()):
            m = re.match(r"summary sent=(\d+) acked=(\d+) failed=(\d+)", line)
            if m:
                return tuple(int(x) for x in m.groups())
        raise kh.TestFailure("producer printed no summary; output:\n%s"
                             % "\n".join(self._lines()[-20:]))


def verify(cl, topic, producer, ssl=False, expect_ok=True):
    """Run kctl-verifiable-consumer against the producer's output; returns
    the counts of its verdict line as a dict."""
    argv = [kh.binary("kctl-verifiable-consumer"), "--bootstrap-server", cl.bootstrap(ssl),
            "--topic", topic, "--acked", producer.path, "--timeout-ms", "120000"]
    if ssl:
        for k, v in (("security.protocol", "ssl"), ("ssl.ca.location", cl.tls["ca"]),
                     ("ssl.certificate.location", cl.tls["client_cert"]),
                     ("ssl.key.location", cl.tls["client_key"])):
            argv += ["--consumer-property", "%s=%s" % (k, v)]
    out = kh.run_program(argv, timeout=180, expect_status=None, name="vconsumer")
    m = re.search(r"verified (.*)", out)
    if m is None:
        raise kh.TestFailure("verifiable consumer gave no verdict:\n%s" % out[-3000:])
    counts = dict((k, int(v)) for k, v in re.findall(r"(\w+)=(\d+)", m.group(1)))
    if expect_ok:
        bad = dict((k, counts[k]) for k in ("lost", "mismatched", "out_of_order", "corrupt")
                   if counts.get(k))
        if bad:
            raise kh.TestFailure("acknowledged records not read back intact: %s\n%s"
                                 % (bad, out[-3000:]))
        kh.check(counts["acked"] > 0, "some records were acknowledged")
    return counts


def state(cl, topic, p):
    return cl.zk_json("/brokers/topics/%s/partitions/%d/state" % (topic, p))


def leader_of(cl, topic, p=0):
    s = state(cl, topic, p)
    return s["leader"] if s else -1


def wait_isr(cl, topic, nparts, want, timeout=90.0):
    """Wait until every partition's ISR (in ZooKeeper) is exactly the set
    `want`."""
    want = sorted(want)
    cl.wait_for(lambda: all(state(cl, topic, p) and sorted(state(cl, topic, p)["isr"]) == want
                            for p in range(nparts)),
                lambda: "ISR of %s = %s (now %s)" % (
                    topic, want, [state(cl, topic, p) for p in range(nparts)]),
                timeout)


def wait_leader_not(cl, topic, nparts, broker, timeout=90.0):
    cl.wait_for(lambda: all(leader_of(cl, topic, p) not in (-1, broker) for p in range(nparts)),
                "partitions of %s led by a broker other than %d" % (topic, broker), timeout)


def hw_checkpoint(cl, broker):
    """{(topic, partition): high watermark} from the broker's
    replication-offset-checkpoint (Kafka's format: version, count, then
    "topic partition offset" lines)."""
    path = os.path.join(cl.dir, "broker-%d-data" % broker, "replication-offset-checkpoint")
    try:
        with open(path) as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    out = {}
    for line in lines[2:]:
        parts = line.split()
        if len(parts) == 3:
            out[(parts[0], int(parts[1]))] = int(parts[2])
    return out


def _log_bytes(cl, broker, topic, p):
    d = os.path.join(cl.dir, "broker-%d-data" % broker, "%s-%d" % (topic, p))
    if not os.path.isdir(d):
        return None
    h = hashlib.sha256()
    size = 0
    for f in sorted(os.listdir(d)):
        if f.endswith(".log"):
            with open(os.path.join(d, f), "rb") as fh:
                data = fh.read()
            h.update(f.encode() + b"\0" + data)
            size += len(data)
    return size, h.hexdigest()


def wait_logs_identical(cl, topic, nparts, brokers=(1, 2, 3), timeout=90.0):
    """Wait until every replica's segment files of each partition are byte
    for byte the same (followers may still be fetching the tail)."""
    def same():
        for p in range(nparts):
            seen = set(_log_bytes(cl, b, topic, p) for b in brokers)
            if len(seen) != 1 or None in seen:
                return False
        return True
    cl.wait_for(same, lambda: "replicas of %s byte-identical (now %s)" % (
        topic, [[_log_bytes(cl, b, topic, p) for b in brokers] for p in range(nparts)]),
        timeout)


def cycles():
    """Bounces per failure kind: one in the default suite, five (the
    issue's full matrix) with KANAL_IT_LONG=1."""
    return 5 if os.environ.get("KANAL_IT_LONG") == "1" else 1


def run_matrix(cl, target, kind, ssl=False, nparts=3):
    """Write with the verifiable producer while bouncing `target`
    ("leader": the broker leading partition 0, or "controller": the active
    controller) `cycles()` times, by clean shutdown (kind "clean") or
    kill -9 (kind "kill", then waiting for the ZooKeeper session to expire,
    as the failover needs). Then every acknowledged record must read back
    exactly as written, in per-key order, and the replicas must converge."""
    topic = "m-%s-%s%s" % (target, kind, "-ssl" if ssl else "")
    cl.create_topic(topic, nparts, rf=3)
    vp = VerifiableProducer(cl, topic, ssl=ssl)
    vp.wait_acked(200)
    for _ in range(cycles()):
        if target == "leader":
            victim = leader_of(cl, topic, 0)
            kh.check(victim in cl.brokers, "partition 0 has a live leader (%s)" % victim)
            if kind == "clean":
                cl.stop_broker(victim)
            else:
                cl.kill_broker(victim)
            cl.wait_for(lambda: str(victim) not in cl.zk_children("/brokers/ids"),
                        "broker %d deregistered" % victim)
            wait_leader_not(cl, topic, nparts, victim)
            vp.wait_progress(100, what="acks=all writes after broker %d went away" % victim)
            cl.start_broker(victim)
            wait_isr(cl, topic, nparts, [1, 2, 3])
        else:
            victim = cl.active_controller()
            kh.check(victim in cl.controllers, "an active controller (%s)" % victim)
            if kind == "clean":
                cl.stop_controller(victim)
            else:
                cl.kill_controller(victim)
            cl.wait_for(lambda: cl.active_controller() not in (None, victim),
                        "another controller took over from %d" % victim)
            vp.wait_progress(100, what="writes after controller %d went away" % victim)
            cl.start_controller(victim)
        vp.wait_progress(100)
    sent, acked, failed = vp.finish()
    kh.check(acked > 0, "records acknowledged (%d sent, %d failed)" % (sent, failed))
    verify(cl, topic, vp, ssl=ssl)
    wait_logs_identical(cl, topic, nparts)
