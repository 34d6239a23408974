# tests/unit/record.mk -- unit tests for the record area (included by tests/local.mk).

RECORD_TESTS = tests/unit/test_record

check_PROGRAMS += $(RECORD_TESTS)
TESTS += $(RECORD_TESTS)

tests_unit_test_record_SOURCES = tests/unit/test_record.c
tests_unit_test_record_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_record_LDADD = $(KN_TEST_LIBS)
