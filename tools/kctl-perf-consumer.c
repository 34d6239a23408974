/*
 * tools/kctl-perf-consumer.c -- read records as fast as the cluster gives
 * them and report MB/s and records/s; the flags and output of Kafka's
 * kafka-consumer-perf-test.sh (ConsumerPerformance).
 *
 * Two ways to read, as kctl-console-consumer:
 *  - without --group: librdkafka's partition consumer on every partition
 *    of the topic from the start (the end with --from-latest). No group
 *    coordinator is involved, so rebalance.time.ms is 0.
 *  - with --group: the high-level consumer (subscribe); rebalance.time.ms
 *    is the time from subscribe to the first assignment.
 * Records are taken in batches (rd_kafka_consume_batch_queue), so the
 * tool costs little per record and the figure is the cluster's.
 *
 * Output, on stdout (Kafka's columns; MB = 1024 * 1024 bytes of key + value):
 *   start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg,
 *   nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec
 * and with --json one more line with the same figures as a JSON object.
 * Exit status 0 once --messages records were read; 1 when --timeout ms
 * passed without a record before that (Kafka only warns; a script
 * deserves to know).
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "tools/lib/tool.h"
#include "tools/perf/perf.h"

#define PROG "kctl-perf-consumer"
#define KN_PC_BATCH 1024           /* records taken from librdkafka at once */
#define KN_PC_METADATA_MS 30000

typedef struct {
    kn_tool_client_opts_t client;
    const char           *topic;
    const char           *group;
    long long             messages;
    long long             timeout_ms;
    long long             interval_ms;
    bool                  from_latest;
    bool                  detailed;
    bool                  hide_header;
    bool                  json;
} kn_pc_opts_t;

typedef struct {
    uint64_t count;
    uint64_t bytes;
    int64_t  start_us;         /* monotonic, before subscribe/start */
    int64_t  assigned_us;      /* first assignment (group) or start */
    int64_t  last_us;          /* last record received */
    int64_t  start_wall_ms;
} kn_pc_state_t;

static void kn_pc_usage(FILE *out)
{
    fputs("Usage: " PROG " --bootstrap-server HOST:PORT --topic TOPIC --messages N [OPTIONS]\n"
          "Read N records from a topic and report MB/s and records/s.\n"
          "\n"
          "  --bootstrap-server HOST:PORT   broker(s) to connect to (required)\n"
          "  --topic TOPIC                  topic to read (required)\n"
          "  --messages N                   records to read (required)\n"
          "  --group GROUP                  read as a member of GROUP (subscribe);\n"
          "                                 default: no group, every partition assigned\n"
          "  --timeout MS                   give up after MS without a record (10000)\n"
          "  --from-latest                  start at the end of the log, not the start\n"
          "  --consumer.config FILE         client settings file (Java properties)\n"
          "  --consumer-props K=V ...       client settings (one or more, repeatable)\n"
          "  --reporting-interval MS        period of --show-detailed-stats (5000)\n"
          "  --show-detailed-stats          one line per reporting interval\n"
          "  --hide-header                  no column header line\n"
          "  --json                         also print the figures as a JSON line\n"
          "  --help                         print this help\n"
          "  --version                      print the version\n", out);
}

static const kn_tool_cli_t kn_pc_cli = { .prog = PROG, .usage = kn_pc_usage };

enum {
    OPT_BOOTSTRAP = 256, OPT_TOPIC, OPT_MESSAGES, OPT_GROUP, OPT_TIMEOUT, OPT_FROM_LATEST,
    OPT_CONFIG, OPT_PROPS, OPT_INTERVAL, OPT_DETAILED, OPT_HIDE_HEADER, OPT_JSON, OPT_HELP,
    OPT_VERSION
};

static const struct option kn_pc_longopts[] = {
    { "bootstrap-server", required_argument, NULL, OPT_BOOTSTRAP },
    { "broker-list", required_argument, NULL, OPT_BOOTSTRAP },
    { "topic", required_argument, NULL, OPT_TOPIC },
    { "messages", required_argument, NULL, OPT_MESSAGES },
    { "group", required_argument, NULL, OPT_GROUP },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "from-latest", no_argument, NULL, OPT_FROM_LATEST },
    { "consumer.config", required_argument, NULL, OPT_CONFIG },
    { "consumer-props", required_argument, NULL, OPT_PROPS },
    { "reporting-interval", required_argument, NULL, OPT_INTERVAL },
    { "show-detailed-stats", no_argument, NULL, OPT_DETAILED },
    { "hide-header", no_argument, NULL, OPT_HIDE_HEADER },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 }
};

/* Returns -1 to go on, else the exit code. */
static int kn_pc_parse(kn_pc_opts_t *o, int argc, char **argv)
{
    int c, rc;

    o->messages = -1;
    o->timeout_ms = 10000;
    o->interval_ms = 5000;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:", kn_pc_longopts, NULL)) != -1) {
        rc = -1;
        switch (c) {
        case OPT_BOOTSTRAP: o->client.bootstrap = optarg; break;
        case OPT_TOPIC: o->topic = optarg; break;
        case OPT_MESSAGES:
            rc = kn_tool_num_flag(&kn_pc_cli, "--messages", optarg, 1, INT64_MAX, &o->messages);
            break;
        case OPT_GROUP: o->group = optarg; break;
        case OPT_TIMEOUT:
            rc = kn_tool_num_flag(&kn_pc_cli, "--timeout", optarg, 1, INT32_MAX, &o->timeout_ms);
            break;
        case OPT_FROM_LATEST: o->from_latest = true; break;
        case OPT_CONFIG: kn_tool_strv_push(&o->client.files, optarg); break;
        case OPT_PROPS:
            kn_tool_strv_push(&o->client.props, optarg);
            while (optind < argc && argv[optind][0] != '-') {
                kn_tool_strv_push(&o->client.props, argv[optind++]);
            }
            break;
        case OPT_INTERVAL:
            rc = kn_tool_num_flag(&kn_pc_cli,
                                  "--reporting-interval", optarg, 1, 3600000, &o->interval_ms);
            break;
        case OPT_DETAILED: o->detailed = true; break;
        case OPT_HIDE_HEADER: o->hide_header = true; break;
        case OPT_JSON: o->json = true; break;
        case OPT_HELP: return kn_tool_help(&kn_pc_cli);
        case OPT_VERSION: return kn_tool_version(&kn_pc_cli);
        default: return kn_tool_opt_error(&kn_pc_cli, c, argv);
        }
        if (rc >= 0) {
            return rc;
        }
    }
    if (optind < argc) {
        return kn_tool_misuse(&kn_pc_cli, "unexpected argument '%s'", argv[optind]);
    }
    if (o->client.bootstrap == NULL) {
        return kn_tool_missing(&kn_pc_cli, "bootstrap-server");
    }
    if (o->topic == NULL) {
        return kn_tool_missing(&kn_pc_cli, "topic");
    }
    if (o->messages < 0) {
        return kn_tool_missing(&kn_pc_cli, "messages");
    }
    return -1;
}

/* Kafka's date format, yyyy-MM-dd HH:mm:ss:SSS, local time. */
static void kn_pc_fmt_time(int64_t wall_ms, char *buf, size_t len)
{
    time_t s = (time_t)(wall_ms / 1000);
    struct tm tm;
    char base[32];

    localtime_r(&s, &tm);
    strftime(base, sizeof(base), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf, len, "%s:%03d", base, (int)(wall_ms % 1000));
}

static const char kn_pc_header[] =
    "start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
    "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec";

static void kn_pc_report(const kn_pc_state_t *st, const kn_pc_opts_t *o)
{
    int64_t end_us = st->last_us > st->start_us ? st->last_us : st->start_us;
    int64_t elapsed = end_us - st->start_us;
    int64_t rebalance = st->assigned_us > st->start_us ? st->assigned_us - st->start_us : 0;
    int64_t fetch = elapsed - rebalance;
    double mb = (double)st->bytes / (1024.0 * 1024.0);
    char t0[64], t1[64];

    kn_pc_fmt_time(st->start_wall_ms, t0, sizeof(t0));
    kn_pc_fmt_time(st->start_wall_ms + elapsed / 1000, t1, sizeof(t1));
    if (!o->hide_header && !o->detailed) {
        printf("%s\n", kn_pc_header);
    }
    if (!o->detailed) {
        printf("%s, %s, %.4f, %.4f, %llu, %.4f, %lld, %lld, %.4f, %.4f\n", t0, t1, mb,
               kn_perf_mb_rate(st->bytes, elapsed), (unsigned long long)st->count,
               kn_perf_rate(st->count, elapsed), (long long)(rebalance / 1000),
               (long long)(fetch / 1000), kn_perf_mb_rate(st->bytes, fetch),
               kn_perf_rate(st->count, fetch));
    }
    if (o->json) {
        printf("{\"tool\":\"%s\",\"topic\":\"%s\",\"records\":%llu,\"bytes\":%llu,"
               "\"elapsed_s\":%.6f,\"rebalance_s\":%.6f,\"fetch_s\":%.6f,"
               "\"records_per_sec\":%.1f,\"mb_per_sec\":%.3f,\"fetch_records_per_sec\":%.1f,"
               "\"fetch_mb_per_sec\":%.3f}\n", PROG, o->topic, (unsigned long long)st->count,
               (unsigned long long)st->bytes, (double)elapsed / 1e6, (double)rebalance / 1e6,
               (double)fetch / 1e6, kn_perf_rate(st->count, elapsed),
               kn_perf_mb_rate(st->bytes, elapsed), kn_perf_rate(st->count, fetch),
               kn_perf_mb_rate(st->bytes, fetch));
    }
    fflush(stdout);
}

/* One --show-detailed-stats line: the window since the previous one. */
static void kn_pc_detail(const kn_pc_state_t *st, uint64_t *prev_count, uint64_t *prev_bytes,
                         int64_t *prev_us, int64_t now)
{
    int64_t el = now - *prev_us;
    char t[64];

    kn_pc_fmt_time(st->start_wall_ms + (now - st->start_us) / 1000, t, sizeof(t));
    printf("%s, 0, %.4f, %.4f, %llu, %.4f, %lld, %lld, %.4f, %.4f\n", t,
           (double)st->bytes / (1024.0 * 1024.0), kn_perf_mb_rate(st->bytes - *prev_bytes, el),
           (unsigned long long)st->count, kn_perf_rate(st->count - *prev_count, el),
           (long long)(st->assigned_us > st->start_us ? (st->assigned_us - st->start_us) / 1000
                                                      : 0),
           (long long)(el / 1000), kn_perf_mb_rate(st->bytes - *prev_bytes, el),
           kn_perf_rate(st->count - *prev_count, el));
    fflush(stdout);
    *prev_count = st->count;
    *prev_bytes = st->bytes;
    *prev_us = now;
}

static void kn_pc_on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                               rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    kn_pc_state_t *st = opaque;

    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        if (st->assigned_us == 0) {
            st->assigned_us = kn_perf_now_us();
        }
        rd_kafka_assign(rk, parts);
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

/* Read until --messages records, --timeout idle ms or a signal. */
static int kn_pc_loop(rd_kafka_queue_t *q, kn_pc_state_t *st, const kn_pc_opts_t *o)
{
    rd_kafka_message_t *batch[KN_PC_BATCH];
    int64_t idle_since = kn_perf_now_us(), prev_us = idle_since;
    uint64_t prev_count = 0, prev_bytes = 0;
    uint64_t want = (uint64_t)o->messages;

    if (o->detailed && !o->hide_header) {
        printf("time, threadId, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, "
               "rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n");
    }
    while (st->count < want && !kn_tool_stop) {
        /* Block for one record, then take what else is queued without
         * waiting: consume_batch_queue alone would wait for a full batch
         * (or the timeout), which skews the end time of the run. */
        ssize_t n = 0;
        batch[0] = rd_kafka_consume_queue(q, 100);
        if (batch[0] != NULL) {
            n = rd_kafka_consume_batch_queue(q, 0, batch + 1, KN_PC_BATCH - 1);
            n = n < 0 ? 1 : n + 1;
        }
        int64_t now = kn_perf_now_us();
        for (ssize_t i = 0; i < n; i++) {
            rd_kafka_message_t *m = batch[i];
            if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && st->count < want) {
                st->count++;
                st->bytes += m->len + m->key_len;
                st->last_us = now;
                idle_since = now;
            } else if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR &&
                       m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                kn_tool_err(PROG, "consume error: %s", rd_kafka_message_errstr(m));
            }
            rd_kafka_message_destroy(m);
        }
        if (o->detailed && now - prev_us >= o->interval_ms * 1000) {
            kn_pc_detail(st, &prev_count, &prev_bytes, &prev_us, now);
        }
        if (now - idle_since > o->timeout_ms * 1000) {
            fprintf(stderr, "WARNING: Exiting before consuming the expected number of messages: "
                    "timeout (%lld ms) exceeded. You can use the --timeout option to increase "
                    "the timeout.\n", o->timeout_ms);
            return KN_ERROR;
        }
    }
    return st->count >= want ? KN_OK : KN_ERROR;
}

/* The no-group way: every partition of the topic, one queue. */
static int kn_pc_run_simple(rd_kafka_t *rk, kn_pc_state_t *st, const kn_pc_opts_t *o)
{
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    const struct rd_kafka_metadata *md = NULL;
    int rc = KN_ERROR, started = 0, nparts = 0;
    int32_t *parts = NULL;

    rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, KN_PC_METADATA_MS);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR || md->topic_cnt != 1 || md->topics[0].err) {
        kn_tool_err(PROG, "no metadata for topic %s: %s", o->topic,
                    rd_kafka_err2str(err ? err : md->topic_cnt == 1 ? md->topics[0].err
                                                                    : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC));
        goto out;
    }
    nparts = md->topics[0].partition_cnt;
    parts = kn_calloc((size_t)(nparts > 0 ? nparts : 1), sizeof(*parts));
    for (int i = 0; i < nparts; i++) {
        parts[i] = md->topics[0].partitions[i].id;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    int64_t offset = o->from_latest ? RD_KAFKA_OFFSET_END : RD_KAFKA_OFFSET_BEGINNING;
    for (; started < nparts; started++) {
        if (rd_kafka_consume_start_queue(rkt, parts[started], offset, q) != 0) {
            kn_tool_err(PROG, "cannot read %s [%d]: %s", o->topic, (int)parts[started],
                        rd_kafka_err2str(rd_kafka_last_error()));
            break;
        }
    }
    if (started == nparts) {
        st->assigned_us = st->start_us;
        rc = kn_pc_loop(q, st, o);
    }
    for (int i = 0; i < started; i++) {
        rd_kafka_consume_stop(rkt, parts[i]);
    }
    rd_kafka_queue_destroy(q);
out:
    if (md != NULL) {
        rd_kafka_metadata_destroy(md);
    }
    free(parts);
    rd_kafka_topic_destroy(rkt);
    return rc;
}

/* The group way: subscribe, first assignment ends the rebalance time. */
static int kn_pc_run_group(rd_kafka_t *rk, kn_pc_state_t *st, const kn_pc_opts_t *o)
{
    rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, o->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        kn_tool_err(PROG, "cannot subscribe to %s: %s", o->topic, rd_kafka_err2str(err));
        return KN_ERROR;
    }
    rd_kafka_queue_t *q = rd_kafka_queue_get_consumer(rk);
    int rc = kn_pc_loop(q, st, o);
    rd_kafka_queue_destroy(q);
    rd_kafka_consumer_close(rk);
    return rc;
}

int main(int argc, char **argv)
{
    kn_pc_opts_t o = { 0 };
    kn_pc_state_t st = { 0 };
    int rc;

    kn_tool_init(PROG);
    rc = kn_pc_parse(&o, argc, argv);
    if (rc >= 0) {
        goto out;
    }
    rc = KN_TOOL_EXIT_FAIL;
    /* Kafka's tool reads from the earliest offset unless --from-latest. */
    const char *defaults[] = {
        "auto.offset.reset", o.from_latest ? "latest" : "earliest",
        "enable.partition.eof", "false", NULL
    };
    const kn_tool_flag_conf_t flags[] = { { "group.id", o.group, "--group" } };
    rd_kafka_conf_t *conf = kn_tool_make_conf(PROG, &o.client, defaults, flags,
                                               KN_ARRAY_LEN(flags));
    if (conf == NULL) {
        goto out;
    }
    rd_kafka_conf_set_opaque(conf, &st);
    if (o.group != NULL) {
        rd_kafka_conf_set_rebalance_cb(conf, kn_pc_on_rebalance);
    }
    rd_kafka_t *rk = kn_tool_client_new(PROG, RD_KAFKA_CONSUMER, conf);
    if (rk == NULL) {
        goto out;
    }
    kn_tool_catch_stop();

    st.start_wall_ms = kn_now_ms();
    st.start_us = kn_perf_now_us();
    int run_rc = o.group ? kn_pc_run_group(rk, &st, &o) : kn_pc_run_simple(rk, &st, &o);
    if (run_rc == KN_OK || st.count > 0) {   /* nothing to report if reading never began */
        kn_pc_report(&st, &o);
    }
    rd_kafka_destroy(rk);
    rc = run_rc == KN_OK ? KN_TOOL_EXIT_OK : KN_TOOL_EXIT_FAIL;
out:
    kn_tool_client_opts_free(&o.client);
    return rc;
}
