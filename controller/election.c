/*
 * controller/election.c -- becoming (and ceasing to be) the active
 * controller.
 *
 * Any number of kanal-controller processes may run; exactly one is active.
 * The election is Kafka's: whoever creates the ephemeral /controller wins.
 * We create it in ONE multi with the increment of /controller_epoch,
 * conditional on the version of /controller_epoch we read, so the epoch
 * goes up by exactly one per election and the winner knows the version its
 * later writes must check (state.c fences every write on it).
 *
 * Losers watch /controller (an exists watch fires on creation and on
 * deletion alike) and try again when it disappears: its owner's ZooKeeper
 * session ended (crash, kill -9 after session timeout, or a clean stop).
 * The active controller resigns when its session expires, when a fenced
 * write fails, or when /controller stops being its own node.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "controller/controller.h"
#include "log.h"

#define KN_CTL_ELECT_RETRY_MS 1000

/* 16 random bytes as a version-4 UUID, in URL-safe base64 without padding
 * (22 chars), the form Kafka uses for cluster and topic ids. */
static int random_uuid_b64(char out[23])
{
    static const char al[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint8_t b[16];
    if (RAND_bytes(b, sizeof b) != 1)
        return KN_ERROR;
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40);
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);
    uint32_t acc = 0;
    int bits = 0, n = 0;
    for (size_t i = 0; i < sizeof b; i++) {
        acc = (acc << 8) | b[i];
        bits += 8;
        while (bits >= 6) {
            bits -= 6;
            out[n++] = al[(acc >> bits) & 0x3f];
        }
    }
    if (bits > 0)
        out[n++] = al[(acc << (6 - bits)) & 0x3f];
    out[n] = '\0';
    return n == 22 ? KN_OK : KN_ERROR;
}

int kn_ctl_ensure_cluster_id(kn_zk_t *zk, char out[23])
{
    for (int attempt = 0; attempt < 3; attempt++) {
        json_t *j = NULL;
        int rc = kn_zk_get_json(zk, "/cluster/id", &j, NULL, NULL, NULL);
        if (rc == ZOK) {
            const char *id = json_string_value(json_object_get(j, "id"));
            if (id == NULL || strlen(id) == 0 || strlen(id) > 22) {
                kn_log_error("controller.election", "/cluster/id holds no valid \"id\"");
                json_decref(j);
                return KN_ERROR;
            }
            snprintf(out, 23, "%s", id);
            json_decref(j);
            return KN_OK;
        }
        if (rc != ZNONODE) {
            kn_log_error("controller.election", "reading /cluster/id: %s", kn_zk_strerror(rc));
            return KN_ERROR;
        }
        char id[23];
        if (random_uuid_b64(id) != KN_OK)
            return KN_ERROR;
        kn_zk_create_parents(zk, "/cluster");
        json_t *nj = json_pack("{s:s, s:s}", "version", "1", "id", id);
        rc = kn_zk_create_json(zk, "/cluster/id", nj, 0);
        json_decref(nj);
        if (rc == ZOK) {
            kn_log_info("controller.election", "created cluster id %s", id);
            snprintf(out, 23, "%s", id);
            return KN_OK;
        }
        if (rc != ZNODEEXISTS) {
            kn_log_error("controller.election", "creating /cluster/id: %s", kn_zk_strerror(rc));
            return KN_ERROR;
        }
        /* Lost the race to a broker or another controller: read theirs. */
    }
    return KN_ERROR;
}

static void controller_watch_cb(kn_zk_t *zk, kn_zk_watch_event_t ev, const char *path, void *ud)
{
    kn_ctl_elect(ud);
}

/* Is /controller (stat st) our own node? */
static bool controller_is_ours(kn_ctl_t *c, const struct Stat *st)
{
    char pw[16];
    int pwlen = 0;
    return st->ephemeralOwner != 0 && st->ephemeralOwner == kn_zk_session_id(c->zk, pw, &pwlen);
}

static void log_current_controller(kn_ctl_t *c)
{
    json_t *j = NULL;
    if (kn_zk_get_json(c->zk, "/controller", &j, NULL, NULL, NULL) != ZOK)
        return;
    json_t *id = json_object_get(j, "controllerid");
    if (id == NULL)
        id = json_object_get(j, "brokerid");
    const char *ep = json_string_value(json_object_get(j, "endpoint"));
    kn_log_info("controller.election", "standing by: controller %lld is active at %s",
                (long long)json_integer_value(id), ep != NULL ? ep : "?");
    json_decref(j);
}

/* One election attempt. Returns KN_AGAIN when it should be retried on a
 * timer (ZooKeeper trouble); otherwise a watch or session event will call
 * again when something changes. */
static int try_elect(kn_ctl_t *c)
{
    struct Stat st;

    if (c->stopping || !kn_zk_connected(c->zk))
        return KN_OK;   /* the session callback retries on (re)connect */

    memset(&st, 0, sizeof st);
    int rc = kn_zk_exists(c->zk, "/controller", &st, controller_watch_cb, c);
    if (rc == ZOK) {
        if (c->active) {
            if (controller_is_ours(c, &st))
                return KN_OK;
            kn_ctl_resign(c, "/controller is no longer ours");
        } else if (controller_is_ours(c, &st)) {
            /* Our multi succeeded but its reply was lost with the
             * connection: we do not know the epoch version we wrote, so
             * give the node up and run a clean election. */
            kn_log_warn("controller.election", "found our own /controller from an unfinished "
                        "election; deleting it and retrying");
            kn_zk_delete(c->zk, "/controller", -1);
            return KN_AGAIN;
        }
        log_current_controller(c);
        return KN_OK;
    }
    if (rc != ZNONODE) {
        kn_log_warn("controller.election", "checking /controller: %s", kn_zk_strerror(rc));
        return KN_AGAIN;
    }
    if (c->active)
        kn_ctl_resign(c, "/controller was deleted");

    rc = kn_zk_create(c->zk, "/controller_epoch", "0", 1, 0, NULL, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) {
        kn_log_warn("controller.election", "creating /controller_epoch: %s", kn_zk_strerror(rc));
        return KN_AGAIN;
    }
    char *data = NULL;
    int len = 0;
    rc = kn_zk_get(c->zk, "/controller_epoch", &data, &len, &st, NULL, NULL);
    if (rc != ZOK) {
        kn_log_warn("controller.election", "reading /controller_epoch: %s", kn_zk_strerror(rc));
        return KN_AGAIN;
    }
    char *end = NULL;
    long cur = data != NULL && len > 0 ? strtol(data, &end, 10) : 0;
    bool ok = data == NULL || len <= 0 || (end != data && *end == '\0');
    free(data);
    if (!ok || cur < 0 || cur >= INT32_MAX) {
        kn_log_error("controller.election", "/controller_epoch does not hold a valid epoch");
        return KN_AGAIN;
    }

    int32_t epoch = (int32_t)cur + 1;
    char epoch_s[16], ts[32];
    snprintf(epoch_s, sizeof epoch_s, "%d", (int)epoch);
    snprintf(ts, sizeof ts, "%lld", (long long)kn_now_ms());
    json_t *j = json_pack("{s:i, s:i, s:i, s:s, s:s}", "version", 1,
                          "controllerid", (int)c->conf.controller_id,
                          "brokerid", (int)c->conf.controller_id,
                          "endpoint", c->endpoint, "timestamp", ts);
    char *payload = kn_zk_json_dump(j);
    json_decref(j);

    zoo_op_t ops[2];
    zoo_op_result_t res[2];
    struct Stat est;
    char created[64];
    memset(res, 0, sizeof res);
    memset(&est, 0, sizeof est);
    zoo_create_op_init(&ops[0], "/controller", payload, (int)strlen(payload),
                       &ZOO_OPEN_ACL_UNSAFE, ZOO_EPHEMERAL, created, sizeof created);
    zoo_set_op_init(&ops[1], "/controller_epoch", epoch_s, (int)strlen(epoch_s), st.version, &est);
    rc = kn_zk_multi(c->zk, 2, ops, res);
    free(payload);
    if (rc == ZNODEEXISTS || rc == ZBADVERSION) {
        /* Someone else won this round; the exists watch armed above fires
         * on their /controller and we go to standby then. */
        kn_log_info("controller.election", "lost the election race; retrying");
        return KN_AGAIN;
    }
    if (rc != ZOK) {
        kn_log_warn("controller.election", "election multi: %s", kn_zk_strerror(rc));
        return KN_AGAIN;
    }

    c->active = true;
    c->epoch = epoch;
    c->epoch_zkversion = est.version;
    kn_log_info("controller.election", "controller %d elected with epoch %d (epoch znode version "
                "%d), endpoint %s", (int)c->conf.controller_id, (int)epoch, (int)est.version,
                c->endpoint);
    if (kn_ctl_on_elected(c) != KN_OK) {
        kn_log_error("controller.election", "could not load the cluster state; resigning");
        kn_ctl_resign(c, "state load failed");
        /* Free /controller for another controller (or our next try). */
        kn_zk_delete(c->zk, "/controller", -1);
        return KN_AGAIN;
    }
    return KN_OK;
}

static void elect_cb(evutil_socket_t fd, short what, void *arg)
{
    kn_ctl_t *c = arg;
    if (try_elect(c) == KN_AGAIN && !c->stopping) {
        struct timeval tv = { KN_CTL_ELECT_RETRY_MS / 1000, (KN_CTL_ELECT_RETRY_MS % 1000) * 1000 };
        evtimer_add(c->elect_ev, &tv);
    }
}

void kn_ctl_elect(kn_ctl_t *c)
{
    if (c->elect_ev == NULL)
        c->elect_ev = evtimer_new(c->base, elect_cb, c);
    /* Run soon from the loop, never inside the caller (watch callbacks,
     * resign paths that are still iterating over state). */
    struct timeval now = { 0, 0 };
    evtimer_add(c->elect_ev, &now);
}

void kn_ctl_resign(kn_ctl_t *c, const char *why)
{
    if (!c->active)
        return;
    kn_log_warn("controller.election", "controller %d resigning (epoch %d): %s",
                (int)c->conf.controller_id, (int)c->epoch, why);
    c->active = false;
    kn_ctl_channel_close_all(c);
    /* The model is dropped at the next election (kn_ctl_on_elected), not
     * here: callers up the stack may still be iterating over it. */
    kn_ctl_elect(c);
}

void kn_ctl_zk_session_cb(kn_zk_t *zk, kn_zk_session_event_t ev, void *ud)
{
    kn_ctl_t *c = ud;
    switch (ev) {
    case KN_ZK_SESSION_CONNECTED:
        kn_log_info("controller.election", "ZooKeeper session %s",
                    kn_zk_session_renewed(zk) ? "established" : "reconnected");
        kn_ctl_elect(c);
        break;
    case KN_ZK_SESSION_DISCONNECTED:
        kn_log_warn("controller.election", "ZooKeeper connection lost; waiting for reconnect");
        break;
    case KN_ZK_SESSION_EXPIRED:
        kn_log_warn("controller.election", "ZooKeeper session expired");
        kn_ctl_resign(c, "ZooKeeper session expired");
        break;
    case KN_ZK_SESSION_AUTH_FAILED:
        kn_log_error("controller.election", "ZooKeeper authentication failed");
        kn_ctl_resign(c, "ZooKeeper authentication failed");
        break;
    }
}
