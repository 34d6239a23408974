/*
 * common/protocol/groupadmin.h -- group administration: ListGroups (key
 * 16, versions 0-2), DescribeGroups (15, 0-4) and DeleteGroups (42, 0-1).
 */
#ifndef KN_PROTOCOL_GROUPADMIN_H
#define KN_PROTOCOL_GROUPADMIN_H

#include "protocol/api.h"

#define KN_LISTGROUPS_MIN 0
#define KN_LISTGROUPS_MAX 2
#define KN_DESCRIBEGROUPS_MIN 0
#define KN_DESCRIBEGROUPS_MAX 4
#define KN_DELETEGROUPS_MIN 0
#define KN_DELETEGROUPS_MAX 1

/* ---- ListGroups -------------------------------------------------------- */

typedef struct {
    int32_t unused;               /* the request body is empty at v0-2 */
} kn_listgroups_req_t;

typedef struct {
    kn_slice_t group_id;
    kn_slice_t protocol_type;
} kn_listgroups_group_t;

typedef struct {
    int32_t                throttle_time_ms;   /* v1+ */
    int16_t                error_code;
    int32_t                n_groups;
    kn_listgroups_group_t *groups;
} kn_listgroups_resp_t;

KN_PROTO_DECLARE(listgroups);

/* ---- DescribeGroups ---------------------------------------------------- */

typedef struct {
    int32_t     n_groups;
    kn_slice_t *groups;
    bool        include_authorized_operations;   /* v3+ */
} kn_describegroups_req_t;

typedef struct {
    kn_slice_t member_id;
    kn_slice_t group_instance_id;   /* v4+, nullable */
    kn_slice_t client_id;
    kn_slice_t client_host;
    kn_slice_t member_metadata;     /* BYTES */
    kn_slice_t member_assignment;   /* BYTES */
} kn_describegroups_member_t;

typedef struct {
    int16_t                     error_code;
    kn_slice_t                  group_id;
    kn_slice_t                  group_state;     /* "Stable", "Empty", "Dead", ... */
    kn_slice_t                  protocol_type;
    kn_slice_t                  protocol_data;   /* the chosen assignor */
    int32_t                     n_members;
    kn_describegroups_member_t *members;
    int32_t                     authorized_operations;  /* v3+, default INT32_MIN */
} kn_describegroups_group_t;

typedef struct {
    int32_t                    throttle_time_ms;  /* v1+ */
    int32_t                    n_groups;
    kn_describegroups_group_t *groups;
} kn_describegroups_resp_t;

KN_PROTO_DECLARE(describegroups);

/* ---- DeleteGroups ------------------------------------------------------ */

typedef struct {
    int32_t     n_groups_names;
    kn_slice_t *groups_names;
} kn_deletegroups_req_t;

typedef struct {
    kn_slice_t group_id;
    int16_t    error_code;
} kn_deletegroups_result_t;

typedef struct {
    int32_t                   throttle_time_ms;
    int32_t                   n_results;
    kn_deletegroups_result_t *results;
} kn_deletegroups_resp_t;

KN_PROTO_DECLARE(deletegroups);

#endif /* KN_PROTOCOL_GROUPADMIN_H */
