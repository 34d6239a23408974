/*
 * common/protocol/api.h -- Kafka API keys, version tables and the request /
 * response headers.
 *
 * This is the protocol subsystem's front door: the network layer parses the
 * request header here, asks kn_proto_api_range() whether the broker speaks
 * that API at that version, and writes the response header. The per-API
 * codecs live in one file per API family (apiversions.h, metadata.h,
 * produce.h, fetch.h, ...); protocol.h includes them all.
 *
 * Conventions shared by every codec:
 *   - strings and byte blobs are kn_slice_t views: decoded ones point into
 *     the frame (keep it alive), encoded ones are read from the caller's
 *     slices. A null string is KN_SLICE_NULL (len -1).
 *   - arrays are (count, pointer) pairs; count -1 is a null array where the
 *     protocol allows one. Decoded arrays live in a kn_arena_t.
 *   - decoders return KN_OK or KN_ERROR (malformed/truncated input; the
 *     output is then partially filled and must be ignored);
 *     encoders append to a kn_wbuf_t and cannot fail. Fields a version does
 *     not have are skipped on encode and left at their defaults on decode.
 */
#ifndef KN_PROTOCOL_API_H
#define KN_PROTOCOL_API_H

#include <string.h>

#include "buf.h"
#include "kn.h"
#include "protocol/arena.h"

/* Every API key Kanal knows by name (apache/kafka 3.7 numbering). */
typedef enum {
    KN_API_PRODUCE = 0,
    KN_API_FETCH = 1,
    KN_API_LIST_OFFSETS = 2,
    KN_API_METADATA = 3,
    KN_API_OFFSET_COMMIT = 8,
    KN_API_OFFSET_FETCH = 9,
    KN_API_FIND_COORDINATOR = 10,
    KN_API_JOIN_GROUP = 11,
    KN_API_HEARTBEAT = 12,
    KN_API_LEAVE_GROUP = 13,
    KN_API_SYNC_GROUP = 14,
    KN_API_DESCRIBE_GROUPS = 15,
    KN_API_LIST_GROUPS = 16,
    KN_API_SASL_HANDSHAKE = 17,
    KN_API_API_VERSIONS = 18,
    KN_API_CREATE_TOPICS = 19,
    KN_API_DELETE_TOPICS = 20,
    KN_API_DELETE_RECORDS = 21,
    KN_API_INIT_PRODUCER_ID = 22,
    KN_API_OFFSET_FOR_LEADER_EPOCH = 23,
    KN_API_ADD_PARTITIONS_TO_TXN = 24,
    KN_API_ADD_OFFSETS_TO_TXN = 25,
    KN_API_END_TXN = 26,
    KN_API_WRITE_TXN_MARKERS = 27,
    KN_API_TXN_OFFSET_COMMIT = 28,
    KN_API_DESCRIBE_ACLS = 29,
    KN_API_CREATE_ACLS = 30,
    KN_API_DELETE_ACLS = 31,
    KN_API_DESCRIBE_CONFIGS = 32,
    KN_API_ALTER_CONFIGS = 33,
    KN_API_DESCRIBE_LOG_DIRS = 35,
    KN_API_SASL_AUTHENTICATE = 36,
    KN_API_CREATE_PARTITIONS = 37,
    KN_API_DELETE_GROUPS = 42,
    KN_API_ELECT_LEADERS = 43,
    KN_API_INCREMENTAL_ALTER_CONFIGS = 44,
    KN_API_ALTER_PARTITION_REASSIGNMENTS = 45,
    KN_API_LIST_PARTITION_REASSIGNMENTS = 46,
    KN_API_OFFSET_DELETE = 47,
    KN_API_DESCRIBE_CLIENT_QUOTAS = 48,
    KN_API_ALTER_CLIENT_QUOTAS = 49,
    KN_API_DESCRIBE_USER_SCRAM_CREDENTIALS = 50,
    KN_API_ALTER_USER_SCRAM_CREDENTIALS = 51
} kn_api_key_t;

/* Static facts about one API key. */
typedef struct {
    int16_t     key;
    const char *name;          /* Kafka's name, e.g. "ApiVersions" */
    int16_t     flex_from;     /* first flexible version, -1 = never */
} kn_api_info_t;

/* One row of the broker's advertised version table. */
typedef struct {
    int16_t key;
    int16_t min;               /* lowest version advertised */
    int16_t max;               /* highest version advertised */
    bool    has_codec;         /* common/protocol decodes/encodes it */
} kn_api_range_t;

/* Name of an API key, "Unknown" if we do not know it. */
const char *kn_proto_api_name(int16_t key);
/* Facts about key, NULL if unknown. */
const kn_api_info_t *kn_proto_api_info(int16_t key);
/* true if (key, ver) uses the flexible encoding: compact strings/arrays,
 * tag sections, request header v2 and response header v1. */
bool kn_proto_flexible(int16_t key, int16_t ver);

/* The recommended range for key if Kanal has a codec for it, else NULL. */
const kn_api_range_t *kn_proto_api_range(int16_t key);
/* The whole recommended table (CLIENT-VERSIONS.txt), including entries
 * without a codec, so the broker can advertise exactly the keys it has
 * handlers for. *n receives the number of rows. */
const kn_api_range_t *kn_proto_api_table(size_t *n);
/* true if ver is inside key's advertised range and we have a codec. */
bool kn_proto_api_supported(int16_t key, int16_t ver);

/* ---- headers ---------------------------------------------------------- */

typedef struct {
    int16_t    api_key;
    int16_t    api_version;
    int32_t    correlation_id;
    kn_slice_t client_id;      /* nullable; view into the frame */
} kn_req_header_t;

/* Parse a request header (v1, or v2 = v1 + tag section when the API is
 * flexible at that version). Leaves r at the start of the body.
 * Returns KN_OK or KN_ERROR on a truncated/malformed header. */
int kn_proto_request_header_parse(kn_rbuf_t *r, kn_req_header_t *h);
/* Write a request header for (key, ver); the version (v1 or v2) follows
 * from the API's flexibility. client_id may be NULL. */
void kn_proto_request_header_write(kn_wbuf_t *w, int16_t key, int16_t ver,
                                   int32_t corr, const char *client_id);
/* true if the response to (key, ver) carries header v1 (flexible, except
 * ApiVersions, whose response header is always v0). */
bool kn_proto_response_header_v1(int16_t key, int16_t ver);
/* Write a response header: correlation id, plus an empty tag section for
 * header v1. */
void kn_proto_response_header_write(kn_wbuf_t *w, int32_t corr, bool v1);
/* Parse a response header (client side). */
int kn_proto_response_header_parse(kn_rbuf_t *r, int32_t *corr, bool v1);

/* ---- slices: small utilities shared by the codecs ---------------------- */

#define KN_SLICE_NULL ((kn_slice_t){ NULL, -1 })

/* A slice viewing a C string (NULL gives a null slice). */
static inline kn_slice_t kn_slice_str(const char *s)
{
    kn_slice_t v = { (const uint8_t *)s, s ? (int32_t)strlen(s) : -1 };
    return v;
}

/* Every codec family header declares, per API <name>, the four functions
 *   kn_proto_<name>_req_decode / _req_encode / _resp_decode / _resp_encode
 * with this macro (decoders return KN_OK or KN_ERROR; encoders append). */
#define KN_PROTO_DECLARE(name)                                                               \
    int kn_proto_##name##_req_decode(kn_rbuf_t *r, int16_t ver, kn_##name##_req_t *out,      \
                                     kn_arena_t *a);                                         \
    void kn_proto_##name##_req_encode(kn_wbuf_t *w, int16_t ver, const kn_##name##_req_t *in); \
    int kn_proto_##name##_resp_decode(kn_rbuf_t *r, int16_t ver, kn_##name##_resp_t *out,    \
                                      kn_arena_t *a);                                        \
    void kn_proto_##name##_resp_encode(kn_wbuf_t *w, int16_t ver, const kn_##name##_resp_t *in)

#endif /* KN_PROTOCOL_API_H */
