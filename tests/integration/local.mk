# tests/integration/local.mk -- helper programs and scripts of the
# integration suite (run by `make check-integration`).
# Helper programs go in check_PROGRAMS (built by `make check`, never in TESTS);
# scripts are tests/integration/test_*.py or test_*.sh.


# zk_client: drives the ZooKeeper wrapper for test_zk.py.
check_PROGRAMS += tests/integration/zk_client
tests_integration_zk_client_SOURCES = tests/integration/zk_client.c
tests_integration_zk_client_LDADD = libkanal.a $(KN_COMMON_LIBS)

EXTRA_DIST += tests/integration/test_zk.py

# fake_broker: a stand-in broker (control channel) and ZooKeeper tool for
# test_controller.py.
check_PROGRAMS += tests/integration/fake_broker
tests_integration_fake_broker_SOURCES = tests/integration/fake_broker.c
tests_integration_fake_broker_LDADD = libkncontroller.a libkanal.a $(KN_COMMON_LIBS)
EXTRA_DIST += tests/integration/test_controller.py

# test_cluster.py: broker membership, metadata and topic admin APIs.
EXTRA_DIST += tests/integration/test_cluster.py

# test_broker_net.py: the broker network layer with real sockets, TLS and kcat.
EXTRA_DIST += tests/integration/test_broker_net.py

# test_replication*.py: ISR, high watermark, acks=all, truncation, failure
# matrix (kctl-verifiable-producer/-consumer); repl_util.py is their shared code.
EXTRA_DIST += tests/integration/test_replication.py tests/integration/repl_util.py \
	tests/integration/test_replication_matrix.py tests/integration/test_replication_ssl.py

# test_elect_leaders.py: ElectLeaders and kctl-leader-election --bootstrap-server.
EXTRA_DIST += tests/integration/test_elect_leaders.py
