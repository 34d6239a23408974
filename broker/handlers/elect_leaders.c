/*
 * broker/handlers/elect_leaders.c -- ElectLeaders (43, versions 0-1):
 * preferred-leader election on demand.
 *
 * The controller is the only writer of partition state, so a broker cannot
 * elect anything itself. It does what kctl-leader-election --zookeeper
 * does: write the partitions to /admin/preferred_replica_election (Kafka
 * 2.x's payload {"version":1,"partitions":[{"topic":..,"partition":..}]});
 * the active controller moves each to its preferred replica and deletes the
 * node. Like the other admin APIs (admin_topics.c) the request is decoded
 * on the worker, the ZooKeeper work runs on the main loop, and the answer
 * waits -- bounded by timeout_ms -- until the metadata cache shows every
 * partition led by its preferred replica.
 *
 * Per partition, decided from the metadata cache before anything is
 * written (Kafka's answers for the same cases):
 *   unknown topic or partition            UNKNOWN_TOPIC_OR_PARTITION
 *   election type other than PREFERRED    INVALID_REQUEST (unclean
 *                                         election is the controller's
 *                                         unclean.leader.election.enable)
 *   preferred replica already leads       ELECTION_NOT_NEEDED
 *   preferred replica dead or not in ISR  PREFERRED_LEADER_NOT_AVAILABLE
 *   still not moved when the time is up   REQUEST_TIMED_OUT
 */
#include "config.h"

#include <event2/event.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/admin.h"
#include "broker/handlers/cluster_handlers.h"
#include "log.h"
#include "protocol/arena.h"
#include "protocol/electleaders.h"

#define KN_ELECT_PATH "/admin/preferred_replica_election"
/* While another election holds the znode, try again this often. */
#define KN_ELECT_RETRY_MS 100

typedef struct {
    int32_t     id;
    int16_t     error;
    const char *msg;          /* static text, NULL = none */
    bool        pending;      /* written to the znode, waiting for the move */
} elect_part_t;

typedef struct {
    const char   *name;       /* NUL-terminated (arena), NULL if invalid */
    kn_slice_t    wire_name;  /* as the request spelled it */
    int           n;
    elect_part_t *parts;
} elect_topic_t;

typedef struct {
    kn_req_t             *req;
    kn_cluster_t         *c;
    kn_arena_t            arena;      /* the decoded request and everything below */
    kn_electleaders_req_t in;
    int16_t               top_error;
    int                   n_topics;
    elect_topic_t        *topics;
    int64_t               deadline_ms;  /* monotonic */
    struct event         *retry;      /* znode busy: next attempt */
} elect_job_t;

static void job_free(elect_job_t *job)
{
    if (job->retry)
        event_free(job->retry);
    kn_arena_free(&job->arena);
    free(job);
}

static void set_err(elect_part_t *p, kn_err_t err, const char *msg)
{
    p->error = (int16_t)err;
    p->msg = msg;
    p->pending = false;
}

static void respond(elect_job_t *job)
{
    kn_arena_t *a = &job->arena;
    kn_electleaders_resp_t r = { .error_code = job->top_error, .n_results = job->n_topics };
    r.results = kn_arena_array(a, (size_t)(job->n_topics ? job->n_topics : 1), sizeof(*r.results));
    for (int i = 0; i < job->n_topics; i++) {
        elect_topic_t *t = &job->topics[i];
        r.results[i].topic = t->wire_name;
        r.results[i].n_partitions = t->n;
        r.results[i].partitions = kn_arena_array(a, (size_t)(t->n ? t->n : 1),
                                                 sizeof(*r.results[i].partitions));
        for (int k = 0; k < t->n; k++) {
            r.results[i].partitions[k].partition_id = t->parts[k].id;
            r.results[i].partitions[k].error_code = t->parts[k].error;
            r.results[i].partitions[k].error_message = kn_slice_str(t->parts[k].msg);
        }
    }
    kn_wbuf_t w;
    kn_wbuf_init(&w, 256);
    kn_proto_electleaders_resp_encode(&w, job->req->api_version, &r);
    kn_admin_reply(job->req, &w);
    kn_wbuf_free(&w);
    job_free(job);
}

static bool id_in(const int32_t *ids, int n, int32_t id)
{
    for (int i = 0; i < n; i++)
        if (ids[i] == id)
            return true;
    return false;
}

/* Where partition p stands in md: KN_ERR_NONE = an election can move it,
 * else the final answer for it. */
static kn_err_t classify(const kn_md_t *md, const char *topic, int32_t partition,
                         const char **msg)
{
    const kn_md_topic_t *t = topic ? kn_md_topic(md, topic) : NULL;
    const kn_md_partition_t *p = t ? kn_md_partition(t, partition) : NULL;
    *msg = NULL;
    if (p == NULL || p->n_replicas <= 0)
        return KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    int32_t preferred = p->replicas[0];
    if (p->leader == preferred) {
        *msg = "the preferred replica is already the leader";
        return KN_ERR_ELECTION_NOT_NEEDED;
    }
    if (kn_md_broker(md, preferred) == NULL || !id_in(p->isr, p->n_isr, preferred)) {
        *msg = "the preferred replica is not alive or not in the ISR";
        return KN_ERR_PREFERRED_LEADER_NOT_AVAILABLE;
    }
    return KN_ERR_NONE;
}

/* ---- waiting for the controller --------------------------------------- */

/* true once no pending partition can still change: each is led by its
 * preferred replica or that replica can no longer be elected. */
static bool all_settled(const kn_md_t *md, void *ud)
{
    elect_job_t *job = ud;
    for (int i = 0; i < job->n_topics; i++)
        for (int k = 0; k < job->topics[i].n; k++) {
            const char *msg;
            if (job->topics[i].parts[k].pending &&
                classify(md, job->topics[i].name, job->topics[i].parts[k].id, &msg) == KN_ERR_NONE)
                return false;
        }
    return true;
}

/* The final answer for every pending partition, from the newest metadata. */
static void settle(elect_job_t *job)
{
    kn_md_t *md = kn_cluster_md_acquire(job->c);
    for (int i = 0; i < job->n_topics; i++)
        for (int k = 0; k < job->topics[i].n; k++) {
            elect_part_t *p = &job->topics[i].parts[k];
            if (!p->pending)
                continue;
            const char *msg;
            kn_err_t err = classify(md, job->topics[i].name, p->id, &msg);
            if (err == KN_ERR_ELECTION_NOT_NEEDED)
                set_err(p, KN_ERR_NONE, NULL);          /* the election moved it */
            else if (err == KN_ERR_NONE)
                set_err(p, KN_ERR_REQUEST_TIMED_OUT,
                        "election requested but not yet visible in the cluster metadata");
            else
                set_err(p, err, msg);
        }
    kn_md_release(md);
}

static void wait_done(kn_cluster_t *c, void *ud, const bool *satisfied)
{
    KN_UNUSED(c);
    KN_UNUSED(satisfied);
    elect_job_t *job = ud;
    settle(job);
    respond(job);
}

static void fail_pending(elect_job_t *job, kn_err_t err, const char *msg)
{
    for (int i = 0; i < job->n_topics; i++)
        for (int k = 0; k < job->topics[i].n; k++)
            if (job->topics[i].parts[k].pending)
                set_err(&job->topics[i].parts[k], err, msg);
}

/* The znode payload listing every pending partition; NULL if none. */
static json_t *pending_json(elect_job_t *job)
{
    json_t *parts = json_array();
    for (int i = 0; i < job->n_topics; i++)
        for (int k = 0; k < job->topics[i].n; k++)
            if (job->topics[i].parts[k].pending)
                json_array_append_new(parts, json_pack("{s:s,s:i}", "topic", job->topics[i].name,
                                                       "partition", (int)job->topics[i].parts[k].id));
    if (json_array_size(parts) == 0) {
        json_decref(parts);
        return NULL;
    }
    return json_pack("{s:i,s:o}", "version", 1, "partitions", parts);
}

static void try_write(elect_job_t *job);

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    KN_UNUSED(fd);
    KN_UNUSED(what);
    try_write(arg);
}

/* Write the election request, then wait for it to show. The node existing
 * means another election is in flight: the controller deletes it when done,
 * so try again shortly, until the request's deadline. */
static void try_write(elect_job_t *job)
{
    kn_cluster_t *c = job->c;
    json_t *j = pending_json(job);
    if (j == NULL) {
        respond(job);
        return;
    }
    int rc = ZCONNECTIONLOSS;
    if (c->zk != NULL && !c->stopping) {
        kn_zk_create_parents(c->zk, "/admin");
        rc = kn_zk_create_json(c->zk, KN_ELECT_PATH, j, 0);
    }
    json_decref(j);
    int64_t left = job->deadline_ms - kn_mono_ms();
    if (rc == ZNODEEXISTS && left > 0 && !c->stopping && c->base != NULL) {
        if (job->retry == NULL)
            job->retry = evtimer_new(c->base, retry_cb, job);
        struct timeval tv = { 0, KN_ELECT_RETRY_MS * 1000 };
        evtimer_add(job->retry, &tv);
        return;
    }
    if (rc == ZNODEEXISTS) {
        fail_pending(job, KN_ERR_REQUEST_TIMED_OUT,
                     "another preferred-leader election was still in progress");
        respond(job);
        return;
    }
    if (rc != ZOK) {
        kn_log_warn("elect", "writing %s: %s", KN_ELECT_PATH, kn_zk_strerror(rc));
        fail_pending(job, KN_ERR_UNKNOWN_SERVER_ERROR, "cannot write the election request");
        respond(job);
        return;
    }
    kn_log_info("elect", "preferred-leader election requested by %s", job->req->peer);
    kn_admin_wait_until(c, all_settled, left > 0 ? (int)left : 0, wait_done, job);
}

/* ---- building the job ---------------------------------------------------- */

/* Null topic_partitions: every partition the metadata cache knows. */
static void load_all(elect_job_t *job, const kn_md_t *md)
{
    kn_arena_t *a = &job->arena;
    job->n_topics = md->n_topics;
    job->topics = kn_arena_array(a, (size_t)(md->n_topics ? md->n_topics : 1), sizeof(elect_topic_t));
    for (int i = 0; i < md->n_topics; i++) {
        const kn_md_topic_t *mt = &md->topics[i];
        elect_topic_t *t = &job->topics[i];
        t->name = kn_arena_strdup(a, mt->name);
        t->wire_name = kn_slice_str(t->name);
        t->n = mt->n_partitions;
        t->parts = kn_arena_array(a, (size_t)(t->n ? t->n : 1), sizeof(elect_part_t));
        for (int k = 0; k < t->n; k++)
            t->parts[k].id = mt->partitions[k].partition;
    }
}

static void load_listed(elect_job_t *job)
{
    kn_arena_t *a = &job->arena;
    int n = job->in.n_topics;
    job->n_topics = n;
    job->topics = kn_arena_array(a, (size_t)(n ? n : 1), sizeof(elect_topic_t));
    for (int i = 0; i < n; i++) {
        const kn_electleaders_topic_t *rt = &job->in.topics[i];
        elect_topic_t *t = &job->topics[i];
        t->wire_name = rt->topic;
        if (rt->topic.len > 0 &&
            kn_topic_name_check((const char *)rt->topic.ptr, (size_t)rt->topic.len) == KN_ERR_NONE)
            t->name = kn_arena_slice_strdup(a, rt->topic);
        t->n = rt->n_partitions > 0 ? rt->n_partitions : 0;
        t->parts = kn_arena_array(a, (size_t)(t->n ? t->n : 1), sizeof(elect_part_t));
        for (int k = 0; k < t->n; k++)
            t->parts[k].id = rt->partitions[k];
    }
}

static void elect_on_main(void *arg)
{
    elect_job_t *job = arg;
    kn_md_t *md = kn_cluster_md_acquire(job->c);
    bool preferred = job->in.election_type == KN_ELECTION_PREFERRED;
    if (job->in.n_topics < 0) {
        if (!preferred) {
            /* Nothing to answer per partition: say it once at the top. */
            job->top_error = KN_ERR_INVALID_REQUEST;
            kn_md_release(md);
            respond(job);
            return;
        }
        load_all(job, md);
    } else {
        load_listed(job);
    }
    for (int i = 0; i < job->n_topics; i++) {
        elect_topic_t *t = &job->topics[i];
        for (int k = 0; k < t->n; k++) {
            elect_part_t *p = &t->parts[k];
            const char *msg;
            kn_err_t err = classify(md, t->name, p->id, &msg);
            if (err == KN_ERR_UNKNOWN_TOPIC_OR_PARTITION)
                set_err(p, err, NULL);
            else if (!preferred)
                set_err(p, KN_ERR_INVALID_REQUEST, "only PREFERRED elections are supported");
            else if (err != KN_ERR_NONE)
                set_err(p, err, msg);
            else
                p->pending = true;
        }
    }
    kn_md_release(md);
    try_write(job);
}

int kn_handle_elect_leaders(kn_req_t *req, kn_wbuf_t *resp)
{
    KN_UNUSED(resp);
    elect_job_t *job = kn_calloc(1, sizeof(*job));
    kn_arena_init(&job->arena);
    if (kn_proto_electleaders_req_decode(&req->body, req->api_version, &job->in,
                                         &job->arena) != KN_OK) {
        job_free(job);
        return KN_ERROR;
    }
    job->req = req;
    job->c = req->broker->cluster;
    job->deadline_ms = kn_mono_ms() + (job->in.timeout_ms > 0 ? job->in.timeout_ms : 0);
    kn_server_run_on(req->broker->main_base, elect_on_main, job);
    return KN_AGAIN;
}
