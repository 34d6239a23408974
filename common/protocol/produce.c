/*
 * common/protocol/produce.c -- Produce and InitProducerId codecs (see
 * produce.h).
 */
#include "config.h"
#include "protocol/codec.h"
#include "protocol/produce.h"

static void io_produce_req(kn_io_t *io, kn_produce_req_t *m)
{
    kn_io_nstr(io, &m->transactional_id);      /* v3+: all versions we handle */
    kn_io_i16(io, &m->acks);
    kn_io_i32(io, &m->timeout_ms);
    /* name + empty partition array = 6 bytes */
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_produce_req_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->name);
        /* index + null records = 8 bytes */
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 8, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_io_i32(io, &t->partitions[j].index);
            kn_io_bytes(io, &t->partitions[j].records, true);
        }
    }
}

static void io_produce_resp(kn_io_t *io, kn_produce_resp_t *m)
{
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_produce_resp_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->name);
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 14, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_produce_resp_partition_t *p = &t->partitions[j];
            kn_io_i32(io, &p->index);
            kn_io_i16(io, &p->error_code);
            kn_io_i64(io, &p->base_offset);
            kn_io_i64_if(io, io->ver >= 2, &p->log_append_time_ms, -1);
            kn_io_i64_if(io, io->ver >= 5, &p->log_start_offset, -1);
        }
    }
    kn_io_i32_if(io, io->ver >= 1, &m->throttle_time_ms, 0);
}

KN_PROTO_DEFINE(produce, KN_API_PRODUCE, KN_PRODUCE_MIN, KN_PRODUCE_MAX)

static void io_initproducerid_req(kn_io_t *io, kn_initproducerid_req_t *m)
{
    kn_io_nstr(io, &m->transactional_id);
    kn_io_i32(io, &m->transaction_timeout_ms);
}

static void io_initproducerid_resp(kn_io_t *io, kn_initproducerid_resp_t *m)
{
    kn_io_i32(io, &m->throttle_time_ms);
    kn_io_i16(io, &m->error_code);
    kn_io_i64(io, &m->producer_id);
    kn_io_i16(io, &m->producer_epoch);
}

KN_PROTO_DEFINE(initproducerid, KN_API_INIT_PRODUCER_ID, KN_INITPRODUCERID_MIN,
                KN_INITPRODUCERID_MAX)
