/*
 * tools/lib/tool.h -- what every kctl-* command-line tool shares.
 *
 * The tools are thin librdkafka clients. This header is their common
 * ground: building an rd_kafka_conf_t from Kafka-style sources (a
 * --command-config / --producer.config properties file, repeated
 * --producer-property k=v overrides), strict number parsing for flags,
 * repeated-flag lists, one way to print errors, and the round trip of an
 * admin request (kctl-topics, kctl-consumer-groups). What more than one
 * tool did the same way lives here once, so the tools keep only what
 * differs between them.
 *
 * Client settings are passed to librdkafka unchanged, so any librdkafka
 * key works. Kafka's Java-only keys that have no librdkafka equivalent
 * (JKS/PKCS12 trust stores, ssl.truststore.*) are refused with a message
 * naming the PEM keys to use instead, never silently dropped.
 */
#ifndef KN_TOOL_H
#define KN_TOOL_H

#include <signal.h>
#include <stdio.h>

#include <librdkafka/rdkafka.h>

#include "kn.h"

/* Exit codes of every tool: 0 success, 1 usage error or failed operation. */
#define KN_TOOL_EXIT_OK   0
#define KN_TOOL_EXIT_FAIL 1

/* A growable list of strings, for flags that may be repeated. */
typedef struct {
    char   **items;   /* owned copies */
    size_t   n;       /* items in use */
    size_t   cap;     /* allocated slots */
} kn_tool_strv_t;

void kn_tool_strv_push(kn_tool_strv_t *v, const char *s);
void kn_tool_strv_free(kn_tool_strv_t *v);

/* Split "key=value" at the first '='. Returns KN_ERROR when there is no
 * '=' or the key is empty; on success *key and *value are kn_malloc'd. */
int kn_tool_split_kv(const char *arg, char **key, char **value);

/* Parse a whole decimal integer within [min, max] (no trailing junk). */
int kn_tool_parse_long(const char *s, long long min, long long max, long long *out);

/* Where a client's settings come from, applied in this order: each file in
 * files (Java properties), then each "k=v" in props. */
typedef struct {
    const char     *bootstrap;   /* --bootstrap-server, required */
    kn_tool_strv_t  files;       /* --command-config / --producer.config ... */
    kn_tool_strv_t  props;       /* --producer-property / --consumer-property */
} kn_tool_client_opts_t;

/* Set one client key on conf, refusing Java-only keys with a hint.
 * origin ("client.properties:3", "--producer-property") goes into err. */
int kn_tool_conf_set(rd_kafka_conf_t *conf, const char *key, const char *value,
                     const char *origin, char *err, size_t errlen);
/* Apply every key of a Java-properties file (common/config.h parser). */
int kn_tool_conf_load_file(rd_kafka_conf_t *conf, const char *path, char *err, size_t errlen);

/* A new conf with librdkafka's log lines routed through kn_log, client.id
 * = client_id, then the tool's defaults (NULL-terminated key, value, key,
 * value, ... list, may be NULL), then opts (bootstrap last so it always
 * wins). Returns NULL with err filled on a bad setting. */
rd_kafka_conf_t *kn_tool_client_conf(const kn_tool_client_opts_t *opts, const char *client_id,
                                     const char *const *defaults, char *err, size_t errlen);

/* Make the client of a tool: rd_kafka_new, and on failure "prog: reason"
 * on stderr, conf destroyed, NULL returned. On success rk owns conf. */
rd_kafka_t *kn_tool_client_new(const char *prog, rd_kafka_type_t type, rd_kafka_conf_t *conf);

/* A client key set from one of the tool's own flags (--isolation-level,
 * --acks ...): applied after opts, so the flag wins over a property. */
typedef struct {
    const char *key;      /* librdkafka key */
    const char *value;    /* NULL: the flag was not given, nothing to set */
    const char *origin;   /* for the error message, e.g. "--isolation-level" */
} kn_tool_flag_conf_t;

/* kn_tool_client_conf with client.id = prog, then the nflags settings of
 * flags (may be NULL). A bad setting is reported as "prog: reason" on
 * stderr and NULL returned: every tool says it so. */
rd_kafka_conf_t *kn_tool_make_conf(const char *prog, const kn_tool_client_opts_t *opts,
                                    const char *const *defaults, const kn_tool_flag_conf_t *flags,
                                    size_t nflags);

/* Free the lists of opts (--command-config files, client properties). */
void kn_tool_client_opts_free(kn_tool_client_opts_t *opts);

/* ---- admin requests (kctl-topics, kctl-consumer-groups) ---------------
 * An Admin client is a producer handle plus one queue that every request
 * answers on; the tools send one request at a time and wait for its
 * result event before the next. */
typedef struct {
    rd_kafka_t       *rk;
    rd_kafka_queue_t *q;           /* the result events arrive here */
    int               timeout_ms;  /* request timeout of every request */
    int               wait_ms;     /* how long to wait for a result event */
} kn_tool_admin_t;

/* Open a's client from opts (errors printed as "prog: reason"). The
 * caller sets a->timeout_ms and a->wait_ms. KN_OK or KN_ERROR. */
int kn_tool_admin_open(kn_tool_admin_t *a, const char *prog, const kn_tool_client_opts_t *opts);
void kn_tool_admin_close(kn_tool_admin_t *a);

/* Options for one request of kind op, with a->timeout_ms as its request
 * timeout. The caller destroys them. */
rd_kafka_AdminOptions_t *kn_tool_admin_options(const kn_tool_admin_t *a, rd_kafka_admin_op_t op);

/* Wait for the result event of the request just sent. Returns it (the
 * caller destroys it) when the request as a whole succeeded; else NULL,
 * with err set to on_timeout when nothing came within a->wait_ms, or to
 * the event's own error text. Per-item errors stay in the event. */
rd_kafka_event_t *kn_tool_admin_wait(const kn_tool_admin_t *a, const char *on_timeout, char *err,
                                      size_t errlen);

/* Set to 1 by SIGINT/SIGTERM once kn_tool_catch_stop() ran; the tools'
 * loops check it to stop cleanly and still print their summary. */
extern volatile sig_atomic_t kn_tool_stop;

/* Catch SIGINT and SIGTERM into kn_tool_stop. No SA_RESTART: a signal must
 * interrupt a blocking read (kctl-console-producer reading stdin). */
void kn_tool_catch_stop(void);

/* Start a tool: logging named after it, at WARN unless KCTL_LOG_LEVEL says
 * otherwise (librdkafka's connection chatter is noise for an operator). */
void kn_tool_init(const char *progname);

/* "progname: message" to stderr. */
void kn_tool_err(const char *progname, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- command-line handling shared by the Kafka-style tools ------------
 * Each tool parses with getopt_long(argc, argv, ":", ...) and opterr = 0,
 * so it sees ':' for an option missing its value and '?' for an unknown
 * one, and reports both the way Kafka's tools do: one line naming the
 * tool, then the usage text. */
typedef struct {
    const char *prog;              /* "kctl-topics" */
    void      (*usage)(FILE *out); /* prints the tool's help text */
    FILE       *err;               /* where errors go; NULL = stderr */
} kn_tool_cli_t;

/* A usage error: "prog: message" and then the usage. Returns
 * KN_TOOL_EXIT_FAIL. The message is cut at 511 bytes. */
int kn_tool_misuse(const kn_tool_cli_t *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The usage error of a required flag left out:
 * Missing required argument "[name]". Returns KN_TOOL_EXIT_FAIL. */
int kn_tool_missing(const kn_tool_cli_t *cli, const char *name);

/* The usage error of what getopt_long returned that is no option of the
 * tool (c is ':' or '?'). Returns KN_TOOL_EXIT_FAIL. */
int kn_tool_opt_error(const kn_tool_cli_t *cli, int c, char **argv);

/* A flag value that does not parse: "flag: expected want, got 'got'".
 * Returns KN_TOOL_EXIT_FAIL. */
int kn_tool_bad_value(const kn_tool_cli_t *cli, const char *flag, const char *want,
                      const char *got);

/* A numeric flag checked now, so a typo is a usage error rather than a
 * librdkafka message about a config key the user never typed: -1 when v is
 * a whole number in [min, max] (stored in *out unless out is NULL), else
 * the usage error "flag: expected an integer in [min, max], got 'v'". */
int kn_tool_num_flag(const kn_tool_cli_t *cli, const char *flag, const char *v, long long min,
                     long long max, long long *out);

/* --help (the usage to stdout) and --version ("prog VERSION" to stdout).
 * Both return KN_TOOL_EXIT_OK. */
int kn_tool_help(const kn_tool_cli_t *cli);
int kn_tool_version(const kn_tool_cli_t *cli);

/* Flags of which exactly one may be given (kctl-topics' --create, --list
 * ...): the last one seen, and how many different ones were seen, so the
 * tool can refuse two with one message after the option loop. */
typedef struct {
    int value;   /* the tool's enum value of the last flag; 0 = none */
    int count;   /* distinct flags given (a repeated flag counts once) */
} kn_tool_choice_t;

void kn_tool_choose(kn_tool_choice_t *c, int value);

/* Setter of a tool's own --property KEY=VALUE settings (record format,
 * line reader): KN_OK, or KN_ERROR with the reason in err. */
typedef int (*kn_tool_prop_fn)(void *ctx, const char *key, const char *value, char *err,
                                size_t errlen);

/* Apply each "key=value" of props through set. -1 when all applied, else
 * the usage error's exit code: "--property: expected key=value, got 'x'"
 * or the setter's own reason. */
int kn_tool_apply_props(const kn_tool_cli_t *cli, const kn_tool_strv_t *props,
                         kn_tool_prop_fn set, void *ctx);

/* The durability tools (kctl-verifiable-*) answer a bad command line with
 * one terse line and no usage. For what getopt_long returned that is no
 * option (c is ':' or '?'); returns KN_ERROR. */
int kn_tool_terse_opt_error(const char *prog, int c, char **argv);

/* The same tools' checks after the option loop: no operand left over and
 * both --bootstrap-server and --topic given. KN_OK or KN_ERROR (printed). */
int kn_tool_terse_finish(const char *prog, int argc, char **argv, const char *bootstrap,
                         const char *topic);

/* The first half of that check: no operand left over after the options
 * ("unexpected argument x"). KN_OK or KN_ERROR (printed). */
int kn_tool_terse_operands(const char *prog, int argc, char **argv);

/* A numeric flag of these tools: KN_OK with *out set when v is a whole
 * number in [min, max], else "prog: flag: want: v" and KN_ERROR. */
int kn_tool_terse_long(const char *prog, const char *flag, const char *want, const char *v,
                        long long min, long long max, long long *out);

/* Their --version: "prog (Kanal) VERSION" on stdout, then exit 0. */
_Noreturn void kn_tool_terse_version(const char *prog);

#endif /* KN_TOOL_H */
