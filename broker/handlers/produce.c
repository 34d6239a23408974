/*
 * broker/handlers/produce.c -- Produce (API key 0, v3-7).
 *
 * Each partition's record batches are validated and appended by the storage
 * engine exactly as the client sent them (only baseOffset, the partition
 * leader epoch and LogAppendTime timestamps are rewritten, in place in the
 * request frame). Errors are per partition; one bad partition never stops
 * the others. Only the partition leader accepts writes.
 *
 * acks=0 gets no response at all (KN_DECLINED); acks=1 is answered once
 * the batch is in the leader's log. acks=all (-1) is refused up front with
 * NOT_ENOUGH_REPLICAS when the ISR is smaller than min.insync.replicas;
 * otherwise, after the append, the request parks as a delayed operation
 * watching its partitions until the high watermark covers every batch
 * (the replica manager notifies the partition whenever the HW moves), or
 * timeout_ms passes (REQUEST_TIMED_OUT for the partitions still short).
 * If the ISR shrank below min.insync.replicas while waiting the batch is
 * answered NOT_ENOUGH_REPLICAS_AFTER_APPEND, as Kafka does: it is in the
 * log, but not as durable as the producer asked.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/cluster/cluster.h"
#include "broker/handlers/handlers.h"
#include "broker/log/log.h"
#include "broker/replica/replica.h"
#include "broker/server/delayed.h"
#include "log.h"
#include "protocol/produce.h"

#define KN_PRODUCE_LOG "broker.produce"

/* An acks=all partition waiting for the high watermark. */
typedef struct {
    const char                  *topic;    /* arena string */
    int32_t                      partition;
    int64_t                      required; /* offset after the appended batches */
    kn_produce_resp_partition_t *out;
    bool                         done;
} kn_produce_wait_t;

typedef struct {
    kn_req_t          *req;
    kn_arena_t         arena;    /* the decoded request and the response */
    kn_produce_req_t   pr;
    kn_produce_resp_t  out;
    kn_produce_wait_t *waits;
    int                n_waits;
    kn_delayed_t      *op;
} kn_produce_ctx_t;

static void kn_produce_ctx_free(kn_produce_ctx_t *ctx)
{
    kn_arena_free(&ctx->arena);
    free(ctx);
}

static void kn_produce_fail(kn_produce_resp_partition_t *out, kn_err_t err)
{
    out->error_code = err;
    out->base_offset = -1;
    out->log_append_time_ms = -1;
    out->log_start_offset = -1;
}

static void kn_produce_partition(kn_produce_ctx_t *ctx, const char *topic,
                                 const kn_produce_req_partition_t *in,
                                 kn_produce_resp_partition_t *out)
{
    kn_broker_t *b = ctx->req->broker;
    kn_partition_ref_t ref;
    int16_t acks = ctx->pr.acks;

    out->index = in->index;
    kn_produce_fail(out, KN_ERR_NONE);
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
    if (acks == -1 && b->repl != NULL) {
        int isr = 0, min_isr = 1;
        err = kn_repl_isr_info(b->repl, topic, in->index, &isr, &min_isr);
        if (err == KN_ERR_NONE && isr < min_isr) {
            kn_log_ratelimited(KN_LOG_INFO, KN_PRODUCE_LOG, "not-enough-replicas", 5000,
                               "%s-%d: ISR of %d below min.insync.replicas %d: refusing acks=all",
                               topic, in->index, isr, min_isr);
            err = KN_ERR_NOT_ENOUGH_REPLICAS;
        }
        if (err != KN_ERR_NONE) {
            out->error_code = err;
            kn_cluster_partition_release(b->cluster, &ref);
            return;
        }
    }

    kn_log_append_result_t res;
    /* The frame buffer is the connection's heap copy of the request, so
     * rewriting the batch headers in place is safe and saves a copy. */
    err = kn_log_append(ref.log, (uint8_t *)(uintptr_t)in->records.ptr, (size_t)in->records.len,
                        KN_LOG_APPEND_LEADER, ref.leader_epoch, &res);
    if (err == KN_ERR_NONE && b->repl == NULL) {
        /* No replica manager (unit tests): this broker is the only copy. */
        kn_log_set_high_watermark(ref.log, res.last_offset + 1);
    }
    kn_cluster_partition_release(b->cluster, &ref);
    if (err != KN_ERR_NONE) {
        kn_log_ratelimited(KN_LOG_WARN, KN_PRODUCE_LOG, "append-error", 5000,
                           "append to %s-%d from %s rejected: %s", topic, in->index,
                           ctx->req->peer, kn_err_name(err));
        out->error_code = err;
        return;
    }
    out->error_code = KN_ERR_NONE;
    out->base_offset = res.base_offset;
    out->log_append_time_ms = res.log_append_time;
    out->log_start_offset = res.log_start_offset;
    /* The HW moves at once when we are the only ISR member. */
    if (b->repl != NULL)
        kn_repl_leader_appended(b->repl, topic, in->index);
    /* Wake long-polling fetchers (followers first of all) of this partition. */
    kn_delayed_notify_tp(topic, in->index);
    if (acks == -1) {
        kn_produce_wait_t *w = &ctx->waits[ctx->n_waits++];
        w->topic = topic;
        w->partition = in->index;
        w->required = res.last_offset + 1;
        w->out = out;
        w->done = false;
    }
}

/* Re-check every waiting partition; true when none is left waiting. With
 * final, the ones still short get REQUEST_TIMED_OUT. */
static bool kn_produce_check(kn_produce_ctx_t *ctx, bool final)
{
    kn_broker_t *b = ctx->req->broker;
    bool all = true;
    for (int i = 0; i < ctx->n_waits; i++) {
        kn_produce_wait_t *w = &ctx->waits[i];
        if (w->done)
            continue;
        kn_err_t err = KN_ERR_NONE;
        if (b->repl == NULL ||
            kn_repl_check_ack(b->repl, w->topic, w->partition, w->required, &err) == KN_OK) {
            w->done = true;
            if (err != KN_ERR_NONE)
                w->out->error_code = err;
        } else if (final) {
            w->done = true;
            w->out->error_code = KN_ERR_REQUEST_TIMED_OUT;
        } else {
            all = false;
        }
    }
    return all;
}

static void kn_produce_respond(kn_produce_ctx_t *ctx)
{
    kn_wbuf_t w;
    kn_wbuf_init(&w, 256);
    kn_proto_produce_resp_encode(&w, ctx->req->api_version, &ctx->out);
    kn_req_complete(ctx->req, &w);
    kn_wbuf_free(&w);
}

static bool kn_produce_on_event(void *arg, kn_delayed_reason_t why)
{
    kn_produce_ctx_t *ctx = arg;
    if (!kn_produce_check(ctx, why != KN_DELAYED_WAKE))
        return false;
    if (why == KN_DELAYED_TIMEOUT)
        kn_log_ratelimited(KN_LOG_INFO, KN_PRODUCE_LOG, "acks-timeout", 5000,
                           "acks=all produce from %s timed out waiting for replicas",
                           ctx->req->peer);
    kn_produce_respond(ctx);
    kn_produce_ctx_free(ctx);
    return true;
}

int kn_handle_produce(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_produce_ctx_t *ctx = kn_calloc(1, sizeof(*ctx));
    kn_produce_req_t *pr = &ctx->pr;
    kn_produce_resp_t *out = &ctx->out;

    ctx->req = req;
    kn_arena_init(&ctx->arena);
    if (kn_proto_produce_req_decode(&req->body, req->api_version, pr, &ctx->arena) != KN_OK) {
        kn_produce_ctx_free(ctx);
        return KN_ERROR;
    }
    size_t nparts = 0;
    for (int32_t i = 0; i < pr->n_topics; i++)
        nparts += (size_t)KN_MAX(pr->topics[i].n_partitions, 0);
    ctx->waits = kn_arena_array(&ctx->arena, KN_MAX(nparts, (size_t)1), sizeof(*ctx->waits));
    out->n_topics = pr->n_topics;
    out->topics = kn_arena_array(&ctx->arena, (size_t)KN_MAX(pr->n_topics, 1),
                                 sizeof(*out->topics));
    for (int32_t i = 0; i < pr->n_topics; i++) {
        const kn_produce_req_topic_t *t = &pr->topics[i];
        kn_produce_resp_topic_t *ot = &out->topics[i];
        char *topic = kn_arena_slice_strdup(&ctx->arena, t->name);
        ot->name = t->name;
        ot->n_partitions = t->n_partitions;
        ot->partitions = kn_arena_array(&ctx->arena, (size_t)KN_MAX(t->n_partitions, 1),
                                        sizeof(*ot->partitions));
        for (int32_t j = 0; j < t->n_partitions; j++) {
            kn_produce_resp_partition_t *op = &ot->partitions[j];
            op->index = t->partitions[j].index;
            if (pr->acks != 0 && pr->acks != 1 && pr->acks != -1) {
                kn_produce_fail(op, KN_ERR_INVALID_REQUIRED_ACKS);
                continue;
            }
            if (pr->transactional_id.ptr != NULL) {
                /* Transactions are not supported yet. */
                kn_produce_fail(op, KN_ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
                continue;
            }
            kn_produce_partition(ctx, topic ? topic : "", &t->partitions[j], op);
        }
    }
    if (pr->acks == 0) {
        kn_produce_ctx_free(ctx);
        return KN_DECLINED;
    }
    if (kn_produce_check(ctx, false)) {
        kn_proto_produce_resp_encode(resp, req->api_version, out);
        kn_produce_ctx_free(ctx);
        return KN_OK;
    }
    /* Park until the high watermark covers every batch. */
    ctx->op = kn_delayed_new(req->base, KN_MAX(pr->timeout_ms, 0), kn_produce_on_event, ctx);
    for (int i = 0; i < ctx->n_waits; i++)
        if (!ctx->waits[i].done)
            kn_delayed_watch_tp(ctx->op, ctx->waits[i].topic, ctx->waits[i].partition);
    /* The HW may have moved between the check and the watch. */
    if (kn_produce_check(ctx, false)) {
        kn_delayed_cancel(ctx->op);
        kn_proto_produce_resp_encode(resp, req->api_version, out);
        kn_produce_ctx_free(ctx);
        return KN_OK;
    }
    return KN_AGAIN;
}
