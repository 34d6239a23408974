/*
 * common/util.c -- allocation wrappers and clocks (see kn.h).
 */
#include "config.h"
#include "kn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void kn_oom(size_t n)
{
    fprintf(stderr, "kanal: out of memory allocating %zu bytes\n", n);
    abort();
}

void *kn_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p == NULL) {
        kn_oom(n);
    }
    return p;
}

void *kn_calloc(size_t nmemb, size_t n)
{
    void *p = calloc(nmemb ? nmemb : 1, n ? n : 1);
    if (p == NULL) {
        kn_oom(nmemb * n);
    }
    return p;
}

void *kn_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (q == NULL) {
        kn_oom(n);
    }
    return q;
}

char *kn_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = kn_malloc(n);
    memcpy(d, s, n);
    return d;
}

char *kn_strndup(const char *s, size_t n)
{
    char *d = kn_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

int64_t kn_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t kn_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
