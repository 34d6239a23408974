/*
 * broker/log/logmaint.c -- changing a partition other than by appending:
 * follower truncation, DeleteRecords, retention by time and size, flush
 * (fsync + recovery point) and shutdown.
 *
 * Removed segments never disappear under a reader: kn_log_drop_segment
 * renames them "*.deleted" and queues them; the files are unlinked after
 * file.delete.delay.ms, and the fds close when the last pinned read is
 * released.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log_int.h"
#include "common/log.h"

static kn_err_t kn_log_truncate_full_locked(kn_log_t *log, int64_t offset)
{
    kn_log_info("broker.log", "%s: truncating fully, restarting at offset %" PRId64, log->dir,
                offset);
    while (log->nsegs > 0) {
        kn_log_drop_segment(log, log->nsegs - 1);
    }
    log->log_end = offset;
    kn_err_t rc = kn_log_roll_locked(log);
    if (rc != KN_ERR_NONE) {
        /* Without an active segment the log is unusable; mark it so
         * every later call fails instead of crashing. */
        log->deleted = true;
        return rc;
    }
    log->log_start = offset;
    log->hw = offset;
    log->recovery_point = offset;
    log->nepochs = 0;
    (void)kn_log_epochs_save(log, true);
    return KN_ERR_NONE;
}

kn_err_t kn_log_truncate_full(kn_log_t *log, int64_t offset)
{
    if (offset < 0) {
        return KN_ERR_OFFSET_OUT_OF_RANGE;
    }
    pthread_mutex_lock(&log->lock);
    kn_err_t rc = log->deleted ? KN_ERR_UNKNOWN_TOPIC_OR_PARTITION
                               : kn_log_truncate_full_locked(log, offset);
    pthread_mutex_unlock(&log->lock);
    return rc;
}

kn_err_t kn_log_truncate_to(kn_log_t *log, int64_t offset)
{
    if (offset < 0) {
        return KN_ERR_OFFSET_OUT_OF_RANGE;
    }
    pthread_mutex_lock(&log->lock);
    kn_err_t rc = KN_ERR_NONE;
    if (log->deleted) {
        rc = KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        goto out;
    }
    if (offset >= log->log_end) {
        goto out;
    }
    if (offset <= log->segs[0]->base_offset || offset < log->log_start) {
        rc = kn_log_truncate_full_locked(log, offset);
        goto out;
    }
    int i = kn_log_seg_index(log, offset);
    while (log->nsegs > i + 1) {
        kn_log_drop_segment(log, log->nsegs - 1);
    }
    kn_segment_t *s = log->segs[i];
    if (kn_seg_ensure_open(s) != KN_OK) {
        rc = KN_ERR_KAFKA_STORAGE_ERROR;
        goto out;
    }
    int64_t pos = s->size, next = offset;
    kn_batch_hdr_t h;
    int r = kn_seg_find(s, offset, &pos, &h);
    if (r == KN_OK) {
        /* The batch holding `offset` goes whole: a batch is the unit of
         * replication and of the CRC. */
        next = KN_MIN(h.base_offset, offset);
    } else if (r == KN_DECLINED) {
        pos = s->size;
    } else {
        rc = KN_ERR_KAFKA_STORAGE_ERROR;
        goto out;
    }
    if (!s->active && kn_seg_unseal(s, (size_t)log->cfg.segment_index_bytes) != KN_OK) {
        rc = KN_ERR_KAFKA_STORAGE_ERROR;
        goto out;
    }
    if (kn_seg_truncate(s, pos, next) != KN_OK) {
        rc = KN_ERR_KAFKA_STORAGE_ERROR;
        goto out;
    }
    kn_log_info("broker.log", "%s: truncated to offset %" PRId64 " (was %" PRId64 ")", log->dir,
                next, log->log_end);
    log->log_end = next;
    s->dirty = true;
    if (log->hw > next) {
        log->hw = next;
    }
    if (log->recovery_point > next) {
        log->recovery_point = next;
    }
    int before = log->nepochs;
    kn_log_epochs_truncate(log, next);
    if (before != log->nepochs) {
        (void)kn_log_epochs_save(log, true);
    }
out:
    pthread_mutex_unlock(&log->lock);
    return rc;
}

/* Remove whole segments below log_start (never the active one). */
static int kn_log_drop_below_start(kn_log_t *log)
{
    int n = 0;
    while (log->nsegs > 1 && log->segs[1]->base_offset <= log->log_start) {
        kn_log_drop_segment(log, 0);
        n++;
    }
    return n;
}

kn_err_t kn_log_delete_records_before(kn_log_t *log, int64_t offset, int64_t *new_start)
{
    pthread_mutex_lock(&log->lock);
    kn_err_t rc = KN_ERR_NONE;
    if (log->deleted) {
        rc = KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        goto out;
    }
    if (offset == -1) {
        offset = log->hw;
    }
    if (offset < 0 || offset > log->hw) {
        rc = KN_ERR_OFFSET_OUT_OF_RANGE;
        goto out;
    }
    if (offset > log->log_start) {
        log->log_start = offset;
        kn_log_drop_below_start(log);
    }
out:
    if (new_start) {
        *new_start = log->log_start;
    }
    pthread_mutex_unlock(&log->lock);
    return rc;
}

/* A segment's age for retention: its largest timestamp, or the file's
 * mtime when no batch carried one. */
static int64_t kn_log_seg_age_ts(kn_segment_t *s)
{
    int64_t ts = kn_seg_max_ts(s);
    if (ts < 0 && kn_seg_ensure_open(s) == KN_OK) {
        struct stat st;
        if (fstat(s->fd, &st) == 0) {
            ts = (int64_t)st.st_mtime * 1000;
        }
    }
    return ts;
}

int kn_log_apply_retention(kn_log_t *log, int64_t now_ms)
{
    pthread_mutex_lock(&log->lock);
    int n = 0;
    if (log->deleted || !log->cfg.cleanup_delete) {
        goto out;
    }
    if (log->cfg.retention_ms >= 0) {
        while (log->nsegs > 1 && now_ms - kn_log_seg_age_ts(log->segs[0]) > log->cfg.retention_ms) {
            kn_log_info("broker.log", "%s.log: deleting, older than retention.ms=%" PRId64,
                        log->segs[0]->base_path, log->cfg.retention_ms);
            kn_log_drop_segment(log, 0);
            n++;
        }
    }
    if (log->cfg.retention_bytes >= 0) {
        int64_t total = 0;
        for (int i = 0; i < log->nsegs; i++) {
            total += log->segs[i]->size;
        }
        while (log->nsegs > 1 && total - log->segs[0]->size >= log->cfg.retention_bytes) {
            total -= log->segs[0]->size;
            kn_log_info("broker.log", "%s.log: deleting, log above retention.bytes=%" PRId64,
                        log->segs[0]->base_path, log->cfg.retention_bytes);
            kn_log_drop_segment(log, 0);
            n++;
        }
    }
    if (n > 0) {
        log->log_start = KN_MAX(log->log_start, log->segs[0]->base_offset);
        if (log->hw < log->log_start) {
            log->hw = log->log_start;
        }
        if (log->recovery_point < log->log_start) {
            log->recovery_point = log->log_start;
        }
    }
out:
    pthread_mutex_unlock(&log->lock);
    return n;
}

kn_err_t kn_log_flush(kn_log_t *log)
{
    pthread_mutex_lock(&log->lock);
    if (log->deleted) {
        pthread_mutex_unlock(&log->lock);
        return KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    /* Pin the dirty segments (open) and fsync them outside the lock, so
     * appends and reads go on meanwhile. */
    int64_t end = log->log_end;
    kn_segment_t **pinned = kn_malloc((size_t)(log->nsegs + 1) * sizeof(*pinned));
    int np = 0;
    kn_err_t rc = KN_ERR_NONE;
    for (int i = 0; i < log->nsegs; i++) {
        kn_segment_t *s = log->segs[i];
        if (!s->dirty) {
            continue;
        }
        if (kn_seg_ensure_open(s) != KN_OK) {
            rc = KN_ERR_KAFKA_STORAGE_ERROR;
            break;
        }
        s->dirty = false;
        atomic_fetch_add(&s->refs, 1);
        pinned[np++] = s;
    }
    /* leader-epoch-checkpoint replaced since the last flush: fsync it (and
     * the directory, for the rename) before the recovery point moves. */
    bool epochs = log->epochs_unsynced;
    log->epochs_unsynced = false;
    bool dir_dirty = log->dir_dirty || epochs;
    log->dir_dirty = false;
    int64_t unflushed = log->unflushed;
    log->unflushed = 0;
    log->last_flush_ms = kn_mono_ms();
    pthread_mutex_unlock(&log->lock);

    for (int i = 0; i < np && rc == KN_ERR_NONE; i++) {
        kn_segment_t *s = pinned[i];
        if (fdatasync(s->fd) != 0 || kn_index_fsync(&s->oidx) != KN_OK
            || kn_index_fsync(&s->tidx) != KN_OK) {
            kn_log_ratelimited(KN_LOG_ERROR, "broker.log", "fsync", 5000, "%s.log: fsync: %s",
                               s->base_path, strerror(errno));
            rc = KN_ERR_KAFKA_STORAGE_ERROR;
        }
    }
    if (rc == KN_ERR_NONE && epochs) {
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/leader-epoch-checkpoint", log->dir);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fsync(fd) != 0) {
            kn_log_ratelimited(KN_LOG_ERROR, "broker.log", "fsync", 5000, "%s: fsync: %s", path,
                               strerror(errno));
            rc = KN_ERR_KAFKA_STORAGE_ERROR;
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    if (rc == KN_ERR_NONE && dir_dirty) {
        /* New segment files: their directory entries, and the partition
         * directory's own entry in the log dir (new partitions). */
        char parent[PATH_MAX];
        snprintf(parent, sizeof(parent), "%s", log->dir);
        char *slash = strrchr(parent, '/');
        if (slash) {
            *slash = '\0';
        }
        if (kn_fsync_dir(log->dir) != KN_OK || (slash && kn_fsync_dir(parent) != KN_OK)) {
            rc = KN_ERR_KAFKA_STORAGE_ERROR;
        }
    }

    pthread_mutex_lock(&log->lock);
    if (rc == KN_ERR_NONE) {
        if (end > log->recovery_point && end <= log->log_end) {
            log->recovery_point = end;
        }
    } else {
        for (int i = 0; i < np; i++) {
            pinned[i]->dirty = true;
        }
        log->dir_dirty = log->dir_dirty || dir_dirty;
        log->epochs_unsynced = log->epochs_unsynced || epochs;
        log->unflushed += unflushed;
    }
    pthread_mutex_unlock(&log->lock);
    for (int i = 0; i < np; i++) {
        kn_seg_unref(pinned[i]);
    }
    free(pinned);
    return rc;
}

void kn_log_shutdown(kn_log_t *log)
{
    /* No per-file fsync here: the manager syncs each log dir's filesystem
     * once (syncfs) after every log is closed, which is far cheaper than
     * three fsyncs per partition with thousands of partitions. */
    pthread_mutex_lock(&log->lock);
    for (int i = 0; i < log->nsegs; i++) {
        kn_segment_t *s = log->segs[i];
        kn_logmgr_lru_remove(log->mgr, s);
        if (s->active && s->fd >= 0) {
            /* Trim the preallocated indexes, as Kafka does on close. */
            (void)kn_index_resize(&s->oidx, (size_t)s->oidx.entries * KN_OIDX_ENTRY);
            (void)kn_index_resize(&s->tidx, (size_t)s->tidx.entries * KN_TIDX_ENTRY);
        }
        if (atomic_load(&s->refs) == 1) {
            kn_seg_close_files(s);
        }
    }
    pthread_mutex_unlock(&log->lock);
}

void kn_log_mark_flushed(kn_log_t *log)
{
    pthread_mutex_lock(&log->lock);
    for (int i = 0; i < log->nsegs; i++) {
        log->segs[i]->dirty = false;
    }
    log->dir_dirty = false;
    log->epochs_unsynced = false;
    log->unflushed = 0;
    log->recovery_point = log->log_end;
    pthread_mutex_unlock(&log->lock);
}
