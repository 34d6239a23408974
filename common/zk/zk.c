/*
 * common/zk/zk.c -- the ZooKeeper session wrapper (contract in zk.h).
 *
 * Threads. libzookeeper-mt calls our watcher functions on its completion
 * thread. Those functions only record the event in a mutex-protected queue
 * and make `wake` active on the owner's event_base (event_active() is
 * thread-safe once evthread_use_pthreads() ran before the base was created).
 * dispatch_cb() then drains the queue on the loop thread and calls the
 * owner's callbacks there, so no Kanal code ever runs on a ZooKeeper thread.
 *
 * Watch contexts. Each armed watch carries a small heap context (callback,
 * user data). ZooKeeper never frees watcher contexts, and on expiry or close
 * it simply forgets them, so every live context is also linked into
 * zk->watches: a context is freed when its watch fires, when the call that
 * would have armed it failed, or when the handle it belongs to is closed.
 *
 * Expiry. The server reports expiry when the client reconnects after the
 * session timed out. A server that was down keeps the sessions it had
 * (they get a fresh timeout when it comes back), so a client cut off for
 * longer than the session timeout cannot know whether its session and its
 * ephemeral nodes survived elsewhere. Like Curator's standard policy, we
 * treat "disconnected for longer than the session timeout" as expiry: a
 * controller that lost contact that long must assume it was replaced.
 * Either way the owner sees KN_ZK_SESSION_EXPIRED and, with reconnect on,
 * a fresh handle reports KN_ZK_SESSION_CONNECTED with renewed == true.
 *
 * Chroot. The client library prefixes every path with the chroot, but the
 * chroot node itself must exist. As Kafka does, we create it (and its
 * parents) through a short-lived handle without chroot, once, the first
 * time the session is connected (in kn_zk_wait_connected() or before the
 * first CONNECTED callback, whichever comes first).
 */
#include "config.h"

#include "zk/zk_internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"

static pthread_once_t kn_zk_once = PTHREAD_ONCE_INIT;

/* ZooKeeper's client logs at WARN and above reach our log, rate limited:
 * during an outage it reports every failed connection attempt. */
static void zk_log_cb(const char *message)
{
    kn_log_level_t level = KN_LOG_WARN;
    const char *text = message;
    const char *at;
    size_t n;

    if (strstr(message, "ZOO_ERROR@") != NULL) {
        level = KN_LOG_ERROR;
    } else if (strstr(message, "ZOO_INFO@") != NULL || strstr(message, "ZOO_DEBUG@") != NULL) {
        level = KN_LOG_DEBUG;
    }
    /* Drop the library's own timestamp/thread prefix: keep "func@...: text". */
    at = strstr(message, "@");
    if (at != NULL) {
        text = at + 1;
    }
    n = strlen(text);
    while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == '\r')) {
        n--;
    }
    kn_log_ratelimited(level, "zk.client", level == KN_LOG_ERROR ? "zk.client.error" : "zk.client",
                       10000, "%.*s", (int) n, text);
}

static void zk_global_init(void)
{
    /* Lines logged without a handle (hence without our callback) go
     * nowhere rather than flooding stderr. */
    FILE *devnull = fopen("/dev/null", "w");
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
    if (devnull != NULL) {
        zoo_set_log_stream(devnull);
    }
}

/* ---------------------------------------------------------------- queue */

static void zk_enqueue(kn_zk_t *zk, kn_zk_qev_t *q)
{
    /* Caller holds zk->mu. */
    q->next = NULL;
    if (zk->qtail != NULL) {
        zk->qtail->next = q;
    } else {
        zk->qhead = q;
    }
    zk->qtail = q;
    event_active(zk->wake, EV_READ, 0);
}

static void zk_queue_session(kn_zk_t *zk, kn_zk_session_event_t sev, bool renewed)
{
    kn_zk_qev_t *q = kn_calloc(1, sizeof(*q));
    q->is_session = true;
    q->sev = sev;
    q->renewed = renewed;
    q->gen = zk->gen;
    zk_enqueue(zk, q);
}

static void zk_qev_free(kn_zk_qev_t *q)
{
    free(q->path);
    free(q);
}

/* ------------------------------------------------ ZooKeeper thread side */

/* The global watcher of a handle: session state changes only. */
static void zk_session_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    kn_zk_t *zk = ctx;

    KN_UNUSED(path);
    if (type != ZOO_SESSION_EVENT || zk == NULL) {
        return;
    }
    pthread_mutex_lock(&zk->mu);
    if (state == ZOO_CONNECTED_STATE) {
        const clientid_t *cid = zoo_client_id(zh);
        bool renewed = cid != NULL && cid->client_id != zk->session_id;
        if (cid != NULL) {
            zk->session_id = cid->client_id;
        }
        zk->connected = true;
        zk->was_connected = true;
        zk_queue_session(zk, KN_ZK_SESSION_CONNECTED, renewed);
    } else if (state == ZOO_EXPIRED_SESSION_STATE) {
        zk->connected = false;
        zk->was_connected = false;
        zk_queue_session(zk, KN_ZK_SESSION_EXPIRED, false);
    } else if (state == ZOO_AUTH_FAILED_STATE) {
        zk->connected = false;
        zk_queue_session(zk, KN_ZK_SESSION_AUTH_FAILED, false);
    } else if (state == ZOO_CONNECTING_STATE || state == ZOO_ASSOCIATING_STATE
               || state == ZOO_NOTCONNECTED_STATE) {
        zk->connected = false;
        if (zk->was_connected) {
            zk->was_connected = false;
            zk_queue_session(zk, KN_ZK_SESSION_DISCONNECTED, false);
        }
    }
    pthread_cond_broadcast(&zk->cond);
    pthread_mutex_unlock(&zk->mu);
}

void kn_zk_watch_unlink(kn_zk_t *zk, kn_zk_watch_t *w)
{
    /* Caller holds zk->mu. */
    if (w->prev != NULL) {
        w->prev->next = w->next;
    } else {
        zk->watches = w->next;
    }
    if (w->next != NULL) {
        w->next->prev = w->prev;
    }
}

/* A per-path watcher: fires once with a data/child event. Session events
 * also reach it (ZooKeeper copies them to every watcher); the global
 * watcher already handles those, and the watch stays armed. */
void kn_zk_path_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    kn_zk_watch_t *w = ctx;
    kn_zk_t *zk = w->zk;
    kn_zk_qev_t *q;

    KN_UNUSED(zh);
    KN_UNUSED(state);
    if (type == ZOO_SESSION_EVENT) {
        return;
    }
    q = kn_calloc(1, sizeof(*q));
    if (type == ZOO_CREATED_EVENT) {
        q->wev = KN_ZK_WATCH_CREATED;
    } else if (type == ZOO_DELETED_EVENT) {
        q->wev = KN_ZK_WATCH_DELETED;
    } else if (type == ZOO_CHANGED_EVENT) {
        q->wev = KN_ZK_WATCH_CHANGED;
    } else if (type == ZOO_CHILD_EVENT) {
        q->wev = KN_ZK_WATCH_CHILD;
    } else {
        /* ZOO_NOTWATCHING_EVENT (watch removed): nothing to deliver, but
         * the context is done. */
        free(q);
        q = NULL;
    }
    pthread_mutex_lock(&zk->mu);
    kn_zk_watch_unlink(zk, w);
    if (q != NULL) {
        q->path = kn_strdup(path != NULL ? path : "");
        q->cb = w->cb;
        q->ud = w->ud;
        q->gen = zk->gen;
        zk_enqueue(zk, q);
    }
    pthread_mutex_unlock(&zk->mu);
    free(w);
}

/* --------------------------------------------------------- handle life */

static zhandle_t *zk_open_handle(kn_zk_t *zk, const clientid_t *cid)
{
    zhandle_t *zh = zookeeper_init2(zk->connect, zk_session_watcher, zk->session_timeout_ms,
                                    cid, zk, ZOO_NO_LOG_CLIENTENV, zk_log_cb);
    if (zh == NULL) {
        kn_log_error(KN_ZK_LOG, "cannot open a ZooKeeper handle for %s: %s", zk->connect,
                     strerror(errno));
    }
    return zh;
}

/* Close the current handle (loop thread) and free the watch contexts it
 * held: after zookeeper_close() returns its threads are gone, so nothing
 * can fire them any more. */
static void zk_close_handle(kn_zk_t *zk)
{
    zhandle_t *zh;
    kn_zk_watch_t *w, *next;

    pthread_rwlock_wrlock(&zk->hlock);
    zh = zk->zh;
    zk->zh = NULL;
    pthread_rwlock_unlock(&zk->hlock);
    if (zh != NULL) {
        zookeeper_close(zh);
    }
    pthread_mutex_lock(&zk->mu);
    w = zk->watches;
    zk->watches = NULL;
    zk->connected = false;
    zk->was_connected = false;
    zk->gen++;
    pthread_mutex_unlock(&zk->mu);
    for (; w != NULL; w = next) {
        next = w->next;
        free(w);
    }
}

/* Replace an expired handle by a fresh session. Loop thread. */
static void zk_renew(kn_zk_t *zk)
{
    zhandle_t *zh;

    zk_close_handle(zk);
    kn_log_info(KN_ZK_LOG, "opening a new ZooKeeper session to %s", zk->connect);
    zh = zk_open_handle(zk, NULL);
    pthread_rwlock_wrlock(&zk->hlock);
    zk->zh = zh;
    pthread_rwlock_unlock(&zk->hlock);
}

static void zk_parse_connect(kn_zk_t *zk, const char *connect)
{
    const char *slash = strchr(connect, '/');
    size_t clen;

    if (slash == NULL) {
        zk->hosts = kn_strdup(connect);
        zk->connect = kn_strdup(connect);
        return;
    }
    zk->hosts = kn_strndup(connect, (size_t) (slash - connect));
    clen = strlen(slash);
    while (clen > 1 && slash[clen - 1] == '/') {
        clen--;   /* "/kanal/" means "/kanal" */
    }
    if (clen <= 1) {
        zk->connect = kn_strdup(zk->hosts);
        return;
    }
    zk->chroot = kn_strndup(slash, clen);
    zk->connect = kn_malloc(strlen(zk->hosts) + clen + 1);
    sprintf(zk->connect, "%s%s", zk->hosts, zk->chroot);
}

/* Absolute deadline for pthread_cond_timedwait. */
static void zk_deadline(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long) (timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* State shared with the bootstrap handle's watcher in zk_ensure_chroot(). */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bool connected;
} kn_zk_boot_t;

static void zk_boot_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    kn_zk_boot_t *boot = ctx;

    KN_UNUSED(zh);
    KN_UNUSED(path);
    if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE) {
        pthread_mutex_lock(&boot->mu);
        boot->connected = true;
        pthread_cond_broadcast(&boot->cond);
        pthread_mutex_unlock(&boot->mu);
    }
}

/* Make sure the chroot node exists, creating it and its parents through a
 * handle without chroot. Returns a ZooKeeper code. */
static int zk_ensure_chroot(kn_zk_t *zk, int timeout_ms)
{
    kn_zk_boot_t boot;
    struct timespec ts;
    zhandle_t *zh;
    char *path;
    int rc = ZOK;

    pthread_mutex_lock(&zk->mu);
    if (zk->chroot == NULL || zk->chroot_ready) {
        pthread_mutex_unlock(&zk->mu);
        return ZOK;
    }
    pthread_mutex_unlock(&zk->mu);

    memset(&boot, 0, sizeof(boot));
    pthread_mutex_init(&boot.mu, NULL);
    pthread_cond_init(&boot.cond, NULL);
    zh = zookeeper_init2(zk->hosts, zk_boot_watcher, zk->session_timeout_ms, NULL, &boot,
                         ZOO_NO_LOG_CLIENTENV, zk_log_cb);
    if (zh == NULL) {
        rc = ZSYSTEMERROR;
        goto out;
    }
    zk_deadline(&ts, timeout_ms);
    pthread_mutex_lock(&boot.mu);
    while (!boot.connected) {
        if (pthread_cond_timedwait(&boot.cond, &boot.mu, &ts) == ETIMEDOUT) {
            break;
        }
    }
    rc = boot.connected ? ZOK : ZOPERATIONTIMEOUT;
    pthread_mutex_unlock(&boot.mu);

    /* Create each prefix of the chroot in turn: "/a", "/a/b", ... */
    path = kn_strdup(zk->chroot);
    for (char *p = path + 1; rc == ZOK; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            rc = zoo_create(zh, path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
            if (rc == ZNODEEXISTS) {
                rc = ZOK;
            }
            *p = saved;
            if (saved == '\0') {
                break;
            }
        }
    }
    free(path);
    zookeeper_close(zh);
    if (rc == ZOK) {
        pthread_mutex_lock(&zk->mu);
        zk->chroot_ready = true;
        pthread_mutex_unlock(&zk->mu);
    }
out:
    if (rc != ZOK) {
        kn_log_error(KN_ZK_LOG, "cannot create the ZooKeeper chroot %s on %s: %s", zk->chroot,
                     zk->hosts, zerror(rc));
    }
    pthread_cond_destroy(&boot.cond);
    pthread_mutex_destroy(&boot.mu);
    return rc;
}

static void zk_destroy(kn_zk_t *zk)
{
    kn_zk_qev_t *q, *next;

    zk_close_handle(zk);
    event_free(zk->wake);
    event_free(zk->expire_timer);
    for (q = zk->qhead; q != NULL; q = next) {
        next = q->next;
        zk_qev_free(q);
    }
    pthread_rwlock_destroy(&zk->hlock);
    pthread_cond_destroy(&zk->cond);
    pthread_mutex_destroy(&zk->mu);
    free(zk->connect);
    free(zk->hosts);
    free(zk->chroot);
    free(zk);
}

/* -------------------------------------------------------- loop side */

static void zk_expire_timer_cb(evutil_socket_t fd, short what, void *arg)
{
    kn_zk_t *zk = arg;
    bool connected;

    KN_UNUSED(fd);
    KN_UNUSED(what);
    pthread_mutex_lock(&zk->mu);
    connected = zk->connected;
    if (!connected) {
        /* Whatever the old handle still had queued is now stale. */
        zk_queue_session(zk, KN_ZK_SESSION_EXPIRED, false);
        zk->gen++;
        zk->qtail->gen = zk->gen;
    }
    pthread_mutex_unlock(&zk->mu);
    if (!connected) {
        kn_log_warn(KN_ZK_LOG, "no contact with ZooKeeper for %d ms (the session timeout): "
                    "treating the session as expired", zk->session_timeout_ms);
    }
}

static void zk_deliver_session(kn_zk_t *zk, kn_zk_qev_t *q)
{
    struct timeval tv;

    switch (q->sev) {
    case KN_ZK_SESSION_CONNECTED:
        evtimer_del(zk->expire_timer);
        zk_ensure_chroot(zk, zk->session_timeout_ms);
        pthread_mutex_lock(&zk->mu);
        zk->renewed = q->renewed;
        pthread_mutex_unlock(&zk->mu);
        kn_log_info(KN_ZK_LOG, "connected to ZooKeeper %s (%s session)", zk->connect,
                    q->renewed ? "new" : "same");
        break;
    case KN_ZK_SESSION_DISCONNECTED:
        kn_log_warn(KN_ZK_LOG, "lost the connection to ZooKeeper %s", zk->connect);
        tv.tv_sec = zk->session_timeout_ms / 1000;
        tv.tv_usec = (zk->session_timeout_ms % 1000) * 1000;
        evtimer_add(zk->expire_timer, &tv);
        break;
    case KN_ZK_SESSION_EXPIRED:
        evtimer_del(zk->expire_timer);
        kn_log_warn(KN_ZK_LOG, "ZooKeeper session expired");
        break;
    case KN_ZK_SESSION_AUTH_FAILED:
        kn_log_error(KN_ZK_LOG, "ZooKeeper authentication failed");
        break;
    }
    if (zk->cb != NULL) {
        zk->cb(zk, q->sev, zk->ud);
    }
    if (q->sev == KN_ZK_SESSION_EXPIRED && !zk->free_requested) {
        bool reconnect;
        pthread_mutex_lock(&zk->mu);
        reconnect = zk->reconnect;
        pthread_mutex_unlock(&zk->mu);
        if (reconnect) {
            zk_renew(zk);
        } else {
            zk_close_handle(zk);
        }
    }
}

static void zk_dispatch_cb(evutil_socket_t fd, short what, void *arg)
{
    kn_zk_t *zk = arg;
    kn_zk_qev_t *list, *q;

    KN_UNUSED(fd);
    KN_UNUSED(what);
    zk->in_dispatch = true;
    for (;;) {
        pthread_mutex_lock(&zk->mu);
        list = zk->qhead;
        zk->qhead = zk->qtail = NULL;
        pthread_mutex_unlock(&zk->mu);
        if (list == NULL) {
            break;
        }
        while (list != NULL) {
            uint64_t gen;
            q = list;
            list = q->next;
            pthread_mutex_lock(&zk->mu);
            gen = zk->gen;
            pthread_mutex_unlock(&zk->mu);
            if (zk->free_requested) {
                /* Owner is gone: drop the rest. */
            } else if (q->is_session) {
                /* A session event from a handle we already replaced says
                 * nothing about the current session. */
                if (q->gen == gen) {
                    zk_deliver_session(zk, q);
                }
            } else if (q->cb != NULL) {
                q->cb(zk, q->wev, q->path, q->ud);
            }
            zk_qev_free(q);
        }
    }
    zk->in_dispatch = false;
    if (zk->free_requested) {
        zk_destroy(zk);
    }
}

/* ----------------------------------------------------------- public */

static kn_zk_t *zk_new(struct event_base *base, const char *connect, int session_timeout_ms,
                       const clientid_t *cid, kn_zk_session_cb cb, void *ud)
{
    kn_zk_t *zk;

    pthread_once(&kn_zk_once, zk_global_init);
    zk = kn_calloc(1, sizeof(*zk));
    zk->base = base;
    zk->session_timeout_ms = session_timeout_ms > 0 ? session_timeout_ms : 18000;
    zk->cb = cb;
    zk->ud = ud;
    zk->reconnect = true;
    zk->session_id = cid != NULL ? cid->client_id : 0;
    zk_parse_connect(zk, connect);
    pthread_rwlock_init(&zk->hlock, NULL);
    pthread_mutex_init(&zk->mu, NULL);
    pthread_cond_init(&zk->cond, NULL);
    zk->wake = event_new(base, -1, 0, zk_dispatch_cb, zk);
    zk->expire_timer = evtimer_new(base, zk_expire_timer_cb, zk);
    if (zk->wake == NULL || zk->expire_timer == NULL) {
        kn_log_error(KN_ZK_LOG, "cannot create libevent events");
        goto fail;
    }
    zk->zh = zk_open_handle(zk, cid);
    if (zk->zh == NULL) {
        goto fail;
    }
    return zk;
fail:
    if (zk->wake != NULL) {
        event_free(zk->wake);
        zk->wake = NULL;
    }
    if (zk->expire_timer != NULL) {
        event_free(zk->expire_timer);
        zk->expire_timer = NULL;
    }
    pthread_rwlock_destroy(&zk->hlock);
    pthread_cond_destroy(&zk->cond);
    pthread_mutex_destroy(&zk->mu);
    free(zk->connect);
    free(zk->hosts);
    free(zk->chroot);
    free(zk);
    return NULL;
}

kn_zk_t *kn_zk_new(struct event_base *base, const char *connect, int session_timeout_ms,
                   kn_zk_session_cb cb, void *ud)
{
    return zk_new(base, connect, session_timeout_ms, NULL, cb, ud);
}

kn_zk_t *kn_zk_new_with_session(struct event_base *base, const char *connect,
                                int session_timeout_ms, int64_t session_id,
                                const char *passwd, int passwd_len,
                                kn_zk_session_cb cb, void *ud)
{
    clientid_t cid;

    memset(&cid, 0, sizeof(cid));
    cid.client_id = session_id;
    if (passwd != NULL && passwd_len > 0) {
        memcpy(cid.passwd, passwd, (size_t) KN_MIN(passwd_len, (int) sizeof(cid.passwd)));
    }
    return zk_new(base, connect, session_timeout_ms, &cid, cb, ud);
}

int kn_zk_wait_connected(kn_zk_t *zk, int timeout_ms)
{
    struct timespec ts;
    int64_t start = kn_mono_ms();
    bool connected;
    int left;

    zk_deadline(&ts, timeout_ms);
    pthread_mutex_lock(&zk->mu);
    while (!zk->connected) {
        if (pthread_cond_timedwait(&zk->cond, &zk->mu, &ts) == ETIMEDOUT) {
            break;
        }
    }
    connected = zk->connected;
    pthread_mutex_unlock(&zk->mu);
    if (!connected) {
        return ZOPERATIONTIMEOUT;
    }
    left = timeout_ms - (int) (kn_mono_ms() - start);
    return zk_ensure_chroot(zk, KN_MAX(left, 1000));
}

void kn_zk_free(kn_zk_t *zk)
{
    if (zk == NULL) {
        return;
    }
    if (zk->in_dispatch) {
        /* Called from one of our callbacks: finish when dispatch unwinds. */
        zk->free_requested = true;
        return;
    }
    zk_destroy(zk);
}

bool kn_zk_connected(kn_zk_t *zk)
{
    bool c;
    pthread_mutex_lock(&zk->mu);
    c = zk->connected;
    pthread_mutex_unlock(&zk->mu);
    return c;
}

bool kn_zk_session_renewed(kn_zk_t *zk)
{
    bool r;
    pthread_mutex_lock(&zk->mu);
    r = zk->renewed;
    pthread_mutex_unlock(&zk->mu);
    return r;
}

void kn_zk_set_reconnect(kn_zk_t *zk, bool on)
{
    pthread_mutex_lock(&zk->mu);
    zk->reconnect = on;
    pthread_mutex_unlock(&zk->mu);
}

int64_t kn_zk_session_id(kn_zk_t *zk, char passwd[16], int *passwd_len)
{
    int64_t id = 0;

    pthread_rwlock_rdlock(&zk->hlock);
    if (zk->zh != NULL) {
        const clientid_t *cid = zoo_client_id(zk->zh);
        if (cid != NULL) {
            id = cid->client_id;
            if (passwd != NULL) {
                memcpy(passwd, cid->passwd, 16);
            }
        }
    }
    pthread_rwlock_unlock(&zk->hlock);
    if (passwd_len != NULL) {
        *passwd_len = 16;
    }
    return id;
}

const char *kn_zk_strerror(int rc)
{
    return zerror(rc);
}
