/*
 * tests/unit/test_proto_api.c -- API tables, request/response headers and
 * the arena.
 */
#include "config.h"

#include "test_proto_util.h"

static void test_flexible_table(void **state)
{
    (void)state;
    assert_false(kn_proto_flexible(KN_API_API_VERSIONS, 2));
    assert_true(kn_proto_flexible(KN_API_API_VERSIONS, 3));
    assert_true(kn_proto_flexible(KN_API_API_VERSIONS, 4));
    assert_false(kn_proto_flexible(KN_API_PRODUCE, 8));
    assert_true(kn_proto_flexible(KN_API_PRODUCE, 9));
    assert_false(kn_proto_flexible(KN_API_FETCH, 11));
    assert_true(kn_proto_flexible(KN_API_FETCH, 12));
    assert_false(kn_proto_flexible(KN_API_SASL_HANDSHAKE, 1));
    assert_false(kn_proto_flexible(KN_API_OFFSET_DELETE, 0));
    assert_true(kn_proto_flexible(KN_API_ALTER_PARTITION_REASSIGNMENTS, 0));
    assert_false(kn_proto_flexible(999, 5));
    assert_string_equal(kn_proto_api_name(KN_API_METADATA), "Metadata");
    assert_string_equal(kn_proto_api_name(KN_API_DELETE_GROUPS), "DeleteGroups");
    assert_string_equal(kn_proto_api_name(34), "Unknown");
}

static void test_ranges(void **state)
{
    (void)state;
    const kn_api_range_t *rg = kn_proto_api_range(KN_API_PRODUCE);
    assert_non_null(rg);
    assert_int_equal(rg->min, 3);
    assert_int_equal(rg->max, 7);
    rg = kn_proto_api_range(KN_API_API_VERSIONS);
    assert_non_null(rg);
    assert_int_equal(rg->min, 0);
    assert_int_equal(rg->max, 3);
    rg = kn_proto_api_range(KN_API_FETCH);
    assert_int_equal(rg->min, 4);
    assert_int_equal(rg->max, 11);
    assert_null(kn_proto_api_range(KN_API_SASL_HANDSHAKE));  /* no codec here */
    assert_null(kn_proto_api_range(999));
    assert_true(kn_proto_api_supported(KN_API_METADATA, 0));
    assert_true(kn_proto_api_supported(KN_API_METADATA, 6));
    assert_false(kn_proto_api_supported(KN_API_METADATA, 7));
    assert_false(kn_proto_api_supported(KN_API_PRODUCE, 2));

    /* The full table lists codec-less rows too, and never a flexible
     * version except ApiVersions v3 and the flexible-only APIs. */
    size_t n = 0;
    const kn_api_range_t *t = kn_proto_api_table(&n);
    assert_true(n >= 30);
    bool saw_sasl = false;
    for (size_t i = 0; i < n; i++) {
        assert_true(t[i].min <= t[i].max);
        if (t[i].key == KN_API_SASL_HANDSHAKE) {
            saw_sasl = true;
            assert_false(t[i].has_codec);
        }
        if (t[i].key != KN_API_API_VERSIONS && t[i].key != KN_API_ALTER_PARTITION_REASSIGNMENTS &&
            t[i].key != KN_API_LIST_PARTITION_REASSIGNMENTS) {
            assert_false(kn_proto_flexible(t[i].key, t[i].max));
        }
    }
    assert_true(saw_sasl);
}

/* ApiVersions v3 request exactly as librdkafka 2.0.2 sends it. */
static const uint8_t apiv3_frame[] = {
    0x00, 0x12, 0x00, 0x03,             /* key 18, version 3 */
    0x00, 0x00, 0x00, 0x01,             /* correlation id 1 */
    0x00, 0x07, 'r', 'd', 'k', 'a', 'f', 'k', 'a',  /* client_id (int16 len) */
    0x00,                               /* header tags */
    0x0b, 'l', 'i', 'b', 'r', 'd', 'k', 'a', 'f', 'k', 'a',
    0x06, '2', '.', '0', '.', '2',
    0x00,                               /* body tags */
};

static void test_request_header_v2(void **state)
{
    (void)state;
    kn_rbuf_t r;
    kn_req_header_t h;
    kn_rbuf_init(&r, apiv3_frame, sizeof(apiv3_frame));
    assert_int_equal(kn_proto_request_header_parse(&r, &h), KN_OK);
    assert_int_equal(h.api_key, 18);
    assert_int_equal(h.api_version, 3);
    assert_int_equal(h.correlation_id, 1);
    assert_slice_str(h.client_id, "rdkafka");
    assert_int_equal(kn_rbuf_offset(&r), 18);   /* body starts after the tag byte */

    /* Every truncation of the header fails. */
    for (size_t n = 0; n < 18; n++) {
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, apiv3_frame, n);
        kn_rbuf_init(&r, copy, n);
        assert_int_equal(kn_proto_request_header_parse(&r, &h), KN_ERROR);
        free(copy);
    }

    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_request_header_write(&w, 18, 3, 1, "rdkafka");
    assert_int_equal(w.len, 18);
    assert_memory_equal(w.data, apiv3_frame, 18);
    kn_wbuf_free(&w);
}

static void test_request_header_v1(void **state)
{
    (void)state;
    /* Metadata v0, null client id: no tag section. */
    static const uint8_t frame[] = {
        0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xff, 0xff,
        0x00, 0x00, 0x00, 0x00,
    };
    kn_rbuf_t r;
    kn_req_header_t h;
    kn_rbuf_init(&r, frame, sizeof(frame));
    assert_int_equal(kn_proto_request_header_parse(&r, &h), KN_OK);
    assert_int_equal(h.api_key, 3);
    assert_int_equal(h.api_version, 0);
    assert_int_equal(h.correlation_id, 42);
    assert_int_equal(h.client_id.len, -1);
    assert_null(h.client_id.ptr);
    assert_int_equal(kn_rbuf_remaining(&r), 4);

    /* A negative client id length other than -1 is malformed. */
    static const uint8_t bad[] = { 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0xff, 0xfe };
    kn_rbuf_init(&r, bad, sizeof(bad));
    assert_int_equal(kn_proto_request_header_parse(&r, &h), KN_ERROR);
    /* A client id longer than the frame. */
    static const uint8_t lng[] = { 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x05, 'a' };
    kn_rbuf_init(&r, lng, sizeof(lng));
    assert_int_equal(kn_proto_request_header_parse(&r, &h), KN_ERROR);
}

static void test_response_header(void **state)
{
    (void)state;
    kn_wbuf_t w;
    kn_wbuf_init(&w, 0);
    kn_proto_response_header_write(&w, 7, false);
    static const uint8_t v0[] = { 0, 0, 0, 7 };
    KN_ASSERT_BYTES(&w, v0);
    kn_wbuf_reset(&w);
    kn_proto_response_header_write(&w, 7, true);
    static const uint8_t v1[] = { 0, 0, 0, 7, 0 };
    KN_ASSERT_BYTES(&w, v1);

    kn_rbuf_t r;
    int32_t corr = 0;
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_proto_response_header_parse(&r, &corr, true), KN_OK);
    assert_int_equal(corr, 7);
    kn_rbuf_init(&r, w.data, 4);
    assert_int_equal(kn_proto_response_header_parse(&r, &corr, true), KN_ERROR);
    kn_wbuf_free(&w);

    /* ApiVersions answers with header v0 even at flexible v3. */
    assert_false(kn_proto_response_header_v1(KN_API_API_VERSIONS, 3));
    assert_true(kn_proto_response_header_v1(KN_API_FETCH, 12));
    assert_false(kn_proto_response_header_v1(KN_API_FETCH, 11));
}

static void test_arena(void **state)
{
    (void)state;
    kn_arena_t a;
    kn_arena_init(&a);
    /* Many small allocations across chunks, each zeroed and aligned. */
    for (int i = 0; i < 5000; i++) {
        uint64_t *p = kn_arena_alloc(&a, 24);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % sizeof(uint64_t), 0);
        assert_int_equal(p[0] | p[1] | p[2], 0);
        p[0] = p[1] = p[2] = UINT64_MAX;
    }
    /* One allocation larger than a chunk. */
    uint8_t *big = kn_arena_alloc(&a, 3 * KN_ARENA_CHUNK);
    big[3 * KN_ARENA_CHUNK - 1] = 1;
    char *s = kn_arena_strdup(&a, "hello");
    assert_string_equal(s, "hello");
    uint8_t raw[] = { 'a', 'b', 'c' };
    kn_slice_t sl = { raw, 2 };
    assert_string_equal(kn_arena_slice_strdup(&a, sl), "ab");
    assert_null(kn_arena_slice_strdup(&a, KN_SLICE_NULL));
    assert_null(kn_arena_strdup(&a, NULL));
    assert_null(kn_arena_array(&a, SIZE_MAX / 2, 4));
    assert_non_null(kn_arena_array(&a, 0, 8));
    kn_arena_free(&a);
    assert_int_equal(a.used, 0);
    /* Reusable after free. */
    assert_non_null(kn_arena_alloc(&a, 10));
    kn_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flexible_table),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_request_header_v2),
        cmocka_unit_test(test_request_header_v1),
        cmocka_unit_test(test_response_header),
        cmocka_unit_test(test_arena),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
