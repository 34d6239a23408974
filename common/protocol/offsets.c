/*
 * common/protocol/offsets.c -- OffsetCommit, OffsetFetch and
 * OffsetForLeaderEpoch codecs (see offsets.h).
 */
#include "config.h"
#include "protocol/codec.h"
#include "protocol/offsets.h"

static void io_offsetcommit_req(kn_io_t *io, kn_offsetcommit_req_t *m)
{
    kn_io_str(io, &m->group_id);
    kn_io_i32(io, &m->generation_id);                  /* v1+ */
    kn_io_str(io, &m->member_id);                      /* v1+ */
    kn_io_nstr_if(io, io->ver >= 7, &m->group_instance_id);
    kn_io_i64_if(io, io->ver >= 2 && io->ver <= 4, &m->retention_time_ms, -1);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_offsetcommit_req_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->name);
        /* index, offset, null metadata = 14 bytes */
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 14, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_offsetcommit_req_partition_t *p = &t->partitions[j];
            kn_io_i32(io, &p->partition_index);
            kn_io_i64(io, &p->committed_offset);
            kn_io_i32_if(io, io->ver >= 6, &p->committed_leader_epoch, -1);
            kn_io_nstr(io, &p->committed_metadata);
        }
    }
}

static void io_offsetcommit_resp(kn_io_t *io, kn_offsetcommit_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 3, &m->throttle_time_ms, 0);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_offsetcommit_resp_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->name);
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 6, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_io_i32(io, &t->partitions[j].partition_index);
            kn_io_i16(io, &t->partitions[j].error_code);
        }
    }
}

KN_PROTO_DEFINE(offsetcommit, KN_API_OFFSET_COMMIT, KN_OFFSETCOMMIT_MIN, KN_OFFSETCOMMIT_MAX)

static void io_offsetfetch_req(kn_io_t *io, kn_offsetfetch_req_t *m)
{
    kn_io_str(io, &m->group_id);
    /* v2+ accepts a null list: every partition the group committed. */
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, io->ver >= 2);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->topics[i].name);
        kn_io_i32_array(io, &m->topics[i].partition_indexes, &m->topics[i].n_partition_indexes,
                        false);
    }
}

static void io_offsetfetch_resp(kn_io_t *io, kn_offsetfetch_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 3, &m->throttle_time_ms, 0);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_offsetfetch_resp_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->name);
        /* index, offset, null metadata, error = 16 bytes */
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 16, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_offsetfetch_resp_partition_t *p = &t->partitions[j];
            kn_io_i32(io, &p->partition_index);
            kn_io_i64(io, &p->committed_offset);
            kn_io_i32_if(io, io->ver >= 5, &p->committed_leader_epoch, -1);
            kn_io_nstr(io, &p->metadata);
            kn_io_i16(io, &p->error_code);
        }
    }
    kn_io_i16_if(io, io->ver >= 2, &m->error_code, 0);
}

KN_PROTO_DEFINE(offsetfetch, KN_API_OFFSET_FETCH, KN_OFFSETFETCH_MIN, KN_OFFSETFETCH_MAX)

static void io_offsetforleaderepoch_req(kn_io_t *io, kn_offsetforleaderepoch_req_t *m)
{
    kn_io_i32_if(io, io->ver >= 3, &m->replica_id, -2);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_offsetforleaderepoch_req_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->topic);
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 8, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_io_i32(io, &t->partitions[j].partition);
            kn_io_i32_if(io, io->ver >= 2, &t->partitions[j].current_leader_epoch, -1);
            kn_io_i32(io, &t->partitions[j].leader_epoch);
        }
    }
}

static void io_offsetforleaderepoch_resp(kn_io_t *io, kn_offsetforleaderepoch_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 2, &m->throttle_time_ms, 0);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_offsetforleaderepoch_resp_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->topic);
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 14, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_offsetforleaderepoch_resp_partition_t *p = &t->partitions[j];
            kn_io_i16(io, &p->error_code);
            kn_io_i32(io, &p->partition);
            kn_io_i32_if(io, io->ver >= 1, &p->leader_epoch, -1);
            kn_io_i64(io, &p->end_offset);
        }
    }
}

KN_PROTO_DEFINE(offsetforleaderepoch, KN_API_OFFSET_FOR_LEADER_EPOCH,
                KN_OFFSETFORLEADEREPOCH_MIN, KN_OFFSETFORLEADEREPOCH_MAX)
