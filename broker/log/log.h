/*
 * broker/log/log.h -- the broker's storage engine: partition logs on disk.
 *
 * Kafka's on-disk model. A log manager (kn_logmgr_t) owns the directories of
 * log.dirs; each partition is a directory "<topic>-<partition>" in one of
 * them holding segments "<20-digit base offset>.log" (v2 record batches,
 * stored exactly as produced) with a sparse ".index" (relative offset ->
 * file position, one entry per index.interval.bytes) and a ".timeindex"
 * (timestamp -> offset), plus "leader-epoch-checkpoint". Each log dir holds
 * "meta.properties", "recovery-point-offset-checkpoint",
 * "log-start-offset-checkpoint" and, after a clean shutdown,
 * ".kafka_cleanshutdown".
 *
 * Threading: every function here is thread-safe. Appends to one partition
 * serialise on a per-partition mutex; reads run concurrently with appends
 * and never see a partially written batch (the end offset / file position
 * a reader may use is published only after the write completed).
 *
 * Lifetime: kn_logmgr_get()/kn_logmgr_create() return a counted reference
 * to a kn_log_t that the caller gives back with kn_log_release(); deleting
 * the partition meanwhile is safe (the object lives until the last
 * release; operations on a deleted log fail with
 * KN_ERR_UNKNOWN_TOPIC_OR_PARTITION, reads already handed out stay valid).
 *
 * Errors: kn_err_t Kafka codes, KN_ERR_NONE on success. Disk errors
 * (ENOSPC, EIO) are KN_ERR_KAFKA_STORAGE_ERROR and leave the log as it
 * was before the call.
 */
#ifndef KN_BROKER_LOG_H
#define KN_BROKER_LOG_H

#include <sys/types.h>

#include "buf.h"
#include "kn.h"
#include "record/batch.h"

typedef struct kn_logmgr_s kn_logmgr_t;
typedef struct kn_log_s kn_log_t;

/* Per-log (topic-level) configuration; Kafka's topic keys in comments. A
 * value of -1 means "unlimited / never" where noted. */
typedef struct {
    int64_t segment_bytes;        /* segment.bytes (log.segment.bytes), 1 GiB */
    int64_t segment_ms;           /* segment.ms (log.roll.ms), 7 days */
    int64_t retention_ms;         /* retention.ms, 7 days; -1 = forever */
    int64_t retention_bytes;      /* retention.bytes, -1 = unlimited */
    int32_t index_interval_bytes; /* index.interval.bytes, 4096 */
    int32_t segment_index_bytes;  /* segment.index.bytes (index preallocation), 10 MiB */
    int64_t flush_messages;       /* flush.messages, -1 = never force fsync */
    int64_t flush_ms;             /* flush.ms, -1 = never force fsync */
    bool    log_append_time;      /* message.timestamp.type=LogAppendTime */
    int32_t max_message_bytes;    /* max.message.bytes (largest batch), 1048588 */
    bool    cleanup_delete;       /* cleanup.policy contains "delete" (retention runs) */
    bool    cleanup_compact;      /* cleanup.policy contains "compact" (cleaner: not yet) */
    int64_t file_delete_delay_ms; /* file.delete.delay.ms, 60000 */
} kn_log_config_t;

/* Fill c with Kafka's defaults (listed above). */
void kn_log_config_defaults(kn_log_config_t *c);

typedef struct {
    const char *const *dirs;      /* log.dirs (created if missing) */
    size_t       ndirs;
    int32_t      broker_id;       /* written to / checked against meta.properties */
    const char  *cluster_id;      /* idem; NULL = not known yet (not checked) */
    int          max_open_segments; /* LRU cap on open segments (fd + index maps);
                                     * 0 = derived from RLIMIT_NOFILE */
    kn_log_config_t defaults;     /* for kn_logmgr_create(..., NULL, ...) */
} kn_logmgr_opts_t;

/* Open the log dirs: write or check meta.properties, load every partition
 * directory found (recovering them after an unclean shutdown: batches
 * after the recovery point are re-validated, indexes rebuilt, a torn tail
 * truncated and logged). err gets a message on failure. KN_OK / KN_ERROR. */
int kn_logmgr_open(const kn_logmgr_opts_t *opts, kn_logmgr_t **out, char *err, size_t errlen);

/* Clean shutdown: flush every log, write the checkpoints and the
 * clean-shutdown marker, free everything. Outstanding kn_log_t references
 * must have been released. */
void kn_logmgr_close(kn_logmgr_t *m);

/* The partition's log, as a new reference, or NULL if it does not exist. */
kn_log_t *kn_logmgr_get(kn_logmgr_t *m, const char *topic, int32_t partition);

/* Get or create the partition's log (cfg NULL = the manager's defaults; an
 * existing log keeps its config unless cfg is given). The directory goes to
 * the log dir with the fewest partitions. *out is a new reference.
 * Errors: KN_ERR_INVALID_TOPIC_EXCEPTION (bad name), KN_ERR_KAFKA_STORAGE_ERROR. */
kn_err_t kn_logmgr_create(kn_logmgr_t *m, const char *topic, int32_t partition,
                          const kn_log_config_t *cfg, kn_log_t **out);

/* Delete the partition: its directory is renamed "<topic>-<p>.<id>-delete"
 * at once and removed by a later kn_logmgr_tick() (Kafka's way).
 * KN_ERR_UNKNOWN_TOPIC_OR_PARTITION if it does not exist. */
kn_err_t kn_logmgr_delete(kn_logmgr_t *m, const char *topic, int32_t partition);

/* Call every partition (e.g. for the partition manager at startup); the log
 * pointer is valid during the callback only (take kn_log_ref to keep it). */
typedef void (*kn_logmgr_each_cb)(void *ud, kn_log_t *log);
void kn_logmgr_foreach(kn_logmgr_t *m, kn_logmgr_each_cb cb, void *ud);
size_t kn_logmgr_count(kn_logmgr_t *m);

/* Housekeeping, to be called from a timer (once a second is fine), never on
 * the append path: retention by time and size, flush.ms, removal of
 * ".deleted" segments and deleted partition directories (after
 * file.delete.delay.ms), and the recovery-point / log-start-offset /
 * replication-offset (high watermark) checkpoints once a minute. Segments
 * roll by segment.ms on the next append, as in Kafka. Returns the number
 * of segments deleted by retention. */
int kn_logmgr_tick(kn_logmgr_t *m, int64_t now_ms);

/* Write both checkpoint files of every log dir now (atomic: temp, fsync,
 * rename, fsync dir). KN_OK / KN_ERROR. */
int kn_logmgr_checkpoint(kn_logmgr_t *m);

/* ---- one partition ---- */

kn_log_t *kn_log_ref(kn_log_t *log);
void kn_log_release(kn_log_t *log);

const char *kn_log_topic(const kn_log_t *log);
int32_t kn_log_partition(const kn_log_t *log);
const char *kn_log_dir(const kn_log_t *log);      /* the partition directory */

void kn_log_get_config(kn_log_t *log, kn_log_config_t *out);
/* Reconfigure (AlterConfigs); applies to the next append / tick. */
void kn_log_set_config(kn_log_t *log, const kn_log_config_t *cfg);

/* Append flags. */
#define KN_LOG_APPEND_LEADER   0x1  /* assign offsets (leader/produce path) */
#define KN_LOG_APPEND_REPLICA  0x0  /* keep the batches' offsets (follower):
                                     * they must increase and not start below
                                     * the log end (a gap is allowed, as after
                                     * compaction on the leader) */

typedef struct {
    int64_t base_offset;       /* first offset written */
    int64_t last_offset;       /* last offset written */
    int64_t log_append_time;   /* the time stamped into batches, -1 for CreateTime */
    int64_t log_start_offset;  /* after the append */
    int64_t max_timestamp;     /* largest timestamp appended */
    int64_t records;           /* number of records appended */
} kn_log_append_result_t;

/* Append the batches in data[0..len) (a Produce "records" blob or a
 * replica fetch response's records). Every batch is validated first (CRC,
 * record count, framing, magic 2, size <= max.message.bytes); if any is
 * bad nothing is appended. With KN_LOG_APPEND_LEADER the baseOffsets are
 * rewritten in place (data is modified), leader_epoch (>= 0) is stamped
 * into partitionLeaderEpoch, and LogAppendTime topics get their timestamps
 * set. Rolls the segment by size/time first if needed; applies
 * flush.messages. Errors: CORRUPT_MESSAGE, INVALID_RECORD,
 * UNSUPPORTED_VERSION, UNSUPPORTED_COMPRESSION_TYPE, MESSAGE_TOO_LARGE,
 * OFFSET_OUT_OF_RANGE (replica append not at log end),
 * KAFKA_STORAGE_ERROR, UNKNOWN_TOPIC_OR_PARTITION (deleted). res may be NULL. */
kn_err_t kn_log_append(kn_log_t *log, uint8_t *data, size_t len, unsigned flags,
                       int32_t leader_epoch, kn_log_append_result_t *res);

/* A file range ready for sendfile(2): holds a reference on the segment, so
 * the fd stays valid (even if the segment is deleted meanwhile) until
 * kn_log_read_release(). len may be 0 (nothing to read yet). */
typedef struct {
    int     fd;              /* -1 when len == 0 */
    off_t   pos;             /* file position of the first byte */
    size_t  len;             /* bytes, whole batches only (see min_one) */
    int64_t first_offset;    /* base offset of the first batch in the range */
    int64_t next_offset;     /* offset after the last batch in the range */
    void   *seg;             /* private: the pinned segment */
} kn_log_range_t;

/* Find the batches starting with the one containing `offset`: at most
 * max_bytes of whole batches (but always the first batch when min_one is
 * true, as Fetch v3+ requires; when it is false and the first batch does
 * not fit, len is 0), and only batches whose last offset is below
 * max_offset (the high watermark for consumers, the log end for
 * followers; -1 = log end). The range never spans segments: call again
 * from next_offset. Errors: KN_ERR_OFFSET_OUT_OF_RANGE when offset is
 * below the log start or above the log end (offset == log end returns
 * len 0), KN_ERR_KAFKA_STORAGE_ERROR. Always call kn_log_read_release()
 * on success. */
kn_err_t kn_log_read(kn_log_t *log, int64_t offset, size_t max_bytes, int64_t max_offset,
                     bool min_one, kn_log_range_t *out);
void kn_log_read_release(kn_log_range_t *r);

/* Copy-out path (TLS connections, internal readers): like kn_log_read but
 * appends the bytes to out, crossing segments until max_bytes. *next_offset
 * (may be NULL) gets the offset after the last batch copied. */
kn_err_t kn_log_read_copy(kn_log_t *log, int64_t offset, size_t max_bytes, int64_t max_offset,
                          bool min_one, kn_wbuf_t *out, int64_t *next_offset);

/* ListOffsets special timestamps. */
#define KN_LOG_TS_LATEST   (-1)  /* log end offset */
#define KN_LOG_TS_EARLIEST (-2)  /* log start offset */
#define KN_LOG_TS_MAX      (-3)  /* offset of the record with the largest timestamp */

/* Offset of the first record whose timestamp is >= ts (or a special ts
 * above). *found_offset = -1 and *found_ts = -1 when no record is that
 * recent (Kafka answers offset -1). found_ts may be NULL. */
kn_err_t kn_log_offset_for_time(kn_log_t *log, int64_t ts, int64_t *found_offset,
                                int64_t *found_ts);

int64_t kn_log_start_offset(kn_log_t *log);
int64_t kn_log_end_offset(kn_log_t *log);
int64_t kn_log_size_bytes(kn_log_t *log);       /* sum of segment sizes */
int     kn_log_segment_count(kn_log_t *log);
int64_t kn_log_recovery_point(kn_log_t *log);   /* offsets below are fsynced */

/* High watermark: stored here for the caller (replica manager), never
 * computed here. Starts at the checkpointed value or the log start. */
int64_t kn_log_high_watermark(kn_log_t *log);
void kn_log_set_high_watermark(kn_log_t *log, int64_t hw);

/* Leader epochs (KIP-101), kept in "leader-epoch-checkpoint": the latest
 * epoch seen (-1 if none), and for OffsetForLeaderEpoch the end offset of
 * `epoch`: the log end for the latest epoch, else the start offset of the
 * first higher epoch, with *end_epoch the largest known epoch <= `epoch`
 * (or `epoch` itself when it is below every known one). An epoch above
 * the latest, or no epochs at all: *end_epoch = -1, *end_offset = -1
 * (Kafka's UNDEFINED_EPOCH / UNDEFINED_EPOCH_OFFSET). */
int32_t kn_log_latest_epoch(kn_log_t *log);
kn_err_t kn_log_epoch_end_offset(kn_log_t *log, int32_t epoch, int32_t *end_epoch,
                                 int64_t *end_offset);

/* Follower truncation: drop every batch at or after `offset` (a batch
 * containing offset is dropped whole). No-op if offset >= log end. The high
 * watermark is lowered to the new end if above it. */
kn_err_t kn_log_truncate_to(kn_log_t *log, int64_t offset);

/* Follower truncation when the leader's log does not overlap ours: remove
 * everything and restart the log empty at `offset`. */
kn_err_t kn_log_truncate_full(kn_log_t *log, int64_t offset);

/* DeleteRecords: advance the log start offset to `offset` (-1 = the high
 * watermark); segments wholly below it are deleted. OFFSET_OUT_OF_RANGE if
 * offset > high watermark. *new_start (may be NULL) gets the log start. */
kn_err_t kn_log_delete_records_before(kn_log_t *log, int64_t offset, int64_t *new_start);

/* fsync everything appended so far and advance the recovery point. */
kn_err_t kn_log_flush(kn_log_t *log);

/* Apply retention now (normally done by kn_logmgr_tick); returns the
 * number of segments removed. */
int kn_log_apply_retention(kn_log_t *log, int64_t now_ms);

#endif /* KN_BROKER_LOG_H */
