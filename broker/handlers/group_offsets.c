/*
 * broker/handlers/group_offsets.c -- committed offsets and group
 * administration: OffsetCommit (8), OffsetFetch (9), ListGroups (16),
 * DescribeGroups (15), DeleteGroups (42) and OffsetDelete (47).
 *
 * An OffsetCommit is acknowledged only once its records are durable as the
 * offsets topic's rules say (the partition's high watermark covers them,
 * i.e. every in-sync replica has them); only then does the new offset
 * become visible to OffsetFetch, as in Kafka. If that takes longer than
 * offsets.commit.timeout.ms the client gets COORDINATOR_NOT_AVAILABLE
 * (Kafka's mapping of REQUEST_TIMED_OUT) and retries.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/cluster/cluster.h"
#include "broker/group/group_int.h"
#include "broker/log/log.h"
#include "broker/server/delayed.h"
#include "broker/server/request.h"
#include "common/config.h"
#include "protocol/groupadmin.h"
#include "protocol/offsetdelete.h"
#include "protocol/offsets.h"

#define KN_GROUP_METADATA_MAX 4096   /* offset.metadata.max.bytes */

/* ---- OffsetCommit ------------------------------------------------------------------- */

/* A commit whose records are appended, waiting to become durable. */
typedef struct {
    kn_req_t              *req;
    kn_arena_t             arena;      /* the decoded request and the answer */
    kn_offsetcommit_resp_t out;
    int16_t              **errs;       /* answer slots of the appended partitions */
    kn_goffset_t          *offs;       /* what becomes visible once durable */
    int                    n;
    char                  *group;
    int32_t                partition;
    kn_log_t              *log;
    int64_t                end;        /* offset after our records */
} kn_gcommit_t;

static void kn_gcommit_free(kn_gcommit_t *c)
{
    for (int i = 0; i < c->n; i++) {
        kn_goffset_clear(&c->offs[i]);
    }
    free(c->offs);
    free(c->errs);
    free(c->group);
    if (c->log != NULL) {
        kn_log_release(c->log);
    }
    kn_arena_free(&c->arena);
    free(c);
}

/* Make the commit's offsets visible in g (lock held). */
static void kn_gcommit_publish(const kn_gcommit_t *c, kn_group_t *g)
{
    for (int i = 0; i < c->n; i++) {
        kn_group_offset_put(g, &c->offs[i]);
    }
}

/* Answer every appended partition of the commit with err. */
static void kn_gcommit_answer(const kn_gcommit_t *c, kn_err_t err)
{
    for (int i = 0; i < c->n; i++) {
        *c->errs[i] = (int16_t)err;
    }
}

/* Make the commit visible (err NONE) or fail its partitions. */
static void kn_gcommit_settle(kn_gcommit_t *c, kn_err_t err)
{
    kn_gcoord_t *gc = kn_gc();
    if (err == KN_ERR_NONE && gc != NULL) {
        kn_gc_lock(gc);
        kn_group_t *g = kn_gtable_find(kn_gc_groups(gc), c->group, strlen(c->group));
        if (g != NULL) {
            kn_gcommit_publish(c, g);
        }
        kn_gc_unlock(gc);
    }
    kn_gcommit_answer(c, err);
}

static bool kn_gcommit_cb(void *arg, kn_delayed_reason_t why)
{
    kn_gcommit_t *c = arg;
    kn_gcoord_t *gc = kn_gc();
    /* What the client gets if the records are not durable by now. */
    kn_err_t err = why == KN_DELAYED_TIMEOUT ? KN_ERR_COORDINATOR_NOT_AVAILABLE
                                             : KN_ERR_NOT_COORDINATOR;
    if (why != KN_DELAYED_SHUTDOWN && gc != NULL) {
        kn_err_t derr;
        if (kn_gc_durable(gc, c->partition, c->log, c->end, &derr) == KN_OK) {
            err = derr;
        } else if (why == KN_DELAYED_WAKE) {
            return false;
        }
    } else if (why == KN_DELAYED_WAKE) {
        return false;
    }
    kn_gcommit_settle(c, err);
    kn_wbuf_t w;
    kn_wbuf_init(&w, 128);
    kn_proto_offsetcommit_resp_encode(&w, c->req->api_version, &c->out);
    kn_req_complete(c->req, &w);
    kn_wbuf_free(&w);
    kn_gcommit_free(c);
    return true;
}

/* Does the metadata cache know this topic-partition? */
static bool kn_gh_partition_known(const kn_md_t *md, const char *topic, int32_t partition)
{
    const kn_md_topic_t *t = md ? kn_md_topic(md, topic) : NULL;
    return t != NULL && kn_md_partition(t, partition) != NULL;
}

/* The record of g's committed offset for (topic, partition): o's value
 * encoded into v, or a tombstone when o is NULL (v is then left alone).
 * The record points into k and v; the caller frees them after appending. */
static kn_record_in_t kn_gh_offset_record(kn_wbuf_t *k, kn_wbuf_t *v, const kn_group_t *g,
                                          const char *topic, int32_t partition,
                                          const kn_goffset_t *o, int64_t now)
{
    kn_wbuf_init(k, 64);
    kn_grec_offset_key(k, g->id, topic, partition);
    if (o == NULL) {
        return (kn_record_in_t){ k->data, k->len, NULL, 0, now, 0 };
    }
    kn_wbuf_init(v, 64);
    kn_grec_offset_value(v, o);
    return (kn_record_in_t){ k->data, k->len, v->data, v->len, now, 0 };
}

/* Append the commit's records (lock held). Partitions of unknown topics
 * or with oversized metadata get their own error; the rest are written in
 * one batch. Returns KN_AGAIN if c was parked waiting for durability,
 * KN_OK if the answer is complete. */
static int kn_gh_commit_append(kn_gcoord_t *gc, kn_group_t *g, const kn_offsetcommit_req_t *r,
                               kn_gcommit_t *c, int total)
{
    kn_broker_t *b = kn_gc_broker(gc);
    kn_md_t *md = b->cluster ? kn_cluster_md_acquire(b->cluster) : NULL;
    kn_record_in_t *recs = kn_calloc((size_t)KN_MAX(total, 1), sizeof(*recs));
    kn_wbuf_t *bufs = kn_calloc((size_t)KN_MAX(total, 1) * 2, sizeof(*bufs));
    c->offs = kn_calloc((size_t)KN_MAX(total, 1), sizeof(*c->offs));
    c->errs = kn_calloc((size_t)KN_MAX(total, 1), sizeof(*c->errs));
    int64_t now = kn_now_ms();
    int n = 0;

    for (int32_t i = 0; i < r->n_topics; i++) {
        const kn_offsetcommit_req_topic_t *t = &r->topics[i];
        char *topic = kn_arena_slice_strdup(&c->arena, t->name);
        for (int32_t j = 0; j < t->n_partitions; j++) {
            const kn_offsetcommit_req_partition_t *in = &t->partitions[j];
            int16_t *slot = &c->out.topics[i].partitions[j].error_code;
            if (topic == NULL || !kn_gh_partition_known(md, topic, in->partition_index)) {
                *slot = KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
                continue;
            }
            if (in->committed_metadata.len > KN_GROUP_METADATA_MAX) {
                *slot = KN_ERR_OFFSET_METADATA_TOO_LARGE;
                continue;
            }
            kn_goffset_t *o = &c->offs[n];
            o->topic = kn_strdup(topic);
            o->partition = in->partition_index;
            o->offset = in->committed_offset;
            o->leader_epoch = in->committed_leader_epoch;
            o->metadata = in->committed_metadata.len >= 0 ? kn_slice_strdup(in->committed_metadata)
                                                          : NULL;
            o->commit_ts = now;
            /* v2-4 may ask for their own retention; -1 = the broker's. */
            o->expire_ts = r->retention_time_ms > 0 ? now + r->retention_time_ms : -1;
            recs[n] = kn_gh_offset_record(&bufs[2 * n], &bufs[2 * n + 1], g, topic,
                                          in->partition_index, o, now);
            c->errs[n] = slot;
            n++;
        }
    }
    if (md != NULL) {
        kn_md_release(md);
    }
    c->n = n;
    int rc = KN_OK;
    if (n > 0) {
        kn_err_t err = kn_gc_append(gc, g->partition, recs, (size_t)n, &c->end, &c->log);
        if (err == KN_ERR_MESSAGE_TOO_LARGE || err == KN_ERR_RECORD_LIST_TOO_LARGE ||
            err == KN_ERR_INVALID_FETCH_SIZE) {
            err = KN_ERR_INVALID_COMMIT_OFFSET_SIZE;
        }
        if (err != KN_ERR_NONE) {
            kn_gcommit_answer(c, err);
            c->n = 0;   /* nothing to make visible */
        } else if (kn_gc_durable(gc, g->partition, c->log, c->end, &err) == KN_OK) {
            if (err == KN_ERR_NONE) {
                kn_gcommit_publish(c, g);
            }
            kn_gcommit_answer(c, err);
            c->n = 0;
        } else {
            c->group = kn_strdup(g->id);
            c->partition = g->partition;
            int64_t timeout = kn_config_int(b->cfg, "offsets.commit.timeout.ms");
            kn_delayed_t *op = kn_delayed_new(c->req->base, timeout, kn_gcommit_cb, c);
            if (op != NULL) {
                kn_delayed_watch_tp(op, KN_GROUP_OFFSETS_TOPIC, g->partition);
                rc = KN_AGAIN;
            } else {
                kn_gcommit_answer(c, KN_ERR_COORDINATOR_NOT_AVAILABLE);
            }
        }
    }
    for (int i = 0; i < 2 * KN_MAX(total, 1); i++) {
        kn_wbuf_free(&bufs[i]);
    }
    free(bufs);
    free(recs);
    return rc;
}

static int kn_handle_offset_commit(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_offsetcommit_req_t r;
    kn_gcoord_t *gc = kn_gc();
    kn_gcommit_t *c = kn_calloc(1, sizeof(*c));
    c->req = req;
    kn_arena_init(&c->arena);
    if (kn_proto_offsetcommit_req_decode(&req->body, req->api_version, &r, &c->arena) != KN_OK) {
        kn_gcommit_free(c);
        return KN_ERROR;
    }

    /* The answer mirrors the request; errors are filled in below. */
    int total = 0;
    c->out.n_topics = r.n_topics;
    c->out.topics = kn_arena_array(&c->arena, (size_t)KN_MAX(r.n_topics, 1), sizeof(*c->out.topics));
    for (int32_t i = 0; i < r.n_topics; i++) {
        kn_offsetcommit_resp_topic_t *ot = &c->out.topics[i];
        ot->name = r.topics[i].name;
        ot->n_partitions = r.topics[i].n_partitions;
        ot->partitions = kn_arena_array(&c->arena, (size_t)KN_MAX(ot->n_partitions, 1),
                                        sizeof(*ot->partitions));
        for (int32_t j = 0; j < ot->n_partitions; j++) {
            ot->partitions[j].partition_index = r.topics[i].partitions[j].partition_index;
        }
        total += ot->n_partitions;
    }

    kn_err_t err = KN_ERR_COORDINATOR_NOT_AVAILABLE;
    int rc = KN_OK;
    if (gc != NULL) {
        kn_gc_lock(gc);
        int32_t p = -1;
        /* Empty group ids are legal here (old simple consumers). */
        kn_group_t *g = kn_gc_lookup(gc, r.group_id, true, false, &err, &p);
        if (err == KN_ERR_NONE && g == NULL) {
            if (r.generation_id < 0) {
                g = kn_gtable_get(kn_gc_groups(gc), (const char *)r.group_id.ptr,
                                  (size_t)r.group_id.len, p);
            } else {
                err = KN_ERR_ILLEGAL_GENERATION;
            }
        }
        if (g != NULL) {
            err = kn_group_commit_check(g, r.generation_id, r.member_id, r.group_instance_id,
                                        kn_mono_ms());
        }
        if (err == KN_ERR_NONE) {
            rc = kn_gh_commit_append(gc, g, &r, c, total);
        }
        kn_gc_unlock(gc);
    }
    if (err != KN_ERR_NONE) {
        for (int32_t i = 0; i < c->out.n_topics; i++) {
            for (int32_t j = 0; j < c->out.topics[i].n_partitions; j++) {
                c->out.topics[i].partitions[j].error_code = (int16_t)err;
            }
        }
    }
    if (rc == KN_AGAIN) {
        return KN_AGAIN;   /* c belongs to the parked operation now */
    }
    kn_proto_offsetcommit_resp_encode(resp, req->api_version, &c->out);
    kn_gcommit_free(c);
    return KN_OK;
}

/* ---- the frame of the answers built under the coordinator lock ------------------- */

/* Take the coordinator lock, if this broker has a coordinator. */
static void kn_gh_lock(kn_gcoord_t *gc)
{
    if (gc != NULL) {
        kn_gc_lock(gc);
    }
}

/* Release what kn_gh_lock took, only once the answer is encoded (it
 * points into group state), and the request's arena. */
static int kn_gh_done(kn_gcoord_t *gc, kn_arena_t *arena)
{
    if (gc != NULL) {
        kn_gc_unlock(gc);
    }
    kn_arena_free(arena);
    return KN_OK;
}

/* The group named id (lock held), NULL if there is none; *err says why
 * this broker cannot answer for it (COORDINATOR_NOT_AVAILABLE without a
 * coordinator). */
static kn_group_t *kn_gh_find(kn_gcoord_t *gc, kn_slice_t id, bool empty_ok, kn_err_t *err)
{
    *err = KN_ERR_COORDINATOR_NOT_AVAILABLE;
    return gc != NULL ? kn_gc_lookup(gc, id, empty_ok, false, err, NULL) : NULL;
}

/* ---- OffsetFetch ------------------------------------------------------------------- */

static void kn_gh_fetch_fill(kn_offsetfetch_resp_partition_t *op, const kn_goffset_t *o,
                             int32_t partition, kn_err_t err)
{
    op->partition_index = partition;
    op->committed_offset = o ? o->offset : -1;
    op->committed_leader_epoch = o ? o->leader_epoch : -1;
    op->metadata = kn_slice_str(o && o->metadata ? o->metadata : "");
    op->error_code = (int16_t)err;
}

static int kn_gh_cmp_offset(const void *a, const void *b)
{
    const kn_goffset_t *x = *(const kn_goffset_t *const *)a, *y = *(const kn_goffset_t *const *)b;
    int c = strcmp(x->topic, y->topic);
    return c != 0 ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

/* Every committed offset of g, grouped by topic (v2+ "all partitions"). */
static void kn_gh_fetch_all(kn_arena_t *a, const kn_group_t *g, kn_offsetfetch_resp_t *out)
{
    const kn_goffset_t **v = kn_arena_array(a, (size_t)KN_MAX(g ? g->n_offsets : 0, 1), sizeof(*v));
    int n = 0;
    for (int i = 0; g != NULL && i < g->n_offsets; i++) {
        v[n++] = &g->offsets[i];
    }
    qsort(v, (size_t)n, sizeof(*v), kn_gh_cmp_offset);
    out->topics = kn_arena_array(a, (size_t)KN_MAX(n, 1), sizeof(*out->topics));
    out->n_topics = 0;
    for (int i = 0; i < n;) {
        int j = i;
        while (j < n && strcmp(v[j]->topic, v[i]->topic) == 0) {
            j++;
        }
        kn_offsetfetch_resp_topic_t *t = &out->topics[out->n_topics++];
        t->name = kn_slice_str(v[i]->topic);
        t->n_partitions = j - i;
        t->partitions = kn_arena_array(a, (size_t)(j - i), sizeof(*t->partitions));
        for (int k = i; k < j; k++) {
            kn_gh_fetch_fill(&t->partitions[k - i], v[k], v[k]->partition, KN_ERR_NONE);
        }
        i = j;
    }
}

static int kn_handle_offset_fetch(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_offsetfetch_req_t r;
    kn_offsetfetch_resp_t out;
    kn_gcoord_t *gc = kn_gc();

    kn_arena_init(&arena);
    if (kn_proto_offsetfetch_req_decode(&req->body, req->api_version, &r, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    memset(&out, 0, sizeof(out));
    kn_err_t err;
    kn_gh_lock(gc);
    kn_group_t *g = kn_gh_find(gc, r.group_id, true, &err);
    if (r.n_topics < 0) {
        if (err == KN_ERR_NONE) {
            kn_gh_fetch_all(&arena, g, &out);
        }
    } else {
        out.n_topics = r.n_topics;
        out.topics = kn_arena_array(&arena, (size_t)KN_MAX(r.n_topics, 1), sizeof(*out.topics));
        for (int32_t i = 0; i < r.n_topics; i++) {
            kn_offsetfetch_resp_topic_t *t = &out.topics[i];
            char *topic = kn_arena_slice_strdup(&arena, r.topics[i].name);
            t->name = r.topics[i].name;
            t->n_partitions = r.topics[i].n_partition_indexes;
            t->partitions = kn_arena_array(&arena, (size_t)KN_MAX(t->n_partitions, 1),
                                           sizeof(*t->partitions));
            for (int32_t j = 0; j < t->n_partitions; j++) {
                int32_t part = r.topics[i].partition_indexes[j];
                const kn_goffset_t *o = g && topic ? kn_group_offset(g, topic, part) : NULL;
                kn_gh_fetch_fill(&t->partitions[j], o, part, err);
            }
        }
    }
    out.error_code = (int16_t)err;
    kn_proto_offsetfetch_resp_encode(resp, req->api_version, &out);
    return kn_gh_done(gc, &arena);
}

/* ---- ListGroups / DescribeGroups / DeleteGroups ------------------------------------ */

static int kn_handle_list_groups(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_listgroups_req_t r;
    kn_listgroups_resp_t out;
    kn_gcoord_t *gc = kn_gc();

    kn_arena_init(&arena);
    if (kn_proto_listgroups_req_decode(&req->body, req->api_version, &r, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    memset(&out, 0, sizeof(out));
    if (gc == NULL) {
        out.error_code = KN_ERR_COORDINATOR_NOT_AVAILABLE;
        kn_proto_listgroups_resp_encode(resp, req->api_version, &out);
        return kn_gh_done(gc, &arena);
    }
    kn_gc_lock(gc);
    kn_gtable_t *t = kn_gc_groups(gc);
    out.groups = kn_arena_array(&arena, (size_t)KN_MAX(t->count, 1), sizeof(*out.groups));
    for (int i = 0; i < KN_GTABLE_BUCKETS; i++) {
        for (kn_group_t *g = t->buckets[i]; g != NULL && out.n_groups < t->count; g = g->next) {
            if (g->state == KN_GS_DEAD) {
                continue;
            }
            out.groups[out.n_groups].group_id = kn_slice_str(g->id);
            out.groups[out.n_groups].protocol_type = kn_slice_str(g->protocol_type ? g->protocol_type : "");
            out.n_groups++;
        }
    }
    kn_proto_listgroups_resp_encode(resp, req->api_version, &out);
    return kn_gh_done(gc, &arena);
}

/* Kafka's GroupSummary: metadata, assignments and the protocol only while
 * Stable. */
static void kn_gh_describe(kn_arena_t *a, const kn_group_t *g, kn_describegroups_group_t *d)
{
    bool stable = g->state == KN_GS_STABLE;
    d->group_state = kn_slice_str(kn_gstate_name(g->state));
    d->protocol_type = kn_slice_str(g->protocol_type ? g->protocol_type : "");
    d->protocol_data = kn_slice_str(stable && g->protocol ? g->protocol : "");
    d->n_members = g->n_members;
    d->members = kn_arena_array(a, (size_t)KN_MAX(g->n_members, 1), sizeof(*d->members));
    int i = 0;
    for (const kn_gmember_t *m = g->members; m != NULL && i < g->n_members; m = m->next, i++) {
        kn_describegroups_member_t *dm = &d->members[i];
        dm->member_id = kn_slice_str(m->id);
        dm->group_instance_id = m->instance_id ? kn_slice_str(m->instance_id) : KN_SLICE_NULL;
        dm->client_id = kn_slice_str(m->client_id);
        dm->client_host = kn_slice_str(m->client_host);
        dm->member_metadata = (kn_slice_t){ (const uint8_t *)"", 0 };
        dm->member_assignment = (kn_slice_t){ (const uint8_t *)"", 0 };
        if (stable) {
            for (int k = 0; k < m->n_protocols; k++) {
                if (g->protocol != NULL && strcmp(m->protocols[k].name, g->protocol) == 0 &&
                    m->protocols[k].meta != NULL) {
                    dm->member_metadata = (kn_slice_t){ m->protocols[k].meta, m->protocols[k].meta_len };
                }
            }
            if (m->assignment != NULL) {
                dm->member_assignment = (kn_slice_t){ m->assignment, m->assignment_len };
            }
        }
    }
}

static int kn_handle_describe_groups(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_describegroups_req_t r;
    kn_describegroups_resp_t out;
    kn_gcoord_t *gc = kn_gc();

    kn_arena_init(&arena);
    if (kn_proto_describegroups_req_decode(&req->body, req->api_version, &r, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    memset(&out, 0, sizeof(out));
    out.n_groups = r.n_groups;
    out.groups = kn_arena_array(&arena, (size_t)KN_MAX(r.n_groups, 1), sizeof(*out.groups));
    kn_gh_lock(gc);
    for (int32_t i = 0; i < r.n_groups; i++) {
        kn_describegroups_group_t *d = &out.groups[i];
        kn_err_t err;
        kn_group_t *g = kn_gh_find(gc, r.groups[i], true, &err);
        d->group_id = r.groups[i];
        d->error_code = (int16_t)err;
        d->authorized_operations = INT32_MIN;
        d->group_state = kn_slice_str(err == KN_ERR_NONE ? "Dead" : "");
        d->protocol_type = kn_slice_str("");
        d->protocol_data = kn_slice_str("");
        if (g != NULL) {
            kn_gh_describe(&arena, g, d);
        }
    }
    kn_proto_describegroups_resp_encode(resp, req->api_version, &out);
    return kn_gh_done(gc, &arena);
}

static int kn_handle_delete_groups(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_deletegroups_req_t r;
    kn_deletegroups_resp_t out;
    kn_gcoord_t *gc = kn_gc();

    kn_arena_init(&arena);
    if (kn_proto_deletegroups_req_decode(&req->body, req->api_version, &r, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    memset(&out, 0, sizeof(out));
    out.n_results = r.n_groups_names;
    out.results = kn_arena_array(&arena, (size_t)KN_MAX(r.n_groups_names, 1), sizeof(*out.results));
    kn_gh_lock(gc);
    for (int32_t i = 0; i < r.n_groups_names; i++) {
        kn_err_t err;
        kn_group_t *g = kn_gh_find(gc, r.groups_names[i], true, &err);
        if (err == KN_ERR_NONE) {
            if (g == NULL || g->state == KN_GS_DEAD) {
                err = KN_ERR_GROUP_ID_NOT_FOUND;
            } else if (g->state != KN_GS_EMPTY) {
                err = KN_ERR_NON_EMPTY_GROUP;
            } else {
                err = kn_gc_delete_group(gc, g);
            }
        }
        out.results[i].group_id = r.groups_names[i];
        out.results[i].error_code = (int16_t)err;
    }
    kn_proto_deletegroups_resp_encode(resp, req->api_version, &out);
    return kn_gh_done(gc, &arena);
}

/* ---- OffsetDelete ------------------------------------------------------------------ */

/* KIP-496: offsets of topics a live consumer group still subscribes to
 * cannot be deleted (GROUP_SUBSCRIBED_TO_TOPIC); the others get
 * tombstones. */
static int kn_handle_offset_delete(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_offsetdelete_req_t r;
    kn_offsetdelete_resp_t out;
    kn_gcoord_t *gc = kn_gc();

    kn_arena_init(&arena);
    if (kn_proto_offsetdelete_req_decode(&req->body, req->api_version, &r, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    memset(&out, 0, sizeof(out));
    kn_err_t err;
    kn_gh_lock(gc);
    kn_group_t *g = kn_gh_find(gc, r.group_id, false, &err);
    if (err == KN_ERR_NONE && (g == NULL || g->state == KN_GS_DEAD)) {
        err = KN_ERR_GROUP_ID_NOT_FOUND;
    }
    if (err == KN_ERR_NONE) {
        out.n_topics = r.n_topics;
        out.topics = kn_arena_array(&arena, (size_t)KN_MAX(r.n_topics, 1), sizeof(*out.topics));
        for (int32_t i = 0; i < r.n_topics; i++) {
            kn_offsetdelete_resp_topic_t *t = &out.topics[i];
            char *topic = kn_arena_slice_strdup(&arena, r.topics[i].name);
            bool subscribed = topic && g->state != KN_GS_EMPTY && kn_group_subscribed(g, topic);
            t->name = r.topics[i].name;
            t->n_partitions = r.topics[i].n_partitions;
            t->partitions = kn_arena_array(&arena, (size_t)KN_MAX(t->n_partitions, 1),
                                           sizeof(*t->partitions));
            for (int32_t j = 0; j < t->n_partitions; j++) {
                int32_t part = r.topics[i].partitions[j];
                kn_err_t perr = KN_ERR_NONE;
                t->partitions[j].partition_index = part;
                if (subscribed) {
                    perr = KN_ERR_GROUP_SUBSCRIBED_TO_TOPIC;
                } else if (topic != NULL && kn_group_offset(g, topic, part) != NULL) {
                    kn_wbuf_t k;
                    kn_record_in_t rec = kn_gh_offset_record(&k, NULL, g, topic, part, NULL,
                                                             kn_now_ms());
                    int64_t end;
                    perr = kn_gc_append(gc, g->partition, &rec, 1, &end, NULL);
                    kn_wbuf_free(&k);
                    if (perr == KN_ERR_NONE) {
                        kn_group_offset_del(g, topic, part);
                    }
                }
                t->partitions[j].error_code = (int16_t)perr;
            }
        }
    }
    out.error_code = (int16_t)err;
    kn_proto_offsetdelete_resp_encode(resp, req->api_version, &out);
    return kn_gh_done(gc, &arena);
}

void kn_group_register_offset_handlers(void)
{
    kn_handlers_register(KN_API_OFFSET_COMMIT, kn_handle_offset_commit);
    kn_handlers_register(KN_API_OFFSET_FETCH, kn_handle_offset_fetch);
    kn_handlers_register(KN_API_LIST_GROUPS, kn_handle_list_groups);
    kn_handlers_register(KN_API_DESCRIBE_GROUPS, kn_handle_describe_groups);
    kn_handlers_register(KN_API_DELETE_GROUPS, kn_handle_delete_groups);
    kn_handlers_register(KN_API_OFFSET_DELETE, kn_handle_offset_delete);
}
