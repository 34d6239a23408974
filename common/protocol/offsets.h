/*
 * common/protocol/offsets.h -- committed offsets and leader epochs:
 * OffsetCommit (key 8, versions 2-7), OffsetFetch (9, 1-5) and
 * OffsetForLeaderEpoch (23, 0-3).
 */
#ifndef KN_PROTOCOL_OFFSETS_H
#define KN_PROTOCOL_OFFSETS_H

#include "protocol/api.h"

#define KN_OFFSETCOMMIT_MIN 2
#define KN_OFFSETCOMMIT_MAX 7
#define KN_OFFSETFETCH_MIN 1
#define KN_OFFSETFETCH_MAX 5
#define KN_OFFSETFORLEADEREPOCH_MIN 0
#define KN_OFFSETFORLEADEREPOCH_MAX 3

/* ---- OffsetCommit ------------------------------------------------------ */

typedef struct {
    int32_t    partition_index;
    int64_t    committed_offset;
    int32_t    committed_leader_epoch;  /* v6+, default -1 */
    kn_slice_t committed_metadata;      /* nullable */
} kn_offsetcommit_req_partition_t;

typedef struct {
    kn_slice_t                       name;
    int32_t                          n_partitions;
    kn_offsetcommit_req_partition_t *partitions;
} kn_offsetcommit_req_topic_t;

typedef struct {
    kn_slice_t                   group_id;
    int32_t                      generation_id;      /* -1 for simple (groupless) commits */
    kn_slice_t                   member_id;
    kn_slice_t                   group_instance_id;  /* v7+, nullable */
    int64_t                      retention_time_ms;  /* v2-4, default -1 (broker's) */
    int32_t                      n_topics;
    kn_offsetcommit_req_topic_t *topics;
} kn_offsetcommit_req_t;

typedef struct {
    int32_t partition_index;
    int16_t error_code;
} kn_offsetcommit_resp_partition_t;

typedef struct {
    kn_slice_t                        name;
    int32_t                           n_partitions;
    kn_offsetcommit_resp_partition_t *partitions;
} kn_offsetcommit_resp_topic_t;

typedef struct {
    int32_t                       throttle_time_ms;  /* v3+ */
    int32_t                       n_topics;
    kn_offsetcommit_resp_topic_t *topics;
} kn_offsetcommit_resp_t;

KN_PROTO_DECLARE(offsetcommit);

/* ---- OffsetFetch ------------------------------------------------------- */

typedef struct {
    kn_slice_t name;
    int32_t    n_partition_indexes;
    int32_t   *partition_indexes;
} kn_offsetfetch_req_topic_t;

typedef struct {
    kn_slice_t                  group_id;
    int32_t                     n_topics;   /* v2+: -1 = null = all committed */
    kn_offsetfetch_req_topic_t *topics;
} kn_offsetfetch_req_t;

typedef struct {
    int32_t    partition_index;
    int64_t    committed_offset;        /* -1 if none */
    int32_t    committed_leader_epoch;  /* v5+, default -1 */
    kn_slice_t metadata;                /* nullable */
    int16_t    error_code;
} kn_offsetfetch_resp_partition_t;

typedef struct {
    kn_slice_t                       name;
    int32_t                          n_partitions;
    kn_offsetfetch_resp_partition_t *partitions;
} kn_offsetfetch_resp_topic_t;

typedef struct {
    int32_t                      throttle_time_ms;  /* v3+ */
    int32_t                      n_topics;
    kn_offsetfetch_resp_topic_t *topics;
    int16_t                      error_code;        /* v2+: group-level error */
} kn_offsetfetch_resp_t;

KN_PROTO_DECLARE(offsetfetch);

/* ---- OffsetForLeaderEpoch ---------------------------------------------- */

typedef struct {
    int32_t partition;
    int32_t current_leader_epoch;   /* v2+, default -1 */
    int32_t leader_epoch;           /* the epoch whose end offset is wanted */
} kn_offsetforleaderepoch_req_partition_t;

typedef struct {
    kn_slice_t                               topic;
    int32_t                                  n_partitions;
    kn_offsetforleaderepoch_req_partition_t *partitions;
} kn_offsetforleaderepoch_req_topic_t;

typedef struct {
    int32_t                              replica_id;   /* v3+, default -2 (consumer) */
    int32_t                              n_topics;
    kn_offsetforleaderepoch_req_topic_t *topics;
} kn_offsetforleaderepoch_req_t;

typedef struct {
    int16_t error_code;
    int32_t partition;
    int32_t leader_epoch;           /* v1+, default -1 */
    int64_t end_offset;
} kn_offsetforleaderepoch_resp_partition_t;

typedef struct {
    kn_slice_t                                topic;
    int32_t                                   n_partitions;
    kn_offsetforleaderepoch_resp_partition_t *partitions;
} kn_offsetforleaderepoch_resp_topic_t;

typedef struct {
    int32_t                               throttle_time_ms;  /* v2+ */
    int32_t                               n_topics;
    kn_offsetforleaderepoch_resp_topic_t *topics;
} kn_offsetforleaderepoch_resp_t;

KN_PROTO_DECLARE(offsetforleaderepoch);

#endif /* KN_PROTOCOL_OFFSETS_H */
