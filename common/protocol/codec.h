/*
 * common/protocol/codec.h -- PRIVATE to common/protocol: the symmetric
 * field walker every codec is written with.
 *
 * Each message is described once, by a function that visits its fields in
 * wire order through a kn_io_t. In read mode the visit fills the struct
 * from a kn_rbuf_t (allocating arrays from an arena); in write mode it
 * appends the same fields to a kn_wbuf_t. One description per message means
 * the decoder and the encoder cannot disagree about field order or version
 * gates, which is where hand-written codec pairs usually go wrong.
 *
 * Write mode never stores into the struct (it may be a const object in
 * read-only memory); public encoders cast away const only to share the
 * visitor. Every store in a visitor is therefore guarded by read mode:
 * the kn_io_* functions and KN_IO_ARRAY do that themselves.
 */
#ifndef KN_PROTOCOL_CODEC_H
#define KN_PROTOCOL_CODEC_H

#include <string.h>

#include "buf.h"
#include "protocol/api.h"
#include "protocol/arena.h"

typedef struct {
    kn_rbuf_t  *r;       /* read mode: the input; NULL in write mode */
    kn_wbuf_t  *w;       /* write mode: the output; NULL in read mode */
    kn_arena_t *a;       /* read mode: where arrays go */
    int16_t     ver;     /* message version */
    bool        flex;    /* compact strings/arrays and tag sections */
} kn_io_t;

static inline void kn_io_reader(kn_io_t *io, kn_rbuf_t *r, kn_arena_t *a, int16_t key, int16_t ver)
{
    io->r = r;
    io->w = NULL;
    io->a = a;
    io->ver = ver;
    io->flex = kn_proto_flexible(key, ver);
}

static inline void kn_io_writer(kn_io_t *io, kn_wbuf_t *w, int16_t key, int16_t ver)
{
    io->r = NULL;
    io->w = w;
    io->a = NULL;
    io->ver = ver;
    io->flex = kn_proto_flexible(key, ver);
}

static inline bool kn_io_ok(const kn_io_t *io) { return io->r == NULL || kn_rbuf_ok(io->r); }
static inline int kn_io_result(const kn_io_t *io) { return kn_io_ok(io) ? KN_OK : KN_ERROR; }

static inline void kn_io_i8(kn_io_t *io, int8_t *v)
{
    if (io->r) *v = kn_rbuf_i8(io->r); else kn_wbuf_i8(io->w, *v);
}

static inline void kn_io_i16(kn_io_t *io, int16_t *v)
{
    if (io->r) *v = kn_rbuf_i16(io->r); else kn_wbuf_i16(io->w, *v);
}

static inline void kn_io_i32(kn_io_t *io, int32_t *v)
{
    if (io->r) *v = kn_rbuf_i32(io->r); else kn_wbuf_i32(io->w, *v);
}

static inline void kn_io_i64(kn_io_t *io, int64_t *v)
{
    if (io->r) *v = kn_rbuf_i64(io->r); else kn_wbuf_i64(io->w, *v);
}

static inline void kn_io_bool(kn_io_t *io, bool *v)
{
    if (io->r) *v = kn_rbuf_bool(io->r); else kn_wbuf_bool(io->w, *v);
}

/* Version-gated fields: present on the wire only when cond holds; in read
 * mode an absent field takes the spec's default. */
static inline void kn_io_i8_if(kn_io_t *io, bool cond, int8_t *v, int8_t def)
{
    if (cond) kn_io_i8(io, v); else if (io->r) *v = def;
}

static inline void kn_io_i16_if(kn_io_t *io, bool cond, int16_t *v, int16_t def)
{
    if (cond) kn_io_i16(io, v); else if (io->r) *v = def;
}

static inline void kn_io_i32_if(kn_io_t *io, bool cond, int32_t *v, int32_t def)
{
    if (cond) kn_io_i32(io, v); else if (io->r) *v = def;
}

static inline void kn_io_i64_if(kn_io_t *io, bool cond, int64_t *v, int64_t def)
{
    if (cond) kn_io_i64(io, v); else if (io->r) *v = def;
}

static inline void kn_io_bool_if(kn_io_t *io, bool cond, bool *v, bool def)
{
    if (cond) kn_io_bool(io, v); else if (io->r) *v = def;
}

/* Length of a string to write: STRING has an int16 length, so a longer
 * value is cut at INT16_MAX rather than producing a corrupt frame (no
 * legitimate Kafka string comes near that). */
static inline int32_t kn_io_str_len(const kn_slice_t *s)
{
    return s->len <= 0 ? 0 : s->len > INT16_MAX ? INT16_MAX : s->len;
}

/* STRING: a null slice is written as "" since the type cannot be null. */
static inline void kn_io_str(kn_io_t *io, kn_slice_t *s)
{
    if (io->r) {
        *s = io->flex ? kn_rbuf_cstring(io->r) : kn_rbuf_string(io->r);
        return;
    }
    const char *p = s->len > 0 ? (const char *)s->ptr : "";
    int32_t n = kn_io_str_len(s);
    if (io->flex) kn_wbuf_cstring(io->w, p, n); else kn_wbuf_string(io->w, p, n);
}

/* NULLABLE_STRING. */
static inline void kn_io_nstr(kn_io_t *io, kn_slice_t *s)
{
    if (io->r) {
        *s = io->flex ? kn_rbuf_cnstring(io->r) : kn_rbuf_nstring(io->r);
        return;
    }
    const char *p = s->len < 0 ? NULL : s->len > 0 ? (const char *)s->ptr : "";
    int32_t n = kn_io_str_len(s);
    if (io->flex) kn_wbuf_cstring(io->w, p, n); else kn_wbuf_string(io->w, p, n);
}

static inline void kn_io_nstr_if(kn_io_t *io, bool cond, kn_slice_t *s)
{
    if (cond) kn_io_nstr(io, s); else if (io->r) *s = KN_SLICE_NULL;
}

static inline void kn_io_str_if(kn_io_t *io, bool cond, kn_slice_t *s)
{
    if (cond) kn_io_str(io, s); else if (io->r) { s->ptr = (const uint8_t *)""; s->len = 0; }
}

/* BYTES (nullable false) / NULLABLE_BYTES. */
static inline void kn_io_bytes(kn_io_t *io, kn_slice_t *s, bool nullable)
{
    if (io->r) {
        if (io->flex) *s = nullable ? kn_rbuf_cnbytes(io->r) : kn_rbuf_cbytes(io->r);
        else *s = nullable ? kn_rbuf_nbytes(io->r) : kn_rbuf_bytes(io->r);
        return;
    }
    const void *p = s->len < 0 ? (nullable ? NULL : "") : s->len > 0 ? (const void *)s->ptr : "";
    int32_t n = s->len > 0 ? s->len : 0;
    if (io->flex) kn_wbuf_cbytes(io->w, p, n); else kn_wbuf_bytes(io->w, p, n);
}

/* Tag section of a flexible struct: skipped on read, empty on write. */
static inline void kn_io_tags(kn_io_t *io)
{
    if (!io->flex) return;
    if (io->r) kn_rbuf_skip_tags(io->r); else kn_wbuf_tags_empty(io->w);
}

/* An array header. Read mode: validates the count against min_wire (the
 * fewest bytes one element can take) and returns a zeroed arena array of
 * *n elements of elem_size (a null array, *n = -1, only when nullable;
 * otherwise the reader fails). Write mode: writes *n (a negative count as
 * null if nullable, else as empty) and returns NULL. Either way, visit
 * kn_io_count(*n) elements afterwards. Use it through KN_IO_ARRAY, which
 * stores the array only in read mode: in write mode the struct may be a
 * const object and must not be written at all. */
void *kn_io_array(kn_io_t *io, int32_t *n, size_t elem_size, size_t min_wire, bool nullable);

#define KN_IO_ARRAY(io, arr, n, min_wire, nullable)                                    \
    do {                                                                               \
        void *kn_arr_ = kn_io_array((io), &(n), sizeof(*(arr)), (min_wire), (nullable)); \
        if ((io)->r) {                                                                 \
            (arr) = kn_arr_;                                                           \
        }                                                                              \
    } while (0)

static inline int32_t kn_io_count(int32_t n) { return n < 0 ? 0 : n; }

/* ARRAY of INT32 (replica lists, partition lists). */
void kn_io_i32_array(kn_io_t *io, int32_t **v, int32_t *n, bool nullable);
/* ARRAY of STRING. */
void kn_io_str_array(kn_io_t *io, kn_slice_t **v, int32_t *n, bool nullable);

/* Declare the four public entry points of one API from its two visitors
 * io_<name>_req / io_<name>_resp. lo..hi is the version range handled;
 * decoders reject versions outside it. */
#define KN_PROTO_DEFINE(name, key, lo, hi)                                                   \
    int kn_proto_##name##_req_decode(kn_rbuf_t *r, int16_t ver, kn_##name##_req_t *out,      \
                                     kn_arena_t *a)                                          \
    {                                                                                        \
        kn_io_t io;                                                                          \
        memset(out, 0, sizeof(*out));                                                        \
        if (ver < (lo) || ver > (hi)) return KN_ERROR;                                       \
        kn_io_reader(&io, r, a, key, ver);                                                   \
        io_##name##_req(&io, out);                                                           \
        return kn_io_result(&io);                                                            \
    }                                                                                        \
    void kn_proto_##name##_req_encode(kn_wbuf_t *w, int16_t ver, const kn_##name##_req_t *in) \
    {                                                                                        \
        kn_io_t io;                                                                          \
        kn_io_writer(&io, w, key, ver);                                                      \
        io_##name##_req(&io, (kn_##name##_req_t *)in);                                       \
    }                                                                                        \
    int kn_proto_##name##_resp_decode(kn_rbuf_t *r, int16_t ver, kn_##name##_resp_t *out,    \
                                      kn_arena_t *a)                                         \
    {                                                                                        \
        kn_io_t io;                                                                          \
        memset(out, 0, sizeof(*out));                                                        \
        if (ver < (lo) || ver > (hi)) return KN_ERROR;                                       \
        kn_io_reader(&io, r, a, key, ver);                                                   \
        io_##name##_resp(&io, out);                                                          \
        return kn_io_result(&io);                                                            \
    }                                                                                        \
    void kn_proto_##name##_resp_encode(kn_wbuf_t *w, int16_t ver, const kn_##name##_resp_t *in) \
    {                                                                                        \
        kn_io_t io;                                                                          \
        kn_io_writer(&io, w, key, ver);                                                      \
        io_##name##_resp(&io, (kn_##name##_resp_t *)in);                                     \
    }

#endif /* KN_PROTOCOL_CODEC_H */
