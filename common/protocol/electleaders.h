/*
 * common/protocol/electleaders.h -- ElectLeaders (key 43, versions 0-1,
 * neither flexible): ask for leader elections on demand (KIP-183, election
 * types from KIP-460).
 *
 *   request   v1+ election_type INT8 (0 = PREFERRED, 1 = UNCLEAN; v0 is
 *             always PREFERRED), topic_partitions nullable ARRAY(topic
 *             STRING, partitions ARRAY(INT32)) -- null means every
 *             partition of the cluster --, timeout_ms INT32
 *   response  throttle_time_ms INT32, v1+ error_code INT16,
 *             replica_election_results ARRAY(topic STRING,
 *             partition_result ARRAY(partition_id INT32, error_code INT16,
 *             error_message NULLABLE_STRING))
 */
#ifndef KN_PROTOCOL_ELECTLEADERS_H
#define KN_PROTOCOL_ELECTLEADERS_H

#include "protocol/api.h"

#define KN_ELECTLEADERS_MIN 0
#define KN_ELECTLEADERS_MAX 1

#define KN_ELECTION_PREFERRED 0
#define KN_ELECTION_UNCLEAN   1

typedef struct {
    kn_slice_t topic;
    int32_t    n_partitions;
    int32_t   *partitions;
} kn_electleaders_topic_t;

typedef struct {
    int8_t                   election_type;     /* v1+; v0 decodes as PREFERRED */
    int32_t                  n_topics;          /* -1 = null: every partition */
    kn_electleaders_topic_t *topics;
    int32_t                  timeout_ms;
} kn_electleaders_req_t;

typedef struct {
    int32_t    partition_id;
    int16_t    error_code;
    kn_slice_t error_message;                   /* nullable */
} kn_electleaders_partition_result_t;

typedef struct {
    kn_slice_t                          topic;
    int32_t                             n_partitions;
    kn_electleaders_partition_result_t *partitions;
} kn_electleaders_result_t;

typedef struct {
    int32_t                   throttle_time_ms;
    int16_t                   error_code;       /* v1+, top level */
    int32_t                   n_results;
    kn_electleaders_result_t *results;
} kn_electleaders_resp_t;

KN_PROTO_DECLARE(electleaders);

#endif /* KN_PROTOCOL_ELECTLEADERS_H */
