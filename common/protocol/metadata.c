/*
 * common/protocol/metadata.c -- Metadata codec (see metadata.h).
 */
#include "config.h"
#include "protocol/codec.h"
#include "protocol/metadata.h"

static void io_metadata_req(kn_io_t *io, kn_metadata_req_t *m)
{
    /* v0 has no null list; v1+ uses null for "all topics". */
    KN_IO_ARRAY(io, m->topics, m->n_topics, 2, io->ver >= 1);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        kn_io_str(io, &m->topics[i]);
    }
    kn_io_bool_if(io, io->ver >= 4, &m->allow_auto_topic_creation, true);
    kn_io_bool_if(io, io->ver >= 8, &m->include_cluster_authorized_operations, false);
    kn_io_bool_if(io, io->ver >= 8, &m->include_topic_authorized_operations, false);
}

static void io_metadata_partition(kn_io_t *io, kn_metadata_partition_t *p)
{
    kn_io_i16(io, &p->error_code);
    kn_io_i32(io, &p->partition_index);
    kn_io_i32(io, &p->leader_id);
    kn_io_i32_if(io, io->ver >= 7, &p->leader_epoch, -1);
    kn_io_i32_array(io, &p->replica_nodes, &p->n_replica_nodes, false);
    kn_io_i32_array(io, &p->isr_nodes, &p->n_isr_nodes, false);
    if (io->ver >= 5) {
        kn_io_i32_array(io, &p->offline_replicas, &p->n_offline_replicas, false);
    }
}

static void io_metadata_topic(kn_io_t *io, kn_metadata_topic_t *t)
{
    kn_io_i16(io, &t->error_code);
    kn_io_str(io, &t->name);
    kn_io_bool_if(io, io->ver >= 1, &t->is_internal, false);
    /* error + index + leader + two empty arrays = 18 bytes at least */
    KN_IO_ARRAY(io, t->partitions, t->n_partitions, 18, false);
    for (int32_t i = 0; i < kn_io_count(t->n_partitions) && kn_io_ok(io); i++) {
        io_metadata_partition(io, &t->partitions[i]);
    }
    kn_io_i32_if(io, io->ver >= 8, &t->topic_authorized_operations, INT32_MIN);
}

static void io_metadata_resp(kn_io_t *io, kn_metadata_resp_t *m)
{
    kn_io_i32_if(io, io->ver >= 3, &m->throttle_time_ms, 0);
    KN_IO_ARRAY(io, m->brokers, m->n_brokers, 10, false);
    for (int32_t i = 0; i < kn_io_count(m->n_brokers) && kn_io_ok(io); i++) {
        kn_metadata_broker_t *b = &m->brokers[i];
        kn_io_i32(io, &b->node_id);
        kn_io_str(io, &b->host);
        kn_io_i32(io, &b->port);
        kn_io_nstr_if(io, io->ver >= 1, &b->rack);
    }
    kn_io_nstr_if(io, io->ver >= 2, &m->cluster_id);
    kn_io_i32_if(io, io->ver >= 1, &m->controller_id, -1);
    KN_IO_ARRAY(io, m->topics, m->n_topics, 8, false);
    for (int32_t i = 0; i < kn_io_count(m->n_topics) && kn_io_ok(io); i++) {
        io_metadata_topic(io, &m->topics[i]);
    }
    kn_io_i32_if(io, io->ver >= 8, &m->cluster_authorized_operations, INT32_MIN);
}

KN_PROTO_DEFINE(metadata, KN_API_METADATA, KN_METADATA_MIN, KN_METADATA_MAX)

bool kn_proto_metadata_all_topics(const kn_metadata_req_t *req, int16_t ver)
{
    return ver == 0 ? req->n_topics <= 0 : req->n_topics < 0;
}
