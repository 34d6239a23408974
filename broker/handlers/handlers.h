/*
 * broker/handlers/handlers.h -- registration of the data-path Kafka APIs.
 *
 * Produce (produce.c), Fetch (fetch.c) and ListOffsets (list_offsets.c).
 * The metadata/admin APIs register through kn_cluster_register_handlers()
 * (broker/cluster/cluster.h) and ApiVersions through the server.
 */
#ifndef KN_HANDLERS_H
#define KN_HANDLERS_H

#include "broker/server/request.h"

/* Register Produce, Fetch and ListOffsets with the dispatcher. */
void kn_data_handlers_register(void);

int kn_handle_produce(kn_req_t *req, kn_wbuf_t *resp);
int kn_handle_fetch(kn_req_t *req, kn_wbuf_t *resp);
int kn_handle_list_offsets(kn_req_t *req, kn_wbuf_t *resp);

#endif /* KN_HANDLERS_H */
