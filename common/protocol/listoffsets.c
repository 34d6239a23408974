/*
 * common/protocol/listoffsets.c -- ListOffsets codec (see listoffsets.h).
 */
#include "config.h"
#include "protocol/codec.h"
#include "protocol/listoffsets.h"

static void io_listoffsets_req(kn_io_t *io, kn_listoffsets_req_t *m)
{
    kn_io_i32(io, &m->replica_id);
    kn_io_i8_if(io, io->ver >= 2, &m->isolation_level, 0);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_listoffsets_req_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->name);
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 12, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_io_i32(io, &t->partitions[j].partition_index);
            kn_io_i64(io, &t->partitions[j].timestamp);
        }
    }
}

static void io_listoffsets_resp(kn_io_t *io, kn_listoffsets_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 2, &m->throttle_time_ms, 0);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_listoffsets_resp_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->name);
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 22, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_listoffsets_resp_partition_t *p = &t->partitions[j];
            kn_io_i32(io, &p->partition_index);
            kn_io_i16(io, &p->error_code);
            kn_io_i64(io, &p->timestamp);
            kn_io_i64(io, &p->offset);
        }
    }
}

KN_PROTO_DEFINE(listoffsets, KN_API_LIST_OFFSETS, KN_LISTOFFSETS_MIN, KN_LISTOFFSETS_MAX)
