# tests/unit/replica.mk -- unit tests for replication (broker/replica),
# included by tests/local.mk.

check_PROGRAMS += tests/unit/test_replica
TESTS += tests/unit/test_replica
tests_unit_test_replica_SOURCES = tests/unit/test_replica.c tests/unit/test_log_util.h
tests_unit_test_replica_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_replica_LDADD = libkanal_broker.a $(LIBKANAL_LOG) $(KN_TEST_LIBS)
