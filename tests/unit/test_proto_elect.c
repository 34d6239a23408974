/*
 * tests/unit/test_proto_elect.c -- the ElectLeaders codec (key 43): round
 * trips at versions 0 and 1, byte-exact frames, the version-gated fields
 * (election_type, top-level error_code), the null "every partition" array
 * and malformed input.
 */
#include "config.h"

#include "test_proto_util.h"
#include "protocol/electleaders.h"

KN_TEST_ENCODER(enc_el_req, kn_proto_electleaders_req_encode, kn_electleaders_req_t)
KN_TEST_DECODER(dec_el_req, kn_proto_electleaders_req_decode, kn_electleaders_req_t)
KN_TEST_ENCODER(enc_el_resp, kn_proto_electleaders_resp_encode, kn_electleaders_resp_t)
KN_TEST_DECODER(dec_el_resp, kn_proto_electleaders_resp_decode, kn_electleaders_resp_t)

static int32_t parts_a[] = { 0, 2 };
static int32_t parts_b[] = { 7 };

static void check_req(const void *p, int16_t ver)
{
    const kn_electleaders_req_t *m = p;
    /* v0 carries no election type: it always means PREFERRED. */
    assert_int_equal(m->election_type, ver >= 1 ? KN_ELECTION_UNCLEAN : KN_ELECTION_PREFERRED);
    assert_int_equal(m->n_topics, 2);
    assert_slice_str(m->topics[0].topic, "demo");
    assert_int_equal(m->topics[0].n_partitions, 2);
    assert_int_equal(m->topics[0].partitions[1], 2);
    assert_slice_str(m->topics[1].topic, "orders");
    assert_int_equal(m->topics[1].n_partitions, 1);
    assert_int_equal(m->topics[1].partitions[0], 7);
    assert_int_equal(m->timeout_ms, 60000);
}

static void check_null_req(const void *p, int16_t ver)
{
    const kn_electleaders_req_t *m = p;
    (void)ver;
    assert_int_equal(m->n_topics, -1);
    assert_null(m->topics);
    assert_int_equal(m->timeout_ms, 500);
}

static void check_resp(const void *p, int16_t ver)
{
    const kn_electleaders_resp_t *m = p;
    assert_int_equal(m->throttle_time_ms, 3);
    assert_int_equal(m->error_code, ver >= 1 ? KN_ERR_INVALID_REQUEST : 0);
    assert_int_equal(m->n_results, 1);
    assert_slice_str(m->results[0].topic, "demo");
    assert_int_equal(m->results[0].n_partitions, 2);
    assert_int_equal(m->results[0].partitions[0].partition_id, 0);
    assert_int_equal(m->results[0].partitions[0].error_code, 0);
    assert_int_equal(m->results[0].partitions[0].error_message.len, -1);
    assert_int_equal(m->results[0].partitions[1].partition_id, 2);
    assert_int_equal(m->results[0].partitions[1].error_code, KN_ERR_ELECTION_NOT_NEEDED);
    assert_slice_str(m->results[0].partitions[1].error_message, "already led");
}

static void test_request(void **state)
{
    (void)state;
    kn_electleaders_topic_t topics[] = {
        { KN_S("demo"), 2, parts_a }, { KN_S("orders"), 1, parts_b },
    };
    kn_electleaders_req_t req = { KN_ELECTION_UNCLEAN, 2, topics, 60000 };
    for (int16_t v = KN_ELECTLEADERS_MIN; v <= KN_ELECTLEADERS_MAX; v++)
        kn_test_roundtrip(enc_el_req, dec_el_req, &req, sizeof(req), v, check_req);

    kn_electleaders_req_t all = { KN_ELECTION_PREFERRED, -1, NULL, 500 };
    for (int16_t v = KN_ELECTLEADERS_MIN; v <= KN_ELECTLEADERS_MAX; v++)
        kn_test_roundtrip(enc_el_req, dec_el_req, &all, sizeof(all), v, check_null_req);
}

/* The exact bytes, so a mistake that is symmetric in encoder and decoder
 * (which a round trip cannot see) still shows. */
static void test_request_bytes(void **state)
{
    (void)state;
    kn_electleaders_topic_t topics[] = { { KN_S("t"), 1, parts_b } };
    kn_electleaders_req_t req = { KN_ELECTION_PREFERRED, 1, topics, 1000 };
    static const uint8_t v0[] = {
        0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0x03, 0xe8,
    };
    static const uint8_t v1[] = {
        0, 0, 0, 0, 1, 0, 1, 't', 0, 0, 0, 1, 0, 0, 0, 7, 0, 0, 0x03, 0xe8,
    };
    static const uint8_t v1_null[] = { 0, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x03, 0xe8 };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_electleaders_req_encode(&w, 0, &req);
    KN_ASSERT_BYTES(&w, v0);
    kn_wbuf_reset(&w);
    kn_proto_electleaders_req_encode(&w, 1, &req);
    KN_ASSERT_BYTES(&w, v1);
    kn_wbuf_reset(&w);
    kn_electleaders_req_t all = { KN_ELECTION_PREFERRED, -1, NULL, 1000 };
    kn_proto_electleaders_req_encode(&w, 1, &all);
    KN_ASSERT_BYTES(&w, v1_null);
    kn_wbuf_free(&w);
}

static void test_response(void **state)
{
    (void)state;
    kn_electleaders_partition_result_t pr[] = {
        { 0, 0, KN_SLICE_NULL },
        { 2, KN_ERR_ELECTION_NOT_NEEDED, KN_S("already led") },
    };
    kn_electleaders_result_t res[] = { { KN_S("demo"), 2, pr } };
    kn_electleaders_resp_t resp = { 3, KN_ERR_INVALID_REQUEST, 1, res };
    for (int16_t v = KN_ELECTLEADERS_MIN; v <= KN_ELECTLEADERS_MAX; v++)
        kn_test_roundtrip(enc_el_resp, dec_el_resp, &resp, sizeof(resp), v, check_resp);

    /* v1 response with no results: throttle, error, empty array. */
    kn_electleaders_resp_t empty = { 0, KN_ERR_INVALID_REQUEST, 0, NULL };
    static const uint8_t v1[] = { 0, 0, 0, 0, 0, 42, 0, 0, 0, 0 };
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_electleaders_resp_encode(&w, 1, &empty);
    KN_ASSERT_BYTES(&w, v1);
    kn_wbuf_free(&w);
}

static void test_malformed(void **state)
{
    (void)state;
    kn_electleaders_req_t out;
    kn_electleaders_resp_t rout;
    /* A topic count far larger than the bytes that follow. */
    static const uint8_t huge[] = { 0, 0x7f, 0xff, 0xff, 0xff, 0, 1, 't', 0, 0, 0, 0 };
    assert_int_equal(kn_test_decode(dec_el_req, huge, sizeof(huge), 1, &out, sizeof(out)),
                     KN_ERROR);
    /* The inner partitions array may not be null. */
    static const uint8_t nullparts[] = {
        0, 0, 0, 1, 0, 1, 't', 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0,
    };
    assert_int_equal(kn_test_decode(dec_el_req, nullparts, sizeof(nullparts), 0, &out,
                                    sizeof(out)), KN_ERROR);
    /* The results array of the response is not nullable. */
    static const uint8_t nullres[] = { 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff };
    assert_int_equal(kn_test_decode(dec_el_resp, nullres, sizeof(nullres), 0, &rout,
                                    sizeof(rout)), KN_ERROR);
    /* Versions outside 0-1 (v2 is flexible and not implemented). */
    static const uint8_t ok0[] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
    assert_int_equal(kn_test_decode(dec_el_req, ok0, sizeof(ok0), 0, &out, sizeof(out)), KN_OK);
    assert_int_equal(kn_test_decode(dec_el_req, ok0, sizeof(ok0), 2, &out, sizeof(out)),
                     KN_ERROR);
    assert_int_equal(kn_test_decode(dec_el_req, ok0, sizeof(ok0), -1, &out, sizeof(out)),
                     KN_ERROR);
}

static void test_api_table(void **state)
{
    (void)state;
    assert_true(kn_proto_api_supported(KN_API_ELECT_LEADERS, 0));
    assert_true(kn_proto_api_supported(KN_API_ELECT_LEADERS, 1));
    assert_false(kn_proto_api_supported(KN_API_ELECT_LEADERS, 2));
    assert_false(kn_proto_flexible(KN_API_ELECT_LEADERS, 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request),
        cmocka_unit_test(test_request_bytes),
        cmocka_unit_test(test_response),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_api_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
