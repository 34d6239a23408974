/*
 * tools/kctl-perf-producer.c -- produce records as fast as allowed and
 * report throughput and latency; the flags and output of Kafka's
 * kafka-producer-perf-test.sh (ProducerPerformance).
 *
 * Each record's latency is the time from handing it to librdkafka to its
 * delivery report (the broker's acknowledgement at the configured acks).
 * The send time travels in the message's opaque pointer, so the hot loop
 * allocates nothing and the payload is one buffer referenced by every
 * record (no copy, as Kafka's tool reuses one byte array).
 *
 * Output, on stdout:
 *   every --reporting-interval ms (default 5000):
 *     N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency.
 *   at the end:
 *     N records sent, R records/sec (M MB/sec), A ms avg latency, X ms max latency,
 *     P ms 50th, P ms 95th, P ms 99th, P ms 99.9th.
 *   with --json, one more line: the same figures as a JSON object.
 * Exit status 0 when every record was acknowledged.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "tools/lib/tool.h"
#include "tools/perf/perf.h"

#define PROG "kctl-perf-producer"
#define KN_PP_MAX_SAMPLES 500000   /* Kafka's sample cap for percentiles */
#define KN_PP_MAX_ERRORS 5         /* delivery errors printed in full */

typedef struct {
    kn_tool_client_opts_t client;
    const char           *topic;
    long long             num_records;    /* -1 = not given */
    long long             record_size;    /* -1 = not given */
    const char           *payload_file;
    const char           *payload_delim;
    double                throughput;     /* records/s, <= 0 unlimited */
    bool                  throughput_set;
    long long             interval_ms;
    bool                  json;
} kn_pp_opts_t;

/* Run state, touched by the delivery report callback (which runs inside
 * rd_kafka_poll/flush on the main thread, so no locking). */
typedef struct {
    kn_perf_lat_t    lat;
    kn_perf_window_t win;
    uint64_t         acked;
    uint64_t         acked_bytes;
    uint64_t         failed;
    int64_t          interval_us;
} kn_pp_state_t;

static void kn_pp_usage(FILE *out)
{
    fputs("Usage: " PROG " --topic TOPIC --num-records N (--record-size N | --payload-file F)\n"
          "       [--throughput N] [--producer-props K=V ...] [--producer.config FILE]\n"
          "Write N records to a topic and report throughput and latency percentiles.\n"
          "\n"
          "  --topic TOPIC                 topic to write to (required)\n"
          "  --num-records N               records to produce (required)\n"
          "  --record-size N               bytes per record (random letters)\n"
          "  --payload-file FILE           records taken at random from FILE, split at\n"
          "                                --payload-delimiter (default: newline)\n"
          "  --throughput N                records/s to aim for; -1 = unlimited (default)\n"
          "  --producer-props K=V ...      client settings (one or more after the flag,\n"
          "                                repeatable), e.g. bootstrap.servers=H:P acks=1\n"
          "  --producer.config FILE        client settings file (Java properties)\n"
          "  --bootstrap-server HOST:PORT  same as --producer-props bootstrap.servers=...\n"
          "  --reporting-interval MS       progress line period (default 5000)\n"
          "  --json                        also print the final figures as a JSON line\n"
          "  --help                        print this help\n"
          "  --version                     print the version\n", out);
}

static const kn_tool_cli_t kn_pp_cli = { .prog = PROG, .usage = kn_pp_usage };

enum {
    OPT_TOPIC = 256, OPT_NUM, OPT_SIZE, OPT_PAYLOAD_FILE, OPT_PAYLOAD_DELIM, OPT_THROUGHPUT,
    OPT_PROPS, OPT_CONFIG, OPT_BOOTSTRAP, OPT_INTERVAL, OPT_JSON, OPT_HELP, OPT_VERSION
};

static const struct option kn_pp_longopts[] = {
    { "topic", required_argument, NULL, OPT_TOPIC },
    { "num-records", required_argument, NULL, OPT_NUM },
    { "record-size", required_argument, NULL, OPT_SIZE },
    { "payload-file", required_argument, NULL, OPT_PAYLOAD_FILE },
    { "payload-delimiter", required_argument, NULL, OPT_PAYLOAD_DELIM },
    { "throughput", required_argument, NULL, OPT_THROUGHPUT },
    { "producer-props", required_argument, NULL, OPT_PROPS },
    { "producer.config", required_argument, NULL, OPT_CONFIG },
    { "bootstrap-server", required_argument, NULL, OPT_BOOTSTRAP },
    { "reporting-interval", required_argument, NULL, OPT_INTERVAL },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 }
};

/* Returns -1 to go on, else the exit code. */
static int kn_pp_parse(kn_pp_opts_t *o, int argc, char **argv)
{
    int c, rc;

    o->num_records = -1;
    o->record_size = -1;
    o->throughput = -1;
    o->interval_ms = 5000;
    o->payload_delim = "\n";
    opterr = 0;
    /* "+": stop at the first non-option, so the values that follow
     * --producer-props are ours to take, not permuted away by getopt. */
    while ((c = getopt_long(argc, argv, "+:", kn_pp_longopts, NULL)) != -1) {
        rc = -1;
        switch (c) {
        case OPT_TOPIC: o->topic = optarg; break;
        case OPT_NUM:
            rc = kn_tool_num_flag(&kn_pp_cli, "--num-records",
                                  optarg, 1, INT64_MAX, &o->num_records);
            break;
        case OPT_SIZE:
            rc = kn_tool_num_flag(&kn_pp_cli,
                                  "--record-size", optarg, 0, 100 * 1024 * 1024, &o->record_size);
            break;
        case OPT_PAYLOAD_FILE: o->payload_file = optarg; break;
        case OPT_PAYLOAD_DELIM: o->payload_delim = optarg; break;
        case OPT_THROUGHPUT:
            if (kn_perf_parse_rate(optarg, &o->throughput) != KN_OK) {
                return kn_tool_misuse(&kn_pp_cli,
                                      "--throughput: expected a number, got '%s'", optarg);
            }
            o->throughput_set = true;
            break;
        case OPT_PROPS:
            kn_tool_strv_push(&o->client.props, optarg);
            while (optind < argc && argv[optind][0] != '-') {
                kn_tool_strv_push(&o->client.props, argv[optind++]);
            }
            break;
        case OPT_CONFIG: kn_tool_strv_push(&o->client.files, optarg); break;
        case OPT_BOOTSTRAP: o->client.bootstrap = optarg; break;
        case OPT_INTERVAL:
            rc = kn_tool_num_flag(&kn_pp_cli,
                                  "--reporting-interval", optarg, 1, 3600000, &o->interval_ms);
            break;
        case OPT_JSON: o->json = true; break;
        case OPT_HELP: return kn_tool_help(&kn_pp_cli);
        case OPT_VERSION: return kn_tool_version(&kn_pp_cli);
        default: return kn_tool_opt_error(&kn_pp_cli, c, argv);
        }
        if (rc >= 0) {
            return rc;
        }
    }
    if (optind < argc) {
        return kn_tool_misuse(&kn_pp_cli, "unexpected argument '%s'", argv[optind]);
    }
    if (o->topic == NULL) {
        return kn_tool_missing(&kn_pp_cli, "topic");
    }
    if (o->num_records < 0) {
        return kn_tool_missing(&kn_pp_cli, "num-records");
    }
    if ((o->record_size >= 0) == (o->payload_file != NULL)) {
        return kn_tool_misuse(&kn_pp_cli, "give exactly one of --record-size and --payload-file");
    }
    if (o->payload_delim[0] == '\0') {
        return kn_tool_misuse(&kn_pp_cli, "--payload-delimiter must not be empty");
    }
    return -1;
}

/* Payloads: one buffer of random letters (--record-size), or the pieces
 * of --payload-file. Every record points into this, nothing is copied. */
typedef struct {
    char   *data;
    size_t *off;     /* piece i is data[off[i] .. off[i] + len[i]) */
    size_t *len;
    size_t  n;
} kn_pp_payloads_t;

static int kn_pp_payloads_load(kn_pp_payloads_t *p, const kn_pp_opts_t *o)
{
    memset(p, 0, sizeof(*p));
    if (o->payload_file == NULL) {
        size_t sz = (size_t)o->record_size;
        p->data = kn_malloc(sz > 0 ? sz : 1);
        kn_perf_payload_fill((unsigned char *)p->data, sz, (uint64_t)kn_perf_now_us());
        p->off = kn_calloc(1, sizeof(*p->off));
        p->len = kn_calloc(1, sizeof(*p->len));
        p->len[0] = sz;
        p->n = 1;
        return KN_OK;
    }
    FILE *f = fopen(o->payload_file, "rb");
    if (f == NULL) {
        kn_tool_err(PROG, "%s: %s", o->payload_file, strerror(errno));
        return KN_ERROR;
    }
    size_t cap = 0, used = 0, nread;
    char chunk[65536];
    while ((nread = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (used + nread + 1 > cap) {
            cap = (used + nread + 1) * 2;
            p->data = kn_realloc(p->data, cap);
        }
        memcpy(p->data + used, chunk, nread);
        used += nread;
    }
    int ferr = ferror(f);
    fclose(f);
    if (ferr) {
        kn_tool_err(PROG, "%s: read error", o->payload_file);
        return KN_ERROR;
    }
    size_t dl = strlen(o->payload_delim), start = 0, pcap = 0;
    for (size_t i = 0; i <= used; i++) {
        bool end = i == used || (i + dl <= used && memcmp(p->data + i, o->payload_delim, dl) == 0);
        if (!end) {
            continue;
        }
        if (i > start) {   /* Kafka skips empty pieces */
            if (p->n == pcap) {
                pcap = pcap ? pcap * 2 : 64;
                p->off = kn_realloc(p->off, pcap * sizeof(*p->off));
                p->len = kn_realloc(p->len, pcap * sizeof(*p->len));
            }
            p->off[p->n] = start;
            p->len[p->n] = i - start;
            p->n++;
        }
        start = i + dl;
        i = start - 1;
    }
    if (p->n == 0) {
        kn_tool_err(PROG, "%s: no payloads in file", o->payload_file);
        return KN_ERROR;
    }
    return KN_OK;
}

static void kn_pp_payloads_free(kn_pp_payloads_t *p)
{
    free(p->data);
    free(p->off);
    free(p->len);
}

static void kn_pp_print_window(kn_pp_state_t *st, int64_t now)
{
    int64_t el = now - st->win.start_us;
    printf("%llu records sent, %.1f records/sec (%.2f MB/sec), %.1f ms avg latency, "
           "%.1f ms max latency.\n", (unsigned long long)st->win.count,
           kn_perf_rate(st->win.count, el), kn_perf_mb_rate(st->win.bytes, el),
           st->win.count ? st->win.lat_sum_us / (double)st->win.count / 1000.0 : 0.0,
           (double)st->win.lat_max_us / 1000.0);
    fflush(stdout);
    kn_perf_window_reset(&st->win, now);
}

static void kn_pp_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    kn_pp_state_t *st = opaque;
    int64_t now = kn_perf_now_us();

    KN_UNUSED(rk);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (st->failed++ < KN_PP_MAX_ERRORS) {
            kn_tool_err(PROG, "record not written to %s [%d]: %s",
                        rd_kafka_topic_name(m->rkt), (int)m->partition, rd_kafka_err2str(m->err));
        }
        return;
    }
    int64_t lat = now - (int64_t)(intptr_t)m->_private;
    st->acked++;
    st->acked_bytes += m->len;
    kn_perf_lat_add(&st->lat, lat);
    kn_perf_window_add(&st->win, m->len, lat);
    if (now - st->win.start_us >= st->interval_us) {
        kn_pp_print_window(st, now);
    }
}

/* Send every record; returns KN_ERROR if librdkafka refused one outright. */
static int kn_pp_send_all(rd_kafka_t *rk, rd_kafka_topic_t *rkt, const kn_pp_opts_t *o,
                          const kn_pp_payloads_t *pl)
{
    kn_perf_throttle_t th;
    uint64_t rnd = 0x2545f4914f6cdd1dULL;

    kn_perf_throttle_init(&th, o->throughput, kn_perf_now_us());
    for (uint64_t i = 0; i < (uint64_t)o->num_records && !kn_tool_stop; i++) {
        int64_t wait = kn_perf_throttle_sleep_us(&th, i, kn_perf_now_us());
        while (wait > 0 && !kn_tool_stop) {
            /* Serve delivery reports while waiting: they carry latencies. */
            rd_kafka_poll(rk, (int)(wait / 1000));
            if (wait < 1000) {
                kn_perf_sleep_us(wait);
            }
            wait = kn_perf_throttle_sleep_us(&th, i, kn_perf_now_us());
        }
        size_t k = 0;
        if (pl->n > 1) {
            rnd ^= rnd << 13;
            rnd ^= rnd >> 7;
            rnd ^= rnd << 17;
            k = (size_t)(rnd % pl->n);
        }
        int64_t sent_at = kn_perf_now_us();
        for (;;) {
            /* No RD_KAFKA_MSG_F_COPY: librdkafka references the payload. */
            if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, 0, pl->data + pl->off[k], pl->len[k],
                                 NULL, 0, (void *)(intptr_t)sent_at) == 0) {
                break;
            }
            rd_kafka_resp_err_t err = rd_kafka_last_error();
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                kn_tool_err(PROG, "cannot send record: %s", rd_kafka_err2str(err));
                return KN_ERROR;
            }
            /* The local queue is full: wait for acknowledgements. */
            rd_kafka_poll(rk, 1);
            if (kn_tool_stop) {
                return KN_OK;
            }
        }
        rd_kafka_poll(rk, 0);
    }
    return KN_OK;
}

static void kn_pp_report(kn_pp_state_t *st, const kn_pp_opts_t *o, int64_t elapsed)
{
    kn_perf_lat_t *l = &st->lat;
    double avg = kn_perf_lat_avg_us(l) / 1000.0, max = (double)l->max_us / 1000.0;
    double p50 = (double)kn_perf_lat_quantile_us(l, 0.5) / 1000.0;
    double p95 = (double)kn_perf_lat_quantile_us(l, 0.95) / 1000.0;
    double p99 = (double)kn_perf_lat_quantile_us(l, 0.99) / 1000.0;
    double p999 = (double)kn_perf_lat_quantile_us(l, 0.999) / 1000.0;
    double rps = kn_perf_rate(st->acked, elapsed), mbps = kn_perf_mb_rate(st->acked_bytes, elapsed);

    printf("%llu records sent, %.1f records/sec (%.2f MB/sec), %.2f ms avg latency, "
           "%.2f ms max latency, %.2f ms 50th, %.2f ms 95th, %.2f ms 99th, %.2f ms 99.9th.\n",
           (unsigned long long)st->acked, rps, mbps, avg, max, p50, p95, p99, p999);
    if (o->json) {
        printf("{\"tool\":\"%s\",\"topic\":\"%s\",\"records\":%llu,\"failed\":%llu,"
               "\"bytes\":%llu,\"elapsed_s\":%.6f,\"records_per_sec\":%.1f,"
               "\"mb_per_sec\":%.3f,\"latency_ms\":{\"avg\":%.3f,\"p50\":%.3f,\"p95\":%.3f,"
               "\"p99\":%.3f,\"p99_9\":%.3f,\"max\":%.3f}}\n",
               PROG, o->topic, (unsigned long long)st->acked, (unsigned long long)st->failed,
               (unsigned long long)st->acked_bytes, (double)elapsed / 1e6, rps, mbps, avg, p50,
               p95, p99, p999, max);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    kn_pp_opts_t o = { 0 };
    kn_pp_state_t st = { 0 };
    kn_pp_payloads_t pl = { 0 };
    char err[512];
    int rc;

    kn_tool_init(PROG);
    rc = kn_pp_parse(&o, argc, argv);
    if (rc >= 0) {
        goto out;
    }
    rc = KN_TOOL_EXIT_FAIL;
    if (kn_pp_payloads_load(&pl, &o) != KN_OK) {
        goto out;
    }
    rd_kafka_conf_t *conf = kn_tool_make_conf(PROG, &o.client, NULL, NULL, 0);
    if (conf == NULL) {
        goto out;
    }
    size_t blen = sizeof(err);
    if (rd_kafka_conf_get(conf, "bootstrap.servers", err, &blen) != RD_KAFKA_CONF_OK ||
        err[0] == '\0') {
        rd_kafka_conf_destroy(conf);
        kn_tool_misuse(&kn_pp_cli, "no bootstrap.servers: give --bootstrap-server or "
                       "--producer-props bootstrap.servers=HOST:PORT");
        goto out;
    }
    kn_perf_lat_init(&st.lat, (uint64_t)o.num_records, KN_PP_MAX_SAMPLES);
    st.interval_us = o.interval_ms * 1000;
    rd_kafka_conf_set_opaque(conf, &st);
    rd_kafka_conf_set_dr_msg_cb(conf, kn_pp_on_delivery);
    rd_kafka_t *rk = kn_tool_client_new(PROG, RD_KAFKA_PRODUCER, conf);
    if (rk == NULL) {
        goto out_lat;
    }
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o.topic, NULL);

    kn_tool_catch_stop();

    int64_t start = kn_perf_now_us();
    kn_perf_window_reset(&st.win, start);
    int send_rc = kn_pp_send_all(rk, rkt, &o, &pl);
    /* Every queued record ends delivered or failed within
     * message.timeout.ms, so this loop ends. After a signal, records not
     * yet sent are dropped (purged) rather than waited for; those in
     * flight still get their acknowledgement. */
    while (rd_kafka_outq_len(rk) > 0) {
        rd_kafka_flush(rk, 100);
        if (kn_tool_stop) {
            rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE);
        }
    }
    int64_t elapsed = kn_perf_now_us() - start;
    kn_pp_report(&st, &o, elapsed);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    if (st.failed > 0) {
        kn_tool_err(PROG, "%llu of %llu records were not written",
                    (unsigned long long)st.failed,
                    (unsigned long long)(st.failed + st.acked));
    }
    rc = (send_rc == KN_OK && st.failed == 0 && !kn_tool_stop) ? KN_TOOL_EXIT_OK
                                                              : KN_TOOL_EXIT_FAIL;
out_lat:
    kn_perf_lat_free(&st.lat);
out:
    kn_pp_payloads_free(&pl);
    kn_tool_client_opts_free(&o.client);
    return rc;
}
