/*
 * broker/handlers/api_versions.c -- ApiVersions, the first request of
 * every Kafka client (see api_versions.h).
 *
 * Three cases:
 *   - a version we speak (0-3): decode (v3 carries the client's software
 *     name and version, which must match Kafka's pattern or the answer is
 *     INVALID_REQUEST), answer with the table;
 *   - a newer version than we speak: the network layer passes it on
 *     unparsed; answer UNSUPPORTED_VERSION in the v0 layout with at least
 *     our ApiVersions row, so the client retries at a version we know
 *     (KIP-511);
 *   - the response header is v0 at every version (the network layer
 *     knows this through kn_proto_response_header_v1).
 */
#include "config.h"
#include "broker/handlers/api_versions.h"

#include <stdlib.h>

#include "log.h"
#include "protocol/apiversions.h"

/* The rows to advertise: every key with a handler and a codec range. */
static int32_t kn_api_versions_table(kn_apiversions_key_t **out)
{
    size_t n = 0;
    const kn_api_range_t *tab = kn_proto_api_table(&n);
    kn_apiversions_key_t *rows = kn_calloc(n ? n : 1, sizeof(*rows));
    int32_t k = 0;

    for (size_t i = 0; i < n; i++) {
        const kn_api_range_t *r = kn_proto_api_range(tab[i].key);
        if (r == NULL || kn_handlers_lookup(tab[i].key) == NULL) {
            continue;
        }
        rows[k].api_key = r->key;
        rows[k].min_version = r->min;
        rows[k].max_version = r->max;
        k++;
    }
    *out = rows;
    return k;
}

int kn_handle_api_versions(kn_req_t *req, kn_wbuf_t *resp)
{
    kn_apiversions_resp_t out = { 0 };
    int16_t ver = req->api_version;
    const kn_api_range_t *own = kn_proto_api_range(KN_API_API_VERSIONS);

    if (own == NULL || ver < own->min || ver > own->max) {
        /* Only our own row: all a client needs to pick a version. */
        kn_apiversions_key_t row = { KN_API_API_VERSIONS, own ? own->min : 0,
                                     own ? own->max : KN_APIVERSIONS_MAX };
        out.error_code = KN_ERR_UNSUPPORTED_VERSION;
        out.n_api_keys = 1;
        out.api_keys = &row;
        kn_proto_apiversions_resp_encode(resp, 0, &out);
        return KN_OK;
    }

    kn_apiversions_req_t in;
    kn_arena_t arena;
    kn_arena_init(&arena);
    int rc = kn_proto_apiversions_req_decode(&req->body, ver, &in, &arena);
    if (rc != KN_OK) {
        kn_arena_free(&arena);
        return KN_ERROR;   /* malformed: the connection is closed */
    }
    if (ver >= 3 && (!kn_proto_apiversions_name_valid(in.client_software_name) ||
                     !kn_proto_apiversions_name_valid(in.client_software_version))) {
        kn_log_ratelimited(KN_LOG_INFO, "handlers", "apiversions.bad-name", 60000,
                           "ApiVersions v%d from %s: invalid client software name/version", ver,
                           req->peer);
        out.error_code = KN_ERR_INVALID_REQUEST;
    }
    kn_arena_free(&arena);

    out.n_api_keys = kn_api_versions_table(&out.api_keys);
    out.throttle_time_ms = 0;
    kn_proto_apiversions_resp_encode(resp, ver, &out);
    free(out.api_keys);
    return KN_OK;
}

void kn_api_versions_register(void)
{
    kn_handlers_register(KN_API_API_VERSIONS, kn_handle_api_versions);
}
