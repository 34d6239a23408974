/*
 * broker/broker.h -- the broker process as one object.
 *
 * kn_broker_t ties the subsystems together; each is owned by its folder:
 *   server/   listeners, connections, request dispatch, delayed operations
 *   log/      partition logs on disk (storage engine)
 *   cluster/  ZooKeeper registration, controller session, metadata cache,
 *             replica (partition) manager
 *   replica/  replication: follower fetchers, ISR, high watermark, acks=all
 *   handlers/ one file per Kafka API family
 * Fields are set up by broker/main.c in that order and torn down in reverse.
 */
#ifndef KN_BROKER_H
#define KN_BROKER_H

#include "common/config.h"
#include "kn.h"

struct event_base;
typedef struct kn_server_s kn_server_t;       /* broker/server/server.h */
typedef struct kn_logmgr_s kn_logmgr_t;       /* broker/log/log.h */
typedef struct kn_cluster_s kn_cluster_t;     /* broker/cluster/cluster.h */
typedef struct kn_repl_s kn_repl_t;           /* broker/replica/replica.h */

typedef struct kn_broker_s {
    kn_config_t       *cfg;          /* validated configuration */
    int32_t            id;           /* broker.id */
    char               inter_broker_listener[64]; /* listener name other brokers use */
    struct event_base *main_base;    /* main loop: ZooKeeper, controller channel, timers */
    kn_server_t       *server;       /* network layer (its own worker loops) */
    kn_logmgr_t       *logs;         /* all partition logs under log.dirs */
    kn_cluster_t      *cluster;      /* cluster membership and metadata */
    kn_repl_t         *repl;         /* replication: fetchers, ISR, high watermark */
    volatile int       stopping;     /* set on SIGTERM/SIGINT */
} kn_broker_t;

/* The broker's configuration table (broker/config_table.c). */
extern const kn_cfg_key_t kn_broker_config_table[];
/* Per-topic configuration keys (retention.ms, segment.bytes, ...) with
 * defaults taken from the broker-level keys where Kafka does so. */
extern const kn_cfg_key_t kn_topic_config_table[];
/* The cluster-wide default of a topic key (e.g. "retention.ms" from
 * log.retention.ms/minutes/hours) as text, from a loaded broker config;
 * heap string (free()), NULL for an unknown key. */
char *kn_broker_topic_default(const kn_config_t *bcfg, const char *topic_key);

#endif /* KN_BROKER_H */
