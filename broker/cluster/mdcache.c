/*
 * broker/cluster/mdcache.c -- the metadata cache as immutable snapshots.
 *
 * A kn_md_t is never modified once published: kn_md_apply_update() builds
 * a fresh deep copy with an UpdateMetadata applied, and the cluster swaps
 * the pointer under its rwlock (cluster.c). Readers take a reference with an
 * atomic increment and drop it when done, so a worker thread encoding a
 * Metadata response never blocks the main loop and never sees half an
 * update. Copying everything on each update costs O(partitions), which is
 * fine at the rate the controller sends updates.
 *
 * Kanal's controller always sends the whole picture (every partition with
 * a state, every live broker), so an update REPLACES the cache: a topic
 * not listed is gone, which also heals a broker that missed the update
 * naming a deleted topic while it was disconnected. deleted_topics is
 * honoured as well (a listed partition of a deleted topic is dropped).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/cluster/cluster.h"

static char *dup_or_null(const char *s)
{
    return (s && *s) ? kn_strdup(s) : NULL;
}

static int32_t *dup_i32(const int32_t *src, size_t n)
{
    if (n == 0)
        return NULL;
    int32_t *p = kn_malloc(sizeof(int32_t) * n);
    memcpy(p, src, sizeof(int32_t) * n);
    return p;
}

static void partition_free(kn_md_partition_t *p)
{
    free(p->replicas);
    free(p->isr);
    free(p->offline);
}

static void topic_free(kn_md_topic_t *t)
{
    for (int i = 0; i < t->n_partitions; i++)
        partition_free(&t->partitions[i]);
    free(t->partitions);
    free(t->name);
}

static void broker_free(kn_md_broker_t *b)
{
    for (int i = 0; i < b->n_endpoints; i++) {
        free(b->endpoints[i].listener);
        free(b->endpoints[i].host);
        free(b->endpoints[i].security);
    }
    free(b->endpoints);
    free(b->rack);
}

static void md_free(kn_md_t *md)
{
    for (int i = 0; i < md->n_topics; i++)
        topic_free(&md->topics[i]);
    free(md->topics);
    for (int i = 0; i < md->n_brokers; i++)
        broker_free(&md->brokers[i]);
    free(md->brokers);
    free(md->cluster_id);
    free(md);
}

kn_md_t *kn_md_new_empty(void)
{
    kn_md_t *md = kn_calloc(1, sizeof(*md));
    md->refs = 1;
    md->controller_id = -1;
    md->controller_epoch = -1;
    return md;
}

void kn_md_release(kn_md_t *md)
{
    if (md == NULL)
        return;
    if (__atomic_fetch_sub(&md->refs, 1, __ATOMIC_ACQ_REL) == 1)
        md_free(md);
}

/* ---- lookups ------------------------------------------------------------ */

static int topic_cmp(const void *a, const void *b)
{
    return strcmp(((const kn_md_topic_t *)a)->name, ((const kn_md_topic_t *)b)->name);
}

static int partition_cmp(const void *a, const void *b)
{
    int32_t x = ((const kn_md_partition_t *)a)->partition;
    int32_t y = ((const kn_md_partition_t *)b)->partition;
    return (x > y) - (x < y);
}

static int broker_cmp(const void *a, const void *b)
{
    int32_t x = ((const kn_md_broker_t *)a)->id, y = ((const kn_md_broker_t *)b)->id;
    return (x > y) - (x < y);
}

const kn_md_topic_t *kn_md_topic(const kn_md_t *md, const char *name)
{
    if (md == NULL || md->n_topics == 0)
        return NULL;
    kn_md_topic_t key = { .name = (char *)name };
    return bsearch(&key, md->topics, (size_t)md->n_topics, sizeof(kn_md_topic_t), topic_cmp);
}

const kn_md_partition_t *kn_md_partition(const kn_md_topic_t *t, int32_t partition)
{
    if (t == NULL || t->n_partitions == 0)
        return NULL;
    /* Partitions are normally dense 0..n-1: try the direct slot first. */
    if (partition >= 0 && partition < t->n_partitions &&
        t->partitions[partition].partition == partition)
        return &t->partitions[partition];
    kn_md_partition_t key = { .partition = partition };
    return bsearch(&key, t->partitions, (size_t)t->n_partitions, sizeof(kn_md_partition_t),
                   partition_cmp);
}

const kn_md_broker_t *kn_md_broker(const kn_md_t *md, int32_t id)
{
    if (md == NULL || md->n_brokers == 0)
        return NULL;
    kn_md_broker_t key = { .id = id };
    return bsearch(&key, md->brokers, (size_t)md->n_brokers, sizeof(kn_md_broker_t), broker_cmp);
}

const kn_md_endpoint_t *kn_md_endpoint(const kn_md_broker_t *b, const char *listener)
{
    if (b == NULL)
        return NULL;
    for (int i = 0; i < b->n_endpoints; i++)
        if (listener == NULL || strcmp(b->endpoints[i].listener, listener) == 0)
            return &b->endpoints[i];
    return NULL;
}

/* ---- building a new snapshot --------------------------------------------- */

static void partition_from_state(kn_md_partition_t *dst, const Kanal__Control__PartitionState *ps)
{
    dst->partition = ps->partition;
    dst->leader = ps->leader;
    dst->leader_epoch = ps->leader_epoch;
    dst->controller_epoch = ps->controller_epoch;
    dst->zk_version = ps->zk_version;
    dst->n_replicas = (int)ps->n_replicas;
    dst->n_isr = (int)ps->n_isr;
    dst->n_offline = (int)ps->n_offline_replicas;
    dst->replicas = dup_i32(ps->replicas, ps->n_replicas);
    dst->isr = dup_i32(ps->isr, ps->n_isr);
    dst->offline = dup_i32(ps->offline_replicas, ps->n_offline_replicas);
}

/* Growable topic list used while building. */
typedef struct {
    kn_md_topic_t *v;
    int            n, cap;
} topic_vec_t;

static kn_md_topic_t *vec_push(topic_vec_t *tv, const char *name)
{
    if (tv->n == tv->cap) {
        tv->cap = tv->cap ? tv->cap * 2 : 16;
        tv->v = kn_realloc(tv->v, sizeof(kn_md_topic_t) * (size_t)tv->cap);
    }
    kn_md_topic_t *t = &tv->v[tv->n++];
    memset(t, 0, sizeof(*t));
    t->name = kn_strdup(name);
    return t;
}

static bool name_in(const char *name, char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], name) == 0)
            return true;
    return false;
}

static void topic_upsert(kn_md_topic_t *t, const Kanal__Control__PartitionState *ps)
{
    if (ps->topic_id.len == 16)
        memcpy(t->id, ps->topic_id.data, 16);
    for (int i = 0; i < t->n_partitions; i++) {
        if (t->partitions[i].partition == ps->partition) {
            partition_free(&t->partitions[i]);
            partition_from_state(&t->partitions[i], ps);
            return;
        }
    }
    t->partitions = kn_realloc(t->partitions, sizeof(kn_md_partition_t) * (size_t)(t->n_partitions + 1));
    partition_from_state(&t->partitions[t->n_partitions++], ps);
}

static void copy_brokers(kn_md_t *md, const Kanal__Control__UpdateMetadata *um)
{
    md->n_brokers = (int)um->n_live_brokers;
    md->brokers = md->n_brokers ? kn_calloc((size_t)md->n_brokers, sizeof(kn_md_broker_t)) : NULL;
    for (size_t i = 0; i < um->n_live_brokers; i++) {
        const Kanal__Control__LiveBroker *lb = um->live_brokers[i];
        kn_md_broker_t *b = &md->brokers[i];
        b->id = lb->id;
        b->rack = dup_or_null(lb->rack);
        b->epoch = lb->epoch;
        b->n_endpoints = (int)lb->n_endpoints;
        b->endpoints = b->n_endpoints ? kn_calloc(lb->n_endpoints, sizeof(kn_md_endpoint_t)) : NULL;
        for (size_t k = 0; k < lb->n_endpoints; k++) {
            const Kanal__Control__BrokerEndpoint *ep = lb->endpoints[k];
            b->endpoints[k].listener = kn_strdup(ep->listener ? ep->listener : "");
            b->endpoints[k].host = kn_strdup(ep->host ? ep->host : "");
            b->endpoints[k].port = ep->port;
            b->endpoints[k].security = kn_strdup(ep->security_protocol ? ep->security_protocol : "");
        }
    }
    if (md->n_brokers > 1)
        qsort(md->brokers, (size_t)md->n_brokers, sizeof(kn_md_broker_t), broker_cmp);
}

kn_md_t *kn_md_apply_update(const kn_md_t *old, const Kanal__Control__UpdateMetadata *um)
{
    kn_md_t *md = kn_md_new_empty();
    md->controller_id = um->controller_id;
    md->controller_epoch = um->controller_epoch;
    if (um->cluster_id && *um->cluster_id)
        md->cluster_id = kn_strdup(um->cluster_id);
    else if (old && old->cluster_id)
        md->cluster_id = kn_strdup(old->cluster_id);
    copy_brokers(md, um);

    topic_vec_t tv = { 0 };
    /* The listed states. They come grouped by topic, so the last topic
     * touched is the usual hit; otherwise a linear scan (the vector is not
     * sorted yet). */
    kn_md_topic_t *last = NULL;
    for (size_t i = 0; i < um->n_partitions; i++) {
        const Kanal__Control__PartitionState *ps = um->partitions[i];
        if (ps->topic == NULL || *ps->topic == '\0' ||
            name_in(ps->topic, um->deleted_topics, um->n_deleted_topics))
            continue;
        if (last == NULL || strcmp(last->name, ps->topic) != 0) {
            last = NULL;
            for (int k = 0; k < tv.n; k++)
                if (strcmp(tv.v[k].name, ps->topic) == 0) {
                    last = &tv.v[k];
                    break;
                }
            if (last == NULL)
                last = vec_push(&tv, ps->topic);
        }
        topic_upsert(last, ps);
    }
    for (int k = 0; k < tv.n; k++)
        if (tv.v[k].n_partitions > 1)
            qsort(tv.v[k].partitions, (size_t)tv.v[k].n_partitions, sizeof(kn_md_partition_t),
                  partition_cmp);
    if (tv.n > 1)
        qsort(tv.v, (size_t)tv.n, sizeof(kn_md_topic_t), topic_cmp);
    md->topics = tv.v;
    md->n_topics = tv.n;
    return md;
}
