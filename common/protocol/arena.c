/*
 * common/protocol/arena.c -- chunked bump allocator (see arena.h).
 */
#include "config.h"
#include "protocol/arena.h"

#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

struct kn_arena_chunk_s {
    kn_arena_chunk_t *next;
    size_t            size;   /* usable bytes in data[] */
    size_t            off;    /* next free byte in data[] */
    alignas(max_align_t) unsigned char data[];
};

#define KN_ARENA_ALIGN alignof(max_align_t)

void kn_arena_init(kn_arena_t *a)
{
    a->head = NULL;
    a->used = 0;
}

void kn_arena_free(kn_arena_t *a)
{
    kn_arena_chunk_t *c = a->head;
    while (c != NULL) {
        kn_arena_chunk_t *next = c->next;
        free(c);
        c = next;
    }
    a->head = NULL;
    a->used = 0;
}

void *kn_arena_alloc(kn_arena_t *a, size_t n)
{
    if (n == 0) {
        n = 1;   /* distinct non-NULL pointers for empty arrays */
    }
    if (n > SIZE_MAX - KN_ARENA_ALIGN - sizeof(kn_arena_chunk_t)) {
        return NULL;
    }
    size_t need = (n + KN_ARENA_ALIGN - 1) & ~(KN_ARENA_ALIGN - 1);
    kn_arena_chunk_t *c = a->head;
    if (c == NULL || c->size - c->off < need) {
        /* A request bigger than a chunk gets a chunk of its own; the
         * current chunk stays the head only if the new one is exact-fit,
         * so its free tail is not wasted for later small allocations. */
        size_t size = need > KN_ARENA_CHUNK ? need : KN_ARENA_CHUNK;
        kn_arena_chunk_t *nc = kn_malloc(sizeof(*nc) + size);
        nc->size = size;
        nc->off = 0;
        if (c != NULL && size == need && need > KN_ARENA_CHUNK) {
            nc->next = c->next;
            c->next = nc;
            nc->off = need;
            a->used += need;
            memset(nc->data, 0, need);
            return nc->data;
        }
        nc->next = c;
        a->head = nc;
        c = nc;
    }
    void *p = c->data + c->off;
    c->off += need;
    a->used += need;
    memset(p, 0, need);
    return p;
}

void *kn_arena_array(kn_arena_t *a, size_t nmemb, size_t size)
{
    if (size != 0 && nmemb > SIZE_MAX / size) {
        return NULL;
    }
    return kn_arena_alloc(a, nmemb * size);
}

char *kn_arena_strdup(kn_arena_t *a, const char *s)
{
    if (s == NULL) {
        return NULL;
    }
    size_t n = strlen(s);
    char *d = kn_arena_alloc(a, n + 1);
    memcpy(d, s, n + 1);
    return d;
}

char *kn_arena_slice_strdup(kn_arena_t *a, kn_slice_t s)
{
    if (s.len < 0 || s.ptr == NULL) {
        return NULL;
    }
    char *d = kn_arena_alloc(a, (size_t)s.len + 1);
    memcpy(d, s.ptr, (size_t)s.len);
    d[s.len] = '\0';
    return d;
}
