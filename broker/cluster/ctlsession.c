/*
 * broker/cluster/ctlsession.c -- the broker's session to the active
 * controller.
 *
 * The active controller publishes itself in the ephemeral /controller
 * ({"controllerid":..,"endpoint":"SSL://h:p",...}). We read it with a watch,
 * connect to the endpoint over the control channel (TLS when the endpoint
 * is SSL://), and send Register{broker_id, broker_epoch} first. The
 * controller then pushes LeaderAndIsr / UpdateMetadata / StopReplica,
 * which cluster.c applies and answers.
 *
 * When /controller changes (a new controller won) we drop the old channel
 * and connect to the new endpoint. When the channel goes down we retry with
 * an exponential back-off (100 ms .. 5 s) after re-reading /controller, so
 * a dead controller's endpoint is not hammered and a new one is found.
 */
#include "config.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/cluster_int.h"
#include "log.h"
#include "net/tls.h"

#define LOGC "broker.ctl"
#define KN_CTL_BACKOFF_MIN_MS 100
#define KN_CTL_BACKOFF_MAX_MS 5000

static void refresh(kn_cluster_t *c);

static void send_register(kn_cluster_t *c)
{
    int64_t epoch = kn_cluster_broker_epoch(c);
    if (c->ch == NULL || !c->ch_up || epoch < 0)
        return;
    Kanal__Control__KnControl msg = KANAL__CONTROL__KN_CONTROL__INIT;
    Kanal__Control__Register reg = KANAL__CONTROL__REGISTER__INIT;
    reg.broker_id = c->broker_id;
    reg.broker_epoch = epoch;
    msg.request_id = c->next_request_id++;
    msg.body_case = KANAL__CONTROL__KN_CONTROL__BODY_REGISTER;
    msg.register_ = &reg;
    if (kn_ctlchan_send(c->ch, &msg) != KN_OK)
        kn_log_warn(LOGC, "cannot send Register to controller %d", c->ctl_id);
    else
        kn_log_info(LOGC, "sent Register (broker %d, epoch %lld) to controller %d at %s",
                    c->broker_id, (long long)epoch, c->ctl_id, c->ctl_endpoint);
}

static void on_msg(kn_ctlchan_t *ch, const Kanal__Control__KnControl *msg, void *ud)
{
    kn_cluster_t *c = ud;
    Kanal__Control__KnControl reply;
    if (kn_cluster_on_control(c, msg, &reply)) {
        if (kn_ctlchan_send(ch, &reply) != KN_OK)
            kn_log_warn(LOGC, "cannot answer controller request %lld",
                        (long long)msg->request_id);
        kn_cluster_reply_free(&reply);
    }
}

static void on_up(kn_ctlchan_t *ch, void *ud)
{
    kn_cluster_t *c = ud;
    KN_UNUSED(ch);
    c->ch_up = true;
    c->ctl_backoff_ms = 0;
    send_register(c);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    KN_UNUSED(fd);
    KN_UNUSED(what);
    refresh(arg);
}

static void schedule_retry(kn_cluster_t *c)
{
    if (c->stopping)
        return;
    c->ctl_backoff_ms = c->ctl_backoff_ms ? KN_MIN(c->ctl_backoff_ms * 2, KN_CTL_BACKOFF_MAX_MS)
                                          : KN_CTL_BACKOFF_MIN_MS;
    if (c->ctl_retry_ev == NULL)
        c->ctl_retry_ev = evtimer_new(c->base, retry_cb, c);
    struct timeval tv = { c->ctl_backoff_ms / 1000, (c->ctl_backoff_ms % 1000) * 1000 };
    evtimer_add(c->ctl_retry_ev, &tv);
}

static void close_channel(kn_cluster_t *c)
{
    if (c->ch) {
        kn_ctlchan_free(c->ch);
        c->ch = NULL;
    }
    c->ch_up = false;
}

static void on_down(kn_ctlchan_t *ch, const char *reason, void *ud)
{
    kn_cluster_t *c = ud;
    KN_UNUSED(ch);
    kn_log_warn(LOGC, "controller channel to %s down: %s", c->ctl_endpoint ? c->ctl_endpoint : "?",
                reason ? reason : "closed");
    close_channel(c);
    schedule_retry(c);
}

/* "SSL://host:port" -> host, port, ssl. IPv6 hosts may be bracketed. */
static int parse_endpoint(const char *ep, char *host, size_t hostlen, int *port, bool *ssl)
{
    const char *sep = strstr(ep, "://");
    if (sep == NULL)
        return KN_ERROR;
    size_t plen = (size_t)(sep - ep);
    *ssl = (plen == 3 && strncmp(ep, "SSL", 3) == 0) ||
           (plen == 8 && strncmp(ep, "SASL_SSL", 8) == 0);
    const char *h = sep + 3;
    const char *colon = strrchr(h, ':');
    if (colon == NULL || colon == h)
        return KN_ERROR;
    const char *hs = h, *he = colon;
    if (*hs == '[' && he > hs + 1 && he[-1] == ']') {
        hs++;
        he--;
    }
    if ((size_t)(he - hs) >= hostlen)
        return KN_ERROR;
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end != '\0' || p <= 0 || p > 65535)
        return KN_ERROR;
    *port = (int)p;
    return KN_OK;
}

static SSL_CTX *client_ssl(kn_cluster_t *c)
{
    if (c->ssl)
        return c->ssl;
    char err[256] = "";
    c->ssl = kn_tls_client_ctx(kn_cluster_cfg_str(c, "ssl.ca.location"),
                               kn_cluster_cfg_str(c, "ssl.certificate.location"),
                               kn_cluster_cfg_str(c, "ssl.key.location"), err, sizeof(err));
    if (c->ssl == NULL)
        kn_log_error(LOGC, "TLS client context for the controller channel: %s", err);
    return c->ssl;
}

static void connect_to(kn_cluster_t *c, const char *endpoint)
{
    char host[256];
    int port;
    bool ssl;
    if (parse_endpoint(endpoint, host, sizeof(host), &port, &ssl) != KN_OK) {
        kn_log_ratelimited(KN_LOG_ERROR, LOGC, "ctl.endpoint", 10000,
                           "bad controller endpoint \"%s\" in /controller", endpoint);
        schedule_retry(c);
        return;
    }
    SSL_CTX *ctx = NULL;
    if (ssl && (ctx = client_ssl(c)) == NULL) {
        schedule_retry(c);
        return;
    }
    kn_ctlchan_cbs_t cbs = { .on_msg = on_msg, .on_up = on_up, .on_down = on_down, .ud = c };
    free(c->ctl_endpoint);
    c->ctl_endpoint = kn_strdup(endpoint);
    c->ch_up = false;
    c->ch = kn_ctlchan_connect(c->base, host, port, ctx, &cbs);
    if (c->ch == NULL) {
        kn_log_warn(LOGC, "cannot connect to controller at %s", endpoint);
        schedule_retry(c);
        return;
    }
    kn_log_info(LOGC, "connecting to controller %d at %s", c->ctl_id, endpoint);
}

static void watch_cb(kn_zk_t *zk, kn_zk_watch_event_t ev, const char *path, void *ud)
{
    KN_UNUSED(zk);
    KN_UNUSED(ev);
    KN_UNUSED(path);
    kn_cluster_t *c = ud;
    c->ctl_watch_armed = false;
    refresh(c);
}

/* Read /controller (arming the watch once) and act on what it says. */
static void refresh(kn_cluster_t *c)
{
    if (c->stopping || c->zk == NULL)
        return;
    kn_zk_watch_cb w = c->ctl_watch_armed ? NULL : watch_cb;
    json_t *j = NULL;
    int rc = kn_zk_get_json(c->zk, "/controller", &j, NULL, w, c);
    if (rc == ZNONODE) {
        /* A get does not leave a watch on a missing node; exists does. */
        if (w && kn_zk_exists(c->zk, "/controller", NULL, w, c) == ZNONODE)
            c->ctl_watch_armed = true;
        else if (w)
            refresh(c);   /* created in between */
        return;
    }
    if (rc != ZOK) {
        kn_log_warn(LOGC, "reading /controller: %s", kn_zk_strerror(rc));
        schedule_retry(c);
        return;
    }
    if (w)
        c->ctl_watch_armed = true;
    json_t *idj = json_object_get(j, "controllerid");
    if (idj == NULL)
        idj = json_object_get(j, "brokerid");
    const char *endpoint = json_string_value(json_object_get(j, "endpoint"));
    int32_t id = json_is_integer(idj) ? (int32_t)json_integer_value(idj) : -1;
    if (endpoint == NULL || *endpoint == '\0') {
        kn_log_ratelimited(KN_LOG_ERROR, LOGC, "ctl.noendpoint", 10000,
                           "/controller has no endpoint; waiting for a Kanal controller");
        json_decref(j);
        return;
    }
    bool same = c->ch && c->ctl_endpoint && strcmp(c->ctl_endpoint, endpoint) == 0 &&
                c->ctl_id == id;
    if (!same) {
        close_channel(c);
        c->ctl_id = id;
        connect_to(c, endpoint);
    }
    json_decref(j);
}

int kn_cluster_send_control(kn_cluster_t *c, Kanal__Control__KnControl *msg)
{
    if (c == NULL || c->ch == NULL || !c->ch_up || c->stopping)
        return KN_ERROR;
    msg->request_id = c->next_request_id++;
    msg->is_response = false;
    return kn_ctlchan_send(c->ch, msg);
}

void kn_ctlsession_start(kn_cluster_t *c)
{
    c->ctl_watch_armed = false;
    refresh(c);
}

void kn_ctlsession_reregister(kn_cluster_t *c)
{
    /* A new broker epoch: start a fresh controller session (the controller
     * checks Register against /brokers/ids/<id> once per session). The old
     * /controller watch went with the old ZooKeeper session. */
    c->ctl_watch_armed = false;
    close_channel(c);
    c->ctl_backoff_ms = 0;
    refresh(c);
}

void kn_ctlsession_stop(kn_cluster_t *c)
{
    if (c->ctl_retry_ev) {
        event_free(c->ctl_retry_ev);
        c->ctl_retry_ev = NULL;
    }
    close_channel(c);
    if (c->ssl) {
        SSL_CTX_free(c->ssl);
        c->ssl = NULL;
    }
    free(c->ctl_endpoint);
    c->ctl_endpoint = NULL;
}
