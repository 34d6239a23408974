/*
 * tests/unit/test_log_diskfull.c -- appends on a full disk.
 *
 * Mounts a 1 MiB tmpfs on a scratch directory (needs root; where mounting
 * is impossible the test is skipped with a message), fills it with the
 * log plus a filler file until an append fails, and checks: the failure is
 * KAFKA_STORAGE_ERROR, the log end did not move, no partial batch is in
 * the file, every batch reads back valid, and once space is freed appends
 * work again and survive a reopen.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "test_log_util.h"

/* The mount point, so the teardown unmounts it even after a failed assert. */
static char *g_mnt;
static bool g_mounted;

static int teardown(void **state)
{
    (void)state;
    if (g_mounted) {
        (void)umount2(g_mnt, MNT_DETACH);
        g_mounted = false;
    }
    if (g_mnt) {
        rmdir(g_mnt);
        free(g_mnt);
        g_mnt = NULL;
    }
    return 0;
}

static int check_log(kn_log_t *log)
{
    kn_wbuf_t out;
    kn_wbuf_init(&out, 1 << 16);
    int64_t next;
    assert_int_equal(kn_log_read_copy(log, 0, SIZE_MAX / 2, -1, true, &out, &next), KN_ERR_NONE);
    assert_int_equal(next, kn_log_end_offset(log));
    kn_records_info_t info;
    int batches = 0;
    if (out.len > 0) {
        assert_int_equal(kn_records_validate(out.data, out.len, KN_BATCH_CHECK_ALL, &info),
                         KN_ERR_NONE);
        assert_int_equal(info.records, next);
        batches = info.batches;
    }
    kn_wbuf_free(&out);
    return batches;
}

static void test_disk_full(void **state)
{
    (void)state;
    if (geteuid() != 0) {
        print_message("disk-full test skipped: not root, cannot mount a small tmpfs\n");
        skip();
    }
    char *mnt = g_mnt = tl_tmpdir("test_log_diskfull.mnt");
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=1m,mode=0755") != 0) {
        print_message("disk-full test skipped: mounting a tmpfs failed: %s\n", strerror(errno));
        skip();
    }
    g_mounted = true;
    char dir[1024], filler[1024];
    snprintf(dir, sizeof(dir), "%s/logs", mnt);
    snprintf(filler, sizeof(filler), "%s/filler", mnt);
    /* 200 KiB we can give back later */
    int fd = open(filler, O_WRONLY | O_CREAT, 0644);
    assert_true(fd >= 0);
    static uint8_t block[4096];
    memset(block, 0x5a, sizeof(block));
    for (int i = 0; i < 50; i++) {
        assert_int_equal(write(fd, block, sizeof(block)), (ssize_t)sizeof(block));
    }
    close(fd);

    kn_log_config_t cfg;
    kn_log_config_defaults(&cfg);
    cfg.segment_bytes = 256 * 1024;
    cfg.segment_index_bytes = 4096;
    cfg.index_interval_bytes = 4096;
    kn_logmgr_t *m = tl_open(dir, &cfg, 0);
    assert_non_null(m);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "full", 0, NULL, &log), KN_ERR_NONE);

    kn_wbuf_t w;
    kn_wbuf_init(&w, 20000);
    kn_err_t rc = KN_ERR_NONE;
    int appended = 0;
    while (appended < 1000) {
        kn_wbuf_reset(&w);
        tl_batch(&w, 16, 1000, 1, (uint32_t)appended, KN_CODEC_NONE);   /* ~16 KiB */
        int64_t before = kn_log_end_offset(log);
        rc = kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, NULL);
        if (rc != KN_ERR_NONE) {
            assert_int_equal(kn_log_end_offset(log), before);
            break;
        }
        appended++;
    }
    assert_int_equal(rc, KN_ERR_KAFKA_STORAGE_ERROR);
    assert_true(appended > 10);
    assert_int_equal(check_log(log), appended);
    /* still full: fails again, still consistent */
    assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, NULL),
                     KN_ERR_KAFKA_STORAGE_ERROR);
    assert_int_equal(check_log(log), appended);
    /* the file holds exactly the published bytes: no partial batch */
    assert_int_equal(kn_log_size_bytes(log), (int64_t)appended * (int64_t)w.len);

    /* space comes back: appends work again */
    assert_int_equal(unlink(filler), 0);
    assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, NULL),
                     KN_ERR_NONE);
    assert_int_equal(check_log(log), appended + 1);
    int64_t end = kn_log_end_offset(log);
    kn_log_release(log);
    kn_logmgr_close(m);
    m = tl_open(dir, &cfg, 0);
    assert_non_null(m);
    log = kn_logmgr_get(m, "full", 0);
    assert_int_equal(kn_log_end_offset(log), end);
    assert_int_equal(check_log(log), appended + 1);
    kn_log_release(log);
    kn_logmgr_close(m);
    kn_wbuf_free(&w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_disk_full, teardown),
    };
    kn_log_init("test_log_diskfull", KN_LOG_FATAL);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
