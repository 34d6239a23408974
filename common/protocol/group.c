/*
 * common/protocol/group.c -- FindCoordinator, JoinGroup, SyncGroup,
 * Heartbeat and LeaveGroup codecs (see group.h).
 */
#include "config.h"
#include "protocol/codec.h"
#include "protocol/group.h"

static void io_findcoordinator_req(kn_io_t *io, kn_findcoordinator_req_t *m)
{
    kn_io_str(io, &m->key);
    kn_io_i8_if(io, io->ver >= 1, &m->key_type, KN_COORDINATOR_GROUP);
}

static void io_findcoordinator_resp(kn_io_t *io, kn_findcoordinator_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 1, &m->throttle_time_ms, 0);
    kn_io_i16(io, &m->error_code);
    kn_io_nstr_if(io, io->ver >= 1, &m->error_message);
    kn_io_i32(io, &m->node_id);
    kn_io_str(io, &m->host);
    kn_io_i32(io, &m->port);
}

KN_PROTO_DEFINE(findcoordinator, KN_API_FIND_COORDINATOR, KN_FINDCOORDINATOR_MIN,
                KN_FINDCOORDINATOR_MAX)

static void io_joingroup_req(kn_io_t *io, kn_joingroup_req_t *m)
{
    kn_io_str(io, &m->group_id);
    kn_io_i32(io, &m->session_timeout_ms);
    kn_io_i32_if(io, io->ver >= 1, &m->rebalance_timeout_ms, -1);
    kn_io_str(io, &m->member_id);
    kn_io_nstr_if(io, io->ver >= 5, &m->group_instance_id);
    kn_io_str(io, &m->protocol_type);
    /* name + empty metadata = 6 bytes */
    KN_IO_ARRAY(io, m->protocols, m->n_protocols, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_protocols) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->protocols[i].name);
        kn_io_bytes(io, &m->protocols[i].metadata, false);
    }
}

static void io_joingroup_resp(kn_io_t *io, kn_joingroup_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 2, &m->throttle_time_ms, 0);
    kn_io_i16(io, &m->error_code);
    kn_io_i32(io, &m->generation_id);
    kn_io_str(io, &m->protocol_name);
    kn_io_str(io, &m->leader);
    kn_io_str(io, &m->member_id);
    KN_IO_ARRAY(io, m->members, m->n_members, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_members) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->members[i].member_id);
        kn_io_nstr_if(io, io->ver >= 5, &m->members[i].group_instance_id);
        kn_io_bytes(io, &m->members[i].metadata, false);
    }
}

KN_PROTO_DEFINE(joingroup, KN_API_JOIN_GROUP, KN_JOINGROUP_MIN, KN_JOINGROUP_MAX)

static void io_syncgroup_req(kn_io_t *io, kn_syncgroup_req_t *m)
{
    kn_io_str(io, &m->group_id);
    kn_io_i32(io, &m->generation_id);
    kn_io_str(io, &m->member_id);
    kn_io_nstr_if(io, io->ver >= 3, &m->group_instance_id);
    KN_IO_ARRAY(io, m->assignments, m->n_assignments, 6, false);
    for (int32_t i = 0; i < kn_io_count(m->n_assignments) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->assignments[i].member_id);
        kn_io_bytes(io, &m->assignments[i].assignment, false);
    }
}

static void io_syncgroup_resp(kn_io_t *io, kn_syncgroup_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 1, &m->throttle_time_ms, 0);
    kn_io_i16(io, &m->error_code);
    kn_io_bytes(io, &m->assignment, false);
}

KN_PROTO_DEFINE(syncgroup, KN_API_SYNC_GROUP, KN_SYNCGROUP_MIN, KN_SYNCGROUP_MAX)

static void io_heartbeat_req(kn_io_t *io, kn_heartbeat_req_t *m)
{
    kn_io_str(io, &m->group_id);
    kn_io_i32(io, &m->generation_id);
    kn_io_str(io, &m->member_id);
    kn_io_nstr_if(io, io->ver >= 3, &m->group_instance_id);
}

static void io_heartbeat_resp(kn_io_t *io, kn_heartbeat_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 1, &m->throttle_time_ms, 0);
    kn_io_i16(io, &m->error_code);
}

KN_PROTO_DEFINE(heartbeat, KN_API_HEARTBEAT, KN_HEARTBEAT_MIN, KN_HEARTBEAT_MAX)

static void io_leavegroup_req(kn_io_t *io, kn_leavegroup_req_t *m)
{
    kn_io_str(io, &m->group_id);
    if (io->ver <= 2) {
        kn_io_str(io, &m->member_id);
        if (io->r && kn_io_ok(io)) {
            /* Present the single member the batch way too. */
            m->members = kn_arena_alloc(io->a, sizeof(*m->members));
            m->n_members = 1;
            m->members[0].member_id = m->member_id;
            m->members[0].group_instance_id = KN_SLICE_NULL;
        }
        return;
    }
    /* member id + null instance id = 4 bytes */
    KN_IO_ARRAY(io, m->members, m->n_members, 4, false);
    for (int32_t i = 0; i < kn_io_count(m->n_members) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->members[i].member_id);
        kn_io_nstr(io, &m->members[i].group_instance_id);
    }
    if (io->r && kn_io_ok(io) && m->n_members > 0) {
        m->member_id = m->members[0].member_id;
    }
}

static void io_leavegroup_resp(kn_io_t *io, kn_leavegroup_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 1, &m->throttle_time_ms, 0);
    kn_io_i16(io, &m->error_code);
    if (io->ver >= 3) {
        /* member id + null instance id + error = 6 bytes */
        KN_IO_ARRAY(io, m->members, m->n_members, 6, false);
        for (int32_t i = 0; i < kn_io_count(m->n_members) && kn_io_ok(io); i++) {
            kn_io_str(io, &m->members[i].member_id);
            kn_io_nstr(io, &m->members[i].group_instance_id);
            kn_io_i16(io, &m->members[i].error_code);
        }
    }
}

KN_PROTO_DEFINE(leavegroup, KN_API_LEAVE_GROUP, KN_LEAVEGROUP_MIN, KN_LEAVEGROUP_MAX)
