/*
 * broker/group/objects.c -- the coordinator's in-memory objects: groups and
 * their members, the groups table (hash buckets keyed by group id), the
 * committed offsets of a group, and which topics a group's members
 * subscribe to. The rules of the group state machine are in state.c.
 *
 * All of it is guarded by the coordinator lock (see group_int.h).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/group/group_int.h"

#define KN_GROUP_HASH_SEED 2166136261u

kn_group_t *kn_group_new(const char *id, size_t len, int32_t partition)
{
    kn_group_t *g = kn_calloc(1, sizeof(*g));
    g->id = kn_strndup(id, len);
    g->partition = partition;
    g->state = KN_GS_EMPTY;
    g->state_ts = kn_now_ms();
    return g;
}

void kn_gmember_free(kn_gmember_t *m)
{
    for (int i = 0; i < m->n_protocols; i++) {
        free(m->protocols[i].name);
        free(m->protocols[i].meta);
    }
    free(m->protocols);
    free(m->assignment);
    free(m->id);
    free(m->instance_id);
    free(m->client_id);
    free(m->client_host);
    free(m);
}

/* Answer a member's parked requests with err (it is going away). */
void kn_gmember_fail(kn_gmember_t *m, kn_err_t err)
{
    if (m->join_w != NULL) {
        kn_gwaiter_join_error(m->join_w, err, m->id);
    }
    if (m->sync_w != NULL) {
        kn_gwaiter_sync_error(m->sync_w, err);
    }
}

void kn_goffset_clear(kn_goffset_t *o)
{
    free(o->topic);
    free(o->metadata);
    o->topic = NULL;
    o->metadata = NULL;
}

void kn_group_free(kn_group_t *g, kn_err_t err)
{
    if (g == NULL) {
        return;
    }
    while (g->members != NULL) {
        kn_gmember_t *m = g->members;
        g->members = m->next;
        kn_gmember_fail(m, err);
        kn_gmember_free(m);
    }
    for (int i = 0; i < g->n_pending; i++) {
        free(g->pending[i].id);
    }
    free(g->pending);
    for (int i = 0; i < g->n_offsets; i++) {
        kn_goffset_clear(&g->offsets[i]);
    }
    free(g->offsets);
    free(g->id);
    free(g->protocol_type);
    free(g->protocol);
    free(g->leader);
    free(g);
}

/* Copy the request's protocols into m (replacing what it had). */
void kn_gmember_set_protocols(kn_gmember_t *m, const kn_joingroup_req_t *r)
{
    for (int i = 0; i < m->n_protocols; i++) {
        free(m->protocols[i].name);
        free(m->protocols[i].meta);
    }
    free(m->protocols);
    m->n_protocols = r->n_protocols;
    m->protocols = kn_calloc((size_t)KN_MAX(r->n_protocols, 1), sizeof(*m->protocols));
    for (int32_t i = 0; i < r->n_protocols; i++) {
        m->protocols[i].name = kn_slice_strdup(r->protocols[i].name);
        if (m->protocols[i].name == NULL) {
            m->protocols[i].name = kn_strdup("");
        }
        kn_slice_t md = r->protocols[i].metadata;
        m->protocols[i].meta_len = md.len > 0 ? md.len : 0;
        if (md.len > 0) {
            m->protocols[i].meta = kn_malloc((size_t)md.len);
            memcpy(m->protocols[i].meta, md.ptr, (size_t)md.len);
        }
    }
}

/* Same protocols, same subscriptions, same order? */
bool kn_gmember_same_protocols(const kn_gmember_t *m, const kn_joingroup_req_t *r)
{
    if (m->n_protocols != r->n_protocols) {
        return false;
    }
    for (int i = 0; i < m->n_protocols; i++) {
        kn_slice_t md = r->protocols[i].metadata;
        int32_t len = md.len > 0 ? md.len : 0;
        if (!kn_slice_eq(r->protocols[i].name, m->protocols[i].name) ||
            len != m->protocols[i].meta_len ||
            (len > 0 && memcmp(md.ptr, m->protocols[i].meta, (size_t)len) != 0)) {
            return false;
        }
    }
    return true;
}

static unsigned kn_gtable_bucket(const char *id, size_t len)
{
    uint32_t h = KN_GROUP_HASH_SEED;
    for (size_t i = 0; i < len; i++) {
        h = (h ^ (unsigned char)id[i]) * 16777619u;
    }
    return h % KN_GTABLE_BUCKETS;
}

kn_group_t *kn_gtable_find(kn_gtable_t *t, const char *id, size_t len)
{
    for (kn_group_t *g = t->buckets[kn_gtable_bucket(id, len)]; g != NULL; g = g->next) {
        if (strlen(g->id) == len && memcmp(g->id, id, len) == 0) {
            return g;
        }
    }
    return NULL;
}

kn_group_t *kn_gtable_get(kn_gtable_t *t, const char *id, size_t len, int32_t partition)
{
    kn_group_t *g = kn_gtable_find(t, id, len);
    if (g == NULL) {
        g = kn_group_new(id, len, partition);
        kn_gtable_insert(t, g);
    }
    return g;
}

void kn_gtable_insert(kn_gtable_t *t, kn_group_t *g)
{
    unsigned b = kn_gtable_bucket(g->id, strlen(g->id));
    g->next = t->buckets[b];
    t->buckets[b] = g;
    t->count++;
}

void kn_gtable_remove(kn_gtable_t *t, kn_group_t *g)
{
    kn_group_t **pp = &t->buckets[kn_gtable_bucket(g->id, strlen(g->id))];
    while (*pp != NULL && *pp != g) {
        pp = &(*pp)->next;
    }
    if (*pp == g) {
        *pp = g->next;
        g->next = NULL;
        t->count--;
    }
}

kn_gmember_t *kn_group_member(const kn_group_t *g, const char *id, size_t len)
{
    for (kn_gmember_t *m = g->members; m != NULL; m = m->next) {
        if (strlen(m->id) == len && memcmp(m->id, id, len) == 0) {
            return m;
        }
    }
    return NULL;
}

kn_gmember_t *kn_group_static_member(const kn_group_t *g, const char *instance, size_t len)
{
    for (kn_gmember_t *m = g->members; m != NULL; m = m->next) {
        if (m->instance_id != NULL && strlen(m->instance_id) == len &&
            memcmp(m->instance_id, instance, len) == 0) {
            return m;
        }
    }
    return NULL;
}

/* Does a consumer-protocol subscription (version, [topic], userdata...)
 * list topic? */
static bool kn_gsub_has(const uint8_t *p, int32_t len, const char *topic)
{
    kn_rbuf_t r;
    kn_rbuf_init(&r, p, (size_t)len);
    (void)kn_rbuf_i16(&r);
    int32_t n = kn_rbuf_array_len(&r, 2);
    for (int32_t i = 0; i < n && kn_rbuf_ok(&r); i++) {
        kn_slice_t t = kn_rbuf_string(&r);
        if (kn_rbuf_ok(&r) && kn_slice_eq(t, topic)) {
            return true;
        }
    }
    return false;
}

bool kn_group_subscribed(const kn_group_t *g, const char *topic)
{
    if (g->protocol_type == NULL || strcmp(g->protocol_type, "consumer") != 0) {
        return false;
    }
    for (const kn_gmember_t *m = g->members; m != NULL; m = m->next) {
        const kn_gproto_t *p = kn_gmember_proto(m, g->protocol);
        if (p == NULL && m->n_protocols > 0) {
            p = &m->protocols[0];
        }
        if (p != NULL && p->meta != NULL && kn_gsub_has(p->meta, p->meta_len, topic)) {
            return true;
        }
    }
    return false;
}

/* ---- offsets ------------------------------------------------------------------ */

kn_goffset_t *kn_group_offset(kn_group_t *g, const char *topic, int32_t partition)
{
    for (int i = 0; i < g->n_offsets; i++) {
        if (g->offsets[i].partition == partition && strcmp(g->offsets[i].topic, topic) == 0) {
            return &g->offsets[i];
        }
    }
    return NULL;
}

void kn_group_offset_put(kn_group_t *g, const kn_goffset_t *o)
{
    kn_goffset_t *e = kn_group_offset(g, o->topic, o->partition);
    if (e == NULL) {
        if (g->n_offsets == g->cap_offsets) {
            g->cap_offsets = g->cap_offsets ? g->cap_offsets * 2 : 8;
            g->offsets = kn_realloc(g->offsets, (size_t)g->cap_offsets * sizeof(*g->offsets));
        }
        e = &g->offsets[g->n_offsets++];
    } else {
        kn_goffset_clear(e);
    }
    *e = *o;
    e->topic = kn_strdup(o->topic);
    e->metadata = o->metadata ? kn_strdup(o->metadata) : NULL;
}

bool kn_group_offset_del(kn_group_t *g, const char *topic, int32_t partition)
{
    kn_goffset_t *e = kn_group_offset(g, topic, partition);
    if (e == NULL) {
        return false;
    }
    kn_goffset_clear(e);
    *e = g->offsets[--g->n_offsets];
    return true;
}
