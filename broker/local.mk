# broker/local.mk -- build lines of broker/ (included by the top Makefile.am).

# ---- network layer and process skeleton (broker/server, main.c) --------
# libkanal_broker.a holds everything of the broker except main.c, so unit
# tests can link it. broker/cluster and broker/handlers add their sources
# with their own `libkanal_broker_a_SOURCES +=` lines.
noinst_LIBRARIES += libkanal_broker.a
libkanal_broker_a_SOURCES = \
	broker/broker.h broker/config_table.c \
	broker/server/request.h broker/server/server.h broker/server/server_int.h \
	broker/server/server.c broker/server/listener.c broker/server/conn.c \
	broker/server/dispatch.c broker/server/runq.c \
	broker/server/frame.h broker/server/frame.c \
	broker/server/delayed.h broker/server/delayed.c \
	broker/handlers/api_versions.h broker/handlers/api_versions.c

bin_PROGRAMS += kanal-broker
kanal_broker_SOURCES = broker/main.c
kanal_broker_LDADD = libkanal_broker.a $(LIBKANAL_LOG) libkanal.a $(KN_COMMON_LIBS)
# ---- end of network layer block -----------------------------------------

# ---- cluster membership, metadata cache, replica manager, admin APIs ----
libkanal_broker_a_SOURCES += \
	broker/cluster/cluster.h broker/cluster/cluster_int.h broker/cluster/cluster.c \
	broker/cluster/zkreg.c broker/cluster/ctlsession.c broker/cluster/mdcache.c \
	broker/cluster/replicas.c broker/cluster/assign.c \
	broker/cluster/admin.h broker/cluster/admin.c \
	broker/cluster/topics.h broker/cluster/topics.c \
	broker/handlers/cluster_handlers.h broker/handlers/metadata.c \
	broker/handlers/admin_topics.c broker/handlers/describe_configs.c
# ElectLeaders (preferred-leader election on demand).
libkanal_broker_a_SOURCES += broker/handlers/elect_leaders.c
# ---- end of cluster block -----------------------------------------------

# ---- data path: Produce, Fetch, ListOffsets; storage wiring -------------
libkanal_broker_a_SOURCES += \
	broker/storage.h broker/storage.c \
	broker/handlers/handlers.h broker/handlers/produce.c \
	broker/handlers/fetch.c broker/handlers/list_offsets.c
# ---- end of data path block ----------------------------------------------

# ---- storage engine (broker/log): libkanal_log.a -------------------------
# Link it before libkanal.a: $(LIBKANAL_LOG) libkanal.a $(KN_COMMON_LIBS).
noinst_LIBRARIES += libkanal_log.a
libkanal_log_a_SOURCES = \
	broker/log/log.h broker/log/log_int.h \
	broker/log/log.c broker/log/logread.c broker/log/logmaint.c \
	broker/log/logmgr.c broker/log/segment.c broker/log/index.c \
	broker/log/checkpoint.c
LIBKANAL_LOG = libkanal_log.a -lpthread
# ---- end of storage engine block ------------------------------------------

# ---- group coordinator: consumer groups, committed offsets ---------------
libkanal_broker_a_SOURCES += \
	broker/group/group.h broker/group/group_int.h \
	broker/group/hash.c broker/group/objects.c broker/group/state.c broker/group/records.c \
	broker/group/coordinator.c broker/handlers/groups.c \
	broker/handlers/group_offsets.c
EXTRA_DIST += tests/integration/test_groups.py
# ---- end of group coordinator block ---------------------------------------

# ---- replication: fetchers, ISR, high watermark, OffsetForLeaderEpoch ----
libkanal_broker_a_SOURCES += \
	broker/replica/replica.h broker/replica/replica_int.h \
	broker/replica/partition.c broker/replica/fetcher.c broker/replica/rconn.c \
	broker/replica/shutdown.c \
	broker/handlers/offset_for_leader_epoch.c
# ---- end of replication block ---------------------------------------------
