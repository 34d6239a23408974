/*
 * broker/log/log_int.h -- private structures of the storage engine, shared
 * by its rooms: index.c (offset and time indexes), segment.c (one
 * .log/.index/.timeindex triple), log.c (a partition), logread.c (reads and
 * timestamp lookup), logmaint.c (truncation, retention, flush, recovery),
 * logmgr.c (log dirs, checkpoints, LRU of open files), checkpoint.c
 * (atomic small files). Nothing outside broker/log/ includes this.
 *
 * Locking: log->lock guards everything in a kn_log_t and its segments
 * (segment fields included). mgr->lru_lock guards the LRU list of open
 * segments; it may be taken while holding a log lock, and an evictor
 * holding it only ever *trylocks* another log's lock, so the order never
 * deadlocks. mgr->lock guards the partition table and the deletion queue.
 */
#ifndef KN_BROKER_LOG_INT_H
#define KN_BROKER_LOG_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "broker/log/log.h"

#define KN_OIDX_ENTRY 8    /* int32 relative offset, int32 position */
#define KN_TIDX_ENTRY 12   /* int64 timestamp, int32 relative offset */

/* A memory-mapped index file. Entries are stored into the map, but only
 * into space already allocated with fallocate (64 KiB at a time), so a
 * full disk is an error return, never a SIGBUS on a store into a hole;
 * where fallocate is unsupported entries go through pwrite. */
typedef struct {
    int       fd;            /* -1 when closed */
    uint8_t  *map;           /* NULL when closed or empty */
    size_t    map_len;       /* bytes mapped (file length) */
    size_t    alloc_upto;    /* bytes known to be allocated on disk */
    bool      no_falloc;     /* fallocate unsupported: pwrite entries */
    int32_t   entries;       /* valid entries */
    int       entry_size;    /* KN_OIDX_ENTRY or KN_TIDX_ENTRY */
} kn_index_t;

typedef struct kn_segment_s kn_segment_t;
struct kn_segment_s {
    kn_log_t     *log;
    char         *base_path;      /* "<dir>/<20 digits>" without extension */
    int64_t       base_offset;
    int64_t       next_offset;    /* offset after the last batch (published) */
    int64_t       size;           /* bytes of complete batches (published) */
    int64_t       max_ts;         /* largest batch maxTimestamp, -1 none, -2 unknown */
    int64_t       max_ts_offset;  /* base offset of the batch holding max_ts */
    int64_t       created_ms;     /* wall clock at creation (segment.ms roll) */
    int32_t       bytes_since_index;
    int           fd;             /* .log, -1 when closed (LRU) */
    kn_index_t    oidx, tidx;
    bool          active;         /* last segment: indexes preallocated */
    bool          indexes_known;  /* entry counts computed (no re-check on reopen) */
    bool          dirty;          /* written since last fsync */
    bool          index_bad;      /* index found inconsistent: rebuild before use */
    atomic_int    refs;           /* 1 for the log + 1 per pinned read */
    int64_t       delete_at_ms;   /* when queued for deletion */
    kn_segment_t *lru_prev, *lru_next;
    bool          in_lru;
    kn_segment_t *del_next;       /* deletion queue link */
};

typedef struct {
    int32_t epoch;
    int64_t start_offset;
} kn_epoch_entry_t;

struct kn_log_s {
    kn_logmgr_t      *mgr;
    char             *topic;
    int32_t           partition;
    char             *dir;          /* partition directory */
    int               dir_index;    /* which of mgr->dirs */
    pthread_mutex_t   lock;
    atomic_int        refs;
    kn_log_config_t   cfg;
    kn_segment_t    **segs;         /* sorted by base offset; last = active */
    int               nsegs, cap_segs;
    int64_t           log_start;
    int64_t           log_end;
    int64_t           hw;
    int64_t           recovery_point;
    int64_t           unflushed;    /* records appended since the last fsync */
    int64_t           last_flush_ms;
    bool              dir_dirty;    /* a file was created/renamed: fsync the dir */
    bool              deleted;
    kn_epoch_entry_t *epochs;
    int               nepochs, cap_epochs;
    bool              epochs_unsynced; /* leader-epoch-checkpoint written, not fsynced */
    kn_log_t         *hnext;        /* partition table chain */
};

struct kn_logmgr_s {
    char            **dirs;
    size_t            ndirs;
    int              *dir_parts;     /* partitions per dir (placement) */
    int32_t           broker_id;
    kn_log_config_t   defaults;
    pthread_mutex_t   lock;          /* table, deletion queue */
    kn_log_t        **table;
    size_t            nbuckets, nlogs;
    kn_segment_t     *del_queue;     /* segments renamed .deleted, to unlink */
    struct kn_deldir_s *del_dirs;    /* deleted partition dirs, to remove */
    pthread_mutex_t   lru_lock;
    kn_segment_t     *lru_head, *lru_tail;
    int               lru_count, lru_max;
    int64_t           last_checkpoint_ms;
};

/* ---- index.c ---- */
int  kn_index_open(kn_index_t *ix, const char *path, int entry_size, size_t prealloc);
void kn_index_close(kn_index_t *ix);
/* Count the valid entries of a freshly opened file: entries must increase
 * strictly in relative offset (and position / timestamp), and positions stay
 * below log_size. Returns true if the whole file was consistent. */
bool kn_index_scan_valid(kn_index_t *ix, int64_t log_size);
int  kn_oidx_append(kn_index_t *ix, int32_t rel, int32_t pos);
int  kn_tidx_append(kn_index_t *ix, int64_t ts, int32_t rel);
/* Largest entry with rel <= target: its (rel, pos); (0, 0) if none. */
void kn_oidx_lookup(const kn_index_t *ix, int32_t target, int32_t *rel, int32_t *pos);
/* Largest entry with position <= pos. */
void kn_oidx_lookup_pos(const kn_index_t *ix, int64_t pos, int32_t *rel, int32_t *epos);
/* Largest entry with timestamp < ts: its relative offset, or 0. */
int32_t kn_tidx_lookup(const kn_index_t *ix, int64_t ts);
void kn_oidx_entry(const kn_index_t *ix, int32_t i, int32_t *rel, int32_t *pos);
void kn_tidx_entry(const kn_index_t *ix, int32_t i, int64_t *ts, int32_t *rel);
/* Drop entries with rel >= rel_limit. */
void kn_oidx_truncate(kn_index_t *ix, int32_t rel_limit);
void kn_tidx_truncate(kn_index_t *ix, int32_t rel_limit);
/* Resize the file to `bytes` (entries beyond are lost) and remap. */
int  kn_index_resize(kn_index_t *ix, size_t bytes);
int  kn_index_fsync(kn_index_t *ix);

/* ---- segment.c ---- */
kn_segment_t *kn_seg_new(kn_log_t *log, int64_t base_offset);
/* Create the files of a new (active) segment. */
int  kn_seg_create(kn_segment_t *s, size_t index_bytes);
/* Open fds / maps if closed (LRU); log lock held. */
int  kn_seg_ensure_open(kn_segment_t *s);
/* Close fds and maps (LRU eviction, shutdown). */
void kn_seg_close_files(kn_segment_t *s);
void kn_seg_unref(kn_segment_t *s);
/* Read the 61-byte header of the batch at pos (pread). KN_OK/KN_ERROR. */
int  kn_seg_read_hdr(kn_segment_t *s, int64_t pos, kn_batch_hdr_t *h);
/* Position of the batch containing offset (or the first batch after it),
 * from pos_out; *h its header. KN_OK, or KN_DECLINED if no such batch. */
int  kn_seg_find(kn_segment_t *s, int64_t offset, int64_t *pos_out, kn_batch_hdr_t *h);
/* Rebuild both indexes (and size/next_offset/max_ts) by scanning the file;
 * validate = full batch validation. Stops at the first bad batch and
 * truncates the file there. Returns bytes truncated (>= 0) or KN_ERROR. */
int64_t kn_seg_recover(kn_segment_t *s, bool validate, int32_t index_interval);
/* Index bookkeeping after a batch was written at pos. */
void kn_seg_index_batch(kn_segment_t *s, const kn_batch_hdr_t *h, int64_t pos, int32_t interval);
/* Make inactive: final timeindex entry, trim indexes to their entries. */
void kn_seg_seal(kn_segment_t *s);
/* Make active again (after truncation): preallocate indexes. */
int  kn_seg_unseal(kn_segment_t *s, size_t index_bytes);
/* Truncate to file position pos whose first offset is next (drop later
 * batches and index entries). */
int  kn_seg_truncate(kn_segment_t *s, int64_t pos, int64_t next);
/* Rename files to "*.deleted"; returns KN_OK/KN_ERROR. */
int  kn_seg_rename_deleted(kn_segment_t *s);
void kn_seg_unlink(kn_segment_t *s);
/* Largest timestamp, loading it lazily from the time index / mtime. */
int64_t kn_seg_max_ts(kn_segment_t *s);

/* ---- logmgr.c (used by segment.c / log*.c) ---- */
void kn_logmgr_lru_touch(kn_logmgr_t *m, kn_segment_t *s);
void kn_logmgr_lru_remove(kn_logmgr_t *m, kn_segment_t *s);
void kn_logmgr_queue_delete(kn_logmgr_t *m, kn_segment_t *s);
const char *kn_logmgr_dir(kn_logmgr_t *m, int i);

/* ---- log.c / logmaint.c ---- */
kn_log_t *kn_log_load(kn_logmgr_t *m, int dir_index, const char *topic, int32_t partition,
                      const kn_log_config_t *cfg, bool clean, int64_t recovery_point,
                      int64_t log_start, int64_t hw);
void kn_log_free(kn_log_t *log);
/* Remove segs[i] from the log and queue its files for deletion (lock held). */
void kn_log_drop_segment(kn_log_t *log, int i);
/* Append a new empty active segment at log_end (lock held). */
kn_err_t kn_log_roll_locked(kn_log_t *log);
int  kn_log_seg_index(kn_log_t *log, int64_t offset);
void kn_log_epochs_truncate(kn_log_t *log, int64_t end);
/* Record that `epoch` starts at `start` (ignored unless above the latest). */
void kn_log_epoch_add(kn_log_t *log, int32_t epoch, int64_t start);
/* Read leader-epoch-checkpoint; KN_DECLINED if it is missing or unreadable. */
int  kn_log_epochs_load(kn_log_t *log);
/* Write leader-epoch-checkpoint from memory (lock held). sync: durable
 * before returning; else only replaced in the page cache, and the next
 * kn_log_flush fsyncs it before the recovery point moves past it. */
int  kn_log_epochs_save(kn_log_t *log, bool sync);
/* Close everything for shutdown (trims the active indexes; no fsync). */
void kn_log_shutdown(kn_log_t *log);
/* After the manager synced the filesystem: everything is durable. */
void kn_log_mark_flushed(kn_log_t *log);

/* ---- checkpoint.c ---- */
/* Write path atomically: temp file, fsync, rename, fsync dir. */
int kn_file_write_atomic(const char *path, const void *data, size_t len);
/* The same; with sync false only temp file + rename (no fsync at all). */
int kn_file_write_replace(const char *path, const void *data, size_t len, bool sync);
/* Read a whole small file (<= max bytes) into a NUL-terminated heap string. */
char *kn_file_read_small(const char *path, size_t max, size_t *len);
int kn_fsync_dir(const char *dir);

typedef struct {
    char   *topic;
    int32_t partition;
    int64_t offset;
} kn_ckpt_entry_t;
/* Kafka's checkpoint format: "0\n<n>\n<topic> <partition> <offset>\n"... */
int kn_ckpt_read(const char *path, kn_ckpt_entry_t **out, size_t *n);
int kn_ckpt_write(const char *path, const kn_ckpt_entry_t *e, size_t n);
void kn_ckpt_free(kn_ckpt_entry_t *e, size_t n);

#endif /* KN_BROKER_LOG_INT_H */
