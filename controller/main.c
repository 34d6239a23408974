/*
 * controller/main.c -- kanal-controller: configuration and start-up.
 *
 * Reads the configuration (controller.id, listeners, zookeeper.connect,
 * ssl.*, ...), opens the control endpoint, connects to ZooKeeper, makes
 * sure /cluster/id exists and enters the election (election.c). Runs until
 * SIGTERM/SIGINT; closing the ZooKeeper session on the way out removes our
 * ephemeral /controller at once, so a standby takes over without waiting
 * for the session timeout.
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/thread.h>

#include "common/config.h"
#include "controller/controller.h"
#include "log.h"
#include "net/tls.h"

/* "PLAINTEXT://host:port" or "SSL://host:port" (host may be empty or [v6]). */
static int parse_listener(const char *s, char *host, size_t hlen, int *port, bool *ssl)
{
    const char *rest;
    if (strncmp(s, "PLAINTEXT://", 12) == 0) {
        *ssl = false;
        rest = s + 12;
    } else if (strncmp(s, "SSL://", 6) == 0) {
        *ssl = true;
        rest = s + 6;
    } else {
        return KN_ERROR;
    }
    const char *colon = strrchr(rest, ':');
    if (colon == NULL)
        return KN_ERROR;
    const char *hs = rest, *he = colon;
    if (*hs == '[') {
        if (he - hs < 2 || he[-1] != ']')
            return KN_ERROR;
        hs++;
        he--;
    }
    if ((size_t)(he - hs) >= hlen)
        return KN_ERROR;
    memcpy(host, hs, (size_t)(he - hs));
    host[he - hs] = '\0';
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || p < 0 || p > 65535)
        return KN_ERROR;
    *port = (int)p;
    return KN_OK;
}

static int validate_listeners(const char *value, char *err, size_t errlen)
{
    char host[256];
    int port;
    bool ssl;
    if (strchr(value, ',') != NULL) {
        snprintf(err, errlen, "the controller has exactly one listener");
        return KN_ERROR;
    }
    if (parse_listener(value, host, sizeof host, &port, &ssl) != KN_OK) {
        snprintf(err, errlen, "expected PLAINTEXT://host:port or SSL://host:port, got '%s'", value);
        return KN_ERROR;
    }
    return KN_OK;
}

static const kn_cfg_key_t kn_ctl_config_table[] = {
    { "controller.id", KN_CFG_INT, NULL, 0, INT32_MAX, NULL, NULL, KN_CFG_REQUIRED,
      "unique id of this controller (independent of broker ids)" },
    { "listeners", KN_CFG_STRING, "PLAINTEXT://127.0.0.1:9095", 1, 0, NULL, validate_listeners, 0,
      "control endpoint brokers connect to, PLAINTEXT://host:port or SSL://host:port "
      "(port 0 = any free port; published in /controller)" },
    { "advertised.host.name", KN_CFG_STRING, NULL, 1, 0, NULL, NULL, 0,
      "host published in /controller (default: the listener host, or the host name if that "
      "is empty or 0.0.0.0)" },
    { "zookeeper.connect", KN_CFG_STRING, NULL, 1, 0, NULL, NULL, KN_CFG_REQUIRED,
      "ZooKeeper ensemble, host:port[,host:port...][/chroot]" },
    { "zookeeper.session.timeout.ms", KN_CFG_INT, "18000", 1000, 3600000, NULL, NULL, 0,
      "ZooKeeper session timeout; a dead controller's /controller vanishes after it" },
    { "ssl.certificate.location", KN_CFG_STRING, NULL, 1, 0, NULL, NULL, 0,
      "PEM certificate of the SSL listener" },
    { "ssl.key.location", KN_CFG_STRING, NULL, 1, 0, NULL, NULL, 0,
      "PEM private key of the SSL listener" },
    { "ssl.ca.location", KN_CFG_STRING, NULL, 1, 0, NULL, NULL, 0,
      "PEM CA bundle used to verify broker certificates" },
    { "ssl.client.auth", KN_CFG_STRING, "none", 1, 0, "none|requested|required", NULL, 0,
      "whether brokers must present a certificate on the SSL listener" },
    { "log.level", KN_CFG_STRING, "info", 1, 0, "trace|debug|info|warn|error|fatal", NULL, 0,
      "minimum level of log lines written to stderr" },
    { "unclean.leader.election.enable", KN_CFG_BOOL, "false", 1, 0, NULL, NULL, 0,
      "elect a leader outside the ISR when no ISR member is alive (may lose data)" },
    { "auto.leader.rebalance.enable", KN_CFG_BOOL, "true", 1, 0, NULL, NULL, 0,
      "periodically move leadership back to each partition's preferred (first) replica "
      "when it is alive and in the ISR" },
    { "leader.imbalance.check.interval.seconds", KN_CFG_INT, "300", 1, 86400, NULL, NULL, 0,
      "how often auto.leader.rebalance.enable runs" },
    { NULL, 0, NULL, 0, 0, NULL, NULL, 0, NULL }
};

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
    kn_ctl_t *c = arg;
    kn_log_info("controller", "signal %d: stopping", (int)sig);
    c->stopping = true;
    event_base_loopbreak(c->base);
}

static int setup_conf(kn_ctl_t *c, const kn_config_t *cfg)
{
    char host[256], err[512];
    int port;
    bool ssl;

    c->conf.controller_id = (int32_t)kn_config_int(cfg, "controller.id");
    c->conf.zk_connect = kn_strdup(kn_config_str(cfg, "zookeeper.connect"));
    c->conf.zk_session_timeout_ms = (int)kn_config_int(cfg, "zookeeper.session.timeout.ms");
    c->conf.unclean_election = kn_config_bool(cfg, "unclean.leader.election.enable");
    c->conf.auto_rebalance = kn_config_bool(cfg, "auto.leader.rebalance.enable");
    c->conf.rebalance_interval_ms =
        (int)kn_config_int(cfg, "leader.imbalance.check.interval.seconds") * 1000;
    if (parse_listener(kn_config_str(cfg, "listeners"), host, sizeof host, &port, &ssl) != KN_OK)
        return KN_ERROR;   /* validated by the table already */
    c->conf.listen_host = kn_strdup(host);
    c->conf.listen_port = port;
    c->conf.listen_ssl = ssl;
    const char *adv = kn_config_str(cfg, "advertised.host.name");
    if (adv == NULL && (host[0] == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "::") == 0)) {
        char hn[256];
        if (gethostname(hn, sizeof hn) != 0)
            snprintf(hn, sizeof hn, "localhost");
        hn[sizeof hn - 1] = '\0';
        c->conf.advertised_host = kn_strdup(hn);
    } else {
        c->conf.advertised_host = kn_strdup(adv != NULL ? adv : host);
    }
    if (ssl) {
        kn_tls_client_auth_t auth;
        const char *cert = kn_config_str(cfg, "ssl.certificate.location");
        const char *key = kn_config_str(cfg, "ssl.key.location");
        const char *ca = kn_config_str(cfg, "ssl.ca.location");
        if (cert == NULL || key == NULL) {
            kn_log_error("controller", "listeners: an SSL listener needs ssl.certificate.location "
                         "and ssl.key.location");
            return KN_ERROR;
        }
        if (kn_tls_client_auth_parse(kn_config_str(cfg, "ssl.client.auth"), &auth) != KN_OK) {
            kn_log_error("controller", "ssl.client.auth: invalid value");
            return KN_ERROR;
        }
        c->conf.ssl = kn_tls_server_ctx(cert, key, ca, auth, err, sizeof err);
        if (c->conf.ssl == NULL) {
            kn_log_error("controller", "SSL listener: %s", err);
            return KN_ERROR;
        }
    }
    return KN_OK;
}

static void teardown(kn_ctl_t *c)
{
    kn_ctl_channel_close_all(c);
    kn_ctl_state_clear(c);
    if (c->listener != NULL)
        evconnlistener_free(c->listener);
    /* Closing the session deletes our ephemeral /controller right away. */
    if (c->zk != NULL)
        kn_zk_free(c->zk);
    if (c->elect_ev != NULL)
        event_free(c->elect_ev);
    if (c->work_ev != NULL)
        event_free(c->work_ev);
    if (c->retry_ev != NULL)
        event_free(c->retry_ev);
    if (c->rebalance_ev != NULL)
        event_free(c->rebalance_ev);
    if (c->conf.ssl != NULL)
        SSL_CTX_free(c->conf.ssl);
    free(c->conf.zk_connect);
    free(c->conf.listen_host);
    free(c->conf.advertised_host);
}

int main(int argc, char **argv)
{
    kn_config_t *cfg = NULL;
    kn_ctl_t c;
    kn_log_level_t level = KN_LOG_INFO;
    int status = 1;

    memset(&c, 0, sizeof c);
    int rc = kn_config_cli(argc, argv, "kanal-controller",
                           "The Kanal controller: elected through ZooKeeper, it assigns partition "
                           "leaders and pushes cluster state to the brokers.",
                           kn_ctl_config_table, &cfg);
    if (rc == 1)
        return 0;
    if (rc != KN_OK)
        return 2;
    kn_log_level_parse(kn_config_str(cfg, "log.level"), &level);
    kn_log_init("kanal-controller", level);
    signal(SIGPIPE, SIG_IGN);

    struct event *sigterm = NULL, *sigint = NULL;

    /* The ZooKeeper wrapper hands events to the loop from its own threads. */
    if (evthread_use_pthreads() != 0 || (c.base = event_base_new()) == NULL) {
        kn_log_error("controller", "cannot create the event loop");
        kn_config_free(cfg);
        return 1;
    }
    /* Handlers before the port opens: a SIGTERM sent as soon as the port
     * answers must get the clean stop, not the default action. */
    sigterm = evsignal_new(c.base, SIGTERM, stop_cb, &c);
    sigint = evsignal_new(c.base, SIGINT, stop_cb, &c);
    event_add(sigterm, NULL);
    event_add(sigint, NULL);
    if (setup_conf(&c, cfg) != KN_OK || kn_ctl_listen(&c) != KN_OK)
        goto out;

    c.zk = kn_zk_new(c.base, c.conf.zk_connect, c.conf.zk_session_timeout_ms,
                     kn_ctl_zk_session_cb, &c);
    if (c.zk == NULL || kn_zk_wait_connected(c.zk, c.conf.zk_session_timeout_ms) != ZOK) {
        kn_log_error("controller", "zookeeper.connect: cannot reach ZooKeeper at %s",
                     c.conf.zk_connect);
        goto out;
    }
    if (kn_ctl_ensure_cluster_id(c.zk, c.cluster_id) != KN_OK)
        goto out;
    kn_log_info("controller", "controller %d starting (cluster %s)", (int)c.conf.controller_id,
                c.cluster_id);

    kn_ctl_elect(&c);
    event_base_dispatch(c.base);
    status = 0;
out:
    if (sigterm != NULL)
        event_free(sigterm);
    if (sigint != NULL)
        event_free(sigint);
    c.stopping = true;
    teardown(&c);
    event_base_free(c.base);
    kn_config_free(cfg);
    kn_log_info("controller", "stopped");
    return status;
}
