/*
 * broker/handlers/metadata.c -- Metadata (API key 3): brokers, cluster id,
 * controller, topics with their partitions, answered from the metadata
 * cache snapshot the controller keeps up to date.
 *
 * The controller id is the active controller's when that is also a broker
 * id, else a broker's (see pick_controller()).
 *
 * Each broker is listed with its endpoint on the listener the request came
 * in on (a client that connected over SSL must be sent SSL addresses);
 * brokers without that listener are left out, as Kafka does. Unknown topics
 * are auto-created when auto.create.topics.enable is on and the client
 * allows it (v4+ flag), answering LEADER_NOT_AVAILABLE meanwhile so the
 * client retries.
 *
 * Right after start-up, before the controller's first UpdateMetadata, the
 * cache knows no topic at all: answering from it would call existing
 * topics unknown (and try to auto-create them), and a client told "no
 * partitions" waits for its next periodic topic scan (librdkafka: 1 s).
 * So a Metadata request arriving then parks until the first update is in
 * (usually a few milliseconds), at most KN_MD_FIRST_WAIT_MS; if none came
 * by then, unknown topics get LEADER_NOT_AVAILABLE without auto-creation.
 */
#include "config.h"

#include <string.h>

#include "broker/cluster/cluster.h"
#include "broker/cluster/topics.h"
#include "broker/handlers/cluster_handlers.h"
#include "broker/server/delayed.h"
#include "broker/server/server.h"
#include "log.h"
#include "protocol/arena.h"
#include "protocol/metadata.h"

/* How long a Metadata request waits for the controller's first update. */
#define KN_MD_FIRST_WAIT_MS 1000

/* A Metadata request parked until the first update (or the deadline). */
typedef struct {
    kn_req_t          *req;
    kn_arena_t         arena;   /* the decoded request lives here */
    kn_metadata_req_t  mr;
} kn_md_wait_t;

static bool is_internal_topic(const char *name)
{
    return strcmp(name, "__consumer_offsets") == 0 || strcmp(name, "__transaction_state") == 0;
}

static void fill_topic(kn_arena_t *a, kn_metadata_topic_t *out, const kn_md_topic_t *t)
{
    out->error_code = KN_ERR_NONE;
    out->name = kn_slice_str(t->name);
    out->is_internal = is_internal_topic(t->name);
    out->topic_authorized_operations = INT32_MIN;
    out->n_partitions = t->n_partitions;
    out->partitions = kn_arena_array(a, (size_t)(t->n_partitions ? t->n_partitions : 1),
                                     sizeof(kn_metadata_partition_t));
    for (int i = 0; i < t->n_partitions; i++) {
        const kn_md_partition_t *p = &t->partitions[i];
        kn_metadata_partition_t *o = &out->partitions[i];
        o->error_code = p->leader < 0 ? KN_ERR_LEADER_NOT_AVAILABLE : KN_ERR_NONE;
        o->partition_index = p->partition;
        o->leader_id = p->leader;
        o->leader_epoch = p->leader_epoch;
        o->n_replica_nodes = p->n_replicas;
        o->replica_nodes = p->replicas;
        o->n_isr_nodes = p->n_isr;
        o->isr_nodes = p->isr;
        o->n_offline_replicas = p->n_offline;
        o->offline_replicas = p->offline;
    }
}

/* Before the controller's first UpdateMetadata the cache knows no broker;
 * list this one (on the request's listener) so a bootstrapping client has
 * somewhere to go instead of retrying an empty answer. */
static void add_self(kn_req_t *req, kn_metadata_resp_t *out)
{
    kn_server_t *srv = req->broker->server;
    for (size_t i = 0; srv && i < kn_server_listener_count(srv); i++) {
        const kn_listener_t *l = kn_server_listener(srv, i);
        if (req->listener && strcmp(l->name, req->listener) != 0)
            continue;
        kn_metadata_broker_t *b = &out->brokers[out->n_brokers++];
        b->node_id = req->broker->id;
        b->host = kn_slice_str(l->adv_host[0] ? l->adv_host : l->host);
        b->port = l->adv_port > 0 ? l->adv_port : l->port;
        b->rack = KN_SLICE_NULL;
        return;
    }
}

static bool listed(const kn_metadata_resp_t *out, int32_t id)
{
    for (int32_t i = 0; i < out->n_brokers; i++)
        if (out->brokers[i].node_id == id)
            return true;
    return false;
}

/* The controller id clients see. Kafka clients send CreateTopics,
 * DeleteTopics and CreatePartitions to the "controller" broker and wait
 * until Metadata names one they can reach. Kanal's controllers are
 * separate processes with their own ids, and every broker handles those
 * admin requests, so: the active controller's id when it is also a listed
 * broker id (the usual numbering), else this broker, else any listed one. */
static int32_t pick_controller(const kn_metadata_resp_t *out, int32_t active, int32_t self)
{
    if (active >= 0 && listed(out, active))
        return active;
    if (listed(out, self))
        return self;
    return out->n_brokers > 0 ? out->brokers[0].node_id : -1;
}

/* The cache holds something the controller sent (not the empty start-up
 * snapshot). */
static bool md_ready(const kn_md_t *md)
{
    return md->controller_epoch >= 0;
}

/* Encode the answer to mr from the current snapshot. */
static void metadata_answer(kn_req_t *req, const kn_metadata_req_t *mr, kn_arena_t *a,
                            kn_wbuf_t *resp)
{
    kn_cluster_t *c = req->broker->cluster;
    int16_t ver = req->api_version;
    kn_md_t *md = kn_cluster_md_acquire(c);
    kn_metadata_resp_t out;
    memset(&out, 0, sizeof(out));
    out.cluster_authorized_operations = INT32_MIN;
    out.cluster_id = kn_slice_str(md->cluster_id ? md->cluster_id : kn_cluster_id(c));

    out.brokers = kn_arena_array(a, (size_t)(md->n_brokers ? md->n_brokers : 1),
                                 sizeof(kn_metadata_broker_t));
    for (int i = 0; i < md->n_brokers; i++) {
        const kn_md_endpoint_t *ep = kn_md_endpoint(&md->brokers[i], req->listener);
        if (ep == NULL)
            continue;
        kn_metadata_broker_t *b = &out.brokers[out.n_brokers++];
        b->node_id = md->brokers[i].id;
        b->host = kn_slice_str(ep->host);
        b->port = ep->port;
        b->rack = kn_slice_str(md->brokers[i].rack);
    }

    if (out.n_brokers == 0)
        add_self(req, &out);
    out.controller_id = pick_controller(&out, md->controller_id, req->broker->id);

    if (kn_proto_metadata_all_topics(mr, ver)) {
        out.topics = kn_arena_array(a, (size_t)(md->n_topics ? md->n_topics : 1),
                                    sizeof(kn_metadata_topic_t));
        for (int i = 0; i < md->n_topics; i++)
            fill_topic(a, &out.topics[out.n_topics++], &md->topics[i]);
    } else {
        int32_t n = mr->n_topics > 0 ? mr->n_topics : 0;
        /* Without the controller's picture "not in the cache" does not
         * mean "does not exist": never auto-create then. */
        bool auto_create = md_ready(md) &&
                           kn_cluster_cfg_bool(c, "auto.create.topics.enable", true) &&
                           (ver < 4 || mr->allow_auto_topic_creation);
        out.topics = kn_arena_array(a, (size_t)(n ? n : 1), sizeof(kn_metadata_topic_t));
        for (int32_t i = 0; i < n; i++) {
            kn_metadata_topic_t *o = &out.topics[out.n_topics++];
            char *name = kn_arena_slice_strdup(a, mr->topics[i]);
            const kn_md_topic_t *t = name ? kn_md_topic(md, name) : NULL;
            o->name = mr->topics[i].len >= 0 ? mr->topics[i] : kn_slice_str("");
            o->topic_authorized_operations = INT32_MIN;
            if (t) {
                fill_topic(a, o, t);
            } else if (name == NULL ||
                       kn_topic_name_check((const char *)mr->topics[i].ptr,
                                           (size_t)mr->topics[i].len) != KN_ERR_NONE) {
                o->error_code = KN_ERR_INVALID_TOPIC_EXCEPTION;
            } else if (!md_ready(md)) {
                o->error_code = KN_ERR_LEADER_NOT_AVAILABLE;   /* ask again soon */
            } else if (auto_create && !is_internal_topic(name)) {
                kn_cluster_create_topic_async(c, name, -1, -1, 0, NULL, NULL);
                o->error_code = KN_ERR_LEADER_NOT_AVAILABLE;
            } else {
                o->error_code = KN_ERR_UNKNOWN_TOPIC_OR_PARTITION;
            }
        }
    }

    kn_proto_metadata_resp_encode(resp, ver, &out);
    kn_md_release(md);
}

static bool cluster_md_ready(kn_cluster_t *c)
{
    kn_md_t *md = kn_cluster_md_acquire(c);
    bool ready = md_ready(md);
    kn_md_release(md);
    return ready;
}

static bool metadata_on_event(void *arg, kn_delayed_reason_t why)
{
    kn_md_wait_t *mw = arg;
    kn_req_t *req = mw->req;
    if (why == KN_DELAYED_WAKE && !kn_req_conn_closed(req) &&
        !cluster_md_ready(req->broker->cluster)) {
        return false;   /* not the update we wait for */
    }
    kn_wbuf_t w;
    kn_wbuf_init(&w, 256);
    if (!kn_req_conn_closed(req))
        metadata_answer(req, &mw->mr, &mw->arena, &w);
    kn_req_complete(req, &w);
    kn_wbuf_free(&w);
    kn_arena_free(&mw->arena);
    free(mw);
    return true;
}

int kn_handle_metadata(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_cluster_t *c = req->broker->cluster;
    kn_md_wait_t *mw = kn_calloc(1, sizeof(*mw));
    kn_arena_init(&mw->arena);
    if (kn_proto_metadata_req_decode(&req->body, req->api_version, &mw->mr, &mw->arena) != KN_OK) {
        kn_arena_free(&mw->arena);
        free(mw);
        return KN_ERROR;
    }
    if (!cluster_md_ready(c) && req->base != NULL) {
        mw->req = req;
        kn_delayed_t *op = kn_delayed_new(req->base, KN_MD_FIRST_WAIT_MS, metadata_on_event, mw);
        kn_delayed_watch(op, KN_CLUSTER_MD_KEY);
        /* The update may have landed between the check and the watch. */
        if (!cluster_md_ready(c))
            return KN_AGAIN;
        kn_delayed_cancel(op);
    }
    metadata_answer(req, &mw->mr, &mw->arena, resp);
    kn_arena_free(&mw->arena);
    free(mw);
    return KN_OK;
}
