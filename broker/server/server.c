/*
 * broker/server/server.c -- worker threads, listening sockets and the
 * server's life cycle (see server.h).
 *
 * Worker 0 also owns the listeners; an accepted socket is handed to the
 * next worker with kn_server_run_on(), so accepting never touches another
 * loop's data. Shutdown runs in steps on each worker's own thread
 * (kn_srv_run_sync): fire parked operations, stop reading and let output
 * drain for a bounded time, then close what is left and stop the loops.
 */
#include "config.h"
#include "broker/server/server_int.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "broker/server/delayed.h"
#include "log.h"

/* How long a clean stop waits for connections to flush their output. */
#define KN_SERVER_DRAIN_MS 2000

static pthread_once_t kn_server_once = PTHREAD_ONCE_INIT;

static void kn_server_global_init(void)
{
    evthread_use_pthreads();
    /* A peer that resets its connection must not kill the broker: writes
     * to a dead socket return EPIPE instead of raising SIGPIPE. */
    signal(SIGPIPE, SIG_IGN);
}

void kn_server_opts_default(kn_server_opts_t *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->num_threads = 3;
    opts->max_request_bytes = 104857600;
    opts->sndbuf = 102400;
    opts->rcvbuf = 102400;
    opts->idle_ms = 600000;
}

/* ---- running a function on a worker and waiting for it ---------------- */

typedef struct {
    void (*fn)(kn_worker_t *w);
    kn_worker_t    *w;
    pthread_mutex_t mu;
    pthread_cond_t  cond;
    bool            done;
} kn_srv_sync_t;

static void kn_srv_sync_cb(void *arg)
{
    kn_srv_sync_t *s = arg;
    s->fn(s->w);
    pthread_mutex_lock(&s->mu);
    s->done = true;
    pthread_cond_signal(&s->cond);
    pthread_mutex_unlock(&s->mu);
}

static void kn_srv_run_sync(kn_worker_t *w, void (*fn)(kn_worker_t *w))
{
    if (!w->thread_started) {
        fn(w);   /* loop not running: we are the only thread touching it */
        return;
    }
    kn_srv_sync_t s = { .fn = fn, .w = w, .done = false };
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cond, NULL);
    kn_server_run_on(w->base, kn_srv_sync_cb, &s);
    pthread_mutex_lock(&s.mu);
    while (!s.done) {
        pthread_cond_wait(&s.cond, &s.mu);
    }
    pthread_mutex_unlock(&s.mu);
    pthread_mutex_destroy(&s.mu);
    pthread_cond_destroy(&s.cond);
}

/* ---- accepting -------------------------------------------------------- */

typedef struct {
    kn_worker_t            *w;
    const kn_listener_t    *lst;
    int                     fd;
    struct sockaddr_storage sa;
    int                     salen;
} kn_accept_t;

static void kn_accept_on_worker(void *arg)
{
    kn_accept_t *a = arg;
    if (a->w->srv->stopped) {
        close(a->fd);
    } else {
        kn_conn_accepted(a->w, a->lst, a->fd, (struct sockaddr *)&a->sa, a->salen);
    }
    free(a);
}

static void kn_server_accept_cb(struct evconnlistener *lev, evutil_socket_t fd,
                                struct sockaddr *sa, int salen, void *arg)
{
    kn_lctx_t *lc = arg;
    kn_server_t *srv = lc->srv;
    KN_UNUSED(lev);

    /* Round-robin: cheap, and connections are long-lived in Kafka, so
     * the spread stays even without measuring load. */
    kn_worker_t *w = &srv->workers[srv->next_worker++ % (unsigned)srv->nworkers];
    kn_accept_t *a = kn_calloc(1, sizeof(*a));
    a->w = w;
    a->lst = &srv->opts.listeners[lc->idx];
    a->fd = fd;
    if (salen > 0 && (size_t)salen <= sizeof(a->sa)) {
        memcpy(&a->sa, sa, (size_t)salen);
        a->salen = salen;
    }
    if (w->idx == 0) {
        kn_accept_on_worker(a);
    } else {
        kn_server_run_on(w->base, kn_accept_on_worker, a);
    }
}

static void kn_server_accept_error_cb(struct evconnlistener *lev, void *arg)
{
    kn_lctx_t *lc = arg;
    int e = EVUTIL_SOCKET_ERROR();
    KN_UNUSED(lev);
    /* EMFILE and friends: keep listening; the condition usually clears
     * when connections close. */
    kn_log_ratelimited(KN_LOG_ERROR, "server", "net.accept", 10000, "accept on listener %s failed: %s",
                       lc->srv->opts.listeners[lc->idx].name, evutil_socket_error_to_string(e));
}

/* Create, bind and listen; returns the fd or -1 with a reason. */
static int kn_server_bind(kn_listener_t *l, int rcvbuf, char *err, size_t errlen)
{
    struct addrinfo hints, *res = NULL;
    char port[16];
    int fd = -1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(port, sizeof(port), "%d", l->port);
    rc = getaddrinfo(l->host[0] ? l->host : NULL, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "listener %s: cannot resolve '%s': %s", l->name, l->host, gai_strerror(rc));
        return -1;
    }
    for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
        if (fd < 0) {
            continue;
        }
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        /* The receive buffer must be set before listen() for the TCP
         * window scale to take it into account; accepted sockets inherit. */
        if (rcvbuf > 0) {
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
        }
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen(fd, 1024) == 0) {
            break;
        }
        snprintf(err, errlen, "listener %s: cannot listen on %s:%d: %s", l->name,
                 l->host[0] ? l->host : "*", l->port, strerror(errno));
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET) {
            l->port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        } else if (ss.ss_family == AF_INET6) {
            l->port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        }
    }
    if (l->adv_port == 0) {
        l->adv_port = l->port;
    }
    evutil_make_socket_nonblocking(fd);
    return fd;
}

kn_server_t *kn_server_new(const kn_server_opts_t *opts, char *err, size_t errlen)
{
    pthread_once(&kn_server_once, kn_server_global_init);

    if (opts->nlisteners == 0 || opts->nlisteners > KN_LISTENERS_MAX) {
        snprintf(err, errlen, "server: need 1..%d listeners", KN_LISTENERS_MAX);
        return NULL;
    }
    for (size_t i = 0; i < opts->nlisteners; i++) {
        kn_security_protocol_t sp = opts->listeners[i].security;
        if (sp == KN_SEC_SASL_PLAINTEXT || sp == KN_SEC_SASL_SSL) {
            snprintf(err, errlen, "listener %s: security protocol %s is not supported yet",
                     opts->listeners[i].name, kn_security_protocol_name(sp));
            return NULL;
        }
        if (sp == KN_SEC_SSL && opts->ssl_ctx == NULL) {
            snprintf(err, errlen, "listener %s: SSL needs ssl.certificate.location and ssl.key.location",
                     opts->listeners[i].name);
            return NULL;
        }
    }

    kn_server_t *srv = kn_calloc(1, sizeof(*srv));
    srv->opts = *opts;
    if (srv->opts.num_threads < 1) {
        srv->opts.num_threads = 1;
    }
    if (srv->opts.ssl_ctx != NULL) {
        SSL_CTX_up_ref(srv->opts.ssl_ctx);
    }
    atomic_init(&srv->nconns, 0);
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->cond, NULL);
    srv->nworkers = srv->opts.num_threads;
    srv->workers = kn_calloc((size_t)srv->nworkers, sizeof(*srv->workers));
    for (int i = 0; i < srv->nworkers; i++) {
        kn_worker_t *w = &srv->workers[i];
        w->srv = srv;
        w->idx = i;
        w->base = event_base_new();
        if (w->base == NULL || kn_runq_attach(w->base) != KN_OK) {
            snprintf(err, errlen, "server: cannot create event loop %d", i);
            goto fail;
        }
    }
    for (size_t i = 0; i < srv->opts.nlisteners; i++) {
        kn_listener_t *l = &srv->opts.listeners[i];
        int fd = kn_server_bind(l, srv->opts.rcvbuf, err, errlen);
        if (fd < 0) {
            goto fail;
        }
        srv->lctx[i].srv = srv;
        srv->lctx[i].idx = i;
        srv->lev[i] = evconnlistener_new(srv->workers[0].base, kn_server_accept_cb, &srv->lctx[i],
                                         LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_THREADSAFE,
                                         -1, fd);
        if (srv->lev[i] == NULL) {
            close(fd);
            snprintf(err, errlen, "listener %s: cannot watch the socket", l->name);
            goto fail;
        }
        evconnlistener_set_error_cb(srv->lev[i], kn_server_accept_error_cb);
    }
    return srv;

fail:
    kn_server_free(srv);
    return NULL;
}

static void *kn_worker_main(void *arg)
{
    kn_worker_t *w = arg;
    event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

int kn_server_start(kn_server_t *srv)
{
    if (srv->started) {
        return KN_OK;
    }
    for (int i = 0; i < srv->nworkers; i++) {
        kn_worker_t *w = &srv->workers[i];
        if (pthread_create(&w->thread, NULL, kn_worker_main, w) != 0) {
            kn_log_error("server", "cannot start network thread %d", i);
            return KN_ERROR;
        }
        w->thread_started = true;
    }
    srv->started = true;
    for (size_t i = 0; i < srv->opts.nlisteners; i++) {
        const kn_listener_t *l = &srv->opts.listeners[i];
        kn_log_info("server", "listening on %s://%s:%d (%s), advertised as %s:%d", l->name,
                    l->host[0] ? l->host : "*", l->port, kn_security_protocol_name(l->security),
                    l->adv_host, l->adv_port);
    }
    return KN_OK;
}

void kn_server_stop_listeners(kn_server_t *srv)
{
    for (size_t i = 0; i < KN_LISTENERS_MAX; i++) {
        if (srv->lev[i] != NULL) {
            /* LEV_OPT_THREADSAFE: freeing from another thread is safe. */
            evconnlistener_free(srv->lev[i]);
            srv->lev[i] = NULL;
        }
    }
}

/* Step 1 on each worker: parked operations get their final call (their
 * handlers answer or drop), then connections stop reading and close as
 * soon as their output is flushed. */
static void kn_worker_drain(kn_worker_t *w)
{
    kn_delayed_shutdown_base(w->base);
    kn_conn_t *c = w->conns;
    while (c != NULL) {
        kn_conn_t *next = c->next;
        kn_conn_drain(c);
        c = next;
    }
}

/* Step 2: close whatever did not drain in time. */
static void kn_worker_close_all(kn_worker_t *w)
{
    kn_delayed_shutdown_base(w->base);
    while (w->conns != NULL) {
        kn_conn_close(w->conns);
    }
    event_base_loopbreak(w->base);
}

void kn_server_conn_gone(kn_server_t *srv)
{
    if (atomic_fetch_sub(&srv->nconns, 1) == 1) {
        pthread_mutex_lock(&srv->mu);
        pthread_cond_broadcast(&srv->cond);
        pthread_mutex_unlock(&srv->mu);
    }
}

void kn_server_stop(kn_server_t *srv)
{
    if (srv->stopped) {
        return;
    }
    /* Flag first: sockets accepted just before the listeners close are
     * then refused by their worker instead of joining a draining loop. */
    srv->stopped = true;
    kn_server_stop_listeners(srv);
    if (srv->started) {
        for (int i = 0; i < srv->nworkers; i++) {
            kn_srv_run_sync(&srv->workers[i], kn_worker_drain);
        }
        /* Bounded wait: a client that never reads must not hold up the
         * shutdown. */
        struct timespec deadline;
        clock_gettime(CLOCK_REALTIME, &deadline);
        deadline.tv_sec += KN_SERVER_DRAIN_MS / 1000;
        deadline.tv_nsec += (long)(KN_SERVER_DRAIN_MS % 1000) * 1000000L;
        if (deadline.tv_nsec >= 1000000000L) {
            deadline.tv_sec++;
            deadline.tv_nsec -= 1000000000L;
        }
        pthread_mutex_lock(&srv->mu);
        while (atomic_load(&srv->nconns) > 0) {
            if (pthread_cond_timedwait(&srv->cond, &srv->mu, &deadline) != 0) {
                break;
            }
        }
        pthread_mutex_unlock(&srv->mu);
        for (int i = 0; i < srv->nworkers; i++) {
            kn_srv_run_sync(&srv->workers[i], kn_worker_close_all);
        }
        for (int i = 0; i < srv->nworkers; i++) {
            kn_worker_t *w = &srv->workers[i];
            if (w->thread_started) {
                pthread_join(w->thread, NULL);
                w->thread_started = false;
            }
        }
    }
    /* Loops are stopped: leftovers in the run queues run here. */
    for (int i = 0; i < srv->nworkers; i++) {
        kn_worker_t *w = &srv->workers[i];
        if (w->base != NULL) {
            kn_worker_close_all(w);
            kn_runq_detach(w->base);
        }
    }
}

void kn_server_free(kn_server_t *srv)
{
    if (srv == NULL) {
        return;
    }
    kn_server_stop(srv);
    for (int i = 0; i < srv->nworkers; i++) {
        if (srv->workers[i].base != NULL) {
            event_base_free(srv->workers[i].base);
        }
    }
    free(srv->workers);
    if (srv->opts.ssl_ctx != NULL) {
        SSL_CTX_free(srv->opts.ssl_ctx);
    }
    pthread_mutex_destroy(&srv->mu);
    pthread_cond_destroy(&srv->cond);
    free(srv);
}

size_t kn_server_listener_count(const kn_server_t *srv)
{
    return srv->opts.nlisteners;
}

const kn_listener_t *kn_server_listener(const kn_server_t *srv, size_t i)
{
    return i < srv->opts.nlisteners ? &srv->opts.listeners[i] : NULL;
}

const kn_listener_t *kn_server_listener_by_name(const kn_server_t *srv, const char *name)
{
    for (size_t i = 0; i < srv->opts.nlisteners; i++) {
        if (strcmp(srv->opts.listeners[i].name, name) == 0) {
            return &srv->opts.listeners[i];
        }
    }
    return NULL;
}

int kn_server_worker_count(const kn_server_t *srv)
{
    return srv->nworkers;
}

struct event_base *kn_server_worker_base(const kn_server_t *srv, int i)
{
    return i >= 0 && i < srv->nworkers ? srv->workers[i].base : NULL;
}

int kn_server_conn_count(const kn_server_t *srv)
{
    return atomic_load(&srv->nconns);
}
