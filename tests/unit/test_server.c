/*
 * tests/unit/test_server.c -- unit tests of the network layer's pieces
 * that need no sockets: frame-size verdicts, listener parsing, the
 * cross-thread run queue, delayed operations and the config tables.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <event2/event.h>
#include <event2/thread.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/broker.h"
#include "broker/server/delayed.h"
#include "broker/server/frame.h"
#include "broker/server/server.h"
#include "common/config.h"

/* ---- frames ------------------------------------------------------------- */

static void put32(uint8_t b[4], uint32_t v)
{
    b[0] = (uint8_t)(v >> 24);
    b[1] = (uint8_t)(v >> 16);
    b[2] = (uint8_t)(v >> 8);
    b[3] = (uint8_t)v;
}

static void test_frame_check(void **state)
{
    uint8_t b[4];
    int32_t size;
    (void)state;

    put32(b, 100);
    assert_int_equal(kn_frame_check(b, 1000, &size), KN_FRAME_OK);
    assert_int_equal(size, 100);
    put32(b, 1000);
    assert_int_equal(kn_frame_check(b, 1000, &size), KN_FRAME_OK);
    put32(b, 1001);
    assert_int_equal(kn_frame_check(b, 1000, &size), KN_FRAME_TOO_BIG);
    put32(b, 0xffffffffu);
    assert_int_equal(kn_frame_check(b, 1000, &size), KN_FRAME_NEGATIVE);
    assert_int_equal(size, -1);
    put32(b, 0x80000000u);
    assert_int_equal(kn_frame_check(b, 1000, &size), KN_FRAME_NEGATIVE);
    put32(b, 3);
    assert_int_equal(kn_frame_check(b, 1000, &size), KN_FRAME_TOO_SMALL);
    /* A TLS ClientHello record header: 16 03 01 <len> */
    b[0] = 0x16; b[1] = 0x03; b[2] = 0x01; b[3] = 0x02;
    assert_int_equal(kn_frame_check(b, 104857600, &size), KN_FRAME_TLS);
    /* ...but a broker allowing huge frames takes it as a size. */
    assert_int_equal(kn_frame_check(b, 0x7fffffff, &size), KN_FRAME_OK);
    assert_string_equal(kn_frame_verdict_str(KN_FRAME_TLS), "TLS handshake on a plaintext listener");
}

/* ---- listeners ---------------------------------------------------------- */

static void test_listeners_basic(void **state)
{
    kn_listener_t l[KN_LISTENERS_MAX];
    char err[256];
    (void)state;

    int n = kn_listeners_parse("PLAINTEXT://127.0.0.1:9092, SSL://127.0.0.1:9093", NULL, NULL, l,
                               KN_LISTENERS_MAX, err, sizeof(err));
    assert_int_equal(n, 2);
    assert_string_equal(l[0].name, "PLAINTEXT");
    assert_int_equal(l[0].security, KN_SEC_PLAINTEXT);
    assert_string_equal(l[0].host, "127.0.0.1");
    assert_int_equal(l[0].port, 9092);
    assert_string_equal(l[0].adv_host, "127.0.0.1");
    assert_int_equal(l[0].adv_port, 0);
    assert_string_equal(l[1].name, "SSL");
    assert_int_equal(l[1].security, KN_SEC_SSL);
    assert_int_equal(l[1].port, 9093);
}

static void test_listeners_advertised_and_map(void **state)
{
    kn_listener_t l[KN_LISTENERS_MAX];
    char err[256];
    (void)state;

    int n = kn_listeners_parse("INTERNAL://127.0.0.1:9092,EXTERNAL://[::1]:9094",
                               "EXTERNAL://kafka.example.com:19094",
                               "INTERNAL:PLAINTEXT,EXTERNAL:SSL", l, KN_LISTENERS_MAX, err, sizeof(err));
    assert_int_equal(n, 2);
    assert_int_equal(l[0].security, KN_SEC_PLAINTEXT);
    assert_string_equal(l[1].host, "::1");
    assert_int_equal(l[1].security, KN_SEC_SSL);
    assert_string_equal(l[1].adv_host, "kafka.example.com");
    assert_int_equal(l[1].adv_port, 19094);
    assert_string_equal(l[0].adv_host, "127.0.0.1");

    /* An empty host listens everywhere and advertises the host name. */
    n = kn_listeners_parse("PLAINTEXT://:9092", NULL, NULL, l, KN_LISTENERS_MAX, err, sizeof(err));
    assert_int_equal(n, 1);
    assert_string_equal(l[0].host, "");
    assert_true(strlen(l[0].adv_host) > 0);
}

static void test_listeners_errors(void **state)
{
    kn_listener_t l[KN_LISTENERS_MAX];
    char err[256];
    (void)state;

    assert_int_equal(kn_listeners_parse("PLAINTEXT://127.0.0.1:9092,PLAINTEXT://127.0.0.1:9093", NULL,
                                        NULL, l, KN_LISTENERS_MAX, err, sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "twice"));
    assert_int_equal(kn_listeners_parse("FOO://127.0.0.1:9092", NULL, NULL, l, KN_LISTENERS_MAX, err,
                                        sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "FOO"));
    assert_int_equal(kn_listeners_parse("PLAINTEXT://127.0.0.1:99999", NULL, NULL, l, KN_LISTENERS_MAX,
                                        err, sizeof(err)), KN_ERROR);
    assert_int_equal(kn_listeners_parse("PLAINTEXT:127.0.0.1:9092", NULL, NULL, l, KN_LISTENERS_MAX,
                                        err, sizeof(err)), KN_ERROR);
    assert_int_equal(kn_listeners_parse("PLAINTEXT://127.0.0.1:9092,SSL://127.0.0.1:9092", NULL, NULL,
                                        l, KN_LISTENERS_MAX, err, sizeof(err)), KN_ERROR);
    assert_int_equal(kn_listeners_parse("PLAINTEXT://127.0.0.1:9092", "SSL://h:1", NULL, l,
                                        KN_LISTENERS_MAX, err, sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "not in listeners"));
    assert_int_equal(kn_listeners_parse("X://h:1", NULL, "X:TLS", l, KN_LISTENERS_MAX, err,
                                        sizeof(err)), KN_ERROR);
    assert_int_equal(kn_listeners_parse("", NULL, NULL, l, KN_LISTENERS_MAX, err, sizeof(err)), KN_ERROR);
    assert_int_equal(kn_listeners_syntax("PLAINTEXT://h:1,SSL://[::1]:2", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_listeners_syntax("PLAINTEXT://h", err, sizeof(err)), KN_ERROR);
}

/* ---- run queue and delayed operations ----------------------------------- */

typedef struct {
    struct event_base *base;
    pthread_t          thread;
} loop_t;

static void *loop_main(void *arg)
{
    loop_t *l = arg;
    event_base_loop(l->base, EVLOOP_NO_EXIT_ON_EMPTY);
    return NULL;
}

static void loop_start(loop_t *l)
{
    l->base = event_base_new();
    assert_non_null(l->base);
    assert_int_equal(kn_runq_attach(l->base), KN_OK);
    assert_int_equal(pthread_create(&l->thread, NULL, loop_main, l), 0);
}

/* Runs on the loop: stop it. */
static void loop_break_cb(void *arg)
{
    event_base_loopbreak(arg);
}

static void loop_stop(loop_t *l)
{
    kn_server_run_on(l->base, loop_break_cb, l->base);
    pthread_join(l->thread, NULL);
    kn_runq_detach(l->base);
    event_base_free(l->base);
}

/* A tiny "wait until" for the test thread: the condition is set by the
 * loop thread, signalled through a mutex/condvar (no sleeping). */
static pthread_mutex_t t_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t  t_cond = PTHREAD_COND_INITIALIZER;
static int             t_seq[64];
static int             t_nseq;

static void record(int v)
{
    pthread_mutex_lock(&t_mu);
    if (t_nseq < 64) {
        t_seq[t_nseq++] = v;
    }
    pthread_cond_broadcast(&t_cond);
    pthread_mutex_unlock(&t_mu);
}

static void wait_for_records(int n)
{
    pthread_mutex_lock(&t_mu);
    while (t_nseq < n) {
        pthread_cond_wait(&t_cond, &t_mu);
    }
    pthread_mutex_unlock(&t_mu);
}

static void reset_records(void)
{
    pthread_mutex_lock(&t_mu);
    t_nseq = 0;
    pthread_mutex_unlock(&t_mu);
}

static void record_cb(void *arg)
{
    record((int)(intptr_t)arg);
}

static void test_runq_fifo(void **state)
{
    loop_t l;
    (void)state;
    reset_records();
    loop_start(&l);
    for (int i = 0; i < 50; i++) {
        kn_server_run_on(l.base, record_cb, (void *)(intptr_t)i);
    }
    wait_for_records(50);
    for (int i = 0; i < 50; i++) {
        assert_int_equal(t_seq[i], i);
    }
    loop_stop(&l);
}

/* Delayed op callback: records (tag*10 + reason); finishes on the
 * second wake, so the first wake must leave it waiting. */
typedef struct {
    int tag;
    int wakes;
} dctx_t;

static bool dl_cb(void *arg, kn_delayed_reason_t why)
{
    dctx_t *d = arg;
    if (why == KN_DELAYED_WAKE) {
        d->wakes++;
        record(d->tag * 10 + (int)why);
        return d->wakes >= 2;
    }
    record(d->tag * 10 + (int)why);
    return true;
}

/* Run fn(arg) on the loop and wait until it has run. */
typedef struct {
    void (*fn)(void *);
    void *arg;
    bool  done;
} sync_t;

static void sync_cb(void *arg)
{
    sync_t *s = arg;
    s->fn(s->arg);
    pthread_mutex_lock(&t_mu);
    s->done = true;
    pthread_cond_broadcast(&t_cond);
    pthread_mutex_unlock(&t_mu);
}

static void run_sync(struct event_base *base, void (*fn)(void *), void *arg)
{
    sync_t s = { fn, arg, false };
    kn_server_run_on(base, sync_cb, &s);
    pthread_mutex_lock(&t_mu);
    while (!s.done) {
        pthread_cond_wait(&t_cond, &t_mu);
    }
    pthread_mutex_unlock(&t_mu);
}

typedef struct {
    struct event_base *base;
    dctx_t            *d;
    int64_t            timeout;
    const char        *key1, *key2;
    kn_delayed_t      *op;   /* out */
} newop_t;

static void newop_cb(void *arg)
{
    newop_t *n = arg;
    n->op = kn_delayed_new(n->base, n->timeout, dl_cb, n->d);
    if (n->key1) {
        kn_delayed_watch(n->op, n->key1);
    }
    if (n->key2) {
        kn_delayed_watch(n->op, n->key2);
    }
}

static void test_delayed_wake(void **state)
{
    loop_t l;
    dctx_t d = { 1, 0 };
    (void)state;
    reset_records();
    loop_start(&l);
    newop_t n = { l.base, &d, -1, "t:0", "t:1", NULL };
    run_sync(l.base, newop_cb, &n);
    assert_int_equal(kn_delayed_count(), 1);

    kn_delayed_notify("other:0");   /* not watched: nothing happens */
    kn_delayed_notify("t:1");
    wait_for_records(1);
    assert_int_equal(t_seq[0], 10 + KN_DELAYED_WAKE);
    assert_int_equal(kn_delayed_count(), 1);   /* returned false: still parked */

    kn_delayed_notify_tp("t", 0);   /* "t:0" */
    wait_for_records(2);
    assert_int_equal(t_seq[1], 10 + KN_DELAYED_WAKE);
    /* Finished on the loop thread right after the callback; make sure the
     * loop has moved past it before counting. */
    run_sync(l.base, record_cb, (void *)(intptr_t)99);
    assert_int_equal(kn_delayed_count(), 0);
    kn_delayed_notify("t:0");   /* gone: no effect */
    run_sync(l.base, record_cb, (void *)(intptr_t)98);
    assert_int_equal(t_nseq, 4);
    loop_stop(&l);
}

static void test_delayed_timeout_and_shutdown(void **state)
{
    loop_t l;
    dctx_t d1 = { 1, 0 }, d2 = { 2, 0 };
    (void)state;
    reset_records();
    loop_start(&l);
    /* d1 times out (a short deadline; we only check that the final call
     * happens, never when). */
    newop_t n1 = { l.base, &d1, 1, "k", NULL, NULL };
    run_sync(l.base, newop_cb, &n1);
    wait_for_records(1);
    assert_int_equal(t_seq[0], 10 + KN_DELAYED_TIMEOUT);

    /* d2 never times out: the shutdown gives it its final call. */
    newop_t n2 = { l.base, &d2, -1, "k", NULL, NULL };
    run_sync(l.base, newop_cb, &n2);
    run_sync(l.base, (void (*)(void *))kn_delayed_shutdown_base, l.base);
    wait_for_records(2);
    assert_int_equal(t_seq[1], 20 + KN_DELAYED_SHUTDOWN);
    assert_int_equal(kn_delayed_count(), 0);
    loop_stop(&l);
}

/* On the loop: a notify queues a wake, then the op is cancelled before
 * the wake runs; the wake must find it cancelled (no callback, no use
 * after free -- ASan watches). */
static void notify_then_cancel_cb(void *arg)
{
    kn_delayed_notify("c");
    kn_delayed_cancel(arg);
}

static void test_delayed_cancel_with_pending_wake(void **state)
{
    loop_t l;
    dctx_t d = { 3, 0 };
    (void)state;
    reset_records();
    loop_start(&l);
    newop_t n = { l.base, &d, -1, "c", NULL, NULL };
    run_sync(l.base, newop_cb, &n);
    run_sync(l.base, notify_then_cancel_cb, n.op);
    run_sync(l.base, record_cb, (void *)(intptr_t)7);
    assert_int_equal(kn_delayed_count(), 0);
    assert_int_equal(t_nseq, 1);
    assert_int_equal(t_seq[0], 7);
    assert_int_equal(d.wakes, 0);
    loop_stop(&l);
}

/* ---- config tables ------------------------------------------------------ */

static void test_broker_config_table(void **state)
{
    char err[512];
    (void)state;
    kn_config_t *cfg = kn_config_new(kn_broker_config_table);
    assert_non_null(cfg);
    assert_int_equal(kn_config_set(cfg, "broker.id", "3", "test", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_config_set(cfg, "zookeeper.connect", "127.0.0.1:2181/k", "test", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_config_finish(cfg, err, sizeof(err)), KN_OK);
    assert_int_equal(kn_config_int(cfg, "num.network.threads"), 3);
    assert_int_equal(kn_config_int(cfg, "socket.request.max.bytes"), 104857600);
    assert_int_equal(kn_config_int(cfg, "log.segment.bytes"), 1073741824);
    assert_false(kn_config_bool(cfg, "unclean.leader.election.enable"));
    assert_string_equal(kn_config_str(cfg, "ssl.client.auth"), "none");
    assert_int_equal(kn_config_set(cfg, "listeners", "PLAINTEXT//x", "test", err, sizeof(err)), KN_ERROR);
    assert_int_equal(kn_config_set(cfg, "ssl.client.auth", "maybe", "test", err, sizeof(err)), KN_ERROR);
    assert_int_equal(kn_config_set(cfg, "log.level", "loud", "test", err, sizeof(err)), KN_ERROR);
    assert_int_equal(kn_config_set(cfg, "no.such.key", "1", "test", err, sizeof(err)), KN_ERROR);

    /* Topic defaults come from the broker keys, finest unit first. */
    char *v = kn_broker_topic_default(cfg, "retention.ms");
    assert_string_equal(v, "604800000");
    free(v);
    assert_int_equal(kn_config_set(cfg, "log.retention.minutes", "2", "test", err, sizeof(err)), KN_OK);
    v = kn_broker_topic_default(cfg, "retention.ms");
    assert_string_equal(v, "120000");
    free(v);
    assert_int_equal(kn_config_set(cfg, "log.retention.ms", "5000", "test", err, sizeof(err)), KN_OK);
    v = kn_broker_topic_default(cfg, "retention.ms");
    assert_string_equal(v, "5000");
    free(v);
    assert_int_equal(kn_config_set(cfg, "log.segment.bytes", "1024", "test", err, sizeof(err)), KN_OK);
    v = kn_broker_topic_default(cfg, "segment.bytes");
    assert_string_equal(v, "1024");
    free(v);
    v = kn_broker_topic_default(cfg, "segment.ms");
    assert_string_equal(v, "604800000");
    free(v);
    assert_null(kn_broker_topic_default(cfg, "no.such.key"));
    kn_config_free(cfg);

    /* Topic table: validation of overrides that arrive over the wire. */
    assert_int_equal(kn_config_validate(kn_topic_config_table, "cleanup.policy", "compact,delete", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_config_validate(kn_topic_config_table, "cleanup.policy", "shred", err, sizeof(err)), KN_ERROR);
    assert_int_equal(kn_config_validate(kn_topic_config_table, "segment.bytes", "10", err, sizeof(err)), KN_ERROR);
    assert_int_equal(kn_config_validate(kn_topic_config_table, "retention.ms", "-1", err, sizeof(err)), KN_OK);
}

int main(void)
{
    evthread_use_pthreads();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frame_check),
        cmocka_unit_test(test_listeners_basic),
        cmocka_unit_test(test_listeners_advertised_and_map),
        cmocka_unit_test(test_listeners_errors),
        cmocka_unit_test(test_runq_fifo),
        cmocka_unit_test(test_delayed_wake),
        cmocka_unit_test(test_delayed_timeout_and_shutdown),
        cmocka_unit_test(test_delayed_cancel_with_pending_wake),
        cmocka_unit_test(test_broker_config_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
