/*
 * common/net/tls.c -- building OpenSSL 3 contexts from Kanal's ssl.* keys
 * (see tls.h).
 *
 * Every context gets the same floor (TLS 1.2, no renegotiation, no
 * compression) so a listener and the clients that talk to it can never
 * disagree on policy because two code paths set it up differently.
 */
#include "config.h"
#include "net/tls.h"

#include <openssl/err.h>
#include <stdio.h>
#include <string.h>

int kn_tls_client_auth_parse(const char *s, kn_tls_client_auth_t *out)
{
    if (s == NULL || strcmp(s, "none") == 0) {
        *out = KN_TLS_CLIENT_AUTH_NONE;
    } else if (strcmp(s, "requested") == 0) {
        *out = KN_TLS_CLIENT_AUTH_REQUESTED;
    } else if (strcmp(s, "required") == 0) {
        *out = KN_TLS_CLIENT_AUTH_REQUIRED;
    } else {
        return KN_ERROR;
    }
    return KN_OK;
}

void kn_tls_errstr(char *buf, size_t len)
{
    unsigned long e;
    size_t used = 0;

    if (len == 0) {
        return;
    }
    buf[0] = '\0';
    /* Report every queued error, oldest first: the first is usually the
     * cause ("no such file"), the last the consequence ("PEM lib"). */
    while ((e = ERR_get_error()) != 0) {
        char one[256];
        ERR_error_string_n(e, one, sizeof(one));
        int n = snprintf(buf + used, len - used, "%s%s", used ? "; " : "", one);
        if (n < 0 || (size_t)n >= len - used) {
            /* Keep draining so the next caller starts with a clean queue. */
            used = len - 1;
            continue;
        }
        used += (size_t)n;
    }
    if (used == 0) {
        snprintf(buf, len, "unknown TLS error");
    }
}

/* The policy both sides share. */
static SSL_CTX *kn_tls_ctx_base(const SSL_METHOD *method, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (ctx == NULL) {
        char why[256];
        kn_tls_errstr(why, sizeof(why));
        snprintf(err, errlen, "cannot create TLS context: %s", why);
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    /* libevent's bufferevent_openssl may retry SSL_write with a moved
     * buffer. Partial writes stay off: libevent 2.1 hands SSL_write one
     * output chain after another and, after a short write, goes on with the
     * next chain as if the first had gone out whole -- bytes out of order
     * on the wire once a single write event covers more than one large
     * chain. Without the mode SSL_write takes a chain whole or asks to be
     * retried with it, which libevent does. */
    SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    return ctx;
}

static int kn_tls_load_pair(SSL_CTX *ctx, const char *cert, const char *key,
                            char *err, size_t errlen)
{
    char why[256];

    if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        kn_tls_errstr(why, sizeof(why));
        snprintf(err, errlen, "cannot load certificate %s: %s", cert, why);
        return KN_ERROR;
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        kn_tls_errstr(why, sizeof(why));
        snprintf(err, errlen, "cannot load private key %s: %s", key, why);
        return KN_ERROR;
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        kn_tls_errstr(why, sizeof(why));
        snprintf(err, errlen, "private key %s does not match certificate %s: %s", key, cert, why);
        return KN_ERROR;
    }
    return KN_OK;
}

static int kn_tls_load_ca(SSL_CTX *ctx, const char *ca, char *err, size_t errlen)
{
    if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        char why[256];
        kn_tls_errstr(why, sizeof(why));
        snprintf(err, errlen, "cannot load CA %s: %s", ca, why);
        return KN_ERROR;
    }
    return KN_OK;
}

SSL_CTX *kn_tls_server_ctx(const char *cert, const char *key, const char *ca,
                           kn_tls_client_auth_t auth, char *err, size_t errlen)
{
    if (cert == NULL || key == NULL) {
        snprintf(err, errlen, "ssl.certificate.location and ssl.key.location are required for a TLS listener");
        return NULL;
    }
    if (auth != KN_TLS_CLIENT_AUTH_NONE && ca == NULL) {
        snprintf(err, errlen, "ssl.client.auth needs ssl.ca.location to verify client certificates");
        return NULL;
    }
    SSL_CTX *ctx = kn_tls_ctx_base(TLS_server_method(), err, errlen);
    if (ctx == NULL) {
        return NULL;
    }
    if (kn_tls_load_pair(ctx, cert, key, err, errlen) != KN_OK) {
        goto fail;
    }
    if (ca != NULL) {
        if (kn_tls_load_ca(ctx, ca, err, errlen) != KN_OK) {
            goto fail;
        }
        /* Tell clients which CAs we accept so they pick the right cert. */
        STACK_OF(X509_NAME) *names = SSL_load_client_CA_file(ca);
        if (names != NULL) {
            SSL_CTX_set_client_CA_list(ctx, names);
        }
    }
    switch (auth) {
    case KN_TLS_CLIENT_AUTH_NONE:
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
        break;
    case KN_TLS_CLIENT_AUTH_REQUESTED:
        /* A presented certificate must still verify; none is fine. */
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        break;
    case KN_TLS_CLIENT_AUTH_REQUIRED:
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, NULL);
        break;
    }
    /* Sessions are not resumed across our processes; keep the cache small
     * and give it an id so resumption within one process works. */
    static const unsigned char sid_ctx[] = "kanal";
    SSL_CTX_set_session_id_context(ctx, sid_ctx, sizeof(sid_ctx) - 1);
    return ctx;

fail:
    SSL_CTX_free(ctx);
    return NULL;
}

SSL_CTX *kn_tls_client_ctx(const char *ca, const char *cert, const char *key,
                           char *err, size_t errlen)
{
    SSL_CTX *ctx = kn_tls_ctx_base(TLS_client_method(), err, errlen);
    if (ctx == NULL) {
        return NULL;
    }
    if (ca != NULL) {
        if (kn_tls_load_ca(ctx, ca, err, errlen) != KN_OK) {
            goto fail;
        }
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
    }
    if (cert != NULL || key != NULL) {
        if (cert == NULL || key == NULL) {
            snprintf(err, errlen, "a client certificate needs both certificate and key");
            goto fail;
        }
        if (kn_tls_load_pair(ctx, cert, key, err, errlen) != KN_OK) {
            goto fail;
        }
    }
    return ctx;

fail:
    SSL_CTX_free(ctx);
    return NULL;
}
