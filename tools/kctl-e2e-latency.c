/*
 * tools/kctl-e2e-latency.c -- end-to-end latency: from handing a record to
 * the producer to receiving it in a consumer, through the broker.
 *
 * Two modes:
 *  - ping-pong (no --throughput), Kafka's EndToEndLatency: produce one
 *    record, wait until the consumer has it, repeat. Measures the latency
 *    of an idle cluster, one record in flight.
 *  - rate (--throughput R): a producer sends R records/s while a consumer
 *    thread receives them; each record carries its send time, so the
 *    latency of every record is measured under load.
 * The consumer reads every partition of the topic without a group, from
 * the high watermarks queried before the first send, so no record is
 * missed whatever the timing of the consumer's first fetch.
 *
 * Each record's value starts with its send time (monotonic microseconds;
 * producer and consumer share this process, hence this clock), its
 * sequence number and a run id, so records of another run are ignored.
 *
 * Output (stdout): "i<TAB>latency ms" every 1000 records in ping-pong mode
 * as Kafka's tool prints, then
 *   Avg latency: A ms
 *   Percentiles: 50th = P, 95th = P, 99th = P, 99.9th = P, max = M (ms)
 * and with --json one JSON line of the same figures.
 */
#include "config.h"

#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/lib/tool.h"
#include "tools/perf/perf.h"

#define PROG "kctl-e2e-latency"
#define KN_E2E_HDR 20                  /* send time, sequence, run id */
#define KN_E2E_METADATA_MS 30000
#define KN_E2E_MAX_SAMPLES 1000000

typedef struct {
    kn_tool_client_opts_t prod;       /* bootstrap, --command-config, --producer-props */
    kn_tool_client_opts_t cons;       /* same bootstrap and files, --consumer-props */
    const char           *topic;
    const char           *acks;
    long long             num_records;
    long long             record_size;
    long long             warmup;
    long long             timeout_ms;
    double                throughput;  /* > 0: rate mode */
    bool                  json;
} kn_e2e_opts_t;

/* The consumer side: one queue over every partition of the topic. */
typedef struct {
    rd_kafka_t       *rk;
    rd_kafka_topic_t *rkt;
    rd_kafka_queue_t *q;
    int32_t          *parts;
    int               nparts;
    int               started;
} kn_e2e_cons_t;

/* What the consumer thread of the rate mode shares with main. */
typedef struct {
    kn_e2e_cons_t     *cons;
    const kn_e2e_opts_t *o;
    uint32_t           run_id;
    kn_perf_lat_t      lat;
    uint64_t           received;
    int64_t            first_us, last_us;
    int                rc;
} kn_e2e_rate_t;

static void kn_e2e_usage(FILE *out)
{
    fputs("Usage: " PROG " --bootstrap-server HOST:PORT --topic TOPIC --num-records N\n"
          "       [--record-size N] [--acks A] [--throughput R] [OPTIONS]\n"
          "Measure the time from producing a record to consuming it.\n"
          "\n"
          "  --bootstrap-server HOST:PORT  broker(s) to connect to (required)\n"
          "  --topic TOPIC                 topic to use (required; it must exist)\n"
          "  --num-records N               records to measure (required)\n"
          "  --record-size N               bytes per record, at least 20 (default 100)\n"
          "  --acks A                      producer acks: 1 (default), all, -1 or 0\n"
          "  --throughput R                rate mode: send R records/s while consuming;\n"
          "                                without it, one record at a time (ping-pong)\n"
          "  --warmup-records N            records sent first and not measured (0)\n"
          "  --timeout MS                  give up after MS without the awaited record\n"
          "                                (default 30000)\n"
          "  --command-config FILE         client settings for both clients\n"
          "  --producer-props K=V ...      producer settings (repeatable)\n"
          "  --consumer-props K=V ...      consumer settings (repeatable)\n"
          "  --json                        also print the figures as a JSON line\n"
          "  --help                        print this help\n"
          "  --version                     print the version\n", out);
}

static const kn_tool_cli_t kn_e2e_cli = { .prog = PROG, .usage = kn_e2e_usage };

enum {
    OPT_BOOTSTRAP = 256, OPT_TOPIC, OPT_NUM, OPT_SIZE, OPT_ACKS, OPT_THROUGHPUT, OPT_WARMUP,
    OPT_TIMEOUT, OPT_CONFIG, OPT_PPROPS, OPT_CPROPS, OPT_JSON, OPT_HELP, OPT_VERSION
};

static const struct option kn_e2e_longopts[] = {
    { "bootstrap-server", required_argument, NULL, OPT_BOOTSTRAP },
    { "topic", required_argument, NULL, OPT_TOPIC },
    { "num-records", required_argument, NULL, OPT_NUM },
    { "record-size", required_argument, NULL, OPT_SIZE },
    { "acks", required_argument, NULL, OPT_ACKS },
    { "throughput", required_argument, NULL, OPT_THROUGHPUT },
    { "warmup-records", required_argument, NULL, OPT_WARMUP },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "command-config", required_argument, NULL, OPT_CONFIG },
    { "producer-props", required_argument, NULL, OPT_PPROPS },
    { "consumer-props", required_argument, NULL, OPT_CPROPS },
    { "json", no_argument, NULL, OPT_JSON },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 }
};

/* Take "K=V" values after a props flag, up to the next flag. */
static void kn_e2e_take_props(kn_tool_strv_t *v, int argc, char **argv)
{
    kn_tool_strv_push(v, optarg);
    while (optind < argc && argv[optind][0] != '-') {
        kn_tool_strv_push(v, argv[optind++]);
    }
}

/* Returns -1 to go on, else the exit code. */
static int kn_e2e_parse(kn_e2e_opts_t *o, int argc, char **argv)
{
    int c, rc;

    o->num_records = -1;
    o->record_size = 100;
    o->timeout_ms = 30000;
    o->acks = "1";
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:", kn_e2e_longopts, NULL)) != -1) {
        rc = -1;
        switch (c) {
        case OPT_BOOTSTRAP: o->prod.bootstrap = o->cons.bootstrap = optarg; break;
        case OPT_TOPIC: o->topic = optarg; break;
        case OPT_NUM:
            rc = kn_tool_num_flag(&kn_e2e_cli, "--num-records",
                                  optarg, 1, INT32_MAX, &o->num_records);
            break;
        case OPT_SIZE:
            rc = kn_tool_num_flag(&kn_e2e_cli,
                                  "--record-size", optarg, KN_E2E_HDR, 100 * 1024 * 1024,
                                  &o->record_size);
            break;
        case OPT_ACKS:
            if (strcmp(optarg, "all") && strcmp(optarg, "-1") && strcmp(optarg, "0") &&
                strcmp(optarg, "1")) {
                return kn_tool_misuse(&kn_e2e_cli,
                                      "--acks: expected all, -1, 0 or 1, got '%s'", optarg);
            }
            o->acks = optarg;
            break;
        case OPT_THROUGHPUT:
            if (kn_perf_parse_rate(optarg, &o->throughput) != KN_OK || o->throughput <= 0) {
                return kn_tool_misuse(&kn_e2e_cli,
                                      "--throughput: expected a positive number, got '%s'", optarg);
            }
            break;
        case OPT_WARMUP:
            rc = kn_tool_num_flag(&kn_e2e_cli, "--warmup-records",
                                  optarg, 0, INT32_MAX, &o->warmup);
            break;
        case OPT_TIMEOUT:
            rc = kn_tool_num_flag(&kn_e2e_cli, "--timeout", optarg, 1, INT32_MAX, &o->timeout_ms);
            break;
        case OPT_CONFIG:
            kn_tool_strv_push(&o->prod.files, optarg);
            kn_tool_strv_push(&o->cons.files, optarg);
            break;
        case OPT_PPROPS: kn_e2e_take_props(&o->prod.props, argc, argv); break;
        case OPT_CPROPS: kn_e2e_take_props(&o->cons.props, argc, argv); break;
        case OPT_JSON: o->json = true; break;
        case OPT_HELP: return kn_tool_help(&kn_e2e_cli);
        case OPT_VERSION: return kn_tool_version(&kn_e2e_cli);
        default: return kn_tool_opt_error(&kn_e2e_cli, c, argv);
        }
        if (rc >= 0) {
            return rc;
        }
    }
    if (optind < argc) {
        return kn_tool_misuse(&kn_e2e_cli, "unexpected argument '%s'", argv[optind]);
    }
    if (o->prod.bootstrap == NULL) {
        return kn_tool_missing(&kn_e2e_cli, "bootstrap-server");
    }
    if (o->topic == NULL) {
        return kn_tool_missing(&kn_e2e_cli, "topic");
    }
    if (o->num_records < 0) {
        return kn_tool_missing(&kn_e2e_cli, "num-records");
    }
    return -1;
}

/* Record header: send time, sequence, run id (host byte order: the same
 * process writes and reads it). */
static void kn_e2e_stamp(unsigned char *buf, int64_t sent_us, uint64_t seq, uint32_t run)
{
    memcpy(buf, &sent_us, 8);
    memcpy(buf + 8, &seq, 8);
    memcpy(buf + 16, &run, 4);
}

static bool kn_e2e_read(const rd_kafka_message_t *m, uint32_t run, int64_t *sent_us,
                        uint64_t *seq)
{
    uint32_t r;

    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR || m->payload == NULL || m->len < KN_E2E_HDR) {
        return false;
    }
    memcpy(&r, (const unsigned char *)m->payload + 16, 4);
    if (r != run) {
        return false;
    }
    memcpy(sent_us, m->payload, 8);
    memcpy(seq, (const unsigned char *)m->payload + 8, 8);
    return true;
}

/* Start consuming every partition from its current high watermark. */
static int kn_e2e_cons_start(kn_e2e_cons_t *c, const kn_e2e_opts_t *o)
{
    const struct rd_kafka_metadata *md = NULL;
    int rc = KN_ERROR;

    c->rkt = rd_kafka_topic_new(c->rk, o->topic, NULL);
    c->q = rd_kafka_queue_new(c->rk);
    rd_kafka_resp_err_t err = rd_kafka_metadata(c->rk, 0, c->rkt, &md, KN_E2E_METADATA_MS);
    if (err == RD_KAFKA_RESP_ERR_NO_ERROR && (md->topic_cnt != 1 || md->topics[0].err)) {
        err = md->topic_cnt == 1 ? md->topics[0].err : RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        kn_tool_err(PROG, "no metadata for topic %s: %s", o->topic, rd_kafka_err2str(err));
        goto out;
    }
    c->nparts = md->topics[0].partition_cnt;
    c->parts = kn_calloc((size_t)(c->nparts > 0 ? c->nparts : 1), sizeof(*c->parts));
    for (int i = 0; i < c->nparts; i++) {
        c->parts[i] = md->topics[0].partitions[i].id;
    }
    for (; c->started < c->nparts; c->started++) {
        int64_t lo, hi;
        int32_t p = c->parts[c->started];
        err = rd_kafka_query_watermark_offsets(c->rk, o->topic, p, &lo, &hi, KN_E2E_METADATA_MS);
        if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            kn_tool_err(PROG, "cannot read the end of %s [%d]: %s", o->topic, (int)p,
                        rd_kafka_err2str(err));
            goto out;
        }
        if (rd_kafka_consume_start_queue(c->rkt, p, hi, c->q) != 0) {
            kn_tool_err(PROG, "cannot read %s [%d]: %s", o->topic, (int)p,
                        rd_kafka_err2str(rd_kafka_last_error()));
            goto out;
        }
    }
    rc = KN_OK;
out:
    if (md != NULL) {
        rd_kafka_metadata_destroy(md);
    }
    return rc;
}

static void kn_e2e_cons_stop(kn_e2e_cons_t *c)
{
    for (int i = 0; i < c->started; i++) {
        rd_kafka_consume_stop(c->rkt, c->parts[i]);
    }
    if (c->q) {
        rd_kafka_queue_destroy(c->q);
    }
    if (c->rkt) {
        rd_kafka_topic_destroy(c->rkt);
    }
    free(c->parts);
}

static int kn_e2e_produce(rd_kafka_t *prk, rd_kafka_topic_t *rkt, unsigned char *buf,
                          size_t len)
{
    for (;;) {
        if (rd_kafka_produce(rkt, RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY, buf, len, NULL, 0,
                             NULL) == 0) {
            return KN_OK;
        }
        rd_kafka_resp_err_t err = rd_kafka_last_error();
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            kn_tool_err(PROG, "cannot send record: %s", rd_kafka_err2str(err));
            return KN_ERROR;
        }
        rd_kafka_poll(prk, 1);
    }
}

/* Delivery failures end the run: a lost record would wait forever. */
static void kn_e2e_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    KN_UNUSED(rk);
    KN_UNUSED(opaque);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        kn_tool_err(PROG, "record not written: %s", rd_kafka_err2str(m->err));
        kn_tool_stop = 1;
    }
}

/* Ping-pong: one record at a time. */
static int kn_e2e_pingpong(rd_kafka_t *prk, rd_kafka_topic_t *prkt, kn_e2e_cons_t *c,
                           const kn_e2e_opts_t *o, uint32_t run, kn_perf_lat_t *lat)
{
    unsigned char *buf = kn_malloc((size_t)o->record_size);
    uint64_t total = (uint64_t)(o->num_records + o->warmup);
    int rc = KN_OK;

    kn_perf_payload_fill(buf, (size_t)o->record_size, run);
    for (uint64_t i = 0; i < total && rc == KN_OK; i++) {
        int64_t sent = kn_perf_now_us();
        kn_e2e_stamp(buf, sent, i, run);
        if (kn_e2e_produce(prk, prkt, buf, (size_t)o->record_size) != KN_OK) {
            rc = KN_ERROR;
            break;
        }
        for (;;) {
            rd_kafka_poll(prk, 0);
            rd_kafka_message_t *m = rd_kafka_consume_queue(c->q, 10);
            int64_t now = kn_perf_now_us();
            int64_t ts;
            uint64_t seq;
            bool mine = m != NULL && kn_e2e_read(m, run, &ts, &seq) && seq == i;
            if (m != NULL) {
                rd_kafka_message_destroy(m);
            }
            if (mine) {
                if (i >= (uint64_t)o->warmup) {
                    uint64_t k = i - (uint64_t)o->warmup;
                    kn_perf_lat_add(lat, now - sent);
                    if (k % 1000 == 0) {
                        printf("%llu\t%.3f\n", (unsigned long long)k, (double)(now - sent) / 1000.0);
                        fflush(stdout);
                    }
                }
                break;
            }
            if (kn_tool_stop || now - sent > o->timeout_ms * 1000) {
                kn_tool_err(PROG, "record %llu not consumed within %lld ms",
                            (unsigned long long)i, o->timeout_ms);
                rc = KN_ERROR;
                break;
            }
        }
    }
    free(buf);
    return rc;
}

/* Wait up to 100 ms for one record, then take whatever else is queued
 * without waiting. (rd_kafka_consume_batch_queue alone waits until the
 * batch is full or the timeout passes, which would add up to a batch's
 * worth of inter-arrival time to every latency.) */
static ssize_t kn_e2e_take(rd_kafka_queue_t *q, rd_kafka_message_t **batch, size_t size)
{
    batch[0] = rd_kafka_consume_queue(q, 100);
    if (batch[0] == NULL) {
        return 0;
    }
    ssize_t n = rd_kafka_consume_batch_queue(q, 0, batch + 1, size - 1);
    return n < 0 ? 1 : n + 1;
}

/* Rate mode, consumer thread: every record of this run until all arrived
 * or none came for --timeout ms. */
static void *kn_e2e_rate_consume(void *arg)
{
    kn_e2e_rate_t *r = arg;
    uint64_t total = (uint64_t)(r->o->num_records + r->o->warmup);
    int64_t idle_since = kn_perf_now_us();
    rd_kafka_message_t *batch[256];

    r->rc = KN_OK;
    while (r->received < total && !kn_tool_stop) {
        ssize_t n = kn_e2e_take(r->cons->q, batch, KN_ARRAY_LEN(batch));
        int64_t now = kn_perf_now_us();
        for (ssize_t i = 0; i < n; i++) {
            int64_t ts;
            uint64_t seq;
            if (kn_e2e_read(batch[i], r->run_id, &ts, &seq)) {
                if (r->received++ == 0) {
                    r->first_us = now;
                }
                r->last_us = now;
                idle_since = now;
                if (seq >= (uint64_t)r->o->warmup) {
                    kn_perf_lat_add(&r->lat, now - ts);
                }
            }
            rd_kafka_message_destroy(batch[i]);
        }
        if (now - idle_since > r->o->timeout_ms * 1000) {
            kn_tool_err(PROG, "%llu of %llu records consumed; none for %lld ms",
                        (unsigned long long)r->received, (unsigned long long)total,
                        r->o->timeout_ms);
            r->rc = KN_ERROR;
            break;
        }
    }
    if (r->received < total) {
        r->rc = KN_ERROR;
    }
    return NULL;
}

/* Rate mode: main thread produces at --throughput, a thread consumes. */
static int kn_e2e_rate(rd_kafka_t *prk, rd_kafka_topic_t *prkt, kn_e2e_rate_t *r,
                       double *send_rate)
{
    const kn_e2e_opts_t *o = r->o;
    unsigned char *buf = kn_malloc((size_t)o->record_size);
    uint64_t total = (uint64_t)(o->num_records + o->warmup), i;
    kn_perf_throttle_t th;
    pthread_t tid;
    int rc = KN_OK;

    kn_perf_payload_fill(buf, (size_t)o->record_size, r->run_id);
    if (pthread_create(&tid, NULL, kn_e2e_rate_consume, r) != 0) {
        free(buf);
        kn_tool_err(PROG, "cannot start the consumer thread");
        return KN_ERROR;
    }
    int64_t start = kn_perf_now_us();
    kn_perf_throttle_init(&th, o->throughput, start);
    for (i = 0; i < total && !kn_tool_stop; i++) {
        int64_t wait;
        while ((wait = kn_perf_throttle_sleep_us(&th, i, kn_perf_now_us())) > 0 && !kn_tool_stop) {
            rd_kafka_poll(prk, (int)(wait / 1000));
            if (wait < 1000) {
                kn_perf_sleep_us(wait);
            }
        }
        kn_e2e_stamp(buf, kn_perf_now_us(), i, r->run_id);
        if (kn_e2e_produce(prk, prkt, buf, (size_t)o->record_size) != KN_OK) {
            rc = KN_ERROR;
            kn_tool_stop = 1;
            break;
        }
        rd_kafka_poll(prk, 0);
    }
    *send_rate = kn_perf_rate(i, kn_perf_now_us() - start);
    while (rd_kafka_outq_len(prk) > 0 && !kn_tool_stop) {
        rd_kafka_flush(prk, 100);
    }
    pthread_join(tid, NULL);
    free(buf);
    return rc == KN_OK ? r->rc : rc;
}

static void kn_e2e_report(kn_perf_lat_t *l, const kn_e2e_opts_t *o, double send_rate,
                          double recv_rate)
{
    double avg = kn_perf_lat_avg_us(l) / 1000.0, max = (double)l->max_us / 1000.0;
    double p50 = (double)kn_perf_lat_quantile_us(l, 0.5) / 1000.0;
    double p95 = (double)kn_perf_lat_quantile_us(l, 0.95) / 1000.0;
    double p99 = (double)kn_perf_lat_quantile_us(l, 0.99) / 1000.0;
    double p999 = (double)kn_perf_lat_quantile_us(l, 0.999) / 1000.0;

    if (o->throughput > 0) {
        printf("%llu records at %.1f records/sec sent, %.1f records/sec received\n",
               (unsigned long long)l->count, send_rate, recv_rate);
    }
    printf("Avg latency: %.4f ms\n", avg);
    printf("Percentiles: 50th = %.3f, 95th = %.3f, 99th = %.3f, 99.9th = %.3f, max = %.3f (ms)\n",
           p50, p95, p99, p999, max);
    if (o->json) {
        printf("{\"tool\":\"%s\",\"mode\":\"%s\",\"topic\":\"%s\",\"records\":%llu,"
               "\"record_size\":%lld,\"acks\":\"%s\",\"target_rate\":%.1f,\"send_rate\":%.1f,"
               "\"recv_rate\":%.1f,\"latency_ms\":{\"avg\":%.3f,\"p50\":%.3f,\"p95\":%.3f,"
               "\"p99\":%.3f,\"p99_9\":%.3f,\"max\":%.3f}}\n",
               PROG, o->throughput > 0 ? "rate" : "pingpong", o->topic,
               (unsigned long long)l->count, o->record_size, o->acks,
               o->throughput > 0 ? o->throughput : 0.0, send_rate, recv_rate, avg, p50, p95, p99,
               p999, max);
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    kn_e2e_opts_t o = { 0 };
    kn_e2e_cons_t cons = { 0 };
    kn_e2e_rate_t rate = { 0 };
    rd_kafka_t *prk = NULL;
    rd_kafka_topic_t *prkt = NULL;
    int rc;

    kn_tool_init(PROG);
    rc = kn_e2e_parse(&o, argc, argv);
    if (rc >= 0) {
        goto out;
    }
    rc = KN_TOOL_EXIT_FAIL;
    /* Kafka's EndToEndLatency: no linger, so a record leaves at once. */
    const char *pdefaults[] = { "linger.ms", "0", NULL };
    const kn_tool_flag_conf_t pflags[] = { { "acks", o.acks, "--acks" } };
    rd_kafka_conf_t *pconf = kn_tool_make_conf(PROG, &o.prod, pdefaults, pflags,
                                                KN_ARRAY_LEN(pflags));
    if (pconf == NULL) {
        goto out;
    }
    rd_kafka_conf_set_dr_msg_cb(pconf, kn_e2e_on_delivery);
    prk = kn_tool_client_new(PROG, RD_KAFKA_PRODUCER, pconf);
    if (prk == NULL) {
        goto out;
    }
    prkt = rd_kafka_topic_new(prk, o.topic, NULL);
    rd_kafka_conf_t *cconf = kn_tool_make_conf(PROG, &o.cons, NULL, NULL, 0);
    if (cconf == NULL) {
        goto out;
    }
    cons.rk = kn_tool_client_new(PROG, RD_KAFKA_CONSUMER, cconf);
    if (cons.rk == NULL) {
        goto out;
    }
    if (kn_e2e_cons_start(&cons, &o) != KN_OK) {
        goto out;
    }
    kn_tool_catch_stop();

    /* A run id tells this run's records from any other in the topic. */
    uint32_t run = (uint32_t)(kn_perf_now_us() ^ ((int64_t)getpid() << 16));
    kn_perf_lat_init(&rate.lat, (uint64_t)o.num_records, KN_E2E_MAX_SAMPLES);
    double send_rate = 0, recv_rate = 0;
    int run_rc;
    if (o.throughput > 0) {
        rate.cons = &cons;
        rate.o = &o;
        rate.run_id = run;
        run_rc = kn_e2e_rate(prk, prkt, &rate, &send_rate);
        recv_rate = kn_perf_rate(rate.received, rate.last_us - rate.first_us);
    } else {
        run_rc = kn_e2e_pingpong(prk, prkt, &cons, &o, run, &rate.lat);
    }
    if (run_rc == KN_OK) {
        kn_e2e_report(&rate.lat, &o, send_rate, recv_rate);
        rc = KN_TOOL_EXIT_OK;
    }
    kn_perf_lat_free(&rate.lat);
out:
    kn_e2e_cons_stop(&cons);
    if (cons.rk != NULL) {
        rd_kafka_destroy(cons.rk);
    }
    if (prkt != NULL) {
        rd_kafka_topic_destroy(prkt);
    }
    if (prk != NULL) {
        rd_kafka_flush(prk, 1000);
        rd_kafka_destroy(prk);
    }
    kn_tool_client_opts_free(&o.prod);
    kn_tool_client_opts_free(&o.cons);
    return rc;
}
