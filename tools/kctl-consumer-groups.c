/*
 * tools/kctl-consumer-groups.c -- list, describe, delete consumer groups and
 * reset their committed offsets; the flags and output of Kafka's
 * kafka-consumer-groups.sh.
 *
 *   --list
 *   --describe --group G | --all-groups  [--members | --state | --offsets]
 *   --delete --group G
 *   --reset-offsets --group G (--topic T[:P,P...] ... | --all-topics)
 *        (--to-earliest | --to-latest | --to-offset N | --to-datetime ISO |
 *         --shift-by N) (--dry-run | --execute)
 *
 * A librdkafka Admin client does the work (ListGroups, DescribeGroups,
 * OffsetFetch, OffsetCommit, DeleteGroups through the group coordinator);
 * log end offsets come from ListOffsets (query_watermark_offsets). LAG is
 * log end offset minus the committed offset, "-" when nothing is committed.
 *
 * This file parses the flags and does --list, --describe and --delete;
 * --reset-offsets is in kctl-consumer-groups-reset.c.
 */
#include "config.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools/kctl-consumer-groups.h"

static void kn_cg_usage(FILE *out)
{
    fputs("Usage: " KN_CG_PROG " --bootstrap-server HOST:PORT [--command-config FILE] ACTION [OPTIONS]\n"
          "List, describe and delete consumer groups; reset their offsets.\n"
          "\n"
          "Actions (exactly one):\n"
          "  --list                        list consumer groups\n"
          "  --describe                    describe --group G (or --all-groups)\n"
          "  --delete                      delete --group G (must have no members)\n"
          "  --reset-offsets               reset --group G's offsets (group must be inactive)\n"
          "\n"
          "Options:\n"
          "  --bootstrap-server HOST:PORT  broker(s) to connect to (required)\n"
          "  --command-config FILE         client properties (security.protocol, ssl.*, ...)\n"
          "  --group G                     a group (repeatable)\n"
          "  --all-groups                  every group (with --describe)\n"
          "  --offsets | --members | --state  what --describe shows (default --offsets)\n"
          "  --topic T[:P,P...]            topic (and partitions) to reset (repeatable)\n"
          "  --all-topics                  every topic the group has offsets for\n"
          "  --to-earliest | --to-latest | --to-offset N | --to-datetime YYYY-MM-DDTHH:mm:SS.sss\n"
          "  --shift-by N                  the new offsets (--reset-offsets)\n"
          "  --dry-run | --execute         show the new offsets, or also commit them\n"
          "  --timeout MS                  request timeout (default 30000)\n"
          "  --help, --version\n",
          out);
}

static const kn_tool_cli_t kn_cg_cli = { .prog = KN_CG_PROG, .usage = kn_cg_usage };

/* --to-datetime: "YYYY-MM-DDTHH:mm:SS[.sss]" in UTC, optionally ending in
 * "Z" (Kafka also takes zone offsets; we take UTC). */
static int kn_cg_parse_datetime(const char *s, int64_t *out)
{
    struct tm tm;
    int ms = 0, n = 0;
    memset(&tm, 0, sizeof(tm));
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
               &tm.tm_min, &tm.tm_sec, &n) != 6) {
        return KN_ERROR;
    }
    const char *p = s + n;
    if (*p == '.') {
        int k = 0;
        p++;
        while (*p >= '0' && *p <= '9' && k < 3) {
            ms = ms * 10 + (*p++ - '0');
            k++;
        }
        while (k++ < 3) {
            ms *= 10;
        }
    }
    if (*p == 'Z') {
        p++;
    }
    if (*p != '\0') {
        return KN_ERROR;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    time_t t = timegm(&tm);
    if (t == (time_t)-1) {
        return KN_ERROR;
    }
    *out = (int64_t)t * 1000 + ms;
    return KN_OK;
}

enum {
    OPT_BOOTSTRAP = 256, OPT_COMMAND_CONFIG, OPT_LIST, OPT_DESCRIBE, OPT_DELETE, OPT_RESET,
    OPT_GROUP, OPT_ALL_GROUPS, OPT_OFFSETS, OPT_MEMBERS, OPT_STATE, OPT_TOPIC, OPT_ALL_TOPICS,
    OPT_TO_EARLIEST, OPT_TO_LATEST, OPT_TO_OFFSET, OPT_TO_DATETIME, OPT_SHIFT_BY, OPT_DRY_RUN,
    OPT_EXECUTE, OPT_TIMEOUT, OPT_HELP, OPT_VERSION
};

static const struct option kn_cg_longopts[] = {
    { "bootstrap-server", required_argument, NULL, OPT_BOOTSTRAP },
    { "command-config", required_argument, NULL, OPT_COMMAND_CONFIG },
    { "list", no_argument, NULL, OPT_LIST },
    { "describe", no_argument, NULL, OPT_DESCRIBE },
    { "delete", no_argument, NULL, OPT_DELETE },
    { "reset-offsets", no_argument, NULL, OPT_RESET },
    { "group", required_argument, NULL, OPT_GROUP },
    { "all-groups", no_argument, NULL, OPT_ALL_GROUPS },
    { "offsets", no_argument, NULL, OPT_OFFSETS },
    { "members", no_argument, NULL, OPT_MEMBERS },
    { "state", no_argument, NULL, OPT_STATE },
    { "topic", required_argument, NULL, OPT_TOPIC },
    { "all-topics", no_argument, NULL, OPT_ALL_TOPICS },
    { "to-earliest", no_argument, NULL, OPT_TO_EARLIEST },
    { "to-latest", no_argument, NULL, OPT_TO_LATEST },
    { "to-offset", required_argument, NULL, OPT_TO_OFFSET },
    { "to-datetime", required_argument, NULL, OPT_TO_DATETIME },
    { "shift-by", required_argument, NULL, OPT_SHIFT_BY },
    { "dry-run", no_argument, NULL, OPT_DRY_RUN },
    { "execute", no_argument, NULL, OPT_EXECUTE },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 }
};

/* Returns -1 to go on, else the exit code. */
static int kn_cg_parse(kn_cg_opts_t *o, int argc, char **argv)
{
    long long v;
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", kn_cg_longopts, NULL)) != -1) {
        switch (c) {
        case OPT_BOOTSTRAP: o->client.bootstrap = optarg; break;
        case OPT_COMMAND_CONFIG: kn_tool_strv_push(&o->client.files, optarg); break;
        case OPT_LIST: kn_tool_choose(&o->action, KN_CG_LIST); break;
        case OPT_DESCRIBE: kn_tool_choose(&o->action, KN_CG_DESCRIBE); break;
        case OPT_DELETE: kn_tool_choose(&o->action, KN_CG_DELETE); break;
        case OPT_RESET: kn_tool_choose(&o->action, KN_CG_RESET); break;
        case OPT_GROUP: kn_tool_strv_push(&o->groups, optarg); break;
        case OPT_ALL_GROUPS: o->all_groups = true; break;
        case OPT_OFFSETS: o->view = KN_CG_VIEW_OFFSETS; break;
        case OPT_MEMBERS: o->view = KN_CG_VIEW_MEMBERS; break;
        case OPT_STATE: o->view = KN_CG_VIEW_STATE; break;
        case OPT_TOPIC: kn_tool_strv_push(&o->topics, optarg); break;
        case OPT_ALL_TOPICS: o->all_topics = true; break;
        case OPT_TO_EARLIEST: kn_tool_choose(&o->spec, KN_CG_TO_EARLIEST); break;
        case OPT_TO_LATEST: kn_tool_choose(&o->spec, KN_CG_TO_LATEST); break;
        case OPT_TO_OFFSET:
        case OPT_SHIFT_BY:
            if (kn_tool_parse_long(optarg, c == OPT_TO_OFFSET ? 0 : INT64_MIN / 2, INT64_MAX / 2, &v) != KN_OK) {
                return kn_tool_misuse(&kn_cg_cli,
                                      "%s: expected an integer, got '%s'", argv[optind - 1], optarg);
            }
            o->value = v;
            kn_tool_choose(&o->spec, c == OPT_TO_OFFSET ? KN_CG_TO_OFFSET : KN_CG_SHIFT_BY);
            break;
        case OPT_TO_DATETIME:
            if (kn_cg_parse_datetime(optarg, &o->datetime_ms) != KN_OK) {
                return kn_tool_misuse(&kn_cg_cli,
                                      "--to-datetime: expected YYYY-MM-DDTHH:mm:SS.sss, got '%s'", optarg);
            }
            kn_tool_choose(&o->spec, KN_CG_TO_DATETIME);
            break;
        case OPT_DRY_RUN: o->dry_run = true; break;
        case OPT_EXECUTE: o->execute = true; break;
        case OPT_TIMEOUT:
            if (kn_tool_parse_long(optarg, 1, INT32_MAX, &v) != KN_OK) {
                return kn_tool_misuse(&kn_cg_cli,
                                      "--timeout: expected a positive integer, got '%s'", optarg);
            }
            o->timeout_ms = (int)v;
            break;
        case OPT_HELP: return kn_tool_help(&kn_cg_cli);
        case OPT_VERSION: return kn_tool_version(&kn_cg_cli);
        default: return kn_tool_opt_error(&kn_cg_cli, c, argv);
        }
    }
    if (optind < argc) {
        return kn_tool_misuse(&kn_cg_cli, "unexpected argument '%s'", argv[optind]);
    }
    if (o->action.count != 1) {
        return kn_tool_misuse(&kn_cg_cli,
                              "Command must include exactly one action: --list, --describe, --delete, "
                              "--reset-offsets");
    }
    if (o->client.bootstrap == NULL) {
        return kn_tool_missing(&kn_cg_cli, "bootstrap-server");
    }
    if ((o->action.value == KN_CG_DESCRIBE && o->groups.n == 0 && !o->all_groups) ||
        ((o->action.value == KN_CG_DELETE || o->action.value == KN_CG_RESET) && o->groups.n == 0)) {
        return kn_tool_misuse(&kn_cg_cli,
                              "Option [group] is required (or --all-groups with --describe)");
    }
    if (o->action.value == KN_CG_RESET) {
        if (o->topics.n == 0 && !o->all_topics) {
            return kn_tool_misuse(&kn_cg_cli,
                                  "One of the reset scopes should be defined: --all-topics, --topic");
        }
        if (o->spec.count != 1) {
            return kn_tool_misuse(&kn_cg_cli,
                                  "Option [reset-offsets] takes exactly one of --to-earliest, --to-latest, "
                                  "--to-offset, --to-datetime, --shift-by");
        }
        if (o->dry_run && o->execute) {
            return kn_tool_misuse(&kn_cg_cli,
                                  "Option [reset-offsets] takes only one of --dry-run, --execute");
        }
        if (!o->execute && !o->dry_run) {
            fprintf(stderr, "WARN: No action will be performed as the --execute option is missing. "
                            "In a future major release, the default behavior of this command will be to "
                            "prompt the user before executing the reset rather than doing a dry run. You "
                            "should add the --dry-run option explicitly if you are scripting this command "
                            "and want to keep the current default behavior without prompting.\n");
        }
    }
    return -1;
}

/* ---- admin round trips ------------------------------------------------------------ */

/* cg is the Admin client (tools/lib/tool.h); its timeout_ms also bounds
 * the metadata and offset queries made with cg->rk. */

/* Wait for the result event of the admin call just made; NULL on timeout
 * or a request-level error (printed as "what: reason"). */
rd_kafka_event_t *kn_cg_wait(kn_tool_admin_t *cg, const char *what)
{
    char err[512];
    rd_kafka_event_t *ev = kn_tool_admin_wait(cg, "timed out", err, sizeof(err));
    if (ev == NULL) {
        kn_tool_err(KN_CG_PROG, "%s: %s", what, err);
    }
    return ev;
}

/* ---- --list ---------------------------------------------------------------------- */

static int kn_cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every group id the cluster knows (sorted, heap); NULL on failure. */
static char **kn_cg_list_ids(kn_tool_admin_t *cg, size_t *n)
{
    rd_kafka_AdminOptions_t *ao = kn_tool_admin_options(cg, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS);
    rd_kafka_ListConsumerGroups(cg->rk, ao, cg->q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_event_t *ev = kn_cg_wait(cg, "list groups");
    if (ev == NULL) {
        return NULL;
    }
    const rd_kafka_ListConsumerGroups_result_t *res = rd_kafka_event_ListConsumerGroups_result(ev);
    size_t nerr = 0;
    const rd_kafka_error_t **errs = rd_kafka_ListConsumerGroups_result_errors(res, &nerr);
    for (size_t i = 0; i < nerr; i++) {
        kn_tool_err(KN_CG_PROG, "list groups: %s", rd_kafka_error_string(errs[i]));
    }
    const rd_kafka_ConsumerGroupListing_t **l = rd_kafka_ListConsumerGroups_result_valid(res, n);
    char **ids = kn_calloc(*n + 1, sizeof(char *));
    for (size_t i = 0; i < *n; i++) {
        ids[i] = kn_strdup(rd_kafka_ConsumerGroupListing_group_id(l[i]));
    }
    qsort(ids, *n, sizeof(char *), kn_cmp_str);
    rd_kafka_event_destroy(ev);
    if (nerr > 0) {
        for (size_t i = 0; i < *n; i++) {
            free(ids[i]);
        }
        free(ids);
        return NULL;
    }
    return ids;
}

static void kn_cg_free_ids(char **ids, size_t n)
{
    for (size_t i = 0; ids != NULL && i < n; i++) {
        free(ids[i]);
    }
    free(ids);
}

static int kn_cg_list(kn_tool_admin_t *cg)
{
    size_t n = 0;
    char **ids = kn_cg_list_ids(cg, &n);
    if (ids == NULL) {
        return KN_TOOL_EXIT_FAIL;
    }
    for (size_t i = 0; i < n; i++) {
        printf("%s\n", ids[i]);
    }
    kn_cg_free_ids(ids, n);
    return KN_TOOL_EXIT_OK;
}

/* ---- group facts ------------------------------------------------------------------- */

/* Describe one group: the event (caller destroys) and its description. */
const rd_kafka_ConsumerGroupDescription_t *kn_cg_describe_one(kn_tool_admin_t *cg, const char *group,
                                                               rd_kafka_event_t **evp)
{
    const char *groups[1] = { group };
    rd_kafka_AdminOptions_t *ao = kn_tool_admin_options(cg, RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS);
    rd_kafka_DescribeConsumerGroups(cg->rk, groups, 1, ao, cg->q);
    rd_kafka_AdminOptions_destroy(ao);
    *evp = kn_cg_wait(cg, "describe group");
    if (*evp == NULL) {
        return NULL;
    }
    size_t n = 0;
    const rd_kafka_ConsumerGroupDescription_t **d = rd_kafka_DescribeConsumerGroups_result_groups(
        rd_kafka_event_DescribeConsumerGroups_result(*evp), &n);
    if (n != 1) {
        kn_tool_err(KN_CG_PROG, "describe group %s: no answer", group);
        return NULL;
    }
    const rd_kafka_error_t *e = rd_kafka_ConsumerGroupDescription_error(d[0]);
    if (e != NULL) {
        kn_tool_err(KN_CG_PROG, "describe group %s: %s", group, rd_kafka_error_string(e));
        return NULL;
    }
    return d[0];
}

/* Committed offsets of a group (all partitions with one); NULL on
 * failure. We name every partition of the cluster rather than asking for
 * "all" (a null list): librdkafka 2.0 sends that as an empty list. */
rd_kafka_topic_partition_list_t *kn_cg_committed(kn_tool_admin_t *cg, const char *group)
{
    const struct rd_kafka_metadata *md = NULL;
    if (rd_kafka_metadata(cg->rk, 1, NULL, &md, cg->timeout_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        kn_tool_err(KN_CG_PROG, "cannot read cluster metadata");
        return NULL;
    }
    rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new(16);
    for (int t = 0; t < md->topic_cnt; t++) {
        if (md->topics[t].err != RD_KAFKA_RESP_ERR_NO_ERROR || md->topics[t].topic[0] == '_') {
            continue;
        }
        for (int p = 0; p < md->topics[t].partition_cnt; p++) {
            rd_kafka_topic_partition_list_add(all, md->topics[t].topic, md->topics[t].partitions[p].id);
        }
    }
    rd_kafka_metadata_destroy(md);
    rd_kafka_ListConsumerGroupOffsets_t *req = rd_kafka_ListConsumerGroupOffsets_new(group, all->cnt > 0 ? all : NULL);
    rd_kafka_topic_partition_list_destroy(all);
    rd_kafka_AdminOptions_t *ao = kn_tool_admin_options(cg, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS);
    rd_kafka_ListConsumerGroupOffsets(cg->rk, &req, 1, ao, cg->q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_ListConsumerGroupOffsets_destroy(req);
    rd_kafka_event_t *ev = kn_cg_wait(cg, "fetch committed offsets");
    if (ev == NULL) {
        return NULL;
    }
    size_t n = 0;
    const rd_kafka_group_result_t **gr = rd_kafka_ListConsumerGroupOffsets_result_groups(
        rd_kafka_event_ListConsumerGroupOffsets_result(ev), &n);
    rd_kafka_topic_partition_list_t *out = NULL;
    if (n == 1 && rd_kafka_group_result_error(gr[0]) == NULL) {
        const rd_kafka_topic_partition_list_t *p = rd_kafka_group_result_partitions(gr[0]);
        out = rd_kafka_topic_partition_list_new(p ? p->cnt : 0);
        for (int i = 0; p != NULL && i < p->cnt; i++) {
            if (p->elems[i].offset >= 0) {
                rd_kafka_topic_partition_list_add(out, p->elems[i].topic, p->elems[i].partition)->offset =
                    p->elems[i].offset;
            }
        }
    } else if (n == 1) {
        kn_tool_err(KN_CG_PROG, "fetch offsets of %s: %s", group,
                    rd_kafka_error_string(rd_kafka_group_result_error(gr[0])));
    }
    rd_kafka_event_destroy(ev);
    return out;
}


typedef struct {
    const char *topic;
    int32_t     partition;
    int64_t     current;      /* -1 = none committed */
    int64_t     leo;          /* -1 = unknown */
    const char *consumer, *host, *client;
} kn_cg_row_t;

static int kn_cg_cmp_row(const void *a, const void *b)
{
    const kn_cg_row_t *x = a, *y = b;
    int c = strcmp(x->topic, y->topic);
    return c != 0 ? c : (x->partition > y->partition) - (x->partition < y->partition);
}

static void kn_cg_fmt_off(char *buf, size_t len, int64_t v)
{
    if (v < 0) {
        snprintf(buf, len, "-");
    } else {
        snprintf(buf, len, "%lld", (long long)v);
    }
}

static void kn_cg_print_offsets(const char *group, kn_cg_row_t *rows, size_t n)
{
    int w[6] = { 5, 5, 9, 14, 14, 3 };   /* GROUP TOPIC PARTITION CURRENT LEO LAG */
    int wc = 11, wh = 4, wcl = 9;        /* CONSUMER-ID HOST CLIENT-ID */
    char cur[32], leo[32], lag[32];
    w[0] = KN_MAX(w[0], (int)strlen(group));
    for (size_t i = 0; i < n; i++) {
        w[1] = KN_MAX(w[1], (int)strlen(rows[i].topic));
        wc = KN_MAX(wc, (int)strlen(rows[i].consumer));
        wh = KN_MAX(wh, (int)strlen(rows[i].host));
        wcl = KN_MAX(wcl, (int)strlen(rows[i].client));
    }
    printf("\n%-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %s\n", w[0], "GROUP", w[1], "TOPIC", w[2],
           "PARTITION", w[3], "CURRENT-OFFSET", w[4], "LOG-END-OFFSET", 15, "LAG", wc, "CONSUMER-ID",
           wh, "HOST", "CLIENT-ID");
    for (size_t i = 0; i < n; i++) {
        const kn_cg_row_t *r = &rows[i];
        kn_cg_fmt_off(cur, sizeof(cur), r->current);
        kn_cg_fmt_off(leo, sizeof(leo), r->leo);
        kn_cg_fmt_off(lag, sizeof(lag), r->current >= 0 && r->leo >= 0 ? KN_MAX(r->leo - r->current, 0) : -1);
        printf("%-*s %-*s %-*d %-*s %-*s %-*s %-*s %-*s %s\n", w[0], group, w[1], r->topic, w[2],
               (int)r->partition, w[3], cur, w[4], leo, 15, lag, wc, r->consumer, wh, r->host, r->client);
    }
    (void)wcl;
}

static int kn_cg_describe_offsets(kn_tool_admin_t *cg, const char *group,
                                  const rd_kafka_ConsumerGroupDescription_t *d)
{
    rd_kafka_topic_partition_list_t *committed = kn_cg_committed(cg, group);
    if (committed == NULL) {
        return KN_TOOL_EXIT_FAIL;
    }
    size_t nm = rd_kafka_ConsumerGroupDescription_member_count(d);
    size_t cap = (size_t)committed->cnt;
    for (size_t i = 0; i < nm; i++) {
        const rd_kafka_topic_partition_list_t *a = rd_kafka_MemberAssignment_partitions(
            rd_kafka_MemberDescription_assignment(rd_kafka_ConsumerGroupDescription_member(d, i)));
        cap += a ? (size_t)a->cnt : 0;
    }
    kn_cg_row_t *rows = kn_calloc(cap + 1, sizeof(*rows));
    size_t n = 0;
    /* Assigned partitions first (with their owner), then committed ones
     * nobody owns right now. */
    for (size_t i = 0; i < nm; i++) {
        const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d, i);
        const rd_kafka_topic_partition_list_t *a =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
        for (int k = 0; a != NULL && k < a->cnt; k++) {
            rows[n] = (kn_cg_row_t){ a->elems[k].topic, a->elems[k].partition, -1, -1,
                                     rd_kafka_MemberDescription_consumer_id(m),
                                     rd_kafka_MemberDescription_host(m),
                                     rd_kafka_MemberDescription_client_id(m) };
            n++;
        }
    }
    size_t assigned = n;
    for (int k = 0; k < committed->cnt; k++) {
        const rd_kafka_topic_partition_t *c = &committed->elems[k];
        bool found = false;
        for (size_t i = 0; i < assigned; i++) {
            if (rows[i].partition == c->partition && strcmp(rows[i].topic, c->topic) == 0) {
                rows[i].current = c->offset;
                found = true;
            }
        }
        if (!found && c->offset >= 0) {
            rows[n++] = (kn_cg_row_t){ c->topic, c->partition, c->offset, -1, "-", "-", "-" };
        }
    }
    for (size_t i = 0; i < n; i++) {
        int64_t lo = -1, hi = -1;
        if (rd_kafka_query_watermark_offsets(cg->rk, rows[i].topic, rows[i].partition, &lo, &hi,
                                             cg->timeout_ms) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            rows[i].leo = hi;
        }
    }
    qsort(rows, n, sizeof(*rows), kn_cg_cmp_row);
    if (nm == 0) {
        printf("\nConsumer group '%s' has no active members.\n", group);
    }
    kn_cg_print_offsets(group, rows, n);
    free(rows);
    rd_kafka_topic_partition_list_destroy(committed);
    return KN_TOOL_EXIT_OK;
}

static void kn_cg_describe_members(const char *group, const rd_kafka_ConsumerGroupDescription_t *d)
{
    size_t nm = rd_kafka_ConsumerGroupDescription_member_count(d);
    int wc = 11, wh = 4, wcl = 9;
    for (size_t i = 0; i < nm; i++) {
        const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d, i);
        wc = KN_MAX(wc, (int)strlen(rd_kafka_MemberDescription_consumer_id(m)));
        wh = KN_MAX(wh, (int)strlen(rd_kafka_MemberDescription_host(m)));
        wcl = KN_MAX(wcl, (int)strlen(rd_kafka_MemberDescription_client_id(m)));
    }
    if (nm == 0) {
        printf("\nConsumer group '%s' has no active members.\n", group);
        return;
    }
    int wg = KN_MAX(5, (int)strlen(group));
    printf("\n%-*s %-*s %-*s %-*s %s\n", wg, "GROUP", wc, "CONSUMER-ID", wh, "HOST", wcl, "CLIENT-ID",
           "#PARTITIONS");
    for (size_t i = 0; i < nm; i++) {
        const rd_kafka_MemberDescription_t *m = rd_kafka_ConsumerGroupDescription_member(d, i);
        const rd_kafka_topic_partition_list_t *a =
            rd_kafka_MemberAssignment_partitions(rd_kafka_MemberDescription_assignment(m));
        printf("%-*s %-*s %-*s %-*s %d\n", wg, group, wc, rd_kafka_MemberDescription_consumer_id(m), wh,
               rd_kafka_MemberDescription_host(m), wcl, rd_kafka_MemberDescription_client_id(m),
               a ? a->cnt : 0);
    }
}

static void kn_cg_describe_state(const char *group, const rd_kafka_ConsumerGroupDescription_t *d)
{
    const rd_kafka_Node_t *co = rd_kafka_ConsumerGroupDescription_coordinator(d);
    char coord[300] = "-";
    if (co != NULL) {
        snprintf(coord, sizeof(coord), "%s:%u (%d)", rd_kafka_Node_host(co),
                 (unsigned)rd_kafka_Node_port(co), rd_kafka_Node_id(co));
    }
    const char *assignor = rd_kafka_ConsumerGroupDescription_partition_assignor(d);
    int wg = KN_MAX(5, (int)strlen(group)), wco = KN_MAX(17, (int)strlen(coord));
    printf("\n%-*s %-*s %-19s %-19s %s\n", wg, "GROUP", wco, "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY",
           "STATE", "#MEMBERS");
    printf("%-*s %-*s %-19s %-19s %zu\n", wg, group, wco, coord, assignor && *assignor ? assignor : "",
           rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(d)),
           rd_kafka_ConsumerGroupDescription_member_count(d));
}

static int kn_cg_describe(kn_tool_admin_t *cg, const kn_cg_opts_t *o)
{
    size_t n = o->groups.n;
    char **ids = o->groups.items;
    char **listed = NULL;
    if (o->all_groups) {
        listed = kn_cg_list_ids(cg, &n);
        if (listed == NULL) {
            return KN_TOOL_EXIT_FAIL;
        }
        ids = listed;
    }
    int rc = KN_TOOL_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        rd_kafka_event_t *ev = NULL;
        const rd_kafka_ConsumerGroupDescription_t *d = kn_cg_describe_one(cg, ids[i], &ev);
        if (d == NULL) {
            rc = KN_TOOL_EXIT_FAIL;
        } else if (rd_kafka_ConsumerGroupDescription_state(d) == RD_KAFKA_CONSUMER_GROUP_STATE_DEAD) {
            fprintf(stderr, "Error: Consumer group '%s' does not exist.\n", ids[i]);
            rc = KN_TOOL_EXIT_FAIL;
        } else if (o->view == KN_CG_VIEW_MEMBERS) {
            kn_cg_describe_members(ids[i], d);
        } else if (o->view == KN_CG_VIEW_STATE) {
            kn_cg_describe_state(ids[i], d);
        } else if (kn_cg_describe_offsets(cg, ids[i], d) != KN_TOOL_EXIT_OK) {
            rc = KN_TOOL_EXIT_FAIL;
        }
        if (ev != NULL) {
            rd_kafka_event_destroy(ev);
        }
    }
    kn_cg_free_ids(listed, n);
    return rc;
}

/* ---- --delete ------------------------------------------------------------------------ */

static int kn_cg_delete(kn_tool_admin_t *cg, const kn_cg_opts_t *o)
{
    rd_kafka_DeleteGroup_t **dg = kn_calloc(o->groups.n, sizeof(*dg));
    for (size_t i = 0; i < o->groups.n; i++) {
        dg[i] = rd_kafka_DeleteGroup_new(o->groups.items[i]);
    }
    rd_kafka_AdminOptions_t *ao = kn_tool_admin_options(cg, RD_KAFKA_ADMIN_OP_DELETEGROUPS);
    rd_kafka_DeleteGroups(cg->rk, dg, o->groups.n, ao, cg->q);
    rd_kafka_AdminOptions_destroy(ao);
    rd_kafka_DeleteGroup_destroy_array(dg, o->groups.n);
    free(dg);
    rd_kafka_event_t *ev = kn_cg_wait(cg, "delete groups");
    if (ev == NULL) {
        return KN_TOOL_EXIT_FAIL;
    }
    size_t n = 0;
    const rd_kafka_group_result_t **gr =
        rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
    int rc = KN_TOOL_EXIT_OK;
    for (size_t i = 0; i < n; i++) {
        const rd_kafka_error_t *e = rd_kafka_group_result_error(gr[i]);
        if (e == NULL) {
            printf("Deletion of requested consumer groups ('%s') was successful.\n",
                   rd_kafka_group_result_name(gr[i]));
        } else {
            printf("Error: Deletion of some consumer groups failed:\n* Group '%s' could not be "
                   "deleted due to: %s\n", rd_kafka_group_result_name(gr[i]), rd_kafka_error_string(e));
            rc = KN_TOOL_EXIT_FAIL;
        }
    }
    rd_kafka_event_destroy(ev);
    return rc;
}

/* ---- main ---------------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    kn_cg_opts_t o;

    memset(&o, 0, sizeof(o));
    o.timeout_ms = 30000;
    kn_tool_init(KN_CG_PROG);
    int rc = kn_cg_parse(&o, argc, argv);
    if (rc >= 0) {
        goto out;
    }
    /* The wait margin only guards against a lost event: librdkafka ends
     * each request itself after its timeout. */
    kn_tool_admin_t cg = { .timeout_ms = o.timeout_ms, .wait_ms = o.timeout_ms + 5000 };
    if (kn_tool_admin_open(&cg, KN_CG_PROG, &o.client) != KN_OK) {
        rc = KN_TOOL_EXIT_FAIL;
        goto out;
    }
    switch (o.action.value) {
    case KN_CG_LIST: rc = kn_cg_list(&cg); break;
    case KN_CG_DESCRIBE: rc = kn_cg_describe(&cg, &o); break;
    case KN_CG_DELETE: rc = kn_cg_delete(&cg, &o); break;
    case KN_CG_RESET: rc = kn_cg_reset(&cg, &o); break;
    default: rc = KN_TOOL_EXIT_FAIL; break;
    }
    kn_tool_admin_close(&cg);
out:
    kn_tool_client_opts_free(&o.client);
    kn_tool_strv_free(&o.groups);
    kn_tool_strv_free(&o.topics);
    return rc;
}
