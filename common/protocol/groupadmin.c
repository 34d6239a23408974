/*
 * common/protocol/groupadmin.c -- ListGroups, DescribeGroups and
 * DeleteGroups codecs (see groupadmin.h). DeleteGroups has no JSON spec in
 * the reference folder; v0-1 are: request groups_names ARRAY(STRING);
 * response throttle_time_ms INT32, results ARRAY(group_id STRING,
 * error_code INT16), flexible from v2.
 */
#include "config.h"
#include "protocol/codec.h"
#include "protocol/groupadmin.h"

static void io_listgroups_req(kn_io_t *io, kn_listgroups_req_t *m)
{
    (void)io;
    (void)m;
}

static void io_listgroups_resp(kn_io_t *io, kn_listgroups_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 1, &m->throttle_time_ms, 0);
    kn_io_i16(io, &m->error_code);
    KN_IO_ARRAY(io, m->groups, m->n_groups, 4, false);
    for (int32_t i = 0; i < kn_io_count(m->n_groups) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->groups[i].group_id);
        kn_io_str(io, &m->groups[i].protocol_type);
    }
}

KN_PROTO_DEFINE(listgroups, KN_API_LIST_GROUPS, KN_LISTGROUPS_MIN, KN_LISTGROUPS_MAX)

static void io_describegroups_req(kn_io_t *io, kn_describegroups_req_t *m)
{
    kn_io_str_array(io, &m->groups, &m->n_groups, false);
    kn_io_bool_if(io, io->ver >= 3, &m->include_authorized_operations, false);
}

static void io_describegroups_member(kn_io_t *io, kn_describegroups_member_t *mb)
{
    kn_io_str(io, &mb->member_id);
    kn_io_nstr_if(io, io->ver >= 4, &mb->group_instance_id);
    kn_io_str(io, &mb->client_id);
    kn_io_str(io, &mb->client_host);
    kn_io_bytes(io, &mb->member_metadata, false);
    kn_io_bytes(io, &mb->member_assignment, false);
}

static void io_describegroups_resp(kn_io_t *io, kn_describegroups_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 1, &m->throttle_time_ms, 0);
    /* error, four strings, empty members = 14 bytes */
    KN_IO_ARRAY(io, m->groups, m->n_groups, 14, false);
    for (int32_t i = 0; i < kn_io_count(m->n_groups) && kn_io_ok(io); i++) {
        kn_describegroups_group_t *g = &m->groups[i];
        kn_io_i16(io, &g->error_code);
        kn_io_str(io, &g->group_id);
        kn_io_str(io, &g->group_state);
        kn_io_str(io, &g->protocol_type);
        kn_io_str(io, &g->protocol_data);
        /* four strings + two empty byte blobs = 14 bytes */
        KN_IO_ARRAY(io, g->members, g->n_members, 14, false);
        for (int32_t j = 0; j < kn_io_count(g->n_members) && kn_io_ok(io); j++) {
            io_describegroups_member(io, &g->members[j]);
        }
        kn_io_i32_if(io, io->ver >= 3, &g->authorized_operations, INT32_MIN);
    }
}

KN_PROTO_DEFINE(describegroups, KN_API_DESCRIBE_GROUPS, KN_DESCRIBEGROUPS_MIN,
                KN_DESCRIBEGROUPS_MAX)

static void io_deletegroups_req(kn_io_t *io, kn_deletegroups_req_t *m)
{
    kn_io_str_array(io, &m->groups_names, &m->n_groups_names, false);
}

static void io_deletegroups_resp(kn_io_t *io, kn_deletegroups_resp_t *m)
{
    kn_io_i32(io, &m->throttle_time_ms);
    KN_IO_ARRAY(io, m->results, m->n_results, 4, false);
    for (int32_t i = 0; i < kn_io_count(m->n_results) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->results[i].group_id);
        kn_io_i16(io, &m->results[i].error_code);
    }
}

KN_PROTO_DEFINE(deletegroups, KN_API_DELETE_GROUPS, KN_DELETEGROUPS_MIN, KN_DELETEGROUPS_MAX)
