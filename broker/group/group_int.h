/*
 * broker/group/group_int.h -- private to broker/group/ and the group
 * handlers (broker/handlers/groups.c): the in-memory group model, the
 * state machine (state.c), the record schemas (records.c) and the
 * coordinator object (coordinator.c). Not a contract; others use group.h.
 *
 * Locking: every kn_group_t and everything reachable from it is guarded by
 * the coordinator mutex (kn_gc_lock). The state machine functions never
 * lock; they expect the caller to hold it.
 */
#ifndef KN_GROUP_INT_H
#define KN_GROUP_INT_H

#include "broker/group/group.h"
#include "protocol/group.h"
#include "record/batch.h"

typedef struct kn_log_s kn_log_t;   /* broker/log/log.h */

/* Kafka's group states (GroupState.scala); Dead = being removed. */
typedef enum {
    KN_GS_EMPTY = 0,
    KN_GS_PREPARING,     /* PreparingRebalance: collecting JoinGroups */
    KN_GS_COMPLETING,    /* CompletingRebalance: waiting for the leader's SyncGroup */
    KN_GS_STABLE,
    KN_GS_DEAD
} kn_gstate_t;

/* Kafka's name of a state ("PreparingRebalance", ...). */
const char *kn_gstate_name(kn_gstate_t s);

/* A parked JoinGroup or SyncGroup. The state machine completes it by
 * encoding the response body into resp (at `version`), clearing the
 * member's pointer to it (*slot) and calling wake(); the owner (the
 * handler) frees it afterwards. A waiter still attached (slot != NULL) may
 * be taken back by its owner with kn_gwaiter_detach(). */
typedef struct kn_gwaiter_s kn_gwaiter_t;
struct kn_gwaiter_s {
    int16_t        api_key;    /* KN_API_JOIN_GROUP or KN_API_SYNC_GROUP */
    int16_t        version;    /* response version */
    bool           done;       /* resp is the final body */
    kn_wbuf_t      resp;
    kn_gwaiter_t **slot;       /* the member field pointing at us, or NULL */
    void         (*wake)(kn_gwaiter_t *w);  /* called under the lock when done */
    void          *ud;         /* the owner's */
};

void kn_gwaiter_init(kn_gwaiter_t *w, int16_t api_key, int16_t version);
/* Unhook an attached waiter from its member (timeout, shutdown). */
void kn_gwaiter_detach(kn_gwaiter_t *w);
/* Encode an error-only JoinGroup / SyncGroup answer and finish w. */
void kn_gwaiter_join_error(kn_gwaiter_t *w, kn_err_t err, const char *member_id);
void kn_gwaiter_sync_error(kn_gwaiter_t *w, kn_err_t err);

/* One protocol (assignor) a member supports, with its subscription. */
typedef struct {
    char    *name;
    uint8_t *meta;
    int32_t  meta_len;
} kn_gproto_t;

typedef struct kn_gmember_s kn_gmember_t;
struct kn_gmember_s {
    kn_gmember_t *next;          /* group's list, in join order */
    char         *id;
    char         *instance_id;   /* group.instance.id; NULL = dynamic member */
    char         *client_id;
    char         *client_host;
    int32_t       session_timeout_ms;
    int32_t       rebalance_timeout_ms;
    int           n_protocols;
    kn_gproto_t  *protocols;     /* in the member's preference order */
    uint8_t      *assignment;    /* from the leader's SyncGroup */
    int32_t       assignment_len;
    kn_gwaiter_t *join_w;        /* parked JoinGroup, if any */
    kn_gwaiter_t *sync_w;        /* parked SyncGroup, if any */
    int64_t       heartbeat_deadline;  /* monotonic ms; expired after it */
};

/* A member id handed out with MEMBER_ID_REQUIRED (JoinGroup v4+) that has
 * not joined with it yet. */
typedef struct {
    char   *id;
    int64_t deadline;            /* monotonic ms */
} kn_gpending_t;

/* One committed offset. */
typedef struct {
    char    *topic;
    int32_t  partition;
    int64_t  offset;
    int32_t  leader_epoch;       /* -1 if unknown */
    char    *metadata;           /* NULL = null */
    int64_t  commit_ts;          /* wall ms */
    int64_t  expire_ts;          /* wall ms from an explicit retention, -1 = none */
} kn_goffset_t;

typedef struct kn_group_s kn_group_t;
struct kn_group_s {
    kn_group_t   *next;          /* hash chain */
    char         *id;
    int32_t       partition;     /* __consumer_offsets partition */
    kn_gstate_t   state;
    int64_t       state_ts;      /* wall ms of the last state change */
    char         *protocol_type; /* "consumer"; NULL for offset-only groups */
    char         *protocol;      /* chosen assignor, NULL when Empty */
    int32_t       generation;
    char         *leader;        /* leader's member id */
    kn_gmember_t *members;
    int           n_members;
    kn_gpending_t *pending;
    int           n_pending, cap_pending;
    int64_t       rebalance_deadline;  /* monotonic ms (PreparingRebalance) */
    bool          initial_delay;       /* the deadline is the initial delay */
    int64_t       initial_remaining;   /* ms the initial delay may still grow */
    bool          new_member_added;    /* someone joined during the delay */
    bool          dirty;               /* metadata record must be written */
    kn_goffset_t *offsets;
    int           n_offsets, cap_offsets;
};

/* Settings the state machine needs (broker config). */
typedef struct {
    int32_t min_session_ms;      /* group.min.session.timeout.ms */
    int32_t max_session_ms;      /* group.max.session.timeout.ms */
    int32_t initial_delay_ms;    /* group.initial.rebalance.delay.ms */
    int32_t max_size;            /* group.max.size */
} kn_gconf_t;

/* ---- groups table (objects.c) ----------------------------------------------- */

#define KN_GTABLE_BUCKETS 1024

typedef struct {
    kn_group_t *buckets[KN_GTABLE_BUCKETS];
    int         count;
} kn_gtable_t;

kn_group_t *kn_gtable_find(kn_gtable_t *t, const char *id, size_t len);
/* Find or create (Empty, generation 0). */
kn_group_t *kn_gtable_get(kn_gtable_t *t, const char *id, size_t len, int32_t partition);
/* Insert a group that is not in t yet. */
void kn_gtable_insert(kn_gtable_t *t, kn_group_t *g);
/* Unlink g from t (does not free). */
void kn_gtable_remove(kn_gtable_t *t, kn_group_t *g);

kn_group_t *kn_group_new(const char *id, size_t len, int32_t partition);
/* Free g; waiters still attached are answered with err first. */
void kn_group_free(kn_group_t *g, kn_err_t err);

kn_gmember_t *kn_group_member(const kn_group_t *g, const char *id, size_t len);
/* Answer a member's parked requests with err / free a member. */
void kn_gmember_fail(kn_gmember_t *m, kn_err_t err);
void kn_gmember_free(kn_gmember_t *m);
/* Replace m's protocols with the request's / compare them (names,
 * subscriptions and order). */
void kn_gmember_set_protocols(kn_gmember_t *m, const kn_joingroup_req_t *r);
bool kn_gmember_same_protocols(const kn_gmember_t *m, const kn_joingroup_req_t *r);
/* The member's subscription for protocol name (NULL if none). */
const kn_gproto_t *kn_gmember_proto(const kn_gmember_t *m, const char *name);
kn_gmember_t *kn_group_static_member(const kn_group_t *g, const char *instance, size_t len);

/* ---- state machine (state.c); caller holds the lock, now = monotonic ms -- */

typedef struct {
    const char *client_id;       /* request header's client id ("" if null) */
    const char *client_host;     /* "/ip" as Kafka shows it */
} kn_gclient_t;

/* JoinGroup: answers w at once (errors, MEMBER_ID_REQUIRED, a repeated
 * join in CompletingRebalance/Stable) or parks it until the join phase
 * completes. Request-level validation (group id, session timeout,
 * protocols) happens here too. */
void kn_group_join(kn_group_t *g, const kn_gconf_t *cf, const kn_joingroup_req_t *r,
                   const kn_gclient_t *cl, kn_gwaiter_t *w, int64_t now);
/* SyncGroup: answers at once or parks until the leader's assignment. */
void kn_group_sync(kn_group_t *g, const kn_syncgroup_req_t *r, kn_gwaiter_t *w, int64_t now);
kn_err_t kn_group_heartbeat(kn_group_t *g, const kn_heartbeat_req_t *r, int64_t now);
/* One LeaveGroup member entry. */
kn_err_t kn_group_leave(kn_group_t *g, kn_slice_t member_id, kn_slice_t instance_id,
                        int64_t now);
/* Expire members and pending ids, finish rebalances whose time is up. */
void kn_group_timers(kn_group_t *g, const kn_gconf_t *cf, int64_t now);
/* Validation for OffsetCommit from a group member (generation >= 0) or a
 * simple client (generation < 0); KN_ERR_NONE if the commit may proceed. */
kn_err_t kn_group_commit_check(kn_group_t *g, int32_t generation, kn_slice_t member_id,
                               kn_slice_t instance_id, int64_t now);
/* Topics in the members' consumer-protocol subscriptions (for
 * OffsetDelete); true if topic is subscribed by some member. */
bool kn_group_subscribed(const kn_group_t *g, const char *topic);

/* ---- offsets (objects.c) --------------------------------------------------- */

kn_goffset_t *kn_group_offset(kn_group_t *g, const char *topic, int32_t partition);
/* Insert or replace (takes copies). */
void kn_group_offset_put(kn_group_t *g, const kn_goffset_t *o);
/* Remove one; true if it existed. */
bool kn_group_offset_del(kn_group_t *g, const char *topic, int32_t partition);
void kn_goffset_clear(kn_goffset_t *o);

/* ---- records of __consumer_offsets (records.c) ---------------------------- */

/* Kafka's schemas: offset key v1 (group, topic, partition), offset value
 * v1 (with expire timestamp) or v3 (with leader epoch); group key v2
 * (group), group value v3 (members with subscriptions and assignments). */
void kn_grec_offset_key(kn_wbuf_t *w, const char *group, const char *topic, int32_t partition);
void kn_grec_offset_value(kn_wbuf_t *w, const kn_goffset_t *o);
void kn_grec_group_key(kn_wbuf_t *w, const char *group);
void kn_grec_group_value(kn_wbuf_t *w, const kn_group_t *g);

/* Apply one record to t (loading): an offset upsert/tombstone or a group
 * upsert/tombstone. Groups are created as needed in `partition`; a group
 * restored with members comes back Stable with fresh session deadlines
 * (from now, monotonic). KN_OK, or KN_ERROR for a record we cannot parse
 * (skipped by the caller). */
int kn_grec_apply(kn_gtable_t *t, int32_t partition, kn_slice_t key, kn_slice_t value,
                  int64_t now);

/* Apply every record of a run of batches (a read from the log); returns the
 * number of records applied, -1 on a corrupt batch. */
int64_t kn_grec_apply_batches(kn_gtable_t *t, int32_t partition, const uint8_t *p, size_t len,
                              int64_t now);

/* ---- the coordinator object (coordinator.c) ------------------------------- */

typedef struct kn_gcoord_s kn_gcoord_t;

/* The process's coordinator, NULL before kn_group_start. */
kn_gcoord_t *kn_gc(void);
void kn_gc_lock(kn_gcoord_t *gc);
/* Unlock, then wake the parked requests whose waiters finished meanwhile. */
void kn_gc_unlock(kn_gcoord_t *gc);
kn_broker_t *kn_gc_broker(kn_gcoord_t *gc);
const kn_gconf_t *kn_gc_conf(kn_gcoord_t *gc);
/* The wake function for waiters owned by parked requests: queues
 * w->ud (a NUL-terminated delayed-op key) for notification at unlock. */
void kn_gc_wake(kn_gwaiter_t *w);

/* Under the lock: does this broker coordinate `group` right now?
 * KN_ERR_NONE (partition in *partition), NOT_COORDINATOR,
 * COORDINATOR_LOAD_IN_PROGRESS (a load is scheduled) or
 * COORDINATOR_NOT_AVAILABLE (no offsets topic yet). */
kn_err_t kn_gc_check(kn_gcoord_t *gc, const char *group, size_t len, int32_t *partition);
kn_gtable_t *kn_gc_groups(kn_gcoord_t *gc);
/* Under the lock: validate the group id (empty allowed only if empty_ok),
 * check coordination, then find (or with create, find or create) the
 * group. NULL with *err = KN_ERR_NONE means "no such group". */
kn_group_t *kn_gc_lookup(kn_gcoord_t *gc, kn_slice_t id, bool empty_ok, bool create,
                         kn_err_t *err, int32_t *partition);
/* OffsetCommit, OffsetFetch, ListGroups, DescribeGroups, DeleteGroups and
 * OffsetDelete (broker/handlers/group_offsets.c). */
void kn_group_register_offset_handlers(void);
/* After changing g: write its metadata record if dirty; drop it if Dead
 * and offset-less. g may be freed. */
void kn_gc_after(kn_gcoord_t *gc, kn_group_t *g);
/* Remove a group now (DeleteGroups): tombstones for its offsets and
 * metadata, then free. */
kn_err_t kn_gc_delete_group(kn_gcoord_t *gc, kn_group_t *g);

/* Append records to the leader's offsets partition under the lock;
 * returns the offset after the last record in *end and a log reference
 * for a durability wait in *log (release with kn_log_release). Errors as
 * Kafka maps them for the group APIs: NOT_COORDINATOR,
 * COORDINATOR_NOT_AVAILABLE, or the storage error. */
kn_err_t kn_gc_append(kn_gcoord_t *gc, int32_t partition, const kn_record_in_t *recs, size_t n,
                      int64_t *end, kn_log_t **log);
/* Are the records before `end` of offsets partition `partition` durable,
 * i.e. covered by the high watermark (every in-sync replica has them)?
 * KN_AGAIN while not yet; KN_OK once settled, with *err NONE, or the
 * group-API error for a write that will not become durable here
 * (NOT_COORDINATOR: leadership lost; COORDINATOR_NOT_AVAILABLE: the ISR
 * shrank below min.insync.replicas). The replica manager decides when
 * there is one; without one (unit tests) the high watermark of log is
 * raised to its end when this broker is the only in-sync replica. No lock
 * needed. */
int kn_gc_durable(kn_gcoord_t *gc, int32_t partition, kn_log_t *log, int64_t end, kn_err_t *err);

/* FindCoordinator's answer for a group: the leader's id (or -1) and the
 * error to send (COORDINATOR_NOT_AVAILABLE while the topic is missing or
 * leaderless; starts its creation if enough brokers are alive).
 * Thread-safe, no lock needed. */
kn_err_t kn_gc_find(kn_gcoord_t *gc, const char *group, size_t len, int32_t *leader);

#endif /* KN_GROUP_INT_H */
