# tests/unit/broker.mk -- unit tests for the broker area (included by tests/local.mk).

# ---- network layer (broker/server) ----------------------------------------
KN_BROKER_NET_TESTS = tests/unit/test_server tests/unit/test_server_net \
	tests/unit/test_server_frames
check_PROGRAMS += $(KN_BROKER_NET_TESTS)
TESTS += $(KN_BROKER_NET_TESTS)

# The client side both socket-level tests share (certificate, server
# start, blocking plain/TLS connections, request frames).
KN_SERVER_CLIENT_SOURCES = tests/unit/server_client.h tests/unit/server_client.c

tests_unit_test_server_SOURCES = tests/unit/test_server.c
tests_unit_test_server_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_server_LDADD = libkanal_broker.a $(KN_TEST_LIBS)

tests_unit_test_server_net_SOURCES = tests/unit/test_server_net.c $(KN_SERVER_CLIENT_SOURCES)
tests_unit_test_server_net_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_server_net_LDADD = libkanal_broker.a $(KN_TEST_LIBS)

tests_unit_test_server_frames_SOURCES = tests/unit/test_server_frames.c \
	$(KN_SERVER_CLIENT_SOURCES)
tests_unit_test_server_frames_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_server_frames_LDADD = libkanal_broker.a $(KN_TEST_LIBS)
# ---- end of network layer tests -------------------------------------------

# ---- cluster (broker/cluster, metadata and admin handlers) ----------------
check_PROGRAMS += tests/unit/test_cluster
TESTS += tests/unit/test_cluster
tests_unit_test_cluster_SOURCES = tests/unit/test_cluster.c
tests_unit_test_cluster_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_cluster_LDADD = libkanal_broker.a $(LIBKANAL_LOG) $(KN_TEST_LIBS)
# ---- end of cluster tests -------------------------------------------------

# ---- group coordinator (broker/group) -------------------------------------
check_PROGRAMS += tests/unit/test_group
TESTS += tests/unit/test_group
tests_unit_test_group_SOURCES = tests/unit/test_group.c
tests_unit_test_group_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_group_LDADD = libkanal_broker.a $(LIBKANAL_LOG) $(KN_TEST_LIBS)
check_PROGRAMS += tests/unit/test_group_durable
TESTS += tests/unit/test_group_durable
tests_unit_test_group_durable_SOURCES = tests/unit/test_group_durable.c tests/unit/test_log_util.h
tests_unit_test_group_durable_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_group_durable_LDADD = libkanal_broker.a $(LIBKANAL_LOG) $(KN_TEST_LIBS)
# ---- end of group coordinator tests -----------------------------------------
