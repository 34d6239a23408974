/*
 * common/props.c -- the Java-properties parser behind config files (see
 * kn_props_parse() in common/config.h).
 *
 * Follows java.util.Properties.load(): a natural line is split off at
 * "\n", "\r" or "\r\n"; lines whose first non-blank is '#' or '!' are
 * comments; an odd number of trailing backslashes continues the line and the
 * continued line's leading blanks are dropped. The key runs to the first
 * unescaped '=', ':' or blank. Escapes are decoded after the logical line
 * is assembled, so "\=" inside a key is a literal '='.
 *
 * Bytes are passed through unchanged (files are read as UTF-8, where Java
 * reads ISO-8859-1), \uXXXX escapes become UTF-8, and a leading UTF-8
 * byte-order mark is skipped so an editor's BOM does not turn the first key
 * into an unknown one.
 */
#include "config.h"
#include "common/config.h"
#include "buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Config files are small; anything this large is a mistake (a log file
 * passed as --config), not a configuration. */
#define KN_PROPS_MAX_FILE (16u * 1024 * 1024)

static void kn_props_errf(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void kn_props_errf(char *err, size_t errlen, const char *fmt, ...)
{
    if (err == NULL || errlen == 0) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static bool kn_props_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\f';
}

static int kn_props_hex(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

static void kn_props_put_utf8(kn_wbuf_t *w, uint32_t cp)
{
    uint8_t b[4];
    size_t n;
    if (cp < 0x80) {
        b[0] = (uint8_t)cp;
        n = 1;
    } else if (cp < 0x800) {
        b[0] = (uint8_t)(0xC0 | (cp >> 6));
        b[1] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 2;
    } else if (cp < 0x10000) {
        b[0] = (uint8_t)(0xE0 | (cp >> 12));
        b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        b[2] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 3;
    } else {
        b[0] = (uint8_t)(0xF0 | (cp >> 18));
        b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
        b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
        b[3] = (uint8_t)(0x80 | (cp & 0x3F));
        n = 4;
    }
    kn_wbuf_raw(w, b, n);
}

/* Read the 4 hex digits of a \uXXXX escape at s[*i]; -1 if malformed. */
static int32_t kn_props_u4(const char *s, size_t n, size_t *i)
{
    if (n - *i < 4) {
        return -1;
    }
    int32_t v = 0;
    for (int k = 0; k < 4; k++) {
        int h = kn_props_hex(s[*i + (size_t)k]);
        if (h < 0) {
            return -1;
        }
        v = (v << 4) | h;
    }
    *i += 4;
    return v;
}

/* Decode the escape whose backslash was at s[*i - 1]; *i is advanced past
 * it. Returns KN_ERROR for a malformed or NUL \u escape. Java writes text
 * as UTF-16, so a surrogate pair spelled as two \u escapes is joined into
 * one code point; a lone surrogate becomes U+FFFD. */
static int kn_props_escape(const char *s, size_t n, size_t *i, kn_wbuf_t *out)
{
    if (*i >= n) {
        return KN_OK;   /* stray backslash at the very end: dropped */
    }
    char c = s[(*i)++];
    switch (c) {
    case 't': kn_wbuf_i8(out, '\t'); return KN_OK;
    case 'n': kn_wbuf_i8(out, '\n'); return KN_OK;
    case 'r': kn_wbuf_i8(out, '\r'); return KN_OK;
    case 'f': kn_wbuf_i8(out, '\f'); return KN_OK;
    case 'u': break;
    default:  kn_wbuf_i8(out, (int8_t)c); return KN_OK;
    }
    int32_t cp = kn_props_u4(s, n, i);
    if (cp <= 0) {
        return KN_ERROR;   /* malformed, or \u0000 which no C string can hold */
    }
    if (cp >= 0xD800 && cp <= 0xDBFF) {
        size_t j = *i;
        if (n - j >= 6 && s[j] == '\\' && s[j + 1] == 'u') {
            j += 2;
            int32_t lo = kn_props_u4(s, n, &j);
            if (lo >= 0xDC00 && lo <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                *i = j;
            } else {
                cp = 0xFFFD;
            }
        } else {
            cp = 0xFFFD;
        }
    } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
        cp = 0xFFFD;
    }
    kn_props_put_utf8(out, (uint32_t)cp);
    return KN_OK;
}

/* Split one logical line (continuations already joined, escapes still in
 * place) into key and value and hand them to the callback. */
static int kn_props_pair(const char *s, size_t n, int line, kn_props_cb cb, void *ud,
                         char *err, size_t errlen)
{
    kn_wbuf_t key, val;
    size_t i = 0;
    int rc = KN_OK;

    kn_wbuf_init(&key, 64);
    kn_wbuf_init(&val, 128);
    /* The key ends at the first unescaped '=', ':' or blank. */
    while (i < n && rc == KN_OK) {
        char c = s[i];
        if (c == '=' || c == ':' || kn_props_ws(c)) {
            break;
        }
        i++;
        if (c == '\\') {
            rc = kn_props_escape(s, n, &i, &key);
        } else {
            kn_wbuf_i8(&key, (int8_t)c);
        }
    }
    /* Blanks, then at most one separator, then blanks again: "k = v",
     * "k:v" and "k v" all mean the same. */
    while (i < n && kn_props_ws(s[i])) {
        i++;
    }
    if (i < n && (s[i] == '=' || s[i] == ':')) {
        i++;
    }
    while (i < n && kn_props_ws(s[i])) {
        i++;
    }
    while (i < n && rc == KN_OK) {
        char c = s[i++];
        if (c == '\\') {
            rc = kn_props_escape(s, n, &i, &val);
        } else {
            kn_wbuf_i8(&val, (int8_t)c);
        }
    }
    if (rc != KN_OK) {
        kn_props_errf(err, errlen, "%d: malformed \\uXXXX escape", line);
    } else {
        kn_wbuf_i8(&key, 0);
        kn_wbuf_i8(&val, 0);
        rc = cb(ud, (const char *)key.data, (const char *)val.data, line);
    }
    kn_wbuf_free(&key);
    kn_wbuf_free(&val);
    return rc;
}

/* Length of the natural line starting at pos (without its terminator). */
static size_t kn_props_line_len(const char *text, size_t len, size_t pos)
{
    size_t e = pos;
    while (e < len && text[e] != '\n' && text[e] != '\r') {
        e++;
    }
    return e - pos;
}

/* Skip the line terminator at pos ("\n", "\r" or "\r\n"). */
static size_t kn_props_eol(const char *text, size_t len, size_t pos, int *line)
{
    if (pos < len && text[pos] == '\r') {
        pos++;
        if (pos < len && text[pos] == '\n') {
            pos++;
        }
        (*line)++;
    } else if (pos < len && text[pos] == '\n') {
        pos++;
        (*line)++;
    }
    return pos;
}

int kn_props_parse_ex(const char *text, size_t len, kn_props_cb cb, void *ud,
                      char *err, size_t errlen)
{
    kn_wbuf_t logical;
    size_t pos = 0;
    int line = 1;
    int rc = KN_OK;

    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        /* A NUL would silently cut a key or value short. */
        for (const char *p = text; p < nul; p++) {
            line += *p == '\n';
        }
        kn_props_errf(err, errlen, "%d: NUL byte in properties text", line);
        return KN_ERROR;
    }
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        pos = 3;
    }
    kn_wbuf_init(&logical, 256);
    while (pos < len && rc == KN_OK) {
        while (pos < len && kn_props_ws(text[pos])) {
            pos++;
        }
        size_t n = kn_props_line_len(text, len, pos);
        if (n == 0 || text[pos] == '#' || text[pos] == '!') {
            /* Blank line or comment; a trailing backslash on a comment
             * does not continue it (Java's rule). */
            pos = kn_props_eol(text, len, pos + n, &line);
            continue;
        }
        int start_line = line;
        kn_wbuf_reset(&logical);
        for (;;) {
            /* An odd number of trailing backslashes continues the line;
             * an even number is escaped backslashes. */
            size_t bs = 0;
            while (bs < n && text[pos + n - 1 - bs] == '\\') {
                bs++;
            }
            bool more = (bs % 2) == 1;
            kn_wbuf_raw(&logical, text + pos, more ? n - 1 : n);
            pos = kn_props_eol(text, len, pos + n, &line);
            if (!more || pos >= len) {
                break;
            }
            /* The continued line's leading blanks are not part of it. */
            while (pos < len && kn_props_ws(text[pos])) {
                pos++;
            }
            n = kn_props_line_len(text, len, pos);
        }
        rc = kn_props_pair((const char *)logical.data, logical.len, start_line, cb, ud,
                           err, errlen);
    }
    kn_wbuf_free(&logical);
    return rc;
}

int kn_props_parse(const char *text, size_t len, kn_props_cb cb, void *ud)
{
    return kn_props_parse_ex(text, len, cb, ud, NULL, 0);
}

char *kn_props_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        kn_props_errf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *data = kn_malloc(cap + 1);
    for (;;) {
        if (n == cap) {
            if (cap >= KN_PROPS_MAX_FILE) {
                kn_props_errf(err, errlen, "%s: file larger than %u bytes", path,
                            KN_PROPS_MAX_FILE);
                free(data);
                fclose(f);
                return NULL;
            }
            cap *= 2;
            data = kn_realloc(data, cap + 1);
        }
        size_t got = fread(data + n, 1, cap - n, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        kn_props_errf(err, errlen, "%s: read error: %s", path, strerror(errno));
        free(data);
        fclose(f);
        return NULL;
    }
    fclose(f);
    data[n] = '\0';
    *len = n;
    return data;
}

int kn_props_parse_file(const char *path, kn_props_cb cb, void *ud, char *err, size_t errlen)
{
    size_t len;
    char *text = kn_props_read_file(path, &len, err, errlen);
    if (text == NULL) {
        return KN_ERROR;
    }
    char perr[256] = "";
    int rc = kn_props_parse_ex(text, len, cb, ud, perr, sizeof(perr));
    if (rc != KN_OK && perr[0] != '\0') {
        /* Parser messages start with the line number. */
        kn_props_errf(err, errlen, "%s:%s", path, perr);
    }
    free(text);
    return rc;
}
