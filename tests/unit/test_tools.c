/*
 * tests/unit/test_tools.c -- unit tests of tools/lib: client configuration
 * from properties and k=v flags, the console consumer's record text, the
 * console producer's line reader, and kctl-topics' --describe text.
 */
#include "config.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "tools/lib/format.h"
#include "tools/lib/tool.h"
#include "tools/lib/topicdesc.h"

/* ---- helpers ---------------------------------------------------------- */

/* Capture what a printer writes, as a NUL-terminated string. */
typedef struct {
    char  *buf;
    size_t len;
    FILE  *f;
} capture_t;

static void cap_open(capture_t *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    assert_non_null(c->f);
}

static const char *cap_close(capture_t *c)
{
    fclose(c->f);
    return c->buf;
}

/* In the working directory (the build tree under make check). */
static char *write_temp(const char *text)
{
    char *path = kn_strdup("kn-test-tools-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static void assert_conf(rd_kafka_conf_t *conf, const char *key, const char *want)
{
    char val[256];
    size_t sz = sizeof(val);
    assert_int_equal(rd_kafka_conf_get(conf, key, val, &sz), RD_KAFKA_CONF_OK);
    assert_string_equal(val, want);
}

/* ---- tool.h ----------------------------------------------------------- */

static void test_split_kv(void **state)
{
    char *k, *v;
    (void)state;

    assert_int_equal(kn_tool_split_kv("acks=all", &k, &v), KN_OK);
    assert_string_equal(k, "acks");
    assert_string_equal(v, "all");
    free(k);
    free(v);
    /* Only the first '=' splits: values may contain '='. */
    assert_int_equal(kn_tool_split_kv("sasl.password=a=b", &k, &v), KN_OK);
    assert_string_equal(k, "sasl.password");
    assert_string_equal(v, "a=b");
    free(k);
    free(v);
    assert_int_equal(kn_tool_split_kv("x=", &k, &v), KN_OK);
    assert_string_equal(v, "");
    free(k);
    free(v);
    assert_int_equal(kn_tool_split_kv("novalue", &k, &v), KN_ERROR);
    assert_int_equal(kn_tool_split_kv("=v", &k, &v), KN_ERROR);
}

static void test_parse_long(void **state)
{
    long long n;
    (void)state;

    assert_int_equal(kn_tool_parse_long("42", 1, 100, &n), KN_OK);
    assert_int_equal(n, 42);
    assert_int_equal(kn_tool_parse_long("-1", -1, 1, &n), KN_OK);
    assert_int_equal(n, -1);
    assert_int_equal(kn_tool_parse_long("0", 1, 100, &n), KN_ERROR);
    assert_int_equal(kn_tool_parse_long("101", 1, 100, &n), KN_ERROR);
    assert_int_equal(kn_tool_parse_long("4x", 1, 100, &n), KN_ERROR);
    assert_int_equal(kn_tool_parse_long("", 1, 100, &n), KN_ERROR);
    assert_int_equal(kn_tool_parse_long("99999999999999999999", 0, INT64_MAX, &n), KN_ERROR);
}

static void test_strv(void **state)
{
    kn_tool_strv_t v = { 0 };
    char buf[16];
    (void)state;

    for (int i = 0; i < 10; i++) {
        snprintf(buf, sizeof(buf), "item%d", i);
        kn_tool_strv_push(&v, buf);
    }
    assert_int_equal(v.n, 10);
    assert_string_equal(v.items[0], "item0");
    assert_string_equal(v.items[9], "item9");
    kn_tool_strv_free(&v);
    assert_int_equal(v.n, 0);
    assert_null(v.items);
}

static void test_conf_set(void **state)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    (void)state;

    assert_int_equal(kn_tool_conf_set(conf, "linger.ms", "7", "here", err, sizeof(err)), KN_OK);
    assert_conf(conf, "linger.ms", "7");

    assert_int_equal(kn_tool_conf_set(conf, "no.such.key", "1", "f.properties:3", err,
                                      sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "f.properties:3"));
    assert_non_null(strstr(err, "no.such.key"));

    /* Java-only keys are refused with a pointer to the PEM settings. */
    assert_int_equal(kn_tool_conf_set(conf, "ssl.truststore.location", "/x.jks", "o", err,
                                      sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "ssl.ca.location"));
    assert_int_equal(kn_tool_conf_set(conf, "ssl.keystore.type", "JKS", "o", err, sizeof(err)),
                     KN_ERROR);
    assert_int_equal(kn_tool_conf_set(conf, "ssl.keystore.type", "PKCS12", "o", err,
                                      sizeof(err)), KN_OK);
    rd_kafka_conf_destroy(conf);
}

static void test_conf_load_file(void **state)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char err[512];
    char *path = write_temp("# client settings\nsecurity.protocol=PLAINTEXT\n"
                            "socket.timeout.ms = 1234\n");
    char *bad = write_temp("linger.ms=5\n\nbogus.key=1\n");
    (void)state;

    assert_int_equal(kn_tool_conf_load_file(conf, path, err, sizeof(err)), KN_OK);
    assert_conf(conf, "security.protocol", "plaintext");
    assert_conf(conf, "socket.timeout.ms", "1234");

    /* The message names the file and the line of the bad key. */
    assert_int_equal(kn_tool_conf_load_file(conf, bad, err, sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, ":3: bogus.key"));

    assert_int_equal(kn_tool_conf_load_file(conf, "/nonexistent/kn.properties", err,
                                            sizeof(err)), KN_ERROR);
    assert_true(err[0] != '\0');
    unlink(path);
    unlink(bad);
    free(path);
    free(bad);
    rd_kafka_conf_destroy(conf);
}

static void test_client_conf_order(void **state)
{
    kn_tool_client_opts_t o = { .bootstrap = "127.0.0.1:9092" };
    const char *defaults[] = { "linger.ms", "1", "batch.num.messages", "10", NULL };
    char *path = write_temp("linger.ms=2\nbootstrap.servers=10.0.0.1:1\n");
    char err[512];
    (void)state;

    kn_tool_strv_push(&o.files, path);
    kn_tool_strv_push(&o.props, "batch.num.messages=20");
    rd_kafka_conf_t *conf = kn_tool_client_conf(&o, "kctl-test", defaults, err, sizeof(err));
    assert_non_null(conf);
    /* defaults < file < k=v flags, and --bootstrap-server wins over all. */
    assert_conf(conf, "client.id", "kctl-test");
    assert_conf(conf, "linger.ms", "2");
    assert_conf(conf, "batch.num.messages", "20");
    assert_conf(conf, "bootstrap.servers", "127.0.0.1:9092");
    rd_kafka_conf_destroy(conf);

    kn_tool_strv_push(&o.props, "oops");
    assert_null(kn_tool_client_conf(&o, "kctl-test", NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "oops"));
    kn_tool_strv_free(&o.files);
    kn_tool_strv_free(&o.props);
    unlink(path);
    free(path);
}

/* ---- format.h: consumer output --------------------------------------- */

static const char *fmt_one(const kn_tool_fmt_t *f, const kn_tool_record_t *r, capture_t *c)
{
    cap_open(c);
    kn_tool_fmt_record(f, c->f, r);
    return cap_close(c);
}

static void test_fmt_default(void **state)
{
    kn_tool_fmt_t f;
    capture_t c;
    kn_tool_record_t r = { .partition = 2, .offset = 17, .key = "k", .key_len = 1,
                           .value = "hello", .value_len = 5 };
    (void)state;

    kn_tool_fmt_init(&f);
    assert_string_equal(fmt_one(&f, &r, &c), "hello\n");
    free(c.buf);
    r.value = NULL;
    r.value_len = 0;
    assert_string_equal(fmt_one(&f, &r, &c), "null\n");
    free(c.buf);
    kn_tool_fmt_free(&f);
}

static void test_fmt_all_columns(void **state)
{
    kn_tool_fmt_t f;
    capture_t c;
    char err[256];
    kn_tool_header_t h[2] = { { "a", "1", 1 }, { "b", NULL, 0 } };
    kn_tool_record_t r = { .partition = 2, .offset = 17, .ts_type = KN_TOOL_TS_CREATE,
                           .timestamp = 1700000000123LL, .key = "k1", .key_len = 2,
                           .value = "v1", .value_len = 2, .headers = h, .nheaders = 2 };
    (void)state;

    kn_tool_fmt_init(&f);
    assert_int_equal(kn_tool_fmt_set(&f, "print.timestamp", "true", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "print.partition", "true", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "print.offset", "TRUE", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "print.headers", "true", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "print.key", "true", err, sizeof(err)), KN_OK);
    assert_string_equal(fmt_one(&f, &r, &c),
                        "CreateTime:1700000000123\tPartition:2\tOffset:17\ta:1,b:null\tk1\tv1\n");
    free(c.buf);

    /* Separators; the last printed column ends the line. */
    assert_int_equal(kn_tool_fmt_set(&f, "key.separator", " | ", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "print.value", "false", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "print.timestamp", "false", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "print.headers", "false", err, sizeof(err)), KN_OK);
    r.key = NULL;
    r.key_len = 0;
    assert_string_equal(fmt_one(&f, &r, &c), "Partition:2 | Offset:17 | null\n");
    free(c.buf);

    r.ts_type = KN_TOOL_TS_LOG_APPEND;
    r.nheaders = 0;
    assert_int_equal(kn_tool_fmt_set(&f, "print.timestamp", "true", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "print.headers", "true", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "print.partition", "false", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "print.offset", "false", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "print.key", "false", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_fmt_set(&f, "line.separator", ";", err, sizeof(err)), KN_OK);
    assert_string_equal(fmt_one(&f, &r, &c), "LogAppendTime:1700000000123 | NO_HEADERS;");
    free(c.buf);
    kn_tool_fmt_free(&f);
}

static void test_fmt_errors(void **state)
{
    kn_tool_fmt_t f;
    char err[256];
    (void)state;

    kn_tool_fmt_init(&f);
    assert_int_equal(kn_tool_fmt_set(&f, "print.key", "yes", err, sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "print.key"));
    assert_int_equal(kn_tool_fmt_set(&f, "print.everything", "true", err, sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "print.everything"));
    assert_int_equal(kn_tool_fmt_set(&f, "null.literal", "<nil>", err, sizeof(err)), KN_OK);
    assert_string_equal(f.null_literal, "<nil>");
    kn_tool_fmt_free(&f);
}

/* ---- format.h: producer line reader ---------------------------------- */

static void test_reader_plain(void **state)
{
    kn_tool_reader_t r;
    kn_tool_line_t ln;
    char err[256];
    const char *line = "a\tb";
    (void)state;

    kn_tool_reader_init(&r);
    assert_int_equal(kn_tool_reader_parse(&r, line, 3, 1, &ln, err, sizeof(err)), KN_OK);
    assert_null(ln.key);
    assert_int_equal(ln.value_len, 3);
    assert_memory_equal(ln.value, "a\tb", 3);
    kn_tool_line_free(&ln);
    /* An empty line is an empty (not null) value. */
    assert_int_equal(kn_tool_reader_parse(&r, "", 0, 2, &ln, err, sizeof(err)), KN_OK);
    assert_non_null(ln.value);
    assert_int_equal(ln.value_len, 0);
    kn_tool_line_free(&ln);
    kn_tool_reader_free(&r);
}

static void test_reader_key(void **state)
{
    kn_tool_reader_t r;
    kn_tool_line_t ln;
    char err[256];
    (void)state;

    kn_tool_reader_init(&r);
    assert_int_equal(kn_tool_reader_set(&r, "parse.key", "true", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_reader_set(&r, "key.separator", "::", err, sizeof(err)), KN_OK);
    const char *line = "user1::{\"a\":1}::x";
    assert_int_equal(kn_tool_reader_parse(&r, line, strlen(line), 1, &ln, err, sizeof(err)),
                     KN_OK);
    assert_int_equal(ln.key_len, 5);
    assert_memory_equal(ln.key, "user1", 5);
    /* Only the first separator splits. */
    assert_int_equal(ln.value_len, strlen("{\"a\":1}::x"));
    assert_memory_equal(ln.value, "{\"a\":1}::x", ln.value_len);
    kn_tool_line_free(&ln);

    /* No separator: an error naming the line, unless ignore.error. */
    assert_int_equal(kn_tool_reader_parse(&r, "nokey", 5, 7, &ln, err, sizeof(err)), KN_ERROR);
    kn_tool_line_free(&ln);
    assert_non_null(strstr(err, "line number 7"));
    assert_int_equal(kn_tool_reader_set(&r, "ignore.error", "true", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_reader_parse(&r, "nokey", 5, 8, &ln, err, sizeof(err)), KN_OK);
    assert_null(ln.key);
    assert_int_equal(ln.value_len, 5);
    kn_tool_line_free(&ln);

    /* null.marker makes a null key or a tombstone. */
    assert_int_equal(kn_tool_reader_set(&r, "null.marker", "NULL", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_reader_parse(&r, "NULL::v", 7, 9, &ln, err, sizeof(err)), KN_OK);
    assert_null(ln.key);
    assert_int_equal(ln.value_len, 1);
    kn_tool_line_free(&ln);
    assert_int_equal(kn_tool_reader_parse(&r, "k::NULL", 7, 10, &ln, err, sizeof(err)), KN_OK);
    assert_int_equal(ln.key_len, 1);
    assert_null(ln.value);
    kn_tool_line_free(&ln);
    kn_tool_reader_free(&r);
}

static void test_reader_headers(void **state)
{
    kn_tool_reader_t r;
    kn_tool_line_t ln;
    char err[256];
    const char *line = "h1:v1,h2,h3:\tkey\tvalue";
    (void)state;

    kn_tool_reader_init(&r);
    assert_int_equal(kn_tool_reader_set(&r, "parse.headers", "true", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_reader_set(&r, "parse.key", "true", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_tool_reader_parse(&r, line, strlen(line), 1, &ln, err, sizeof(err)),
                     KN_OK);
    assert_int_equal(ln.nheaders, 3);
    assert_string_equal(ln.headers[0].name, "h1");
    assert_int_equal(ln.headers[0].value_len, 2);
    assert_memory_equal(ln.headers[0].value, "v1", 2);
    assert_string_equal(ln.headers[1].name, "h2");
    assert_null(ln.headers[1].value);
    assert_string_equal(ln.headers[2].name, "h3");
    assert_non_null(ln.headers[2].value);
    assert_int_equal(ln.headers[2].value_len, 0);
    assert_memory_equal(ln.key, "key", 3);
    assert_int_equal(ln.value_len, 5);
    kn_tool_line_free(&ln);

    assert_int_equal(kn_tool_reader_parse(&r, "nodelim", 7, 3, &ln, err, sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "headers delimiter"));
    kn_tool_line_free(&ln);

    assert_int_equal(kn_tool_reader_set(&r, "key.separator", "", err, sizeof(err)), KN_ERROR);
    assert_int_equal(kn_tool_reader_set(&r, "parse.value", "true", err, sizeof(err)), KN_ERROR);
    kn_tool_reader_free(&r);
}

/* ---- topicdesc.h ------------------------------------------------------ */

static void test_describe(void **state)
{
    static const int32_t r12[] = { 1, 2 }, r23[] = { 2, 3 }, i1[] = { 1 }, i23[] = { 2, 3 };
    static const int32_t live[] = { 1, 2 };
    /* Out of order on purpose: output is by partition id. */
    kn_tool_part_desc_t parts[] = {
        { .id = 2, .leader = -1, .replicas = r23, .nreplicas = 2, .isr = NULL, .nisr = 0 },
        { .id = 0, .leader = 1, .replicas = r12, .nreplicas = 2, .isr = r12, .nisr = 2 },
        { .id = 1, .leader = 3, .replicas = r23, .nreplicas = 2, .isr = i23, .nisr = 2 },
        { .id = 3, .leader = 1, .replicas = r12, .nreplicas = 2, .isr = i1, .nisr = 1 },
    };
    kn_tool_topic_desc_t t = { .name = "orders", .configs = "retention.ms=1000,cleanup.policy=compact",
                               .parts = parts, .nparts = 4 };
    capture_t c;
    (void)state;

    cap_open(&c);
    assert_int_equal(kn_tool_topic_describe(c.f, &t, 0, live, 2), 4);
    assert_string_equal(cap_close(&c),
        "Topic: orders\tPartitionCount: 4\tReplicationFactor: 2\t"
        "Configs: retention.ms=1000,cleanup.policy=compact\n"
        "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\n"
        "\tTopic: orders\tPartition: 1\tLeader: 3\tReplicas: 2,3\tIsr: 2,3\n"
        "\tTopic: orders\tPartition: 2\tLeader: none\tReplicas: 2,3\tIsr: \n"
        "\tTopic: orders\tPartition: 3\tLeader: 1\tReplicas: 1,2\tIsr: 1\n");
    free(c.buf);

    t.topic_id = "q1nNAS6dR8GzJ7UNMBvjxw";
    t.configs = "";
    cap_open(&c);
    kn_tool_topic_describe(c.f, &t, KN_TOOL_DESC_UNDER_REPLICATED, live, 2);
    assert_string_equal(cap_close(&c),
        "\tTopic: orders\tPartition: 2\tLeader: none\tReplicas: 2,3\tIsr: \n"
        "\tTopic: orders\tPartition: 3\tLeader: 1\tReplicas: 1,2\tIsr: 1\n");
    free(c.buf);

    /* Unavailable: no leader, or a leader that is not a live broker (3). */
    cap_open(&c);
    assert_int_equal(kn_tool_topic_describe(c.f, &t, KN_TOOL_DESC_UNAVAILABLE, live, 2), 2);
    assert_string_equal(cap_close(&c),
        "\tTopic: orders\tPartition: 1\tLeader: 3\tReplicas: 2,3\tIsr: 2,3\n"
        "\tTopic: orders\tPartition: 2\tLeader: none\tReplicas: 2,3\tIsr: \n");
    free(c.buf);

    t.nparts = 1;
    t.parts = &parts[1];
    cap_open(&c);
    kn_tool_topic_describe(c.f, &t, 0, live, 2);
    assert_string_equal(cap_close(&c),
        "Topic: orders\tTopicId: q1nNAS6dR8GzJ7UNMBvjxw\tPartitionCount: 1\t"
        "ReplicationFactor: 2\tConfigs: \n"
        "\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2\tIsr: 1,2\n");
    free(c.buf);
}

static void test_topic_match(void **state)
{
    (void)state;
    assert_true(kn_tool_topic_match("orders", "orders"));
    assert_false(kn_tool_topic_match("orders", "orders2"));
    assert_false(kn_tool_topic_match("orders", "my-orders"));
    assert_true(kn_tool_topic_match("orders.*", "orders-eu"));
    assert_true(kn_tool_topic_match("a,b", "b"));
    assert_false(kn_tool_topic_match("a,b", "ab"));
    /* '.' in a plain name is also a regex wildcard, as in Kafka. */
    assert_true(kn_tool_topic_match("my.topic", "my.topic"));
    /* An invalid expression only matches itself. */
    assert_true(kn_tool_topic_match("bad(", "bad("));
    assert_false(kn_tool_topic_match("bad(", "bad"));
}

/* ---- tool.h: command-line errors -------------------------------------- */

static void fake_usage(FILE *out)
{
    fputs("Usage: t [OPTIONS]\n", out);
}

static void test_cli_errors(void **state)
{
    (void)state;
    capture_t c;
    char *argv[] = { "t", "--bogus", "--topic", NULL };

    cap_open(&c);
    kn_tool_cli_t cli = { .prog = "t", .usage = fake_usage, .err = c.f };
    assert_int_equal(kn_tool_misuse(&cli, "bad %d", 7), KN_TOOL_EXIT_FAIL);
    assert_int_equal(kn_tool_missing(&cli, "topic"), KN_TOOL_EXIT_FAIL);
    assert_int_equal(kn_tool_bad_value(&cli, "--keys", "a number", "x"), KN_TOOL_EXIT_FAIL);
    optind = 2;
    assert_int_equal(kn_tool_opt_error(&cli, '?', argv), KN_TOOL_EXIT_FAIL);
    optind = 3;
    assert_int_equal(kn_tool_opt_error(&cli, ':', argv), KN_TOOL_EXIT_FAIL);
    assert_string_equal(cap_close(&c),
                        "t: bad 7\nUsage: t [OPTIONS]\n"
                        "t: Missing required argument \"[topic]\"\nUsage: t [OPTIONS]\n"
                        "t: --keys: expected a number, got 'x'\nUsage: t [OPTIONS]\n"
                        "t: unrecognized option '--bogus'\nUsage: t [OPTIONS]\n"
                        "t: option '--topic' requires an argument\nUsage: t [OPTIONS]\n");
    free(c.buf);
    optind = 1;
}

static void test_cli_num_flag(void **state)
{
    (void)state;
    capture_t c;
    long long v = 0;

    cap_open(&c);
    kn_tool_cli_t cli = { .prog = "t", .usage = fake_usage, .err = c.f };
    assert_int_equal(kn_tool_num_flag(&cli, "--n", "42", 1, 100, &v), -1);
    assert_int_equal(v, 42);
    assert_int_equal(kn_tool_num_flag(&cli, "--n", "-1", -1, 1, NULL), -1);
    assert_int_equal(kn_tool_num_flag(&cli, "--n", "101", 1, 100, &v), KN_TOOL_EXIT_FAIL);
    assert_int_equal(kn_tool_num_flag(&cli, "--n", "4x", 1, 100, NULL), KN_TOOL_EXIT_FAIL);
    assert_int_equal(v, 42);
    assert_string_equal(cap_close(&c),
                        "t: --n: expected an integer in [1, 100], got '101'\nUsage: t [OPTIONS]\n"
                        "t: --n: expected an integer in [1, 100], got '4x'\nUsage: t [OPTIONS]\n");
    free(c.buf);
}

/* A message longer than the tools ever cut at stays cut, as before. */
static void test_cli_misuse_long(void **state)
{
    (void)state;
    capture_t c;
    char big[700];

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    cap_open(&c);
    kn_tool_cli_t cli = { .prog = "t", .usage = fake_usage, .err = c.f };
    kn_tool_misuse(&cli, "%s", big);
    const char *out = cap_close(&c);
    assert_int_equal(strlen(out), strlen("t: ") + 511 + 1 + strlen("Usage: t [OPTIONS]\n"));
    free(c.buf);
}

/* A client librdkafka refuses: NULL back, conf freed (ASan would see a leak). */
static void test_client_new_fails(void **state)
{
    (void)state;
    char err[256];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    assert_int_equal(rd_kafka_conf_set(conf, "security.protocol", "ssl", err, sizeof(err)),
                     RD_KAFKA_CONF_OK);
    assert_int_equal(rd_kafka_conf_set(conf, "ssl.ca.location", "kn-test-no-such-ca.pem", err,
                                       sizeof(err)),
                     RD_KAFKA_CONF_OK);
    assert_null(kn_tool_client_new("t", RD_KAFKA_PRODUCER, conf));
}

static void test_catch_stop(void **state)
{
    (void)state;
    kn_tool_stop = 0;
    kn_tool_catch_stop();
    raise(SIGTERM);
    assert_int_equal(kn_tool_stop, 1);
    kn_tool_stop = 0;
    raise(SIGINT);
    assert_int_equal(kn_tool_stop, 1);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_kv),
        cmocka_unit_test(test_parse_long),
        cmocka_unit_test(test_strv),
        cmocka_unit_test(test_conf_set),
        cmocka_unit_test(test_conf_load_file),
        cmocka_unit_test(test_client_conf_order),
        cmocka_unit_test(test_fmt_default),
        cmocka_unit_test(test_fmt_all_columns),
        cmocka_unit_test(test_fmt_errors),
        cmocka_unit_test(test_reader_plain),
        cmocka_unit_test(test_reader_key),
        cmocka_unit_test(test_reader_headers),
        cmocka_unit_test(test_describe),
        cmocka_unit_test(test_topic_match),
        cmocka_unit_test(test_cli_errors),
        cmocka_unit_test(test_cli_num_flag),
        cmocka_unit_test(test_cli_misuse_long),
        cmocka_unit_test(test_client_new_fails),
        cmocka_unit_test(test_catch_stop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
