/*
 * broker/log/logread.c -- reading a partition: file ranges for sendfile
 * (kn_log_read), the copy-out path (kn_log_read_copy) and the timestamp
 * lookup behind ListOffsets (kn_log_offset_for_time).
 *
 * A read runs under the partition lock only while it locates the range
 * (index lookup plus a few header preads); the bytes themselves are sent
 * by the caller outside the lock from the pinned segment's fd.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/log/log_int.h"
#include "common/log.h"

/* Extend a range that starts with the batch at pos (header h) by whole
 * batches while they fit max_bytes and lie wholly below bound. */
static void kn_read_extend(kn_segment_t *s, int64_t pos, const kn_batch_hdr_t *h,
                           size_t max_bytes, int64_t bound, int64_t *end_out, int64_t *next_out)
{
    int64_t end = pos + (int64_t)kn_batch_size(h);
    int64_t next = kn_batch_last_offset(h) + 1;
    int64_t limit = (int64_t)KN_MIN(max_bytes, (size_t)INT64_MAX / 2) + pos;
    if (bound >= s->next_offset && s->size <= limit) {
        /* Common case (a consumer at the tail): the rest of the segment. */
        *end_out = s->size;
        *next_out = KN_MAX(s->next_offset, next);
        return;
    }
    /* Jump with the index to the last indexed batch that still fits. */
    int32_t erel, epos;
    kn_oidx_lookup_pos(&s->oidx, KN_MIN(limit, s->size), &erel, &epos);
    if (epos > end && s->base_offset + erel <= bound && epos <= limit && !s->index_bad) {
        end = epos;
        next = s->base_offset + erel;
    }
    kn_batch_hdr_t nh;
    while (end < s->size && kn_seg_read_hdr(s, end, &nh) == KN_OK) {
        int64_t bsize = (int64_t)kn_batch_size(&nh);
        if (end + bsize > limit || end + bsize > s->size || kn_batch_last_offset(&nh) >= bound) {
            break;
        }
        end += bsize;
        next = kn_batch_last_offset(&nh) + 1;
    }
    *end_out = end;
    *next_out = next;
}

kn_err_t kn_log_read(kn_log_t *log, int64_t offset, size_t max_bytes, int64_t max_offset,
                     bool min_one, kn_log_range_t *out)
{
    memset(out, 0, sizeof(*out));
    out->fd = -1;
    out->first_offset = offset;
    out->next_offset = offset;
    pthread_mutex_lock(&log->lock);
    kn_err_t rc = KN_ERR_NONE;
    if (log->deleted) {
        rc = KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        goto out;
    }
    if (offset < log->log_start || offset > log->log_end) {
        rc = KN_ERR_OFFSET_OUT_OF_RANGE;
        goto out;
    }
    int64_t bound = max_offset < 0 ? log->log_end : KN_MIN(max_offset, log->log_end);
    if (offset >= bound) {
        goto out;
    }
    for (int i = kn_log_seg_index(log, offset); i < log->nsegs; i++) {
        kn_segment_t *s = log->segs[i];
        if (s->size == 0) {
            continue;
        }
        if (kn_seg_ensure_open(s) != KN_OK) {
            rc = KN_ERR_KAFKA_STORAGE_ERROR;
            goto out;
        }
        int64_t pos;
        kn_batch_hdr_t h;
        int r = kn_seg_find(s, offset, &pos, &h);
        if (r == KN_DECLINED) {
            continue;   /* offset is past this segment's last batch */
        }
        if (r != KN_OK) {
            kn_log_ratelimited(KN_LOG_ERROR, "broker.log", "read-hdr", 5000,
                               "%s.log: unreadable batch while looking up offset %lld",
                               s->base_path, (long long)offset);
            rc = KN_ERR_KAFKA_STORAGE_ERROR;
            goto out;
        }
        if (kn_batch_last_offset(&h) >= bound) {
            goto out;   /* the batch is not wholly below the bound yet */
        }
        if (!min_one && kn_batch_size(&h) > max_bytes) {
            goto out;
        }
        int64_t end, next;
        kn_read_extend(s, pos, &h, max_bytes, bound, &end, &next);
        atomic_fetch_add(&s->refs, 1);   /* pinned until kn_log_read_release */
        out->fd = s->fd;
        out->pos = (off_t)pos;
        out->len = (size_t)(end - pos);
        out->first_offset = h.base_offset;
        out->next_offset = KN_MIN(next, bound);
        out->seg = s;
        goto out;
    }
out:
    pthread_mutex_unlock(&log->lock);
    return rc;
}

void kn_log_read_release(kn_log_range_t *r)
{
    if (r->seg) {
        kn_seg_unref(r->seg);
        r->seg = NULL;
    }
    r->fd = -1;
}

static int kn_pread_all(int fd, uint8_t *dst, size_t len, off_t pos)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = pread(fd, dst + got, len - got, pos + (off_t)got);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return KN_ERROR;
        }
        got += (size_t)n;
    }
    return KN_OK;
}

kn_err_t kn_log_read_copy(kn_log_t *log, int64_t offset, size_t max_bytes, int64_t max_offset,
                          bool min_one, kn_wbuf_t *out, int64_t *next_offset)
{
    size_t left = max_bytes;
    bool first = true;
    kn_err_t rc = KN_ERR_NONE;
    for (;;) {
        kn_log_range_t r;
        rc = kn_log_read(log, offset, left, max_offset, min_one && first, &r);
        if (rc != KN_ERR_NONE || r.len == 0) {
            kn_log_read_release(&r);
            break;
        }
        uint8_t *dst = kn_wbuf_reserve(out, r.len);
        if (kn_pread_all(r.fd, dst, r.len, r.pos) != KN_OK) {
            kn_log_read_release(&r);
            rc = KN_ERR_KAFKA_STORAGE_ERROR;
            break;
        }
        out->len += r.len;
        offset = r.next_offset;
        left -= KN_MIN(left, r.len);
        first = false;
        kn_log_read_release(&r);
        if (left == 0) {
            break;
        }
    }
    if (next_offset) {
        *next_offset = offset;
    }
    /* Errors after some data was copied are reported on the next call. */
    return first ? rc : KN_ERR_NONE;
}

/* ---- timestamp lookup ---- */

typedef struct {
    int64_t ts;          /* target */
    int64_t min_offset;  /* log start */
    int64_t found_off;
    int64_t found_ts;
    bool    append_time; /* LogAppendTime batch: every record has maxTimestamp */
} kn_ts_search_t;

static int kn_ts_cb(void *ud, const kn_batch_hdr_t *h, const kn_record_t *rec)
{
    kn_ts_search_t *q = ud;
    int64_t off = h->base_offset + rec->offset_delta;
    int64_t ts = q->append_time ? h->max_timestamp : h->base_timestamp + rec->timestamp_delta;
    if (off >= q->min_offset && ts >= q->ts) {
        q->found_off = off;
        q->found_ts = ts;
        return KN_DECLINED;   /* stop */
    }
    return KN_OK;
}

/* Read the whole batch at pos into buf and visit its records. */
static int kn_ts_scan_batch(kn_segment_t *s, int64_t pos, const kn_batch_hdr_t *h,
                            kn_ts_search_t *q)
{
    size_t size = kn_batch_size(h);
    if ((int64_t)size > s->size - pos) {
        return KN_ERROR;
    }
    uint8_t *buf = kn_malloc(size);
    int rc = KN_ERROR;
    kn_batch_hdr_t vh;
    if (kn_pread_all(s->fd, buf, size, (off_t)pos) == KN_OK
        && kn_batch_validate(buf, size, KN_BATCH_CHECK_CRC, &vh) == KN_ERR_NONE) {
        q->append_time = (vh.attributes & KN_BATCH_ATTR_LOG_APPEND_TIME) != 0;
        rc = kn_batch_foreach_record(buf, &vh, kn_ts_cb, q);
        rc = rc == KN_ERROR ? KN_ERROR : KN_OK;
    }
    free(buf);
    return rc;
}

/* First record with timestamp >= q->ts in segment s, scanning batches from
 * the time index's hint. */
static int kn_ts_search_segment(kn_segment_t *s, kn_ts_search_t *q)
{
    int64_t start = s->base_offset + kn_tidx_lookup(&s->tidx, q->ts);
    start = KN_MAX(start, q->min_offset);
    int64_t pos;
    kn_batch_hdr_t h;
    int r = kn_seg_find(s, start, &pos, &h);
    if (r == KN_DECLINED) {
        return KN_OK;
    }
    if (r != KN_OK) {
        /* A hint beyond the data (garbled time index): scan it all. */
        if (kn_seg_find(s, s->base_offset, &pos, &h) != KN_OK) {
            return KN_ERROR;
        }
    }
    while (pos < s->size) {
        if (h.max_timestamp >= q->ts && kn_batch_last_offset(&h) >= q->min_offset) {
            if (kn_ts_scan_batch(s, pos, &h, q) != KN_OK) {
                return KN_ERROR;
            }
            if (q->found_off >= 0) {
                return KN_OK;
            }
        }
        pos += (int64_t)kn_batch_size(&h);
        if (pos < s->size && kn_seg_read_hdr(s, pos, &h) != KN_OK) {
            return KN_ERROR;
        }
    }
    return KN_OK;
}

kn_err_t kn_log_offset_for_time(kn_log_t *log, int64_t ts, int64_t *found_offset,
                                int64_t *found_ts)
{
    int64_t dummy;
    if (found_ts == NULL) {
        found_ts = &dummy;
    }
    *found_offset = -1;
    *found_ts = -1;
    pthread_mutex_lock(&log->lock);
    kn_err_t rc = KN_ERR_NONE;
    if (log->deleted) {
        rc = KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        goto out;
    }
    if (ts == KN_LOG_TS_LATEST) {
        *found_offset = log->log_end;
        goto out;
    }
    if (ts == KN_LOG_TS_EARLIEST) {
        *found_offset = log->log_start;
        goto out;
    }
    kn_ts_search_t q = { ts, log->log_start, -1, -1, false };
    if (ts == KN_LOG_TS_MAX) {
        /* The record holding the largest timestamp: find the segment and
         * batch, then search that batch for the timestamp itself. */
        kn_segment_t *best = NULL;
        for (int i = 0; i < log->nsegs; i++) {
            kn_segment_t *s = log->segs[i];
            if (s->size > 0 && s->next_offset > log->log_start
                && (best == NULL || kn_seg_max_ts(s) > best->max_ts)) {
                best = s;
            }
        }
        if (best == NULL || best->max_ts < 0 || kn_seg_ensure_open(best) != KN_OK) {
            goto out;
        }
        q.ts = best->max_ts;
        q.min_offset = KN_MAX(best->max_ts_offset, log->log_start);
        if (kn_ts_search_segment(best, &q) != KN_OK) {
            rc = KN_ERR_KAFKA_STORAGE_ERROR;
        }
    } else if (ts < 0) {
        rc = KN_ERR_INVALID_REQUEST;
        goto out;
    } else {
        for (int i = 0; i < log->nsegs && q.found_off < 0; i++) {
            kn_segment_t *s = log->segs[i];
            if (s->size == 0 || (i + 1 < log->nsegs && log->segs[i + 1]->base_offset <= log->log_start)) {
                continue;
            }
            if (kn_seg_max_ts(s) < ts) {
                continue;
            }
            if (kn_seg_ensure_open(s) != KN_OK || kn_ts_search_segment(s, &q) != KN_OK) {
                rc = KN_ERR_KAFKA_STORAGE_ERROR;
                break;
            }
        }
    }
    *found_offset = q.found_off;
    *found_ts = q.found_ts;
out:
    pthread_mutex_unlock(&log->lock);
    return rc;
}
