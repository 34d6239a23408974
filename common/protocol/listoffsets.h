/*
 * common/protocol/listoffsets.h -- ListOffsets (key 2), versions 1-3.
 *
 * timestamp -1 asks for the latest offset (log end, or last stable offset
 * under read_committed), -2 for the earliest; any other value for the
 * first offset whose timestamp is >= it.
 */
#ifndef KN_PROTOCOL_LISTOFFSETS_H
#define KN_PROTOCOL_LISTOFFSETS_H

#include "protocol/api.h"

#define KN_LISTOFFSETS_MIN 1
#define KN_LISTOFFSETS_MAX 3

#define KN_LISTOFFSETS_LATEST   (-1)
#define KN_LISTOFFSETS_EARLIEST (-2)

typedef struct {
    int32_t partition_index;
    int64_t timestamp;
} kn_listoffsets_req_partition_t;

typedef struct {
    kn_slice_t                      name;
    int32_t                         n_partitions;
    kn_listoffsets_req_partition_t *partitions;
} kn_listoffsets_req_topic_t;

typedef struct {
    int32_t                     replica_id;        /* -1 for consumers */
    int8_t                      isolation_level;   /* v2+ */
    int32_t                     n_topics;
    kn_listoffsets_req_topic_t *topics;
} kn_listoffsets_req_t;

typedef struct {
    int32_t partition_index;
    int16_t error_code;
    int64_t timestamp;                 /* -1 if none */
    int64_t offset;                    /* -1 if none */
} kn_listoffsets_resp_partition_t;

typedef struct {
    kn_slice_t                       name;
    int32_t                          n_partitions;
    kn_listoffsets_resp_partition_t *partitions;
} kn_listoffsets_resp_topic_t;

typedef struct {
    int32_t                      throttle_time_ms;   /* v2+ */
    int32_t                      n_topics;
    kn_listoffsets_resp_topic_t *topics;
} kn_listoffsets_resp_t;

KN_PROTO_DECLARE(listoffsets);

#endif /* KN_PROTOCOL_LISTOFFSETS_H */
