/*
 * broker/cluster/replicas.c -- the replica manager: which partitions this
 * broker hosts, as leader or follower, with which leader epoch.
 *
 * Only the controller decides: a partition is served after a LeaderAndIsr
 * naming this broker, and stops being served on StopReplica (or a
 * LeaderAndIsr that no longer lists us). A log directory found on disk at
 * start-up is NOT served until then, so a broker that was down while the
 * controller moved leadership cannot take writes for a partition it no
 * longer leads.
 *
 * The table is a fixed array of hash buckets under one mutex: lookups are a
 * few string compares and happen once per partition per Produce/Fetch, so
 * a finer lock would buy nothing measurable. A lookup hands out its own
 * reference on the kn_log_t (the storage engine counts references), which
 * keeps the log object valid even if a StopReplica removes the entry and
 * deletes the partition meanwhile.
 *
 * Follower replication (fetching from the leader) is a later piece of
 * work: a follower entry records the leader and epoch and serves nothing
 * to clients.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/cluster/cluster_int.h"
#include "broker/log/log.h"
#include "broker/replica/replica.h"
#include "log.h"

#define LOGC "broker.replica"
#define KN_REPLICA_BUCKETS 1024

struct kn_replica_s {
    kn_replica_t *next;          /* bucket chain */
    char         *topic;
    int32_t       partition;
    kn_log_t     *log;           /* the manager's own reference */
    bool          leader;
    int32_t       leader_id;
    int32_t       leader_epoch;
    int32_t       zk_version;
};

/* The bucket array, allocated on first use. */
static kn_replica_t **buckets(kn_cluster_t *c)
{
    if (c->replicas == NULL)
        c->replicas = kn_calloc(KN_REPLICA_BUCKETS, sizeof(kn_replica_t *));
    return c->replicas;
}

static unsigned bucket_of(const char *topic, int32_t partition)
{
    uint32_t h = 2166136261u;   /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)topic; *p; p++)
        h = (h ^ *p) * 16777619u;
    h = (h ^ (uint32_t)partition) * 16777619u;
    return h % KN_REPLICA_BUCKETS;
}

/* Caller holds rep_lock. */
static kn_replica_t **find_slot(kn_cluster_t *c, const char *topic, int32_t partition)
{
    kn_replica_t **slot = &buckets(c)[bucket_of(topic, partition)];
    for (; *slot; slot = &(*slot)->next)
        if ((*slot)->partition == partition && strcmp((*slot)->topic, topic) == 0)
            return slot;
    return slot;
}

static void replica_free(kn_replica_t *r)
{
    if (r->log)
        kn_log_release(r->log);
    free(r->topic);
    free(r);
}

/* ---- topic overrides ---------------------------------------------------- */

static bool parse_i64(const char *s, int64_t *out)
{
    char *end;
    if (s == NULL || *s == '\0')
        return false;
    long long v = strtoll(s, &end, 10);
    if (*end != '\0')
        return false;
    *out = v;
    return true;
}

/* Apply the per-topic overrides of /config/topics/<t> ("config" object,
 * string values) to a log config. Unknown keys are left to the config
 * validation at creation time; here they are ignored. */
static void apply_overrides(kn_log_config_t *lc, json_t *config)
{
    const char *k;
    json_t *v;
    json_object_foreach(config, k, v) {
        const char *s = json_string_value(v);
        int64_t n;
        if (s == NULL)
            continue;
        if (strcmp(k, "cleanup.policy") == 0) {
            lc->cleanup_delete = strstr(s, "delete") != NULL;
            lc->cleanup_compact = strstr(s, "compact") != NULL;
        } else if (strcmp(k, "message.timestamp.type") == 0) {
            lc->log_append_time = strcmp(s, "LogAppendTime") == 0;
        } else if (!parse_i64(s, &n)) {
            continue;
        } else if (strcmp(k, "segment.bytes") == 0) {
            lc->segment_bytes = n;
        } else if (strcmp(k, "segment.ms") == 0) {
            lc->segment_ms = n;
        } else if (strcmp(k, "retention.ms") == 0) {
            lc->retention_ms = n;
        } else if (strcmp(k, "retention.bytes") == 0) {
            lc->retention_bytes = n;
        } else if (strcmp(k, "index.interval.bytes") == 0) {
            lc->index_interval_bytes = (int32_t)n;
        } else if (strcmp(k, "segment.index.bytes") == 0) {
            lc->segment_index_bytes = (int32_t)n;
        } else if (strcmp(k, "flush.messages") == 0) {
            lc->flush_messages = n;
        } else if (strcmp(k, "flush.ms") == 0) {
            lc->flush_ms = n;
        } else if (strcmp(k, "max.message.bytes") == 0) {
            lc->max_message_bytes = (int32_t)n;
        } else if (strcmp(k, "file.delete.delay.ms") == 0) {
            lc->file_delete_delay_ms = n;
        }
    }
}

/* Overrides from ZooKeeper for a log being opened (main thread). */
static void load_topic_config(kn_cluster_t *c, kn_log_t *log, const char *topic)
{
    if (c->zk == NULL)
        return;
    char path[512];
    snprintf(path, sizeof(path), "/config/topics/%s", topic);
    json_t *j = NULL;
    if (kn_zk_get_json(c->zk, path, &j, NULL, NULL, NULL) != ZOK || j == NULL)
        return;
    json_t *config = json_object_get(j, "config");
    if (json_is_object(config) && json_object_size(config) > 0) {
        kn_log_config_t lc;
        kn_log_get_config(log, &lc);
        apply_overrides(&lc, config);
        kn_log_set_config(log, &lc);
    }
    json_decref(j);
}

/* min.insync.replicas of a topic: its /config/topics override, else 0
 * (the replica manager then uses the broker default). Main thread. */
static int32_t topic_min_isr(kn_cluster_t *c, const char *topic)
{
    if (c->zk == NULL)
        return 0;
    char path[512];
    snprintf(path, sizeof(path), "/config/topics/%s", topic);
    json_t *j = NULL;
    if (kn_zk_get_json(c->zk, path, &j, NULL, NULL, NULL) != ZOK || j == NULL)
        return 0;
    int64_t n = 0;
    const char *s = json_string_value(json_object_get(json_object_get(j, "config"),
                                                      "min.insync.replicas"));
    if (!parse_i64(s, &n) || n < 1 || n > INT32_MAX)
        n = 0;
    json_decref(j);
    return (int32_t)n;
}

/* Hand the state to replication (broker/replica): leader bookkeeping
 * (follower positions, high watermark, ISR) or a fetcher from the leader. */
static void repl_apply(kn_cluster_t *c, const Kanal__Control__PartitionState *ps, kn_log_t *log)
{
    if (c->b == NULL || c->b->repl == NULL || log == NULL)
        return;
    kn_repl_state_t st;
    memset(&st, 0, sizeof(st));
    st.topic = ps->topic;
    st.partition = ps->partition;
    st.log = log;
    st.leader = ps->leader;
    st.leader_epoch = ps->leader_epoch;
    st.zk_version = ps->zk_version;
    st.isr = ps->isr;
    st.n_isr = (int)KN_MIN(ps->n_isr, (size_t)INT32_MAX);
    st.replicas = ps->replicas;
    st.n_replicas = (int)KN_MIN(ps->n_replicas, (size_t)INT32_MAX);
    st.min_isr = ps->leader == c->broker_id ? topic_min_isr(c, ps->topic) : 0;
    kn_repl_apply(c->b->repl, &st);
}

/* ---- controller-driven changes (main thread) ---------------------------- */

kn_err_t kn_replicas_become(kn_cluster_t *c, const Kanal__Control__PartitionState *ps,
                            int32_t controller_epoch)
{
    if (ps->topic == NULL || kn_topic_name_check(ps->topic, strlen(ps->topic)) != KN_ERR_NONE ||
        ps->partition < 0)
        return KN_ERR_INVALID_TOPIC_EXCEPTION;

    pthread_mutex_lock(&c->rep_lock);
    kn_replica_t **slot = find_slot(c, ps->topic, ps->partition);
    kn_replica_t *r = *slot;
    if (r && ps->leader_epoch < r->leader_epoch) {
        pthread_mutex_unlock(&c->rep_lock);
        kn_log_warn(LOGC, "%s-%d: ignoring leader epoch %d older than %d (controller epoch %d)",
                    ps->topic, ps->partition, ps->leader_epoch, r->leader_epoch,
                    controller_epoch);
        return KN_ERR_STALE_CONTROLLER_EPOCH;
    }
    pthread_mutex_unlock(&c->rep_lock);

    /* Open (or create) the log outside the lock: it may touch the disk.
     * Only the main thread adds entries, so the slot cannot be taken by
     * someone else meanwhile. */
    kn_log_t *log = NULL;
    if (r == NULL) {
        if (c->b == NULL || c->b->logs == NULL)
            return KN_ERR_KAFKA_STORAGE_ERROR;
        kn_err_t err = kn_logmgr_create(c->b->logs, ps->topic, ps->partition, NULL, &log);
        if (err != KN_ERR_NONE) {
            kn_log_error(LOGC, "%s-%d: cannot open log: %s", ps->topic, ps->partition,
                         kn_err_name(err));
            return err;
        }
        load_topic_config(c, log, ps->topic);
    }

    bool leader = ps->leader == c->broker_id;
    pthread_mutex_lock(&c->rep_lock);
    slot = find_slot(c, ps->topic, ps->partition);
    r = *slot;
    if (r == NULL) {
        r = kn_calloc(1, sizeof(*r));
        r->topic = kn_strdup(ps->topic);
        r->partition = ps->partition;
        r->log = log;
        *slot = r;
    } else if (log) {
        kn_log_release(log);
    }
    bool changed = r->leader != leader || r->leader_epoch != ps->leader_epoch || r->log == log;
    r->leader = leader;
    r->leader_id = ps->leader;
    r->leader_epoch = ps->leader_epoch;
    r->zk_version = ps->zk_version;
    kn_log_t *rlog = kn_log_ref(r->log);
    pthread_mutex_unlock(&c->rep_lock);
    repl_apply(c, ps, rlog);
    kn_log_release(rlog);

    if (changed)
        kn_log_info(LOGC, "%s-%d: %s (leader %d, leader epoch %d)", ps->topic, ps->partition,
                    leader ? "leader" : "follower", ps->leader, ps->leader_epoch);
    return KN_ERR_NONE;
}

kn_err_t kn_replicas_stop(kn_cluster_t *c, const char *topic, int32_t partition,
                          int32_t leader_epoch, bool delete_log)
{
    if (topic == NULL)
        return KN_ERR_INVALID_TOPIC_EXCEPTION;
    pthread_mutex_lock(&c->rep_lock);
    kn_replica_t **slot = find_slot(c, topic, partition);
    kn_replica_t *r = *slot;
    /* -2 is Kafka's "delete regardless of epoch" sentinel; a lower epoch
     * than we know comes from a controller that missed a change. */
    if (r && leader_epoch >= 0 && leader_epoch < r->leader_epoch) {
        pthread_mutex_unlock(&c->rep_lock);
        return KN_ERR_FENCED_LEADER_EPOCH;
    }
    if (r)
        *slot = r->next;
    pthread_mutex_unlock(&c->rep_lock);

    if (r) {
        kn_log_info(LOGC, "%s-%d: stopped serving%s", topic, partition,
                    delete_log ? " and deleting" : "");
        replica_free(r);
        if (c->b != NULL)
            kn_repl_forget(c->b->repl, topic, partition);   /* broker/replica */
    }
    if (delete_log && c->b && c->b->logs) {
        kn_err_t err = kn_logmgr_delete(c->b->logs, topic, partition);
        if (err != KN_ERR_NONE && err != KN_ERR_UNKNOWN_TOPIC_OR_PARTITION)
            return err;
    }
    return KN_ERR_NONE;
}

void kn_replicas_free_all(kn_cluster_t *c)
{
    if (c->replicas == NULL)
        return;
    kn_replica_t **b = c->replicas;
    for (int i = 0; i < KN_REPLICA_BUCKETS; i++) {
        while (b[i]) {
            kn_replica_t *r = b[i];
            b[i] = r->next;
            replica_free(r);
        }
    }
    free(b);
    c->replicas = NULL;
}

/* ---- lookups (any thread) ------------------------------------------------ */

kn_err_t kn_cluster_partition_lookup(kn_cluster_t *c, const char *topic, int32_t partition,
                                     kn_partition_ref_t *out)
{
    memset(out, 0, sizeof(*out));
    out->leader_id = -1;
    out->leader_epoch = -1;
    if (c == NULL || topic == NULL)
        return KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;

    pthread_mutex_lock(&c->rep_lock);
    kn_replica_t *r = c->replicas ? *find_slot(c, topic, partition) : NULL;
    if (r) {
        out->log = kn_log_ref(r->log);
        out->leader = r->leader;
        out->leader_epoch = r->leader_epoch;
        out->leader_id = r->leader_id;
    }
    pthread_mutex_unlock(&c->rep_lock);
    if (r)
        return KN_ERR_NONE;

    /* Not hosted here: tell a known partition (go elsewhere) from an
     * unknown one (refresh metadata). */
    kn_md_t *md = kn_cluster_md_acquire(c);
    const kn_md_partition_t *p = kn_md_partition(kn_md_topic(md, topic), partition);
    kn_err_t err = KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (p) {
        out->leader_id = p->leader;
        out->leader_epoch = p->leader_epoch;
        err = KN_ERR_NOT_LEADER_OR_FOLLOWER;
    }
    kn_md_release(md);
    return err;
}

void kn_cluster_partition_release(kn_cluster_t *c, kn_partition_ref_t *ref)
{
    KN_UNUSED(c);
    if (ref && ref->log) {
        kn_log_release(ref->log);
        ref->log = NULL;
    }
}
