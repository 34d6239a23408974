/*
 * broker/main.c -- the kanal-broker process: configuration, start-up in
 * dependency order, signals, and shutdown in reverse order.
 *
 *   kanal-broker --config broker.properties [--override key=value]...
 *
 * Start-up: config -> logging -> main loop -> network layer (sockets bound,
 * so the advertised ports are known) -> subsystems (storage, cluster) ->
 * network threads start serving -> main loop runs until SIGTERM/SIGINT.
 * Shutdown: listeners closed -> network stopped (parked requests get their
 * final call, connections drain) -> subsystems stopped -> memory freed.
 * SIGHUP reopens the log file (log.file) for logrotate.
 */
#include "config.h"
#include "broker/broker.h"

#include <errno.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "broker/cluster/cluster.h"
#include "broker/group/group.h"
#include "broker/handlers/api_versions.h"
#include "broker/handlers/handlers.h"
#include "broker/replica/replica.h"
#include "broker/storage.h"
#include "broker/server/server.h"
#include "log.h"
#include "net/tls.h"

static const char kn_broker_summary[] =
    "Kanal broker: stores partitions and serves Kafka clients.";

/* ---- subsystems ----------------------------------------------------------
 * The storage (broker/log) and cluster (broker/cluster) subsystems hook in
 * here. start runs after the listening sockets are bound (their real ports
 * are in kn_server_listener()) and before the network threads serve
 * requests; stop runs after the network layer has stopped, so no handler
 * runs concurrently with it. */

/* Register every Kafka API handler (before the server starts). */
static void kn_broker_register_handlers(kn_broker_t *b)
{
    KN_UNUSED(b);
    kn_api_versions_register();
    kn_data_handlers_register();    /* Produce, Fetch, ListOffsets (broker/handlers) */
    kn_cluster_register_handlers();
    kn_group_register_handlers();   /* consumer groups, offsets (broker/group) */
    kn_repl_register_handlers();    /* OffsetForLeaderEpoch (broker/replica) */
}

static int kn_broker_start_subsystems(kn_broker_t *b)
{
    /* storage first: the cluster creates partition logs in b->logs as the
     * controller assigns them */
    if (kn_broker_storage_open(b) != KN_OK) {
        return KN_ERROR;
    }
    /* replication: exists before the cluster, whose first LeaderAndIsr
     * hands it partitions to lead or follow */
    b->repl = kn_repl_new(b);
    if (kn_repl_start(b->repl) != KN_OK) {
        return KN_ERROR;
    }
    /* cluster: registers in ZooKeeper and serves partitions from b->logs */
    b->cluster = kn_cluster_start(b);
    if (b->cluster == NULL) {
        return KN_ERROR;
    }
    /* group coordinator: follows the cluster's __consumer_offsets leadership */
    if (kn_group_start(b) != KN_OK) {
        return KN_ERROR;
    }
    return KN_OK;
}

static void kn_broker_stop_subsystems(kn_broker_t *b)
{
    kn_repl_stop(b->repl);   /* fetcher threads joined before the cluster goes */
    kn_group_stop(b);   /* before the cluster: it reads partitions through it */
    kn_cluster_stop(b->cluster);
    b->cluster = NULL;
    kn_repl_free(b->repl);   /* after the cluster: its stop drains work queued for us */
    b->repl = NULL;
    kn_broker_storage_close(b);   /* last: checkpoints and the clean-shutdown marker */
}

/* ---- logging -------------------------------------------------------------- */

/* Point stderr at log.file (start-up and SIGHUP, after logrotate moved the
 * old file away). */
static int kn_broker_open_log_file(const char *path)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        kn_log_error("broker", "cannot open log.file %s: %s", path, strerror(errno));
        return KN_ERROR;
    }
    if (fd != STDERR_FILENO) {
        dup2(fd, STDERR_FILENO);
        close(fd);
    }
    return KN_OK;
}

static int kn_broker_setup_logging(const kn_config_t *cfg)
{
    kn_log_level_t level = KN_LOG_INFO;
    kn_log_level_parse(kn_config_str(cfg, "log.level"), &level);
    kn_log_set_level(level);
    if (kn_config_bool(cfg, "log.syslog")) {
        kn_log_enable_syslog(true);
    }
    const char *file = kn_config_str(cfg, "log.file");
    if (file != NULL && kn_broker_open_log_file(file) != KN_OK) {
        return KN_ERROR;
    }
    return KN_OK;
}

/* ---- network configuration ------------------------------------------------ */

static int kn_broker_server_opts(kn_broker_t *b, kn_server_opts_t *o, char *err, size_t errlen)
{
    const kn_config_t *cfg = b->cfg;

    kn_server_opts_default(o);
    int n = kn_listeners_parse(kn_config_str(cfg, "listeners"), kn_config_str(cfg, "advertised.listeners"),
                               kn_config_str(cfg, "listener.security.protocol.map"), o->listeners,
                               KN_LISTENERS_MAX, err, errlen);
    if (n < 0) {
        return KN_ERROR;
    }
    o->nlisteners = (size_t)n;
    o->num_threads = (int)kn_config_int(cfg, "num.network.threads");
    o->max_request_bytes = (int32_t)kn_config_int(cfg, "socket.request.max.bytes");
    o->sndbuf = (int)kn_config_int(cfg, "socket.send.buffer.bytes");
    o->rcvbuf = (int)kn_config_int(cfg, "socket.receive.buffer.bytes");
    o->idle_ms = kn_config_int(cfg, "connections.max.idle.ms");
    o->broker = b;

    /* inter.broker.listener.name: must name a listener; unset means
     * PLAINTEXT if there is one, else the first listener. */
    const char *ibl = kn_config_str(cfg, "inter.broker.listener.name");
    const kn_listener_t *chosen = NULL;
    for (size_t i = 0; i < o->nlisteners; i++) {
        if (ibl != NULL ? strcasecmp(o->listeners[i].name, ibl) == 0
                        : strcmp(o->listeners[i].name, "PLAINTEXT") == 0) {
            chosen = &o->listeners[i];
        }
    }
    if (chosen == NULL && ibl != NULL) {
        snprintf(err, errlen, "inter.broker.listener.name: %s is not in listeners", ibl);
        return KN_ERROR;
    }
    if (chosen == NULL) {
        chosen = &o->listeners[0];
    }
    snprintf(b->inter_broker_listener, sizeof(b->inter_broker_listener), "%s", chosen->name);

    bool need_tls = false;
    for (size_t i = 0; i < o->nlisteners; i++) {
        need_tls |= o->listeners[i].security == KN_SEC_SSL || o->listeners[i].security == KN_SEC_SASL_SSL;
    }
    if (need_tls) {
        kn_tls_client_auth_t auth;
        if (kn_tls_client_auth_parse(kn_config_str(cfg, "ssl.client.auth"), &auth) != KN_OK) {
            snprintf(err, errlen, "ssl.client.auth: expected none, requested or required");
            return KN_ERROR;
        }
        o->ssl_ctx = kn_tls_server_ctx(kn_config_str(cfg, "ssl.certificate.location"),
                                       kn_config_str(cfg, "ssl.key.location"),
                                       kn_config_str(cfg, "ssl.ca.location"), auth, err, errlen);
        if (o->ssl_ctx == NULL) {
            return KN_ERROR;
        }
    }
    return KN_OK;
}

/* ---- signals -------------------------------------------------------------- */

static void kn_broker_on_stop_signal(evutil_socket_t sig, short what, void *arg)
{
    kn_broker_t *b = arg;
    KN_UNUSED(what);
    if (!b->stopping) {
        kn_log_info("broker", "received %s, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
    }
    b->stopping = 1;
    event_base_loopbreak(b->main_base);
}

static void kn_broker_on_hup(evutil_socket_t sig, short what, void *arg)
{
    kn_broker_t *b = arg;
    KN_UNUSED(sig);
    KN_UNUSED(what);
    const char *file = kn_config_str(b->cfg, "log.file");
    if (file != NULL && kn_broker_open_log_file(file) == KN_OK) {
        kn_log_info("broker", "log file reopened");
    }
}

/* Keep freed request memory in the process. Request frames (up to
 * fetch/produce sizes of megabytes) and libevent's buffers are allocated
 * and freed on every network thread all the time; with glibc's defaults
 * each thread's arena gives the top of its heap back (madvise
 * MADV_DONTNEED) once more than about 2 MiB is free there, and the next
 * request faults every page in again: 135,000 page faults and 40 % of the
 * broker's CPU for 256 MiB of TLS produce. Both values are fixed because
 * setting one turns off glibc's adaptive thresholds. Memory a burst used
 * stays mapped for the next burst (at most M_TRIM_THRESHOLD per arena). */
static void kn_broker_tune_malloc(void)
{
#if defined(M_TRIM_THRESHOLD) && defined(M_MMAP_THRESHOLD)
    (void)mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    (void)mallopt(M_TRIM_THRESHOLD, 64 * 1024 * 1024);
#endif
}

int main(int argc, char **argv)
{
    kn_broker_t b;
    kn_config_t *cfg = NULL;
    char err[1024] = "";
    int exit_code = 1;
    struct event *sigs[3] = { NULL, NULL, NULL };

    memset(&b, 0, sizeof(b));
    kn_broker_tune_malloc();
    kn_log_init("kanal-broker", KN_LOG_INFO);
    /* Before any event_base exists: the network threads and
     * kn_server_run_on() need locking in libevent. */
    evthread_use_pthreads();
    signal(SIGPIPE, SIG_IGN);

    int rc = kn_config_cli(argc, argv, "kanal-broker", kn_broker_summary, kn_broker_config_table, &cfg);
    if (rc == 1) {
        return 0;
    }
    if (rc != KN_OK) {
        return 2;
    }
    b.cfg = cfg;
    b.id = (int32_t)kn_config_int(cfg, "broker.id");
    if (kn_broker_setup_logging(cfg) != KN_OK) {
        goto out;
    }

    b.main_base = event_base_new();
    if (b.main_base == NULL || kn_runq_attach(b.main_base) != KN_OK) {
        kn_log_error("broker", "cannot create the main event loop");
        goto out;
    }

    /* Signal handlers before anything listens: a SIGHUP or SIGTERM that
     * arrives once the port is open must never hit the default action
     * (terminate without a clean shutdown). */
    sigs[0] = evsignal_new(b.main_base, SIGTERM, kn_broker_on_stop_signal, &b);
    sigs[1] = evsignal_new(b.main_base, SIGINT, kn_broker_on_stop_signal, &b);
    sigs[2] = evsignal_new(b.main_base, SIGHUP, kn_broker_on_hup, &b);
    for (size_t i = 0; i < KN_ARRAY_LEN(sigs); i++) {
        if (sigs[i] != NULL) {
            evsignal_add(sigs[i], NULL);
        }
    }

    kn_server_opts_t opts;
    if (kn_broker_server_opts(&b, &opts, err, sizeof(err)) != KN_OK) {
        kn_log_error("broker", "configuration: %s", err);
        exit_code = 2;
        goto out;
    }
    kn_broker_register_handlers(&b);
    b.server = kn_server_new(&opts, err, sizeof(err));
    if (opts.ssl_ctx != NULL) {
        SSL_CTX_free(opts.ssl_ctx);   /* the server holds its own reference */
    }
    if (b.server == NULL) {
        kn_log_error("broker", "%s", err);
        goto out;
    }
    if (kn_broker_start_subsystems(&b) != KN_OK) {
        kn_log_error("broker", "start-up failed");
        goto stop;
    }
    if (kn_server_start(b.server) != KN_OK) {
        goto stop;
    }

    kn_log_info("broker", "broker %d started (Kanal %s)", (int)b.id, PACKAGE_VERSION);
    event_base_loop(b.main_base, EVLOOP_NO_EXIT_ON_EMPTY);
    exit_code = 0;
    /* Controlled shutdown (broker/replica): leadership moves to other
     * replicas while we still serve, so clients fail over at once. */
    kn_repl_controlled_shutdown(b.repl);

stop:
    kn_server_stop_listeners(b.server);
    kn_server_stop(b.server);
    kn_broker_stop_subsystems(&b);
    kn_server_free(b.server);
    b.server = NULL;
    if (exit_code == 0) {
        kn_log_info("broker", "broker %d stopped", (int)b.id);
    }
out:
    for (size_t i = 0; i < KN_ARRAY_LEN(sigs); i++) {
        if (sigs[i] != NULL) {
            event_free(sigs[i]);
        }
    }
    if (b.main_base != NULL) {
        kn_runq_detach(b.main_base);
        event_base_free(b.main_base);
    }
    kn_config_free(cfg);
    return exit_code;
}
