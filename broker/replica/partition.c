/*
 * broker/replica/partition.c -- the replica manager's table and the leader
 * side of replication: follower log end offsets, the high watermark, the
 * ISR and AlterIsr proposals (see replica.h).
 *
 * One mutex guards the whole table. The hot calls (a follower's fetch, a
 * leader's append, an acks=all check) each take it once per partition for
 * a few comparisons, never across I/O; the storage engine's own lock nests
 * inside it (r->lock, then log->lock), never the other way round.
 *
 * High watermark, as Kafka computes it: the lowest log end offset among the
 * ISR members, where a member whose offset we have not heard since we
 * became leader counts as unknown and holds the HW where it is. Members of
 * an AlterIsr still in flight count too (the "maximal" ISR), so a proposal
 * can never let the HW run ahead of a replica the controller may still
 * consider in sync. The HW never moves back while we lead.
 *
 * ISR changes are proposals: the leader sends AlterIsr, at most one message
 * in flight for the whole broker (it batches every partition), and adopts
 * the ISR only from the controller's answer. The ISR that min.insync.replicas
 * is checked against is that committed one.
 */
#include "config.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/cluster.h"
#include "broker/log/log.h"
#include "broker/replica/replica_int.h"
#include "broker/server/delayed.h"
#include "broker/server/server.h"
#include "common/config.h"
#include "log.h"

#define LOGC "broker.replica"
/* An AlterIsr without an answer this long is given up and re-proposed
 * (the controller session may have dropped it). */
#define KN_ALTER_TIMEOUT_MS 10000

/* ---- table ------------------------------------------------------------- */

static unsigned kn_rp_bucket(const char *topic, int32_t partition)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
        h = (h ^ *p) * 16777619u;
    h = (h ^ (uint32_t)partition) * 16777619u;
    return h % KN_RP_BUCKETS;
}

kn_rp_t *kn_rp_find(kn_repl_t *r, const char *topic, int32_t partition)
{
    for (kn_rp_t *rp = r->buckets[kn_rp_bucket(topic, partition)]; rp; rp = rp->next)
        if (rp->partition == partition && strcmp(rp->topic, topic) == 0)
            return rp;
    return NULL;
}

static void kn_rp_unlink_free(kn_repl_t *r, kn_rp_t *rp)
{
    kn_rp_t **slot = &r->buckets[kn_rp_bucket(rp->topic, rp->partition)];
    while (*slot != rp)
        slot = &(*slot)->next;
    *slot = rp->next;
    if (rp->all_prev)
        rp->all_prev->all_next = rp->all_next;
    else
        r->all = rp->all_next;
    if (rp->all_next)
        rp->all_next->all_prev = rp->all_prev;
    if (rp->leader)
        r->n_leading--;
    else
        r->n_following--;
    kn_log_release(rp->log);
    free(rp->topic);
    free(rp);
}

static bool kn_ids_has(const int32_t *v, int n, int32_t id)
{
    for (int i = 0; i < n; i++)
        if (v[i] == id)
            return true;
    return false;
}

static kn_rp_follower_t *kn_rp_follower(kn_rp_t *rp, int32_t id)
{
    for (int i = 0; i < rp->n_followers; i++)
        if (rp->followers[i].id == id)
            return &rp->followers[i];
    return NULL;
}

/* Recompute the leader's HW (lock held); true if it advanced. */
static bool kn_rp_update_hw(kn_repl_t *r, kn_rp_t *rp)
{
    int64_t hw = kn_log_end_offset(rp->log);
    for (int pass = 0; pass < 2; pass++) {
        const int32_t *ids = pass == 0 ? rp->isr : rp->pending_isr;
        int n = pass == 0 ? rp->n_isr : (rp->alter_pending ? rp->n_pending_isr : 0);
        for (int i = 0; i < n; i++) {
            if (ids[i] == r->self)
                continue;
            kn_rp_follower_t *f = kn_rp_follower(rp, ids[i]);
            if (f != NULL)
                hw = KN_MIN(hw, f->leo);
        }
    }
    if (hw > kn_log_high_watermark(rp->log)) {
        kn_log_set_high_watermark(rp->log, hw);
        return true;
    }
    return false;
}

/* ---- life cycle --------------------------------------------------------- */

kn_repl_t *kn_repl_new(kn_broker_t *b)
{
    kn_repl_t *r = kn_calloc(1, sizeof(*r));
    r->b = b;
    r->self = b->id;
    r->buckets = kn_calloc(KN_RP_BUCKETS, sizeof(*r->buckets));
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->cond, NULL);
    r->lag_max_ms = 30000;
    r->fetch_max_bytes = 1048576;
    r->fetch_resp_max_bytes = 10485760;
    r->fetch_wait_ms = 500;
    r->fetch_min_bytes = 1;
    r->backoff_ms = 1000;
    r->socket_timeout_ms = 30000;
    r->default_min_isr = 1;
    r->hw_ckpt_ms = 5000;
    r->hw_ckpt_last = kn_mono_ms();
    if (b->cfg != NULL) {
        r->lag_max_ms = kn_config_int(b->cfg, "replica.lag.time.max.ms");
        r->fetch_max_bytes = (int32_t)kn_config_int(b->cfg, "replica.fetch.max.bytes");
        r->fetch_resp_max_bytes = (int32_t)kn_config_int(b->cfg, "replica.fetch.response.max.bytes");
        r->fetch_wait_ms = (int32_t)kn_config_int(b->cfg, "replica.fetch.wait.max.ms");
        r->fetch_min_bytes = (int32_t)kn_config_int(b->cfg, "replica.fetch.min.bytes");
        r->backoff_ms = (int32_t)kn_config_int(b->cfg, "replica.fetch.backoff.ms");
        r->socket_timeout_ms = (int32_t)kn_config_int(b->cfg, "replica.socket.timeout.ms");
        r->default_min_isr = (int32_t)kn_config_int(b->cfg, "min.insync.replicas");
        r->hw_ckpt_ms = kn_config_int(b->cfg, "replica.high.watermark.checkpoint.interval.ms");
    }
    return r;
}

static void kn_repl_on_timer(evutil_socket_t fd, short what, void *arg)
{
    kn_repl_t *r = arg;
    KN_UNUSED(fd);
    KN_UNUSED(what);
    kn_repl_isr_pass(r);
    /* replication-offset-checkpoint (with the other per-dir checkpoints)
     * every replica.high.watermark.checkpoint.interval.ms, as Kafka does;
     * the storage engine's own minute-long cadence is the fallback. */
    int64_t now = kn_mono_ms();
    if (r->b->logs != NULL && now - r->hw_ckpt_last >= r->hw_ckpt_ms) {
        r->hw_ckpt_last = now;
        if (kn_logmgr_checkpoint(r->b->logs) != KN_OK)
            kn_log_ratelimited(KN_LOG_WARN, LOGC, "hw-ckpt", 60000,
                               "cannot write the high watermark checkpoints");
    }
}

int kn_repl_start(kn_repl_t *r)
{
    if (r->b->main_base == NULL)
        return KN_OK;
    /* Kafka checks every lag/2; we check at least once a second so an
     * expansion that the fetch path missed is still proposed promptly. */
    int64_t period = KN_MAX(KN_MIN(r->lag_max_ms / 2, 1000), 50);
    r->isr_timer = event_new(r->b->main_base, -1, EV_PERSIST, kn_repl_on_timer, r);
    struct timeval tv = { (time_t)(period / 1000), (suseconds_t)((period % 1000) * 1000) };
    event_add(r->isr_timer, &tv);
    return KN_OK;
}

void kn_repl_stop(kn_repl_t *r)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    r->stopping = 1;
    pthread_cond_broadcast(&r->cond);
    pthread_mutex_unlock(&r->lock);
    kn_fetchers_stop(r);
    if (r->isr_timer != NULL) {
        event_free(r->isr_timer);
        r->isr_timer = NULL;
    }
    pthread_mutex_lock(&r->lock);
    while (r->all != NULL)
        kn_rp_unlink_free(r, r->all);
    pthread_mutex_unlock(&r->lock);
}

void kn_repl_free(kn_repl_t *r)
{
    if (r == NULL)
        return;
    kn_repl_stop(r);
    if (r->ssl != NULL)
        SSL_CTX_free(r->ssl);
    free(r->buckets);
    pthread_cond_destroy(&r->cond);
    pthread_mutex_destroy(&r->lock);
    free(r);
}

/* ---- controller-driven state (main thread) ------------------------------- */

void kn_repl_apply(kn_repl_t *r, const kn_repl_state_t *st)
{
    if (r == NULL || st->log == NULL)
        return;
    bool leader = st->leader == r->self;
    int64_t now = kn_mono_ms();

    pthread_mutex_lock(&r->lock);
    if (r->stopping) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    kn_rp_t *rp = kn_rp_find(r, st->topic, st->partition);
    if (rp != NULL && st->leader_epoch < rp->leader_epoch) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    bool fresh = rp == NULL;
    if (fresh) {
        rp = kn_calloc(1, sizeof(*rp));
        rp->topic = kn_strdup(st->topic);
        rp->partition = st->partition;
        rp->log = kn_log_ref(st->log);
        rp->leader_epoch = -1;
        unsigned b = kn_rp_bucket(st->topic, st->partition);
        rp->next = r->buckets[b];
        r->buckets[b] = rp;
        rp->all_next = r->all;
        if (r->all)
            r->all->all_prev = rp;
        r->all = rp;
        rp->leader = leader;
        if (leader)
            r->n_leading++;
        else
            r->n_following++;
    } else if (rp->log != st->log) {
        kn_log_release(rp->log);
        rp->log = kn_log_ref(st->log);
        fresh = true;
    }
    /* Same leader, same epoch: a repeated state (controller fail-over,
     * re-registration). Keep what we know about followers / our fetch
     * position; only the ISR and its version may have moved. */
    bool same = !fresh && rp->leader == leader && rp->leader_id == st->leader &&
                rp->leader_epoch == st->leader_epoch;
    if (!fresh && rp->leader != leader) {
        r->n_leading += leader ? 1 : -1;
        r->n_following += leader ? -1 : 1;
    }
    if (!same)
        rp->gen++;
    rp->leader = leader;
    rp->leader_id = st->leader;
    rp->leader_epoch = st->leader_epoch;
    rp->zk_version = st->zk_version;
    rp->min_isr = st->min_isr > 0 ? st->min_isr : r->default_min_isr;
    rp->n_replicas = KN_MIN(st->n_replicas, KN_RP_MAX_REPLICAS);
    memcpy(rp->replicas, st->replicas, (size_t)rp->n_replicas * sizeof(int32_t));

    bool advanced = false;
    if (leader) {
        rp->n_isr = KN_MIN(st->n_isr, KN_RP_MAX_REPLICAS);
        memcpy(rp->isr, st->isr, (size_t)rp->n_isr * sizeof(int32_t));
        kn_rp_follower_t old[KN_RP_MAX_REPLICAS];
        int n_old = same ? rp->n_followers : 0;
        memcpy(old, rp->followers, sizeof(old));
        rp->n_followers = 0;
        for (int i = 0; i < rp->n_replicas; i++) {
            int32_t id = rp->replicas[i];
            if (id == r->self)
                continue;
            kn_rp_follower_t *f = &rp->followers[rp->n_followers++];
            const kn_rp_follower_t *prev = NULL;
            for (int k = 0; k < n_old; k++)
                if (old[k].id == id)
                    prev = &old[k];
            if (prev != NULL) {
                *f = *prev;
                continue;
            }
            /* A new term: nothing is known about the followers until they
             * fetch; ISR members get the benefit of the doubt for one lag
             * period (Kafka's rule). */
            f->id = id;
            f->leo = -1;
            f->last_caught_up_ms = kn_ids_has(rp->isr, rp->n_isr, id) ? now : 0;
            f->last_fetch_ms = 0;
            f->last_fetch_leader_leo = -1;
        }
        if (!same) {
            rp->epoch_start_offset = kn_log_end_offset(rp->log);
            rp->alter_pending = false;
        }
        advanced = kn_rp_update_hw(r, rp);
    } else {
        rp->n_isr = 0;
        rp->n_followers = 0;
        rp->alter_pending = false;
        if (!same) {
            rp->fstate = KN_RP_TRUNCATING;
            rp->backoff_until_ms = 0;
        }
        if (st->leader >= 0)
            kn_fetcher_ensure(r, st->leader, !same);
    }
    pthread_mutex_unlock(&r->lock);

    /* Parked acks=all produces and fetches re-check: leadership or the HW
     * may have changed under them. */
    kn_delayed_notify_tp(st->topic, st->partition);
    KN_UNUSED(advanced);
}

void kn_repl_forget(kn_repl_t *r, const char *topic, int32_t partition)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    kn_rp_t *rp = kn_rp_find(r, topic, partition);
    if (rp != NULL)
        kn_rp_unlink_free(r, rp);
    pthread_mutex_unlock(&r->lock);
    if (rp != NULL)
        kn_delayed_notify_tp(topic, partition);
}

/* ---- ISR maintenance (main thread) ---------------------------------------- */

static void kn_repl_isr_work_cb(void *arg)
{
    kn_repl_t *r = arg;
    pthread_mutex_lock(&r->lock);
    r->isr_work_queued = false;
    pthread_mutex_unlock(&r->lock);
    kn_repl_isr_pass(r);
}

/* Ask the main loop for an ISR pass soon (lock held). */
static void kn_repl_queue_isr_work(kn_repl_t *r)
{
    if (r->isr_work_queued || r->stopping || r->b->main_base == NULL)
        return;
    r->isr_work_queued = true;
    kn_server_run_on(r->b->main_base, kn_repl_isr_work_cb, r);
}

bool kn_rp_desired_isr(kn_repl_t *r, kn_rp_t *rp, int64_t now, int32_t *out, int *n_out)
{
    int64_t leo = kn_log_end_offset(rp->log);
    int64_t hw = kn_log_high_watermark(rp->log);
    int n = 0;
    bool changed = false;
    for (int i = 0; i < rp->n_isr; i++) {
        int32_t id = rp->isr[i];
        kn_rp_follower_t *f = kn_rp_follower(rp, id);
        if (id != r->self && f != NULL && f->leo < leo &&
            now - f->last_caught_up_ms > r->lag_max_ms) {
            changed = true;   /* out of sync: dropped */
            continue;
        }
        out[n++] = id;
    }
    for (int i = 0; i < rp->n_followers; i++) {
        kn_rp_follower_t *f = &rp->followers[i];
        if (kn_ids_has(rp->isr, rp->n_isr, f->id))
            continue;
        if (f->leo >= 0 && f->leo >= hw && f->leo >= rp->epoch_start_offset) {
            out[n++] = f->id;
            changed = true;
        }
    }
    *n_out = n;
    return changed;
}

void kn_repl_isr_pass(kn_repl_t *r)
{
    int64_t now = kn_mono_ms();
    Kanal__Control__AlterIsrPartition **parts = NULL;
    size_t nparts = 0, cap = 0;

    if (r == NULL || r->b->cluster == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    if (r->stopping) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    if (r->alter_inflight && now - r->alter_sent_ms > KN_ALTER_TIMEOUT_MS) {
        kn_log_warn(LOGC, "AlterIsr unanswered for %d ms; proposing again", KN_ALTER_TIMEOUT_MS);
        r->alter_inflight = false;
        for (kn_rp_t *rp = r->all; rp; rp = rp->all_next)
            rp->alter_pending = false;
    }
    if (r->alter_inflight) {
        pthread_mutex_unlock(&r->lock);
        return;
    }
    for (kn_rp_t *rp = r->all; rp; rp = rp->all_next) {
        int32_t want[KN_RP_MAX_REPLICAS];
        int n = 0;
        if (!rp->leader || rp->alter_pending || !kn_rp_desired_isr(r, rp, now, want, &n))
            continue;
        Kanal__Control__AlterIsrPartition *ap = kn_malloc(sizeof(*ap));
        kanal__control__alter_isr_partition__init(ap);
        ap->topic = kn_strdup(rp->topic);
        ap->partition = rp->partition;
        ap->leader_epoch = rp->leader_epoch;
        ap->zk_version = rp->zk_version;
        ap->n_new_isr = (size_t)n;
        ap->new_isr = kn_malloc(sizeof(int32_t) * (size_t)KN_MAX(n, 1));
        memcpy(ap->new_isr, want, sizeof(int32_t) * (size_t)n);
        if (nparts == cap) {
            cap = cap ? cap * 2 : 16;
            parts = kn_realloc(parts, cap * sizeof(*parts));
        }
        parts[nparts++] = ap;
        rp->alter_pending = true;
        rp->n_pending_isr = n;
        memcpy(rp->pending_isr, want, sizeof(int32_t) * (size_t)n);
        kn_log_info(LOGC, "%s-%d: proposing ISR of %d replica(s) (was %d, leader epoch %d)",
                    rp->topic, rp->partition, n, rp->n_isr, rp->leader_epoch);
    }
    if (nparts > 0) {
        r->alter_inflight = true;
        r->alter_sent_ms = now;
    }
    pthread_mutex_unlock(&r->lock);
    if (nparts == 0)
        return;

    Kanal__Control__AlterIsr ai = KANAL__CONTROL__ALTER_ISR__INIT;
    Kanal__Control__KnControl msg = KANAL__CONTROL__KN_CONTROL__INIT;
    ai.broker_id = r->self;
    ai.broker_epoch = kn_cluster_broker_epoch(r->b->cluster);
    ai.n_partitions = nparts;
    ai.partitions = parts;
    msg.body_case = KANAL__CONTROL__KN_CONTROL__BODY_ALTER_ISR;
    msg.alter_isr = &ai;
    if (kn_cluster_send_control(r->b->cluster, &msg) != KN_OK) {
        /* No controller session right now: forget the proposal, the next
         * pass makes it again. */
        pthread_mutex_lock(&r->lock);
        r->alter_inflight = false;
        for (kn_rp_t *rp = r->all; rp; rp = rp->all_next)
            rp->alter_pending = false;
        pthread_mutex_unlock(&r->lock);
    }
    for (size_t i = 0; i < nparts; i++) {
        free(parts[i]->topic);
        free(parts[i]->new_isr);
        free(parts[i]);
    }
    free(parts);
}

void kn_repl_on_alter_isr_response(kn_repl_t *r, const Kanal__Control__AlterIsrResponse *resp)
{
    if (r == NULL || resp == NULL)
        return;
    if (resp->error_code != 0)
        kn_log_warn(LOGC, "AlterIsr refused: %s", kn_err_name(resp->error_code));
    for (size_t i = 0; i < resp->n_errors; i++) {
        const Kanal__Control__PartitionError *e = resp->errors[i];
        kn_log_ratelimited(KN_LOG_WARN, LOGC, "alterisr-error", 5000,
                           "AlterIsr for %s-%d refused: %s", e->topic ? e->topic : "?",
                           e->partition, kn_err_name(e->error_code));
    }
    /* Topic-partitions whose HW moved, to notify after unlocking. */
    char **wake = kn_calloc(resp->n_partitions + 1, sizeof(char *));
    int32_t *wake_p = kn_calloc(resp->n_partitions + 1, sizeof(int32_t));
    size_t nwake = 0;

    pthread_mutex_lock(&r->lock);
    for (size_t i = 0; i < resp->n_partitions; i++) {
        const Kanal__Control__PartitionState *ps = resp->partitions[i];
        kn_rp_t *rp = ps->topic ? kn_rp_find(r, ps->topic, ps->partition) : NULL;
        if (rp == NULL || !rp->leader || ps->leader != r->self ||
            ps->leader_epoch != rp->leader_epoch)
            continue;   /* a LeaderAndIsr overtook the answer */
        rp->n_isr = (int)KN_MIN(ps->n_isr, (size_t)KN_RP_MAX_REPLICAS);
        memcpy(rp->isr, ps->isr, (size_t)rp->n_isr * sizeof(int32_t));
        rp->zk_version = ps->zk_version;
        rp->alter_pending = false;
        kn_log_info(LOGC, "%s-%d: ISR now has %d replica(s) (state version %d)", rp->topic,
                    rp->partition, rp->n_isr, rp->zk_version);
        if (kn_rp_update_hw(r, rp)) {
            wake[nwake] = kn_strdup(rp->topic);
            wake_p[nwake++] = rp->partition;
        }
    }
    /* One AlterIsr in flight at a time: whatever it asked is settled. */
    r->alter_inflight = false;
    for (kn_rp_t *rp = r->all; rp; rp = rp->all_next)
        rp->alter_pending = false;
    pthread_mutex_unlock(&r->lock);
    for (size_t i = 0; i < nwake; i++) {
        kn_delayed_notify_tp(wake[i], wake_p[i]);
        free(wake[i]);
    }
    free(wake);
    free(wake_p);
}

/* ---- data path ------------------------------------------------------------ */

kn_err_t kn_repl_follower_fetch(kn_repl_t *r, const char *topic, int32_t partition,
                                int32_t follower, int64_t fetch_offset)
{
    if (r == NULL)
        return KN_ERR_NOT_LEADER_OR_FOLLOWER;
    int64_t now = kn_mono_ms();
    pthread_mutex_lock(&r->lock);
    kn_rp_t *rp = kn_rp_find(r, topic, partition);
    kn_rp_follower_t *f = rp && rp->leader ? kn_rp_follower(rp, follower) : NULL;
    if (f == NULL) {
        pthread_mutex_unlock(&r->lock);
        return KN_ERR_NOT_LEADER_OR_FOLLOWER;
    }
    int64_t leo = kn_log_end_offset(rp->log);
    /* Kafka's caught-up rule: a fetch from our log end means the follower
     * had everything at this moment; a fetch from at least where our log
     * ended at its previous fetch means it had everything back then. */
    if (fetch_offset >= leo)
        f->last_caught_up_ms = KN_MAX(f->last_caught_up_ms, now);
    else if (f->last_fetch_leader_leo >= 0 && fetch_offset >= f->last_fetch_leader_leo)
        f->last_caught_up_ms = KN_MAX(f->last_caught_up_ms, f->last_fetch_ms);
    f->last_fetch_leader_leo = leo;
    f->last_fetch_ms = now;
    if (fetch_offset <= leo)
        f->leo = fetch_offset;   /* beyond our end: it must truncate first */
    bool advanced = kn_rp_update_hw(r, rp);
    int64_t hw = kn_log_high_watermark(rp->log);
    bool expand = !kn_ids_has(rp->isr, rp->n_isr, follower) && !rp->alter_pending &&
                  f->leo >= hw && f->leo >= rp->epoch_start_offset;
    if (expand)
        kn_repl_queue_isr_work(r);
    pthread_mutex_unlock(&r->lock);
    if (advanced)
        kn_delayed_notify_tp(topic, partition);
    return KN_ERR_NONE;
}

void kn_repl_leader_appended(kn_repl_t *r, const char *topic, int32_t partition)
{
    if (r == NULL)
        return;
    pthread_mutex_lock(&r->lock);
    kn_rp_t *rp = kn_rp_find(r, topic, partition);
    bool advanced = rp != NULL && rp->leader && kn_rp_update_hw(r, rp);
    pthread_mutex_unlock(&r->lock);
    if (advanced)
        kn_delayed_notify_tp(topic, partition);
}

kn_err_t kn_repl_isr_info(kn_repl_t *r, const char *topic, int32_t partition, int *isr_size,
                          int *min_isr)
{
    if (r == NULL)
        return KN_ERR_NOT_LEADER_OR_FOLLOWER;
    pthread_mutex_lock(&r->lock);
    kn_rp_t *rp = kn_rp_find(r, topic, partition);
    kn_err_t err = KN_ERR_NOT_LEADER_OR_FOLLOWER;
    if (rp != NULL && rp->leader) {
        *isr_size = rp->n_isr;
        *min_isr = rp->min_isr;
        err = KN_ERR_NONE;
    }
    pthread_mutex_unlock(&r->lock);
    return err;
}

int kn_repl_check_ack(kn_repl_t *r, const char *topic, int32_t partition,
                      int64_t required_offset, kn_err_t *err)
{
    int rc = KN_OK;
    *err = KN_ERR_NOT_LEADER_OR_FOLLOWER;
    if (r == NULL)
        return KN_OK;
    pthread_mutex_lock(&r->lock);
    kn_rp_t *rp = kn_rp_find(r, topic, partition);
    if (rp != NULL && rp->leader) {
        if (kn_log_high_watermark(rp->log) >= required_offset) {
            *err = rp->n_isr < rp->min_isr ? KN_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND
                                           : KN_ERR_NONE;
        } else {
            rc = KN_AGAIN;
        }
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

kn_err_t kn_repl_epoch_end(kn_log_t *log, int32_t current_epoch, int32_t epoch,
                           int32_t *end_epoch, int64_t *end_offset)
{
    int32_t latest = kn_log_latest_epoch(log);
    if (latest < current_epoch && epoch >= latest && epoch <= current_epoch) {
        /* Our current term has no batch yet: it starts at the log end. */
        *end_epoch = epoch == current_epoch ? current_epoch : latest;
        *end_offset = kn_log_end_offset(log);
        return KN_ERR_NONE;
    }
    return kn_log_epoch_end_offset(log, epoch, end_epoch, end_offset);
}

int kn_repl_info(kn_repl_t *r, const char *topic, int32_t partition, kn_repl_info_t *out)
{
    memset(out, 0, sizeof(*out));
    if (r == NULL)
        return KN_ERROR;
    pthread_mutex_lock(&r->lock);
    kn_rp_t *rp = kn_rp_find(r, topic, partition);
    if (rp != NULL) {
        out->leader = rp->leader;
        out->leader_epoch = rp->leader_epoch;
        out->n_isr = KN_MIN(rp->n_isr, (int)KN_ARRAY_LEN(out->isr));
        memcpy(out->isr, rp->isr, (size_t)out->n_isr * sizeof(int32_t));
        out->high_watermark = kn_log_high_watermark(rp->log);
        out->log_end = kn_log_end_offset(rp->log);
    }
    pthread_mutex_unlock(&r->lock);
    return rp != NULL ? KN_OK : KN_ERROR;
}

void kn_repl_counts(kn_repl_t *r, int *leading, int *following)
{
    pthread_mutex_lock(&r->lock);
    *leading = r->n_leading;
    *following = r->n_following;
    pthread_mutex_unlock(&r->lock);
}
