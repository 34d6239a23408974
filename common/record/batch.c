/*
 * common/record/batch.c -- v2 record batch parsing, validation, in-place
 * rewrites and record walking (see batch.h).
 *
 * All reads of untrusted bytes go through kn_rbuf_t or are preceded by an
 * explicit length check against `avail`; a batch never makes us read past
 * the buffer it came in.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "record/batch.h"
#include "record/compress.h"
#include "record/crc32c.h"

/* Smallest legal batchLength: the header after the length field. */
#define KN_BATCH_MIN_LENGTH (KN_BATCH_HEADER_SIZE - KN_BATCH_LOG_OVERHEAD)

/* Default cap on a decompressed payload. */
#define KN_BATCH_MAX_INFLATE ((int64_t)64 * 1024 * 1024)

int kn_batch_peek(const uint8_t *p, size_t avail, int64_t *base_offset, int32_t *batch_length,
                  int8_t *magic)
{
    if (avail < KN_BATCH_OFF_MAGIC + 1) {
        return KN_ERROR;
    }
    if (base_offset) {
        *base_offset = (int64_t)kn_be64(p + KN_BATCH_OFF_BASE_OFFSET);
    }
    if (batch_length) {
        *batch_length = (int32_t)kn_be32(p + KN_BATCH_OFF_LENGTH);
    }
    if (magic) {
        *magic = (int8_t)p[KN_BATCH_OFF_MAGIC];
    }
    return KN_OK;
}

int kn_batch_hdr_parse(const uint8_t *p, size_t avail, kn_batch_hdr_t *h)
{
    if (avail < KN_BATCH_HEADER_SIZE) {
        return KN_ERROR;
    }
    h->base_offset = (int64_t)kn_be64(p + KN_BATCH_OFF_BASE_OFFSET);
    h->batch_length = (int32_t)kn_be32(p + KN_BATCH_OFF_LENGTH);
    h->leader_epoch = (int32_t)kn_be32(p + KN_BATCH_OFF_LEADER_EPOCH);
    h->magic = (int8_t)p[KN_BATCH_OFF_MAGIC];
    h->crc = kn_be32(p + KN_BATCH_OFF_CRC);
    h->attributes = (int16_t)kn_be16(p + KN_BATCH_OFF_ATTRIBUTES);
    h->last_offset_delta = (int32_t)kn_be32(p + KN_BATCH_OFF_LAST_DELTA);
    h->base_timestamp = (int64_t)kn_be64(p + KN_BATCH_OFF_BASE_TS);
    h->max_timestamp = (int64_t)kn_be64(p + KN_BATCH_OFF_MAX_TS);
    h->producer_id = (int64_t)kn_be64(p + KN_BATCH_OFF_PRODUCER_ID);
    h->producer_epoch = (int16_t)kn_be16(p + KN_BATCH_OFF_PRODUCER_EPOCH);
    h->base_sequence = (int32_t)kn_be32(p + KN_BATCH_OFF_BASE_SEQ);
    h->records_count = (int32_t)kn_be32(p + KN_BATCH_OFF_COUNT);
    return h->batch_length >= KN_BATCH_MIN_LENGTH ? KN_OK : KN_ERROR;
}

int kn_record_header_read(kn_rbuf_t *r, kn_slice_t *key, kn_slice_t *value)
{
    kn_slice_t k = kn_rbuf_vbytes(r);
    kn_slice_t v = kn_rbuf_vbytes(r);
    if (!kn_rbuf_ok(r) || k.len < 0) {
        kn_rbuf_fail(r);
        return KN_ERROR;
    }
    *key = k;
    *value = v;
    return KN_OK;
}

int kn_record_read(kn_rbuf_t *r, kn_record_t *rec)
{
    int32_t len = kn_rbuf_varint(r);
    if (!kn_rbuf_ok(r) || len <= 0 || (size_t)len > kn_rbuf_remaining(r)) {
        kn_rbuf_fail(r);
        return KN_ERROR;
    }
    /* Parse the record inside its own declared length: a record whose
     * fields run past (or stop short of) its length is malformed. */
    kn_rbuf_t body;
    kn_rbuf_init(&body, r->pos, (size_t)len);
    rec->attributes = kn_rbuf_i8(&body);
    rec->timestamp_delta = kn_rbuf_varlong(&body);
    rec->offset_delta = kn_rbuf_varint(&body);
    rec->key = kn_rbuf_vbytes(&body);
    rec->value = kn_rbuf_vbytes(&body);
    rec->header_count = kn_rbuf_varint(&body);
    if (!kn_rbuf_ok(&body) || rec->header_count < 0) {
        kn_rbuf_fail(r);
        return KN_ERROR;
    }
    rec->headers = body.pos;
    for (int32_t i = 0; i < rec->header_count; i++) {
        kn_slice_t hk, hv;
        if (kn_record_header_read(&body, &hk, &hv) != KN_OK) {
            kn_rbuf_fail(r);
            return KN_ERROR;
        }
    }
    rec->headers_len = (size_t)(body.pos - rec->headers);
    if (kn_rbuf_remaining(&body) != 0) {
        kn_rbuf_fail(r);
        return KN_ERROR;
    }
    (void)kn_rbuf_skip(r, (size_t)len);
    return KN_OK;
}

/* Walk `count` records in payload[0..len); check framing, that exactly
 * count records fill it, and offset deltas. */
static kn_err_t kn_batch_walk(const uint8_t *payload, size_t len, const kn_batch_hdr_t *h,
                              unsigned flags)
{
    kn_rbuf_t r;
    kn_rbuf_init(&r, payload, len);
    int64_t prev_delta = -1;
    for (int32_t i = 0; i < h->records_count; i++) {
        kn_record_t rec;
        if (kn_record_read(&r, &rec) != KN_OK) {
            return KN_ERR_INVALID_RECORD;
        }
        if (rec.offset_delta <= prev_delta || rec.offset_delta > h->last_offset_delta) {
            return KN_ERR_INVALID_RECORD;
        }
        if ((flags & KN_BATCH_CHECK_STRICT) && rec.offset_delta != i) {
            return KN_ERR_INVALID_RECORD;
        }
        prev_delta = rec.offset_delta;
    }
    if (kn_rbuf_remaining(&r) != 0) {
        return KN_ERR_INVALID_RECORD;   /* more bytes than the count says */
    }
    return KN_ERR_NONE;
}

kn_err_t kn_batch_validate(const uint8_t *p, size_t avail, unsigned flags, kn_batch_hdr_t *h)
{
    kn_batch_hdr_t tmp;
    if (h == NULL) {
        h = &tmp;
    }
    int64_t base;
    int32_t blen;
    int8_t magic;
    if (kn_batch_peek(p, avail, &base, &blen, &magic) != KN_OK) {
        return KN_ERR_CORRUPT_MESSAGE;
    }
    if (magic != KN_BATCH_MAGIC) {
        return KN_ERR_UNSUPPORTED_VERSION;
    }
    if (blen < KN_BATCH_MIN_LENGTH || (size_t)blen > avail - KN_BATCH_LOG_OVERHEAD) {
        return KN_ERR_CORRUPT_MESSAGE;
    }
    (void)kn_batch_hdr_parse(p, avail, h);
    size_t size = kn_batch_size(h);
    if (flags & KN_BATCH_CHECK_CRC) {
        uint32_t crc = kn_crc32c(0, p + KN_BATCH_OFF_ATTRIBUTES, size - KN_BATCH_OFF_ATTRIBUTES);
        if (crc != h->crc) {
            return KN_ERR_CORRUPT_MESSAGE;
        }
    }
    if (kn_batch_codec(h) > KN_CODEC_ZSTD) {
        return KN_ERR_UNSUPPORTED_COMPRESSION_TYPE;
    }
    if (h->records_count <= 0 || h->last_offset_delta < h->records_count - 1) {
        return KN_ERR_INVALID_RECORD;
    }
    if ((flags & KN_BATCH_CHECK_STRICT) && h->last_offset_delta != h->records_count - 1) {
        return KN_ERR_INVALID_RECORD;
    }
    if (base > INT64_MAX - h->last_offset_delta) {
        return KN_ERR_INVALID_RECORD;
    }
    const uint8_t *payload = p + KN_BATCH_HEADER_SIZE;
    size_t plen = size - KN_BATCH_HEADER_SIZE;
    if (kn_batch_codec(h) == KN_CODEC_NONE) {
        if (flags & (KN_BATCH_CHECK_RECORDS | KN_BATCH_CHECK_DEEP)) {
            /* Each record takes at least 7 bytes; reject absurd counts
             * before walking. */
            if ((size_t)h->records_count > plen / 7) {
                return KN_ERR_INVALID_RECORD;
            }
            return kn_batch_walk(payload, plen, h, flags);
        }
        return KN_ERR_NONE;
    }
    if (flags & KN_BATCH_CHECK_DEEP) {
        kn_wbuf_t out;
        kn_wbuf_init(&out, plen * 4 + 64);
        kn_err_t rc = KN_ERR_NONE;
        if (kn_decompress(kn_batch_codec(h), payload, plen, (size_t)KN_BATCH_MAX_INFLATE, &out)
            != KN_OK) {
            rc = KN_ERR_CORRUPT_MESSAGE;
        } else {
            rc = kn_batch_walk(out.data, out.len, h, flags);
        }
        kn_wbuf_free(&out);
        return rc;
    }
    return KN_ERR_NONE;
}

kn_err_t kn_records_validate(const uint8_t *p, size_t len, unsigned flags, kn_records_info_t *info)
{
    kn_records_info_t tmp;
    if (info == NULL) {
        info = &tmp;
    }
    memset(info, 0, sizeof(*info));
    info->max_timestamp = -1;
    if (len == 0) {
        return KN_ERR_CORRUPT_MESSAGE;
    }
    size_t pos = 0;
    while (pos < len) {
        kn_batch_hdr_t h;
        kn_err_t rc = kn_batch_validate(p + pos, len - pos, flags, &h);
        if (rc != KN_ERR_NONE) {
            return rc;
        }
        if (info->batches == 0) {
            info->first = h;
        }
        info->batches++;
        info->records += h.records_count;
        if (h.max_timestamp > info->max_timestamp) {
            info->max_timestamp = h.max_timestamp;
        }
        if (kn_batch_size(&h) > (size_t)info->max_batch_size) {
            info->max_batch_size = (int32_t)kn_batch_size(&h);
        }
        pos += kn_batch_size(&h);
    }
    return KN_ERR_NONE;
}

void kn_batch_set_base_offset(uint8_t *p, int64_t base_offset)
{
    kn_put_be64(p + KN_BATCH_OFF_BASE_OFFSET, (uint64_t)base_offset);
}

void kn_batch_set_leader_epoch(uint8_t *p, int32_t epoch)
{
    kn_put_be32(p + KN_BATCH_OFF_LEADER_EPOCH, (uint32_t)epoch);
}

void kn_batch_update_crc(uint8_t *p)
{
    size_t size = (size_t)(int32_t)kn_be32(p + KN_BATCH_OFF_LENGTH) + KN_BATCH_LOG_OVERHEAD;
    uint32_t crc = kn_crc32c(0, p + KN_BATCH_OFF_ATTRIBUTES, size - KN_BATCH_OFF_ATTRIBUTES);
    kn_put_be32(p + KN_BATCH_OFF_CRC, crc);
}

void kn_batch_set_log_append_time(uint8_t *p, int64_t ts_ms)
{
    uint16_t attrs = kn_be16(p + KN_BATCH_OFF_ATTRIBUTES);
    kn_put_be16(p + KN_BATCH_OFF_ATTRIBUTES, (uint16_t)(attrs | KN_BATCH_ATTR_LOG_APPEND_TIME));
    kn_put_be64(p + KN_BATCH_OFF_MAX_TS, (uint64_t)ts_ms);
    kn_batch_update_crc(p);
}

kn_err_t kn_batch_records(const uint8_t *batch, const kn_batch_hdr_t *h, int64_t max_out,
                          const uint8_t **out, size_t *out_len, uint8_t **owned)
{
    const uint8_t *payload = batch + KN_BATCH_HEADER_SIZE;
    size_t plen = kn_batch_size(h) - KN_BATCH_HEADER_SIZE;
    *owned = NULL;
    if (kn_batch_codec(h) == KN_CODEC_NONE) {
        *out = payload;
        *out_len = plen;
        return KN_ERR_NONE;
    }
    if (max_out <= 0) {
        max_out = KN_BATCH_MAX_INFLATE;
    }
    kn_wbuf_t w;
    kn_wbuf_init(&w, plen * 4 + 64);
    if (kn_decompress(kn_batch_codec(h), payload, plen, (size_t)max_out, &w) != KN_OK) {
        kn_wbuf_free(&w);
        return KN_ERR_CORRUPT_MESSAGE;
    }
    size_t n;
    *owned = kn_wbuf_detach(&w, &n);
    *out = *owned;
    *out_len = n;
    return KN_ERR_NONE;
}

int kn_batch_foreach_record(const uint8_t *batch, const kn_batch_hdr_t *h, kn_record_cb cb,
                            void *ud)
{
    const uint8_t *payload;
    size_t plen;
    uint8_t *owned;
    if (kn_batch_records(batch, h, 0, &payload, &plen, &owned) != KN_ERR_NONE) {
        return KN_ERROR;
    }
    kn_rbuf_t r;
    kn_rbuf_init(&r, payload, plen);
    int rc = KN_OK;
    for (int32_t i = 0; i < h->records_count; i++) {
        kn_record_t rec;
        if (kn_record_read(&r, &rec) != KN_OK) {
            rc = KN_ERROR;
            break;
        }
        rc = cb(ud, h, &rec);
        if (rc != KN_OK) {
            break;
        }
    }
    free(owned);
    return rc;
}

void kn_batch_build_opts_init(kn_batch_build_opts_t *o)
{
    memset(o, 0, sizeof(*o));
    o->codec = KN_CODEC_NONE;
    o->producer_id = -1;
    o->producer_epoch = -1;
    o->base_sequence = -1;
    o->leader_epoch = -1;
}

/* Number of bytes the zigzag varint encoding of v takes. */
static size_t kn_varlong_size(int64_t v)
{
    uint64_t u = ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
    size_t n = 1;
    while (u >= 0x80) {
        u >>= 7;
        n++;
    }
    return n;
}

static void kn_record_write(kn_wbuf_t *w, const kn_record_in_t *rec, int32_t delta,
                            int64_t base_ts)
{
    int64_t ts_delta = rec->timestamp - base_ts;
    int32_t klen = rec->key ? (int32_t)rec->key_len : -1;
    int32_t vlen = rec->value ? (int32_t)rec->value_len : -1;
    size_t body = 1 + kn_varlong_size(ts_delta) + kn_varlong_size(delta)
                  + kn_varlong_size(klen) + (klen > 0 ? (size_t)klen : 0)
                  + kn_varlong_size(vlen) + (vlen > 0 ? (size_t)vlen : 0)
                  + kn_varlong_size(0);
    kn_wbuf_varint(w, (int32_t)body);
    kn_wbuf_i8(w, 0);
    kn_wbuf_varlong(w, ts_delta);
    kn_wbuf_varint(w, delta);
    kn_wbuf_varint(w, klen);
    if (klen > 0) {
        kn_wbuf_raw(w, rec->key, (size_t)klen);
    }
    kn_wbuf_varint(w, vlen);
    if (vlen > 0) {
        kn_wbuf_raw(w, rec->value, (size_t)vlen);
    }
    kn_wbuf_varint(w, 0);   /* headers */
}

int kn_batch_build(kn_wbuf_t *w, const kn_batch_build_opts_t *o, const kn_record_in_t *recs,
                   size_t n)
{
    if (n == 0 || n > INT32_MAX) {
        return KN_ERROR;
    }
    int64_t base_ts = recs[0].timestamp, max_ts = recs[0].timestamp;
    for (size_t i = 1; i < n; i++) {
        if (recs[i].timestamp > max_ts) {
            max_ts = recs[i].timestamp;
        }
    }
    kn_wbuf_t plain;
    kn_wbuf_init(&plain, 256);
    for (size_t i = 0; i < n; i++) {
        kn_record_write(&plain, &recs[i], (int32_t)i, base_ts);
    }
    size_t start = w->len;
    kn_wbuf_i64(w, o->base_offset);
    size_t len_at = kn_wbuf_skip(w, 4);
    kn_wbuf_i32(w, o->leader_epoch);
    kn_wbuf_i8(w, KN_BATCH_MAGIC);
    kn_wbuf_u32(w, 0);                         /* crc, patched below */
    kn_wbuf_i16(w, (int16_t)((o->attributes & ~KN_BATCH_ATTR_CODEC_MASK) | (int)o->codec));
    kn_wbuf_i32(w, (int32_t)(n - 1));
    kn_wbuf_i64(w, base_ts);
    kn_wbuf_i64(w, max_ts);
    kn_wbuf_i64(w, o->producer_id);
    kn_wbuf_i16(w, o->producer_epoch);
    kn_wbuf_i32(w, o->base_sequence);
    kn_wbuf_i32(w, (int32_t)n);
    int rc = KN_OK;
    if (o->codec == KN_CODEC_NONE) {
        kn_wbuf_raw(w, plain.data, plain.len);
    } else if (kn_compress(o->codec, plain.data, plain.len, 0, w) != KN_OK) {
        w->len = start;
        rc = KN_ERROR;
    }
    kn_wbuf_free(&plain);
    if (rc != KN_OK) {
        return rc;
    }
    kn_wbuf_patch_i32(w, len_at, (int32_t)(w->len - start - KN_BATCH_LOG_OVERHEAD));
    kn_batch_update_crc(w->data + start);
    return KN_OK;
}
