/*
 * broker/server/frame.h -- the first four bytes of every Kafka frame.
 *
 * Kept apart from the I/O code so the checks that protect the broker from
 * hostile input (oversized or negative lengths, a TLS handshake sent to a
 * plaintext port) are plain functions a unit test can call.
 */
#ifndef KN_FRAME_H
#define KN_FRAME_H

#include "kn.h"

typedef enum {
    KN_FRAME_OK = 0,
    KN_FRAME_NEGATIVE,     /* size < 0 */
    KN_FRAME_TOO_BIG,      /* size > socket.request.max.bytes */
    KN_FRAME_TOO_SMALL,    /* cannot even hold a request header */
    KN_FRAME_TLS           /* looks like a TLS record: handshake on a plaintext port */
} kn_frame_verdict_t;

/* The smallest request: api_key, api_version, correlation_id, client_id
 * length (int16 each + int32 + int16). */
#define KN_FRAME_MIN_REQUEST 10

/* Judge a frame from its first four bytes; *size gets the length. Runs
 * BEFORE anything is allocated for the frame. */
kn_frame_verdict_t kn_frame_check(const uint8_t hdr[4], int32_t max_bytes, int32_t *size);
/* Human-readable verdict for logs. */
const char *kn_frame_verdict_str(kn_frame_verdict_t v);

#endif /* KN_FRAME_H */
