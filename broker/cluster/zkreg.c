/*
 * broker/cluster/zkreg.c -- the broker's membership in ZooKeeper.
 *
 * At start-up: connect, make sure the persistent top-level paths exist, get
 * or create /cluster/id, and create the ephemeral /brokers/ids/<id> with
 * Kafka's v5 JSON. The node's czxid is the broker epoch: the controller
 * uses it to tell this incarnation of the broker from an earlier one.
 *
 * A broker restarted right after kill -9 finds its old node still there,
 * owned by the dead process's session, until ZooKeeper expires that
 * session. So a node owned by another session is retried until a session
 * timeout has passed; if it is still there then, another live broker uses
 * this id and start-up fails with a message saying so.
 *
 * When our own session expires, the ephemeral node is gone. The ZooKeeper
 * wrapper opens a new session; we then register again (new epoch) from a
 * timer on the main loop, and re-register with the controller.
 */
#include "config.h"

#include <openssl/rand.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "broker/cluster/cluster_int.h"
#include "broker/server/server.h"
#include "common/config.h"
#include "log.h"

#define LOGC "broker.zk"
#define KN_REG_RETRY_MS 500

/* ---- the registration payload ------------------------------------------- */

static void add_endpoint(json_t *eps, json_t *secmap, json_t **host, int *port,
                         const char *name, kn_security_protocol_t sp, const char *h, int p)
{
    char buf[600];
    snprintf(buf, sizeof(buf), "%s://%s:%d", name, h, p);
    json_array_append_new(eps, json_string(buf));
    json_object_set_new(secmap, name, json_string(kn_security_protocol_name(sp)));
    if (*host == NULL && sp == KN_SEC_PLAINTEXT) {
        *host = json_string(h);
        *port = p;
    }
}

static char *build_registration(kn_cluster_t *c)
{
    json_t *eps = json_array(), *secmap = json_object(), *host = NULL;
    int port = -1;
    kn_server_t *srv = c->b->server;

    if (srv) {
        /* The server knows the bound ports (listeners on port 0 in tests). */
        for (size_t i = 0; i < kn_server_listener_count(srv); i++) {
            const kn_listener_t *l = kn_server_listener(srv, i);
            add_endpoint(eps, secmap, &host, &port, l->name, l->security,
                         l->adv_host[0] ? l->adv_host : l->host,
                         l->adv_port > 0 ? l->adv_port : l->port);
        }
    } else {
        kn_listener_t ls[KN_LISTENERS_MAX];
        char err[256];
        int n = kn_listeners_parse(kn_config_str(c->b->cfg, "listeners"),
                                   kn_cluster_cfg_str(c, "advertised.listeners"),
                                   kn_cluster_cfg_str(c, "listener.security.protocol.map"),
                                   ls, KN_LISTENERS_MAX, err, sizeof(err));
        for (int i = 0; i < n; i++)
            add_endpoint(eps, secmap, &host, &port, ls[i].name, ls[i].security,
                         ls[i].adv_host[0] ? ls[i].adv_host : ls[i].host,
                         ls[i].adv_port > 0 ? ls[i].adv_port : ls[i].port);
    }

    char ts[32];
    snprintf(ts, sizeof(ts), "%lld", (long long)kn_now_ms());
    const char *rack = kn_cluster_cfg_str(c, "broker.rack");
    json_t *j = json_object();
    json_object_set_new(j, "version", json_integer(5));
    json_object_set_new(j, "host", host ? host : json_null());
    json_object_set_new(j, "port", json_integer(port));
    json_object_set_new(j, "endpoints", eps);
    json_object_set_new(j, "listener_security_protocol_map", secmap);
    json_object_set_new(j, "jmx_port", json_integer(-1));
    json_object_set_new(j, "rack", rack && *rack ? json_string(rack) : json_null());
    json_object_set_new(j, "timestamp", json_string(ts));
    json_object_set_new(j, "features", json_object());
    char *s = kn_zk_json_dump(j);
    json_decref(j);
    return s;
}

/* ---- cluster id --------------------------------------------------------- */

/* 16 random bytes as URL-safe base64 without padding (22 chars), the form
 * of Kafka's Uuid.toString(). */
static void random_cluster_id(char out[23])
{
    static const char alpha[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t b[18] = { 0 };
    if (RAND_bytes(b, 16) != 1)
        for (int i = 0; i < 16; i++)
            b[i] = (uint8_t)random();
    int o = 0;
    for (int i = 0; i < 18 && o < 22; i += 3) {
        uint32_t v = ((uint32_t)b[i] << 16) | ((uint32_t)b[i + 1] << 8) | b[i + 2];
        for (int k = 3; k >= 0 && o < 22; k--)
            out[o++] = alpha[(v >> (6 * k)) & 63];
    }
    out[22] = '\0';
}

static int get_or_create_cluster_id(kn_cluster_t *c)
{
    for (int attempt = 0; attempt < 3; attempt++) {
        json_t *j = NULL;
        int rc = kn_zk_get_json(c->zk, "/cluster/id", &j, NULL, NULL, NULL);
        if (rc == ZOK) {
            const char *id = json_string_value(json_object_get(j, "id"));
            if (id && *id) {
                c->cluster_id = kn_strdup(id);
                json_decref(j);
                return KN_OK;
            }
            json_decref(j);
            kn_log_error(LOGC, "/cluster/id has no \"id\" field");
            return KN_ERROR;
        }
        if (rc != ZNONODE) {
            kn_log_error(LOGC, "reading /cluster/id: %s", kn_zk_strerror(rc));
            return KN_ERROR;
        }
        char id[23];
        random_cluster_id(id);
        j = json_object();
        json_object_set_new(j, "version", json_string("1"));
        json_object_set_new(j, "id", json_string(id));
        kn_zk_create_parents(c->zk, "/cluster");
        rc = kn_zk_create_json(c->zk, "/cluster/id", j, 0);
        json_decref(j);
        if (rc == ZOK) {
            kn_log_info(LOGC, "created cluster id %s", id);
            c->cluster_id = kn_strdup(id);
            return KN_OK;
        }
        if (rc != ZNODEEXISTS) {   /* lost a race: read the winner's id */
            kn_log_error(LOGC, "creating /cluster/id: %s", kn_zk_strerror(rc));
            return KN_ERROR;
        }
    }
    return KN_ERROR;
}

/* ---- registration -------------------------------------------------------- */

/* One attempt. ZOK with the epoch set; ZNODEEXISTS if another session owns
 * the node; other codes are ZooKeeper failures. */
static int register_once(kn_cluster_t *c)
{
    char path[64];
    snprintf(path, sizeof(path), "/brokers/ids/%d", c->broker_id);
    int rc = kn_zk_create(c->zk, path, c->reg_json, (int)strlen(c->reg_json), KN_ZK_EPHEMERAL,
                          NULL, 0);
    if (rc != ZOK && rc != ZNODEEXISTS)
        return rc;
    struct Stat st;
    int rc2 = kn_zk_exists(c->zk, path, &st, NULL, NULL);
    if (rc2 != ZOK)
        return rc2 == ZNONODE ? ZNODEEXISTS : rc2;   /* vanished: just retry */
    if (rc == ZNODEEXISTS) {
        int64_t sid = kn_zk_session_id(c->zk, NULL, NULL);
        if (st.ephemeralOwner != sid)
            return ZNODEEXISTS;
    }
    c->reg_session = kn_zk_session_id(c->zk, NULL, NULL);
    __atomic_store_n(&c->broker_epoch, st.czxid, __ATOMIC_RELEASE);
    kn_log_info(LOGC, "registered %s (broker epoch %lld)", path, (long long)st.czxid);
    return ZOK;
}

static void reg_retry_cb(evutil_socket_t fd, short what, void *arg);

/* How long a node held by another session may block registration: the
 * session timeout, plus slack for ZooKeeper's expiry granularity (the
 * server checks expiry once per tick) and our retry interval. */
static int64_t reg_patience_ms(const kn_cluster_t *c)
{
    return (int64_t)c->session_timeout_ms * 3 / 2 + 1000;
}

static void schedule_reg_retry(kn_cluster_t *c)
{
    if (c->reg_retry_ev == NULL)
        c->reg_retry_ev = evtimer_new(c->base, reg_retry_cb, c);
    struct timeval tv = { 0, KN_REG_RETRY_MS * 1000 };
    evtimer_add(c->reg_retry_ev, &tv);
}

static void reg_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    kn_cluster_t *c = arg;
    KN_UNUSED(fd);
    KN_UNUSED(what);
    if (c->stopping || kn_cluster_broker_epoch(c) >= 0)
        return;
    int rc = register_once(c);
    if (rc == ZOK) {
        kn_ctlsession_reregister(c);
        return;
    }
    if (rc == ZNODEEXISTS && kn_mono_ms() > c->reg_deadline_ms)
        kn_log_ratelimited(KN_LOG_ERROR, LOGC, "zk.reregister", 10000,
                           "/brokers/ids/%d is held by another live session: is another "
                           "broker running with broker.id=%d?", c->broker_id, c->broker_id);
    schedule_reg_retry(c);
}

static void session_cb(kn_zk_t *zk, kn_zk_session_event_t ev, void *ud)
{
    kn_cluster_t *c = ud;
    KN_UNUSED(zk);
    switch (ev) {
    case KN_ZK_SESSION_EXPIRED:
        __atomic_store_n(&c->broker_epoch, -1, __ATOMIC_RELEASE);
        kn_log_warn(LOGC, "ZooKeeper session expired; will register again");
        break;
    case KN_ZK_SESSION_CONNECTED:
        /* A new session other than the one we registered with (reg_json
         * set) has lost the ephemeral node: register again, new epoch. The
         * first session's own CONNECTED event also says "renewed"; it is
         * recognised by its id. */
        if (c->reg_json && kn_zk_session_renewed(c->zk) && !c->stopping &&
            kn_zk_session_id(c->zk, NULL, NULL) != c->reg_session) {
            __atomic_store_n(&c->broker_epoch, -1, __ATOMIC_RELEASE);
            c->reg_deadline_ms = kn_mono_ms() + reg_patience_ms(c);
            schedule_reg_retry(c);
        }
        break;
    case KN_ZK_SESSION_DISCONNECTED:
        kn_log_warn(LOGC, "ZooKeeper connection lost; reconnecting");
        break;
    case KN_ZK_SESSION_AUTH_FAILED:
        kn_log_error(LOGC, "ZooKeeper authentication failed");
        break;
    }
}

int kn_zkreg_start(kn_cluster_t *c)
{
    const char *connect = kn_config_str(c->b->cfg, "zookeeper.connect");
    c->session_timeout_ms = (int)kn_config_int(c->b->cfg, "zookeeper.session.timeout.ms");
    if (connect == NULL || *connect == '\0') {
        kn_log_error(LOGC, "zookeeper.connect is not set");
        return KN_ERROR;
    }
    c->zk = kn_zk_new(c->base, connect, c->session_timeout_ms, session_cb, c);
    if (c->zk == NULL) {
        kn_log_error(LOGC, "cannot create ZooKeeper client for %s", connect);
        return KN_ERROR;
    }
    if (kn_zk_wait_connected(c->zk, c->session_timeout_ms) != ZOK) {
        kn_log_error(LOGC, "cannot connect to ZooKeeper at %s within %d ms", connect,
                     c->session_timeout_ms);
        return KN_ERROR;
    }
    static const char *const paths[] = {
        "/brokers/ids", "/brokers/topics", "/brokers/seqid", "/config/topics",
        "/config/changes", "/admin/delete_topics", "/isr_change_notification"
    };
    for (size_t i = 0; i < KN_ARRAY_LEN(paths); i++) {
        int rc = kn_zk_create_parents(c->zk, paths[i]);
        if (rc != ZOK) {
            kn_log_error(LOGC, "creating %s: %s", paths[i], kn_zk_strerror(rc));
            return KN_ERROR;
        }
    }
    if (get_or_create_cluster_id(c) != KN_OK)
        return KN_ERROR;

    c->reg_json = build_registration(c);
    int64_t deadline = kn_mono_ms() + reg_patience_ms(c);
    bool warned = false;
    for (;;) {
        int rc = register_once(c);
        if (rc == ZOK)
            return KN_OK;
        if (rc != ZNODEEXISTS) {
            kn_log_error(LOGC, "registering /brokers/ids/%d: %s", c->broker_id,
                         kn_zk_strerror(rc));
            return KN_ERROR;
        }
        if (kn_mono_ms() > deadline) {
            kn_log_error(LOGC, "/brokers/ids/%d is held by another live ZooKeeper session "
                         "after waiting %lld ms: is another broker running with broker.id=%d?",
                         c->broker_id, (long long)reg_patience_ms(c), c->broker_id);
            return KN_ERROR;
        }
        if (!warned) {
            kn_log_warn(LOGC, "/brokers/ids/%d still exists (a previous run's session?); "
                        "waiting up to %lld ms for it to expire", c->broker_id,
                        (long long)reg_patience_ms(c));
            warned = true;
        }
        struct timespec ts = { 0, KN_REG_RETRY_MS * 1000000L };
        nanosleep(&ts, NULL);
    }
}

void kn_zkreg_stop(kn_cluster_t *c)
{
    if (c->reg_retry_ev) {
        event_free(c->reg_retry_ev);
        c->reg_retry_ev = NULL;
    }
    if (c->zk == NULL)
        return;
    if (kn_cluster_broker_epoch(c) >= 0) {
        char path[64];
        snprintf(path, sizeof(path), "/brokers/ids/%d", c->broker_id);
        /* Delete only our own node (version check is not possible for an
         * owner, so compare the czxid with our epoch first). */
        struct Stat st;
        if (kn_zk_exists(c->zk, path, &st, NULL, NULL) == ZOK && st.czxid == c->broker_epoch)
            kn_zk_delete(c->zk, path, -1);
        __atomic_store_n(&c->broker_epoch, -1, __ATOMIC_RELEASE);
    }
    kn_zk_free(c->zk);
    c->zk = NULL;
}
