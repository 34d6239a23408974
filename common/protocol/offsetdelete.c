/*
 * common/protocol/offsetdelete.c -- the OffsetDelete codec (see
 * offsetdelete.h for the wire layout).
 */
#include "config.h"

#include "protocol/codec.h"
#include "protocol/offsetdelete.h"

static void io_offsetdelete_req(kn_io_t *io, kn_offsetdelete_req_t *m)
{
    kn_io_str(io, &m->group_id);
    /* name + empty partitions array = 6 bytes */
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->topics[i].name);
        kn_io_i32_array(io, &m->topics[i].partitions, &m->topics[i].n_partitions, false);
    }
}

static void io_offsetdelete_resp(kn_io_t *io, kn_offsetdelete_resp_t *m)
{
    kn_io_i16(io, &m->error_code);
    kn_io_i32(io, &m->throttle_time_ms);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_offsetdelete_resp_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->name);
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 6, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_io_i32(io, &t->partitions[j].partition_index);
            kn_io_i16(io, &t->partitions[j].error_code);
        }
    }
}

KN_PROTO_DEFINE(offsetdelete, KN_API_OFFSET_DELETE, KN_OFFSETDELETE_MIN, KN_OFFSETDELETE_MAX)
