/*
 * common/buf.h -- bounds-checked reader and growable writer for the Kafka
 * wire primitives.
 *
 * Every decoder in Kanal reads through kn_rbuf_t and nothing else. Reads are
 * "sticky": the first failure (running past the end, a negative or oversized
 * length, an over-long varint) sets r->err and every later read fails too and
 * yields zero/NULL, so a decoder may read a whole structure and check
 * kn_rbuf_ok() once at the end. Nothing ever reads past r->end.
 *
 * Strings and byte blobs are returned as views (pointer + length) into the
 * frame; they are not NUL-terminated. kn_rbuf_strdup() copies one out.
 *
 * kn_wbuf_t appends big-endian primitives to a heap buffer that grows as
 * needed; it can also reserve space and patch it later (lengths, CRCs).
 */
#ifndef KN_BUF_H
#define KN_BUF_H

#include "kn.h"

/* A view of bytes inside some frame (no ownership). */
typedef struct {
    const uint8_t *ptr;   /* NULL for a null string/bytes */
    int32_t        len;   /* -1 for null, else >= 0 */
} kn_slice_t;

typedef struct {
    const uint8_t *start; /* first byte of the frame */
    const uint8_t *pos;   /* next byte to read */
    const uint8_t *end;   /* one past the last readable byte */
    int            err;   /* KN_OK, or KN_ERROR once any read failed */
} kn_rbuf_t;

void kn_rbuf_init(kn_rbuf_t *r, const void *data, size_t len);
static inline bool   kn_rbuf_ok(const kn_rbuf_t *r) { return r->err == KN_OK; }
static inline size_t kn_rbuf_remaining(const kn_rbuf_t *r) { return (size_t)(r->end - r->pos); }
static inline size_t kn_rbuf_offset(const kn_rbuf_t *r) { return (size_t)(r->pos - r->start); }
/* Mark the reader failed (e.g. a semantic check in a decoder). */
static inline void   kn_rbuf_fail(kn_rbuf_t *r) { r->err = KN_ERROR; }

int8_t   kn_rbuf_i8(kn_rbuf_t *r);
int16_t  kn_rbuf_i16(kn_rbuf_t *r);
int32_t  kn_rbuf_i32(kn_rbuf_t *r);
int64_t  kn_rbuf_i64(kn_rbuf_t *r);
uint32_t kn_rbuf_u32(kn_rbuf_t *r);
bool     kn_rbuf_bool(kn_rbuf_t *r);
/* Unsigned varint (at most 5 bytes for 32 bits, 10 for 64). */
uint32_t kn_rbuf_uvarint(kn_rbuf_t *r);
uint64_t kn_rbuf_uvarlong(kn_rbuf_t *r);
/* Zigzag-encoded signed varint / varlong (record fields). */
int32_t  kn_rbuf_varint(kn_rbuf_t *r);
int64_t  kn_rbuf_varlong(kn_rbuf_t *r);
/* 16-byte UUID. */
void     kn_rbuf_uuid(kn_rbuf_t *r, uint8_t out[16]);
/* n raw bytes as a view; fails if fewer remain. */
const uint8_t *kn_rbuf_raw(kn_rbuf_t *r, size_t n);
int      kn_rbuf_skip(kn_rbuf_t *r, size_t n);

/* STRING (int16 length, must be >= 0) and NULLABLE_STRING (-1 = null). */
kn_slice_t kn_rbuf_string(kn_rbuf_t *r);
kn_slice_t kn_rbuf_nstring(kn_rbuf_t *r);
/* COMPACT_STRING / COMPACT_NULLABLE_STRING (uvarint length+1, 0 = null). */
kn_slice_t kn_rbuf_cstring(kn_rbuf_t *r);
kn_slice_t kn_rbuf_cnstring(kn_rbuf_t *r);
/* BYTES / NULLABLE_BYTES (int32 length) and their compact forms. */
kn_slice_t kn_rbuf_bytes(kn_rbuf_t *r);
kn_slice_t kn_rbuf_nbytes(kn_rbuf_t *r);
kn_slice_t kn_rbuf_cbytes(kn_rbuf_t *r);
kn_slice_t kn_rbuf_cnbytes(kn_rbuf_t *r);
/* Record-level (zigzag varint length, -1 = null) bytes, as in record keys. */
kn_slice_t kn_rbuf_vbytes(kn_rbuf_t *r);

/* Array length: ARRAY (int32, -1 = null) or COMPACT_ARRAY (uvarint N+1, 0 =
 * null). Returns the element count, -1 for null. A count larger than the
 * remaining bytes divided by min_elem_size (every element takes at least
 * that many bytes) fails the reader, so callers can allocate count elements
 * safely. */
int32_t  kn_rbuf_array_len(kn_rbuf_t *r, size_t min_elem_size);
int32_t  kn_rbuf_carray_len(kn_rbuf_t *r, size_t min_elem_size);
/* Skip a tagged-field section (flexible versions): uvarint count, then
 * (uvarint tag, uvarint size, size bytes) each. Tags are ignored. */
int      kn_rbuf_skip_tags(kn_rbuf_t *r);

/* Copy a slice out as a NUL-terminated heap string (NULL for null slice). */
char    *kn_slice_strdup(kn_slice_t s);
/* true if the slice equals the C string s. */
bool     kn_slice_eq(kn_slice_t a, const char *s);

typedef struct {
    uint8_t *data;  /* heap buffer (kn_malloc), owned */
    size_t   len;   /* bytes written */
    size_t   cap;   /* bytes allocated */
} kn_wbuf_t;

void   kn_wbuf_init(kn_wbuf_t *w, size_t initial_cap);
void   kn_wbuf_free(kn_wbuf_t *w);
void   kn_wbuf_reset(kn_wbuf_t *w);
/* Take ownership of the bytes; w is reset to empty. */
uint8_t *kn_wbuf_detach(kn_wbuf_t *w, size_t *len);
/* Ensure room for n more bytes; returns a pointer to them (len unchanged). */
uint8_t *kn_wbuf_reserve(kn_wbuf_t *w, size_t n);
/* Append n uninitialised bytes; returns their offset for a later patch. */
size_t kn_wbuf_skip(kn_wbuf_t *w, size_t n);

void kn_wbuf_raw(kn_wbuf_t *w, const void *p, size_t n);
void kn_wbuf_i8(kn_wbuf_t *w, int8_t v);
void kn_wbuf_i16(kn_wbuf_t *w, int16_t v);
void kn_wbuf_i32(kn_wbuf_t *w, int32_t v);
void kn_wbuf_i64(kn_wbuf_t *w, int64_t v);
void kn_wbuf_u32(kn_wbuf_t *w, uint32_t v);
void kn_wbuf_bool(kn_wbuf_t *w, bool v);
void kn_wbuf_uvarint(kn_wbuf_t *w, uint32_t v);
void kn_wbuf_uvarlong(kn_wbuf_t *w, uint64_t v);
void kn_wbuf_varint(kn_wbuf_t *w, int32_t v);
void kn_wbuf_varlong(kn_wbuf_t *w, int64_t v);
void kn_wbuf_uuid(kn_wbuf_t *w, const uint8_t u[16]);
/* STRING / NULLABLE_STRING (s == NULL writes null); n < 0 means strlen(s).
 * STRING holds at most INT16_MAX bytes; longer input is cut to that. */
void kn_wbuf_string(kn_wbuf_t *w, const char *s, int32_t n);
void kn_wbuf_cstring(kn_wbuf_t *w, const char *s, int32_t n);
void kn_wbuf_bytes(kn_wbuf_t *w, const void *p, int32_t n);   /* p NULL or n < 0 = null */
void kn_wbuf_cbytes(kn_wbuf_t *w, const void *p, int32_t n);
void kn_wbuf_array_len(kn_wbuf_t *w, int32_t n);   /* -1 = null */
void kn_wbuf_carray_len(kn_wbuf_t *w, int32_t n);  /* -1 = null */
/* Empty tagged-field section (a single 0 byte). */
void kn_wbuf_tags_empty(kn_wbuf_t *w);
/* Overwrite 4 bytes at off with v, big-endian. */
void kn_wbuf_patch_i32(kn_wbuf_t *w, size_t off, int32_t v);

/* Big-endian load/store helpers for code that works on raw bytes. */
static inline uint16_t kn_be16(const uint8_t *p) { return (uint16_t)((p[0] << 8) | p[1]); }
static inline uint32_t kn_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint64_t kn_be64(const uint8_t *p) { return ((uint64_t)kn_be32(p) << 32) | kn_be32(p + 4); }
static inline void kn_put_be16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void kn_put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}
static inline void kn_put_be64(uint8_t *p, uint64_t v)
{
    kn_put_be32(p, (uint32_t)(v >> 32)); kn_put_be32(p + 4, (uint32_t)v);
}

#endif /* KN_BUF_H */
