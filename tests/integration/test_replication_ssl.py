#!/usr/bin/python3
"""tests/integration/test_replication_ssl.py -- the leader failure matrix
of test_replication_matrix.py over TLS: clients on the SSL listener and
followers replicating over it too (inter.broker.listener.name=SSL), so the
fetchers' TLS path carries every byte.

ZooKeeper + 1 kanal-controller + 3 kanal-brokers, replication factor 3,
min.insync.replicas=2; one bounce per kind (5 with KANAL_IT_LONG=1).
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kanal_cluster as kc  # noqa: E402
import kanal_harness as kh  # noqa: E402
import repl_util as ru  # noqa: E402

cl = kc.Cluster(brokers=3, controllers=1, ssl=True, broker_props={
    "min.insync.replicas": 2,
    "default.replication.factor": 3,
    "inter.broker.listener.name": "SSL",
    "replica.fetch.wait.max.ms": 200,
    "replica.fetch.backoff.ms": 200,
})


@kh.test
def replication_runs_over_tls():
    cl.create_topic("tls-rt", 2, rf=3)
    vp = ru.VerifiableProducer(cl, "tls-rt", ssl=True, throughput=-1, max_messages=1000)
    kh.check_eq(vp.finish()[1], 1000, "acknowledged over TLS")
    ru.verify(cl, "tls-rt", vp, ssl=True)
    ru.wait_logs_identical(cl, "tls-rt", 2)
    logs = "".join(open(cl.brokers[b].log_path, errors="replace").read() for b in (1, 2, 3))
    kh.check("(TLS)" in logs, "fetchers connected to their leaders over TLS")


@kh.test
def leader_clean_shutdown_ssl():
    ru.run_matrix(cl, "leader", "clean", ssl=True)


@kh.test
def leader_kill9_ssl():
    ru.run_matrix(cl, "leader", "kill", ssl=True)


if __name__ == "__main__":
    kh.run_tests(setup=cl.start, teardown=cl.stop)
