/*
 * tools/kctl-topics.c -- create, list, describe, alter and delete topics;
 * the flags and output of Kafka's kafka-topics.sh.
 *
 * A librdkafka Admin client does the work: CreateTopics, DeleteTopics,
 * CreatePartitions and DescribeConfigs go to the cluster as requests, and
 * --list / --describe read the cluster metadata. Every error from the
 * cluster is printed as "Error while executing topic command : <reason>"
 * and makes the tool exit 1, so scripts can rely on the exit code.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "tools/lib/tool.h"
#include "tools/lib/topicdesc.h"

#define PROG "kctl-topics"
#define KN_TOPICS_TIMEOUT_MS 30000   /* metadata and admin request timeout */

typedef enum {
    KN_TOPICS_NONE = 0,
    KN_TOPICS_CREATE,
    KN_TOPICS_LIST,
    KN_TOPICS_DESCRIBE,
    KN_TOPICS_DELETE,
    KN_TOPICS_ALTER
} kn_topics_action_t;

typedef struct {
    kn_tool_client_opts_t client;
    kn_tool_choice_t      action;            /* .value: a kn_topics_action_t */
    const char           *topic;             /* name or pattern */
    long long             partitions;        /* -1 = not given */
    long long             replication;       /* -1 = not given */
    const char           *assignment;        /* --replica-assignment */
    kn_tool_strv_t        configs;           /* --config k=v */
    bool                  if_not_exists, if_exists, exclude_internal;
    unsigned              filters;           /* KN_TOOL_DESC_* */
} kn_topics_opts_t;

static void kn_topics_usage(FILE *out)
{
    fputs("Usage: " PROG " --bootstrap-server HOST:PORT [--command-config FILE] ACTION [OPTIONS]\n"
          "Create, delete, describe, or change a topic.\n"
          "\n"
          "Actions (exactly one):\n"
          "  --create                      create a topic (needs --topic)\n"
          "  --list                        list topic names\n"
          "  --describe                    describe topics and their partitions\n"
          "  --alter                       add partitions (needs --topic and --partitions)\n"
          "  --delete                      delete topics (needs --topic)\n"
          "\n"
          "Options:\n"
          "  --bootstrap-server HOST:PORT  broker(s) to connect to (required)\n"
          "  --command-config FILE         client properties (security.protocol, ssl.*, ...)\n"
          "  --topic NAME                  topic, or a regular expression for list/describe/\n"
          "                                alter/delete\n"
          "  --partitions N                partition count for --create, new total for --alter\n"
          "  --replication-factor N        replicas per partition for --create\n"
          "  --replica-assignment LIST     explicit replicas, e.g. 1:2,2:3 (partition 0 on\n"
          "                                brokers 1 and 2, partition 1 on 2 and 3)\n"
          "  --config KEY=VALUE            topic configuration for --create (repeatable)\n"
          "  --if-not-exists               --create does nothing if the topic exists\n"
          "  --if-exists                   --alter/--delete/--describe do nothing if the\n"
          "                                topic does not exist\n"
          "  --under-replicated-partitions --describe only partitions with ISR < replicas\n"
          "  --unavailable-partitions      --describe only partitions without a live leader\n"
          "  --exclude-internal            leave out internal topics (__*) in list/describe\n"
          "  --help                        print this help\n"
          "  --version                     print the version\n", out);
}

static const kn_tool_cli_t kn_topics_cli = { .prog = PROG, .usage = kn_topics_usage };

static int kn_topics_fail(const char *fmt, const char *arg)
{
    fputs("Error while executing topic command : ", stderr);
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return KN_TOOL_EXIT_FAIL;
}

enum {
    OPT_BOOTSTRAP = 256, OPT_COMMAND_CONFIG, OPT_CREATE, OPT_LIST, OPT_DESCRIBE, OPT_DELETE,
    OPT_ALTER, OPT_TOPIC, OPT_PARTITIONS, OPT_RF, OPT_ASSIGNMENT, OPT_CONFIG, OPT_IF_NOT_EXISTS,
    OPT_IF_EXISTS, OPT_UNDER_REP, OPT_UNAVAILABLE, OPT_EXCLUDE_INTERNAL, OPT_HELP, OPT_VERSION
};

static const struct option kn_topics_longopts[] = {
    { "bootstrap-server", required_argument, NULL, OPT_BOOTSTRAP },
    { "command-config", required_argument, NULL, OPT_COMMAND_CONFIG },
    { "create", no_argument, NULL, OPT_CREATE },
    { "list", no_argument, NULL, OPT_LIST },
    { "describe", no_argument, NULL, OPT_DESCRIBE },
    { "delete", no_argument, NULL, OPT_DELETE },
    { "alter", no_argument, NULL, OPT_ALTER },
    { "topic", required_argument, NULL, OPT_TOPIC },
    { "partitions", required_argument, NULL, OPT_PARTITIONS },
    { "replication-factor", required_argument, NULL, OPT_RF },
    { "replica-assignment", required_argument, NULL, OPT_ASSIGNMENT },
    { "config", required_argument, NULL, OPT_CONFIG },
    { "if-not-exists", no_argument, NULL, OPT_IF_NOT_EXISTS },
    { "if-exists", no_argument, NULL, OPT_IF_EXISTS },
    { "under-replicated-partitions", no_argument, NULL, OPT_UNDER_REP },
    { "unavailable-partitions", no_argument, NULL, OPT_UNAVAILABLE },
    { "exclude-internal", no_argument, NULL, OPT_EXCLUDE_INTERNAL },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 }
};

/* Returns -1 to go on, else the exit code. */
static int kn_topics_parse(kn_topics_opts_t *o, int argc, char **argv)
{
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", kn_topics_longopts, NULL)) != -1) {
        switch (c) {
        case OPT_BOOTSTRAP: o->client.bootstrap = optarg; break;
        case OPT_COMMAND_CONFIG: kn_tool_strv_push(&o->client.files, optarg); break;
        case OPT_CREATE: kn_tool_choose(&o->action, KN_TOPICS_CREATE); break;
        case OPT_LIST: kn_tool_choose(&o->action, KN_TOPICS_LIST); break;
        case OPT_DESCRIBE: kn_tool_choose(&o->action, KN_TOPICS_DESCRIBE); break;
        case OPT_DELETE: kn_tool_choose(&o->action, KN_TOPICS_DELETE); break;
        case OPT_ALTER: kn_tool_choose(&o->action, KN_TOPICS_ALTER); break;
        case OPT_TOPIC: o->topic = optarg; break;
        case OPT_PARTITIONS:
            if (kn_tool_parse_long(optarg, 1, INT32_MAX, &o->partitions) != KN_OK) {
                return kn_tool_misuse(&kn_topics_cli,
                                      "--partitions: expected a positive integer, got '%s'",
                                      optarg);
            }
            break;
        case OPT_RF:
            if (kn_tool_parse_long(optarg, 1, INT16_MAX, &o->replication) != KN_OK) {
                return kn_tool_misuse(&kn_topics_cli,
                                      "--replication-factor: expected an integer in [1, 32767], got '%s'",
                                      optarg);
            }
            break;
        case OPT_ASSIGNMENT: o->assignment = optarg; break;
        case OPT_CONFIG: kn_tool_strv_push(&o->configs, optarg); break;
        case OPT_IF_NOT_EXISTS: o->if_not_exists = true; break;
        case OPT_IF_EXISTS: o->if_exists = true; break;
        case OPT_UNDER_REP: o->filters |= KN_TOOL_DESC_UNDER_REPLICATED; break;
        case OPT_UNAVAILABLE: o->filters |= KN_TOOL_DESC_UNAVAILABLE; break;
        case OPT_EXCLUDE_INTERNAL: o->exclude_internal = true; break;
        case OPT_HELP: return kn_tool_help(&kn_topics_cli);
        case OPT_VERSION: return kn_tool_version(&kn_topics_cli);
        default: return kn_tool_opt_error(&kn_topics_cli, c, argv);
        }
    }
    if (optind < argc) {
        return kn_tool_misuse(&kn_topics_cli, "unexpected argument '%s'", argv[optind]);
    }
    if (o->action.count != 1) {
        return kn_tool_misuse(&kn_topics_cli,
                              "Command must include exactly one action: --list, --describe, "
                              "--create, --alter or --delete");
    }
    if (o->client.bootstrap == NULL) {
        return kn_tool_missing(&kn_topics_cli, "bootstrap-server");
    }
    if (o->topic == NULL && (o->action.value == KN_TOPICS_CREATE || o->action.value == KN_TOPICS_ALTER ||
                             o->action.value == KN_TOPICS_DELETE)) {
        return kn_tool_missing(&kn_topics_cli, "topic");
    }
    if (o->action.value == KN_TOPICS_ALTER && o->partitions < 0) {
        return kn_tool_misuse(&kn_topics_cli,
                              "--alter needs --partitions (the new partition count)");
    }
    if (o->partitions >= 0 && o->action.value != KN_TOPICS_CREATE && o->action.value != KN_TOPICS_ALTER) {
        return kn_tool_misuse(&kn_topics_cli,
                              "Option \"[partitions]\" can only be used with --create or --alter");
    }
    if ((o->replication >= 0 || o->configs.n > 0 || o->if_not_exists || o->assignment) &&
        o->action.value != KN_TOPICS_CREATE) {
        return kn_tool_misuse(&kn_topics_cli,
                              "--replication-factor, --replica-assignment, --config and "
                              "--if-not-exists can only be used with --create");
    }
    if (o->assignment != NULL && (o->replication >= 0 || o->partitions >= 0)) {
        return kn_tool_misuse(&kn_topics_cli, "Option \"[replica-assignment]\" can't be used with "
                              "\"[partitions]\" or \"[replication-factor]\"");
    }
    if (o->filters != 0 && o->action.value != KN_TOPICS_DESCRIBE) {
        return kn_tool_misuse(&kn_topics_cli,
                              "--under-replicated-partitions and --unavailable-partitions "
                              "can only be used with --describe");
    }
    if (o->if_exists && (o->action.value == KN_TOPICS_CREATE || o->action.value == KN_TOPICS_LIST)) {
        return kn_tool_misuse(&kn_topics_cli,
                              "--if-exists can only be used with --alter, --delete or "
                              "--describe");
    }
    for (size_t i = 0; i < o->configs.n; i++) {
        if (strchr(o->configs.items[i], '=') == NULL || o->configs.items[i][0] == '=') {
            return kn_tool_misuse(&kn_topics_cli, "--config: expected key=value, got '%s'",
                                  o->configs.items[i]);
        }
    }
    return -1;
}

/* The request timeout, and for the requests that change topics also the
 * time the controller may take to carry the change out. */
static rd_kafka_AdminOptions_t *kn_topics_admin_opts(const kn_tool_admin_t *a,
                                                     rd_kafka_admin_op_t op)
{
    char errstr[256];
    rd_kafka_AdminOptions_t *ao = kn_tool_admin_options(a, op);

    if (op != RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS) {
        rd_kafka_AdminOptions_set_operation_timeout(ao, KN_TOPICS_TIMEOUT_MS, errstr,
                                                    sizeof(errstr));
    }
    return ao;
}

/* Print the per-topic results of a create/delete/alter request. Returns the
 * number of failures that count (an existing topic with --if-not-exists
 * does not). */
static int kn_topics_results(const kn_topics_opts_t *o, const rd_kafka_topic_result_t **res,
                             size_t n)
{
    int failed = 0;

    for (size_t i = 0; i < n; i++) {
        rd_kafka_resp_err_t err = rd_kafka_topic_result_error(res[i]);
        const char *name = rd_kafka_topic_result_name(res[i]);

        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (o->action.value == KN_TOPICS_CREATE) {
                printf("Created topic %s.\n", name);
            }
        } else if (err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            if (!o->if_not_exists) {
                kn_topics_fail("Topic '%s' already exists.", name);
                failed++;
            }
        } else if (err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART && o->if_exists) {
            continue;
        } else {
            const char *es = rd_kafka_topic_result_error_string(res[i]);
            fputs("Error while executing topic command : ", stderr);
            fprintf(stderr, "%s (topic '%s': %s)\n", es ? es : rd_kafka_err2str(err), name,
                    rd_kafka_err2name(err));
            failed++;
        }
    }
    return failed;
}

/* One create, delete or alter request: the librdkafka objects of the
 * topics it names. Exactly one of the arrays is set, by o->action. */
typedef struct {
    rd_kafka_NewTopic_t      **create;
    rd_kafka_DeleteTopic_t   **del;
    rd_kafka_NewPartitions_t **alter;
    size_t                     n;
} kn_topics_req_t;

/* Send r, wait for the answer and print its per-topic results; frees r's
 * objects. Returns the exit code. */
static int kn_topics_send(const kn_tool_admin_t *a, const kn_topics_opts_t *o, kn_topics_req_t *r)
{
    rd_kafka_AdminOptions_t *ao;
    char err[512];
    int failed;

    if (r->create != NULL) {
        ao = kn_topics_admin_opts(a, RD_KAFKA_ADMIN_OP_CREATETOPICS);
        rd_kafka_CreateTopics(a->rk, r->create, r->n, ao, a->q);
    } else if (r->del != NULL) {
        ao = kn_topics_admin_opts(a, RD_KAFKA_ADMIN_OP_DELETETOPICS);
        rd_kafka_DeleteTopics(a->rk, r->del, r->n, ao, a->q);
    } else {
        ao = kn_topics_admin_opts(a, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS);
        rd_kafka_CreatePartitions(a->rk, r->alter, r->n, ao, a->q);
    }
    rd_kafka_event_t *ev = kn_tool_admin_wait(a, "timed out waiting for the cluster", err,
                                               sizeof(err));
    if (ev == NULL) {
        failed = kn_topics_fail("%s", err);
    } else {
        const rd_kafka_topic_result_t **res;
        size_t n;
        if (r->create != NULL) {
            res = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        } else if (r->del != NULL) {
            res = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
        } else {
            res = rd_kafka_CreatePartitions_result_topics(
                rd_kafka_event_CreatePartitions_result(ev), &n);
        }
        failed = kn_topics_results(o, res, n);
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(ao);
    if (r->create != NULL) {
        rd_kafka_NewTopic_destroy_array(r->create, r->n);
    } else if (r->del != NULL) {
        rd_kafka_DeleteTopic_destroy_array(r->del, r->n);
    } else {
        rd_kafka_NewPartitions_destroy_array(r->alter, r->n);
    }
    free(r->create);
    free(r->del);
    free(r->alter);
    return failed ? KN_TOOL_EXIT_FAIL : KN_TOOL_EXIT_OK;
}

/* Parse --replica-assignment "1:2,2:3" into nt. */
static int kn_topics_assign(rd_kafka_NewTopic_t *nt, const char *spec, char *err, size_t errlen)
{
    char *copy = kn_strdup(spec), *save = NULL;
    int32_t part = 0;
    int rc = KN_OK;

    for (char *p = strtok_r(copy, ",", &save); p != NULL; p = strtok_r(NULL, ",", &save)) {
        int32_t brokers[64];
        size_t n = 0;
        char *save2 = NULL;
        for (char *b = strtok_r(p, ":", &save2); b != NULL; b = strtok_r(NULL, ":", &save2)) {
            long long id;
            if (n == KN_ARRAY_LEN(brokers) || kn_tool_parse_long(b, 0, INT32_MAX, &id) != KN_OK) {
                snprintf(err, errlen, "invalid --replica-assignment '%s'", spec);
                rc = KN_ERROR;
                goto done;
            }
            brokers[n++] = (int32_t)id;
        }
        if (rd_kafka_NewTopic_set_replica_assignment(nt, part, brokers, n, err, errlen)) {
            rc = KN_ERROR;
            goto done;
        }
        part++;
    }
done:
    free(copy);
    return rc;
}

static int kn_topics_count_assignment(const char *spec)
{
    int n = 1;
    for (const char *p = spec; *p; p++) {
        n += *p == ',';
    }
    return n;
}

static int kn_topics_create(const kn_tool_admin_t *a, const kn_topics_opts_t *o)
{
    char err[512];
    rd_kafka_NewTopic_t *nt;

    if (o->assignment != NULL) {
        nt = rd_kafka_NewTopic_new(o->topic, kn_topics_count_assignment(o->assignment), -1,
                                   err, sizeof(err));
    } else {
        nt = rd_kafka_NewTopic_new(o->topic, (int)o->partitions, (int)o->replication, err,
                                   sizeof(err));
    }
    if (nt == NULL) {
        return kn_topics_fail("%s", err);
    }
    if (o->assignment != NULL && kn_topics_assign(nt, o->assignment, err, sizeof(err)) != KN_OK) {
        rd_kafka_NewTopic_destroy(nt);
        return kn_topics_fail("%s", err);
    }
    for (size_t i = 0; i < o->configs.n; i++) {
        char *k, *v;
        kn_tool_split_kv(o->configs.items[i], &k, &v);   /* checked while parsing */
        rd_kafka_NewTopic_set_config(nt, k, v);
        free(k);
        free(v);
    }

    kn_topics_req_t r = { .create = kn_calloc(1, sizeof(*r.create)), .n = 1 };
    r.create[0] = nt;
    return kn_topics_send(a, o, &r);
}

static bool kn_topics_internal(const char *name)
{
    return strncmp(name, "__", 2) == 0;
}

static int kn_topics_topic_cmp(const void *a, const void *b)
{
    const rd_kafka_metadata_topic_t *const *ta = a, *const *tb = b;
    return strcmp((*ta)->topic, (*tb)->topic);
}

/* The metadata topics selected by --topic / --exclude-internal, sorted by
 * name. *out is a kn_malloc'd array of pointers into md. */
static size_t kn_topics_select(const kn_topics_opts_t *o, const rd_kafka_metadata_t *md,
                               const rd_kafka_metadata_topic_t ***out)
{
    const rd_kafka_metadata_topic_t **sel = kn_calloc((size_t)md->topic_cnt + 1, sizeof(*sel));
    size_t n = 0;

    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &md->topics[i];
        /* A topic the broker reports as unknown is not there to show. */
        if (t->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
            continue;
        }
        if (o->exclude_internal && kn_topics_internal(t->topic)) {
            continue;
        }
        if (o->topic != NULL && !kn_tool_topic_match(o->topic, t->topic)) {
            continue;
        }
        sel[n++] = t;
    }
    qsort(sel, n, sizeof(*sel), kn_topics_topic_cmp);
    *out = sel;
    return n;
}

static int kn_topics_metadata(rd_kafka_t *rk, const rd_kafka_metadata_t **md)
{
    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, NULL, md, KN_TOPICS_TIMEOUT_MS);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        kn_topics_fail("cannot read cluster metadata: %s", rd_kafka_err2str(err));
        return KN_ERROR;
    }
    return KN_OK;
}

/* For commands on existing topics: no match is an error unless --if-exists. */
static int kn_topics_none_matched(const kn_topics_opts_t *o)
{
    if (o->topic == NULL || o->if_exists) {
        return KN_TOOL_EXIT_OK;
    }
    return kn_topics_fail("Topic '%s' does not exist as expected", o->topic);
}

static int kn_topics_list(rd_kafka_t *rk, const kn_topics_opts_t *o)
{
    const rd_kafka_metadata_t *md;
    const rd_kafka_metadata_topic_t **sel;

    if (kn_topics_metadata(rk, &md) != KN_OK) {
        return KN_TOOL_EXIT_FAIL;
    }
    size_t n = kn_topics_select(o, md, &sel);
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", sel[i]->topic);
    }
    free(sel);
    rd_kafka_metadata_destroy(md);
    return KN_TOOL_EXIT_OK;
}

/* Non-default configs of each selected topic as "k=v,k=v" (cfgs[i] for
 * sel[i], kn_malloc'd). A cluster that cannot describe configs gets a
 * warning and empty Configs, since partitions are still worth showing.
 * The request goes to `broker` (any live one, as Kafka's AdminClient
 * does for topic configs), not to the controller librdkafka would pick. */
static void kn_topics_configs(const kn_tool_admin_t *a, int32_t broker,
                              const rd_kafka_metadata_topic_t **sel, size_t n, char **cfgs)
{
    char errstr[256];
    rd_kafka_ConfigResource_t **rs = kn_calloc(n, sizeof(*rs));

    for (size_t i = 0; i < n; i++) {
        rs[i] = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, sel[i]->topic);
    }
    rd_kafka_AdminOptions_t *ao = kn_topics_admin_opts(a, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS);
    if (broker >= 0) {
        rd_kafka_AdminOptions_set_broker(ao, broker, errstr, sizeof(errstr));
    }
    rd_kafka_DescribeConfigs(a->rk, rs, n, ao, a->q);
    rd_kafka_event_t *ev = kn_tool_admin_wait(a, "timed out", errstr, sizeof(errstr));
    if (ev == NULL) {
        kn_tool_err(PROG, "warning: cannot describe topic configs: %s", errstr);
        goto out;
    }
    size_t nres;
    const rd_kafka_ConfigResource_t **res = rd_kafka_DescribeConfigs_result_resources(
        rd_kafka_event_DescribeConfigs_result(ev), &nres);
    for (size_t r = 0; r < nres; r++) {
        const char *name = rd_kafka_ConfigResource_name(res[r]);
        size_t i, ncfg;
        for (i = 0; i < n && strcmp(sel[i]->topic, name) != 0; i++) {
        }
        if (i == n) {
            continue;
        }
        if (rd_kafka_ConfigResource_error(res[r])) {
            kn_tool_err(PROG, "warning: cannot describe configs of topic '%s': %s", name,
                        rd_kafka_ConfigResource_error_string(res[r]));
            continue;
        }
        const rd_kafka_ConfigEntry_t **ents = rd_kafka_ConfigResource_configs(res[r], &ncfg);
        size_t len = 0, cap = 64;
        char *s = kn_malloc(cap);
        s[0] = '\0';
        for (size_t e = 0; e < ncfg; e++) {
            /* Kafka shows every entry that is not the built-in default. */
            if (rd_kafka_ConfigEntry_is_default(ents[e])) {
                continue;
            }
            const char *k = rd_kafka_ConfigEntry_name(ents[e]);
            const char *v = rd_kafka_ConfigEntry_value(ents[e]);
            size_t need = strlen(k) + (v ? strlen(v) : 4) + 3;
            if (len + need > cap) {
                cap = (len + need) * 2;
                s = kn_realloc(s, cap);
            }
            len += (size_t)snprintf(s + len, cap - len, "%s%s=%s", len ? "," : "", k,
                                    v ? v : "null");
        }
        free(cfgs[i]);
        cfgs[i] = s;
    }
out:
    if (ev) {
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_ConfigResource_destroy_array(rs, n);
    free(rs);
}

static void kn_topics_describe(const kn_tool_admin_t *a, const kn_topics_opts_t *o,
                               const rd_kafka_metadata_t *md,
                               const rd_kafka_metadata_topic_t **sel, size_t n)
{
    char **cfgs = kn_calloc(n, sizeof(*cfgs));
    if (o->filters == 0) {
        kn_topics_configs(a, md->broker_cnt > 0 ? md->brokers[0].id : -1, sel, n, cfgs);
    }
    int32_t *live = kn_calloc((size_t)md->broker_cnt + 1, sizeof(*live));
    for (int b = 0; b < md->broker_cnt; b++) {
        live[b] = md->brokers[b].id;
    }
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_metadata_topic_t *t = sel[i];
        kn_tool_part_desc_t *parts = kn_calloc((size_t)t->partition_cnt + 1, sizeof(*parts));
        for (int p = 0; p < t->partition_cnt; p++) {
            const rd_kafka_metadata_partition_t *mp = &t->partitions[p];
            parts[p].id = mp->id;
            parts[p].leader = mp->leader;
            parts[p].replicas = mp->replicas;
            parts[p].nreplicas = (size_t)mp->replica_cnt;
            parts[p].isr = mp->isrs;
            parts[p].nisr = (size_t)mp->isr_cnt;
        }
        kn_tool_topic_desc_t d = {
            .name = t->topic,
            .topic_id = NULL,   /* librdkafka 2.0's metadata does not carry it */
            .configs = cfgs[i] ? cfgs[i] : "",
            .parts = parts,
            .nparts = (size_t)t->partition_cnt,
        };
        kn_tool_topic_describe(stdout, &d, o->filters, live, (size_t)md->broker_cnt);
        free(parts);
        free(cfgs[i]);
    }
    free(live);
    free(cfgs);
}

/* --describe, --delete and --alter act on the existing topics --topic
 * matches; no match is an error unless --if-exists. Returns the exit code. */
static int kn_topics_on_existing(const kn_tool_admin_t *a, const kn_topics_opts_t *o)
{
    const rd_kafka_metadata_t *md;
    const rd_kafka_metadata_topic_t **sel;
    char err[512];
    int rc = KN_TOOL_EXIT_OK;

    if (kn_topics_metadata(a->rk, &md) != KN_OK) {
        return KN_TOOL_EXIT_FAIL;
    }
    size_t n = kn_topics_select(o, md, &sel);
    if (n == 0) {
        rc = kn_topics_none_matched(o);
    } else if (o->action.value == KN_TOPICS_DESCRIBE) {
        kn_topics_describe(a, o, md, sel, n);
    } else if (o->action.value == KN_TOPICS_DELETE) {
        kn_topics_req_t r = { .del = kn_calloc(n, sizeof(*r.del)), .n = n };
        for (size_t i = 0; i < n; i++) {
            r.del[i] = rd_kafka_DeleteTopic_new(sel[i]->topic);
        }
        rc = kn_topics_send(a, o, &r);
    } else {
        kn_topics_req_t r = { .alter = kn_calloc(n, sizeof(*r.alter)), .n = n };
        for (size_t i = 0; i < n; i++) {
            r.alter[i] = rd_kafka_NewPartitions_new(sel[i]->topic, (size_t)o->partitions, err,
                                                    sizeof(err));
        }
        rc = kn_topics_send(a, o, &r);
    }
    free(sel);
    rd_kafka_metadata_destroy(md);
    return rc;
}

int main(int argc, char **argv)
{
    kn_topics_opts_t o = { .partitions = -1, .replication = -1 };
    /* librdkafka ends a request itself after the request timeout (twice
     * that when the controller also gets an operation timeout); the
     * margin only guards against waiting forever on a lost event. */
    kn_tool_admin_t a = { .timeout_ms = KN_TOPICS_TIMEOUT_MS,
                          .wait_ms = KN_TOPICS_TIMEOUT_MS * 2 + 10000 };
    int rc;

    kn_tool_init(PROG);
    rc = kn_topics_parse(&o, argc, argv);
    if (rc >= 0) {
        goto out;
    }
    if (kn_tool_admin_open(&a, PROG, &o.client) != KN_OK) {
        rc = KN_TOOL_EXIT_FAIL;
        goto out;
    }
    switch (o.action.value) {
    case KN_TOPICS_CREATE: rc = kn_topics_create(&a, &o); break;
    case KN_TOPICS_LIST: rc = kn_topics_list(a.rk, &o); break;
    default: rc = kn_topics_on_existing(&a, &o); break;
    }
out:
    kn_tool_admin_close(&a);
    kn_tool_client_opts_free(&o.client);
    kn_tool_strv_free(&o.configs);
    fflush(stdout);
    return rc;
}
