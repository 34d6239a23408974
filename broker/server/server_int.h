/*
 * broker/server/server_int.h -- private structures shared by the files of
 * broker/server/ (server.c, conn.c, dispatch.c). Nothing outside this
 * folder includes it.
 */
#ifndef KN_SERVER_INT_H
#define KN_SERVER_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "broker/server/server.h"

struct bufferevent;
struct evconnlistener;

/* Per-connection limits that keep one client from hogging a worker: stop
 * reading when this many requests wait for their turn or this much output
 * is queued, resume when both are back under the low marks. */
#define KN_CONN_MAX_INFLIGHT   128
#define KN_CONN_LOW_INFLIGHT   32
#define KN_CONN_MAX_OUTPUT     (16 * 1024 * 1024)
#define KN_CONN_LOW_OUTPUT     (4 * 1024 * 1024)
/* Request bytes held by unanswered requests (one request of any allowed
 * size always gets in; the limit stops a pipeline of big ones). */
#define KN_CONN_MAX_INFLIGHT_BYTES (32 * 1024 * 1024)
#define KN_CONN_LOW_INFLIGHT_BYTES (8 * 1024 * 1024)

typedef struct kn_worker_s {
    kn_server_t       *srv;
    int                idx;
    struct event_base *base;
    pthread_t          thread;
    bool               thread_started;
    kn_conn_t         *conns;        /* open connections on this loop */
} kn_worker_t;

/* What a listening socket's callback needs to find its server. */
typedef struct {
    kn_server_t *srv;
    size_t       idx;                     /* into srv->opts.listeners */
} kn_lctx_t;

struct kn_server_s {
    kn_server_opts_t       opts;          /* copy; listeners hold bound ports */
    kn_lctx_t              lctx[KN_LISTENERS_MAX];
    kn_worker_t           *workers;
    int                    nworkers;
    struct evconnlistener *lev[KN_LISTENERS_MAX];  /* on worker 0 */
    unsigned               next_worker;   /* round-robin (worker 0 only) */
    atomic_int             nconns;
    bool                   started;
    atomic_bool            stopped;       /* read by workers when accepting */
    /* Shutdown waits here for connections to drain their output. */
    pthread_mutex_t        mu;
    pthread_cond_t         cond;
};

typedef enum {
    KN_RQ_IN_HANDLER = 0,   /* handler running */
    KN_RQ_PARKED,           /* handler returned KN_AGAIN */
    KN_RQ_DONE,             /* response ready, waiting for its turn */
    KN_RQ_DECLINED          /* no response (acks=0) */
} kn_rq_state_t;

/* A zero-copy piece of the response body (kn_req_add_file_range). */
typedef struct {
    size_t  at;      /* insertion point: offset in the memory body */
    int     fd;      /* our own dup, closed when sent or dropped */
    int64_t pos;
    int32_t len;
} kn_file_range_t;

/* The network layer's view of a request: the handler's kn_req_t first, so
 * req->ext can point back at the container. */
typedef struct kn_reqx_s {
    kn_req_t          req;
    uint8_t          *frame;       /* owned; req.body and client_id view it */
    int32_t           frame_len;
    kn_rq_state_t     state;
    bool              resp_v1;     /* response header v1 */
    kn_wbuf_t         resp;        /* response body (memory part) */
    kn_file_range_t  *ranges;
    size_t            nranges, cap_ranges;
    int64_t           file_bytes;  /* sum of range lengths */
    struct kn_reqx_s *next;        /* connection's FIFO */
} kn_reqx_t;

struct kn_conn_s {
    kn_worker_t        *w;
    const kn_listener_t *lst;
    struct bufferevent *bev;
    bool                tls;
    bool                draining;      /* shutting down: no more reads */
    bool                read_paused;   /* backpressure */
    bool                principal_set;
    int32_t             frame_size;    /* -1: waiting for the 4-byte size */
    uint8_t            *fbuf;          /* plaintext: body being read straight */
    size_t              fgot, fcap;    /* into fbuf (bytes in, bytes allocated) */
    int                 inflight;      /* entries in the FIFO */
    int64_t             inflight_bytes; /* their frame sizes */
    kn_reqx_t          *q_head, *q_tail;
    char                peer[64];
    char                principal[256];
    kn_conn_t          *prev, *next;   /* worker's list */
};

/* conn.c */
void kn_conn_accepted(kn_worker_t *w, const kn_listener_t *lst, int fd,
                      const struct sockaddr *sa, int salen);
/* Close now: parked requests are orphaned (req->conn = NULL), everything
 * else is freed. */
void kn_conn_close(kn_conn_t *c);
/* Stop reading and close once the output is flushed. */
void kn_conn_drain(kn_conn_t *c);
/* Push finished responses at the head of the FIFO into the output. Returns
 * KN_ERROR if the connection had to be closed. */
int kn_conn_flush(kn_conn_t *c);
/* Compute the "User:..." principal of a TLS peer (once). */
void kn_conn_principal(kn_conn_t *c);

/* dispatch.c */
/* Handle one complete frame (ownership of frame passes). Returns KN_ERROR
 * if the connection was closed. */
int kn_dispatch_frame(kn_conn_t *c, uint8_t *frame, int32_t len);
void kn_reqx_free(kn_reqx_t *rx);
/* Wire size of the response frame after the 4-byte length prefix. */
int64_t kn_reqx_response_size(const kn_reqx_t *rx);

/* server.c */
void kn_server_conn_gone(kn_server_t *srv);

#endif /* KN_SERVER_INT_H */
