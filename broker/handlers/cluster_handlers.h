/*
 * broker/handlers/cluster_handlers.h -- the Kafka API handlers backed by
 * the cluster subsystem (metadata and topic administration). Registered by
 * kn_cluster_register_handlers() (broker/cluster/cluster.h).
 */
#ifndef KN_CLUSTER_HANDLERS_H
#define KN_CLUSTER_HANDLERS_H

#include "broker/server/request.h"

int kn_handle_metadata(kn_req_t *req, kn_wbuf_t *resp);          /* metadata.c */
int kn_handle_create_topics(kn_req_t *req, kn_wbuf_t *resp);     /* admin_topics.c */
int kn_handle_delete_topics(kn_req_t *req, kn_wbuf_t *resp);     /* admin_topics.c */
int kn_handle_create_partitions(kn_req_t *req, kn_wbuf_t *resp); /* admin_topics.c */
int kn_handle_describe_configs(kn_req_t *req, kn_wbuf_t *resp);  /* describe_configs.c */
int kn_handle_elect_leaders(kn_req_t *req, kn_wbuf_t *resp);    /* elect_leaders.c */

#endif /* KN_CLUSTER_HANDLERS_H */
