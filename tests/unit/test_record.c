/*
 * tests/unit/test_record.c -- v2 record batches: build/parse round trips,
 * every validation error, in-place rewrites, record walking, and the four
 * compression codecs (both snappy framings).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "record/batch.h"
#include "record/compress.h"
#include "record/crc32c.h"

/* Build a batch of n records "k<i>"/"value-<i>" at timestamps 1000+i. */
static void build(kn_wbuf_t *w, kn_codec_t codec, size_t n)
{
    kn_record_in_t recs[64];
    char keys[64][16], vals[64][32];
    assert_true(n <= 64);
    for (size_t i = 0; i < n; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%zu", i);
        snprintf(vals[i], sizeof(vals[i]), "value-%zu", i);
        recs[i].key = keys[i];
        recs[i].key_len = strlen(keys[i]);
        recs[i].value = vals[i];
        recs[i].value_len = strlen(vals[i]);
        recs[i].timestamp = 1000 + (int64_t)i;
        recs[i].header_count = 0;
    }
    kn_batch_build_opts_t o;
    kn_batch_build_opts_init(&o);
    o.codec = codec;
    o.producer_id = 77;
    o.producer_epoch = 3;
    o.base_sequence = 10;
    assert_int_equal(kn_batch_build(w, &o, recs, n), KN_OK);
}

typedef struct {
    int count;
    int64_t ts_sum;
    bool ok;
} walk_t;

static int walk_cb(void *ud, const kn_batch_hdr_t *h, const kn_record_t *rec)
{
    walk_t *wk = ud;
    char key[16], val[32];
    snprintf(key, sizeof(key), "k%d", wk->count);
    snprintf(val, sizeof(val), "value-%d", wk->count);
    if (rec->offset_delta != wk->count || !kn_slice_eq(rec->key, key)
        || !kn_slice_eq(rec->value, val)) {
        wk->ok = false;
    }
    wk->ts_sum += h->base_timestamp + rec->timestamp_delta;
    wk->count++;
    return KN_OK;
}

static void test_roundtrip_uncompressed(void **state)
{
    (void)state;
    kn_wbuf_t w;
    kn_wbuf_init(&w, 64);
    build(&w, KN_CODEC_NONE, 5);
    kn_batch_hdr_t h;
    assert_int_equal(kn_batch_validate(w.data, w.len, KN_BATCH_CHECK_ALL | KN_BATCH_CHECK_STRICT,
                                       &h), KN_ERR_NONE);
    assert_int_equal(kn_batch_size(&h), w.len);
    assert_int_equal(h.magic, 2);
    assert_int_equal(h.records_count, 5);
    assert_int_equal(h.last_offset_delta, 4);
    assert_int_equal(h.base_timestamp, 1000);
    assert_int_equal(h.max_timestamp, 1004);
    assert_int_equal(h.producer_id, 77);
    assert_int_equal(h.producer_epoch, 3);
    assert_int_equal(h.base_sequence, 10);
    assert_int_equal(h.leader_epoch, -1);
    walk_t wk = { 0, 0, true };
    assert_int_equal(kn_batch_foreach_record(w.data, &h, walk_cb, &wk), KN_OK);
    assert_int_equal(wk.count, 5);
    assert_true(wk.ok);
    assert_int_equal(wk.ts_sum, 1000 + 1001 + 1002 + 1003 + 1004);
    kn_wbuf_free(&w);
}

static void test_roundtrip_codecs(void **state)
{
    (void)state;
    for (int c = KN_CODEC_GZIP; c <= KN_CODEC_ZSTD; c++) {
        kn_wbuf_t w;
        kn_wbuf_init(&w, 64);
        build(&w, (kn_codec_t)c, 40);
        kn_batch_hdr_t h;
        assert_int_equal(kn_batch_validate(w.data, w.len,
                                           KN_BATCH_CHECK_ALL | KN_BATCH_CHECK_DEEP, &h),
                         KN_ERR_NONE);
        assert_int_equal(kn_batch_codec(&h), c);
        walk_t wk = { 0, 0, true };
        assert_int_equal(kn_batch_foreach_record(w.data, &h, walk_cb, &wk), KN_OK);
        assert_int_equal(wk.count, 40);
        assert_true(wk.ok);
        kn_wbuf_free(&w);
    }
}

static void test_codec_raw_and_bounds(void **state)
{
    (void)state;
    uint8_t plain[100000];
    for (size_t i = 0; i < sizeof(plain); i++) {
        plain[i] = (uint8_t)(i % 251 ^ (i >> 7));
    }
    for (int c = KN_CODEC_NONE; c <= KN_CODEC_ZSTD; c++) {
        kn_wbuf_t z, out;
        kn_wbuf_init(&z, 16);
        kn_wbuf_init(&out, 16);
        assert_int_equal(kn_compress((kn_codec_t)c, plain, sizeof(plain), 0, &z), KN_OK);
        assert_int_equal(kn_decompress((kn_codec_t)c, z.data, z.len, sizeof(plain), &out), KN_OK);
        assert_int_equal(out.len, sizeof(plain));
        assert_memory_equal(out.data, plain, sizeof(plain));
        /* one byte less output allowed: must fail, not grow */
        kn_wbuf_reset(&out);
        assert_int_equal(kn_decompress((kn_codec_t)c, z.data, z.len, sizeof(plain) - 1, &out),
                         KN_ERROR);
        /* truncated input fails */
        if (c != KN_CODEC_NONE) {
            kn_wbuf_reset(&out);
            assert_int_equal(kn_decompress((kn_codec_t)c, z.data, z.len / 2, sizeof(plain), &out),
                             KN_ERROR);
        }
        kn_wbuf_free(&z);
        kn_wbuf_free(&out);
    }
    /* librdkafka's raw snappy shape decodes through the same entry point */
    kn_wbuf_t z, out;
    kn_wbuf_init(&z, 16);
    kn_wbuf_init(&out, 16);
    assert_int_equal(kn_compress_snappy_raw(plain, sizeof(plain), &z), KN_OK);
    assert_int_equal(kn_decompress(KN_CODEC_SNAPPY, z.data, z.len, sizeof(plain), &out), KN_OK);
    assert_int_equal(out.len, sizeof(plain));
    assert_memory_equal(out.data, plain, sizeof(plain));
    kn_wbuf_free(&z);
    kn_wbuf_free(&out);
    /* garbage */
    uint8_t junk[64];
    memset(junk, 0xA5, sizeof(junk));
    for (int c = KN_CODEC_GZIP; c <= KN_CODEC_ZSTD; c++) {
        kn_wbuf_t o;
        kn_wbuf_init(&o, 16);
        assert_int_equal(kn_decompress((kn_codec_t)c, junk, sizeof(junk), 1 << 20, &o), KN_ERROR);
        kn_wbuf_free(&o);
    }
    kn_codec_t cc;
    assert_int_equal(kn_codec_parse("zstd", &cc), KN_OK);
    assert_int_equal(cc, KN_CODEC_ZSTD);
    assert_int_equal(kn_codec_parse("brotli", &cc), KN_ERROR);
    assert_string_equal(kn_codec_name(KN_CODEC_LZ4), "lz4");
}

static void test_validation_errors(void **state)
{
    (void)state;
    kn_wbuf_t w;
    kn_wbuf_init(&w, 64);
    build(&w, KN_CODEC_NONE, 3);
    uint8_t *b = w.data;
    size_t n = w.len;
    unsigned f = KN_BATCH_CHECK_ALL;

    /* truncated anywhere */
    for (size_t cut = 0; cut < n; cut++) {
        kn_err_t rc = kn_batch_validate(b, cut, f, NULL);
        assert_true(rc == KN_ERR_CORRUPT_MESSAGE);
    }
    /* CRC: flip a byte in every covered position */
    for (size_t i = KN_BATCH_OFF_ATTRIBUTES; i < n; i++) {
        b[i] ^= 0x40;
        assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_CORRUPT_MESSAGE);
        b[i] ^= 0x40;
    }
    /* magic */
    b[KN_BATCH_OFF_MAGIC] = 1;
    assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_UNSUPPORTED_VERSION);
    b[KN_BATCH_OFF_MAGIC] = 2;
    /* batch length too small / larger than buffer */
    kn_put_be32(b + KN_BATCH_OFF_LENGTH, 10);
    assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_CORRUPT_MESSAGE);
    kn_put_be32(b + KN_BATCH_OFF_LENGTH, (uint32_t)(n - 12 + 1));
    assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_CORRUPT_MESSAGE);
    kn_put_be32(b + KN_BATCH_OFF_LENGTH, 0x80000000u);
    assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_CORRUPT_MESSAGE);
    kn_put_be32(b + KN_BATCH_OFF_LENGTH, (uint32_t)(n - 12));
    assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_NONE);

    /* wrong count (CRC fixed up so only the count is wrong) */
    kn_put_be32(b + KN_BATCH_OFF_COUNT, 4);
    kn_put_be32(b + KN_BATCH_OFF_LAST_DELTA, 3);
    kn_batch_update_crc(b);
    assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_INVALID_RECORD);
    /* without record checks the header alone passes */
    assert_int_equal(kn_batch_validate(b, n, KN_BATCH_CHECK_CRC, NULL), KN_ERR_NONE);
    kn_put_be32(b + KN_BATCH_OFF_COUNT, 2);
    kn_put_be32(b + KN_BATCH_OFF_LAST_DELTA, 2);
    kn_batch_update_crc(b);
    assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_INVALID_RECORD);
    assert_int_equal(kn_batch_validate(b, n, f | KN_BATCH_CHECK_STRICT, NULL),
                     KN_ERR_INVALID_RECORD);
    kn_put_be32(b + KN_BATCH_OFF_COUNT, 0);
    kn_batch_update_crc(b);
    assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_INVALID_RECORD);
    kn_put_be32(b + KN_BATCH_OFF_COUNT, 3);
    kn_batch_update_crc(b);
    assert_int_equal(kn_batch_validate(b, n, f | KN_BATCH_CHECK_STRICT, NULL), KN_ERR_NONE);

    /* unknown codec */
    b[KN_BATCH_OFF_ATTRIBUTES + 1] |= 0x07;
    kn_batch_update_crc(b);
    assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_UNSUPPORTED_COMPRESSION_TYPE);
    b[KN_BATCH_OFF_ATTRIBUTES + 1] &= (uint8_t)~0x07;
    kn_batch_update_crc(b);

    /* a record whose length varint overstates its size */
    b[KN_BATCH_HEADER_SIZE] = (uint8_t)(b[KN_BATCH_HEADER_SIZE] + 2);
    kn_batch_update_crc(b);
    assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_INVALID_RECORD);
    b[KN_BATCH_HEADER_SIZE] = (uint8_t)(b[KN_BATCH_HEADER_SIZE] - 2);
    /* a key length pointing past the record */
    b[KN_BATCH_HEADER_SIZE + 4] = 0x7e;
    kn_batch_update_crc(b);
    assert_int_equal(kn_batch_validate(b, n, f, NULL), KN_ERR_INVALID_RECORD);
    kn_wbuf_free(&w);
}

static void test_records_blob_and_rewrites(void **state)
{
    (void)state;
    kn_wbuf_t w;
    kn_wbuf_init(&w, 64);
    build(&w, KN_CODEC_NONE, 2);
    size_t first = w.len;
    build(&w, KN_CODEC_LZ4, 7);
    kn_records_info_t info;
    assert_int_equal(kn_records_validate(w.data, w.len, KN_BATCH_CHECK_ALL, &info), KN_ERR_NONE);
    assert_int_equal(info.batches, 2);
    assert_int_equal(info.records, 9);
    assert_int_equal(info.max_timestamp, 1006);
    assert_int_equal(info.first.records_count, 2);
    /* trailing partial batch */
    assert_int_equal(kn_records_validate(w.data, w.len - 1, KN_BATCH_CHECK_ALL, NULL),
                     KN_ERR_CORRUPT_MESSAGE);
    assert_int_equal(kn_records_validate(w.data, 0, KN_BATCH_CHECK_ALL, NULL),
                     KN_ERR_CORRUPT_MESSAGE);

    /* base offset + leader epoch rewrites keep the CRC valid */
    kn_batch_set_base_offset(w.data + first, 123456789012LL);
    kn_batch_set_leader_epoch(w.data + first, 9);
    kn_batch_hdr_t h;
    assert_int_equal(kn_batch_validate(w.data + first, w.len - first, KN_BATCH_CHECK_ALL, &h),
                     KN_ERR_NONE);
    assert_int_equal(h.base_offset, 123456789012LL);
    assert_int_equal(kn_batch_last_offset(&h), 123456789012LL + 6);
    assert_int_equal(h.leader_epoch, 9);
    /* LogAppendTime rewrite recomputes the CRC */
    kn_batch_set_log_append_time(w.data, 555555);
    assert_int_equal(kn_batch_validate(w.data, first, KN_BATCH_CHECK_ALL, &h), KN_ERR_NONE);
    assert_int_equal(h.max_timestamp, 555555);
    assert_true(h.attributes & KN_BATCH_ATTR_LOG_APPEND_TIME);
    kn_wbuf_free(&w);
}

static void test_null_key_value_and_peek(void **state)
{
    (void)state;
    kn_record_in_t r = { NULL, 0, NULL, 0, 42, 0 };
    kn_batch_build_opts_t o;
    kn_batch_build_opts_init(&o);
    kn_wbuf_t w;
    kn_wbuf_init(&w, 64);
    assert_int_equal(kn_batch_build(&w, &o, &r, 1), KN_OK);
    assert_int_equal(kn_batch_build(&w, &o, &r, 0), KN_ERROR);
    kn_batch_hdr_t h;
    assert_int_equal(kn_batch_validate(w.data, w.len, KN_BATCH_CHECK_ALL, &h), KN_ERR_NONE);
    kn_rbuf_t rb;
    kn_rbuf_init(&rb, w.data + KN_BATCH_HEADER_SIZE, w.len - KN_BATCH_HEADER_SIZE);
    kn_record_t rec;
    assert_int_equal(kn_record_read(&rb, &rec), KN_OK);
    assert_null(rec.key.ptr);
    assert_int_equal(rec.key.len, -1);
    assert_int_equal(rec.value.len, -1);
    int64_t off;
    int32_t len;
    int8_t magic;
    assert_int_equal(kn_batch_peek(w.data, 17, &off, &len, &magic), KN_OK);
    assert_int_equal(len + 12, (int32_t)w.len);
    assert_int_equal(magic, 2);
    assert_int_equal(kn_batch_peek(w.data, 16, &off, &len, &magic), KN_ERROR);
    kn_wbuf_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_uncompressed),
        cmocka_unit_test(test_roundtrip_codecs),
        cmocka_unit_test(test_codec_raw_and_bounds),
        cmocka_unit_test(test_validation_errors),
        cmocka_unit_test(test_records_blob_and_rewrites),
        cmocka_unit_test(test_null_key_value_and_peek),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
