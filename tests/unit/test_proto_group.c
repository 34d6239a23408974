/*
 * tests/unit/test_proto_group.c -- codecs of the consumer-group APIs:
 * FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup,
 * ListGroups, DescribeGroups, DeleteGroups, OffsetCommit, OffsetFetch and
 * OffsetForLeaderEpoch. Round trips at every version, byte-exact frames as
 * kafka-python sends them, and malformed input.
 */
#include "config.h"

#include "test_proto_util.h"

#define CODEC(short, name)                                                            \
    KN_TEST_ENCODER(enc_##short##_req, kn_proto_##name##_req_encode, kn_##name##_req_t)   \
    KN_TEST_DECODER(dec_##short##_req, kn_proto_##name##_req_decode, kn_##name##_req_t)   \
    KN_TEST_ENCODER(enc_##short##_resp, kn_proto_##name##_resp_encode, kn_##name##_resp_t) \
    KN_TEST_DECODER(dec_##short##_resp, kn_proto_##name##_resp_decode, kn_##name##_resp_t)

CODEC(fc, findcoordinator)
CODEC(jg, joingroup)
CODEC(sg, syncgroup)
CODEC(hb, heartbeat)
CODEC(lg, leavegroup)
CODEC(ls, listgroups)
CODEC(dg, describegroups)
CODEC(del, deletegroups)
CODEC(oc, offsetcommit)
CODEC(of, offsetfetch)
CODEC(fle, offsetforleaderepoch)

/* Round-trip request and response at every version lo..hi. */
#define ROUNDTRIPS(short, lo, hi, req, req_check, resp, resp_check)                          \
    for (int16_t v = (lo); v <= (hi); v++) {                                                 \
        kn_test_roundtrip(enc_##short##_req, dec_##short##_req, &(req), sizeof(req), v,      \
                          req_check);                                                        \
        kn_test_roundtrip(enc_##short##_resp, dec_##short##_resp, &(resp), sizeof(resp), v,  \
                          resp_check);                                                       \
    }

static void check_fc_req(const void *p, int16_t ver)
{
    const kn_findcoordinator_req_t *m = p;
    assert_slice_str(m->key, "txn");
    assert_int_equal(m->key_type, ver >= 1 ? KN_COORDINATOR_TRANSACTION : KN_COORDINATOR_GROUP);
}

static void check_fc_resp(const void *p, int16_t ver)
{
    const kn_findcoordinator_resp_t *m = p;
    assert_int_equal(m->node_id, 3);
    assert_slice_str(m->host, "127.0.0.1");
    assert_int_equal(m->port, 9092);
    if (ver >= 1) {
        assert_slice_str(m->error_message, "none");
    } else {
        assert_int_equal(m->error_message.len, -1);
    }
}

static void test_findcoordinator(void **state)
{
    (void)state;
    kn_findcoordinator_req_t req = { KN_S("txn"), KN_COORDINATOR_TRANSACTION };
    kn_findcoordinator_resp_t resp = { 0, 0, KN_S("none"), 3, KN_S("127.0.0.1"), 9092 };
    ROUNDTRIPS(fc, KN_FINDCOORDINATOR_MIN, KN_FINDCOORDINATOR_MAX, req, check_fc_req, resp,
               check_fc_resp)
    /* kafka-python's v0 request: just the group id. */
    static const uint8_t v0[] = { 0, 2, 'g', '1' };
    kn_findcoordinator_req_t out;
    assert_int_equal(kn_test_decode(dec_fc_req, v0, sizeof(v0), 0, &out, sizeof(out)), KN_OK);
    assert_int_equal(out.key_type, KN_COORDINATOR_GROUP);
    /* The same bytes at v1 lack the key type. */
    assert_int_equal(kn_test_decode(dec_fc_req, v0, sizeof(v0), 1, &out, sizeof(out)), KN_ERROR);
    assert_int_equal(kn_test_decode(dec_fc_req, v0, sizeof(v0), 3, &out, sizeof(out)), KN_ERROR);
}

static const uint8_t meta_a[] = { 0, 1, 0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff, 0xff };

static void check_jg_req(const void *p, int16_t ver)
{
    const kn_joingroup_req_t *m = p;
    assert_slice_str(m->group_id, "g");
    assert_int_equal(m->rebalance_timeout_ms, ver >= 1 ? 60000 : -1);
    if (ver >= 5) {
        assert_slice_str(m->group_instance_id, "static-1");
    } else {
        assert_int_equal(m->group_instance_id.len, -1);
    }
    assert_int_equal(m->n_protocols, 2);
    assert_int_equal(m->protocols[0].metadata.len, (int32_t)sizeof(meta_a));
    assert_int_equal(m->protocols[1].metadata.len, 0);
}

static void test_joingroup(void **state)
{
    (void)state;
    kn_joingroup_protocol_t protos[] = {
        { KN_S("range"), { meta_a, (int32_t)sizeof(meta_a) } },
        { KN_S("roundrobin"), { (const uint8_t *)"", 0 } },
    };
    kn_joingroup_req_t req = { KN_S("g"), 10000, 60000, KN_S(""), KN_S("static-1"),
                               KN_S("consumer"), 2, protos };
    kn_joingroup_member_t members[] = {
        { KN_S("m-1"), KN_SLICE_NULL, { meta_a, (int32_t)sizeof(meta_a) } },
        { KN_S("m-2"), KN_S("static-2"), { meta_a, 3 } },
    };
    kn_joingroup_resp_t resp = { 0, 0, 7, KN_S("range"), KN_S("m-1"), KN_S("m-1"), 2, members };
    ROUNDTRIPS(jg, KN_JOINGROUP_MIN, KN_JOINGROUP_MAX, req, check_jg_req, resp, NULL)

    /* kafka-python's JoinGroup v2 layout, byte-exact. */
    kn_joingroup_protocol_t one[] = { { KN_S("range"), { meta_a, 2 } } };
    kn_joingroup_req_t r2 = { KN_S("g"), 10000, 30000, KN_S(""), KN_SLICE_NULL,
                              KN_S("consumer"), 1, one };
    static const uint8_t v2[] = {
        0, 1, 'g', 0, 0, 0x27, 0x10, 0, 0, 0x75, 0x30, 0, 0,
        0, 8, 'c', 'o', 'n', 's', 'u', 'm', 'e', 'r',
        0, 0, 0, 1, 0, 5, 'r', 'a', 'n', 'g', 'e', 0, 0, 0, 2, 0, 1,
    };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_joingroup_req_encode(&w, 2, &r2);
    KN_ASSERT_BYTES(&w, v2);
    kn_wbuf_free(&w);
    /* Null metadata is not allowed (BYTES, not NULLABLE_BYTES). */
    uint8_t bad[sizeof(v2)];
    memcpy(bad, v2, sizeof(bad));
    memset(bad + 35, 0xff, 4);
    kn_joingroup_req_t out;
    assert_int_equal(kn_test_decode(dec_jg_req, bad, 39, 2, &out, sizeof(out)), KN_ERROR);
    assert_int_equal(kn_test_decode(dec_jg_req, v2, sizeof(v2), 2, &out, sizeof(out)), KN_OK);
}

static void test_syncgroup_heartbeat(void **state)
{
    (void)state;
    kn_syncgroup_assignment_t as[] = {
        { KN_S("m-1"), { meta_a, (int32_t)sizeof(meta_a) } },
        { KN_S("m-2"), { (const uint8_t *)"", 0 } },
    };
    kn_syncgroup_req_t sreq = { KN_S("g"), 7, KN_S("m-1"), KN_S("inst"), 2, as };
    kn_syncgroup_resp_t sresp = { 1, 0, { meta_a, (int32_t)sizeof(meta_a) } };
    ROUNDTRIPS(sg, KN_SYNCGROUP_MIN, KN_SYNCGROUP_MAX, sreq, NULL, sresp, NULL)

    kn_heartbeat_req_t hreq = { KN_S("g"), 7, KN_S("m-1"), KN_S("inst") };
    kn_heartbeat_resp_t hresp = { 0, KN_ERR_REBALANCE_IN_PROGRESS };
    ROUNDTRIPS(hb, KN_HEARTBEAT_MIN, KN_HEARTBEAT_MAX, hreq, NULL, hresp, NULL)
    /* Heartbeat v1 response: throttle then error. */
    static const uint8_t v1[] = { 0, 0, 0, 0, 0, 27 };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_heartbeat_resp_encode(&w, 1, &hresp);
    KN_ASSERT_BYTES(&w, v1);
    kn_wbuf_free(&w);
}

static void check_lg_req(const void *p, int16_t ver)
{
    const kn_leavegroup_req_t *m = p;
    /* Both shapes are filled whatever the version. */
    assert_slice_str(m->member_id, "m-1");
    assert_true(m->n_members >= 1);
    assert_slice_str(m->members[0].member_id, "m-1");
    assert_int_equal(m->n_members, ver >= 3 ? 2 : 1);
}

static void test_leavegroup(void **state)
{
    (void)state;
    kn_leavegroup_member_t ms[] = {
        { KN_S("m-1"), KN_SLICE_NULL, 0 },
        { KN_S("m-2"), KN_S("inst-2"), KN_ERR_UNKNOWN_MEMBER_ID },
    };
    kn_leavegroup_req_t req = { KN_S("g"), KN_S("m-1"), 2, ms };
    kn_leavegroup_resp_t resp = { 0, 0, 2, ms };
    ROUNDTRIPS(lg, KN_LEAVEGROUP_MIN, KN_LEAVEGROUP_MAX, req, check_lg_req, resp, NULL)
}

static void test_listgroups_describegroups(void **state)
{
    (void)state;
    kn_listgroups_req_t lreq = { 0 };
    kn_listgroups_group_t gs[] = { { KN_S("g1"), KN_S("consumer") }, { KN_S("g2"), KN_S("") } };
    kn_listgroups_resp_t lresp = { 0, 0, 2, gs };
    ROUNDTRIPS(ls, KN_LISTGROUPS_MIN, KN_LISTGROUPS_MAX, lreq, NULL, lresp, NULL)

    kn_slice_t names[] = { KN_S("g1"), KN_S("g2") };
    kn_describegroups_req_t dreq = { 2, names, true };
    kn_describegroups_member_t mem[] = {
        { KN_S("m-1"), KN_S("inst"), KN_S("rdkafka"), KN_S("/127.0.0.1"),
          { meta_a, (int32_t)sizeof(meta_a) }, { meta_a, 4 } },
    };
    kn_describegroups_group_t dg[] = {
        { 0, KN_S("g1"), KN_S("Stable"), KN_S("consumer"), KN_S("range"), 1, mem, 0xff },
        { KN_ERR_GROUP_ID_NOT_FOUND, KN_S("g2"), KN_S("Dead"), KN_S(""), KN_S(""), 0, NULL,
          INT32_MIN },
    };
    kn_describegroups_resp_t dresp = { 0, 2, dg };
    ROUNDTRIPS(dg, KN_DESCRIBEGROUPS_MIN, KN_DESCRIBEGROUPS_MAX, dreq, NULL, dresp, NULL)

    kn_deletegroups_req_t xreq = { 2, names };
    kn_deletegroups_result_t xr[] = { { KN_S("g1"), 0 }, { KN_S("g2"), KN_ERR_GROUP_ID_NOT_FOUND } };
    kn_deletegroups_resp_t xresp = { 0, 2, xr };
    ROUNDTRIPS(del, KN_DELETEGROUPS_MIN, KN_DELETEGROUPS_MAX, xreq, NULL, xresp, NULL)
    static const uint8_t v0[] = { 0, 0, 0, 0, 0, 0, 0, 2, 0, 2, 'g', '1', 0, 0,
                                  0, 2, 'g', '2', 0, 69 };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_deletegroups_resp_encode(&w, 0, &xresp);
    KN_ASSERT_BYTES(&w, v0);
    kn_wbuf_free(&w);
}

static void check_oc_req(const void *p, int16_t ver)
{
    const kn_offsetcommit_req_t *m = p;
    assert_int_equal(m->generation_id, 7);
    assert_int_equal(m->retention_time_ms, ver <= 4 ? 86400000 : -1);
    const kn_offsetcommit_req_partition_t *pp = &m->topics[0].partitions[0];
    assert_int_equal(pp->committed_offset, 1234);
    assert_int_equal(pp->committed_leader_epoch, ver >= 6 ? 3 : -1);
    assert_slice_str(pp->committed_metadata, "meta");
    assert_int_equal(m->topics[0].partitions[1].committed_metadata.len, -1);
}

static void test_offsetcommit(void **state)
{
    (void)state;
    kn_offsetcommit_req_partition_t ps[] = { { 0, 1234, 3, KN_S("meta") },
                                             { 1, 5, -1, KN_SLICE_NULL } };
    kn_offsetcommit_req_topic_t ts[] = { { KN_S("orders"), 2, ps } };
    kn_offsetcommit_req_t req = { KN_S("g"), 7, KN_S("m-1"), KN_S("inst"), 86400000, 1, ts };
    kn_offsetcommit_resp_partition_t rps[] = { { 0, 0 }, { 1, KN_ERR_ILLEGAL_GENERATION } };
    kn_offsetcommit_resp_topic_t rts[] = { { KN_S("orders"), 2, rps } };
    kn_offsetcommit_resp_t resp = { 0, 1, rts };
    ROUNDTRIPS(oc, KN_OFFSETCOMMIT_MIN, KN_OFFSETCOMMIT_MAX, req, check_oc_req, resp, NULL)

    /* kafka-python's OffsetCommit v2, byte-exact. */
    kn_offsetcommit_req_partition_t p1[] = { { 0, 10, -1, KN_S("") } };
    kn_offsetcommit_req_topic_t t1[] = { { KN_S("t"), 1, p1 } };
    kn_offsetcommit_req_t r2 = { KN_S("g"), 1, KN_S("m"), KN_SLICE_NULL, -1, 1, t1 };
    static const uint8_t v2[] = {
        0, 1, 'g', 0, 0, 0, 1, 0, 1, 'm',
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10, 0, 0,
    };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_offsetcommit_req_encode(&w, 2, &r2);
    KN_ASSERT_BYTES(&w, v2);
    kn_wbuf_free(&w);
    kn_offsetcommit_req_t out;
    assert_int_equal(kn_test_decode(dec_oc_req, v2, sizeof(v2), 1, &out, sizeof(out)), KN_ERROR);
}

static int32_t of_parts[] = { 0, 1, 2 };

static void check_of_resp(const void *p, int16_t ver)
{
    const kn_offsetfetch_resp_t *m = p;
    assert_int_equal(m->throttle_time_ms, ver >= 3 ? 1 : 0);
    assert_int_equal(m->error_code, ver >= 2 ? KN_ERR_COORDINATOR_NOT_AVAILABLE : 0);
    assert_int_equal(m->topics[0].partitions[0].committed_leader_epoch, ver >= 5 ? 2 : -1);
    assert_int_equal(m->topics[0].partitions[1].committed_offset, -1);
}

static void test_offsetfetch(void **state)
{
    (void)state;
    kn_offsetfetch_req_topic_t ts[] = { { KN_S("orders"), 3, of_parts } };
    kn_offsetfetch_req_t req = { KN_S("g"), 1, ts };
    kn_offsetfetch_resp_partition_t ps[] = {
        { 0, 100, 2, KN_S(""), 0 },
        { 1, -1, -1, KN_SLICE_NULL, 0 },
    };
    kn_offsetfetch_resp_topic_t rts[] = { { KN_S("orders"), 2, ps } };
    kn_offsetfetch_resp_t resp = { 1, 1, rts, KN_ERR_COORDINATOR_NOT_AVAILABLE };
    ROUNDTRIPS(of, KN_OFFSETFETCH_MIN, KN_OFFSETFETCH_MAX, req, NULL, resp, check_of_resp)
    /* Null topic list: "all committed" from v2 on, malformed at v1. */
    kn_offsetfetch_req_t all = { KN_S("g"), -1, NULL };
    for (int16_t v = 2; v <= KN_OFFSETFETCH_MAX; v++) {
        kn_test_roundtrip(enc_of_req, dec_of_req, &all, sizeof(all), v, NULL);
    }
    static const uint8_t null_v1[] = { 0, 1, 'g', 0xff, 0xff, 0xff, 0xff };
    kn_offsetfetch_req_t out;
    assert_int_equal(kn_test_decode(dec_of_req, null_v1, sizeof(null_v1), 1, &out, sizeof(out)),
                     KN_ERROR);
    assert_int_equal(kn_test_decode(dec_of_req, null_v1, sizeof(null_v1), 2, &out, sizeof(out)),
                     KN_OK);
    assert_int_equal(out.n_topics, -1);
    /* A partition list claiming more entries than bytes remain. */
    static const uint8_t huge[] = { 0, 1, 'g', 0, 0, 0, 1, 0, 1, 't', 0x00, 0x10, 0, 0, 0, 0, 0, 1 };
    assert_int_equal(kn_test_decode(dec_of_req, huge, sizeof(huge), 1, &out, sizeof(out)),
                     KN_ERROR);
}

static void check_fle_req(const void *p, int16_t ver)
{
    const kn_offsetforleaderepoch_req_t *m = p;
    assert_int_equal(m->replica_id, ver >= 3 ? 2 : -2);
    assert_int_equal(m->topics[0].partitions[0].current_leader_epoch, ver >= 2 ? 6 : -1);
    assert_int_equal(m->topics[0].partitions[0].leader_epoch, 5);
}

static void check_fle_resp(const void *p, int16_t ver)
{
    const kn_offsetforleaderepoch_resp_t *m = p;
    assert_int_equal(m->topics[0].partitions[0].leader_epoch, ver >= 1 ? 5 : -1);
    assert_int_equal(m->topics[0].partitions[0].end_offset, 4242);
}

static void test_offsetforleaderepoch(void **state)
{
    (void)state;
    kn_offsetforleaderepoch_req_partition_t ps[] = { { 0, 6, 5 } };
    kn_offsetforleaderepoch_req_topic_t ts[] = { { KN_S("orders"), 1, ps } };
    kn_offsetforleaderepoch_req_t req = { 2, 1, ts };
    kn_offsetforleaderepoch_resp_partition_t rps[] = { { 0, 0, 5, 4242 } };
    kn_offsetforleaderepoch_resp_topic_t rts[] = { { KN_S("orders"), 1, rps } };
    kn_offsetforleaderepoch_resp_t resp = { 0, 1, rts };
    ROUNDTRIPS(fle, KN_OFFSETFORLEADEREPOCH_MIN, KN_OFFSETFORLEADEREPOCH_MAX, req, check_fle_req,
               resp, check_fle_resp)
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_findcoordinator),
        cmocka_unit_test(test_joingroup),
        cmocka_unit_test(test_syncgroup_heartbeat),
        cmocka_unit_test(test_leavegroup),
        cmocka_unit_test(test_listgroups_describegroups),
        cmocka_unit_test(test_offsetcommit),
        cmocka_unit_test(test_offsetfetch),
        cmocka_unit_test(test_offsetforleaderepoch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
