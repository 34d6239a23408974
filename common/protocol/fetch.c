/*
 * common/protocol/fetch.c -- Fetch codec (see fetch.h for how records are
 * emitted without copying).
 */
#include "config.h"
#include "protocol/codec.h"
#include "protocol/fetch.h"

#include <stdlib.h>

#include "log.h"

static void io_fetch_req(kn_io_t *io, kn_fetch_req_t *m)
{
    kn_io_i32(io, &m->replica_id);
    kn_io_i32(io, &m->max_wait_ms);
    kn_io_i32(io, &m->min_bytes);
    kn_io_i32(io, &m->max_bytes);                 /* v3+: every version here */
    kn_io_i8(io, &m->isolation_level);            /* v4+ */
    kn_io_i32_if(io, io->ver >= 7, &m->session_id, 0);
    kn_io_i32_if(io, io->ver >= 7, &m->session_epoch, -1);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_fetch_req_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->topic);
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 16, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_fetch_req_partition_t *p = &t->partitions[j];
            kn_io_i32(io, &p->partition);
            kn_io_i32_if(io, io->ver >= 9, &p->current_leader_epoch, -1);
            kn_io_i64(io, &p->fetch_offset);
            kn_io_i64_if(io, io->ver >= 5, &p->log_start_offset, -1);
            kn_io_i32(io, &p->partition_max_bytes);
        }
    }
    if (io->ver >= 7) {
        KN_IO_ARRAY(io, m->forgotten, m->n_forgotten, 6, false);
        for (int32_t i = 0; i < kn_io_count(m->n_forgotten) && kn_io_ok(io); i++) {
            kn_io_str(io, &m->forgotten[i].topic);
            kn_io_i32_array(io, &m->forgotten[i].partitions, &m->forgotten[i].n_partitions, false);
        }
    }
    kn_io_str_if(io, io->ver >= 11, &m->rack_id);
}

static void io_fetch_records(kn_io_t *io, const kn_fetch_resp_t *m, kn_fetch_resp_partition_t *p)
{
    if (io->r || !p->records_external) {
        kn_io_bytes(io, &p->records, true);
        return;
    }
    /* The caller supplies the bytes itself (sendfile); without a callback
     * the frame would be corrupt, which is a programming error. */
    if (m->records_fn == NULL) {
        kn_log_error("protocol", "fetch response: external records without records_fn");
        abort();
    }
    kn_wbuf_i32(io->w, p->records_length);
    m->records_fn(io->w, p, m->records_arg);
}

static void io_fetch_resp(kn_io_t *io, kn_fetch_resp_t *m)
{
    kn_io_i32(io, &m->throttle_time_ms);
    kn_io_i16_if(io, io->ver >= 7, &m->error_code, 0);
    kn_io_i32_if(io, io->ver >= 7, &m->session_id, 0);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_fetch_resp_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->topic);
        /* index, error, hwm, lso, null aborted, null records = 30 bytes */
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 30, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_fetch_resp_partition_t *p = &t->partitions[j];
            kn_io_i32(io, &p->partition_index);
            kn_io_i16(io, &p->error_code);
            kn_io_i64(io, &p->high_watermark);
            kn_io_i64(io, &p->last_stable_offset);     /* v4+ */
            kn_io_i64_if(io, io->ver >= 5, &p->log_start_offset, -1);
            KN_IO_ARRAY(io, p->aborted, p->n_aborted, 16, true);
            for (int32_t k = 0; k < kn_io_count(p->n_aborted) && kn_io_ok(io); k++) {
                kn_io_i64(io, &p->aborted[k].producer_id);
                kn_io_i64(io, &p->aborted[k].first_offset);
            }
            kn_io_i32_if(io, io->ver >= 11, &p->preferred_read_replica, -1);
            io_fetch_records(io, m, p);
        }
    }
}

KN_PROTO_DEFINE(fetch, KN_API_FETCH, KN_FETCH_MIN, KN_FETCH_MAX)
