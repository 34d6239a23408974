/*
 * tests/unit/test_replica.c -- the replica manager (broker/replica) without
 * a network: high watermark from follower positions, acks=all completion
 * and min.insync.replicas, ISR shrink/expand proposals, leader-epoch
 * fencing of stale states, follower truncation decisions (KIP-101 /
 * KIP-279), and a clean stop with a fetcher thread running.
 * Logs are real (a scratch log directory in the build tree).
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "broker/replica/replica_int.h"
#include "test_log_util.h"

typedef struct {
    char         *dir;
    kn_logmgr_t  *logs;
    kn_broker_t   b;
    kn_repl_t    *r;
    kn_log_t     *log;
} fx_t;

static int fx_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    fx->dir = tl_tmpdir("test_replica");
    fx->logs = tl_open(fx->dir, NULL, 0);
    assert_non_null(fx->logs);
    fx->b.id = 1;
    fx->b.logs = fx->logs;
    fx->r = kn_repl_new(&fx->b);
    fx->b.repl = fx->r;
    assert_int_equal(kn_logmgr_create(fx->logs, "t", 0, NULL, &fx->log), KN_ERR_NONE);
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fx_t *fx = *state;
    kn_repl_free(fx->r);
    kn_log_release(fx->log);
    kn_logmgr_close(fx->logs);
    tl_rmrf(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

/* Append n records as the leader in `epoch`; returns the new log end. */
static int64_t append(fx_t *fx, int n, int32_t epoch)
{
    kn_wbuf_t w;
    kn_wbuf_init(&w, 256);
    tl_batch(&w, n, 16, 1000, 7, KN_CODEC_NONE);
    kn_log_append_result_t res;
    assert_int_equal(kn_log_append(fx->log, w.data, w.len, KN_LOG_APPEND_LEADER, epoch, &res),
                     KN_ERR_NONE);
    kn_wbuf_free(&w);
    return res.last_offset + 1;
}

static void apply(fx_t *fx, int32_t leader, int32_t epoch, const int32_t *isr, int n_isr,
                  int32_t min_isr)
{
    static const int32_t replicas[3] = { 1, 2, 3 };
    kn_repl_state_t st;
    memset(&st, 0, sizeof(st));
    st.topic = "t";
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
    kn_repl_apply(fx->r, &st);
}

static void test_hw_is_min_isr_leo(void **state)
{
    fx_t *fx = *state;
    static const int32_t isr[3] = { 1, 2, 3 };
    apply(fx, 1, 0, isr, 3, 2);
    int64_t end = append(fx, 10, 0);
    assert_int_equal(end, 10);
    kn_repl_leader_appended(fx->r, "t", 0);
    /* Followers not heard from yet hold the HW. */
    assert_int_equal(kn_log_high_watermark(fx->log), 0);

    kn_err_t err;
    assert_int_equal(kn_repl_check_ack(fx->r, "t", 0, end, &err), KN_AGAIN);
    assert_int_equal(kn_repl_follower_fetch(fx->r, "t", 0, 2, 10), KN_ERR_NONE);
    assert_int_equal(kn_log_high_watermark(fx->log), 0);
    assert_int_equal(kn_repl_follower_fetch(fx->r, "t", 0, 3, 4), KN_ERR_NONE);
    assert_int_equal(kn_log_high_watermark(fx->log), 4);
    assert_int_equal(kn_repl_check_ack(fx->r, "t", 0, end, &err), KN_AGAIN);
    assert_int_equal(kn_repl_follower_fetch(fx->r, "t", 0, 3, 10), KN_ERR_NONE);
    assert_int_equal(kn_log_high_watermark(fx->log), 10);
    assert_int_equal(kn_repl_check_ack(fx->r, "t", 0, end, &err), KN_OK);
    assert_int_equal(err, KN_ERR_NONE);

    /* The HW never moves back while we lead, even if a follower reports
     * less (it truncated). */
    assert_int_equal(kn_repl_follower_fetch(fx->r, "t", 0, 3, 2), KN_ERR_NONE);
    assert_int_equal(kn_log_high_watermark(fx->log), 10);
    /* A fetch offset beyond our log end is not a position. */
    assert_int_equal(kn_repl_follower_fetch(fx->r, "t", 0, 2, 99), KN_ERR_NONE);

    /* Unknown follower ids and other partitions are refused. */
    assert_int_equal(kn_repl_follower_fetch(fx->r, "t", 0, 9, 1), KN_ERR_NOT_LEADER_OR_FOLLOWER);
    assert_int_equal(kn_repl_follower_fetch(fx->r, "t", 1, 2, 1), KN_ERR_NOT_LEADER_OR_FOLLOWER);

    kn_repl_info_t info;
    assert_int_equal(kn_repl_info(fx->r, "t", 0, &info), KN_OK);
    assert_true(info.leader);
    assert_int_equal(info.n_isr, 3);
    assert_int_equal(info.high_watermark, 10);
    assert_int_equal(info.log_end, 10);
}

static void test_sole_isr_and_min_isr(void **state)
{
    fx_t *fx = *state;
    static const int32_t isr[1] = { 1 };
    apply(fx, 1, 0, isr, 1, 2);
    int64_t end = append(fx, 5, 0);
    kn_repl_leader_appended(fx->r, "t", 0);
    assert_int_equal(kn_log_high_watermark(fx->log), end);

    int n = 0, min = 0;
    assert_int_equal(kn_repl_isr_info(fx->r, "t", 0, &n, &min), KN_ERR_NONE);
    assert_int_equal(n, 1);
    assert_int_equal(min, 2);
    /* Committed, but by fewer replicas than min.insync.replicas. */
    kn_err_t err;
    assert_int_equal(kn_repl_check_ack(fx->r, "t", 0, end, &err), KN_OK);
    assert_int_equal(err, KN_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND);

    /* min_isr 0 means the broker default (1 without a config). */
    apply(fx, 1, 1, isr, 1, 0);
    assert_int_equal(kn_repl_isr_info(fx->r, "t", 0, &n, &min), KN_ERR_NONE);
    assert_int_equal(min, 1);
    assert_int_equal(kn_repl_check_ack(fx->r, "t", 0, end, &err), KN_OK);
    assert_int_equal(err, KN_ERR_NONE);
}

static void test_isr_shrink_and_expand(void **state)
{
    fx_t *fx = *state;
    static const int32_t isr3[3] = { 1, 2, 3 };
    static const int32_t isr2[2] = { 1, 2 };
    fx->r->lag_max_ms = 1000;
    apply(fx, 1, 0, isr3, 3, 1);
    append(fx, 10, 0);
    kn_repl_follower_fetch(fx->r, "t", 0, 2, 10);   /* 2 caught up, 3 silent */

    int32_t want[KN_RP_MAX_REPLICAS];
    int n = 0;
    int64_t now = kn_mono_ms();
    pthread_mutex_lock(&fx->r->lock);
    kn_rp_t *rp = kn_rp_find(fx->r, "t", 0);
    assert_non_null(rp);
    /* Within the lag allowance nobody is dropped. */
    assert_false(kn_rp_desired_isr(fx->r, rp, now, want, &n));
    /* After it, the silent follower is; the caught-up one stays. */
    assert_true(kn_rp_desired_isr(fx->r, rp, now + 5000, want, &n));
    pthread_mutex_unlock(&fx->r->lock);
    assert_int_equal(n, 2);
    assert_int_equal(want[0], 1);
    assert_int_equal(want[1], 2);

    /* The controller's answer is what counts: ISR {1,2}. */
    Kanal__Control__PartitionState ps = KANAL__CONTROL__PARTITION_STATE__INIT;
    Kanal__Control__PartitionState *psv[1] = { &ps };
    Kanal__Control__AlterIsrResponse resp = KANAL__CONTROL__ALTER_ISR_RESPONSE__INIT;
    int32_t newisr[2] = { 1, 2 };
    ps.topic = "t";
    ps.partition = 0;
    ps.leader = 1;
    ps.leader_epoch = 0;
    ps.isr = newisr;
    ps.n_isr = 2;
    ps.zk_version = 7;
    resp.partitions = psv;
    resp.n_partitions = 1;
    kn_repl_on_alter_isr_response(fx->r, &resp);
    /* With 3 out of the ISR the HW follows 2 alone. */
    assert_int_equal(kn_log_high_watermark(fx->log), 10);
    kn_repl_info_t info;
    kn_repl_info(fx->r, "t", 0, &info);
    assert_int_equal(info.n_isr, 2);

    /* 3 comes back and reaches the HW: proposed for the ISR again. */
    kn_repl_follower_fetch(fx->r, "t", 0, 3, 10);
    pthread_mutex_lock(&fx->r->lock);
    rp = kn_rp_find(fx->r, "t", 0);
    assert_int_equal(rp->zk_version, 7);
    assert_true(kn_rp_desired_isr(fx->r, rp, kn_mono_ms(), want, &n));
    pthread_mutex_unlock(&fx->r->lock);
    assert_int_equal(n, 3);
    assert_int_equal(want[2], 3);

    /* An answer for an older leader epoch is ignored. */
    apply(fx, 1, 1, isr2, 2, 1);
    ps.leader_epoch = 0;
    ps.isr = newisr;
    ps.n_isr = 1;
    kn_repl_on_alter_isr_response(fx->r, &resp);
    kn_repl_info(fx->r, "t", 0, &info);
    assert_int_equal(info.n_isr, 2);
    assert_int_equal(info.leader_epoch, 1);
}

static void test_epochs_and_follower(void **state)
{
    fx_t *fx = *state;
    static const int32_t isr[3] = { 1, 2, 3 };
    apply(fx, 1, 5, isr, 3, 1);
    /* A stale state (older leader epoch) changes nothing. */
    apply(fx, 2, 4, isr, 3, 1);
    kn_repl_info_t info;
    kn_repl_info(fx->r, "t", 0, &info);
    assert_true(info.leader);
    assert_int_equal(info.leader_epoch, 5);

    /* Become a follower of broker 2 (a fetcher thread starts; with no
     * cluster it cannot connect and backs off). */
    apply(fx, 2, 6, isr, 3, 1);
    kn_repl_info(fx->r, "t", 0, &info);
    assert_false(info.leader);
    int n, min;
    assert_int_equal(kn_repl_isr_info(fx->r, "t", 0, &n, &min), KN_ERR_NOT_LEADER_OR_FOLLOWER);
    kn_err_t err;
    assert_int_equal(kn_repl_check_ack(fx->r, "t", 0, 1, &err), KN_OK);
    assert_int_equal(err, KN_ERR_NOT_LEADER_OR_FOLLOWER);
    int leading, following;
    kn_repl_counts(fx->r, &leading, &following);
    assert_int_equal(leading, 0);
    assert_int_equal(following, 1);

    kn_repl_forget(fx->r, "t", 0);
    assert_int_equal(kn_repl_info(fx->r, "t", 0, &info), KN_ERROR);
    kn_repl_counts(fx->r, &leading, &following);
    assert_int_equal(following, 0);
}

static void test_truncation_offsets(void **state)
{
    (void)state;
    bool done;
    /* KIP-101's case: our epoch 0 runs to 110, the leader's ends at 100. */
    assert_int_equal(kn_repl_truncation_offset(110, 105, 0, 100, 0, 110, &done), 100);
    assert_true(done);
    /* The leader has more of our epoch than we do: nothing to cut. */
    assert_int_equal(kn_repl_truncation_offset(90, 80, 0, 100, 0, 90, &done), 90);
    assert_true(done);
    /* The leader answers an older epoch (2) than ours: cut to our end of
     * epoch 2 and ask again. */
    assert_int_equal(kn_repl_truncation_offset(150, 120, 2, 130, 1, 120, &done), 120);
    assert_false(done);
    /* The leader cannot place our epoch: only the HW is known. */
    assert_int_equal(kn_repl_truncation_offset(150, 120, -1, -1, -1, -1, &done), 120);
    assert_true(done);
    /* Empty leader log (unclean election of an empty replica). */
    assert_int_equal(kn_repl_truncation_offset(150, 120, -1, 0, -1, -1, &done), 0);
    assert_true(done);
    /* Never truncate to the cached HW when the leader did answer, even if
     * the HW is lower (KIP-101: the HW may be stale). */
    assert_int_equal(kn_repl_truncation_offset(200, 50, 3, 200, 3, 200, &done), 200);
    assert_true(done);
}

static void test_truncate_real_log(void **state)
{
    fx_t *fx = *state;
    /* Our log: epoch 0 for [0,10), epoch 1 for [10,20) never replicated. */
    append(fx, 10, 0);
    append(fx, 10, 1);
    int32_t e;
    int64_t end;
    assert_int_equal(kn_log_latest_epoch(fx->log), 1);
    /* The new leader (epoch 2) had only epoch 0, up to 10: answer (0, 10). */
    assert_int_equal(kn_log_epoch_end_offset(fx->log, 0, &e, &end), KN_ERR_NONE);
    assert_int_equal(e, 0);
    assert_int_equal(end, 10);
    bool done;
    int64_t off = kn_repl_truncation_offset(kn_log_end_offset(fx->log), 0, 0, 10, e, end, &done);
    assert_true(done);
    assert_int_equal(off, 10);
    assert_int_equal(kn_log_truncate_to(fx->log, off), KN_ERR_NONE);
    assert_int_equal(kn_log_end_offset(fx->log), 10);
    assert_int_equal(kn_log_latest_epoch(fx->log), 0);
}

static void test_epoch_end_answers(void **state)
{
    fx_t *fx = *state;
    int32_t e;
    int64_t end;
    /* Epoch 0 for [0,10), epoch 2 for [10,15); we now lead in epoch 4 and
     * have not written in it yet. */
    append(fx, 10, 0);
    append(fx, 5, 2);
    assert_int_equal(kn_repl_epoch_end(fx->log, 4, 0, &e, &end), KN_ERR_NONE);
    assert_int_equal(e, 0);
    assert_int_equal(end, 10);
    assert_int_equal(kn_repl_epoch_end(fx->log, 4, 1, &e, &end), KN_ERR_NONE);
    assert_int_equal(e, 0);       /* largest epoch <= 1 that we have */
    assert_int_equal(end, 10);
    /* Epochs 2 and 3 end where our (unwritten) term 4 starts: the end. */
    assert_int_equal(kn_repl_epoch_end(fx->log, 4, 2, &e, &end), KN_ERR_NONE);
    assert_int_equal(e, 2);
    assert_int_equal(end, 15);
    assert_int_equal(kn_repl_epoch_end(fx->log, 4, 3, &e, &end), KN_ERR_NONE);
    assert_int_equal(e, 2);
    assert_int_equal(end, 15);
    assert_int_equal(kn_repl_epoch_end(fx->log, 4, 4, &e, &end), KN_ERR_NONE);
    assert_int_equal(e, 4);
    assert_int_equal(end, 15);
    /* An epoch above ours is unknown. */
    assert_int_equal(kn_repl_epoch_end(fx->log, 4, 5, &e, &end), KN_ERR_NONE);
    assert_int_equal(e, -1);
    assert_int_equal(end, -1);
    /* Once term 4 has a batch, the log's own record answers. */
    append(fx, 3, 4);
    assert_int_equal(kn_repl_epoch_end(fx->log, 4, 3, &e, &end), KN_ERR_NONE);
    assert_int_equal(e, 2);
    assert_int_equal(end, 15);
    assert_int_equal(kn_repl_epoch_end(fx->log, 4, 4, &e, &end), KN_ERR_NONE);
    assert_int_equal(e, 4);
    assert_int_equal(end, 18);
}

int main(void)
{
    kn_log_set_level(KN_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hw_is_min_isr_leo, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sole_isr_and_min_isr, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_isr_shrink_and_expand, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_epochs_and_follower, fx_setup, fx_teardown),
        cmocka_unit_test(test_truncation_offsets),
        cmocka_unit_test_setup_teardown(test_truncate_real_log, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_epoch_end_answers, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
