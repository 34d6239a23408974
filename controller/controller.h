/*
 * controller/controller.h -- the kanal-controller's internal contract.
 *
 * The controller is split in rooms:
 *   assign.c    pure functions over partition state (leader election, ISR
 *               changes, replica assignment); no I/O, unit-tested alone
 *   state.c     the in-memory cluster model and its ZooKeeper mirror:
 *               loading brokers/topics/partition states, fenced writes
 *   events.c    what happens when the cluster changes: broker death and
 *               return, new topics/partitions, deletions, AlterIsr,
 *               ControlledShutdown
 *   election.c  winning /controller, the epoch, resigning
 *   channel.c   the control endpoint: broker sessions and the messages
 *               pushed to them
 *   main.c      configuration and start-up
 *
 * Everything runs on one libevent loop; ZooKeeper calls are synchronous
 * (common/zk/zk.h) and watch events arrive on the same loop.
 */
#ifndef KN_CONTROLLER_H
#define KN_CONTROLLER_H

#include <jansson.h>
#include <openssl/ssl.h>

#include "kn.h"
#include "net/ctlchan.h"
#include "zk/zk.h"

/* ---- pure model (assign.c) ------------------------------------------- */

/* A small ordered set of broker ids (order matters: assignment order). */
typedef struct {
    int32_t *v;
    int      n, cap;
} kn_ctl_ids_t;

void kn_ctl_ids_free(kn_ctl_ids_t *s);
void kn_ctl_ids_clear(kn_ctl_ids_t *s);
bool kn_ctl_ids_has(const kn_ctl_ids_t *s, int32_t id);
/* Append if absent. */
void kn_ctl_ids_add(kn_ctl_ids_t *s, int32_t id);
/* Remove if present (keeps the order of the rest); true if removed. */
bool kn_ctl_ids_remove(kn_ctl_ids_t *s, int32_t id);
void kn_ctl_ids_copy(kn_ctl_ids_t *dst, const kn_ctl_ids_t *src);
void kn_ctl_ids_set(kn_ctl_ids_t *dst, const int32_t *v, int n);
bool kn_ctl_ids_equal(const kn_ctl_ids_t *a, const kn_ctl_ids_t *b);

/* One partition's assignment and state, as in
 * /brokers/topics/<t>/partitions/<p>/state. */
typedef struct {
    int32_t      id;
    kn_ctl_ids_t replicas;         /* assignment order; replicas.v[0] is preferred */
    kn_ctl_ids_t isr;
    int32_t      leader;           /* -1 = offline */
    int32_t      leader_epoch;
    int32_t      controller_epoch; /* epoch of the controller that wrote the state */
    int32_t      zk_version;       /* state znode version; -1 = not written yet */
    bool         push_lai;         /* state changed: LeaderAndIsr to its replicas */
    bool         is_new;           /* first state ever (LeaderAndIsr is_new) */
} kn_ctl_part_t;

/* First-time state: ISR = live replicas in assignment order, leader = the
 * first of them, leader_epoch 0. With no live replica the leader is -1 and
 * the ISR holds every replica (none has data yet, so any may lead once it
 * appears; an empty ISR would leave the partition stuck for ever). */
void kn_ctl_part_init_state(kn_ctl_part_t *p, const kn_ctl_ids_t *live);

/* Make the state consistent with the live broker set: drop dead members
 * from the ISR (never emptying it), and if the leader is dead or absent
 * elect the first ISR member in assignment order that is live; with none,
 * leader -1 (offline) -- or, when `unclean`, the first live replica, whose
 * ISR then is just itself. Bumps leader_epoch on any change. Returns true
 * if the state changed. Used for broker death, broker return and after a
 * controller fail-over. */
bool kn_ctl_part_reconcile(kn_ctl_part_t *p, const kn_ctl_ids_t *live, bool unclean);

/* Controlled shutdown of `leaving` (`live` must exclude it). If it leads,
 * move leadership to the first other live ISR member in assignment order
 * and drop it from the ISR; if it follows, drop it from the ISR unless it
 * is the last member. Returns 1 if the state changed, 0 if nothing to do,
 * -1 if it leads and no other ISR member can take over (state unchanged). */
int kn_ctl_part_move_leader(kn_ctl_part_t *p, int32_t leaving, const kn_ctl_ids_t *live);

/* Preferred-leader election: if the first replica in the assignment is
 * live, in the ISR and not the leader, make it the leader (bump
 * leader_epoch) and return true. Undoes the drift left by fail-overs. */
bool kn_ctl_part_prefer_leader(kn_ctl_part_t *p, const kn_ctl_ids_t *live);

/* Validate an AlterIsr proposal from `broker`. KN_ERR_NONE if it may be
 * written; else NOT_LEADER_OR_FOLLOWER, FENCED_LEADER_EPOCH,
 * INVALID_UPDATE_VERSION, INVALID_REQUEST (empty ISR, duplicates, not a
 * replica, leader missing) or INELIGIBLE_REPLICA (a new member not live). */
kn_err_t kn_ctl_part_check_alter_isr(const kn_ctl_part_t *p, int32_t broker, int32_t leader_epoch,
                                     int32_t zk_version, const int32_t *new_isr, int n,
                                     const kn_ctl_ids_t *live);

/* Kafka's rack-unaware replica assignment: partition p's first replica is
 * brokers[(start + p) % n], followers spread by a shift that grows every n
 * partitions. out holds nparts * rf ids (row per partition). KN_ERROR if
 * rf < 1, rf > nbrokers or nparts < 1. */
int kn_ctl_assign_replicas(const int32_t *brokers, int nbrokers, int nparts, int rf,
                           int start, int32_t *out);

/* ---- the controller -------------------------------------------------- */

typedef struct kn_ctl_s kn_ctl_t;
typedef struct kn_ctl_sess_s kn_ctl_sess_t;
typedef struct kn_ctl_pool_s kn_ctl_pool_t;

typedef struct {
    char         *name;
    uint8_t       topic_id[16];
    bool          has_id;
    kn_ctl_part_t *parts;
    int           nparts;
    int           assignment_version; /* znode version of /brokers/topics/<t> */
    bool          watch_armed;       /* data watch on /brokers/topics/<t> pending */
    bool          dirty;             /* its data watch fired */
} kn_ctl_topic_t;

typedef struct {
    int32_t        id;
    int64_t        epoch;            /* czxid of /brokers/ids/<id> */
    json_t        *reg;              /* registration JSON */
    kn_ctl_sess_t *sess;             /* registered session, or NULL */
    bool           shutting_down;    /* ControlledShutdown received */
    bool           watch_armed;
} kn_ctl_broker_t;

typedef struct {
    int32_t     controller_id;
    char       *zk_connect;
    int         zk_session_timeout_ms;
    char       *listen_host;         /* bind address */
    int         listen_port;         /* 0 = any free port */
    bool        listen_ssl;
    char       *advertised_host;     /* published in /controller */
    SSL_CTX    *ssl;                 /* server context when listen_ssl */
    bool        unclean_election;
    bool        auto_rebalance;      /* auto.leader.rebalance.enable */
    int         rebalance_interval_ms; /* leader.imbalance.check.interval.seconds */
} kn_ctl_conf_t;

struct kn_ctl_s {
    kn_ctl_conf_t      conf;
    struct event_base *base;
    kn_zk_t           *zk;
    char               cluster_id[23];
    char               endpoint[300];    /* "PLAINTEXT://h:p" as published */

    /* election */
    bool               active;
    int32_t            epoch;            /* our controller epoch while active */
    int32_t            epoch_zkversion;  /* /controller_epoch version we wrote */
    struct event      *elect_ev;         /* deferred election attempt */

    /* model (valid while active) */
    kn_ctl_broker_t   *brokers;
    int                nbrokers;
    kn_ctl_topic_t    *topics;
    int                ntopics;
    bool               dirty_brokers, dirty_topics, dirty_deletes;
    bool               push_um;          /* UpdateMetadata to every broker */
    char             **deleted;          /* topics to announce as deleted */
    int                ndeleted;
    struct event      *work_ev;          /* deferred processing of watch events */
    bool               need_reconcile;   /* check every partition against live brokers */
    struct event      *retry_ev;         /* re-run processing after a ZooKeeper error */
    struct event      *rebalance_ev;     /* periodic preferred-leader election */
    bool               pref_watch_armed; /* watch on /admin/preferred_replica_election */

    /* channel */
    struct evconnlistener *listener;
    kn_ctl_sess_t     *sessions;
    int64_t            next_request_id;
    bool               stopping;
};

/* state.c */
kn_ctl_broker_t *kn_ctl_broker_find(kn_ctl_t *c, int32_t id);
kn_ctl_topic_t  *kn_ctl_topic_find(kn_ctl_t *c, const char *name);
kn_ctl_part_t   *kn_ctl_part_find(kn_ctl_t *c, const char *topic, int32_t partition,
                                  kn_ctl_topic_t **t_out);
/* Live brokers eligible for leadership (registered in ZooKeeper and not
 * shutting down), in id order. Caller frees with kn_ctl_ids_free. */
void kn_ctl_live_set(kn_ctl_t *c, kn_ctl_ids_t *out);
/* Load everything from ZooKeeper (arming watches). KN_ERROR on ZooKeeper
 * failure. */
int  kn_ctl_state_load(kn_ctl_t *c);
void kn_ctl_state_clear(kn_ctl_t *c);
/* Re-read the parts of ZooKeeper whose watches fired; brokers_gone/new
 * receive ids whose registration vanished/appeared (or changed epoch). */
int  kn_ctl_state_sync_brokers(kn_ctl_t *c, kn_ctl_ids_t *gone, kn_ctl_ids_t *added);
/* Topic children: loads new topics (appended at the end of c->topics; their
 * index range returned via first_new), drops topics gone from ZooKeeper
 * (their names are queued in c->deleted). */
int  kn_ctl_state_sync_topics(kn_ctl_t *c, int *first_new);
/* Re-read one topic's assignment; new partitions are appended with
 * zk_version -1. */
int  kn_ctl_state_reload_topic(kn_ctl_t *c, kn_ctl_topic_t *t);
void kn_ctl_topic_remove(kn_ctl_t *c, const char *name);
void kn_ctl_note_deleted(kn_ctl_t *c, const char *name);

#define KN_CTL_FENCED   (-10)  /* /controller_epoch moved on: we are deposed */
#define KN_CTL_CONFLICT (-11)  /* the state znode changed under us */

/* Write a partition state with a multi fenced on /controller_epoch's
 * version. p->zk_version -1 creates the znode (and its parents), otherwise
 * sets it conditionally. On KN_OK *new_version is the node's version.
 * Returns KN_OK, KN_CTL_FENCED, KN_CTL_CONFLICT or KN_ERROR. Standalone so
 * tests can show a deposed controller's write failing. */
int  kn_ctl_zk_write_state(kn_zk_t *zk, int32_t epoch_zkversion, const char *topic,
                           const kn_ctl_part_t *p, int32_t *new_version);
/* Write p's state as this controller (stamps controller_epoch, updates
 * zk_version, marks it for LeaderAndIsr). On KN_CTL_FENCED the controller
 * has resigned; on KN_CTL_CONFLICT p was reloaded from ZooKeeper. */
int  kn_ctl_state_write(kn_ctl_t *c, kn_ctl_topic_t *t, kn_ctl_part_t *p);
/* Parse a state JSON into p (leader, leader_epoch, isr, controller_epoch). */
int  kn_ctl_state_parse(const json_t *j, kn_ctl_part_t *p);
json_t *kn_ctl_state_json(const kn_ctl_part_t *p);

/* events.c */
/* Run the processing a watch asked for (deferred onto the loop). */
void kn_ctl_schedule_work(kn_ctl_t *c);
/* Bring freshly loaded state in line with live brokers (after winning). */
int  kn_ctl_on_elected(kn_ctl_t *c);
/* Process all dirty parts now (also called synchronously by Register). */
void kn_ctl_process(kn_ctl_t *c);
kn_err_t kn_ctl_handle_alter_isr(kn_ctl_t *c, const Kanal__Control__AlterIsr *req,
                                 Kanal__Control__AlterIsrResponse *resp,
                                 kn_ctl_pool_t *pool);
kn_err_t kn_ctl_handle_controlled_shutdown(kn_ctl_t *c, int32_t broker_id,
                                           Kanal__Control__ControlledShutdownResponse *resp,
                                           kn_ctl_pool_t *pool);

/* election.c */
int  kn_ctl_ensure_cluster_id(kn_zk_t *zk, char out[23]);
/* Start (or retry) the election; idempotent. */
void kn_ctl_elect(kn_ctl_t *c);
/* Give up the active role (fenced, or ZooKeeper session lost). */
void kn_ctl_resign(kn_ctl_t *c, const char *why);
void kn_ctl_zk_session_cb(kn_zk_t *zk, kn_zk_session_event_t ev, void *ud);

/* channel.c */
int  kn_ctl_listen(kn_ctl_t *c);
void kn_ctl_channel_close_all(kn_ctl_t *c);
/* Close the session of a broker that died. */
void kn_ctl_channel_drop_broker(kn_ctl_t *c, kn_ctl_broker_t *b);
/* Send what is pending: LeaderAndIsr for partitions with push_lai to their
 * live replicas, UpdateMetadata to all brokers if push_um. */
void kn_ctl_flush(kn_ctl_t *c);
/* Full sync of one newly registered broker. */
void kn_ctl_channel_sync_broker(kn_ctl_t *c, kn_ctl_broker_t *b);
/* StopReplica(delete_partition) for a topic's partitions to its replicas. */
void kn_ctl_channel_stop_topic(kn_ctl_t *c, const kn_ctl_topic_t *t);

/* A bump allocator for building outgoing protobuf messages: everything a
 * message points to comes from one pool, freed at once. */
kn_ctl_pool_t *kn_ctl_pool_new(void);
void *kn_ctl_pool_alloc(kn_ctl_pool_t *pool, size_t n);
char *kn_ctl_pool_strdup(kn_ctl_pool_t *pool, const char *s);
void  kn_ctl_pool_free(kn_ctl_pool_t *pool);
/* Fill a PartitionState (allocated from pool) for t/p. */
Kanal__Control__PartitionState *kn_ctl_part_msg(kn_ctl_t *c, const kn_ctl_topic_t *t,
                                                const kn_ctl_part_t *p, kn_ctl_pool_t *pool);

#endif /* KN_CONTROLLER_H */
