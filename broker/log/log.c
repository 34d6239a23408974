/*
 * broker/log/log.c -- one partition's log: loading (and recovery) of its
 * directory, append, roll, leader epochs, and the small accessors.
 *
 * Append validates every batch before taking the partition lock (the CRC
 * is the costly part and needs no lock), then assigns offsets, writes the
 * whole blob with one pwrite at the segment's end, indexes it, and only
 * then publishes the new size and end offset, so a concurrent reader never
 * sees a partial batch. A failed write is cut off again with ftruncate.
 * Reads are in logread.c; truncation, retention and flush in logmaint.c.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log_int.h"
#include "common/log.h"

void kn_log_config_defaults(kn_log_config_t *c)
{
    c->segment_bytes = (int64_t)1 << 30;
    c->segment_ms = (int64_t)7 * 24 * 3600 * 1000;
    c->retention_ms = (int64_t)7 * 24 * 3600 * 1000;
    c->retention_bytes = -1;
    c->index_interval_bytes = 4096;
    c->segment_index_bytes = 10 * 1024 * 1024;
    c->flush_messages = -1;
    c->flush_ms = -1;
    c->log_append_time = false;
    c->max_message_bytes = 1048588;
    c->cleanup_delete = true;
    c->cleanup_compact = false;
    c->file_delete_delay_ms = 60000;
}

/* Keep values inside what the on-disk format can represent. */
static void kn_log_config_sanitize(kn_log_config_t *c)
{
    if (c->segment_bytes < 4096 || c->segment_bytes > INT32_MAX) {
        c->segment_bytes = c->segment_bytes < 4096 ? 4096 : INT32_MAX;
    }
    if (c->segment_index_bytes < 4 * KN_TIDX_ENTRY) {
        c->segment_index_bytes = 4 * KN_TIDX_ENTRY;
    }
    if (c->index_interval_bytes < 0) {
        c->index_interval_bytes = 0;
    }
}

kn_log_t *kn_log_ref(kn_log_t *log)
{
    atomic_fetch_add(&log->refs, 1);
    return log;
}

void kn_log_release(kn_log_t *log)
{
    if (log && atomic_fetch_sub(&log->refs, 1) == 1) {
        kn_log_free(log);
    }
}

void kn_log_free(kn_log_t *log)
{
    for (int i = 0; i < log->nsegs; i++) {
        kn_logmgr_lru_remove(log->mgr, log->segs[i]);
        kn_seg_unref(log->segs[i]);
    }
    free(log->segs);
    free(log->epochs);
    free(log->topic);
    free(log->dir);
    pthread_mutex_destroy(&log->lock);
    free(log);
}

const char *kn_log_topic(const kn_log_t *log) { return log->topic; }
int32_t kn_log_partition(const kn_log_t *log) { return log->partition; }
const char *kn_log_dir(const kn_log_t *log) { return log->dir; }

void kn_log_get_config(kn_log_t *log, kn_log_config_t *out)
{
    pthread_mutex_lock(&log->lock);
    *out = log->cfg;
    pthread_mutex_unlock(&log->lock);
}

void kn_log_set_config(kn_log_t *log, const kn_log_config_t *cfg)
{
    pthread_mutex_lock(&log->lock);
    log->cfg = *cfg;
    kn_log_config_sanitize(&log->cfg);
    pthread_mutex_unlock(&log->lock);
}

#define KN_LOG_GETTER(name, field)                 \
    int64_t name(kn_log_t *log)                    \
    {                                              \
        pthread_mutex_lock(&log->lock);            \
        int64_t v = log->field;                    \
        pthread_mutex_unlock(&log->lock);          \
        return v;                                  \
    }
KN_LOG_GETTER(kn_log_start_offset, log_start)
KN_LOG_GETTER(kn_log_end_offset, log_end)
KN_LOG_GETTER(kn_log_high_watermark, hw)
KN_LOG_GETTER(kn_log_recovery_point, recovery_point)

void kn_log_set_high_watermark(kn_log_t *log, int64_t hw)
{
    pthread_mutex_lock(&log->lock);
    log->hw = hw;
    pthread_mutex_unlock(&log->lock);
}

int64_t kn_log_size_bytes(kn_log_t *log)
{
    pthread_mutex_lock(&log->lock);
    int64_t total = 0;
    for (int i = 0; i < log->nsegs; i++) {
        total += log->segs[i]->size;
    }
    pthread_mutex_unlock(&log->lock);
    return total;
}

int kn_log_segment_count(kn_log_t *log)
{
    pthread_mutex_lock(&log->lock);
    int n = log->nsegs;
    pthread_mutex_unlock(&log->lock);
    return n;
}

int kn_log_seg_index(kn_log_t *log, int64_t offset)
{
    int lo = 0, hi = log->nsegs - 1, found = 0;
    while (lo <= hi) {   /* last segment with base <= offset */
        int mid = lo + (hi - lo) / 2;
        if (log->segs[mid]->base_offset <= offset) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    return found;
}

static void kn_log_push_seg(kn_log_t *log, kn_segment_t *s)
{
    if (log->nsegs == log->cap_segs) {
        log->cap_segs = log->cap_segs ? log->cap_segs * 2 : 4;
        log->segs = kn_realloc(log->segs, (size_t)log->cap_segs * sizeof(*log->segs));
    }
    log->segs[log->nsegs++] = s;
}

void kn_log_drop_segment(kn_log_t *log, int i)
{
    kn_segment_t *s = log->segs[i];
    memmove(&log->segs[i], &log->segs[i + 1], (size_t)(log->nsegs - i - 1) * sizeof(*log->segs));
    log->nsegs--;
    kn_logmgr_lru_remove(log->mgr, s);
    if (atomic_load(&s->refs) == 1) {
        kn_seg_close_files(s);   /* nobody reads it: release the fds now */
    }
    if (kn_seg_rename_deleted(s) != KN_OK) {
        kn_log_warn("broker.log", "%s: rename to .deleted failed: %s", s->base_path,
                    strerror(errno));
    }
    log->dir_dirty = true;
    s->delete_at_ms = kn_mono_ms() + log->cfg.file_delete_delay_ms;
    kn_logmgr_queue_delete(log->mgr, s);   /* the queue now holds the log's reference */
}

kn_err_t kn_log_roll_locked(kn_log_t *log)
{
    kn_segment_t *old = log->nsegs ? log->segs[log->nsegs - 1] : NULL;
    if (old && old->size == 0 && old->base_offset == log->log_end) {
        return KN_ERR_NONE;   /* already an empty segment at the end */
    }
    kn_segment_t *s = kn_seg_new(log, log->log_end);
    if (kn_seg_create(s, (size_t)log->cfg.segment_index_bytes) != KN_OK) {
        kn_log_ratelimited(KN_LOG_ERROR, "broker.log", "roll", 10000,
                           "%s: cannot create segment %" PRId64 ": %s", log->dir,
                           log->log_end, strerror(errno));
        kn_seg_unref(s);
        return KN_ERR_KAFKA_STORAGE_ERROR;
    }
    if (old) {
        if (old->size == 0) {
            /* An empty segment below the new base (after a truncation with
             * a gap): nothing to keep. */
            kn_log_drop_segment(log, log->nsegs - 1);
        } else {
            kn_seg_seal(old);
        }
    }
    kn_log_push_seg(log, s);
    return KN_ERR_NONE;
}

/* ---- leader epochs ---- */

void kn_log_epoch_add(kn_log_t *log, int32_t epoch, int64_t start)
{
    if (log->nepochs > 0 && log->epochs[log->nepochs - 1].epoch >= epoch) {
        return;
    }
    if (log->nepochs == log->cap_epochs) {
        log->cap_epochs = log->cap_epochs ? log->cap_epochs * 2 : 4;
        log->epochs = kn_realloc(log->epochs, (size_t)log->cap_epochs * sizeof(*log->epochs));
    }
    log->epochs[log->nepochs].epoch = epoch;
    log->epochs[log->nepochs].start_offset = start;
    log->nepochs++;
}

void kn_log_epochs_truncate(kn_log_t *log, int64_t end)
{
    while (log->nepochs > 0 && log->epochs[log->nepochs - 1].start_offset >= end) {
        log->nepochs--;
    }
}

int kn_log_epochs_save(kn_log_t *log, bool sync)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/leader-epoch-checkpoint", log->dir);
    kn_wbuf_t w;
    kn_wbuf_init(&w, 64);
    char line[64];
    int n = snprintf(line, sizeof(line), "0\n%d\n", log->nepochs);
    kn_wbuf_raw(&w, line, (size_t)n);
    for (int i = 0; i < log->nepochs; i++) {
        n = snprintf(line, sizeof(line), "%d %" PRId64 "\n", (int)log->epochs[i].epoch,
                     log->epochs[i].start_offset);
        kn_wbuf_raw(&w, line, (size_t)n);
    }
    int rc = kn_file_write_replace(path, w.data, w.len, sync);
    kn_wbuf_free(&w);
    if (rc == KN_OK) {
        log->epochs_unsynced = !sync;
    }
    return rc;
}

int kn_log_epochs_load(kn_log_t *log)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/leader-epoch-checkpoint", log->dir);
    char *text = kn_file_read_small(path, 1 << 20, NULL);
    if (text == NULL) {
        return errno == ENOENT ? KN_OK : KN_DECLINED;
    }
    char *save = NULL;
    char *line = strtok_r(text, "\n", &save);
    int ok = line && strcmp(line, "0") == 0;
    line = ok ? strtok_r(NULL, "\n", &save) : NULL;
    long count = line ? strtol(line, NULL, 10) : -1;
    for (long i = 0; ok && i < count; i++) {
        line = strtok_r(NULL, "\n", &save);
        long long epoch, start;
        if (line == NULL || sscanf(line, "%lld %lld", &epoch, &start) != 2 || epoch < 0
            || epoch > INT32_MAX) {
            ok = 0;
            break;
        }
        kn_log_epoch_add(log, (int32_t)epoch, start);
    }
    free(text);
    if (!ok) {
        kn_log_warn("broker.log", "%s: unreadable, leader epochs start empty", path);
        log->nepochs = 0;
        return KN_DECLINED;
    }
    return KN_OK;
}

/* Leader epochs from the batch headers of segs[0..upto): after an unclean
 * stop that left leader-epoch-checkpoint unreadable (written without fsync
 * just before a power loss), the log itself still carries every batch's
 * epoch. Recovery adds those of the segments it re-scans. */
static void kn_log_epochs_rebuild(kn_log_t *log, int upto)
{
    for (int i = 0; i < upto; i++) {
        kn_segment_t *s = log->segs[i];
        if (kn_seg_ensure_open(s) != KN_OK) {
            return;
        }
        kn_batch_hdr_t h;
        for (int64_t pos = 0; pos < s->size; pos += (int64_t)kn_batch_size(&h)) {
            if (kn_seg_read_hdr(s, pos, &h) != KN_OK) {
                break;
            }
            if (h.leader_epoch >= 0) {
                kn_log_epoch_add(log, h.leader_epoch, h.base_offset);
            }
        }
    }
}

int32_t kn_log_latest_epoch(kn_log_t *log)
{
    pthread_mutex_lock(&log->lock);
    int32_t e = log->nepochs ? log->epochs[log->nepochs - 1].epoch : -1;
    pthread_mutex_unlock(&log->lock);
    return e;
}

kn_err_t kn_log_epoch_end_offset(kn_log_t *log, int32_t epoch, int32_t *end_epoch,
                                 int64_t *end_offset)
{
    pthread_mutex_lock(&log->lock);
    *end_epoch = -1;
    *end_offset = -1;
    if (log->deleted) {
        pthread_mutex_unlock(&log->lock);
        return KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    if (log->nepochs > 0 && epoch >= 0) {
        if (epoch == log->epochs[log->nepochs - 1].epoch) {
            *end_epoch = epoch;
            *end_offset = log->log_end;
        } else {
            /* First epoch above the requested one: its start ends ours. */
            int i = 0;
            while (i < log->nepochs && log->epochs[i].epoch <= epoch) {
                i++;
            }
            if (i < log->nepochs) {
                *end_offset = log->epochs[i].start_offset;
                *end_epoch = i == 0 ? epoch : log->epochs[i - 1].epoch;
            }
        }
    }
    pthread_mutex_unlock(&log->lock);
    return KN_ERR_NONE;
}

/* ---- append ---- */

kn_err_t kn_log_append(kn_log_t *log, uint8_t *data, size_t len, unsigned flags,
                       int32_t leader_epoch, kn_log_append_result_t *res)
{
    bool leader = (flags & KN_LOG_APPEND_LEADER) != 0;
    kn_records_info_t info;
    kn_err_t rc = kn_records_validate(data, len,
                                      KN_BATCH_CHECK_ALL | (leader ? KN_BATCH_CHECK_STRICT : 0),
                                      &info);
    if (rc != KN_ERR_NONE) {
        return rc;
    }
    pthread_mutex_lock(&log->lock);
    if (log->deleted || log->nsegs == 0) {
        rc = KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
        goto out;
    }
    kn_segment_t *act = log->segs[log->nsegs - 1];
    if (info.max_batch_size > log->cfg.max_message_bytes) {
        rc = KN_ERR_MESSAGE_TOO_LARGE;
        goto out;
    }
    if (len > (size_t)log->cfg.segment_bytes) {
        rc = KN_ERR_RECORD_LIST_TOO_LARGE;
        goto out;
    }
    int64_t now = kn_now_ms();
    int64_t append_time = log->cfg.log_append_time ? now : -1;
    int64_t first, next;
    /* Offsets: the leader assigns them; a follower's must continue ours. */
    if (leader) {
        first = next = log->log_end;
        for (size_t pos = 0; pos < len;) {
            kn_batch_hdr_t h;
            (void)kn_batch_hdr_parse(data + pos, len - pos, &h);
            kn_batch_set_base_offset(data + pos, next);
            if (leader_epoch >= 0) {
                kn_batch_set_leader_epoch(data + pos, leader_epoch);
            }
            if (append_time >= 0) {
                kn_batch_set_log_append_time(data + pos, append_time);
            }
            next += h.last_offset_delta + 1;
            pos += kn_batch_size(&h);
        }
    } else {
        first = info.first.base_offset;
        next = log->log_end;
        for (size_t pos = 0; pos < len;) {
            kn_batch_hdr_t h;
            (void)kn_batch_hdr_parse(data + pos, len - pos, &h);
            if (h.base_offset < next) {
                rc = KN_ERR_OFFSET_OUT_OF_RANGE;
                goto out;
            }
            next = kn_batch_last_offset(&h) + 1;
            pos += kn_batch_size(&h);
        }
    }
    int64_t last = next - 1;
    /* Roll first if this append would not fit the active segment. */
    bool roll = act->size > 0
                && (act->size + (int64_t)len > log->cfg.segment_bytes
                    || (log->cfg.segment_ms > 0 && now - act->created_ms >= log->cfg.segment_ms)
                    || act->oidx.entries + info.batches + 1
                       >= (int32_t)((size_t)log->cfg.segment_index_bytes / KN_TIDX_ENTRY)
                    || last - act->base_offset > INT32_MAX);
    if (roll) {
        rc = kn_log_roll_locked(log);
        if (rc != KN_ERR_NONE) {
            goto out;
        }
        act = log->segs[log->nsegs - 1];
    }
    if (kn_seg_ensure_open(act) != KN_OK) {
        rc = KN_ERR_KAFKA_STORAGE_ERROR;
        goto out;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t n = pwrite(act->fd, data + done, len - done, (off_t)(act->size + (int64_t)done));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            int e = n < 0 ? errno : ENOSPC;
            /* Cut off whatever part of the blob made it to the file, so
             * the log stays exactly as it was. */
            if (ftruncate(act->fd, (off_t)act->size) != 0) {
                kn_log_error("broker.log", "%s.log: cannot cut a failed write: %s",
                             act->base_path, strerror(errno));
            }
            kn_log_ratelimited(KN_LOG_ERROR, "broker.log", "append-io", 5000,
                               "%s.log: append of %zu bytes failed: %s", act->base_path, len,
                               strerror(e));
            rc = KN_ERR_KAFKA_STORAGE_ERROR;
            goto out;
        }
        done += (size_t)n;
    }
    int32_t interval = log->cfg.index_interval_bytes;
    for (size_t pos = 0; pos < len;) {
        kn_batch_hdr_t h;
        (void)kn_batch_hdr_parse(data + pos, len - pos, &h);
        kn_seg_index_batch(act, &h, act->size + (int64_t)pos, interval);
        if (!leader && h.leader_epoch >= 0) {
            kn_log_epoch_add(log, h.leader_epoch, h.base_offset);
        }
        pos += kn_batch_size(&h);
    }
    /* Publish: from here readers may see the new batches. */
    act->size += (int64_t)len;
    act->next_offset = next;
    act->dirty = true;
    log->log_end = next;
    int32_t epochs_before = log->nepochs;
    if (leader && leader_epoch >= 0) {
        kn_log_epoch_add(log, leader_epoch, first);
    }
    if (log->nepochs != epochs_before
        || (!leader && log->nepochs > 0 && info.first.leader_epoch >= 0
            && log->epochs[log->nepochs - 1].start_offset >= first)) {
        /* No fsync on the request path (KAFKA-15046): the file is replaced
         * in the page cache, which a killed broker keeps; kn_log_flush
         * makes it durable before the recovery point passes these
         * batches, and recovery re-reads epochs from the batches after
         * the recovery point. */
        (void)kn_log_epochs_save(log, false);
    }
    log->unflushed += info.records;
    bool flush = log->cfg.flush_messages > 0 && log->unflushed >= log->cfg.flush_messages;
    if (res) {
        res->base_offset = first;
        res->last_offset = last;
        res->log_append_time = append_time;
        res->log_start_offset = log->log_start;
        res->max_timestamp = append_time >= 0 ? append_time : info.max_timestamp;
        res->records = info.records;
    }
    pthread_mutex_unlock(&log->lock);
    if (flush) {
        (void)kn_log_flush(log);
    }
    return KN_ERR_NONE;
out:
    pthread_mutex_unlock(&log->lock);
    return rc;
}

/* ---- loading ---- */

static int kn_cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Base offsets of the "<20 digits>.log" files in dir; stray temporary and
 * ".deleted" files of an earlier run are removed. */
static int kn_log_list_segments(const char *dir, int64_t **bases, int *n)
{
    DIR *d = opendir(dir);
    if (d == NULL) {
        return KN_ERROR;
    }
    int cap = 8;
    *bases = kn_malloc((size_t)cap * sizeof(int64_t));
    *n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        size_t len = strlen(name);
        if ((len > 8 && strcmp(name + len - 8, ".deleted") == 0)
            || (len > 4 && strcmp(name + len - 4, ".tmp") == 0)) {
            char path[PATH_MAX];
            if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) < sizeof(path)) {
                (void)unlink(path);
            }
            continue;
        }
        if (len != 24 || strcmp(name + 20, ".log") != 0) {
            continue;
        }
        char *end;
        long long base = strtoll(name, &end, 10);
        if (end != name + 20 || base < 0) {
            continue;
        }
        if (*n == cap) {
            cap *= 2;
            *bases = kn_realloc(*bases, (size_t)cap * sizeof(int64_t));
        }
        (*bases)[(*n)++] = base;
    }
    closedir(d);
    qsort(*bases, (size_t)*n, sizeof(int64_t), kn_cmp_i64);
    return KN_OK;
}

/* After a clean shutdown: find the exact end of the last segment by
 * walking batch headers from its last index entry. */
static int kn_log_find_end(kn_log_t *log, kn_segment_t *s)
{
    if (kn_seg_ensure_open(s) != KN_OK) {
        return KN_ERROR;
    }
    int64_t pos = 0, next = s->base_offset;
    if (s->oidx.entries > 0) {
        int32_t rel, ipos;
        kn_oidx_entry(&s->oidx, s->oidx.entries - 1, &rel, &ipos);
        pos = ipos;
        next = s->base_offset + rel;
    }
    kn_batch_hdr_t h;
    while (pos < s->size) {
        if (kn_seg_read_hdr(s, pos, &h) != KN_OK || h.magic != KN_BATCH_MAGIC
            || pos + (int64_t)kn_batch_size(&h) > s->size || h.base_offset < next) {
            /* Should not happen after a clean shutdown: recover fully. */
            kn_log_warn("broker.log", "%s.log: unexpected tail at %" PRId64 ", recovering",
                        s->base_path, pos);
            return kn_seg_recover(s, true, log->cfg.index_interval_bytes) < 0 ? KN_ERROR : KN_OK;
        }
        next = kn_batch_last_offset(&h) + 1;
        pos += (int64_t)kn_batch_size(&h);
    }
    s->next_offset = next;
    return KN_OK;
}

kn_log_t *kn_log_load(kn_logmgr_t *m, int dir_index, const char *topic, int32_t partition,
                      const kn_log_config_t *cfg, bool clean, int64_t recovery_point,
                      int64_t log_start, int64_t hw)
{
    kn_log_t *log = kn_calloc(1, sizeof(*log));
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s-%d", kn_logmgr_dir(m, dir_index), topic, (int)partition);
    log->mgr = m;
    log->topic = kn_strdup(topic);
    log->partition = partition;
    log->dir = kn_strdup(path);
    log->dir_index = dir_index;
    log->cfg = *cfg;
    kn_log_config_sanitize(&log->cfg);
    pthread_mutex_init(&log->lock, NULL);
    atomic_init(&log->refs, 1);
    log->last_flush_ms = kn_mono_ms();
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        kn_log_error("broker.log", "%s: mkdir: %s", path, strerror(errno));
        goto fail;
    }
    int64_t *bases;
    int n;
    if (kn_log_list_segments(path, &bases, &n) != KN_OK) {
        goto fail;
    }
    for (int i = 0; i < n; i++) {
        kn_segment_t *s = kn_seg_new(log, bases[i]);
        char lp[PATH_MAX];
        struct stat st;
        snprintf(lp, sizeof(lp), "%s.log", s->base_path);
        s->size = stat(lp, &st) == 0 ? st.st_size : 0;
        s->max_ts = -2;   /* loaded lazily (retention, time lookup) */
        s->next_offset = i + 1 < n ? bases[i + 1] : bases[i];
        kn_log_push_seg(log, s);
    }
    free(bases);
    pthread_mutex_lock(&log->lock);
    /* Epochs first: recovery below adds those of the batches it re-scans
     * (only epochs above the latest known are taken). */
    bool epochs_lost = kn_log_epochs_load(log) == KN_DECLINED;
    if (log->nsegs == 0) {
        log->log_end = KN_MAX(log_start, 0);
        if (kn_log_roll_locked(log) != KN_ERR_NONE) {
            pthread_mutex_unlock(&log->lock);
            goto fail;
        }
        log->segs[0]->max_ts = -1;
    } else {
        kn_segment_t *last = log->segs[log->nsegs - 1];
        last->active = true;
        if (clean) {
            if (kn_log_find_end(log, last) != KN_OK) {
                pthread_mutex_unlock(&log->lock);
                goto fail;
            }
            if (epochs_lost) {
                kn_log_epochs_rebuild(log, log->nsegs);
            }
        } else {
            /* Unclean: re-validate every segment holding offsets at or
             * after the recovery point. */
            int k = kn_log_seg_index(log, KN_MAX(recovery_point, 0));
            if (epochs_lost) {
                kn_log_epochs_rebuild(log, k);
            }
            for (int i = k; i < log->nsegs; i++) {
                kn_segment_t *s = log->segs[i];
                int64_t cut = kn_seg_recover(s, true, log->cfg.index_interval_bytes);
                if (cut < 0) {
                    kn_log_error("broker.log", "%s.log: recovery failed: %s", s->base_path,
                                 strerror(errno));
                    pthread_mutex_unlock(&log->lock);
                    goto fail;
                }
                if (cut > 0 && i < log->nsegs - 1) {
                    /* Everything after a torn batch is unreachable. */
                    while (log->nsegs > i + 1) {
                        kn_log_warn("broker.log", "%s.log: removed after truncation",
                                    log->segs[log->nsegs - 1]->base_path);
                        kn_log_drop_segment(log, log->nsegs - 1);
                    }
                    (void)kn_seg_unseal(s, (size_t)log->cfg.segment_index_bytes);
                    break;
                }
            }
        }
        last = log->segs[log->nsegs - 1];
        log->log_end = last->next_offset;
    }
    log->log_start = KN_MIN(KN_MAX(log_start, log->segs[0]->base_offset), log->log_end);
    log->hw = hw < log->log_start ? log->log_start : KN_MIN(hw, log->log_end);
    log->recovery_point = KN_MIN(KN_MAX(recovery_point, 0), log->log_end);
    int before = log->nepochs;
    kn_log_epochs_truncate(log, log->log_end);
    if (!clean && (before > 0 || epochs_lost)) {
        /* Recovery may have added epochs too; the flush below makes the
         * file durable with the segments. */
        (void)kn_log_epochs_save(log, false);
    } else if (before != log->nepochs || epochs_lost) {
        (void)kn_log_epochs_save(log, true);
    }
    pthread_mutex_unlock(&log->lock);
    if (!clean) {
        /* What recovery validated is durable once fsynced; then the next
         * crash need not scan it again. */
        if (kn_log_flush(log) != KN_ERR_NONE) {
            kn_log_warn("broker.log", "%s: fsync after recovery failed", log->dir);
        }
    }
    return log;
fail:
    kn_log_free(log);
    return NULL;
}
