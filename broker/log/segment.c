/*
 * broker/log/segment.c -- one segment: "<base>.log" plus its ".index" and
 * ".timeindex".
 *
 * Files are opened lazily and may be closed again by the manager's LRU
 * (kn_seg_ensure_open / kn_seg_close_files), so ten thousand partitions fit
 * in an ordinary file-descriptor limit. Recovery (kn_seg_recover) walks the
 * file batch by batch, validating each one, rebuilds both indexes, and
 * truncates at the first batch that is torn, corrupt or out of order.
 * All functions run with the owning log's lock held.
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

/* Batches larger than this found on disk are taken for garbage unless the
 * topic allows bigger ones: it bounds what a corrupt length can allocate. */
#define KN_SEG_MAX_BATCH ((int64_t)128 * 1024 * 1024)
#define KN_SEG_READ_CHUNK ((size_t)1024 * 1024)

static void kn_seg_path(const kn_segment_t *s, char *buf, size_t len, const char *ext)
{
    snprintf(buf, len, "%s%s", s->base_path, ext);
}

kn_segment_t *kn_seg_new(kn_log_t *log, int64_t base_offset)
{
    kn_segment_t *s = kn_calloc(1, sizeof(*s));
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%020" PRId64, log->dir, base_offset);
    s->log = log;
    s->base_path = kn_strdup(path);
    s->base_offset = base_offset;
    s->next_offset = base_offset;
    s->max_ts = -1;
    s->max_ts_offset = base_offset;
    s->created_ms = kn_now_ms();
    s->fd = -1;
    s->oidx.fd = -1;
    s->tidx.fd = -1;
    s->oidx.entry_size = KN_OIDX_ENTRY;
    s->tidx.entry_size = KN_TIDX_ENTRY;
    atomic_init(&s->refs, 1);
    return s;
}

int kn_seg_create(kn_segment_t *s, size_t index_bytes)
{
    char path[PATH_MAX];
    kn_seg_path(s, path, sizeof(path), ".log");
    s->fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s->fd < 0) {
        return KN_ERROR;
    }
    kn_seg_path(s, path, sizeof(path), ".index");
    (void)unlink(path);   /* a stale index of an earlier life of this base */
    if (kn_index_open(&s->oidx, path, KN_OIDX_ENTRY, index_bytes) != KN_OK) {
        goto fail;
    }
    kn_seg_path(s, path, sizeof(path), ".timeindex");
    (void)unlink(path);
    if (kn_index_open(&s->tidx, path, KN_TIDX_ENTRY, index_bytes) != KN_OK) {
        goto fail;
    }
    s->active = true;
    s->indexes_known = true;
    s->log->dir_dirty = true;
    kn_logmgr_lru_touch(s->log->mgr, s);
    return KN_OK;
fail:
    kn_seg_close_files(s);
    kn_seg_path(s, path, sizeof(path), ".log");
    (void)unlink(path);
    return KN_ERROR;
}

void kn_seg_close_files(kn_segment_t *s)
{
    if (s->fd >= 0) {
        close(s->fd);
    }
    s->fd = -1;
    kn_index_close(&s->oidx);
    kn_index_close(&s->tidx);
}

void kn_seg_unref(kn_segment_t *s)
{
    if (atomic_fetch_sub(&s->refs, 1) == 1) {
        kn_seg_close_files(s);
        free(s->base_path);
        free(s);
    }
}

int kn_seg_read_hdr(kn_segment_t *s, int64_t pos, kn_batch_hdr_t *h)
{
    uint8_t buf[KN_BATCH_HEADER_SIZE];
    ssize_t n;
    do {
        n = pread(s->fd, buf, sizeof(buf), (off_t)pos);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof(buf)) {
        return KN_ERROR;
    }
    return kn_batch_hdr_parse(buf, sizeof(buf), h);
}

/* Does the last offset-index entry point at a batch with that offset? A
 * cheap check that catches an index garbled or left from another file. */
static bool kn_seg_index_sane(kn_segment_t *s)
{
    if (s->oidx.entries == 0) {
        return true;
    }
    int32_t rel, pos;
    kn_oidx_entry(&s->oidx, s->oidx.entries - 1, &rel, &pos);
    kn_batch_hdr_t h;
    return kn_seg_read_hdr(s, pos, &h) == KN_OK && h.base_offset == s->base_offset + rel;
}

int kn_seg_ensure_open(kn_segment_t *s)
{
    if (s->fd >= 0) {
        kn_logmgr_lru_touch(s->log->mgr, s);
        return KN_OK;
    }
    char path[PATH_MAX];
    kn_seg_path(s, path, sizeof(path), ".log");
    s->fd = open(path, O_RDWR | O_CLOEXEC);
    if (s->fd < 0) {
        kn_log_error("broker.log", "%s: open: %s", path, strerror(errno));
        return KN_ERROR;
    }
    size_t prealloc = s->active ? (size_t)s->log->cfg.segment_index_bytes : 0;
    struct stat st;
    kn_seg_path(s, path, sizeof(path), ".index");
    bool had_index = stat(path, &st) == 0;
    if (kn_index_open(&s->oidx, path, KN_OIDX_ENTRY, prealloc) != KN_OK) {
        goto fail;
    }
    kn_seg_path(s, path, sizeof(path), ".timeindex");
    had_index = had_index && stat(path, &st) == 0;
    if (kn_index_open(&s->tidx, path, KN_TIDX_ENTRY, prealloc) != KN_OK) {
        goto fail;
    }
    if (!s->indexes_known) {
        /* First open since startup: trust the index files only if they
         * look consistent; else rebuild them from the log. */
        bool ok = kn_index_scan_valid(&s->oidx, s->size);
        ok = kn_index_scan_valid(&s->tidx, INT64_MAX) && ok;
        ok = ok && kn_seg_index_sane(s);
        if (!had_index && s->size > 0) {
            ok = false;
        }
        s->indexes_known = true;
        if (!ok) {
            kn_log_warn("broker.log", "%s: index missing or inconsistent, rebuilding",
                        s->base_path);
            if (kn_seg_recover(s, false, s->log->cfg.index_interval_bytes) < 0) {
                goto fail;
            }
        }
    }
    kn_logmgr_lru_touch(s->log->mgr, s);
    return KN_OK;
fail:
    kn_seg_close_files(s);
    return KN_ERROR;
}

int kn_seg_find(kn_segment_t *s, int64_t offset, int64_t *pos_out, kn_batch_hdr_t *h)
{
    int64_t rel64 = offset - s->base_offset;
    int32_t target = rel64 < 0 ? 0 : (rel64 > INT32_MAX ? INT32_MAX : (int32_t)rel64);
    int32_t erel, epos;
    kn_oidx_lookup(&s->oidx, target, &erel, &epos);
    int64_t pos = epos;
    if (pos > 0 || erel > 0) {
        if (pos >= s->size || kn_seg_read_hdr(s, pos, h) != KN_OK
            || h->base_offset != s->base_offset + erel) {
            /* Garbled index (the load-time checks only sample it): rebuild
             * it from the log now and look up again. */
            kn_log_warn("broker.log", "%s.index: entry (%d, %d) does not match the log, "
                        "rebuilding the indexes", s->base_path, (int)erel, (int)epos);
            s->index_bad = true;
            int64_t keep_size = s->size, keep_next = s->next_offset;
            if (kn_seg_recover(s, false, s->log->cfg.index_interval_bytes) >= 0
                && s->size == keep_size) {
                s->next_offset = KN_MAX(s->next_offset, keep_next);
                kn_oidx_lookup(&s->oidx, target, &erel, &epos);
                pos = epos;
            } else {
                pos = 0;
            }
        }
    }
    while (pos < s->size) {
        if (kn_seg_read_hdr(s, pos, h) != KN_OK) {
            return KN_ERROR;
        }
        int64_t bsize = (int64_t)kn_batch_size(h);
        if (pos + bsize > s->size) {
            return KN_ERROR;
        }
        if (kn_batch_last_offset(h) >= offset) {
            *pos_out = pos;
            return KN_OK;
        }
        pos += bsize;
    }
    return KN_DECLINED;
}

void kn_seg_index_batch(kn_segment_t *s, const kn_batch_hdr_t *h, int64_t pos, int32_t interval)
{
    if (h->max_timestamp > s->max_ts) {
        s->max_ts = h->max_timestamp;
        s->max_ts_offset = h->base_offset;
    }
    if (s->bytes_since_index >= interval && s->oidx.fd >= 0) {
        /* A failed pwrite (disk full) just skips the entry: the index is a
         * hint, the next lookup scans a little further. */
        if (kn_oidx_append(&s->oidx, (int32_t)(h->base_offset - s->base_offset),
                           (int32_t)pos) == KN_OK) {
            s->bytes_since_index = 0;
        }
        int64_t last_ts = -1;
        if (s->tidx.entries > 0) {
            int32_t r;
            kn_tidx_entry(&s->tidx, s->tidx.entries - 1, &last_ts, &r);
        }
        if (s->max_ts > last_ts) {
            (void)kn_tidx_append(&s->tidx, s->max_ts,
                                 (int32_t)(s->max_ts_offset - s->base_offset));
        }
    }
    s->bytes_since_index += (int32_t)KN_MIN(kn_batch_size(h), (size_t)INT32_MAX / 2);
}

/* Sequential reader over the file for recovery: one 1 MiB read serves
 * many batches. */
typedef struct {
    int      fd;
    uint8_t *buf;
    size_t   cap;
    int64_t  start;   /* file position of buf[0] */
    size_t   len;     /* valid bytes in buf */
} kn_seg_reader_t;

static const uint8_t *kn_seg_reader_get(kn_seg_reader_t *r, int64_t pos, size_t n)
{
    if (pos >= r->start && pos + (int64_t)n <= r->start + (int64_t)r->len) {
        return r->buf + (pos - r->start);
    }
    if (n > r->cap) {
        r->cap = n;
        r->buf = kn_realloc(r->buf, r->cap);
    }
    size_t got = 0;
    while (got < r->cap) {
        ssize_t k = pread(r->fd, r->buf + got, r->cap - got, (off_t)(pos + (int64_t)got));
        if (k < 0 && errno == EINTR) {
            continue;
        }
        if (k <= 0) {
            break;
        }
        got += (size_t)k;
    }
    r->start = pos;
    r->len = got;
    return got >= n ? r->buf : NULL;
}

int64_t kn_seg_recover(kn_segment_t *s, bool validate, int32_t interval)
{
    kn_log_t *log = s->log;
    char path[PATH_MAX];
    if (s->fd < 0) {
        kn_seg_path(s, path, sizeof(path), ".log");
        s->fd = open(path, O_RDWR | O_CLOEXEC);
        if (s->fd < 0) {
            return KN_ERROR;
        }
        kn_seg_path(s, path, sizeof(path), ".index");
        if (kn_index_open(&s->oidx, path, KN_OIDX_ENTRY, 0) != KN_OK) {
            kn_seg_close_files(s);
            return KN_ERROR;
        }
        kn_seg_path(s, path, sizeof(path), ".timeindex");
        if (kn_index_open(&s->tidx, path, KN_TIDX_ENTRY, 0) != KN_OK) {
            kn_seg_close_files(s);
            return KN_ERROR;
        }
        kn_logmgr_lru_touch(log->mgr, s);
    }
    struct stat st;
    if (fstat(s->fd, &st) != 0) {
        return KN_ERROR;
    }
    int64_t file_size = st.st_size;
    /* Start both indexes afresh, preallocated for the rebuild. */
    size_t ibytes = (size_t)log->cfg.segment_index_bytes;
    s->oidx.entries = 0;
    s->tidx.entries = 0;
    if (kn_index_resize(&s->oidx, 0) != KN_OK || kn_index_resize(&s->oidx, ibytes) != KN_OK
        || kn_index_resize(&s->tidx, 0) != KN_OK || kn_index_resize(&s->tidx, ibytes) != KN_OK) {
        return KN_ERROR;
    }
    s->indexes_known = true;
    s->index_bad = false;
    s->max_ts = -1;
    s->max_ts_offset = s->base_offset;
    s->bytes_since_index = 0;
    s->next_offset = s->base_offset;

    int64_t max_batch = KN_MAX(KN_SEG_MAX_BATCH, (int64_t)log->cfg.max_message_bytes + 1024);
    kn_seg_reader_t rd = { s->fd, kn_malloc(KN_SEG_READ_CHUNK), KN_SEG_READ_CHUNK, 0, 0 };
    int64_t pos = 0;
    const char *why = NULL;
    while (pos < file_size) {
        const uint8_t *p = kn_seg_reader_get(&rd, pos, KN_BATCH_HEADER_SIZE);
        kn_batch_hdr_t h;
        if (p == NULL || kn_batch_hdr_parse(p, KN_BATCH_HEADER_SIZE, &h) != KN_OK) {
            why = "torn or invalid batch header";
            break;
        }
        int64_t bsize = (int64_t)kn_batch_size(&h);
        if (bsize > max_batch || pos + bsize > file_size) {
            why = "batch extends past the end of the file";
            break;
        }
        if (h.base_offset < s->next_offset || h.last_offset_delta < 0
            || h.base_offset > INT64_MAX - h.last_offset_delta
            || kn_batch_last_offset(&h) - s->base_offset > INT32_MAX) {
            why = "batch offsets out of order";
            break;
        }
        if (validate) {
            p = kn_seg_reader_get(&rd, pos, (size_t)bsize);
            kn_err_t rc = p ? kn_batch_validate(p, (size_t)bsize, KN_BATCH_CHECK_ALL, &h)
                            : KN_ERR_CORRUPT_MESSAGE;
            if (rc != KN_ERR_NONE) {
                why = kn_err_name(rc);
                break;
            }
        } else if (h.magic != KN_BATCH_MAGIC) {
            why = "bad magic";
            break;
        }
        kn_seg_index_batch(s, &h, pos, interval);
        if (validate && h.leader_epoch >= 0) {
            /* Crash recovery: the epochs of batches appended after the
             * last flush may be missing from leader-epoch-checkpoint. */
            kn_log_epoch_add(log, h.leader_epoch, h.base_offset);
        }
        s->next_offset = kn_batch_last_offset(&h) + 1;
        pos += bsize;
    }
    free(rd.buf);
    int64_t truncated = file_size - pos;
    if (truncated > 0) {
        kn_log_warn("broker.log", "%s.log: truncating %" PRId64 " bytes at position %" PRId64
                    " (offset %" PRId64 "): %s", s->base_path, truncated, pos, s->next_offset,
                    why ? why : "?");
        if (ftruncate(s->fd, (off_t)pos) != 0) {
            return KN_ERROR;
        }
    }
    s->size = pos;
    s->dirty = true;
    if (!s->active) {
        kn_seg_seal(s);
    }
    return truncated;
}

void kn_seg_seal(kn_segment_t *s)
{
    if (s->fd < 0 && kn_seg_ensure_open(s) != KN_OK) {
        s->active = false;
        return;
    }
    int64_t last_ts = -1;
    if (s->tidx.entries > 0) {
        int32_t r;
        kn_tidx_entry(&s->tidx, s->tidx.entries - 1, &last_ts, &r);
    }
    /* The final time-index entry records the segment's largest timestamp,
     * which retention reads after a restart. */
    if (s->max_ts >= 0 && s->max_ts > last_ts) {
        (void)kn_tidx_append(&s->tidx, s->max_ts, (int32_t)(s->max_ts_offset - s->base_offset));
    }
    (void)kn_index_resize(&s->oidx, (size_t)s->oidx.entries * KN_OIDX_ENTRY);
    (void)kn_index_resize(&s->tidx, (size_t)s->tidx.entries * KN_TIDX_ENTRY);
    s->active = false;
}

int kn_seg_unseal(kn_segment_t *s, size_t index_bytes)
{
    s->active = true;
    if (kn_seg_ensure_open(s) != KN_OK) {
        return KN_ERROR;
    }
    if (kn_index_resize(&s->oidx, index_bytes) != KN_OK
        || kn_index_resize(&s->tidx, index_bytes) != KN_OK) {
        return KN_ERROR;
    }
    return KN_OK;
}

/* Largest batch timestamp in [0, size) by walking headers. */
static void kn_seg_rescan_max_ts(kn_segment_t *s)
{
    s->max_ts = -1;
    s->max_ts_offset = s->base_offset;
    int64_t pos = 0;
    kn_batch_hdr_t h;
    while (pos < s->size && kn_seg_read_hdr(s, pos, &h) == KN_OK) {
        if (h.max_timestamp > s->max_ts) {
            s->max_ts = h.max_timestamp;
            s->max_ts_offset = h.base_offset;
        }
        pos += (int64_t)kn_batch_size(&h);
    }
}

int kn_seg_truncate(kn_segment_t *s, int64_t pos, int64_t next)
{
    if (kn_seg_ensure_open(s) != KN_OK) {
        return KN_ERROR;
    }
    if (ftruncate(s->fd, (off_t)pos) != 0) {
        return KN_ERROR;
    }
    int32_t rel = (int32_t)KN_MIN(next - s->base_offset, (int64_t)INT32_MAX);
    kn_oidx_truncate(&s->oidx, rel);
    kn_tidx_truncate(&s->tidx, rel);
    s->size = pos;
    s->next_offset = next;
    s->bytes_since_index = 0;
    kn_seg_rescan_max_ts(s);
    return KN_OK;
}

int kn_seg_rename_deleted(kn_segment_t *s)
{
    static const char *const exts[] = { ".log", ".index", ".timeindex" };
    int rc = KN_OK;
    for (size_t i = 0; i < KN_ARRAY_LEN(exts); i++) {
        char from[PATH_MAX], to[PATH_MAX];
        kn_seg_path(s, from, sizeof(from), exts[i]);
        if ((size_t)snprintf(to, sizeof(to), "%s.deleted", from) >= sizeof(to)
            || (rename(from, to) != 0 && errno != ENOENT)) {
            rc = KN_ERROR;
        }
    }
    return rc;
}

void kn_seg_unlink(kn_segment_t *s)
{
    static const char *const exts[] = { ".log.deleted", ".index.deleted", ".timeindex.deleted" };
    for (size_t i = 0; i < KN_ARRAY_LEN(exts); i++) {
        char path[PATH_MAX];
        kn_seg_path(s, path, sizeof(path), exts[i]);
        (void)unlink(path);
    }
}

int64_t kn_seg_max_ts(kn_segment_t *s)
{
    if (s->max_ts != -2) {
        return s->max_ts;
    }
    if (kn_seg_ensure_open(s) != KN_OK) {
        return -1;
    }
    if (s->max_ts != -2) {
        return s->max_ts;   /* a rebuild during open computed it */
    }
    s->max_ts = -1;
    if (s->tidx.entries > 0) {
        int32_t rel;
        kn_tidx_entry(&s->tidx, s->tidx.entries - 1, &s->max_ts, &rel);
        s->max_ts_offset = s->base_offset + rel;
    } else {
        /* No timestamps indexed: fall back to the file's mtime, as Kafka
         * does for segments without timestamps. */
        struct stat st;
        if (fstat(s->fd, &st) == 0) {
            s->max_ts = (int64_t)st.st_mtime * 1000;
        }
    }
    return s->max_ts;
}
