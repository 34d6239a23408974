/*
 * tests/unit/test_log_store.c -- the partition log: append/read round trips,
 * index lookups at every offset and segment boundary, roll by size and
 * time, retention by time and bytes, truncation, DeleteRecords, timestamp
 * lookup, leader epochs, reopen after clean and unclean shutdown (with a
 * torn or garbled tail, garbled indexes), rejected bad batches, concurrent
 * appends and reads, and many partitions under a small fd budget.
 */
#include "config.h"

#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "test_log_util.h"

typedef struct {
    char *dir;
} fx_t;

static int fx_setup(void **state)
{
    fx_t *fx = calloc(1, sizeof(*fx));
    fx->dir = tl_tmpdir("test_log.dir");
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

/* Append `count` batches of `n` records with tag = batch number. */
static void append_batches(kn_log_t *log, int first_tag, int count, int n, size_t vsize,
                           int64_t ts)
{
    for (int b = 0; b < count; b++) {
        kn_wbuf_t w;
        kn_wbuf_init(&w, 256);
        tl_batch(&w, n, vsize, ts, (uint32_t)(first_tag + b), KN_CODEC_NONE);
        kn_log_append_result_t res;
        assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, &res),
                         KN_ERR_NONE);
        assert_int_equal(res.last_offset - res.base_offset, n - 1);
        kn_wbuf_free(&w);
    }
}

/* Read the whole log with the copy path and check every batch: valid,
 * offsets contiguous from `from`, record values carry their tags. Returns
 * the number of batches. */
static int verify_log(kn_log_t *log, int64_t from, int64_t expect_end)
{
    kn_wbuf_t out;
    kn_wbuf_init(&out, 1024);
    int64_t next = -1;
    assert_int_equal(kn_log_read_copy(log, from, SIZE_MAX / 2, -1, true, &out, &next),
                     KN_ERR_NONE);
    assert_int_equal(next, expect_end);
    int batches = 0;
    int64_t expect = from;
    for (size_t pos = 0; pos < out.len;) {
        kn_batch_hdr_t h;
        assert_int_equal(kn_batch_validate(out.data + pos, out.len - pos, KN_BATCH_CHECK_ALL, &h),
                         KN_ERR_NONE);
        if (batches == 0) {
            assert_true(h.base_offset <= expect);
        } else {
            assert_int_equal(h.base_offset, expect);
        }
        expect = kn_batch_last_offset(&h) + 1;
        pos += kn_batch_size(&h);
        batches++;
    }
    assert_int_equal(expect, expect_end);
    kn_wbuf_free(&out);
    return batches;
}

static void test_roundtrip_and_ranges(void **state)
{
    fx_t *fx = *state;
    kn_logmgr_t *m = tl_open(fx->dir, NULL, 0);
    assert_non_null(m);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "orders", 0, NULL, &log), KN_ERR_NONE);
    assert_int_equal(kn_log_end_offset(log), 0);
    assert_int_equal(kn_log_start_offset(log), 0);
    /* empty log: offset 0 == end gives nothing; 1 is out of range */
    kn_log_range_t r;
    assert_int_equal(kn_log_read(log, 0, 1000, -1, true, &r), KN_ERR_NONE);
    assert_int_equal(r.len, 0);
    kn_log_read_release(&r);
    assert_int_equal(kn_log_read(log, 1, 1000, -1, true, &r), KN_ERR_OFFSET_OUT_OF_RANGE);

    append_batches(log, 0, 10, 5, 100, 1000);
    assert_int_equal(kn_log_end_offset(log), 50);
    assert_int_equal(verify_log(log, 0, 50), 10);

    /* every offset: the range starts with the batch holding it */
    for (int64_t off = 0; off < 50; off++) {
        assert_int_equal(kn_log_read(log, off, 1, -1, true, &r), KN_ERR_NONE);
        assert_true(r.len > 0);
        assert_int_equal(r.first_offset, off - off % 5);
        assert_int_equal(r.next_offset, off - off % 5 + 5);   /* min_one: one batch */
        uint8_t hdr[KN_BATCH_HEADER_SIZE];
        assert_int_equal(pread(r.fd, hdr, sizeof(hdr), r.pos), (ssize_t)sizeof(hdr));
        assert_int_equal((int64_t)kn_be64(hdr), off - off % 5);
        kn_log_read_release(&r);
        /* without min_one a too-small max_bytes yields nothing */
        assert_int_equal(kn_log_read(log, off, 1, -1, false, &r), KN_ERR_NONE);
        assert_int_equal(r.len, 0);
        kn_log_read_release(&r);
    }
    /* the high-watermark bound: only batches wholly below 23 */
    assert_int_equal(kn_log_read(log, 0, 1 << 20, 23, true, &r), KN_ERR_NONE);
    assert_int_equal(r.next_offset, 20);
    kn_log_read_release(&r);
    assert_int_equal(kn_log_read(log, 21, 1 << 20, 23, true, &r), KN_ERR_NONE);
    assert_int_equal(r.len, 0);
    kn_log_read_release(&r);
    /* out of range */
    assert_int_equal(kn_log_read(log, 51, 100, -1, true, &r), KN_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(kn_log_read(log, -1, 100, -1, true, &r), KN_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(kn_log_read(log, 50, 100, -1, true, &r), KN_ERR_NONE);
    assert_int_equal(r.len, 0);
    kn_log_read_release(&r);

    /* same log by name; unknown name */
    kn_log_t *again = kn_logmgr_get(m, "orders", 0);
    assert_ptr_equal(again, log);
    kn_log_release(again);
    assert_null(kn_logmgr_get(m, "orders", 1));
    kn_log_t *bad;
    assert_int_equal(kn_logmgr_create(m, "bad/name", 0, NULL, &bad),
                     KN_ERR_INVALID_TOPIC_EXCEPTION);
    kn_log_release(log);
    kn_logmgr_close(m);
}

static void test_segments_and_index_boundaries(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    kn_logmgr_t *m = tl_open(fx->dir, &cfg, 0);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "seg", 3, NULL, &log), KN_ERR_NONE);
    /* 3 records x 200 B ~ 700 B per batch: ~11 batches per 8 KiB segment */
    append_batches(log, 0, 120, 3, 200, 5000);
    int nseg = kn_log_segment_count(log);
    assert_true(nseg >= 8);
    assert_int_equal(kn_log_end_offset(log), 360);
    for (int round = 0; round < 2; round++) {
        for (int64_t off = 0; off < 360; off++) {
            kn_log_range_t r;
            assert_int_equal(kn_log_read(log, off, 4000, -1, true, &r), KN_ERR_NONE);
            assert_int_equal(r.first_offset, off - off % 3);
            assert_true(r.len <= 4000);
            assert_true(r.next_offset > off);
            kn_log_read_release(&r);
        }
        assert_int_equal(verify_log(log, 0, 360), 120);
        assert_int_equal(verify_log(log, 181, 360), 60);
        /* reopen: the same answers from the files */
        kn_log_release(log);
        kn_logmgr_close(m);
        m = tl_open(fx->dir, &cfg, 0);
        log = kn_logmgr_get(m, "seg", 3);
        assert_non_null(log);
        assert_int_equal(kn_log_segment_count(log), nseg);
        assert_int_equal(kn_log_end_offset(log), 360);
    }
    /* appends continue after reopen */
    append_batches(log, 120, 1, 3, 200, 5000);
    assert_int_equal(kn_log_end_offset(log), 363);
    kn_log_release(log);
    kn_logmgr_close(m);
}

static void test_roll_by_time(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    kn_log_config_defaults(&cfg);
    cfg.segment_ms = 1;
    kn_logmgr_t *m = tl_open(fx->dir, &cfg, 0);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "t", 0, NULL, &log), KN_ERR_NONE);
    append_batches(log, 0, 1, 1, 10, 1);
    assert_int_equal(kn_log_segment_count(log), 1);
    usleep(20000);
    append_batches(log, 1, 1, 1, 10, 1);
    assert_int_equal(kn_log_segment_count(log), 2);
    cfg.segment_ms = (int64_t)1 << 40;
    kn_log_set_config(log, &cfg);
    append_batches(log, 2, 3, 1, 10, 1);
    assert_int_equal(kn_log_segment_count(log), 2);
    assert_int_equal(verify_log(log, 0, 5), 5);
    kn_log_release(log);
    kn_logmgr_close(m);
}

static void test_retention(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    kn_logmgr_t *m = tl_open(fx->dir, &cfg, 0);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "ret", 0, NULL, &log), KN_ERR_NONE);
    int64_t now = kn_now_ms();
    int64_t day = 24 * 3600 * 1000LL;
    append_batches(log, 0, 40, 3, 200, now - 10 * day);   /* old */
    kn_wbuf_t w;
    int old_segs = kn_log_segment_count(log);
    /* force a roll so the new data lives in its own segments */
    cfg.segment_bytes = 4096;
    kn_log_set_config(log, &cfg);
    int64_t new_start = kn_log_end_offset(log);
    (void)new_start;
    append_batches(log, 40, 40, 3, 200, now);              /* new */
    int total = kn_log_segment_count(log);
    assert_true(total > old_segs);

    /* time: everything older than a day goes, never the active segment */
    cfg.retention_ms = day;
    kn_log_set_config(log, &cfg);
    int removed = kn_log_apply_retention(log, now);
    assert_true(removed >= old_segs - 1);
    int64_t start = kn_log_start_offset(log);
    assert_true(start > 0 && start <= 120);
    kn_log_range_t r;
    assert_int_equal(kn_log_read(log, 0, 100, -1, true, &r), KN_ERR_OFFSET_OUT_OF_RANGE);
    verify_log(log, start, 240);
    /* a second pass removes nothing more */
    assert_int_equal(kn_log_apply_retention(log, now), 0);

    /* bytes: keep at most ~10 KiB; the active segment always stays */
    cfg.retention_ms = -1;
    cfg.retention_bytes = 10000;
    kn_log_set_config(log, &cfg);
    assert_true(kn_log_apply_retention(log, now) > 0);
    assert_true(kn_log_size_bytes(log) <= 10000 + 4096);
    cfg.retention_bytes = 0;
    kn_log_set_config(log, &cfg);
    kn_log_apply_retention(log, now);
    assert_int_equal(kn_log_segment_count(log), 1);
    assert_int_equal(kn_log_end_offset(log), 240);
    verify_log(log, kn_log_start_offset(log), 240);

    /* the deleted files are renamed .deleted, then removed by the tick */
    kn_logmgr_tick(m, now);
    kn_wbuf_init(&w, 16);
    kn_wbuf_free(&w);
    /* log start survives a reopen (checkpoint) */
    start = kn_log_start_offset(log);
    kn_log_release(log);
    kn_logmgr_close(m);
    m = tl_open(fx->dir, &cfg, 0);
    log = kn_logmgr_get(m, "ret", 0);
    assert_int_equal(kn_log_start_offset(log), start);
    assert_int_equal(kn_log_end_offset(log), 240);
    kn_log_release(log);
    kn_logmgr_close(m);
}

static void test_truncate_and_delete_records(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    kn_logmgr_t *m = tl_open(fx->dir, &cfg, 0);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "tr", 1, NULL, &log), KN_ERR_NONE);
    append_batches(log, 0, 60, 3, 200, 100);    /* offsets 0..179 */
    kn_log_set_high_watermark(log, 180);
    /* into the middle of a batch: the whole batch goes */
    assert_int_equal(kn_log_truncate_to(log, 100), KN_ERR_NONE);
    assert_int_equal(kn_log_end_offset(log), 99);
    assert_int_equal(kn_log_high_watermark(log), 99);
    verify_log(log, 0, 99);
    /* at a batch boundary in an earlier segment */
    assert_int_equal(kn_log_truncate_to(log, 30), KN_ERR_NONE);
    assert_int_equal(kn_log_end_offset(log), 30);
    verify_log(log, 0, 30);
    assert_int_equal(kn_log_truncate_to(log, 500), KN_ERR_NONE);   /* no-op */
    assert_int_equal(kn_log_end_offset(log), 30);
    append_batches(log, 100, 20, 3, 200, 100);
    assert_int_equal(kn_log_end_offset(log), 90);
    verify_log(log, 0, 90);

    /* DeleteRecords */
    kn_log_set_high_watermark(log, 60);
    int64_t start;
    assert_int_equal(kn_log_delete_records_before(log, 61, &start), KN_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(kn_log_delete_records_before(log, 45, &start), KN_ERR_NONE);
    assert_int_equal(start, 45);
    kn_log_range_t r;
    assert_int_equal(kn_log_read(log, 44, 100, -1, true, &r), KN_ERR_OFFSET_OUT_OF_RANGE);
    assert_int_equal(kn_log_read(log, 45, 100, -1, true, &r), KN_ERR_NONE);
    assert_int_equal(r.first_offset, 45);
    kn_log_read_release(&r);
    assert_int_equal(kn_log_delete_records_before(log, -1, &start), KN_ERR_NONE);
    assert_int_equal(start, 60);

    /* truncate below the start: full truncation */
    assert_int_equal(kn_log_truncate_to(log, 10), KN_ERR_NONE);
    assert_int_equal(kn_log_start_offset(log), 10);
    assert_int_equal(kn_log_end_offset(log), 10);
    append_batches(log, 200, 2, 3, 10, 1);
    verify_log(log, 10, 16);
    assert_int_equal(kn_log_truncate_full(log, 1000), KN_ERR_NONE);
    assert_int_equal(kn_log_end_offset(log), 1000);
    append_batches(log, 300, 1, 3, 10, 1);
    verify_log(log, 1000, 1003);
    kn_log_release(log);
    kn_logmgr_close(m);
    /* and it all reloads */
    m = tl_open(fx->dir, &cfg, 0);
    log = kn_logmgr_get(m, "tr", 1);
    assert_int_equal(kn_log_start_offset(log), 1000);
    verify_log(log, 1000, 1003);
    kn_log_release(log);
    kn_logmgr_close(m);
}

static void test_offset_for_time_and_epochs(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    kn_logmgr_t *m = tl_open(fx->dir, &cfg, 0);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "ts", 0, NULL, &log), KN_ERR_NONE);
    /* batch b holds records at timestamps 10000 + 10*b + i (i < 4) */
    for (int b = 0; b < 50; b++) {
        kn_wbuf_t w;
        kn_wbuf_init(&w, 256);
        tl_batch(&w, 4, 150, 10000 + 10 * b, (uint32_t)b, b % 2 ? KN_CODEC_LZ4 : KN_CODEC_NONE);
        int32_t epoch = b < 20 ? 1 : (b < 35 ? 3 : 4);
        assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, epoch, NULL),
                         KN_ERR_NONE);
        kn_wbuf_free(&w);
    }
    assert_true(kn_log_segment_count(log) > 2);
    for (int round = 0; round < 2; round++) {
        int64_t off, ts;
        assert_int_equal(kn_log_offset_for_time(log, 0, &off, &ts), KN_ERR_NONE);
        assert_int_equal(off, 0);
        assert_int_equal(ts, 10000);
        for (int b = 0; b < 50; b += 7) {
            for (int i = 0; i < 4; i++) {
                assert_int_equal(kn_log_offset_for_time(log, 10000 + 10 * b + i, &off, &ts),
                                 KN_ERR_NONE);
                assert_int_equal(off, 4 * b + i);
                assert_int_equal(ts, 10000 + 10 * b + i);
            }
            /* between batches: the first record of the next one */
            assert_int_equal(kn_log_offset_for_time(log, 10000 + 10 * b + 5, &off, &ts),
                             KN_ERR_NONE);
            assert_int_equal(off, 4 * (b + 1) < 200 ? 4 * (b + 1) : -1);
        }
        assert_int_equal(kn_log_offset_for_time(log, 99999999, &off, &ts), KN_ERR_NONE);
        assert_int_equal(off, -1);
        assert_int_equal(kn_log_offset_for_time(log, KN_LOG_TS_LATEST, &off, NULL), KN_ERR_NONE);
        assert_int_equal(off, 200);
        assert_int_equal(kn_log_offset_for_time(log, KN_LOG_TS_EARLIEST, &off, NULL),
                         KN_ERR_NONE);
        assert_int_equal(off, 0);
        assert_int_equal(kn_log_offset_for_time(log, KN_LOG_TS_MAX, &off, &ts), KN_ERR_NONE);
        assert_int_equal(off, 199);
        assert_int_equal(ts, 10000 + 490 + 3);

        /* leader epochs: 1 from 0, 3 from 80, 4 from 140 */
        int32_t ee;
        int64_t eo;
        assert_int_equal(kn_log_latest_epoch(log), 4);
        kn_log_epoch_end_offset(log, 1, &ee, &eo);
        assert_int_equal(ee, 1);
        assert_int_equal(eo, 80);
        kn_log_epoch_end_offset(log, 2, &ee, &eo);
        assert_int_equal(ee, 1);
        assert_int_equal(eo, 80);
        kn_log_epoch_end_offset(log, 3, &ee, &eo);
        assert_int_equal(ee, 3);
        assert_int_equal(eo, 140);
        kn_log_epoch_end_offset(log, 4, &ee, &eo);
        assert_int_equal(ee, 4);
        assert_int_equal(eo, 200);
        kn_log_epoch_end_offset(log, 0, &ee, &eo);
        assert_int_equal(ee, 0);
        assert_int_equal(eo, 0);
        kn_log_epoch_end_offset(log, 9, &ee, &eo);
        assert_int_equal(ee, -1);
        assert_int_equal(eo, -1);

        kn_log_release(log);
        kn_logmgr_close(m);
        m = tl_open(fx->dir, &cfg, 0);
        log = kn_logmgr_get(m, "ts", 0);
    }
    /* truncation drops the epochs that start at or after the new end */
    assert_int_equal(kn_log_truncate_to(log, 100), KN_ERR_NONE);
    assert_int_equal(kn_log_latest_epoch(log), 3);
    kn_log_release(log);
    kn_logmgr_close(m);
}

static void test_bad_batches_rejected(void **state)
{
    fx_t *fx = *state;
    kn_logmgr_t *m = tl_open(fx->dir, NULL, 0);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "bad", 0, NULL, &log), KN_ERR_NONE);
    append_batches(log, 0, 2, 2, 20, 1);
    kn_wbuf_t w;
    kn_wbuf_init(&w, 256);
    tl_batch(&w, 3, 50, 1, 9, KN_CODEC_NONE);
    size_t one = w.len;
    tl_batch(&w, 3, 50, 1, 10, KN_CODEC_NONE);
    /* wrong CRC in the second batch: nothing of the blob is appended */
    w.data[one + 70] ^= 1;
    assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, NULL),
                     KN_ERR_CORRUPT_MESSAGE);
    w.data[one + 70] ^= 1;
    /* truncated */
    assert_int_equal(kn_log_append(log, w.data, w.len - 3, KN_LOG_APPEND_LEADER, -1, NULL),
                     KN_ERR_CORRUPT_MESSAGE);
    /* magic 1 */
    w.data[one + KN_BATCH_OFF_MAGIC] = 1;
    assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, NULL),
                     KN_ERR_UNSUPPORTED_VERSION);
    w.data[one + KN_BATCH_OFF_MAGIC] = 2;
    /* record count disagreeing with the records */
    kn_put_be32(w.data + KN_BATCH_OFF_COUNT, 4);
    kn_put_be32(w.data + KN_BATCH_OFF_LAST_DELTA, 3);
    kn_batch_update_crc(w.data);
    assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, NULL),
                     KN_ERR_INVALID_RECORD);
    kn_put_be32(w.data + KN_BATCH_OFF_COUNT, 3);
    kn_put_be32(w.data + KN_BATCH_OFF_LAST_DELTA, 2);
    kn_batch_update_crc(w.data);
    /* too large for max.message.bytes */
    kn_log_config_t cfg;
    kn_log_get_config(log, &cfg);
    cfg.max_message_bytes = 100;
    kn_log_set_config(log, &cfg);
    assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, NULL),
                     KN_ERR_MESSAGE_TOO_LARGE);
    assert_int_equal(kn_log_end_offset(log), 4);
    verify_log(log, 0, 4);
    cfg.max_message_bytes = 1 << 20;
    cfg.log_append_time = true;
    kn_log_set_config(log, &cfg);
    kn_log_append_result_t res;
    assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, 7, &res),
                     KN_ERR_NONE);
    assert_int_equal(res.base_offset, 4);
    assert_int_equal(res.last_offset, 9);
    assert_true(res.log_append_time > 0);
    verify_log(log, 0, 10);
    /* follower appends keep offsets and must not go backwards */
    kn_wbuf_reset(&w);
    tl_batch(&w, 2, 10, 1, 11, KN_CODEC_NONE);
    kn_batch_set_base_offset(w.data, 5);
    assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_REPLICA, -1, NULL),
                     KN_ERR_OFFSET_OUT_OF_RANGE);
    kn_batch_set_base_offset(w.data, 10);
    assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_REPLICA, -1, NULL),
                     KN_ERR_NONE);
    verify_log(log, 0, 12);
    kn_wbuf_free(&w);
    kn_log_release(log);
    kn_logmgr_close(m);
}

/* Unclean shutdown: no marker, garbage at the tail, garbled indexes. */
static void test_recovery(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    kn_logmgr_t *m = tl_open(fx->dir, &cfg, 0);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "rec", 0, NULL, &log), KN_ERR_NONE);
    append_batches(log, 0, 50, 3, 200, 1);
    int nseg = kn_log_segment_count(log);
    char active[2048], active_idx[2048], old_idx[2048], marker[1024];
    kn_log_range_t r;
    assert_int_equal(kn_log_read(log, 149, 10, -1, true, &r), KN_ERR_NONE);
    int64_t last_batch_pos = r.pos;
    kn_log_read_release(&r);
    kn_log_release(log);
    kn_logmgr_close(m);
    snprintf(marker, sizeof(marker), "%s/.kafka_cleanshutdown", fx->dir);
    assert_int_equal(access(marker, F_OK), 0);

    /* find the active segment: the largest base offset */
    char dir[1024];
    snprintf(dir, sizeof(dir), "%s/rec-0", fx->dir);
    m = tl_open(fx->dir, &cfg, 0);
    log = kn_logmgr_get(m, "rec", 0);
    assert_int_equal(kn_log_read(log, 149, 10, -1, true, &r), KN_ERR_NONE);
    int64_t active_base = r.first_offset;
    kn_log_read_release(&r);
    for (int64_t b = r.first_offset; b >= 0; b--) {
        snprintf(active, sizeof(active), "%s/%020lld.log", dir, (long long)b);
        if (access(active, F_OK) == 0) {
            active_base = b;
            break;
        }
    }
    kn_log_release(log);
    kn_logmgr_close(m);
    snprintf(active, sizeof(active), "%s/%020lld.log", dir, (long long)active_base);
    snprintf(active_idx, sizeof(active_idx), "%s/%020lld.index", dir, (long long)active_base);
    snprintf(old_idx, sizeof(old_idx), "%s/%020lld.index", dir, 0LL);

    /* 1. a torn tail: cut the last batch in half, no marker */
    struct stat st;
    assert_int_equal(stat(active, &st), 0);
    assert_int_equal(truncate(active, st.st_size - 100), 0);
    unlink(marker);
    m = tl_open(fx->dir, &cfg, 0);
    log = kn_logmgr_get(m, "rec", 0);
    assert_int_equal(kn_log_end_offset(log), 147);
    verify_log(log, 0, 147);
    kn_log_release(log);
    kn_logmgr_close(m);

    /* 2. garbage after the last batch, and garbled bytes inside it */
    int fd = open(active, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "garbage-garbage-garbage-garbage-garbage-garbage-garbage-garbage-"
                               "garbage-garbage", 79), 79);
    close(fd);
    unlink(marker);
    m = tl_open(fx->dir, &cfg, 0);
    log = kn_logmgr_get(m, "rec", 0);
    assert_int_equal(kn_log_end_offset(log), 147);
    kn_log_release(log);
    kn_logmgr_close(m);
    (void)last_batch_pos;
    assert_int_equal(stat(active, &st), 0);
    fd = open(active, O_WRONLY);
    assert_int_equal(pwrite(fd, "XXXX", 4, st.st_size - 50), 4);   /* inside the last batch */
    close(fd);
    unlink(marker);
    m = tl_open(fx->dir, &cfg, 0);
    log = kn_logmgr_get(m, "rec", 0);
    assert_int_equal(kn_log_end_offset(log), 144);
    verify_log(log, 0, 144);
    kn_log_release(log);
    kn_logmgr_close(m);

    /* 3. garbled index of an old segment and of the active one, even after
     * a clean shutdown: detected and rebuilt */
    fd = open(old_idx, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "\x7f\x00\x00\x00\x00\x00\x10\x00", 8, 8), 8);
    close(fd);
    fd = open(active_idx, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, "\x00\x00\x00\x01\x00\x00\x00\x07", 8, 0), 8);
    close(fd);
    m = tl_open(fx->dir, &cfg, 0);
    log = kn_logmgr_get(m, "rec", 0);
    assert_int_equal(kn_log_end_offset(log), 144);
    for (int64_t off = 0; off < 144; off++) {
        assert_int_equal(kn_log_read(log, off, 1, -1, true, &r), KN_ERR_NONE);
        assert_int_equal(r.first_offset, off - off % 3);
        kn_log_read_release(&r);
    }
    verify_log(log, 0, 144);
    kn_log_release(log);
    kn_logmgr_close(m);

    /* 4. a missing index is rebuilt; appends continue */
    unlink(old_idx);
    m = tl_open(fx->dir, &cfg, 0);
    log = kn_logmgr_get(m, "rec", 0);
    verify_log(log, 0, 144);
    assert_int_equal(kn_log_segment_count(log), nseg);
    append_batches(log, 500, 3, 3, 200, 1);
    verify_log(log, 0, 153);
    kn_log_release(log);
    kn_logmgr_close(m);
}

static void test_meta_and_delete_partition(void **state)
{
    fx_t *fx = *state;
    kn_logmgr_t *m = tl_open(fx->dir, NULL, 0);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "gone", 0, NULL, &log), KN_ERR_NONE);
    append_batches(log, 0, 3, 1, 10, 1);
    assert_int_equal(kn_logmgr_count(m), 1);
    assert_int_equal(kn_logmgr_delete(m, "gone", 0), KN_ERR_NONE);
    assert_int_equal(kn_logmgr_delete(m, "gone", 0), KN_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    assert_int_equal(kn_logmgr_count(m), 0);
    /* the held reference still exists but refuses work */
    assert_int_equal(kn_log_append(log, (uint8_t *)"x", 1, KN_LOG_APPEND_LEADER, -1, NULL),
                     KN_ERR_CORRUPT_MESSAGE);
    kn_wbuf_t w;
    kn_wbuf_init(&w, 64);
    tl_batch(&w, 1, 10, 1, 1, KN_CODEC_NONE);
    assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, NULL),
                     KN_ERR_UNKNOWN_TOPIC_OR_PARTITION);
    kn_wbuf_free(&w);
    kn_log_release(log);
    kn_logmgr_close(m);
    char path[1024];
    snprintf(path, sizeof(path), "%s/gone-0", fx->dir);
    assert_int_not_equal(access(path, F_OK), 0);
    /* meta.properties pins the broker id */
    const char *dirs[1] = { fx->dir };
    kn_logmgr_opts_t o;
    memset(&o, 0, sizeof(o));
    o.dirs = dirs;
    o.ndirs = 1;
    o.broker_id = 2;
    kn_log_config_defaults(&o.defaults);
    char err[512];
    assert_int_equal(kn_logmgr_open(&o, &m, err, sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "broker.id"));
    o.broker_id = 1;
    o.cluster_id = "other";
    assert_int_equal(kn_logmgr_open(&o, &m, err, sizeof(err)), KN_ERROR);
    assert_non_null(strstr(err, "cluster.id"));
}

/* ---- concurrency: appenders and readers ---- */

typedef struct {
    kn_log_t *log;
    int       id;
    volatile int *stop;
    int       bad;
} th_t;

static void *appender(void *arg)
{
    th_t *t = arg;
    for (int i = 0; i < 300; i++) {
        kn_wbuf_t w;
        kn_wbuf_init(&w, 256);
        tl_batch(&w, 2, 64, 1, (uint32_t)(t->id * 1000 + i), KN_CODEC_NONE);
        if (kn_log_append(t->log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, NULL) != KN_ERR_NONE) {
            t->bad++;
        }
        kn_wbuf_free(&w);
    }
    return NULL;
}

static void *reader(void *arg)
{
    th_t *t = arg;
    while (!*t->stop) {
        kn_wbuf_t out;
        kn_wbuf_init(&out, 1024);
        int64_t next;
        if (kn_log_read_copy(t->log, 0, 1 << 20, -1, true, &out, &next) != KN_ERR_NONE
            || kn_records_validate(out.data, out.len, KN_BATCH_CHECK_ALL, NULL)
               != (out.len ? KN_ERR_NONE : KN_ERR_CORRUPT_MESSAGE)) {
            t->bad++;
        }
        kn_wbuf_free(&out);
    }
    return NULL;
}

static void test_concurrent(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    cfg.segment_bytes = 65536;
    kn_logmgr_t *m = tl_open(fx->dir, &cfg, 0);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "conc", 0, NULL, &log), KN_ERR_NONE);
    volatile int stop = 0;
    th_t th[6];
    pthread_t tid[6];
    for (int i = 0; i < 6; i++) {
        th[i] = (th_t){ log, i, &stop, 0 };
        pthread_create(&tid[i], NULL, i < 4 ? appender : reader, &th[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(tid[i], NULL);
    }
    stop = 1;
    for (int i = 4; i < 6; i++) {
        pthread_join(tid[i], NULL);
    }
    for (int i = 0; i < 6; i++) {
        assert_int_equal(th[i].bad, 0);
    }
    assert_int_equal(kn_log_end_offset(log), 4 * 300 * 2);
    assert_int_equal(verify_log(log, 0, 2400), 1200);
    kn_log_release(log);
    kn_logmgr_close(m);
}

/* 10,000 partitions under a 1024 fd limit: files open lazily, LRU-closed. */
static void test_many_partitions(void **state)
{
    fx_t *fx = *state;
    struct rlimit old, lim;
    getrlimit(RLIMIT_NOFILE, &old);
    lim = old;
    lim.rlim_cur = 1024;
    if (lim.rlim_max < 1024) {
        lim.rlim_cur = lim.rlim_max;
    }
    setrlimit(RLIMIT_NOFILE, &lim);
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    kn_logmgr_t *m = tl_open(fx->dir, &cfg, 0);   /* budget from the limit */
    const int n = 10000;
    kn_wbuf_t w;
    kn_wbuf_init(&w, 256);
    for (int round = 0; round < 2; round++) {
        /* the second round revisits every 10th log: reopened files */
        for (int p = 0; p < n; p += round ? 10 : 1) {
            kn_log_t *log;
            assert_int_equal(kn_logmgr_create(m, "many", p, NULL, &log), KN_ERR_NONE);
            kn_wbuf_reset(&w);
            tl_batch(&w, 1, 16, 1, (uint32_t)p, KN_CODEC_NONE);
            assert_int_equal(kn_log_append(log, w.data, w.len, KN_LOG_APPEND_LEADER, -1, NULL),
                             KN_ERR_NONE);
            kn_log_release(log);
        }
    }
    assert_int_equal(kn_logmgr_count(m), (size_t)n);
    for (int p = 0; p < n; p += 970) {
        kn_log_t *log = kn_logmgr_get(m, "many", p);
        verify_log(log, 0, 2);
        kn_log_release(log);
    }
    kn_logmgr_close(m);
    m = tl_open(fx->dir, &cfg, 0);
    assert_int_equal(kn_logmgr_count(m), (size_t)n);
    kn_log_t *log = kn_logmgr_get(m, "many", 4320);
    verify_log(log, 0, 2);
    kn_log_release(log);
    log = kn_logmgr_get(m, "many", 4321);
    verify_log(log, 0, 1);
    kn_log_release(log);
    kn_logmgr_close(m);
    kn_wbuf_free(&w);
    setrlimit(RLIMIT_NOFILE, &old);
}

static void test_flush_and_checkpoints(void **state)
{
    fx_t *fx = *state;
    kn_log_config_t cfg;
    tl_small_cfg(&cfg);
    cfg.flush_messages = 10;
    kn_logmgr_t *m = tl_open(fx->dir, &cfg, 0);
    kn_log_t *log;
    assert_int_equal(kn_logmgr_create(m, "fl", 0, NULL, &log), KN_ERR_NONE);
    append_batches(log, 0, 3, 3, 10, 1);
    assert_int_equal(kn_log_recovery_point(log), 0);
    append_batches(log, 3, 1, 3, 10, 1);                 /* 12 records: flush */
    assert_int_equal(kn_log_recovery_point(log), 12);
    append_batches(log, 4, 1, 3, 10, 1);
    assert_int_equal(kn_log_flush(log), KN_ERR_NONE);
    assert_int_equal(kn_log_recovery_point(log), 15);
    kn_log_set_high_watermark(log, 15);
    assert_int_equal(kn_logmgr_checkpoint(m), KN_OK);
    char path[1024];
    snprintf(path, sizeof(path), "%s/recovery-point-offset-checkpoint", fx->dir);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char buf[256] = { 0 };
    size_t got = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    assert_true(got > 0);
    assert_string_equal(buf, "0\n1\nfl 0 15\n");
    kn_log_release(log);
    kn_logmgr_close(m);
    m = tl_open(fx->dir, &cfg, 0);
    log = kn_logmgr_get(m, "fl", 0);
    assert_int_equal(kn_log_high_watermark(log), 15);
    assert_int_equal(kn_log_recovery_point(log), 15);
    kn_log_release(log);
    kn_logmgr_close(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_roundtrip_and_ranges, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_segments_and_index_boundaries, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_roll_by_time, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_retention, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_truncate_and_delete_records, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_offset_for_time_and_epochs, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bad_batches_rejected, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_recovery, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_meta_and_delete_partition, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_flush_and_checkpoints, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_many_partitions, fx_setup, fx_teardown),
    };
    kn_log_init("test_log", KN_LOG_WARN);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
