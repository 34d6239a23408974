/*
 * broker/server/delayed.c -- parked operations with a timer and key-based
 * wake-ups (see delayed.h).
 *
 * One global mutex guards the watch table (a fixed array of hash buckets
 * of watch nodes), the list of live operations and each operation's
 * reference count and flags. An operation is touched by its callback only
 * on its own loop; other threads only find it in the table and queue a
 * wake with kn_server_run_on(), holding a reference so the operation
 * outlives every queued wake even if it finishes first.
 */
#include "config.h"
#include "broker/server/delayed.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/server/server.h"

#define KN_DL_BUCKETS 1024

typedef struct kn_dl_watch_s {
    char                 *key;
    uint32_t              hash;
    kn_delayed_t         *op;
    struct kn_dl_watch_s *bucket_next;   /* chain in kn_dl_table[hash % N] */
    struct kn_dl_watch_s *op_next;       /* the op's own list of watches */
} kn_dl_watch_t;

struct kn_delayed_s {
    struct event_base *base;      /* the loop the callback runs on */
    struct event      *timer;     /* NULL if no deadline */
    kn_delayed_fn      fn;
    void              *arg;
    int                refs;      /* 1 while live + 1 per queued wake */
    bool               done;      /* finished or cancelled */
    bool               wake_pending; /* a wake is queued on base */
    kn_dl_watch_t     *watches;
    kn_delayed_t      *prev, *next;  /* kn_dl_live list */
};

static pthread_mutex_t kn_dl_mu = PTHREAD_MUTEX_INITIALIZER;
static kn_dl_watch_t  *kn_dl_table[KN_DL_BUCKETS];
static kn_delayed_t   *kn_dl_live;
static int             kn_dl_nlive;

/* FNV-1a: short keys, cheap, good enough spread for topic-partitions. */
static uint32_t kn_dl_hash(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) {
        h ^= (uint8_t)*s;
        h *= 16777619u;
    }
    return h;
}

static void kn_dl_unref(kn_delayed_t *op)
{
    pthread_mutex_lock(&kn_dl_mu);
    int r = --op->refs;
    pthread_mutex_unlock(&kn_dl_mu);
    if (r == 0) {
        free(op);
    }
}

/* Retire op: unwatch, stop the timer, drop the "live" reference. Safe to
 * call twice (a callback may cancel the op it is being called for). */
static void kn_dl_finish(kn_delayed_t *op)
{
    pthread_mutex_lock(&kn_dl_mu);
    if (op->done) {
        pthread_mutex_unlock(&kn_dl_mu);
        return;
    }
    op->done = true;
    for (kn_dl_watch_t *w = op->watches; w != NULL; w = w->op_next) {
        kn_dl_watch_t **pp = &kn_dl_table[w->hash % KN_DL_BUCKETS];
        while (*pp != NULL && *pp != w) {
            pp = &(*pp)->bucket_next;
        }
        if (*pp == w) {
            *pp = w->bucket_next;
        }
    }
    if (op->prev != NULL) {
        op->prev->next = op->next;
    } else {
        kn_dl_live = op->next;
    }
    if (op->next != NULL) {
        op->next->prev = op->prev;
    }
    kn_dl_nlive--;
    kn_dl_watch_t *w = op->watches;
    op->watches = NULL;
    pthread_mutex_unlock(&kn_dl_mu);

    while (w != NULL) {
        kn_dl_watch_t *next = w->op_next;
        free(w->key);
        free(w);
        w = next;
    }
    if (op->timer != NULL) {
        event_free(op->timer);
        op->timer = NULL;
    }
    kn_dl_unref(op);
}

static void kn_dl_timeout_cb(evutil_socket_t fd, short what, void *arg)
{
    kn_delayed_t *op = arg;
    KN_UNUSED(fd);
    KN_UNUSED(what);

    pthread_mutex_lock(&kn_dl_mu);
    op->refs++;     /* keep op valid even if the callback cancels it */
    pthread_mutex_unlock(&kn_dl_mu);
    if (!op->done) {
        op->fn(op->arg, KN_DELAYED_TIMEOUT);
        kn_dl_finish(op);
    }
    kn_dl_unref(op);
}

static void kn_dl_wake_cb(void *arg)
{
    kn_delayed_t *op = arg;

    pthread_mutex_lock(&kn_dl_mu);
    op->wake_pending = false;
    bool done = op->done;
    pthread_mutex_unlock(&kn_dl_mu);
    if (!done && op->fn(op->arg, KN_DELAYED_WAKE)) {
        kn_dl_finish(op);
    }
    kn_dl_unref(op);   /* the reference kn_delayed_notify took */
}

kn_delayed_t *kn_delayed_new(struct event_base *base, int64_t timeout_ms,
                             kn_delayed_fn fn, void *arg)
{
    kn_delayed_t *op = kn_calloc(1, sizeof(*op));
    op->base = base;
    op->fn = fn;
    op->arg = arg;
    op->refs = 1;
    if (timeout_ms >= 0) {
        op->timer = evtimer_new(base, kn_dl_timeout_cb, op);
        if (op->timer == NULL) {
            free(op);
            return NULL;
        }
        struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)((timeout_ms % 1000) * 1000) };
        evtimer_add(op->timer, &tv);
    }
    pthread_mutex_lock(&kn_dl_mu);
    op->next = kn_dl_live;
    if (kn_dl_live != NULL) {
        kn_dl_live->prev = op;
    }
    kn_dl_live = op;
    kn_dl_nlive++;
    pthread_mutex_unlock(&kn_dl_mu);
    return op;
}

void kn_delayed_watch(kn_delayed_t *op, const char *key)
{
    kn_dl_watch_t *w = kn_calloc(1, sizeof(*w));
    w->key = kn_strdup(key);
    w->hash = kn_dl_hash(key);
    w->op = op;

    pthread_mutex_lock(&kn_dl_mu);
    if (op->done) {
        pthread_mutex_unlock(&kn_dl_mu);
        free(w->key);
        free(w);
        return;
    }
    kn_dl_watch_t **bucket = &kn_dl_table[w->hash % KN_DL_BUCKETS];
    w->bucket_next = *bucket;
    *bucket = w;
    w->op_next = op->watches;
    op->watches = w;
    pthread_mutex_unlock(&kn_dl_mu);
}

/* Topic names cannot contain ':' (Kafka's legal characters are
 * [a-zA-Z0-9._-]), so "topic:partition" is unambiguous. */
static void kn_dl_tp_key(char *buf, size_t len, const char *topic, int32_t partition)
{
    snprintf(buf, len, "%s:%d", topic, (int)partition);
}

void kn_delayed_watch_tp(kn_delayed_t *op, const char *topic, int32_t partition)
{
    char key[320];
    kn_dl_tp_key(key, sizeof(key), topic, partition);
    kn_delayed_watch(op, key);
}

void kn_delayed_notify(const char *key)
{
    uint32_t h = kn_dl_hash(key);
    kn_delayed_t *stack_ops[32];
    kn_delayed_t **ops = stack_ops;
    size_t n = 0, cap = KN_ARRAY_LEN(stack_ops);

    pthread_mutex_lock(&kn_dl_mu);
    for (kn_dl_watch_t *w = kn_dl_table[h % KN_DL_BUCKETS]; w != NULL; w = w->bucket_next) {
        kn_delayed_t *op = w->op;
        if (w->hash != h || op->done || op->wake_pending || strcmp(w->key, key) != 0) {
            continue;
        }
        if (n == cap) {
            cap *= 2;
            if (ops == stack_ops) {
                ops = kn_malloc(cap * sizeof(*ops));
                memcpy(ops, stack_ops, sizeof(stack_ops));
            } else {
                ops = kn_realloc(ops, cap * sizeof(*ops));
            }
        }
        op->wake_pending = true;
        op->refs++;
        ops[n++] = op;
    }
    pthread_mutex_unlock(&kn_dl_mu);

    /* Queue outside the lock: run_on may run a callback inline when a loop
     * is gone, and that callback takes kn_dl_mu. */
    for (size_t i = 0; i < n; i++) {
        kn_server_run_on(ops[i]->base, kn_dl_wake_cb, ops[i]);
    }
    if (ops != stack_ops) {
        free(ops);
    }
}

void kn_delayed_notify_tp(const char *topic, int32_t partition)
{
    char key[320];
    kn_dl_tp_key(key, sizeof(key), topic, partition);
    kn_delayed_notify(key);
}

void kn_delayed_cancel(kn_delayed_t *op)
{
    kn_dl_finish(op);
}

void kn_delayed_shutdown_base(struct event_base *base)
{
    kn_delayed_t **ops = NULL;
    size_t n = 0;

    pthread_mutex_lock(&kn_dl_mu);
    if (kn_dl_nlive > 0) {
        ops = kn_malloc((size_t)kn_dl_nlive * sizeof(*ops));
    }
    for (kn_delayed_t *op = kn_dl_live; op != NULL; op = op->next) {
        if (op->base == base && !op->done) {
            op->refs++;
            ops[n++] = op;
        }
    }
    pthread_mutex_unlock(&kn_dl_mu);

    for (size_t i = 0; i < n; i++) {
        if (!ops[i]->done) {
            ops[i]->fn(ops[i]->arg, KN_DELAYED_SHUTDOWN);
            kn_dl_finish(ops[i]);
        }
        kn_dl_unref(ops[i]);
    }
    free(ops);
}

int kn_delayed_count(void)
{
    pthread_mutex_lock(&kn_dl_mu);
    int n = kn_dl_nlive;
    pthread_mutex_unlock(&kn_dl_mu);
    return n;
}
