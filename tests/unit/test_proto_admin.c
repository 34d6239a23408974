/*
 * tests/unit/test_proto_admin.c -- codecs of the admin APIs: CreateTopics,
 * DeleteTopics, CreatePartitions, DescribeConfigs. Round trips at every
 * version, byte-exact frames and malformed input.
 */
#include "config.h"

#include "test_proto_util.h"

KN_TEST_ENCODER(enc_ct_req, kn_proto_createtopics_req_encode, kn_createtopics_req_t)
KN_TEST_DECODER(dec_ct_req, kn_proto_createtopics_req_decode, kn_createtopics_req_t)
KN_TEST_ENCODER(enc_ct_resp, kn_proto_createtopics_resp_encode, kn_createtopics_resp_t)
KN_TEST_DECODER(dec_ct_resp, kn_proto_createtopics_resp_decode, kn_createtopics_resp_t)
KN_TEST_ENCODER(enc_dt_req, kn_proto_deletetopics_req_encode, kn_deletetopics_req_t)
KN_TEST_DECODER(dec_dt_req, kn_proto_deletetopics_req_decode, kn_deletetopics_req_t)
KN_TEST_ENCODER(enc_dt_resp, kn_proto_deletetopics_resp_encode, kn_deletetopics_resp_t)
KN_TEST_DECODER(dec_dt_resp, kn_proto_deletetopics_resp_decode, kn_deletetopics_resp_t)
KN_TEST_ENCODER(enc_cp_req, kn_proto_createpartitions_req_encode, kn_createpartitions_req_t)
KN_TEST_DECODER(dec_cp_req, kn_proto_createpartitions_req_decode, kn_createpartitions_req_t)
KN_TEST_ENCODER(enc_cp_resp, kn_proto_createpartitions_resp_encode, kn_createpartitions_resp_t)
KN_TEST_DECODER(dec_cp_resp, kn_proto_createpartitions_resp_decode, kn_createpartitions_resp_t)
KN_TEST_ENCODER(enc_dc_req, kn_proto_describeconfigs_req_encode, kn_describeconfigs_req_t)
KN_TEST_DECODER(dec_dc_req, kn_proto_describeconfigs_req_decode, kn_describeconfigs_req_t)
KN_TEST_ENCODER(enc_dc_resp, kn_proto_describeconfigs_resp_encode, kn_describeconfigs_resp_t)
KN_TEST_DECODER(dec_dc_resp, kn_proto_describeconfigs_resp_decode, kn_describeconfigs_resp_t)

static int32_t brokers_a[] = { 1, 2 };
static int32_t brokers_b[] = { 2, 3 };

static void check_ct_req(const void *p, int16_t ver)
{
    const kn_createtopics_req_t *m = p;
    assert_int_equal(m->n_topics, 2);
    assert_slice_str(m->topics[0].name, "orders");
    assert_int_equal(m->topics[0].num_partitions, 6);
    assert_int_equal(m->topics[0].replication_factor, 3);
    assert_int_equal(m->topics[0].n_configs, 2);
    assert_slice_str(m->topics[0].configs[0].name, "cleanup.policy");
    assert_slice_str(m->topics[0].configs[0].value, "compact");
    assert_int_equal(m->topics[0].configs[1].value.len, -1);
    assert_int_equal(m->topics[1].num_partitions, -1);
    assert_int_equal(m->topics[1].n_assignments, 2);
    assert_int_equal(m->topics[1].assignments[1].broker_ids[1], 3);
    assert_int_equal(m->timeout_ms, 30000);
    assert_int_equal(m->validate_only, ver >= 1);
}

static void test_createtopics(void **state)
{
    (void)state;
    kn_config_entry_t cfg[] = {
        { KN_S("cleanup.policy"), KN_S("compact") },
        { KN_S("retention.ms"), KN_SLICE_NULL },
    };
    kn_createtopics_assignment_t as[] = { { 0, 2, brokers_a }, { 1, 2, brokers_b } };
    kn_createtopics_topic_t topics[] = {
        { KN_S("orders"), 6, 3, 0, NULL, 2, cfg },
        { KN_S("manual"), -1, -1, 2, as, 0, NULL },
    };
    kn_createtopics_req_t req = { 2, topics, 30000, true };
    for (int16_t v = KN_CREATETOPICS_MIN; v <= KN_CREATETOPICS_MAX; v++) {
        kn_test_roundtrip(enc_ct_req, dec_ct_req, &req, sizeof(req), v, check_ct_req);
    }

    /* v0 byte layout: one topic, no assignments or configs. */
    kn_createtopics_topic_t one[] = { { KN_S("t"), 1, 1, 0, NULL, 0, NULL } };
    kn_createtopics_req_t r0 = { 1, one, 5000, false };
    static const uint8_t v0[] = {
        0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 1,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x13, 0x88,
    };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_createtopics_req_encode(&w, 0, &r0);
    KN_ASSERT_BYTES(&w, v0);
    kn_wbuf_free(&w);

    /* A null (-1) assignment list is not allowed; nor a huge config count. */
    uint8_t bad[sizeof(v0)];
    memcpy(bad, v0, sizeof(bad));
    memset(bad + 13, 0xff, 4);
    kn_createtopics_req_t out;
    assert_int_equal(kn_test_decode(dec_ct_req, bad, sizeof(bad), 0, &out, sizeof(out)), KN_ERROR);
    memcpy(bad, v0, sizeof(bad));
    bad[17] = 0x7f;
    assert_int_equal(kn_test_decode(dec_ct_req, bad, sizeof(bad), 0, &out, sizeof(out)), KN_ERROR);
    assert_int_equal(kn_test_decode(dec_ct_req, v0, sizeof(v0), 0, &out, sizeof(out)), KN_OK);
    assert_int_equal(kn_test_decode(dec_ct_req, v0, sizeof(v0), 5, &out, sizeof(out)), KN_ERROR);

    kn_createtopics_result_t res[] = {
        { KN_S("orders"), 0, KN_SLICE_NULL },
        { KN_S("bad"), KN_ERR_TOPIC_ALREADY_EXISTS, KN_S("Topic 'bad' already exists.") },
    };
    kn_createtopics_resp_t resp = { 9, 2, res };
    for (int16_t v = KN_CREATETOPICS_MIN; v <= KN_CREATETOPICS_MAX; v++) {
        kn_test_roundtrip(enc_ct_resp, dec_ct_resp, &resp, sizeof(resp), v, NULL);
    }
}

static void check_dt_resp(const void *p, int16_t ver)
{
    const kn_deletetopics_resp_t *m = p;
    assert_int_equal(m->throttle_time_ms, ver >= 1 ? 2 : 0);
    assert_int_equal(m->n_responses, 2);
    assert_int_equal(m->responses[1].error_code, KN_ERR_UNKNOWN_TOPIC_OR_PARTITION);
}

static void test_deletetopics(void **state)
{
    (void)state;
    kn_slice_t names[] = { KN_S("a"), KN_S("bb") };
    kn_deletetopics_req_t req = { 2, names, 1000 };
    static const uint8_t v0[] = { 0, 0, 0, 2, 0, 1, 'a', 0, 2, 'b', 'b', 0, 0, 0x03, 0xe8 };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_deletetopics_req_encode(&w, 0, &req);
    KN_ASSERT_BYTES(&w, v0);
    kn_wbuf_free(&w);
    kn_deletetopics_result_t res[] = {
        { KN_S("a"), 0 }, { KN_S("bb"), KN_ERR_UNKNOWN_TOPIC_OR_PARTITION },
    };
    kn_deletetopics_resp_t resp = { 2, 2, res };
    for (int16_t v = KN_DELETETOPICS_MIN; v <= KN_DELETETOPICS_MAX; v++) {
        kn_test_roundtrip(enc_dt_req, dec_dt_req, &req, sizeof(req), v, NULL);
        kn_test_roundtrip(enc_dt_resp, dec_dt_resp, &resp, sizeof(resp), v, check_dt_resp);
    }
    /* A string longer than an int16 length can say is cut, never wrapped
     * into a corrupt frame. */
    char *lng = malloc(40000);
    memset(lng, 'x', 40000);
    kn_slice_t big[] = { { (const uint8_t *)lng, 40000 } };
    kn_deletetopics_req_t breq = { 1, big, 0 };
    kn_wbuf_init(&w, 0);
    kn_proto_deletetopics_req_encode(&w, 0, &breq);
    assert_int_equal(w.len, 4 + 2 + INT16_MAX + 4);
    kn_deletetopics_req_t bout;
    kn_arena_t a;
    kn_arena_init(&a);
    kn_rbuf_t r;
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_proto_deletetopics_req_decode(&r, 0, &bout, &a), KN_OK);
    assert_int_equal(bout.topic_names[0].len, INT16_MAX);
    kn_arena_free(&a);
    kn_wbuf_free(&w);
    free(lng);

    /* A topic-name length of -1 is not a STRING. */
    static const uint8_t bad[] = { 0, 0, 0, 1, 0xff, 0xff, 0, 0, 0x03, 0xe8 };
    kn_deletetopics_req_t out;
    assert_int_equal(kn_test_decode(dec_dt_req, bad, sizeof(bad), 1, &out, sizeof(out)), KN_ERROR);
}

static void check_cp_req(const void *p, int16_t ver)
{
    (void)ver;
    const kn_createpartitions_req_t *m = p;
    assert_int_equal(m->topics[0].count, 4);
    assert_int_equal(m->topics[0].n_assignments, -1);
    assert_int_equal(m->topics[1].n_assignments, 2);
    assert_int_equal(m->topics[1].assignments[0].broker_ids[0], 1);
    assert_true(m->validate_only);
}

static void test_createpartitions(void **state)
{
    (void)state;
    kn_createpartitions_assignment_t as[] = { { 2, brokers_a }, { 2, brokers_b } };
    kn_createpartitions_topic_t topics[] = {
        { KN_S("auto"), 4, -1, NULL },
        { KN_S("manual"), 5, 2, as },
    };
    kn_createpartitions_req_t req = { 2, topics, 1000, true };
    kn_createpartitions_result_t res[] = {
        { KN_S("auto"), 0, KN_SLICE_NULL },
        { KN_S("manual"), KN_ERR_INVALID_PARTITIONS, KN_S("too few") },
    };
    kn_createpartitions_resp_t resp = { 0, 2, res };
    for (int16_t v = KN_CREATEPARTITIONS_MIN; v <= KN_CREATEPARTITIONS_MAX; v++) {
        kn_test_roundtrip(enc_cp_req, dec_cp_req, &req, sizeof(req), v, check_cp_req);
        kn_test_roundtrip(enc_cp_resp, dec_cp_resp, &resp, sizeof(resp), v, NULL);
    }
}

static void check_dc_req(const void *p, int16_t ver)
{
    const kn_describeconfigs_req_t *m = p;
    assert_int_equal(m->resources[0].resource_type, KN_RESOURCE_TOPIC);
    assert_int_equal(m->resources[0].n_configuration_keys, -1);
    assert_int_equal(m->resources[1].n_configuration_keys, 1);
    assert_slice_str(m->resources[1].configuration_keys[0], "log.retention.ms");
    assert_int_equal(m->include_synonyms, ver >= 1);
}

static void check_dc_resp(const void *p, int16_t ver)
{
    const kn_describeconfigs_resp_t *m = p;
    const kn_describeconfigs_entry_t *c = m->results[0].configs;
    assert_int_equal(m->results[0].n_configs, 2);
    assert_slice_str(c[0].name, "retention.ms");
    assert_true(c[0].is_default);
    assert_false(c[1].is_default);
    assert_int_equal(c[1].value.len, -1);
    assert_true(c[1].is_sensitive);
    if (ver >= 1) {
        assert_int_equal(c[0].config_source, KN_CONFIG_SOURCE_DEFAULT);
        assert_int_equal(c[1].n_synonyms, 1);
        assert_int_equal(c[1].synonyms[0].source, KN_CONFIG_SOURCE_STATIC_BROKER);
    } else {
        assert_int_equal(c[0].config_source, -1);
        assert_int_equal(c[1].n_synonyms, 0);
    }
}

static void test_describeconfigs(void **state)
{
    (void)state;
    kn_slice_t keys[] = { KN_S("log.retention.ms") };
    kn_describeconfigs_resource_t resources[] = {
        { KN_RESOURCE_TOPIC, KN_S("orders"), -1, NULL },
        { KN_RESOURCE_BROKER, KN_S("1"), 1, keys },
    };
    kn_describeconfigs_req_t req = { 2, resources, true };
    kn_describeconfigs_synonym_t syn[] = {
        { KN_S("ssl.key.password"), KN_SLICE_NULL, KN_CONFIG_SOURCE_STATIC_BROKER },
    };
    /* Entry 0 says "default" only through config_source: the v0 encoding
     * must still mark it is_default. */
    kn_describeconfigs_entry_t cfgs[] = {
        { KN_S("retention.ms"), KN_S("604800000"), false, false, KN_CONFIG_SOURCE_DEFAULT, false,
          0, NULL },
        { KN_S("ssl.key.password"), KN_SLICE_NULL, true, false, KN_CONFIG_SOURCE_STATIC_BROKER,
          true, 1, syn },
    };
    kn_describeconfigs_result_t results[] = {
        { 0, KN_SLICE_NULL, KN_RESOURCE_TOPIC, KN_S("orders"), 2, cfgs },
    };
    kn_describeconfigs_resp_t resp = { 0, 1, results };
    for (int16_t v = KN_DESCRIBECONFIGS_MIN; v <= KN_DESCRIBECONFIGS_MAX; v++) {
        kn_test_roundtrip(enc_dc_req, dec_dc_req, &req, sizeof(req), v, check_dc_req);
        kn_test_roundtrip(enc_dc_resp, dec_dc_resp, &resp, sizeof(resp), v, check_dc_resp);
    }
    /* v0 request with a null key list = all keys, byte-exact. */
    kn_describeconfigs_req_t r0 = { 1, resources, false };
    static const uint8_t v0[] = {
        0, 0, 0, 1, 2, 0, 6, 'o', 'r', 'd', 'e', 'r', 's', 0xff, 0xff, 0xff, 0xff,
    };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_describeconfigs_req_encode(&w, 0, &r0);
    KN_ASSERT_BYTES(&w, v0);
    kn_wbuf_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_createtopics),
        cmocka_unit_test(test_deletetopics),
        cmocka_unit_test(test_createpartitions),
        cmocka_unit_test(test_describeconfigs),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
