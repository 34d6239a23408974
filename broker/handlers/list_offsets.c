/*
 * broker/handlers/list_offsets.c -- ListOffsets (API key 2, v1-3).
 *
 * Timestamp -2 is the log start offset, -1 the latest offset a consumer may
 * read (the high watermark; with no transactions it is also the last
 * stable offset), anything else the first offset whose record timestamp is
 * >= the given time, via the segment time indexes (-1/-1 when no record is
 * that recent, as Kafka answers). Only the leader answers for consumers.
 */
#include "config.h"

#include <string.h>

#include "broker/broker.h"
#include "broker/cluster/cluster.h"
#include "broker/handlers/handlers.h"
#include "broker/log/log.h"
#include "protocol/listoffsets.h"

static void kn_list_offsets_partition(kn_req_t *req, const kn_listoffsets_req_t *lr,
                                      const char *topic,
                                      const kn_listoffsets_req_partition_t *in,
                                      kn_listoffsets_resp_partition_t *out)
{
    kn_broker_t *b = req->broker;
    kn_partition_ref_t ref;

    out->partition_index = in->partition_index;
    out->timestamp = -1;
    out->offset = -1;
    kn_err_t err = b->cluster ? kn_cluster_partition_lookup(b->cluster, topic, in->partition_index, &ref)
                              : KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (err != KN_ERR_NONE) {
        out->error_code = err;
        return;
    }
    if (!ref.leader && lr->replica_id < 0) {
        out->error_code = KN_ERR_NOT_LEADER_OR_FOLLOWER;
        kn_cluster_partition_release(b->cluster, &ref);
        return;
    }
    switch (in->timestamp) {
    case KN_LISTOFFSETS_EARLIEST:
        out->offset = kn_log_start_offset(ref.log);
        break;
    case KN_LISTOFFSETS_LATEST:
        out->offset = lr->replica_id >= 0 ? kn_log_end_offset(ref.log)
                                          : kn_log_high_watermark(ref.log);
        break;
    default: {
        int64_t off = -1, ts = -1;
        err = kn_log_offset_for_time(ref.log, in->timestamp, &off, &ts);
        if (err == KN_ERR_NONE && off >= kn_log_high_watermark(ref.log) && lr->replica_id < 0) {
            off = -1;   /* not yet committed: consumers must not see it */
            ts = -1;
        }
        out->offset = off;
        out->timestamp = ts;
        break;
    }
    }
    out->error_code = err;
    kn_cluster_partition_release(b->cluster, &ref);
}

int kn_handle_list_offsets(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_listoffsets_req_t lr;
    kn_listoffsets_resp_t out;

    kn_arena_init(&arena);
    if (kn_proto_listoffsets_req_decode(&req->body, req->api_version, &lr, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    memset(&out, 0, sizeof(out));
    out.n_topics = lr.n_topics;
    out.topics = kn_arena_array(&arena, (size_t)KN_MAX(lr.n_topics, 1), sizeof(*out.topics));
    for (int32_t i = 0; i < lr.n_topics; i++) {
        const kn_listoffsets_req_topic_t *t = &lr.topics[i];
        kn_listoffsets_resp_topic_t *ot = &out.topics[i];
        char *topic = kn_arena_slice_strdup(&arena, t->name);
        ot->name = t->name;
        ot->n_partitions = t->n_partitions;
        ot->partitions = kn_arena_array(&arena, (size_t)KN_MAX(t->n_partitions, 1),
                                        sizeof(*ot->partitions));
        for (int32_t j = 0; j < t->n_partitions; j++) {
            kn_list_offsets_partition(req, &lr, topic ? topic : "", &t->partitions[j],
                                      &ot->partitions[j]);
        }
    }
    kn_proto_listoffsets_resp_encode(resp, req->api_version, &out);
    kn_arena_free(&arena);
    return KN_OK;
}

void kn_data_handlers_register(void)
{
    kn_handlers_register(KN_API_PRODUCE, kn_handle_produce);
    kn_handlers_register(KN_API_FETCH, kn_handle_fetch);
    kn_handlers_register(KN_API_LIST_OFFSETS, kn_handle_list_offsets);
}
