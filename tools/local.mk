# tools/local.mk -- build lines of tools/ (included by the top Makefile.am).
# The operator CLIs: librdkafka clients sharing tools/lib (client
# configuration, record text formats, topic description).

noinst_LIBRARIES += tools/lib/libkntools.a

tools_lib_libkntools_a_SOURCES = \
	tools/lib/tool.h tools/lib/tool.c \
	tools/lib/format.h tools/lib/format.c \
	tools/lib/topicdesc.h tools/lib/topicdesc.c
tools_lib_libkntools_a_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)

# libkanal.a supplies logging and the Java-properties parser.
KN_TOOLS_LIBS = tools/lib/libkntools.a libkanal.a $(RDKAFKA_LIBS) $(KN_COMMON_LIBS)

bin_PROGRAMS += kctl-topics kctl-console-producer kctl-console-consumer

kctl_topics_SOURCES = tools/kctl-topics.c
kctl_topics_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
kctl_topics_LDADD = $(KN_TOOLS_LIBS)

kctl_console_producer_SOURCES = tools/kctl-console-producer.c
kctl_console_producer_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
kctl_console_producer_LDADD = $(KN_TOOLS_LIBS)

kctl_console_consumer_SOURCES = tools/kctl-console-consumer.c
kctl_console_consumer_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
kctl_console_consumer_LDADD = $(KN_TOOLS_LIBS)

# The integration cases of the tools (tests/integration/test_tools.py).
EXTRA_DIST += tests/integration/test_tools.py

# rdkafka_mock: librdkafka's mock cluster as a process, so test_tools.py can
# check the tools as Kafka clients without depending on kanal-broker.
check_PROGRAMS += tests/integration/rdkafka_mock
tests_integration_rdkafka_mock_SOURCES = tests/integration/rdkafka_mock.c
tests_integration_rdkafka_mock_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
tests_integration_rdkafka_mock_LDADD = $(RDKAFKA_LIBS)

# --- performance tools (kctl-perf-producer, kctl-perf-consumer,
# kctl-e2e-latency) and their shared statistics; see docs/benchmarks.md.
noinst_LIBRARIES += tools/perf/libknperf.a
tools_perf_libknperf_a_SOURCES = tools/perf/perf.h tools/perf/perf.c
KN_PERF_LIBS = tools/perf/libknperf.a $(KN_TOOLS_LIBS)

bin_PROGRAMS += kctl-perf-producer kctl-perf-consumer kctl-e2e-latency

kctl_perf_producer_SOURCES = tools/kctl-perf-producer.c
kctl_perf_producer_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
kctl_perf_producer_LDADD = $(KN_PERF_LIBS)

kctl_perf_consumer_SOURCES = tools/kctl-perf-consumer.c
kctl_perf_consumer_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
kctl_perf_consumer_LDADD = $(KN_PERF_LIBS)

kctl_e2e_latency_SOURCES = tools/kctl-e2e-latency.c
kctl_e2e_latency_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
kctl_e2e_latency_LDADD = $(KN_PERF_LIBS) -lpthread

check_PROGRAMS += tests/unit/test_perf
TESTS += tests/unit/test_perf
tests_unit_test_perf_SOURCES = tests/unit/test_perf.c
tests_unit_test_perf_CFLAGS = $(KN_TEST_CFLAGS)
tests_unit_test_perf_LDADD = tools/perf/libknperf.a $(KN_TEST_LIBS)

EXTRA_DIST += tests/integration/test_perf_tools.py
# --- end of performance tools

# ---- kctl-consumer-groups (owned with the group coordinator) --------------
bin_PROGRAMS += kctl-consumer-groups
kctl_consumer_groups_SOURCES = tools/kctl-consumer-groups.c \
	tools/kctl-consumer-groups.h tools/kctl-consumer-groups-reset.c
kctl_consumer_groups_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
kctl_consumer_groups_LDADD = $(KN_TOOLS_LIBS)
# ---- end of kctl-consumer-groups block ------------------------------------

# --- durability test tools (kctl-verifiable-producer/-consumer): which
# records the cluster acknowledged, and whether they all read back intact.
bin_PROGRAMS += kctl-verifiable-producer kctl-verifiable-consumer

kctl_verifiable_producer_SOURCES = tools/kctl-verifiable-producer.c
kctl_verifiable_producer_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
kctl_verifiable_producer_LDADD = $(KN_TOOLS_LIBS)

kctl_verifiable_consumer_SOURCES = tools/kctl-verifiable-consumer.c
kctl_verifiable_consumer_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
kctl_verifiable_consumer_LDADD = $(KN_TOOLS_LIBS)

# kctl-leader-election: preferred-leader election on demand (through the
# /admin/preferred_replica_election znode the controller watches).
bin_PROGRAMS += kctl-leader-election
kctl_leader_election_SOURCES = tools/kctl-leader-election.c
kctl_leader_election_CFLAGS = $(AM_CFLAGS) $(RDKAFKA_CFLAGS)
kctl_leader_election_LDADD = $(KN_TOOLS_LIBS)
# --- end of durability test tools
