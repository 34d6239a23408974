# common/local.mk -- libkanal.a, the code every Kanal binary shares.

noinst_LIBRARIES += libkanal.a

libkanal_a_SOURCES = \
	common/kn.h common/util.c \
	common/errors.h common/errors.c \
	common/buf.h common/buf.c \
	common/log.h common/log.c \
	common/config.h common/config.c common/props.c \
	common/record/crc32c.h common/record/crc32c.c \
	common/zk/zk.h common/zk/zk_internal.h common/zk/zk.c common/zk/zk_ops.c

# protoc-c output for the broker <-> controller channel.
nodist_libkanal_a_SOURCES = common/proto/control.pb-c.c common/proto/control.pb-c.h
BUILT_SOURCES += common/proto/control.pb-c.c common/proto/control.pb-c.h
CLEANFILES += common/proto/control.pb-c.c common/proto/control.pb-c.h
EXTRA_DIST += common/proto/control.proto

common/proto/control.pb-c.h: common/proto/control.pb-c.c
common/proto/control.pb-c.c: $(top_srcdir)/common/proto/control.proto
	$(AM_V_GEN)$(MKDIR_P) common/proto && \
	$(PROTOC_C) --proto_path=$(top_srcdir)/common/proto --c_out=common/proto $(top_srcdir)/common/proto/control.proto

# Kafka protocol codecs (common/protocol/).
libkanal_a_SOURCES += \
	common/protocol/arena.h common/protocol/arena.c \
	common/protocol/api.h common/protocol/api.c common/protocol/header.c \
	common/protocol/codec.h common/protocol/codec.c common/protocol/protocol.h \
	common/protocol/apiversions.h common/protocol/apiversions.c \
	common/protocol/metadata.h common/protocol/metadata.c \
	common/protocol/produce.h common/protocol/produce.c \
	common/protocol/fetch.h common/protocol/fetch.c \
	common/protocol/listoffsets.h common/protocol/listoffsets.c \
	common/protocol/topics.h common/protocol/topics.c \
	common/protocol/configs.h common/protocol/configs.c \
	common/protocol/group.h common/protocol/group.c \
	common/protocol/groupadmin.h common/protocol/groupadmin.c \
	common/protocol/offsets.h common/protocol/offsets.c

# ---- OffsetDelete codec (written with the group coordinator) -------------
libkanal_a_SOURCES += common/protocol/offsetdelete.h common/protocol/offsetdelete.c
# ---- end of OffsetDelete codec block --------------------------------------
# ElectLeaders codec.
libkanal_a_SOURCES += common/protocol/electleaders.h common/protocol/electleaders.c

# The broker <-> controller control channel.
libkanal_a_SOURCES += common/net/ctlchan.h common/net/ctlchan.c

# Record batches (v2) and compression codecs.
libkanal_a_SOURCES += common/record/batch.h common/record/batch.c \
	common/record/compress.h common/record/compress.c

# TLS contexts for listeners and clients (common/net/tls.h).
libkanal_a_SOURCES += common/net/tls.h common/net/tls.c
