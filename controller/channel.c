/*
 * controller/channel.c -- the control endpoint: broker sessions and what
 * the controller pushes to them.
 *
 * Brokers find the endpoint in /controller, connect, and send Register
 * {broker_id, broker_epoch}. A session is accepted only while we are the
 * active controller and only if /brokers/ids/<id> exists with that czxid
 * (a broker process that lost its registration, or an old incarnation, is
 * refused with STALE_BROKER_EPOCH). A registered broker then gets the full
 * picture: UpdateMetadata with every partition and live broker, and
 * LeaderAndIsr for every partition it hosts. Later changes are pushed by
 * kn_ctl_flush(): LeaderAndIsr to the replicas of changed partitions,
 * UpdateMetadata to everyone.
 *
 * Every message we send carries our controller_epoch; brokers ignore
 * messages with a lower epoch than they have seen (and a deposed
 * controller's sessions are closed on resignation anyway).
 */
#include "config.h"

#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/listener.h>

#include "controller/controller.h"
#include "log.h"

struct kn_ctl_sess_s {
    kn_ctl_t      *c;
    kn_ctlchan_t  *ch;
    int32_t        broker_id;     /* -1 until Register is accepted */
    int64_t        broker_epoch;
    int            busy;          /* inside one of our handlers */
    bool           closed;        /* unlinked; free when not busy */
    kn_ctl_sess_t *prev, *next;
};

/* ---- message pool ------------------------------------------------------------ */

struct kn_ctl_pool_s {
    void  **ptrs;
    size_t  n, cap;
};

kn_ctl_pool_t *kn_ctl_pool_new(void)
{
    return kn_calloc(1, sizeof(kn_ctl_pool_t));
}

void *kn_ctl_pool_alloc(kn_ctl_pool_t *pool, size_t n)
{
    if (pool->n == pool->cap) {
        pool->cap = pool->cap ? pool->cap * 2 : 32;
        pool->ptrs = kn_realloc(pool->ptrs, pool->cap * sizeof *pool->ptrs);
    }
    void *p = kn_calloc(1, n > 0 ? n : 1);
    pool->ptrs[pool->n++] = p;
    return p;
}

char *kn_ctl_pool_strdup(kn_ctl_pool_t *pool, const char *s)
{
    size_t len = strlen(s);
    char *d = kn_ctl_pool_alloc(pool, len + 1);
    memcpy(d, s, len);
    return d;
}

void kn_ctl_pool_free(kn_ctl_pool_t *pool)
{
    if (pool == NULL)
        return;
    for (size_t i = 0; i < pool->n; i++)
        free(pool->ptrs[i]);
    free(pool->ptrs);
    free(pool);
}

/* ---- building messages --------------------------------------------------------- */

static int32_t *pool_ids(kn_ctl_pool_t *pool, const kn_ctl_ids_t *ids, size_t *n)
{
    int32_t *v = kn_ctl_pool_alloc(pool, (size_t)ids->n * sizeof *v);
    if (ids->n > 0)
        memcpy(v, ids->v, (size_t)ids->n * sizeof *v);
    *n = (size_t)ids->n;
    return v;
}

Kanal__Control__PartitionState *kn_ctl_part_msg(kn_ctl_t *c, const kn_ctl_topic_t *t,
                                                const kn_ctl_part_t *p, kn_ctl_pool_t *pool)
{
    Kanal__Control__PartitionState *ps = kn_ctl_pool_alloc(pool, sizeof *ps);
    kanal__control__partition_state__init(ps);
    ps->topic = kn_ctl_pool_strdup(pool, t->name);
    ps->partition = p->id;
    ps->controller_epoch = p->controller_epoch;
    ps->leader = p->leader;
    ps->leader_epoch = p->leader_epoch;
    ps->isr = pool_ids(pool, &p->isr, &ps->n_isr);
    ps->zk_version = p->zk_version;
    ps->replicas = pool_ids(pool, &p->replicas, &ps->n_replicas);
    ps->offline_replicas = kn_ctl_pool_alloc(pool, (size_t)p->replicas.n * sizeof(int32_t));
    for (int i = 0; i < p->replicas.n; i++)
        if (kn_ctl_broker_find(c, p->replicas.v[i]) == NULL)
            ps->offline_replicas[ps->n_offline_replicas++] = p->replicas.v[i];
    if (t->has_id) {
        ps->topic_id.data = kn_ctl_pool_alloc(pool, 16);
        memcpy(ps->topic_id.data, t->topic_id, 16);
        ps->topic_id.len = 16;
    }
    ps->is_new = p->is_new;
    return ps;
}

/* "NAME://host:port" (host may be [v6]) -> parts; false if malformed. */
static bool parse_endpoint(const char *ep, char *name, size_t nlen, char *host, size_t hlen,
                           int *port)
{
    const char *sep = strstr(ep, "://");
    if (sep == NULL || (size_t)(sep - ep) >= nlen)
        return false;
    memcpy(name, ep, (size_t)(sep - ep));
    name[sep - ep] = '\0';
    const char *h = sep + 3, *colon = strrchr(h, ':');
    if (colon == NULL)
        return false;
    const char *hs = h, *he = colon;
    if (*hs == '[' && he > hs && he[-1] == ']') {
        hs++;
        he--;
    }
    if ((size_t)(he - hs) >= hlen)
        return false;
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || p < 0 || p > 65535)
        return false;
    *port = (int)p;
    return true;
}

static Kanal__Control__LiveBroker *broker_msg(const kn_ctl_broker_t *b, kn_ctl_pool_t *pool)
{
    Kanal__Control__LiveBroker *lb = kn_ctl_pool_alloc(pool, sizeof *lb);
    kanal__control__live_broker__init(lb);
    lb->id = b->id;
    lb->epoch = b->epoch;
    const char *rack = json_string_value(json_object_get(b->reg, "rack"));
    if (rack != NULL)
        lb->rack = kn_ctl_pool_strdup(pool, rack);
    json_t *eps = json_object_get(b->reg, "endpoints");
    json_t *map = json_object_get(b->reg, "listener_security_protocol_map");
    lb->endpoints = kn_ctl_pool_alloc(pool, (json_array_size(eps) + 1) * sizeof *lb->endpoints);
    for (size_t i = 0; i < json_array_size(eps); i++) {
        const char *s = json_string_value(json_array_get(eps, i));
        char name[64], host[256];
        int port;
        if (s == NULL || !parse_endpoint(s, name, sizeof name, host, sizeof host, &port))
            continue;
        Kanal__Control__BrokerEndpoint *e = kn_ctl_pool_alloc(pool, sizeof *e);
        kanal__control__broker_endpoint__init(e);
        e->listener = kn_ctl_pool_strdup(pool, name);
        e->host = kn_ctl_pool_strdup(pool, host);
        e->port = port;
        const char *proto = json_string_value(json_object_get(map, name));
        e->security_protocol = kn_ctl_pool_strdup(pool, proto != NULL ? proto : name);
        lb->endpoints[lb->n_endpoints++] = e;
    }
    return lb;
}

static void send_msg(kn_ctl_t *c, kn_ctl_sess_t *s, Kanal__Control__KnControl *m)
{
    if (!m->is_response)
        m->request_id = ++c->next_request_id;
    if (kn_ctlchan_send(s->ch, m) != KN_OK)
        kn_log_debug("controller.channel", "broker %d: send failed", (int)s->broker_id);
}

/* UpdateMetadata with every partition, every live broker and the pending
 * deleted topics (targets' broker_epoch is filled per send). */
static Kanal__Control__UpdateMetadata *full_metadata(kn_ctl_t *c, kn_ctl_pool_t *pool)
{
    Kanal__Control__UpdateMetadata *um = kn_ctl_pool_alloc(pool, sizeof *um);
    kanal__control__update_metadata__init(um);
    um->controller_id = c->conf.controller_id;
    um->controller_epoch = c->epoch;
    um->cluster_id = kn_ctl_pool_strdup(pool, c->cluster_id);
    size_t np = 0;
    for (int i = 0; i < c->ntopics; i++)
        np += (size_t)c->topics[i].nparts;
    um->partitions = kn_ctl_pool_alloc(pool, (np + 1) * sizeof *um->partitions);
    for (int i = 0; i < c->ntopics; i++)
        for (int k = 0; k < c->topics[i].nparts; k++)
            if (c->topics[i].parts[k].zk_version >= 0)
                um->partitions[um->n_partitions++] =
                    kn_ctl_part_msg(c, &c->topics[i], &c->topics[i].parts[k], pool);
    um->live_brokers = kn_ctl_pool_alloc(pool, ((size_t)c->nbrokers + 1) * sizeof *um->live_brokers);
    for (int i = 0; i < c->nbrokers; i++)
        um->live_brokers[um->n_live_brokers++] = broker_msg(&c->brokers[i], pool);
    um->deleted_topics = kn_ctl_pool_alloc(pool, ((size_t)c->ndeleted + 1) * sizeof(char *));
    for (int i = 0; i < c->ndeleted; i++)
        um->deleted_topics[um->n_deleted_topics++] = kn_ctl_pool_strdup(pool, c->deleted[i]);
    return um;
}

/* LeaderAndIsr for broker b: the partitions it hosts (only those marked
 * push_lai unless `all`). Sends nothing if there are none. */
static void send_leader_and_isr(kn_ctl_t *c, kn_ctl_broker_t *b, bool all, kn_ctl_pool_t *pool)
{
    Kanal__Control__LeaderAndIsr lai = KANAL__CONTROL__LEADER_AND_ISR__INIT;
    kn_ctl_ids_t leaders = {0};
    size_t cap = 0;

    for (int i = 0; i < c->ntopics; i++)
        cap += (size_t)c->topics[i].nparts;
    lai.controller_id = c->conf.controller_id;
    lai.controller_epoch = c->epoch;
    lai.broker_epoch = b->epoch;
    lai.partitions = kn_ctl_pool_alloc(pool, (cap + 1) * sizeof *lai.partitions);
    for (int i = 0; i < c->ntopics; i++) {
        kn_ctl_topic_t *t = &c->topics[i];
        for (int k = 0; k < t->nparts; k++) {
            kn_ctl_part_t *p = &t->parts[k];
            if (p->zk_version < 0 || (!all && !p->push_lai) || !kn_ctl_ids_has(&p->replicas, b->id))
                continue;
            lai.partitions[lai.n_partitions++] = kn_ctl_part_msg(c, t, p, pool);
            if (p->leader >= 0)
                kn_ctl_ids_add(&leaders, p->leader);
        }
    }
    if (lai.n_partitions > 0) {
        lai.leaders = kn_ctl_pool_alloc(pool, ((size_t)leaders.n + 1) * sizeof *lai.leaders);
        for (int i = 0; i < leaders.n; i++) {
            kn_ctl_broker_t *lb = kn_ctl_broker_find(c, leaders.v[i]);
            if (lb != NULL)
                lai.leaders[lai.n_leaders++] = broker_msg(lb, pool);
        }
        Kanal__Control__KnControl m = KANAL__CONTROL__KN_CONTROL__INIT;
        m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_LEADER_AND_ISR;
        m.leader_and_isr = &lai;
        send_msg(c, b->sess, &m);
        kn_log_debug("controller.channel", "LeaderAndIsr with %zu partitions to broker %d",
                     lai.n_partitions, (int)b->id);
    }
    kn_ctl_ids_free(&leaders);
}

static void send_update_metadata(kn_ctl_t *c, kn_ctl_broker_t *b,
                                 Kanal__Control__UpdateMetadata *um)
{
    Kanal__Control__KnControl m = KANAL__CONTROL__KN_CONTROL__INIT;
    um->broker_epoch = b->epoch;
    m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_UPDATE_METADATA;
    m.update_metadata = um;
    send_msg(c, b->sess, &m);
}

void kn_ctl_flush(kn_ctl_t *c)
{
    kn_ctl_pool_t *pool = kn_ctl_pool_new();

    for (int i = 0; i < c->nbrokers; i++)
        if (c->brokers[i].sess != NULL)
            send_leader_and_isr(c, &c->brokers[i], false, pool);
    for (int i = 0; i < c->ntopics; i++)
        for (int k = 0; k < c->topics[i].nparts; k++)
            c->topics[i].parts[k].push_lai = c->topics[i].parts[k].is_new = false;
    if (c->push_um) {
        Kanal__Control__UpdateMetadata *um = full_metadata(c, pool);
        for (int i = 0; i < c->nbrokers; i++)
            if (c->brokers[i].sess != NULL)
                send_update_metadata(c, &c->brokers[i], um);
        for (int i = 0; i < c->ndeleted; i++)
            free(c->deleted[i]);
        c->ndeleted = 0;
        c->push_um = false;
    }
    kn_ctl_pool_free(pool);
}

void kn_ctl_channel_sync_broker(kn_ctl_t *c, kn_ctl_broker_t *b)
{
    kn_ctl_pool_t *pool = kn_ctl_pool_new();
    send_update_metadata(c, b, full_metadata(c, pool));
    send_leader_and_isr(c, b, true, pool);
    kn_ctl_pool_free(pool);
}

void kn_ctl_channel_stop_topic(kn_ctl_t *c, const kn_ctl_topic_t *t)
{
    kn_ctl_pool_t *pool = kn_ctl_pool_new();
    for (int i = 0; i < c->nbrokers; i++) {
        kn_ctl_broker_t *b = &c->brokers[i];
        if (b->sess == NULL)
            continue;
        Kanal__Control__StopReplica sr = KANAL__CONTROL__STOP_REPLICA__INIT;
        sr.controller_id = c->conf.controller_id;
        sr.controller_epoch = c->epoch;
        sr.broker_epoch = b->epoch;
        sr.partitions = kn_ctl_pool_alloc(pool, ((size_t)t->nparts + 1) * sizeof *sr.partitions);
        for (int k = 0; k < t->nparts; k++) {
            const kn_ctl_part_t *p = &t->parts[k];
            if (!kn_ctl_ids_has(&p->replicas, b->id))
                continue;
            Kanal__Control__StopReplicaPartition *sp = kn_ctl_pool_alloc(pool, sizeof *sp);
            kanal__control__stop_replica_partition__init(sp);
            sp->topic = kn_ctl_pool_strdup(pool, t->name);
            sp->partition = p->id;
            sp->leader_epoch = p->leader_epoch;
            sp->delete_partition = true;
            sr.partitions[sr.n_partitions++] = sp;
        }
        if (sr.n_partitions == 0)
            continue;
        Kanal__Control__KnControl m = KANAL__CONTROL__KN_CONTROL__INIT;
        m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_STOP_REPLICA;
        m.stop_replica = &sr;
        send_msg(c, b->sess, &m);
    }
    kn_ctl_pool_free(pool);
}

/* ---- sessions ------------------------------------------------------------------ */

static void sess_close(kn_ctl_t *c, kn_ctl_sess_t *s)
{
    if (s->closed)
        return;
    s->closed = true;
    if (s->prev != NULL)
        s->prev->next = s->next;
    else
        c->sessions = s->next;
    if (s->next != NULL)
        s->next->prev = s->prev;
    if (s->broker_id >= 0) {
        kn_ctl_broker_t *b = kn_ctl_broker_find(c, s->broker_id);
        if (b != NULL && b->sess == s)
            b->sess = NULL;
    }
    kn_ctlchan_free(s->ch);   /* deferred by ctlchan if inside its callback */
    s->ch = NULL;
    if (s->busy == 0)
        free(s);
}

void kn_ctl_channel_close_all(kn_ctl_t *c)
{
    while (c->sessions != NULL)
        sess_close(c, c->sessions);
    for (int i = 0; i < c->nbrokers; i++)
        c->brokers[i].sess = NULL;
}

void kn_ctl_channel_drop_broker(kn_ctl_t *c, kn_ctl_broker_t *b)
{
    if (b->sess != NULL) {
        kn_log_info("controller.channel", "closing the session of broker %d", (int)b->id);
        sess_close(c, b->sess);
        b->sess = NULL;
    }
}

static void reply(kn_ctl_t *c, kn_ctl_sess_t *s, const Kanal__Control__KnControl *req,
                  Kanal__Control__KnControl *m)
{
    m->is_response = true;
    m->request_id = req->request_id;
    send_msg(c, s, m);
}

static void handle_register(kn_ctl_t *c, kn_ctl_sess_t *s, const Kanal__Control__KnControl *req)
{
    const Kanal__Control__Register *r = req->register_;
    Kanal__Control__RegisterResponse rr = KANAL__CONTROL__REGISTER_RESPONSE__INIT;
    Kanal__Control__KnControl m = KANAL__CONTROL__KN_CONTROL__INIT;
    kn_ctl_broker_t *b = NULL;

    rr.controller_id = c->conf.controller_id;
    rr.controller_epoch = c->active ? c->epoch : -1;
    if (!c->active) {
        rr.error_code = KN_ERR_NOT_CONTROLLER;
    } else {
        b = kn_ctl_broker_find(c, r->broker_id);
        if (b == NULL || b->epoch != r->broker_epoch) {
            /* The broker may have connected before our watch on
             * /brokers/ids fired: look now. */
            c->dirty_brokers = true;
            kn_ctl_process(c);
            b = c->active ? kn_ctl_broker_find(c, r->broker_id) : NULL;
        }
        if (!c->active)
            rr.error_code = KN_ERR_NOT_CONTROLLER;
        else if (b == NULL)
            rr.error_code = KN_ERR_BROKER_ID_NOT_REGISTERED;
        else if (b->epoch != r->broker_epoch)
            rr.error_code = KN_ERR_STALE_BROKER_EPOCH;
    }
    if (rr.error_code != KN_ERR_NONE)
        kn_log_warn("controller.channel", "%s: Register of broker %d (epoch %lld) refused: %s",
                    kn_ctlchan_peer(s->ch), (int)r->broker_id, (long long)r->broker_epoch,
                    kn_err_name(rr.error_code));
    m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_REGISTER_RESPONSE;
    m.register_response = &rr;
    reply(c, s, req, &m);
    if (rr.error_code != KN_ERR_NONE || s->closed)
        return;
    if (b->sess != NULL && b->sess != s) {
        kn_log_info("controller.channel", "broker %d re-registered; closing its old session",
                    (int)b->id);
        sess_close(c, b->sess);
    }
    b->sess = s;
    s->broker_id = b->id;
    s->broker_epoch = b->epoch;
    kn_log_info("controller.channel", "broker %d registered from %s (epoch %lld)", (int)b->id,
                kn_ctlchan_peer(s->ch), (long long)b->epoch);
    kn_ctl_channel_sync_broker(c, b);
}

/* A broker request needs a registered session from that same broker
 * incarnation; returns the error to answer with otherwise. */
static kn_err_t check_sender(kn_ctl_t *c, kn_ctl_sess_t *s, int32_t id, int64_t epoch)
{
    if (!c->active)
        return KN_ERR_NOT_CONTROLLER;
    if (s->broker_id < 0)
        return KN_ERR_BROKER_ID_NOT_REGISTERED;
    if (id != s->broker_id || epoch != s->broker_epoch)
        return KN_ERR_STALE_BROKER_EPOCH;
    return KN_ERR_NONE;
}

static void handle_request(kn_ctl_t *c, kn_ctl_sess_t *s, const Kanal__Control__KnControl *req)
{
    Kanal__Control__KnControl m = KANAL__CONTROL__KN_CONTROL__INIT;
    kn_ctl_pool_t *pool = kn_ctl_pool_new();

    switch (req->body_case) {
    case KANAL__CONTROL__KN_CONTROL__BODY_REGISTER:
        handle_register(c, s, req);
        break;
    case KANAL__CONTROL__KN_CONTROL__BODY_ALTER_ISR: {
        Kanal__Control__AlterIsrResponse ar = KANAL__CONTROL__ALTER_ISR_RESPONSE__INIT;
        const Kanal__Control__AlterIsr *a = req->alter_isr;
        ar.error_code = check_sender(c, s, a->broker_id, a->broker_epoch);
        if (ar.error_code == KN_ERR_NONE)
            ar.error_code = kn_ctl_handle_alter_isr(c, a, &ar, pool);
        m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_ALTER_ISR_RESPONSE;
        m.alter_isr_response = &ar;
        if (!s->closed)
            reply(c, s, req, &m);
        break;
    }
    case KANAL__CONTROL__KN_CONTROL__BODY_CONTROLLED_SHUTDOWN: {
        Kanal__Control__ControlledShutdownResponse cr =
            KANAL__CONTROL__CONTROLLED_SHUTDOWN_RESPONSE__INIT;
        const Kanal__Control__ControlledShutdown *cs = req->controlled_shutdown;
        cr.error_code = check_sender(c, s, cs->broker_id, cs->broker_epoch);
        if (cr.error_code == KN_ERR_NONE)
            cr.error_code = kn_ctl_handle_controlled_shutdown(c, cs->broker_id, &cr, pool);
        m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_CONTROLLED_SHUTDOWN_RESPONSE;
        m.controlled_shutdown_response = &cr;
        if (!s->closed)
            reply(c, s, req, &m);
        break;
    }
    case KANAL__CONTROL__KN_CONTROL__BODY_LEADER_AND_ISR_RESPONSE:
        if (req->leader_and_isr_response->error_code != 0)
            kn_log_warn("controller.channel", "broker %d: LeaderAndIsr failed: %s",
                        (int)s->broker_id, kn_err_name(req->leader_and_isr_response->error_code));
        break;
    case KANAL__CONTROL__KN_CONTROL__BODY_UPDATE_METADATA_RESPONSE:
    case KANAL__CONTROL__KN_CONTROL__BODY_STOP_REPLICA_RESPONSE:
        break;
    default:
        kn_log_ratelimited(KN_LOG_WARN, "controller.channel", "ctl-unexpected", 10000,
                           "%s: unexpected control message (body %d)", kn_ctlchan_peer(s->ch),
                           (int)req->body_case);
        break;
    }
    kn_ctl_pool_free(pool);
}

static void on_msg(kn_ctlchan_t *ch, const Kanal__Control__KnControl *msg, void *ud)
{
    kn_ctl_t *c = ud;
    kn_ctl_sess_t *s = kn_ctlchan_get_data(ch);
    if (s == NULL || s->closed)
        return;
    s->busy++;
    handle_request(c, s, msg);
    s->busy--;
    if (s->closed && s->busy == 0)
        free(s);
}

static void on_down(kn_ctlchan_t *ch, const char *reason, void *ud)
{
    kn_ctl_t *c = ud;
    kn_ctl_sess_t *s = kn_ctlchan_get_data(ch);
    if (s == NULL || s->closed)
        return;
    if (s->broker_id >= 0)
        kn_log_info("controller.channel", "session of broker %d closed: %s", (int)s->broker_id,
                    reason);
    else
        kn_log_debug("controller.channel", "%s: connection closed: %s", kn_ctlchan_peer(ch),
                     reason);
    sess_close(c, s);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    kn_ctl_t *c = arg;
    kn_ctlchan_cbs_t cbs = { on_msg, NULL, on_down, c };

    kn_ctl_sess_t *s = kn_calloc(1, sizeof *s);
    s->c = c;
    s->broker_id = -1;
    s->ch = kn_ctlchan_accept(c->base, fd, c->conf.ssl, &cbs);
    if (s->ch == NULL) {
        free(s);
        return;
    }
    kn_ctlchan_set_data(s->ch, s);
    s->next = c->sessions;
    if (c->sessions != NULL)
        c->sessions->prev = s;
    c->sessions = s;
}

int kn_ctl_listen(kn_ctl_t *c)
{
    struct addrinfo hints, *res = NULL;
    char port[16];

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(port, sizeof port, "%d", c->conf.listen_port);
    const char *host = c->conf.listen_host[0] != '\0' ? c->conf.listen_host : NULL;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc != 0) {
        kn_log_error("controller.channel", "listeners: cannot resolve %s: %s",
                     host != NULL ? host : "*", gai_strerror(rc));
        return KN_ERROR;
    }
    c->listener = evconnlistener_new_bind(c->base, accept_cb, c,
                                          LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
                                          res->ai_addr, (int)res->ai_addrlen);
    freeaddrinfo(res);
    if (c->listener == NULL) {
        kn_log_error("controller.channel", "listeners: cannot listen on %s:%d: %s",
                     host != NULL ? host : "*", c->conf.listen_port,
                     evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
        return KN_ERROR;
    }
    /* With port 0 the kernel chose one; publish the real port. */
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    int bound = c->conf.listen_port;
    if (getsockname(evconnlistener_get_fd(c->listener), (struct sockaddr *)&ss, &sl) == 0) {
        if (ss.ss_family == AF_INET)
            bound = ntohs(((struct sockaddr_in *)&ss)->sin_port);
        else if (ss.ss_family == AF_INET6)
            bound = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    }
    const char *adv = c->conf.advertised_host;
    bool v6 = strchr(adv, ':') != NULL;
    snprintf(c->endpoint, sizeof c->endpoint, "%s://%s%s%s:%d",
             c->conf.listen_ssl ? "SSL" : "PLAINTEXT", v6 ? "[" : "", adv, v6 ? "]" : "", bound);
    kn_log_info("controller.channel", "control endpoint %s", c->endpoint);
    return KN_OK;
}
