/*
 * common/protocol/produce.h -- Produce (key 0), versions 3-7, and
 * InitProducerId (key 22), versions 0-1.
 *
 * Versions below 3 carry message sets of magic 0/1, which Kanal does not
 * store, so they are not decoded at all. The records of each partition stay
 * a view into the request frame (never copied): the broker validates and
 * appends exactly those bytes.
 */
#ifndef KN_PROTOCOL_PRODUCE_H
#define KN_PROTOCOL_PRODUCE_H

#include "protocol/api.h"

#define KN_PRODUCE_MIN 3
#define KN_PRODUCE_MAX 7

typedef struct {
    int32_t    index;            /* partition */
    kn_slice_t records;          /* NULLABLE_BYTES: record batches, a view */
} kn_produce_req_partition_t;

typedef struct {
    kn_slice_t                  name;
    int32_t                     n_partitions;
    kn_produce_req_partition_t *partitions;
} kn_produce_req_topic_t;

typedef struct {
    kn_slice_t              transactional_id;   /* nullable */
    int16_t                 acks;               /* 0, 1 or -1 (all) */
    int32_t                 timeout_ms;
    int32_t                 n_topics;
    kn_produce_req_topic_t *topics;
} kn_produce_req_t;

typedef struct {
    int32_t index;
    int16_t error_code;
    int64_t base_offset;
    int64_t log_append_time_ms;  /* v2+, -1 unless LogAppendTime */
    int64_t log_start_offset;    /* v5+, default -1 */
} kn_produce_resp_partition_t;

typedef struct {
    kn_slice_t                   name;
    int32_t                      n_partitions;
    kn_produce_resp_partition_t *partitions;
} kn_produce_resp_topic_t;

typedef struct {
    int32_t                  n_topics;
    kn_produce_resp_topic_t *topics;
    int32_t                  throttle_time_ms;  /* v1+ */
} kn_produce_resp_t;

KN_PROTO_DECLARE(produce);

/* ---- InitProducerId (key 22) --------------------------------------------- */

#define KN_INITPRODUCERID_MIN 0
#define KN_INITPRODUCERID_MAX 1

typedef struct {
    kn_slice_t transactional_id;       /* nullable: idempotent producer */
    int32_t    transaction_timeout_ms;
} kn_initproducerid_req_t;

typedef struct {
    int32_t throttle_time_ms;
    int16_t error_code;
    int64_t producer_id;               /* -1 on error */
    int16_t producer_epoch;
} kn_initproducerid_resp_t;

KN_PROTO_DECLARE(initproducerid);

#endif /* KN_PROTOCOL_PRODUCE_H */
