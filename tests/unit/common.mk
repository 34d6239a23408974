# tests/unit/common.mk -- unit tests for the common area (included by tests/local.mk).

KN_COMMON_TESTS = \
	tests/unit/test_buf \
	tests/unit/test_crc32c \
	tests/unit/test_config \
	tests/unit/test_log \
	tests/unit/test_errors

check_PROGRAMS += $(KN_COMMON_TESTS)
TESTS += $(KN_COMMON_TESTS)

tests_unit_test_buf_SOURCES = tests/unit/test_buf.c
tests_unit_test_buf_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_buf_LDADD = $(KN_TEST_LIBS)

tests_unit_test_crc32c_SOURCES = tests/unit/test_crc32c.c
tests_unit_test_crc32c_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_crc32c_LDADD = $(KN_TEST_LIBS)

tests_unit_test_config_SOURCES = tests/unit/test_config.c
tests_unit_test_config_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_config_LDADD = $(KN_TEST_LIBS)

tests_unit_test_log_SOURCES = tests/unit/test_log.c
tests_unit_test_log_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_log_LDADD = $(KN_TEST_LIBS)

tests_unit_test_errors_SOURCES = tests/unit/test_errors.c
tests_unit_test_errors_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_errors_LDADD = $(KN_TEST_LIBS)
