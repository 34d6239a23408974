/*
 * tests/unit/test_server_net.c -- the network layer end to end, in one
 * process: a real kn_server on 127.0.0.1 ephemeral ports (PLAINTEXT and
 * SSL) with test handlers, and blocking client sockets in the test thread.
 *
 * Covered: ApiVersions v0-v3 and an unknown version, pipelined requests
 * answered in order around a parked one and a declined one, frames that
 * must close only their own connection, unknown API keys, zero-copy file
 * ranges on plaintext and TLS, TLS principals, a parked request whose
 * connection died, and shutdown answering parked requests.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/handlers/api_versions.h"
#include "broker/server/delayed.h"
#include "protocol/apiversions.h"
#include "server_client.h"

static char t_dir[256];
static char t_srv_cert[300], t_srv_key[300], t_cli_cert[300], t_cli_key[300], t_data[300];

/* ---- test handlers -------------------------------------------------------- */

static pthread_mutex_t h_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  h_cond = PTHREAD_COND_INITIALIZER;
static int             h_parked;         /* requests parked so far */
static int             h_closed_seen;    /* wakes that found the connection gone */
static int             h_finished;       /* parked requests finished */
static int             h_data_fd = -1;

typedef struct {
    kn_req_t *req;
} park_t;

static bool park_cb(void *arg, kn_delayed_reason_t why)
{
    park_t *p = arg;
    kn_wbuf_t w;
    kn_wbuf_init(&w, 8);
    kn_wbuf_raw(&w, why == KN_DELAYED_SHUTDOWN ? "S" : "W", 1);
    pthread_mutex_lock(&h_mu);
    if (kn_req_conn_closed(p->req)) {
        h_closed_seen++;
    }
    h_finished++;
    pthread_cond_broadcast(&h_cond);
    pthread_mutex_unlock(&h_mu);
    kn_req_complete(p->req, &w);
    kn_wbuf_free(&w);
    free(p);
    return true;
}

/* Metadata stands in for a long poll: parks until "park" is notified. */
static int h_park(kn_req_t *req, kn_wbuf_t *resp)
{
    (void)resp;
    park_t *p = kn_calloc(1, sizeof(*p));
    p->req = req;
    kn_delayed_t *op = kn_delayed_new(req->base, -1, park_cb, p);
    kn_delayed_watch(op, "park");
    pthread_mutex_lock(&h_mu);
    h_parked++;
    pthread_cond_broadcast(&h_cond);
    pthread_mutex_unlock(&h_mu);
    return KN_AGAIN;
}

/* Produce with acks=0 stands in: no response at all. */
static int h_decline(kn_req_t *req, kn_wbuf_t *resp)
{
    (void)req;
    (void)resp;
    return KN_DECLINED;
}

/* ListOffsets stands in for an immediate answer: the principal. */
static int h_echo(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_wbuf_raw(resp, req->principal, strlen(req->principal));
    return KN_OK;
}

/* Fetch: memory, a file range, memory. */
static int h_file(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_wbuf_raw(resp, "abc", 3);
    if (kn_req_add_file_range(req, resp, h_data_fd, 2, 5) != KN_OK) {
        return KN_ERROR;
    }
    kn_wbuf_raw(resp, "xyz", 3);
    return KN_OK;
}

/* CreateTopics stands in for a handler that finishes before it even
 * returns KN_AGAIN (allowed by the contract). */
static int h_complete_inside(kn_req_t *req, kn_wbuf_t *resp)
{
    (void)resp;
    kn_wbuf_t w;
    kn_wbuf_init(&w, 8);
    kn_wbuf_raw(&w, "early", 5);
    kn_req_complete(req, &w);
    kn_wbuf_free(&w);
    return KN_AGAIN;
}

/* DeleteTopics: parks for 1 ms (a timer, not a wake-up). */
static bool short_park_cb(void *arg, kn_delayed_reason_t why)
{
    park_t *p = arg;
    kn_wbuf_t w;
    kn_wbuf_init(&w, 8);
    kn_wbuf_i8(&w, (int8_t)why);
    kn_req_complete(p->req, &w);
    kn_wbuf_free(&w);
    free(p);
    return true;
}

static int h_short_park(kn_req_t *req, kn_wbuf_t *resp)
{
    (void)resp;
    park_t *p = kn_calloc(1, sizeof(*p));
    p->req = req;
    kn_delayed_new(req->base, 1, short_park_cb, p);
    return KN_AGAIN;
}

static void wait_parked(int n)
{
    pthread_mutex_lock(&h_mu);
    while (h_parked < n) {
        pthread_cond_wait(&h_cond, &h_mu);
    }
    pthread_mutex_unlock(&h_mu);
}

static void wait_finished(int n)
{
    pthread_mutex_lock(&h_mu);
    while (h_finished < n) {
        pthread_cond_wait(&h_cond, &h_mu);
    }
    pthread_mutex_unlock(&h_mu);
}

/* ---- client side ---------------------------------------------------------- */

static void cli_send(kn_test_conn_t *c, int16_t key, int16_t ver, int32_t corr, const void *body, size_t len)
{
    kn_wbuf_t w;
    kn_wbuf_init(&w, 64);
    size_t at = kn_test_frame_begin(&w, key, ver, corr, "test-client");
    if (len) {
        kn_wbuf_raw(&w, body, len);
    }
    kn_test_frame_end(&w, at);
    kn_test_write(c, w.data, w.len);
    kn_wbuf_free(&w);
}

/* Receive one response; returns the body length (body in buf) or -1 when
 * the server closed the connection. */
static int cli_recv(kn_test_conn_t *c, int16_t key, int16_t ver, int32_t *corr, uint8_t *buf, size_t cap)
{
    uint8_t hdr[4];
    if (!kn_test_read(c, hdr, 4)) {
        return -1;
    }
    int32_t size = (int32_t)kn_be32(hdr);
    assert_true(size >= 4 && (size_t)size <= cap);
    assert_true(kn_test_read(c, buf, (size_t)size));
    kn_rbuf_t r;
    kn_rbuf_init(&r, buf, (size_t)size);
    assert_int_equal(kn_proto_response_header_parse(&r, corr, kn_proto_response_header_v1(key, ver)), KN_OK);
    size_t off = kn_rbuf_offset(&r);
    memmove(buf, buf + off, (size_t)size - off);
    return (int)((size_t)size - off);
}

/* true once the server has closed its end (read sees EOF or a reset). */
static bool cli_closed_by_server(kn_test_conn_t *c)
{
    uint8_t b[64];
    return !kn_test_read(c, b, 1);
}

static int16_t vmin(int16_t key)
{
    const kn_api_range_t *r = kn_proto_api_range(key);
    assert_non_null(r);
    return r->min;
}

/* ---- fixture -------------------------------------------------------------- */

typedef struct {
    kn_server_t *srv;
    int          plain_port;
    int          ssl_port;
    SSL_CTX     *cli_ctx;       /* with a client certificate */
    SSL_CTX     *cli_ctx_anon;  /* without */
} fx_t;

static kn_server_t *start_server_idle(int *plain_port, int *ssl_port, int64_t idle_ms)
{
    kn_server_opts_t o;
    kn_server_opts_default(&o);
    o.max_request_bytes = 4096;
    o.idle_ms = idle_ms;
    kn_server_t *srv = kn_test_server_start(&o, t_srv_cert, t_srv_key, t_cli_cert,
                                            KN_TLS_CLIENT_AUTH_REQUESTED, plain_port, ssl_port);
    assert_true(*plain_port > 0 && *ssl_port > 0);
    return srv;
}

static kn_server_t *start_server(int *plain_port, int *ssl_port)
{
    return start_server_idle(plain_port, ssl_port, 600000);
}

static int fx_setup(void **state)
{
    char err[512];
    fx_t *fx = kn_calloc(1, sizeof(*fx));
    fx->srv = start_server(&fx->plain_port, &fx->ssl_port);
    fx->cli_ctx = kn_tls_client_ctx(t_srv_cert, t_cli_cert, t_cli_key, err, sizeof(err));
    fx->cli_ctx_anon = kn_tls_client_ctx(t_srv_cert, NULL, NULL, err, sizeof(err));
    assert_non_null(fx->cli_ctx);
    assert_non_null(fx->cli_ctx_anon);
    pthread_mutex_lock(&h_mu);
    h_parked = h_closed_seen = h_finished = 0;
    pthread_mutex_unlock(&h_mu);
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fx_t *fx = *state;
    kn_server_free(fx->srv);
    SSL_CTX_free(fx->cli_ctx);
    SSL_CTX_free(fx->cli_ctx_anon);
    free(fx);
    return 0;
}

/* ---- tests ---------------------------------------------------------------- */

static void decode_apiversions(const uint8_t *body, int len, int16_t ver, kn_apiversions_resp_t *out,
                               kn_arena_t *a)
{
    kn_rbuf_t r;
    assert_true(len >= 0);
    kn_rbuf_init(&r, body, (size_t)len);
    assert_int_equal(kn_proto_apiversions_resp_decode(&r, ver, out, a), KN_OK);
}

static bool has_key(const kn_apiversions_resp_t *v, int16_t key)
{
    for (int32_t i = 0; i < v->n_api_keys; i++) {
        if (v->api_keys[i].api_key == key) {
            return true;
        }
    }
    return false;
}

static void test_apiversions(void **state)
{
    fx_t *fx = *state;
    kn_test_conn_t c = kn_test_connect(fx->plain_port, NULL);
    uint8_t buf[8192];
    int32_t corr;

    for (int16_t v = 0; v <= 3; v++) {
        kn_wbuf_t body;
        kn_wbuf_init(&body, 32);
        if (v >= 3) {
            kn_apiversions_req_t rq = { kn_slice_str("kanal-test"), kn_slice_str("1.0") };
            kn_proto_apiversions_req_encode(&body, v, &rq);
        }
        cli_send(&c, KN_API_API_VERSIONS, v, 100 + v, body.data, body.len);
        kn_wbuf_free(&body);
        int n = cli_recv(&c, KN_API_API_VERSIONS, v, &corr, buf, sizeof(buf));
        assert_int_equal(corr, 100 + v);
        kn_arena_t a;
        kn_arena_init(&a);
        kn_apiversions_resp_t resp;
        decode_apiversions(buf, n, v, &resp, &a);
        assert_int_equal(resp.error_code, 0);
        /* Exactly the registered keys. */
        assert_true(has_key(&resp, KN_API_API_VERSIONS));
        assert_true(has_key(&resp, KN_API_METADATA));
        assert_true(has_key(&resp, KN_API_FETCH));
        assert_false(has_key(&resp, KN_API_JOIN_GROUP));
        assert_int_equal(resp.n_api_keys, 7);
        kn_arena_free(&a);
    }

    /* v3 with a client software name Kafka would refuse. */
    kn_wbuf_t body;
    kn_wbuf_init(&body, 32);
    kn_apiversions_req_t bad = { kn_slice_str("-bad name"), kn_slice_str("1.0") };
    kn_proto_apiversions_req_encode(&body, 3, &bad);
    cli_send(&c, KN_API_API_VERSIONS, 3, 7, body.data, body.len);
    kn_wbuf_free(&body);
    int n = cli_recv(&c, KN_API_API_VERSIONS, 3, &corr, buf, sizeof(buf));
    kn_arena_t a;
    kn_arena_init(&a);
    kn_apiversions_resp_t resp;
    decode_apiversions(buf, n, 3, &resp, &a);
    assert_int_equal(resp.error_code, KN_ERR_INVALID_REQUEST);
    kn_arena_free(&a);

    /* A version from the future: error 35 in the v0 layout, header v0,
     * and the connection stays open. */
    cli_send(&c, KN_API_API_VERSIONS, 4, 8, "\x00\x00\x00", 3);
    n = cli_recv(&c, KN_API_API_VERSIONS, 0, &corr, buf, sizeof(buf));
    assert_int_equal(corr, 8);
    kn_arena_init(&a);
    decode_apiversions(buf, n, 0, &resp, &a);
    assert_int_equal(resp.error_code, KN_ERR_UNSUPPORTED_VERSION);
    assert_int_equal(resp.n_api_keys, 1);
    assert_int_equal(resp.api_keys[0].api_key, KN_API_API_VERSIONS);
    assert_int_equal(resp.api_keys[0].min_version, 0);
    assert_int_equal(resp.api_keys[0].max_version, 3);
    kn_arena_free(&a);
    cli_send(&c, KN_API_API_VERSIONS, 0, 9, NULL, 0);
    n = cli_recv(&c, KN_API_API_VERSIONS, 0, &corr, buf, sizeof(buf));
    assert_int_equal(corr, 9);
    kn_test_disconnect(&c);
}

static void test_pipelined_order(void **state)
{
    fx_t *fx = *state;
    kn_test_conn_t c = kn_test_connect(fx->plain_port, NULL);
    uint8_t buf[8192];
    int32_t corr;
    int16_t vm = vmin(KN_API_METADATA), vl = vmin(KN_API_LIST_OFFSETS), vp = vmin(KN_API_PRODUCE);

    /* Parked, immediate, declined, immediate -- all in one burst. */
    kn_wbuf_t w;
    kn_wbuf_init(&w, 128);
    cli_send(&c, KN_API_METADATA, vm, 1, NULL, 0);
    cli_send(&c, KN_API_LIST_OFFSETS, vl, 2, NULL, 0);
    cli_send(&c, KN_API_PRODUCE, vp, 3, NULL, 0);
    cli_send(&c, KN_API_LIST_OFFSETS, vl, 4, NULL, 0);
    kn_wbuf_free(&w);
    wait_parked(1);
    kn_delayed_notify("park");

    int n = cli_recv(&c, KN_API_METADATA, vm, &corr, buf, sizeof(buf));
    assert_int_equal(corr, 1);
    assert_int_equal(n, 1);
    assert_int_equal(buf[0], 'W');
    n = cli_recv(&c, KN_API_LIST_OFFSETS, vl, &corr, buf, sizeof(buf));
    assert_int_equal(corr, 2);
    assert_memory_equal(buf, "User:ANONYMOUS", 14);
    n = cli_recv(&c, KN_API_LIST_OFFSETS, vl, &corr, buf, sizeof(buf));
    assert_int_equal(corr, 4);   /* 3 was declined: no response */
    cli_send(&c, KN_API_LIST_OFFSETS, vl, 5, NULL, 0);
    n = cli_recv(&c, KN_API_LIST_OFFSETS, vl, &corr, buf, sizeof(buf));
    assert_int_equal(corr, 5);
    (void)n;
    kn_test_disconnect(&c);
}

static void test_bad_frames_close_only_their_connection(void **state)
{
    fx_t *fx = *state;
    uint8_t buf[8192];
    int32_t corr;
    kn_test_conn_t good = kn_test_connect(fx->plain_port, NULL);

    /* Over socket.request.max.bytes (4096 here): closed before the body. */
    kn_test_conn_t big = kn_test_connect(fx->plain_port, NULL);
    kn_test_write(&big, "\x00\x00\x20\x00", 4);
    assert_true(cli_closed_by_server(&big));
    kn_test_disconnect(&big);

    /* Negative size. */
    kn_test_conn_t neg = kn_test_connect(fx->plain_port, NULL);
    kn_test_write(&neg, "\xff\xff\xff\xf0", 4);
    assert_true(cli_closed_by_server(&neg));
    kn_test_disconnect(&neg);

    /* A TLS ClientHello on the plaintext port. */
    SSL_CTX *ctx = fx->cli_ctx_anon;
    kn_test_conn_t tls = kn_test_connect(fx->plain_port, NULL);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, tls.fd);
    assert_true(SSL_connect(ssl) != 1);
    ERR_clear_error();
    SSL_free(ssl);
    kn_test_disconnect(&tls);

    /* Unknown API key, and a known key at a version we do not speak. */
    kn_test_conn_t unk = kn_test_connect(fx->plain_port, NULL);
    uint8_t frame[] = { 0, 0, 0, 10, 0x03, 0xe7, 0, 0, 0, 0, 0, 1, 0xff, 0xff };
    kn_test_write(&unk, frame, sizeof(frame));
    assert_true(cli_closed_by_server(&unk));
    kn_test_disconnect(&unk);
    kn_test_conn_t badver = kn_test_connect(fx->plain_port, NULL);
    uint8_t frame2[] = { 0, 0, 0, 10, 0, KN_API_METADATA, 0, 99, 0, 0, 0, 1, 0xff, 0xff };
    kn_test_write(&badver, frame2, sizeof(frame2));
    assert_true(cli_closed_by_server(&badver));
    kn_test_disconnect(&badver);
    /* A registered key whose handler rejects the body (truncated v3
     * ApiVersions). */
    kn_test_conn_t trunc = kn_test_connect(fx->plain_port, NULL);
    cli_send(&trunc, KN_API_API_VERSIONS, 3, 1, "\x05", 1);
    assert_true(cli_closed_by_server(&trunc));
    kn_test_disconnect(&trunc);

    /* Plaintext bytes on the SSL port. */
    kn_test_conn_t onssl = kn_test_connect(fx->ssl_port, NULL);
    cli_send(&onssl, KN_API_API_VERSIONS, 0, 1, NULL, 0);
    assert_true(cli_closed_by_server(&onssl));
    kn_test_disconnect(&onssl);

    /* The well-behaved client never noticed. */
    cli_send(&good, KN_API_API_VERSIONS, 0, 42, NULL, 0);
    assert_true(cli_recv(&good, KN_API_API_VERSIONS, 0, &corr, buf, sizeof(buf)) > 0);
    assert_int_equal(corr, 42);
    kn_test_disconnect(&good);
}

static void check_file_response(kn_test_conn_t *c)
{
    uint8_t buf[256];
    int32_t corr;
    int16_t vf = vmin(KN_API_FETCH);
    cli_send(c, KN_API_FETCH, vf, 11, NULL, 0);
    int n = cli_recv(c, KN_API_FETCH, vf, &corr, buf, sizeof(buf));
    assert_int_equal(corr, 11);
    assert_int_equal(n, 11);
    assert_memory_equal(buf, "abc23456xyz", 11);
}

static void test_file_range_plaintext(void **state)
{
    fx_t *fx = *state;
    kn_test_conn_t c = kn_test_connect(fx->plain_port, NULL);
    check_file_response(&c);
    check_file_response(&c);
    kn_test_disconnect(&c);
}

static void test_tls(void **state)
{
    fx_t *fx = *state;
    uint8_t buf[8192];
    int32_t corr;
    int16_t vl = vmin(KN_API_LIST_OFFSETS);

    kn_test_conn_t c = kn_test_connect(fx->ssl_port, fx->cli_ctx);
    cli_send(&c, KN_API_API_VERSIONS, 3, 1, "\x04kcl\x02" "1\x00", 7);
    assert_true(cli_recv(&c, KN_API_API_VERSIONS, 3, &corr, buf, sizeof(buf)) > 0);
    assert_int_equal(corr, 1);
    cli_send(&c, KN_API_LIST_OFFSETS, vl, 2, NULL, 0);
    int n = cli_recv(&c, KN_API_LIST_OFFSETS, vl, &corr, buf, sizeof(buf));
    assert_int_equal(n, (int)strlen("User:CN=client"));
    assert_memory_equal(buf, "User:CN=client", (size_t)n);
    check_file_response(&c);   /* file range read and encrypted */
    kn_test_disconnect(&c);

    kn_test_conn_t anon = kn_test_connect(fx->ssl_port, fx->cli_ctx_anon);
    cli_send(&anon, KN_API_LIST_OFFSETS, vl, 3, NULL, 0);
    n = cli_recv(&anon, KN_API_LIST_OFFSETS, vl, &corr, buf, sizeof(buf));
    assert_int_equal(n, (int)strlen("User:ANONYMOUS"));
    assert_memory_equal(buf, "User:ANONYMOUS", (size_t)n);
    kn_test_disconnect(&anon);
}

static void test_complete_inside_handler(void **state)
{
    fx_t *fx = *state;
    uint8_t buf[64];
    int32_t corr;
    int16_t vc = vmin(KN_API_CREATE_TOPICS), vl = vmin(KN_API_LIST_OFFSETS);
    kn_test_conn_t c = kn_test_connect(fx->plain_port, NULL);
    cli_send(&c, KN_API_CREATE_TOPICS, vc, 1, NULL, 0);
    cli_send(&c, KN_API_LIST_OFFSETS, vl, 2, NULL, 0);
    int n = cli_recv(&c, KN_API_CREATE_TOPICS, vc, &corr, buf, sizeof(buf));
    assert_int_equal(corr, 1);
    assert_int_equal(n, 5);
    assert_memory_equal(buf, "early", 5);
    cli_recv(&c, KN_API_LIST_OFFSETS, vl, &corr, buf, sizeof(buf));
    assert_int_equal(corr, 2);
    kn_test_disconnect(&c);
}

/* More pipelined requests than a connection may have in flight: reading
 * pauses at the limit and resumes as answers leave; all arrive in order. */
static void test_inflight_limit(void **state)
{
    fx_t *fx = *state;
    uint8_t buf[64];
    int32_t corr;
    int16_t vd = vmin(KN_API_DELETE_TOPICS);
    enum { N = 300 };
    kn_test_conn_t c = kn_test_connect(fx->plain_port, NULL);
    kn_wbuf_t w;
    kn_wbuf_init(&w, N * 32);
    for (int i = 0; i < N; i++) {
        size_t at = kn_test_frame_begin(&w, KN_API_DELETE_TOPICS, vd, i, "t");
        kn_test_frame_end(&w, at);
    }
    kn_test_write(&c, w.data, w.len);
    kn_wbuf_free(&w);
    for (int i = 0; i < N; i++) {
        int n = cli_recv(&c, KN_API_DELETE_TOPICS, vd, &corr, buf, sizeof(buf));
        assert_int_equal(corr, i);
        assert_int_equal(n, 1);
        assert_int_equal(buf[0], KN_DELAYED_TIMEOUT);
    }
    kn_test_disconnect(&c);
}

static void test_parked_request_outlives_connection(void **state)
{
    fx_t *fx = *state;
    kn_test_conn_t c = kn_test_connect(fx->plain_port, NULL);
    cli_send(&c, KN_API_METADATA, vmin(KN_API_METADATA), 1, NULL, 0);
    wait_parked(1);
    kn_test_disconnect(&c);
    /* Wait for the server to notice the close (it counts connections). */
    while (kn_server_conn_count(fx->srv) > 0) {
        usleep(1000);
    }
    kn_delayed_notify("park");
    wait_finished(1);
    pthread_mutex_lock(&h_mu);
    assert_int_equal(h_closed_seen, 1);
    pthread_mutex_unlock(&h_mu);
}

static void test_shutdown_answers_parked(void **state)
{
    fx_t *fx = *state;
    uint8_t buf[64];
    int32_t corr;
    int16_t vm = vmin(KN_API_METADATA);
    kn_test_conn_t c = kn_test_connect(fx->plain_port, NULL);
    cli_send(&c, KN_API_METADATA, vm, 5, NULL, 0);
    wait_parked(1);
    kn_server_stop(fx->srv);
    int n = cli_recv(&c, KN_API_METADATA, vm, &corr, buf, sizeof(buf));
    assert_int_equal(corr, 5);
    assert_int_equal(n, 1);
    assert_int_equal(buf[0], 'S');
    assert_true(cli_closed_by_server(&c));
    kn_test_disconnect(&c);
    assert_int_equal(kn_delayed_count(), 0);
}

/* connections.max.idle.ms: an idle connection is closed, one waiting on a
 * parked request is not (it gets its answer first). */
static void test_idle_connections_closed(void **state)
{
    int plain, sslp;
    uint8_t buf[64];
    int32_t corr;
    (void)state;
    pthread_mutex_lock(&h_mu);
    h_parked = h_closed_seen = h_finished = 0;
    pthread_mutex_unlock(&h_mu);
    /* Long enough that a slow (sanitizer, loaded) loop does not idle out
     * the busy connection before its request is read. */
    kn_server_t *srv = start_server_idle(&plain, &sslp, 250);
    kn_test_conn_t idle = kn_test_connect(plain, NULL);
    assert_true(cli_closed_by_server(&idle));
    kn_test_disconnect(&idle);

    int16_t vm = vmin(KN_API_METADATA);
    kn_test_conn_t busy = kn_test_connect(plain, NULL);
    cli_send(&busy, KN_API_METADATA, vm, 3, NULL, 0);
    wait_parked(1);
    /* Let several idle periods pass while parked, on the server's own
     * clock: a second connection idles out meanwhile. */
    kn_test_conn_t other = kn_test_connect(plain, NULL);
    assert_true(cli_closed_by_server(&other));
    kn_test_disconnect(&other);
    kn_delayed_notify("park");
    assert_int_equal(cli_recv(&busy, KN_API_METADATA, vm, &corr, buf, sizeof(buf)), 1);
    assert_int_equal(corr, 3);
    kn_test_disconnect(&busy);
    kn_server_free(srv);
}

int main(void)
{
    evthread_use_pthreads();
    const char *tmp = getenv("TMPDIR");
    snprintf(t_dir, sizeof(t_dir), "%s/kn-test-server-XXXXXX", tmp && *tmp ? tmp : P_tmpdir);
    if (mkdtemp(t_dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(t_srv_cert, sizeof(t_srv_cert), "%s/server.pem", t_dir);
    snprintf(t_srv_key, sizeof(t_srv_key), "%s/server.key", t_dir);
    snprintf(t_cli_cert, sizeof(t_cli_cert), "%s/client.pem", t_dir);
    snprintf(t_cli_key, sizeof(t_cli_key), "%s/client.key", t_dir);
    snprintf(t_data, sizeof(t_data), "%s/data", t_dir);
    kn_test_make_cert("localhost", t_srv_cert, t_srv_key);
    kn_test_make_cert("client", t_cli_cert, t_cli_key);
    FILE *f = fopen(t_data, "w");
    fputs("0123456789", f);
    fclose(f);
    h_data_fd = open(t_data, O_RDONLY);

    kn_api_versions_register();
    kn_handlers_register(KN_API_METADATA, h_park);
    kn_handlers_register(KN_API_PRODUCE, h_decline);
    kn_handlers_register(KN_API_LIST_OFFSETS, h_echo);
    kn_handlers_register(KN_API_FETCH, h_file);
    kn_handlers_register(KN_API_CREATE_TOPICS, h_complete_inside);
    kn_handlers_register(KN_API_DELETE_TOPICS, h_short_park);

    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_apiversions, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_pipelined_order, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_frames_close_only_their_connection, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_file_range_plaintext, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_tls, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_complete_inside_handler, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_inflight_limit, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_parked_request_outlives_connection, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_shutdown_answers_parked, fx_setup, fx_teardown),
        cmocka_unit_test(test_idle_connections_closed),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);

    close(h_data_fd);
    kn_handlers_reset();
    unlink(t_srv_cert);
    unlink(t_srv_key);
    unlink(t_cli_cert);
    unlink(t_cli_key);
    unlink(t_data);
    rmdir(t_dir);
    return rc;
}
