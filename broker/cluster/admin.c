/*
 * broker/cluster/admin.c -- waiting for the controller's metadata to show
 * an admin change, and answering parked requests from the main loop.
 *
 * Kafka answers CreateTopics only once the new partitions have leaders in
 * the metadata cache (its topic purgatory), so a client that produces right
 * after creating does not trip over LEADER_NOT_AVAILABLE. We do the same:
 * an admin operation waits here, on the main loop, until an UpdateMetadata
 * makes its conditions true or its timer fires. No polling: conditions are
 * re-checked only when a new snapshot is published.
 */
#include "config.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/admin.h"

struct kn_admin_op_s {
    kn_admin_op_t   *next;
    kn_cluster_t    *c;
    int              n;
    char           **topics;
    int32_t         *want;
    bool            *satisfied;
    struct event    *timer;
    kn_admin_check_fn check;   /* kn_admin_wait_until(): replaces topics */
    kn_admin_done_fn done;
    void            *ud;
};

bool kn_admin_condition_holds(const kn_md_t *md, const char *topic, int32_t want)
{
    const kn_md_topic_t *t = kn_md_topic(md, topic);
    if (want <= 0)
        return t == NULL;
    if (t == NULL || t->n_partitions < want)
        return false;
    for (int i = 0; i < t->n_partitions; i++)
        if (t->partitions[i].leader < 0)
            return false;
    return true;
}

/* Re-evaluate op against md; true if every condition holds. */
static bool evaluate(kn_admin_op_t *op, const kn_md_t *md)
{
    bool all = true;
    if (op->check) {
        op->satisfied[0] = op->check(md, op->ud);
        return op->satisfied[0];
    }
    for (int i = 0; i < op->n; i++) {
        if (!op->satisfied[i])
            op->satisfied[i] = kn_admin_condition_holds(md, op->topics[i], op->want[i]);
        all = all && op->satisfied[i];
    }
    return all;
}

static void op_free(kn_admin_op_t *op)
{
    if (op->timer)
        event_free(op->timer);
    for (int i = 0; i < op->n; i++)
        free(op->topics[i]);
    free(op->topics);
    free(op->want);
    free(op->satisfied);
    free(op);
}

static void unlink_op(kn_cluster_t *c, kn_admin_op_t *op)
{
    for (kn_admin_op_t **pp = &c->admin_ops; *pp; pp = &(*pp)->next)
        if (*pp == op) {
            *pp = op->next;
            return;
        }
}

static void finish(kn_admin_op_t *op)
{
    op->done(op->c, op->ud, op->satisfied);
    op_free(op);
}

static void timer_cb(evutil_socket_t fd, short what, void *arg)
{
    kn_admin_op_t *op = arg;
    KN_UNUSED(fd);
    KN_UNUSED(what);
    unlink_op(op->c, op);
    finish(op);
}

/* Shared by both waits: evaluate now, else park until a snapshot
 * satisfies op or its timer fires. */
static void start_op(kn_cluster_t *c, kn_admin_op_t *op, int timeout_ms);

void kn_admin_wait(kn_cluster_t *c, int n, const char *const *topics, const int32_t *want,
                   int timeout_ms, kn_admin_done_fn done, void *ud)
{
    kn_admin_op_t *op = kn_calloc(1, sizeof(*op));
    op->c = c;
    op->n = n;
    op->done = done;
    op->ud = ud;
    op->topics = kn_calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
    op->want = kn_calloc((size_t)(n > 0 ? n : 1), sizeof(int32_t));
    op->satisfied = kn_calloc((size_t)(n > 0 ? n : 1), sizeof(bool));
    for (int i = 0; i < n; i++) {
        op->topics[i] = kn_strdup(topics[i]);
        op->want[i] = want[i];
    }
    start_op(c, op, timeout_ms);
}

void kn_admin_wait_until(kn_cluster_t *c, kn_admin_check_fn check, int timeout_ms,
                         kn_admin_done_fn done, void *ud)
{
    kn_admin_op_t *op = kn_calloc(1, sizeof(*op));
    op->c = c;
    op->check = check;
    op->done = done;
    op->ud = ud;
    op->satisfied = kn_calloc(1, sizeof(bool));
    start_op(c, op, timeout_ms);
}

static void start_op(kn_cluster_t *c, kn_admin_op_t *op, int timeout_ms)
{
    kn_md_t *md = kn_cluster_md_acquire(c);
    bool all = evaluate(op, md);
    kn_md_release(md);
    if (all || timeout_ms <= 0 || c->stopping || c->base == NULL) {
        finish(op);
        return;
    }
    op->timer = evtimer_new(c->base, timer_cb, op);
    struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
    evtimer_add(op->timer, &tv);
    op->next = c->admin_ops;
    c->admin_ops = op;
}

void kn_admin_on_metadata(kn_cluster_t *c)
{
    if (c->admin_ops == NULL)
        return;
    kn_md_t *md = kn_cluster_md_acquire(c);
    kn_admin_op_t **pp = &c->admin_ops;
    while (*pp) {
        kn_admin_op_t *op = *pp;
        if (evaluate(op, md)) {
            *pp = op->next;
            finish(op);
        } else {
            pp = &op->next;
        }
    }
    kn_md_release(md);
}

void kn_admin_stop(kn_cluster_t *c)
{
    /* Answer what is still waiting (with what holds now) rather than
     * dropping requests silently. */
    while (c->admin_ops) {
        kn_admin_op_t *op = c->admin_ops;
        c->admin_ops = op->next;
        finish(op);
    }
}

/* ---- completing a request on its own loop ------------------------------ */

typedef struct {
    kn_req_t  *req;
    kn_wbuf_t  resp;
} reply_t;

static void reply_on_loop(void *arg)
{
    reply_t *r = arg;
    kn_req_complete(r->req, &r->resp);
    kn_wbuf_free(&r->resp);
    free(r);
}

void kn_admin_reply(kn_req_t *req, kn_wbuf_t *resp)
{
    reply_t *r = kn_malloc(sizeof(*r));
    r->req = req;
    r->resp = *resp;
    memset(resp, 0, sizeof(*resp));
    kn_server_run_on(req->base, reply_on_loop, r);
}
