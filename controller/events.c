/*
 * controller/events.c -- what the active controller does when the cluster
 * changes.
 *
 * Watches only set dirty flags and schedule one deferred pass
 * (kn_ctl_process), so a burst of ZooKeeper events -- ten brokers dying
 * with one rack -- becomes one re-read and one round of elections. A pass:
 *   1. re-reads /brokers/ids if it changed; any birth or death means every
 *      partition is checked against the live set (kn_ctl_part_reconcile);
 *   2. re-reads /brokers/topics and changed topic nodes; partitions without
 *      a state znode get their first state (kn_ctl_part_init_state);
 *   3. handles /admin/delete_topics markers;
 *   4. pushes what changed (kn_ctl_flush).
 * Every decision is computed on a copy of the partition, written with a
 * fenced multi, and only then adopted, so memory never runs ahead of
 * ZooKeeper. Broker requests (AlterIsr, ControlledShutdown) follow the same
 * write-then-adopt path.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <event2/event.h>

#include "controller/controller.h"
#include "log.h"

#define KN_CTL_RETRY_MS 1000

static void part_dup(kn_ctl_part_t *dst, const kn_ctl_part_t *src)
{
    *dst = *src;
    memset(&dst->replicas, 0, sizeof dst->replicas);
    memset(&dst->isr, 0, sizeof dst->isr);
    kn_ctl_ids_copy(&dst->replicas, &src->replicas);
    kn_ctl_ids_copy(&dst->isr, &src->isr);
}

static void part_drop(kn_ctl_part_t *p)
{
    kn_ctl_ids_free(&p->replicas);
    kn_ctl_ids_free(&p->isr);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    kn_ctl_t *c = arg;
    c->need_reconcile = true;
    kn_ctl_process(c);
}

static void schedule_retry(kn_ctl_t *c)
{
    struct timeval tv = { KN_CTL_RETRY_MS / 1000, (KN_CTL_RETRY_MS % 1000) * 1000 };
    if (c->retry_ev == NULL)
        c->retry_ev = evtimer_new(c->base, retry_cb, c);
    if (!evtimer_pending(c->retry_ev, NULL))
        evtimer_add(c->retry_ev, &tv);
}

/* Write np (a modified copy of p) and adopt it if ZooKeeper took it -- or
 * if ZooKeeper had newer state, which kn_ctl_state_write loaded into np.
 * np is consumed either way. */
static int commit(kn_ctl_t *c, kn_ctl_topic_t *t, kn_ctl_part_t *p, kn_ctl_part_t *np)
{
    int rc = kn_ctl_state_write(c, t, np);
    if (rc == KN_OK || rc == KN_CTL_CONFLICT) {
        part_drop(p);
        *p = *np;
        if (rc == KN_CTL_CONFLICT)
            c->need_reconcile = true;   /* decide again on the fresh state */
    } else {
        part_drop(np);
        if (rc == KN_ERROR)
            schedule_retry(c);
    }
    return rc;
}

/* unclean.leader.election.enable for p: it only matters when no ISR member
 * is live, and then the topic's own setting in /config/topics/<t>, if any,
 * overrides the controller's (Kafka's topic-level override). Read only in
 * that case, so a normal pass costs no ZooKeeper reads. (Replication.) */
static bool topic_unclean(kn_ctl_t *c, const kn_ctl_topic_t *t, const kn_ctl_part_t *p,
                          const kn_ctl_ids_t *live, bool dflt)
{
    for (int i = 0; i < p->isr.n; i++)
        if (kn_ctl_ids_has(live, p->isr.v[i]))
            return dflt;
    char path[512];
    json_t *j = NULL;
    snprintf(path, sizeof path, "/config/topics/%s", t->name);
    if (kn_zk_get_json(c->zk, path, &j, NULL, NULL, NULL) != ZOK || j == NULL)
        return dflt;
    const char *v = json_string_value(
        json_object_get(json_object_get(j, "config"), "unclean.leader.election.enable"));
    bool on = v != NULL ? strcmp(v, "true") == 0 : dflt;
    json_decref(j);
    return on;
}

/* First state for partitions that have none; with `all`, also re-elect
 * wherever the live set demands it. Stops at once if we were deposed. */
static void elect_partitions(kn_ctl_t *c, bool all)
{
    kn_ctl_ids_t live = {0};
    kn_ctl_live_set(c, &live);
    bool unclean = c->conf.unclean_election;

    for (int i = 0; i < c->ntopics && c->active; i++) {
        kn_ctl_topic_t *t = &c->topics[i];
        for (int k = 0; k < t->nparts && c->active; k++) {
            kn_ctl_part_t *p = &t->parts[k], np;
            part_dup(&np, p);
            bool write;
            if (p->zk_version < 0) {
                kn_ctl_part_init_state(&np, &live);
                write = true;
            } else {
                write = all && kn_ctl_part_reconcile(&np, &live,
                                                     topic_unclean(c, t, p, &live, unclean));
            }
            if (write) {
                commit(c, t, p, &np);
            } else {
                part_drop(&np);
            }
        }
    }
    kn_ctl_ids_free(&live);
}

static void delete_watch_cb(kn_zk_t *zk, kn_zk_watch_event_t ev, const char *path, void *ud)
{
    kn_ctl_t *c = ud;
    if (!c->active)
        return;
    c->dirty_deletes = true;
    kn_ctl_schedule_work(c);
}

/* Handle every /admin/delete_topics/<t> marker: stop and delete the
 * replicas, remove the topic's znodes, then the marker. These deletions
 * are not fenced on /controller_epoch (a recursive delete is many
 * operations): a deposed controller could only finish a deletion that an
 * operator requested and its successor would carry out anyway. StopReplica
 * goes to the replicas connected now; Kafka waits for their answers before
 * removing the znodes, we do not, so a broker that was away when the topic
 * went is left to notice the topic missing from UpdateMetadata. */
static void process_deletes(kn_ctl_t *c)
{
    char **names = NULL;
    int count = 0;

    c->dirty_deletes = false;
    int rc = kn_zk_children(c->zk, "/admin/delete_topics", &names, &count, delete_watch_cb, c);
    if (rc == ZNONODE) {
        kn_zk_create_parents(c->zk, "/admin/delete_topics");
        rc = kn_zk_children(c->zk, "/admin/delete_topics", &names, &count, delete_watch_cb, c);
    }
    if (rc != ZOK) {
        kn_log_warn("controller.events", "listing /admin/delete_topics: %s", kn_zk_strerror(rc));
        c->dirty_deletes = true;
        schedule_retry(c);
        return;
    }
    for (int i = 0; i < count && c->active; i++) {
        char path[512];
        kn_ctl_topic_t *t = kn_ctl_topic_find(c, names[i]);
        if (t != NULL) {
            kn_log_info("controller.events", "deleting topic %s (%d partitions)", t->name, t->nparts);
            kn_ctl_channel_stop_topic(c, t);
            snprintf(path, sizeof path, "/brokers/topics/%s", names[i]);
            rc = kn_zk_delete_recursive(c->zk, path);
            if (rc != ZOK && rc != ZNONODE) {
                kn_log_warn("controller.events", "deleting %s: %s", path, kn_zk_strerror(rc));
                c->dirty_deletes = true;
                schedule_retry(c);
                continue;
            }
            snprintf(path, sizeof path, "/config/topics/%s", names[i]);
            rc = kn_zk_delete_recursive(c->zk, path);
            if (rc != ZOK && rc != ZNONODE)
                kn_log_warn("controller.events", "deleting %s: %s", path, kn_zk_strerror(rc));
            kn_ctl_note_deleted(c, names[i]);
            kn_ctl_topic_remove(c, names[i]);
        }
        snprintf(path, sizeof path, "/admin/delete_topics/%s", names[i]);
        rc = kn_zk_delete(c->zk, path, -1);
        if (rc != ZOK && rc != ZNONODE)
            kn_log_warn("controller.events", "deleting %s: %s", path, kn_zk_strerror(rc));
    }
    kn_zk_children_free(names, count);
}

void kn_ctl_process(kn_ctl_t *c)
{
    if (!c->active)
        return;
    if (c->dirty_brokers) {
        kn_ctl_ids_t gone = {0}, added = {0};
        if (kn_ctl_state_sync_brokers(c, &gone, &added) != KN_OK)
            schedule_retry(c);
        if (gone.n > 0 || added.n > 0) {
            c->need_reconcile = true;
            c->push_um = true;
        }
        kn_ctl_ids_free(&gone);
        kn_ctl_ids_free(&added);
    }
    if (c->dirty_topics) {
        int first_new;
        if (kn_ctl_state_sync_topics(c, &first_new) != KN_OK)
            schedule_retry(c);
    }
    for (int i = 0; i < c->ntopics; i++) {
        kn_ctl_topic_t *t = &c->topics[i];
        if (t->dirty && kn_ctl_state_reload_topic(c, t) == KN_ERROR)
            schedule_retry(c);
    }
    /* need_reconcile may be raised again by a conflict inside; one more
     * round settles it (bounded: a conflict loads ZooKeeper's state). */
    for (int round = 0; round < 2 && c->active; round++) {
        bool all = c->need_reconcile;
        c->need_reconcile = false;
        elect_partitions(c, all);
        if (!c->need_reconcile)
            break;
    }
    if (c->active && c->dirty_deletes)
        process_deletes(c);
    if (c->active)
        kn_ctl_flush(c);
}

static void work_cb(evutil_socket_t fd, short what, void *arg)
{
    kn_ctl_process(arg);
}

void kn_ctl_schedule_work(kn_ctl_t *c)
{
    if (c->work_ev == NULL)
        c->work_ev = event_new(c->base, -1, 0, work_cb, c);
    event_active(c->work_ev, 0, 0);
}

static int prefer_leaders(kn_ctl_t *c, const json_t *only);

/* Move leadership back to preferred replicas that are live and in sync
 * (Kafka's auto.leader.rebalance, without its imbalance threshold: any
 * partition away from its preferred leader moves). */
static void rebalance_cb(evutil_socket_t fd, short what, void *arg)
{
    kn_ctl_t *c = arg;

    if (!c->active)
        return;
    int moved = prefer_leaders(c, NULL);
    if (moved > 0)
        kn_log_info("controller.events", "moved %d partitions back to their preferred leader",
                    moved);
    if (c->active)
        kn_ctl_flush(c);
}

/* ---- on-demand preferred-leader election -------------------------------
 * An admin (kctl-leader-election) creates /admin/preferred_replica_election
 * with Kafka 2.x's payload {"version":1,"partitions":[{"topic":..,
 * "partition":..}]} (no "partitions": every partition); we move each listed
 * partition to its preferred replica when that one is live and in sync,
 * then delete the node, which tells the admin we are done. (Replication.) */
#define KN_CTL_PREF_PATH "/admin/preferred_replica_election"

static void pref_arm(kn_ctl_t *c);

static bool pref_listed(const json_t *parts, const char *topic, int32_t partition)
{
    size_t i;
    const json_t *e;
    if (!json_is_array(parts))
        return true;
    json_array_foreach(parts, i, e) {
        const char *t = json_string_value(json_object_get(e, "topic"));
        const json_t *p = json_object_get(e, "partition");
        if (t != NULL && strcmp(t, topic) == 0 && json_is_integer(p) &&
            json_integer_value(p) == partition)
            return true;
    }
    return false;
}

/* Move every partition `only` lists (NULL or not an array: all of them)
 * to its preferred replica where that one is live and in sync; the count
 * moved. Shared by the periodic rebalance and the on-demand election. */
static int prefer_leaders(kn_ctl_t *c, const json_t *only)
{
    kn_ctl_ids_t live = {0};
    int moved = 0;

    kn_ctl_live_set(c, &live);
    for (int i = 0; i < c->ntopics && c->active; i++) {
        kn_ctl_topic_t *t = &c->topics[i];
        for (int k = 0; k < t->nparts && c->active; k++) {
            kn_ctl_part_t *p = &t->parts[k], np;
            if (p->zk_version < 0 || !pref_listed(only, t->name, p->id))
                continue;
            part_dup(&np, p);
            if (kn_ctl_part_prefer_leader(&np, &live)) {
                if (commit(c, t, p, &np) == KN_OK)
                    moved++;
            } else {
                part_drop(&np);
            }
        }
    }
    kn_ctl_ids_free(&live);
    return moved;
}

static void pref_process(evutil_socket_t fd, short what, void *arg)
{
    kn_ctl_t *c = arg;
    json_t *j = NULL;

    if (!c->active)
        return;
    pref_arm(c);
    if (kn_zk_get_json(c->zk, KN_CTL_PREF_PATH, &j, NULL, NULL, NULL) != ZOK || j == NULL)
        return;
    int moved = prefer_leaders(c, json_object_get(j, "partitions"));
    json_decref(j);
    if (!c->active)
        return;
    kn_ctl_flush(c);
    kn_log_info("controller.events", "preferred-leader election on demand: %d partition(s) moved",
                moved);
    int rc = kn_zk_delete(c->zk, KN_CTL_PREF_PATH, -1);
    if (rc != ZOK && rc != ZNONODE)
        kn_log_warn("controller.events", "deleting %s: %s", KN_CTL_PREF_PATH, kn_zk_strerror(rc));
}

static void pref_watch_cb(kn_zk_t *zk, kn_zk_watch_event_t ev, const char *path, void *ud)
{
    kn_ctl_t *c = ud;
    struct timeval now = { 0, 0 };
    c->pref_watch_armed = false;
    if (c->active)
        event_base_once(c->base, -1, EV_TIMEOUT, pref_process, c, &now);
}

/* Watch the node (an exists watch also fires on creation). */
static void pref_arm(kn_ctl_t *c)
{
    if (c->pref_watch_armed)
        return;
    int rc = kn_zk_exists(c->zk, KN_CTL_PREF_PATH, NULL, pref_watch_cb, c);
    if (rc == ZOK || rc == ZNONODE)
        c->pref_watch_armed = true;
    if (rc == ZOK) {
        struct timeval now = { 0, 0 };
        event_base_once(c->base, -1, EV_TIMEOUT, pref_process, c, &now);
    }
}

int kn_ctl_on_elected(kn_ctl_t *c)
{
    if (c->conf.auto_rebalance && c->rebalance_ev == NULL) {
        struct timeval tv = { c->conf.rebalance_interval_ms / 1000,
                              (c->conf.rebalance_interval_ms % 1000) * 1000 };
        c->rebalance_ev = event_new(c->base, -1, EV_PERSIST, rebalance_cb, c);
        event_add(c->rebalance_ev, &tv);
    }
    kn_ctl_state_clear(c);
    if (kn_ctl_state_load(c) != KN_OK)
        return KN_ERROR;
    /* Brokers may have died or returned while no controller watched. */
    c->need_reconcile = true;
    c->push_um = true;
    kn_ctl_process(c);
    c->pref_watch_armed = false;   /* a new term may be a new session */
    pref_arm(c);
    return KN_OK;
}

/* ---- broker requests ------------------------------------------------------ */

static void add_error(Kanal__Control__PartitionError ***arr, size_t *n, kn_ctl_pool_t *pool,
                      const char *topic, int32_t partition, kn_err_t err)
{
    Kanal__Control__PartitionError *e = kn_ctl_pool_alloc(pool, sizeof *e);
    kanal__control__partition_error__init(e);
    e->topic = kn_ctl_pool_strdup(pool, topic);
    e->partition = partition;
    e->error_code = err;
    Kanal__Control__PartitionError **na = kn_ctl_pool_alloc(pool, (*n + 1) * sizeof *na);
    if (*n > 0)
        memcpy(na, *arr, *n * sizeof *na);
    na[(*n)++] = e;
    *arr = na;
}

kn_err_t kn_ctl_handle_alter_isr(kn_ctl_t *c, const Kanal__Control__AlterIsr *req,
                                 Kanal__Control__AlterIsrResponse *resp, kn_ctl_pool_t *pool)
{
    kn_ctl_ids_t live = {0};

    if (!c->active)
        return KN_ERR_NOT_CONTROLLER;
    kn_ctl_live_set(c, &live);
    resp->partitions = kn_ctl_pool_alloc(pool, (req->n_partitions + 1) * sizeof *resp->partitions);
    resp->n_partitions = 0;
    for (size_t i = 0; i < req->n_partitions && c->active; i++) {
        const Kanal__Control__AlterIsrPartition *ap = req->partitions[i];
        const char *topic = ap->topic != NULL ? ap->topic : "";
        kn_ctl_topic_t *t;
        kn_ctl_part_t *p = kn_ctl_part_find(c, topic, ap->partition, &t);
        if (p == NULL || p->zk_version < 0) {
            add_error(&resp->errors, &resp->n_errors, pool, topic, ap->partition,
                      KN_ERR_UNKNOWN_TOPIC_OR_PARTITION);
            continue;
        }
        if (ap->n_new_isr > (size_t)INT32_MAX) {
            add_error(&resp->errors, &resp->n_errors, pool, topic, ap->partition,
                      KN_ERR_INVALID_REQUEST);
            continue;
        }
        kn_err_t err = kn_ctl_part_check_alter_isr(p, req->broker_id, ap->leader_epoch,
                                                   ap->zk_version, ap->new_isr,
                                                   (int)ap->n_new_isr, &live);
        if (err != KN_ERR_NONE) {
            kn_log_info("controller.events", "AlterIsr %s-%d from broker %d refused: %s", topic,
                        (int)ap->partition, (int)req->broker_id, kn_err_name(err));
            add_error(&resp->errors, &resp->n_errors, pool, topic, ap->partition, err);
            continue;
        }
        kn_ctl_part_t np;
        part_dup(&np, p);
        kn_ctl_ids_set(&np.isr, ap->new_isr, (int)ap->n_new_isr);
        int rc = commit(c, t, p, &np);
        if (rc == KN_OK) {
            /* The leader learns the new state from the response; followers
             * need no LeaderAndIsr for an ISR change (Kafka's behaviour). */
            p->push_lai = false;
            resp->partitions[resp->n_partitions++] = kn_ctl_part_msg(c, t, p, pool);
        } else {
            add_error(&resp->errors, &resp->n_errors, pool, topic, ap->partition,
                      rc == KN_CTL_FENCED ? KN_ERR_NOT_CONTROLLER
                      : rc == KN_CTL_CONFLICT ? KN_ERR_INVALID_UPDATE_VERSION
                      : KN_ERR_UNKNOWN_SERVER_ERROR);
        }
    }
    kn_ctl_ids_free(&live);
    if (c->active)
        kn_ctl_flush(c);
    return c->active ? KN_ERR_NONE : KN_ERR_NOT_CONTROLLER;
}

kn_err_t kn_ctl_handle_controlled_shutdown(kn_ctl_t *c, int32_t broker_id,
                                           Kanal__Control__ControlledShutdownResponse *resp,
                                           kn_ctl_pool_t *pool)
{
    kn_ctl_ids_t live = {0};

    if (!c->active)
        return KN_ERR_NOT_CONTROLLER;
    kn_ctl_broker_t *b = kn_ctl_broker_find(c, broker_id);
    if (b == NULL)
        return KN_ERR_BROKER_NOT_AVAILABLE;
    b->shutting_down = true;
    kn_log_info("controller.events", "controlled shutdown of broker %d", (int)broker_id);
    kn_ctl_live_set(c, &live);
    for (int i = 0; i < c->ntopics && c->active; i++) {
        kn_ctl_topic_t *t = &c->topics[i];
        for (int k = 0; k < t->nparts && c->active; k++) {
            kn_ctl_part_t *p = &t->parts[k], np;
            if (p->zk_version < 0 || !kn_ctl_ids_has(&p->replicas, broker_id))
                continue;
            part_dup(&np, p);
            if (kn_ctl_part_move_leader(&np, broker_id, &live) == 1)
                commit(c, t, p, &np);
            else
                part_drop(&np);
        }
    }
    kn_ctl_ids_free(&live);
    if (!c->active)
        return KN_ERR_NOT_CONTROLLER;
    for (int i = 0; i < c->ntopics; i++) {
        kn_ctl_topic_t *t = &c->topics[i];
        for (int k = 0; k < t->nparts; k++)
            if (t->parts[k].leader == broker_id)
                add_error(&resp->remaining, &resp->n_remaining, pool, t->name, t->parts[k].id,
                          KN_ERR_NONE);
    }
    kn_log_info("controller.events", "broker %d still leads %zu partitions", (int)broker_id,
                resp->n_remaining);
    kn_ctl_flush(c);
    return KN_ERR_NONE;
}
