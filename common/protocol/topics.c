/*
 * common/protocol/topics.c -- CreateTopics, DeleteTopics and
 * CreatePartitions codecs (see topics.h).
 */
#include "config.h"
#include "protocol/codec.h"
#include "protocol/topics.h"

static void io_createtopics_req(kn_io_t *io, kn_createtopics_req_t *m)
{
    /* name, partitions, rf, two empty arrays = 16 bytes */
    KN_IO_ARRAY(io, m->topics, m->n_topics, 16, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_createtopics_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->name);
        kn_io_i32(io, &t->num_partitions);
        kn_io_i16(io, &t->replication_factor);
        KN_IO_ARRAY(io, t->assignments, t->n_assignments, 8, false);
        for (int32_t j = 0; j < kn_io_count(t->n_assignments) && kn_io_ok(io); j++) {
            kn_createtopics_assignment_t *as = &t->assignments[j];
            kn_io_i32(io, &as->partition_index);
            kn_io_i32_array(io, &as->broker_ids, &as->n_broker_ids, false);
        }
        KN_IO_ARRAY(io, t->configs, t->n_configs, 4, false);
        for (int32_t j = 0; j < kn_io_count(t->n_configs) && kn_io_ok(io); j++) {
            kn_io_str(io, &t->configs[j].name);
            kn_io_nstr(io, &t->configs[j].value);
        }
    }
    kn_io_i32(io, &m->timeout_ms);
    kn_io_bool_if(io, io->ver >= 1, &m->validate_only, false);
}

static void io_createtopics_resp(kn_io_t *io, kn_createtopics_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 2, &m->throttle_time_ms, 0);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 4, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_createtopics_result_t *t = &m->topics[i];
        kn_io_str(io, &t->name);
        kn_io_i16(io, &t->error_code);
        kn_io_nstr_if(io, io->ver >= 1, &t->error_message);
    }
}

KN_PROTO_DEFINE(createtopics, KN_API_CREATE_TOPICS, KN_CREATETOPICS_MIN, KN_CREATETOPICS_MAX)

static void io_deletetopics_req(kn_io_t *io, kn_deletetopics_req_t *m)
{
    kn_io_str_array(io, &m->topic_names, &m->n_topic_names, false);
    kn_io_i32(io, &m->timeout_ms);
}

static void io_deletetopics_resp(kn_io_t *io, kn_deletetopics_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 1, &m->throttle_time_ms, 0);
    KN_IO_ARRAY(io, m->responses, m->n_responses, 4, false);
    for (int32_t i = 0; i < kn_io_count(m->n_responses) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->responses[i].name);
        kn_io_i16(io, &m->responses[i].error_code);
    }
}

KN_PROTO_DEFINE(deletetopics, KN_API_DELETE_TOPICS, KN_DELETETOPICS_MIN, KN_DELETETOPICS_MAX)

static void io_createpartitions_req(kn_io_t *io, kn_createpartitions_req_t *m)
{
    /* name, count, null assignments = 10 bytes */
    KN_IO_ARRAY(io, m->topics, m->n_topics, 10, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_createpartitions_topic_t *t = &m->topics[i];
        kn_io_str(io, &t->name);
        kn_io_i32(io, &t->count);
        KN_IO_ARRAY(io, t->assignments, t->n_assignments, 4, true);
        for (int32_t j = 0; j < kn_io_count(t->n_assignments) && kn_io_ok(io); j++) {
            kn_io_i32_array(io, &t->assignments[j].broker_ids, &t->assignments[j].n_broker_ids,
                            false);
        }
    }
    kn_io_i32(io, &m->timeout_ms);
    kn_io_bool(io, &m->validate_only);
}

static void io_createpartitions_resp(kn_io_t *io, kn_createpartitions_resp_t *m)
{
    kn_io_i32(io, &m->throttle_time_ms);
    KN_IO_ARRAY(io, m->results, m->n_results, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_results) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->results[i].name);
        kn_io_i16(io, &m->results[i].error_code);
        kn_io_nstr(io, &m->results[i].error_message);
    }
}

KN_PROTO_DEFINE(createpartitions, KN_API_CREATE_PARTITIONS, KN_CREATEPARTITIONS_MIN,
                KN_CREATEPARTITIONS_MAX)
