/*
 * common/protocol/fetch.h -- Fetch (key 1), versions 4-11.
 *
 * Consumers and followers (replica_id = their broker id) both fetch. The
 * response's records are usually a byte range of a segment file that the
 * broker sends with sendfile(2), so they never pass through the encoder's
 * buffer: a partition marked records_external gets its int32 length
 * written by the encoder, and then resp->records_fn is called at exactly
 * the point where the bytes belong. The callback either appends exactly
 * records_length bytes to w or attaches a file range at w->len (see
 * kn_req_add_file_range() in broker/server/request.h).
 *
 * Decoded records (client side) are a view into the response frame.
 */
#ifndef KN_PROTOCOL_FETCH_H
#define KN_PROTOCOL_FETCH_H

#include "protocol/api.h"

#define KN_FETCH_MIN 4
#define KN_FETCH_MAX 11

typedef struct {
    int32_t partition;
    int32_t current_leader_epoch;   /* v9+, default -1 */
    int64_t fetch_offset;
    int64_t log_start_offset;       /* v5+, default -1 (followers only) */
    int32_t partition_max_bytes;
} kn_fetch_req_partition_t;

typedef struct {
    kn_slice_t                topic;
    int32_t                   n_partitions;
    kn_fetch_req_partition_t *partitions;
} kn_fetch_req_topic_t;

typedef struct {
    kn_slice_t topic;
    int32_t    n_partitions;
    int32_t   *partitions;
} kn_fetch_forgotten_t;

typedef struct {
    int32_t               replica_id;        /* -1 for consumers */
    int32_t               max_wait_ms;
    int32_t               min_bytes;
    int32_t               max_bytes;         /* v3+ */
    int8_t                isolation_level;   /* v4+: 0 read_uncommitted, 1 read_committed */
    int32_t               session_id;        /* v7+, default 0 */
    int32_t               session_epoch;     /* v7+, default -1 */
    int32_t               n_topics;
    kn_fetch_req_topic_t *topics;
    int32_t               n_forgotten;       /* v7+ */
    kn_fetch_forgotten_t *forgotten;
    kn_slice_t            rack_id;           /* v11+, default "" */
} kn_fetch_req_t;

typedef struct {
    int64_t producer_id;
    int64_t first_offset;
} kn_fetch_aborted_t;

typedef struct kn_fetch_resp_partition_s {
    int32_t             partition_index;
    int16_t             error_code;
    int64_t             high_watermark;
    int64_t             last_stable_offset;      /* v4+, default -1 */
    int64_t             log_start_offset;        /* v5+, default -1 */
    int32_t             n_aborted;               /* v4+, -1 = null */
    kn_fetch_aborted_t *aborted;
    int32_t             preferred_read_replica;  /* v11+, default -1 */
    kn_slice_t          records;                 /* nullable; in-memory records */
    /* Encoder only: the records come from resp->records_fn instead. */
    bool                records_external;
    int32_t             records_length;          /* bytes records_fn will supply */
    void               *records_ref;             /* caller's handle (file range, ...) */
} kn_fetch_resp_partition_t;

typedef struct {
    kn_slice_t                 topic;
    int32_t                    n_partitions;
    kn_fetch_resp_partition_t *partitions;
} kn_fetch_resp_topic_t;

/* Called by the encoder for each records_external partition, right after
 * the records length; must supply exactly p->records_length bytes. */
typedef void (*kn_fetch_records_fn)(kn_wbuf_t *w, const kn_fetch_resp_partition_t *p,
                                    void *arg);

typedef struct {
    int32_t                throttle_time_ms;   /* v1+ */
    int16_t                error_code;         /* v7+ */
    int32_t                session_id;         /* v7+ */
    int32_t                n_topics;
    kn_fetch_resp_topic_t *topics;
    kn_fetch_records_fn    records_fn;         /* encoder only */
    void                  *records_arg;
} kn_fetch_resp_t;

KN_PROTO_DECLARE(fetch);

#endif /* KN_PROTOCOL_FETCH_H */
