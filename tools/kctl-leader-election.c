/*
 * tools/kctl-leader-election.c -- move partitions back to their preferred
 * leader (the first replica in the assignment) on demand.
 *
 * Flags follow Kafka's kafka-leader-election.sh (--election-type,
 * --topic/--partition, --all-topic-partitions, --path-to-json-file). Two
 * ways to reach the cluster:
 *   --bootstrap-server  sends ElectLeaders (key 43, v1) to a broker over a
 *                       plain TCP socket and prints Kafka's result lines;
 *                       the broker writes the znode below for us.
 *   --zookeeper         writes /admin/preferred_replica_election itself,
 *                       as Kafka 2.x's kafka-preferred-replica-election.sh
 *                       did.
 * Either way the active controller (the only writer of partition state)
 * elects, then deletes the node. A preferred replica that is dead or out
 * of the ISR is not elected (that would lose data).
 *
 * Exit status: 0 if every partition is led by its preferred replica
 * afterwards (already or by this election), 1 otherwise (or on a usage
 * error).
 */
#include "config.h"

#include <errno.h>
#include <event2/event.h>
#include <getopt.h>
#include <jansson.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "errors.h"
#include "log.h"
#include "protocol/api.h"
#include "protocol/electleaders.h"
#include "tools/lib/tool.h"
#include "zk/zk.h"

#define PROG "kctl-leader-election"
#define KN_LE_PATH "/admin/preferred_replica_election"

typedef struct {
    const char    *zookeeper;
    const char    *bootstrap;
    const char    *type;
    const char    *topic;
    long long      partition;     /* -1 = every partition of --topic */
    bool           all;
    const char    *json_file;
    long long      timeout_ms;
} kn_le_opts_t;

static void kn_le_usage(FILE *out)
{
    fputs("Usage: " PROG " (--bootstrap-server HOST:PORT | --zookeeper HOST:PORT[/CHROOT])\n"
          "       --election-type preferred\n"
          "       (--all-topic-partitions | --topic T [--partition P] | --path-to-json-file F)\n"
          "Move partitions back to their preferred leader (the first assigned replica)\n"
          "when it is alive and in sync; the active controller performs the election.\n"
          "\n"
          "  --bootstrap-server H:P[,..]  a broker to send ElectLeaders to (plaintext listener;\n"
          "                               --topic then needs --partition, as in Kafka)\n"
          "  --zookeeper CONNECT          the cluster's ZooKeeper (with its chroot)\n"
          "  --election-type TYPE         preferred (unclean is refused: it may lose data)\n"
          "  --all-topic-partitions       every partition of every topic\n"
          "  --topic TOPIC                the partitions of one topic ...\n"
          "  --partition N                ... or just this one\n"
          "  --path-to-json-file FILE     {\"partitions\":[{\"topic\":T,\"partition\":P},...]}\n"
          "  --timeout-ms N               wait this long for the controller (default 60000)\n"
          "  --help                       print this help\n"
          "  --version                    print the version\n", out);
}

static int kn_le_parse(int argc, char **argv, kn_le_opts_t *o)
{
    enum { O_ZK = 256, O_BOOT, O_TYPE, O_TOPIC, O_PART, O_ALL, O_JSON, O_TIMEOUT, O_HELP, O_VERSION };
    static const struct option longopts[] = {
        { "zookeeper", required_argument, NULL, O_ZK },
        { "bootstrap-server", required_argument, NULL, O_BOOT },
        { "election-type", required_argument, NULL, O_TYPE },
        { "topic", required_argument, NULL, O_TOPIC },
        { "partition", required_argument, NULL, O_PART },
        { "all-topic-partitions", no_argument, NULL, O_ALL },
        { "path-to-json-file", required_argument, NULL, O_JSON },
        { "timeout-ms", required_argument, NULL, O_TIMEOUT },
        { "help", no_argument, NULL, O_HELP },
        { "version", no_argument, NULL, O_VERSION },
        { NULL, 0, NULL, 0 }
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_ZK: o->zookeeper = optarg; break;
        case O_BOOT: o->bootstrap = optarg; break;
        case O_TYPE: o->type = optarg; break;
        case O_TOPIC: o->topic = optarg; break;
        case O_PART:
            if (kn_tool_terse_long(PROG, "--partition", "not a partition number", optarg, 0,
                                    INT32_MAX, &o->partition) != KN_OK) {
                return KN_ERROR;
            }
            break;
        case O_ALL: o->all = true; break;
        case O_JSON: o->json_file = optarg; break;
        case O_TIMEOUT:
            if (kn_tool_terse_long(PROG, "--timeout-ms", "expected a positive number", optarg, 1,
                                    INT32_MAX, &o->timeout_ms) != KN_OK) {
                return KN_ERROR;
            }
            break;
        case O_HELP: kn_le_usage(stdout); exit(KN_TOOL_EXIT_OK);
        case O_VERSION: kn_tool_terse_version(PROG);
        default: return kn_tool_terse_opt_error(PROG, c, argv);
        }
    }
    if (kn_tool_terse_operands(PROG, argc, argv) != KN_OK) {
        return KN_ERROR;
    }
    if ((o->zookeeper == NULL) == (o->bootstrap == NULL) || o->type == NULL) {
        kn_tool_err(PROG, "--election-type and one of --bootstrap-server, --zookeeper are "
                    "required (see --help)");
        return KN_ERROR;
    }
    if (strcasecmp(o->type, "preferred") != 0) {
        kn_tool_err(PROG, "--election-type %s: only \"preferred\" is supported (unclean "
                    "election is the controller's unclean.leader.election.enable)", o->type);
        return KN_ERROR;
    }
    int sources = (o->all ? 1 : 0) + (o->topic ? 1 : 0) + (o->json_file ? 1 : 0);
    if (sources != 1) {
        kn_tool_err(PROG, "give exactly one of --all-topic-partitions, --topic, "
                    "--path-to-json-file");
        return KN_ERROR;
    }
    if (o->partition >= 0 && o->topic == NULL) {
        kn_tool_err(PROG, "--partition needs --topic");
        return KN_ERROR;
    }
    if (o->bootstrap != NULL && o->topic != NULL && o->partition < 0) {
        kn_tool_err(PROG, "with --bootstrap-server, --topic needs --partition");
        return KN_ERROR;
    }
    return KN_OK;
}

/* Append {"topic":t,"partition":p} for every partition of t (or just p). */
static int kn_le_add_topic(kn_zk_t *zk, json_t *parts, const char *topic, long long only)
{
    char path[512];
    json_t *j = NULL;
    snprintf(path, sizeof(path), "/brokers/topics/%s", topic);
    if (kn_zk_get_json(zk, path, &j, NULL, NULL, NULL) != ZOK || j == NULL) {
        kn_tool_err(PROG, "topic %s does not exist", topic);
        return KN_ERROR;
    }
    const char *k;
    json_t *v;
    bool found = false;
    json_object_foreach(json_object_get(j, "partitions"), k, v) {
        long long p = strtoll(k, NULL, 10);
        if (only >= 0 && p != only)
            continue;
        found = true;
        json_array_append_new(parts, json_pack("{s:s,s:I}", "topic", topic, "partition",
                                               (json_int_t)p));
    }
    json_decref(j);
    if (!found) {
        kn_tool_err(PROG, "topic %s has no partition %lld", topic, only);
        return KN_ERROR;
    }
    return KN_OK;
}

static json_t *kn_le_partitions(kn_zk_t *zk, const kn_le_opts_t *o)
{
    json_t *parts = json_array();
    if (o->json_file != NULL) {
        json_error_t e;
        json_t *j = json_load_file(o->json_file, 0, &e);
        json_t *in = j ? json_object_get(j, "partitions") : NULL;
        size_t i;
        json_t *p;
        if (!json_is_array(in)) {
            kn_tool_err(PROG, "%s: expected {\"partitions\":[{\"topic\":..,\"partition\":..}]}%s%s",
                        o->json_file, j ? "" : ": ", j ? "" : e.text);
            json_decref(j);
            json_decref(parts);
            return NULL;
        }
        json_array_foreach(in, i, p) {
            const char *t = json_string_value(json_object_get(p, "topic"));
            json_t *pn = json_object_get(p, "partition");
            if (t == NULL || !json_is_integer(pn)) {
                kn_tool_err(PROG, "%s: entry %zu needs \"topic\" and \"partition\"", o->json_file, i);
                json_decref(j);
                json_decref(parts);
                return NULL;
            }
            json_array_append_new(parts, json_pack("{s:s,s:I}", "topic", t, "partition",
                                                   json_integer_value(pn)));
        }
        json_decref(j);
        return parts;
    }
    if (o->topic != NULL) {
        if (kn_le_add_topic(zk, parts, o->topic, o->partition) != KN_OK) {
            json_decref(parts);
            return NULL;
        }
        return parts;
    }
    char **names = NULL;
    int n = 0;
    if (kn_zk_children(zk, "/brokers/topics", &names, &n, NULL, NULL) != ZOK)
        n = 0;
    for (int i = 0; i < n; i++)
        kn_le_add_topic(zk, parts, names[i], -1);
    kn_zk_children_free(names, n);
    return parts;
}

/* After the election: is every partition led by its first replica? */
static int kn_le_report(kn_zk_t *zk, const json_t *parts)
{
    int bad = 0;
    size_t i;
    const json_t *p;
    json_array_foreach(parts, i, p) {
        const char *t = json_string_value(json_object_get(p, "topic"));
        json_int_t pn = json_integer_value(json_object_get(p, "partition"));
        char path[600], key[32];
        json_t *assign = NULL, *state = NULL;
        snprintf(path, sizeof(path), "/brokers/topics/%s", t);
        kn_zk_get_json(zk, path, &assign, NULL, NULL, NULL);
        snprintf(path, sizeof(path), "/brokers/topics/%s/partitions/%lld/state", t,
                 (long long)pn);
        kn_zk_get_json(zk, path, &state, NULL, NULL, NULL);
        snprintf(key, sizeof(key), "%lld", (long long)pn);
        json_t *reps = assign ? json_object_get(json_object_get(assign, "partitions"), key) : NULL;
        json_int_t preferred = json_is_array(reps) ? json_integer_value(json_array_get(reps, 0)) : -1;
        json_int_t leader = state ? json_integer_value(json_object_get(state, "leader")) : -1;
        if (leader == preferred && preferred >= 0) {
            printf("%s-%lld: leader %lld (preferred)\n", t, (long long)pn, (long long)leader);
        } else {
            bad++;
            printf("%s-%lld: leader %lld, preferred replica %lld not available (dead or out "
                   "of the ISR)\n", t, (long long)pn, (long long)leader, (long long)preferred);
        }
        json_decref(assign);
        json_decref(state);
    }
    return bad;
}

/* ---- --bootstrap-server: ElectLeaders over a blocking socket ----------- */

#define KN_LE_VERSION 1                  /* highest ElectLeaders we speak */
#define KN_LE_MAX_FRAME (64 * 1024 * 1024)

/* Connect to the first reachable "host:port" of a comma-separated list;
 * receive and send time out after timeout_ms. -1 if none answers. */
static int kn_le_connect(const char *servers, long long timeout_ms)
{
    char *list = kn_strdup(servers), *save = NULL;
    int fd = -1;
    for (char *hp = strtok_r(list, ",", &save); hp && fd < 0; hp = strtok_r(NULL, ",", &save)) {
        char *colon = strrchr(hp, ':');
        if (colon == NULL) {
            kn_tool_err(PROG, "--bootstrap-server %s: expected HOST:PORT", hp);
            continue;
        }
        *colon = '\0';
        char *host = hp;
        size_t hl = strlen(host);
        if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {  /* [::1]:9092 */
            host[hl - 1] = '\0';
            host++;
        }
        struct addrinfo hints, *res = NULL;
        memset(&hints, 0, sizeof(hints));
        hints.ai_socktype = SOCK_STREAM;
        int grc = getaddrinfo(host, colon + 1, &hints, &res);
        if (grc != 0) {
            kn_tool_err(PROG, "%s: %s", host, gai_strerror(grc));
            continue;
        }
        for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
            if (fd < 0)
                continue;
            if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
                close(fd);
                fd = -1;
            }
        }
        freeaddrinfo(res);
        if (fd < 0)
            kn_tool_err(PROG, "cannot connect to %s:%s", host, colon + 1);
    }
    free(list);
    if (fd >= 0) {
        struct timeval tv = { (time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    }
    return fd;
}

static int kn_le_write_all(int fd, const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return KN_ERROR;
        p += w;
        n -= (size_t)w;
    }
    return KN_OK;
}

static int kn_le_read_all(int fd, uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t r = recv(fd, p, n, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return KN_ERROR;
        p += r;
        n -= (size_t)r;
    }
    return KN_OK;
}

/* The request's topic_partitions from --topic/--partition or the JSON file
 * (grouped by topic); n_topics -1 (null) for --all-topic-partitions. */
static int kn_le_build_request(const kn_le_opts_t *o, kn_electleaders_req_t *req, kn_arena_t *a)
{
    memset(req, 0, sizeof(*req));
    req->election_type = KN_ELECTION_PREFERRED;
    req->timeout_ms = (int32_t)o->timeout_ms;
    if (o->all) {
        req->n_topics = -1;
        return KN_OK;
    }
    if (o->topic != NULL) {
        req->n_topics = 1;
        req->topics = kn_arena_array(a, 1, sizeof(*req->topics));
        req->topics[0].topic = kn_slice_str(o->topic);
        req->topics[0].n_partitions = 1;
        req->topics[0].partitions = kn_arena_array(a, 1, sizeof(int32_t));
        req->topics[0].partitions[0] = (int32_t)o->partition;
        return KN_OK;
    }
    /* The file's entries are checked and read by kn_le_partitions(). */
    json_t *parts = kn_le_partitions(NULL, o);
    if (parts == NULL)
        return KN_ERROR;
    size_t n = json_array_size(parts);
    req->topics = kn_arena_array(a, n ? n : 1, sizeof(*req->topics));
    size_t i;
    json_t *e;
    json_array_foreach(parts, i, e) {
        const char *t = json_string_value(json_object_get(e, "topic"));
        json_int_t p = json_integer_value(json_object_get(e, "partition"));
        if (p < 0 || p > INT32_MAX) {
            kn_tool_err(PROG, "%s: bad partition %lld", o->json_file, (long long)p);
            json_decref(parts);
            return KN_ERROR;
        }
        kn_electleaders_topic_t *tt = NULL;
        for (int32_t k = 0; k < req->n_topics; k++)
            if (kn_slice_eq(req->topics[k].topic, t))
                tt = &req->topics[k];
        if (tt == NULL) {
            tt = &req->topics[req->n_topics++];
            tt->topic = kn_slice_str(kn_arena_strdup(a, t));
            /* at most n partitions for one topic */
            tt->partitions = kn_arena_array(a, n, sizeof(int32_t));
        }
        tt->partitions[tt->n_partitions++] = (int32_t)p;
    }
    json_decref(parts);
    return KN_OK;
}

/* Print "name-p, name-q" for the partitions of resp whose error matches. */
static size_t kn_le_print_list(const kn_electleaders_resp_t *resp, int16_t err)
{
    size_t count = 0;
    for (int32_t i = 0; i < resp->n_results; i++) {
        const kn_electleaders_result_t *t = &resp->results[i];
        for (int32_t k = 0; k < t->n_partitions; k++) {
            if (t->partitions[k].error_code != err)
                continue;
            printf("%s%.*s-%d", count++ ? ", " : "", (int)t->topic.len, (const char *)t->topic.ptr,
                   (int)t->partitions[k].partition_id);
        }
    }
    return count;
}

static bool kn_le_has(const kn_electleaders_resp_t *resp, int16_t err)
{
    for (int32_t i = 0; i < resp->n_results; i++)
        for (int32_t k = 0; k < resp->results[i].n_partitions; k++)
            if (resp->results[i].partitions[k].error_code == err)
                return true;
    return false;
}

/* Kafka's summary: the elected, the ones that needed nothing, then one
 * line per failure. Returns the number of failures. */
static int kn_le_print_result(const kn_electleaders_resp_t *resp)
{
    if (kn_le_has(resp, KN_ERR_NONE)) {
        printf("Successfully completed leader election (PREFERRED) for partitions ");
        kn_le_print_list(resp, KN_ERR_NONE);
        printf("\n");
    }
    if (kn_le_has(resp, KN_ERR_ELECTION_NOT_NEEDED)) {
        printf("Valid replica already elected for partitions ");
        kn_le_print_list(resp, KN_ERR_ELECTION_NOT_NEEDED);
        printf("\n");
    }
    int failed = 0;
    for (int32_t i = 0; i < resp->n_results; i++) {
        const kn_electleaders_result_t *t = &resp->results[i];
        for (int32_t k = 0; k < t->n_partitions; k++) {
            const kn_electleaders_partition_result_t *p = &t->partitions[k];
            if (p->error_code == KN_ERR_NONE || p->error_code == KN_ERR_ELECTION_NOT_NEEDED)
                continue;
            failed++;
            printf("Error completing leader election (PREFERRED) for partition: %.*s-%d: %s%s%.*s\n",
                   (int)t->topic.len, (const char *)t->topic.ptr, (int)p->partition_id,
                   kn_err_name(p->error_code), p->error_message.len >= 0 ? ": " : "",
                   p->error_message.len > 0 ? (int)p->error_message.len : 0,
                   p->error_message.len > 0 ? (const char *)p->error_message.ptr : "");
        }
    }
    if (failed > 0)
        kn_tool_err(PROG, "%d replica(s) could not be elected", failed);
    return failed;
}

static int kn_le_via_broker(const kn_le_opts_t *o)
{
    kn_arena_t a;
    kn_arena_init(&a);
    kn_wbuf_t w;
    kn_wbuf_init(&w, 256);
    uint8_t *body = NULL;
    int rc = KN_TOOL_EXIT_FAIL;
    kn_electleaders_req_t req;
    if (kn_le_build_request(o, &req, &a) != KN_OK) {
        kn_wbuf_free(&w);
        kn_arena_free(&a);
        return rc;
    }
    /* The broker answers by the request's own timeout; allow it that long
     * plus a margin before giving up on the socket. */
    int fd = kn_le_connect(o->bootstrap, o->timeout_ms + 15000);
    if (fd < 0)
        goto out;
    const int32_t corr = 1;
    kn_wbuf_skip(&w, 4);
    kn_proto_request_header_write(&w, KN_API_ELECT_LEADERS, KN_LE_VERSION, corr, PROG);
    kn_proto_electleaders_req_encode(&w, KN_LE_VERSION, &req);
    kn_wbuf_patch_i32(&w, 0, (int32_t)(w.len - 4));
    uint8_t lenbuf[4];
    if (kn_le_write_all(fd, w.data, w.len) != KN_OK || kn_le_read_all(fd, lenbuf, 4) != KN_OK) {
        kn_tool_err(PROG, "no response from %s (connection closed or timed out)", o->bootstrap);
        goto out;
    }
    uint32_t len = kn_be32(lenbuf);
    if (len < 4 || len > KN_LE_MAX_FRAME) {
        kn_tool_err(PROG, "bad response frame length %u", len);
        goto out;
    }
    body = kn_malloc(len);
    if (kn_le_read_all(fd, body, len) != KN_OK) {
        kn_tool_err(PROG, "response from %s cut short", o->bootstrap);
        goto out;
    }
    kn_rbuf_t r;
    kn_rbuf_init(&r, body, len);
    int32_t got_corr = 0;
    kn_electleaders_resp_t resp;
    if (kn_proto_response_header_parse(&r, &got_corr,
                                       kn_proto_response_header_v1(KN_API_ELECT_LEADERS,
                                                                   KN_LE_VERSION)) != KN_OK ||
        got_corr != corr ||
        kn_proto_electleaders_resp_decode(&r, KN_LE_VERSION, &resp, &a) != KN_OK) {
        kn_tool_err(PROG, "malformed ElectLeaders response");
        goto out;
    }
    if (resp.error_code != KN_ERR_NONE) {
        kn_tool_err(PROG, "leader election failed: %s", kn_err_name(resp.error_code));
        goto out;
    }
    rc = kn_le_print_result(&resp) == 0 ? KN_TOOL_EXIT_OK : KN_TOOL_EXIT_FAIL;
out:
    if (fd >= 0)
        close(fd);
    free(body);
    kn_wbuf_free(&w);
    kn_arena_free(&a);
    return rc;
}

int main(int argc, char **argv)
{
    kn_le_opts_t o;
    memset(&o, 0, sizeof(o));
    o.partition = -1;
    o.timeout_ms = 60000;
    kn_tool_init(PROG);
    if (kn_le_parse(argc, argv, &o) != KN_OK)
        return KN_TOOL_EXIT_FAIL;
    if (o.bootstrap != NULL)
        return kn_le_via_broker(&o);

    struct event_base *base = event_base_new();
    kn_zk_t *zk = base ? kn_zk_new(base, o.zookeeper, 10000, NULL, NULL) : NULL;
    int rc = KN_TOOL_EXIT_FAIL;
    json_t *parts = NULL;
    if (zk == NULL || kn_zk_wait_connected(zk, 15000) != ZOK) {
        kn_tool_err(PROG, "cannot connect to ZooKeeper at %s", o.zookeeper);
        goto out;
    }
    if ((parts = kn_le_partitions(zk, &o)) == NULL)
        goto out;
    if (json_array_size(parts) == 0) {
        printf("no partitions to elect\n");
        rc = KN_TOOL_EXIT_OK;
        goto out;
    }
    json_t *req = json_pack("{s:i,s:O}", "version", 1, "partitions", parts);
    kn_zk_create_parents(zk, "/admin");
    int zrc = kn_zk_create_json(zk, KN_LE_PATH, req, 0);
    json_decref(req);
    if (zrc == ZNODEEXISTS) {
        kn_tool_err(PROG, "a preferred-leader election is already in progress (%s exists)",
                    KN_LE_PATH);
        goto out;
    }
    if (zrc != ZOK) {
        kn_tool_err(PROG, "cannot write %s: %s", KN_LE_PATH, kn_zk_strerror(zrc));
        goto out;
    }
    /* The controller deletes the node once it has elected. */
    int64_t deadline = kn_mono_ms() + o.timeout_ms;
    while ((zrc = kn_zk_exists(zk, KN_LE_PATH, NULL, NULL, NULL)) == ZOK &&
           kn_mono_ms() < deadline)
        usleep(100 * 1000);
    if (zrc == ZOK) {
        kn_tool_err(PROG, "no controller handled the election within %lld ms", o.timeout_ms);
        goto out;
    }
    rc = kn_le_report(zk, parts) == 0 ? KN_TOOL_EXIT_OK : KN_TOOL_EXIT_FAIL;
out:
    json_decref(parts);
    if (zk != NULL)
        kn_zk_free(zk);
    if (base != NULL)
        event_base_free(base);
    return rc;
}
