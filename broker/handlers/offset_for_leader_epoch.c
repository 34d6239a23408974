/*
 * broker/handlers/offset_for_leader_epoch.c -- OffsetForLeaderEpoch (API
 * key 23, v0-3): where does a leader epoch end in the leader's log?
 *
 * Followers (and a returning old leader) ask for their latest epoch and
 * truncate to the answer before fetching (KIP-101); consumers use it to
 * detect log truncation (KIP-320). Only the leader answers. The answer for
 * epoch E is (the largest epoch <= E we have, the start offset of the
 * first epoch after it) -- or our log end when E is our current epoch.
 *
 * The storage engine records an epoch when the first batch of that epoch
 * is appended. A leader that has not appended in its current term yet
 * therefore knows an older latest epoch than the one it leads with; Kafka
 * would already have recorded the new epoch starting at the log end at
 * election time, and we answer exactly as if it had: any epoch at or above
 * our latest recorded one ends at our log end.
 */
#include "config.h"

#include <string.h>

#include "broker/broker.h"
#include "broker/cluster/cluster.h"
#include "broker/log/log.h"
#include "broker/replica/replica.h"
#include "broker/server/request.h"
#include "protocol/api.h"
#include "protocol/offsets.h"

static void kn_ofle_partition(kn_req_t *req, const char *topic,
                              const kn_offsetforleaderepoch_req_partition_t *in,
                              kn_offsetforleaderepoch_resp_partition_t *out)
{
    kn_broker_t *b = req->broker;
    kn_partition_ref_t ref;

    out->partition = in->partition;
    out->leader_epoch = -1;
    out->end_offset = -1;
    kn_err_t err = b->cluster ? kn_cluster_partition_lookup(b->cluster, topic, in->partition, &ref)
                              : KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (err != KN_ERR_NONE) {
        out->error_code = err;
        return;
    }
    if (!ref.leader) {
        err = KN_ERR_NOT_LEADER_OR_FOLLOWER;
    } else if (in->current_leader_epoch >= 0 && in->current_leader_epoch < ref.leader_epoch) {
        err = KN_ERR_FENCED_LEADER_EPOCH;
    } else if (in->current_leader_epoch > ref.leader_epoch) {
        err = KN_ERR_UNKNOWN_LEADER_EPOCH;
    } else {
        err = kn_repl_epoch_end(ref.log, ref.leader_epoch, in->leader_epoch, &out->leader_epoch,
                                &out->end_offset);
    }
    out->error_code = err;
    kn_cluster_partition_release(b->cluster, &ref);
}

static int kn_handle_offset_for_leader_epoch(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_offsetforleaderepoch_req_t in;
    kn_offsetforleaderepoch_resp_t out;

    kn_arena_init(&arena);
    if (kn_proto_offsetforleaderepoch_req_decode(&req->body, req->api_version, &in, &arena) !=
        KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    memset(&out, 0, sizeof(out));
    out.n_topics = KN_MAX(in.n_topics, 0);
    out.topics = kn_arena_array(&arena, (size_t)KN_MAX(in.n_topics, 1), sizeof(*out.topics));
    for (int32_t i = 0; i < in.n_topics; i++) {
        const kn_offsetforleaderepoch_req_topic_t *t = &in.topics[i];
        kn_offsetforleaderepoch_resp_topic_t *ot = &out.topics[i];
        char *topic = kn_arena_slice_strdup(&arena, t->topic);
        ot->topic = t->topic;
        ot->n_partitions = KN_MAX(t->n_partitions, 0);
        ot->partitions = kn_arena_array(&arena, (size_t)KN_MAX(t->n_partitions, 1),
                                        sizeof(*ot->partitions));
        for (int32_t j = 0; j < t->n_partitions; j++)
            kn_ofle_partition(req, topic ? topic : "", &t->partitions[j], &ot->partitions[j]);
    }
    kn_proto_offsetforleaderepoch_resp_encode(resp, req->api_version, &out);
    kn_arena_free(&arena);
    return KN_OK;
}

void kn_repl_register_handlers(void)
{
    kn_handlers_register(KN_API_OFFSET_FOR_LEADER_EPOCH, kn_handle_offset_for_leader_epoch);
}
