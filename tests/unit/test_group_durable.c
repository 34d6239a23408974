/*
 * tests/unit/test_group_durable.c -- when the group coordinator treats a
 * write to __consumer_offsets as durable (kn_gc_durable), with a real
 * replica manager and a real log: only once the high watermark the replica
 * manager computes covers it (every in-sync replica has it), never by
 * raising the high watermark itself; a lost leadership or an ISR below
 * min.insync.replicas settles the wait with the group-API error.
 *
 * Regression: the coordinator used to raise the high watermark itself when
 * the metadata cache named it the only in-sync replica, which acknowledged
 * commits a follower just admitted to the ISR did not have yet -- lost when
 * the coordinator died.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/broker.h"
#include "broker/group/group.h"
#include "broker/group/group_int.h"
#include "broker/replica/replica.h"
#include "common/config.h"
#include "test_log_util.h"

#define TOPIC KN_GROUP_OFFSETS_TOPIC

typedef struct {
    char         *dir;
    kn_logmgr_t  *logs;
    kn_config_t  *cfg;
    kn_broker_t   b;
    kn_log_t     *log;
} fx_t;

static int fx_setup(void **state)
{
    char err[512];
    fx_t *fx = calloc(1, sizeof(*fx));
    fx->dir = tl_tmpdir("test_group_durable");
    fx->logs = tl_open(fx->dir, NULL, 0);
    assert_non_null(fx->logs);
    fx->cfg = kn_config_new(kn_broker_config_table);
    assert_int_equal(kn_config_set(fx->cfg, "broker.id", "1", "test", err, sizeof(err)), KN_OK);
    assert_int_equal(kn_config_set(fx->cfg, "zookeeper.connect", "127.0.0.1:2181", "test", err,
                                   sizeof(err)), KN_OK);
    assert_int_equal(kn_config_finish(fx->cfg, err, sizeof(err)), KN_OK);
    fx->b.id = 1;
    fx->b.cfg = fx->cfg;
    fx->b.logs = fx->logs;
    fx->b.repl = kn_repl_new(&fx->b);
    assert_int_equal(kn_logmgr_create(fx->logs, TOPIC, 0, NULL, &fx->log), KN_ERR_NONE);
    /* No main loop: no timer, kn_gc_durable only. */
    assert_int_equal(kn_group_start(&fx->b), KN_OK);
    assert_non_null(kn_gc());
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fx_t *fx = *state;
    kn_group_stop(&fx->b);
    kn_repl_free(fx->b.repl);
    kn_log_release(fx->log);
    kn_logmgr_close(fx->logs);
    kn_config_free(fx->cfg);
    tl_rmrf(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

/* The controller's state for __consumer_offsets-0 (replicas 1, 2, 3). */
static void apply(fx_t *fx, int32_t leader, int32_t epoch, const int32_t *isr, int n_isr,
                  int32_t min_isr)
{
    static const int32_t replicas[3] = { 1, 2, 3 };
    kn_repl_state_t st;
    memset(&st, 0, sizeof(st));
    st.topic = TOPIC;
    st.partition = 0;
    st.log = fx->log;
    st.leader = leader;
    st.leader_epoch = epoch;
    st.zk_version = epoch;
    st.isr = isr;
    st.n_isr = n_isr;
    st.replicas = replicas;
    st.n_replicas = 3;
    st.min_isr = min_isr;
    kn_repl_apply(fx->b.repl, &st);
}

/* Append n records as the leader, as the coordinator does, and tell the
 * replica manager; returns the offset after them. */
static int64_t append(fx_t *fx, int n, int32_t epoch)
{
    kn_wbuf_t w;
    kn_wbuf_init(&w, 256);
    tl_batch(&w, n, 16, 1000, 3, KN_CODEC_NONE);
    kn_log_append_result_t res;
    assert_int_equal(kn_log_append(fx->log, w.data, w.len, KN_LOG_APPEND_LEADER, epoch, &res),
                     KN_ERR_NONE);
    kn_wbuf_free(&w);
    kn_repl_leader_appended(fx->b.repl, TOPIC, 0);
    return res.last_offset + 1;
}

static void test_waits_for_every_isr_member(void **state)
{
    fx_t *fx = *state;
    static const int32_t isr[3] = { 1, 2, 3 };
    kn_err_t err = KN_ERR_UNKNOWN_SERVER_ERROR;
    apply(fx, 1, 0, isr, 3, 1);
    int64_t end = append(fx, 4, 0);
    assert_int_equal(end, 4);

    assert_int_equal(kn_gc_durable(kn_gc(), 0, fx->log, end, &err), KN_AGAIN);
    /* Asking must not move the high watermark. */
    assert_int_equal(kn_log_high_watermark(fx->log), 0);
    assert_int_equal(kn_repl_follower_fetch(fx->b.repl, TOPIC, 0, 2, end), KN_ERR_NONE);
    assert_int_equal(kn_gc_durable(kn_gc(), 0, fx->log, end, &err), KN_AGAIN);
    assert_int_equal(kn_repl_follower_fetch(fx->b.repl, TOPIC, 0, 3, end - 1), KN_ERR_NONE);
    assert_int_equal(kn_gc_durable(kn_gc(), 0, fx->log, end, &err), KN_AGAIN);
    assert_int_equal(kn_log_high_watermark(fx->log), end - 1);
    assert_int_equal(kn_repl_follower_fetch(fx->b.repl, TOPIC, 0, 3, end), KN_ERR_NONE);
    assert_int_equal(kn_gc_durable(kn_gc(), 0, fx->log, end, &err), KN_OK);
    assert_int_equal(err, KN_ERR_NONE);
}

static void test_sole_isr_member_is_durable_at_once(void **state)
{
    fx_t *fx = *state;
    static const int32_t isr[1] = { 1 };
    kn_err_t err = KN_ERR_UNKNOWN_SERVER_ERROR;
    apply(fx, 1, 0, isr, 1, 1);
    int64_t end = append(fx, 2, 0);
    assert_int_equal(kn_gc_durable(kn_gc(), 0, fx->log, end, &err), KN_OK);
    assert_int_equal(err, KN_ERR_NONE);
}

static void test_lost_leadership_is_not_coordinator(void **state)
{
    fx_t *fx = *state;
    static const int32_t isr[3] = { 1, 2, 3 };
    static const int32_t isr2[2] = { 2, 3 };
    kn_err_t err = KN_ERR_NONE;
    apply(fx, 1, 0, isr, 3, 1);
    int64_t end = append(fx, 3, 0);
    assert_int_equal(kn_gc_durable(kn_gc(), 0, fx->log, end, &err), KN_AGAIN);
    apply(fx, 2, 1, isr2, 2, 1);
    assert_int_equal(kn_gc_durable(kn_gc(), 0, fx->log, end, &err), KN_OK);
    assert_int_equal(err, KN_ERR_NOT_COORDINATOR);
}

static void test_isr_below_min_is_coordinator_not_available(void **state)
{
    fx_t *fx = *state;
    static const int32_t isr[1] = { 1 };
    kn_err_t err = KN_ERR_NONE;
    /* The high watermark covers the records (we are the whole ISR) but
     * min.insync.replicas wants two copies: Kafka's
     * NOT_ENOUGH_REPLICAS_AFTER_APPEND, which the group APIs report as
     * COORDINATOR_NOT_AVAILABLE so the client retries. */
    apply(fx, 1, 0, isr, 1, 2);
    int64_t end = append(fx, 1, 0);
    assert_int_equal(kn_gc_durable(kn_gc(), 0, fx->log, end, &err), KN_OK);
    assert_int_equal(err, KN_ERR_COORDINATOR_NOT_AVAILABLE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_waits_for_every_isr_member, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sole_isr_member_is_durable_at_once, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_lost_leadership_is_not_coordinator, fx_setup,
                                        fx_teardown),
        cmocka_unit_test_setup_teardown(test_isr_below_min_is_coordinator_not_available, fx_setup,
                                        fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
