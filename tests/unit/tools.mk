# tests/unit/tools.mk -- unit tests for tools/lib (included by tests/local.mk).

check_PROGRAMS += tests/unit/test_tools
TESTS += tests/unit/test_tools

tests_unit_test_tools_SOURCES = tests/unit/test_tools.c
tests_unit_test_tools_CFLAGS = $(KN_TEST_CFLAGS) $(RDKAFKA_CFLAGS)
tests_unit_test_tools_LDADD = tools/lib/libkntools.a $(RDKAFKA_LIBS) $(KN_TEST_LIBS)
