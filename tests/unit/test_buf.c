/*
 * tests/unit/test_buf.c -- the Kafka wire primitives of common/buf.h.
 *
 * Round trips for every writer/reader pair, the varint edge values, and
 * the hostile inputs a decoder must refuse without reading past the frame:
 * truncated and over-long varints, negative lengths, lengths past the end,
 * array counts that cannot fit, broken tagged-field sections. Every failure
 * must be sticky.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"

/* A reader over a byte array literal. */
#define RBUF(r, ...) \
    static const uint8_t r##_bytes[] = { __VA_ARGS__ }; \
    kn_rbuf_t r; \
    kn_rbuf_init(&r, r##_bytes, sizeof(r##_bytes))

static void test_fixed_roundtrip(void **state)
{
    kn_wbuf_t w;
    kn_wbuf_init(&w, 1);   /* tiny start: forces growth */
    kn_wbuf_i8(&w, -128);
    kn_wbuf_i8(&w, 127);
    kn_wbuf_i16(&w, INT16_MIN);
    kn_wbuf_i16(&w, 0x1234);
    kn_wbuf_i32(&w, INT32_MIN);
    kn_wbuf_i32(&w, 0x12345678);
    kn_wbuf_i64(&w, INT64_MIN);
    kn_wbuf_i64(&w, 0x0102030405060708LL);
    kn_wbuf_u32(&w, 0xDEADBEEFu);
    kn_wbuf_bool(&w, true);
    kn_wbuf_bool(&w, false);
    uint8_t uuid[16], got[16];
    for (int i = 0; i < 16; i++) {
        uuid[i] = (uint8_t)(0xA0 + i);
    }
    kn_wbuf_uuid(&w, uuid);
    assert_int_equal(w.len, 1 + 1 + 2 + 2 + 4 + 4 + 8 + 8 + 4 + 1 + 1 + 16);
    /* Big-endian on the wire. */
    assert_int_equal(w.data[4], 0x12);
    assert_int_equal(w.data[5], 0x34);

    kn_rbuf_t r;
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_rbuf_i8(&r), -128);
    assert_int_equal(kn_rbuf_i8(&r), 127);
    assert_int_equal(kn_rbuf_i16(&r), INT16_MIN);
    assert_int_equal(kn_rbuf_i16(&r), 0x1234);
    assert_true(kn_rbuf_i32(&r) == INT32_MIN);
    assert_int_equal(kn_rbuf_i32(&r), 0x12345678);
    assert_true(kn_rbuf_i64(&r) == INT64_MIN);
    assert_true(kn_rbuf_i64(&r) == 0x0102030405060708LL);
    assert_true(kn_rbuf_u32(&r) == 0xDEADBEEFu);
    assert_true(kn_rbuf_bool(&r));
    assert_false(kn_rbuf_bool(&r));
    kn_rbuf_uuid(&r, got);
    assert_memory_equal(got, uuid, 16);
    assert_true(kn_rbuf_ok(&r));
    assert_int_equal(kn_rbuf_remaining(&r), 0);
    assert_int_equal(kn_rbuf_offset(&r), w.len);
    kn_wbuf_free(&w);
}

static void test_varint_edges(void **state)
{
    static const int32_t vi[] = { 0, -1, 1, 63, -64, 64, 300, INT32_MIN, INT32_MAX };
    static const size_t vi_len[] = { 1, 1, 1, 1, 1, 2, 2, 5, 5 };
    static const int64_t vl[] = { 0, -1, 1, INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX };
    static const size_t vl_len[] = { 1, 1, 1, 5, 5, 10, 10 };
    kn_wbuf_t w;
    kn_rbuf_t r;

    kn_wbuf_init(&w, 16);
    for (size_t i = 0; i < KN_ARRAY_LEN(vi); i++) {
        kn_wbuf_reset(&w);
        kn_wbuf_varint(&w, vi[i]);
        assert_int_equal(w.len, vi_len[i]);
        kn_rbuf_init(&r, w.data, w.len);
        assert_true(kn_rbuf_varint(&r) == vi[i]);
        assert_true(kn_rbuf_ok(&r));
        assert_int_equal(kn_rbuf_remaining(&r), 0);
    }
    for (size_t i = 0; i < KN_ARRAY_LEN(vl); i++) {
        kn_wbuf_reset(&w);
        kn_wbuf_varlong(&w, vl[i]);
        assert_int_equal(w.len, vl_len[i]);
        kn_rbuf_init(&r, w.data, w.len);
        assert_true(kn_rbuf_varlong(&r) == vl[i]);
        assert_true(kn_rbuf_ok(&r));
        assert_int_equal(kn_rbuf_remaining(&r), 0);
    }
    /* Known encodings: zigzag(300) = 600 = 0xD8 0x04; uvarint 300 = 0xAC 0x02. */
    kn_wbuf_reset(&w);
    kn_wbuf_varint(&w, 300);
    kn_wbuf_uvarint(&w, 300);
    kn_wbuf_uvarint(&w, UINT32_MAX);
    kn_wbuf_uvarlong(&w, UINT64_MAX);
    assert_int_equal(w.len, 2 + 2 + 5 + 10);
    assert_int_equal(w.data[0], 0xD8);
    assert_int_equal(w.data[1], 0x04);
    assert_int_equal(w.data[2], 0xAC);
    assert_int_equal(w.data[3], 0x02);
    assert_int_equal(w.data[8], 0x0F);    /* last byte of UINT32_MAX */
    assert_int_equal(w.data[18], 0x01);   /* last byte of UINT64_MAX */
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_rbuf_varint(&r), 300);
    assert_int_equal(kn_rbuf_uvarint(&r), 300);
    assert_true(kn_rbuf_uvarint(&r) == UINT32_MAX);
    assert_true(kn_rbuf_uvarlong(&r) == UINT64_MAX);
    assert_true(kn_rbuf_ok(&r));
    kn_wbuf_free(&w);
}

static void test_varint_truncated(void **state)
{
    RBUF(a, 0x80);
    (void)kn_rbuf_uvarint(&a);
    assert_false(kn_rbuf_ok(&a));

    RBUF(b, 0xFF, 0xFF, 0xFF);
    assert_int_equal(kn_rbuf_varint(&b), 0);
    assert_false(kn_rbuf_ok(&b));

    RBUF(c, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80);
    assert_true(kn_rbuf_varlong(&c) == 0);
    assert_false(kn_rbuf_ok(&c));

    kn_rbuf_t e;
    kn_rbuf_init(&e, "", 0);
    (void)kn_rbuf_uvarlong(&e);
    assert_false(kn_rbuf_ok(&e));
}

static void test_varint_overlong(void **state)
{
    /* Six bytes for a 32-bit varint. */
    RBUF(a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
    (void)kn_rbuf_uvarint(&a);
    assert_false(kn_rbuf_ok(&a));
    /* Five bytes, but the last carries bits beyond 32. */
    RBUF(b, 0xFF, 0xFF, 0xFF, 0xFF, 0x1F);
    (void)kn_rbuf_uvarint(&b);
    assert_false(kn_rbuf_ok(&b));
    /* Five bytes that fit exactly are fine. */
    RBUF(c, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F);
    assert_true(kn_rbuf_uvarint(&c) == UINT32_MAX);
    assert_true(kn_rbuf_ok(&c));
    /* Eleven bytes for a 64-bit varint. */
    RBUF(d, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01);
    (void)kn_rbuf_uvarlong(&d);
    assert_false(kn_rbuf_ok(&d));
    /* Ten bytes whose last has more than the one bit left. */
    RBUF(e, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02);
    (void)kn_rbuf_uvarlong(&e);
    assert_false(kn_rbuf_ok(&e));
    RBUF(f, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01);
    assert_true(kn_rbuf_uvarlong(&f) == UINT64_MAX);
    assert_true(kn_rbuf_ok(&f));
}

static void test_strings_roundtrip(void **state)
{
    kn_wbuf_t w;
    kn_wbuf_init(&w, 8);
    kn_wbuf_string(&w, "hello", -1);
    kn_wbuf_string(&w, NULL, 0);
    kn_wbuf_string(&w, "", -1);
    kn_wbuf_string(&w, "abcdef", 3);
    kn_wbuf_cstring(&w, "compact", -1);
    kn_wbuf_cstring(&w, NULL, 0);
    kn_wbuf_cstring(&w, "", -1);
    kn_wbuf_bytes(&w, "\x00\x01\x02", 3);
    kn_wbuf_bytes(&w, NULL, 0);
    kn_wbuf_cbytes(&w, "\xff", 1);
    kn_wbuf_cbytes(&w, NULL, 0);
    /* Record-level bytes: zigzag varint length, -1 = null. */
    kn_wbuf_varint(&w, 2);
    kn_wbuf_raw(&w, "kv", 2);
    kn_wbuf_varint(&w, -1);

    kn_rbuf_t r;
    kn_rbuf_init(&r, w.data, w.len);
    kn_slice_t s = kn_rbuf_string(&r);
    assert_true(kn_slice_eq(s, "hello"));
    s = kn_rbuf_nstring(&r);
    assert_int_equal(s.len, -1);
    assert_null(s.ptr);
    assert_true(kn_slice_eq(s, NULL));
    s = kn_rbuf_string(&r);
    assert_int_equal(s.len, 0);
    assert_true(kn_slice_eq(s, ""));
    s = kn_rbuf_nstring(&r);
    assert_true(kn_slice_eq(s, "abc"));
    char *dup = kn_slice_strdup(s);
    assert_string_equal(dup, "abc");
    free(dup);
    assert_true(kn_slice_eq(kn_rbuf_cstring(&r), "compact"));
    s = kn_rbuf_cnstring(&r);
    assert_int_equal(s.len, -1);
    assert_null(kn_slice_strdup(s));
    assert_true(kn_slice_eq(kn_rbuf_cnstring(&r), ""));
    s = kn_rbuf_bytes(&r);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.ptr, "\x00\x01\x02", 3);
    assert_int_equal(kn_rbuf_nbytes(&r).len, -1);
    s = kn_rbuf_cbytes(&r);
    assert_int_equal(s.len, 1);
    assert_int_equal(s.ptr[0], 0xff);
    assert_int_equal(kn_rbuf_cnbytes(&r).len, -1);
    s = kn_rbuf_vbytes(&r);
    assert_int_equal(s.len, 2);
    assert_memory_equal(s.ptr, "kv", 2);
    assert_int_equal(kn_rbuf_vbytes(&r).len, -1);
    assert_true(kn_rbuf_ok(&r));
    assert_int_equal(kn_rbuf_remaining(&r), 0);
    assert_false(kn_slice_eq(kn_rbuf_string(&r), "x"));   /* past the end now */
    kn_wbuf_free(&w);
}

static void test_writer_limits(void **state)
{
    kn_wbuf_t w;
    kn_rbuf_t r;
    kn_wbuf_init(&w, 0);
    /* A STRING longer than int16 allows keeps the frame readable. */
    char *big = malloc(40000);
    memset(big, 'x', 40000);
    kn_wbuf_string(&w, big, 40000);
    kn_wbuf_i8(&w, 9);
    free(big);
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_rbuf_string(&r).len, INT16_MAX);
    assert_int_equal(kn_rbuf_i8(&r), 9);
    assert_true(kn_rbuf_ok(&r));
    /* Negative byte counts write null rather than a wild copy. */
    kn_wbuf_reset(&w);
    kn_wbuf_bytes(&w, "abc", -3);
    kn_wbuf_cbytes(&w, "abc", -1);
    assert_int_equal(w.len, 5);
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_rbuf_nbytes(&r).len, -1);
    assert_int_equal(kn_rbuf_cnbytes(&r).len, -1);
    assert_true(kn_rbuf_ok(&r));
    kn_wbuf_free(&w);
}

static void test_negative_lengths(void **state)
{
    RBUF(a, 0xFF, 0xFE);            /* STRING length -2 */
    assert_int_equal(kn_rbuf_nstring(&a).len, -1);
    assert_false(kn_rbuf_ok(&a));

    RBUF(b, 0xFF, 0xFF);            /* STRING -1: only NULLABLE_STRING may be null */
    (void)kn_rbuf_string(&b);
    assert_false(kn_rbuf_ok(&b));

    RBUF(c, 0xFF, 0xFF, 0xFF, 0xFB, 1, 2, 3);   /* BYTES -5 */
    (void)kn_rbuf_nbytes(&c);
    assert_false(kn_rbuf_ok(&c));

    RBUF(d, 0xFF, 0xFF, 0xFF, 0xFF);            /* BYTES -1 */
    (void)kn_rbuf_bytes(&d);
    assert_false(kn_rbuf_ok(&d));

    RBUF(e, 0x00);                  /* COMPACT_STRING null where not nullable */
    (void)kn_rbuf_cstring(&e);
    assert_false(kn_rbuf_ok(&e));

    RBUF(f, 0x00);
    (void)kn_rbuf_cbytes(&f);
    assert_false(kn_rbuf_ok(&f));

    RBUF(g, 0x03, 'a');             /* vbytes zigzag -2 */
    (void)kn_rbuf_vbytes(&g);
    assert_false(kn_rbuf_ok(&g));
}

static void test_lengths_past_frame(void **state)
{
    RBUF(a, 0x00, 0x0A, 'a', 'b', 'c');
    kn_slice_t s = kn_rbuf_string(&a);
    assert_false(kn_rbuf_ok(&a));
    assert_null(s.ptr);
    /* The failed read consumed only the length, never past the end. */
    assert_true(a.pos <= a.end);

    RBUF(b, 0x7F, 0xFF, 0xFF, 0xFF, 0x00);
    (void)kn_rbuf_bytes(&b);
    assert_false(kn_rbuf_ok(&b));

    RBUF(c, 0x05, 'a', 'b');        /* compact length 4 with 2 bytes */
    (void)kn_rbuf_cnstring(&c);
    assert_false(kn_rbuf_ok(&c));

    /* Compact length UINT32_MAX - 1 does not fit an int32. */
    RBUF(d, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 'x');
    (void)kn_rbuf_cnbytes(&d);
    assert_false(kn_rbuf_ok(&d));

    RBUF(e, 0x0A, 'a');             /* vbytes 5 with 1 byte */
    (void)kn_rbuf_vbytes(&e);
    assert_false(kn_rbuf_ok(&e));

    RBUF(f, 1, 2, 3);
    assert_null(kn_rbuf_raw(&f, 4));
    assert_false(kn_rbuf_ok(&f));

    RBUF(g, 1, 2, 3);
    assert_int_equal(kn_rbuf_skip(&g, 3), KN_OK);
    assert_int_equal(kn_rbuf_skip(&g, 1), KN_ERROR);
}

static void test_array_counts(void **state)
{
    kn_wbuf_t w;
    kn_rbuf_t r;
    kn_wbuf_init(&w, 0);

    /* Two 4-byte elements: fits. */
    kn_wbuf_array_len(&w, 2);
    kn_wbuf_i32(&w, 7);
    kn_wbuf_i32(&w, 8);
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_rbuf_array_len(&r, 4), 2);
    assert_true(kn_rbuf_ok(&r));

    /* Three claimed, room for two. */
    kn_wbuf_patch_i32(&w, 0, 3);
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_rbuf_array_len(&r, 4), -1);
    assert_false(kn_rbuf_ok(&r));

    /* A huge count must never reach an allocation. */
    kn_wbuf_patch_i32(&w, 0, INT32_MAX);
    kn_rbuf_init(&r, w.data, w.len);
    (void)kn_rbuf_array_len(&r, 1);
    assert_false(kn_rbuf_ok(&r));

    /* Null (-1) is allowed, other negatives are not. */
    kn_wbuf_patch_i32(&w, 0, -1);
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_rbuf_array_len(&r, 4), -1);
    assert_true(kn_rbuf_ok(&r));
    kn_wbuf_patch_i32(&w, 0, -2);
    kn_rbuf_init(&r, w.data, w.len);
    (void)kn_rbuf_array_len(&r, 4);
    assert_false(kn_rbuf_ok(&r));

    /* Compact arrays: N+1, 0 = null. */
    kn_wbuf_reset(&w);
    kn_wbuf_carray_len(&w, 3);
    kn_wbuf_carray_len(&w, -1);
    kn_wbuf_carray_len(&w, 0);
    kn_wbuf_raw(&w, "abc", 3);
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_rbuf_carray_len(&r, 1), 3);
    assert_int_equal(kn_rbuf_carray_len(&r, 1), -1);
    assert_int_equal(kn_rbuf_carray_len(&r, 1), 0);
    assert_true(kn_rbuf_ok(&r));

    RBUF(c, 0x65, 0x00, 0x00);      /* compact count 100 with 2 bytes left */
    (void)kn_rbuf_carray_len(&c, 1);
    assert_false(kn_rbuf_ok(&c));
    kn_wbuf_free(&w);
}

static void test_tagged_fields(void **state)
{
    kn_wbuf_t w;
    kn_rbuf_t r;
    kn_wbuf_init(&w, 0);
    kn_wbuf_tags_empty(&w);
    kn_wbuf_i8(&w, 42);
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_rbuf_skip_tags(&r), KN_OK);
    assert_int_equal(kn_rbuf_i8(&r), 42);

    /* Two tags, the first with 3 bytes of data and a large tag number. */
    kn_wbuf_reset(&w);
    kn_wbuf_uvarint(&w, 2);
    kn_wbuf_uvarint(&w, 0);
    kn_wbuf_uvarint(&w, 3);
    kn_wbuf_raw(&w, "xyz", 3);
    kn_wbuf_uvarint(&w, 100000);
    kn_wbuf_uvarint(&w, 0);
    kn_wbuf_i16(&w, 0x0BAD);
    kn_rbuf_init(&r, w.data, w.len);
    assert_int_equal(kn_rbuf_skip_tags(&r), KN_OK);
    assert_int_equal(kn_rbuf_i16(&r), 0x0BAD);
    assert_true(kn_rbuf_ok(&r));

    /* Every truncation of that section fails instead of overrunning. */
    size_t section = w.len - 2;
    for (size_t cut = 0; cut < section; cut++) {
        kn_rbuf_init(&r, w.data, cut);
        assert_int_equal(kn_rbuf_skip_tags(&r), KN_ERROR);
        assert_false(kn_rbuf_ok(&r));
        assert_true(r.pos <= r.end);
    }

    RBUF(a, 0x01, 0x00, 0x0A, 'a');   /* size 10 with 1 byte */
    assert_int_equal(kn_rbuf_skip_tags(&a), KN_ERROR);
    RBUF(b, 0x05, 0x00, 0x00);        /* 5 tags claimed, 1 present */
    assert_int_equal(kn_rbuf_skip_tags(&b), KN_ERROR);
    kn_wbuf_free(&w);
}

static void test_sticky_error(void **state)
{
    RBUF(r, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05);
    assert_int_equal(kn_rbuf_i32(&r), 0x00010203);
    assert_true(kn_rbuf_i64(&r) == 0);          /* only 2 bytes left */
    assert_false(kn_rbuf_ok(&r));
    size_t off = kn_rbuf_offset(&r);
    /* Later reads that would fit still fail, yield zero and do not move. */
    assert_int_equal(kn_rbuf_i8(&r), 0);
    assert_int_equal(kn_rbuf_i16(&r), 0);
    assert_int_equal(kn_rbuf_uvarint(&r), 0);
    assert_false(kn_rbuf_bool(&r));
    assert_int_equal(kn_rbuf_nstring(&r).len, -1);
    assert_null(kn_rbuf_raw(&r, 1));
    assert_int_equal(kn_rbuf_array_len(&r, 0), -1);
    assert_int_equal(kn_rbuf_skip_tags(&r), KN_ERROR);
    uint8_t u[16];
    memset(u, 0xAA, sizeof(u));
    kn_rbuf_uuid(&r, u);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(u[i], 0);
    }
    assert_int_equal(kn_rbuf_offset(&r), off);
    assert_false(kn_rbuf_ok(&r));

    /* kn_rbuf_fail marks a semantic error the same way. */
    RBUF(s, 0x01, 0x02);
    kn_rbuf_fail(&s);
    assert_int_equal(kn_rbuf_i8(&s), 0);
    assert_false(kn_rbuf_ok(&s));
}

static void test_empty_reader(void **state)
{
    kn_rbuf_t r;
    kn_rbuf_init(&r, NULL, 0);
    assert_true(kn_rbuf_ok(&r));
    assert_int_equal(kn_rbuf_remaining(&r), 0);
    assert_int_equal(kn_rbuf_skip(&r, 0), KN_OK);
    /* A zero-length read succeeds with a usable (non-NULL) pointer. */
    assert_non_null(kn_rbuf_raw(&r, 0));
    assert_true(kn_rbuf_ok(&r));
    assert_int_equal(kn_rbuf_i8(&r), 0);
    assert_false(kn_rbuf_ok(&r));
}

static void test_writer(void **state)
{
    kn_wbuf_t w = { 0 };        /* zeroed writer works without init */
    kn_wbuf_i32(&w, 1);
    size_t off = kn_wbuf_skip(&w, 4);
    assert_int_equal(off, 4);
    for (int i = 0; i < 5000; i++) {
        kn_wbuf_i16(&w, (int16_t)i);
    }
    kn_wbuf_patch_i32(&w, off, 0x0A0B0C0D);
    assert_int_equal(w.len, 8 + 10000);
    assert_true(w.cap >= w.len);
    assert_int_equal(kn_be32(w.data + 4), 0x0A0B0C0D);
    assert_int_equal(kn_be16(w.data + 8 + 2 * 4999), 4999);
    uint8_t *p = kn_wbuf_reserve(&w, 100);
    assert_ptr_equal(p, w.data + w.len);
    assert_int_equal(w.len, 10008);

    size_t len = 0;
    uint8_t *data = kn_wbuf_detach(&w, &len);
    assert_int_equal(len, 10008);
    assert_null(w.data);
    assert_int_equal(w.len, 0);
    free(data);

    kn_wbuf_raw(&w, NULL, 0);   /* nothing to copy: no allocation needed */
    kn_wbuf_raw(&w, "ab", 2);
    assert_int_equal(w.len, 2);
    kn_wbuf_reset(&w);
    assert_int_equal(w.len, 0);
    kn_wbuf_free(&w);
    kn_wbuf_free(&w);           /* freeing twice is safe */

    uint8_t b[8];
    kn_put_be64(b, 0x0102030405060708ULL);
    assert_true(kn_be64(b) == 0x0102030405060708ULL);
    assert_int_equal(b[0], 1);
    kn_put_be16(b, 0xBEEF);
    assert_int_equal(kn_be16(b), 0xBEEF);
}

/* Random frames through every reader: each must either succeed or fail
 * cleanly, never leave pos outside [start, end] (the sanitizer build would
 * also catch any read past the buffer, which is allocated to exact size). */
static void test_random_frames(void **state)
{
    uint32_t seed = 0x12345678u;
    for (int round = 0; round < 3000; round++) {
        size_t len = (size_t)(round % 64);
        uint8_t *frame = malloc(len ? len : 1);
        for (size_t i = 0; i < len; i++) {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            frame[i] = (uint8_t)seed;
        }
        kn_rbuf_t r;
        kn_rbuf_init(&r, frame, len);
        for (int step = 0; step < 40 && kn_rbuf_ok(&r); step++) {
            uint8_t u[16];
            kn_slice_t sl = { NULL, -1 };
            switch ((seed >> (step % 24)) % 12) {
            case 0: (void)kn_rbuf_i16(&r); break;
            case 1: (void)kn_rbuf_uvarint(&r); break;
            case 2: (void)kn_rbuf_varlong(&r); break;
            case 3: sl = kn_rbuf_nstring(&r); break;
            case 4: sl = kn_rbuf_cnstring(&r); break;
            case 5: sl = kn_rbuf_nbytes(&r); break;
            case 6: sl = kn_rbuf_vbytes(&r); break;
            case 7: (void)kn_rbuf_array_len(&r, 2); break;
            case 8: (void)kn_rbuf_carray_len(&r, 1); break;
            case 9: (void)kn_rbuf_skip_tags(&r); break;
            case 10: kn_rbuf_uuid(&r, u); break;
            default: (void)kn_rbuf_i64(&r); break;
            }
            if (sl.len > 0) {
                /* A returned view lies wholly inside the frame. */
                assert_true(sl.ptr >= frame && sl.ptr + sl.len <= frame + len);
            }
            assert_true(r.pos >= r.start && r.pos <= r.end);
        }
        free(frame);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed_roundtrip),
        cmocka_unit_test(test_varint_edges),
        cmocka_unit_test(test_varint_truncated),
        cmocka_unit_test(test_varint_overlong),
        cmocka_unit_test(test_strings_roundtrip),
        cmocka_unit_test(test_writer_limits),
        cmocka_unit_test(test_negative_lengths),
        cmocka_unit_test(test_lengths_past_frame),
        cmocka_unit_test(test_array_counts),
        cmocka_unit_test(test_tagged_fields),
        cmocka_unit_test(test_sticky_error),
        cmocka_unit_test(test_empty_reader),
        cmocka_unit_test(test_writer),
        cmocka_unit_test(test_random_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
