# tests/unit/controller.mk -- unit tests for the controller area (included by tests/local.mk).

check_PROGRAMS += tests/unit/test_ctlchan tests/unit/test_controller_assign
TESTS += tests/unit/test_ctlchan tests/unit/test_controller_assign

tests_unit_test_ctlchan_SOURCES = tests/unit/test_ctlchan.c
tests_unit_test_ctlchan_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_ctlchan_LDADD = $(KN_TEST_LIBS)

tests_unit_test_controller_assign_SOURCES = tests/unit/test_controller_assign.c
tests_unit_test_controller_assign_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_controller_assign_LDADD = libkncontroller.a $(KN_TEST_LIBS)
