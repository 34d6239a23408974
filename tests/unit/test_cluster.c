/*
 * tests/unit/test_cluster.c -- the broker's cluster logic without
 * ZooKeeper: topic-name rules, replica assignment spreading, admin-side
 * validation, the metadata cache's update semantics, the admin wait
 * conditions, and controller-epoch fencing of controller messages.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/cluster/admin.h"
#include "broker/cluster/cluster_int.h"
#include "broker/cluster/topics.h"

/* ---- topic names -------------------------------------------------------- */

static kn_err_t name_check(const char *s)
{
    return kn_topic_name_check(s, strlen(s));
}

static void test_topic_names(void **state)
{
    (void)state;
    assert_int_equal(name_check("orders"), KN_ERR_NONE);
    assert_int_equal(name_check("a.b_c-D9"), KN_ERR_NONE);
    assert_int_equal(name_check("..."), KN_ERR_NONE);
    assert_int_equal(name_check("__consumer_offsets"), KN_ERR_NONE);
    assert_int_equal(name_check(""), KN_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(name_check("."), KN_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(name_check(".."), KN_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(name_check("foo bar"), KN_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(name_check("foo/bar"), KN_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(name_check("caf\xc3\xa9"), KN_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(kn_topic_name_check("a\0b", 3), KN_ERR_INVALID_TOPIC_EXCEPTION);
    assert_int_equal(kn_topic_name_check(NULL, 0), KN_ERR_INVALID_TOPIC_EXCEPTION);

    char longname[251];
    memset(longname, 'x', sizeof(longname));
    assert_int_equal(kn_topic_name_check(longname, 249), KN_ERR_NONE);
    assert_int_equal(kn_topic_name_check(longname, 250), KN_ERR_INVALID_TOPIC_EXCEPTION);
}

/* ---- replica assignment --------------------------------------------------- */

static void test_assign_kafka_layout(void **state)
{
    (void)state;
    /* Kafka's documented example: 5 brokers, 10 partitions, RF 3, start 0. */
    int32_t brokers[] = { 4, 2, 0, 3, 1 };   /* any order: sorted inside */
    int32_t out[10 * 3];
    assert_int_equal(kn_assign_replicas(brokers, 5, 10, 3, 0, 0, 0, out), KN_ERR_NONE);
    static const int32_t expect[10][3] = {
        { 0, 1, 2 }, { 1, 2, 3 }, { 2, 3, 4 }, { 3, 4, 0 }, { 4, 0, 1 },
        { 0, 2, 3 }, { 1, 3, 4 }, { 2, 4, 0 }, { 3, 0, 1 }, { 4, 1, 2 },
    };
    for (int p = 0; p < 10; p++)
        for (int r = 0; r < 3; r++)
            assert_int_equal(out[p * 3 + r], expect[p][r]);
}

static void test_assign_spreads_evenly(void **state)
{
    (void)state;
    int32_t brokers[] = { 11, 12, 13, 14 };
    enum { NP = 24, RF = 3 };
    for (int round = 0; round < 20; round++) {
        int32_t out[NP * RF];
        /* random start and shift, as for a real CreateTopics */
        assert_int_equal(kn_assign_replicas(brokers, 4, NP, RF, 0, -1, -1, out), KN_ERR_NONE);
        int leaders[4] = { 0 }, replicas[4] = { 0 };
        for (int p = 0; p < NP; p++) {
            const int32_t *row = &out[p * RF];
            for (int r = 0; r < RF; r++) {
                assert_in_range(row[r], 11, 14);
                for (int q = 0; q < r; q++)
                    assert_int_not_equal(row[q], row[r]);   /* distinct replicas */
                replicas[row[r] - 11]++;
            }
            leaders[row[0] - 11]++;
        }
        for (int b = 0; b < 4; b++) {
            assert_int_equal(leaders[b], NP / 4);
            assert_int_equal(replicas[b], NP * RF / 4);
        }
    }
}

static void test_assign_errors(void **state)
{
    (void)state;
    int32_t brokers[] = { 1, 2 };
    int32_t out[16];
    assert_int_equal(kn_assign_replicas(brokers, 2, 2, 3, 0, 0, 0, out),
                     KN_ERR_INVALID_REPLICATION_FACTOR);
    assert_int_equal(kn_assign_replicas(brokers, 2, 2, 0, 0, 0, 0, out),
                     KN_ERR_INVALID_REPLICATION_FACTOR);
    assert_int_equal(kn_assign_replicas(brokers, 0, 2, 1, 0, 0, 0, out),
                     KN_ERR_INVALID_REPLICATION_FACTOR);
    assert_int_equal(kn_assign_replicas(brokers, 2, 0, 1, 0, 0, 0, out),
                     KN_ERR_INVALID_PARTITIONS);
    /* a single broker takes everything */
    int32_t one[] = { 7 };
    assert_int_equal(kn_assign_replicas(one, 1, 3, 1, 0, -1, -1, out), KN_ERR_NONE);
    assert_int_equal(out[0], 7);
    assert_int_equal(out[2], 7);
}

static void test_assign_added_partitions(void **state)
{
    (void)state;
    /* Adding partitions 3..5 to a topic over 3 brokers keeps leaders
     * rotating from where partition 0 started. */
    int32_t brokers[] = { 1, 2, 3 };
    int32_t out[3 * 2];
    assert_int_equal(kn_assign_replicas(brokers, 3, 3, 2, 3, 1, 1, out), KN_ERR_NONE);
    assert_int_equal(out[0], 2);   /* p3: (3 + 1) % 3 = index 1 */
    assert_int_equal(out[2], 3);   /* p4 */
    assert_int_equal(out[4], 1);   /* p5 */
    for (int p = 0; p < 3; p++)
        assert_int_not_equal(out[p * 2], out[p * 2 + 1]);
}

/* ---- admin validation ------------------------------------------------------- */

static void test_admin_validation(void **state)
{
    (void)state;
    char msg[256];
    int32_t live[] = { 1, 2, 3 };
    int32_t ok[] = { 3, 1 }, dup[] = { 2, 2 }, unknown[] = { 1, 9 };
    assert_int_equal(kn_topics_check_assignment(ok, 2, live, 3, msg, sizeof(msg)), KN_ERR_NONE);
    assert_int_equal(kn_topics_check_assignment(dup, 2, live, 3, msg, sizeof(msg)),
                     KN_ERR_INVALID_REPLICA_ASSIGNMENT);
    assert_int_equal(kn_topics_check_assignment(unknown, 2, live, 3, msg, sizeof(msg)),
                     KN_ERR_INVALID_REPLICA_ASSIGNMENT);
    assert_non_null(strstr(msg, "9"));
    assert_int_equal(kn_topics_check_assignment(ok, 0, live, 3, msg, sizeof(msg)),
                     KN_ERR_INVALID_REPLICA_ASSIGNMENT);

    const char *keys[] = { "retention.ms", "cleanup.policy" };
    const char *good[] = { "1000", "compact" };
    const char *bad[] = { "soon", "compact" };
    const char *nullv[] = { "1000", NULL };
    kn_topic_spec_t spec = { .name = "t", .n_configs = 2, .config_keys = keys };
    spec.config_values = good;
    assert_int_equal(kn_topics_validate_configs(&spec, msg, sizeof(msg)), KN_ERR_NONE);
    spec.config_values = bad;
    assert_int_equal(kn_topics_validate_configs(&spec, msg, sizeof(msg)), KN_ERR_INVALID_CONFIG);
    assert_non_null(strstr(msg, "retention.ms"));
    spec.config_values = nullv;
    assert_int_equal(kn_topics_validate_configs(&spec, msg, sizeof(msg)), KN_ERR_INVALID_CONFIG);
    const char *unknown_key[] = { "no.such.key" };
    spec.n_configs = 1;
    spec.config_keys = unknown_key;
    spec.config_values = good;
    assert_int_equal(kn_topics_validate_configs(&spec, msg, sizeof(msg)), KN_ERR_INVALID_CONFIG);
}

/* ---- building controller messages -------------------------------------------- */

/* Small arena of protobuf structs for one test (freed at the end). */
typedef struct {
    void  *ptrs[256];
    size_t n;
} pool_t;

static void *pool_add(pool_t *p, void *x)
{
    assert_true(p->n < 256);
    p->ptrs[p->n++] = x;
    return x;
}

static void pool_free(pool_t *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->ptrs[i]);
    p->n = 0;
}

static Kanal__Control__PartitionState *pstate(pool_t *pool, const char *topic, int32_t part,
                                              int32_t leader, int32_t leader_epoch,
                                              int32_t r0, int32_t r1)
{
    Kanal__Control__PartitionState *ps = pool_add(pool, kn_malloc(sizeof(*ps)));
    kanal__control__partition_state__init(ps);
    ps->topic = (char *)topic;
    ps->partition = part;
    ps->leader = leader;
    ps->leader_epoch = leader_epoch;
    int32_t *reps = pool_add(pool, kn_malloc(2 * sizeof(int32_t)));
    reps[0] = r0;
    reps[1] = r1;
    ps->replicas = reps;
    ps->n_replicas = 2;
    ps->isr = reps;
    ps->n_isr = 2;
    return ps;
}

static Kanal__Control__LiveBroker *live_broker(pool_t *pool, int32_t id, const char *host, int port)
{
    Kanal__Control__LiveBroker *lb = pool_add(pool, kn_malloc(sizeof(*lb)));
    kanal__control__live_broker__init(lb);
    lb->id = id;
    Kanal__Control__BrokerEndpoint **eps = pool_add(pool, kn_malloc(2 * sizeof(*eps)));
    for (int i = 0; i < 2; i++) {
        eps[i] = pool_add(pool, kn_malloc(sizeof(**eps)));
        kanal__control__broker_endpoint__init(eps[i]);
        eps[i]->listener = i == 0 ? "PLAINTEXT" : "SSL";
        eps[i]->security_protocol = eps[i]->listener;
        eps[i]->host = (char *)host;
        eps[i]->port = port + i;
    }
    lb->endpoints = eps;
    lb->n_endpoints = 2;
    return lb;
}

static void test_md_update_semantics(void **state)
{
    (void)state;
    pool_t pool = { .n = 0 };
    Kanal__Control__PartitionState *ps1[] = {
        pstate(&pool, "zeta", 0, 1, 0, 1, 2),
        pstate(&pool, "alpha", 1, -1, 0, 1, 2),
        pstate(&pool, "alpha", 0, 2, 3, 2, 1),
    };
    Kanal__Control__LiveBroker *lbs[] = { live_broker(&pool, 2, "h2", 9200),
                                          live_broker(&pool, 1, "h1", 9100) };
    Kanal__Control__UpdateMetadata um = KANAL__CONTROL__UPDATE_METADATA__INIT;
    um.controller_id = 100;
    um.controller_epoch = 4;
    um.cluster_id = "cid";
    um.partitions = ps1;
    um.n_partitions = 3;
    um.live_brokers = lbs;
    um.n_live_brokers = 2;

    kn_md_t *md1 = kn_md_apply_update(NULL, &um);
    assert_string_equal(md1->cluster_id, "cid");
    assert_int_equal(md1->controller_id, 100);
    assert_int_equal(md1->n_topics, 2);
    assert_string_equal(md1->topics[0].name, "alpha");   /* sorted */
    const kn_md_topic_t *alpha = kn_md_topic(md1, "alpha");
    assert_non_null(alpha);
    assert_int_equal(alpha->n_partitions, 2);
    assert_int_equal(alpha->partitions[0].partition, 0); /* sorted */
    assert_int_equal(kn_md_partition(alpha, 0)->leader, 2);
    assert_int_equal(kn_md_partition(alpha, 0)->leader_epoch, 3);
    assert_int_equal(kn_md_partition(alpha, 1)->leader, -1);
    assert_null(kn_md_partition(alpha, 2));
    assert_null(kn_md_topic(md1, "beta"));
    assert_int_equal(md1->brokers[0].id, 1);             /* sorted */
    const kn_md_endpoint_t *ep = kn_md_endpoint(kn_md_broker(md1, 2), "SSL");
    assert_non_null(ep);
    assert_string_equal(ep->host, "h2");
    assert_int_equal(ep->port, 9201);
    assert_null(kn_md_endpoint(kn_md_broker(md1, 2), "INTERNAL"));
    assert_null(kn_md_broker(md1, 3));

    /* The next update replaces everything: one partition changed, zeta is
     * deleted, beta appears, brokers are replaced; the cluster id is kept.
     * A listed partition of a deleted topic is dropped. */
    Kanal__Control__PartitionState *ps2[] = {
        pstate(&pool, "alpha", 0, 2, 3, 2, 1),
        pstate(&pool, "alpha", 1, 1, 1, 1, 2),
        pstate(&pool, "beta", 0, 2, 0, 2, 1),
        pstate(&pool, "zeta", 0, 1, 0, 1, 2),
    };
    char *deleted[] = { "zeta" };
    Kanal__Control__LiveBroker *lbs2[] = { live_broker(&pool, 2, "h2", 9200) };
    Kanal__Control__UpdateMetadata um2 = KANAL__CONTROL__UPDATE_METADATA__INIT;
    um2.controller_id = 100;
    um2.controller_epoch = 4;
    um2.partitions = ps2;
    um2.n_partitions = 4;
    um2.live_brokers = lbs2;
    um2.n_live_brokers = 1;
    um2.deleted_topics = deleted;
    um2.n_deleted_topics = 1;
    kn_md_t *md2 = kn_md_apply_update(md1, &um2);
    assert_string_equal(md2->cluster_id, "cid");
    assert_null(kn_md_topic(md2, "zeta"));
    alpha = kn_md_topic(md2, "alpha");
    assert_int_equal(kn_md_partition(alpha, 0)->leader, 2);
    assert_int_equal(kn_md_partition(alpha, 1)->leader, 1);   /* updated */
    assert_non_null(kn_md_topic(md2, "beta"));
    assert_int_equal(md2->n_brokers, 1);
    assert_int_equal(md2->n_topics, 2);
    assert_null(kn_md_broker(md2, 1));
    /* the old snapshot is unchanged */
    assert_non_null(kn_md_topic(md1, "zeta"));
    assert_int_equal(kn_md_partition(kn_md_topic(md1, "alpha"), 1)->leader, -1);

    /* admin wait conditions */
    assert_true(kn_admin_condition_holds(md2, "alpha", 2));
    assert_false(kn_admin_condition_holds(md1, "alpha", 2));  /* p1 leaderless */
    assert_false(kn_admin_condition_holds(md2, "alpha", 3));
    assert_true(kn_admin_condition_holds(md2, "zeta", 0));
    assert_false(kn_admin_condition_holds(md2, "beta", 0));

    kn_md_release(md1);
    kn_md_release(md2);
    pool_free(&pool);
}

/* ---- controller epoch fencing ------------------------------------------------- */

static int32_t send_um(kn_cluster_t *c, pool_t *pool, int32_t epoch, const char *topic,
                       const char *deleted)
{
    Kanal__Control__PartitionState *ps[] = { topic ? pstate(pool, topic, 0, 2, 0, 2, 3) : NULL };
    char *del[] = { (char *)deleted };
    Kanal__Control__UpdateMetadata um = KANAL__CONTROL__UPDATE_METADATA__INIT;
    um.controller_id = 9;
    um.controller_epoch = epoch;
    um.partitions = ps;
    um.n_partitions = topic ? 1 : 0;
    um.deleted_topics = del;
    um.n_deleted_topics = deleted ? 1 : 0;
    Kanal__Control__KnControl msg = KANAL__CONTROL__KN_CONTROL__INIT, reply;
    msg.request_id = 42;
    msg.body_case = KANAL__CONTROL__KN_CONTROL__BODY_UPDATE_METADATA;
    msg.update_metadata = &um;
    assert_true(kn_cluster_on_control(c, &msg, &reply));
    assert_true(reply.is_response);
    assert_int_equal(reply.request_id, 42);
    assert_int_equal(reply.body_case, KANAL__CONTROL__KN_CONTROL__BODY_UPDATE_METADATA_RESPONSE);
    int32_t code = reply.update_metadata_response->error_code;
    kn_cluster_reply_free(&reply);
    return code;
}

static bool has_topic(kn_cluster_t *c, const char *name)
{
    kn_md_t *md = kn_cluster_md_acquire(c);
    bool r = kn_md_topic(md, name) != NULL;
    kn_md_release(md);
    return r;
}

static void test_epoch_fencing(void **state)
{
    (void)state;
    kn_broker_t b;
    memset(&b, 0, sizeof(b));
    b.id = 1;
    kn_cluster_t *c = kn_cluster_new_local(&b);
    pool_t pool = { .n = 0 };

    assert_int_equal(send_um(c, &pool, 5, "t", NULL), KN_ERR_NONE);
    assert_true(has_topic(c, "t"));
    /* a deposed controller (epoch 3) cannot delete the topic */
    assert_int_equal(send_um(c, &pool, 3, NULL, "t"), KN_ERR_STALE_CONTROLLER_EPOCH);
    assert_true(has_topic(c, "t"));
    /* the same epoch is still accepted */
    assert_int_equal(send_um(c, &pool, 5, "u", NULL), KN_ERR_NONE);
    assert_true(has_topic(c, "u"));

    /* LeaderAndIsr and StopReplica are fenced the same way, before they
     * touch any partition (this broker has no storage here). */
    Kanal__Control__PartitionState *ps[] = { pstate(&pool, "t", 0, 1, 1, 1, 2) };
    Kanal__Control__LeaderAndIsr lai = KANAL__CONTROL__LEADER_AND_ISR__INIT;
    lai.controller_epoch = 4;
    lai.partitions = ps;
    lai.n_partitions = 1;
    Kanal__Control__KnControl msg = KANAL__CONTROL__KN_CONTROL__INIT, reply;
    msg.body_case = KANAL__CONTROL__KN_CONTROL__BODY_LEADER_AND_ISR;
    msg.leader_and_isr = &lai;
    assert_true(kn_cluster_on_control(c, &msg, &reply));
    assert_int_equal(reply.leader_and_isr_response->error_code, KN_ERR_STALE_CONTROLLER_EPOCH);
    assert_int_equal(reply.leader_and_isr_response->n_partitions, 0);
    kn_cluster_reply_free(&reply);

    Kanal__Control__StopReplicaPartition srp = KANAL__CONTROL__STOP_REPLICA_PARTITION__INIT;
    srp.topic = "t";
    srp.delete_partition = true;
    Kanal__Control__StopReplicaPartition *srps[] = { &srp };
    Kanal__Control__StopReplica sr = KANAL__CONTROL__STOP_REPLICA__INIT;
    sr.controller_epoch = 2;
    sr.partitions = srps;
    sr.n_partitions = 1;
    msg.body_case = KANAL__CONTROL__KN_CONTROL__BODY_STOP_REPLICA;
    msg.stop_replica = &sr;
    assert_true(kn_cluster_on_control(c, &msg, &reply));
    assert_int_equal(reply.stop_replica_response->error_code, KN_ERR_STALE_CONTROLLER_EPOCH);
    kn_cluster_reply_free(&reply);

    /* A current StopReplica for a partition we do not host is a no-op. */
    sr.controller_epoch = 5;
    srp.delete_partition = false;
    assert_true(kn_cluster_on_control(c, &msg, &reply));
    assert_int_equal(reply.stop_replica_response->error_code, KN_ERR_NONE);
    assert_int_equal(reply.stop_replica_response->n_partitions, 1);
    assert_int_equal(reply.stop_replica_response->partitions[0]->error_code, KN_ERR_NONE);
    kn_cluster_reply_free(&reply);

    /* A newer controller is accepted and raises the fence. */
    assert_int_equal(send_um(c, &pool, 6, "u", "t"), KN_ERR_NONE);
    assert_false(has_topic(c, "t"));
    assert_true(has_topic(c, "u"));
    assert_int_equal(send_um(c, &pool, 5, "t", NULL), KN_ERR_STALE_CONTROLLER_EPOCH);
    assert_false(has_topic(c, "t"));

    /* Not hosted here: lookups tell known from unknown partitions. */
    kn_partition_ref_t ref;
    assert_int_equal(kn_cluster_partition_lookup(c, "u", 0, &ref), KN_ERR_NOT_LEADER_OR_FOLLOWER);
    assert_int_equal(ref.leader_id, 2);
    assert_null(ref.log);
    assert_int_equal(kn_cluster_partition_lookup(c, "u", 1, &ref),
                     KN_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(kn_cluster_partition_lookup(c, "nope", 0, &ref),
                     KN_ERR_UNKNOWN_TOPIC_OR_PARTITION);

    /* Controller responses need no reply. */
    Kanal__Control__RegisterResponse rr = KANAL__CONTROL__REGISTER_RESPONSE__INIT;
    rr.controller_epoch = 8;
    msg.body_case = KANAL__CONTROL__KN_CONTROL__BODY_REGISTER_RESPONSE;
    msg.register_response = &rr;
    assert_false(kn_cluster_on_control(c, &msg, &reply));
    assert_int_equal(send_um(c, &pool, 7, "v", NULL), KN_ERR_STALE_CONTROLLER_EPOCH);

    pool_free(&pool);
    kn_cluster_free_local(c);
}

/* ---- admin wait without a loop completes at once -------------------------- */

static int done_calls;
static bool done_sat[2];

static void on_done(kn_cluster_t *c, void *ud, const bool *satisfied)
{
    (void)c;
    assert_ptr_equal(ud, &done_calls);
    done_calls++;
    done_sat[0] = satisfied[0];
    done_sat[1] = satisfied[1];
}

static void test_admin_wait_immediate(void **state)
{
    (void)state;
    kn_broker_t b;
    memset(&b, 0, sizeof(b));
    b.id = 2;
    kn_cluster_t *c = kn_cluster_new_local(&b);
    pool_t pool = { .n = 0 };
    assert_int_equal(send_um(c, &pool, 1, "x", NULL), KN_ERR_NONE);
    const char *names[] = { "x", "y" };
    int32_t want[] = { 1, 1 };
    kn_admin_wait(c, 2, names, want, 1000, on_done, &done_calls);
    assert_int_equal(done_calls, 1);
    assert_true(done_sat[0]);
    assert_false(done_sat[1]);
    pool_free(&pool);
    kn_cluster_free_local(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topic_names),
        cmocka_unit_test(test_assign_kafka_layout),
        cmocka_unit_test(test_assign_spreads_evenly),
        cmocka_unit_test(test_assign_errors),
        cmocka_unit_test(test_assign_added_partitions),
        cmocka_unit_test(test_admin_validation),
        cmocka_unit_test(test_md_update_semantics),
        cmocka_unit_test(test_epoch_fencing),
        cmocka_unit_test(test_admin_wait_immediate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
