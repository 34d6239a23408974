/*
 * tests/integration/fake_broker.c -- a stand-in broker and a small
 * ZooKeeper tool for tests/integration/test_controller.py.
 *
 *   fake_broker broker CONNECT ID [CMD_FIFO|-] [CA [CERT KEY]]
 *       Registers /brokers/ids/ID (ephemeral, the v5 JSON a broker writes),
 *       follows /controller, connects to its endpoint, sends Register and
 *       prints every control message it receives as one line
 *       "MSG {json}". Like a real broker it ignores (and prints "IGNORED")
 *       any controller message whose controller_epoch is lower than the
 *       highest it has seen. An SSL:// endpoint is reached over TLS,
 *       verified against CA, presenting CERT/KEY if given. Lines written
 *       to CMD_FIFO are commands:
 *         alter_isr TOPIC PARTITION LEADER_EPOCH ZK_VERSION ISR(1,2,..)
 *         shutdown            (ControlledShutdown)
 *         quit
 *   fake_broker zk CONNECT get PATH | set PATH DATA | create PATH DATA |
 *                          delete PATH
 *       One ZooKeeper operation; prints "rc=NAME version=V data=..." for get.
 *   fake_broker fenced-write CONNECT EPOCH_ZKVERSION TOPIC PARTITION LEADER
 *       The controller's own fenced state write (kn_ctl_zk_write_state),
 *       as a deposed controller holding that /controller_epoch version
 *       would do it; prints "result=OK|FENCED|CONFLICT|ERROR".
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/thread.h>

#include "controller/controller.h"
#include "log.h"
#include "net/ctlchan.h"
#include "net/tls.h"
#include "zk/zk.h"

#define SESSION_MS 6000

typedef struct {
    struct event_base *base;
    kn_zk_t           *zk;
    int32_t            id;
    int64_t            epoch;          /* czxid of our registration */
    kn_ctlchan_t      *ch;
    char               endpoint[300];  /* the one we are connected to */
    int32_t            max_ctl_epoch;  /* highest controller_epoch seen */
    struct event      *retry_ev;
    struct bufferevent *cmd;
    int64_t            next_req;
    SSL_CTX           *ssl;            /* for SSL:// endpoints, or NULL */
} fb_t;

static void fb_connect(fb_t *fb);

/* ---- printing messages ------------------------------------------------------- */

static json_t *ids_json(const int32_t *v, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_integer(v[i]));
    return a;
}

static json_t *parts_json(Kanal__Control__PartitionState **ps, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++) {
        const Kanal__Control__PartitionState *p = ps[i];
        json_array_append_new(a, json_pack("{s:s, s:i, s:i, s:i, s:i, s:o, s:o, s:i, s:b, s:i}",
            "topic", p->topic, "partition", p->partition, "leader", p->leader,
            "leader_epoch", p->leader_epoch, "controller_epoch", p->controller_epoch,
            "isr", ids_json(p->isr, p->n_isr), "replicas", ids_json(p->replicas, p->n_replicas),
            "zk_version", p->zk_version, "is_new", p->is_new,
            "topic_id_len", (int)p->topic_id.len));
    }
    return a;
}

static json_t *errors_json(Kanal__Control__PartitionError **e, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_pack("{s:s, s:i, s:i}", "topic", e[i]->topic,
                                           "partition", e[i]->partition,
                                           "error_code", e[i]->error_code));
    return a;
}

/* The message as JSON; *cepoch gets its controller_epoch (-1 if none). */
static json_t *msg_json(const Kanal__Control__KnControl *m, int32_t *cepoch)
{
    *cepoch = -1;
    switch (m->body_case) {
    case KANAL__CONTROL__KN_CONTROL__BODY_REGISTER_RESPONSE:
        return json_pack("{s:s, s:i, s:i, s:i}", "type", "RegisterResponse",
                         "error_code", m->register_response->error_code,
                         "controller_id", m->register_response->controller_id,
                         "controller_epoch", m->register_response->controller_epoch);
    case KANAL__CONTROL__KN_CONTROL__BODY_LEADER_AND_ISR: {
        const Kanal__Control__LeaderAndIsr *l = m->leader_and_isr;
        json_t *leaders = json_array();
        for (size_t i = 0; i < l->n_leaders; i++)
            json_array_append_new(leaders, json_integer(l->leaders[i]->id));
        *cepoch = l->controller_epoch;
        return json_pack("{s:s, s:i, s:i, s:I, s:o, s:o}", "type", "LeaderAndIsr",
                         "controller_id", l->controller_id, "controller_epoch", l->controller_epoch,
                         "broker_epoch", (json_int_t)l->broker_epoch,
                         "partitions", parts_json(l->partitions, l->n_partitions),
                         "leaders", leaders);
    }
    case KANAL__CONTROL__KN_CONTROL__BODY_UPDATE_METADATA: {
        const Kanal__Control__UpdateMetadata *u = m->update_metadata;
        json_t *live = json_array(), *del = json_array();
        for (size_t i = 0; i < u->n_live_brokers; i++) {
            const Kanal__Control__LiveBroker *b = u->live_brokers[i];
            json_t *eps = json_array();
            for (size_t k = 0; k < b->n_endpoints; k++)
                json_array_append_new(eps, json_pack("{s:s, s:s, s:i, s:s}",
                    "listener", b->endpoints[k]->listener, "host", b->endpoints[k]->host,
                    "port", b->endpoints[k]->port,
                    "security_protocol", b->endpoints[k]->security_protocol));
            json_array_append_new(live, json_pack("{s:i, s:I, s:o}", "id", b->id,
                                                  "epoch", (json_int_t)b->epoch, "endpoints", eps));
        }
        for (size_t i = 0; i < u->n_deleted_topics; i++)
            json_array_append_new(del, json_string(u->deleted_topics[i]));
        *cepoch = u->controller_epoch;
        return json_pack("{s:s, s:i, s:s, s:o, s:o, s:o}", "type", "UpdateMetadata",
                         "controller_epoch", u->controller_epoch,
                         "cluster_id", u->cluster_id != NULL ? u->cluster_id : "",
                         "partitions", parts_json(u->partitions, u->n_partitions),
                         "live_brokers", live, "deleted_topics", del);
    }
    case KANAL__CONTROL__KN_CONTROL__BODY_STOP_REPLICA: {
        const Kanal__Control__StopReplica *s = m->stop_replica;
        json_t *a = json_array();
        for (size_t i = 0; i < s->n_partitions; i++)
            json_array_append_new(a, json_pack("{s:s, s:i, s:b}", "topic", s->partitions[i]->topic,
                                               "partition", s->partitions[i]->partition,
                                               "delete", s->partitions[i]->delete_partition));
        *cepoch = s->controller_epoch;
        return json_pack("{s:s, s:i, s:o}", "type", "StopReplica",
                         "controller_epoch", s->controller_epoch, "partitions", a);
    }
    case KANAL__CONTROL__KN_CONTROL__BODY_ALTER_ISR_RESPONSE:
        return json_pack("{s:s, s:i, s:o, s:o}", "type", "AlterIsrResponse",
                         "error_code", m->alter_isr_response->error_code,
                         "partitions", parts_json(m->alter_isr_response->partitions,
                                                  m->alter_isr_response->n_partitions),
                         "errors", errors_json(m->alter_isr_response->errors,
                                               m->alter_isr_response->n_errors));
    case KANAL__CONTROL__KN_CONTROL__BODY_CONTROLLED_SHUTDOWN_RESPONSE:
        return json_pack("{s:s, s:i, s:o}", "type", "ControlledShutdownResponse",
                         "error_code", m->controlled_shutdown_response->error_code,
                         "remaining", errors_json(m->controlled_shutdown_response->remaining,
                                                  m->controlled_shutdown_response->n_remaining));
    default:
        return json_pack("{s:s, s:i}", "type", "Other", "body", (int)m->body_case);
    }
}

static void on_msg(kn_ctlchan_t *ch, const Kanal__Control__KnControl *m, void *ud)
{
    fb_t *fb = ud;
    int32_t cepoch;
    json_t *j = msg_json(m, &cepoch);
    char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);

    /* What a broker must do with controller messages: drop those from a
     * controller older than the newest one it has heard from. */
    if (cepoch >= 0 && cepoch < fb->max_ctl_epoch) {
        printf("IGNORED stale controller_epoch %d < %d %s\n", (int)cepoch,
               (int)fb->max_ctl_epoch, s);
    } else {
        if (cepoch > fb->max_ctl_epoch)
            fb->max_ctl_epoch = cepoch;
        printf("MSG %s\n", s);
        /* Acknowledge pushes, as a broker would. */
        Kanal__Control__KnControl r = KANAL__CONTROL__KN_CONTROL__INIT;
        Kanal__Control__LeaderAndIsrResponse lr = KANAL__CONTROL__LEADER_AND_ISR_RESPONSE__INIT;
        if (m->body_case == KANAL__CONTROL__KN_CONTROL__BODY_LEADER_AND_ISR) {
            r.is_response = true;
            r.request_id = m->request_id;
            r.body_case = KANAL__CONTROL__KN_CONTROL__BODY_LEADER_AND_ISR_RESPONSE;
            r.leader_and_isr_response = &lr;
            kn_ctlchan_send(ch, &r);
        }
    }
    fflush(stdout);
    free(s);
    json_decref(j);
}

/* ---- following /controller --------------------------------------------------- */

static void schedule_retry(fb_t *fb)
{
    struct timeval tv = { 0, 300 * 1000 };
    evtimer_add(fb->retry_ev, &tv);
}

static void on_up(kn_ctlchan_t *ch, void *ud)
{
    fb_t *fb = ud;
    Kanal__Control__Register r = KANAL__CONTROL__REGISTER__INIT;
    Kanal__Control__KnControl m = KANAL__CONTROL__KN_CONTROL__INIT;
    r.broker_id = fb->id;
    r.broker_epoch = fb->epoch;
    m.request_id = ++fb->next_req;
    m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_REGISTER;
    m.register_ = &r;
    printf("CONNECTED %s\n", fb->endpoint);
    fflush(stdout);
    kn_ctlchan_send(ch, &m);
}

static void on_down(kn_ctlchan_t *ch, const char *reason, void *ud)
{
    fb_t *fb = ud;
    printf("DISCONNECTED %s: %s\n", fb->endpoint, reason);
    fflush(stdout);
    kn_ctlchan_free(ch);
    fb->ch = NULL;
    fb->endpoint[0] = '\0';
    schedule_retry(fb);
}

static void controller_watch(kn_zk_t *zk, kn_zk_watch_event_t ev, const char *path, void *ud)
{
    fb_connect(ud);
}

/* (Re)connect to the endpoint in /controller if it differs from ours. */
static void fb_connect(fb_t *fb)
{
    json_t *j = NULL;
    int rc = kn_zk_get_json(fb->zk, "/controller", &j, NULL, controller_watch, fb);
    if (rc == ZNONODE) {
        /* A new controller may create the node between the get and the
         * exists: then no event will come for it, so read it now. */
        if (kn_zk_exists(fb->zk, "/controller", NULL, controller_watch, fb) == ZOK)
            fb_connect(fb);
        return;
    }
    if (rc != ZOK) {
        schedule_retry(fb);
        return;
    }
    const char *ep = json_string_value(json_object_get(j, "endpoint"));
    if (ep == NULL || (fb->ch != NULL && strcmp(ep, fb->endpoint) == 0)) {
        json_decref(j);
        return;
    }
    const char *hp = strstr(ep, "://");
    const char *colon = hp != NULL ? strrchr(hp + 3, ':') : NULL;
    if (colon == NULL) {
        json_decref(j);
        return;
    }
    char host[256];
    snprintf(host, sizeof host, "%.*s", (int)(colon - (hp + 3)), hp + 3);
    if (fb->ch != NULL)
        kn_ctlchan_free(fb->ch);
    snprintf(fb->endpoint, sizeof fb->endpoint, "%s", ep);
    kn_ctlchan_cbs_t cbs = { on_msg, on_up, on_down, fb };
    bool tls = strncmp(ep, "SSL://", 6) == 0;
    if (tls && fb->ssl == NULL) {
        printf("NO TLS CONFIGURED for %s\n", ep);
        fflush(stdout);
        json_decref(j);
        return;
    }
    fb->ch = kn_ctlchan_connect(fb->base, host, atoi(colon + 1), tls ? fb->ssl : NULL, &cbs);
    if (fb->ch == NULL) {
        fb->endpoint[0] = '\0';
        schedule_retry(fb);
    }
    json_decref(j);
}

static void retry_cb(evutil_socket_t fd, short what, void *arg)
{
    fb_connect(arg);
}

/* ---- commands ------------------------------------------------------------------- */

static void run_command(fb_t *fb, char *line)
{
    Kanal__Control__KnControl m = KANAL__CONTROL__KN_CONTROL__INIT;
    char topic[256], isr_s[256];
    int part, lepoch, zkv;

    m.request_id = ++fb->next_req;
    if (sscanf(line, "alter_isr %255s %d %d %d %255s", topic, &part, &lepoch, &zkv, isr_s) == 5) {
        int32_t isr[64];
        size_t n = 0;
        for (char *tok = strtok(isr_s, ","); tok != NULL && n < 64; tok = strtok(NULL, ","))
            isr[n++] = (int32_t)atoi(tok);
        Kanal__Control__AlterIsrPartition ap = KANAL__CONTROL__ALTER_ISR_PARTITION__INIT;
        Kanal__Control__AlterIsrPartition *app = &ap;
        Kanal__Control__AlterIsr a = KANAL__CONTROL__ALTER_ISR__INIT;
        ap.topic = topic;
        ap.partition = part;
        ap.leader_epoch = lepoch;
        ap.zk_version = zkv;
        ap.new_isr = isr;
        ap.n_new_isr = n;
        a.broker_id = fb->id;
        a.broker_epoch = fb->epoch;
        a.partitions = &app;
        a.n_partitions = 1;
        m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_ALTER_ISR;
        m.alter_isr = &a;
        printf("SENT alter_isr rc=%d\n", kn_ctlchan_send(fb->ch, &m));
    } else if (strcmp(line, "shutdown") == 0) {
        Kanal__Control__ControlledShutdown cs = KANAL__CONTROL__CONTROLLED_SHUTDOWN__INIT;
        cs.broker_id = fb->id;
        cs.broker_epoch = fb->epoch;
        m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_CONTROLLED_SHUTDOWN;
        m.controlled_shutdown = &cs;
        printf("SENT shutdown rc=%d\n", kn_ctlchan_send(fb->ch, &m));
    } else if (strcmp(line, "quit") == 0) {
        event_base_loopbreak(fb->base);
    } else {
        printf("UNKNOWN COMMAND %s\n", line);
    }
    fflush(stdout);
}

static void cmd_read_cb(struct bufferevent *bev, void *arg)
{
    char *line;
    size_t n;
    while ((line = evbuffer_readln(bufferevent_get_input(bev), &n, EVBUFFER_EOL_LF)) != NULL) {
        run_command(arg, line);
        free(line);
    }
}

static void stop_cb(evutil_socket_t sig, short what, void *arg)
{
    event_base_loopbreak(arg);
}

static int broker_main(const char *connect, int32_t id, const char *fifo, const char *ca,
                       const char *cert, const char *key)
{
    fb_t fb;
    memset(&fb, 0, sizeof fb);
    fb.id = id;
    if (ca != NULL) {
        char err[512];
        fb.ssl = kn_tls_client_ctx(ca, cert, key, err, sizeof err);
        if (fb.ssl == NULL) {
            fprintf(stderr, "TLS: %s\n", err);
            return 1;
        }
    }
    fb.base = event_base_new();
    fb.retry_ev = evtimer_new(fb.base, retry_cb, &fb);
    fb.zk = kn_zk_new(fb.base, connect, SESSION_MS, NULL, NULL);
    if (fb.zk == NULL || kn_zk_wait_connected(fb.zk, 30000) != ZOK) {
        fprintf(stderr, "cannot connect to ZooKeeper\n");
        return 1;
    }
    char path[64], ts[32];
    struct Stat st;
    snprintf(path, sizeof path, "/brokers/ids/%d", (int)id);
    snprintf(ts, sizeof ts, "%lld", (long long)kn_now_ms());
    json_t *reg = json_pack("{s:i, s:s, s:i, s:[s], s:{s:s}, s:i, s:s, s:{}}", "version", 5,
                            "host", "127.0.0.1", "port", 9 + (int)id,
                            "endpoints", "PLAINTEXT://127.0.0.1:1",
                            "listener_security_protocol_map", "PLAINTEXT", "PLAINTEXT",
                            "jmx_port", -1, "timestamp", ts, "features");
    kn_zk_create_parents(fb.zk, "/brokers/ids");
    int rc = kn_zk_create_json(fb.zk, path, reg, KN_ZK_EPHEMERAL);
    json_decref(reg);
    if (rc != ZOK || kn_zk_exists(fb.zk, path, &st, NULL, NULL) != ZOK) {
        fprintf(stderr, "cannot register %s: %s\n", path, kn_zk_strerror(rc));
        return 1;
    }
    fb.epoch = st.czxid;
    printf("REGISTERED id=%d epoch=%lld\n", (int)id, (long long)fb.epoch);
    fflush(stdout);

    if (fifo != NULL && strcmp(fifo, "-") != 0) {
        int fd = open(fifo, O_RDWR | O_NONBLOCK);   /* RDWR: never sees EOF */
        if (fd < 0) {
            fprintf(stderr, "%s: %s\n", fifo, strerror(errno));
            return 1;
        }
        fb.cmd = bufferevent_socket_new(fb.base, fd, BEV_OPT_CLOSE_ON_FREE);
        bufferevent_setcb(fb.cmd, cmd_read_cb, NULL, NULL, &fb);
        bufferevent_enable(fb.cmd, EV_READ);
    }
    struct event *sig = evsignal_new(fb.base, SIGTERM, stop_cb, fb.base);
    event_add(sig, NULL);
    fb_connect(&fb);
    event_base_dispatch(fb.base);

    event_free(sig);
    if (fb.cmd != NULL)
        bufferevent_free(fb.cmd);
    if (fb.ch != NULL)
        kn_ctlchan_free(fb.ch);
    kn_zk_free(fb.zk);
    event_free(fb.retry_ev);
    event_base_free(fb.base);
    if (fb.ssl != NULL)
        SSL_CTX_free(fb.ssl);
    return 0;
}

/* ---- one-shot ZooKeeper tools -------------------------------------------------- */

/* ZooKeeper's constant names, which the test matches on. */
static const char *rc_name(int rc)
{
    static char buf[32];
    switch (rc) {
    case ZOK: return "ZOK";
    case ZNONODE: return "ZNONODE";
    case ZNODEEXISTS: return "ZNODEEXISTS";
    case ZBADVERSION: return "ZBADVERSION";
    case ZNOTEMPTY: return "ZNOTEMPTY";
    default:
        snprintf(buf, sizeof buf, "ZERROR(%d)", rc);
        return buf;
    }
}

static kn_zk_t *zk_open(struct event_base *base, const char *connect)
{
    kn_zk_t *zk = kn_zk_new(base, connect, SESSION_MS, NULL, NULL);
    if (zk == NULL || kn_zk_wait_connected(zk, 30000) != ZOK) {
        fprintf(stderr, "cannot connect to ZooKeeper at %s\n", connect);
        exit(1);
    }
    return zk;
}

static int zk_main(const char *connect, int argc, char **argv)
{
    struct event_base *base = event_base_new();
    kn_zk_t *zk = zk_open(base, connect);
    int rc = ZBADARGUMENTS;

    if (argc == 2 && strcmp(argv[0], "get") == 0) {
        char *data = NULL;
        int len = 0;
        struct Stat st;
        memset(&st, 0, sizeof st);
        rc = kn_zk_get(zk, argv[1], &data, &len, &st, NULL, NULL);
        printf("rc=%s version=%d data=%s\n", rc_name(rc), (int)st.version,
               data != NULL ? data : "");
        free(data);
    } else if (argc == 3 && strcmp(argv[0], "set") == 0) {
        rc = kn_zk_set(zk, argv[1], argv[2], (int)strlen(argv[2]), -1, NULL);
        printf("rc=%s\n", rc_name(rc));
    } else if (argc == 3 && strcmp(argv[0], "create") == 0) {
        char parent[512];
        snprintf(parent, sizeof parent, "%s", argv[1]);
        char *slash = strrchr(parent, '/');
        if (slash != NULL && slash != parent) {
            *slash = '\0';
            kn_zk_create_parents(zk, parent);
        }
        rc = kn_zk_create(zk, argv[1], argv[2], (int)strlen(argv[2]), 0, NULL, 0);
        printf("rc=%s\n", rc_name(rc));
    } else if (argc == 2 && strcmp(argv[0], "delete") == 0) {
        rc = kn_zk_delete_recursive(zk, argv[1]);
        printf("rc=%s\n", rc_name(rc));
    } else {
        fprintf(stderr, "usage: fake_broker zk CONNECT get|set|create|delete PATH [DATA]\n");
    }
    kn_zk_free(zk);
    event_base_free(base);
    return rc == ZOK || rc == ZNONODE ? 0 : 1;
}

static int fenced_main(const char *connect, int epoch_ver, const char *topic, int part, int leader)
{
    struct event_base *base = event_base_new();
    kn_zk_t *zk = zk_open(base, connect);
    kn_ctl_part_t p;
    char path[512];
    json_t *j = NULL;
    struct Stat st;

    memset(&p, 0, sizeof p);
    p.id = part;
    p.zk_version = -1;
    snprintf(path, sizeof path, "/brokers/topics/%s/partitions/%d/state", topic, part);
    if (kn_zk_get_json(zk, path, &j, &st, NULL, NULL) == ZOK) {
        kn_ctl_state_parse(j, &p);
        p.zk_version = st.version;
        json_decref(j);
    }
    /* What a zombie would write: itself as leader, a bumped epoch. */
    p.leader = leader;
    p.leader_epoch++;
    kn_ctl_ids_set(&p.isr, &p.leader, 1);
    int32_t nv = -1;
    int rc = kn_ctl_zk_write_state(zk, epoch_ver, topic, &p, &nv);
    printf("result=%s\n", rc == KN_OK ? "OK" : rc == KN_CTL_FENCED ? "FENCED"
                          : rc == KN_CTL_CONFLICT ? "CONFLICT" : "ERROR");
    kn_ctl_ids_free(&p.isr);
    kn_ctl_ids_free(&p.replicas);
    kn_zk_free(zk);
    event_base_free(base);
    return 0;
}

int main(int argc, char **argv)
{
    evthread_use_pthreads();
    kn_log_init("fake_broker", KN_LOG_WARN);
    signal(SIGPIPE, SIG_IGN);
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 4 && strcmp(argv[1], "broker") == 0)
        return broker_main(argv[2], (int32_t)atoi(argv[3]), argc >= 5 ? argv[4] : NULL,
                           argc >= 6 ? argv[5] : NULL, argc >= 8 ? argv[6] : NULL,
                           argc >= 8 ? argv[7] : NULL);
    if (argc >= 5 && strcmp(argv[1], "zk") == 0)
        return zk_main(argv[2], argc - 3, argv + 3);
    if (argc == 7 && strcmp(argv[1], "fenced-write") == 0)
        return fenced_main(argv[2], atoi(argv[3]), argv[4], atoi(argv[5]), atoi(argv[6]));
    fprintf(stderr, "usage: fake_broker broker CONNECT ID [CMD_FIFO|-] [CA [CERT KEY]]\n"
                    "       fake_broker zk CONNECT get|set|create|delete PATH [DATA]\n"
                    "       fake_broker fenced-write CONNECT EPOCH_ZKVERSION TOPIC PARTITION LEADER\n");
    return 2;
}
