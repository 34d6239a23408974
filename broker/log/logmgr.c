/*
 * broker/log/logmgr.c -- the log manager: the directories of log.dirs,
 * meta.properties, the per-directory checkpoints and clean-shutdown
 * marker, the partition table, the LRU of open segment files, and the
 * periodic housekeeping (kn_logmgr_tick).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "broker/log/log_int.h"
#include "common/log.h"

#define KN_CLEAN_MARKER    ".kafka_cleanshutdown"
#define KN_CKPT_RECOVERY   "recovery-point-offset-checkpoint"
#define KN_CKPT_START      "log-start-offset-checkpoint"
#define KN_CKPT_HW         "replication-offset-checkpoint"
#define KN_CHECKPOINT_MS   60000   /* log.flush.offset.checkpoint.interval.ms */

/* Deleted partition directories waiting for removal. */
typedef struct kn_deldir_s {
    char               *path;
    int64_t             at_ms;
    struct kn_deldir_s *next;
} kn_deldir_t;

const char *kn_logmgr_dir(kn_logmgr_t *m, int i)
{
    return m->dirs[i];
}

/* ---- LRU of open segments ---- */

static void kn_lru_unlink(kn_logmgr_t *m, kn_segment_t *s)
{
    if (s->lru_prev) {
        s->lru_prev->lru_next = s->lru_next;
    } else {
        m->lru_head = s->lru_next;
    }
    if (s->lru_next) {
        s->lru_next->lru_prev = s->lru_prev;
    } else {
        m->lru_tail = s->lru_prev;
    }
    s->lru_prev = s->lru_next = NULL;
    s->in_lru = false;
    m->lru_count--;
}

void kn_logmgr_lru_touch(kn_logmgr_t *m, kn_segment_t *s)
{
    pthread_mutex_lock(&m->lru_lock);
    if (s->in_lru) {
        if (m->lru_head == s) {
            pthread_mutex_unlock(&m->lru_lock);
            return;
        }
        kn_lru_unlink(m, s);
    }
    s->lru_next = m->lru_head;
    s->lru_prev = NULL;
    if (m->lru_head) {
        m->lru_head->lru_prev = s;
    }
    m->lru_head = s;
    if (m->lru_tail == NULL) {
        m->lru_tail = s;
    }
    s->in_lru = true;
    m->lru_count++;
    /* Evict from the cold end. Another log's lock is only try-locked (we
     * may hold our own log's lock: waiting could deadlock), and segments
     * pinned by reads or belonging to our own log are skipped. */
    kn_segment_t *v = m->lru_tail;
    while (m->lru_count > m->lru_max && v != NULL) {
        kn_segment_t *prev = v->lru_prev;
        if (v->log != s->log && pthread_mutex_trylock(&v->log->lock) == 0) {
            if (atomic_load(&v->refs) == 1) {
                kn_lru_unlink(m, v);
                kn_seg_close_files(v);
            }
            pthread_mutex_unlock(&v->log->lock);
        }
        v = prev;
    }
    pthread_mutex_unlock(&m->lru_lock);
}

void kn_logmgr_lru_remove(kn_logmgr_t *m, kn_segment_t *s)
{
    pthread_mutex_lock(&m->lru_lock);
    if (s->in_lru) {
        kn_lru_unlink(m, s);
    }
    pthread_mutex_unlock(&m->lru_lock);
}

void kn_logmgr_queue_delete(kn_logmgr_t *m, kn_segment_t *s)
{
    pthread_mutex_lock(&m->lock);
    s->del_next = m->del_queue;
    m->del_queue = s;
    pthread_mutex_unlock(&m->lock);
}

/* ---- partition table ---- */

static uint64_t kn_tp_hash(const char *topic, int32_t partition)
{
    uint64_t h = 1469598103934665603ULL;   /* FNV-1a */
    for (const char *p = topic; *p; p++) {
        h = (h ^ (uint8_t)*p) * 1099511628211ULL;
    }
    return (h ^ (uint32_t)partition) * 1099511628211ULL;
}

static kn_log_t **kn_table_slot(kn_logmgr_t *m, const char *topic, int32_t partition)
{
    kn_log_t **pp = &m->table[kn_tp_hash(topic, partition) & (m->nbuckets - 1)];
    while (*pp && ((*pp)->partition != partition || strcmp((*pp)->topic, topic) != 0)) {
        pp = &(*pp)->hnext;
    }
    return pp;
}

static void kn_table_insert(kn_logmgr_t *m, kn_log_t *log)
{
    if (m->nlogs + 1 > m->nbuckets) {
        size_t nb = m->nbuckets * 2;
        kn_log_t **t = kn_calloc(nb, sizeof(*t));
        for (size_t i = 0; i < m->nbuckets; i++) {
            kn_log_t *l = m->table[i];
            while (l) {
                kn_log_t *next = l->hnext;
                size_t b = kn_tp_hash(l->topic, l->partition) & (nb - 1);
                l->hnext = t[b];
                t[b] = l;
                l = next;
            }
        }
        free(m->table);
        m->table = t;
        m->nbuckets = nb;
    }
    size_t b = kn_tp_hash(log->topic, log->partition) & (m->nbuckets - 1);
    log->hnext = m->table[b];
    m->table[b] = log;
    m->nlogs++;
    m->dir_parts[log->dir_index]++;
}

static bool kn_topic_valid(const char *t)
{
    size_t n = strlen(t);
    if (n == 0 || n > 249 || strcmp(t, ".") == 0 || strcmp(t, "..") == 0) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
              || c == '.' || c == '_' || c == '-')) {
            return false;
        }
    }
    return true;
}

/* ---- files ---- */

static int kn_rm_dir(const char *path)
{
    DIR *d = opendir(path);
    if (d == NULL) {
        return errno == ENOENT ? KN_OK : KN_ERROR;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }
        char p[PATH_MAX];
        snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
        (void)unlink(p);
    }
    closedir(d);
    return rmdir(path) == 0 ? KN_OK : KN_ERROR;
}

static int kn_mkdirs(const char *path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof(buf), "%s", path);
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) != 0 && errno != EEXIST) {
                return KN_ERROR;
            }
            *p = '/';
        }
    }
    return mkdir(buf, 0755) == 0 || errno == EEXIST ? KN_OK : KN_ERROR;
}

/* meta.properties: "version=0", "broker.id=N", "cluster.id=...". */
static int kn_meta_check(const kn_logmgr_opts_t *o, const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/meta.properties", dir);
    char *text = kn_file_read_small(path, 65536, NULL);
    bool have_cluster = false;
    if (text) {
        char *save = NULL;
        for (char *line = strtok_r(text, "\r\n", &save); line; line = strtok_r(NULL, "\r\n", &save)) {
            if (line[0] == '#') {
                continue;
            }
            if (strncmp(line, "broker.id=", 10) == 0 && atol(line + 10) != o->broker_id) {
                snprintf(err, errlen, "%s: broker.id=%s does not match configured broker.id=%d",
                         path, line + 10, (int)o->broker_id);
                free(text);
                return KN_ERROR;
            }
            if (strncmp(line, "cluster.id=", 11) == 0) {
                have_cluster = true;
                if (o->cluster_id && strcmp(line + 11, o->cluster_id) != 0) {
                    snprintf(err, errlen, "%s: cluster.id=%s does not match the cluster's id %s",
                             path, line + 11, o->cluster_id);
                    free(text);
                    return KN_ERROR;
                }
            }
        }
        free(text);
        if (have_cluster || o->cluster_id == NULL) {
            return KN_OK;
        }
    }
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "#\n#Written by Kanal\nversion=0\nbroker.id=%d\n%s%s%s",
                     (int)o->broker_id, o->cluster_id ? "cluster.id=" : "",
                     o->cluster_id ? o->cluster_id : "", o->cluster_id ? "\n" : "");
    if (kn_file_write_atomic(path, buf, (size_t)KN_MIN(n, (int)sizeof(buf) - 1)) != KN_OK) {
        snprintf(err, errlen, "%s: cannot write: %s", path, strerror(errno));
        return KN_ERROR;
    }
    return KN_OK;
}

static int64_t kn_ckpt_lookup(const kn_ckpt_entry_t *e, size_t n, const char *topic,
                              int32_t partition, int64_t def)
{
    for (size_t i = 0; i < n; i++) {
        if (e[i].partition == partition && strcmp(e[i].topic, topic) == 0) {
            return e[i].offset;
        }
    }
    return def;
}

/* Load every "<topic>-<partition>" directory of log dir i. */
static int kn_logmgr_load_dir(kn_logmgr_t *m, int di, char *err, size_t errlen)
{
    const char *dir = m->dirs[di];
    char path[PATH_MAX];
    snprintf(path, sizeof(path), "%s/%s", dir, KN_CLEAN_MARKER);
    bool clean = access(path, F_OK) == 0;
    kn_ckpt_entry_t *rp = NULL, *ls = NULL, *hw = NULL;
    size_t nrp = 0, nls = 0, nhw = 0;
    snprintf(path, sizeof(path), "%s/%s", dir, KN_CKPT_RECOVERY);
    if (kn_ckpt_read(path, &rp, &nrp) != KN_OK) {
        kn_log_warn("broker.log", "%s: unreadable, recovering every partition", path);
        clean = false;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, KN_CKPT_START);
    (void)kn_ckpt_read(path, &ls, &nls);
    snprintf(path, sizeof(path), "%s/%s", dir, KN_CKPT_HW);
    (void)kn_ckpt_read(path, &hw, &nhw);
    if (!clean) {
        kn_log_info("broker.log", "%s: no clean shutdown marker, recovering logs", dir);
    }
    DIR *d = opendir(dir);
    int rc = KN_OK;
    if (d == NULL) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        rc = KN_ERROR;
        goto out;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        const char *name = de->d_name;
        size_t len = strlen(name);
        char full[PATH_MAX];
        snprintf(full, sizeof(full), "%s/%s", dir, name);
        struct stat st;
        if (name[0] == '.' || stat(full, &st) != 0 || !S_ISDIR(st.st_mode)) {
            continue;
        }
        if (len > 7 && strcmp(name + len - 7, "-delete") == 0) {
            (void)kn_rm_dir(full);   /* a deletion that a crash interrupted */
            continue;
        }
        const char *dash = strrchr(name, '-');
        char *end;
        long part = dash ? strtol(dash + 1, &end, 10) : -1;
        if (dash == NULL || dash == name || dash[1] == '\0' || *end != '\0' || part < 0
            || part > INT32_MAX) {
            continue;
        }
        char *topic = kn_strndup(name, (size_t)(dash - name));
        kn_log_t *log = kn_log_load(m, di, topic, (int32_t)part, &m->defaults, clean,
                                    kn_ckpt_lookup(rp, nrp, topic, (int32_t)part, 0),
                                    kn_ckpt_lookup(ls, nls, topic, (int32_t)part, 0),
                                    kn_ckpt_lookup(hw, nhw, topic, (int32_t)part, 0));
        if (log == NULL) {
            snprintf(err, errlen, "%s: cannot load partition log", full);
            free(topic);
            rc = KN_ERROR;
            break;
        }
        free(topic);
        kn_table_insert(m, log);
    }
    closedir(d);
    if (rc == KN_OK && clean) {
        /* From now on a crash must lead to a recovery scan. */
        snprintf(path, sizeof(path), "%s/%s", dir, KN_CLEAN_MARKER);
        (void)unlink(path);
        (void)kn_fsync_dir(dir);
    }
out:
    kn_ckpt_free(rp, nrp);
    kn_ckpt_free(ls, nls);
    kn_ckpt_free(hw, nhw);
    return rc;
}

int kn_logmgr_open(const kn_logmgr_opts_t *o, kn_logmgr_t **out, char *err, size_t errlen)
{
    *out = NULL;
    if (o->ndirs == 0) {
        snprintf(err, errlen, "log.dirs is empty");
        return KN_ERROR;
    }
    kn_logmgr_t *m = kn_calloc(1, sizeof(*m));
    m->ndirs = o->ndirs;
    m->dirs = kn_calloc(o->ndirs, sizeof(char *));
    m->dir_parts = kn_calloc(o->ndirs, sizeof(int));
    m->broker_id = o->broker_id;
    m->defaults = o->defaults;
    m->nbuckets = 64;
    m->table = kn_calloc(m->nbuckets, sizeof(*m->table));
    pthread_mutex_init(&m->lock, NULL);
    pthread_mutex_init(&m->lru_lock, NULL);
    m->last_checkpoint_ms = kn_mono_ms();
    m->lru_max = o->max_open_segments;
    if (m->lru_max <= 0) {
        /* Each open segment costs 3 fds; leave half the limit to sockets. */
        struct rlimit rl;
        rlim_t soft = getrlimit(RLIMIT_NOFILE, &rl) == 0 ? rl.rlim_cur : 1024;
        if (soft == RLIM_INFINITY || soft > 1000000) {
            soft = 1000000;
        }
        m->lru_max = (int)KN_MAX((rlim_t)8, soft / 2 / 3);
    }
    for (size_t i = 0; i < o->ndirs; i++) {
        m->dirs[i] = kn_strdup(o->dirs[i]);
    }
    for (size_t i = 0; i < o->ndirs; i++) {
        if (kn_mkdirs(m->dirs[i]) != KN_OK) {
            snprintf(err, errlen, "%s: cannot create: %s", m->dirs[i], strerror(errno));
            goto fail;
        }
        if (kn_meta_check(o, m->dirs[i], err, errlen) != KN_OK
            || kn_logmgr_load_dir(m, (int)i, err, errlen) != KN_OK) {
            goto fail;
        }
    }
    kn_log_info("broker.log", "loaded %zu partition logs from %zu log dirs", m->nlogs, m->ndirs);
    *out = m;
    return KN_OK;
fail:
    /* Nothing was handed out yet: tear down without a clean marker. */
    for (size_t b = 0; b < m->nbuckets; b++) {
        while (m->table[b]) {
            kn_log_t *l = m->table[b];
            m->table[b] = l->hnext;
            kn_log_release(l);
        }
    }
    m->nlogs = 0;
    kn_logmgr_tick(m, INT64_MAX);
    for (size_t i = 0; i < m->ndirs; i++) {
        free(m->dirs[i]);
    }
    free(m->dirs);
    free(m->dir_parts);
    free(m->table);
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->lru_lock);
    free(m);
    return KN_ERROR;
}

kn_log_t *kn_logmgr_get(kn_logmgr_t *m, const char *topic, int32_t partition)
{
    pthread_mutex_lock(&m->lock);
    kn_log_t *log = *kn_table_slot(m, topic, partition);
    if (log) {
        kn_log_ref(log);
    }
    pthread_mutex_unlock(&m->lock);
    return log;
}

kn_err_t kn_logmgr_create(kn_logmgr_t *m, const char *topic, int32_t partition,
                          const kn_log_config_t *cfg, kn_log_t **out)
{
    *out = NULL;
    if (!kn_topic_valid(topic) || partition < 0) {
        return KN_ERR_INVALID_TOPIC_EXCEPTION;
    }
    pthread_mutex_lock(&m->lock);
    kn_log_t *log = *kn_table_slot(m, topic, partition);
    if (log) {
        kn_log_ref(log);
        pthread_mutex_unlock(&m->lock);
        if (cfg) {
            kn_log_set_config(log, cfg);
        }
        *out = log;
        return KN_ERR_NONE;
    }
    int best = 0;
    for (size_t i = 1; i < m->ndirs; i++) {
        if (m->dir_parts[i] < m->dir_parts[best]) {
            best = (int)i;
        }
    }
    /* A new partition has nothing to recover: load it as clean. */
    log = kn_log_load(m, best, topic, partition, cfg ? cfg : &m->defaults, true, 0, 0, 0);
    if (log == NULL) {
        pthread_mutex_unlock(&m->lock);
        return KN_ERR_KAFKA_STORAGE_ERROR;
    }
    kn_table_insert(m, log);
    *out = kn_log_ref(log);
    pthread_mutex_unlock(&m->lock);
    return KN_ERR_NONE;
}

kn_err_t kn_logmgr_delete(kn_logmgr_t *m, const char *topic, int32_t partition)
{
    pthread_mutex_lock(&m->lock);
    kn_log_t **pp = kn_table_slot(m, topic, partition);
    kn_log_t *log = *pp;
    if (log == NULL) {
        pthread_mutex_unlock(&m->lock);
        return KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    }
    *pp = log->hnext;
    m->nlogs--;
    m->dir_parts[log->dir_index]--;
    static unsigned counter;
    char to[PATH_MAX];
    snprintf(to, sizeof(to), "%s.%" PRIx64 "%04x-delete", log->dir, (uint64_t)kn_now_ms(),
             ++counter & 0xffff);
    pthread_mutex_lock(&log->lock);
    log->deleted = true;
    for (int i = 0; i < log->nsegs; i++) {
        kn_logmgr_lru_remove(m, log->segs[i]);
    }
    int rc = rename(log->dir, to);
    pthread_mutex_unlock(&log->lock);
    if (rc == 0) {
        kn_deldir_t *dd = kn_calloc(1, sizeof(*dd));
        dd->path = kn_strdup(to);
        dd->at_ms = kn_mono_ms() + log->cfg.file_delete_delay_ms;
        dd->next = m->del_dirs;
        m->del_dirs = dd;
    } else {
        kn_log_error("broker.log", "%s: rename for deletion failed: %s", log->dir,
                     strerror(errno));
    }
    pthread_mutex_unlock(&m->lock);
    (void)kn_fsync_dir(m->dirs[log->dir_index]);
    kn_log_info("broker.log", "deleted partition log %s-%d", topic, (int)partition);
    kn_log_release(log);
    return rc == 0 ? KN_ERR_NONE : KN_ERR_KAFKA_STORAGE_ERROR;
}

/* A referenced snapshot of every log, for work done without m->lock. */
static kn_log_t **kn_logmgr_snapshot(kn_logmgr_t *m, size_t *n)
{
    pthread_mutex_lock(&m->lock);
    kn_log_t **v = kn_malloc((m->nlogs + 1) * sizeof(*v));
    size_t k = 0;
    for (size_t b = 0; b < m->nbuckets; b++) {
        for (kn_log_t *l = m->table[b]; l; l = l->hnext) {
            v[k++] = kn_log_ref(l);
        }
    }
    pthread_mutex_unlock(&m->lock);
    *n = k;
    return v;
}

void kn_logmgr_foreach(kn_logmgr_t *m, kn_logmgr_each_cb cb, void *ud)
{
    size_t n;
    kn_log_t **v = kn_logmgr_snapshot(m, &n);
    for (size_t i = 0; i < n; i++) {
        cb(ud, v[i]);
        kn_log_release(v[i]);
    }
    free(v);
}

size_t kn_logmgr_count(kn_logmgr_t *m)
{
    pthread_mutex_lock(&m->lock);
    size_t n = m->nlogs;
    pthread_mutex_unlock(&m->lock);
    return n;
}

int kn_logmgr_checkpoint(kn_logmgr_t *m)
{
    size_t n;
    kn_log_t **v = kn_logmgr_snapshot(m, &n);
    kn_ckpt_entry_t *rp = kn_calloc(n + 1, sizeof(*rp));
    kn_ckpt_entry_t *ls = kn_calloc(n + 1, sizeof(*ls));
    kn_ckpt_entry_t *hw = kn_calloc(n + 1, sizeof(*hw));
    int rc = KN_OK;
    for (size_t di = 0; di < m->ndirs; di++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            kn_log_t *l = v[i];
            if (l->dir_index != (int)di) {
                continue;
            }
            pthread_mutex_lock(&l->lock);
            rp[k].topic = ls[k].topic = hw[k].topic = l->topic;
            rp[k].partition = ls[k].partition = hw[k].partition = l->partition;
            rp[k].offset = l->recovery_point;
            ls[k].offset = l->log_start;
            hw[k].offset = l->hw;
            pthread_mutex_unlock(&l->lock);
            k++;
        }
        char path[PATH_MAX];
        snprintf(path, sizeof(path), "%s/%s", m->dirs[di], KN_CKPT_RECOVERY);
        rc |= kn_ckpt_write(path, rp, k);
        snprintf(path, sizeof(path), "%s/%s", m->dirs[di], KN_CKPT_START);
        rc |= kn_ckpt_write(path, ls, k);
        snprintf(path, sizeof(path), "%s/%s", m->dirs[di], KN_CKPT_HW);
        rc |= kn_ckpt_write(path, hw, k);
    }
    free(rp);
    free(ls);
    free(hw);
    for (size_t i = 0; i < n; i++) {
        kn_log_release(v[i]);
    }
    free(v);
    return rc == KN_OK ? KN_OK : KN_ERROR;
}

int kn_logmgr_tick(kn_logmgr_t *m, int64_t now_ms)
{
    int deleted = 0;
    int64_t mono = kn_mono_ms();
    bool final = now_ms == INT64_MAX;   /* shutdown: everything is due */
    if (!final) {
        size_t n;
        kn_log_t **v = kn_logmgr_snapshot(m, &n);
        for (size_t i = 0; i < n; i++) {
            kn_log_t *l = v[i];
            deleted += kn_log_apply_retention(l, now_ms);
            pthread_mutex_lock(&l->lock);
            bool flush = l->cfg.flush_ms >= 0 && l->unflushed > 0
                         && mono - l->last_flush_ms >= l->cfg.flush_ms;
            pthread_mutex_unlock(&l->lock);
            if (flush) {
                (void)kn_log_flush(l);
            }
            kn_log_release(l);
        }
        free(v);
    }
    /* Unlink what is due from the deletion queues. */
    pthread_mutex_lock(&m->lock);
    kn_segment_t *due = NULL;
    for (kn_segment_t **pp = &m->del_queue; *pp;) {
        kn_segment_t *s = *pp;
        if (final || s->delete_at_ms <= mono) {
            *pp = s->del_next;
            s->del_next = due;
            due = s;
        } else {
            pp = &s->del_next;
        }
    }
    kn_deldir_t *dirs = NULL;
    for (kn_deldir_t **pp = &m->del_dirs; *pp;) {
        kn_deldir_t *d = *pp;
        if (final || d->at_ms <= mono) {
            *pp = d->next;
            d->next = dirs;
            dirs = d;
        } else {
            pp = &d->next;
        }
    }
    pthread_mutex_unlock(&m->lock);
    while (due) {
        kn_segment_t *s = due;
        due = s->del_next;
        kn_seg_unlink(s);
        kn_seg_unref(s);
    }
    while (dirs) {
        kn_deldir_t *d = dirs;
        dirs = d->next;
        if (kn_rm_dir(d->path) != KN_OK) {
            kn_log_warn("broker.log", "%s: cannot remove: %s", d->path, strerror(errno));
        }
        free(d->path);
        free(d);
    }
    if (!final && mono - m->last_checkpoint_ms >= KN_CHECKPOINT_MS) {
        m->last_checkpoint_ms = mono;
        (void)kn_logmgr_checkpoint(m);
    }
    return deleted;
}

void kn_logmgr_close(kn_logmgr_t *m)
{
    if (m == NULL) {
        return;
    }
    size_t n;
    kn_log_t **v = kn_logmgr_snapshot(m, &n);
    for (size_t i = 0; i < n; i++) {
        kn_log_shutdown(v[i]);
    }
    /* One syncfs per log dir makes every segment, index and directory
     * entry durable; only then may the recovery points move to the ends
     * and the clean-shutdown marker be written. */
    bool synced = true;
    for (size_t i = 0; i < m->ndirs; i++) {
        int fd = open(m->dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0 || syncfs(fd) != 0) {
            kn_log_error("broker.log", "%s: syncfs: %s", m->dirs[i], strerror(errno));
            synced = false;
        }
        if (fd >= 0) {
            close(fd);
        }
    }
    for (size_t i = 0; i < n && synced; i++) {
        kn_log_mark_flushed(v[i]);
    }
    int ck = synced ? kn_logmgr_checkpoint(m) : KN_ERROR;
    for (size_t i = 0; i < n; i++) {
        kn_log_release(v[i]);
    }
    free(v);
    for (size_t b = 0; b < m->nbuckets; b++) {
        while (m->table[b]) {
            kn_log_t *l = m->table[b];
            m->table[b] = l->hnext;
            kn_log_release(l);
        }
    }
    kn_logmgr_tick(m, INT64_MAX);
    for (size_t i = 0; i < m->ndirs; i++) {
        if (ck == KN_OK) {
            char path[PATH_MAX];
            snprintf(path, sizeof(path), "%s/%s", m->dirs[i], KN_CLEAN_MARKER);
            if (kn_file_write_atomic(path, "", 0) != KN_OK) {
                kn_log_warn("broker.log", "%s: cannot write clean-shutdown marker", path);
            }
        }
        free(m->dirs[i]);
    }
    free(m->dirs);
    free(m->dir_parts);
    free(m->table);
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->lru_lock);
    free(m);
}
