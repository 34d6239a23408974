/*
 * tests/unit/server_client.h -- what the network-layer tests
 * (test_server_net, test_server_frames) share: a self-signed certificate,
 * a kn_server listening on 127.0.0.1 ephemeral PLAINTEXT and SSL ports,
 * and the client side -- a blocking socket, plain or TLS, that writes and
 * reads whole frames.
 *
 * Failures are cmocka assertions: include <cmocka.h> (and what it needs)
 * before this header.
 */
#ifndef KN_TEST_SERVER_CLIENT_H
#define KN_TEST_SERVER_CLIENT_H

#include <openssl/ssl.h>

#include "broker/server/server.h"
#include "kn.h"
#include "net/tls.h"
#include "protocol/api.h"

/* One client connection; ssl is NULL on a plaintext one. */
typedef struct {
    int  fd;
    SSL *ssl;
} kn_test_conn_t;

/* Write a self-signed P-256 certificate for cn and its key, as PEM. */
void kn_test_make_cert(const char *cn, const char *certpath, const char *keypath);

/* Start a server with a PLAINTEXT and an SSL listener on 127.0.0.1
 * ephemeral ports and 2 network threads. o holds the test's own options
 * (kn_server_opts_default plus its changes); cert, key, ca and auth make
 * the SSL listener's context. Returns the running server and its ports. */
kn_server_t *kn_test_server_start(kn_server_opts_t *o, const char *cert, const char *key,
                                  const char *ca, kn_tls_client_auth_t auth, int *plain_port,
                                  int *ssl_port);

/* Connect to 127.0.0.1:port; with ctx, also complete a TLS handshake. */
kn_test_conn_t kn_test_connect(int port, SSL_CTX *ctx);
void kn_test_disconnect(kn_test_conn_t *c);

/* Write all n bytes (asserting that they could be written). */
void kn_test_write(kn_test_conn_t *c, const void *p, size_t n);

/* Read exactly n bytes; false on EOF or error (connection closed). */
bool kn_test_read(kn_test_conn_t *c, void *p, size_t n);

/* Build a request frame in w: kn_test_frame_begin reserves its size
 * prefix and writes the request header, the caller appends the body, and
 * kn_test_frame_end(w, at) fills in the size. Frames may follow one
 * another in the same buffer (pipelining). */
size_t kn_test_frame_begin(kn_wbuf_t *w, int16_t key, int16_t ver, int32_t corr,
                           const char *client_id);
void kn_test_frame_end(kn_wbuf_t *w, size_t at);

#endif /* KN_TEST_SERVER_CLIENT_H */
