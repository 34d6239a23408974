/*
 * broker/cluster/topics.c -- the admin path in ZooKeeper: create a topic,
 * mark one for deletion, add partitions (main thread only).
 *
 * As in Kafka's AdminZkClient, a broker writes only the assignment: the
 * per-topic config /config/topics/<t> first (so the topic never exists
 * without its config), then /brokers/topics/<t>. The controller watches
 * /brokers/topics and /admin/delete_topics, elects leaders, writes the
 * partition state znodes and pushes LeaderAndIsr / UpdateMetadata.
 *
 * The live broker set for validation and assignment is read from
 * /brokers/ids, which is authoritative even before the first
 * UpdateMetadata has arrived.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/topics.h"
#include "broker/server/request.h"
#include "log.h"

#define LOGC "broker.admin"

static void set_msg(char *msg, size_t len, const char *fmt, const char *a)
{
    if (msg && len)
        snprintf(msg, len, fmt, a);
}

int64_t kn_cluster_cfg_int(kn_cluster_t *c, const char *key, int64_t def)
{
    if (c->b == NULL || c->b->cfg == NULL || kn_config_find_key(kn_broker_config_table, key) == NULL)
        return def;
    return kn_config_int(c->b->cfg, key);
}

bool kn_cluster_cfg_bool(kn_cluster_t *c, const char *key, bool def)
{
    if (c->b == NULL || c->b->cfg == NULL || kn_config_find_key(kn_broker_config_table, key) == NULL)
        return def;
    return kn_config_bool(c->b->cfg, key);
}

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

int kn_topics_live_brokers(kn_cluster_t *c, int32_t **out)
{
    *out = NULL;
    char **names = NULL;
    int n = 0;
    if (c->zk == NULL || kn_zk_children(c->zk, "/brokers/ids", &names, &n, NULL, NULL) != ZOK)
        return 0;
    int32_t *ids = kn_calloc((size_t)(n ? n : 1), sizeof(int32_t));
    int k = 0;
    for (int i = 0; i < n; i++) {
        char *end;
        long v = strtol(names[i], &end, 10);
        if (*end == '\0' && v >= 0 && v <= INT32_MAX)
            ids[k++] = (int32_t)v;
    }
    kn_zk_children_free(names, n);
    qsort(ids, (size_t)k, sizeof(int32_t), cmp_i32);
    *out = ids;
    return k;
}

static bool contains(const int32_t *v, int n, int32_t x)
{
    for (int i = 0; i < n; i++)
        if (v[i] == x)
            return true;
    return false;
}

kn_err_t kn_topics_check_assignment(const int32_t *replicas, int rf, const int32_t *live,
                                    int n_live, char *msg, size_t msglen)
{
    if (rf < 1) {
        set_msg(msg, msglen, "%s", "empty replica list");
        return KN_ERR_INVALID_REPLICA_ASSIGNMENT;
    }
    for (int i = 0; i < rf; i++) {
        if (!contains(live, n_live, replicas[i])) {
            char b[32];
            snprintf(b, sizeof(b), "%d", replicas[i]);
            set_msg(msg, msglen, "unknown broker %s in replica assignment", b);
            return KN_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
        if (contains(replicas, i, replicas[i])) {
            set_msg(msg, msglen, "%s", "duplicate broker in replica assignment");
            return KN_ERR_INVALID_REPLICA_ASSIGNMENT;
        }
    }
    return KN_ERR_NONE;
}

kn_err_t kn_topics_validate_configs(const kn_topic_spec_t *spec, char *msg, size_t msglen)
{
    for (int i = 0; i < spec->n_configs; i++) {
        const char *v = spec->config_values[i];
        if (v == NULL) {
            set_msg(msg, msglen, "null value for config %s", spec->config_keys[i]);
            return KN_ERR_INVALID_CONFIG;
        }
        if (kn_config_validate(kn_topic_config_table, spec->config_keys[i], v, msg, msglen) != KN_OK)
            return KN_ERR_INVALID_CONFIG;
    }
    return KN_ERR_NONE;
}

/* Kafka refuses topics that differ only by '.' vs '_' (their metric names
 * would collide). */
static bool names_collide(const char *a, const char *b)
{
    for (; *a && *b; a++, b++) {
        char x = *a == '.' ? '_' : *a, y = *b == '.' ? '_' : *b;
        if (x != y)
            return false;
    }
    return *a == *b;
}

static json_t *assignment_json(const int32_t *rows, int32_t first, int32_t n, int rf, json_t *into)
{
    json_t *parts = into ? into : json_object();
    for (int32_t p = 0; p < n; p++) {
        json_t *arr = json_array();
        for (int k = 0; k < rf; k++)
            json_array_append_new(arr, json_integer(rows[(size_t)p * (size_t)rf + (size_t)k]));
        char key[16];
        snprintf(key, sizeof(key), "%d", first + p);
        json_object_set_new(parts, key, arr);
    }
    return parts;
}

kn_err_t kn_topics_create(kn_cluster_t *c, const kn_topic_spec_t *spec, bool validate_only,
                          int32_t *out_partitions, int16_t *out_rf, char *msg, size_t msglen)
{
    kn_err_t err = kn_topic_name_check(spec->name, strlen(spec->name));
    if (err != KN_ERR_NONE) {
        set_msg(msg, msglen, "invalid topic name \"%s\"", spec->name);
        return err;
    }
    if ((err = kn_topics_validate_configs(spec, msg, msglen)) != KN_ERR_NONE)
        return err;
    if (c->zk == NULL)
        return KN_ERR_UNKNOWN_SERVER_ERROR;

    /* Existence and collisions. */
    char **names = NULL;
    int n_names = 0;
    if (kn_zk_children(c->zk, "/brokers/topics", &names, &n_names, NULL, NULL) == ZOK) {
        for (int i = 0; i < n_names && err == KN_ERR_NONE; i++) {
            if (strcmp(names[i], spec->name) == 0) {
                set_msg(msg, msglen, "topic '%s' already exists", spec->name);
                err = KN_ERR_TOPIC_ALREADY_EXISTS;
            } else if (names_collide(names[i], spec->name)) {
                set_msg(msg, msglen, "topic name collides with existing topic '%s'", names[i]);
                err = KN_ERR_INVALID_TOPIC_EXCEPTION;
            }
        }
        kn_zk_children_free(names, n_names);
        if (err != KN_ERR_NONE)
            return err;
    }

    int32_t *live = NULL;
    int n_live = kn_topics_live_brokers(c, &live);
    int32_t np = spec->num_partitions;
    int16_t rf = spec->replication_factor;
    int32_t *rows = NULL;
    bool *seen = NULL;

    if (spec->n_assignments > 0) {
        if (np != -1 || rf != -1) {
            set_msg(msg, msglen, "%s", "both replica assignment and partitions/replication factor given");
            err = KN_ERR_INVALID_REQUEST;
            goto out;
        }
        np = spec->n_assignments;
        rf = (int16_t)spec->assignment_len[0];
        rows = kn_calloc((size_t)np * (size_t)(rf > 0 ? rf : 1), sizeof(int32_t));
        seen = kn_calloc((size_t)np, sizeof(bool));
        for (int32_t p = 0; p < np; p++) {
            int32_t pid = spec->assignment_partition[p];
            if (pid < 0 || pid >= np || seen[pid]) {
                set_msg(msg, msglen, "%s", "assignment partition ids must be 0..n-1, each once");
                err = KN_ERR_INVALID_REPLICA_ASSIGNMENT;
                goto out;
            }
            if (spec->assignment_len[p] != rf) {
                set_msg(msg, msglen, "%s", "all partitions must have the same replica count");
                err = KN_ERR_INVALID_REPLICA_ASSIGNMENT;
                goto out;
            }
            err = kn_topics_check_assignment(spec->assignments[p], rf, live, n_live, msg, msglen);
            if (err != KN_ERR_NONE)
                goto out;
            seen[pid] = true;
            memcpy(rows + (size_t)pid * (size_t)rf, spec->assignments[p],
                   sizeof(int32_t) * (size_t)rf);
        }
    } else {
        if (np == -1)
            np = (int32_t)kn_cluster_cfg_int(c, "num.partitions", 1);
        if (rf == -1)
            rf = (int16_t)kn_cluster_cfg_int(c, "default.replication.factor", 1);
        if (np < 1) {
            set_msg(msg, msglen, "%s", "number of partitions must be larger than 0");
            err = KN_ERR_INVALID_PARTITIONS;
            goto out;
        }
        if (rf < 1 || rf > n_live) {
            char b[96];
            snprintf(b, sizeof(b), "%d, larger than available brokers: %d", rf, n_live);
            set_msg(msg, msglen, rf < 1 ? "replication factor must be larger than 0"
                                        : "replication factor: %s", b);
            err = KN_ERR_INVALID_REPLICATION_FACTOR;
            goto out;
        }
        rows = kn_calloc((size_t)np * (size_t)rf, sizeof(int32_t));
        err = kn_assign_replicas(live, n_live, np, rf, 0, -1, -1, rows);
        if (err != KN_ERR_NONE)
            goto out;
    }
    if (out_partitions)
        *out_partitions = np;
    if (out_rf)
        *out_rf = rf;
    if (validate_only)
        goto out;

    char path[512];
    /* Config first: the controller and brokers read it when the topic
     * appears. An existing one (left by an interrupted create) is replaced. */
    json_t *cfg = json_object();
    for (int i = 0; i < spec->n_configs; i++)
        json_object_set_new(cfg, spec->config_keys[i], json_string(spec->config_values[i]));
    json_t *j = json_object();
    json_object_set_new(j, "version", json_integer(1));
    json_object_set_new(j, "config", cfg);
    snprintf(path, sizeof(path), "/config/topics/%s", spec->name);
    int rc = kn_zk_create_json(c->zk, path, j, 0);
    if (rc == ZNODEEXISTS)
        rc = kn_zk_set_json(c->zk, path, j, -1, NULL);
    json_decref(j);
    if (rc != ZOK) {
        set_msg(msg, msglen, "writing topic config: %s", kn_zk_strerror(rc));
        err = KN_ERR_UNKNOWN_SERVER_ERROR;
        goto out;
    }

    j = json_object();
    json_object_set_new(j, "version", json_integer(2));
    json_object_set_new(j, "partitions", assignment_json(rows, 0, np, rf, NULL));
    json_object_set_new(j, "adding_replicas", json_object());
    json_object_set_new(j, "removing_replicas", json_object());
    snprintf(path, sizeof(path), "/brokers/topics/%s", spec->name);
    rc = kn_zk_create_json(c->zk, path, j, 0);
    json_decref(j);
    if (rc == ZNODEEXISTS) {
        set_msg(msg, msglen, "topic '%s' already exists", spec->name);
        err = KN_ERR_TOPIC_ALREADY_EXISTS;
    } else if (rc != ZOK) {
        set_msg(msg, msglen, "writing topic assignment: %s", kn_zk_strerror(rc));
        err = KN_ERR_UNKNOWN_SERVER_ERROR;
    } else {
        kn_log_info(LOGC, "created topic %s (%d partitions, replication factor %d)",
                    spec->name, np, rf);
    }
out:
    free(seen);
    free(rows);
    free(live);
    return err;
}

kn_err_t kn_topics_delete(kn_cluster_t *c, const char *name, char *msg, size_t msglen)
{
    if (kn_topic_name_check(name, strlen(name)) != KN_ERR_NONE)
        return KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (!kn_cluster_cfg_bool(c, "delete.topic.enable", true)) {
        set_msg(msg, msglen, "%s", "topic deletion is disabled (delete.topic.enable=false)");
        return KN_ERR_TOPIC_DELETION_DISABLED;
    }
    if (c->zk == NULL)
        return KN_ERR_UNKNOWN_SERVER_ERROR;
    char path[512];
    snprintf(path, sizeof(path), "/brokers/topics/%s", name);
    int rc = kn_zk_exists(c->zk, path, NULL, NULL, NULL);
    if (rc == ZNONODE)
        return KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (rc != ZOK) {
        set_msg(msg, msglen, "%s", kn_zk_strerror(rc));
        return KN_ERR_UNKNOWN_SERVER_ERROR;
    }
    snprintf(path, sizeof(path), "/admin/delete_topics/%s", name);
    rc = kn_zk_create(c->zk, path, NULL, -1, 0, NULL, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) {
        set_msg(msg, msglen, "%s", kn_zk_strerror(rc));
        return KN_ERR_UNKNOWN_SERVER_ERROR;
    }
    kn_log_info(LOGC, "marked topic %s for deletion", name);
    return KN_ERR_NONE;
}

kn_err_t kn_topics_add_partitions(kn_cluster_t *c, const char *name, int32_t count,
                                  int n_assign, const int32_t *const *assign,
                                  const int32_t *assign_len, bool validate_only,
                                  char *msg, size_t msglen)
{
    if (c->zk == NULL)
        return KN_ERR_UNKNOWN_SERVER_ERROR;
    char path[512];
    snprintf(path, sizeof(path), "/brokers/topics/%s", name);
    json_t *j = NULL;
    struct Stat st;
    int rc = kn_zk_get_json(c->zk, path, &j, &st, NULL, NULL);
    if (rc == ZNONODE)
        return KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
    if (rc != ZOK) {
        set_msg(msg, msglen, "%s", kn_zk_strerror(rc));
        return KN_ERR_UNKNOWN_SERVER_ERROR;
    }
    json_t *parts = json_object_get(j, "partitions");
    int32_t cur = json_is_object(parts) ? (int32_t)json_object_size(parts) : 0;
    json_t *p0 = json_is_object(parts) ? json_object_get(parts, "0") : NULL;
    int rf = json_is_array(p0) ? (int)json_array_size(p0) : 0;
    kn_err_t err = KN_ERR_NONE;
    int32_t *live = NULL, *rows = NULL;
    int n_live = 0;

    char b[96];
    if (cur == 0 || rf == 0) {
        set_msg(msg, msglen, "topic %s has no partition 0 in its assignment", name);
        err = KN_ERR_UNKNOWN_SERVER_ERROR;
        goto out;
    }
    if (count <= cur) {
        snprintf(b, sizeof(b), "%d; it must be larger than the current %d", count, cur);
        set_msg(msg, msglen, "requested partition count %s", b);
        err = KN_ERR_INVALID_PARTITIONS;
        goto out;
    }
    int32_t add = count - cur;
    n_live = kn_topics_live_brokers(c, &live);
    rows = kn_calloc((size_t)add * (size_t)rf, sizeof(int32_t));
    if (n_assign >= 0) {
        if (n_assign != add) {
            snprintf(b, sizeof(b), "%d assignments for %d new partitions", n_assign, add);
            set_msg(msg, msglen, "%s", b);
            err = KN_ERR_INVALID_REPLICA_ASSIGNMENT;
            goto out;
        }
        for (int32_t i = 0; i < add; i++) {
            if (assign_len[i] != rf) {
                set_msg(msg, msglen, "%s", "new partitions must have the topic's replica count");
                err = KN_ERR_INVALID_REPLICA_ASSIGNMENT;
                goto out;
            }
            err = kn_topics_check_assignment(assign[i], rf, live, n_live, msg, msglen);
            if (err != KN_ERR_NONE)
                goto out;
            memcpy(rows + (size_t)i * (size_t)rf, assign[i], sizeof(int32_t) * (size_t)rf);
        }
    } else {
        if (rf > n_live) {
            snprintf(b, sizeof(b), "%d replicas but only %d live brokers", rf, n_live);
            set_msg(msg, msglen, "%s", b);
            err = KN_ERR_INVALID_REPLICATION_FACTOR;
            goto out;
        }
        /* Continue the layout where it started, as Kafka does: start from
         * partition 0's first replica so leaders keep rotating. */
        int32_t first = (int32_t)json_integer_value(json_array_get(p0, 0));
        int start = 0;
        while (start < n_live && live[start] < first)
            start++;
        if (start == n_live)
            start = 0;
        err = kn_assign_replicas(live, n_live, add, (int16_t)rf, cur, start, start, rows);
        if (err != KN_ERR_NONE)
            goto out;
    }
    if (validate_only)
        goto out;
    assignment_json(rows, cur, add, rf, parts);
    rc = kn_zk_set_json(c->zk, path, j, st.version, NULL);
    if (rc == ZBADVERSION) {
        set_msg(msg, msglen, "%s", "topic assignment changed concurrently; retry");
        err = KN_ERR_REASSIGNMENT_IN_PROGRESS;
    } else if (rc != ZOK) {
        set_msg(msg, msglen, "%s", kn_zk_strerror(rc));
        err = KN_ERR_UNKNOWN_SERVER_ERROR;
    } else {
        kn_log_info(LOGC, "topic %s: partitions %d -> %d", name, cur, count);
    }
out:
    free(rows);
    free(live);
    json_decref(j);
    return err;
}

/* ---- background creation --------------------------------------------------- */

typedef struct {
    kn_cluster_t *c;
    char         *name;
    int32_t       partitions;
    int16_t       rf;
    int           n_configs;
    char        **keys;
    char        **values;
} async_create_t;

static void async_create_on_main(void *arg)
{
    async_create_t *ac = arg;
    if (!ac->c->stopping) {
        kn_topic_spec_t spec = {
            .name = ac->name, .num_partitions = ac->partitions,
            .replication_factor = ac->rf, .n_configs = ac->n_configs,
            .config_keys = (const char *const *)ac->keys,
            .config_values = (const char *const *)ac->values,
        };
        char msg[256] = "";
        kn_err_t err = kn_topics_create(ac->c, &spec, false, NULL, NULL, msg, sizeof(msg));
        if (err != KN_ERR_NONE && err != KN_ERR_TOPIC_ALREADY_EXISTS)
            kn_log_ratelimited(KN_LOG_WARN, LOGC, "admin.autocreate", 10000,
                               "cannot create topic %s: %s (%s)", ac->name, kn_err_name(err), msg);
    }
    for (int i = 0; i < ac->n_configs; i++) {
        free(ac->keys[i]);
        free(ac->values[i]);
    }
    free(ac->keys);
    free(ac->values);
    free(ac->name);
    free(ac);
}

void kn_cluster_create_topic_async(kn_cluster_t *c, const char *name, int32_t partitions,
                                   int16_t rf, int n_configs, const char *const *keys,
                                   const char *const *values)
{
    if (c == NULL || c->base == NULL || c->stopping)
        return;
    async_create_t *ac = kn_calloc(1, sizeof(*ac));
    ac->c = c;
    ac->name = kn_strdup(name);
    ac->partitions = partitions;
    ac->rf = rf;
    ac->n_configs = n_configs;
    ac->keys = kn_calloc((size_t)(n_configs > 0 ? n_configs : 1), sizeof(char *));
    ac->values = kn_calloc((size_t)(n_configs > 0 ? n_configs : 1), sizeof(char *));
    for (int i = 0; i < n_configs; i++) {
        ac->keys[i] = kn_strdup(keys[i]);
        ac->values[i] = kn_strdup(values[i]);
    }
    kn_server_run_on(c->base, async_create_on_main, ac);
}
