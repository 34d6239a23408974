/*
 * tests/unit/test_server_frames.c -- cutting a byte stream into Kafka
 * frames, with real sockets: large frames (whose bodies the plaintext path
 * reads straight from the socket instead of through libevent's 4 KiB
 * reads), frames split at every kind of boundary, pipelined frames sharing
 * writes, a client leaving in the middle of a frame, and the same streams
 * over TLS (libevent's buffered path with OpenSSL read-ahead, where bytes
 * OpenSSL read early must not wait for an epoll event that never comes).
 *
 * One handler answers every request with the body's length and an FNV-1a
 * hash of its bytes, so any byte lost, duplicated or reordered shows.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/thread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/server/request.h"
#include "server_client.h"

#define MAX_REQUEST (8 * 1024 * 1024)

static char t_dir[256];
static char t_cert[300], t_key[300];

static uint32_t fnv1a(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h = (h ^ p[i]) * 16777619u;
    }
    return h;
}

/* ListOffsets: answers int32 body length, uint32 hash of the body. */
static int h_digest(kn_req_t *req, kn_wbuf_t *resp)
{
    size_t n = kn_rbuf_remaining(&req->body);
    kn_wbuf_i32(resp, (int32_t)n);
    kn_wbuf_i32(resp, (int32_t)fnv1a(req->body.pos, n));
    return KN_OK;
}

/* ---- server ------------------------------------------------------------------ */

typedef struct {
    kn_server_t *srv;
    int          plain_port, ssl_port;
    SSL_CTX     *cli_ctx;
} fx_t;

static int fx_setup(void **state)
{
    char err[512];
    fx_t *fx = kn_calloc(1, sizeof(*fx));
    kn_server_opts_t o;
    kn_server_opts_default(&o);
    o.max_request_bytes = MAX_REQUEST;
    fx->srv = kn_test_server_start(&o, t_cert, t_key, NULL, KN_TLS_CLIENT_AUTH_NONE,
                                   &fx->plain_port, &fx->ssl_port);
    fx->cli_ctx = kn_tls_client_ctx(t_cert, NULL, NULL, err, sizeof(err));
    assert_non_null(fx->cli_ctx);
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fx_t *fx = *state;
    kn_server_free(fx->srv);
    SSL_CTX_free(fx->cli_ctx);
    free(fx);
    return 0;
}

/* ---- client ---------------------------------------------------------------- */

/* No Nagle delay: small writes (run_stream's pieces, a small frame that
 * waits for its answer) leave at once, so the server sees the partial
 * frames a test means it to see. */
static kn_test_conn_t cli_open(const fx_t *fx, bool tls)
{
    kn_test_conn_t c = tls ? kn_test_connect(fx->ssl_port, fx->cli_ctx)
                           : kn_test_connect(fx->plain_port, NULL);
    int one = 1;
    setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return c;
}

/* Append one ListOffsets request with `len` body bytes derived from seed. */
static void frame_add(kn_wbuf_t *w, int32_t corr, size_t len, uint32_t seed, uint32_t *hash)
{
    size_t at = kn_test_frame_begin(w, KN_API_LIST_OFFSETS,
                                    kn_proto_api_range(KN_API_LIST_OFFSETS)->min, corr, "frames");
    size_t body = w->len;
    uint32_t x = seed * 2654435761u + 1;
    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245u + 12345u;
        uint8_t b = (uint8_t)(x >> 16);
        kn_wbuf_raw(w, &b, 1);
    }
    *hash = fnv1a(w->data + body, len);
    kn_test_frame_end(w, at);
}

/* Read one response and check it answers corr with len bytes hashing to h. */
static void expect_answer(kn_test_conn_t *c, int32_t corr, size_t len, uint32_t h)
{
    uint8_t buf[64];
    assert_true(kn_test_read(c, buf, 4));
    int32_t size = (int32_t)kn_be32(buf);
    int16_t v = kn_proto_api_range(KN_API_LIST_OFFSETS)->min;
    int hdr = kn_proto_response_header_v1(KN_API_LIST_OFFSETS, v) ? 5 : 4;
    assert_int_equal(size, hdr + 8);
    assert_true(kn_test_read(c, buf, (size_t)size));
    assert_int_equal((int32_t)kn_be32(buf), corr);
    assert_int_equal((int32_t)kn_be32(buf + hdr), (int32_t)len);
    assert_int_equal(kn_be32(buf + hdr + 4), h);
}

/* ---- tests ------------------------------------------------------------------ */

/* Frames of 1 B to several MiB, each written whole. */
static void run_sizes(fx_t *fx, bool tls)
{
    static const size_t sizes[] = { 0, 1, 4000, 4096, 70000, 300000, 1048576, 5000000 };
    kn_test_conn_t c = cli_open(fx, tls);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        kn_wbuf_t w;
        kn_wbuf_init(&w, sizes[i] + 64);
        uint32_t h;
        frame_add(&w, (int32_t)i, sizes[i], (uint32_t)i, &h);
        kn_test_write(&c, w.data, w.len);
        expect_answer(&c, (int32_t)i, sizes[i], h);
        kn_wbuf_free(&w);
    }
    kn_test_disconnect(&c);
}

static void test_sizes_plaintext(void **state)
{
    run_sizes(*state, false);
}

static void test_sizes_tls(void **state)
{
    run_sizes(*state, true);
}

/* Many frames of mixed sizes as one stream, written in pieces whose
 * boundaries fall anywhere (inside size prefixes, headers, bodies), with
 * a short pause now and then so the server sees partial frames. */
static void run_stream(fx_t *fx, bool tls)
{
    enum { N = 60 };
    size_t len[N];
    uint32_t hash[N];
    kn_wbuf_t w;
    kn_wbuf_init(&w, 1 << 20);
    uint32_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 1103515245u + 12345u;
        /* mostly small, some large */
        len[i] = (i % 7 == 3) ? 200000 + (x >> 8) % 900000 : (x >> 8) % 9000;
        frame_add(&w, 1000 + i, len[i], x, &hash[i]);
    }
    kn_test_conn_t c = cli_open(fx, tls);
    size_t off = 0;
    int piece = 0;
    while (off < w.len) {
        x = x * 1103515245u + 12345u;
        size_t n = (piece % 3 == 0) ? 1 + (x >> 8) % 7 : 1 + (x >> 8) % 150000;
        n = KN_MIN(n, w.len - off);
        kn_test_write(&c, w.data + off, n);
        off += n;
        if (piece++ % 5 == 0) {
            usleep(500);
        }
    }
    for (int i = 0; i < N; i++) {
        expect_answer(&c, 1000 + i, len[i], hash[i]);
    }
    kn_test_disconnect(&c);
    kn_wbuf_free(&w);
}

static void test_stream_plaintext(void **state)
{
    run_stream(*state, false);
}

static void test_stream_tls(void **state)
{
    run_stream(*state, true);
}

/* A client that leaves halfway through a large frame (and one that only
 * announces a huge one) costs nothing lasting: the server goes on serving
 * others, and the sanitizer build sees no leak of the half-read body. */
static void test_client_leaves_mid_frame(void **state)
{
    fx_t *fx = *state;
    kn_wbuf_t w;
    kn_wbuf_init(&w, 1 << 20);
    uint32_t h;
    frame_add(&w, 1, 1000000, 1, &h);
    kn_test_conn_t c = cli_open(fx, false);
    kn_test_write(&c, w.data, w.len / 2);
    kn_test_disconnect(&c);

    uint8_t huge[4];
    kn_put_be32(huge, MAX_REQUEST);
    c = cli_open(fx, false);
    kn_test_write(&c, huge, 4);
    kn_test_write(&c, w.data + 4, 100);
    kn_test_disconnect(&c);
    kn_wbuf_free(&w);

    run_sizes(fx, false);
}

int main(void)
{
    evthread_use_pthreads();
    const char *tmp = getenv("TMPDIR");
    snprintf(t_dir, sizeof(t_dir), "%s/kn-test-frames-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
    if (mkdtemp(t_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(t_cert, sizeof(t_cert), "%s/server.pem", t_dir);
    snprintf(t_key, sizeof(t_key), "%s/server.key", t_dir);
    kn_test_make_cert("localhost", t_cert, t_key);
    kn_handlers_register(KN_API_LIST_OFFSETS, h_digest);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sizes_plaintext, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sizes_tls, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_stream_plaintext, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_stream_tls, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_client_leaves_mid_frame, fx_setup, fx_teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    kn_handlers_reset();
    unlink(t_cert);
    unlink(t_key);
    rmdir(t_dir);
    return rc;
}
