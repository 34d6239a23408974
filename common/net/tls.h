/*
 * common/net/tls.h -- OpenSSL 3 contexts for Kanal's listeners and clients.
 *
 * One place builds SSL_CTXs from the ssl.* config keys so the broker's
 * client listeners, the inter-broker client and the controller channel all
 * get the same policy: TLS 1.2 minimum, certificate + key from PEM files,
 * peers verified against ssl.ca.location, client certificates per
 * ssl.client.auth (none | requested | required).
 */
#ifndef KN_TLS_H
#define KN_TLS_H

#include <openssl/ssl.h>

#include "kn.h"

typedef enum {
    KN_TLS_CLIENT_AUTH_NONE,
    KN_TLS_CLIENT_AUTH_REQUESTED,
    KN_TLS_CLIENT_AUTH_REQUIRED
} kn_tls_client_auth_t;

/* Parse "none|requested|required". */
int kn_tls_client_auth_parse(const char *s, kn_tls_client_auth_t *out);

/* Server context. cert/key are PEM paths (required); ca may be NULL (then
 * client auth must be NONE). On failure returns NULL and writes the
 * OpenSSL reason, naming the file, into err. */
SSL_CTX *kn_tls_server_ctx(const char *cert, const char *key, const char *ca,
                           kn_tls_client_auth_t auth, char *err, size_t errlen);
/* Client context: verifies the server against ca (NULL = no verification,
 * for tests only); cert/key optional (mutual TLS). */
SSL_CTX *kn_tls_client_ctx(const char *ca, const char *cert, const char *key,
                           char *err, size_t errlen);
/* Last OpenSSL error queue as text (drains it). */
void kn_tls_errstr(char *buf, size_t len);

#endif /* KN_TLS_H */
