/*
 * broker/replica/replica_int.h -- private to broker/replica/: the replica
 * manager's tables, shared by partition.c (leader side, table, ISR), fetcher.c
 * (follower side) and rconn.c (the blocking inter-broker connection).
 * Not a contract; other subsystems use replica.h.
 */
#ifndef KN_BROKER_REPLICA_INT_H
#define KN_BROKER_REPLICA_INT_H

#include <pthread.h>

#include <openssl/ssl.h>

#include "broker/replica/replica.h"
#include "buf.h"

struct event;
struct event_base;

#define KN_RP_BUCKETS 1024
#define KN_RP_MAX_REPLICAS 64

/* What the leader knows about one follower. Times are monotonic ms. */
typedef struct {
    int32_t id;
    int64_t leo;                 /* its log end offset, -1 = unknown */
    int64_t last_caught_up_ms;   /* last time it had everything we had */
    int64_t last_fetch_ms;       /* time of its previous fetch */
    int64_t last_fetch_leader_leo; /* our log end at its previous fetch */
} kn_rp_follower_t;

/* Follower-side progress of a partition. */
typedef enum {
    KN_RP_TRUNCATING = 0,        /* must ask OffsetForLeaderEpoch first */
    KN_RP_FETCHING = 1
} kn_rp_fstate_t;

/* One partition this broker hosts (leader or follower). Guarded by r->lock. */
typedef struct kn_rp_s {
    struct kn_rp_s   *next;          /* hash chain */
    struct kn_rp_s   *all_prev, *all_next; /* list of every partition */
    char             *topic;
    int32_t           partition;
    kn_log_t         *log;           /* own reference */
    uint64_t          gen;           /* bumped by every apply: detects changes */
    bool              leader;
    int32_t           leader_id;
    int32_t           leader_epoch;
    int32_t           zk_version;
    int32_t           min_isr;
    int32_t           replicas[KN_RP_MAX_REPLICAS];
    int               n_replicas;

    /* leader state */
    int32_t           isr[KN_RP_MAX_REPLICAS];
    int               n_isr;
    kn_rp_follower_t  followers[KN_RP_MAX_REPLICAS];
    int               n_followers;
    int64_t           epoch_start_offset; /* our log end when we became leader */
    bool              alter_pending;  /* an AlterIsr for it is in flight */
    int32_t           pending_isr[KN_RP_MAX_REPLICAS]; /* what we proposed */
    int               n_pending_isr;

    /* follower state */
    kn_rp_fstate_t    fstate;
    int64_t           backoff_until_ms;
} kn_rp_t;

typedef struct kn_fetcher_s kn_fetcher_t;

struct kn_repl_s {
    kn_broker_t       *b;
    int32_t            self;
    pthread_mutex_t    lock;          /* the table and every kn_rp_t */
    pthread_cond_t     cond;          /* fetchers wait here for work */
    kn_rp_t          **buckets;
    kn_rp_t           *all;           /* every partition (list head) */
    int                n_leading, n_following;
    volatile int       stopping;

    /* configuration */
    int64_t            lag_max_ms;    /* replica.lag.time.max.ms */
    int32_t            fetch_max_bytes;
    int32_t            fetch_resp_max_bytes;
    int32_t            fetch_wait_ms;
    int32_t            fetch_min_bytes;
    int32_t            backoff_ms;
    int32_t            socket_timeout_ms;
    int32_t            default_min_isr;

    /* ISR maintenance on the main loop */
    struct event      *isr_timer;
    bool               isr_work_queued; /* a run_on to the main loop is pending */
    bool               alter_inflight;
    int64_t            alter_sent_ms;
    int64_t            hw_ckpt_ms;    /* replica.high.watermark.checkpoint.interval.ms */
    int64_t            hw_ckpt_last;  /* when the checkpoints were last written */

    /* controlled shutdown (shutdown.c; main thread) */
    bool               cs_answered;   /* the controller answered */
    int32_t            cs_error;
    struct { char *topic; int32_t partition; } *cs_remaining; /* still led by us */
    int                cs_n_remaining;

    /* fetchers, one per source broker */
    kn_fetcher_t      *fetchers;
    SSL_CTX           *ssl;           /* client context for SSL inter-broker */
};

/* partition.c */
kn_rp_t *kn_rp_find(kn_repl_t *r, const char *topic, int32_t partition);
/* The ISR maintenance pass (main thread): shrink/expand proposals. */
void kn_repl_isr_pass(kn_repl_t *r);

/* fetcher.c */
/* Where a follower truncates (KIP-101 / KIP-279), from its log end and HW,
 * the leader's answer (end_epoch, end_offset) for our latest epoch, and our
 * own end of end_epoch (my_epoch, my_end from kn_log_epoch_end_offset).
 * *complete is false when another OffsetForLeaderEpoch round must follow. */
int64_t kn_repl_truncation_offset(int64_t leo, int64_t hw, int32_t end_epoch, int64_t end_offset,
                                  int32_t my_epoch, int64_t my_end, bool *complete);
/* The ISR the leader of rp would propose now (lock held); true if it
 * differs from the current one (partition.c). */
bool kn_rp_desired_isr(kn_repl_t *r, kn_rp_t *rp, int64_t now_ms, int32_t *out, int *n_out);
/* Make sure a fetcher thread for `source` exists and wake every fetcher
 * (caller holds r->lock). With kick, a request the fetcher has in flight
 * (a long poll) is cut short so the new partition joins at once. */
void kn_fetcher_ensure(kn_repl_t *r, int32_t source, bool kick);
/* Stop and join every fetcher (r->stopping is set; lock not held). */
void kn_fetchers_stop(kn_repl_t *r);

/* rconn.c: a blocking Kafka-protocol connection to another broker. */
typedef struct kn_rconn_s kn_rconn_t;
/* Connect (TCP, then TLS when ssl != NULL) within timeout_ms. NULL with a
 * reason in err on failure. */
kn_rconn_t *kn_rconn_open(const char *host, int port, SSL_CTX *ssl, int timeout_ms, char *err,
                          size_t errlen);
/* Send one request frame (the 4-byte length is added here) and read the
 * response frame into resp (its body: correlation id onwards), each within
 * timeout_ms. The frame may be at most max_bytes. KN_OK / KN_ERROR (err). */
int kn_rconn_roundtrip(kn_rconn_t *c, const kn_wbuf_t *req, kn_wbuf_t *resp, int timeout_ms,
                       size_t max_bytes, char *err, size_t errlen);
/* Interrupt a blocked roundtrip from another thread (shutdown(2)). */
void kn_rconn_abort(kn_rconn_t *c);
void kn_rconn_close(kn_rconn_t *c);

#endif /* KN_BROKER_REPLICA_INT_H */
