/*
 * broker/server/listener.c -- parsing Kafka's listener keys and binding
 * the listening sockets.
 *
 *   listeners=PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9093
 *   advertised.listeners=PLAINTEXT://broker1.example:9092,...
 *   listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SSL:SSL,INTERNAL:SSL
 *
 * A listener's name is not its protocol: the map says which security
 * protocol a name uses, so two SSL listeners (INTERNAL, EXTERNAL) can
 * coexist, as in Kafka.
 */
#include "config.h"
#include "broker/server/server.h"

#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define KN_DEFAULT_SECMAP "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL"

static const char *const kn_sp_names[] = { "PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL" };

int kn_security_protocol_parse(const char *s, kn_security_protocol_t *out)
{
    for (size_t i = 0; i < KN_ARRAY_LEN(kn_sp_names); i++) {
        if (strcasecmp(s, kn_sp_names[i]) == 0) {
            *out = (kn_security_protocol_t)i;
            return KN_OK;
        }
    }
    return KN_ERROR;
}

const char *kn_security_protocol_name(kn_security_protocol_t sp)
{
    return (unsigned)sp < KN_ARRAY_LEN(kn_sp_names) ? kn_sp_names[sp] : "UNKNOWN";
}

static void kn_trim(char *s)
{
    char *p = s;
    while (isspace((unsigned char)*p)) {
        p++;
    }
    memmove(s, p, strlen(p) + 1);
    size_t n = strlen(s);
    while (n > 0 && isspace((unsigned char)s[n - 1])) {
        s[--n] = '\0';
    }
}

static bool kn_listener_name_ok(const char *s)
{
    if (*s == '\0') {
        return false;
    }
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-') {
            return false;
        }
    }
    return true;
}

/* Split "NAME://host:port" (host may be empty or a [v6] literal). */
static int kn_endpoint_parse(const char *item, char *name, size_t namelen, char *host,
                             size_t hostlen, int *port, char *err, size_t errlen)
{
    const char *sep = strstr(item, "://");
    if (sep == NULL || (size_t)(sep - item) >= namelen) {
        snprintf(err, errlen, "'%s' is not NAME://host:port", item);
        return KN_ERROR;
    }
    memcpy(name, item, (size_t)(sep - item));
    name[sep - item] = '\0';
    for (char *p = name; *p; p++) {
        *p = (char)toupper((unsigned char)*p);
    }
    if (!kn_listener_name_ok(name)) {
        snprintf(err, errlen, "'%s': bad listener name", item);
        return KN_ERROR;
    }
    const char *hp = sep + 3;
    const char *colon;
    const char *hstart = hp, *hend;
    if (*hp == '[') {
        const char *rb = strchr(hp, ']');
        if (rb == NULL || rb[1] != ':') {
            snprintf(err, errlen, "'%s': bad IPv6 address", item);
            return KN_ERROR;
        }
        hstart = hp + 1;
        hend = rb;
        colon = rb + 1;
    } else {
        colon = strrchr(hp, ':');
        if (colon == NULL) {
            snprintf(err, errlen, "'%s' has no port", item);
            return KN_ERROR;
        }
        hend = colon;
    }
    if ((size_t)(hend - hstart) >= hostlen) {
        snprintf(err, errlen, "'%s': host name too long", item);
        return KN_ERROR;
    }
    memcpy(host, hstart, (size_t)(hend - hstart));
    host[hend - hstart] = '\0';
    char *end;
    errno = 0;
    long p = strtol(colon + 1, &end, 10);
    if (colon[1] == '\0' || *end != '\0' || errno != 0 || p < 0 || p > 65535) {
        snprintf(err, errlen, "'%s': port must be 0-65535", item);
        return KN_ERROR;
    }
    *port = (int)p;
    return KN_OK;
}

/* Look NAME up in the security protocol map. */
static int kn_secmap_lookup(const char *secmap, const char *name, kn_security_protocol_t *out,
                            char *err, size_t errlen)
{
    char *copy = kn_strdup(secmap);
    char *save = NULL;
    int rc = KN_ERROR;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        kn_trim(tok);
        char *c = strchr(tok, ':');
        if (c == NULL) {
            snprintf(err, errlen, "listener.security.protocol.map: '%s' is not NAME:PROTOCOL", tok);
            free(copy);
            return KN_ERROR;
        }
        *c = '\0';
        kn_trim(tok);
        kn_trim(c + 1);
        if (strcasecmp(tok, name) == 0) {
            if (kn_security_protocol_parse(c + 1, out) != KN_OK) {
                snprintf(err, errlen, "listener.security.protocol.map: unknown security protocol '%s'", c + 1);
                free(copy);
                return KN_ERROR;
            }
            rc = KN_OK;
            break;
        }
    }
    free(copy);
    if (rc != KN_OK) {
        snprintf(err, errlen, "listener %s: no security protocol in listener.security.protocol.map", name);
    }
    return rc;
}

int kn_listeners_parse(const char *listeners, const char *advertised, const char *secmap,
                       kn_listener_t *out, size_t max, char *err, size_t errlen)
{
    size_t n = 0;
    char *copy, *save = NULL;

    if (secmap == NULL || *secmap == '\0') {
        secmap = KN_DEFAULT_SECMAP;
    }
    if (listeners == NULL || *listeners == '\0') {
        snprintf(err, errlen, "listeners: at least one listener is needed");
        return KN_ERROR;
    }
    copy = kn_strdup(listeners);
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        kn_trim(tok);
        if (*tok == '\0') {
            continue;
        }
        if (n == max) {
            snprintf(err, errlen, "listeners: more than %zu listeners", max);
            goto fail;
        }
        kn_listener_t *l = &out[n];
        memset(l, 0, sizeof(*l));
        char e[256];
        if (kn_endpoint_parse(tok, l->name, sizeof(l->name), l->host, sizeof(l->host), &l->port,
                              e, sizeof(e)) != KN_OK) {
            snprintf(err, errlen, "listeners: %s", e);
            goto fail;
        }
        if (kn_secmap_lookup(secmap, l->name, &l->security, err, errlen) != KN_OK) {
            goto fail;
        }
        for (size_t i = 0; i < n; i++) {
            if (strcmp(out[i].name, l->name) == 0) {
                snprintf(err, errlen, "listeners: listener name %s appears twice", l->name);
                goto fail;
            }
            if (l->port != 0 && out[i].port == l->port) {
                snprintf(err, errlen, "listeners: port %d used by %s and %s", l->port, out[i].name, l->name);
                goto fail;
            }
        }
        snprintf(l->adv_host, sizeof(l->adv_host), "%s", l->host);
        l->adv_port = 0;   /* = bound port */
        n++;
    }
    free(copy);
    copy = NULL;
    if (n == 0) {
        snprintf(err, errlen, "listeners: at least one listener is needed");
        return KN_ERROR;
    }

    if (advertised != NULL && *advertised != '\0') {
        copy = kn_strdup(advertised);
        save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
            kn_trim(tok);
            if (*tok == '\0') {
                continue;
            }
            char name[64], host[256], e[256];
            int port;
            if (kn_endpoint_parse(tok, name, sizeof(name), host, sizeof(host), &port, e, sizeof(e)) != KN_OK) {
                snprintf(err, errlen, "advertised.listeners: %s", e);
                goto fail;
            }
            size_t i;
            for (i = 0; i < n && strcmp(out[i].name, name) != 0; i++) {
            }
            if (i == n) {
                snprintf(err, errlen, "advertised.listeners: %s is not in listeners", name);
                goto fail;
            }
            if (*host == '\0') {
                snprintf(err, errlen, "advertised.listeners: %s needs a host", name);
                goto fail;
            }
            snprintf(out[i].adv_host, sizeof(out[i].adv_host), "%s", host);
            out[i].adv_port = port;
        }
        free(copy);
        copy = NULL;
    }

    /* A wildcard bind address means nothing to a client: advertise the
     * host name instead, as Kafka does. */
    for (size_t i = 0; i < n; i++) {
        if (out[i].adv_host[0] == '\0' || strcmp(out[i].adv_host, "0.0.0.0") == 0 ||
            strcmp(out[i].adv_host, "::") == 0) {
            char hn[256];
            if (gethostname(hn, sizeof(hn)) != 0) {
                snprintf(hn, sizeof(hn), "localhost");
            }
            hn[sizeof(hn) - 1] = '\0';
            snprintf(out[i].adv_host, sizeof(out[i].adv_host), "%s", hn);
        }
    }
    return (int)n;

fail:
    free(copy);
    return KN_ERROR;
}

int kn_listeners_syntax(const char *listeners, char *err, size_t errlen)
{
    char *copy = kn_strdup(listeners);
    char *save = NULL;
    int rc = KN_OK;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        char name[64], host[256];
        int port;
        kn_trim(tok);
        if (*tok == '\0') {
            continue;
        }
        if (kn_endpoint_parse(tok, name, sizeof(name), host, sizeof(host), &port, err, errlen) != KN_OK) {
            rc = KN_ERROR;
            break;
        }
    }
    free(copy);
    return rc;
}
