/*
 * broker/group/state.c -- the consumer-group state machine, as Kafka's
 * GroupCoordinator runs it:
 *
 *   Empty --join--> PreparingRebalance --all joined / deadline-->
 *   CompletingRebalance --leader's SyncGroup--> Stable --join, leave,
 *   session expiry--> PreparingRebalance ...; the last member leaving or
 *   expiring ends a rebalance in Empty. Dead = deleted/unloaded.
 *
 * A rebalance gives the group a new generation; JoinGroup answers carry it
 * (the leader's answer also lists every member with its subscription for
 * the chosen protocol, so the client-side assignor can work), SyncGroup
 * answers carry each member's assignment from the leader. The broker never
 * looks inside subscriptions or assignments except to find subscribed
 * topics for OffsetDelete.
 *
 * The first rebalance of an Empty group waits group.initial.rebalance.
 * delay.ms, extended while new members keep arriving (up to the rebalance
 * timeout), so a group of consumers starting together does one rebalance
 * instead of one per member. Time comes in as `now` (monotonic ms); the
 * coordinator calls kn_group_timers() from its timer.
 *
 * Everything here runs under the coordinator lock; nothing here blocks.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "broker/group/group_int.h"
#include "protocol/api.h"

const char *kn_gstate_name(kn_gstate_t s)
{
    switch (s) {
    case KN_GS_EMPTY: return "Empty";
    case KN_GS_PREPARING: return "PreparingRebalance";
    case KN_GS_COMPLETING: return "CompletingRebalance";
    case KN_GS_STABLE: return "Stable";
    case KN_GS_DEAD: return "Dead";
    }
    return "Unknown";
}

/* ---- waiters --------------------------------------------------------------- */

void kn_gwaiter_init(kn_gwaiter_t *w, int16_t api_key, int16_t version)
{
    memset(w, 0, sizeof(*w));
    w->api_key = api_key;
    w->version = version;
    kn_wbuf_init(&w->resp, 64);
}

void kn_gwaiter_detach(kn_gwaiter_t *w)
{
    if (w->slot != NULL) {
        *w->slot = NULL;
        w->slot = NULL;
    }
}

static void kn_gwaiter_finish(kn_gwaiter_t *w)
{
    kn_gwaiter_detach(w);
    w->done = true;
    if (w->wake != NULL) {
        w->wake(w);
    }
}

void kn_gwaiter_join_error(kn_gwaiter_t *w, kn_err_t err, const char *member_id)
{
    kn_joingroup_resp_t r;
    memset(&r, 0, sizeof(r));
    r.error_code = (int16_t)err;
    r.generation_id = -1;
    r.protocol_name = kn_slice_str("");
    r.leader = kn_slice_str("");
    r.member_id = kn_slice_str(member_id ? member_id : "");
    kn_wbuf_reset(&w->resp);
    kn_proto_joingroup_resp_encode(&w->resp, w->version, &r);
    kn_gwaiter_finish(w);
}

void kn_gwaiter_sync_error(kn_gwaiter_t *w, kn_err_t err)
{
    kn_syncgroup_resp_t r;
    memset(&r, 0, sizeof(r));
    r.error_code = (int16_t)err;
    r.assignment = (kn_slice_t){ (const uint8_t *)"", 0 };
    kn_wbuf_reset(&w->resp);
    kn_proto_syncgroup_resp_encode(&w->resp, w->version, &r);
    kn_gwaiter_finish(w);
}

static void kn_gwaiter_sync_ok(kn_gwaiter_t *w, const kn_gmember_t *m)
{
    kn_syncgroup_resp_t r;
    memset(&r, 0, sizeof(r));
    r.assignment = (kn_slice_t){ m->assignment ? m->assignment : (const uint8_t *)"",
                                 m->assignment ? m->assignment_len : 0 };
    kn_wbuf_reset(&w->resp);
    kn_proto_syncgroup_resp_encode(&w->resp, w->version, &r);
    kn_gwaiter_finish(w);
}

/* The member's subscription for protocol name (NULL if it has none). */
const kn_gproto_t *kn_gmember_proto(const kn_gmember_t *m, const char *name)
{
    for (int i = 0; name != NULL && i < m->n_protocols; i++) {
        if (strcmp(m->protocols[i].name, name) == 0) {
            return &m->protocols[i];
        }
    }
    return NULL;
}

/* A successful JoinGroup answer for m in the group's current generation;
 * the leader also gets every member's subscription. */
static void kn_gwaiter_join_ok(kn_gwaiter_t *w, const kn_group_t *g, const kn_gmember_t *m)
{
    kn_joingroup_resp_t r;
    kn_joingroup_member_t *list = NULL;

    memset(&r, 0, sizeof(r));
    r.generation_id = g->generation;
    r.protocol_name = kn_slice_str(g->protocol ? g->protocol : "");
    r.leader = kn_slice_str(g->leader ? g->leader : "");
    r.member_id = kn_slice_str(m->id);
    if (g->leader != NULL && strcmp(g->leader, m->id) == 0 && g->n_members > 0) {
        list = kn_calloc((size_t)g->n_members, sizeof(*list));
        int n = 0;
        for (const kn_gmember_t *x = g->members; x != NULL; x = x->next) {
            const kn_gproto_t *p = kn_gmember_proto(x, g->protocol);
            list[n].member_id = kn_slice_str(x->id);
            list[n].group_instance_id = x->instance_id ? kn_slice_str(x->instance_id) : KN_SLICE_NULL;
            list[n].metadata = p ? (kn_slice_t){ p->meta ? p->meta : (const uint8_t *)"", p->meta_len }
                                 : (kn_slice_t){ (const uint8_t *)"", 0 };
            n++;
        }
        r.n_members = n;
        r.members = list;
    }
    kn_wbuf_reset(&w->resp);
    kn_proto_joingroup_resp_encode(&w->resp, w->version, &r);
    free(list);
    kn_gwaiter_finish(w);
}

static void kn_group_set_state(kn_group_t *g, kn_gstate_t s)
{
    g->state = s;
    g->state_ts = kn_now_ms();
}

static void kn_group_set_str(char **dst, const char *s)
{
    free(*dst);
    *dst = s ? kn_strdup(s) : NULL;
}

/* Unlink m and free it; a new leader is picked if it led. */
static void kn_group_remove_member(kn_group_t *g, kn_gmember_t *m, kn_err_t err)
{
    kn_gmember_t **pp = &g->members;
    while (*pp != NULL && *pp != m) {
        pp = &(*pp)->next;
    }
    if (*pp == NULL) {
        return;
    }
    *pp = m->next;
    g->n_members--;
    if (g->leader != NULL && strcmp(g->leader, m->id) == 0) {
        kn_group_set_str(&g->leader, g->members ? g->members->id : NULL);
    }
    kn_gmember_fail(m, err);
    kn_gmember_free(m);
}

static int kn_group_pending_find(const kn_group_t *g, const char *id, size_t len)
{
    for (int i = 0; i < g->n_pending; i++) {
        if (strlen(g->pending[i].id) == len && memcmp(g->pending[i].id, id, len) == 0) {
            return i;
        }
    }
    return -1;
}

static void kn_group_pending_del(kn_group_t *g, int i)
{
    free(g->pending[i].id);
    g->pending[i] = g->pending[--g->n_pending];
}

/* "<client id>-<uuid>", Kafka's member id shape. */
static char *kn_group_new_member_id(const char *client_id)
{
    uint8_t u[16];
    if (getrandom(u, sizeof(u), 0) != (ssize_t)sizeof(u)) {
        /* getrandom on Linux only fails before the pool is seeded; a
         * time-based id is still unique enough for member ids. */
        int64_t t = kn_mono_ms() ^ kn_now_ms();
        memcpy(u, &t, sizeof(t));
        memcpy(u + 8, &t, sizeof(t));
    }
    u[6] = (uint8_t)((u[6] & 0x0f) | 0x40);
    u[8] = (uint8_t)((u[8] & 0x3f) | 0x80);
    size_t n = strlen(client_id) + 40;
    char *s = kn_malloc(n);
    snprintf(s, n, "%s-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", client_id,
             u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13],
             u[14], u[15]);
    return s;
}

/* ---- protocol selection ------------------------------------------------------ */

/* Does every member support protocol name? */
static bool kn_group_all_support(const kn_group_t *g, const char *name)
{
    for (const kn_gmember_t *m = g->members; m != NULL; m = m->next) {
        if (kn_gmember_proto(m, name) == NULL) {
            return false;
        }
    }
    return true;
}

/* Kafka's supportsProtocols: a newcomer must speak the group's protocol
 * type and share at least one protocol with every current member. */
static bool kn_group_supports(const kn_group_t *g, const kn_joingroup_req_t *r)
{
    if (g->n_members == 0) {
        return r->protocol_type.len > 0 && r->n_protocols > 0;
    }
    if (g->protocol_type == NULL || !kn_slice_eq(r->protocol_type, g->protocol_type)) {
        return false;
    }
    for (int32_t i = 0; i < r->n_protocols; i++) {
        char name[256];
        kn_slice_t s = r->protocols[i].name;
        if (s.len < 0 || (size_t)s.len >= sizeof(name)) {
            continue;
        }
        memcpy(name, s.ptr, (size_t)s.len);
        name[s.len] = '\0';
        if (kn_group_all_support(g, name)) {
            return true;
        }
    }
    return false;
}

/* Kafka's selectProtocol: among the protocols every member supports, each
 * member votes for the first in its own preference order; most votes
 * wins (ties go to the earlier member's preference). */
static const char *kn_group_select_protocol(const kn_group_t *g)
{
    const char *best = NULL;
    int best_votes = 0;
    for (const kn_gmember_t *c = g->members; c != NULL; c = c->next) {
        for (int i = 0; i < c->n_protocols; i++) {
            const char *cand = c->protocols[i].name;
            if (!kn_group_all_support(g, cand)) {
                continue;
            }
            int votes = 0;
            for (const kn_gmember_t *m = g->members; m != NULL; m = m->next) {
                for (int k = 0; k < m->n_protocols; k++) {
                    if (kn_group_all_support(g, m->protocols[k].name)) {
                        votes += strcmp(m->protocols[k].name, cand) == 0;
                        break;
                    }
                }
            }
            if (votes > best_votes) {
                best = cand;
                best_votes = votes;
            }
        }
    }
    return best;
}

/* ---- rebalance ------------------------------------------------------------------ */

static int32_t kn_group_max_rebalance_ms(const kn_group_t *g)
{
    int32_t t = 0;
    for (const kn_gmember_t *m = g->members; m != NULL; m = m->next) {
        t = KN_MAX(t, m->rebalance_timeout_ms);
    }
    return t;
}

static bool kn_group_all_joined(const kn_group_t *g)
{
    if (g->n_pending > 0) {
        return false;
    }
    for (const kn_gmember_t *m = g->members; m != NULL; m = m->next) {
        if (m->join_w == NULL) {
            return false;
        }
    }
    return true;
}

/* The join phase is over: drop members that did not rejoin, start the
 * next generation and answer every parked JoinGroup. */
static void kn_group_complete_join(kn_group_t *g, int64_t now)
{
    kn_gmember_t *m = g->members;
    while (m != NULL) {
        kn_gmember_t *next = m->next;
        if (m->join_w == NULL && m->instance_id == NULL) {
            kn_group_remove_member(g, m, KN_ERR_UNKNOWN_MEMBER_ID);
        }
        m = next;
    }
    g->initial_delay = false;
    g->new_member_added = false;
    g->generation++;
    if (g->n_members == 0) {
        kn_group_set_str(&g->protocol, NULL);
        kn_group_set_str(&g->leader, NULL);
        kn_group_set_state(g, KN_GS_EMPTY);
        g->dirty = true;
        return;
    }
    kn_group_set_str(&g->protocol, kn_group_select_protocol(g));
    if (g->leader == NULL || kn_group_member(g, g->leader, strlen(g->leader)) == NULL) {
        kn_group_set_str(&g->leader, g->members->id);
    }
    kn_group_set_state(g, KN_GS_COMPLETING);
    for (m = g->members; m != NULL; m = m->next) {
        free(m->assignment);
        m->assignment = NULL;
        m->assignment_len = 0;
        m->heartbeat_deadline = now + m->session_timeout_ms;
        if (m->join_w != NULL) {
            kn_gwaiter_join_ok(m->join_w, g, m);
        }
    }
}

static void kn_group_try_complete_join(kn_group_t *g, int64_t now)
{
    if (g->state == KN_GS_PREPARING && !g->initial_delay && kn_group_all_joined(g)) {
        kn_group_complete_join(g, now);
    }
}

/* Enter PreparingRebalance (Kafka's prepareRebalance): a group that was
 * syncing loses its pending SyncGroups; an Empty group waits the initial
 * delay first. */
static void kn_group_prepare_rebalance(kn_group_t *g, const kn_gconf_t *cf, int64_t now)
{
    if (g->state == KN_GS_PREPARING || g->state == KN_GS_DEAD) {
        kn_group_try_complete_join(g, now);
        return;
    }
    if (g->state == KN_GS_COMPLETING) {
        for (kn_gmember_t *m = g->members; m != NULL; m = m->next) {
            if (m->sync_w != NULL) {
                kn_gwaiter_sync_error(m->sync_w, KN_ERR_REBALANCE_IN_PROGRESS);
            }
        }
    }
    int32_t rebalance_ms = kn_group_max_rebalance_ms(g);
    if (g->state == KN_GS_EMPTY && cf != NULL && cf->initial_delay_ms > 0) {
        int32_t delay = KN_MIN(cf->initial_delay_ms, rebalance_ms);
        g->initial_delay = true;
        g->initial_remaining = KN_MAX(rebalance_ms - delay, 0);
        g->new_member_added = false;
        g->rebalance_deadline = now + delay;
    } else {
        g->initial_delay = false;
        g->rebalance_deadline = now + rebalance_ms;
    }
    kn_group_set_state(g, KN_GS_PREPARING);
    kn_group_try_complete_join(g, now);
}

/* A member is gone (leave, expiry): rebalance the others. */
static void kn_group_member_gone(kn_group_t *g, kn_gmember_t *m, kn_err_t err, int64_t now)
{
    kn_group_remove_member(g, m, err);
    if (g->state == KN_GS_STABLE || g->state == KN_GS_COMPLETING) {
        kn_group_prepare_rebalance(g, NULL, now);
    } else {
        kn_group_try_complete_join(g, now);
    }
}

static void kn_gmember_park_join(kn_gmember_t *m, kn_gwaiter_t *w)
{
    if (m->join_w != NULL) {
        /* A second JoinGroup while one is parked: the client gave up on
         * the first; answer it so it is not left hanging. */
        kn_gwaiter_join_error(m->join_w, KN_ERR_REBALANCE_IN_PROGRESS, m->id);
    }
    m->join_w = w;
    w->slot = &m->join_w;
}

static kn_gmember_t *kn_group_add_member(kn_group_t *g, const kn_joingroup_req_t *r,
                                         const kn_gclient_t *cl, char *id, int64_t now)
{
    kn_gmember_t *m = kn_calloc(1, sizeof(*m));
    m->id = id;
    m->instance_id = kn_slice_strdup(r->group_instance_id);
    m->client_id = kn_strdup(cl->client_id ? cl->client_id : "");
    m->client_host = kn_strdup(cl->client_host ? cl->client_host : "");
    m->session_timeout_ms = r->session_timeout_ms;
    m->rebalance_timeout_ms = r->rebalance_timeout_ms > 0 ? r->rebalance_timeout_ms : r->session_timeout_ms;
    kn_gmember_set_protocols(m, r);
    m->heartbeat_deadline = now + m->session_timeout_ms;
    kn_gmember_t **pp = &g->members;
    while (*pp != NULL) {
        pp = &(*pp)->next;
    }
    *pp = m;
    g->n_members++;
    if (g->protocol_type == NULL) {
        g->protocol_type = kn_slice_strdup(r->protocol_type);
    }
    if (g->leader == NULL) {
        g->leader = kn_strdup(m->id);
    }
    if (g->state == KN_GS_PREPARING && g->initial_delay) {
        g->new_member_added = true;
    }
    return m;
}

void kn_group_join(kn_group_t *g, const kn_gconf_t *cf, const kn_joingroup_req_t *r,
                   const kn_gclient_t *cl, kn_gwaiter_t *w, int64_t now)
{
    char *mid = kn_slice_strdup(r->member_id);
    if (mid == NULL) {
        mid = kn_strdup("");
    }
    if (r->group_id.len <= 0) {
        kn_gwaiter_join_error(w, KN_ERR_INVALID_GROUP_ID, mid);
        goto out;
    }
    if (r->session_timeout_ms < cf->min_session_ms || r->session_timeout_ms > cf->max_session_ms) {
        kn_gwaiter_join_error(w, KN_ERR_INVALID_SESSION_TIMEOUT, mid);
        goto out;
    }
    if (r->n_protocols <= 0 || r->protocol_type.len <= 0) {
        kn_gwaiter_join_error(w, KN_ERR_INCONSISTENT_GROUP_PROTOCOL, mid);
        goto out;
    }
    if (g->state == KN_GS_DEAD) {
        kn_gwaiter_join_error(w, KN_ERR_COORDINATOR_NOT_AVAILABLE, mid);
        goto out;
    }
    if (!kn_group_supports(g, r)) {
        kn_gwaiter_join_error(w, KN_ERR_INCONSISTENT_GROUP_PROTOCOL, mid);
        goto out;
    }

    kn_gmember_t *m;
    if (mid[0] == '\0') {
        /* ---- a new member ---- */
        if (g->n_members >= cf->max_size) {
            kn_gwaiter_join_error(w, KN_ERR_GROUP_MAX_SIZE_REACHED, mid);
            goto out;
        }
        char *nid = kn_group_new_member_id(cl->client_id ? cl->client_id : "");
        if (r->group_instance_id.len > 0) {
            m = kn_group_static_member(g, (const char *)r->group_instance_id.ptr,
                                       (size_t)r->group_instance_id.len);
            if (m != NULL) {
                /* A static member restarted: it takes over its old
                 * identity under a new member id; the old id is fenced. */
                kn_gmember_fail(m, KN_ERR_FENCED_INSTANCE_ID);
                if (g->leader != NULL && strcmp(g->leader, m->id) == 0) {
                    kn_group_set_str(&g->leader, nid);
                }
                free(m->id);
                m->id = nid;
                m->heartbeat_deadline = now + r->session_timeout_ms;
                m->session_timeout_ms = r->session_timeout_ms;
                if (g->state == KN_GS_STABLE && kn_gmember_same_protocols(m, r)) {
                    /* Nothing changed for the group: no rebalance, the
                     * member syncs to get its old assignment back. */
                    kn_gwaiter_join_ok(w, g, m);
                    goto out;
                }
                kn_gmember_set_protocols(m, r);
                kn_gmember_park_join(m, w);
                kn_group_prepare_rebalance(g, cf, now);
                goto out;
            }
        } else if (w->version >= 4) {
            /* KIP-394: hand out the id first, so a client that times out
             * and retries does not leave ghost members behind. */
            if (g->n_pending == g->cap_pending) {
                g->cap_pending = g->cap_pending ? g->cap_pending * 2 : 4;
                g->pending = kn_realloc(g->pending, (size_t)g->cap_pending * sizeof(*g->pending));
            }
            g->pending[g->n_pending].id = nid;
            g->pending[g->n_pending].deadline = now + r->session_timeout_ms;
            g->n_pending++;
            kn_gwaiter_join_error(w, KN_ERR_MEMBER_ID_REQUIRED, nid);
            goto out;
        }
        m = kn_group_add_member(g, r, cl, nid, now);
        kn_gmember_park_join(m, w);
        kn_group_prepare_rebalance(g, cf, now);
        goto out;
    }

    /* ---- a known (or pending) member id ---- */
    int pi = kn_group_pending_find(g, mid, strlen(mid));
    if (pi >= 0) {
        kn_group_pending_del(g, pi);
        if (g->n_members >= cf->max_size) {
            kn_gwaiter_join_error(w, KN_ERR_GROUP_MAX_SIZE_REACHED, mid);
            goto out;
        }
        m = kn_group_add_member(g, r, cl, kn_strdup(mid), now);
        kn_gmember_park_join(m, w);
        kn_group_prepare_rebalance(g, cf, now);
        goto out;
    }
    if (r->group_instance_id.len > 0) {
        kn_gmember_t *sm = kn_group_static_member(g, (const char *)r->group_instance_id.ptr,
                                                  (size_t)r->group_instance_id.len);
        if (sm != NULL && strcmp(sm->id, mid) != 0) {
            kn_gwaiter_join_error(w, KN_ERR_FENCED_INSTANCE_ID, mid);
            goto out;
        }
    }
    m = kn_group_member(g, mid, strlen(mid));
    if (m == NULL || g->state == KN_GS_EMPTY) {
        kn_gwaiter_join_error(w, KN_ERR_UNKNOWN_MEMBER_ID, mid);
        goto out;
    }
    m->heartbeat_deadline = now + m->session_timeout_ms;
    switch (g->state) {
    case KN_GS_PREPARING:
        kn_gmember_set_protocols(m, r);
        kn_gmember_park_join(m, w);
        kn_group_try_complete_join(g, now);
        break;
    case KN_GS_COMPLETING:
        if (kn_gmember_same_protocols(m, r)) {
            /* The member lost our answer: send it again. */
            kn_gwaiter_join_ok(w, g, m);
        } else {
            kn_gmember_set_protocols(m, r);
            kn_gmember_park_join(m, w);
            kn_group_prepare_rebalance(g, cf, now);
        }
        break;
    case KN_GS_STABLE:
        if ((g->leader != NULL && strcmp(g->leader, m->id) == 0) ||
            !kn_gmember_same_protocols(m, r)) {
            /* The leader rejoining asks for a rebalance (new topics
             * matched its subscription, say), as does a changed member. */
            kn_gmember_set_protocols(m, r);
            kn_gmember_park_join(m, w);
            kn_group_prepare_rebalance(g, cf, now);
        } else {
            kn_gwaiter_join_ok(w, g, m);
        }
        break;
    default:
        kn_gwaiter_join_error(w, KN_ERR_UNKNOWN_MEMBER_ID, mid);
        break;
    }
out:
    free(mid);
}

/* The member named by (member_id, instance_id), or an error: Kafka's
 * static-membership fencing first, then unknown ids. */
static kn_err_t kn_group_locate(kn_group_t *g, kn_slice_t member_id, kn_slice_t instance_id,
                                kn_gmember_t **out)
{
    *out = NULL;
    if (instance_id.len > 0) {
        kn_gmember_t *sm = kn_group_static_member(g, (const char *)instance_id.ptr, (size_t)instance_id.len);
        if (sm != NULL && !kn_slice_eq(member_id, sm->id)) {
            return KN_ERR_FENCED_INSTANCE_ID;
        }
    }
    if (member_id.len < 0) {
        return KN_ERR_UNKNOWN_MEMBER_ID;
    }
    *out = kn_group_member(g, (const char *)member_id.ptr, (size_t)member_id.len);
    return *out ? KN_ERR_NONE : KN_ERR_UNKNOWN_MEMBER_ID;
}

void kn_group_sync(kn_group_t *g, const kn_syncgroup_req_t *r, kn_gwaiter_t *w, int64_t now)
{
    kn_gmember_t *m;
    if (g->state == KN_GS_DEAD) {
        kn_gwaiter_sync_error(w, KN_ERR_COORDINATOR_NOT_AVAILABLE);
        return;
    }
    kn_err_t err = kn_group_locate(g, r->member_id, r->group_instance_id, &m);
    if (err != KN_ERR_NONE) {
        kn_gwaiter_sync_error(w, err);
        return;
    }
    if (r->generation_id != g->generation) {
        kn_gwaiter_sync_error(w, KN_ERR_ILLEGAL_GENERATION);
        return;
    }
    switch (g->state) {
    case KN_GS_EMPTY:
        kn_gwaiter_sync_error(w, KN_ERR_UNKNOWN_MEMBER_ID);
        return;
    case KN_GS_PREPARING:
        kn_gwaiter_sync_error(w, KN_ERR_REBALANCE_IN_PROGRESS);
        return;
    case KN_GS_STABLE:
        m->heartbeat_deadline = now + m->session_timeout_ms;
        kn_gwaiter_sync_ok(w, m);
        return;
    case KN_GS_COMPLETING:
        break;
    default:
        kn_gwaiter_sync_error(w, KN_ERR_UNKNOWN_SERVER_ERROR);
        return;
    }
    m->heartbeat_deadline = now + m->session_timeout_ms;
    if (m->sync_w != NULL) {
        kn_gwaiter_sync_error(m->sync_w, KN_ERR_REBALANCE_IN_PROGRESS);
    }
    m->sync_w = w;
    w->slot = &m->sync_w;
    if (g->leader == NULL || strcmp(g->leader, m->id) != 0) {
        return;   /* parked until the leader's assignment */
    }
    /* The leader's SyncGroup carries everyone's assignment; members it
     * left out get an empty one, as Kafka does. */
    for (kn_gmember_t *x = g->members; x != NULL; x = x->next) {
        free(x->assignment);
        x->assignment = NULL;
        x->assignment_len = 0;
        for (int32_t i = 0; i < r->n_assignments; i++) {
            const kn_syncgroup_assignment_t *a = &r->assignments[i];
            if (kn_slice_eq(a->member_id, x->id) && a->assignment.len > 0) {
                x->assignment = kn_malloc((size_t)a->assignment.len);
                memcpy(x->assignment, a->assignment.ptr, (size_t)a->assignment.len);
                x->assignment_len = a->assignment.len;
            }
        }
    }
    kn_group_set_state(g, KN_GS_STABLE);
    g->dirty = true;
    for (kn_gmember_t *x = g->members; x != NULL; x = x->next) {
        if (x->sync_w != NULL) {
            kn_gwaiter_sync_ok(x->sync_w, x);
        }
    }
}

kn_err_t kn_group_heartbeat(kn_group_t *g, const kn_heartbeat_req_t *r, int64_t now)
{
    kn_gmember_t *m;
    if (g->state == KN_GS_DEAD) {
        return KN_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (g->state == KN_GS_EMPTY) {
        return KN_ERR_UNKNOWN_MEMBER_ID;
    }
    kn_err_t err = kn_group_locate(g, r->member_id, r->group_instance_id, &m);
    if (err != KN_ERR_NONE) {
        return err;
    }
    if (r->generation_id != g->generation) {
        return KN_ERR_ILLEGAL_GENERATION;
    }
    m->heartbeat_deadline = now + m->session_timeout_ms;
    return g->state == KN_GS_PREPARING ? KN_ERR_REBALANCE_IN_PROGRESS : KN_ERR_NONE;
}

kn_err_t kn_group_leave(kn_group_t *g, kn_slice_t member_id, kn_slice_t instance_id, int64_t now)
{
    kn_gmember_t *m = NULL;
    if (g->state == KN_GS_DEAD) {
        return KN_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (instance_id.len > 0) {
        m = kn_group_static_member(g, (const char *)instance_id.ptr, (size_t)instance_id.len);
        if (m == NULL) {
            return KN_ERR_UNKNOWN_MEMBER_ID;
        }
        /* v3+ may name a static member by instance id alone ("" or the
         * UNKNOWN id); a different real id means a fenced zombie. */
        if (member_id.len > 0 && !kn_slice_eq(member_id, m->id)) {
            return KN_ERR_FENCED_INSTANCE_ID;
        }
    } else {
        if (member_id.len <= 0) {
            return KN_ERR_UNKNOWN_MEMBER_ID;
        }
        int pi = kn_group_pending_find(g, (const char *)member_id.ptr, (size_t)member_id.len);
        if (pi >= 0) {
            kn_group_pending_del(g, pi);
            kn_group_try_complete_join(g, now);
            return KN_ERR_NONE;
        }
        m = kn_group_member(g, (const char *)member_id.ptr, (size_t)member_id.len);
        if (m == NULL) {
            return KN_ERR_UNKNOWN_MEMBER_ID;
        }
    }
    kn_group_member_gone(g, m, KN_ERR_UNKNOWN_MEMBER_ID, now);
    return KN_ERR_NONE;
}

void kn_group_timers(kn_group_t *g, const kn_gconf_t *cf, int64_t now)
{
    if (g->state == KN_GS_DEAD) {
        return;
    }
    for (int i = 0; i < g->n_pending;) {
        if (now >= g->pending[i].deadline) {
            kn_group_pending_del(g, i);
            kn_group_try_complete_join(g, now);
        } else {
            i++;
        }
    }
    /* A member with a parked request is alive by definition; everyone
     * else must heartbeat within its session timeout. */
    kn_gmember_t *m = g->members;
    while (m != NULL) {
        kn_gmember_t *next = m->next;
        if (m->join_w == NULL && m->sync_w == NULL && now >= m->heartbeat_deadline) {
            kn_group_member_gone(g, m, KN_ERR_UNKNOWN_MEMBER_ID, now);
            /* the list may have been reshaped; restart the scan */
            next = g->members;
            if (g->state == KN_GS_DEAD) {
                return;
            }
        }
        m = next;
    }
    if (g->state == KN_GS_PREPARING && now >= g->rebalance_deadline) {
        if (g->initial_delay && g->new_member_added && g->initial_remaining > 0) {
            /* Members are still arriving: wait a little longer. */
            int64_t delay = KN_MIN((int64_t)cf->initial_delay_ms, g->initial_remaining);
            g->initial_remaining = KN_MAX(g->initial_remaining - delay, 0);
            g->new_member_added = false;
            g->rebalance_deadline = now + delay;
        } else if (g->initial_delay) {
            g->initial_delay = false;
            if (kn_group_all_joined(g)) {
                kn_group_complete_join(g, now);
            } else {
                /* Someone has not rejoined yet: give it the rebalance
                 * timeout, as a regular rebalance would. */
                g->rebalance_deadline = now + g->initial_remaining;
                if (g->initial_remaining == 0) {
                    kn_group_complete_join(g, now);
                }
            }
        } else {
            kn_group_complete_join(g, now);
        }
    }
}

kn_err_t kn_group_commit_check(kn_group_t *g, int32_t generation, kn_slice_t member_id,
                               kn_slice_t instance_id, int64_t now)
{
    kn_gmember_t *m;
    if (g->state == KN_GS_DEAD) {
        return KN_ERR_COORDINATOR_NOT_AVAILABLE;
    }
    if (generation < 0 && g->state == KN_GS_EMPTY) {
        return KN_ERR_NONE;   /* a simple (groupless) consumer */
    }
    if (g->state == KN_GS_COMPLETING) {
        return KN_ERR_REBALANCE_IN_PROGRESS;
    }
    kn_err_t err = kn_group_locate(g, member_id, instance_id, &m);
    if (err != KN_ERR_NONE) {
        return err;
    }
    if (generation != g->generation) {
        return KN_ERR_ILLEGAL_GENERATION;
    }
    m->heartbeat_deadline = now + m->session_timeout_ms;
    return KN_ERR_NONE;
}
