/*
 * broker/handlers/groups.c -- the membership APIs of consumer groups:
 * FindCoordinator (10), JoinGroup (11), Heartbeat (12), LeaveGroup (13)
 * and SyncGroup (14). Committed offsets and group administration
 * (OffsetCommit, OffsetFetch, DescribeGroups, ListGroups, DeleteGroups,
 * OffsetDelete) are in group_offsets.c.
 *
 * Each handler decodes with common/protocol, takes the coordinator lock,
 * checks that this broker coordinates the group (NOT_COORDINATOR /
 * COORDINATOR_LOAD_IN_PROGRESS otherwise), lets broker/group do the work
 * and encodes the answer while still holding the lock (the answer may
 * point into group state). JoinGroup and SyncGroup may park until the
 * rebalance moves on. A parked request is a delayed operation on the
 * connection's loop, woken by key (see broker/server/delayed.h).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/broker.h"
#include "broker/cluster/cluster.h"
#include "broker/group/group_int.h"
#include "broker/log/log.h"
#include "broker/server/delayed.h"
#include "broker/server/request.h"
#include "common/config.h"
#include "log.h"
#include "protocol/groupadmin.h"
#include "protocol/offsetdelete.h"
#include "protocol/offsets.h"

#define KN_GROUP_PARK_SLACK_MS 5000  /* beyond the rebalance timeout */

/* A parked JoinGroup / SyncGroup. */
typedef struct {
    kn_gwaiter_t w;
    kn_req_t    *req;
    char         key[48];          /* delayed-op key the coordinator notifies */
    char        *member_id;        /* for the timeout answer */
} kn_gpark_t;

static volatile unsigned long kn_gpark_seq;

static char *kn_gh_client_host(const kn_req_t *req, char *buf, size_t len)
{
    /* Kafka shows "/ip"; req->peer is "ip:port" ("[v6]:port" for IPv6). */
    const char *colon = strrchr(req->peer, ':');
    size_t n = colon ? (size_t)(colon - req->peer) : strlen(req->peer);
    snprintf(buf, len, "/%.*s", (int)n, req->peer);
    return buf;
}

/* Free pk once its answer is taken (nothing refers to it any more). */
static void kn_gpark_free(kn_gpark_t *pk)
{
    kn_wbuf_free(&pk->w.resp);
    free(pk->member_id);
    free(pk);
}

/* Finish pk with an error-only answer of its own API. */
static void kn_gpark_error(kn_gpark_t *pk, kn_err_t err)
{
    if (pk->w.api_key == KN_API_JOIN_GROUP) {
        kn_gwaiter_join_error(&pk->w, err, pk->member_id);
    } else {
        kn_gwaiter_sync_error(&pk->w, err);
    }
}

static bool kn_gpark_cb(void *arg, kn_delayed_reason_t why)
{
    kn_gpark_t *pk = arg;
    kn_gcoord_t *gc = kn_gc();
    if (gc != NULL) {
        kn_gc_lock(gc);
    }
    if (!pk->w.done) {
        if (why == KN_DELAYED_WAKE) {
            if (gc != NULL) {
                kn_gc_unlock(gc);
            }
            return false;
        }
        /* Timeout (the coordinator should have answered by now) or
         * shutdown: answer so the client retries or moves on. */
        kn_gwaiter_detach(&pk->w);
        kn_err_t err = why == KN_DELAYED_TIMEOUT ? KN_ERR_REBALANCE_IN_PROGRESS : KN_ERR_NOT_COORDINATOR;
        pk->w.wake = NULL;
        kn_gpark_error(pk, err);
    }
    if (gc != NULL) {
        kn_gc_unlock(gc);
    }
    kn_req_complete(pk->req, &pk->w.resp);
    kn_gpark_free(pk);
    return true;
}

static kn_gpark_t *kn_gpark_new(kn_req_t *req, int16_t api_key, kn_slice_t member_id)
{
    kn_gpark_t *pk = kn_calloc(1, sizeof(*pk));
    kn_gwaiter_init(&pk->w, api_key, req->api_version);
    pk->req = req;
    unsigned long seq = __atomic_add_fetch(&kn_gpark_seq, 1, __ATOMIC_RELAXED);
    snprintf(pk->key, sizeof(pk->key), "kn.group.wait.%lu", seq);
    pk->w.wake = kn_gc_wake;
    pk->w.ud = pk->key;
    pk->member_id = kn_slice_strdup(member_id);
    return pk;
}

/* After the state machine ran: answer now (KN_OK) or park (KN_AGAIN).
 * Called with the lock held. */
static int kn_gpark_finish(kn_gpark_t *pk, kn_req_t *req, kn_wbuf_t *resp, int64_t timeout_ms)
{
    if (pk->w.done) {
        kn_wbuf_raw(resp, pk->w.resp.data, pk->w.resp.len);
        kn_gpark_free(pk);
        return KN_OK;
    }
    kn_delayed_t *op = kn_delayed_new(req->base, timeout_ms, kn_gpark_cb, pk);
    if (op == NULL) {
        kn_gwaiter_detach(&pk->w);
        kn_gpark_free(pk);
        return KN_ERROR;
    }
    kn_delayed_watch(op, pk->key);
    return KN_AGAIN;
}

/* ---- FindCoordinator -------------------------------------------------------------- */

static int kn_handle_find_coordinator(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_findcoordinator_req_t r;
    kn_findcoordinator_resp_t out;
    kn_gcoord_t *gc = kn_gc();

    kn_arena_init(&arena);
    if (kn_proto_findcoordinator_req_decode(&req->body, req->api_version, &r, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    memset(&out, 0, sizeof(out));
    out.node_id = -1;
    out.port = -1;
    out.host = kn_slice_str("");
    out.error_message = KN_SLICE_NULL;
    char host[256] = "";
    kn_err_t err;
    int32_t leader = -1;
    if (r.key_type != KN_COORDINATOR_GROUP) {
        /* Transactions are not supported yet. */
        err = r.key_type == KN_COORDINATOR_TRANSACTION ? KN_ERR_COORDINATOR_NOT_AVAILABLE
                                                       : KN_ERR_INVALID_REQUEST;
    } else if (gc == NULL) {
        err = KN_ERR_COORDINATOR_NOT_AVAILABLE;
    } else {
        err = kn_gc_find(gc, (const char *)r.key.ptr, (size_t)KN_MAX(r.key.len, 0), &leader);
    }
    if (err == KN_ERR_NONE) {
        kn_md_t *md = kn_cluster_md_acquire(req->broker->cluster);
        const kn_md_broker_t *b = kn_md_broker(md, leader);
        const kn_md_endpoint_t *ep = b ? kn_md_endpoint(b, req->listener) : NULL;
        if (ep != NULL) {
            snprintf(host, sizeof(host), "%s", ep->host);
            out.node_id = leader;
            out.port = ep->port;
            out.host = kn_slice_str(host);
        } else {
            err = KN_ERR_COORDINATOR_NOT_AVAILABLE;
        }
        kn_md_release(md);
    }
    out.error_code = (int16_t)err;
    kn_proto_findcoordinator_resp_encode(resp, req->api_version, &out);
    kn_arena_free(&arena);
    return KN_OK;
}

/* ---- JoinGroup / SyncGroup / Heartbeat / LeaveGroup ------------------------------- */

/* The part of a JoinGroup or SyncGroup that differs: run the state
 * machine for the request r on the group's coordinator partition p (lock
 * held), possibly lengthening *timeout_ms. An error it returns is the
 * answer. */
typedef kn_err_t (*kn_gpark_run_t)(kn_gcoord_t *gc, int32_t p, kn_gpark_t *pk, const void *r,
                                   int64_t *timeout_ms);

/* What JoinGroup and SyncGroup share around their run: a waiter to park,
 * the group-id and coordinator checks, and answering now or parking for
 * up to timeout_ms. */
static int kn_gpark_handle(kn_req_t *req, kn_wbuf_t *resp, int16_t api_key, kn_slice_t group_id,
                           kn_slice_t member_id, int64_t timeout_ms, kn_gpark_run_t run,
                           const void *r)
{
    kn_gcoord_t *gc = kn_gc();
    kn_gpark_t *pk = kn_gpark_new(req, api_key, member_id);
    if (gc == NULL) {
        pk->w.wake = NULL;
        kn_gpark_error(pk, KN_ERR_COORDINATOR_NOT_AVAILABLE);
        return kn_gpark_finish(pk, req, resp, 0);
    }
    kn_gc_lock(gc);
    int32_t p = -1;
    kn_err_t err = group_id.len <= 0 ? KN_ERR_INVALID_GROUP_ID
                                     : kn_gc_check(gc, (const char *)group_id.ptr,
                                                   (size_t)group_id.len, &p);
    if (err == KN_ERR_NONE) {
        err = run(gc, p, pk, r, &timeout_ms);
    }
    if (err != KN_ERR_NONE) {
        kn_gpark_error(pk, err);
    }
    int rc = kn_gpark_finish(pk, req, resp, timeout_ms);
    kn_gc_unlock(gc);
    return rc;
}

/* JoinGroup's run: the group is created on a first join. */
static kn_err_t kn_gh_join_run(kn_gcoord_t *gc, int32_t p, kn_gpark_t *pk, const void *arg,
                               int64_t *timeout_ms)
{
    const kn_joingroup_req_t *r = arg;
    const kn_req_t *req = pk->req;
    char cid[256], hostbuf[80];
    (void)timeout_ms;
    snprintf(cid, sizeof(cid), "%.*s", (int)KN_MAX(req->client_id.len, 0),
             req->client_id.ptr ? (const char *)req->client_id.ptr : "");
    kn_gclient_t cl = { cid, kn_gh_client_host(req, hostbuf, sizeof(hostbuf)) };
    kn_group_t *g = kn_gtable_get(kn_gc_groups(gc), (const char *)r->group_id.ptr,
                                  (size_t)r->group_id.len, p);
    kn_group_join(g, kn_gc_conf(gc), r, &cl, &pk->w, kn_mono_ms());
    kn_gc_after(gc, g);
    return KN_ERR_NONE;
}

static int kn_handle_join_group(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_joingroup_req_t r;

    kn_arena_init(&arena);
    if (kn_proto_joingroup_req_decode(&req->body, req->api_version, &r, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    int64_t timeout = (int64_t)KN_MAX(r.rebalance_timeout_ms, r.session_timeout_ms) +
                      KN_GROUP_PARK_SLACK_MS;
    int rc = kn_gpark_handle(req, resp, KN_API_JOIN_GROUP, r.group_id, r.member_id, timeout,
                             kn_gh_join_run, &r);
    kn_arena_free(&arena);
    return rc;
}

/* SyncGroup's run: the park lasts as long as the member's own timeouts
 * allow on top of the slack. */
static kn_err_t kn_gh_sync_run(kn_gcoord_t *gc, int32_t p, kn_gpark_t *pk, const void *arg,
                               int64_t *timeout_ms)
{
    const kn_syncgroup_req_t *r = arg;
    (void)p;
    kn_group_t *g = kn_gtable_find(kn_gc_groups(gc), (const char *)r->group_id.ptr,
                                   (size_t)r->group_id.len);
    if (g == NULL) {
        return KN_ERR_UNKNOWN_MEMBER_ID;
    }
    kn_gmember_t *m = kn_group_member(g, (const char *)r->member_id.ptr,
                                      (size_t)KN_MAX(r->member_id.len, 0));
    if (m != NULL) {
        *timeout_ms += (int64_t)m->rebalance_timeout_ms + m->session_timeout_ms;
    }
    kn_group_sync(g, r, &pk->w, kn_mono_ms());
    kn_gc_after(gc, g);
    return KN_ERR_NONE;
}

static int kn_handle_sync_group(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_syncgroup_req_t r;

    kn_arena_init(&arena);
    if (kn_proto_syncgroup_req_decode(&req->body, req->api_version, &r, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    int rc = kn_gpark_handle(req, resp, KN_API_SYNC_GROUP, r.group_id, r.member_id,
                             KN_GROUP_PARK_SLACK_MS, kn_gh_sync_run, &r);
    kn_arena_free(&arena);
    return rc;
}

static int kn_handle_heartbeat(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_heartbeat_req_t r;
    kn_heartbeat_resp_t out;
    kn_gcoord_t *gc = kn_gc();
    kn_err_t err = KN_ERR_COORDINATOR_NOT_AVAILABLE;

    kn_arena_init(&arena);
    if (kn_proto_heartbeat_req_decode(&req->body, req->api_version, &r, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    if (gc != NULL) {
        kn_gc_lock(gc);
        kn_group_t *g = kn_gc_lookup(gc, r.group_id, false, false, &err, NULL);
        if (g != NULL) {
            err = kn_group_heartbeat(g, &r, kn_mono_ms());
            kn_gc_after(gc, g);
        } else if (err == KN_ERR_NONE) {
            err = KN_ERR_UNKNOWN_MEMBER_ID;
        }
        kn_gc_unlock(gc);
    }
    memset(&out, 0, sizeof(out));
    out.error_code = (int16_t)err;
    kn_proto_heartbeat_resp_encode(resp, req->api_version, &out);
    kn_arena_free(&arena);
    return KN_OK;
}

static int kn_handle_leave_group(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_arena_t arena;
    kn_leavegroup_req_t r;
    kn_leavegroup_resp_t out;
    kn_gcoord_t *gc = kn_gc();
    kn_err_t err = KN_ERR_COORDINATOR_NOT_AVAILABLE;

    kn_arena_init(&arena);
    if (kn_proto_leavegroup_req_decode(&req->body, req->api_version, &r, &arena) != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;
    }
    memset(&out, 0, sizeof(out));
    out.n_members = r.n_members;
    out.members = kn_arena_array(&arena, (size_t)KN_MAX(r.n_members, 1), sizeof(*out.members));
    if (gc != NULL) {
        kn_gc_lock(gc);
        kn_group_t *g = kn_gc_lookup(gc, r.group_id, false, false, &err, NULL);
        for (int32_t i = 0; i < r.n_members && err == KN_ERR_NONE; i++) {
            kn_leavegroup_member_t *m = &out.members[i];
            m->member_id = r.members[i].member_id;
            m->group_instance_id = r.members[i].group_instance_id;
            m->error_code = g ? (int16_t)kn_group_leave(g, r.members[i].member_id,
                                                         r.members[i].group_instance_id, kn_mono_ms())
                              : (int16_t)KN_ERR_UNKNOWN_MEMBER_ID;
        }
        if (g != NULL) {
            kn_gc_after(gc, g);
        }
        kn_gc_unlock(gc);
    }
    out.error_code = (int16_t)err;
    if (err != KN_ERR_NONE) {
        out.n_members = 0;
    } else if (req->api_version < 3 && r.n_members > 0) {
        /* v0-2 name one member: its error is the answer's. */
        out.error_code = out.members[0].error_code;
    }
    kn_proto_leavegroup_resp_encode(resp, req->api_version, &out);
    kn_arena_free(&arena);
    return KN_OK;
}

void kn_group_register_handlers(void)
{
    kn_handlers_register(KN_API_FIND_COORDINATOR, kn_handle_find_coordinator);
    kn_handlers_register(KN_API_JOIN_GROUP, kn_handle_join_group);
    kn_handlers_register(KN_API_SYNC_GROUP, kn_handle_sync_group);
    kn_handlers_register(KN_API_HEARTBEAT, kn_handle_heartbeat);
    kn_handlers_register(KN_API_LEAVE_GROUP, kn_handle_leave_group);
    kn_group_register_offset_handlers();
}
