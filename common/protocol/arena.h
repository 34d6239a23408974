/*
 * common/protocol/arena.h -- a bump allocator for decoded messages.
 *
 * A decoded request is a tree of small arrays (topics, partitions, ...).
 * Allocating them from an arena means a handler frees the whole tree with
 * one kn_arena_free() and a decoder that fails half way leaks nothing.
 * Memory comes in chunks (KN_ARENA_CHUNK bytes, or one bigger chunk for a
 * large request); allocations are zeroed and aligned for any C type.
 */
#ifndef KN_PROTOCOL_ARENA_H
#define KN_PROTOCOL_ARENA_H

#include "buf.h"
#include "kn.h"

#define KN_ARENA_CHUNK (16 * 1024)

typedef struct kn_arena_chunk_s kn_arena_chunk_t;

typedef struct {
    kn_arena_chunk_t *head;   /* newest chunk first; NULL when empty */
    size_t            used;   /* total bytes handed out (for tests/metrics) */
} kn_arena_t;

void  kn_arena_init(kn_arena_t *a);
/* Release every chunk; the arena is empty and reusable afterwards. */
void  kn_arena_free(kn_arena_t *a);
/* n zeroed bytes (never NULL; aborts on out-of-memory like kn_malloc). */
void *kn_arena_alloc(kn_arena_t *a, size_t n);
/* nmemb * size zeroed bytes, NULL if the product overflows. */
void *kn_arena_array(kn_arena_t *a, size_t nmemb, size_t size);
/* NUL-terminated copies; NULL in gives NULL out (null strings). */
char *kn_arena_strdup(kn_arena_t *a, const char *s);
char *kn_arena_slice_strdup(kn_arena_t *a, kn_slice_t s);

#endif /* KN_PROTOCOL_ARENA_H */
