/*
 * common/record/compress.c -- gzip, snappy (raw and xerial framing), lz4
 * frame and zstd, bounded by max_out (see compress.h).
 *
 * Decoders stream into the output wbuf in chunks and stop with an error as
 * soon as the output would exceed max_out, so the declared or actual
 * inflated size of hostile input never drives an allocation.
 */
#include "config.h"

#include <string.h>

#include <lz4frame.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>

#include "record/compress.h"

#define KN_CHUNK 65536

/* xerial snappy-java framing: magic, then int32 version and int32
 * compatible version (both 1 in practice), then (int32 len, block) pairs. */
static const uint8_t kn_xerial_magic[8] = { 0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0 };
#define KN_XERIAL_HEADER 16
#define KN_XERIAL_BLOCK  32768   /* snappy-java's default block size */

/* Room for up to n more output bytes, bounded by max_out. */
static uint8_t *kn_out_room(kn_wbuf_t *out, size_t base, size_t max_out, size_t *n)
{
    size_t used = out->len - base;
    if (used >= max_out) {
        return NULL;
    }
    if (*n > max_out - used) {
        *n = max_out - used;
    }
    return kn_wbuf_reserve(out, *n);
}

static int kn_gunzip(const uint8_t *in, size_t len, size_t max_out, kn_wbuf_t *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    /* 15 + 32: accept gzip or zlib headers (some producers send zlib). */
    if (inflateInit2(&zs, 15 + 32) != Z_OK) {
        return KN_ERROR;
    }
    size_t base = out->len;
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    int rc = KN_ERROR;
    for (;;) {
        size_t n = KN_CHUNK;
        uint8_t *dst = kn_out_room(out, base, max_out, &n);
        if (dst == NULL) {
            break;   /* too large */
        }
        zs.next_out = dst;
        zs.avail_out = (uInt)n;
        int zr = inflate(&zs, Z_NO_FLUSH);
        out->len += n - zs.avail_out;
        if (zr == Z_STREAM_END) {
            rc = KN_OK;
            break;
        }
        if (zr != Z_OK && !(zr == Z_BUF_ERROR && zs.avail_out == 0)) {
            break;
        }
        if (zr == Z_OK && zs.avail_in == 0 && zs.avail_out != 0) {
            break;   /* truncated stream */
        }
    }
    inflateEnd(&zs);
    return rc;
}

static int kn_snappy_block(const uint8_t *in, size_t len, size_t base, size_t max_out,
                           kn_wbuf_t *out)
{
    size_t ulen;
    if (snappy_uncompressed_length((const char *)in, len, &ulen) != SNAPPY_OK) {
        return KN_ERROR;
    }
    if (ulen > max_out - (out->len - base)) {
        return KN_ERROR;
    }
    uint8_t *dst = kn_wbuf_reserve(out, ulen);
    size_t got = ulen;
    if (snappy_uncompress((const char *)in, len, (char *)dst, &got) != SNAPPY_OK
        || got != ulen) {
        return KN_ERROR;
    }
    out->len += got;
    return KN_OK;
}

static int kn_unsnappy(const uint8_t *in, size_t len, size_t max_out, kn_wbuf_t *out)
{
    size_t base = out->len;
    if (len < KN_XERIAL_HEADER || memcmp(in, kn_xerial_magic, sizeof(kn_xerial_magic)) != 0) {
        return kn_snappy_block(in, len, base, max_out, out);
    }
    kn_rbuf_t r;
    kn_rbuf_init(&r, in + KN_XERIAL_HEADER, len - KN_XERIAL_HEADER);
    while (kn_rbuf_remaining(&r) > 0) {
        int32_t blen = kn_rbuf_i32(&r);
        if (!kn_rbuf_ok(&r) || blen < 0) {
            return KN_ERROR;
        }
        const uint8_t *blk = kn_rbuf_raw(&r, (size_t)blen);
        if (blk == NULL || kn_snappy_block(blk, (size_t)blen, base, max_out, out) != KN_OK) {
            return KN_ERROR;
        }
    }
    return KN_OK;
}

static int kn_unlz4(const uint8_t *in, size_t len, size_t max_out, kn_wbuf_t *out)
{
    LZ4F_dctx *dctx;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
        return KN_ERROR;
    }
    size_t base = out->len;
    size_t pos = 0;
    int rc = KN_ERROR;
    for (;;) {
        size_t n = KN_CHUNK;
        uint8_t *dst = kn_out_room(out, base, max_out, &n);
        if (dst == NULL) {
            break;
        }
        size_t src_n = len - pos;
        size_t hint = LZ4F_decompress(dctx, dst, &n, in + pos, &src_n, NULL);
        if (LZ4F_isError(hint)) {
            break;
        }
        out->len += n;
        pos += src_n;
        if (hint == 0) {
            rc = pos == len ? KN_OK : KN_ERROR;   /* one frame, nothing after it */
            break;
        }
        if (pos == len && n == 0) {
            break;   /* truncated frame */
        }
    }
    LZ4F_freeDecompressionContext(dctx);
    return rc;
}

static int kn_unzstd(const uint8_t *in, size_t len, size_t max_out, kn_wbuf_t *out)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    if (ds == NULL) {
        return KN_ERROR;
    }
    ZSTD_initDStream(ds);
    size_t base = out->len;
    ZSTD_inBuffer ib = { in, len, 0 };
    int rc = KN_ERROR;
    for (;;) {
        size_t n = KN_CHUNK;
        uint8_t *dst = kn_out_room(out, base, max_out, &n);
        if (dst == NULL) {
            break;
        }
        ZSTD_outBuffer ob = { dst, n, 0 };
        size_t zr = ZSTD_decompressStream(ds, &ob, &ib);
        if (ZSTD_isError(zr)) {
            break;
        }
        out->len += ob.pos;
        if (zr == 0) {
            rc = KN_OK;   /* frame complete (trailing frames are ignored) */
            break;
        }
        if (ib.pos == ib.size && ob.pos < ob.size) {
            break;   /* truncated */
        }
    }
    ZSTD_freeDStream(ds);
    return rc;
}

int kn_decompress(kn_codec_t codec, const uint8_t *in, size_t len, size_t max_out, kn_wbuf_t *out)
{
    switch (codec) {
    case KN_CODEC_NONE:
        if (len > max_out) {
            return KN_ERROR;
        }
        kn_wbuf_raw(out, in, len);
        return KN_OK;
    case KN_CODEC_GZIP:
        return kn_gunzip(in, len, max_out, out);
    case KN_CODEC_SNAPPY:
        return kn_unsnappy(in, len, max_out, out);
    case KN_CODEC_LZ4:
        return kn_unlz4(in, len, max_out, out);
    case KN_CODEC_ZSTD:
        return kn_unzstd(in, len, max_out, out);
    }
    return KN_ERROR;
}

static int kn_gzip(const uint8_t *in, size_t len, int level, kn_wbuf_t *out)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    if (deflateInit2(&zs, level ? level : Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        return KN_ERROR;
    }
    size_t bound = deflateBound(&zs, (uLong)len) + 32;   /* + gzip header/trailer slack */
    uint8_t *dst = kn_wbuf_reserve(out, bound);
    zs.next_in = (Bytef *)(uintptr_t)in;
    zs.avail_in = (uInt)len;
    zs.next_out = dst;
    zs.avail_out = (uInt)bound;
    int zr = deflate(&zs, Z_FINISH);
    size_t n = bound - zs.avail_out;
    deflateEnd(&zs);
    if (zr != Z_STREAM_END) {
        return KN_ERROR;
    }
    out->len += n;
    return KN_OK;
}

int kn_compress_snappy_raw(const uint8_t *in, size_t len, kn_wbuf_t *out)
{
    size_t n = snappy_max_compressed_length(len);
    uint8_t *dst = kn_wbuf_reserve(out, n);
    if (snappy_compress((const char *)in, len, (char *)dst, &n) != SNAPPY_OK) {
        return KN_ERROR;
    }
    out->len += n;
    return KN_OK;
}

static int kn_snappy_xerial(const uint8_t *in, size_t len, kn_wbuf_t *out)
{
    kn_wbuf_raw(out, kn_xerial_magic, sizeof(kn_xerial_magic));
    kn_wbuf_i32(out, 1);
    kn_wbuf_i32(out, 1);
    for (size_t pos = 0; pos < len; pos += KN_XERIAL_BLOCK) {
        size_t n = KN_MIN((size_t)KN_XERIAL_BLOCK, len - pos);
        size_t len_at = kn_wbuf_skip(out, 4);
        size_t before = out->len;
        if (kn_compress_snappy_raw(in + pos, n, out) != KN_OK) {
            return KN_ERROR;
        }
        kn_wbuf_patch_i32(out, len_at, (int32_t)(out->len - before));
    }
    return KN_OK;
}

static int kn_lz4(const uint8_t *in, size_t len, int level, kn_wbuf_t *out)
{
    LZ4F_preferences_t prefs;
    memset(&prefs, 0, sizeof(prefs));
    prefs.compressionLevel = level;
    size_t bound = LZ4F_compressFrameBound(len, &prefs);
    uint8_t *dst = kn_wbuf_reserve(out, bound);
    size_t n = LZ4F_compressFrame(dst, bound, in, len, &prefs);
    if (LZ4F_isError(n)) {
        return KN_ERROR;
    }
    out->len += n;
    return KN_OK;
}

static int kn_zstd(const uint8_t *in, size_t len, int level, kn_wbuf_t *out)
{
    size_t bound = ZSTD_compressBound(len);
    uint8_t *dst = kn_wbuf_reserve(out, bound);
    size_t n = ZSTD_compress(dst, bound, in, len, level ? level : 3);
    if (ZSTD_isError(n)) {
        return KN_ERROR;
    }
    out->len += n;
    return KN_OK;
}

int kn_compress(kn_codec_t codec, const uint8_t *in, size_t len, int level, kn_wbuf_t *out)
{
    switch (codec) {
    case KN_CODEC_NONE:
        kn_wbuf_raw(out, in, len);
        return KN_OK;
    case KN_CODEC_GZIP:
        return kn_gzip(in, len, level, out);
    case KN_CODEC_SNAPPY:
        return kn_snappy_xerial(in, len, out);
    case KN_CODEC_LZ4:
        return kn_lz4(in, len, level, out);
    case KN_CODEC_ZSTD:
        return kn_zstd(in, len, level, out);
    }
    return KN_ERROR;
}

static const char *const kn_codec_names[] = { "none", "gzip", "snappy", "lz4", "zstd" };

const char *kn_codec_name(kn_codec_t codec)
{
    if ((unsigned)codec < KN_ARRAY_LEN(kn_codec_names)) {
        return kn_codec_names[codec];
    }
    return "unknown";
}

int kn_codec_parse(const char *name, kn_codec_t *out)
{
    for (size_t i = 0; i < KN_ARRAY_LEN(kn_codec_names); i++) {
        if (strcmp(name, kn_codec_names[i]) == 0) {
            *out = (kn_codec_t)i;
            return KN_OK;
        }
    }
    return KN_ERROR;
}
