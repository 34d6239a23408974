/*
 * broker/cluster/cluster.h -- the broker's place in the cluster: ZooKeeper
 * registration, the session to the active controller, the metadata cache
 * and the replica (partition) manager.
 *
 * Threads: everything that talks to ZooKeeper or the controller runs on the
 * broker's main loop (broker->main_base). Kafka API handlers run on worker
 * loops; what they may call from there is marked "thread-safe" below.
 *
 * The metadata cache is a reference-counted immutable snapshot (kn_md_t):
 * an UpdateMetadata from the controller builds a new snapshot and swaps it
 * in under a rwlock, so a handler holding a snapshot reads a consistent
 * view without holding any lock while it encodes its response.
 *
 * UpdateMetadata carries the whole picture (Kanal's controller always
 * sends every partition state and every live broker) and replaces the
 * cache; only the cluster id is kept if an update leaves it empty.
 */
#ifndef KN_CLUSTER_H
#define KN_CLUSTER_H

#include "broker/broker.h"
#include "kn.h"
#include "proto/control.pb-c.h"

typedef struct kn_log_s kn_log_t;   /* broker/log/log.h */

/* ---- life cycle (main thread) ---------------------------------------- */

/* Connect to ZooKeeper, get or create /cluster/id, register the ephemeral
 * /brokers/ids/<id> and start the controller session. Blocks while
 * registering (a stale registration of a killed predecessor is retried until
 * the session timeout passes). NULL on failure, with the reason logged. */
kn_cluster_t *kn_cluster_start(kn_broker_t *b);
/* Deregister (delete /brokers/ids/<id>), close the controller session and
 * ZooKeeper, release every partition. NULL is a no-op. */
void kn_cluster_stop(kn_cluster_t *c);
/* Register the Kafka API handlers of this area: Metadata, CreateTopics,
 * DeleteTopics, CreatePartitions, DescribeConfigs. */
void kn_cluster_register_handlers(void);

/* Send a broker -> controller message (AlterIsr, ControlledShutdown) on
 * the controller session; a request_id is assigned. Main thread only.
 * KN_ERROR if there is no session up right now (the caller retries
 * later); responses arrive through the replica manager's hooks. */
int kn_cluster_send_control(kn_cluster_t *c, Kanal__Control__KnControl *msg);

/* Cluster id from /cluster/id (valid for the cluster's lifetime). */
const char *kn_cluster_id(const kn_cluster_t *c);
/* Current broker epoch (czxid of /brokers/ids/<id>), -1 if unregistered. */
int64_t kn_cluster_broker_epoch(const kn_cluster_t *c);

/* ---- metadata cache (thread-safe) -------------------------------------- */

typedef struct {
    char   *listener;        /* listener name, e.g. "PLAINTEXT" */
    char   *host;
    int32_t port;
    char   *security;        /* "PLAINTEXT" | "SSL" | ... */
} kn_md_endpoint_t;

typedef struct {
    int32_t           id;
    char             *rack;          /* NULL if unset */
    int64_t           epoch;
    int               n_endpoints;
    kn_md_endpoint_t *endpoints;
} kn_md_broker_t;

typedef struct {
    int32_t  partition;
    int32_t  leader;                 /* -1 = none */
    int32_t  leader_epoch;
    int32_t  controller_epoch;
    int32_t  zk_version;
    int      n_replicas, n_isr, n_offline;
    int32_t *replicas, *isr, *offline;
} kn_md_partition_t;

typedef struct {
    char              *name;
    uint8_t            id[16];       /* topic id, zero if unknown */
    int                n_partitions;
    kn_md_partition_t *partitions;   /* sorted by partition id */
} kn_md_topic_t;

typedef struct kn_md_s {
    int             refs;            /* atomic; see kn_md_release() */
    char           *cluster_id;      /* NULL until the controller sent one */
    int32_t         controller_id;   /* -1 = unknown */
    int32_t         controller_epoch;
    int             n_brokers;
    kn_md_broker_t *brokers;         /* sorted by id */
    int             n_topics;
    kn_md_topic_t  *topics;          /* sorted by name */
} kn_md_t;

/* Delayed-operation key (broker/server/delayed.h) notified each time a
 * new snapshot from the controller is published: a request that needs the
 * controller's picture (Metadata right after start-up) waits on it. */
#define KN_CLUSTER_MD_KEY "cluster.metadata"

/* Take a reference to the current snapshot (never NULL once started). */
kn_md_t *kn_cluster_md_acquire(kn_cluster_t *c);
void     kn_md_release(kn_md_t *md);

/* Lookups in a snapshot (NULL if absent). */
const kn_md_topic_t     *kn_md_topic(const kn_md_t *md, const char *name);
const kn_md_partition_t *kn_md_partition(const kn_md_topic_t *t, int32_t partition);
const kn_md_broker_t    *kn_md_broker(const kn_md_t *md, int32_t id);
const kn_md_endpoint_t  *kn_md_endpoint(const kn_md_broker_t *b, const char *listener);

/* An empty snapshot (refs = 1). */
kn_md_t *kn_md_new_empty(void);
/* A new snapshot (refs = 1) built from the UpdateMetadata (old gives only
 * the cluster id if the update has none). */
kn_md_t *kn_md_apply_update(const kn_md_t *old, const Kanal__Control__UpdateMetadata *um);

/* ---- partitions this broker hosts (thread-safe) ------------------------ */

/* What Produce/Fetch get for a partition. Lifetime rule: the ref holds its
 * own reference on `log` (the storage engine's counting), so the object
 * stays valid until kn_cluster_partition_release(), even if a StopReplica
 * removes the partition meanwhile (operations on a deleted log then fail
 * with UNKNOWN_TOPIC_OR_PARTITION). Release every ref that lookup returned
 * KN_ERR_NONE for, on any thread. The leader flag and epoch are a snapshot
 * taken at lookup time. */
typedef struct {
    kn_log_t *log;
    bool      leader;          /* this broker leads the partition */
    int32_t   leader_epoch;
    int32_t   leader_id;       /* current leader (may be another broker) */
} kn_partition_ref_t;

/* KN_ERR_NONE and a held ref if this broker hosts the partition (leader or
 * follower: check ref.leader; Produce wants a leader, replica Fetch may not);
 * KN_ERR_NOT_LEADER_OR_FOLLOWER if the topic exists in the metadata but this
 * broker does not host the partition; KN_ERR_UNKNOWN_TOPIC_OR_PARTITION
 * otherwise. */
kn_err_t kn_cluster_partition_lookup(kn_cluster_t *c, const char *topic, int32_t partition,
                                     kn_partition_ref_t *out);
void     kn_cluster_partition_release(kn_cluster_t *c, kn_partition_ref_t *ref);

/* ---- topic creation for internal users ---------------------------------- */

/* Create a topic in the background (any thread): hops to the main loop and
 * writes its znodes; an existing topic is left alone. partitions / rf -1 =
 * num.partitions / default.replication.factor. Used for auto-creation
 * (Metadata) and internal topics (__consumer_offsets with
 * cleanup.policy=compact, ...). The topic is usable once the controller's
 * metadata shows leaders for it. */
void kn_cluster_create_topic_async(kn_cluster_t *c, const char *name, int32_t partitions,
                                   int16_t rf, int n_configs, const char *const *keys,
                                   const char *const *values);

/* ---- admin helpers (pure; exposed for tests and tools) ----------------- */

/* Kafka's topic name rules: 1..249 chars of [a-zA-Z0-9._-], not "." or "..".
 * Returns KN_ERR_NONE or KN_ERR_INVALID_TOPIC_EXCEPTION. */
kn_err_t kn_topic_name_check(const char *name, size_t len);

/* Kafka's rack-unaware replica assignment: partitions start_partition ..
 * start_partition+n_partitions-1 over the given brokers (any order; sorted
 * internally), first replicas round robin from start_index, followers
 * shifted by replica_shift (which grows by one every n_brokers partitions
 * so followers spread too). start_index / replica_shift < 0 = random, as
 * Kafka does. out receives n_partitions * rf broker ids, row per partition.
 * Returns KN_ERR_INVALID_REPLICATION_FACTOR if rf < 1 or rf > n_brokers,
 * KN_ERR_INVALID_PARTITIONS if n_partitions < 1. */
kn_err_t kn_assign_replicas(const int32_t *brokers, int n_brokers, int32_t n_partitions,
                            int16_t rf, int32_t start_partition, int start_index,
                            int replica_shift, int32_t *out);

#endif /* KN_CLUSTER_H */
