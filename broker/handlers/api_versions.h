/*
 * broker/handlers/api_versions.h -- the ApiVersions (key 18) handler.
 *
 * Advertises exactly the API keys that have a registered handler, with the
 * version ranges of common/protocol (kn_proto_api_range), so a client never
 * sees an API the broker would then refuse.
 */
#ifndef KN_HANDLERS_API_VERSIONS_H
#define KN_HANDLERS_API_VERSIONS_H

#include "broker/server/request.h"

int kn_handle_api_versions(kn_req_t *req, kn_wbuf_t *resp);
/* Register kn_handle_api_versions for key 18. */
void kn_api_versions_register(void);

#endif /* KN_HANDLERS_API_VERSIONS_H */
