/*
 * tests/unit/test_ctlchan.c -- the control channel's framing over real
 * sockets: frames split across reads, several frames in one read,
 * oversized and undecodable frames closing the channel, freeing from a
 * callback, a message round trip, a TCP connect and TLS (a certificate
 * made on the fly; a client that does not trust it is refused).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "net/ctlchan.h"
#include "net/tls.h"

typedef struct {
    int      msgs;           /* messages received */
    int32_t  last_broker;    /* Register.broker_id of the last one */
    int64_t  last_req;       /* request_id of the last one */
    int      downs;
    char     reason[128];
    int      ups;
    bool     free_in_msg;    /* free the channel from on_msg */
    bool     free_in_down;   /* free the channel from on_down */
    kn_ctlchan_t *accepted;  /* set by the test listener */
    Kanal__Control__KnControl *copy; /* a repacked copy of the last message */
} rx_t;

static void on_msg(kn_ctlchan_t *ch, const Kanal__Control__KnControl *msg, void *ud)
{
    rx_t *rx = ud;
    rx->msgs++;
    rx->last_req = msg->request_id;
    if (msg->body_case == KANAL__CONTROL__KN_CONTROL__BODY_REGISTER)
        rx->last_broker = msg->register_->broker_id;
    if (rx->copy != NULL)
        kanal__control__kn_control__free_unpacked(rx->copy, NULL);
    size_t len = kanal__control__kn_control__get_packed_size(msg);
    uint8_t *buf = malloc(len + 1);
    kanal__control__kn_control__pack(msg, buf);
    rx->copy = kanal__control__kn_control__unpack(NULL, len, buf);
    free(buf);
    if (rx->free_in_msg)
        kn_ctlchan_free(ch);
}

static void on_up(kn_ctlchan_t *ch, void *ud)
{
    ((rx_t *)ud)->ups++;
}

static void on_down(kn_ctlchan_t *ch, const char *reason, void *ud)
{
    rx_t *rx = ud;
    rx->downs++;
    snprintf(rx->reason, sizeof rx->reason, "%s", reason);
    if (rx->free_in_down)
        kn_ctlchan_free(ch);
}

static void rx_clear(rx_t *rx)
{
    if (rx->copy != NULL)
        kanal__control__kn_control__free_unpacked(rx->copy, NULL);
    rx->copy = NULL;
}

/* A framed Register message; returns heap bytes, *len the frame length. */
static uint8_t *register_frame(int32_t broker, int64_t req, size_t *len)
{
    Kanal__Control__Register r = KANAL__CONTROL__REGISTER__INIT;
    Kanal__Control__KnControl m = KANAL__CONTROL__KN_CONTROL__INIT;
    r.broker_id = broker;
    r.broker_epoch = 0x123456789LL;
    m.request_id = req;
    m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_REGISTER;
    m.register_ = &r;
    size_t n = kanal__control__kn_control__get_packed_size(&m);
    uint8_t *f = malloc(4 + n);
    f[0] = (uint8_t)(n >> 24);
    f[1] = (uint8_t)(n >> 16);
    f[2] = (uint8_t)(n >> 8);
    f[3] = (uint8_t)n;
    kanal__control__kn_control__pack(&m, f + 4);
    *len = 4 + n;
    return f;
}

static void write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t w = write(fd, b, n);
        assert_true(w > 0);
        b += w;
        n -= (size_t)w;
    }
}

/* Run the loop until cond() holds; bounded by iterations, not by time. */
#define RUN_UNTIL(base, cond)                                   \
    do {                                                        \
        for (int it_ = 0; it_ < 1000 && !(cond); it_++)         \
            event_base_loop((base), EVLOOP_ONCE);               \
    } while (0)

/* Drain whatever is ready without blocking. */
static void run_ready(struct event_base *base)
{
    for (int i = 0; i < 5; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

typedef struct {
    struct event_base *base;
    int                sv[2];
    kn_ctlchan_t      *ch;
    rx_t               rx;
} fix_t;

static int fix_setup(void **state)
{
    fix_t *f = calloc(1, sizeof *f);
    f->base = event_base_new();
    if (f->base == NULL || socketpair(AF_UNIX, SOCK_STREAM, 0, f->sv) != 0)
        return -1;
    kn_ctlchan_cbs_t cbs = { on_msg, on_up, on_down, &f->rx };
    f->ch = kn_ctlchan_accept(f->base, f->sv[0], NULL, &cbs);
    if (f->ch == NULL)
        return -1;
    *state = f;
    return 0;
}

static int fix_teardown(void **state)
{
    fix_t *f = *state;
    if (f->ch != NULL)
        kn_ctlchan_free(f->ch);
    close(f->sv[1]);
    rx_clear(&f->rx);
    event_base_free(f->base);
    free(f);
    return 0;
}

static void test_split_frame(void **state)
{
    fix_t *f = *state;
    size_t len;
    uint8_t *fr = register_frame(42, 7, &len);

    /* Half a header, then the rest of the header and part of the body,
     * then the remainder: exactly one message, only at the end. */
    write_all(f->sv[1], fr, 2);
    run_ready(f->base);
    assert_int_equal(f->rx.msgs, 0);
    write_all(f->sv[1], fr + 2, 4);
    run_ready(f->base);
    assert_int_equal(f->rx.msgs, 0);
    write_all(f->sv[1], fr + 6, len - 6);
    RUN_UNTIL(f->base, f->rx.msgs == 1);
    assert_int_equal(f->rx.msgs, 1);
    assert_int_equal(f->rx.last_broker, 42);
    assert_int_equal(f->rx.last_req, 7);
    assert_int_equal(f->rx.copy->register_->broker_epoch, 0x123456789LL);
    assert_int_equal(f->rx.downs, 0);
    free(fr);
}

static void test_many_frames_one_read(void **state)
{
    fix_t *f = *state;
    uint8_t all[1024];
    size_t off = 0;

    for (int i = 1; i <= 3; i++) {
        size_t len;
        uint8_t *fr = register_frame(i, 100 + i, &len);
        memcpy(all + off, fr, len);
        off += len;
        free(fr);
    }
    write_all(f->sv[1], all, off);
    RUN_UNTIL(f->base, f->rx.msgs == 3);
    assert_int_equal(f->rx.msgs, 3);
    assert_int_equal(f->rx.last_broker, 3);
    assert_int_equal(f->rx.last_req, 103);
}

static void test_oversize_frame_closes(void **state)
{
    fix_t *f = *state;
    uint32_t n = (uint32_t)KN_CTLCHAN_MAX_FRAME + 1;
    uint8_t hdr[4] = { (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n };

    f->rx.free_in_down = true;
    write_all(f->sv[1], hdr, 4);
    RUN_UNTIL(f->base, f->rx.downs == 1);
    assert_int_equal(f->rx.downs, 1);
    assert_int_equal(f->rx.msgs, 0);
    assert_string_equal(f->rx.reason, "frame too large");
    f->ch = NULL;   /* freed by on_down */
}

static void test_malformed_frame_closes(void **state)
{
    fix_t *f = *state;
    /* A field with wire type 7 does not exist in protobuf. */
    uint8_t fr[] = { 0, 0, 0, 3, 0x0f, 0xff, 0xff };

    write_all(f->sv[1], fr, sizeof fr);
    RUN_UNTIL(f->base, f->rx.downs == 1);
    assert_int_equal(f->rx.downs, 1);
    assert_int_equal(f->rx.msgs, 0);
    assert_string_equal(f->rx.reason, "malformed frame");
}

static void test_peer_close_reports_down(void **state)
{
    fix_t *f = *state;
    size_t len;
    uint8_t *fr = register_frame(5, 1, &len);

    /* The frame before the close is still delivered. */
    write_all(f->sv[1], fr, len);
    shutdown(f->sv[1], SHUT_WR);
    RUN_UNTIL(f->base, f->rx.downs == 1);
    assert_int_equal(f->rx.msgs, 1);
    assert_int_equal(f->rx.downs, 1);
    assert_string_equal(f->rx.reason, "closed by peer");
    assert_int_equal(kn_ctlchan_send(f->ch, f->rx.copy), KN_ERROR);
    free(fr);
}

static void test_free_inside_callback(void **state)
{
    fix_t *f = *state;
    uint8_t all[512];
    size_t off = 0;

    for (int i = 1; i <= 2; i++) {
        size_t len;
        uint8_t *fr = register_frame(i, i, &len);
        memcpy(all + off, fr, len);
        off += len;
        free(fr);
    }
    f->rx.free_in_msg = true;
    write_all(f->sv[1], all, off);
    RUN_UNTIL(f->base, f->rx.msgs == 1);
    run_ready(f->base);
    /* Freed after the first message: the second is never delivered, and
     * nothing touches the freed channel (ASan would say so). */
    assert_int_equal(f->rx.msgs, 1);
    assert_int_equal(f->rx.downs, 0);
    f->ch = NULL;
}

static void test_round_trip(void **state)
{
    fix_t *f = *state;
    rx_t rx2;
    memset(&rx2, 0, sizeof rx2);
    kn_ctlchan_cbs_t cbs = { on_msg, NULL, on_down, &rx2 };
    kn_ctlchan_t *peer = kn_ctlchan_accept(f->base, f->sv[1], NULL, &cbs);
    assert_non_null(peer);
    f->sv[1] = -1;
    kn_ctlchan_set_data(peer, &rx2);
    assert_ptr_equal(kn_ctlchan_get_data(peer), &rx2);
    assert_string_equal(kn_ctlchan_peer(peer), "local:0");

    int32_t isr[] = { 1, 2 }, reps[] = { 1, 2, 3 };
    Kanal__Control__PartitionState ps = KANAL__CONTROL__PARTITION_STATE__INIT;
    Kanal__Control__PartitionState *pps = &ps;
    ps.topic = "orders";
    ps.partition = 4;
    ps.leader = 1;
    ps.leader_epoch = 9;
    ps.isr = isr;
    ps.n_isr = 2;
    ps.replicas = reps;
    ps.n_replicas = 3;
    Kanal__Control__LeaderAndIsr lai = KANAL__CONTROL__LEADER_AND_ISR__INIT;
    lai.controller_epoch = 17;
    lai.partitions = &pps;
    lai.n_partitions = 1;
    Kanal__Control__KnControl m = KANAL__CONTROL__KN_CONTROL__INIT;
    m.request_id = 55;
    m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_LEADER_AND_ISR;
    m.leader_and_isr = &lai;

    assert_int_equal(kn_ctlchan_send(peer, &m), KN_OK);
    RUN_UNTIL(f->base, f->rx.msgs == 1);
    assert_int_equal(f->rx.msgs, 1);
    const Kanal__Control__KnControl *got = f->rx.copy;
    assert_int_equal(got->body_case, KANAL__CONTROL__KN_CONTROL__BODY_LEADER_AND_ISR);
    assert_int_equal(got->request_id, 55);
    assert_int_equal(got->leader_and_isr->controller_epoch, 17);
    assert_int_equal(got->leader_and_isr->n_partitions, 1);
    assert_string_equal(got->leader_and_isr->partitions[0]->topic, "orders");
    assert_int_equal(got->leader_and_isr->partitions[0]->n_isr, 2);
    assert_int_equal(got->leader_and_isr->partitions[0]->replicas[2], 3);

    /* And back the other way. */
    assert_int_equal(kn_ctlchan_send(f->ch, got), KN_OK);
    RUN_UNTIL(f->base, rx2.msgs == 1);
    assert_int_equal(rx2.msgs, 1);
    assert_int_equal(rx2.copy->leader_and_isr->partitions[0]->leader_epoch, 9);

    kn_ctlchan_free(peer);
    rx_clear(&rx2);
}

static void accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                      int salen, void *arg)
{
    rx_t *rx = arg;
    kn_ctlchan_cbs_t cbs = { on_msg, NULL, on_down, rx };
    rx->accepted = kn_ctlchan_accept(evconnlistener_get_base(l), fd, NULL, &cbs);
}

static void test_tcp_connect(void **state)
{
    struct event_base *base = event_base_new();
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    rx_t srv, cli;

    memset(&srv, 0, sizeof srv);
    memset(&cli, 0, sizeof cli);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct evconnlistener *l = evconnlistener_new_bind(base, accept_cb, &srv,
                                                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                                       8, (struct sockaddr *)&sin, sizeof sin);
    assert_non_null(l);
    assert_int_equal(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &sl), 0);

    kn_ctlchan_cbs_t cbs = { on_msg, on_up, on_down, &cli };
    kn_ctlchan_t *ch = kn_ctlchan_connect(base, "127.0.0.1", ntohs(sin.sin_port), NULL, &cbs);
    assert_non_null(ch);
    assert_true(strncmp(kn_ctlchan_peer(ch), "127.0.0.1:", 10) == 0);
    RUN_UNTIL(base, cli.ups == 1 && srv.accepted != NULL);
    assert_int_equal(cli.ups, 1);
    assert_non_null(srv.accepted);

    Kanal__Control__Register r = KANAL__CONTROL__REGISTER__INIT;
    Kanal__Control__KnControl m = KANAL__CONTROL__KN_CONTROL__INIT;
    r.broker_id = 3;
    m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_REGISTER;
    m.register_ = &r;
    assert_int_equal(kn_ctlchan_send(ch, &m), KN_OK);
    RUN_UNTIL(base, srv.msgs == 1);
    assert_int_equal(srv.last_broker, 3);

    /* Closing the server side is seen by the client. */
    kn_ctlchan_free(srv.accepted);
    RUN_UNTIL(base, cli.downs == 1);
    assert_int_equal(cli.downs, 1);

    kn_ctlchan_free(ch);
    evconnlistener_free(l);
    rx_clear(&srv);
    rx_clear(&cli);
    event_base_free(base);
}

static void test_connect_refused(void **state)
{
    struct event_base *base = event_base_new();
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    rx_t cli;

    memset(&cli, 0, sizeof cli);
    /* A port that was just free: bind, read it, close. */
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &sl), 0);
    close(fd);

    kn_ctlchan_cbs_t cbs = { on_msg, on_up, on_down, &cli };
    cli.free_in_down = true;
    kn_ctlchan_t *ch = kn_ctlchan_connect(base, "127.0.0.1", ntohs(sin.sin_port), NULL, &cbs);
    if (ch != NULL)
        RUN_UNTIL(base, cli.downs == 1);
    assert_int_equal(cli.ups, 0);
    assert_true(ch == NULL || cli.downs == 1);
    assert_null(kn_ctlchan_connect(base, "127.0.0.1", 0, NULL, &cbs));
    event_base_free(base);
}

/* ---- TLS -------------------------------------------------------------------- */

/* A self-signed P-256 certificate for IP 127.0.0.1, written as PEM files
 * (cert + key) into dir. Returns 0 on success. */
static int make_cert(const char *dir, const char *name, char *cert, char *key, size_t len)
{
    EVP_PKEY *pk = EVP_EC_gen("P-256");
    X509 *x = X509_new();
    int rc = -1;
    if (pk == NULL || x == NULL)
        goto out;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 3600L * 24);
    X509_set_pubkey(x, pk);
    X509_NAME *nm = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_ASC, (const unsigned char *)name, -1, -1, 0);
    X509_set_issuer_name(x, nm);
    X509V3_CTX v3;
    X509V3_set_ctx_nodb(&v3);
    X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
    X509_EXTENSION *san = X509V3_EXT_conf_nid(NULL, &v3, NID_subject_alt_name, "IP:127.0.0.1");
    X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, &v3, NID_basic_constraints, "critical,CA:TRUE");
    if (san == NULL || bc == NULL)
        goto out;
    X509_add_ext(x, san, -1);
    X509_add_ext(x, bc, -1);
    X509_EXTENSION_free(san);
    X509_EXTENSION_free(bc);
    if (X509_sign(x, pk, EVP_sha256()) == 0)
        goto out;
    snprintf(cert, len, "%s/%s.crt", dir, name);
    snprintf(key, len, "%s/%s.key", dir, name);
    FILE *fc = fopen(cert, "w"), *fk = fopen(key, "w");
    if (fc != NULL && fk != NULL && PEM_write_X509(fc, x) &&
        PEM_write_PrivateKey(fk, pk, NULL, NULL, 0, NULL, NULL))
        rc = 0;
    if (fc != NULL)
        fclose(fc);
    if (fk != NULL)
        fclose(fk);
out:
    X509_free(x);
    EVP_PKEY_free(pk);
    return rc;
}

typedef struct {
    rx_t     srv;
    SSL_CTX *ctx;
} tls_srv_t;

static void tls_accept_cb(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
                          int salen, void *arg)
{
    tls_srv_t *t = arg;
    kn_ctlchan_cbs_t cbs = { on_msg, NULL, on_down, &t->srv };
    t->srv.accepted = kn_ctlchan_accept(evconnlistener_get_base(l), fd, t->ctx, &cbs);
}

/* One TLS exchange: the client trusts `ca`; returns through rx_t what
 * happened on both sides. */
static void tls_run(const char *cert, const char *key, const char *ca, rx_t *cli_out,
                    rx_t *srv_out)
{
    struct event_base *base = event_base_new();
    struct sockaddr_in sin;
    socklen_t sl = sizeof sin;
    char err[256];
    tls_srv_t t;

    memset(&t, 0, sizeof t);
    memset(cli_out, 0, sizeof *cli_out);
    t.ctx = kn_tls_server_ctx(cert, key, NULL, KN_TLS_CLIENT_AUTH_NONE, err, sizeof err);
    assert_non_null(t.ctx);
    SSL_CTX *cctx = kn_tls_client_ctx(ca, NULL, NULL, err, sizeof err);
    assert_non_null(cctx);
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct evconnlistener *l = evconnlistener_new_bind(base, tls_accept_cb, &t,
                                                       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
                                                       8, (struct sockaddr *)&sin, sizeof sin);
    assert_non_null(l);
    assert_int_equal(getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &sl), 0);

    kn_ctlchan_cbs_t cbs = { on_msg, on_up, on_down, cli_out };
    kn_ctlchan_t *ch = kn_ctlchan_connect(base, "127.0.0.1", ntohs(sin.sin_port), cctx, &cbs);
    assert_non_null(ch);
    RUN_UNTIL(base, cli_out->ups == 1 || cli_out->downs == 1);
    if (cli_out->ups == 1) {
        Kanal__Control__Register r = KANAL__CONTROL__REGISTER__INIT;
        Kanal__Control__KnControl m = KANAL__CONTROL__KN_CONTROL__INIT;
        r.broker_id = 11;
        m.body_case = KANAL__CONTROL__KN_CONTROL__BODY_REGISTER;
        m.register_ = &r;
        assert_int_equal(kn_ctlchan_send(ch, &m), KN_OK);
        RUN_UNTIL(base, t.srv.msgs == 1);
    }
    kn_ctlchan_free(ch);
    if (t.srv.accepted != NULL)
        kn_ctlchan_free(t.srv.accepted);
    evconnlistener_free(l);
    SSL_CTX_free(cctx);
    SSL_CTX_free(t.ctx);
    rx_clear(&t.srv);
    *srv_out = t.srv;
    event_base_free(base);
}

static void test_tls(void **state)
{
    char dir[] = "kn-ctlchan-XXXXXX";   /* in the (build) working directory */
    char cert[300], key[300], other[300], okey[300];
    rx_t cli, srv;

    assert_non_null(mkdtemp(dir));
    assert_int_equal(make_cert(dir, "server", cert, key, sizeof cert), 0);
    assert_int_equal(make_cert(dir, "other", other, okey, sizeof other), 0);

    /* Trusted: handshake, then a message arrives intact. */
    tls_run(cert, key, cert, &cli, &srv);
    assert_int_equal(cli.ups, 1);
    assert_int_equal(srv.msgs, 1);
    assert_int_equal(srv.last_broker, 11);
    rx_clear(&cli);

    /* Not trusted: the client reports the verification failure. */
    tls_run(cert, key, other, &cli, &srv);
    assert_int_equal(cli.ups, 0);
    assert_int_equal(cli.downs, 1);
    assert_true(strncmp(cli.reason, "TLS error", 9) == 0);
    assert_int_equal(srv.msgs, 0);
    rx_clear(&cli);

    unlink(cert);
    unlink(key);
    unlink(other);
    unlink(okey);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_split_frame, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_many_frames_one_read, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_oversize_frame_closes, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_malformed_frame_closes, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_peer_close_reports_down, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_free_inside_callback, fix_setup, fix_teardown),
        cmocka_unit_test_setup_teardown(test_round_trip, fix_setup, fix_teardown),
        cmocka_unit_test(test_tcp_connect),
        cmocka_unit_test(test_connect_refused),
        cmocka_unit_test(test_tls),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
