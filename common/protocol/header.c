/*
 * common/protocol/header.c -- Kafka request and response headers.
 *
 * Request header v1: int16 api_key, int16 api_version, int32
 * correlation_id, NULLABLE_STRING client_id (int16 length even in v2 --
 * the spec marks ClientId "flexibleVersions: none"). v2 adds a tag section.
 * Which one a request uses depends on whether its API is flexible at that
 * version. Response header v0 is the correlation id; v1 adds a tag section,
 * except for ApiVersions, whose response header is v0 at every version so
 * a client can read it before it knows what the broker speaks.
 */
#include "config.h"
#include "protocol/api.h"

int kn_proto_request_header_parse(kn_rbuf_t *r, kn_req_header_t *h)
{
    h->api_key = kn_rbuf_i16(r);
    h->api_version = kn_rbuf_i16(r);
    h->correlation_id = kn_rbuf_i32(r);
    h->client_id = kn_rbuf_nstring(r);
    if (kn_rbuf_ok(r) && kn_proto_flexible(h->api_key, h->api_version)) {
        kn_rbuf_skip_tags(r);
    }
    return kn_rbuf_ok(r) ? KN_OK : KN_ERROR;
}

void kn_proto_request_header_write(kn_wbuf_t *w, int16_t key, int16_t ver,
                                   int32_t corr, const char *client_id)
{
    kn_wbuf_i16(w, key);
    kn_wbuf_i16(w, ver);
    kn_wbuf_i32(w, corr);
    kn_wbuf_string(w, client_id, -1);
    if (kn_proto_flexible(key, ver)) {
        kn_wbuf_tags_empty(w);
    }
}

bool kn_proto_response_header_v1(int16_t key, int16_t ver)
{
    return key != KN_API_API_VERSIONS && kn_proto_flexible(key, ver);
}

void kn_proto_response_header_write(kn_wbuf_t *w, int32_t corr, bool v1)
{
    kn_wbuf_i32(w, corr);
    if (v1) {
        kn_wbuf_tags_empty(w);
    }
}

int kn_proto_response_header_parse(kn_rbuf_t *r, int32_t *corr, bool v1)
{
    *corr = kn_rbuf_i32(r);
    if (v1) {
        kn_rbuf_skip_tags(r);
    }
    return kn_rbuf_ok(r) ? KN_OK : KN_ERROR;
}
