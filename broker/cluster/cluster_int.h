/*
 * broker/cluster/cluster_int.h -- private to broker/cluster/ and the admin
 * handlers: the cluster object's fields and the functions its files share.
 * Not a contract; other subsystems use cluster.h.
 */
#ifndef KN_CLUSTER_INT_H
#define KN_CLUSTER_INT_H

#include <pthread.h>

#include <openssl/ssl.h>

#include "broker/cluster/cluster.h"
#include "net/ctlchan.h"
#include "zk/zk.h"

struct event;
typedef struct kn_replica_s kn_replica_t;
typedef struct kn_admin_op_s kn_admin_op_t;

struct kn_cluster_s {
    kn_broker_t       *b;
    struct event_base *base;            /* broker->main_base */
    int32_t            broker_id;
    volatile int       stopping;

    /* ZooKeeper membership (zkreg.c) */
    kn_zk_t           *zk;
    int                session_timeout_ms;
    char              *cluster_id;
    char              *reg_json;        /* /brokers/ids/<id> payload */
    int64_t            broker_epoch;    /* atomic; -1 while unregistered */
    int64_t            reg_session;     /* ZooKeeper session that registered */
    struct event      *reg_retry_ev;    /* re-registration after expiry */
    int64_t            reg_deadline_ms; /* give up on a stale node after this */

    /* Controller session (ctlsession.c) */
    kn_ctlchan_t      *ch;
    bool               ch_up;
    char              *ctl_endpoint;    /* "SSL://h:p" the channel targets */
    int32_t            ctl_id;
    bool               ctl_watch_armed; /* a /controller watch is outstanding */
    SSL_CTX           *ssl;             /* client ctx for SSL:// endpoints */
    struct event      *ctl_retry_ev;
    int                ctl_backoff_ms;
    int64_t            next_request_id;
    int32_t            max_controller_epoch;  /* highest seen; fencing */

    /* Metadata cache (cluster.c) */
    pthread_rwlock_t   md_lock;
    kn_md_t           *md;

    /* Replica manager (replicas.c) */
    pthread_mutex_t    rep_lock;
    kn_replica_t     **replicas;        /* hash buckets (replicas.c) */

    /* Admin operations waiting for metadata (admin.c; main thread only) */
    kn_admin_op_t     *admin_ops;
};

/* cluster.c */
/* A broker config string that may be absent from the table (NULL then). */
const char *kn_cluster_cfg_str(kn_cluster_t *c, const char *key);
/* A cluster object without ZooKeeper or controller (unit tests). */
kn_cluster_t *kn_cluster_new_local(kn_broker_t *b);
void          kn_cluster_free_local(kn_cluster_t *c);
/* Controller-epoch fence: KN_ERR_NONE (and remember epoch) unless epoch is
 * lower than the highest seen, then KN_ERR_STALE_CONTROLLER_EPOCH. */
kn_err_t kn_cluster_fence(kn_cluster_t *c, int32_t controller_epoch);
/* Apply one controller message; fills the response body into reply (same
 * request id). Returns true if a reply should be sent. Main thread. */
bool kn_cluster_on_control(kn_cluster_t *c, const Kanal__Control__KnControl *msg,
                           Kanal__Control__KnControl *reply);
/* Free what kn_cluster_on_control() allocated inside reply. */
void kn_cluster_reply_free(Kanal__Control__KnControl *reply);

/* replicas.c */
/* Apply a LeaderAndIsr partition state that names this broker as a replica:
 * open/create the log and set leader/follower state. */
kn_err_t kn_replicas_become(kn_cluster_t *c, const Kanal__Control__PartitionState *ps,
                            int32_t controller_epoch);
/* Stop serving (and with delete, remove the log once unreferenced). */
kn_err_t kn_replicas_stop(kn_cluster_t *c, const char *topic, int32_t partition,
                          int32_t leader_epoch, bool delete_log);
void     kn_replicas_free_all(kn_cluster_t *c);

/* zkreg.c */
int  kn_zkreg_start(kn_cluster_t *c);
void kn_zkreg_stop(kn_cluster_t *c);

/* ctlsession.c */
void kn_ctlsession_start(kn_cluster_t *c);
/* Re-send Register (new broker epoch after a ZooKeeper session renewal). */
void kn_ctlsession_reregister(kn_cluster_t *c);
void kn_ctlsession_stop(kn_cluster_t *c);

/* admin.c: a new metadata snapshot is in; wake admin ops it satisfies. */
void kn_admin_on_metadata(kn_cluster_t *c);
void kn_admin_stop(kn_cluster_t *c);

#endif /* KN_CLUSTER_INT_H */
