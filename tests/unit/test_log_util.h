/*
 * tests/unit/test_log_util.h -- helpers shared by the storage engine tests:
 * deterministic batches whose content encodes their offset, scratch
 * directories under the current (build) directory, and a manager opener.
 * Header-only (static functions) so each test program stays one file.
 */
#ifndef KN_TEST_LOG_UTIL_H
#define KN_TEST_LOG_UTIL_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "broker/log/log.h"
#include "common/log.h"
#include "record/batch.h"

/* Build one batch of n records; record i's value is `vsize` bytes derived
 * from (tag, i) so a reader can check it; timestamps ts, ts+1, ... */
static inline void tl_batch(kn_wbuf_t *w, int n, size_t vsize, int64_t ts, uint32_t tag,
                            kn_codec_t codec)
{
    kn_record_in_t *recs = calloc((size_t)n, sizeof(*recs));
    uint8_t *vals = malloc((size_t)n * vsize + 1);
    for (int i = 0; i < n; i++) {
        uint8_t *v = vals + (size_t)i * vsize;
        for (size_t k = 0; k < vsize; k++) {
            v[k] = (uint8_t)((tag * 31u + (uint32_t)i * 7u + (uint32_t)k) & 0xff);
        }
        if (vsize >= 8) {
            kn_put_be32(v, tag);
            kn_put_be32(v + 4, (uint32_t)i);
        }
        recs[i].key = NULL;
        recs[i].value = v;
        recs[i].value_len = vsize;
        recs[i].timestamp = ts + i;
    }
    kn_batch_build_opts_t o;
    kn_batch_build_opts_init(&o);
    o.codec = codec;
    if (kn_batch_build(w, &o, recs, (size_t)n) != KN_OK) {
        abort();
    }
    free(recs);
    free(vals);
}

static int tl_rm_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static inline void tl_rmrf(const char *path)
{
    nftw(path, tl_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* A fresh scratch directory (relative to the working directory). */
static inline char *tl_tmpdir(const char *prefix)
{
    char *p = malloc(strlen(prefix) + 16);
    sprintf(p, "%s.XXXXXX", prefix);
    if (mkdtemp(p) == NULL) {
        abort();
    }
    return p;
}

static inline kn_logmgr_t *tl_open(const char *dir, const kn_log_config_t *cfg, int max_open)
{
    const char *dirs[1] = { dir };
    kn_logmgr_opts_t o;
    memset(&o, 0, sizeof(o));
    o.dirs = dirs;
    o.ndirs = 1;
    o.broker_id = 1;
    o.cluster_id = "test-cluster";
    o.max_open_segments = max_open;
    if (cfg) {
        o.defaults = *cfg;
    } else {
        kn_log_config_defaults(&o.defaults);
    }
    kn_logmgr_t *m = NULL;
    char err[512];
    if (kn_logmgr_open(&o, &m, err, sizeof(err)) != KN_OK) {
        fprintf(stderr, "kn_logmgr_open: %s\n", err);
        return NULL;
    }
    return m;
}

/* Small-file config: many segments and index entries quickly. */
static inline void tl_small_cfg(kn_log_config_t *c)
{
    kn_log_config_defaults(c);
    c->segment_bytes = 8192;
    c->index_interval_bytes = 256;
    c->segment_index_bytes = 4096;
    c->file_delete_delay_ms = 0;
}

#endif /* KN_TEST_LOG_UTIL_H */
