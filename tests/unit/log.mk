# tests/unit/log.mk -- unit tests for the log area (included by tests/local.mk).
# The storage engine (broker/log): unit tests, the kill -9 crash test and
# the disk-full test (skips itself where it cannot mount a small tmpfs).

LOGSTORE_TESTS = tests/unit/test_log_store tests/unit/test_log_crash \
	tests/unit/test_log_diskfull tests/unit/test_log_epochs

check_PROGRAMS += $(LOGSTORE_TESTS)
TESTS += $(LOGSTORE_TESTS)

tests_unit_test_log_store_SOURCES = tests/unit/test_log_store.c tests/unit/test_log_util.h
tests_unit_test_log_store_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_log_store_LDADD = libkanal_log.a $(KN_TEST_LIBS)

tests_unit_test_log_crash_SOURCES = tests/unit/test_log_crash.c tests/unit/test_log_util.h
tests_unit_test_log_crash_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_log_crash_LDADD = libkanal_log.a $(KN_TEST_LIBS)

tests_unit_test_log_diskfull_SOURCES = tests/unit/test_log_diskfull.c tests/unit/test_log_util.h
tests_unit_test_log_diskfull_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_log_diskfull_LDADD = libkanal_log.a $(KN_TEST_LIBS)

tests_unit_test_log_epochs_SOURCES = tests/unit/test_log_epochs.c tests/unit/test_log_util.h
tests_unit_test_log_epochs_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_log_epochs_LDADD = libkanal_log.a $(KN_TEST_LIBS)
