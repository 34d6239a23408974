/*
 * tools/lib/tool.h -- what every kctl-* command-line tool shares.
 *
 * The tools are thin librdkafka clients. This header is their common
 * ground: building an rd_kafka_conf_t from Kafka-style sources (a
 * --command-config / --producer.config properties file, repeated
 * --producer-property k=v overrides), strict number parsing for flags,
 * repeated-flag lists, and one way to print errors.
 *
 * Client settings are passed to librdkafka unchanged, so any librdkafka
 * key works. Kafka's Java-only keys that have no librdkafka equivalent
 * (JKS/PKCS12 trust stores, ssl.truststore.*) are refused with a message
 * naming the PEM keys to use instead, never silently dropped.
 */
#ifndef KN_TOOL_H
#define KN_TOOL_H

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

/* Start a tool: logging named after it, at WARN unless KCTL_LOG_LEVEL says
 * otherwise (librdkafka's connection chatter is noise for an operator). */
void kn_tool_init(const char *progname);

/* "progname: message" to stderr. */
void kn_tool_err(const char *progname, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* KN_TOOL_H */
