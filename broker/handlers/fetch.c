/*
 * broker/handlers/fetch.c -- Fetch (API key 1, v4-11), with long polling.
 *
 * A fetch reads, per partition, a range of whole batches from the log (up
 * to the high watermark for consumers, the log end for followers) and sends
 * it without copying: the response carries file ranges that the network
 * layer writes with sendfile(2) (or reads and encrypts on TLS).
 *
 * Long poll: when less than min_bytes is available and max_wait_ms > 0, the
 * request parks as a delayed operation watching its partitions; an append
 * (Produce) notifies the partition and the fetch re-reads; the timer
 * answers with whatever is there. No polling, no sleeping. To close the
 * window between "nothing to read" and "watching", the fetch re-checks
 * once right after it starts watching.
 *
 * Followers (replica_id >= 0) read up to the log end, and each of their
 * fetches reports the follower's log end offset (its fetch offset) to the
 * replica manager, which moves the high watermark and tracks the ISR;
 * consumers read only up to the high watermark, and are woken when it
 * moves (broker/replica notifies the partition).
 *
 * Byte limits follow KIP-74: the first batch of the first partition with
 * data is returned whole even if it exceeds max_bytes, so a consumer can
 * always make progress; later partitions only get what still fits.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/cluster/cluster.h"
#include "broker/handlers/handlers.h"
#include "broker/log/log.h"
#include "broker/replica/replica.h"
#include "broker/server/delayed.h"
#include "log.h"
#include "protocol/fetch.h"

#define KN_FETCH_LOG "broker.fetch"

typedef struct {
    kn_req_t       *req;
    kn_arena_t      arena;
    kn_fetch_req_t  fr;
    kn_delayed_t   *op;
    bool            follower_seen; /* follower positions reported to the
                                    * replica manager (once per request) */
} kn_fetch_ctx_t;

/* One partition's read, kept until the response is encoded. */
typedef struct {
    kn_log_range_t range;
    bool           have_range;
} kn_fetch_read_t;

static void kn_fetch_ctx_free(kn_fetch_ctx_t *ctx)
{
    kn_arena_free(&ctx->arena);
    free(ctx);
}

/* Encoder callback: put the partition's bytes at this point of the body. */
static void kn_fetch_records(kn_wbuf_t *w, const kn_fetch_resp_partition_t *p, void *arg)
{
    kn_req_t *req = arg;
    const kn_fetch_read_t *rd = p->records_ref;

    if (kn_req_add_file_range(req, w, rd->range.fd, (int64_t)rd->range.pos,
                              p->records_length) == KN_OK) {
        return;
    }
    /* Could not attach the file (out of descriptors): copy instead, so
     * the response stays well formed. Short reads are zero padded; a
     * client discards a partial trailing batch. */
    uint8_t *dst = kn_wbuf_reserve(w, (size_t)p->records_length);
    ssize_t n = pread(rd->range.fd, dst, (size_t)p->records_length, rd->range.pos);
    if (n < 0) {
        n = 0;
    }
    if (n < p->records_length) {
        memset(dst + n, 0, (size_t)p->records_length - (size_t)n);
    }
    w->len += (size_t)p->records_length;
}

/* Read every partition; if final or enough bytes (or an error) are there,
 * encode the response into resp and return true. Otherwise release what
 * was read and return false. */
static bool kn_fetch_try(kn_fetch_ctx_t *ctx, bool final, kn_wbuf_t *resp)
{
    kn_req_t *req = ctx->req;
    kn_broker_t *b = req->broker;
    const kn_fetch_req_t *fr = &ctx->fr;
    kn_arena_t scratch;
    kn_fetch_resp_t out;
    bool follower = fr->replica_id >= 0;
    bool any_error = false;
    bool have_data = false;
    int64_t total = 0;
    int64_t budget = fr->max_bytes > 0 ? fr->max_bytes : INT32_MAX;

    kn_arena_init(&scratch);
    memset(&out, 0, sizeof(out));
    out.n_topics = fr->n_topics;
    out.topics = kn_arena_array(&scratch, (size_t)KN_MAX(fr->n_topics, 1), sizeof(*out.topics));
    out.records_fn = kn_fetch_records;
    out.records_arg = req;

    for (int32_t i = 0; i < fr->n_topics; i++) {
        const kn_fetch_req_topic_t *t = &fr->topics[i];
        kn_fetch_resp_topic_t *ot = &out.topics[i];
        char *topic = kn_arena_slice_strdup(&scratch, t->topic);
        ot->topic = t->topic;
        ot->n_partitions = t->n_partitions;
        ot->partitions = kn_arena_array(&scratch, (size_t)KN_MAX(t->n_partitions, 1),
                                        sizeof(*ot->partitions));
        for (int32_t j = 0; j < t->n_partitions; j++) {
            const kn_fetch_req_partition_t *in = &t->partitions[j];
            kn_fetch_resp_partition_t *op = &ot->partitions[j];
            kn_partition_ref_t ref;

            op->partition_index = in->partition;
            op->high_watermark = -1;
            op->last_stable_offset = -1;
            op->log_start_offset = -1;
            op->n_aborted = fr->isolation_level == 1 ? 0 : -1;
            op->preferred_read_replica = -1;
            /* Never null: clients read a null records field as a
             * corrupt message set; "no data" is zero bytes. */
            op->records.ptr = (const uint8_t *)"";
            op->records.len = 0;

            kn_err_t err = b->cluster ? kn_cluster_partition_lookup(b->cluster, topic ? topic : "",
                                                                     in->partition, &ref)
                                      : KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            if (err != KN_ERR_NONE) {
                op->error_code = err;
                any_error = true;
                continue;
            }
            if (!ref.leader) {
                err = KN_ERR_NOT_LEADER_OR_FOLLOWER;
            } else if (in->current_leader_epoch >= 0 && in->current_leader_epoch < ref.leader_epoch) {
                err = KN_ERR_FENCED_LEADER_EPOCH;
            } else if (in->current_leader_epoch > ref.leader_epoch) {
                err = KN_ERR_UNKNOWN_LEADER_EPOCH;
            }
            if (err == KN_ERR_NONE && follower && !ctx->follower_seen && b->repl != NULL) {
                /* A follower's fetch offset is its log end: this is how the
                 * leader learns replication progress (and may move the HW,
                 * which the answer below then already carries). */
                err = kn_repl_follower_fetch(b->repl, topic ? topic : "", in->partition,
                                             fr->replica_id, in->fetch_offset);
            }
            int64_t hw = kn_log_high_watermark(ref.log);
            op->high_watermark = hw;
            op->last_stable_offset = hw;
            op->log_start_offset = kn_log_start_offset(ref.log);
            if (err == KN_ERR_NONE) {
                int64_t limit = KN_MIN((int64_t)KN_MAX(in->partition_max_bytes, 0), budget - total);
                kn_fetch_read_t *rd = kn_arena_alloc(&scratch, sizeof(*rd));
                memset(rd, 0, sizeof(*rd));
                err = kn_log_read(ref.log, in->fetch_offset, (size_t)KN_MAX(limit, 0),
                                  follower ? -1 : hw, !have_data, &rd->range);
                if (err == KN_ERR_NONE) {
                    rd->have_range = true;
                    if (rd->range.len > 0) {
                        op->records_external = true;
                        op->records_length = (int32_t)rd->range.len;
                        op->records_ref = rd;
                        total += (int64_t)rd->range.len;
                        have_data = true;
                    } else {
                        kn_log_read_release(&rd->range);
                        rd->have_range = false;
                    }
                }
            }
            kn_cluster_partition_release(b->cluster, &ref);
            op->error_code = err;
            if (err != KN_ERR_NONE) {
                any_error = true;
            }
        }
    }

    ctx->follower_seen = true;
    bool done = final || any_error || total >= KN_MAX(fr->min_bytes, 1) ||
                (fr->min_bytes <= 0);
    if (done) {
        kn_proto_fetch_resp_encode(resp, req->api_version, &out);
    }
    /* Release every pinned segment (the response holds its own dups). */
    for (int32_t i = 0; i < out.n_topics; i++) {
        for (int32_t j = 0; j < out.topics[i].n_partitions; j++) {
            kn_fetch_read_t *rd = out.topics[i].partitions[j].records_ref;
            if (rd && rd->have_range) {
                kn_log_read_release(&rd->range);
            }
        }
    }
    kn_arena_free(&scratch);
    return done;
}

static bool kn_fetch_on_event(void *arg, kn_delayed_reason_t why)
{
    kn_fetch_ctx_t *ctx = arg;
    kn_wbuf_t w;

    if (kn_req_conn_closed(ctx->req)) {
        kn_wbuf_init(&w, 16);
        kn_req_complete(ctx->req, &w);
        kn_wbuf_free(&w);
        kn_fetch_ctx_free(ctx);
        return true;
    }
    kn_wbuf_init(&w, 1024);
    if (!kn_fetch_try(ctx, why != KN_DELAYED_WAKE, &w)) {
        kn_wbuf_free(&w);
        return false;
    }
    kn_req_complete(ctx->req, &w);
    kn_wbuf_free(&w);
    kn_fetch_ctx_free(ctx);
    return true;
}

int kn_handle_fetch(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_fetch_ctx_t *ctx = kn_calloc(1, sizeof(*ctx));
    ctx->req = req;
    kn_arena_init(&ctx->arena);
    if (kn_proto_fetch_req_decode(&req->body, req->api_version, &ctx->fr, &ctx->arena) != KN_OK) {
        kn_fetch_ctx_free(ctx);
        return KN_ERROR;
    }
    bool can_wait = ctx->fr.max_wait_ms > 0 && ctx->fr.min_bytes > 0 && ctx->fr.n_topics > 0;
    if (kn_fetch_try(ctx, !can_wait, resp)) {
        kn_fetch_ctx_free(ctx);
        return KN_OK;
    }

    /* Park until data arrives or max_wait_ms passes. */
    ctx->op = kn_delayed_new(req->base, ctx->fr.max_wait_ms, kn_fetch_on_event, ctx);
    for (int32_t i = 0; i < ctx->fr.n_topics; i++) {
        const kn_fetch_req_topic_t *t = &ctx->fr.topics[i];
        char *topic = kn_arena_slice_strdup(&ctx->arena, t->topic);
        for (int32_t j = 0; j < t->n_partitions; j++) {
            kn_delayed_watch_tp(ctx->op, topic ? topic : "", t->partitions[j].partition);
        }
    }
    /* An append may have landed between the read above and the watch. */
    if (kn_fetch_try(ctx, false, resp)) {
        kn_delayed_cancel(ctx->op);
        kn_fetch_ctx_free(ctx);
        return KN_OK;
    }
    return KN_AGAIN;
}
