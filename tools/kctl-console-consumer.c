/*
 * tools/kctl-console-consumer.c -- print the records of a topic; the flags
 * and output of Kafka's kafka-console-consumer.sh.
 *
 * Two ways to read:
 *  - without --group: librdkafka's partition consumer (consume_start), one
 *    queue for the chosen partition (--partition) or for every partition
 *    in the topic's metadata. This needs no group coordinator at all,
 *    which Kafka's tool (a random group) would.
 *  - with --group: the high-level consumer, subscribe() and group
 *    coordination with committed offsets, as Kafka's tool does.
 * It stops after --max-messages records, after --timeout-ms without a
 * record, or on SIGINT/SIGTERM, then prints "Processed a total of N
 * messages" to stderr as Kafka's does.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/lib/format.h"
#include "tools/lib/tool.h"

#define PROG "kctl-console-consumer"
#define KN_CONS_POLL_MS 500          /* wake-up period to notice signals */
#define KN_CONS_METADATA_MS 30000

typedef struct {
    kn_tool_client_opts_t client;
    const char           *topic;
    const char           *group;
    kn_tool_strv_t        props;        /* --property k=v (formatter) */
    long long             partition;    /* -1 = all */
    int64_t               offset;       /* RD_KAFKA_OFFSET_* or absolute */
    bool                  offset_given;
    bool                  from_beginning;
    long long             max_messages; /* -1 = unlimited */
    long long             timeout_ms;   /* -1 = wait forever */
    const char           *isolation;
} kn_cons_opts_t;

static void kn_cons_usage(FILE *out)
{
    fputs("Usage: " PROG " --bootstrap-server HOST:PORT --topic TOPIC [OPTIONS]\n"
          "Print the records of a topic to standard output, one per line.\n"
          "\n"
          "  --bootstrap-server HOST:PORT     broker(s) to connect to (required)\n"
          "  --topic TOPIC                    topic to read (required)\n"
          "  --from-beginning                 start at the earliest record, not the end\n"
          "  --partition N                    read only partition N\n"
          "  --offset N|earliest|latest       where to start in --partition\n"
          "  --max-messages N                 stop after N records\n"
          "  --timeout-ms N                   stop after N ms without a record\n"
          "  --group GROUP                    consume as a member of GROUP (subscribe,\n"
          "                                   committed offsets); default: no group\n"
          "  --isolation-level LEVEL          read_committed or read_uncommitted\n"
          "  --property KEY=VALUE             output setting (repeatable): print.key,\n"
          "                                   print.value, print.partition, print.offset,\n"
          "                                   print.timestamp, print.headers (true/false),\n"
          "                                   key.separator, line.separator,\n"
          "                                   headers.separator, null.literal\n"
          "  --consumer-property KEY=VALUE    client setting (repeatable)\n"
          "  --consumer.config FILE           client settings file (Java properties)\n"
          "  --command-config FILE            same as --consumer.config\n"
          "  --help                           print this help\n"
          "  --version                        print the version\n", out);
}

static const kn_tool_cli_t kn_cons_cli = { .prog = PROG, .usage = kn_cons_usage };

enum {
    OPT_BOOTSTRAP = 256, OPT_TOPIC, OPT_GROUP, OPT_FROM_BEGINNING, OPT_PARTITION, OPT_OFFSET,
    OPT_MAX_MESSAGES, OPT_TIMEOUT, OPT_PROPERTY, OPT_CONSUMER_PROPERTY, OPT_CONSUMER_CONFIG,
    OPT_ISOLATION, OPT_HELP, OPT_VERSION
};

static const struct option kn_cons_longopts[] = {
    { "bootstrap-server", required_argument, NULL, OPT_BOOTSTRAP },
    { "topic", required_argument, NULL, OPT_TOPIC },
    { "group", required_argument, NULL, OPT_GROUP },
    { "from-beginning", no_argument, NULL, OPT_FROM_BEGINNING },
    { "partition", required_argument, NULL, OPT_PARTITION },
    { "offset", required_argument, NULL, OPT_OFFSET },
    { "max-messages", required_argument, NULL, OPT_MAX_MESSAGES },
    { "timeout-ms", required_argument, NULL, OPT_TIMEOUT },
    { "property", required_argument, NULL, OPT_PROPERTY },
    { "consumer-property", required_argument, NULL, OPT_CONSUMER_PROPERTY },
    { "consumer.config", required_argument, NULL, OPT_CONSUMER_CONFIG },
    { "command-config", required_argument, NULL, OPT_CONSUMER_CONFIG },
    { "isolation-level", required_argument, NULL, OPT_ISOLATION },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 }
};

/* --property settings go to the record format. */
static int kn_cons_set_prop(void *fmt, const char *key, const char *value, char *err,
                            size_t errlen)
{
    return kn_tool_fmt_set(fmt, key, value, err, errlen);
}

/* Returns -1 to go on, else the exit code. */
static int kn_cons_parse(kn_cons_opts_t *o, kn_tool_fmt_t *fmt, int argc, char **argv)
{
    int c;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", kn_cons_longopts, NULL)) != -1) {
        switch (c) {
        case OPT_BOOTSTRAP: o->client.bootstrap = optarg; break;
        case OPT_TOPIC: o->topic = optarg; break;
        case OPT_GROUP: o->group = optarg; break;
        case OPT_FROM_BEGINNING: o->from_beginning = true; break;
        case OPT_PARTITION:
            if (kn_tool_parse_long(optarg, 0, INT32_MAX, &o->partition) != KN_OK) {
                return kn_tool_bad_value(&kn_cons_cli, "--partition", "a partition number", optarg);
            }
            break;
        case OPT_OFFSET: {
            long long off;
            o->offset_given = true;
            if (strcasecmp(optarg, "earliest") == 0) {
                o->offset = RD_KAFKA_OFFSET_BEGINNING;
            } else if (strcasecmp(optarg, "latest") == 0) {
                o->offset = RD_KAFKA_OFFSET_END;
            } else if (kn_tool_parse_long(optarg, 0, INT64_MAX, &off) == KN_OK) {
                o->offset = off;
            } else {
                return kn_tool_bad_value(&kn_cons_cli,
                                         "--offset", "a non-negative offset, earliest or latest",
                                         optarg);
            }
            break;
        }
        case OPT_MAX_MESSAGES:
            if (kn_tool_parse_long(optarg, 1, INT64_MAX, &o->max_messages) != KN_OK) {
                return kn_tool_bad_value(&kn_cons_cli,
                                         "--max-messages", "a positive integer", optarg);
            }
            break;
        case OPT_TIMEOUT:
            if (kn_tool_parse_long(optarg, 0, INT32_MAX, &o->timeout_ms) != KN_OK) {
                return kn_tool_bad_value(&kn_cons_cli,
                                         "--timeout-ms", "a non-negative integer", optarg);
            }
            break;
        case OPT_PROPERTY: kn_tool_strv_push(&o->props, optarg); break;
        case OPT_CONSUMER_PROPERTY: kn_tool_strv_push(&o->client.props, optarg); break;
        case OPT_CONSUMER_CONFIG: kn_tool_strv_push(&o->client.files, optarg); break;
        case OPT_ISOLATION:
            if (strcmp(optarg, "read_committed") && strcmp(optarg, "read_uncommitted")) {
                return kn_tool_bad_value(&kn_cons_cli, "--isolation-level",
                                         "read_committed or read_uncommitted", optarg);
            }
            o->isolation = optarg;
            break;
        case OPT_HELP: return kn_tool_help(&kn_cons_cli);
        case OPT_VERSION: return kn_tool_version(&kn_cons_cli);
        default: return kn_tool_opt_error(&kn_cons_cli, c, argv);
        }
    }
    if (optind < argc) {
        return kn_tool_misuse(&kn_cons_cli, "unexpected argument '%s'", argv[optind]);
    }
    if (o->client.bootstrap == NULL) {
        return kn_tool_missing(&kn_cons_cli, "bootstrap-server");
    }
    if (o->topic == NULL) {
        return kn_tool_missing(&kn_cons_cli, "topic");
    }
    if (o->offset_given && o->partition < 0) {
        return kn_tool_misuse(&kn_cons_cli, "The partition is required when offset is specified.");
    }
    if (o->offset_given && o->from_beginning) {
        return kn_tool_misuse(&kn_cons_cli,
                              "Options from-beginning and offset cannot be specified together.");
    }
    if (o->group != NULL && o->partition >= 0) {
        return kn_tool_misuse(&kn_cons_cli,
                              "Options group and partition cannot be specified together.");
    }
    int rc = kn_tool_apply_props(&kn_cons_cli, &o->props, kn_cons_set_prop, fmt);
    if (rc >= 0) {
        return rc;
    }
    if (!o->offset_given) {
        o->offset = o->from_beginning ? RD_KAFKA_OFFSET_BEGINNING : RD_KAFKA_OFFSET_END;
    }
    return -1;
}

/* Print one record; its headers go through a small array of views. */
static void kn_cons_print(const kn_tool_fmt_t *fmt, rd_kafka_message_t *m)
{
    kn_tool_record_t rec = { 0 };
    rd_kafka_timestamp_type_t tstype;
    rd_kafka_headers_t *hdrs = NULL;
    kn_tool_header_t *hv = NULL;

    rec.partition = m->partition;
    rec.offset = m->offset;
    rec.timestamp = rd_kafka_message_timestamp(m, &tstype);
    rec.ts_type = tstype == RD_KAFKA_TIMESTAMP_CREATE_TIME     ? KN_TOOL_TS_CREATE
                  : tstype == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? KN_TOOL_TS_LOG_APPEND
                                                                  : KN_TOOL_TS_NONE;
    rec.key = m->key;
    rec.key_len = m->key_len;
    rec.value = m->payload;
    rec.value_len = m->len;
    if (fmt->print_headers && rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        size_t n = rd_kafka_header_cnt(hdrs);
        hv = kn_calloc(n + 1, sizeof(*hv));
        for (size_t i = 0; i < n; i++) {
            const void *val;
            size_t len;
            if (rd_kafka_header_get_all(hdrs, i, &hv[i].name, &val, &len) != 0) {
                break;
            }
            hv[i].value = val;
            hv[i].value_len = len;
            rec.nheaders++;
        }
        rec.headers = hv;
    }
    kn_tool_fmt_record(fmt, stdout, &rec);
    free(hv);
}

/* Errors that end the run: there is nothing to wait for. */
static bool kn_cons_fatal(rd_kafka_resp_err_t err)
{
    return err == RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC || err == RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION ||
           err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
           err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
           err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED || err == RD_KAFKA_RESP_ERR__FATAL;
}

/* The shared receive loop. next() returns the next message or NULL after
 * waiting at most the given ms. Returns the exit code. */
typedef rd_kafka_message_t *(*kn_cons_next_fn)(void *src, int timeout_ms);

static int kn_cons_loop(const kn_cons_opts_t *o, const kn_tool_fmt_t *fmt, kn_cons_next_fn next,
                        void *src, long long *count)
{
    int64_t last = kn_mono_ms();

    while (!kn_tool_stop && (o->max_messages < 0 || *count < o->max_messages)) {
        int wait = KN_CONS_POLL_MS;
        if (o->timeout_ms >= 0) {
            int64_t left = last + o->timeout_ms - kn_mono_ms();
            if (left <= 0) {
                break;   /* Kafka's tool ends quietly on its consumer timeout too */
            }
            wait = (int)KN_MIN(left, (int64_t)KN_CONS_POLL_MS);
        }
        rd_kafka_message_t *m = next(src, wait);
        if (m == NULL) {
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            rd_kafka_resp_err_t err = m->err;
            kn_tool_err(PROG, "ERROR %s", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            if (kn_cons_fatal(err)) {
                return KN_TOOL_EXIT_FAIL;
            }
            continue;
        }
        kn_cons_print(fmt, m);
        fflush(stdout);
        rd_kafka_message_destroy(m);
        (*count)++;
        last = kn_mono_ms();
    }
    return KN_TOOL_EXIT_OK;
}

static rd_kafka_message_t *kn_cons_next_queue(void *src, int timeout_ms)
{
    return rd_kafka_consume_queue(src, timeout_ms);
}

static rd_kafka_message_t *kn_cons_next_group(void *src, int timeout_ms)
{
    return rd_kafka_consumer_poll(src, timeout_ms);
}

/* Without a group: start the chosen partition, or all of the topic's. */
static int kn_cons_run_partitions(rd_kafka_t *rk, const kn_cons_opts_t *o,
                                  const kn_tool_fmt_t *fmt, long long *count)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    const rd_kafka_metadata_t *md = NULL;
    int32_t *parts = NULL;
    size_t nparts = 0;
    int rc = KN_TOOL_EXIT_FAIL;

    if (o->partition >= 0) {
        parts = kn_malloc(sizeof(*parts));
        parts[nparts++] = (int32_t)o->partition;
    } else {
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, KN_CONS_METADATA_MS);
        /* A topic-level error only matters when it leaves no partitions
         * (LEADER_NOT_AVAILABLE on a fresh topic still lists them). */
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR && md->topic_cnt == 1 && md->topics[0].err &&
            md->topics[0].partition_cnt == 0) {
            err = md->topics[0].err;
        }
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            kn_tool_err(PROG, "cannot read the partitions of topic '%s': %s", o->topic,
                        rd_kafka_err2str(err));
            goto out;
        }
        const rd_kafka_metadata_topic_t *t = &md->topics[0];
        if (t->partition_cnt == 0) {
            kn_tool_err(PROG, "topic '%s' has no partitions", o->topic);
            goto out;
        }
        parts = kn_calloc((size_t)t->partition_cnt, sizeof(*parts));
        for (int i = 0; i < t->partition_cnt; i++) {
            parts[nparts++] = t->partitions[i].id;
        }
    }
    size_t started = 0;
    for (; started < nparts; started++) {
        if (rd_kafka_consume_start_queue(rkt, parts[started], o->offset, q) != 0) {
            kn_tool_err(PROG, "cannot read partition %d of '%s': %s", (int)parts[started],
                        o->topic, rd_kafka_err2str(rd_kafka_last_error()));
            break;
        }
    }
    if (started == nparts) {
        rc = kn_cons_loop(o, fmt, kn_cons_next_queue, q, count);
    }
    for (size_t i = 0; i < started; i++) {
        rd_kafka_consume_stop(rkt, parts[i]);
    }
out:
    free(parts);
    if (md) {
        rd_kafka_metadata_destroy(md);
    }
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_destroy(rkt);
    return rc;
}

/* With --group: subscribe and let the group coordinator assign partitions. */
static int kn_cons_run_group(rd_kafka_t *rk, const kn_cons_opts_t *o, const kn_tool_fmt_t *fmt,
                             long long *count)
{
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    int rc = KN_TOOL_EXIT_FAIL;

    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_add(topics, o->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        kn_tool_err(PROG, "cannot subscribe to '%s': %s", o->topic, rd_kafka_err2str(err));
    } else {
        rc = kn_cons_loop(o, fmt, kn_cons_next_group, rk, count);
    }
    rd_kafka_topic_partition_list_destroy(topics);
    rd_kafka_consumer_close(rk);
    return rc;
}

int main(int argc, char **argv)
{
    kn_cons_opts_t o = { .partition = -1, .max_messages = -1, .timeout_ms = -1 };
    kn_tool_fmt_t fmt;
    long long count = 0;
    int rc;

    kn_tool_init(PROG);
    kn_tool_fmt_init(&fmt);
    rc = kn_cons_parse(&o, &fmt, argc, argv);
    if (rc >= 0) {
        goto out;
    }
    /* Without a group there is nothing to commit to: turn committing off
     * so librdkafka does not look for a coordinator. */
    const char *no_group[] = { "enable.auto.commit", "false", "enable.auto.offset.store", "false",
                               NULL };
    const char *with_group[] = { "group.id", o.group ? o.group : "",
                                 "auto.offset.reset", o.from_beginning ? "earliest" : "latest",
                                 NULL };
    const kn_tool_flag_conf_t flags[] = {
        { "isolation.level", o.isolation, "--isolation-level" },
    };
    rd_kafka_conf_t *conf = kn_tool_make_conf(PROG, &o.client, o.group ? with_group : no_group,
                                               flags, KN_ARRAY_LEN(flags));
    if (conf == NULL) {
        rc = KN_TOOL_EXIT_FAIL;
        goto out;
    }
    rd_kafka_t *rk = kn_tool_client_new(PROG, RD_KAFKA_CONSUMER, conf);
    if (rk == NULL) {
        rc = KN_TOOL_EXIT_FAIL;
        goto out;
    }

    kn_tool_catch_stop();

    if (o.group != NULL) {
        rc = kn_cons_run_group(rk, &o, &fmt, &count);
    } else {
        rc = kn_cons_run_partitions(rk, &o, &fmt, &count);
    }
    rd_kafka_destroy(rk);
    fflush(stdout);
    fprintf(stderr, "Processed a total of %lld messages\n", count);
out:
    kn_tool_fmt_free(&fmt);
    kn_tool_client_opts_free(&o.client);
    kn_tool_strv_free(&o.props);
    return rc;
}
