/*
 * common/protocol/apiversions.h -- ApiVersions (key 18), versions 0-3.
 *
 * v3 is flexible: the request carries the client's software name and
 * version as compact strings, the response a compact array and tag
 * sections. The response header is v0 at every version (api.h).
 *
 * A request at a version above 3 must not be parsed: answer error 35
 * (UNSUPPORTED_VERSION) encoded at version 0, with at least the
 * ApiVersions row (18, 0, 3), so the client can retry lower.
 */
#ifndef KN_PROTOCOL_APIVERSIONS_H
#define KN_PROTOCOL_APIVERSIONS_H

#include "protocol/api.h"

#define KN_APIVERSIONS_MIN 0
#define KN_APIVERSIONS_MAX 3

typedef struct {
    kn_slice_t client_software_name;     /* v3+ */
    kn_slice_t client_software_version;  /* v3+ */
} kn_apiversions_req_t;

typedef struct {
    int16_t api_key;
    int16_t min_version;
    int16_t max_version;
} kn_apiversions_key_t;

typedef struct {
    int16_t               error_code;
    int32_t               n_api_keys;
    kn_apiversions_key_t *api_keys;
    int32_t               throttle_time_ms;  /* v1+ */
} kn_apiversions_resp_t;

KN_PROTO_DECLARE(apiversions);

/* true if s matches [a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?, the check
 * the Java broker applies to client_software_name/version (else error 42,
 * INVALID_REQUEST). */
bool kn_proto_apiversions_name_valid(kn_slice_t s);

/* Fill out[0..cap) with the advertised rows of the recommended table
 * (api.h) that have a codec and for which has_handler(key, arg) is true
 * (NULL = all). Returns the number of rows written. */
int32_t kn_proto_apiversions_fill(kn_apiversions_key_t *out, int32_t cap,
                                  bool (*has_handler)(int16_t key, void *arg), void *arg);

#endif /* KN_PROTOCOL_APIVERSIONS_H */
