/*
 * broker/replica/fetcher.c -- the follower side: one fetcher thread per
 * source broker (the leader of the partitions it pulls).
 *
 * A fetcher loops: take the partitions this broker follows whose leader is
 * its source; for those that must first settle their log after a
 * leadership change, ask the leader OffsetForLeaderEpoch and truncate; for
 * the others send one Fetch (replica_id = our broker id, fetch offset = our
 * log end) and append what comes back exactly as the leader stored it,
 * then take the leader's high watermark (capped at our log end).
 *
 * Truncation follows KIP-101 with KIP-279's refinement: we ask for the end
 * offset of our latest epoch in the leader's log. If the leader knows that
 * epoch, we truncate to the smaller of its answer and our own end of it; if
 * it answers with an older epoch, we truncate to our own end of that epoch
 * and ask again, until both logs agree up to the truncation point. The
 * cached high watermark is never a truncation point: it may be stale, and
 * truncating to it loses records the new leader does not have (KIP-101).
 *
 * A fetcher copies what it needs under the manager's lock (topic, partition,
 * a log reference, the leader epoch and the state generation) and does its
 * I/O without the lock; results are applied only if the partition is still
 * in the generation the request was made for.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "broker/cluster/cluster.h"
#include "broker/log/log.h"
#include "broker/replica/replica_int.h"
#include "log.h"
#include "net/tls.h"
#include "protocol/api.h"
#include "protocol/fetch.h"
#include "protocol/offsets.h"

#define LOGC "broker.fetcher"
#define KN_FETCH_VERSION 11
#define KN_OFLE_VERSION 3
/* Back-off after a leadership error: the controller's LeaderAndIsr is on
 * its way, so retry soon rather than after replica.fetch.backoff.ms. */
#define KN_EPOCH_BACKOFF_MS 100
/* An idle fetcher closes its connection after this long. */
#define KN_IDLE_CLOSE_MS 10000

struct kn_fetcher_s {
    kn_repl_t       *r;
    int32_t          source;
    pthread_t        th;
    pthread_mutex_t  conn_lock;      /* conn, against kn_rconn_abort */
    kn_rconn_t      *conn;
    int32_t          corr;
    bool             kicked;         /* in-flight request cut short on purpose
                                      * (under conn_lock) */
    char             client_id[64];
    kn_fetcher_t    *next;
};

/* A partition as one request sees it. */
typedef struct {
    char          *topic;
    int32_t        partition;
    kn_log_t      *log;
    int32_t        epoch;
    uint64_t       gen;
    kn_rp_fstate_t fstate;
    bool           done;        /* handled by this round */
} kn_fpart_t;

/* The buffers of one request round. The arena holds the request's arrays
 * and the decoded answer, which points into resp. */
typedef struct {
    kn_arena_t arena;
    kn_wbuf_t  body;            /* the encoded request */
    kn_wbuf_t  resp;            /* the whole answer */
    kn_rbuf_t  rd;              /* the answer past its header */
} kn_fround_t;

static void *kn_fetcher_main(void *arg);

void kn_fetcher_ensure(kn_repl_t *r, int32_t source, bool kick)
{
    for (kn_fetcher_t *f = r->fetchers; f; f = f->next) {
        if (f->source == source) {
            if (kick) {
                /* A partition joins after a leadership change: do not let
                 * it wait for the long poll in flight (up to
                 * replica.fetch.wait.max.ms) -- fail-over time counts. */
                pthread_mutex_lock(&f->conn_lock);
                if (f->conn != NULL && !f->kicked) {   /* once per burst */
                    f->kicked = true;
                    kn_rconn_abort(f->conn);
                }
                pthread_mutex_unlock(&f->conn_lock);
            }
            pthread_cond_broadcast(&r->cond);
            return;
        }
    }
    kn_fetcher_t *f = kn_calloc(1, sizeof(*f));
    f->r = r;
    f->source = source;
    pthread_mutex_init(&f->conn_lock, NULL);
    snprintf(f->client_id, sizeof(f->client_id), "kanal-replica-%d", (int)r->self);
    if (pthread_create(&f->th, NULL, kn_fetcher_main, f) != 0) {
        kn_log_error(LOGC, "cannot start the fetcher thread for broker %d", (int)source);
        pthread_mutex_destroy(&f->conn_lock);
        free(f);
        return;
    }
    f->next = r->fetchers;
    r->fetchers = f;
    kn_log_info(LOGC, "fetcher for leader broker %d started", (int)source);
}

void kn_fetchers_stop(kn_repl_t *r)
{
    pthread_mutex_lock(&r->lock);
    kn_fetcher_t *list = r->fetchers;
    r->fetchers = NULL;
    for (kn_fetcher_t *f = list; f; f = f->next) {
        pthread_mutex_lock(&f->conn_lock);
        kn_rconn_abort(f->conn);
        pthread_mutex_unlock(&f->conn_lock);
    }
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    while (list != NULL) {
        kn_fetcher_t *f = list;
        list = f->next;
        pthread_join(f->th, NULL);
        kn_rconn_close(f->conn);
        pthread_mutex_destroy(&f->conn_lock);
        free(f);
    }
}

/* ---- connection ---------------------------------------------------------- */

static void kn_fetcher_disconnect(kn_fetcher_t *f)
{
    pthread_mutex_lock(&f->conn_lock);
    kn_rconn_t *c = f->conn;
    f->conn = NULL;
    pthread_mutex_unlock(&f->conn_lock);
    kn_rconn_close(c);
}

/* The TLS client context for SSL inter-broker listeners (built once). */
static SSL_CTX *kn_fetcher_ssl(kn_repl_t *r)
{
    pthread_mutex_lock(&r->lock);
    if (r->ssl == NULL && r->b->cfg != NULL) {
        char err[256] = "";
        r->ssl = kn_tls_client_ctx(kn_config_str(r->b->cfg, "ssl.ca.location"),
                                   kn_config_str(r->b->cfg, "ssl.certificate.location"),
                                   kn_config_str(r->b->cfg, "ssl.key.location"), err,
                                   sizeof(err));
        if (r->ssl == NULL)
            kn_log_ratelimited(KN_LOG_ERROR, LOGC, "fetch-tls", 10000,
                               "TLS client context for replication: %s", err);
    }
    SSL_CTX *ctx = r->ssl;
    pthread_mutex_unlock(&r->lock);
    return ctx;
}

static int kn_fetcher_connect(kn_fetcher_t *f)
{
    kn_repl_t *r = f->r;
    char host[256] = "";
    int port = 0;
    bool ssl = false;

    if (f->conn != NULL)
        return KN_OK;
    if (r->b->cluster == NULL)
        return KN_ERROR;
    kn_md_t *md = kn_cluster_md_acquire(r->b->cluster);
    const kn_md_broker_t *mb = kn_md_broker(md, f->source);
    const kn_md_endpoint_t *ep = mb ? kn_md_endpoint(mb, r->b->inter_broker_listener) : NULL;
    if (ep != NULL && ep->host != NULL) {
        snprintf(host, sizeof(host), "%s", ep->host);
        port = ep->port;
        ssl = ep->security != NULL &&
              (strcmp(ep->security, "SSL") == 0 || strcmp(ep->security, "SASL_SSL") == 0);
    }
    kn_md_release(md);
    if (port <= 0) {
        kn_log_ratelimited(KN_LOG_WARN, LOGC, "fetch-noep", 5000,
                           "no %s endpoint known for leader broker %d yet",
                           r->b->inter_broker_listener, (int)f->source);
        return KN_ERROR;
    }
    SSL_CTX *ctx = ssl ? kn_fetcher_ssl(r) : NULL;
    if (ssl && ctx == NULL)
        return KN_ERROR;
    char err[256] = "";
    kn_rconn_t *c = kn_rconn_open(host, port, ctx, r->socket_timeout_ms, err, sizeof(err));
    if (c == NULL) {
        kn_log_ratelimited(KN_LOG_WARN, LOGC, "fetch-connect", 5000,
                           "cannot reach leader broker %d: %s", (int)f->source, err);
        return KN_ERROR;
    }
    pthread_mutex_lock(&f->conn_lock);
    f->conn = c;
    pthread_mutex_unlock(&f->conn_lock);
    if (r->stopping)
        kn_rconn_abort(c);
    kn_log_info(LOGC, "connected to leader broker %d at %s:%d%s", (int)f->source, host, port,
                ssl ? " (TLS)" : "");
    return KN_OK;
}

/* A request failed: drop the connection; the back-off for its partitions
 * (none when we cut it short ourselves, see kn_fetcher_ensure). */
static int kn_fetcher_failed(kn_fetcher_t *f)
{
    kn_fetcher_disconnect(f);
    pthread_mutex_lock(&f->conn_lock);
    bool kicked = f->kicked;
    f->kicked = false;
    pthread_mutex_unlock(&f->conn_lock);
    return kicked ? 0 : f->r->backoff_ms;
}

static bool kn_fetcher_was_kicked(kn_fetcher_t *f)
{
    pthread_mutex_lock(&f->conn_lock);
    bool kicked = f->kicked;
    pthread_mutex_unlock(&f->conn_lock);
    return kicked;
}

/* Only the arena is needed to lay out a request; the wire buffers wait
 * until there is something to ask (most rounds of one kind ask nothing). */
static void kn_fround_init(kn_fround_t *rnd)
{
    memset(rnd, 0, sizeof(*rnd));
    kn_arena_init(&rnd->arena);
}

/* The buffer to encode the request into; resp_cap sizes the answer's
 * buffer for what usually comes back. */
static kn_wbuf_t *kn_fround_open(kn_fround_t *rnd, size_t resp_cap)
{
    kn_wbuf_init(&rnd->body, 256);
    kn_wbuf_init(&rnd->resp, resp_cap);
    return &rnd->body;
}

static void kn_fround_free(kn_fround_t *rnd)
{
    kn_wbuf_free(&rnd->body);
    kn_wbuf_free(&rnd->resp);
    kn_arena_free(&rnd->arena);
}

/* One request/response for the round's body; the response body is left in
 * rnd->rd positioned after the response header. */
static int kn_fetcher_call(kn_fetcher_t *f, int16_t key, int16_t ver, kn_fround_t *rnd)
{
    const kn_wbuf_t *body = &rnd->body;
    kn_wbuf_t *resp = &rnd->resp;
    kn_rbuf_t *rd = &rnd->rd;
    kn_wbuf_t req;
    char err[256] = "";
    int32_t corr = ++f->corr;

    kn_wbuf_init(&req, body->len + 64);
    kn_proto_request_header_write(&req, key, ver, corr, f->client_id);
    kn_wbuf_raw(&req, body->data, body->len);
    /* A fetch response may carry one batch above the byte limits (KIP-74),
     * up to max.message.bytes; leave room for that. */
    size_t max = (size_t)f->r->fetch_resp_max_bytes + (size_t)64 * 1024 * 1024;
    int timeout = f->r->socket_timeout_ms + (key == KN_API_FETCH ? f->r->fetch_wait_ms : 0);
    int rc = kn_rconn_roundtrip(f->conn, &req, resp, timeout, max, err, sizeof(err));
    kn_wbuf_free(&req);
    if (rc != KN_OK) {
        if (!f->r->stopping && !kn_fetcher_was_kicked(f))
            kn_log_ratelimited(KN_LOG_WARN, LOGC, "fetch-io", 5000,
                               "%s to leader broker %d failed: %s", kn_proto_api_name(key),
                               (int)f->source, err);
        return KN_ERROR;
    }
    kn_rbuf_init(rd, resp->data, resp->len);
    int32_t got = 0;
    if (kn_proto_response_header_parse(rd, &got, kn_proto_response_header_v1(key, ver)) != KN_OK ||
        got != corr) {
        kn_log_warn(LOGC, "bad response header from broker %d", (int)f->source);
        return KN_ERROR;
    }
    return KN_OK;
}

/* ---- partition state updates ----------------------------------------------- */

/* The partition's table entry if it is still the follower state fp was made
 * for (lock held). */
static kn_rp_t *kn_fpart_current(kn_repl_t *r, const kn_fpart_t *fp)
{
    kn_rp_t *rp = kn_rp_find(r, fp->topic, fp->partition);
    if (rp == NULL || rp->leader || rp->gen != fp->gen)
        return NULL;
    return rp;
}

static void kn_fpart_backoff(kn_repl_t *r, kn_fpart_t *fp, int ms)
{
    pthread_mutex_lock(&r->lock);
    kn_rp_t *rp = kn_fpart_current(r, fp);
    if (rp != NULL)
        rp->backoff_until_ms = kn_mono_ms() + ms;
    pthread_mutex_unlock(&r->lock);
    fp->done = true;
}

/* Back off every partition in state st that this round has not handled
 * (the request for them failed, or the answer left them out). */
static void kn_fparts_backoff(kn_repl_t *r, kn_fpart_t *v, int n, kn_rp_fstate_t st, int ms)
{
    for (int i = 0; i < n; i++)
        if (v[i].fstate == st && !v[i].done)
            kn_fpart_backoff(r, &v[i], ms);
}

static void kn_fpart_set_state(kn_repl_t *r, kn_fpart_t *fp, kn_rp_fstate_t st)
{
    pthread_mutex_lock(&r->lock);
    kn_rp_t *rp = kn_fpart_current(r, fp);
    if (rp != NULL)
        rp->fstate = st;
    pthread_mutex_unlock(&r->lock);
    fp->done = true;
}

/* Truncate fp's log to offset (at most its end) if the partition is still
 * in the same follower state; under the lock so a concurrent leadership
 * change cannot interleave. full: restart the log empty at offset. */
static void kn_fpart_truncate(kn_repl_t *r, kn_fpart_t *fp, int64_t offset, bool full,
                              bool complete)
{
    pthread_mutex_lock(&r->lock);
    kn_rp_t *rp = kn_fpart_current(r, fp);
    if (rp != NULL) {
        int64_t leo = kn_log_end_offset(fp->log);
        kn_err_t err = KN_ERR_NONE;
        if (full) {
            err = kn_log_truncate_full(fp->log, offset);
        } else if (offset < leo) {
            err = kn_log_truncate_to(fp->log, offset);
        }
        if (err != KN_ERR_NONE) {
            kn_log_error(LOGC, "%s-%d: truncation to %lld failed: %s", fp->topic, fp->partition,
                         (long long)offset, kn_err_name(err));
            rp->backoff_until_ms = kn_mono_ms() + r->backoff_ms;
        } else {
            if (full || offset < leo)
                kn_log_info(LOGC, "%s-%d: truncated from %lld to %lld (leader epoch %d)",
                            fp->topic, fp->partition, (long long)leo,
                            (long long)kn_log_end_offset(fp->log), fp->epoch);
            if (complete)
                rp->fstate = KN_RP_FETCHING;
        }
    }
    pthread_mutex_unlock(&r->lock);
    fp->done = true;
}

/* ---- OffsetForLeaderEpoch: settle the log after a leadership change -------- */

static kn_fpart_t *kn_fpart_lookup(kn_fpart_t *v, int n, kn_slice_t topic, int32_t partition,
                                   kn_rp_fstate_t st)
{
    for (int i = 0; i < n; i++)
        if (v[i].fstate == st && !v[i].done && v[i].partition == partition &&
            kn_slice_eq(topic, v[i].topic))
            return &v[i];
    return NULL;
}

int64_t kn_repl_truncation_offset(int64_t leo, int64_t hw, int32_t end_epoch, int64_t end_offset,
                                  int32_t my_epoch, int64_t my_end, bool *complete)
{
    *complete = true;
    if (end_offset < 0) {
        /* The leader cannot place our epoch at all (it has no epochs).
         * Nothing better than our high watermark is known then. */
        return KN_MIN(hw, leo);
    }
    if (end_epoch < 0 || my_end < 0) {
        /* No epoch to compare (the leader's answer has none, or we never
         * had anything as old): its end offset is the bound. */
        return KN_MIN(end_offset, leo);
    }
    if (my_epoch != end_epoch) {
        /* We never had the epoch the leader answered with: cut back to
         * where our older epoch ends and ask again from there. */
        *complete = false;
        return KN_MIN(my_end, leo);
    }
    return KN_MIN(KN_MIN(my_end, end_offset), leo);
}

/* Apply the leader's answer (end_epoch, end_offset) for our epoch. */
static void kn_fetcher_on_epoch_end(kn_repl_t *r, kn_fpart_t *fp, int32_t end_epoch,
                                    int64_t end_offset)
{
    int32_t my_epoch = -1;
    int64_t my_end = -1;
    bool complete;
    if (end_epoch >= 0)
        kn_log_epoch_end_offset(fp->log, end_epoch, &my_epoch, &my_end);
    int64_t off = kn_repl_truncation_offset(kn_log_end_offset(fp->log),
                                            kn_log_high_watermark(fp->log), end_epoch,
                                            end_offset, my_epoch, my_end, &complete);
    kn_fpart_truncate(r, fp, off, false, complete);
}

static void kn_fetcher_truncate_round(kn_fetcher_t *f, kn_fpart_t *v, int n)
{
    kn_repl_t *r = f->r;
    kn_fround_t rnd;
    kn_offsetforleaderepoch_req_t req;
    int asked = 0;

    kn_fround_init(&rnd);
    memset(&req, 0, sizeof(req));
    req.replica_id = r->self;
    req.topics = kn_arena_array(&rnd.arena, (size_t)KN_MAX(n, 1), sizeof(*req.topics));
    for (int i = 0; i < n; i++) {
        kn_fpart_t *fp = &v[i];
        if (fp->fstate != KN_RP_TRUNCATING || fp->done)
            continue;
        int32_t latest = kn_log_latest_epoch(fp->log);
        if (latest < 0) {
            /* No epoch recorded: an empty log has nothing to settle; a log
             * without epochs (none of ours) falls back to the HW. */
            int64_t leo = kn_log_end_offset(fp->log);
            if (leo > kn_log_start_offset(fp->log))
                kn_fpart_truncate(r, fp, kn_log_high_watermark(fp->log), false, true);
            else
                kn_fpart_set_state(r, fp, KN_RP_FETCHING);
            continue;
        }
        kn_offsetforleaderepoch_req_topic_t *t = &req.topics[req.n_topics++];
        t->topic = kn_slice_str(fp->topic);
        t->n_partitions = 1;
        t->partitions = kn_arena_alloc(&rnd.arena, sizeof(*t->partitions));
        t->partitions[0].partition = fp->partition;
        t->partitions[0].current_leader_epoch = fp->epoch;
        t->partitions[0].leader_epoch = latest;
        asked++;
    }
    if (asked == 0) {
        kn_fround_free(&rnd);
        return;
    }
    kn_offsetforleaderepoch_resp_t out;
    kn_proto_offsetforleaderepoch_req_encode(kn_fround_open(&rnd, 256), KN_OFLE_VERSION, &req);
    if (kn_fetcher_call(f, KN_API_OFFSET_FOR_LEADER_EPOCH, KN_OFLE_VERSION, &rnd) != KN_OK ||
        kn_proto_offsetforleaderepoch_resp_decode(&rnd.rd, KN_OFLE_VERSION, &out, &rnd.arena) !=
            KN_OK) {
        kn_fparts_backoff(r, v, n, KN_RP_TRUNCATING, kn_fetcher_failed(f));
    } else {
        for (int32_t i = 0; i < out.n_topics; i++) {
            const kn_offsetforleaderepoch_resp_topic_t *t = &out.topics[i];
            for (int32_t j = 0; j < t->n_partitions; j++) {
                const kn_offsetforleaderepoch_resp_partition_t *p = &t->partitions[j];
                kn_fpart_t *fp = kn_fpart_lookup(v, n, t->topic, p->partition,
                                                 KN_RP_TRUNCATING);
                if (fp == NULL)
                    continue;
                if (p->error_code != KN_ERR_NONE) {
                    kn_log_ratelimited(KN_LOG_INFO, LOGC, "ofle-error", 5000,
                                       "%s-%d: OffsetForLeaderEpoch from broker %d: %s",
                                       fp->topic, fp->partition, (int)f->source,
                                       kn_err_name(p->error_code));
                    kn_fpart_backoff(r, fp, KN_EPOCH_BACKOFF_MS);
                    continue;
                }
                kn_fetcher_on_epoch_end(r, fp, p->leader_epoch, p->end_offset);
            }
        }
        /* Partitions the leader did not answer: try again later. */
        kn_fparts_backoff(r, v, n, KN_RP_TRUNCATING, r->backoff_ms);
    }
    kn_fround_free(&rnd);
}

/* ---- Fetch ------------------------------------------------------------------ */

/* Length of the whole batches at the start of records (a response may end
 * with a partial batch when a byte limit cut it). */
static size_t kn_whole_batches(const uint8_t *p, size_t len)
{
    size_t pos = 0;
    while (len - pos >= 12) {
        const uint8_t *b = p + pos + 8;
        uint32_t blen = ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
                        ((uint32_t)b[2] << 8) | (uint32_t)b[3];
        if (blen > INT32_MAX || (size_t)blen > len - pos - 12)
            break;
        pos += 12 + (size_t)blen;
    }
    return pos;
}

static void kn_fetcher_on_partition(kn_fetcher_t *f, kn_fpart_t *fp,
                                    const kn_fetch_resp_partition_t *p)
{
    kn_repl_t *r = f->r;
    switch (p->error_code) {
    case KN_ERR_NONE:
        break;
    case KN_ERR_OFFSET_OUT_OF_RANGE: {
        int64_t leo = kn_log_end_offset(fp->log);
        if (p->log_start_offset >= 0 && leo < p->log_start_offset) {
            /* The leader deleted what we lack: restart at its log start. */
            kn_fpart_truncate(r, fp, p->log_start_offset, true, true);
        } else {
            kn_fpart_set_state(r, fp, KN_RP_TRUNCATING);
        }
        return;
    }
    case KN_ERR_NOT_LEADER_OR_FOLLOWER:
    case KN_ERR_FENCED_LEADER_EPOCH:
    case KN_ERR_UNKNOWN_LEADER_EPOCH:
    case KN_ERR_UNKNOWN_TOPIC_OR_PARTITION:
        kn_fpart_backoff(r, fp, KN_EPOCH_BACKOFF_MS);
        return;
    default:
        kn_log_ratelimited(KN_LOG_WARN, LOGC, "fetch-perr", 5000,
                           "%s-%d: fetch from broker %d: %s", fp->topic, fp->partition,
                           (int)f->source, kn_err_name(p->error_code));
        kn_fpart_backoff(r, fp, r->backoff_ms);
        return;
    }
    /* Still following the same leader in the same term? */
    pthread_mutex_lock(&r->lock);
    bool current = kn_fpart_current(r, fp) != NULL;
    pthread_mutex_unlock(&r->lock);
    if (!current)
        return;
    size_t len = p->records.ptr && p->records.len > 0
                     ? kn_whole_batches(p->records.ptr, (size_t)p->records.len) : 0;
    if (len > 0) {
        kn_log_append_result_t res;
        /* A replica append never rewrites the batches; the cast only
         * satisfies the shared append signature. */
        kn_err_t err = kn_log_append(fp->log, (uint8_t *)(uintptr_t)p->records.ptr, len,
                                     KN_LOG_APPEND_REPLICA, -1, &res);
        if (err == KN_ERR_OFFSET_OUT_OF_RANGE) {
            kn_fpart_set_state(r, fp, KN_RP_TRUNCATING);
            return;
        }
        if (err != KN_ERR_NONE) {
            kn_log_ratelimited(KN_LOG_ERROR, LOGC, "fetch-append", 5000,
                               "%s-%d: cannot append %zu replicated bytes: %s", fp->topic,
                               fp->partition, len, kn_err_name(err));
            kn_fpart_backoff(r, fp, r->backoff_ms);
            return;
        }
    }
    if (p->high_watermark >= 0)
        kn_log_set_high_watermark(fp->log,
                                  KN_MIN(p->high_watermark, kn_log_end_offset(fp->log)));
}

static void kn_fetcher_fetch_round(kn_fetcher_t *f, kn_fpart_t *v, int n)
{
    kn_repl_t *r = f->r;
    kn_fround_t rnd;
    kn_fetch_req_t req;
    int asked = 0;

    kn_fround_init(&rnd);
    memset(&req, 0, sizeof(req));
    req.replica_id = r->self;
    req.max_wait_ms = r->fetch_wait_ms;
    req.min_bytes = r->fetch_min_bytes;
    req.max_bytes = r->fetch_resp_max_bytes;
    req.isolation_level = 0;
    req.session_id = 0;
    req.session_epoch = -1;     /* no fetch session: every request is full */
    req.rack_id = kn_slice_str("");
    req.topics = kn_arena_array(&rnd.arena, (size_t)KN_MAX(n, 1), sizeof(*req.topics));
    /* Group the partitions by topic, as the protocol lays them out. */
    for (int i = 0; i < n; i++) {
        if (v[i].fstate != KN_RP_FETCHING || v[i].done)
            continue;
        kn_fetch_req_topic_t *t = NULL;
        for (int32_t k = 0; k < req.n_topics; k++)
            if (kn_slice_eq(req.topics[k].topic, v[i].topic))
                t = &req.topics[k];
        if (t == NULL) {
            t = &req.topics[req.n_topics++];
            t->topic = kn_slice_str(v[i].topic);
            t->partitions = kn_arena_array(&rnd.arena, (size_t)n, sizeof(*t->partitions));
        }
        kn_fetch_req_partition_t *p = &t->partitions[t->n_partitions++];
        p->partition = v[i].partition;
        p->current_leader_epoch = v[i].epoch;
        p->fetch_offset = kn_log_end_offset(v[i].log);
        p->log_start_offset = kn_log_start_offset(v[i].log);
        p->partition_max_bytes = r->fetch_max_bytes;
        asked++;
    }
    if (asked == 0) {
        kn_fround_free(&rnd);
        return;
    }
    kn_fetch_resp_t out;
    kn_proto_fetch_req_encode(kn_fround_open(&rnd, 4096), KN_FETCH_VERSION, &req);
    if (kn_fetcher_call(f, KN_API_FETCH, KN_FETCH_VERSION, &rnd) != KN_OK ||
        kn_proto_fetch_resp_decode(&rnd.rd, KN_FETCH_VERSION, &out, &rnd.arena) != KN_OK) {
        kn_fparts_backoff(r, v, n, KN_RP_FETCHING, kn_fetcher_failed(f));
    } else if (out.error_code != KN_ERR_NONE) {
        kn_log_ratelimited(KN_LOG_WARN, LOGC, "fetch-err", 5000, "fetch from broker %d: %s",
                           (int)f->source, kn_err_name(out.error_code));
        kn_fparts_backoff(r, v, n, KN_RP_FETCHING, r->backoff_ms);
    } else {
        for (int32_t i = 0; i < out.n_topics; i++) {
            const kn_fetch_resp_topic_t *t = &out.topics[i];
            for (int32_t j = 0; j < t->n_partitions; j++) {
                const kn_fetch_resp_partition_t *p = &t->partitions[j];
                kn_fpart_t *fp = kn_fpart_lookup(v, n, t->topic, p->partition_index,
                                                 KN_RP_FETCHING);
                if (fp != NULL) {
                    kn_fetcher_on_partition(f, fp, p);
                    fp->done = true;
                }
            }
        }
    }
    kn_fround_free(&rnd);
}

/* ---- the thread -------------------------------------------------------------- */

/* Copy the partitions to work on now (lock held). *next_ms gets the
 * earliest back-off end among those skipped (INT64_MAX if none). */
static int kn_fetcher_collect(kn_fetcher_t *f, kn_fpart_t **out, int64_t *next_ms)
{
    kn_repl_t *r = f->r;
    int64_t now = kn_mono_ms();
    int n = 0, cap = 0;
    kn_fpart_t *v = NULL;

    *next_ms = INT64_MAX;
    for (kn_rp_t *rp = r->all; rp; rp = rp->all_next) {
        if (rp->leader || rp->leader_id != f->source)
            continue;
        if (rp->backoff_until_ms > now) {
            *next_ms = KN_MIN(*next_ms, rp->backoff_until_ms);
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            v = kn_realloc(v, (size_t)cap * sizeof(*v));
        }
        kn_fpart_t *fp = &v[n++];
        fp->topic = kn_strdup(rp->topic);
        fp->partition = rp->partition;
        fp->log = kn_log_ref(rp->log);
        fp->epoch = rp->leader_epoch;
        fp->gen = rp->gen;
        fp->fstate = rp->fstate;
        fp->done = false;
    }
    *out = v;
    return n;
}

static void kn_fparts_free(kn_fpart_t *v, int n)
{
    for (int i = 0; i < n; i++) {
        free(v[i].topic);
        kn_log_release(v[i].log);
    }
    free(v);
}

static void kn_fetcher_wait(kn_repl_t *r, int64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&r->cond, &r->lock, &ts);
}

static void *kn_fetcher_main(void *arg)
{
    kn_fetcher_t *f = arg;
    kn_repl_t *r = f->r;
    int64_t idle_since = kn_mono_ms();

    for (;;) {
        kn_fpart_t *v = NULL;
        int64_t next_ms;
        pthread_mutex_lock(&r->lock);
        if (r->stopping) {
            pthread_mutex_unlock(&r->lock);
            break;
        }
        int n = kn_fetcher_collect(f, &v, &next_ms);
        if (n == 0) {
            int64_t wait = next_ms == INT64_MAX ? 1000 : KN_MAX(next_ms - kn_mono_ms(), 1);
            kn_fetcher_wait(r, KN_MIN(wait, 1000));
            pthread_mutex_unlock(&r->lock);
            free(v);
            if (f->conn != NULL && next_ms == INT64_MAX &&
                kn_mono_ms() - idle_since > KN_IDLE_CLOSE_MS)
                kn_fetcher_disconnect(f);
            continue;
        }
        pthread_mutex_unlock(&r->lock);
        idle_since = kn_mono_ms();

        if (kn_fetcher_connect(f) != KN_OK) {
            for (int i = 0; i < n; i++)
                kn_fpart_backoff(r, &v[i], r->backoff_ms);
        } else {
            kn_fetcher_truncate_round(f, v, n);
            if (f->conn != NULL)
                kn_fetcher_fetch_round(f, v, n);
        }
        kn_fparts_free(v, n);
    }
    kn_fetcher_disconnect(f);
    return NULL;
}
