/*
 * common/buf.c -- Kafka wire primitives: bounds-checked reads, growable writes.
 * See buf.h for the sticky-error contract.
 */
#include "config.h"
#include "buf.h"

#include <stdlib.h>
#include <string.h>

void kn_rbuf_init(kn_rbuf_t *r, const void *data, size_t len)
{
    /* An empty body may come as (NULL, 0). Point at a real (empty) array
     * instead: NULL + 0 is undefined, and a zero-length read must return a
     * non-NULL pointer since NULL is how a failed read is reported. */
    static const uint8_t kn_rbuf_empty[1];
    if (data == NULL) {
        data = kn_rbuf_empty;
        len = 0;
    }
    r->start = data;
    r->pos = data;
    r->end = r->start + len;
    r->err = KN_OK;
}

/* Take n bytes or fail; returns NULL once the reader has failed. */
static const uint8_t *kn_rbuf_take(kn_rbuf_t *r, size_t n)
{
    if (r->err != KN_OK || (size_t)(r->end - r->pos) < n) {
        r->err = KN_ERROR;
        return NULL;
    }
    const uint8_t *p = r->pos;
    r->pos += n;
    return p;
}

int8_t kn_rbuf_i8(kn_rbuf_t *r)
{
    const uint8_t *p = kn_rbuf_take(r, 1);
    return p ? (int8_t)p[0] : 0;
}

int16_t kn_rbuf_i16(kn_rbuf_t *r)
{
    const uint8_t *p = kn_rbuf_take(r, 2);
    return p ? (int16_t)kn_be16(p) : 0;
}

int32_t kn_rbuf_i32(kn_rbuf_t *r)
{
    const uint8_t *p = kn_rbuf_take(r, 4);
    return p ? (int32_t)kn_be32(p) : 0;
}

uint32_t kn_rbuf_u32(kn_rbuf_t *r)
{
    const uint8_t *p = kn_rbuf_take(r, 4);
    return p ? kn_be32(p) : 0;
}

int64_t kn_rbuf_i64(kn_rbuf_t *r)
{
    const uint8_t *p = kn_rbuf_take(r, 8);
    return p ? (int64_t)kn_be64(p) : 0;
}

bool kn_rbuf_bool(kn_rbuf_t *r)
{
    return kn_rbuf_i8(r) != 0;
}

/* Shared varint loop: at most max_bytes groups of 7 bits, as Kafka's
 * ByteUtils allows. A final byte carrying bits beyond the type's width is
 * rejected too (ByteUtils silently drops them), so every accepted value has
 * one encoding of bounded length; no canonical encoder produces such bytes. */
static uint64_t kn_rbuf_uvar(kn_rbuf_t *r, int max_bytes, int bits)
{
    uint64_t v = 0;
    for (int i = 0; i < max_bytes; i++) {
        const uint8_t *p = kn_rbuf_take(r, 1);
        if (p == NULL) {
            return 0;
        }
        uint64_t b = p[0] & 0x7f;
        int shift = 7 * i;
        if (shift + 7 > bits && (b >> (bits - shift)) != 0) {
            r->err = KN_ERROR;   /* overflows the target width */
            return 0;
        }
        v |= b << shift;
        if ((p[0] & 0x80) == 0) {
            return v;
        }
    }
    r->err = KN_ERROR;           /* too many continuation bytes */
    return 0;
}

uint32_t kn_rbuf_uvarint(kn_rbuf_t *r)
{
    return (uint32_t)kn_rbuf_uvar(r, 5, 32);
}

uint64_t kn_rbuf_uvarlong(kn_rbuf_t *r)
{
    return kn_rbuf_uvar(r, 10, 64);
}

int32_t kn_rbuf_varint(kn_rbuf_t *r)
{
    uint32_t u = kn_rbuf_uvarint(r);
    return (int32_t)((u >> 1) ^ (~(u & 1) + 1));
}

int64_t kn_rbuf_varlong(kn_rbuf_t *r)
{
    uint64_t u = kn_rbuf_uvarlong(r);
    return (int64_t)((u >> 1) ^ (~(u & 1) + 1));
}

void kn_rbuf_uuid(kn_rbuf_t *r, uint8_t out[16])
{
    const uint8_t *p = kn_rbuf_take(r, 16);
    if (p) {
        memcpy(out, p, 16);
    } else {
        memset(out, 0, 16);
    }
}

const uint8_t *kn_rbuf_raw(kn_rbuf_t *r, size_t n)
{
    return kn_rbuf_take(r, n);
}

int kn_rbuf_skip(kn_rbuf_t *r, size_t n)
{
    return kn_rbuf_take(r, n) ? KN_OK : KN_ERROR;
}

static const kn_slice_t kn_null_slice = { NULL, -1 };

/* A length already decoded: -1 is null when allowed, anything else
 * negative or past the end fails the reader. */
static kn_slice_t kn_rbuf_slice(kn_rbuf_t *r, int64_t len, bool nullable)
{
    if (r->err != KN_OK) {
        return kn_null_slice;
    }
    if (len == -1 && nullable) {
        return kn_null_slice;
    }
    if (len < 0 || len > INT32_MAX) {
        r->err = KN_ERROR;
        return kn_null_slice;
    }
    const uint8_t *p = kn_rbuf_take(r, (size_t)len);
    if (p == NULL) {
        return kn_null_slice;
    }
    kn_slice_t s = { p, (int32_t)len };
    return s;
}

kn_slice_t kn_rbuf_string(kn_rbuf_t *r)   { return kn_rbuf_slice(r, kn_rbuf_i16(r), false); }
kn_slice_t kn_rbuf_nstring(kn_rbuf_t *r)  { return kn_rbuf_slice(r, kn_rbuf_i16(r), true); }
kn_slice_t kn_rbuf_bytes(kn_rbuf_t *r)    { return kn_rbuf_slice(r, kn_rbuf_i32(r), false); }
kn_slice_t kn_rbuf_nbytes(kn_rbuf_t *r)   { return kn_rbuf_slice(r, kn_rbuf_i32(r), true); }
kn_slice_t kn_rbuf_vbytes(kn_rbuf_t *r)   { return kn_rbuf_slice(r, kn_rbuf_varint(r), true); }

kn_slice_t kn_rbuf_cstring(kn_rbuf_t *r)
{
    return kn_rbuf_slice(r, (int64_t)kn_rbuf_uvarint(r) - 1, false);
}

kn_slice_t kn_rbuf_cnstring(kn_rbuf_t *r)
{
    return kn_rbuf_slice(r, (int64_t)kn_rbuf_uvarint(r) - 1, true);
}

kn_slice_t kn_rbuf_cbytes(kn_rbuf_t *r)   { return kn_rbuf_cstring(r); }
kn_slice_t kn_rbuf_cnbytes(kn_rbuf_t *r)  { return kn_rbuf_cnstring(r); }

static int32_t kn_rbuf_check_count(kn_rbuf_t *r, int64_t n, size_t min_elem_size)
{
    if (r->err != KN_OK) {
        return -1;
    }
    if (n == -1) {
        return -1;
    }
    if (n < 0 || n > INT32_MAX) {
        r->err = KN_ERROR;
        return -1;
    }
    /* Each element needs at least min_elem_size bytes, so a count that
     * cannot fit in what is left is a lie; refusing it here keeps callers
     * from allocating for it. */
    if (min_elem_size > 0 && (uint64_t)n > kn_rbuf_remaining(r) / min_elem_size) {
        r->err = KN_ERROR;
        return -1;
    }
    return (int32_t)n;
}

int32_t kn_rbuf_array_len(kn_rbuf_t *r, size_t min_elem_size)
{
    return kn_rbuf_check_count(r, kn_rbuf_i32(r), min_elem_size);
}

int32_t kn_rbuf_carray_len(kn_rbuf_t *r, size_t min_elem_size)
{
    return kn_rbuf_check_count(r, (int64_t)kn_rbuf_uvarint(r) - 1, min_elem_size);
}

int kn_rbuf_skip_tags(kn_rbuf_t *r)
{
    uint32_t n = kn_rbuf_uvarint(r);
    for (uint32_t i = 0; i < n && r->err == KN_OK; i++) {
        (void)kn_rbuf_uvarint(r);              /* tag */
        uint32_t size = kn_rbuf_uvarint(r);
        (void)kn_rbuf_take(r, size);
    }
    return r->err;
}

char *kn_slice_strdup(kn_slice_t s)
{
    if (s.len < 0 || s.ptr == NULL) {
        return NULL;
    }
    return kn_strndup((const char *)s.ptr, (size_t)s.len);
}

bool kn_slice_eq(kn_slice_t a, const char *s)
{
    if (a.len < 0 || s == NULL) {
        return a.len < 0 && s == NULL;
    }
    size_t n = strlen(s);
    return (size_t)a.len == n && memcmp(a.ptr, s, n) == 0;
}

/* ---- writer ----------------------------------------------------------- */

void kn_wbuf_init(kn_wbuf_t *w, size_t initial_cap)
{
    w->cap = initial_cap ? initial_cap : 256;
    w->data = kn_malloc(w->cap);
    w->len = 0;
}

void kn_wbuf_free(kn_wbuf_t *w)
{
    free(w->data);
    w->data = NULL;
    w->len = w->cap = 0;
}

void kn_wbuf_reset(kn_wbuf_t *w)
{
    w->len = 0;
}

uint8_t *kn_wbuf_detach(kn_wbuf_t *w, size_t *len)
{
    uint8_t *p = w->data;
    if (len) {
        *len = w->len;
    }
    w->data = NULL;
    w->len = w->cap = 0;
    return p;
}

uint8_t *kn_wbuf_reserve(kn_wbuf_t *w, size_t n)
{
    if (w->data == NULL) {
        kn_wbuf_init(w, n > 256 ? n : 256);
    }
    if (w->cap - w->len < n) {
        size_t cap = w->cap * 2;
        while (cap - w->len < n) {
            cap *= 2;
        }
        w->data = kn_realloc(w->data, cap);
        w->cap = cap;
    }
    return w->data + w->len;
}

size_t kn_wbuf_skip(kn_wbuf_t *w, size_t n)
{
    kn_wbuf_reserve(w, n);
    size_t off = w->len;
    w->len += n;
    return off;
}

void kn_wbuf_raw(kn_wbuf_t *w, const void *p, size_t n)
{
    if (n == 0) {
        return;
    }
    memcpy(kn_wbuf_reserve(w, n), p, n);
    w->len += n;
}

void kn_wbuf_i8(kn_wbuf_t *w, int8_t v)
{
    *kn_wbuf_reserve(w, 1) = (uint8_t)v;
    w->len++;
}

void kn_wbuf_i16(kn_wbuf_t *w, int16_t v)
{
    kn_put_be16(kn_wbuf_reserve(w, 2), (uint16_t)v);
    w->len += 2;
}

void kn_wbuf_i32(kn_wbuf_t *w, int32_t v)
{
    kn_put_be32(kn_wbuf_reserve(w, 4), (uint32_t)v);
    w->len += 4;
}

void kn_wbuf_u32(kn_wbuf_t *w, uint32_t v)
{
    kn_put_be32(kn_wbuf_reserve(w, 4), v);
    w->len += 4;
}

void kn_wbuf_i64(kn_wbuf_t *w, int64_t v)
{
    kn_put_be64(kn_wbuf_reserve(w, 8), (uint64_t)v);
    w->len += 8;
}

void kn_wbuf_bool(kn_wbuf_t *w, bool v)
{
    kn_wbuf_i8(w, v ? 1 : 0);
}

void kn_wbuf_uvarlong(kn_wbuf_t *w, uint64_t v)
{
    uint8_t *p = kn_wbuf_reserve(w, 10);
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    w->len += n;
}

void kn_wbuf_uvarint(kn_wbuf_t *w, uint32_t v)
{
    kn_wbuf_uvarlong(w, v);
}

void kn_wbuf_varint(kn_wbuf_t *w, int32_t v)
{
    kn_wbuf_uvarlong(w, (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}

void kn_wbuf_varlong(kn_wbuf_t *w, int64_t v)
{
    kn_wbuf_uvarlong(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void kn_wbuf_uuid(kn_wbuf_t *w, const uint8_t u[16])
{
    kn_wbuf_raw(w, u, 16);
}

void kn_wbuf_string(kn_wbuf_t *w, const char *s, int32_t n)
{
    if (s == NULL) {
        kn_wbuf_i16(w, -1);
        return;
    }
    if (n < 0) {
        n = (int32_t)strlen(s);
    }
    if (n > INT16_MAX) {
        /* Not representable; callers validate lengths (topic names, ids)
         * before this. Keep the frame consistent rather than write a
         * wrapped length followed by the wrong number of bytes. */
        n = INT16_MAX;
    }
    kn_wbuf_i16(w, (int16_t)n);
    kn_wbuf_raw(w, s, (size_t)n);
}

void kn_wbuf_cstring(kn_wbuf_t *w, const char *s, int32_t n)
{
    if (s == NULL) {
        kn_wbuf_uvarint(w, 0);
        return;
    }
    if (n < 0) {
        n = (int32_t)strlen(s);
    }
    kn_wbuf_uvarint(w, (uint32_t)n + 1);
    kn_wbuf_raw(w, s, (size_t)n);
}

void kn_wbuf_bytes(kn_wbuf_t *w, const void *p, int32_t n)
{
    if (p == NULL || n < 0) {
        kn_wbuf_i32(w, -1);
        return;
    }
    kn_wbuf_i32(w, n);
    kn_wbuf_raw(w, p, (size_t)n);
}

void kn_wbuf_cbytes(kn_wbuf_t *w, const void *p, int32_t n)
{
    if (p == NULL || n < 0) {
        kn_wbuf_uvarint(w, 0);
        return;
    }
    kn_wbuf_uvarint(w, (uint32_t)n + 1);
    kn_wbuf_raw(w, p, (size_t)n);
}

void kn_wbuf_array_len(kn_wbuf_t *w, int32_t n)
{
    kn_wbuf_i32(w, n);
}

void kn_wbuf_carray_len(kn_wbuf_t *w, int32_t n)
{
    kn_wbuf_uvarint(w, n < 0 ? 0 : (uint32_t)n + 1);
}

void kn_wbuf_tags_empty(kn_wbuf_t *w)
{
    kn_wbuf_i8(w, 0);
}

void kn_wbuf_patch_i32(kn_wbuf_t *w, size_t off, int32_t v)
{
    kn_put_be32(w->data + off, (uint32_t)v);
}
