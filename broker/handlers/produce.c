/*
 * broker/handlers/produce.c -- Produce (API key 0, v3-7).
 *
 * Each partition's record batches are validated and appended by the storage
 * engine exactly as the client sent them (only baseOffset, the partition
 * leader epoch and LogAppendTime timestamps are rewritten, in place in the
 * request frame). Errors are per partition; one bad partition never stops
 * the others. Only the partition leader accepts writes.
 *
 * acks=0 gets no response at all (KN_DECLINED). acks=1 and acks=all answer
 * once the batch is in the leader's log; while this broker is the only
 * in-sync replica the high watermark moves with the log end, so acks=all is
 * satisfied at once. (Waiting for followers belongs to replication.)
 */
#include "config.h"

#include <string.h>

#include "broker/broker.h"
#include "broker/cluster/cluster.h"
#include "broker/handlers/handlers.h"
#include "broker/log/log.h"
#include "broker/server/delayed.h"
#include "common/config.h"
#include "log.h"
#include "protocol/produce.h"

#define KN_PRODUCE_LOG "broker.produce"

/* Is this broker the only member of the partition's ISR? */
static bool kn_produce_sole_isr(const kn_md_t *md, const char *topic, int32_t partition,
                                int32_t self, int *isr_size)
{
    const kn_md_topic_t *t = md ? kn_md_topic(md, topic) : NULL;
    const kn_md_partition_t *p = t ? kn_md_partition(t, partition) : NULL;
    if (p == NULL) {
        *isr_size = 1;
        return true;   /* no view yet: we were made leader, trust that */
    }
    *isr_size = p->n_isr;
    return p->n_isr == 1 && p->isr[0] == self;
}

static void kn_produce_partition(kn_req_t *req, const kn_produce_req_t *pr, const kn_md_t *md,
                                 const char *topic, const kn_produce_req_partition_t *in,
                                 kn_produce_resp_partition_t *out)
{
    kn_broker_t *b = req->broker;
    kn_partition_ref_t ref;

    out->index = in->index;
    out->base_offset = -1;
    out->log_append_time_ms = -1;
    out->log_start_offset = -1;

    kn_err_t err = kn_topic_name_check(topic, strlen(topic));
    if (err != KN_ERR_NONE) {
        out->error_code = err;
        return;
    }
    if (b->cluster == NULL) {
        out->error_code = KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        return;
    }
    err = kn_cluster_partition_lookup(b->cluster, topic, in->index, &ref);
    if (err != KN_ERR_NONE) {
        out->error_code = err;
        return;
    }
    if (!ref.leader) {
        out->error_code = KN_ERR_NOT_LEADER_OR_FOLLOWER;
        kn_cluster_partition_release(b->cluster, &ref);
        return;
    }
    if (in->records.ptr == NULL || in->records.len <= 0) {
        out->error_code = KN_ERR_CORRUPT_MESSAGE;
        kn_cluster_partition_release(b->cluster, &ref);
        return;
    }

    int isr_size = 1;
    bool sole = kn_produce_sole_isr(md, topic, in->index, b->id, &isr_size);
    if (pr->acks == -1) {
        int64_t min_isr = kn_config_int(b->cfg, "min.insync.replicas");
        if (isr_size < min_isr) {
            out->error_code = KN_ERR_NOT_ENOUGH_REPLICAS;
            kn_cluster_partition_release(b->cluster, &ref);
            return;
        }
    }

    kn_log_append_result_t res;
    /* The frame buffer is the connection's heap copy of the request, so
     * rewriting the batch headers in place is safe and saves a copy. */
    err = kn_log_append(ref.log, (uint8_t *)(uintptr_t)in->records.ptr, (size_t)in->records.len,
                        KN_LOG_APPEND_LEADER, ref.leader_epoch, &res);
    if (err != KN_ERR_NONE) {
        kn_log_ratelimited(KN_LOG_WARN, KN_PRODUCE_LOG, "append-error", 5000,
                           "append to %s-%d from %s rejected: %s", topic, in->index, req->peer,
                           kn_err_name(err));
        out->error_code = err;
        kn_cluster_partition_release(b->cluster, &ref);
        return;
    }
    if (sole) {
        kn_log_set_high_watermark(ref.log, res.last_offset + 1);
    }
    out->error_code = KN_ERR_NONE;
    out->base_offset = res.base_offset;
    out->log_append_time_ms = res.log_append_time;
    out->log_start_offset = res.log_start_offset;
    kn_cluster_partition_release(b->cluster, &ref);
    /* Wake long-polling fetchers of this partition. */
    kn_delayed_notify_tp(topic, in->index);
}

int kn_handle_produce(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_produce_req_t pr;
    kn_produce_resp_t out;

    kn_arena_init(&arena);
    if (kn_proto_produce_req_decode(&req->body, req->api_version, &pr, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    kn_md_t *md = req->broker->cluster ? kn_cluster_md_acquire(req->broker->cluster) : NULL;
    memset(&out, 0, sizeof(out));
    out.n_topics = pr.n_topics;
    out.topics = kn_arena_array(&arena, (size_t)KN_MAX(pr.n_topics, 1), sizeof(*out.topics));
    for (int32_t i = 0; i < pr.n_topics; i++) {
        const kn_produce_req_topic_t *t = &pr.topics[i];
        kn_produce_resp_topic_t *ot = &out.topics[i];
        char *topic = kn_arena_slice_strdup(&arena, t->name);
        ot->name = t->name;
        ot->n_partitions = t->n_partitions;
        ot->partitions = kn_arena_array(&arena, (size_t)KN_MAX(t->n_partitions, 1),
                                        sizeof(*ot->partitions));
        for (int32_t j = 0; j < t->n_partitions; j++) {
            kn_produce_resp_partition_t *op = &ot->partitions[j];
            if (pr.acks != 0 && pr.acks != 1 && pr.acks != -1) {
                op->index = t->partitions[j].index;
                op->error_code = KN_ERR_INVALID_REQUIRED_ACKS;
                op->base_offset = -1;
                op->log_append_time_ms = -1;
                op->log_start_offset = -1;
                continue;
            }
            if (pr.transactional_id.ptr != NULL) {
                /* Transactions are not supported yet. */
                op->index = t->partitions[j].index;
                op->error_code = KN_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
                op->base_offset = -1;
                op->log_append_time_ms = -1;
                op->log_start_offset = -1;
                continue;
            }
            kn_produce_partition(req, &pr, md, topic ? topic : "", &t->partitions[j], op);
        }
    }
    if (md) {
        kn_md_release(md);
    }
    if (pr.acks == 0) {
        kn_arena_free(&arena);
        return KN_DECLINED;
    }
    kn_proto_produce_resp_encode(resp, req->api_version, &out);
    kn_arena_free(&arena);
    return KN_OK;
}
