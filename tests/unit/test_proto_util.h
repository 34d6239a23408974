/*
 * tests/unit/test_proto_util.h -- utilities shared by the protocol codec
 * tests: hex frames, and the "decode every truncated prefix" check.
 */
#ifndef KN_TEST_PROTO_UTIL_H
#define KN_TEST_PROTO_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "protocol/protocol.h"

/* Decode data[0..len) with fn into a fresh arena; returns fn's result.
 * The copy into an exact-size heap block lets ASan catch any read past
 * the end of the frame. */
typedef int (*kn_test_decode_fn)(kn_rbuf_t *r, int16_t ver, void *out, kn_arena_t *a);

static inline int kn_test_decode(kn_test_decode_fn fn, const uint8_t *data, size_t len,
                                 int16_t ver, void *out, size_t out_size)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    kn_arena_t a;
    kn_arena_init(&a);
    kn_rbuf_t r;
    kn_rbuf_init(&r, copy, len);
    memset(out, 0, out_size);
    int rc = fn(&r, ver, out, &a);
    kn_arena_free(&a);
    free(copy);
    return rc;
}

/* Every strict prefix of a valid encoding must be rejected cleanly. */
static inline void kn_test_truncations(kn_test_decode_fn fn, const uint8_t *data, size_t len,
                                       int16_t ver, void *out, size_t out_size)
{
    for (size_t n = 0; n < len; n++) {
        int rc = kn_test_decode(fn, data, n, ver, out, out_size);
        if (rc != KN_ERROR) {
            fail_msg("prefix of %zu/%zu bytes decoded (version %d)", n, len, ver);
        }
    }
}

/* Wrap a typed decoder into the generic signature above. */
#define KN_TEST_DECODER(name, fn, type)                                         \
    static inline int name(kn_rbuf_t *r, int16_t ver, void *out, kn_arena_t *a)       \
    {                                                                           \
        return fn(r, ver, (type *)out, a);                                      \
    }

/* Compare a written buffer with an expected byte string. */
#define KN_ASSERT_BYTES(w, exp)                                                 \
    do {                                                                        \
        assert_int_equal((w)->len, sizeof(exp));                                \
        assert_memory_equal((w)->data, (exp), sizeof(exp));                     \
    } while (0)

typedef void (*kn_test_encode_fn)(kn_wbuf_t *w, int16_t ver, const void *in);
typedef void (*kn_test_check_fn)(const void *decoded, int16_t ver);

#define KN_TEST_ENCODER(name, fn, type)                                         \
    static inline void name(kn_wbuf_t *w, int16_t ver, const void *in)                 \
    {                                                                           \
        fn(w, ver, (const type *)in);                                           \
    }

/* Round trip at one version: encode in, decode the bytes (all of them must
 * be consumed), run check on the decoded struct, re-encode it and require
 * the very same bytes; then every truncated prefix must fail to decode. */
static inline void kn_test_roundtrip(kn_test_encode_fn enc, kn_test_decode_fn dec,
                                     const void *in, size_t size, int16_t ver,
                                     kn_test_check_fn check)
{
    kn_wbuf_t w1, w2;
    kn_wbuf_init(&w1, 0);
    kn_wbuf_init(&w2, 0);
    enc(&w1, ver, in);
    uint8_t *copy = malloc(w1.len ? w1.len : 1);
    memcpy(copy, w1.data, w1.len);
    void *out = calloc(1, size);
    kn_arena_t a;
    kn_arena_init(&a);
    kn_rbuf_t r;
    kn_rbuf_init(&r, copy, w1.len);
    if (dec(&r, ver, out, &a) != KN_OK) {
        fail_msg("decode failed at version %d", ver);
    }
    assert_int_equal(kn_rbuf_remaining(&r), 0);
    if (check) {
        check(out, ver);
    }
    enc(&w2, ver, out);
    assert_int_equal(w2.len, w1.len);
    assert_memory_equal(w2.data, w1.data, w1.len);
    kn_test_truncations(dec, w1.data, w1.len, ver, out, size);
    kn_arena_free(&a);
    free(out);
    free(copy);
    kn_wbuf_free(&w1);
    kn_wbuf_free(&w2);
}

#define KN_S(str) ((kn_slice_t){ (const uint8_t *)(str), (int32_t)(sizeof(str) - 1) })

static inline bool kn_test_slice_eq(kn_slice_t a, kn_slice_t b)
{
    if (a.len != b.len) {
        return false;
    }
    return a.len <= 0 || memcmp(a.ptr, b.ptr, (size_t)a.len) == 0;
}

#define assert_slice_equal(a, b) assert_true(kn_test_slice_eq((a), (b)))
#define assert_slice_str(a, s) assert_true(kn_slice_eq((a), (s)))

#endif /* KN_TEST_PROTO_UTIL_H */
