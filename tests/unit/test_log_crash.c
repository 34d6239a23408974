/*
 * tests/unit/test_log_crash.c -- crash safety of the storage engine.
 *
 * A child process appends batches in a loop and flushes every few batches,
 * reporting each flushed log end over a pipe; the parent kills it with
 * SIGKILL at a random moment, many times over the same log. After every
 * kill the parent reopens the log (an unclean start: recovery runs) and
 * checks that it holds a valid log with every flushed batch, offsets
 * contiguous, record contents intact, and no corrupt batch anywhere. Every
 * few rounds it also appends garbage to the active segment and garbles
 * the active offset index by hand before reopening.
 *
 * Whatever the pipe reports was flushed by kn_log_flush (fsync); SIGKILL
 * does not drop the page cache, so this checks the recovery logic (torn
 * writes, stale indexes, markers), not the disk.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "test_log_util.h"

#define ROUNDS 60
#define FLUSH_EVERY 7

static kn_log_config_t crash_cfg(void)
{
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    cfg.segment_bytes = 64 * 1024;
    cfg.segment_index_bytes = 8192;
    return cfg;
}

/* The child: append forever; after every FLUSH_EVERY batches flush and
 * report the flushed end offset. Batch content is tagged with its base
 * offset so the parent can check it. */
static void child_main(const char *dir, int wfd, unsigned seed)
{
    kn_log_config_t cfg = crash_cfg();
    kn_logmgr_t *m = tl_open(dir, &cfg, 0);
    if (m == NULL) {
        _exit(2);
    }
    kn_log_t *log;
    if (kn_logmgr_create(m, "crash", 0, NULL, &log) != KN_ERR_NONE) {
        _exit(3);
    }
    kn_wbuf_t w;
    kn_wbuf_init(&w, 4096);
    for (unsigned i = 0;; i++) {
        int64_t end = kn_log_end_offset(log);
        kn_wbuf_reset(&w);
        int n = 1 + (int)((seed + i) % 5);
        tl_batch(&w, n, 40 + (size_t)((seed * 7 + i) % 300), 1000 + end, (uint32_t)end,
                 (i % 3) == 0 ? KN_CODEC_ZSTD : KN_CODEC_NONE);
        kn_log_append_result_t res;
        if (kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, &res) != KN_ERR_NONE
            || res.base_offset != end) {
            _exit(4);
        }
        if ((i + 1) % FLUSH_EVERY == 0) {
            if (kn_log_flush(log) != KN_ERR_NONE) {
                _exit(5);
            }
            int64_t flushed = kn_log_recovery_point(log);
            if (write(wfd, &flushed, sizeof(flushed)) != (ssize_t)sizeof(flushed)) {
                _exit(6);
            }
        }
    }
}

typedef struct {
    int64_t expect_base;
    bool ok;
} rec_check_t;

static int rec_cb(void *ud, const kn_batch_hdr_t *h, const kn_record_t *rec)
{
    rec_check_t *c = ud;
    if (rec->value.len < 8 || kn_be32(rec->value.ptr) != (uint32_t)h->base_offset
        || kn_be32(rec->value.ptr + 4) != (uint32_t)rec->offset_delta
        || h->base_timestamp != 1000 + h->base_offset) {
        c->ok = false;
    }
    return KN_OK;
}

/* Reopen and check the whole log; returns its end offset. */
static int64_t verify_reopen(const char *dir, int64_t flushed)
{
    kn_log_config_t cfg = crash_cfg();
    kn_logmgr_t *m = tl_open(dir, &cfg, 0);
    assert_non_null(m);
    kn_log_t *log = kn_logmgr_get(m, "crash", 0);
    assert_non_null(log);
    int64_t end = kn_log_end_offset(log);
    assert_true(end >= flushed);
    kn_wbuf_t out;
    kn_wbuf_init(&out, 1 << 16);
    int64_t next;
    assert_int_equal(kn_log_read_copy(log, 0, SIZE_MAX / 2, -1, true, &out, &next), KN_ERR_NONE);
    assert_int_equal(next, end);
    int64_t expect = 0;
    for (size_t pos = 0; pos < out.len;) {
        kn_batch_hdr_t h;
        assert_int_equal(kn_batch_validate(out.data + pos, out.len - pos,
                                           KN_BATCH_CHECK_ALL | KN_BATCH_CHECK_DEEP, &h),
                         KN_ERR_NONE);
        assert_int_equal(h.base_offset, expect);
        rec_check_t c = { h.base_offset, true };
        assert_int_equal(kn_batch_foreach_record(out.data + pos, &h, rec_cb, &c), KN_OK);
        assert_true(c.ok);
        expect = kn_batch_last_offset(&h) + 1;
        pos += kn_batch_size(&h);
    }
    assert_int_equal(expect, end);
    /* point reads work at the flushed boundary too */
    if (flushed > 0) {
        kn_log_range_t r;
        assert_int_equal(kn_log_read(log, flushed - 1, 1, -1, true, &r), KN_ERR_NONE);
        assert_true(r.len > 0 && r.first_offset <= flushed - 1);
        kn_log_read_release(&r);
    }
    kn_wbuf_free(&out);
    kn_log_release(log);
    kn_logmgr_close(m);
    return end;
}

/* Base path of the active segment (largest base offset). */
static void active_segment(const char *dir, char *out, size_t len)
{
    char pdir[1024];
    snprintf(pdir, sizeof(pdir), "%s/crash-0", dir);
    DIR *d = opendir(pdir);
    assert_non_null(d);
    long long best = -1;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        size_t n = strlen(de->d_name);
        if (n == 24 && strcmp(de->d_name + 20, ".log") == 0) {
            long long b = strtoll(de->d_name, NULL, 10);
            if (b > best) {
                best = b;
            }
        }
    }
    closedir(d);
    assert_true(best >= 0);
    snprintf(out, len, "%s/%020lld", pdir, best);
}

static void garble(const char *dir, unsigned seed)
{
    char base[1200], path[1300];
    active_segment(dir, base, sizeof(base));
    /* garbage after the last batch (a torn append) */
    snprintf(path, sizeof(path), "%s.log", base);
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    uint8_t junk[300];
    for (size_t i = 0; i < sizeof(junk); i++) {
        junk[i] = (uint8_t)(seed * 131 + i * 17);
    }
    size_t n = 1 + seed % sizeof(junk);
    assert_int_equal(write(fd, junk, n), (ssize_t)n);
    close(fd);
    /* random bytes over the start of the offset index */
    snprintf(path, sizeof(path), "%s.index", base);
    fd = open(path, O_WRONLY);
    if (fd >= 0) {
        assert_int_equal(pwrite(fd, junk, 16, 0), 16);
        close(fd);
    }
}

static void test_kill9_loop(void **state)
{
    (void)state;
    char *dir = tl_tmpdir("test_log_crash.dir");
    srand(12345);
    int64_t flushed_total = 0;
    for (int round = 0; round < ROUNDS; round++) {
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            close(pfd[0]);
            child_main(dir, pfd[1], (unsigned)round);
        }
        close(pfd[1]);
        /* Wait for the child's first report (it is appending), then kill
         * it after a random pause. */
        int64_t v;
        ssize_t got = read(pfd[0], &v, sizeof(v));
        if (got != (ssize_t)sizeof(v)) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            fail_msg("child did not report a flush (round %d)", round);
        }
        int64_t flushed = v;
        usleep((useconds_t)(rand() % 30000));
        kill(pid, SIGKILL);
        int status;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
        while (read(pfd[0], &v, sizeof(v)) == (ssize_t)sizeof(v)) {
            flushed = v;   /* the last flush the child reported */
        }
        close(pfd[0]);
        assert_true(flushed >= flushed_total);
        flushed_total = flushed;
        if (round % 5 == 4) {
            garble(dir, (unsigned)round);
        }
        int64_t end = verify_reopen(dir, flushed);
        assert_true(end >= flushed);
    }
    tl_rmrf(dir);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kill9_loop),
    };
    kn_log_init("test_log_crash", KN_LOG_ERROR);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
