/*
 * tests/unit/server_client.c -- certificate, server start and blocking
 * client connections for the network-layer tests; see server_client.h.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "server_client.h"

void kn_test_make_cert(const char *cn, const char *certpath, const char *keypath)
{
    EVP_PKEY *k = EVP_EC_gen("P-256");
    assert_non_null(k);
    X509 *x = X509_new();
    X509_set_version(x, 0);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, k);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, name);
    assert_true(X509_sign(x, k, EVP_sha256()) > 0);
    FILE *f = fopen(certpath, "w");
    assert_non_null(f);
    PEM_write_X509(f, x);
    fclose(f);
    f = fopen(keypath, "w");
    assert_non_null(f);
    PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
    fclose(f);
    X509_free(x);
    EVP_PKEY_free(k);
}

kn_server_t *kn_test_server_start(kn_server_opts_t *o, const char *cert, const char *key,
                                  const char *ca, kn_tls_client_auth_t auth, int *plain_port,
                                  int *ssl_port)
{
    char err[512];
    int n = kn_listeners_parse("PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0", NULL, NULL,
                               o->listeners, KN_LISTENERS_MAX, err, sizeof(err));
    assert_int_equal(n, 2);
    o->nlisteners = 2;
    o->num_threads = 2;
    o->ssl_ctx = kn_tls_server_ctx(cert, key, ca, auth, err, sizeof(err));
    if (o->ssl_ctx == NULL) {
        fail_msg("%s", err);
    }
    kn_server_t *srv = kn_server_new(o, err, sizeof(err));
    /* The server holds its own reference to the context. */
    SSL_CTX_free(o->ssl_ctx);
    o->ssl_ctx = NULL;
    if (srv == NULL) {
        fail_msg("%s", err);
    }
    assert_int_equal(kn_server_start(srv), KN_OK);
    *plain_port = kn_server_listener_by_name(srv, "PLAINTEXT")->port;
    *ssl_port = kn_server_listener_by_name(srv, "SSL")->port;
    return srv;
}

kn_test_conn_t kn_test_connect(int port, SSL_CTX *ctx)
{
    kn_test_conn_t c = { socket(AF_INET, SOCK_STREAM, 0), NULL };
    assert_true(c.fd >= 0);
    /* Only a guard against a hung test; no assertion depends on it. */
    struct timeval tv = { 30, 0 };
    setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    if (ctx != NULL) {
        c.ssl = SSL_new(ctx);
        SSL_set_fd(c.ssl, c.fd);
        if (SSL_connect(c.ssl) != 1) {
            char e[256];
            kn_tls_errstr(e, sizeof(e));
            fail_msg("TLS connect: %s", e);
        }
    }
    return c;
}

void kn_test_disconnect(kn_test_conn_t *c)
{
    if (c->ssl) {
        SSL_free(c->ssl);
    }
    close(c->fd);
}

void kn_test_write(kn_test_conn_t *c, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = c->ssl ? SSL_write(c->ssl, b, (int)n) : write(c->fd, b, n);
        if (w < 0 && !c->ssl && errno == EINTR) {
            continue;
        }
        assert_true(w > 0);
        b += w;
        n -= (size_t)w;
    }
}

bool kn_test_read(kn_test_conn_t *c, void *p, size_t n)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t r = c->ssl ? SSL_read(c->ssl, b, (int)n) : read(c->fd, b, n);
        if (r < 0 && !c->ssl && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            return false;
        }
        b += r;
        n -= (size_t)r;
    }
    return true;
}

size_t kn_test_frame_begin(kn_wbuf_t *w, int16_t key, int16_t ver, int32_t corr,
                           const char *client_id)
{
    size_t at = kn_wbuf_skip(w, 4);
    kn_proto_request_header_write(w, key, ver, corr, client_id);
    return at;
}

void kn_test_frame_end(kn_wbuf_t *w, size_t at)
{
    kn_wbuf_patch_i32(w, at, (int32_t)(w->len - at - 4));
}
