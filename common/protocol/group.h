/*
 * common/protocol/group.h -- consumer group membership: FindCoordinator
 * (key 10, versions 0-2), JoinGroup (11, 0-5), SyncGroup (14, 0-3),
 * Heartbeat (12, 0-3) and LeaveGroup (13, 0-3).
 *
 * Member metadata and assignments are opaque bytes to the coordinator
 * (the consumer protocol's own encoding); they stay views into the frame.
 */
#ifndef KN_PROTOCOL_GROUP_H
#define KN_PROTOCOL_GROUP_H

#include "protocol/api.h"

#define KN_FINDCOORDINATOR_MIN 0
#define KN_FINDCOORDINATOR_MAX 2
#define KN_JOINGROUP_MIN 0
#define KN_JOINGROUP_MAX 5
#define KN_SYNCGROUP_MIN 0
#define KN_SYNCGROUP_MAX 3
#define KN_HEARTBEAT_MIN 0
#define KN_HEARTBEAT_MAX 3
#define KN_LEAVEGROUP_MIN 0
#define KN_LEAVEGROUP_MAX 3

/* FindCoordinator key types (v1+). */
#define KN_COORDINATOR_GROUP       0
#define KN_COORDINATOR_TRANSACTION 1

/* ---- FindCoordinator --------------------------------------------------- */

typedef struct {
    kn_slice_t key;               /* group id or transactional id */
    int8_t     key_type;          /* v1+, default KN_COORDINATOR_GROUP */
} kn_findcoordinator_req_t;

typedef struct {
    int32_t    throttle_time_ms;  /* v1+ */
    int16_t    error_code;
    kn_slice_t error_message;     /* v1+, nullable */
    int32_t    node_id;
    kn_slice_t host;
    int32_t    port;
} kn_findcoordinator_resp_t;

KN_PROTO_DECLARE(findcoordinator);

/* ---- JoinGroup --------------------------------------------------------- */

typedef struct {
    kn_slice_t name;              /* assignor, e.g. "range" */
    kn_slice_t metadata;          /* BYTES */
} kn_joingroup_protocol_t;

typedef struct {
    kn_slice_t               group_id;
    int32_t                  session_timeout_ms;
    int32_t                  rebalance_timeout_ms;  /* v1+, default -1 */
    kn_slice_t               member_id;             /* "" on first join */
    kn_slice_t               group_instance_id;     /* v5+, nullable */
    kn_slice_t               protocol_type;         /* "consumer" */
    int32_t                  n_protocols;
    kn_joingroup_protocol_t *protocols;
} kn_joingroup_req_t;

typedef struct {
    kn_slice_t member_id;
    kn_slice_t group_instance_id; /* v5+, nullable */
    kn_slice_t metadata;          /* BYTES */
} kn_joingroup_member_t;

typedef struct {
    int32_t                throttle_time_ms;  /* v2+ */
    int16_t                error_code;
    int32_t                generation_id;
    kn_slice_t             protocol_name;
    kn_slice_t             leader;
    kn_slice_t             member_id;
    int32_t                n_members;         /* non-empty for the leader only */
    kn_joingroup_member_t *members;
} kn_joingroup_resp_t;

KN_PROTO_DECLARE(joingroup);

/* ---- SyncGroup --------------------------------------------------------- */

typedef struct {
    kn_slice_t member_id;
    kn_slice_t assignment;        /* BYTES */
} kn_syncgroup_assignment_t;

typedef struct {
    kn_slice_t                 group_id;
    int32_t                    generation_id;
    kn_slice_t                 member_id;
    kn_slice_t                 group_instance_id;  /* v3+, nullable */
    int32_t                    n_assignments;      /* leader only */
    kn_syncgroup_assignment_t *assignments;
} kn_syncgroup_req_t;

typedef struct {
    int32_t    throttle_time_ms;  /* v1+ */
    int16_t    error_code;
    kn_slice_t assignment;        /* BYTES */
} kn_syncgroup_resp_t;

KN_PROTO_DECLARE(syncgroup);

/* ---- Heartbeat --------------------------------------------------------- */

typedef struct {
    kn_slice_t group_id;
    int32_t    generation_id;
    kn_slice_t member_id;
    kn_slice_t group_instance_id; /* v3+, nullable */
} kn_heartbeat_req_t;

typedef struct {
    int32_t throttle_time_ms;     /* v1+ */
    int16_t error_code;
} kn_heartbeat_resp_t;

KN_PROTO_DECLARE(heartbeat);

/* ---- LeaveGroup -------------------------------------------------------- */

typedef struct {
    kn_slice_t member_id;
    kn_slice_t group_instance_id; /* nullable */
    int16_t    error_code;        /* response only */
} kn_leavegroup_member_t;

/* v0-2 name one member (member_id); v3+ a batch (members). Decoding v0-2
 * also fills members with that one entry, so handlers read one shape. */
typedef struct {
    kn_slice_t              group_id;
    kn_slice_t              member_id;      /* v0-2 */
    int32_t                 n_members;      /* v3+ */
    kn_leavegroup_member_t *members;
} kn_leavegroup_req_t;

typedef struct {
    int32_t                 throttle_time_ms;  /* v1+ */
    int16_t                 error_code;
    int32_t                 n_members;         /* v3+ */
    kn_leavegroup_member_t *members;
} kn_leavegroup_resp_t;

KN_PROTO_DECLARE(leavegroup);

#endif /* KN_PROTOCOL_GROUP_H */
