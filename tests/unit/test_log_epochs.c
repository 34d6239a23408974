/*
 * tests/unit/test_log_epochs.c -- durability of leader-epoch-checkpoint.
 *
 * Appends do not fsync leader-epoch-checkpoint (that cost a file write and
 * an fsync per partition on the request path): the file is replaced in the
 * page cache at once, made durable by the next flush before the recovery
 * point moves, and rebuilt from the batches' own epochs where a power loss
 * could have left it old or unreadable. These tests play those losses by
 * hand (an older file, a garbled one, a stale recovery point, no
 * clean-shutdown marker) and check what OffsetForLeaderEpoch would answer.
 */
#include "config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "test_log_util.h"

#define PER_EPOCH 10   /* batches per epoch */
#define RECS 3         /* records per batch */

typedef struct {
    char *dir;
    char  part[1024];     /* the partition directory */
    char  epochs[1200];   /* its leader-epoch-checkpoint */
    char  marker[1100];
} fx_t;

static int fx_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    fx->dir = tl_tmpdir("test_log_epochs.dir");
    snprintf(fx->part, sizeof(fx->part), "%s/ep-0", fx->dir);
    snprintf(fx->epochs, sizeof(fx->epochs), "%s/leader-epoch-checkpoint", fx->part);
    snprintf(fx->marker, sizeof(fx->marker), "%s/.kafka_cleanshutdown", fx->dir);
    *state = fx;
    return 0;
}

static int fx_teardown(void **state)
{
    fx_t *fx = *state;
    tl_rmrf(fx->dir);
    free(fx->dir);
    free(fx);
    return 0;
}

static void append_epoch(kn_log_t *log, int32_t epoch)
{
    for (int b = 0; b < PER_EPOCH; b++) {
        kn_wbuf_t w;
        kn_wbuf_init(&w, 1024);
        tl_batch(&w, RECS, 200, 1000, (uint32_t)b, KN_CODEC_NONE);
        assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, epoch, NULL),
                         KN_ERR_NONE);
        kn_wbuf_free(&w);
    }
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return NULL;
    }
    char *buf = calloc(1, 4096);
    size_t n = fread(buf, 1, 4095, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

/* Epochs 1, 3, 4, each PER_EPOCH batches: what the log must answer. */
static void check_epochs(kn_log_t *log)
{
    const int64_t span = PER_EPOCH * RECS;
    int32_t ee;
    int64_t eo;
    assert_int_equal(kn_log_latest_epoch(log), 4);
    kn_log_epoch_end_offset(log, 1, &ee, &eo);
    assert_int_equal(ee, 1);
    assert_int_equal(eo, span);
    kn_log_epoch_end_offset(log, 2, &ee, &eo);
    assert_int_equal(ee, 1);
    assert_int_equal(eo, span);
    kn_log_epoch_end_offset(log, 3, &ee, &eo);
    assert_int_equal(ee, 3);
    assert_int_equal(eo, 2 * span);
    kn_log_epoch_end_offset(log, 4, &ee, &eo);
    assert_int_equal(ee, 4);
    assert_int_equal(eo, 3 * span);
}

static const char *const expect_file = "0\n3\n1 0\n3 30\n4 60\n";

/* A log of three epochs over several segments; returns the epoch file as
 * it was right after the first epoch's flush. */
static char *build_log(fx_t *fx, const kn_log_config_t *cfg)
{
    kn_logmgr_t *m = tl_open(fx->dir, cfg, 0);
    assert_non_null(m);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "ep", 0, NULL, &log), KN_ERR_NONE);
    append_epoch(log, 1);
    /* Written at once (no flush yet): a killed broker would find it. */
    char *now = read_text(fx->epochs);
    assert_non_null(now);
    assert_string_equal(now, "0\n1\n1 0\n");
    free(now);
    assert_int_equal(kn_log_flush(log), KN_ERR_NONE);
    assert_int_equal(kn_log_recovery_point(log), PER_EPOCH * RECS);
    char *flushed = read_text(fx->epochs);
    append_epoch(log, 3);
    append_epoch(log, 4);
    now = read_text(fx->epochs);
    assert_string_equal(now, expect_file);
    free(now);
    assert_true(kn_log_segment_count(log) > 2);
    check_epochs(log);
    kn_log_release(log);
    kn_logmgr_close(m);
    assert_int_equal(access(fx->marker, F_OK), 0);
    return flushed;
}

static void reopen_and_check(fx_t *fx, const kn_log_config_t *cfg)
{
    kn_logmgr_t *m = tl_open(fx->dir, cfg, 0);
    assert_non_null(m);
    kn_log_t *log = kn_logmgr_get(m, "ep", 0);
    assert_non_null(log);
    assert_int_equal(kn_log_end_offset(log), 3 * PER_EPOCH * RECS);
    check_epochs(log);
    kn_log_release(log);
    kn_logmgr_close(m);
    char *text = read_text(fx->epochs);
    assert_non_null(text);
    assert_string_equal(text, expect_file);
    free(text);
}

/* A power loss after the last flush: the epoch file is the flushed one,
 * the recovery point the flushed end. Recovery re-reads the later epochs
 * from the batches it re-scans. */
static void test_stale_file_after_power_loss(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    char *flushed = build_log(fx, &cfg);
    assert_string_equal(flushed, "0\n1\n1 0\n");
    write_text(fx->epochs, flushed);
    free(flushed);
    char ckpt[1200];
    snprintf(ckpt, sizeof(ckpt), "%s/recovery-point-offset-checkpoint", fx->dir);
    write_text(ckpt, "0\n1\nep 0 30\n");
    assert_int_equal(unlink(fx->marker), 0);
    reopen_and_check(fx, &cfg);
}

/* The file replaced without fsync and lost in a power loss (empty or
 * garbage) while the recovery point was past the epochs' starts: they are
 * rebuilt from the batch headers of the segments recovery skips. */
static void test_unreadable_file_unclean(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    free(build_log(fx, &cfg));
    write_text(fx->epochs, "");
    assert_int_equal(unlink(fx->marker), 0);
    reopen_and_check(fx, &cfg);
    /* and again with garbage instead of nothing */
    write_text(fx->epochs, "0\n3\n1 0\nxx\n");
    assert_int_equal(unlink(fx->marker), 0);
    reopen_and_check(fx, &cfg);
}

/* Even after a clean stop an unreadable file is rebuilt, not emptied. */
static void test_unreadable_file_clean(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    free(build_log(fx, &cfg));
    write_text(fx->epochs, "garbage");
    reopen_and_check(fx, &cfg);
}

/* Truncation (KIP-101) still writes the file durably at once, and later
 * appends in a new epoch follow it. */
static void test_truncation_then_new_epoch(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    free(build_log(fx, &cfg));
    kn_logmgr_t *m = tl_open(fx->dir, &cfg, 0);
    kn_log_t *log = kn_logmgr_get(m, "ep", 0);
    assert_int_equal(kn_log_truncate_to(log, 45), KN_ERR_NONE);
    char *text = read_text(fx->epochs);
    assert_string_equal(text, "0\n2\n1 0\n3 30\n");
    free(text);
    append_epoch(log, 7);
    int32_t ee;
    int64_t eo;
    kn_log_epoch_end_offset(log, 3, &ee, &eo);
    assert_int_equal(ee, 3);
    assert_int_equal(eo, 45);
    assert_int_equal(kn_log_latest_epoch(log), 7);
    kn_log_release(log);
    kn_logmgr_close(m);
    text = read_text(fx->epochs);
    assert_string_equal(text, "0\n3\n1 0\n3 30\n7 45\n");
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_stale_file_after_power_loss, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_file_unclean, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_unreadable_file_clean, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_truncation_then_new_epoch, fx_setup, fx_teardown),
    };
    kn_log_init("test_log_epochs", KN_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
