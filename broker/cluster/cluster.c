/*
 * broker/cluster/cluster.c -- the cluster object: start/stop, the metadata
 * snapshot swap, controller-epoch fencing and the dispatch of controller
 * messages (LeaderAndIsr, UpdateMetadata, StopReplica).
 *
 * Everything here that changes state runs on the main loop (the controller
 * channel delivers there); handlers on worker threads only read through
 * kn_cluster_md_acquire() and kn_cluster_partition_lookup().
 */
#include "config.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "broker/cluster/cluster_int.h"
#include "broker/handlers/cluster_handlers.h"
#include "broker/replica/replica.h"
#include "broker/server/delayed.h"
#include "log.h"
#include "protocol/api.h"

#define LOGC "broker.cluster"

kn_cluster_t *kn_cluster_new_local(kn_broker_t *b)
{
    kn_cluster_t *c = kn_calloc(1, sizeof(*c));
    c->b = b;
    c->base = b ? b->main_base : NULL;
    c->broker_id = b ? b->id : -1;
    c->broker_epoch = -1;
    c->ctl_id = -1;
    c->max_controller_epoch = -1;
    c->next_request_id = 1;
    c->md = kn_md_new_empty();
    pthread_rwlock_init(&c->md_lock, NULL);
    pthread_mutex_init(&c->rep_lock, NULL);
    return c;
}

void kn_cluster_free_local(kn_cluster_t *c)
{
    if (c == NULL)
        return;
    kn_replicas_free_all(c);
    kn_md_release(c->md);
    pthread_rwlock_destroy(&c->md_lock);
    pthread_mutex_destroy(&c->rep_lock);
    free(c->cluster_id);
    free(c->reg_json);
    free(c->ctl_endpoint);
    free(c);
}

kn_cluster_t *kn_cluster_start(kn_broker_t *b)
{
    kn_cluster_t *c = kn_cluster_new_local(b);
    if (kn_zkreg_start(c) != KN_OK) {
        kn_zkreg_stop(c);
        kn_cluster_free_local(c);
        return NULL;
    }
    kn_ctlsession_start(c);
    return c;
}

void kn_cluster_stop(kn_cluster_t *c)
{
    if (c == NULL)
        return;
    c->stopping = 1;
    /* Work that handlers queued for the main loop before the network layer
     * stopped still references c: run it now (one non-blocking pass of
     * the loop drains the queue), so nothing runs after c is freed. */
    if (c->base)
        event_base_loop(c->base, EVLOOP_NONBLOCK);
    kn_admin_stop(c);
    kn_ctlsession_stop(c);
    kn_zkreg_stop(c);
    kn_cluster_free_local(c);
}

void kn_cluster_register_handlers(void)
{
    kn_handlers_register(KN_API_METADATA, kn_handle_metadata);
    kn_handlers_register(KN_API_CREATE_TOPICS, kn_handle_create_topics);
    kn_handlers_register(KN_API_DELETE_TOPICS, kn_handle_delete_topics);
    kn_handlers_register(KN_API_CREATE_PARTITIONS, kn_handle_create_partitions);
    kn_handlers_register(KN_API_DESCRIBE_CONFIGS, kn_handle_describe_configs);
    kn_handlers_register(KN_API_ELECT_LEADERS, kn_handle_elect_leaders);
}

const char *kn_cluster_cfg_str(kn_cluster_t *c, const char *key)
{
    if (c->b == NULL || c->b->cfg == NULL || kn_config_find_key(kn_broker_config_table, key) == NULL)
        return NULL;
    return kn_config_str(c->b->cfg, key);
}

const char *kn_cluster_id(const kn_cluster_t *c)
{
    return c->cluster_id;
}

int64_t kn_cluster_broker_epoch(const kn_cluster_t *c)
{
    return __atomic_load_n(&c->broker_epoch, __ATOMIC_ACQUIRE);
}

/* ---- metadata snapshot ------------------------------------------------- */

kn_md_t *kn_cluster_md_acquire(kn_cluster_t *c)
{
    pthread_rwlock_rdlock(&c->md_lock);
    kn_md_t *md = c->md;
    __atomic_fetch_add(&md->refs, 1, __ATOMIC_ACQ_REL);
    pthread_rwlock_unlock(&c->md_lock);
    return md;
}

static void md_publish(kn_cluster_t *c, kn_md_t *md)
{
    pthread_rwlock_wrlock(&c->md_lock);
    kn_md_t *old = c->md;
    c->md = md;
    pthread_rwlock_unlock(&c->md_lock);
    kn_md_release(old);
    kn_delayed_notify(KN_CLUSTER_MD_KEY);
}

/* ---- controller messages ------------------------------------------------ */

kn_err_t kn_cluster_fence(kn_cluster_t *c, int32_t controller_epoch)
{
    if (controller_epoch < c->max_controller_epoch)
        return KN_ERR_STALE_CONTROLLER_EPOCH;
    c->max_controller_epoch = controller_epoch;
    return KN_ERR_NONE;
}

/* A message addressed to an older incarnation of this broker (before a
 * ZooKeeper session renewal) must not act on the new one. 0 means the
 * sender did not fill it in. */
static bool stale_broker_epoch(kn_cluster_t *c, int64_t epoch)
{
    int64_t mine = kn_cluster_broker_epoch(c);
    return epoch > 0 && mine > 0 && epoch < mine;
}

static bool is_replica(const Kanal__Control__PartitionState *ps, int32_t id)
{
    for (size_t i = 0; i < ps->n_replicas; i++)
        if (ps->replicas[i] == id)
            return true;
    return false;
}

/* The checks every controller request passes before it may act: the
 * controller-epoch fence, with a warning naming the request (what), and
 * the broker-epoch check. */
static kn_err_t controller_msg_admit(kn_cluster_t *c, const char *what, int32_t controller_epoch,
                                     int64_t broker_epoch)
{
    kn_err_t err = kn_cluster_fence(c, controller_epoch);
    if (err != KN_ERR_NONE) {
        kn_log_warn(LOGC, "ignoring %s from stale controller epoch %d (seen %d)", what,
                    controller_epoch, c->max_controller_epoch);
        return err;
    }
    if (stale_broker_epoch(c, broker_epoch))
        return KN_ERR_STALE_BROKER_EPOCH;
    return KN_ERR_NONE;
}

/* The per-partition answer array of a response (one slot a partition). */
static Kanal__Control__PartitionError **perrs_new(size_t n)
{
    return n ? kn_calloc(n, sizeof(Kanal__Control__PartitionError *)) : NULL;
}

static Kanal__Control__PartitionError *perr_new(const char *topic, int32_t partition, int32_t code)
{
    Kanal__Control__PartitionError *pe = kn_malloc(sizeof(*pe));
    kanal__control__partition_error__init(pe);
    pe->topic = kn_strdup(topic ? topic : "");
    pe->partition = partition;
    pe->error_code = code;
    return pe;
}

static int32_t on_leader_and_isr(kn_cluster_t *c, const Kanal__Control__LeaderAndIsr *m,
                                 Kanal__Control__LeaderAndIsrResponse *resp)
{
    kn_err_t err = controller_msg_admit(c, "LeaderAndIsr", m->controller_epoch, m->broker_epoch);
    if (err != KN_ERR_NONE)
        return err;
    resp->partitions = perrs_new(m->n_partitions);
    for (size_t i = 0; i < m->n_partitions; i++) {
        const Kanal__Control__PartitionState *ps = m->partitions[i];
        kn_err_t perr = KN_ERR_NONE;
        if (is_replica(ps, c->broker_id))
            perr = kn_replicas_become(c, ps, m->controller_epoch);
        else
            perr = kn_replicas_stop(c, ps->topic, ps->partition, ps->leader_epoch, false);
        resp->partitions[resp->n_partitions++] = perr_new(ps->topic, ps->partition, perr);
    }
    return KN_ERR_NONE;
}

static int32_t on_update_metadata(kn_cluster_t *c, const Kanal__Control__UpdateMetadata *m)
{
    kn_err_t err = controller_msg_admit(c, "UpdateMetadata", m->controller_epoch, m->broker_epoch);
    if (err != KN_ERR_NONE)
        return err;
    kn_md_t *cur = kn_cluster_md_acquire(c);
    kn_md_t *md = kn_md_apply_update(cur, m);
    kn_md_release(cur);
    if (md->cluster_id == NULL && c->cluster_id)
        md->cluster_id = kn_strdup(c->cluster_id);
    kn_log_debug(LOGC, "metadata from controller %d epoch %d: %d brokers, %d topics",
                 md->controller_id, md->controller_epoch, md->n_brokers, md->n_topics);
    md_publish(c, md);
    kn_admin_on_metadata(c);
    return KN_ERR_NONE;
}

static int32_t on_stop_replica(kn_cluster_t *c, const Kanal__Control__StopReplica *m,
                               Kanal__Control__StopReplicaResponse *resp)
{
    kn_err_t err = controller_msg_admit(c, "StopReplica", m->controller_epoch, m->broker_epoch);
    if (err != KN_ERR_NONE)
        return err;
    resp->partitions = perrs_new(m->n_partitions);
    for (size_t i = 0; i < m->n_partitions; i++) {
        const Kanal__Control__StopReplicaPartition *p = m->partitions[i];
        kn_err_t perr = kn_replicas_stop(c, p->topic, p->partition, p->leader_epoch,
                                         p->delete_partition);
        resp->partitions[resp->n_partitions++] = perr_new(p->topic, p->partition, perr);
    }
    return KN_ERR_NONE;
}

bool kn_cluster_on_control(kn_cluster_t *c, const Kanal__Control__KnControl *msg,
                           Kanal__Control__KnControl *reply)
{
    kanal__control__kn_control__init(reply);
    reply->request_id = msg->request_id;
    reply->is_response = true;

    switch (msg->body_case) {
    case KANAL__CONTROL__KN_CONTROL__BODY_LEADER_AND_ISR: {
        Kanal__Control__LeaderAndIsrResponse *r = kn_malloc(sizeof(*r));
        kanal__control__leader_and_isr_response__init(r);
        r->error_code = on_leader_and_isr(c, msg->leader_and_isr, r);
        reply->body_case = KANAL__CONTROL__KN_CONTROL__BODY_LEADER_AND_ISR_RESPONSE;
        reply->leader_and_isr_response = r;
        return true;
    }
    case KANAL__CONTROL__KN_CONTROL__BODY_UPDATE_METADATA: {
        Kanal__Control__UpdateMetadataResponse *r = kn_malloc(sizeof(*r));
        kanal__control__update_metadata_response__init(r);
        r->error_code = on_update_metadata(c, msg->update_metadata);
        reply->body_case = KANAL__CONTROL__KN_CONTROL__BODY_UPDATE_METADATA_RESPONSE;
        reply->update_metadata_response = r;
        return true;
    }
    case KANAL__CONTROL__KN_CONTROL__BODY_STOP_REPLICA: {
        Kanal__Control__StopReplicaResponse *r = kn_malloc(sizeof(*r));
        kanal__control__stop_replica_response__init(r);
        r->error_code = on_stop_replica(c, msg->stop_replica, r);
        reply->body_case = KANAL__CONTROL__KN_CONTROL__BODY_STOP_REPLICA_RESPONSE;
        reply->stop_replica_response = r;
        return true;
    }
    case KANAL__CONTROL__KN_CONTROL__BODY_REGISTER_RESPONSE: {
        const Kanal__Control__RegisterResponse *r = msg->register_response;
        if (r->error_code != 0)
            kn_log_warn(LOGC, "controller refused registration: %s",
                        kn_err_name(r->error_code));
        else
            kn_log_info(LOGC, "registered with controller %d (epoch %d)",
                        r->controller_id, r->controller_epoch);
        if (r->controller_epoch > c->max_controller_epoch)
            c->max_controller_epoch = r->controller_epoch;
        return false;
    }
    case KANAL__CONTROL__KN_CONTROL__BODY_ALTER_ISR_RESPONSE:
        /* Replication (broker/replica) proposed the ISR change. */
        if (c->b != NULL)
            kn_repl_on_alter_isr_response(c->b->repl, msg->alter_isr_response);
        return false;
    case KANAL__CONTROL__KN_CONTROL__BODY_CONTROLLED_SHUTDOWN_RESPONSE:
        /* Controlled shutdown (broker/replica) is waiting for it. */
        if (c->b != NULL)
            kn_repl_on_controlled_shutdown_response(c->b->repl,
                                                    msg->controlled_shutdown_response);
        return false;
    default:
        kn_log_debug(LOGC, "ignoring controller message body %d", (int)msg->body_case);
        return false;
    }
}

static void perrs_free(Kanal__Control__PartitionError **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i]->topic);
        free(v[i]);
    }
    free(v);
}

void kn_cluster_reply_free(Kanal__Control__KnControl *reply)
{
    switch (reply->body_case) {
    case KANAL__CONTROL__KN_CONTROL__BODY_LEADER_AND_ISR_RESPONSE:
        perrs_free(reply->leader_and_isr_response->partitions,
                   reply->leader_and_isr_response->n_partitions);
        free(reply->leader_and_isr_response);
        break;
    case KANAL__CONTROL__KN_CONTROL__BODY_UPDATE_METADATA_RESPONSE:
        free(reply->update_metadata_response);
        break;
    case KANAL__CONTROL__KN_CONTROL__BODY_STOP_REPLICA_RESPONSE:
        perrs_free(reply->stop_replica_response->partitions,
                   reply->stop_replica_response->n_partitions);
        free(reply->stop_replica_response);
        break;
    default:
        break;
    }
    reply->body_case = KANAL__CONTROL__KN_CONTROL__BODY__NOT_SET;
}
