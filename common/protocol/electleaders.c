/*
 * common/protocol/electleaders.c -- the ElectLeaders codec (see
 * electleaders.h for the wire layout).
 */
#include "config.h"

#include "protocol/codec.h"
#include "protocol/electleaders.h"

static void io_electleaders_req(kn_io_t *io, kn_electleaders_req_t *m)
{
    kn_io_i8_if(io, io->ver >= 1, &m->election_type, KN_ELECTION_PREFERRED);
    /* topic name + empty partitions array = 6 bytes */
    KN_IO_ARRAY(io, m->topics, m->n_topics, 6, true);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->topics[i].topic);
        kn_io_i32_array(io, &m->topics[i].partitions, &m->topics[i].n_partitions, false);
    }
    kn_io_i32(io, &m->timeout_ms);
}

static void io_electleaders_resp(kn_io_t *io, kn_electleaders_resp_t *m)
{
    kn_io_i32(io, &m->throttle_time_ms);
    kn_io_i16_if(io, io->ver >= 1, &m->error_code, 0);
    KN_IO_ARRAY(io, m->results, m->n_results, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_results) && kn_io_ok(io); i++) {
        kn_electleaders_result_t *t = &m->results[i];
        kn_io_str(io, &t->topic);
        /* partition_id + error_code + null message = 8 bytes */
        KN_IO_ARRAY(io, t->partitions, t->n_partitions, 8, false);
        for (int32_t j = 0; j < kn_io_count(t->n_partitions) && kn_io_ok(io); j++) {
            kn_io_i32(io, &t->partitions[j].partition_id);
            kn_io_i16(io, &t->partitions[j].error_code);
            kn_io_nstr(io, &t->partitions[j].error_message);
        }
    }
}

KN_PROTO_DEFINE(electleaders, KN_API_ELECT_LEADERS, KN_ELECTLEADERS_MIN, KN_ELECTLEADERS_MAX)
