/*
 * controller/state.c -- the in-memory cluster model and its ZooKeeper
 * mirror.
 *
 * The active controller keeps the brokers (/brokers/ids), the topics and
 * their assignments (/brokers/topics/<t>) and every partition's state
 * (/brokers/topics/<t>/partitions/<p>/state) in memory. It is the only
 * writer of partition state, so memory stays authoritative between loads;
 * it re-reads a part of ZooKeeper only when that part's watch fires.
 *
 * Watches are one-shot: each is re-armed by the read that follows its
 * firing, and only then (watch_armed flags), so a node that never changes
 * carries exactly one watch however often its siblings change.
 *
 * Every partition-state write is a multi whose first op checks the version
 * of /controller_epoch we ourselves wrote when elected. If another
 * controller has been elected since, that check fails and nothing is
 * written: a controller paused past its session (GC, SIGSTOP, a VM freeze)
 * cannot overwrite its successor's decisions.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controller/controller.h"
#include "log.h"

#define PATH_MAX_LEN 512

/* ---- lookups ------------------------------------------------------------ */

kn_ctl_broker_t *kn_ctl_broker_find(kn_ctl_t *c, int32_t id)
{
    for (int i = 0; i < c->nbrokers; i++)
        if (c->brokers[i].id == id)
            return &c->brokers[i];
    return NULL;
}

kn_ctl_topic_t *kn_ctl_topic_find(kn_ctl_t *c, const char *name)
{
    for (int i = 0; i < c->ntopics; i++)
        if (strcmp(c->topics[i].name, name) == 0)
            return &c->topics[i];
    return NULL;
}

kn_ctl_part_t *kn_ctl_part_find(kn_ctl_t *c, const char *topic, int32_t partition,
                                kn_ctl_topic_t **t_out)
{
    kn_ctl_topic_t *t = kn_ctl_topic_find(c, topic);
    if (t_out != NULL)
        *t_out = t;
    if (t == NULL)
        return NULL;
    for (int i = 0; i < t->nparts; i++)
        if (t->parts[i].id == partition)
            return &t->parts[i];
    return NULL;
}

void kn_ctl_live_set(kn_ctl_t *c, kn_ctl_ids_t *out)
{
    kn_ctl_ids_clear(out);
    for (int i = 0; i < c->nbrokers; i++)
        if (!c->brokers[i].shutting_down)
            kn_ctl_ids_add(out, c->brokers[i].id);
}

/* ---- JSON <-> state ------------------------------------------------------ */

json_t *kn_ctl_state_json(const kn_ctl_part_t *p)
{
    json_t *isr = json_array();
    for (int i = 0; i < p->isr.n; i++)
        json_array_append_new(isr, json_integer(p->isr.v[i]));
    return json_pack("{s:i, s:i, s:i, s:o, s:i}", "controller_epoch", (int)p->controller_epoch,
                     "leader", (int)p->leader, "leader_epoch", (int)p->leader_epoch,
                     "isr", isr, "version", 1);
}

static bool json_int32(const json_t *v, int32_t *out)
{
    if (!json_is_integer(v))
        return false;
    json_int_t x = json_integer_value(v);
    if (x < INT32_MIN || x > INT32_MAX)
        return false;
    *out = (int32_t)x;
    return true;
}

int kn_ctl_state_parse(const json_t *j, kn_ctl_part_t *p)
{
    int32_t leader, epoch, cepoch = 0;
    const json_t *isr = json_object_get(j, "isr");

    if (!json_is_object(j) || !json_int32(json_object_get(j, "leader"), &leader) ||
        !json_int32(json_object_get(j, "leader_epoch"), &epoch) || !json_is_array(isr))
        return KN_ERROR;
    json_int32(json_object_get(j, "controller_epoch"), &cepoch);
    kn_ctl_ids_clear(&p->isr);
    for (size_t i = 0; i < json_array_size(isr); i++) {
        int32_t id;
        if (!json_int32(json_array_get(isr, i), &id))
            return KN_ERROR;
        kn_ctl_ids_add(&p->isr, id);
    }
    p->leader = leader;
    p->leader_epoch = epoch;
    p->controller_epoch = cepoch;
    return KN_OK;
}

/* ---- fenced writes ------------------------------------------------------- */

int kn_ctl_zk_write_state(kn_zk_t *zk, int32_t epoch_zkversion, const char *topic,
                          const kn_ctl_part_t *p, int32_t *new_version)
{
    char path[PATH_MAX_LEN + 16], parent[PATH_MAX_LEN];
    zoo_op_t ops[2];
    zoo_op_result_t res[2];
    struct Stat st;
    char created[16];

    snprintf(parent, sizeof parent, "/brokers/topics/%s/partitions/%d", topic, (int)p->id);
    snprintf(path, sizeof path, "%s/state", parent);
    json_t *j = kn_ctl_state_json(p);
    char *data = kn_zk_json_dump(j);
    json_decref(j);

    if (p->zk_version < 0) {
        /* The empty parents carry nothing a successor could disagree with,
         * so creating them outside the fenced multi is harmless. */
        int rc = kn_zk_create_parents(zk, parent);
        if (rc != ZOK) {
            kn_log_warn("controller.state", "creating %s: %s", parent, kn_zk_strerror(rc));
            free(data);
            return KN_ERROR;
        }
    }
    memset(res, 0, sizeof res);
    memset(&st, 0, sizeof st);
    zoo_check_op_init(&ops[0], "/controller_epoch", epoch_zkversion);
    if (p->zk_version < 0)
        zoo_create_op_init(&ops[1], path, data, (int)strlen(data), &ZOO_OPEN_ACL_UNSAFE, 0,
                           created, sizeof created);
    else
        zoo_set_op_init(&ops[1], path, data, (int)strlen(data), p->zk_version, &st);
    int rc = kn_zk_multi(zk, 2, ops, res);
    free(data);
    if (rc == ZOK) {
        *new_version = p->zk_version < 0 ? 0 : st.version;
        return KN_OK;
    }
    if (res[0].err == ZBADVERSION || res[0].err == ZNONODE)
        return KN_CTL_FENCED;
    if (res[1].err == ZBADVERSION || res[1].err == ZNODEEXISTS || res[1].err == ZNONODE)
        return KN_CTL_CONFLICT;
    kn_log_warn("controller.state", "writing %s: %s", path, kn_zk_strerror(rc));
    return KN_ERROR;
}

/* Read one partition's state znode into p; ZNONODE leaves zk_version -1. */
static int load_part_state(kn_ctl_t *c, const char *topic, kn_ctl_part_t *p)
{
    char path[PATH_MAX_LEN];
    json_t *j = NULL;
    struct Stat st;

    snprintf(path, sizeof path, "/brokers/topics/%s/partitions/%d/state", topic, (int)p->id);
    int rc = kn_zk_get_json(c->zk, path, &j, &st, NULL, NULL);
    if (rc == ZNONODE) {
        p->zk_version = -1;
        return KN_OK;
    }
    if (rc != ZOK) {
        kn_log_warn("controller.state", "reading %s: %s", path, kn_zk_strerror(rc));
        return KN_ERROR;
    }
    if (kn_ctl_state_parse(j, p) != KN_OK) {
        /* Unreadable state: rewrite it from scratch rather than stall. */
        kn_log_warn("controller.state", "%s holds malformed state; re-initialising it", path);
        p->zk_version = st.version;
        p->leader = -1;
        kn_ctl_ids_copy(&p->isr, &p->replicas);
    } else {
        p->zk_version = st.version;
    }
    json_decref(j);
    return KN_OK;
}

int kn_ctl_state_write(kn_ctl_t *c, kn_ctl_topic_t *t, kn_ctl_part_t *p)
{
    int32_t ver = -1;

    if (!c->active)
        return KN_CTL_FENCED;
    p->controller_epoch = c->epoch;
    int rc = kn_ctl_zk_write_state(c->zk, c->epoch_zkversion, t->name, p, &ver);
    if (rc == KN_OK) {
        p->is_new = p->zk_version < 0;
        p->zk_version = ver;
        p->push_lai = true;
        c->push_um = true;
        kn_log_info("controller.state", "%s-%d: leader %d leader_epoch %d isr size %d (version %d)",
                    t->name, (int)p->id, (int)p->leader, (int)p->leader_epoch, p->isr.n, (int)ver);
    } else if (rc == KN_CTL_FENCED) {
        kn_log_error("controller.state", "write of %s-%d fenced: /controller_epoch is no longer "
                     "at version %d; another controller was elected",
                     t->name, (int)p->id, (int)c->epoch_zkversion);
        kn_ctl_resign(c, "fenced by a newer controller epoch");
    } else if (rc == KN_CTL_CONFLICT) {
        kn_log_warn("controller.state", "%s-%d state changed in ZooKeeper; reloading",
                    t->name, (int)p->id);
        load_part_state(c, t->name, p);
    }
    return rc;
}

/* ---- brokers -------------------------------------------------------------- */

static void broker_watch_cb(kn_zk_t *zk, kn_zk_watch_event_t ev, const char *path, void *ud)
{
    kn_ctl_t *c = ud;
    if (!c->active)
        return;
    const char *slash = strrchr(path, '/');
    if (slash != NULL && strcmp(path, "/brokers/ids") != 0) {
        kn_ctl_broker_t *b = kn_ctl_broker_find(c, (int32_t)atoi(slash + 1));
        if (b != NULL)
            b->watch_armed = false;
    }
    c->dirty_brokers = true;
    kn_ctl_schedule_work(c);
}

static void broker_release(kn_ctl_broker_t *b)
{
    json_decref(b->reg);
    b->reg = NULL;
}

int kn_ctl_state_sync_brokers(kn_ctl_t *c, kn_ctl_ids_t *gone, kn_ctl_ids_t *added)
{
    char **names = NULL;
    int count = 0;

    c->dirty_brokers = false;
    int rc = kn_zk_children(c->zk, "/brokers/ids", &names, &count, broker_watch_cb, c);
    if (rc == ZNONODE) {
        /* No broker has ever started: watch for the parent to appear. */
        kn_zk_create_parents(c->zk, "/brokers/ids");
        rc = kn_zk_children(c->zk, "/brokers/ids", &names, &count, broker_watch_cb, c);
    }
    if (rc != ZOK) {
        kn_log_warn("controller.state", "listing /brokers/ids: %s", kn_zk_strerror(rc));
        c->dirty_brokers = true;
        return KN_ERROR;
    }

    /* New array of brokers: keep entries whose registration is unchanged. */
    kn_ctl_broker_t *nb = kn_calloc((size_t)count + 1, sizeof *nb);
    int n = 0;
    for (int i = 0; i < count; i++) {
        char *end;
        long id = strtol(names[i], &end, 10);
        if (*end != '\0' || id < 0 || id > INT32_MAX)
            continue;
        kn_ctl_broker_t *old = kn_ctl_broker_find(c, (int32_t)id);
        if (old != NULL && old->watch_armed) {
            nb[n++] = *old;
            old->id = -1;     /* moved */
            continue;
        }
        char path[64];
        json_t *j = NULL;
        struct Stat st;
        snprintf(path, sizeof path, "/brokers/ids/%ld", id);
        rc = kn_zk_get_json(c->zk, path, &j, &st, broker_watch_cb, c);
        if (rc == ZNONODE)
            continue;         /* gone between the listing and now */
        if (rc != ZOK) {
            /* Keep what we knew; try again on the next pass. */
            kn_log_warn("controller.state", "reading %s: %s", path, kn_zk_strerror(rc));
            c->dirty_brokers = true;
            if (old != NULL) {
                nb[n++] = *old;
                old->id = -1;
            }
            continue;
        }
        if (old != NULL && old->epoch == st.czxid) {
            /* Same registration, new data (or just our watch re-armed). */
            json_decref(old->reg);
            old->reg = j;
            old->watch_armed = true;
            nb[n++] = *old;
            old->id = -1;
            continue;
        }
        kn_ctl_broker_t *b = &nb[n++];
        memset(b, 0, sizeof *b);
        b->id = (int32_t)id;
        b->epoch = st.czxid;
        b->reg = j;
        b->watch_armed = true;
        kn_ctl_ids_add(added, b->id);
        kn_log_info("controller.state", "broker %ld registered (epoch %lld)", id,
                    (long long)st.czxid);
    }
    kn_zk_children_free(names, count);

    /* Whatever was not carried over is gone (or re-registered with a new
     * epoch, which counts as death followed by birth). */
    for (int i = 0; i < c->nbrokers; i++) {
        kn_ctl_broker_t *old = &c->brokers[i];
        if (old->id < 0)
            continue;
        kn_log_info("controller.state", "broker %d is gone (epoch %lld)", (int)old->id,
                    (long long)old->epoch);
        kn_ctl_ids_add(gone, old->id);
        kn_ctl_channel_drop_broker(c, old);
        broker_release(old);
    }
    free(c->brokers);
    c->brokers = nb;
    c->nbrokers = n;
    return KN_OK;
}

/* ---- topics ---------------------------------------------------------------- */

static void topic_watch_cb(kn_zk_t *zk, kn_zk_watch_event_t ev, const char *path, void *ud)
{
    kn_ctl_t *c = ud;
    if (!c->active)
        return;
    if (strcmp(path, "/brokers/topics") == 0) {
        c->dirty_topics = true;
    } else {
        kn_ctl_topic_t *t = kn_ctl_topic_find(c, path + strlen("/brokers/topics/"));
        if (t != NULL) {
            t->watch_armed = false;
            t->dirty = true;
        }
    }
    kn_ctl_schedule_work(c);
}

static void part_release(kn_ctl_part_t *p)
{
    kn_ctl_ids_free(&p->replicas);
    kn_ctl_ids_free(&p->isr);
}

static void topic_release(kn_ctl_topic_t *t)
{
    for (int i = 0; i < t->nparts; i++)
        part_release(&t->parts[i]);
    free(t->parts);
    free(t->name);
    memset(t, 0, sizeof *t);
}

/* URL-safe base64 without padding (22 chars) -> 16 bytes. */
static bool topic_id_decode(const char *s, uint8_t out[16])
{
    static const char al[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    uint32_t acc = 0;
    int bits = 0, n = 0;

    if (s == NULL || strlen(s) != 22)
        return false;
    for (int i = 0; i < 22; i++) {
        const char *q = strchr(al, s[i]);
        if (q == NULL || s[i] == '\0')
            return false;
        acc = (acc << 6) | (uint32_t)(q - al);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n < 16)
                out[n++] = (uint8_t)(acc >> bits);
        }
    }
    return n == 16;
}

int kn_ctl_state_reload_topic(kn_ctl_t *c, kn_ctl_topic_t *t)
{
    char path[PATH_MAX_LEN];
    json_t *j = NULL;
    struct Stat st;

    t->dirty = false;
    snprintf(path, sizeof path, "/brokers/topics/%s", t->name);
    int rc = kn_zk_get_json(c->zk, path, &j, &st, t->watch_armed ? NULL : topic_watch_cb, c);
    if (rc == ZNONODE)
        return KN_DECLINED;   /* the topic children watch will drop it */
    if (rc != ZOK) {
        kn_log_warn("controller.state", "reading %s: %s", path, kn_zk_strerror(rc));
        t->dirty = true;
        return KN_ERROR;
    }
    t->watch_armed = true;
    t->assignment_version = st.version;
    t->has_id = topic_id_decode(json_string_value(json_object_get(j, "topic_id")), t->topic_id);

    json_t *parts = json_object_get(j, "partitions");
    const char *key;
    json_t *reps;
    json_object_foreach(parts, key, reps) {
        char *end;
        long pid = strtol(key, &end, 10);
        if (*end != '\0' || key[0] == '\0' || pid < 0 || pid > INT32_MAX || !json_is_array(reps)) {
            kn_log_warn("controller.state", "%s: bad partition entry \"%s\"; ignored", path, key);
            continue;
        }
        kn_ctl_part_t *p = NULL;
        for (int i = 0; i < t->nparts; i++)
            if (t->parts[i].id == (int32_t)pid)
                p = &t->parts[i];
        if (p != NULL)
            continue;   /* replica reassignment is not supported: keep ours */
        kn_ctl_part_t np;
        memset(&np, 0, sizeof np);
        np.id = (int32_t)pid;
        np.leader = -1;
        for (size_t i = 0; i < json_array_size(reps); i++) {
            int32_t r;
            if (json_int32(json_array_get(reps, i), &r) && r >= 0)
                kn_ctl_ids_add(&np.replicas, r);
        }
        if (np.replicas.n == 0) {
            kn_log_warn("controller.state", "%s: partition %ld has no replicas; ignored", path, pid);
            part_release(&np);
            continue;
        }
        if (load_part_state(c, t->name, &np) != KN_OK) {
            part_release(&np);
            t->dirty = true;
            continue;
        }
        t->parts = kn_realloc(t->parts, (size_t)(t->nparts + 1) * sizeof *t->parts);
        t->parts[t->nparts++] = np;
    }
    json_decref(j);
    return KN_OK;
}

void kn_ctl_note_deleted(kn_ctl_t *c, const char *name)
{
    c->deleted = kn_realloc(c->deleted, (size_t)(c->ndeleted + 1) * sizeof *c->deleted);
    c->deleted[c->ndeleted++] = kn_strdup(name);
    c->push_um = true;
}

void kn_ctl_topic_remove(kn_ctl_t *c, const char *name)
{
    for (int i = 0; i < c->ntopics; i++) {
        if (strcmp(c->topics[i].name, name) == 0) {
            topic_release(&c->topics[i]);
            c->topics[i] = c->topics[c->ntopics - 1];
            c->ntopics--;
            return;
        }
    }
}

int kn_ctl_state_sync_topics(kn_ctl_t *c, int *first_new)
{
    char **names = NULL;
    int count = 0;

    c->dirty_topics = false;
    *first_new = c->ntopics;
    int rc = kn_zk_children(c->zk, "/brokers/topics", &names, &count, topic_watch_cb, c);
    if (rc == ZNONODE) {
        kn_zk_create_parents(c->zk, "/brokers/topics");
        rc = kn_zk_children(c->zk, "/brokers/topics", &names, &count, topic_watch_cb, c);
    }
    if (rc != ZOK) {
        kn_log_warn("controller.state", "listing /brokers/topics: %s", kn_zk_strerror(rc));
        c->dirty_topics = true;
        return KN_ERROR;
    }
    /* Topics gone without a deletion marker (removed by hand). */
    for (int i = 0; i < c->ntopics;) {
        bool found = false;
        for (int k = 0; k < count && !found; k++)
            found = strcmp(names[k], c->topics[i].name) == 0;
        if (!found) {
            kn_log_info("controller.state", "topic %s disappeared", c->topics[i].name);
            kn_ctl_note_deleted(c, c->topics[i].name);
            kn_ctl_topic_remove(c, c->topics[i].name);
        } else {
            i++;
        }
    }
    *first_new = c->ntopics;
    for (int k = 0; k < count; k++) {
        if (kn_ctl_topic_find(c, names[k]) != NULL)
            continue;
        c->topics = kn_realloc(c->topics, (size_t)(c->ntopics + 1) * sizeof *c->topics);
        kn_ctl_topic_t *t = &c->topics[c->ntopics];
        memset(t, 0, sizeof *t);
        t->name = kn_strdup(names[k]);
        c->ntopics++;
        if (kn_ctl_state_reload_topic(c, t) == KN_DECLINED) {
            kn_ctl_topic_remove(c, names[k]);
            continue;
        }
        kn_log_info("controller.state", "topic %s: %d partitions", t->name, t->nparts);
    }
    kn_zk_children_free(names, count);
    return KN_OK;
}

int kn_ctl_state_load(kn_ctl_t *c)
{
    kn_ctl_ids_t gone = {0}, added = {0};
    int first_new;

    int rc = kn_ctl_state_sync_brokers(c, &gone, &added);
    kn_ctl_ids_free(&gone);
    kn_ctl_ids_free(&added);
    if (rc != KN_OK)
        return rc;
    if (kn_ctl_state_sync_topics(c, &first_new) != KN_OK)
        return KN_ERROR;
    /* Deletion markers are read by the first processing pass. */
    c->dirty_deletes = true;
    kn_log_info("controller.state", "loaded %d live brokers and %d topics from ZooKeeper",
                c->nbrokers, c->ntopics);
    return KN_OK;
}

void kn_ctl_state_clear(kn_ctl_t *c)
{
    for (int i = 0; i < c->nbrokers; i++)
        broker_release(&c->brokers[i]);
    free(c->brokers);
    c->brokers = NULL;
    c->nbrokers = 0;
    for (int i = 0; i < c->ntopics; i++)
        topic_release(&c->topics[i]);
    free(c->topics);
    c->topics = NULL;
    c->ntopics = 0;
    for (int i = 0; i < c->ndeleted; i++)
        free(c->deleted[i]);
    free(c->deleted);
    c->deleted = NULL;
    c->ndeleted = 0;
    c->dirty_brokers = c->dirty_topics = c->dirty_deletes = false;
    c->push_um = false;
}
