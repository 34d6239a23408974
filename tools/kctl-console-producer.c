/*
 * tools/kctl-console-producer.c -- produce one record per stdin line; the
 * flags of Kafka's kafka-console-producer.sh.
 *
 * Lines are turned into records by Kafka's LineMessageReader rules
 * (tools/lib/format.h: --property parse.key=true, key.separator=...). The
 * tool waits for every delivery report before it exits and exits 1 if any
 * record was not written, printing each failure, so a script can trust
 * "exit 0" to mean "all lines are in the log".
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "tools/lib/format.h"
#include "tools/lib/tool.h"

#define PROG "kctl-console-producer"

typedef struct {
    kn_tool_client_opts_t client;
    const char           *topic;
    kn_tool_strv_t        props;         /* --property k=v (line reader) */
    const char           *acks;          /* --request-required-acks */
    const char           *compression;   /* --compression-codec */
    const char           *request_timeout;
    const char           *retries;
    const char           *linger;        /* --timeout */
    const char           *batch_size;
    bool                  sync;
} kn_prod_opts_t;

/* Delivery outcome counters, updated from the delivery report callback
 * (which runs inside rd_kafka_poll/flush on this thread). */
typedef struct {
    const char *topic;
    long        delivered;
    long        failed;
} kn_prod_state_t;

static void kn_prod_usage(FILE *out)
{
    fputs("Usage: " PROG " --bootstrap-server HOST:PORT --topic TOPIC [OPTIONS] < lines\n"
          "Read records from standard input, one per line, and write them to a topic.\n"
          "\n"
          "  --bootstrap-server HOST:PORT     broker(s) to connect to (required)\n"
          "  --topic TOPIC                    topic to write to (required)\n"
          "  --property KEY=VALUE             line reader setting (repeatable):\n"
          "                                   parse.key=true, key.separator=<text> (tab),\n"
          "                                   ignore.error=true, null.marker=<text>,\n"
          "                                   parse.headers=true, headers.delimiter,\n"
          "                                   headers.separator, headers.key.separator\n"
          "  --producer-property KEY=VALUE    client setting (repeatable)\n"
          "  --producer.config FILE           client settings file (Java properties)\n"
          "  --command-config FILE            same as --producer.config\n"
          "  --request-required-acks N        acks: -1 (all, default), 0 or 1\n"
          "  --compression-codec CODEC        none, gzip, snappy, lz4 or zstd\n"
          "  --request-timeout-ms N           how long a produce request may take\n"
          "  --message-send-max-retries N     retries of a failed produce request\n"
          "  --timeout N                      linger: ms to wait to fill a batch\n"
          "  --batch-size N                   records per batch at most\n"
          "  --sync                           wait for each record before sending the next\n"
          "  --help                           print this help\n"
          "  --version                        print the version\n", out);
}

static const kn_tool_cli_t kn_prod_cli = { .prog = PROG, .usage = kn_prod_usage };

enum {
    OPT_BOOTSTRAP = 256, OPT_TOPIC, OPT_PROPERTY, OPT_PRODUCER_PROPERTY, OPT_PRODUCER_CONFIG,
    OPT_ACKS, OPT_COMPRESSION, OPT_REQ_TIMEOUT, OPT_RETRIES, OPT_LINGER, OPT_BATCH, OPT_SYNC,
    OPT_HELP, OPT_VERSION
};

static const struct option kn_prod_longopts[] = {
    { "bootstrap-server", required_argument, NULL, OPT_BOOTSTRAP },
    { "broker-list", required_argument, NULL, OPT_BOOTSTRAP },   /* Kafka's older name */
    { "topic", required_argument, NULL, OPT_TOPIC },
    { "property", required_argument, NULL, OPT_PROPERTY },
    { "producer-property", required_argument, NULL, OPT_PRODUCER_PROPERTY },
    { "producer.config", required_argument, NULL, OPT_PRODUCER_CONFIG },
    { "command-config", required_argument, NULL, OPT_PRODUCER_CONFIG },
    { "request-required-acks", required_argument, NULL, OPT_ACKS },
    { "compression-codec", required_argument, NULL, OPT_COMPRESSION },
    { "request-timeout-ms", required_argument, NULL, OPT_REQ_TIMEOUT },
    { "message-send-max-retries", required_argument, NULL, OPT_RETRIES },
    { "timeout", required_argument, NULL, OPT_LINGER },
    { "batch-size", required_argument, NULL, OPT_BATCH },
    { "sync", no_argument, NULL, OPT_SYNC },
    { "help", no_argument, NULL, OPT_HELP },
    { "version", no_argument, NULL, OPT_VERSION },
    { NULL, 0, NULL, 0 }
};

/* --property settings go to the line reader. */
static int kn_prod_set_prop(void *rd, const char *key, const char *value, char *err,
                            size_t errlen)
{
    return kn_tool_reader_set(rd, key, value, err, errlen);
}

/* Returns -1 to go on, else the exit code. */
static int kn_prod_parse(kn_prod_opts_t *o, kn_tool_reader_t *rd, int argc, char **argv)
{
    int c, rc;

    opterr = 0;
    while ((c = getopt_long(argc, argv, ":", kn_prod_longopts, NULL)) != -1) {
        rc = -1;
        switch (c) {
        case OPT_BOOTSTRAP: o->client.bootstrap = optarg; break;
        case OPT_TOPIC: o->topic = optarg; break;
        case OPT_PROPERTY: kn_tool_strv_push(&o->props, optarg); break;
        case OPT_PRODUCER_PROPERTY: kn_tool_strv_push(&o->client.props, optarg); break;
        case OPT_PRODUCER_CONFIG: kn_tool_strv_push(&o->client.files, optarg); break;
        case OPT_ACKS:
            o->acks = optarg;
            if (strcmp(optarg, "all") != 0) {
                rc = kn_tool_num_flag(&kn_prod_cli, "--request-required-acks", optarg, -1, 1, NULL);
            }
            break;
        case OPT_COMPRESSION:
            o->compression = optarg;
            if (strcmp(optarg, "none") && strcmp(optarg, "gzip") && strcmp(optarg, "snappy") &&
                strcmp(optarg, "lz4") && strcmp(optarg, "zstd")) {
                return kn_tool_misuse(&kn_prod_cli,
                                      "--compression-codec: expected none, gzip, snappy, "
                                      "lz4 or zstd, got '%s'", optarg);
            }
            break;
        case OPT_REQ_TIMEOUT:
            o->request_timeout = optarg;
            rc = kn_tool_num_flag(&kn_prod_cli, "--request-timeout-ms", optarg, 1, 900000, NULL);
            break;
        case OPT_RETRIES:
            o->retries = optarg;
            rc = kn_tool_num_flag(&kn_prod_cli,
                                  "--message-send-max-retries", optarg, 0, INT32_MAX, NULL);
            break;
        case OPT_LINGER:
            o->linger = optarg;
            rc = kn_tool_num_flag(&kn_prod_cli, "--timeout", optarg, 0, 900000, NULL);
            break;
        case OPT_BATCH:
            o->batch_size = optarg;
            rc = kn_tool_num_flag(&kn_prod_cli, "--batch-size", optarg, 1, 1000000, NULL);
            break;
        case OPT_SYNC: o->sync = true; break;
        case OPT_HELP: return kn_tool_help(&kn_prod_cli);
        case OPT_VERSION: return kn_tool_version(&kn_prod_cli);
        default: return kn_tool_opt_error(&kn_prod_cli, c, argv);
        }
        if (rc >= 0) {
            return rc;
        }
    }
    if (optind < argc) {
        return kn_tool_misuse(&kn_prod_cli, "unexpected argument '%s'", argv[optind]);
    }
    if (o->client.bootstrap == NULL) {
        return kn_tool_missing(&kn_prod_cli, "bootstrap-server");
    }
    if (o->topic == NULL) {
        return kn_tool_missing(&kn_prod_cli, "topic");
    }
    return kn_tool_apply_props(&kn_prod_cli, &o->props, kn_prod_set_prop, rd);
}

static void kn_prod_on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    kn_prod_state_t *st = opaque;

    KN_UNUSED(rk);
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        st->delivered++;
        return;
    }
    st->failed++;
    /* The text of Kafka's ErrorLoggingCallback, which scripts look for. */
    fprintf(stderr, "ERROR Error when sending message to topic %s with key: ", st->topic);
    if (m->key == NULL) {
        fputs("null", stderr);
    } else {
        fprintf(stderr, "%zu bytes", m->key_len);
    }
    fprintf(stderr, ", value: %zu bytes with error: %s\n", m->payload ? m->len : 0,
            rd_kafka_err2str(m->err));
}

/* Queue one record, waiting for room when the local queue is full. */
static int kn_prod_send(rd_kafka_t *rk, const char *topic, const kn_tool_line_t *ln)
{
    for (;;) {
        rd_kafka_headers_t *hdrs = NULL;
        if (ln->nheaders > 0) {
            hdrs = rd_kafka_headers_new(ln->nheaders);
            for (size_t i = 0; i < ln->nheaders; i++) {
                rd_kafka_header_add(hdrs, ln->headers[i].name, -1, ln->headers[i].value,
                                    ln->headers[i].value ? (ssize_t)ln->headers[i].value_len : 0);
            }
        }
        rd_kafka_resp_err_t err = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_KEY(ln->key, ln->key_len),
            RD_KAFKA_V_VALUE((void *)ln->value, ln->value_len),
            RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            return KN_OK;   /* the headers now belong to the message */
        }
        if (hdrs) {
            rd_kafka_headers_destroy(hdrs);
        }
        if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            kn_tool_err(PROG, "cannot send record: %s", rd_kafka_err2str(err));
            return KN_ERROR;
        }
        /* Serve delivery reports to make room, then try again. */
        rd_kafka_poll(rk, 100);
    }
}

/* Read stdin to the end (or a signal); returns KN_ERROR on a bad line. */
static int kn_prod_run(rd_kafka_t *rk, const kn_prod_opts_t *o, const kn_tool_reader_t *rd)
{
    char *line = NULL, err[512];
    size_t cap = 0;
    long lineno = 0;
    int rc = KN_OK;

    while (!kn_tool_stop) {
        errno = 0;
        ssize_t n = getline(&line, &cap, stdin);
        if (n < 0) {
            if (errno == EINTR && !kn_tool_stop) {
                clearerr(stdin);
                continue;
            }
            break;
        }
        lineno++;
        /* Like Java's readLine: "\n", "\r\n" and "\r" all end a line. */
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
            n--;
        }
        kn_tool_line_t ln;
        if (kn_tool_reader_parse(rd, line, (size_t)n, lineno, &ln, err, sizeof(err)) != KN_OK) {
            kn_tool_err(PROG, "%s", err);
            kn_tool_line_free(&ln);
            rc = KN_ERROR;
            break;
        }
        int sent = kn_prod_send(rk, o->topic, &ln);
        kn_tool_line_free(&ln);
        if (sent != KN_OK) {
            rc = KN_ERROR;
            break;
        }
        if (o->sync) {
            rd_kafka_flush(rk, -1);
        } else {
            rd_kafka_poll(rk, 0);
        }
    }
    free(line);
    return rc;
}

int main(int argc, char **argv)
{
    kn_prod_opts_t o = { 0 };
    kn_tool_reader_t rd;
    kn_prod_state_t st = { 0 };
    int rc;

    kn_tool_init(PROG);
    kn_tool_reader_init(&rd);
    rc = kn_prod_parse(&o, &rd, argc, argv);
    if (rc >= 0) {
        goto out;
    }
    /* Kafka's console producer defaults: acks=all, and give up on a record
     * after two minutes (delivery.timeout.ms) rather than librdkafka's five. */
    const char *defaults[] = { "acks", "all", "message.timeout.ms", "120000", NULL };
    const kn_tool_flag_conf_t flags[] = {
        { "acks", o.acks, "command line" },
        { "compression.codec", o.compression, "command line" },
        { "request.timeout.ms", o.request_timeout, "command line" },
        { "message.send.max.retries", o.retries, "command line" },
        { "linger.ms", o.linger, "command line" },
        { "batch.num.messages", o.batch_size, "command line" },
    };
    rd_kafka_conf_t *conf = kn_tool_make_conf(PROG, &o.client, defaults, flags,
                                               KN_ARRAY_LEN(flags));
    if (conf == NULL) {
        rc = KN_TOOL_EXIT_FAIL;
        goto out;
    }
    st.topic = o.topic;
    rd_kafka_conf_set_opaque(conf, &st);
    rd_kafka_conf_set_dr_msg_cb(conf, kn_prod_on_delivery);
    rd_kafka_t *rk = kn_tool_client_new(PROG, RD_KAFKA_PRODUCER, conf);
    if (rk == NULL) {
        rc = KN_TOOL_EXIT_FAIL;
        goto out;
    }

    kn_tool_catch_stop();

    int read_rc = kn_prod_run(rk, &o, &rd);

    /* Wait for every record already queued: each ends delivered or failed
     * within message.timeout.ms, so this terminates. */
    while (rd_kafka_outq_len(rk) > 0) {
        rd_kafka_flush(rk, 1000);
    }
    rd_kafka_destroy(rk);
    if (st.failed > 0) {
        kn_tool_err(PROG, "%ld of %ld records were not written", st.failed,
                    st.failed + st.delivered);
    }
    rc = (read_rc != KN_OK || st.failed > 0) ? KN_TOOL_EXIT_FAIL : KN_TOOL_EXIT_OK;
out:
    kn_tool_reader_free(&rd);
    kn_tool_client_opts_free(&o.client);
    kn_tool_strv_free(&o.props);
    return rc;
}
