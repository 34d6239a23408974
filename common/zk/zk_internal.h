/*
 * common/zk/zk_internal.h -- private to common/zk/: the session object
 * shared by zk.c (handles, session events, delivery to the event loop) and
 * zk_ops.c (the data calls). Everyone else uses zk.h.
 */
#ifndef KN_ZK_INTERNAL_H
#define KN_ZK_INTERNAL_H

#include <pthread.h>

#include "zk/zk.h"

#define KN_ZK_LOG "zk"

/* Largest payload we accept (ZooKeeper's default jute.maxbuffer is 1 MiB). */
#define KN_ZK_MAX_DATA (16 * 1024 * 1024)
/* First read buffer: most znodes are small JSON documents. */
#define KN_ZK_FIRST_BUF 4096

typedef struct kn_zk_watch_s {
    struct kn_zk_watch_s *prev, *next;   /* zk->watches, under zk->mu */
    kn_zk_t *zk;
    kn_zk_watch_cb cb;
    void *ud;
} kn_zk_watch_t;

typedef struct kn_zk_qev_s {
    struct kn_zk_qev_s *next;
    bool is_session;                     /* session event or watch event */
    kn_zk_session_event_t sev;
    bool renewed;                        /* CONNECTED to a new session */
    uint64_t gen;                        /* handle generation it came from */
    kn_zk_watch_event_t wev;
    char *path;                          /* watch events: heap copy */
    kn_zk_watch_cb cb;
    void *ud;
} kn_zk_qev_t;

struct kn_zk_s {
    struct event_base *base;
    char *connect;                       /* hosts + normalised chroot */
    char *hosts;                         /* without chroot */
    char *chroot;                        /* NULL when none */
    int session_timeout_ms;
    kn_zk_session_cb cb;
    void *ud;

    /* The handle. Replaced only on the loop thread, under the write lock;
     * data calls hold the read lock so a replacement never pulls the
     * handle from under a call made on another thread. */
    pthread_rwlock_t hlock;
    zhandle_t *zh;

    pthread_mutex_t mu;                  /* everything below */
    pthread_cond_t cond;                 /* connected changed */
    bool connected;
    bool was_connected;                  /* report DISCONNECTED once */
    bool renewed;                        /* of the last CONNECTED delivered */
    bool reconnect;
    bool chroot_ready;
    int64_t session_id;                  /* last session seen connected */
    uint64_t gen;                        /* bumped at each new handle */
    kn_zk_qev_t *qhead, *qtail;
    kn_zk_watch_t *watches;

    struct event *wake;                  /* drains the queue on the loop */
    struct event *expire_timer;          /* client-side expiry */
    bool in_dispatch;
    bool free_requested;                 /* kn_zk_free() from a callback */
};

/* The watcher function given to ZooKeeper with a kn_zk_watch_t context
 * (zk.c); it queues the event for the loop and frees the context. */
void kn_zk_path_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx);
/* Unlink a watch context from zk->watches; caller holds zk->mu. */
void kn_zk_watch_unlink(kn_zk_t *zk, kn_zk_watch_t *w);

#endif /* KN_ZK_INTERNAL_H */
