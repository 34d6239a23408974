/*
 * broker/group/records.c -- the records of __consumer_offsets: encoding
 * what the coordinator writes and replaying a partition when it takes over.
 *
 * We use Kafka's schemas (GroupCoordinatorRecordSerde), so the topic reads
 * the same to any tool that decodes Kafka's:
 *
 *   key   int16 version; 0/1 = offset key (group, topic, int32 partition)
 *                        2   = group key (group)
 *   offset value v1  offset int64, metadata string, commit_ts int64, expire_ts int64
 *   offset value v3  offset int64, leader_epoch int32, metadata string, commit_ts int64
 *   group value v3   protocol_type string, generation int32, protocol nstring,
 *                    leader nstring, current_state_ts int64,
 *                    [member_id string, instance_id nstring, client_id string,
 *                     client_host string, rebalance_timeout int32,
 *                     session_timeout int32, subscription bytes, assignment bytes]
 *
 * A null value is a tombstone (offset deleted / group deleted). We write
 * value v1 only when the client set an explicit retention (OffsetCommit
 * v2-4), v3 otherwise; reading accepts offset values v0-v3 and group values
 * v0-v3. Every length read comes through the bounds-checked kn_rbuf_t.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/group/group_int.h"
#include "log.h"

#define KN_GREC_OFFSET_KEY_V1 1
#define KN_GREC_GROUP_KEY_V2  2

void kn_grec_offset_key(kn_wbuf_t *w, const char *group, const char *topic, int32_t partition)
{
    kn_wbuf_i16(w, KN_GREC_OFFSET_KEY_V1);
    kn_wbuf_string(w, group, -1);
    kn_wbuf_string(w, topic, -1);
    kn_wbuf_i32(w, partition);
}

void kn_grec_offset_value(kn_wbuf_t *w, const kn_goffset_t *o)
{
    /* Kafka never writes a null metadata string here: "" instead. */
    const char *md = o->metadata ? o->metadata : "";
    if (o->expire_ts >= 0) {
        kn_wbuf_i16(w, 1);
        kn_wbuf_i64(w, o->offset);
        kn_wbuf_string(w, md, -1);
        kn_wbuf_i64(w, o->commit_ts);
        kn_wbuf_i64(w, o->expire_ts);
    } else {
        kn_wbuf_i16(w, 3);
        kn_wbuf_i64(w, o->offset);
        kn_wbuf_i32(w, o->leader_epoch);
        kn_wbuf_string(w, md, -1);
        kn_wbuf_i64(w, o->commit_ts);
    }
}

void kn_grec_group_key(kn_wbuf_t *w, const char *group)
{
    kn_wbuf_i16(w, KN_GREC_GROUP_KEY_V2);
    kn_wbuf_string(w, group, -1);
}

void kn_grec_group_value(kn_wbuf_t *w, const kn_group_t *g)
{
    kn_wbuf_i16(w, 3);
    kn_wbuf_string(w, g->protocol_type ? g->protocol_type : "", -1);
    kn_wbuf_i32(w, g->generation);
    kn_wbuf_string(w, g->protocol, -1);
    kn_wbuf_string(w, g->leader, -1);
    kn_wbuf_i64(w, g->state_ts);
    /* Members are stored only when they hold a settled assignment (an
     * Empty group has none); Kafka writes this record after SyncGroup. */
    int n = g->state == KN_GS_EMPTY ? 0 : g->n_members;
    kn_wbuf_array_len(w, n);
    const kn_gmember_t *m = g->members;
    for (int i = 0; i < n && m != NULL; i++, m = m->next) {
        const kn_gproto_t *sub = NULL;
        for (int k = 0; g->protocol != NULL && k < m->n_protocols; k++) {
            if (strcmp(m->protocols[k].name, g->protocol) == 0) {
                sub = &m->protocols[k];
            }
        }
        kn_wbuf_string(w, m->id, -1);
        kn_wbuf_string(w, m->instance_id, -1);
        kn_wbuf_string(w, m->client_id, -1);
        kn_wbuf_string(w, m->client_host, -1);
        kn_wbuf_i32(w, m->rebalance_timeout_ms);
        kn_wbuf_i32(w, m->session_timeout_ms);
        kn_wbuf_bytes(w, sub && sub->meta ? sub->meta : (const void *)"", sub ? sub->meta_len : 0);
        kn_wbuf_bytes(w, m->assignment ? m->assignment : (const void *)"", m->assignment_len);
    }
}

/* ---- loading ------------------------------------------------------------------ */

static int kn_grec_offset_apply(kn_gtable_t *t, int32_t partition, kn_rbuf_t *k, kn_slice_t value)
{
    kn_slice_t group = kn_rbuf_string(k);
    kn_slice_t topic = kn_rbuf_string(k);
    int32_t part = kn_rbuf_i32(k);
    if (!kn_rbuf_ok(k)) {
        return KN_ERROR;
    }
    char *tname = kn_slice_strdup(topic);
    if (value.ptr == NULL) {
        kn_group_t *g = kn_gtable_find(t, (const char *)group.ptr, (size_t)group.len);
        if (g != NULL) {
            kn_group_offset_del(g, tname, part);
        }
        free(tname);
        return KN_OK;
    }

    kn_rbuf_t r;
    kn_goffset_t o;
    memset(&o, 0, sizeof(o));
    kn_rbuf_init(&r, value.ptr, (size_t)value.len);
    int16_t ver = kn_rbuf_i16(&r);
    o.topic = tname;
    o.partition = part;
    o.leader_epoch = -1;
    o.expire_ts = -1;
    o.offset = kn_rbuf_i64(&r);
    if (ver >= 3) {
        o.leader_epoch = kn_rbuf_i32(&r);
    }
    kn_slice_t md = kn_rbuf_string(&r);
    o.commit_ts = kn_rbuf_i64(&r);
    if (ver == 1) {
        o.expire_ts = kn_rbuf_i64(&r);
    }
    if (!kn_rbuf_ok(&r) || ver < 0 || ver > 3) {
        free(tname);
        return KN_ERROR;
    }
    char *mds = kn_slice_strdup(md);
    o.metadata = mds;
    kn_group_t *g = kn_gtable_get(t, (const char *)group.ptr, (size_t)group.len, partition);
    kn_group_offset_put(g, &o);
    free(mds);
    free(tname);
    return KN_OK;
}

/* Parse the members of a group value into a fresh list; NULL on error. */
static int kn_grec_members(kn_rbuf_t *r, int16_t ver, const char *protocol, kn_group_t *g,
                           int64_t now)
{
    int32_t n = kn_rbuf_array_len(r, 14);
    kn_gmember_t **tail = &g->members;
    for (int32_t i = 0; i < n && kn_rbuf_ok(r); i++) {
        kn_slice_t id = kn_rbuf_string(r);
        kn_slice_t inst = ver >= 3 ? kn_rbuf_nstring(r) : KN_SLICE_NULL;
        kn_slice_t cid = kn_rbuf_string(r);
        kn_slice_t host = kn_rbuf_string(r);
        int32_t rebalance = ver >= 1 ? kn_rbuf_i32(r) : -1;
        int32_t session = kn_rbuf_i32(r);
        kn_slice_t sub = kn_rbuf_bytes(r);
        kn_slice_t asg = kn_rbuf_bytes(r);
        if (!kn_rbuf_ok(r)) {
            return KN_ERROR;
        }
        kn_gmember_t *m = kn_calloc(1, sizeof(*m));
        m->id = kn_slice_strdup(id);
        m->instance_id = kn_slice_strdup(inst);
        m->client_id = kn_slice_strdup(cid);
        m->client_host = kn_slice_strdup(host);
        m->session_timeout_ms = session;
        m->rebalance_timeout_ms = rebalance > 0 ? rebalance : session;
        m->n_protocols = 1;
        m->protocols = kn_calloc(1, sizeof(*m->protocols));
        m->protocols[0].name = kn_strdup(protocol ? protocol : "");
        m->protocols[0].meta_len = sub.len;
        if (sub.len > 0) {
            m->protocols[0].meta = kn_malloc((size_t)sub.len);
            memcpy(m->protocols[0].meta, sub.ptr, (size_t)sub.len);
        }
        m->assignment_len = asg.len;
        if (asg.len > 0) {
            m->assignment = kn_malloc((size_t)asg.len);
            memcpy(m->assignment, asg.ptr, (size_t)asg.len);
        }
        /* The members did not see us before: give each a full session to
         * find the new coordinator. */
        m->heartbeat_deadline = now + session;
        *tail = m;
        tail = &m->next;
        g->n_members++;
    }
    return kn_rbuf_ok(r) ? KN_OK : KN_ERROR;
}

static int kn_grec_group_apply(kn_gtable_t *t, int32_t partition, kn_rbuf_t *k, kn_slice_t value,
                               int64_t now)
{
    kn_slice_t group = kn_rbuf_string(k);
    if (!kn_rbuf_ok(k)) {
        return KN_ERROR;
    }
    kn_group_t *old = kn_gtable_find(t, (const char *)group.ptr, (size_t)group.len);
    if (value.ptr == NULL) {
        /* Group deleted: its offsets were tombstoned before this record. */
        if (old != NULL) {
            kn_gtable_remove(t, old);
            kn_group_free(old, KN_ERR_NOT_COORDINATOR);
        }
        return KN_OK;
    }

    kn_rbuf_t r;
    kn_rbuf_init(&r, value.ptr, (size_t)value.len);
    int16_t ver = kn_rbuf_i16(&r);
    kn_slice_t ptype = kn_rbuf_string(&r);
    int32_t generation = kn_rbuf_i32(&r);
    kn_slice_t proto = kn_rbuf_nstring(&r);
    kn_slice_t leader = kn_rbuf_nstring(&r);
    int64_t state_ts = ver >= 2 ? kn_rbuf_i64(&r) : -1;
    if (!kn_rbuf_ok(&r) || ver < 0 || ver > 3) {
        return KN_ERROR;
    }
    kn_group_t *g = kn_group_new((const char *)group.ptr, (size_t)group.len, partition);
    g->protocol_type = ptype.len > 0 ? kn_slice_strdup(ptype) : NULL;
    g->generation = generation;
    g->protocol = kn_slice_strdup(proto);
    g->leader = kn_slice_strdup(leader);
    if (state_ts >= 0) {
        g->state_ts = state_ts;
    }
    if (kn_grec_members(&r, ver, g->protocol, g, now) != KN_OK) {
        kn_group_free(g, KN_ERR_NOT_COORDINATOR);
        return KN_ERROR;
    }
    g->state = g->n_members > 0 ? KN_GS_STABLE : KN_GS_EMPTY;
    if (old != NULL) {
        /* Keep the offsets loaded so far; the metadata is replaced. */
        g->offsets = old->offsets;
        g->n_offsets = old->n_offsets;
        g->cap_offsets = old->cap_offsets;
        old->offsets = NULL;
        old->n_offsets = old->cap_offsets = 0;
        kn_gtable_remove(t, old);
        kn_group_free(old, KN_ERR_NOT_COORDINATOR);
    }
    kn_gtable_insert(t, g);
    return KN_OK;
}

int kn_grec_apply(kn_gtable_t *t, int32_t partition, kn_slice_t key, kn_slice_t value, int64_t now)
{
    if (key.ptr == NULL || key.len < 2) {
        return KN_ERROR;
    }
    kn_rbuf_t k;
    kn_rbuf_init(&k, key.ptr, (size_t)key.len);
    int16_t ver = kn_rbuf_i16(&k);
    if (ver == 0 || ver == 1) {
        return kn_grec_offset_apply(t, partition, &k, value);
    }
    if (ver == KN_GREC_GROUP_KEY_V2) {
        return kn_grec_group_apply(t, partition, &k, value, now);
    }
    return KN_ERROR;   /* a newer schema we do not know: skip */
}

typedef struct {
    kn_gtable_t *t;
    int32_t      partition;
    int64_t      now;
    int64_t      applied;
} kn_grec_walk_t;

static int kn_grec_on_record(void *ud, const kn_batch_hdr_t *h, const kn_record_t *rec)
{
    kn_grec_walk_t *wk = ud;
    KN_UNUSED(h);
    if (kn_grec_apply(wk->t, wk->partition, rec->key, rec->value, wk->now) == KN_OK) {
        wk->applied++;
    } else {
        kn_log_ratelimited(KN_LOG_WARN, "group", "group.badrecord", 10000,
                           "%s-%d: skipping a record we cannot parse", KN_GROUP_OFFSETS_TOPIC,
                           (int)wk->partition);
    }
    return KN_OK;
}

int64_t kn_grec_apply_batches(kn_gtable_t *t, int32_t partition, const uint8_t *p, size_t len,
                              int64_t now)
{
    kn_grec_walk_t wk = { t, partition, now, 0 };
    size_t pos = 0;
    while (pos < len) {
        kn_batch_hdr_t h;
        kn_err_t err = kn_batch_validate(p + pos, len - pos, KN_BATCH_CHECK_CRC, &h);
        if (err != KN_ERR_NONE) {
            return -1;
        }
        if (!kn_batch_is_control(&h) && kn_batch_foreach_record(p + pos, &h, kn_grec_on_record, &wk) != KN_OK) {
            return -1;
        }
        pos += kn_batch_size(&h);
    }
    return wk.applied;
}
