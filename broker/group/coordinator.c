/*
 * broker/group/coordinator.c -- the group coordinator object: which
 * __consumer_offsets partitions this broker leads, loading and unloading
 * their groups, writing records, and the main-loop timer behind every
 * time-based rule (sessions, rebalance deadlines, offset retention).
 *
 * Leadership is read from the replica manager (kn_cluster_partition_lookup)
 * rather than pushed to us: every group request checks it, and so does the
 * timer every 100 ms. A partition we lead but have not loaded is marked
 * LOADING (requests get COORDINATOR_LOAD_IN_PROGRESS) and the timer replays
 * it on the main loop, outside the lock; one we loaded but no longer lead,
 * or lead under a newer leader epoch (someone else may have written
 * meanwhile), is unloaded at once (NOT_COORDINATOR, parked requests
 * answered).
 *
 * Parked requests are woken through kn_delayed_notify(); the keys to
 * notify are queued while the lock is held and sent after it is released,
 * so a wake that runs inline (a loop already gone at shutdown) cannot
 * re-enter the lock.
 *
 * Durability is the replica manager's business (broker/replica): after an
 * append it is told, outside our lock for the same reason, and it moves
 * the high watermark once every in-sync replica has the records (at once
 * when the ISR is just us). A commit is acknowledged only when that high
 * watermark covers it, so the next leader of the partition -- always an
 * ISR member -- replays it. The coordinator never sets the high watermark
 * itself while a replica manager exists: the metadata cache's view of the
 * ISR may lag the leader's (an AlterIsr just granted), and trusting it
 * could acknowledge a commit that a new ISR member does not have yet.
 */
#include "config.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/cluster.h"
#include "broker/group/group_int.h"
#include "broker/log/log.h"
#include "broker/replica/replica.h"
#include "broker/server/delayed.h"
#include "common/config.h"
#include "log.h"

#define LOGC "group"
#define KN_GC_TICK_MS 100
#define KN_GC_LOAD_CHUNK (1024 * 1024)
#define KN_GC_CLEANUP_MS 60000    /* offsets.retention.check.interval.ms */
#define KN_GC_CREATE_RETRY_MS 5000

typedef enum { KN_GP_NONE = 0, KN_GP_LOADING, KN_GP_LOADED } kn_gpstate_t;

typedef struct {
    kn_gpstate_t st;
    int32_t      epoch;       /* leader epoch we loaded (or are loading) under */
} kn_gpart_t;

typedef struct {
    char   *key;              /* delayed-op key, or NULL for a partition wake */
    int32_t partition;        /* __consumer_offsets partition to notify */
    bool    appended;         /* tell the replica manager first (HW may move) */
} kn_gwake_t;

struct kn_gcoord_s {
    kn_broker_t     *b;
    pthread_mutex_t  mu;
    kn_gconf_t       conf;
    kn_gtable_t      groups;
    kn_gpart_t      *parts;
    int32_t          n_parts;
    int32_t          cfg_partitions;   /* offsets.topic.num.partitions */
    int16_t          cfg_rf;           /* offsets.topic.replication.factor */
    int64_t          segment_bytes;    /* offsets.topic.segment.bytes */
    int64_t          retention_ms;     /* offsets.retention.minutes */
    int64_t          next_cleanup;     /* monotonic ms */
    int64_t          last_create;      /* monotonic ms of the last creation attempt */
    struct event    *timer;
    kn_gwake_t      *wakes;
    int              n_wakes, cap_wakes;
};

static kn_gcoord_t *kn_gc_global;

kn_gcoord_t *kn_gc(void)
{
    return kn_gc_global;
}

void kn_gc_lock(kn_gcoord_t *gc)
{
    pthread_mutex_lock(&gc->mu);
}

static void kn_gc_queue_wake(kn_gcoord_t *gc, const char *key, int32_t partition, bool appended)
{
    if (gc->n_wakes == gc->cap_wakes) {
        gc->cap_wakes = gc->cap_wakes ? gc->cap_wakes * 2 : 16;
        gc->wakes = kn_realloc(gc->wakes, (size_t)gc->cap_wakes * sizeof(*gc->wakes));
    }
    gc->wakes[gc->n_wakes].key = key ? kn_strdup(key) : NULL;
    gc->wakes[gc->n_wakes].partition = partition;
    gc->wakes[gc->n_wakes].appended = appended;
    gc->n_wakes++;
}

void kn_gc_unlock(kn_gcoord_t *gc)
{
    kn_gwake_t *wakes = gc->wakes;
    int n = gc->n_wakes;
    kn_repl_t *repl = gc->b->repl;
    gc->wakes = NULL;
    gc->n_wakes = gc->cap_wakes = 0;
    pthread_mutex_unlock(&gc->mu);
    for (int i = 0; i < n; i++) {
        if (wakes[i].key != NULL) {
            kn_delayed_notify(wakes[i].key);
            free(wakes[i].key);
            continue;
        }
        if (wakes[i].appended && repl != NULL) {
            /* Recomputes the HW; notifies the partition if it moved. */
            kn_repl_leader_appended(repl, KN_GROUP_OFFSETS_TOPIC, wakes[i].partition);
        }
        kn_delayed_notify_tp(KN_GROUP_OFFSETS_TOPIC, wakes[i].partition);
    }
    free(wakes);
}

void kn_gc_wake(kn_gwaiter_t *w)
{
    if (kn_gc_global != NULL && w->ud != NULL) {
        kn_gc_queue_wake(kn_gc_global, (const char *)w->ud, -1, false);
    }
}

kn_broker_t *kn_gc_broker(kn_gcoord_t *gc)
{
    return gc->b;
}

const kn_gconf_t *kn_gc_conf(kn_gcoord_t *gc)
{
    return &gc->conf;
}

kn_gtable_t *kn_gc_groups(kn_gcoord_t *gc)
{
    return &gc->groups;
}

/* ---- partitions ------------------------------------------------------------------ */

/* The offsets topic's partition count: the real topic's, else the config. */
static int32_t kn_gc_topic_partitions(kn_gcoord_t *gc, bool *exists)
{
    int32_t n = gc->cfg_partitions;
    *exists = false;
    if (gc->b->cluster != NULL) {
        kn_md_t *md = kn_cluster_md_acquire(gc->b->cluster);
        const kn_md_topic_t *t = kn_md_topic(md, KN_GROUP_OFFSETS_TOPIC);
        if (t != NULL && t->n_partitions > 0) {
            n = t->n_partitions;
            *exists = true;
        }
        kn_md_release(md);
    }
    return n;
}

static void kn_gc_grow_parts(kn_gcoord_t *gc, int32_t n)
{
    if (n <= gc->n_parts) {
        return;
    }
    gc->parts = kn_realloc(gc->parts, (size_t)n * sizeof(*gc->parts));
    memset(gc->parts + gc->n_parts, 0, (size_t)(n - gc->n_parts) * sizeof(*gc->parts));
    gc->n_parts = n;
}

/* Drop every group of partition p (we stopped leading it). */
static void kn_gc_unload(kn_gcoord_t *gc, int32_t p)
{
    int dropped = 0;
    for (int i = 0; i < KN_GTABLE_BUCKETS; i++) {
        kn_group_t **pp = &gc->groups.buckets[i];
        while (*pp != NULL) {
            kn_group_t *g = *pp;
            if (g->partition == p) {
                *pp = g->next;
                gc->groups.count--;
                kn_group_free(g, KN_ERR_NOT_COORDINATOR);
                dropped++;
            } else {
                pp = &g->next;
            }
        }
    }
    if (gc->parts[p].st == KN_GP_LOADED) {
        kn_log_info(LOGC, "%s-%d: no longer leader, unloaded %d groups", KN_GROUP_OFFSETS_TOPIC,
                    (int)p, dropped);
    }
    gc->parts[p].st = KN_GP_NONE;
    gc->parts[p].epoch = -1;
}

/* Compare partition p's state with its leadership now; returns the state
 * after the transition (lock held). */
static kn_gpstate_t kn_gc_refresh(kn_gcoord_t *gc, int32_t p)
{
    kn_partition_ref_t ref;
    kn_gpart_t *st = &gc->parts[p];
    if (gc->b->cluster == NULL) {
        return st->st;
    }
    kn_err_t err = kn_cluster_partition_lookup(gc->b->cluster, KN_GROUP_OFFSETS_TOPIC, p, &ref);
    bool leader = err == KN_ERR_NONE && ref.leader;
    int32_t epoch = ref.leader_epoch;
    if (err == KN_ERR_NONE) {
        kn_cluster_partition_release(gc->b->cluster, &ref);
    }
    if (!leader) {
        if (st->st != KN_GP_NONE) {
            kn_gc_unload(gc, p);
        }
        return KN_GP_NONE;
    }
    if (st->st != KN_GP_NONE && st->epoch != epoch) {
        kn_gc_unload(gc, p);
    }
    if (st->st == KN_GP_NONE) {
        st->st = KN_GP_LOADING;
        st->epoch = epoch;
    }
    return st->st;
}

kn_err_t kn_gc_check(kn_gcoord_t *gc, const char *group, size_t len, int32_t *partition)
{
    bool exists;
    int32_t n = kn_gc_topic_partitions(gc, &exists);
    if (!exists) {
        return KN_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    kn_gc_grow_parts(gc, n);
    int32_t p = kn_group_partition_for(group, len, n);
    *partition = p;
    switch (kn_gc_refresh(gc, p)) {
    case KN_GP_LOADED: return KN_ERR_NONE;
    case KN_GP_LOADING: return KN_ERR_COORDINATOR_LOAD_IN_PROGRESS;
    default: return KN_ERR_NOT_COORDINATOR;
    }
}

kn_group_t *kn_gc_lookup(kn_gcoord_t *gc, kn_slice_t id, bool empty_ok, bool create,
                         kn_err_t *err, int32_t *partition)
{
    int32_t p = -1;
    if (partition != NULL) {
        *partition = -1;
    }
    if (id.len < 0 || (id.len == 0 && !empty_ok)) {
        *err = KN_ERR_INVALID_GROUP_ID;
        return NULL;
    }
    const char *s = id.len > 0 ? (const char *)id.ptr : "";
    *err = kn_gc_check(gc, s, (size_t)id.len, &p);
    if (partition != NULL) {
        *partition = p;
    }
    if (*err != KN_ERR_NONE) {
        return NULL;
    }
    return create ? kn_gtable_get(&gc->groups, s, (size_t)id.len, p)
                  : kn_gtable_find(&gc->groups, s, (size_t)id.len);
}

/* Replay partition p into the groups table (main thread; takes and drops
 * the lock itself; called with the lock held). */
static void kn_gc_load(kn_gcoord_t *gc, int32_t p)
{
    kn_partition_ref_t ref;
    int32_t epoch = gc->parts[p].epoch;
    if (kn_cluster_partition_lookup(gc->b->cluster, KN_GROUP_OFFSETS_TOPIC, p, &ref) != KN_ERR_NONE) {
        kn_gc_unload(gc, p);
        return;
    }
    pthread_mutex_unlock(&gc->mu);

    int64_t t0 = kn_mono_ms();
    kn_gtable_t *tmp = kn_calloc(1, sizeof(*tmp));
    kn_wbuf_t buf;
    kn_wbuf_init(&buf, 64 * 1024);
    int64_t off = kn_log_start_offset(ref.log);
    int64_t end = kn_log_end_offset(ref.log);
    int64_t records = 0;
    bool ok = true;
    while (off < end) {
        int64_t next = off;
        kn_wbuf_reset(&buf);
        kn_err_t err = kn_log_read_copy(ref.log, off, KN_GC_LOAD_CHUNK, -1, true, &buf, &next);
        if (err != KN_ERR_NONE) {
            kn_log_error(LOGC, "%s-%d: loading failed at offset %lld: %s", KN_GROUP_OFFSETS_TOPIC,
                         (int)p, (long long)off, kn_err_name(err));
            ok = false;
            break;
        }
        if (buf.len == 0 || next <= off) {
            break;
        }
        int64_t n = kn_grec_apply_batches(tmp, p, buf.data, buf.len, kn_mono_ms());
        if (n < 0) {
            kn_log_error(LOGC, "%s-%d: corrupt batch near offset %lld; loaded what preceded it",
                         KN_GROUP_OFFSETS_TOPIC, (int)p, (long long)off);
            break;
        }
        records += n;
        off = next;
    }
    kn_wbuf_free(&buf);
    kn_cluster_partition_release(gc->b->cluster, &ref);

    pthread_mutex_lock(&gc->mu);
    bool current = gc->parts[p].st == KN_GP_LOADING && gc->parts[p].epoch == epoch;
    int groups = 0;
    for (int i = 0; i < KN_GTABLE_BUCKETS; i++) {
        while (tmp->buckets[i] != NULL) {
            kn_group_t *g = tmp->buckets[i];
            tmp->buckets[i] = g->next;
            g->next = NULL;
            if (!current || !ok) {
                kn_group_free(g, KN_ERR_NOT_COORDINATOR);
                continue;
            }
            kn_group_t *old = kn_gtable_find(&gc->groups, g->id, strlen(g->id));
            if (old != NULL) {
                kn_gtable_remove(&gc->groups, old);
                kn_group_free(old, KN_ERR_NOT_COORDINATOR);
            }
            kn_gtable_insert(&gc->groups, g);
            groups++;
        }
    }
    free(tmp);
    if (current && ok) {
        gc->parts[p].st = KN_GP_LOADED;
        kn_log_info(LOGC, "%s-%d: loaded %d groups from %lld records in %lld ms (leader epoch %d)",
                    KN_GROUP_OFFSETS_TOPIC, (int)p, groups, (long long)records,
                    (long long)(kn_mono_ms() - t0), (int)epoch);
    } else if (current) {
        gc->parts[p].st = KN_GP_NONE;   /* retried by the next tick */
    }
}

/* ---- writing ----------------------------------------------------------------------- */

/* Without a replica manager (unit tests, a broker built without
 * replication): is this broker the partition's only in-sync replica, so
 * that the high watermark may follow our log end? */
static bool kn_gc_sole_isr(kn_gcoord_t *gc, int32_t p)
{
    bool sole = true;
    kn_md_t *md = kn_cluster_md_acquire(gc->b->cluster);
    const kn_md_partition_t *mp = kn_md_partition(kn_md_topic(md, KN_GROUP_OFFSETS_TOPIC), p);
    if (mp != NULL) {
        sole = mp->n_isr == 1 && mp->isr[0] == gc->b->id;
    }
    kn_md_release(md);
    return sole;
}

kn_err_t kn_gc_append(kn_gcoord_t *gc, int32_t partition, const kn_record_in_t *recs, size_t n,
                      int64_t *end, kn_log_t **log)
{
    kn_partition_ref_t ref;
    *end = -1;
    if (log != NULL) {
        *log = NULL;
    }
    if (n == 0) {
        return KN_ERR_NONE;
    }
    if (gc->b->cluster == NULL) {
        return KN_ERR_NOT_COORDINATOR;
    }
    kn_err_t err = kn_cluster_partition_lookup(gc->b->cluster, KN_GROUP_OFFSETS_TOPIC, partition, &ref);
    if (err != KN_ERR_NONE || !ref.leader) {
        if (err == KN_ERR_NONE) {
            kn_cluster_partition_release(gc->b->cluster, &ref);
        }
        return err == KN_ERR_UNKNOWN_TOPIC_OR_PARTITION ? KN_ERR_COORDINATOR_NOT_AVAILABLE
                                                        : KN_ERR_NOT_COORDINATOR;
    }
    kn_repl_t *repl = gc->b->repl;
    if (repl != NULL) {
        /* Kafka writes the offsets topic with acks=all: refuse up front
         * when the ISR is below min.insync.replicas, as Produce does. */
        int isr = 0, min_isr = 1;
        err = kn_repl_isr_info(repl, KN_GROUP_OFFSETS_TOPIC, partition, &isr, &min_isr);
        if (err == KN_ERR_NONE && isr < min_isr) {
            err = KN_ERR_NOT_ENOUGH_REPLICAS;
        }
    }
    kn_wbuf_t w;
    kn_batch_build_opts_t o;
    kn_wbuf_init(&w, 256);
    kn_batch_build_opts_init(&o);
    kn_log_append_result_t res;
    if (err != KN_ERR_NONE) {
        /* refused above */
    } else if (kn_batch_build(&w, &o, recs, n) != KN_OK) {
        err = KN_ERR_UNKNOWN_SERVER_ERROR;
    } else {
        err = kn_log_append(ref.log, w.data, w.len, KN_LOG_APPEND_LEADER, ref.leader_epoch, &res);
    }
    kn_wbuf_free(&w);
    if (err == KN_ERR_NONE) {
        *end = res.last_offset + 1;
        if (repl == NULL && kn_gc_sole_isr(gc, partition) && kn_log_high_watermark(ref.log) < *end) {
            kn_log_set_high_watermark(ref.log, *end);
        }
        if (log != NULL) {
            *log = kn_log_ref(ref.log);
        }
        /* The replica manager recomputes the HW; followers and consumers
         * of the topic long-poll on it. */
        kn_gc_queue_wake(gc, NULL, partition, true);
    } else {
        kn_log_ratelimited(KN_LOG_WARN, LOGC, "group.append", 5000, "%s-%d: append failed: %s",
                           KN_GROUP_OFFSETS_TOPIC, (int)partition, kn_err_name(err));
        /* Kafka's mapping of storage errors for the group APIs. */
        switch (err) {
        case KN_ERR_UNKNOWN_TOPIC_OR_PARTITION:
        case KN_ERR_NOT_ENOUGH_REPLICAS:
        case KN_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
        case KN_ERR_REQUEST_TIMED_OUT:
            err = KN_ERR_COORDINATOR_NOT_AVAILABLE;
            break;
        case KN_ERR_NOT_LEADER_OR_FOLLOWER:
        case KN_ERR_KAFKA_STORAGE_ERROR:
            err = KN_ERR_NOT_COORDINATOR;
            break;
        default:
            break;
        }
    }
    kn_cluster_partition_release(gc->b->cluster, &ref);
    return err;
}

int kn_gc_durable(kn_gcoord_t *gc, int32_t partition, kn_log_t *log, int64_t end, kn_err_t *err)
{
    *err = KN_ERR_NONE;
    if (gc->b->repl != NULL) {
        if (kn_repl_check_ack(gc->b->repl, KN_GROUP_OFFSETS_TOPIC, partition, end, err) != KN_OK) {
            return KN_AGAIN;
        }
        /* Kafka's mapping of the append errors for the group APIs. */
        if (*err == KN_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND) {
            *err = KN_ERR_COORDINATOR_NOT_AVAILABLE;
        } else if (*err != KN_ERR_NONE) {
            *err = KN_ERR_NOT_COORDINATOR;
        }
        return KN_OK;
    }
    if (kn_log_high_watermark(log) >= end) {
        return KN_OK;
    }
    if (gc->b->cluster != NULL && kn_gc_sole_isr(gc, partition)) {
        int64_t leo = kn_log_end_offset(log);
        if (kn_log_high_watermark(log) < leo) {
            kn_log_set_high_watermark(log, leo);
        }
    }
    return kn_log_high_watermark(log) >= end ? KN_OK : KN_AGAIN;
}

/* Write g's metadata record (or its tombstone when value is false). */
static kn_err_t kn_gc_write_group(kn_gcoord_t *gc, kn_group_t *g, bool value)
{
    kn_wbuf_t k, v;
    kn_wbuf_init(&k, 64);
    kn_wbuf_init(&v, 256);
    kn_grec_group_key(&k, g->id);
    if (value) {
        kn_grec_group_value(&v, g);
    }
    kn_record_in_t rec = { k.data, k.len, value ? v.data : NULL, v.len, kn_now_ms(), 0 };
    int64_t end;
    kn_err_t err = kn_gc_append(gc, g->partition, &rec, 1, &end, NULL);
    kn_wbuf_free(&k);
    kn_wbuf_free(&v);
    return err;
}

void kn_gc_after(kn_gcoord_t *gc, kn_group_t *g)
{
    if (g->dirty) {
        g->dirty = false;
        kn_err_t err = kn_gc_write_group(gc, g, true);
        if (err != KN_ERR_NONE) {
            kn_log_warn(LOGC, "group %s: cannot store metadata (generation %d): %s", g->id,
                        (int)g->generation, kn_err_name(err));
        }
    }
}

/* Tombstones for the given offsets of g (all of them when n < 0), then
 * drop them from memory. */
static kn_err_t kn_gc_tombstone_offsets(kn_gcoord_t *gc, kn_group_t *g, const int *idx, int n)
{
    int count = n < 0 ? g->n_offsets : n;
    if (count == 0) {
        return KN_ERR_NONE;
    }
    kn_record_in_t *recs = kn_calloc((size_t)count, sizeof(*recs));
    kn_wbuf_t *keys = kn_calloc((size_t)count, sizeof(*keys));
    int64_t now = kn_now_ms();
    for (int i = 0; i < count; i++) {
        const kn_goffset_t *o = &g->offsets[n < 0 ? i : idx[i]];
        kn_wbuf_init(&keys[i], 64);
        kn_grec_offset_key(&keys[i], g->id, o->topic, o->partition);
        recs[i].key = keys[i].data;
        recs[i].key_len = keys[i].len;
        recs[i].timestamp = now;
    }
    int64_t end;
    kn_err_t err = kn_gc_append(gc, g->partition, recs, (size_t)count, &end, NULL);
    if (err == KN_ERR_NONE) {
        /* Remove from the highest index down so the swaps stay valid. */
        for (int i = count - 1; i >= 0; i--) {
            int j = n < 0 ? i : idx[i];
            kn_goffset_clear(&g->offsets[j]);
            g->offsets[j] = g->offsets[--g->n_offsets];
        }
    }
    for (int i = 0; i < count; i++) {
        kn_wbuf_free(&keys[i]);
    }
    free(keys);
    free(recs);
    return err;
}

kn_err_t kn_gc_delete_group(kn_gcoord_t *gc, kn_group_t *g)
{
    kn_err_t err = kn_gc_tombstone_offsets(gc, g, NULL, -1);
    if (err == KN_ERR_NONE) {
        err = kn_gc_write_group(gc, g, false);
    }
    if (err != KN_ERR_NONE) {
        return err;
    }
    g->state = KN_GS_DEAD;
    kn_gtable_remove(&gc->groups, g);
    kn_group_free(g, KN_ERR_COORDINATOR_NOT_AVAILABLE);
    return KN_ERR_NONE;
}

/* ---- retention --------------------------------------------------------------------- */

static int kn_gc_cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Kafka 2.1+ (KIP-211): offsets of an Empty group expire retention after
 * it became Empty (after their commit for groups without a protocol), an
 * explicit expire timestamp wins, and a live consumer group loses offsets
 * of topics none of its members subscribes to any more. An Empty group
 * left without offsets is removed. */
static void kn_gc_expire_group(kn_gcoord_t *gc, kn_group_t *g, int64_t now)
{
    int *idx = kn_calloc((size_t)KN_MAX(g->n_offsets, 1), sizeof(int));
    int n = 0;
    for (int i = 0; i < g->n_offsets; i++) {
        const kn_goffset_t *o = &g->offsets[i];
        bool expired;
        if (o->expire_ts >= 0) {
            expired = now >= o->expire_ts;
        } else if (g->state == KN_GS_EMPTY) {
            int64_t base = g->protocol_type != NULL ? g->state_ts : o->commit_ts;
            expired = now - base >= gc->retention_ms;
        } else if (g->state == KN_GS_STABLE) {
            expired = now - o->commit_ts >= gc->retention_ms && !kn_group_subscribed(g, o->topic);
        } else {
            expired = false;
        }
        if (expired) {
            idx[n++] = i;
        }
    }
    if (n > 0) {
        qsort(idx, (size_t)n, sizeof(int), kn_gc_cmp_int);
        if (kn_gc_tombstone_offsets(gc, g, idx, n) == KN_ERR_NONE) {
            kn_log_info(LOGC, "group %s: %d committed offsets expired", g->id, n);
        }
    }
    free(idx);
    if (g->state == KN_GS_EMPTY && g->n_offsets == 0 && g->n_pending == 0) {
        if (kn_gc_write_group(gc, g, false) == KN_ERR_NONE) {
            kn_log_info(LOGC, "group %s: empty without offsets, removed", g->id);
            g->state = KN_GS_DEAD;
            kn_gtable_remove(&gc->groups, g);
            kn_group_free(g, KN_ERR_COORDINATOR_NOT_AVAILABLE);
        }
    }
}

/* ---- the timer ------------------------------------------------------------------------ */

void kn_group_tick(void)
{
    kn_gcoord_t *gc = kn_gc_global;
    if (gc == NULL) {
        return;
    }
    kn_gc_lock(gc);
    bool exists;
    int32_t n = kn_gc_topic_partitions(gc, &exists);
    if (exists) {
        kn_gc_grow_parts(gc, n);
        for (int32_t p = 0; p < gc->n_parts; p++) {
            if (kn_gc_refresh(gc, p) == KN_GP_LOADING) {
                kn_gc_load(gc, p);
            }
        }
    }

    int64_t now = kn_mono_ms();
    bool cleanup = now >= gc->next_cleanup;
    if (cleanup) {
        gc->next_cleanup = now + KN_MIN(KN_GC_CLEANUP_MS, gc->retention_ms);
    }
    int64_t wall = kn_now_ms();
    for (int i = 0; i < KN_GTABLE_BUCKETS; i++) {
        kn_group_t *g = gc->groups.buckets[i];
        while (g != NULL) {
            kn_group_t *next = g->next;
            if (g->partition < gc->n_parts && gc->parts[g->partition].st == KN_GP_LOADED) {
                kn_group_timers(g, &gc->conf, now);
                kn_gc_after(gc, g);
                if (cleanup) {
                    kn_gc_expire_group(gc, g, wall);   /* may free g */
                }
            }
            g = next;
        }
    }
    kn_gc_unlock(gc);
}

static void kn_gc_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    KN_UNUSED(fd);
    KN_UNUSED(what);
    KN_UNUSED(arg);
    kn_group_tick();
}

/* ---- FindCoordinator ------------------------------------------------------------------ */

kn_err_t kn_gc_find(kn_gcoord_t *gc, const char *group, size_t len, int32_t *leader)
{
    *leader = -1;
    if (gc->b->cluster == NULL) {
        return KN_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    kn_md_t *md = kn_cluster_md_acquire(gc->b->cluster);
    const kn_md_topic_t *t = kn_md_topic(md, KN_GROUP_OFFSETS_TOPIC);
    kn_err_t err = KN_ERR_COORDINATOR_NOT_AVAILABLE;
    if (t == NULL || t->n_partitions <= 0) {
        /* Create the internal topic once enough brokers are alive to host
         * every replica; until then clients keep retrying. */
        bool create = false;
        if (md->n_brokers >= gc->cfg_rf) {
            pthread_mutex_lock(&gc->mu);
            int64_t now = kn_mono_ms();
            if (gc->last_create == 0 || now - gc->last_create >= KN_GC_CREATE_RETRY_MS) {
                gc->last_create = now;
                create = true;
            }
            pthread_mutex_unlock(&gc->mu);
        }
        if (create) {
            char seg[32];
            snprintf(seg, sizeof(seg), "%lld", (long long)gc->segment_bytes);
            const char *keys[] = { "cleanup.policy", "segment.bytes" };
            const char *vals[] = { "compact", seg };
            kn_log_info(LOGC, "creating %s (%d partitions, replication factor %d)",
                        KN_GROUP_OFFSETS_TOPIC, (int)gc->cfg_partitions, (int)gc->cfg_rf);
            kn_cluster_create_topic_async(gc->b->cluster, KN_GROUP_OFFSETS_TOPIC, gc->cfg_partitions,
                                          gc->cfg_rf, 2, keys, vals);
        }
    } else {
        int32_t p = kn_group_partition_for(group, len, t->n_partitions);
        const kn_md_partition_t *mp = kn_md_partition(t, p);
        if (mp != NULL && mp->leader >= 0 && kn_md_broker(md, mp->leader) != NULL) {
            *leader = mp->leader;
            err = KN_ERR_NONE;
        }
    }
    kn_md_release(md);
    return err;
}

/* ---- life cycle ---------------------------------------------------------------------- */

int kn_group_start(kn_broker_t *b)
{
    if (kn_gc_global != NULL) {
        return KN_ERROR;
    }
    kn_gcoord_t *gc = kn_calloc(1, sizeof(*gc));
    gc->b = b;
    pthread_mutex_init(&gc->mu, NULL);
    gc->conf.min_session_ms = (int32_t)kn_config_int(b->cfg, "group.min.session.timeout.ms");
    gc->conf.max_session_ms = (int32_t)kn_config_int(b->cfg, "group.max.session.timeout.ms");
    gc->conf.initial_delay_ms = (int32_t)kn_config_int(b->cfg, "group.initial.rebalance.delay.ms");
    gc->conf.max_size = (int32_t)kn_config_int(b->cfg, "group.max.size");
    gc->cfg_partitions = (int32_t)kn_config_int(b->cfg, "offsets.topic.num.partitions");
    gc->cfg_rf = (int16_t)kn_config_int(b->cfg, "offsets.topic.replication.factor");
    gc->segment_bytes = kn_config_int(b->cfg, "offsets.topic.segment.bytes");
    gc->retention_ms = kn_config_int(b->cfg, "offsets.retention.minutes") * 60000;
    if (gc->cfg_partitions <= 0) {
        gc->cfg_partitions = 50;
    }
    if (gc->cfg_rf <= 0) {
        gc->cfg_rf = 1;
    }
    if (gc->retention_ms <= 0) {
        gc->retention_ms = 7LL * 24 * 3600 * 1000;
    }
    gc->next_cleanup = kn_mono_ms() + KN_MIN(KN_GC_CLEANUP_MS, gc->retention_ms);
    if (b->main_base != NULL) {
        gc->timer = event_new(b->main_base, -1, EV_PERSIST, kn_gc_timer_cb, gc);
        struct timeval tv = { 0, KN_GC_TICK_MS * 1000 };
        if (gc->timer == NULL || event_add(gc->timer, &tv) != 0) {
            if (gc->timer != NULL) {
                event_free(gc->timer);
            }
            pthread_mutex_destroy(&gc->mu);
            free(gc);
            return KN_ERROR;
        }
    }
    kn_gc_global = gc;
    return KN_OK;
}

void kn_group_stop(kn_broker_t *b)
{
    kn_gcoord_t *gc = kn_gc_global;
    KN_UNUSED(b);
    if (gc == NULL) {
        return;
    }
    if (gc->timer != NULL) {
        event_free(gc->timer);
        gc->timer = NULL;
    }
    kn_gc_lock(gc);
    for (int i = 0; i < KN_GTABLE_BUCKETS; i++) {
        while (gc->groups.buckets[i] != NULL) {
            kn_group_t *g = gc->groups.buckets[i];
            gc->groups.buckets[i] = g->next;
            kn_group_free(g, KN_ERR_NOT_COORDINATOR);
        }
    }
    gc->groups.count = 0;
    kn_gc_unlock(gc);
    kn_gc_global = NULL;
    free(gc->parts);
    pthread_mutex_destroy(&gc->mu);
    free(gc);
}
