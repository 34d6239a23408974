/*
 * common/zk/zk_ops.c -- the synchronous data calls of the ZooKeeper wrapper
 * (create/get/set/delete/exists/children/multi and the JSON helpers; the
 * contract is zk.h, session handling is in zk.c).
 *
 * Every call holds the handle's read lock for its round trip, so the loop
 * thread cannot swap the handle (after expiry) from under it; with no
 * handle (expired, reconnect off) calls return ZINVALIDSTATE. A watch
 * context is created before the call and cancelled if the call did not arm
 * the watch (see zk.c for who frees it otherwise).
 */
#include "config.h"

#include "zk/zk_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

/* ----------------------------------------------------------- data calls */

/* A context for a watch about to be armed, or NULL if no watch is wanted.
 * Linked before the call so that a watch firing before the call returns
 * finds it; the caller holds the handle's read lock. */
static kn_zk_watch_t *zk_watch_new(kn_zk_t *zk, kn_zk_watch_cb cb, void *ud)
{
    kn_zk_watch_t *w;

    if (cb == NULL) {
        return NULL;
    }
    w = kn_calloc(1, sizeof(*w));
    w->zk = zk;
    w->cb = cb;
    w->ud = ud;
    pthread_mutex_lock(&zk->mu);
    w->next = zk->watches;
    if (zk->watches != NULL) {
        zk->watches->prev = w;
    }
    zk->watches = w;
    pthread_mutex_unlock(&zk->mu);
    return w;
}

/* The call did not arm the watch: ZooKeeper never saw the context. */
static void zk_watch_cancel(kn_zk_t *zk, kn_zk_watch_t *w)
{
    if (w == NULL) {
        return;
    }
    pthread_mutex_lock(&zk->mu);
    kn_zk_watch_unlink(zk, w);
    pthread_mutex_unlock(&zk->mu);
    free(w);
}

int kn_zk_create(kn_zk_t *zk, const char *path, const void *data, int len, int flags,
                 char *created, int created_len)
{
    int rc = ZINVALIDSTATE;

    pthread_rwlock_rdlock(&zk->hlock);
    if (zk->zh != NULL) {
        rc = zoo_create(zk->zh, path, data, data != NULL ? len : -1, &ZOO_OPEN_ACL_UNSAFE,
                        flags, created, created != NULL ? created_len : 0);
    }
    pthread_rwlock_unlock(&zk->hlock);
    return rc;
}

int kn_zk_create_parents(kn_zk_t *zk, const char *path)
{
    char *copy;
    int rc = ZOK;

    if (path == NULL || path[0] != '/') {
        return ZBADARGUMENTS;
    }
    if (path[1] == '\0') {
        return ZOK;
    }
    copy = kn_strdup(path);
    for (char *p = copy + 1; rc == ZOK; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            rc = kn_zk_create(zk, copy, NULL, -1, 0, NULL, 0);
            if (rc == ZNODEEXISTS) {
                rc = ZOK;
            }
            *p = saved;
            if (saved == '\0') {
                break;
            }
        }
    }
    free(copy);
    return rc;
}

int kn_zk_get(kn_zk_t *zk, const char *path, char **data, int *len, struct Stat *stat,
              kn_zk_watch_cb watch, void *ud)
{
    struct Stat st;
    kn_zk_watch_t *w;
    char *buf;
    int cap = KN_ZK_FIRST_BUF;
    int n = cap;
    int rc;

    *data = NULL;
    *len = -1;
    pthread_rwlock_rdlock(&zk->hlock);
    if (zk->zh == NULL) {
        pthread_rwlock_unlock(&zk->hlock);
        return ZINVALIDSTATE;
    }
    buf = kn_malloc((size_t) cap + 1);
    w = zk_watch_new(zk, watch, ud);
    if (w != NULL) {
        rc = zoo_wget(zk->zh, path, kn_zk_path_watcher, w, buf, &n, &st);
    } else {
        rc = zoo_get(zk->zh, path, 0, buf, &n, &st);
    }
    if (rc != ZOK) {
        zk_watch_cancel(zk, w);
    }
    /* The node is bigger than the buffer: read it again at its size. The
     * watch (if any) is already armed by the first read, so the second
     * goes without one; a change in between fires it. */
    while (rc == ZOK && st.dataLength > cap) {
        if (st.dataLength > KN_ZK_MAX_DATA) {
            rc = ZMARSHALLINGERROR;
            break;
        }
        cap = st.dataLength;
        n = cap;
        buf = kn_realloc(buf, (size_t) cap + 1);
        rc = zoo_get(zk->zh, path, 0, buf, &n, &st);
    }
    pthread_rwlock_unlock(&zk->hlock);
    if (rc != ZOK) {
        free(buf);
        return rc;
    }
    buf[n > 0 ? n : 0] = '\0';
    *data = buf;
    *len = n;
    if (stat != NULL) {
        *stat = st;
    }
    return ZOK;
}

int kn_zk_exists(kn_zk_t *zk, const char *path, struct Stat *stat,
                 kn_zk_watch_cb watch, void *ud)
{
    struct Stat st;
    kn_zk_watch_t *w;
    int rc = ZINVALIDSTATE;

    pthread_rwlock_rdlock(&zk->hlock);
    if (zk->zh != NULL) {
        w = zk_watch_new(zk, watch, ud);
        if (w != NULL) {
            rc = zoo_wexists(zk->zh, path, kn_zk_path_watcher, w, &st);
        } else {
            rc = zoo_exists(zk->zh, path, 0, &st);
        }
        /* An exists watch is armed on a missing node too (it fires on
         * creation). */
        if (rc != ZOK && rc != ZNONODE) {
            zk_watch_cancel(zk, w);
        }
    }
    pthread_rwlock_unlock(&zk->hlock);
    if (rc == ZOK && stat != NULL) {
        *stat = st;
    }
    return rc;
}

int kn_zk_set(kn_zk_t *zk, const char *path, const void *data, int len, int version,
              struct Stat *stat)
{
    struct Stat st;
    int rc = ZINVALIDSTATE;

    pthread_rwlock_rdlock(&zk->hlock);
    if (zk->zh != NULL) {
        rc = zoo_set2(zk->zh, path, data, data != NULL ? len : -1, version, &st);
    }
    pthread_rwlock_unlock(&zk->hlock);
    if (rc == ZOK && stat != NULL) {
        *stat = st;
    }
    return rc;
}

int kn_zk_delete(kn_zk_t *zk, const char *path, int version)
{
    int rc = ZINVALIDSTATE;

    pthread_rwlock_rdlock(&zk->hlock);
    if (zk->zh != NULL) {
        rc = zoo_delete(zk->zh, path, version);
    }
    pthread_rwlock_unlock(&zk->hlock);
    return rc;
}

static int zk_delete_tree(kn_zk_t *zk, const char *path, int depth)
{
    char **names;
    int count, rc;

    if (depth > 64) {
        return ZBADARGUMENTS;   /* deeper than any tree we write */
    }
    /* A child created while we delete makes the parent's delete fail with
     * ZNOTEMPTY: list again and retry a few times. */
    for (int attempt = 0; attempt < 5; attempt++) {
        rc = kn_zk_children(zk, path, &names, &count, NULL, NULL);
        if (rc == ZNONODE) {
            return ZOK;
        }
        if (rc != ZOK) {
            return rc;
        }
        for (int i = 0; i < count && rc == ZOK; i++) {
            size_t n = strlen(path) + strlen(names[i]) + 2;
            char *child = kn_malloc(n);
            snprintf(child, n, "%s%s%s", path, strcmp(path, "/") == 0 ? "" : "/", names[i]);
            rc = zk_delete_tree(zk, child, depth + 1);
            free(child);
        }
        kn_zk_children_free(names, count);
        if (rc != ZOK) {
            return rc;
        }
        rc = kn_zk_delete(zk, path, -1);
        if (rc == ZOK || rc == ZNONODE) {
            return ZOK;
        }
        if (rc != ZNOTEMPTY) {
            return rc;
        }
    }
    return rc;
}

int kn_zk_delete_recursive(kn_zk_t *zk, const char *path)
{
    if (path == NULL || path[0] != '/' || strcmp(path, "/") == 0) {
        return ZBADARGUMENTS;
    }
    return zk_delete_tree(zk, path, 0);
}

static int zk_name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

int kn_zk_children(kn_zk_t *zk, const char *path, char ***names, int *count,
                   kn_zk_watch_cb watch, void *ud)
{
    struct String_vector sv;
    kn_zk_watch_t *w;
    int rc = ZINVALIDSTATE;

    *names = NULL;
    *count = 0;
    memset(&sv, 0, sizeof(sv));
    pthread_rwlock_rdlock(&zk->hlock);
    if (zk->zh != NULL) {
        w = zk_watch_new(zk, watch, ud);
        if (w != NULL) {
            rc = zoo_wget_children(zk->zh, path, kn_zk_path_watcher, w, &sv);
        } else {
            rc = zoo_get_children(zk->zh, path, 0, &sv);
        }
        if (rc != ZOK) {
            zk_watch_cancel(zk, w);
        }
    }
    pthread_rwlock_unlock(&zk->hlock);
    if (rc != ZOK) {
        return rc;
    }
    if (sv.count > 0) {
        *names = kn_calloc((size_t) sv.count, sizeof(char *));
        for (int i = 0; i < sv.count; i++) {
            (*names)[i] = kn_strdup(sv.data[i]);
        }
        qsort(*names, (size_t) sv.count, sizeof(char *), zk_name_cmp);
        *count = sv.count;
    }
    deallocate_String_vector(&sv);
    return ZOK;
}

void kn_zk_children_free(char **names, int count)
{
    if (names == NULL) {
        return;
    }
    for (int i = 0; i < count; i++) {
        free(names[i]);
    }
    free(names);
}

int kn_zk_multi(kn_zk_t *zk, int count, const zoo_op_t *ops, zoo_op_result_t *results)
{
    zoo_op_result_t *res = results;
    int rc = ZINVALIDSTATE;

    if (count <= 0) {
        return count == 0 ? ZOK : ZBADARGUMENTS;
    }
    if (res == NULL) {
        res = kn_calloc((size_t) count, sizeof(*res));
    }
    pthread_rwlock_rdlock(&zk->hlock);
    if (zk->zh != NULL) {
        rc = zoo_multi(zk->zh, count, ops, res);
    }
    pthread_rwlock_unlock(&zk->hlock);
    if (res != results) {
        free(res);
    }
    return rc;
}

/* ----------------------------------------------------------------- JSON */

char *kn_zk_json_dump(const json_t *j)
{
    return json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
}

int kn_zk_get_json(kn_zk_t *zk, const char *path, json_t **out, struct Stat *stat,
                   kn_zk_watch_cb watch, void *ud)
{
    json_error_t err;
    char *data;
    int len, rc;

    *out = NULL;
    rc = kn_zk_get(zk, path, &data, &len, stat, watch, ud);
    if (rc != ZOK) {
        return rc;
    }
    if (len <= 0) {
        free(data);
        return ZMARSHALLINGERROR;   /* null or empty: not a JSON document */
    }
    *out = json_loadb(data, (size_t) len, JSON_DECODE_ANY, &err);
    if (*out == NULL) {
        kn_log_warn(KN_ZK_LOG, "znode %s holds invalid JSON: %s (line %d)", path, err.text,
                    err.line);
        rc = ZMARSHALLINGERROR;
    }
    free(data);
    return rc;
}

int kn_zk_create_json(kn_zk_t *zk, const char *path, const json_t *j, int flags)
{
    char *s = kn_zk_json_dump(j);
    int rc;

    if (s == NULL) {
        return ZMARSHALLINGERROR;
    }
    rc = kn_zk_create(zk, path, s, (int) strlen(s), flags, NULL, 0);
    free(s);
    return rc;
}

int kn_zk_set_json(kn_zk_t *zk, const char *path, const json_t *j, int version,
                   struct Stat *stat)
{
    char *s = kn_zk_json_dump(j);
    int rc;

    if (s == NULL) {
        return ZMARSHALLINGERROR;
    }
    rc = kn_zk_set(zk, path, s, (int) strlen(s), version, stat);
    free(s);
    return rc;
}
