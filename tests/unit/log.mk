# tests/unit/log.mk -- unit tests for the log area (included by tests/local.mk).
# The storage engine (broker/log): unit tests, the kill -9 crash test and
# the disk-full test (skips itself where it cannot mount a small tmpfs).

LOGSTORE_TESTS = tests/unit/test_log_store

check_PROGRAMS += $(LOGSTORE_TESTS)
TESTS += $(LOGSTORE_TESTS)

tests_unit_test_log_store_SOURCES = tests/unit/test_log_store.c tests/unit/test_log_util.h
tests_unit_test_log_store_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_log_store_LDADD = libkanal_log.a $(KN_TEST_LIBS)
