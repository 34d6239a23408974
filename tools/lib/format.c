/*
 * tools/lib/format.c -- record <-> text for the console tools (see format.h).
 *
 * The output layout follows Kafka's DefaultMessageFormatter exactly, since
 * operators pipe console-consumer output into scripts written for Kafka:
 * columns in the order timestamp, partition, offset, headers, key, value,
 * each followed by key.separator, except the last printed column which is
 * followed by line.separator.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tools/lib/format.h"

int kn_tool_parse_bool(const char *s, bool *out)
{
    if (strcasecmp(s, "true") == 0) {
        *out = true;
        return KN_OK;
    }
    if (strcasecmp(s, "false") == 0) {
        *out = false;
        return KN_OK;
    }
    return KN_ERROR;
}

/* Replace an owned string. */
static void kn_tool_str_set(char **dst, const char *s)
{
    free(*dst);
    *dst = s ? kn_strdup(s) : NULL;
}

void kn_tool_fmt_init(kn_tool_fmt_t *f)
{
    memset(f, 0, sizeof(*f));
    f->print_value = true;
    f->key_sep = kn_strdup("\t");
    f->line_sep = kn_strdup("\n");
    f->headers_sep = kn_strdup(",");
    f->null_literal = kn_strdup("null");
}

void kn_tool_fmt_free(kn_tool_fmt_t *f)
{
    free(f->key_sep);
    free(f->line_sep);
    free(f->headers_sep);
    free(f->null_literal);
    memset(f, 0, sizeof(*f));
}

int kn_tool_fmt_set(kn_tool_fmt_t *f, const char *key, const char *value,
                    char *err, size_t errlen)
{
    static const struct {
        const char *name;
        size_t      off;
    } bools[] = {
        { "print.timestamp", offsetof(kn_tool_fmt_t, print_timestamp) },
        { "print.partition", offsetof(kn_tool_fmt_t, print_partition) },
        { "print.offset",    offsetof(kn_tool_fmt_t, print_offset) },
        { "print.headers",   offsetof(kn_tool_fmt_t, print_headers) },
        { "print.key",       offsetof(kn_tool_fmt_t, print_key) },
        { "print.value",     offsetof(kn_tool_fmt_t, print_value) },
    };

    for (size_t i = 0; i < KN_ARRAY_LEN(bools); i++) {
        if (strcmp(key, bools[i].name) == 0) {
            bool *b = (bool *)((char *)f + bools[i].off);
            if (kn_tool_parse_bool(value, b) != KN_OK) {
                snprintf(err, errlen, "--property %s: expected true or false, got '%s'", key, value);
                return KN_ERROR;
            }
            return KN_OK;
        }
    }
    if (strcmp(key, "key.separator") == 0) {
        kn_tool_str_set(&f->key_sep, value);
    } else if (strcmp(key, "line.separator") == 0) {
        kn_tool_str_set(&f->line_sep, value);
    } else if (strcmp(key, "headers.separator") == 0) {
        kn_tool_str_set(&f->headers_sep, value);
    } else if (strcmp(key, "null.literal") == 0) {
        kn_tool_str_set(&f->null_literal, value);
    } else {
        snprintf(err, errlen, "--property %s: unknown formatter property", key);
        return KN_ERROR;
    }
    return KN_OK;
}

static void kn_tool_fmt_bytes(const kn_tool_fmt_t *f, FILE *out, const void *p, size_t len)
{
    if (p == NULL) {
        fputs(f->null_literal, out);
    } else if (len > 0) {
        fwrite(p, 1, len, out);
    }
}

/* After a column: the column separator if more columns follow, else the
 * line separator (Kafka's writeSeparator). */
static void kn_tool_fmt_sep(const kn_tool_fmt_t *f, FILE *out, bool more)
{
    fputs(more ? f->key_sep : f->line_sep, out);
}

void kn_tool_fmt_record(const kn_tool_fmt_t *f, FILE *out, const kn_tool_record_t *rec)
{
    if (f->print_timestamp) {
        switch (rec->ts_type) {
        case KN_TOOL_TS_CREATE:
            fprintf(out, "CreateTime:%lld", (long long)rec->timestamp);
            break;
        case KN_TOOL_TS_LOG_APPEND:
            fprintf(out, "LogAppendTime:%lld", (long long)rec->timestamp);
            break;
        default:
            fputs("NO_TIMESTAMP", out);
            break;
        }
        kn_tool_fmt_sep(f, out, f->print_partition || f->print_offset || f->print_headers ||
                                f->print_key || f->print_value);
    }
    if (f->print_partition) {
        fprintf(out, "Partition:%d", (int)rec->partition);
        kn_tool_fmt_sep(f, out, f->print_offset || f->print_headers || f->print_key ||
                                f->print_value);
    }
    if (f->print_offset) {
        fprintf(out, "Offset:%lld", (long long)rec->offset);
        kn_tool_fmt_sep(f, out, f->print_headers || f->print_key || f->print_value);
    }
    if (f->print_headers) {
        if (rec->nheaders == 0) {
            fputs("NO_HEADERS", out);
        }
        for (size_t i = 0; i < rec->nheaders; i++) {
            if (i > 0) {
                fputs(f->headers_sep, out);
            }
            fprintf(out, "%s:", rec->headers[i].name);
            kn_tool_fmt_bytes(f, out, rec->headers[i].value, rec->headers[i].value_len);
        }
        kn_tool_fmt_sep(f, out, f->print_key || f->print_value);
    }
    if (f->print_key) {
        kn_tool_fmt_bytes(f, out, rec->key, rec->key_len);
        kn_tool_fmt_sep(f, out, f->print_value);
    }
    if (f->print_value) {
        kn_tool_fmt_bytes(f, out, rec->value, rec->value_len);
        fputs(f->line_sep, out);
    }
}

void kn_tool_reader_init(kn_tool_reader_t *r)
{
    memset(r, 0, sizeof(*r));
    r->key_sep = kn_strdup("\t");
    r->headers_delim = kn_strdup("\t");
    r->headers_sep = kn_strdup(",");
    r->headers_key_sep = kn_strdup(":");
}

void kn_tool_reader_free(kn_tool_reader_t *r)
{
    free(r->key_sep);
    free(r->headers_delim);
    free(r->headers_sep);
    free(r->headers_key_sep);
    free(r->null_marker);
    memset(r, 0, sizeof(*r));
}

int kn_tool_reader_set(kn_tool_reader_t *r, const char *key, const char *value,
                       char *err, size_t errlen)
{
    bool *b = NULL;
    char **s = NULL;

    if (strcmp(key, "parse.key") == 0) {
        b = &r->parse_key;
    } else if (strcmp(key, "parse.headers") == 0) {
        b = &r->parse_headers;
    } else if (strcmp(key, "ignore.error") == 0) {
        b = &r->ignore_error;
    } else if (strcmp(key, "key.separator") == 0) {
        s = &r->key_sep;
    } else if (strcmp(key, "headers.delimiter") == 0) {
        s = &r->headers_delim;
    } else if (strcmp(key, "headers.separator") == 0) {
        s = &r->headers_sep;
    } else if (strcmp(key, "headers.key.separator") == 0) {
        s = &r->headers_key_sep;
    } else if (strcmp(key, "null.marker") == 0) {
        s = &r->null_marker;
    } else {
        snprintf(err, errlen, "--property %s: unknown reader property", key);
        return KN_ERROR;
    }
    if (b != NULL) {
        if (kn_tool_parse_bool(value, b) != KN_OK) {
            snprintf(err, errlen, "--property %s: expected true or false, got '%s'", key, value);
            return KN_ERROR;
        }
        return KN_OK;
    }
    /* An empty separator would match everywhere and split nothing. */
    if (value[0] == '\0' && s != &r->null_marker) {
        snprintf(err, errlen, "--property %s: must not be empty", key);
        return KN_ERROR;
    }
    kn_tool_str_set(s, value);
    return KN_OK;
}

/* First occurrence of sep in [p, p+len), or NULL. */
static const char *kn_tool_find(const char *p, size_t len, const char *sep)
{
    return memmem(p, len, sep, strlen(sep));
}

static bool kn_tool_is_null(const kn_tool_reader_t *r, const char *p, size_t len)
{
    return r->null_marker != NULL && strlen(r->null_marker) == len &&
           memcmp(r->null_marker, p, len) == 0;
}

/* Split "k1:v1,k2:v2" into out->headers. A header without the key
 * separator has a null value, as in Kafka. */
static void kn_tool_parse_headers(const kn_tool_reader_t *r, const char *p, size_t len,
                                  kn_tool_line_t *out)
{
    size_t seplen = strlen(r->headers_sep), kseplen = strlen(r->headers_key_sep);

    if (len == 0) {
        return;
    }
    for (;;) {
        const char *end = kn_tool_find(p, len, r->headers_sep);
        size_t hlen = end ? (size_t)(end - p) : len;
        const char *ksep = kn_tool_find(p, hlen, r->headers_key_sep);
        kn_tool_header_t *h;

        out->headers = kn_realloc(out->headers, (out->nheaders + 1) * sizeof(*out->headers));
        h = &out->headers[out->nheaders++];
        if (ksep != NULL) {
            h->name = kn_strndup(p, (size_t)(ksep - p));
            h->value = ksep + kseplen;
            h->value_len = hlen - (size_t)(ksep - p) - kseplen;
            if (kn_tool_is_null(r, h->value, h->value_len)) {
                h->value = NULL;
                h->value_len = 0;
            }
        } else {
            h->name = kn_strndup(p, hlen);
            h->value = NULL;
            h->value_len = 0;
        }
        if (end == NULL) {
            break;
        }
        len -= hlen + seplen;
        p = end + seplen;
    }
}

int kn_tool_reader_parse(const kn_tool_reader_t *r, const char *line, size_t len, long lineno,
                         kn_tool_line_t *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof(*out));
    if (r->parse_headers) {
        const char *d = kn_tool_find(line, len, r->headers_delim);
        if (d == NULL) {
            if (!r->ignore_error) {
                snprintf(err, errlen, "No headers delimiter found on line number %ld: '%.*s'",
                         lineno, (int)KN_MIN(len, 200), line);
                return KN_ERROR;
            }
        } else {
            size_t hlen = (size_t)(d - line), dlen = strlen(r->headers_delim);
            kn_tool_parse_headers(r, line, hlen, out);
            line = d + dlen;
            len -= hlen + dlen;
        }
    }
    if (r->parse_key) {
        const char *s = kn_tool_find(line, len, r->key_sep);
        if (s == NULL) {
            if (!r->ignore_error) {
                snprintf(err, errlen, "No key separator found on line number %ld: '%.*s'",
                         lineno, (int)KN_MIN(len, 200), line);
                return KN_ERROR;
            }
        } else {
            size_t klen = (size_t)(s - line), slen = strlen(r->key_sep);
            out->key = line;
            out->key_len = klen;
            if (kn_tool_is_null(r, out->key, klen)) {
                out->key = NULL;
                out->key_len = 0;
            }
            line = s + slen;
            len -= klen + slen;
        }
    }
    out->value = line;
    out->value_len = len;
    if (kn_tool_is_null(r, line, len)) {
        out->value = NULL;
        out->value_len = 0;
    }
    return KN_OK;
}

void kn_tool_line_free(kn_tool_line_t *out)
{
    for (size_t i = 0; i < out->nheaders; i++) {
        free((char *)out->headers[i].name);
    }
    free(out->headers);
    memset(out, 0, sizeof(*out));
}
