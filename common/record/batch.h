/*
 * common/record/batch.h -- Kafka v2 record batches ("magic 2"): parse,
 * validate, rewrite in place, walk records, and build (tests, tools).
 *
 * Batches are stored and served exactly as produced; the broker only
 * rewrites baseOffset, partitionLeaderEpoch and, for LogAppendTime topics,
 * the timestamp fields (then the CRC). Layout: see
 * reference RECORD-BATCH.txt; the KN_BATCH_OFF_* constants are the byte
 * offsets of the header fields.
 *
 * Validation never decompresses unless asked (KN_BATCH_CHECK_DEEP): for an
 * uncompressed batch it walks every record with bounds-checked varints, and
 * checks the count and offset deltas; for a compressed one it checks sizes
 * and the CRC, which covers the compressed payload.
 */
#ifndef KN_RECORD_BATCH_H
#define KN_RECORD_BATCH_H

#include "buf.h"
#include "kn.h"

/* Header field byte offsets. */
#define KN_BATCH_OFF_BASE_OFFSET     0
#define KN_BATCH_OFF_LENGTH          8
#define KN_BATCH_OFF_LEADER_EPOCH   12
#define KN_BATCH_OFF_MAGIC          16
#define KN_BATCH_OFF_CRC            17
#define KN_BATCH_OFF_ATTRIBUTES     21
#define KN_BATCH_OFF_LAST_DELTA     23
#define KN_BATCH_OFF_BASE_TS        27
#define KN_BATCH_OFF_MAX_TS         35
#define KN_BATCH_OFF_PRODUCER_ID    43
#define KN_BATCH_OFF_PRODUCER_EPOCH 51
#define KN_BATCH_OFF_BASE_SEQ       53
#define KN_BATCH_OFF_COUNT          57

#define KN_BATCH_HEADER_SIZE  61   /* bytes before the first record */
#define KN_BATCH_LOG_OVERHEAD 12   /* baseOffset + batchLength */
#define KN_BATCH_MAGIC         2

/* Attribute bits. */
#define KN_BATCH_ATTR_CODEC_MASK      0x07
#define KN_BATCH_ATTR_LOG_APPEND_TIME 0x08
#define KN_BATCH_ATTR_TRANSACTIONAL   0x10
#define KN_BATCH_ATTR_CONTROL         0x20
#define KN_BATCH_ATTR_DELETE_HORIZON  0x40

typedef enum {
    KN_CODEC_NONE = 0,
    KN_CODEC_GZIP = 1,
    KN_CODEC_SNAPPY = 2,
    KN_CODEC_LZ4 = 3,
    KN_CODEC_ZSTD = 4
} kn_codec_t;

/* The decoded 61-byte header. */
typedef struct {
    int64_t  base_offset;
    int32_t  batch_length;        /* bytes after the length field */
    int32_t  leader_epoch;        /* partitionLeaderEpoch */
    int8_t   magic;
    uint32_t crc;
    int16_t  attributes;
    int32_t  last_offset_delta;
    int64_t  base_timestamp;
    int64_t  max_timestamp;
    int64_t  producer_id;
    int16_t  producer_epoch;
    int32_t  base_sequence;
    int32_t  records_count;
} kn_batch_hdr_t;

static inline size_t kn_batch_size(const kn_batch_hdr_t *h)
{
    return (size_t)h->batch_length + KN_BATCH_LOG_OVERHEAD;
}
static inline int64_t kn_batch_last_offset(const kn_batch_hdr_t *h)
{
    return h->base_offset + h->last_offset_delta;
}
static inline kn_codec_t kn_batch_codec(const kn_batch_hdr_t *h)
{
    return (kn_codec_t)(h->attributes & KN_BATCH_ATTR_CODEC_MASK);
}
static inline bool kn_batch_is_control(const kn_batch_hdr_t *h)
{
    return (h->attributes & KN_BATCH_ATTR_CONTROL) != 0;
}
static inline bool kn_batch_is_transactional(const kn_batch_hdr_t *h)
{
    return (h->attributes & KN_BATCH_ATTR_TRANSACTIONAL) != 0;
}

/* Decode the header at p (avail bytes readable). Checks only that the header
 * fits (avail >= 61) and batchLength >= 49; returns KN_OK / KN_ERROR. Does
 * not look at magic or the CRC. */
int kn_batch_hdr_parse(const uint8_t *p, size_t avail, kn_batch_hdr_t *h);

/* Peek at the first 17 bytes (offset, length, epoch, magic) -- enough to
 * step over a batch while scanning a file. KN_OK or KN_ERROR if avail < 17. */
int kn_batch_peek(const uint8_t *p, size_t avail, int64_t *base_offset, int32_t *batch_length,
                  int8_t *magic);

/* Validation flags. */
#define KN_BATCH_CHECK_CRC     0x1  /* verify CRC32C (always wanted on produce/recovery) */
#define KN_BATCH_CHECK_RECORDS 0x2  /* walk uncompressed records: count, deltas, bounds */
#define KN_BATCH_CHECK_DEEP    0x4  /* also decompress compressed batches and walk them */
#define KN_BATCH_CHECK_STRICT  0x8  /* producer batches: lastOffsetDelta == count-1 and
                                     * offset deltas 0,1,2,... (a follower's compacted
                                     * batches may have gaps, so not for replicas) */
#define KN_BATCH_CHECK_ALL     (KN_BATCH_CHECK_CRC | KN_BATCH_CHECK_RECORDS)

/* Validate one batch starting at p, of which avail bytes are readable (the
 * batch may be followed by more). On success fills h and returns
 * KN_ERR_NONE. Errors (nothing is modified):
 *   KN_ERR_CORRUPT_MESSAGE      truncated batch, bad length, CRC mismatch
 *   KN_ERR_UNSUPPORTED_VERSION  magic != 2 (magic 0/1 message sets)
 *   KN_ERR_INVALID_RECORD       record count / offset deltas / record
 *                               framing disagree with the header, count <= 0
 *   KN_ERR_UNSUPPORTED_COMPRESSION_TYPE  codec > 4 */
kn_err_t kn_batch_validate(const uint8_t *p, size_t avail, unsigned flags, kn_batch_hdr_t *h);

/* Summary of a concatenation of batches (a Produce "records" blob). */
typedef struct {
    int32_t  batches;
    int64_t  records;          /* sum of records_count */
    int64_t  max_timestamp;    /* -1 if none */
    int32_t  max_batch_size;   /* largest batch in bytes (for max.message.bytes) */
    kn_batch_hdr_t first;      /* header of the first batch */
} kn_records_info_t;

/* Validate every batch in [p, p+len); the blob must end exactly at a batch
 * boundary (a partial trailing batch is CORRUPT_MESSAGE) and hold >= 1 batch.
 * info may be NULL. */
kn_err_t kn_records_validate(const uint8_t *p, size_t len, unsigned flags, kn_records_info_t *info);

/* In-place rewrites of a batch at p (the whole batch must be writable).
 * base offset and leader epoch are outside the CRC; the LogAppendTime
 * rewrite sets the timestamp-type bit and maxTimestamp and recomputes the
 * CRC (as Kafka does; baseTimestamp and the record deltas are untouched). */
void kn_batch_set_base_offset(uint8_t *p, int64_t base_offset);
void kn_batch_set_leader_epoch(uint8_t *p, int32_t epoch);
void kn_batch_set_log_append_time(uint8_t *p, int64_t ts_ms);
/* Recompute and store the CRC of a complete batch (after edits). */
void kn_batch_update_crc(uint8_t *p);

/* One record inside a batch (views into the records payload). */
typedef struct {
    int8_t      attributes;
    int64_t     timestamp_delta;
    int32_t     offset_delta;
    kn_slice_t  key;            /* ptr NULL / len -1 for null */
    kn_slice_t  value;          /* ptr NULL / len -1 for a tombstone */
    int32_t     header_count;
    const uint8_t *headers;     /* raw header section (header_count entries) */
    size_t      headers_len;
} kn_record_t;

/* Read one record (length-prefixed) from r; fills rec. KN_OK, or KN_ERROR
 * if the record is malformed or its declared length disagrees with its
 * content (r is then failed). */
int kn_record_read(kn_rbuf_t *r, kn_record_t *rec);
/* Read the next header from a record's header section. KN_OK / KN_ERROR. */
int kn_record_header_read(kn_rbuf_t *r, kn_slice_t *key, kn_slice_t *value);

/* The records payload of a validated batch, decompressed if needed: on
 * KN_ERR_NONE, *out and *out_len point either into the batch (uncompressed,
 * *owned = NULL) or to a heap buffer *owned the caller frees with free().
 * max_out caps the decompressed size (<= 0: 64 MiB). */
kn_err_t kn_batch_records(const uint8_t *batch, const kn_batch_hdr_t *h, int64_t max_out,
                          const uint8_t **out, size_t *out_len, uint8_t **owned);

/* Visit every record of a validated batch (decompressing when needed).
 * The callback returns KN_OK to continue, anything else stops the walk and
 * is returned. Returns KN_OK, KN_ERROR for malformed records, or the
 * callback's value. */
typedef int (*kn_record_cb)(void *ud, const kn_batch_hdr_t *h, const kn_record_t *rec);
int kn_batch_foreach_record(const uint8_t *batch, const kn_batch_hdr_t *h, kn_record_cb cb,
                            void *ud);

/* ---- Building batches (tests, tools, internal topics) ---- */

typedef struct {
    const void *key;   size_t key_len;     /* key NULL = null key */
    const void *value; size_t value_len;   /* value NULL = tombstone */
    int64_t     timestamp;                 /* absolute, ms */
    int32_t     header_count;              /* headers not supported by the builder: 0 */
} kn_record_in_t;

typedef struct {
    int64_t    base_offset;      /* usually 0 */
    int16_t    attributes;       /* extra bits (transactional/control); codec goes in codec */
    kn_codec_t codec;
    int64_t    producer_id;      /* -1 */
    int16_t    producer_epoch;   /* -1 */
    int32_t    base_sequence;    /* -1 */
    int32_t    leader_epoch;     /* -1 */
} kn_batch_build_opts_t;

/* Defaults: offset 0, no codec, no producer (-1s). */
void kn_batch_build_opts_init(kn_batch_build_opts_t *o);
/* Append one complete v2 batch holding recs[0..n) to w, CRC filled in.
 * KN_OK, or KN_ERROR if compression failed or n == 0. */
int kn_batch_build(kn_wbuf_t *w, const kn_batch_build_opts_t *o, const kn_record_in_t *recs,
                   size_t n);

#endif /* KN_RECORD_BATCH_H */
