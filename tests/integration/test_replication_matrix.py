#!/usr/bin/python3
"""tests/integration/test_replication_matrix.py -- the durability failure
matrix: no acknowledged record is lost.

ZooKeeper + 2 kanal-controllers + 3 kanal-brokers, topics with 3
partitions, replication factor 3, min.insync.replicas=2. While
kctl-verifiable-producer writes (acks=all, idempotence off), the leader of
partition 0 or the active controller is bounced by a clean shutdown or by
kill -9 (then the failover waits for the ZooKeeper session to expire).
Afterwards kctl-verifiable-consumer reads everything back: every
acknowledged record must be there exactly as written, per-key order kept,
and the replicas' logs must be byte-identical.

One bounce per failure kind by default; KANAL_IT_LONG=1 runs the full
5x matrix (give it KANAL_IT_TIMEOUT=1800). The leader matrix over TLS
(clients and inter-broker replication) is test_replication_ssl.py.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "harness"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kanal_cluster as kc  # noqa: E402
import kanal_harness as kh  # noqa: E402
import repl_util as ru  # noqa: E402

cl = kc.Cluster(brokers=3, controllers=2, broker_props={
    "min.insync.replicas": 2,
    "default.replication.factor": 3,
    "replica.fetch.wait.max.ms": 200,
    "replica.fetch.backoff.ms": 200,
})


@kh.test
def leader_clean_shutdown():
    ru.run_matrix(cl, "leader", "clean")


@kh.test
def leader_kill9():
    ru.run_matrix(cl, "leader", "kill")


@kh.test
def controller_clean_shutdown():
    ru.run_matrix(cl, "controller", "clean")


@kh.test
def controller_kill9():
    ru.run_matrix(cl, "controller", "kill")


if __name__ == "__main__":
    kh.run_tests(setup=cl.start, teardown=cl.stop)
