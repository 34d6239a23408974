/*
 * common/protocol/topics.h -- topic administration: CreateTopics (key 19,
 * versions 0-4), DeleteTopics (key 20, versions 0-3) and CreatePartitions
 * (key 37, versions 0-1).
 */
#ifndef KN_PROTOCOL_TOPICS_H
#define KN_PROTOCOL_TOPICS_H

#include "protocol/api.h"

#define KN_CREATETOPICS_MIN 0
#define KN_CREATETOPICS_MAX 4
#define KN_DELETETOPICS_MIN 0
#define KN_DELETETOPICS_MAX 3
#define KN_CREATEPARTITIONS_MIN 0
#define KN_CREATEPARTITIONS_MAX 1

/* ---- CreateTopics ------------------------------------------------------ */

typedef struct {
    int32_t  partition_index;
    int32_t  n_broker_ids;
    int32_t *broker_ids;
} kn_createtopics_assignment_t;

typedef struct {
    kn_slice_t name;
    kn_slice_t value;                     /* nullable */
} kn_config_entry_t;

typedef struct {
    kn_slice_t                    name;
    int32_t                       num_partitions;      /* -1 = broker default */
    int16_t                       replication_factor;  /* -1 = broker default */
    int32_t                       n_assignments;
    kn_createtopics_assignment_t *assignments;
    int32_t                       n_configs;
    kn_config_entry_t            *configs;
} kn_createtopics_topic_t;

typedef struct {
    int32_t                  n_topics;
    kn_createtopics_topic_t *topics;
    int32_t                  timeout_ms;
    bool                     validate_only;     /* v1+ */
} kn_createtopics_req_t;

typedef struct {
    kn_slice_t name;
    int16_t    error_code;
    kn_slice_t error_message;             /* v1+, nullable */
} kn_createtopics_result_t;

typedef struct {
    int32_t                   throttle_time_ms;  /* v2+ */
    int32_t                   n_topics;
    kn_createtopics_result_t *topics;
} kn_createtopics_resp_t;

KN_PROTO_DECLARE(createtopics);

/* ---- DeleteTopics ------------------------------------------------------ */

typedef struct {
    int32_t     n_topic_names;
    kn_slice_t *topic_names;
    int32_t     timeout_ms;
} kn_deletetopics_req_t;

typedef struct {
    kn_slice_t name;
    int16_t    error_code;
} kn_deletetopics_result_t;

typedef struct {
    int32_t                   throttle_time_ms;  /* v1+ */
    int32_t                   n_responses;
    kn_deletetopics_result_t *responses;
} kn_deletetopics_resp_t;

KN_PROTO_DECLARE(deletetopics);

/* ---- CreatePartitions -------------------------------------------------- */

typedef struct {
    int32_t  n_broker_ids;
    int32_t *broker_ids;
} kn_createpartitions_assignment_t;

typedef struct {
    kn_slice_t                        name;
    int32_t                           count;          /* new total partition count */
    int32_t                           n_assignments;  /* -1 = null: broker assigns */
    kn_createpartitions_assignment_t *assignments;
} kn_createpartitions_topic_t;

typedef struct {
    int32_t                      n_topics;
    kn_createpartitions_topic_t *topics;
    int32_t                      timeout_ms;
    bool                         validate_only;
} kn_createpartitions_req_t;

typedef struct {
    kn_slice_t name;
    int16_t    error_code;
    kn_slice_t error_message;             /* nullable */
} kn_createpartitions_result_t;

typedef struct {
    int32_t                       throttle_time_ms;
    int32_t                       n_results;
    kn_createpartitions_result_t *results;
} kn_createpartitions_resp_t;

KN_PROTO_DECLARE(createpartitions);

#endif /* KN_PROTOCOL_TOPICS_H */
