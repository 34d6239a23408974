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
