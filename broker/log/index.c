/*
 * broker/log/index.c -- the sparse offset index (.index: int32 relative
 * offset, int32 file position) and time index (.timeindex: int64
 * timestamp, int32 relative offset), both big-endian as in Kafka.
 *
 * The active segment's index files are preallocated (sparse, via
 * ftruncate) to segment.index.bytes and mapped whole; sealing a segment
 * trims them to their entries. Entries are stores into the map (no
 * syscall per entry), but only into blocks allocated beforehand with
 * fallocate: on a full disk a store into a sparse page would raise SIGBUS,
 * whereas fallocate returns ENOSPC and the entry is simply skipped (an
 * index is a hint; a missing entry only means a longer scan).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>

#include "broker/log/log_int.h"

#define KN_INDEX_ALLOC_CHUNK ((size_t)64 * 1024)

static int kn_index_map(kn_index_t *ix)
{
    struct stat st;
    if (fstat(ix->fd, &st) != 0) {
        return KN_ERROR;
    }
    ix->map_len = (size_t)st.st_size;
    ix->map = NULL;
    if (ix->map_len == 0) {
        return KN_OK;
    }
    ix->alloc_upto = 0;   /* unknown after a resize: fallocate again */
    void *p = mmap(NULL, ix->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, ix->fd, 0);
    if (p == MAP_FAILED) {
        ix->map_len = 0;
        return KN_ERROR;
    }
    /* Entries are stored one at a time at the tail and looked up by
     * binary search: no sequential access worth reading ahead. Without
     * this hint the first store into each page of a freshly allocated
     * range faults through readahead, which allocates and zero-fills large
     * folios; with thousands of partitions that was most of the broker's
     * CPU on the produce path. */
    (void)madvise(p, ix->map_len, MADV_RANDOM);
    ix->map = p;
    return KN_OK;
}

static void kn_index_unmap(kn_index_t *ix)
{
    if (ix->map) {
        munmap(ix->map, ix->map_len);
    }
    ix->map = NULL;
    ix->map_len = 0;
}

int kn_index_open(kn_index_t *ix, const char *path, int entry_size, size_t prealloc)
{
    ix->entry_size = entry_size;
    ix->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (ix->fd < 0) {
        return KN_ERROR;
    }
    if (prealloc > 0) {
        struct stat st;
        prealloc -= prealloc % (size_t)entry_size;
        if (fstat(ix->fd, &st) != 0
            || ((size_t)st.st_size < prealloc && ftruncate(ix->fd, (off_t)prealloc) != 0)) {
            close(ix->fd);
            ix->fd = -1;
            return KN_ERROR;
        }
    }
    if (kn_index_map(ix) != KN_OK) {
        close(ix->fd);
        ix->fd = -1;
        return KN_ERROR;
    }
    return KN_OK;
}

void kn_index_close(kn_index_t *ix)
{
    kn_index_unmap(ix);
    if (ix->fd >= 0) {
        close(ix->fd);
    }
    ix->fd = -1;
}

static inline int32_t kn_index_max(const kn_index_t *ix)
{
    return (int32_t)(ix->map_len / (size_t)ix->entry_size);
}

void kn_oidx_entry(const kn_index_t *ix, int32_t i, int32_t *rel, int32_t *pos)
{
    const uint8_t *p = ix->map + (size_t)i * KN_OIDX_ENTRY;
    *rel = (int32_t)kn_be32(p);
    *pos = (int32_t)kn_be32(p + 4);
}

void kn_tidx_entry(const kn_index_t *ix, int32_t i, int64_t *ts, int32_t *rel)
{
    const uint8_t *p = ix->map + (size_t)i * KN_TIDX_ENTRY;
    *ts = (int64_t)kn_be64(p);
    *rel = (int32_t)kn_be32(p + 8);
}

bool kn_index_scan_valid(kn_index_t *ix, int64_t log_size)
{
    int32_t max = kn_index_max(ix);
    int32_t n = 0;
    bool offset_index = ix->entry_size == KN_OIDX_ENTRY;
    int64_t prev_key = -1;      /* position (offset index) or timestamp */
    int32_t prev_rel = -1;
    for (; n < max; n++) {
        int32_t rel;
        int64_t key;
        if (offset_index) {
            int32_t pos;
            kn_oidx_entry(ix, n, &rel, &pos);
            key = pos;
            if (pos < 0 || pos >= log_size) {
                break;
            }
        } else {
            kn_tidx_entry(ix, n, &key, &rel);
        }
        /* Preallocated space is zeros: an entry that does not move
         * forward ends the valid part. The first entry may be (0, 0). */
        if (rel < 0 || (n > 0 && (rel <= prev_rel || key <= prev_key))) {
            break;
        }
        prev_rel = rel;
        prev_key = key;
    }
    ix->entries = n;
    /* Consistent if every slot was valid, or the rest is zeros. Only the
     * first page after the valid part is checked: a preallocated index is
     * mostly holes, and touching all of it for every partition at startup
     * would cost more than the check is worth. */
    size_t from = (size_t)n * (size_t)ix->entry_size;
    size_t to = KN_MIN(ix->map_len, from + 4096);
    for (size_t i = from; i < to; i++) {
        if (ix->map[i] != 0) {
            return false;
        }
    }
    return true;
}

static int kn_index_put(kn_index_t *ix, const uint8_t *entry)
{
    if (ix->entries >= kn_index_max(ix)) {
        return KN_ERROR;
    }
    size_t at = (size_t)ix->entries * (size_t)ix->entry_size;
    size_t end = at + (size_t)ix->entry_size;
    if (!ix->no_falloc && end > ix->alloc_upto) {
        size_t upto = KN_MIN(ix->map_len, (end + KN_INDEX_ALLOC_CHUNK - 1)
                                              / KN_INDEX_ALLOC_CHUNK * KN_INDEX_ALLOC_CHUNK);
        if (fallocate(ix->fd, FALLOC_FL_KEEP_SIZE, (off_t)at, (off_t)(upto - at)) == 0) {
            ix->alloc_upto = upto;
        } else if (errno == EOPNOTSUPP || errno == ENOSYS) {
            ix->no_falloc = true;
        } else {
            return KN_ERROR;   /* ENOSPC, EIO: skip this entry */
        }
    }
    if (ix->no_falloc) {
        ssize_t n;
        do {
            n = pwrite(ix->fd, entry, (size_t)ix->entry_size, (off_t)at);
        } while (n < 0 && errno == EINTR);
        if (n != ix->entry_size) {
            return KN_ERROR;
        }
    } else {
        memcpy(ix->map + at, entry, (size_t)ix->entry_size);
    }
    ix->entries++;
    return KN_OK;
}

int kn_oidx_append(kn_index_t *ix, int32_t rel, int32_t pos)
{
    uint8_t e[KN_OIDX_ENTRY];
    kn_put_be32(e, (uint32_t)rel);
    kn_put_be32(e + 4, (uint32_t)pos);
    return kn_index_put(ix, e);
}

int kn_tidx_append(kn_index_t *ix, int64_t ts, int32_t rel)
{
    uint8_t e[KN_TIDX_ENTRY];
    kn_put_be64(e, (uint64_t)ts);
    kn_put_be32(e + 8, (uint32_t)rel);
    return kn_index_put(ix, e);
}

void kn_oidx_lookup(const kn_index_t *ix, int32_t target, int32_t *rel, int32_t *pos)
{
    *rel = 0;
    *pos = 0;
    int32_t lo = 0, hi = ix->entries - 1, found = -1;
    while (lo <= hi) {   /* largest entry with rel <= target */
        int32_t mid = lo + (hi - lo) / 2;
        int32_t r, p;
        kn_oidx_entry(ix, mid, &r, &p);
        if (r <= target) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (found >= 0) {
        kn_oidx_entry(ix, found, rel, pos);
    }
}

void kn_oidx_lookup_pos(const kn_index_t *ix, int64_t pos, int32_t *rel, int32_t *epos)
{
    *rel = 0;
    *epos = 0;
    int32_t lo = 0, hi = ix->entries - 1, found = -1;
    while (lo <= hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int32_t r, p;
        kn_oidx_entry(ix, mid, &r, &p);
        if (p <= pos) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (found >= 0) {
        kn_oidx_entry(ix, found, rel, epos);
    }
}

int32_t kn_tidx_lookup(const kn_index_t *ix, int64_t ts)
{
    int32_t lo = 0, hi = ix->entries - 1, found = -1;
    while (lo <= hi) {   /* largest entry with timestamp < ts */
        int32_t mid = lo + (hi - lo) / 2;
        int64_t t;
        int32_t r;
        kn_tidx_entry(ix, mid, &t, &r);
        if (t < ts) {
            found = mid;
            lo = mid + 1;
        } else {
            hi = mid - 1;
        }
    }
    if (found < 0) {
        return 0;
    }
    int64_t t;
    int32_t r;
    kn_tidx_entry(ix, found, &t, &r);
    return r;
}

/* Entries are sorted by rel in both index kinds: binary search the first
 * entry at or beyond the limit and cut there. */
static void kn_index_cut(kn_index_t *ix, int32_t rel_limit, bool offset_index)
{
    int32_t lo = 0, hi = ix->entries;
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        int32_t r, p;
        int64_t t;
        if (offset_index) {
            kn_oidx_entry(ix, mid, &r, &p);
        } else {
            kn_tidx_entry(ix, mid, &t, &r);
        }
        if (r < rel_limit) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < ix->entries) {
        /* Zero the dropped entries so a later scan of the file stops at
         * the cut (the file stays preallocated). Failure here only leaves
         * stale entries that the next load's scan rejects. */
        size_t from = (size_t)lo * (size_t)ix->entry_size;
        size_t to = (size_t)ix->entries * (size_t)ix->entry_size;
        static const uint8_t zeros[256];
        while (from < to) {
            size_t n = KN_MIN(sizeof(zeros), to - from);
            if (pwrite(ix->fd, zeros, n, (off_t)from) != (ssize_t)n) {
                break;
            }
            from += n;
        }
        ix->entries = lo;
    }
}

void kn_oidx_truncate(kn_index_t *ix, int32_t rel_limit)
{
    kn_index_cut(ix, rel_limit, true);
}

void kn_tidx_truncate(kn_index_t *ix, int32_t rel_limit)
{
    kn_index_cut(ix, rel_limit, false);
}

int kn_index_resize(kn_index_t *ix, size_t bytes)
{
    bytes -= bytes % (size_t)ix->entry_size;
    kn_index_unmap(ix);
    if (ftruncate(ix->fd, (off_t)bytes) != 0) {
        (void)kn_index_map(ix);
        return KN_ERROR;
    }
    if ((size_t)ix->entries * (size_t)ix->entry_size > bytes) {
        ix->entries = (int32_t)(bytes / (size_t)ix->entry_size);
    }
    return kn_index_map(ix);
}

int kn_index_fsync(kn_index_t *ix)
{
    if (ix->fd < 0) {
        return KN_OK;
    }
    /* Stores into the map reach the file through the page cache, which
     * fdatasync writes back like any other dirty page. */
    return fdatasync(ix->fd) == 0 ? KN_OK : KN_ERROR;
}
