/*
 * tools/lib/tool.c -- client configuration, admin request round trips and
 * command-line helpers shared by the kctl-* tools (see tool.h).
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/config.h"
#include "log.h"
#include "tools/lib/tool.h"

void kn_tool_strv_push(kn_tool_strv_t *v, const char *s)
{
    if (v->n == v->cap) {
        v->cap = v->cap ? v->cap * 2 : 4;
        v->items = kn_realloc(v->items, v->cap * sizeof(*v->items));
    }
    v->items[v->n++] = kn_strdup(s);
}

void kn_tool_strv_free(kn_tool_strv_t *v)
{
    for (size_t i = 0; i < v->n; i++) {
        free(v->items[i]);
    }
    free(v->items);
    v->items = NULL;
    v->n = v->cap = 0;
}

int kn_tool_split_kv(const char *arg, char **key, char **value)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL || eq == arg) {
        return KN_ERROR;
    }
    *key = kn_strndup(arg, (size_t)(eq - arg));
    *value = kn_strdup(eq + 1);
    return KN_OK;
}

int kn_tool_parse_long(const char *s, long long min, long long max, long long *out)
{
    char *end;

    if (s == NULL || *s == '\0') {
        return KN_ERROR;
    }
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return KN_ERROR;
    }
    *out = v;
    return KN_OK;
}

/* Kafka (Java) client keys that librdkafka has no equivalent for, and what
 * to use instead. Passing them through would fail with librdkafka's bare
 * "No such configuration property", which does not help an operator. */
static const struct {
    const char *key;
    const char *hint;
} kn_tool_java_keys[] = {
    { "ssl.truststore.location",
      "JKS/PKCS12 trust stores are not supported; use ssl.ca.location=<PEM CA file>" },
    { "ssl.truststore.password",
      "JKS/PKCS12 trust stores are not supported; use ssl.ca.location=<PEM CA file>" },
    { "ssl.truststore.type",
      "JKS/PKCS12 trust stores are not supported; use ssl.ca.location=<PEM CA file>" },
    { "ssl.keystore.type",
      "key stores must be PKCS#12 (ssl.keystore.location) or PEM "
      "(ssl.certificate.location + ssl.key.location); JKS is not supported" },
    { "sasl.jaas.config",
      "JAAS is Java-only; use sasl.username and sasl.password" },
    { "ssl.protocol", "not needed: TLS 1.2 or newer is negotiated automatically" },
    { "ssl.enabled.protocols", "not needed: TLS 1.2 or newer is negotiated automatically" },
};

int kn_tool_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                     const char *origin, char *err, size_t errlen)
{
    char rkerr[256];

    /* A PKCS#12 key store is exactly what librdkafka expects, so an
     * explicit ssl.keystore.type=PKCS12 is accepted and needs no action. */
    if (strcmp(key, "ssl.keystore.type") == 0 && strcasecmp(value, "PKCS12") == 0) {
        return KN_OK;
    }
    for (size_t i = 0; i < KN_ARRAY_LEN(kn_tool_java_keys); i++) {
        if (strcmp(key, kn_tool_java_keys[i].key) == 0) {
            snprintf(err, errlen, "%s: %s: %s", origin, key, kn_tool_java_keys[i].hint);
            return KN_ERROR;
        }
    }
    if (rd_kafka_conf_set(conf, key, value, rkerr, sizeof(rkerr)) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "%s: %s: %s", origin, key, rkerr);
        return KN_ERROR;
    }
    return KN_OK;
}

/* State handed to the properties parser callback. */
typedef struct {
    rd_kafka_conf_t *conf;
    const char      *path;
    char            *err;
    size_t           errlen;
} kn_tool_load_t;

static int kn_tool_load_cb(void *ud, const char *key, const char *value, int line)
{
    kn_tool_load_t *ld = ud;
    char origin[512];

    snprintf(origin, sizeof(origin), "%s:%d", ld->path, line);
    return kn_tool_conf_set(ld->conf, key, value, origin, ld->err, ld->errlen);
}

int kn_tool_conf_load_file(rd_kafka_conf_t *conf, const char *path, char *err, size_t errlen)
{
    kn_tool_load_t ld = { conf, path, err, errlen };

    err[0] = '\0';
    if (kn_props_parse_file(path, kn_tool_load_cb, &ld, err, errlen) != KN_OK) {
        if (err[0] == '\0') {
            snprintf(err, errlen, "%s: cannot parse properties", path);
        }
        return KN_ERROR;
    }
    return KN_OK;
}

/* librdkafka log lines (syslog levels 0..7) into Kanal's log. */
static void kn_tool_rdkafka_log(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    kn_log_level_t l;

    KN_UNUSED(rk);
    if (level <= 3) {
        l = KN_LOG_ERROR;
    } else if (level == 4) {
        l = KN_LOG_WARN;
    } else if (level <= 6) {
        l = KN_LOG_INFO;
    } else {
        l = KN_LOG_DEBUG;
    }
    kn_log(l, "rdkafka", "%s: %s", fac, buf);
}

rd_kafka_conf_t *kn_tool_client_conf(const kn_tool_client_opts_t *opts, const char *client_id,
                                     const char *const *defaults, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();

    rd_kafka_conf_set_log_cb(conf, kn_tool_rdkafka_log);
    if (kn_tool_conf_set(conf, "client.id", client_id, "default", err, errlen) != KN_OK) {
        goto fail;
    }
    for (size_t i = 0; defaults != NULL && defaults[i] != NULL; i += 2) {
        if (kn_tool_conf_set(conf, defaults[i], defaults[i + 1], "default", err, errlen) != KN_OK) {
            goto fail;
        }
    }
    for (size_t i = 0; i < opts->files.n; i++) {
        if (kn_tool_conf_load_file(conf, opts->files.items[i], err, errlen) != KN_OK) {
            goto fail;
        }
    }
    for (size_t i = 0; i < opts->props.n; i++) {
        char *k, *v;
        if (kn_tool_split_kv(opts->props.items[i], &k, &v) != KN_OK) {
            snprintf(err, errlen, "expected key=value, got '%s'", opts->props.items[i]);
            goto fail;
        }
        int rc = kn_tool_conf_set(conf, k, v, "command line", err, errlen);
        free(k);
        free(v);
        if (rc != KN_OK) {
            goto fail;
        }
    }
    if (opts->bootstrap != NULL &&
        kn_tool_conf_set(conf, "bootstrap.servers", opts->bootstrap, "--bootstrap-server",
                         err, errlen) != KN_OK) {
        goto fail;
    }
    return conf;

fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

rd_kafka_t *kn_tool_client_new(const char *prog, rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));

    if (rk == NULL) {
        rd_kafka_conf_destroy(conf);   /* rd_kafka_new only takes it on success */
        kn_tool_err(prog, "%s", err);
    }
    return rk;
}

rd_kafka_conf_t *kn_tool_make_conf(const char *prog, const kn_tool_client_opts_t *opts,
                                    const char *const *defaults, const kn_tool_flag_conf_t *flags,
                                    size_t nflags)
{
    char err[512];
    rd_kafka_conf_t *conf = kn_tool_client_conf(opts, prog, defaults, err, sizeof(err));

    for (size_t i = 0; conf != NULL && i < nflags; i++) {
        if (flags[i].value != NULL &&
            kn_tool_conf_set(conf, flags[i].key, flags[i].value, flags[i].origin, err,
                             sizeof(err)) != KN_OK) {
            rd_kafka_conf_destroy(conf);
            conf = NULL;
        }
    }
    if (conf == NULL) {
        kn_tool_err(prog, "%s", err);
    }
    return conf;
}

void kn_tool_client_opts_free(kn_tool_client_opts_t *opts)
{
    kn_tool_strv_free(&opts->files);
    kn_tool_strv_free(&opts->props);
}

/* ---- admin requests ---------------------------------------------------- */

int kn_tool_admin_open(kn_tool_admin_t *a, const char *prog, const kn_tool_client_opts_t *opts)
{
    rd_kafka_conf_t *conf = kn_tool_make_conf(prog, opts, NULL, NULL, 0);

    a->rk = NULL;
    a->q = NULL;
    if (conf == NULL) {
        return KN_ERROR;
    }
    /* Admin requests need no producer behaviour; a producer handle is
     * simply the lightest client type librdkafka has. */
    a->rk = kn_tool_client_new(prog, RD_KAFKA_PRODUCER, conf);
    if (a->rk == NULL) {
        return KN_ERROR;
    }
    a->q = rd_kafka_queue_new(a->rk);
    return KN_OK;
}

void kn_tool_admin_close(kn_tool_admin_t *a)
{
    /* The queue first: it holds a reference on the client. */
    if (a->q != NULL) {
        rd_kafka_queue_destroy(a->q);
    }
    if (a->rk != NULL) {
        rd_kafka_destroy(a->rk);
    }
    a->q = NULL;
    a->rk = NULL;
}

rd_kafka_AdminOptions_t *kn_tool_admin_options(const kn_tool_admin_t *a, rd_kafka_admin_op_t op)
{
    char err[256];
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(a->rk, op);

    /* Cannot fail for a positive timeout; err is only librdkafka's slot. */
    rd_kafka_AdminOptions_set_request_timeout(ao, a->timeout_ms, err, sizeof(err));
    return ao;
}

rd_kafka_event_t *kn_tool_admin_wait(const kn_tool_admin_t *a, const char *on_timeout, char *err,
                                      size_t errlen)
{
    rd_kafka_event_t *ev = rd_kafka_queue_poll(a->q, a->wait_ms);

    if (ev == NULL) {
        snprintf(err, errlen, "%s", on_timeout);
        return NULL;
    }
    if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        snprintf(err, errlen, "%s", rd_kafka_event_error_string(ev));
        rd_kafka_event_destroy(ev);
        return NULL;
    }
    return ev;
}

volatile sig_atomic_t kn_tool_stop;

static void kn_tool_on_stop_signal(int sig)
{
    KN_UNUSED(sig);
    kn_tool_stop = 1;
}

void kn_tool_catch_stop(void)
{
    struct sigaction sa = { .sa_handler = kn_tool_on_stop_signal };

    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

void kn_tool_init(const char *progname)
{
    kn_log_level_t level = KN_LOG_WARN;
    const char *env = getenv("KCTL_LOG_LEVEL");

    if (env != NULL && kn_log_level_parse(env, &level) != KN_OK) {
        level = KN_LOG_WARN;
    }
    kn_log_init(progname, level);
}

void kn_tool_err(const char *progname, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", progname);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* ---- command-line handling -------------------------------------------- */

static FILE *kn_tool_cli_err(const kn_tool_cli_t *cli)
{
    return cli->err != NULL ? cli->err : stderr;
}

int kn_tool_misuse(const kn_tool_cli_t *cli, const char *fmt, ...)
{
    /* Formatted into a bounded buffer first: the tools always cut their
     * usage messages at this size, and their output stays the same. */
    char msg[512];
    va_list ap;
    FILE *out = kn_tool_cli_err(cli);

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(out, "%s: %s\n", cli->prog, msg);
    cli->usage(out);
    return KN_TOOL_EXIT_FAIL;
}

int kn_tool_missing(const kn_tool_cli_t *cli, const char *name)
{
    return kn_tool_misuse(cli, "Missing required argument \"[%s]\"", name);
}

int kn_tool_opt_error(const kn_tool_cli_t *cli, int c, char **argv)
{
    if (c == ':') {
        return kn_tool_misuse(cli, "option '%s' requires an argument", argv[optind - 1]);
    }
    return kn_tool_misuse(cli, "unrecognized option '%s'", argv[optind - 1]);
}

int kn_tool_bad_value(const kn_tool_cli_t *cli, const char *flag, const char *want,
                      const char *got)
{
    return kn_tool_misuse(cli, "%s: expected %s, got '%s'", flag, want, got);
}

int kn_tool_num_flag(const kn_tool_cli_t *cli, const char *flag, const char *v, long long min,
                     long long max, long long *out)
{
    long long n;

    if (kn_tool_parse_long(v, min, max, &n) != KN_OK) {
        return kn_tool_misuse(cli, "%s: expected an integer in [%lld, %lld], got '%s'", flag, min,
                              max, v);
    }
    if (out != NULL) {
        *out = n;
    }
    return -1;
}

int kn_tool_help(const kn_tool_cli_t *cli)
{
    cli->usage(stdout);
    return KN_TOOL_EXIT_OK;
}

int kn_tool_version(const kn_tool_cli_t *cli)
{
    printf("%s %s\n", cli->prog, PACKAGE_VERSION);
    return KN_TOOL_EXIT_OK;
}

void kn_tool_choose(kn_tool_choice_t *c, int value)
{
    if (c->value != value) {
        c->count++;
    }
    c->value = value;
}

int kn_tool_apply_props(const kn_tool_cli_t *cli, const kn_tool_strv_t *props,
                         kn_tool_prop_fn set, void *ctx)
{
    char msg[512];

    for (size_t i = 0; i < props->n; i++) {
        char *k, *v;
        if (kn_tool_split_kv(props->items[i], &k, &v) != KN_OK) {
            return kn_tool_bad_value(cli, "--property", "key=value", props->items[i]);
        }
        int rc = set(ctx, k, v, msg, sizeof(msg));
        free(k);
        free(v);
        if (rc != KN_OK) {
            return kn_tool_misuse(cli, "%s", msg);
        }
    }
    return -1;
}

int kn_tool_terse_opt_error(const char *prog, int c, char **argv)
{
    if (c == ':') {
        kn_tool_err(prog, "option %s needs a value", argv[optind - 1]);
    } else {
        kn_tool_err(prog, "unknown option %s (see --help)", argv[optind - 1]);
    }
    return KN_ERROR;
}

int kn_tool_terse_operands(const char *prog, int argc, char **argv)
{
    if (optind < argc) {
        kn_tool_err(prog, "unexpected argument %s", argv[optind]);
        return KN_ERROR;
    }
    return KN_OK;
}

int kn_tool_terse_finish(const char *prog, int argc, char **argv, const char *bootstrap,
                         const char *topic)
{
    if (kn_tool_terse_operands(prog, argc, argv) != KN_OK) {
        return KN_ERROR;
    }
    if (bootstrap == NULL || topic == NULL) {
        kn_tool_err(prog, "--bootstrap-server and --topic are required (see --help)");
        return KN_ERROR;
    }
    return KN_OK;
}

int kn_tool_terse_long(const char *prog, const char *flag, const char *want, const char *v,
                        long long min, long long max, long long *out)
{
    if (kn_tool_parse_long(v, min, max, out) != KN_OK) {
        kn_tool_err(prog, "%s: %s: %s", flag, want, v);
        return KN_ERROR;
    }
    return KN_OK;
}

void kn_tool_terse_version(const char *prog)
{
    printf("%s (Kanal) %s\n", prog, PACKAGE_VERSION);
    exit(KN_TOOL_EXIT_OK);
}
