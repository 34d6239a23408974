/*
 * broker/server/runq.c -- kn_server_run_on(): run a function on another
 * event loop's thread.
 *
 * Each attached event_base gets a mutex-protected FIFO and one internal
 * event; run_on appends and event_active()s that event (thread-safe once
 * evthread_use_pthreads() ran), and the loop drains the FIFO in order. FIFO
 * order matters: a notify followed by a completion from the same thread
 * must arrive in that order.
 *
 * The registry of attached bases is a small array: a broker has a handful
 * of loops (workers + main), and lookups are a short scan under a lock.
 */
#include "config.h"
#include "broker/server/server.h"

#include <event2/event.h>
#include <pthread.h>
#include <stdlib.h>

#include "log.h"

#define KN_RUNQ_MAX 128

typedef struct kn_runq_item_s {
    void (*fn)(void *arg);
    void  *arg;
    struct kn_runq_item_s *next;
} kn_runq_item_t;

typedef struct {
    struct event_base *base;
    struct event      *ev;      /* activated to drain the queue */
    pthread_mutex_t    mu;
    kn_runq_item_t    *head;    /* FIFO */
    kn_runq_item_t    *tail;
} kn_runq_t;

static pthread_mutex_t kn_runq_reg_mu = PTHREAD_MUTEX_INITIALIZER;
static kn_runq_t      *kn_runq_reg[KN_RUNQ_MAX];

/* Pop everything and run it; items queued while running wait for the next
 * activation (which run_on triggers), so a callback that re-queues itself
 * cannot starve the loop. */
static void kn_runq_drain(kn_runq_t *q)
{
    pthread_mutex_lock(&q->mu);
    kn_runq_item_t *it = q->head;
    q->head = q->tail = NULL;
    pthread_mutex_unlock(&q->mu);
    while (it != NULL) {
        kn_runq_item_t *next = it->next;
        it->fn(it->arg);
        free(it);
        it = next;
    }
}

static void kn_runq_cb(evutil_socket_t fd, short what, void *arg)
{
    KN_UNUSED(fd);
    KN_UNUSED(what);
    kn_runq_drain(arg);
}

int kn_runq_attach(struct event_base *base)
{
    kn_runq_t *q = kn_calloc(1, sizeof(*q));
    q->base = base;
    q->ev = event_new(base, -1, 0, kn_runq_cb, q);
    if (q->ev == NULL) {
        free(q);
        return KN_ERROR;
    }
    pthread_mutex_init(&q->mu, NULL);
    pthread_mutex_lock(&kn_runq_reg_mu);
    for (size_t i = 0; i < KN_RUNQ_MAX; i++) {
        if (kn_runq_reg[i] == NULL) {
            kn_runq_reg[i] = q;
            pthread_mutex_unlock(&kn_runq_reg_mu);
            return KN_OK;
        }
    }
    pthread_mutex_unlock(&kn_runq_reg_mu);
    event_free(q->ev);
    pthread_mutex_destroy(&q->mu);
    free(q);
    return KN_ERROR;
}

void kn_runq_detach(struct event_base *base)
{
    kn_runq_t *q = NULL;

    pthread_mutex_lock(&kn_runq_reg_mu);
    for (size_t i = 0; i < KN_RUNQ_MAX; i++) {
        if (kn_runq_reg[i] != NULL && kn_runq_reg[i]->base == base) {
            q = kn_runq_reg[i];
            kn_runq_reg[i] = NULL;
            break;
        }
    }
    pthread_mutex_unlock(&kn_runq_reg_mu);
    if (q == NULL) {
        return;
    }
    /* Nobody can find q any more; run the leftovers (they may queue more
     * work elsewhere, never here). */
    kn_runq_drain(q);
    event_free(q->ev);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

void kn_server_run_on(struct event_base *base, void (*fn)(void *arg), void *arg)
{
    kn_runq_item_t *it = kn_malloc(sizeof(*it));
    it->fn = fn;
    it->arg = arg;
    it->next = NULL;

    /* The registry lock is held across the enqueue so detach cannot free
     * the queue between lookup and append. */
    pthread_mutex_lock(&kn_runq_reg_mu);
    kn_runq_t *q = NULL;
    for (size_t i = 0; i < KN_RUNQ_MAX; i++) {
        if (kn_runq_reg[i] != NULL && kn_runq_reg[i]->base == base) {
            q = kn_runq_reg[i];
            break;
        }
    }
    if (q == NULL) {
        pthread_mutex_unlock(&kn_runq_reg_mu);
        /* A loop that is gone: running fn here is the only way to let it
         * release what arg owns; callbacks must tolerate this (they check
         * their own "closed" state anyway). */
        kn_log_warn("server", "run_on: event loop not attached; running callback inline");
        free(it);
        fn(arg);
        return;
    }
    pthread_mutex_lock(&q->mu);
    if (q->tail != NULL) {
        q->tail->next = it;
    } else {
        q->head = it;
    }
    q->tail = it;
    pthread_mutex_unlock(&q->mu);
    event_active(q->ev, 0, 0);
    pthread_mutex_unlock(&kn_runq_reg_mu);
}
