/*
 * tools/kctl-leader-election.c -- move partitions back to their preferred
 * leader (the first replica in the assignment) on demand.
 *
 * Flags follow Kafka's kafka-leader-election.sh (--election-type,
 * --topic/--partition, --all-topic-partitions, --path-to-json-file), but
 * the request goes where Kafka 2.x's kafka-preferred-replica-election.sh
 * put it: the znode /admin/preferred_replica_election, through
 * --zookeeper. The active controller (the only writer of partition state)
 * elects, then deletes the node; we wait for that and report, per
 * partition, whether its preferred replica leads now. A preferred replica
 * that is dead or out of the ISR is not elected (that would lose data).
 *
 * Exit status: 0 if every partition is led by its preferred replica
 * afterwards, 1 otherwise (or on a usage error).
 */
#include "config.h"

#include <event2/event.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"
#include "tools/lib/tool.h"
#include "zk/zk.h"

#define PROG "kctl-leader-election"
#define KN_LE_PATH "/admin/preferred_replica_election"

typedef struct {
    const char    *zookeeper;
    const char    *type;
    const char    *topic;
    long long      partition;     /* -1 = every partition of --topic */
    bool           all;
    const char    *json_file;
    long long      timeout_ms;
} kn_le_opts_t;

static void kn_le_usage(FILE *out)
{
    fputs("Usage: " PROG " --zookeeper HOST:PORT[/CHROOT] --election-type preferred\n"
          "       (--all-topic-partitions | --topic T [--partition P] | --path-to-json-file F)\n"
          "Move partitions back to their preferred leader (the first assigned replica)\n"
          "when it is alive and in sync; the active controller performs the election.\n"
          "\n"
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
    enum { O_ZK = 256, O_TYPE, O_TOPIC, O_PART, O_ALL, O_JSON, O_TIMEOUT, O_HELP, O_VERSION };
    static const struct option longopts[] = {
        { "zookeeper", required_argument, NULL, O_ZK },
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
        case O_TYPE: o->type = optarg; break;
        case O_TOPIC: o->topic = optarg; break;
        case O_PART:
            if (kn_tool_parse_long(optarg, 0, INT32_MAX, &o->partition) != KN_OK) {
                kn_tool_err(PROG, "--partition: not a partition number: %s", optarg);
                return KN_ERROR;
            }
            break;
        case O_ALL: o->all = true; break;
        case O_JSON: o->json_file = optarg; break;
        case O_TIMEOUT:
            if (kn_tool_parse_long(optarg, 1, INT32_MAX, &o->timeout_ms) != KN_OK) {
                kn_tool_err(PROG, "--timeout-ms: expected a positive number: %s", optarg);
                return KN_ERROR;
            }
            break;
        case O_HELP: kn_le_usage(stdout); exit(KN_TOOL_EXIT_OK);
        case O_VERSION: printf("%s (Kanal) %s\n", PROG, PACKAGE_VERSION); exit(KN_TOOL_EXIT_OK);
        case ':':
            kn_tool_err(PROG, "option %s needs a value", argv[optind - 1]);
            return KN_ERROR;
        default:
            kn_tool_err(PROG, "unknown option %s (see --help)", argv[optind - 1]);
            return KN_ERROR;
        }
    }
    if (optind < argc) {
        kn_tool_err(PROG, "unexpected argument %s", argv[optind]);
        return KN_ERROR;
    }
    if (o->zookeeper == NULL || o->type == NULL) {
        kn_tool_err(PROG, "--zookeeper and --election-type are required (see --help)");
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

int main(int argc, char **argv)
{
    kn_le_opts_t o;
    memset(&o, 0, sizeof(o));
    o.partition = -1;
    o.timeout_ms = 60000;
    kn_tool_init(PROG);
    if (kn_le_parse(argc, argv, &o) != KN_OK)
        return KN_TOOL_EXIT_FAIL;

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
