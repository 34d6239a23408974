/*
 * tools/kctl-verifiable-producer.c -- a producer that records exactly which
 * records the cluster acknowledged, for durability tests.
 *
 * Writes --max-messages records (or until SIGTERM/SIGINT with -1) spread
 * over --keys keys; each key has its own sequence 0, 1, 2, ... and a
 * record's value is "<run-id>:<key>:<seq>", so a reader can tell every
 * record apart and check it was stored exactly as written. One line per
 * outcome goes to standard output as the delivery reports arrive:
 *
 *     acked <key> <seq> <partition> <offset>
 *     failed <key> <seq> <error>
 *     summary sent=<n> acked=<n> failed=<n>
 *
 * Defaults follow Kafka's durability test setup: acks=all, idempotence off,
 * and one request in flight per connection so retries cannot reorder the
 * records of a key. Every librdkafka key can be overridden with
 * --producer-property. kctl-verifiable-consumer --acked reads this output.
 */
#include "config.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tools/lib/tool.h"

#define PROG "kctl-verifiable-producer"

typedef struct {
    kn_tool_client_opts_t client;
    const char           *topic;
    long long             max_messages;   /* -1 = until signalled */
    long long             keys;
    long long             throughput;     /* records per second, -1 = unlimited */
    const char           *acks;
    const char           *run_id;
} kn_vp_opts_t;

typedef struct {
    long long sent, acked, failed;
} kn_vp_state_t;

static void kn_vp_usage(FILE *out)
{
    fputs("Usage: " PROG " --bootstrap-server HOST:PORT --topic TOPIC [OPTIONS]\n"
          "Write numbered records and report which ones the cluster acknowledged.\n"
          "\n"
          "  --bootstrap-server HOST:PORT   broker(s) to connect to (required)\n"
          "  --topic TOPIC                  topic to write to (required)\n"
          "  --max-messages N               records to send (default 1000; -1 = until\n"
          "                                 SIGTERM/SIGINT)\n"
          "  --keys N                       distinct keys, each with its own sequence\n"
          "                                 (default 10)\n"
          "  --throughput N                 records per second at most (default -1 =\n"
          "                                 unlimited)\n"
          "  --acks ACKS                    all (default), 1 or 0\n"
          "  --run-id TEXT                  first part of every value (default: pid)\n"
          "  --producer-property KEY=VALUE  client setting (repeatable)\n"
          "  --producer.config FILE         client settings file (Java properties)\n"
          "  --help                         print this help\n"
          "  --version                      print the version\n"
          "\n"
          "Output, one line per delivery report:\n"
          "  acked KEY SEQ PARTITION OFFSET | failed KEY SEQ ERROR\n"
          "and finally: summary sent=N acked=N failed=N\n", out);
}

/* The delivery report: the opaque carries key and sequence. Runs inside
 * rd_kafka_poll/flush on the main thread. */
static void kn_vp_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    kn_vp_state_t *st = opaque;
    uint64_t ks = (uint64_t)(uintptr_t)m->_private;
    unsigned key = (unsigned)(ks >> 40);
    unsigned long long seq = ks & ((1ULL << 40) - 1);
    KN_UNUSED(rk);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        st->acked++;
        printf("acked k%u %llu %d %lld\n", key, seq, (int)m->partition, (long long)m->offset);
    } else {
        st->failed++;
        printf("failed k%u %llu %s\n", key, seq, rd_kafka_err2name(m->err));
    }
}

static int kn_vp_parse(int argc, char **argv, kn_vp_opts_t *o)
{
    enum { O_BOOT = 256, O_TOPIC, O_MAX, O_KEYS, O_TPUT, O_ACKS, O_RUN, O_PROP, O_CFG, O_HELP,
           O_VERSION };
    static const struct option longopts[] = {
        { "bootstrap-server", required_argument, NULL, O_BOOT },
        { "broker-list", required_argument, NULL, O_BOOT },
        { "topic", required_argument, NULL, O_TOPIC },
        { "max-messages", required_argument, NULL, O_MAX },
        { "keys", required_argument, NULL, O_KEYS },
        { "throughput", required_argument, NULL, O_TPUT },
        { "acks", required_argument, NULL, O_ACKS },
        { "run-id", required_argument, NULL, O_RUN },
        { "producer-property", required_argument, NULL, O_PROP },
        { "producer.config", required_argument, NULL, O_CFG },
        { "command-config", required_argument, NULL, O_CFG },
        { "help", no_argument, NULL, O_HELP },
        { "version", no_argument, NULL, O_VERSION },
        { NULL, 0, NULL, 0 }
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", longopts, NULL)) != -1) {
        switch (c) {
        case O_BOOT: o->client.bootstrap = optarg; break;
        case O_TOPIC: o->topic = optarg; break;
        case O_MAX:
            if (kn_tool_terse_long(PROG, "--max-messages", "not a number >= -1", optarg, -1,
                                    INT64_MAX, &o->max_messages) != KN_OK) {
                return KN_ERROR;
            }
            break;
        case O_KEYS:
            if (kn_tool_terse_long(PROG, "--keys", "expected 1..1000000", optarg, 1, 1000000,
                                    &o->keys) != KN_OK) {
                return KN_ERROR;
            }
            break;
        case O_TPUT:
            if (kn_tool_parse_long(optarg, -1, 10000000, &o->throughput) != KN_OK ||
                o->throughput == 0) {
                kn_tool_err(PROG, "--throughput: expected -1 or a positive rate: %s", optarg);
                return KN_ERROR;
            }
            break;
        case O_ACKS: o->acks = optarg; break;
        case O_RUN: o->run_id = optarg; break;
        case O_PROP: kn_tool_strv_push(&o->client.props, optarg); break;
        case O_CFG: kn_tool_strv_push(&o->client.files, optarg); break;
        case O_HELP: kn_vp_usage(stdout); exit(KN_TOOL_EXIT_OK);
        case O_VERSION: kn_tool_terse_version(PROG);
        default: return kn_tool_terse_opt_error(PROG, c, argv);
        }
    }
    if (kn_tool_terse_finish(PROG, argc, argv, o->client.bootstrap, o->topic) != KN_OK) {
        return KN_ERROR;
    }
    if (strcmp(o->acks, "all") == 0)
        o->acks = "-1";
    if (strcmp(o->acks, "-1") != 0 && strcmp(o->acks, "1") != 0 && strcmp(o->acks, "0") != 0) {
        kn_tool_err(PROG, "--acks: expected all, 1 or 0: %s", o->acks);
        return KN_ERROR;
    }
    return KN_OK;
}

/* Keep to the requested rate: sleep until record i is due. */
static void kn_vp_pace(rd_kafka_t *rk, const kn_vp_opts_t *o, long long i, int64_t start_ms)
{
    if (o->throughput < 0)
        return;
    int64_t due = start_ms + (int64_t)(i * 1000 / o->throughput);
    for (;;) {
        int64_t now = kn_mono_ms();
        if (now >= due || kn_tool_stop)
            return;
        rd_kafka_poll(rk, (int)KN_MIN(due - now, 100));
    }
}

int main(int argc, char **argv)
{
    kn_vp_opts_t o;
    kn_vp_state_t st;
    char run[64];
    memset(&o, 0, sizeof(o));
    memset(&st, 0, sizeof(st));
    o.max_messages = 1000;
    o.keys = 10;
    o.throughput = -1;
    o.acks = "-1";
    kn_tool_init(PROG);
    if (kn_vp_parse(argc, argv, &o) != KN_OK) {
        kn_tool_client_opts_free(&o.client);
        return KN_TOOL_EXIT_FAIL;
    }
    snprintf(run, sizeof(run), "%s", o.run_id ? o.run_id : "");
    if (run[0] == '\0')
        snprintf(run, sizeof(run), "r%ld", (long)getpid());

    /* --acks goes in with the defaults, so a --producer-property acks=...
     * still has the last word, like every other client key. */
    const char *const defaults[] = {
        "acks", o.acks,
        "enable.idempotence", "false",
        "max.in.flight.requests.per.connection", "1",
        "linger.ms", "5",
        "message.timeout.ms", "60000",
        NULL
    };
    rd_kafka_conf_t *conf = kn_tool_make_conf(PROG, &o.client, defaults, NULL, 0);
    kn_tool_client_opts_free(&o.client);   /* all in conf now */
    if (conf == NULL) {
        return KN_TOOL_EXIT_FAIL;
    }
    rd_kafka_conf_set_dr_msg_cb(conf, kn_vp_on_delivery);
    rd_kafka_conf_set_opaque(conf, &st);
    rd_kafka_t *rk = kn_tool_client_new(PROG, RD_KAFKA_PRODUCER, conf);
    if (rk == NULL) {
        return KN_TOOL_EXIT_FAIL;
    }
    kn_tool_catch_stop();
    setvbuf(stdout, NULL, _IOLBF, 0);

    unsigned long long *seqs = kn_calloc((size_t)o.keys, sizeof(*seqs));
    int64_t start = kn_mono_ms();
    for (long long i = 0; !kn_tool_stop && (o.max_messages < 0 || i < o.max_messages); i++) {
        kn_vp_pace(rk, &o, i, start);
        if (kn_tool_stop)
            break;
        unsigned key = (unsigned)(i % o.keys);
        unsigned long long seq = seqs[key];
        char k[32], v[160];
        int kl = snprintf(k, sizeof(k), "k%u", key);
        int vl = snprintf(v, sizeof(v), "%s:k%u:%llu", run, key, seq);
        uint64_t ks = ((uint64_t)key << 40) | seq;
        bool produced = false;
        while (!produced) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(o.topic), RD_KAFKA_V_KEY(k, (size_t)kl),
                RD_KAFKA_V_VALUE(v, (size_t)vl), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                RD_KAFKA_V_OPAQUE((void *)(uintptr_t)ks), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR_NO_ERROR) {
                produced = true;
                break;
            }
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL || kn_tool_stop) {
                kn_tool_err(PROG, "cannot produce: %s", rd_kafka_err2str(e));
                kn_tool_stop = 1;
                break;
            }
            rd_kafka_poll(rk, 100);
        }
        if (!produced)
            break;
        seqs[key]++;
        st.sent++;
        rd_kafka_poll(rk, 0);
    }
    /* Every record sent gets its report: acked, or failed after the
     * message timeout. */
    while (rd_kafka_outq_len(rk) > 0)
        rd_kafka_flush(rk, 1000);
    printf("summary sent=%lld acked=%lld failed=%lld\n", st.sent, st.acked, st.failed);
    free(seqs);
    rd_kafka_destroy(rk);
    return KN_TOOL_EXIT_OK;
}
