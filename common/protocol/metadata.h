/*
 * common/protocol/metadata.h -- Metadata (key 3), versions 0-8.
 *
 * Topic list semantics differ by version: in v0 an EMPTY list means "all
 * topics" (kafka-python's bootstrap probe); from v1 a NULL list (n_topics
 * == -1) means all topics and an empty one means none.
 * kn_proto_metadata_all_topics() answers the question for both.
 */
#ifndef KN_PROTOCOL_METADATA_H
#define KN_PROTOCOL_METADATA_H

#include "protocol/api.h"

#define KN_METADATA_MIN 0
#define KN_METADATA_MAX 8

typedef struct {
    int32_t     n_topics;                   /* -1 = null (v1+: all topics) */
    kn_slice_t *topics;                     /* topic names */
    bool        allow_auto_topic_creation;  /* v4+, default true */
    bool        include_cluster_authorized_operations;  /* v8+ */
    bool        include_topic_authorized_operations;    /* v8+ */
} kn_metadata_req_t;

typedef struct {
    int32_t    node_id;
    kn_slice_t host;
    int32_t    port;
    kn_slice_t rack;                        /* v1+, nullable */
} kn_metadata_broker_t;

typedef struct {
    int16_t  error_code;
    int32_t  partition_index;
    int32_t  leader_id;
    int32_t  leader_epoch;                  /* v7+, default -1 */
    int32_t  n_replica_nodes;
    int32_t *replica_nodes;
    int32_t  n_isr_nodes;
    int32_t *isr_nodes;
    int32_t  n_offline_replicas;            /* v5+ */
    int32_t *offline_replicas;
} kn_metadata_partition_t;

typedef struct {
    int16_t                  error_code;
    kn_slice_t               name;
    bool                     is_internal;   /* v1+ */
    int32_t                  n_partitions;
    kn_metadata_partition_t *partitions;
    int32_t                  topic_authorized_operations;  /* v8+, default INT32_MIN */
} kn_metadata_topic_t;

typedef struct {
    int32_t               throttle_time_ms; /* v3+ */
    int32_t               n_brokers;
    kn_metadata_broker_t *brokers;
    kn_slice_t            cluster_id;       /* v2+, nullable */
    int32_t               controller_id;    /* v1+, default -1 */
    int32_t               n_topics;
    kn_metadata_topic_t  *topics;
    int32_t               cluster_authorized_operations;  /* v8, default INT32_MIN */
} kn_metadata_resp_t;

KN_PROTO_DECLARE(metadata);

/* true if the request asks for every topic (v0: empty list; v1+: null). */
bool kn_proto_metadata_all_topics(const kn_metadata_req_t *req, int16_t ver);

#endif /* KN_PROTOCOL_METADATA_H */
