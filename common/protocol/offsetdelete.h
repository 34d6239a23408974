/*
 * common/protocol/offsetdelete.h -- OffsetDelete (key 47, version 0):
 * remove a group's committed offsets for some partitions (KIP-496).
 *
 * No JSON spec is in the reference folder; v0 (not flexible) is:
 *   request   group_id STRING, topics ARRAY(name STRING,
 *             partitions ARRAY(partition_index INT32))
 *   response  error_code INT16, throttle_time_ms INT32,
 *             topics ARRAY(name STRING, partitions ARRAY(partition_index
 *             INT32, error_code INT16))
 */
#ifndef KN_PROTOCOL_OFFSETDELETE_H
#define KN_PROTOCOL_OFFSETDELETE_H

#include "protocol/api.h"

#define KN_OFFSETDELETE_MIN 0
#define KN_OFFSETDELETE_MAX 0

typedef struct {
    kn_slice_t name;
    int32_t    n_partitions;
    int32_t   *partitions;        /* partition indexes */
} kn_offsetdelete_req_topic_t;

typedef struct {
    kn_slice_t                   group_id;
    int32_t                      n_topics;
    kn_offsetdelete_req_topic_t *topics;
} kn_offsetdelete_req_t;

typedef struct {
    int32_t partition_index;
    int16_t error_code;
} kn_offsetdelete_resp_partition_t;

typedef struct {
    kn_slice_t                        name;
    int32_t                           n_partitions;
    kn_offsetdelete_resp_partition_t *partitions;
} kn_offsetdelete_resp_topic_t;

typedef struct {
    int16_t                       error_code;     /* group-level */
    int32_t                       throttle_time_ms;
    int32_t                       n_topics;
    kn_offsetdelete_resp_topic_t *topics;
} kn_offsetdelete_resp_t;

KN_PROTO_DECLARE(offsetdelete);

#endif /* KN_PROTOCOL_OFFSETDELETE_H */
