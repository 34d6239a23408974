/*
 * tests/unit/test_proto_basic.c -- codecs of the data path: ApiVersions,
 * Metadata, Produce, InitProducerId, Fetch, ListOffsets. Round trips at
 * every version, byte-exact frames as real clients send them, and
 * malformed input (truncations, negative and huge counts).
 */
#include "config.h"

#include "test_proto_util.h"

KN_TEST_ENCODER(enc_apiv_req, kn_proto_apiversions_req_encode, kn_apiversions_req_t)
KN_TEST_DECODER(dec_apiv_req, kn_proto_apiversions_req_decode, kn_apiversions_req_t)
KN_TEST_ENCODER(enc_apiv_resp, kn_proto_apiversions_resp_encode, kn_apiversions_resp_t)
KN_TEST_DECODER(dec_apiv_resp, kn_proto_apiversions_resp_decode, kn_apiversions_resp_t)
KN_TEST_ENCODER(enc_md_req, kn_proto_metadata_req_encode, kn_metadata_req_t)
KN_TEST_DECODER(dec_md_req, kn_proto_metadata_req_decode, kn_metadata_req_t)
KN_TEST_ENCODER(enc_md_resp, kn_proto_metadata_resp_encode, kn_metadata_resp_t)
KN_TEST_DECODER(dec_md_resp, kn_proto_metadata_resp_decode, kn_metadata_resp_t)
KN_TEST_ENCODER(enc_pr_req, kn_proto_produce_req_encode, kn_produce_req_t)
KN_TEST_DECODER(dec_pr_req, kn_proto_produce_req_decode, kn_produce_req_t)
KN_TEST_ENCODER(enc_pr_resp, kn_proto_produce_resp_encode, kn_produce_resp_t)
KN_TEST_DECODER(dec_pr_resp, kn_proto_produce_resp_decode, kn_produce_resp_t)
KN_TEST_ENCODER(enc_ip_req, kn_proto_initproducerid_req_encode, kn_initproducerid_req_t)
KN_TEST_DECODER(dec_ip_req, kn_proto_initproducerid_req_decode, kn_initproducerid_req_t)
KN_TEST_ENCODER(enc_ip_resp, kn_proto_initproducerid_resp_encode, kn_initproducerid_resp_t)
KN_TEST_DECODER(dec_ip_resp, kn_proto_initproducerid_resp_decode, kn_initproducerid_resp_t)
KN_TEST_ENCODER(enc_fe_req, kn_proto_fetch_req_encode, kn_fetch_req_t)
KN_TEST_DECODER(dec_fe_req, kn_proto_fetch_req_decode, kn_fetch_req_t)
KN_TEST_ENCODER(enc_fe_resp, kn_proto_fetch_resp_encode, kn_fetch_resp_t)
KN_TEST_DECODER(dec_fe_resp, kn_proto_fetch_resp_decode, kn_fetch_resp_t)
KN_TEST_ENCODER(enc_lo_req, kn_proto_listoffsets_req_encode, kn_listoffsets_req_t)
KN_TEST_DECODER(dec_lo_req, kn_proto_listoffsets_req_decode, kn_listoffsets_req_t)
KN_TEST_ENCODER(enc_lo_resp, kn_proto_listoffsets_resp_encode, kn_listoffsets_resp_t)
KN_TEST_DECODER(dec_lo_resp, kn_proto_listoffsets_resp_decode, kn_listoffsets_resp_t)

/* ---- ApiVersions -------------------------------------------------------- */

/* Body of librdkafka 2.0.2's ApiVersions v3 request (after header v2). */
static const uint8_t apiv3_req_body[] = {
    0x0b, 'l', 'i', 'b', 'r', 'd', 'k', 'a', 'f', 'k', 'a',
    0x06, '2', '.', '0', '.', '2',
    0x00,
};

static void test_apiversions_v3_request(void **state)
{
    (void)state;
    kn_apiversions_req_t req;
    kn_arena_t a;
    kn_arena_init(&a);
    kn_rbuf_t r;
    kn_rbuf_init(&r, apiv3_req_body, sizeof(apiv3_req_body));
    assert_int_equal(kn_proto_apiversions_req_decode(&r, 3, &req, &a), KN_OK);
    assert_slice_str(req.client_software_name, "librdkafka");
    assert_slice_str(req.client_software_version, "2.0.2");
    assert_true(kn_proto_apiversions_name_valid(req.client_software_name));
    assert_true(kn_proto_apiversions_name_valid(req.client_software_version));
    assert_false(kn_proto_apiversions_name_valid(KN_S("-bad")));
    assert_false(kn_proto_apiversions_name_valid(KN_S("bad.")));
    assert_false(kn_proto_apiversions_name_valid(KN_S("a b")));
    assert_false(kn_proto_apiversions_name_valid(KN_S("")));
    assert_true(kn_proto_apiversions_name_valid(KN_S("x")));
    kn_apiversions_req_t scratch;
    kn_test_truncations(dec_apiv_req, apiv3_req_body, sizeof(apiv3_req_body), 3, &scratch,
                        sizeof(scratch));

    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_apiversions_req_encode(&w, 3, &req);
    KN_ASSERT_BYTES(&w, apiv3_req_body);
    /* v0-2 requests have an empty body. */
    kn_wbuf_reset(&w);
    kn_proto_apiversions_req_encode(&w, 2, &req);
    assert_int_equal(w.len, 0);
    kn_rbuf_init(&r, NULL, 0);
    assert_int_equal(kn_proto_apiversions_req_decode(&r, 0, &req, &a), KN_OK);
    /* v4 is beyond the codec: not parsed. */
    kn_rbuf_init(&r, apiv3_req_body, sizeof(apiv3_req_body));
    assert_int_equal(kn_proto_apiversions_req_decode(&r, 4, &req, &a), KN_ERROR);
    kn_wbuf_free(&w);
    kn_arena_free(&a);
}

static kn_apiversions_key_t apiv_keys[] = { { 0, 3, 7 }, { 1, 4, 11 }, { 18, 0, 3 } };

static void check_apiv_resp(const void *p, int16_t ver)
{
    const kn_apiversions_resp_t *m = p;
    assert_int_equal(m->n_api_keys, 3);
    assert_int_equal(m->api_keys[1].max_version, 11);
    assert_int_equal(m->throttle_time_ms, ver >= 1 ? 25 : 0);
}

static void test_apiversions_response(void **state)
{
    (void)state;
    kn_apiversions_resp_t resp = { 0, 3, apiv_keys, 25 };
    for (int16_t v = 0; v <= 3; v++) {
        kn_test_roundtrip(enc_apiv_resp, dec_apiv_resp, &resp, sizeof(resp), v, check_apiv_resp);
    }
    static const uint8_t v3[] = {
        0x00, 0x00,                         /* error */
        0x04,                               /* 3 entries, compact */
        0x00, 0x00, 0x00, 0x03, 0x00, 0x07, 0x00,
        0x00, 0x01, 0x00, 0x04, 0x00, 0x0b, 0x00,
        0x00, 0x12, 0x00, 0x00, 0x00, 0x03, 0x00,
        0x00, 0x00, 0x00, 0x19,             /* throttle */
        0x00,                               /* tags */
    };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_apiversions_resp_encode(&w, 3, &resp);
    KN_ASSERT_BYTES(&w, v3);

    /* The error-35 answer to a too-new request: v0 layout. */
    kn_apiversions_key_t only = { 18, 0, 3 };
    kn_apiversions_resp_t err = { KN_ERR_UNSUPPORTED_VERSION, 1, &only, 0 };
    static const uint8_t v0err[] = {
        0x00, 0x23, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03,
    };
    kn_wbuf_reset(&w);
    kn_proto_apiversions_resp_encode(&w, 0, &err);
    KN_ASSERT_BYTES(&w, v0err);
    kn_wbuf_free(&w);
}

static bool only_even_keys(int16_t key, void *arg)
{
    int *calls = arg;
    (*calls)++;
    return key % 2 == 0;
}

static void test_apiversions_fill(void **state)
{
    (void)state;
    kn_apiversions_key_t rows[64];
    int32_t n = kn_proto_apiversions_fill(rows, 64, NULL, NULL);
    assert_true(n >= 20);
    bool saw_apiv = false;
    for (int32_t i = 0; i < n; i++) {
        assert_non_null(kn_proto_api_range(rows[i].api_key));
        assert_int_not_equal(rows[i].api_key, KN_API_SASL_HANDSHAKE);   /* no codec */
        if (rows[i].api_key == KN_API_API_VERSIONS) {
            saw_apiv = true;
            assert_int_equal(rows[i].min_version, 0);
            assert_int_equal(rows[i].max_version, 3);
        }
    }
    assert_true(saw_apiv);
    int calls = 0;
    int32_t even = kn_proto_apiversions_fill(rows, 64, only_even_keys, &calls);
    assert_int_equal(calls, n);
    assert_true(even > 0 && even < n);
    for (int32_t i = 0; i < even; i++) {
        assert_int_equal(rows[i].api_key % 2, 0);
    }
    assert_int_equal(kn_proto_apiversions_fill(rows, 2, NULL, NULL), 2);
}

/* ---- Metadata ----------------------------------------------------------- */

static void test_metadata_request(void **state)
{
    (void)state;
    kn_metadata_req_t req;
    kn_arena_t a;
    kn_arena_init(&a);
    kn_rbuf_t r;
    /* kafka-python's probe: Metadata v0 with an empty list = all topics. */
    static const uint8_t v0_all[] = { 0x00, 0x00, 0x00, 0x00 };
    kn_rbuf_init(&r, v0_all, sizeof(v0_all));
    assert_int_equal(kn_proto_metadata_req_decode(&r, 0, &req, &a), KN_OK);
    assert_int_equal(req.n_topics, 0);
    assert_true(req.allow_auto_topic_creation);
    assert_true(kn_proto_metadata_all_topics(&req, 0));
    /* The same bytes at v1 mean "no topics". */
    kn_rbuf_init(&r, v0_all, sizeof(v0_all));
    assert_int_equal(kn_proto_metadata_req_decode(&r, 1, &req, &a), KN_OK);
    assert_false(kn_proto_metadata_all_topics(&req, 1));
    /* Null list: all topics from v1, malformed in v0. */
    static const uint8_t null_list[] = { 0xff, 0xff, 0xff, 0xff };
    kn_rbuf_init(&r, null_list, sizeof(null_list));
    assert_int_equal(kn_proto_metadata_req_decode(&r, 1, &req, &a), KN_OK);
    assert_int_equal(req.n_topics, -1);
    assert_true(kn_proto_metadata_all_topics(&req, 1));
    kn_rbuf_init(&r, null_list, sizeof(null_list));
    assert_int_equal(kn_proto_metadata_req_decode(&r, 0, &req, &a), KN_ERROR);
    /* Negative (not -1) and huge counts. */
    static const uint8_t neg[] = { 0xff, 0xff, 0xff, 0xfe };
    kn_rbuf_init(&r, neg, sizeof(neg));
    assert_int_equal(kn_proto_metadata_req_decode(&r, 4, &req, &a), KN_ERROR);
    static const uint8_t huge[] = { 0x7f, 0xff, 0xff, 0xff, 0x00, 0x01, 'a' };
    kn_rbuf_init(&r, huge, sizeof(huge));
    assert_int_equal(kn_proto_metadata_req_decode(&r, 4, &req, &a), KN_ERROR);
    kn_arena_free(&a);

    /* Byte-exact v4 with two topics, auto-create off. */
    kn_slice_t names[] = { KN_S("t1"), KN_S("orders") };
    kn_metadata_req_t in = { 2, names, false, false, false };
    static const uint8_t v4[] = {
        0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 't', '1',
        0x00, 0x06, 'o', 'r', 'd', 'e', 'r', 's', 0x00,
    };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_metadata_req_encode(&w, 4, &in);
    KN_ASSERT_BYTES(&w, v4);
    kn_wbuf_free(&w);
    for (int16_t v = 0; v <= KN_METADATA_MAX; v++) {
        kn_test_roundtrip(enc_md_req, dec_md_req, &in, sizeof(in), v, NULL);
    }
    kn_metadata_req_t all = { -1, NULL, true, false, false };
    for (int16_t v = 1; v <= KN_METADATA_MAX; v++) {
        kn_test_roundtrip(enc_md_req, dec_md_req, &all, sizeof(all), v, NULL);
    }
}

static int32_t md_replicas[] = { 1, 2, 3 };
static int32_t md_isr[] = { 1, 3 };
static int32_t md_offline[] = { 2 };

static void check_md_resp(const void *p, int16_t ver)
{
    const kn_metadata_resp_t *m = p;
    assert_int_equal(m->n_brokers, 2);
    assert_slice_str(m->brokers[1].host, "127.0.0.1");
    assert_int_equal(m->brokers[1].port, 9093);
    if (ver >= 1) {
        assert_slice_str(m->brokers[0].rack, "r1");
        assert_int_equal(m->brokers[1].rack.len, -1);
        assert_int_equal(m->controller_id, 2);
        assert_true(m->topics[1].is_internal);
    } else {
        assert_int_equal(m->brokers[0].rack.len, -1);
        assert_int_equal(m->controller_id, -1);
        assert_false(m->topics[1].is_internal);
    }
    if (ver >= 2) {
        assert_slice_str(m->cluster_id, "abc");
    } else {
        assert_int_equal(m->cluster_id.len, -1);
    }
    assert_int_equal(m->throttle_time_ms, ver >= 3 ? 5 : 0);
    assert_int_equal(m->n_topics, 2);
    const kn_metadata_partition_t *pt = &m->topics[0].partitions[0];
    assert_int_equal(pt->leader_id, 1);
    assert_int_equal(pt->n_replica_nodes, 3);
    assert_int_equal(pt->replica_nodes[2], 3);
    assert_int_equal(pt->n_isr_nodes, 2);
    assert_int_equal(pt->n_offline_replicas, ver >= 5 ? 1 : 0);
    assert_int_equal(pt->leader_epoch, ver >= 7 ? 4 : -1);
    assert_int_equal(m->topics[0].topic_authorized_operations, ver >= 8 ? 0x7f : INT32_MIN);
}

static void test_metadata_response(void **state)
{
    (void)state;
    kn_metadata_broker_t brokers[] = {
        { 1, KN_S("localhost"), 9092, KN_S("r1") },
        { 2, KN_S("127.0.0.1"), 9093, KN_SLICE_NULL },
    };
    kn_metadata_partition_t parts[] = {
        { 0, 0, 1, 4, 3, md_replicas, 2, md_isr, 1, md_offline },
        { 6, 1, -1, -1, 0, NULL, 0, NULL, 0, NULL },   /* LEADER_NOT_AVAILABLE */
    };
    kn_metadata_topic_t topics[] = {
        { 0, KN_S("orders"), false, 2, parts, 0x7f },
        { 0, KN_S("__consumer_offsets"), true, 0, NULL, 0x7f },
    };
    kn_metadata_resp_t resp = { 5, 2, brokers, KN_S("abc"), 2, 2, topics, 0 };
    for (int16_t v = 0; v <= KN_METADATA_MAX; v++) {
        kn_test_roundtrip(enc_md_resp, dec_md_resp, &resp, sizeof(resp), v, check_md_resp);
    }
}

/* ---- Produce / InitProducerId -------------------------------------------- */

/* Produce v3, one topic, one partition, a 12-byte stand-in for a batch. */
static const uint8_t produce_v3[] = {
    0xff, 0xff,                         /* transactional_id null */
    0xff, 0xff,                         /* acks -1 */
    0x00, 0x00, 0x75, 0x30,             /* timeout 30000 */
    0x00, 0x00, 0x00, 0x01,             /* 1 topic */
    0x00, 0x04, 't', 'e', 's', 't',
    0x00, 0x00, 0x00, 0x01,             /* 1 partition */
    0x00, 0x00, 0x00, 0x02,             /* index 2 */
    0x00, 0x00, 0x00, 0x0c,             /* 12 record bytes */
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
};

static void test_produce_request(void **state)
{
    (void)state;
    kn_produce_req_t req;
    kn_arena_t a;
    kn_arena_init(&a);
    kn_rbuf_t r;
    kn_rbuf_init(&r, produce_v3, sizeof(produce_v3));
    assert_int_equal(kn_proto_produce_req_decode(&r, 3, &req, &a), KN_OK);
    assert_int_equal(req.transactional_id.len, -1);
    assert_int_equal(req.acks, -1);
    assert_int_equal(req.timeout_ms, 30000);
    assert_int_equal(req.n_topics, 1);
    assert_slice_str(req.topics[0].name, "test");
    assert_int_equal(req.topics[0].n_partitions, 1);
    assert_int_equal(req.topics[0].partitions[0].index, 2);
    /* The records are a view into the frame, not a copy. */
    assert_ptr_equal(req.topics[0].partitions[0].records.ptr, produce_v3 + 30);
    assert_int_equal(req.topics[0].partitions[0].records.len, 12);
    kn_produce_req_t scratch;
    kn_test_truncations(dec_pr_req, produce_v3, sizeof(produce_v3), 3, &scratch, sizeof(scratch));

    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_produce_req_encode(&w, 3, &req);
    KN_ASSERT_BYTES(&w, produce_v3);
    kn_wbuf_free(&w);
    for (int16_t v = KN_PRODUCE_MIN; v <= KN_PRODUCE_MAX; v++) {
        kn_test_roundtrip(enc_pr_req, dec_pr_req, &req, sizeof(req), v, NULL);
    }
    /* Outside 3-7 nothing is decoded. */
    kn_rbuf_init(&r, produce_v3, sizeof(produce_v3));
    assert_int_equal(kn_proto_produce_req_decode(&r, 2, &req, &a), KN_ERROR);
    kn_rbuf_init(&r, produce_v3, sizeof(produce_v3));
    assert_int_equal(kn_proto_produce_req_decode(&r, 8, &req, &a), KN_ERROR);

    /* A record length past the frame, a negative partition count and a
     * count far beyond the frame all fail. */
    uint8_t bad[sizeof(produce_v3)];
    memcpy(bad, produce_v3, sizeof(bad));
    bad[29] = 0x0d;
    kn_rbuf_init(&r, bad, sizeof(bad));
    assert_int_equal(kn_proto_produce_req_decode(&r, 3, &req, &a), KN_ERROR);
    memcpy(bad, produce_v3, sizeof(bad));
    bad[18] = 0x80;
    kn_rbuf_init(&r, bad, sizeof(bad));
    assert_int_equal(kn_proto_produce_req_decode(&r, 3, &req, &a), KN_ERROR);
    memcpy(bad, produce_v3, sizeof(bad));
    bad[9] = 0x10;   /* 0x00100001 topics */
    kn_rbuf_init(&r, bad, sizeof(bad));
    assert_int_equal(kn_proto_produce_req_decode(&r, 3, &req, &a), KN_ERROR);
    /* Null records are allowed (NULLABLE_BYTES). */
    memcpy(bad, produce_v3, sizeof(bad));
    memset(bad + 26, 0xff, 4);
    kn_rbuf_init(&r, bad, 30);
    assert_int_equal(kn_proto_produce_req_decode(&r, 3, &req, &a), KN_OK);
    assert_int_equal(req.topics[0].partitions[0].records.len, -1);
    kn_arena_free(&a);
}

static void check_pr_resp(const void *p, int16_t ver)
{
    const kn_produce_resp_t *m = p;
    const kn_produce_resp_partition_t *pp = &m->topics[0].partitions[1];
    assert_int_equal(pp->index, 1);
    assert_int_equal(pp->error_code, KN_ERR_NOT_LEADER_OR_FOLLOWER);
    assert_int_equal(m->topics[0].partitions[0].base_offset, 1000);
    assert_int_equal(m->topics[0].partitions[0].log_append_time_ms, 1234);
    assert_int_equal(m->topics[0].partitions[0].log_start_offset, ver >= 5 ? 7 : -1);
    assert_int_equal(m->throttle_time_ms, 3);
}

static void test_produce_response(void **state)
{
    (void)state;
    kn_produce_resp_partition_t parts[] = {
        { 0, 0, 1000, 1234, 7 },
        { 1, KN_ERR_NOT_LEADER_OR_FOLLOWER, -1, -1, -1 },
    };
    kn_produce_resp_topic_t topics[] = { { KN_S("test"), 2, parts } };
    kn_produce_resp_t resp = { 1, topics, 3 };
    for (int16_t v = KN_PRODUCE_MIN; v <= KN_PRODUCE_MAX; v++) {
        kn_test_roundtrip(enc_pr_resp, dec_pr_resp, &resp, sizeof(resp), v, check_pr_resp);
    }
    /* v3 byte layout: no log_start_offset. */
    kn_produce_resp_topic_t one[] = { { KN_S("t"), 1, parts } };
    kn_produce_resp_t r1 = { 1, one, 0 };
    static const uint8_t v3[] = {
        0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xe8,
        0, 0, 0, 0, 0, 0, 0x04, 0xd2,
        0, 0, 0, 0,
    };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_produce_resp_encode(&w, 3, &r1);
    KN_ASSERT_BYTES(&w, v3);
    kn_wbuf_free(&w);
}

static void test_initproducerid(void **state)
{
    (void)state;
    kn_initproducerid_req_t req = { KN_S("txn-1"), 60000 };
    kn_initproducerid_req_t idem = { KN_SLICE_NULL, 0 };
    kn_initproducerid_resp_t resp = { 0, 0, 4000, 2 };
    for (int16_t v = 0; v <= 1; v++) {
        kn_test_roundtrip(enc_ip_req, dec_ip_req, &req, sizeof(req), v, NULL);
        kn_test_roundtrip(enc_ip_req, dec_ip_req, &idem, sizeof(idem), v, NULL);
        kn_test_roundtrip(enc_ip_resp, dec_ip_resp, &resp, sizeof(resp), v, NULL);
    }
}

/* ---- Fetch ------------------------------------------------------------- */

static int32_t fe_forgot_parts[] = { 3, 4 };

static void check_fe_req(const void *p, int16_t ver)
{
    const kn_fetch_req_t *m = p;
    assert_int_equal(m->replica_id, 2);
    assert_int_equal(m->max_bytes, 1 << 20);
    assert_int_equal(m->isolation_level, 1);
    assert_int_equal(m->session_id, ver >= 7 ? 9 : 0);
    assert_int_equal(m->session_epoch, ver >= 7 ? 1 : -1);
    const kn_fetch_req_partition_t *pp = &m->topics[0].partitions[0];
    assert_int_equal(pp->fetch_offset, 100);
    assert_int_equal(pp->current_leader_epoch, ver >= 9 ? 5 : -1);
    assert_int_equal(pp->log_start_offset, ver >= 5 ? 10 : -1);
    assert_int_equal(pp->partition_max_bytes, 65536);
    assert_int_equal(m->n_forgotten, ver >= 7 ? 1 : 0);
    if (ver >= 7) {
        assert_int_equal(m->forgotten[0].partitions[1], 4);
    }
    if (ver >= 11) {
        assert_slice_str(m->rack_id, "rack-a");
    } else {
        assert_int_equal(m->rack_id.len, 0);
    }
}

static void test_fetch_request(void **state)
{
    (void)state;
    kn_fetch_req_partition_t parts[] = { { 0, 5, 100, 10, 65536 }, { 1, 5, 0, -1, 65536 } };
    kn_fetch_req_topic_t topics[] = { { KN_S("orders"), 2, parts } };
    kn_fetch_forgotten_t forgot[] = { { KN_S("old"), 2, fe_forgot_parts } };
    kn_fetch_req_t req = { 2, 500, 1, 1 << 20, 1, 9, 1, 1, topics, 1, forgot, KN_S("rack-a") };
    for (int16_t v = KN_FETCH_MIN; v <= KN_FETCH_MAX; v++) {
        kn_test_roundtrip(enc_fe_req, dec_fe_req, &req, sizeof(req), v, check_fe_req);
    }
    /* librdkafka-style v11 consumer fetch (full fetch: id 0, epoch -1), byte-exact. */
    kn_fetch_req_partition_t p1[] = { { 0, -1, 42, -1, 1048576 } };
    kn_fetch_req_topic_t t1[] = { { KN_S("t"), 1, p1 } };
    kn_fetch_req_t c = { -1, 500, 1, 52428800, 1, 0, -1, 1, t1, 0, NULL, KN_S("") };
    static const uint8_t v11[] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x01, 0xf4, 0x00, 0x00, 0x00, 0x01,
        0x03, 0x20, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
        0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 't',
        0x00, 0x00, 0x00, 0x01,
        0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff,
        0, 0, 0, 0, 0, 0, 0, 42,
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0x00, 0x10, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,             /* no forgotten topics */
        0x00, 0x00,                         /* rack "" */
    };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_fetch_req_encode(&w, 11, &c);
    KN_ASSERT_BYTES(&w, v11);
    kn_wbuf_free(&w);
}

static const uint8_t fe_batch[] = { 'b', 'a', 't', 'c', 'h', 'e', 's' };

/* Stand-in for the broker's sendfile hook: appends the referenced bytes. */
static void fe_records_cb(kn_wbuf_t *w, const kn_fetch_resp_partition_t *p, void *arg)
{
    int *calls = arg;
    (*calls)++;
    kn_wbuf_raw(w, p->records_ref, (size_t)p->records_length);
}

static void check_fe_resp(const void *p, int16_t ver)
{
    const kn_fetch_resp_t *m = p;
    assert_int_equal(m->throttle_time_ms, 1);
    assert_int_equal(m->error_code, 0);
    assert_int_equal(m->session_id, ver >= 7 ? 77 : 0);
    const kn_fetch_resp_partition_t *a = &m->topics[0].partitions[0];
    assert_int_equal(a->high_watermark, 50);
    assert_int_equal(a->last_stable_offset, 49);
    assert_int_equal(a->log_start_offset, ver >= 5 ? 3 : -1);
    assert_int_equal(a->n_aborted, 1);
    assert_int_equal(a->aborted[0].producer_id, 8);
    assert_int_equal(a->preferred_read_replica, -1);
    assert_int_equal(a->records.len, (int32_t)sizeof(fe_batch));
    assert_memory_equal(a->records.ptr, fe_batch, sizeof(fe_batch));
    const kn_fetch_resp_partition_t *b = &m->topics[0].partitions[1];
    assert_int_equal(b->n_aborted, -1);
    assert_int_equal(b->records.len, -1);
    assert_int_equal(b->error_code, KN_ERR_NOT_LEADER_OR_FOLLOWER);
}

static void test_fetch_response(void **state)
{
    (void)state;
    kn_fetch_aborted_t ab[] = { { 8, 20 } };
    kn_fetch_resp_partition_t parts[] = {
        { 0, 0, 50, 49, 3, 1, ab, -1, { fe_batch, (int32_t)sizeof(fe_batch) }, false, 0, NULL },
        { 1, KN_ERR_NOT_LEADER_OR_FOLLOWER, -1, -1, -1, -1, NULL, -1, KN_SLICE_NULL, false, 0, NULL },
    };
    kn_fetch_resp_topic_t topics[] = { { KN_S("orders"), 2, parts } };
    kn_fetch_resp_t resp = { 1, 0, 77, 1, topics, NULL, NULL };
    for (int16_t v = KN_FETCH_MIN; v <= KN_FETCH_MAX; v++) {
        kn_test_roundtrip(enc_fe_resp, dec_fe_resp, &resp, sizeof(resp), v, check_fe_resp);
    }

    /* External records: the encoder writes the length and hands over to
     * the callback at exactly the records' position; the result is the
     * same frame as with in-memory records. */
    kn_wbuf_t mem, ext;
    kn_wbuf_init(&mem, 0);
    kn_wbuf_init(&ext, 0);
    kn_proto_fetch_resp_encode(&mem, 11, &resp);
    kn_fetch_resp_partition_t xparts[2];
    memcpy(xparts, parts, sizeof(xparts));
    xparts[0].records = KN_SLICE_NULL;
    xparts[0].records_external = true;
    xparts[0].records_length = (int32_t)sizeof(fe_batch);
    xparts[0].records_ref = (void *)fe_batch;
    kn_fetch_resp_topic_t xtopics[] = { { KN_S("orders"), 2, xparts } };
    int calls = 0;
    kn_fetch_resp_t xresp = { 1, 0, 77, 1, xtopics, fe_records_cb, &calls };
    kn_proto_fetch_resp_encode(&ext, 11, &xresp);
    assert_int_equal(calls, 1);
    assert_int_equal(ext.len, mem.len);
    assert_memory_equal(ext.data, mem.data, mem.len);
    kn_wbuf_free(&mem);
    kn_wbuf_free(&ext);
}

/* ---- ListOffsets ------------------------------------------------------- */

static void check_lo_req(const void *p, int16_t ver)
{
    const kn_listoffsets_req_t *m = p;
    assert_int_equal(m->replica_id, -1);
    assert_int_equal(m->isolation_level, ver >= 2 ? 1 : 0);
    assert_int_equal(m->topics[0].partitions[1].timestamp, KN_LISTOFFSETS_EARLIEST);
}

static void check_lo_resp(const void *p, int16_t ver)
{
    const kn_listoffsets_resp_t *m = p;
    assert_int_equal(m->throttle_time_ms, ver >= 2 ? 4 : 0);
    assert_int_equal(m->topics[0].partitions[0].offset, 99);
    assert_int_equal(m->topics[0].partitions[0].timestamp, -1);
}

static void test_listoffsets(void **state)
{
    (void)state;
    kn_listoffsets_req_partition_t rp[] = { { 0, KN_LISTOFFSETS_LATEST }, { 1, KN_LISTOFFSETS_EARLIEST } };
    kn_listoffsets_req_topic_t rt[] = { { KN_S("orders"), 2, rp } };
    kn_listoffsets_req_t req = { -1, 1, 1, rt };
    kn_listoffsets_resp_partition_t sp[] = { { 0, 0, -1, 99 } };
    kn_listoffsets_resp_topic_t st[] = { { KN_S("orders"), 1, sp } };
    kn_listoffsets_resp_t resp = { 4, 1, st };
    for (int16_t v = KN_LISTOFFSETS_MIN; v <= KN_LISTOFFSETS_MAX; v++) {
        kn_test_roundtrip(enc_lo_req, dec_lo_req, &req, sizeof(req), v, check_lo_req);
        kn_test_roundtrip(enc_lo_resp, dec_lo_resp, &resp, sizeof(resp), v, check_lo_resp);
    }
    /* v1 request as kafka-python sends it. */
    kn_listoffsets_req_partition_t one[] = { { 0, KN_LISTOFFSETS_LATEST } };
    kn_listoffsets_req_topic_t ot[] = { { KN_S("t"), 1, one } };
    kn_listoffsets_req_t v1req = { -1, 0, 1, ot };
    static const uint8_t v1[] = {
        0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1,
        0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_listoffsets_req_encode(&w, 1, &v1req);
    KN_ASSERT_BYTES(&w, v1);
    kn_wbuf_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apiversions_v3_request),
        cmocka_unit_test(test_apiversions_response),
        cmocka_unit_test(test_apiversions_fill),
        cmocka_unit_test(test_metadata_request),
        cmocka_unit_test(test_metadata_response),
        cmocka_unit_test(test_produce_request),
        cmocka_unit_test(test_produce_response),
        cmocka_unit_test(test_initproducerid),
        cmocka_unit_test(test_fetch_request),
        cmocka_unit_test(test_fetch_response),
        cmocka_unit_test(test_listoffsets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
