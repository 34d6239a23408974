# tests/unit/protocol.mk -- unit tests for the protocol area (included by tests/local.mk).

PROTO_TESTS = tests/unit/test_proto_api tests/unit/test_proto_basic \
	tests/unit/test_proto_admin tests/unit/test_proto_group tests/unit/test_proto_fuzz

check_PROGRAMS += $(PROTO_TESTS)
TESTS += $(PROTO_TESTS)

tests_unit_test_proto_api_SOURCES = tests/unit/test_proto_api.c tests/unit/test_proto_util.h
tests_unit_test_proto_api_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_proto_api_LDADD = $(KN_TEST_LIBS)

tests_unit_test_proto_basic_SOURCES = tests/unit/test_proto_basic.c tests/unit/test_proto_util.h
tests_unit_test_proto_basic_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_proto_basic_LDADD = $(KN_TEST_LIBS)

tests_unit_test_proto_admin_SOURCES = tests/unit/test_proto_admin.c tests/unit/test_proto_util.h
tests_unit_test_proto_admin_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_proto_admin_LDADD = $(KN_TEST_LIBS)

tests_unit_test_proto_group_SOURCES = tests/unit/test_proto_group.c tests/unit/test_proto_util.h
tests_unit_test_proto_group_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_proto_group_LDADD = $(KN_TEST_LIBS)

tests_unit_test_proto_fuzz_SOURCES = tests/unit/test_proto_fuzz.c tests/unit/test_proto_util.h
tests_unit_test_proto_fuzz_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_proto_fuzz_LDADD = $(KN_TEST_LIBS)

# ElectLeaders codec.
check_PROGRAMS += tests/unit/test_proto_elect
TESTS += tests/unit/test_proto_elect
tests_unit_test_proto_elect_SOURCES = tests/unit/test_proto_elect.c tests/unit/test_proto_util.h
tests_unit_test_proto_elect_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_proto_elect_LDADD = $(KN_TEST_LIBS)
