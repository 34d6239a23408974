/*
 * tools/lib/format.h -- the text forms of records used by the console tools.
 *
 * kn_tool_fmt_*: how kctl-console-consumer prints a record, Kafka's
 * DefaultMessageFormatter (--property print.key=true, key.separator=...,
 * print.partition, print.offset, print.timestamp, print.headers,
 * print.value, line.separator, headers.separator, null.literal).
 *
 * kn_tool_reader_*: how kctl-console-producer turns a stdin line into a
 * record, Kafka's LineMessageReader (--property parse.key=true,
 * key.separator=..., ignore.error, null.marker, parse.headers,
 * headers.delimiter, headers.separator, headers.key.separator).
 *
 * Both are independent of librdkafka so they can be tested alone.
 */
#ifndef KN_TOOL_FORMAT_H
#define KN_TOOL_FORMAT_H

#include <stdio.h>

#include "kn.h"

/* Timestamp kinds, numbered as in the record batch attributes + 1. */
typedef enum {
    KN_TOOL_TS_NONE = 0,
    KN_TOOL_TS_CREATE,
    KN_TOOL_TS_LOG_APPEND
} kn_tool_ts_type_t;

typedef struct {
    const char *name;        /* header key (NUL-terminated) */
    const void *value;       /* NULL = null value */
    size_t      value_len;
} kn_tool_header_t;

/* A consumed record, as the formatter sees it. */
typedef struct {
    int32_t                 partition;
    int64_t                 offset;
    kn_tool_ts_type_t       ts_type;
    int64_t                 timestamp;   /* ms since epoch */
    const void             *key;         /* NULL = null key */
    size_t                  key_len;
    const void             *value;       /* NULL = null value (tombstone) */
    size_t                  value_len;
    const kn_tool_header_t *headers;
    size_t                  nheaders;
} kn_tool_record_t;

typedef struct {
    bool  print_timestamp, print_partition, print_offset, print_headers;
    bool  print_key, print_value;
    char *key_sep;       /* between columns, default "\t" */
    char *line_sep;      /* after each record, default "\n" */
    char *headers_sep;   /* between headers, default "," */
    char *null_literal;  /* printed for a null key/value, default "null" */
} kn_tool_fmt_t;

void kn_tool_fmt_init(kn_tool_fmt_t *f);
void kn_tool_fmt_free(kn_tool_fmt_t *f);
/* Apply one --property; KN_ERROR with err filled for unknown keys or
 * non-boolean print.* values. */
int  kn_tool_fmt_set(kn_tool_fmt_t *f, const char *key, const char *value,
                     char *err, size_t errlen);
void kn_tool_fmt_record(const kn_tool_fmt_t *f, FILE *out, const kn_tool_record_t *rec);

typedef struct {
    bool  parse_key;
    bool  parse_headers;
    bool  ignore_error;      /* missing separator: whole line is the value */
    char *key_sep;           /* default "\t" */
    char *headers_delim;     /* headers | rest, default "\t" */
    char *headers_sep;       /* between headers, default "," */
    char *headers_key_sep;   /* header key:value, default ":" */
    char *null_marker;       /* key/value equal to this are null; NULL = off */
} kn_tool_reader_t;

/* One parsed line; pointers point into the line given to the parser. */
typedef struct {
    const char       *key;        /* NULL = null key */
    size_t            key_len;
    const char       *value;      /* NULL = null value */
    size_t            value_len;
    kn_tool_header_t *headers;    /* owned array; names are owned copies */
    size_t            nheaders;
} kn_tool_line_t;

void kn_tool_reader_init(kn_tool_reader_t *r);
void kn_tool_reader_free(kn_tool_reader_t *r);
int  kn_tool_reader_set(kn_tool_reader_t *r, const char *key, const char *value,
                        char *err, size_t errlen);
/* Parse line (len bytes, no line terminator) into out. lineno is for the
 * error message. Returns KN_ERROR with err filled when a required
 * separator is missing. Release out with kn_tool_line_free() either way. */
int  kn_tool_reader_parse(const kn_tool_reader_t *r, const char *line, size_t len, long lineno,
                          kn_tool_line_t *out, char *err, size_t errlen);
void kn_tool_line_free(kn_tool_line_t *out);

/* "true"/"false" (case-insensitive), as Java's Boolean.parseBoolean but strict. */
int kn_tool_parse_bool(const char *s, bool *out);

#endif /* KN_TOOL_FORMAT_H */
