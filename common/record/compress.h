/*
 * common/record/compress.h -- the four Kafka compression codecs (gzip,
 * snappy, lz4, zstd) for the few features that need the records of a
 * compressed batch (compaction, timestamp lookup, deep validation) and for
 * producers we write ourselves (tools, tests).
 *
 * Snappy arrives in two framings and both decode: one raw snappy block
 * (librdkafka) and the xerial "snappy-java" framing (Java client: 8-byte
 * magic, two int32 versions, then int32-length-prefixed raw blocks). lz4 is
 * the standard LZ4 frame format; gzip is a gzip stream (zlib with gzip
 * header); zstd is a zstd frame.
 *
 * Every decoder bounds its output by max_out and fails instead of growing
 * past it, so a small "zip bomb" payload cannot exhaust memory.
 */
#ifndef KN_RECORD_COMPRESS_H
#define KN_RECORD_COMPRESS_H

#include "buf.h"
#include "kn.h"
#include "record/batch.h"

/* Decompress in[0..len) of the given codec, appending to out. Returns KN_OK,
 * or KN_ERROR on corrupt input, unknown codec, or output beyond max_out
 * bytes. out's previous content is kept. */
int kn_decompress(kn_codec_t codec, const uint8_t *in, size_t len, size_t max_out, kn_wbuf_t *out);

/* Compress in[0..len), appending to out. Snappy is written in the xerial
 * framing (what the Java client sends), so both framings are exercised.
 * level: codec-specific, 0 = the library default. KN_OK / KN_ERROR. */
int kn_compress(kn_codec_t codec, const uint8_t *in, size_t len, int level, kn_wbuf_t *out);

/* Raw (unframed) snappy, for tests of the librdkafka shape. */
int kn_compress_snappy_raw(const uint8_t *in, size_t len, kn_wbuf_t *out);

/* "none", "gzip", "snappy", "lz4", "zstd" <-> codec; parse returns KN_ERROR
 * for anything else. */
const char *kn_codec_name(kn_codec_t codec);
int kn_codec_parse(const char *name, kn_codec_t *out);

#endif /* KN_RECORD_COMPRESS_H */
