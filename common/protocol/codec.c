/*
 * common/protocol/codec.c -- the out-of-line parts of the field walker
 * (codec.h): arrays, whose read side allocates from the arena.
 */
#include "config.h"
#include "protocol/codec.h"

void *kn_io_array(kn_io_t *io, int32_t *n, size_t elem_size, size_t min_wire, bool nullable)
{
    if (io->w) {
        int32_t cnt = *n < 0 && !nullable ? 0 : *n;
        if (io->flex) kn_wbuf_carray_len(io->w, cnt); else kn_wbuf_array_len(io->w, cnt);
        return NULL;
    }
    *n = 0;
    int32_t cnt = io->flex ? kn_rbuf_carray_len(io->r, min_wire) : kn_rbuf_array_len(io->r, min_wire);
    if (!kn_rbuf_ok(io->r)) {
        return NULL;
    }
    if (cnt < 0) {
        if (nullable) {
            *n = -1;
        } else {
            kn_rbuf_fail(io->r);
        }
        return NULL;
    }
    /* cnt <= remaining / min_wire here, so this is bounded by the frame. */
    void *arr = kn_arena_array(io->a, (size_t)cnt, elem_size);
    if (arr == NULL) {
        kn_rbuf_fail(io->r);
        return NULL;
    }
    *n = cnt;
    return arr;
}

void kn_io_i32_array(kn_io_t *io, int32_t **v, int32_t *n, bool nullable)
{
    KN_IO_ARRAY(io, *v, *n, 4, nullable);
    for (int32_t i = 0; i < kn_io_count(*n) && kn_io_ok(io); i++) {
        kn_io_i32(io, &(*v)[i]);
    }
}

void kn_io_str_array(kn_io_t *io, kn_slice_t **v, int32_t *n, bool nullable)
{
    KN_IO_ARRAY(io, *v, *n, io->flex ? 1 : 2, nullable);
    for (int32_t i = 0; i < kn_io_count(*n) && kn_io_ok(io); i++) {
        kn_io_str(io, &(*v)[i]);
    }
}
