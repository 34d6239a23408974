# tests/local.mk -- unit tests (cmocka, run by `make check`) and the
# integration suite (real ZooKeeper and processes, run by
# `make check-integration`). Each area keeps its own fragment.

# Link line shared by every unit test program.
KN_TEST_LIBS = libkanal.a $(CMOCKA_LIBS) $(KN_COMMON_LIBS)
KN_TEST_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)

include tests/unit/common.mk
include tests/unit/record.mk
include tests/unit/log.mk
include tests/unit/protocol.mk
include tests/unit/broker.mk
include tests/unit/replica.mk
include tests/unit/controller.mk
include tests/unit/tools.mk
include tests/integration/local.mk

EXTRA_DIST += tests/harness/kanal_harness.py tests/harness/kanal_cluster.py tests/integration/test_cluster_e2e.py tests/run-integration.sh

# The integration suite: every tests/integration/test_*.py and *.sh script,
# each against real ZooKeeper/broker/controller processes it starts and
# stops itself. Runs from the build tree so it finds the binaries.
check-integration: all $(check_PROGRAMS)
	$(SHELL) $(top_srcdir)/tests/run-integration.sh $(top_srcdir) $(abs_top_builddir)

.PHONY: check-integration
