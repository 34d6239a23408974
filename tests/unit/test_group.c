/*
 * tests/unit/test_group.c -- the group coordinator's pure parts: Kafka's
 * coordinator-partition hash, the group state machine (join, sync,
 * heartbeat, leave, session expiry, the initial rebalance delay, static
 * membership, bad input) and the __consumer_offsets record schemas
 * (encode, then replay into an empty table).
 *
 * Time is passed in explicitly, so nothing here sleeps or depends on the
 * clock.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/group/group_int.h"
#include "protocol/group.h"

/* ---- hash ------------------------------------------------------------------------ */

static void test_java_hash(void **state)
{
    (void)state;
    /* Values from Java's String.hashCode. */
    assert_int_equal(kn_group_java_hash("", 0), 0);
    assert_int_equal(kn_group_java_hash("a", 1), 97);
    assert_int_equal(kn_group_java_hash("hello", 5), 99162322);
    assert_int_equal(kn_group_java_hash("test-group", 10), 627841412);
    assert_int_equal(kn_group_java_hash("polygenelubricants", 18), INT32_MIN);
    /* Non-ASCII: Java hashes UTF-16 units (a surrogate pair for U+1F600). */
    assert_int_equal(kn_group_java_hash("\xc3\xa9", 2), 233);
    assert_int_equal(kn_group_java_hash("\xf0\x9f\x98\x80", 4), 1772899);
    assert_int_equal(kn_group_java_hash("grp-\xc3\xa9\xf0\x9f\x98\x80x", 11), 526967252);
}

static void test_partition_for(void **state)
{
    (void)state;
    assert_int_equal(kn_group_partition_for("a", 1, 50), 47);
    assert_int_equal(kn_group_partition_for("hello", 5, 50), 22);
    assert_int_equal(kn_group_partition_for("my-consumer-group", 17, 50), 13);
    /* Utils.abs(Integer.MIN_VALUE) is 0, not MIN_VALUE. */
    assert_int_equal(kn_group_partition_for("polygenelubricants", 18, 50), 0);
    assert_int_equal(kn_group_partition_for("anything", 8, 1), 0);
}

/* ---- state machine helpers ----------------------------------------------------------- */

static const kn_gconf_t cf_nodelay = { 6000, 300000, 0, 1000 };
static const kn_gconf_t cf_delay = { 6000, 300000, 3000, 1000 };

typedef struct {
    kn_gwaiter_t w;
    int          wakes;
} tw_t;

static void tw_wake(kn_gwaiter_t *w)
{
    ((tw_t *)w->ud)->wakes++;
}

static tw_t *tw_new(int16_t key, int16_t ver)
{
    tw_t *t = calloc(1, sizeof(*t));
    kn_gwaiter_init(&t->w, key, ver);
    t->w.wake = tw_wake;
    t->w.ud = t;
    return t;
}

static void tw_free(tw_t *t)
{
    kn_gwaiter_detach(&t->w);
    kn_wbuf_free(&t->w.resp);
    free(t);
}

typedef struct {
    kn_arena_t          a;
    kn_joingroup_resp_t r;
} jr_t;

static void join_decode(tw_t *t, jr_t *out)
{
    kn_rbuf_t rb;
    assert_true(t->w.done);
    kn_arena_init(&out->a);
    kn_rbuf_init(&rb, t->w.resp.data, t->w.resp.len);
    assert_int_equal(kn_proto_joingroup_resp_decode(&rb, t->w.version, &out->r, &out->a), KN_OK);
}

static int16_t sync_error(tw_t *t, kn_slice_t *assignment, kn_arena_t *a)
{
    kn_rbuf_t rb;
    kn_syncgroup_resp_t r;
    assert_true(t->w.done);
    kn_rbuf_init(&rb, t->w.resp.data, t->w.resp.len);
    assert_int_equal(kn_proto_syncgroup_resp_decode(&rb, t->w.version, &r, a), KN_OK);
    if (assignment != NULL) {
        *assignment = r.assignment;
    }
    return r.error_code;
}

/* Fill a JoinGroup request with one "range" protocol. */
static void join_req(kn_joingroup_req_t *r, kn_joingroup_protocol_t *p, const char *member,
                     const char *instance, const char *sub)
{
    memset(r, 0, sizeof(*r));
    r->group_id = kn_slice_str("g1");
    r->session_timeout_ms = 10000;
    r->rebalance_timeout_ms = 20000;
    r->member_id = kn_slice_str(member);
    r->group_instance_id = instance ? kn_slice_str(instance) : KN_SLICE_NULL;
    r->protocol_type = kn_slice_str("consumer");
    p->name = kn_slice_str("range");
    p->metadata = kn_slice_str(sub);
    r->n_protocols = 1;
    r->protocols = p;
}

static const kn_gclient_t client = { "cli", "/127.0.0.1" };

/* Join a new member at v1 (no MEMBER_ID_REQUIRED round trip). */
static tw_t *join_new(kn_group_t *g, const kn_gconf_t *cf, const char *sub, int64_t now)
{
    kn_joingroup_req_t r;
    kn_joingroup_protocol_t p;
    tw_t *t = tw_new(KN_API_JOIN_GROUP, 1);
    join_req(&r, &p, "", NULL, sub);
    kn_group_join(g, cf, &r, &client, &t->w, now);
    return t;
}

static char *member_of(tw_t *t)
{
    jr_t jr;
    join_decode(t, &jr);
    char *id = kn_slice_strdup(jr.r.member_id);
    kn_arena_free(&jr.a);
    return id;
}

/* ---- state machine tests ------------------------------------------------------------- */

static void test_single_member_join_sync(void **state)
{
    (void)state;
    kn_group_t *g = kn_group_new("g1", 2, 0);
    tw_t *j = join_new(g, &cf_nodelay, "sub-a", 0);
    /* Without an initial delay a lone member completes the join at once. */
    assert_true(j->w.done);
    assert_int_equal(j->wakes, 1);
    jr_t jr;
    join_decode(j, &jr);
    assert_int_equal(jr.r.error_code, 0);
    assert_int_equal(jr.r.generation_id, 1);
    assert_true(kn_slice_eq(jr.r.protocol_name, "range"));
    assert_int_equal(jr.r.n_members, 1);   /* the leader sees everyone */
    assert_true(kn_slice_eq(jr.r.members[0].metadata, "sub-a"));
    assert_int_equal(jr.r.leader.len, jr.r.member_id.len);
    assert_int_equal(g->state, KN_GS_COMPLETING);

    kn_syncgroup_assignment_t as = { jr.r.member_id, kn_slice_str("asg-a") };
    kn_syncgroup_req_t sr = { kn_slice_str("g1"), 1, jr.r.member_id, KN_SLICE_NULL, 1, &as };
    tw_t *s = tw_new(KN_API_SYNC_GROUP, 1);
    kn_group_sync(g, &sr, &s->w, 10);
    kn_arena_t a;
    kn_arena_init(&a);
    kn_slice_t asg;
    assert_int_equal(sync_error(s, &asg, &a), 0);
    assert_true(kn_slice_eq(asg, "asg-a"));
    assert_int_equal(g->state, KN_GS_STABLE);
    assert_true(g->dirty);   /* metadata must be stored */

    kn_heartbeat_req_t hb = { kn_slice_str("g1"), 1, jr.r.member_id, KN_SLICE_NULL };
    assert_int_equal(kn_group_heartbeat(g, &hb, 20), KN_ERR_NONE);
    hb.generation_id = 7;
    assert_int_equal(kn_group_heartbeat(g, &hb, 20), KN_ERR_ILLEGAL_GENERATION);
    hb.member_id = kn_slice_str("nobody");
    hb.generation_id = 1;
    assert_int_equal(kn_group_heartbeat(g, &hb, 20), KN_ERR_UNKNOWN_MEMBER_ID);

    /* SyncGroup for an unknown generation. */
    tw_t *s2 = tw_new(KN_API_SYNC_GROUP, 1);
    sr.generation_id = 5;
    kn_group_sync(g, &sr, &s2->w, 30);
    assert_int_equal(sync_error(s2, NULL, &a), KN_ERR_ILLEGAL_GENERATION);

    /* The last member leaves: the group ends up Empty, next generation. */
    g->dirty = false;
    assert_int_equal(kn_group_leave(g, jr.r.member_id, KN_SLICE_NULL, 40), KN_ERR_NONE);
    assert_int_equal(g->state, KN_GS_EMPTY);
    assert_int_equal(g->generation, 2);
    assert_int_equal(g->n_members, 0);
    assert_true(g->dirty);

    kn_arena_free(&a);
    kn_arena_free(&jr.a);
    tw_free(j);
    tw_free(s);
    tw_free(s2);
    kn_group_free(g, KN_ERR_NOT_COORDINATOR);
}

static void test_member_id_required(void **state)
{
    (void)state;
    kn_group_t *g = kn_group_new("g1", 2, 0);
    kn_joingroup_req_t r;
    kn_joingroup_protocol_t p;
    tw_t *t1 = tw_new(KN_API_JOIN_GROUP, 4);
    join_req(&r, &p, "", NULL, "s");
    kn_group_join(g, &cf_nodelay, &r, &client, &t1->w, 0);
    jr_t jr;
    join_decode(t1, &jr);
    assert_int_equal(jr.r.error_code, KN_ERR_MEMBER_ID_REQUIRED);
    assert_true(jr.r.member_id.len > 4);
    assert_memory_equal(jr.r.member_id.ptr, "cli-", 4);
    assert_int_equal(g->n_members, 0);
    assert_int_equal(g->n_pending, 1);

    tw_t *t2 = tw_new(KN_API_JOIN_GROUP, 4);
    r.member_id = jr.r.member_id;
    kn_group_join(g, &cf_nodelay, &r, &client, &t2->w, 5);
    jr_t jr2;
    join_decode(t2, &jr2);
    assert_int_equal(jr2.r.error_code, 0);
    assert_int_equal(jr2.r.generation_id, 1);
    assert_int_equal(g->n_pending, 0);

    /* A pending id that never comes back expires after the session. */
    tw_t *t3 = tw_new(KN_API_JOIN_GROUP, 4);
    r.member_id = kn_slice_str("");
    kn_group_join(g, &cf_nodelay, &r, &client, &t3->w, 10);
    assert_int_equal(g->n_pending, 1);
    kn_group_timers(g, &cf_nodelay, 10 + 10000);
    assert_int_equal(g->n_pending, 0);

    kn_arena_free(&jr.a);
    kn_arena_free(&jr2.a);
    tw_free(t1);
    tw_free(t2);
    tw_free(t3);
    kn_group_free(g, KN_ERR_NOT_COORDINATOR);
}

static void test_initial_delay_two_members(void **state)
{
    (void)state;
    kn_group_t *g = kn_group_new("g1", 2, 0);
    tw_t *a = join_new(g, &cf_delay, "sa", 0);
    assert_false(a->w.done);
    assert_int_equal(g->state, KN_GS_PREPARING);
    tw_t *b = join_new(g, &cf_delay, "sb", 100);
    assert_false(b->w.done);
    /* The delay expires with a newcomer seen: it is extended once. */
    kn_group_timers(g, &cf_delay, 3000);
    assert_false(a->w.done);
    kn_group_timers(g, &cf_delay, 5999);
    assert_false(a->w.done);
    kn_group_timers(g, &cf_delay, 6000);
    assert_true(a->w.done);
    assert_true(b->w.done);

    jr_t ja, jb;
    join_decode(a, &ja);
    join_decode(b, &jb);
    assert_int_equal(ja.r.generation_id, 1);
    assert_int_equal(jb.r.generation_id, 1);
    assert_int_equal(ja.r.n_members, 2);   /* a joined first: leader */
    assert_int_equal(jb.r.n_members, 0);

    /* The follower syncs first and waits for the leader's assignment. */
    kn_syncgroup_req_t sb = { kn_slice_str("g1"), 1, jb.r.member_id, KN_SLICE_NULL, 0, NULL };
    tw_t *syb = tw_new(KN_API_SYNC_GROUP, 2);
    kn_group_sync(g, &sb, &syb->w, 6100);
    assert_false(syb->w.done);
    kn_syncgroup_assignment_t as[2] = { { ja.r.member_id, kn_slice_str("A") },
                                        { jb.r.member_id, kn_slice_str("B") } };
    kn_syncgroup_req_t sa = { kn_slice_str("g1"), 1, ja.r.member_id, KN_SLICE_NULL, 2, as };
    tw_t *sya = tw_new(KN_API_SYNC_GROUP, 2);
    kn_group_sync(g, &sa, &sya->w, 6200);
    kn_arena_t ar;
    kn_arena_init(&ar);
    kn_slice_t asg;
    assert_int_equal(sync_error(syb, &asg, &ar), 0);
    assert_true(kn_slice_eq(asg, "B"));
    assert_int_equal(sync_error(sya, &asg, &ar), 0);
    assert_true(kn_slice_eq(asg, "A"));
    assert_int_equal(g->state, KN_GS_STABLE);

    /* b stops heartbeating: after its session it is removed and a
     * rebalance starts; a learns it from its heartbeat and rejoins. */
    kn_heartbeat_req_t hb = { kn_slice_str("g1"), 1, ja.r.member_id, KN_SLICE_NULL };
    assert_int_equal(kn_group_heartbeat(g, &hb, 15000), KN_ERR_NONE);
    kn_group_timers(g, &cf_delay, 6200 + 10000);
    assert_int_equal(g->n_members, 1);
    assert_int_equal(g->state, KN_GS_PREPARING);
    assert_int_equal(kn_group_heartbeat(g, &hb, 16300), KN_ERR_REBALANCE_IN_PROGRESS);
    kn_joingroup_req_t r;
    kn_joingroup_protocol_t p;
    join_req(&r, &p, "", NULL, "sa");
    r.member_id = ja.r.member_id;
    tw_t *a2 = tw_new(KN_API_JOIN_GROUP, 1);
    kn_group_join(g, &cf_delay, &r, &client, &a2->w, 16400);
    jr_t ja2;
    join_decode(a2, &ja2);
    assert_int_equal(ja2.r.generation_id, 2);
    assert_int_equal(ja2.r.n_members, 1);
    assert_int_equal(g->state, KN_GS_COMPLETING);

    /* The old generation's commit is refused, the current one accepted. */
    assert_int_equal(kn_group_commit_check(g, 1, ja.r.member_id, KN_SLICE_NULL, 16500),
                     KN_ERR_REBALANCE_IN_PROGRESS);

    kn_arena_free(&ar);
    kn_arena_free(&ja.a);
    kn_arena_free(&jb.a);
    kn_arena_free(&ja2.a);
    tw_free(a);
    tw_free(b);
    tw_free(a2);
    tw_free(sya);
    tw_free(syb);
    kn_group_free(g, KN_ERR_NOT_COORDINATOR);
}

static void test_bad_joins(void **state)
{
    (void)state;
    kn_group_t *g = kn_group_new("g1", 2, 0);
    kn_joingroup_req_t r;
    kn_joingroup_protocol_t p;
    jr_t jr;

    /* An empty protocol list. */
    join_req(&r, &p, "", NULL, "s");
    r.n_protocols = 0;
    tw_t *t = tw_new(KN_API_JOIN_GROUP, 1);
    kn_group_join(g, &cf_nodelay, &r, &client, &t->w, 0);
    join_decode(t, &jr);
    assert_int_equal(jr.r.error_code, KN_ERR_INCONSISTENT_GROUP_PROTOCOL);
    kn_arena_free(&jr.a);
    tw_free(t);

    /* A session timeout outside the broker's bounds. */
    join_req(&r, &p, "", NULL, "s");
    r.session_timeout_ms = 10;
    t = tw_new(KN_API_JOIN_GROUP, 1);
    kn_group_join(g, &cf_nodelay, &r, &client, &t->w, 0);
    join_decode(t, &jr);
    assert_int_equal(jr.r.error_code, KN_ERR_INVALID_SESSION_TIMEOUT);
    kn_arena_free(&jr.a);
    tw_free(t);

    /* An unknown member id. */
    join_req(&r, &p, "ghost", NULL, "s");
    t = tw_new(KN_API_JOIN_GROUP, 1);
    kn_group_join(g, &cf_nodelay, &r, &client, &t->w, 0);
    join_decode(t, &jr);
    assert_int_equal(jr.r.error_code, KN_ERR_UNKNOWN_MEMBER_ID);
    kn_arena_free(&jr.a);
    tw_free(t);

    /* An empty group id. */
    join_req(&r, &p, "", NULL, "s");
    r.group_id = kn_slice_str("");
    t = tw_new(KN_API_JOIN_GROUP, 1);
    kn_group_join(g, &cf_nodelay, &r, &client, &t->w, 0);
    join_decode(t, &jr);
    assert_int_equal(jr.r.error_code, KN_ERR_INVALID_GROUP_ID);
    kn_arena_free(&jr.a);
    tw_free(t);

    /* A member of another protocol type cannot join a live group. */
    tw_t *ok = join_new(g, &cf_nodelay, "s", 0);
    assert_true(ok->w.done);
    join_req(&r, &p, "", NULL, "s");
    r.protocol_type = kn_slice_str("connect");
    t = tw_new(KN_API_JOIN_GROUP, 1);
    kn_group_join(g, &cf_nodelay, &r, &client, &t->w, 0);
    join_decode(t, &jr);
    assert_int_equal(jr.r.error_code, KN_ERR_INCONSISTENT_GROUP_PROTOCOL);
    kn_arena_free(&jr.a);
    tw_free(t);
    tw_free(ok);
    kn_group_free(g, KN_ERR_NOT_COORDINATOR);
}

static void test_static_member(void **state)
{
    (void)state;
    kn_group_t *g = kn_group_new("g1", 2, 0);
    kn_joingroup_req_t r;
    kn_joingroup_protocol_t p;
    join_req(&r, &p, "", "inst-1", "s");
    tw_t *t1 = tw_new(KN_API_JOIN_GROUP, 5);
    kn_group_join(g, &cf_nodelay, &r, &client, &t1->w, 0);
    char *id1 = member_of(t1);
    kn_syncgroup_assignment_t as = { kn_slice_str(id1), kn_slice_str("X") };
    kn_syncgroup_req_t sr = { kn_slice_str("g1"), 1, kn_slice_str(id1), kn_slice_str("inst-1"), 1, &as };
    tw_t *s1 = tw_new(KN_API_SYNC_GROUP, 3);
    kn_group_sync(g, &sr, &s1->w, 1);
    assert_int_equal(g->state, KN_GS_STABLE);

    /* The same instance restarts: new member id, no rebalance. */
    tw_t *t2 = tw_new(KN_API_JOIN_GROUP, 5);
    kn_group_join(g, &cf_nodelay, &r, &client, &t2->w, 2);
    char *id2 = member_of(t2);
    assert_string_not_equal(id1, id2);
    assert_int_equal(g->state, KN_GS_STABLE);
    assert_int_equal(g->generation, 1);

    /* The old incarnation is fenced. */
    kn_heartbeat_req_t hb = { kn_slice_str("g1"), 1, kn_slice_str(id1), kn_slice_str("inst-1") };
    assert_int_equal(kn_group_heartbeat(g, &hb, 3), KN_ERR_FENCED_INSTANCE_ID);
    hb.member_id = kn_slice_str(id2);
    assert_int_equal(kn_group_heartbeat(g, &hb, 3), KN_ERR_NONE);
    assert_int_equal(kn_group_leave(g, kn_slice_str(id1), kn_slice_str("inst-1"), 4),
                     KN_ERR_FENCED_INSTANCE_ID);

    free(id1);
    free(id2);
    tw_free(t1);
    tw_free(t2);
    tw_free(s1);
    kn_group_free(g, KN_ERR_NOT_COORDINATOR);
}

/* A parked waiter is answered when its group goes away (unload). */
static void test_free_answers_parked(void **state)
{
    (void)state;
    kn_group_t *g = kn_group_new("g1", 2, 0);
    tw_t *a = join_new(g, &cf_delay, "s", 0);
    assert_false(a->w.done);
    kn_group_free(g, KN_ERR_NOT_COORDINATOR);
    jr_t jr;
    join_decode(a, &jr);
    assert_int_equal(jr.r.error_code, KN_ERR_NOT_COORDINATOR);
    assert_null(a->w.slot);
    kn_arena_free(&jr.a);
    tw_free(a);
}

/* ---- records --------------------------------------------------------------------------- */

/* Encode a record pair into recs/bufs. */
static void add_rec(kn_record_in_t *rec, kn_wbuf_t *k, kn_wbuf_t *v, bool tombstone)
{
    rec->key = k->data;
    rec->key_len = k->len;
    rec->value = tombstone ? NULL : v->data;
    rec->value_len = tombstone ? 0 : v->len;
    rec->timestamp = 1000;
}

static void test_records_roundtrip(void **state)
{
    (void)state;
    /* A Stable group with one member and two offsets. */
    kn_group_t *g = kn_group_new("grp", 3, 7);
    tw_t *j = join_new(g, &cf_nodelay, "subscription", 0);
    char *mid = member_of(j);
    kn_syncgroup_assignment_t as = { kn_slice_str(mid), kn_slice_str("assignment") };
    kn_syncgroup_req_t sr = { kn_slice_str("g1"), 1, kn_slice_str(mid), KN_SLICE_NULL, 1, &as };
    tw_t *s = tw_new(KN_API_SYNC_GROUP, 1);
    kn_group_sync(g, &sr, &s->w, 1);
    assert_int_equal(g->state, KN_GS_STABLE);

    kn_goffset_t o1 = { "t1", 0, 42, 3, "meta", 500, -1 };
    kn_goffset_t o2 = { "t1", 1, 7, -1, NULL, 600, 99999 };
    kn_goffset_t o3 = { "t2", 0, 1, -1, NULL, 700, -1 };
    kn_wbuf_t b[8];
    for (int i = 0; i < 8; i++) {
        kn_wbuf_init(&b[i], 64);
    }
    kn_record_in_t recs[4];
    kn_grec_offset_key(&b[0], "grp", "t1", 0);
    kn_grec_offset_value(&b[1], &o1);
    kn_grec_offset_key(&b[2], "grp", "t1", 1);
    kn_grec_offset_value(&b[3], &o2);
    kn_grec_offset_key(&b[4], "grp", "t2", 0);
    kn_grec_offset_value(&b[5], &o3);
    kn_grec_group_key(&b[6], "grp");
    kn_grec_group_value(&b[7], g);
    add_rec(&recs[0], &b[0], &b[1], false);
    add_rec(&recs[1], &b[2], &b[3], false);
    add_rec(&recs[2], &b[4], &b[5], false);
    add_rec(&recs[3], &b[6], &b[7], false);

    kn_wbuf_t batches;
    kn_wbuf_init(&batches, 256);
    kn_batch_build_opts_t opts;
    kn_batch_build_opts_init(&opts);
    assert_int_equal(kn_batch_build(&batches, &opts, recs, 4), KN_OK);
    /* A second batch: t2-0 is deleted (tombstone). */
    add_rec(&recs[0], &b[4], &b[5], true);
    assert_int_equal(kn_batch_build(&batches, &opts, recs, 1), KN_OK);

    kn_gtable_t *t = calloc(1, sizeof(*t));
    assert_int_equal(kn_grec_apply_batches(t, 7, batches.data, batches.len, 100), 5);
    kn_group_t *lg = kn_gtable_find(t, "grp", 3);
    assert_non_null(lg);
    assert_int_equal(lg->partition, 7);
    assert_int_equal(lg->state, KN_GS_STABLE);
    assert_int_equal(lg->generation, 1);
    assert_string_equal(lg->protocol, "range");
    assert_string_equal(lg->protocol_type, "consumer");
    assert_string_equal(lg->leader, mid);
    assert_int_equal(lg->n_members, 1);
    assert_string_equal(lg->members->id, mid);
    assert_string_equal(lg->members->client_host, "/127.0.0.1");
    assert_int_equal(lg->members->assignment_len, 10);
    assert_memory_equal(lg->members->assignment, "assignment", 10);
    assert_int_equal(lg->members->heartbeat_deadline, 100 + 10000);
    assert_int_equal(lg->n_offsets, 2);
    kn_goffset_t *x = kn_group_offset(lg, "t1", 0);
    assert_non_null(x);
    assert_int_equal(x->offset, 42);
    assert_int_equal(x->leader_epoch, 3);
    assert_string_equal(x->metadata, "meta");
    assert_int_equal(x->commit_ts, 500);
    assert_int_equal(x->expire_ts, -1);
    x = kn_group_offset(lg, "t1", 1);
    assert_non_null(x);
    assert_int_equal(x->offset, 7);
    assert_int_equal(x->expire_ts, 99999);   /* value v1 keeps the expiry */
    assert_null(kn_group_offset(lg, "t2", 0));

    /* A group tombstone removes the group. */
    kn_wbuf_reset(&batches);
    add_rec(&recs[0], &b[6], &b[7], true);
    assert_int_equal(kn_batch_build(&batches, &opts, recs, 1), KN_OK);
    assert_int_equal(kn_grec_apply_batches(t, 7, batches.data, batches.len, 200), 1);
    assert_null(kn_gtable_find(t, "grp", 3));

    /* Corrupt input is refused, not half-applied past the damage. */
    batches.data[batches.len - 1] ^= 0xff;
    assert_int_equal(kn_grec_apply_batches(t, 7, batches.data, batches.len, 300), -1);
    /* An unknown key version is skipped. */
    uint8_t badkey[] = { 0, 9, 0, 0 };
    assert_int_equal(kn_grec_apply(t, 7, (kn_slice_t){ badkey, 4 }, (kn_slice_t){ badkey, 4 }, 0),
                     KN_ERROR);
    uint8_t shortkey[] = { 0, 1, 0, 50, 'x' };
    assert_int_equal(kn_grec_apply(t, 7, (kn_slice_t){ shortkey, 5 }, KN_SLICE_NULL, 0), KN_ERROR);

    for (int i = 0; i < KN_GTABLE_BUCKETS; i++) {
        while (t->buckets[i] != NULL) {
            kn_group_t *e = t->buckets[i];
            t->buckets[i] = e->next;
            kn_group_free(e, KN_ERR_NOT_COORDINATOR);
        }
    }
    free(t);
    for (int i = 0; i < 8; i++) {
        kn_wbuf_free(&b[i]);
    }
    kn_wbuf_free(&batches);
    free(mid);
    tw_free(j);
    tw_free(s);
    kn_group_free(g, KN_ERR_NOT_COORDINATOR);
}

static void test_subscribed(void **state)
{
    (void)state;
    /* ConsumerProtocolSubscription v0: version, [topics], userdata. */
    uint8_t sub[] = { 0, 0, 0, 0, 0, 2, 0, 3, 'f', 'o', 'o', 0, 3, 'b', 'a', 'r', 0xff, 0xff, 0xff, 0xff };
    kn_group_t *g = kn_group_new("g1", 2, 0);
    kn_joingroup_req_t r;
    kn_joingroup_protocol_t p;
    join_req(&r, &p, "", NULL, "");
    p.metadata = (kn_slice_t){ sub, (int32_t)sizeof(sub) };
    tw_t *t = tw_new(KN_API_JOIN_GROUP, 1);
    kn_group_join(g, &cf_nodelay, &r, &client, &t->w, 0);
    assert_true(kn_group_subscribed(g, "foo"));
    assert_true(kn_group_subscribed(g, "bar"));
    assert_false(kn_group_subscribed(g, "baz"));
    tw_free(t);
    kn_group_free(g, KN_ERR_NOT_COORDINATOR);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_java_hash),
        cmocka_unit_test(test_partition_for),
        cmocka_unit_test(test_single_member_join_sync),
        cmocka_unit_test(test_member_id_required),
        cmocka_unit_test(test_initial_delay_two_members),
        cmocka_unit_test(test_bad_joins),
        cmocka_unit_test(test_static_member),
        cmocka_unit_test(test_free_answers_parked),
        cmocka_unit_test(test_records_roundtrip),
        cmocka_unit_test(test_subscribed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
